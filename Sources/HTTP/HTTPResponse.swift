import Foundation

/// Receives a streamed response body. Each `write` is sent to the client as one chunk.
package protocol HTTPBodyWriter: Sendable {
    /// Sends `bytes` (empty writes are ignored). Suspends while the client is slow to read
    /// (bounded buffering) and throws `HTTPServerError.connectionClosed` once it is gone.
    func write(_ bytes: [UInt8]) async throws
}

extension HTTPBodyWriter {
    /// Sends a string as UTF-8.
    package func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

/// A response body: all bytes up front, or a closure that streams them (chunked encoding).
package enum HTTPResponseBody: Sendable {
    case bytes([UInt8])
    case stream(@Sendable (any HTTPBodyWriter) async throws -> Void)

    /// The fixed length, or nil for a stream.
    package var count: Int? {
        if case .bytes(let b) = self { return b.count }
        return nil
    }
}

/// Status, headers and body. The server adds Content-Length / Transfer-Encoding, Connection,
/// Date and X-Request-Id itself; any such fields set here are replaced.
package struct HTTPResponse: Sendable {
    package var status: HTTPStatus
    package var headers: HTTPHeaders
    package var body: HTTPResponseBody

    package init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: HTTPResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body.
    package static func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(Array(text.utf8)))
    }

    /// A JSON response (sorted keys, so output is stable). An unencodable value gives a 500.
    package static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            return HTTPResponse(
                status: status, headers: ["Content-Type": "application/json"], body: .bytes(Array(data)))
        } catch {
            return .plainTextError(
                HTTPError(
                    .internalServerError, message: "response encoding failed: \(error)", type: "server_error",
                    code: "encoding_failed"))
        }
    }
}
