import Foundation
import HTTP

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
    /// The model exists but serves nothing now: its first version is loading or failed, or it
    /// is being unloaded (`state`; `reason`: why a load failed).
    case modelUnavailable(name: String, state: String, reason: String?)
    /// `POST /admin/models` for a name that is taken (`state`: the existing entry's), or a
    /// change to a model that is loading or draining.
    case modelExists(name: String, state: String)
    /// A model file that cannot be loaded, found before loading (missing, not a regular file,
    /// empty, unreadable): `field` names the request's field.
    case unloadableFile(field: String, message: String)
    /// Unloading a model that an ensemble uses.
    case modelInUse(name: String, ensemble: String)
}

/// Decodes a request's JSON body, turning decoding failures into `APIError`s that name the
/// field. A body declared as anything but JSON (or not declared) is refused with 415 first.
func decodeBody<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws -> T {
    try requireJSONContentType(request)
    return try decodeBody(type, from: request.body)
}

/// 415 unless `Content-Type` is `application/json` (any parameters, any case) or a `+json` type.
func requireJSONContentType(_ request: HTTPRequest) throws {
    let declared = request.headers["Content-Type"] ?? ""
    let media = declared.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    guard media != "application/json" && !(media.hasPrefix("application/") && media.hasSuffix("+json")) else { return }
    throw HTTPError(
        .unsupportedMediaType,
        message: declared.isEmpty
            ? "the request body must be JSON: send Content-Type: application/json"
            : "the request body must be JSON: send Content-Type: application/json (got '\(Truncation.cut(declared))')",
        type: "invalid_request_error", code: "unsupported_media_type")
}

/// Decodes a JSON request body, turning decoding failures into `APIError`s that name the field.
func decodeBody<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
    if body.isEmpty { throw APIError.invalidJSON("request body is empty; send a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: Data(body))
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
        // Foundation reports a number that does not fit its field (1.5 or 1e30 for an
        // integer, -1 for an unsigned one) as corrupt data with no path; find the field.
        if let field = unrepresentableNumber(in: body, as: T.self) {
            throw APIError.invalidField(field: field, message: "must be an integer in range")
        }
        throw APIError(DecodingError.dataCorrupted(context))
    } catch let error as DecodingError {
        throw APIError(error)
    } catch let error as APIError {
        throw error
    } catch {
        throw APIError.invalidJSON("request body is not valid JSON: \(error.localizedDescription)")
    }
}

/// The path of the number in a well-formed JSON `body` that `T` cannot hold, found by putting
/// 0 in its place and decoding again; nil if the body is not JSON, is over 64 KiB, or no single
/// number is to blame. Only numbers no Int64 or UInt64 field could hold are suspects (fractions,
/// then magnitudes beyond Int64, then negatives), at most 8 of them: this runs only for a
/// refused request and must stay cheap.
private func unrepresentableNumber<T: Decodable>(in body: [UInt8], as type: T.Type) -> String? {
    guard body.count <= 64 << 10,
          let root = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    else { return nil }
    func rank(_ d: Double) -> Int? {
        if !d.isFinite || d != d.rounded() { return 0 }
        if abs(d) >= 9.2e18 { return 1 }
        return d < 0 ? 2 : nil  // a non-negative integer in range fits every integer field
    }
    var suspects: [(path: [JSONPathStep], rank: Int)] = []
    var visited = 0
    func collect(_ value: Any, _ path: [JSONPathStep]) {
        visited += 1
        guard visited <= 10_000 else { return }
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() { collect(object[key]!, path + [.key(key)]) }
        } else if let array = value as? [Any] {
            for (index, child) in array.enumerated() { collect(child, path + [.index(index)]) }
        } else if !(value is Bool), let number = value as? NSNumber, String(cString: number.objCType) != "c",  // "c": a boolean
                  let r = rank(number.doubleValue) {
            suspects.append((path, r))
        }
    }
    collect(root, [])
    func failsAsBefore(_ value: Any) -> Bool? {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) else { return nil }
        do {
            _ = try JSONDecoder().decode(T.self, from: data)
            return false
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            return true
        } catch {
            return false  // a different, later problem: the number was the first
        }
    }
    // The round trip through JSONSerialization must not change the verdict by itself.
    guard failsAsBefore(root) == true else { return nil }
    for suspect in suspects.sorted(by: { $0.rank < $1.rank }).prefix(8) {
        if failsAsBefore(replacing(suspect.path[...], in: root, with: 0)) == false { return render(suspect.path) }
    }
    return nil
}

private enum JSONPathStep {
    case key(String)
    case index(Int)
}

private func replacing(_ path: ArraySlice<JSONPathStep>, in value: Any, with replacement: Any) -> Any {
    guard let step = path.first else { return replacement }
    switch step {
    case .key(let key):
        guard var object = value as? [String: Any], let child = object[key] else { return value }
        object[key] = replacing(path.dropFirst(), in: child, with: replacement)
        return object
    case .index(let index):
        guard var array = value as? [Any], array.indices.contains(index) else { return value }
        array[index] = replacing(path.dropFirst(), in: array[index], with: replacement)
        return array
    }
}

/// `texts[2]`, `logit_bias.15`: the spelling `APIError.invalidField` uses.
private func render(_ path: [JSONPathStep]) -> String {
    var out = ""
    for step in path {
        switch step {
        case .key(let key): out += out.isEmpty ? key : "." + key
        case .index(let index): out += "[\(index)]"
        }
    }
    return out
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
