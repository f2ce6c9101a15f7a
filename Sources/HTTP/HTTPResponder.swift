/// Answers requests. The server calls it once per request, in a Task that is cancelled when
/// the client disconnects.
package protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

/// An error that chooses its own HTTP status and the fields of its error body; the
/// `HTTPErrorRenderer` the application configured turns it into a response.
package protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    /// The `type` field of the error body, e.g. "invalid_request_error".
    var errorType: String { get }
    var errorMessage: String { get }
    /// The `code` field, or nil (sent as JSON null).
    var errorCode: String? { get }
    /// Added to the response (e.g. `Allow`, `Retry-After`).
    var extraHeaders: [(String, String)] { get }
}

extension HTTPResponseError {
    package var extraHeaders: [(String, String)] { [] }
}

/// Errors the HTTP module itself throws to handlers and callers.
package enum HTTPServerError: Error, Equatable, Sendable {
    /// The client went away (or the server force-closed it) while a body was being written.
    case connectionClosed
    /// `start()` called twice, or after shutdown.
    case alreadyStarted
    /// TLS setup failed: the OpenSSL message.
    case tls(String)
}

/// A responder from a closure (tests, tiny servers).
package struct ClosureResponder: HTTPResponder {
    let body: @Sendable (HTTPRequest) async -> HTTPResponse

    package init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    package func respond(to request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
