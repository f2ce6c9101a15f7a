/// An HTTP protocol version, e.g. 1.1.
package struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    package var major: Int
    package var minor: Int

    package init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    package static let http1_0 = HTTPVersion(major: 1, minor: 0)
    package static let http1_1 = HTTPVersion(major: 1, minor: 1)

    package var description: String { "HTTP/\(major).\(minor)" }
}

/// A complete request: head plus the whole (de-chunked) body.
package struct HTTPRequest: Sendable {
    package var method: HTTPMethod
    /// The raw request-target as sent, e.g. "/v1/models?x=1".
    package var target: String
    /// The path part of the target, still percent-encoded, e.g. "/v1/models/a%20b".
    package var path: String
    /// The raw query (after "?"), or nil when the target has none.
    package var query: String?
    package var version: HTTPVersion
    package var headers: HTTPHeaders
    /// The body bytes (Content-Length or de-chunked); empty when there is none.
    package var body: [UInt8]
    /// Values captured by `{name}` route segments, percent-decoded. Set by the router.
    package var pathParameters: [String: String]
    /// The peer as "ip:port" ("[ip]:port" for IPv6).
    package var remoteAddress: String
    /// From a sane `X-Request-Id` header, else generated; echoed on the response.
    package var requestID: String

    package init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = "", requestID: String = ""
    ) {
        self.method = method
        self.target = target
        let parts = HTTPRequest.splitTarget(target)
        self.path = parts.path
        self.query = parts.query
        self.version = version
        self.headers = headers
        self.body = body
        self.pathParameters = [:]
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// Query parameters, percent- and plus-decoded; the last value of a repeated name wins.
    package var queryItems: [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.percentDecode(kv[0], plusAsSpace: true)
            let value = kv.count > 1 ? Self.percentDecode(kv[1], plusAsSpace: true) : ""
            items[key] = value
        }
        return items
    }

    /// Whether the client asked to keep the connection open after this request.
    package var wantsKeepAlive: Bool {
        if version.major == 1 && version.minor >= 1 {
            return !headers.containsToken("close", in: "Connection")
        }
        return headers.containsToken("keep-alive", in: "Connection")
    }

    /// Splits an origin-form or absolute-form target into path and query.
    static func splitTarget(_ target: String) -> (path: String, query: String?) {
        let utf8 = target.utf8
        var start = utf8.startIndex
        if utf8.first != UInt8(ascii: "/"), let scheme = target.range(of: "://") {
            // absolute-form: drop scheme and authority.
            let afterScheme = scheme.upperBound
            if let slash = utf8[afterScheme...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) {
                start = slash
            } else {
                return ("/", nil)
            }
        }
        guard let q = utf8[start...].firstIndex(of: UInt8(ascii: "?")) else {
            return (start == utf8.startIndex ? target : String(target[start...]), nil)
        }
        let path = target[start..<q]
        return (path.isEmpty ? "/" : String(path), String(target[utf8.index(after: q)...]))
    }

    /// Decodes %XX escapes (invalid escapes are kept literally), optionally "+" as space.
    package static func percentDecode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.contains(0x25) || (plusAsSpace && utf8.contains(0x2B)) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == 0x25, i + 2 < utf8.count, let h = hexValue(utf8[i + 1]), let l = hexValue(utf8[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusAsSpace && b == 0x2B ? 0x20 : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
