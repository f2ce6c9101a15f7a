import Foundation

/// A request body that is not the JSON the handler expected (400 `invalid_json`).
package struct JSONBodyError: HTTPResponseError, CustomStringConvertible {
    package var errorMessage: String
    package var status: HTTPStatus { .badRequest }
    package var errorType: String { "invalid_request_error" }
    package var errorCode: String? { "invalid_json" }
    package var description: String { errorMessage }
}

extension HTTPRequest {
    /// Decodes the body as JSON.
    /// - Throws: `JSONBodyError` (a 400 through the router) naming what was wrong.
    package func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard !body.isEmpty else { throw JSONBodyError(errorMessage: "request body is empty; expected JSON") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch DecodingError.keyNotFound(let key, _) {
            throw JSONBodyError(errorMessage: "missing field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw JSONBodyError(errorMessage: "wrong type for '\(path)': \(context.debugDescription)")
        } catch DecodingError.dataCorrupted(let context) {
            throw JSONBodyError(errorMessage: "invalid JSON: \(context.debugDescription)")
        } catch {
            throw JSONBodyError(errorMessage: "invalid JSON body")
        }
    }
}
