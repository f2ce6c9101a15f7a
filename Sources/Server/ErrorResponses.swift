import Batching
import Foundation
import HTTP
import Telemetry

// The one place where errors become HTTP statuses and `{"error": {...}}` bodies. Anything not
// mapped here becomes a 500 carrying the request id (RouterResponder does that).

/// The JSON error body every route uses.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var message: String
        var type: String
        var code: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(code, forKey: .code)
        }
        enum CodingKeys: String, CodingKey { case message, type, code }
    }
    var error: Detail
}

enum ErrorResponses {
    /// The response for any error that picks its own status: the `ErrorBody` envelope plus the
    /// error's extra headers. The HTTP server and the router call it for their own errors too.
    /// The message is bounded (`Truncation.messageLimit`) whatever it echoes.
    @Sendable static func render(_ error: any HTTPResponseError) -> HTTPResponse {
        var response = HTTPResponse.error(
            error.status, message: Truncation.bounded(message: error.errorMessage), type: error.errorType, code: error.errorCode)
        for (name, value) in error.extraHeaders { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    /// One JSON value (a string literal, or `null`), escaped by `JSONEncoder`.
    static func jsonValue(_ value: String?) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // A string or nil always encodes.
        return (try? encoder.encode(value)).map { Array($0) } ?? Array("null".utf8)
    }
}

extension HTTPResponseError {
    /// This error's JSON response.
    var httpResponse: HTTPResponse { ErrorResponses.render(self) }
}

extension HTTPResponse {
    /// `{"error":{"message":…,"type":…,"code":…}}` with `status`, the fields in that order
    /// (Foundation's `JSONEncoder` does not keep key order on Linux, so the object is laid out
    /// here and only the values go through it).
    static func error(_ status: HTTPStatus, message: String, type: String, code: String? = nil) -> HTTPResponse {
        var body = Array(#"{"error":{"message":"#.utf8)
        body += ErrorResponses.jsonValue(message)
        body += Array(#","type":"#.utf8)
        body += ErrorResponses.jsonValue(type)
        body += Array(#","code":"#.utf8)
        body += ErrorResponses.jsonValue(code)
        body += Array("}}".utf8)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes(body))
    }
}

extension APIError: HTTPResponseError {
    package var status: HTTPStatus {
        switch self {
        case .invalidJSON, .invalidField, .limitExceeded: return .badRequest
        case .modelNotFound: return .notFound
        case .notReady, .modelUnavailable: return .serviceUnavailable
        case .modelExists, .modelInUse: return .conflict
        case .unloadableFile: return .unprocessableEntity
        }
    }

    package var errorType: String {
        switch self {
        case .invalidJSON, .invalidField, .limitExceeded: return "invalid_request_error"
        case .modelNotFound: return "not_found_error"
        case .notReady, .modelUnavailable: return "unavailable_error"
        case .modelExists, .modelInUse: return "conflict_error"
        case .unloadableFile: return "invalid_request_error"
        }
    }

    package var errorMessage: String {
        switch self {
        case .invalidJSON(let m): return m
        case .invalidField(let field, let m): return "'\(Truncation.cut(field))' \(m)"
        case .limitExceeded(let field, let m): return "'\(Truncation.cut(field))' \(m)"
        case .modelNotFound(let name): return "model '\(Truncation.cut(name))' is not served here; GET /v1/models lists the models"
        case .notReady: return "models are still loading; retry shortly"
        case .modelUnavailable(let name, let state, let reason):
            switch state {
            case "loading": return "model '\(name)' is loading; retry shortly"
            case "failed": return "model '\(name)' failed to load: \(reason ?? "unknown error")"
            default: return "model '\(name)' is being unloaded"
            }
        case .modelExists(let name, let state):
            return state == "ready" ? "model '\(name)' already exists" : "model '\(name)' is \(state); retry when it is done"
        case .unloadableFile(let field, let m): return "'\(field)' \(m)"
        case .modelInUse(let name, let ensemble): return "model '\(name)' is a member of ensemble '\(ensemble)'; unload the ensemble first"
        }
    }

    package var errorCode: String? {
        switch self {
        case .invalidJSON: return "invalid_json"
        case .invalidField: return "invalid_field"
        case .limitExceeded: return "limit_exceeded"
        case .modelNotFound: return "model_not_found"
        case .notReady: return "not_ready"
        case .modelUnavailable(_, let state, _): return "model_\(state)"
        case .modelExists: return "model_exists"
        case .modelInUse: return "model_in_use"
        case .unloadableFile: return "invalid_model_file"
        }
    }

    package var extraHeaders: [(String, String)] {
        switch self {
        case .notReady, .modelUnavailable(_, "loading", _): return [("Retry-After", "1")]
        default: return []
        }
    }
}

extension BatchingError: HTTPResponseError {
    package var status: HTTPStatus {
        switch self {
        case .queueFull, .shuttingDown, .cutByShutdown: return .serviceUnavailable
        case .timedOut: return .gatewayTimeout
        }
    }
    package var errorType: String { Server.errorType(of: self) }
    package var errorMessage: String { Server.errorMessage(of: self) }
    package var errorCode: String? {
        switch self {
        case .queueFull: return "queue_full"
        case .timedOut: return "timeout"
        case .shuttingDown: return "shutting_down"
        case .cutByShutdown: return "shutdown"
        }
    }
    package var extraHeaders: [(String, String)] {
        switch self {
        case .queueFull, .shuttingDown, .cutByShutdown: return [("Retry-After", "1")]
        case .timedOut: return []
        }
    }
}

func errorType(of error: BatchingError) -> String {
    switch error {
    case .queueFull: return "overloaded_error"
    case .timedOut: return "timeout_error"
    case .shuttingDown: return "unavailable_error"
    case .cutByShutdown: return "shutdown"
    }
}

func errorMessage(of error: BatchingError) -> String {
    switch error {
    case .queueFull(let limit): return "the model's queue is full (\(limit) requests waiting); retry later"
    case .timedOut(let ms): return "the request did not finish within its deadline of \(ms) ms"
    case .shuttingDown: return "the server is shutting down"
    case .cutByShutdown: return "the server shut down before the request finished (its drain deadline passed)"
    }
}

/// A bad query is the client's 400; a log that cannot be read now (locked by another process,
/// failing, missing, too new) is the server's 503, to retry.
extension RequestLogError: HTTPResponseError {
    private var isQueryError: Bool {
        switch self {
        case .invalidStatusFilter, .invalidParameter: return true
        case .missingDatabase, .unreadable, .inaccessible, .schemaTooNew: return false
        }
    }
    private var isLocked: Bool {
        if case .unreadable(_, let underlying) = self { return underlying.isLock }
        return false
    }
    package var status: HTTPStatus { isQueryError ? .badRequest : .serviceUnavailable }
    package var errorType: String { isQueryError ? "invalid_request_error" : "unavailable_error" }
    package var errorMessage: String { description }
    package var errorCode: String? { isQueryError ? "invalid_query" : isLocked ? "log_locked" : "log_unavailable" }
    package var extraHeaders: [(String, String)] { isQueryError ? [] : [("Retry-After", isLocked ? "1" : "5")] }
}

/// A request whose client went away (or that was cut off at the drain deadline): nginx's 499,
/// logged as such rather than as a server error. The client never sees it.
extension CancellationError: HTTPResponseError {
    package var status: HTTPStatus { HTTPStatus(code: 499, reasonPhrase: "Client Closed Request") }
    package var errorType: String { "client_disconnected" }
    package var errorMessage: String { "the client closed the connection before the response" }
    package var errorCode: String? { "client_disconnected" }
}
