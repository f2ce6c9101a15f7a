/// Why the request parser rejected its input; each case maps to a response status.
package enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Syntax error in the request line, a field, or chunk framing (400).
    case malformed(String)
    /// Request line longer than the limit (431).
    case requestLineTooLong
    /// Head or trailers larger than the limit, or too many fields (431).
    case headerTooLarge
    /// Body larger than the limit (413).
    case bodyTooLarge
    /// A version other than HTTP/1.0 or 1.1 (505).
    case unsupportedVersion
    /// A transfer coding other than chunked (501).
    case unsupportedTransferEncoding

    /// The response status for this error.
    package var status: HTTPStatus {
        switch self {
        case .malformed: .badRequest
        case .requestLineTooLong, .headerTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .payloadTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferEncoding: .notImplemented
        }
    }

    package var description: String {
        switch self {
        case .malformed(let why): "malformed request: \(why)"
        case .requestLineTooLong: "request line too long"
        case .headerTooLarge: "request header fields too large"
        case .bodyTooLarge: "request body too large"
        case .unsupportedVersion: "HTTP version not supported"
        case .unsupportedTransferEncoding: "unsupported transfer coding"
        }
    }
}
