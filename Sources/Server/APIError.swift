import Foundation

/// Why the API refused a request; `ErrorResponses.swift` maps each case to a status and body.
package enum APIError: Error, Equatable {
    /// The body is not JSON, or not the JSON object the route takes.
    case invalidJSON(String)
    /// A field is missing, of the wrong type, or out of range (`field` names it, e.g. `texts[2]`).
    case invalidField(field: String, message: String)
    case modelNotFound(String)
    /// A field asks for more than the server's limits allow.
    case limitExceeded(field: String, message: String)
    /// Models are still loading.
    case notReady
}

/// Decodes a JSON request body, turning decoding failures into `APIError`s that name the field.
func decodeBody<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
    if body.isEmpty { throw APIError.invalidJSON("request body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: Data(body))
    } catch let error as DecodingError {
        throw APIError(error)
    } catch let error as APIError {
        throw error
    } catch {
        throw APIError.invalidJSON("request body is not valid JSON: \(error.localizedDescription)")
    }
}

extension APIError {
    init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var out = ""
            for key in codingPath + (last.map { [$0] } ?? []) {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : "." + key.stringValue }
            }
            return out
        }
        func typeName(_ t: Any.Type) -> String {
            switch t {
            case is String.Type: return "a string"
            case is Int.Type, is UInt64.Type: return "an integer"
            case is Double.Type: return "a number"
            case is Bool.Type: return "true or false"
            case is [String].Type: return "a list of strings"
            default: return t is any Collection.Type ? "a list" : "an object"
            }
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            self = .invalidField(field: path(ctx.codingPath, key), message: "is required")
        case .typeMismatch(let type, let ctx):
            let p = path(ctx.codingPath)
            if p.isEmpty {
                self = .invalidJSON("request body must be a JSON object")
            } else {
                let detail = ctx.debugDescription.hasPrefix("must be") ? ctx.debugDescription : "must be \(typeName(type))"
                self = .invalidField(field: p, message: detail)
            }
        case .valueNotFound(let type, let ctx):
            self = .invalidField(field: path(ctx.codingPath), message: "must be \(typeName(type)), not null")
        case .dataCorrupted(let ctx):
            let p = path(ctx.codingPath)
            if p.isEmpty {
                let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                self = .invalidJSON("request body is not valid JSON" + (underlying.map { ": \($0)" } ?? ""))
            } else {
                self = .invalidField(field: p, message: "has an invalid value (\(ctx.debugDescription))")
            }
        @unknown default:
            self = .invalidJSON("request body could not be decoded")
        }
    }
}
