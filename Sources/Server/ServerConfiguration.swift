import Batching
import Foundation
import LMCore

/// Everything `lmserve serve` runs with: from a YAML config file, then overridden by flags.
///
/// Each setting is declared once in `ServerConfiguration.settings` (and `.modelSettings`): its key,
/// its flag and its help; the file reader and the `serve` flags are derived from those lists.
package struct ServerConfiguration: Sendable, Equatable {
    package struct Model: Sendable, Equatable {
        package var name: String
        /// The model file (`type: file`); empty for an ensemble.
        package var path: String
        package var tokenizer: Tokenizer?
        /// `file` (a model loaded from `path`) or `ensemble` (a mixture of other models).
        package var type: String = Model.file
        /// An ensemble's members: other configured models and their weights.
        package var members: [Member] = []
        package var batching: BatchingOverrides = BatchingOverrides()
        package var defaults: CompletionDefaults = CompletionDefaults()

        package static let file = "file"
        package static let ensemble = "ensemble"

        package init(name: String, path: String, tokenizer: Tokenizer? = nil) {
            self.name = name
            self.path = path
            self.tokenizer = tokenizer
        }

        /// An ensemble of `members`.
        package init(name: String, members: [Member], tokenizer: Tokenizer? = nil) {
            self.init(name: name, path: "", tokenizer: tokenizer)
            self.type = Model.ensemble
            self.members = members
        }

        package var isEnsemble: Bool { type == Model.ensemble }
    }

    /// One member of an ensemble: a configured model's name and its interpolation weight.
    package typealias Member = ModelMember

    /// Per-model batching knobs; unset ones fall back to the server-wide `batching`.
    package struct BatchingOverrides: Sendable, Equatable {
        package var maxBatchSize: Int?
        package var maxQueueDelayMicroseconds: Int?
        package var maxQueueSize: Int?
        package init() {}
    }

    /// Defaults for completion requests that leave a field out.
    package struct CompletionDefaults: Sendable, Equatable {
        package var maxTokens: Int = 16
        package var temperature: Double = 1
        package var topK: Int = 0
        package var topP: Double = 1
        package init() {}
    }

    /// Limits on what one request may ask for (HTTP 400/413 beyond them).
    package struct RequestLimits: Sendable, Equatable {
        package var maxBodyBytes = 8 << 20
        package var maxHeaderBytes = 16 << 10
        package var headerTimeoutMilliseconds = 10_000
        package var idleTimeoutMilliseconds = 60_000
        package var maxConnections = 4096
        /// Open connections one client address may hold (0 = no limit).
        package var maxConnectionsPerClient = 256
        package var tlsHandshakeTimeoutMilliseconds = 10_000
        /// 0 = unlimited.
        package var maxRequestsPerConnection = 0
        package var maxTokens = 1024
        package var maxChoices = 16
        package var maxLogprobs = 20
        package var maxTexts = 10_000
        /// Default per-request deadline inside the scheduler (0 = none); requests may set less.
        package var requestTimeoutMilliseconds = 60_000
        package init() {}
    }

    /// Rate limits per API key (per client address without keys) for keys that set none.
    package struct RateLimits: Sendable, Equatable {
        /// 0 = no request limit.
        package var requestsPerSecond: Double = 0
        /// Requests at once above the rate; 0 = the rate rounded up (at least 1).
        package var burst = 0
        /// Scored plus generated tokens per minute; 0 = no token limit.
        package var tokensPerMinute = 0
        package init() {}
    }

    package var host = "127.0.0.1"
    package var port = 8080
    package var models: [Model] = []
    /// Server-wide batching knobs. `workerCount` is the one thread count of the process: the
    /// scheduler's N-gram sentence scoring, the N-gram's next-token rows and OpenBLAS (which
    /// also sets how many parts the LSTM's small-batch kernel splits into) all use it.
    package var batching = BatchingConfiguration(
        maxBatchSize: 64, maxQueueDelayMicroseconds: 0, maxQueueSize: 1024,
        workerCount: max(1, ProcessInfo.processInfo.activeProcessorCount))
    package var limits = RequestLimits()
    package var rateLimits = RateLimits()
    /// SQLite request log; nil or empty turns the store off.
    package var database: String?
    package var logText = false
    /// "off", or "json": one JSON line per request on stdout (`JSONAccessLog`).
    package var accessLog = "off"
    /// Rows older than this are pruned (seconds; nil keeps everything).
    package var logRetentionSeconds: Double?
    package var metricsSampleIntervalSeconds: Double = 60
    package var tlsCertificate: String?
    package var tlsPrivateKey: String?
    package var logLevel = "info"
    package var drainTimeoutSeconds: Double = 10
    /// The API keys file (`lmserve keys`); set (non-empty), it turns authentication on.
    package var keysFile: String?
    /// `/metrics` without a key when authentication is on.
    package var publicMetrics = false
    /// `--watch`: seconds between polls of the model files (0 = off); a model whose file
    /// changed is reloaded.
    package var watchIntervalSeconds: Double = 0
    /// Directory of the config file, against which relative paths in it resolve.
    package var baseDirectory: String?

    package init() {}

    /// The batching knobs for one model: server-wide values with the model's overrides, and the
    /// scoring mode the loaded model prefers.
    package func batching(for model: Model, describedAs description: ModelDescription) -> BatchingConfiguration {
        var b = batching(for: model)
        b.scoringMode = description.prefersWholeSentenceScoring ? .wholeSentence : .stepwise
        return b
    }

    /// The batching knobs for one model before it is loaded (stepwise scoring).
    package func batching(for model: Model) -> BatchingConfiguration {
        var b = batching
        if let v = model.batching.maxBatchSize { b.maxBatchSize = v }
        if let v = model.batching.maxQueueDelayMicroseconds { b.maxQueueDelayMicroseconds = v }
        if let v = model.batching.maxQueueSize { b.maxQueueSize = v }
        b.scoringMode = .stepwise
        return b
    }

    /// Checks the whole configuration; returns every problem found, one message each.
    package func validate() -> [String] {
        var problems: [String] = []
        if models.isEmpty { problems.append("no models: give --model NAME=PATH or a `models:` list in the config file") }
        var seen = Set<String>()
        for m in models {
            if !seen.insert(m.name).inserted { problems.append("model name '\(m.name)' appears twice") }
        }
        problems += ensembleProblems()
        if let e = batching.validationError() { problems.append(e) }
        if !(0...65535).contains(port) { problems.append("port must be 0–65535 (got \(port))") }
        if limits.maxBodyBytes < 4 << 20 { problems.append("max_body_bytes must be at least 4 MiB so a 4 MiB text fits") }
        if limits.maxTokens < 1 { problems.append("max_tokens limit must be at least 1") }
        if limits.maxChoices < 1 { problems.append("max_n must be at least 1") }
        if !(drainTimeoutSeconds >= 0 && drainTimeoutSeconds <= 86_400) { problems.append("drain_timeout_s must be between 0 and 86400") }
        if !(watchIntervalSeconds >= 0 && watchIntervalSeconds <= 86_400) { problems.append("watch_interval_s must be between 0 and 86400") }
        if !(metricsSampleIntervalSeconds >= 0 && metricsSampleIntervalSeconds.isFinite) {
            problems.append("metrics_sample_interval_s must be a non-negative number")
        }
        for m in models { problems += validate(model: m).map { "model '\(m.name)': \($0)" } }
        if !(rateLimits.requestsPerSecond >= 0 && rateLimits.requestsPerSecond.isFinite) || rateLimits.burst < 0 || rateLimits.tokensPerMinute < 0 {
            problems.append("rate_limits.requests_per_second, burst and tokens_per_minute must not be negative (0 = off)")
        }
        if logText && !authenticates && !Self.isLoopback(host) {
            problems.append(
                "--log-text (telemetry.log_text) on \(host) needs API keys: without them anyone who can connect could "
                    + "read every prompt; create one with `lmserve keys add NAME --scopes admin --keys-file FILE` and "
                    + "start with --keys-file FILE, or listen on 127.0.0.1")
        }
        if (tlsCertificate == nil) != (tlsPrivateKey == nil) { problems.append("TLS needs both tls_cert and tls_key") }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            problems.append("log_level must be one of trace, debug, info, notice, warning, error, critical")
        }
        return problems
    }

    /// Whether a keys file is configured (authentication on).
    package var authenticates: Bool { !(keysFile ?? "").isEmpty }

    /// The problems of one model's settings under this configuration's limits (`POST
    /// /admin/models` checks a new model with it): each message starts with the key at fault.
    package func validate(model m: Model) -> [String] {
        var problems: [String] = []
        if m.name.isEmpty || m.name.contains("/") { problems.append("name must be non-empty and contain no '/'") }
        if let e = batching(for: m).validationError() { problems.append("batching.\(e)") }
        let d = m.defaults
        if d.maxTokens < 0 || d.maxTokens > limits.maxTokens { problems.append("defaults.max_tokens must be 0–\(limits.maxTokens)") }
        if !(d.temperature >= 0 && d.temperature <= 10) { problems.append("defaults.temperature must be 0–10") }
        if d.topK < 0 { problems.append("defaults.top_k must not be negative") }
        if !(d.topP > 0 && d.topP <= 1) { problems.append("defaults.top_p must be in (0, 1]") }
        return problems
    }

    /// Resolves `path` against the config file's directory when it is relative.
    package func resolve(_ path: String) -> String {
        guard let base = baseDirectory, !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }
}
