/// An error the HTTP module reports by itself: no route (404), a method the route lacks (405), a
/// handler error that chose no response (500), and the requests it rejects before any handler
/// runs (400, 408, 413, 431, 501, 505, and 503 at connection capacity).
package struct HTTPError: HTTPResponseError, Sendable {
    package var status: HTTPStatus
    package var errorType: String
    package var errorMessage: String
    package var errorCode: String?
    package var extraHeaders: [(String, String)]

    package init(
        _ status: HTTPStatus, message: String, type: String, code: String?, extraHeaders: [(String, String)] = []
    ) {
        self.status = status
        self.errorMessage = message
        self.errorType = type
        self.errorCode = code
        self.extraHeaders = extraHeaders
    }

    /// A request the server answers by itself and then closes the connection.
    static func rejection(_ status: HTTPStatus, reason: String) -> HTTPError {
        let code: String
        switch status.code {
        case 408: code = "request_timeout"
        case 413: code = "payload_too_large"
        case 431: code = "header_too_large"
        case 503: code = "over_capacity"
        default: code = "bad_request"
        }
        return HTTPError(
            status, message: reason, type: status.code >= 500 ? "server_error" : "invalid_request_error", code: code)
    }
}

/// Turns an error into its response. The application owns the error body's format (LMServe's
/// JSON envelope is `Server/ErrorResponses.swift`); the HTTP module only asks, for the router's
/// 404/405/500 and for its own rejections. Set it in `HTTPServerConfiguration.renderError` and
/// `Router.freeze(renderingErrorsWith:)`.
package typealias HTTPErrorRenderer = @Sendable (any HTTPResponseError) -> HTTPResponse

extension HTTPResponse {
    /// The renderer used when the application sets none: the message as plain text, with the
    /// error's status and extra headers.
    package static func plainTextError(_ error: any HTTPResponseError) -> HTTPResponse {
        var response = HTTPResponse.text(error.errorMessage, status: error.status)
        for (name, value) in error.extraHeaders { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}
