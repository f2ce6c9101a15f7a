#if canImport(Glibc)
import Glibc
#endif

/// How a response body is delimited on the wire.
enum ResponseFraming {
    case length(Int)
    case chunked
    /// HTTP/1.0 stream: the body ends when the connection closes.
    case untilClose
    /// 1xx/204/304: no body and no length field.
    case noBody
}

/// Serializes response heads into bytes (one buffer, written with the body in one `writev`).
enum ResponseEncoder {
    static let crlf: [UInt8] = [0x0D, 0x0A]
    /// The last chunk and the empty trailer section.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Appends the status line and header section for `response` to `out`.
    static func encodeHead(
        into out: inout [UInt8], status: HTTPStatus, headers: HTTPHeaders, framing: ResponseFraming,
        keepAlive: Bool, requestVersion: HTTPVersion, requestID: String, date: [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(&out, status.code)
        out.append(0x20)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for field in headers where !isManaged(field.name) {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            appendSanitized(&out, field.value)
            out.append(contentsOf: "\r\n".utf8)
        }
        switch framing {
        case .length(let n):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(&out, n)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .untilClose, .noBody:
            break
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersion == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date)
        out.append(contentsOf: "\r\nX-Request-Id: ".utf8)
        out.append(contentsOf: requestID.utf8)
        out.append(contentsOf: "\r\n\r\n".utf8)
    }

    /// Fields the server writes itself; a responder's copies are dropped.
    static func isManaged(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return true }
        switch first | 0x20 {
        case UInt8(ascii: "c"):
            return HTTPHeaders.equalsIgnoringCase(name, "content-length") || HTTPHeaders.equalsIgnoringCase(name, "connection")
        case UInt8(ascii: "t"): return HTTPHeaders.equalsIgnoringCase(name, "transfer-encoding")
        case UInt8(ascii: "d"): return HTTPHeaders.equalsIgnoringCase(name, "date")
        case UInt8(ascii: "x"): return HTTPHeaders.equalsIgnoringCase(name, "x-request-id")
        default: return false
        }
    }

    /// Appends a header value, replacing CR, LF and NUL (header injection) with spaces.
    static func appendSanitized(_ out: inout [UInt8], _ value: String) {
        for b in value.utf8 { out.append(b == 0x0D || b == 0x0A || b == 0 ? 0x20 : b) }
    }

    static func appendDecimal(_ out: inout [UInt8], _ value: Int) {
        if value < 10 {
            out.append(UInt8(0x30 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(0x30 + v % 10)
                v /= 10
                n += 1
            }
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    /// The chunk-size line for a chunk of `count` bytes: hex digits + CRLF.
    static func chunkPrefix(_ count: Int) -> [UInt8] {
        Array(String(count, radix: 16).utf8) + [0x0D, 0x0A]
    }

    /// An RFC 9110 IMF-fixdate for the current time, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static func httpDate() -> [UInt8] {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%a, %d %b %Y %H:%M:%S GMT", &tm)
        return buf.prefix(n).map { UInt8(bitPattern: $0) }
    }

    /// A complete error response produced by the server itself (always closes the connection).
    /// A streamed body from the renderer is dropped: rejections carry their body whole.
    static func errorResponse(_ response: HTTPResponse, requestID: String, date: [UInt8]) -> [UInt8] {
        let body: [UInt8]
        if case .bytes(let bytes) = response.body, !response.status.forbidsBody { body = bytes } else { body = [] }
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        encodeHead(
            into: &out, status: response.status, headers: response.headers,
            framing: response.status.forbidsBody ? .noBody : .length(body.count), keepAlive: false,
            requestVersion: .http1_1, requestID: requestID, date: date)
        out.append(contentsOf: body)
        return out
    }
}
