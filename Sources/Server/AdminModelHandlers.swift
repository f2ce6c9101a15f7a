import Foundation
import HTTP
import LMCore

/// `POST /admin/models`, `DELETE /admin/models/{id}`, `POST /admin/models/{id}/reload`: load,
/// unload and reload models while the server runs. Each answers 202 with the model as
/// `GET /v1/models/{id}` shows it; the change then proceeds in the background.
struct AdminModelHandlers: Sendable {
    let lifecycle: ModelLifecycle

    func load(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try decodeBody(ModelLoadRequest.self, from: request)
        var spec = ServerConfiguration.Model(name: body.name, path: "")
        try apply(path: body.path, tokenizer: body.tokenizer, batching: body.batching, defaults: body.defaults, to: &spec)
        try lifecycle.add(spec, configured: false)
        return accepted(spec.name)
    }

    func unload(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = request.pathParameters["id"] ?? ""
        try lifecycle.unload(name)
        return accepted(name)
    }

    /// Same settings by default; fields given replace the serving version's.
    func reload(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = request.pathParameters["id"] ?? ""
        var spec = try lifecycle.spec(of: name)
        let body = request.body.isEmpty ? ModelReloadRequest() : try decodeBody(ModelReloadRequest.self, from: request)
        try apply(path: body.path, tokenizer: body.tokenizer, batching: body.batching, defaults: body.defaults, to: &spec)
        try lifecycle.reload(spec)
        return accepted(name)
    }

    private func accepted(_ name: String) -> HTTPResponse {
        var response: HTTPResponse
        if let entry = lifecycle.registry.entry(named: name) {
            response = .json(ModelInfo(name: name, entry: entry), status: .accepted)
        } else {
            // Unloaded already (nothing was in flight).
            response = .json(["id": name, "object": "model", "state": "unloaded"], status: .accepted)
        }
        response.headers.replaceOrAdd(name: "Location", value: "/v1/models/\(name)")
        return response
    }

    private func apply(
        path: String?, tokenizer: String?, batching: ModelBatching?, defaults: ModelDefaults?, to spec: inout ServerConfiguration.Model
    ) throws {
        if let path {
            guard !path.isEmpty else { throw APIError.invalidField(field: "path", message: "must not be empty") }
            spec.path = lifecycle.currentConfiguration.resolve(path)
        }
        if let tokenizer {
            // A SentencePiece file is read now: the same checks as a model file first (never a
            // device such as /dev/zero).
            let prefix = "sentencepiece:"
            if tokenizer.hasPrefix(prefix) {
                var file = String(tokenizer.dropFirst(prefix.count))
                if !file.hasPrefix("/"), let base = lifecycle.currentConfiguration.baseDirectory {
                    file = URL(fileURLWithPath: base).appendingPathComponent(file).path
                }
                do { _ = try ModelFileStamp(path: file) } catch let e as ModelFileError {
                    throw APIError.unloadableFile(field: "tokenizer", message: "\(e.reason): \(e.path)")
                }
            }
            do { spec.tokenizer = try TokenizerSpec.load(tokenizer, relativeTo: lifecycle.currentConfiguration.baseDirectory) } catch {
                throw APIError.invalidField(field: "tokenizer", message: "\(error)")
            }
        }
        if let b = batching {
            if let v = b.maxBatchSize { spec.batching.maxBatchSize = v }
            if let v = b.maxQueueDelayUs { spec.batching.maxQueueDelayMicroseconds = v }
            if let v = b.maxQueueSize { spec.batching.maxQueueSize = v }
        }
        if let d = defaults {
            if let v = d.maxTokens { spec.defaults.maxTokens = v }
            if let v = d.temperature { spec.defaults.temperature = v }
            if let v = d.topK { spec.defaults.topK = v }
            if let v = d.topP { spec.defaults.topP = v }
        }
    }
}

/// `POST /admin/models`: the keys of one `models:` entry of the config file.
struct ModelLoadRequest: Decodable {
    var name: String
    var path: String
    var tokenizer: String?
    var batching: ModelBatching?
    var defaults: ModelDefaults?
}

/// `POST /admin/models/{id}/reload`: what changes (nothing: the same file, read again).
struct ModelReloadRequest: Decodable {
    var path: String?
    var tokenizer: String?
    var batching: ModelBatching?
    var defaults: ModelDefaults?
}

struct ModelBatching: Decodable {
    var maxBatchSize: Int?
    var maxQueueDelayUs: Int?
    var maxQueueSize: Int?
    enum CodingKeys: String, CodingKey {
        case maxBatchSize = "max_batch_size", maxQueueDelayUs = "max_queue_delay_us", maxQueueSize = "max_queue_size"
    }
}

struct ModelDefaults: Decodable {
    var maxTokens: Int?
    var temperature: Double?
    var topK: Int?
    var topP: Double?
    enum CodingKeys: String, CodingKey {
        case maxTokens = "max_tokens", temperature, topK = "top_k", topP = "top_p"
    }
}
