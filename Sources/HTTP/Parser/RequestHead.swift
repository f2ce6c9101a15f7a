/// How a request's body is delimited (RFC 9112 §6).
package enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A parsed request line and header section.
package struct RequestHead: Equatable, Sendable {
    package var method: HTTPMethod
    /// The raw request-target.
    package var target: String
    package var version: HTTPVersion
    package var headers: HTTPHeaders
    package var framing: BodyFraming
    /// Whether the client allows the connection to stay open after this request.
    package var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request with a body.
    package var expectContinue: Bool

    package static func == (a: RequestHead, b: RequestHead) -> Bool {
        a.method == b.method && a.target == b.target && a.version == b.version && a.framing == b.framing
            && a.keepAlive == b.keepAlive && a.expectContinue == b.expectContinue
            && a.headers.map { "\($0.name):\($0.value)" } == b.headers.map { "\($0.name):\($0.value)" }
    }
}
