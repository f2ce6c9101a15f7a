import Foundation
import LMCore
import Telemetry
import Yams

/// A config file that could not be used, with the key or line at fault.
package struct ConfigurationError: Error, CustomStringConvertible {
    package var file: String
    package var message: String
    package var description: String { "\(file): \(message)" }
}

extension ServerConfiguration {
    /// Reads a YAML config file. Unknown keys and wrongly typed values are errors naming the key.
    ///
    /// - Throws: `ConfigurationError`.
    package static func load(file: String) throws -> ServerConfiguration {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigurationError(file: file, message: "cannot read: \(error.localizedDescription)")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(file: file, message: "not valid YAML: \(error)")
        }
        var config = ServerConfiguration()
        config.baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        guard let root else { return config }
        var reader = try KeyReader(file: file, path: "", value: root)
        try reader.apply(to: &config)
        return config
    }
}

/// Walks one YAML mapping, taking known keys and rejecting the rest.
private struct KeyReader {
    let file: String
    let path: String
    let map: [String: Any]

    init(file: String, path: String, value: Any) throws {
        self.file = file
        self.path = path
        guard let map = value as? [String: Any] else {
            throw ConfigurationError(file: file, message: "\(path.isEmpty ? "the top level" : "'\(path)'") must be a mapping")
        }
        self.map = map
    }

    func fail(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, message: "'\(path.isEmpty ? key : path + "." + key)' \(message)")
    }

    func checkKeys(_ known: Set<String>) throws {
        for key in map.keys.sorted() where !known.contains(key) {
            throw ConfigurationError(
                file: file,
                message: "unknown key '\(path.isEmpty ? key : path + "." + key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws -> String? {
        guard let v = map[key] else { return nil }
        if v is NSNull { return nil }
        if let s = v as? String { return s }
        if let i = v as? Int { return String(i) }
        throw fail(key, "must be a string")
    }

    func int(_ key: String) throws -> Int? {
        guard let v = map[key] else { return nil }
        if let i = v as? Int { return i }
        throw fail(key, "must be a whole number")
    }

    func double(_ key: String) throws -> Double? {
        guard let v = map[key] else { return nil }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        throw fail(key, "must be a number")
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = map[key] else { return nil }
        if let b = v as? Bool { return b }
        throw fail(key, "must be true or false")
    }

    func child(_ key: String) throws -> KeyReader? {
        guard let v = map[key] else { return nil }
        return try KeyReader(file: file, path: path.isEmpty ? key : path + "." + key, value: v)
    }

    mutating func apply(to c: inout ServerConfiguration) throws {
        try checkKeys(["host", "port", "models", "batching", "limits", "telemetry", "tls", "log_level", "drain_timeout_s"])
        if let v = try string("host") { c.host = v }
        if let v = try int("port") { c.port = v }
        if let v = try string("log_level") { c.logLevel = v }
        if let v = try double("drain_timeout_s") { c.drainTimeoutSeconds = v }
        if let b = try child("batching") {
            try b.checkKeys(["max_batch_size", "max_queue_delay_us", "max_queue_size", "scoring_chunk_size", "workers"])
            if let v = try b.int("max_batch_size") { c.batching.maxBatchSize = v }
            if let v = try b.int("max_queue_delay_us") { c.batching.maxQueueDelayMicroseconds = v }
            if let v = try b.int("max_queue_size") { c.batching.maxQueueSize = v }
            if let v = try b.int("scoring_chunk_size") { c.batching.scoringChunkSize = v }
            if let v = try b.int("workers") { c.batching.workerCount = v }
        }
        if let l = try child("limits") {
            try l.checkKeys([
                "max_body_bytes", "max_header_bytes", "header_timeout_ms", "idle_timeout_ms", "max_connections",
                "max_requests_per_connection", "max_tokens", "max_n", "max_logprobs", "max_texts", "request_timeout_ms",
            ])
            if let v = try l.int("max_body_bytes") { c.limits.maxBodyBytes = v }
            if let v = try l.int("max_header_bytes") { c.limits.maxHeaderBytes = v }
            if let v = try l.int("header_timeout_ms") { c.limits.headerTimeoutMilliseconds = v }
            if let v = try l.int("idle_timeout_ms") { c.limits.idleTimeoutMilliseconds = v }
            if let v = try l.int("max_connections") { c.limits.maxConnections = v }
            if let v = try l.int("max_requests_per_connection") { c.limits.maxRequestsPerConnection = v }
            if let v = try l.int("max_tokens") { c.limits.maxTokens = v }
            if let v = try l.int("max_n") { c.limits.maxChoices = v }
            if let v = try l.int("max_logprobs") { c.limits.maxLogprobs = v }
            if let v = try l.int("max_texts") { c.limits.maxTexts = v }
            if let v = try l.int("request_timeout_ms") { c.limits.requestTimeoutMilliseconds = v }
        }
        if let t = try child("telemetry") {
            try t.checkKeys(["db", "log_text", "log_retention", "metrics_sample_interval_s"])
            if let v = try t.string("db") { c.database = v.isEmpty ? "" : c.resolve(v) }
            if let v = try t.bool("log_text") { c.logText = v }
            if let v = try t.string("log_retention") {
                do { c.logRetentionSeconds = try DurationParser.seconds(v) } catch {
                    throw t.fail("log_retention", "must be a duration like 7d, 12h, 30m or 45s (\(error))")
                }
            }
            if let v = try t.double("metrics_sample_interval_s") { c.metricsSampleIntervalSeconds = v }
        }
        if let t = try child("tls") {
            try t.checkKeys(["cert", "key"])
            c.tlsCertificate = try t.string("cert").map(c.resolve)
            c.tlsPrivateKey = try t.string("key").map(c.resolve)
        }
        if let models = map["models"] {
            guard let list = models as? [Any] else { throw fail("models", "must be a list") }
            for (i, item) in list.enumerated() {
                let m = try KeyReader(file: file, path: "models[\(i)]", value: item)
                try m.checkKeys(["name", "path", "tokenizer", "batching", "defaults"])
                guard let name = try m.string("name") else { throw m.fail("name", "is required") }
                guard let path = try m.string("path") else { throw m.fail("path", "is required") }
                var model = ServerConfiguration.Model(name: name, path: c.resolve(path))
                if let t = try m.string("tokenizer") {
                    guard let tok = Tokenizer(rawValue: t) else { throw m.fail("tokenizer", "must be whitespace or basic") }
                    model.tokenizer = tok
                }
                if let b = try m.child("batching") {
                    try b.checkKeys(["max_batch_size", "max_queue_delay_us", "max_queue_size"])
                    model.batching.maxBatchSize = try b.int("max_batch_size")
                    model.batching.maxQueueDelayMicroseconds = try b.int("max_queue_delay_us")
                    model.batching.maxQueueSize = try b.int("max_queue_size")
                }
                if let d = try m.child("defaults") {
                    try d.checkKeys(["max_tokens", "temperature", "top_k", "top_p"])
                    if let v = try d.int("max_tokens") { model.defaults.maxTokens = v }
                    if let v = try d.double("temperature") { model.defaults.temperature = v }
                    if let v = try d.int("top_k") { model.defaults.topK = v }
                    if let v = try d.double("top_p") { model.defaults.topP = v }
                }
                c.models.append(model)
            }
        }
    }
}

extension ServerConfiguration {
    /// Parses a retention such as `7d`.
    ///
    /// - Throws: `ConfigurationError` with the parser's message.
    package static func parseRetention(_ text: String) throws -> Double {
        do { return try DurationParser.seconds(text) } catch {
            throw ConfigurationError(file: "--log-retention", message: "\(error)")
        }
    }
}
