import ArgumentParser
import Foundation
import HTTP
import LMCore
import Logging
import Server

/// `lmserve serve`: parses flags into a `ServerConfiguration` and runs `LMServer`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over HTTP: perplexity, completions, models, health, metrics, a web console at /.",
        discussion: """
            Models come from a YAML config file (--config) and/or --model flags. Every server-wide \
            config key has a flag, and flags win over the file; a model's own `batching` and \
            `defaults` in the file still apply to that model. SIGTERM or SIGINT drains in-flight \
            requests, then exits 0.
            """)

    @Option(help: "YAML configuration file (see README).")
    var config: String?

    @Option(name: .customLong("model"), help: "A model to serve, NAME=PATH or NAME=PATH,tokenizer=basic (repeatable).")
    var models: [String] = []

    @Option(help: "Address to listen on (127.0.0.1, 0.0.0.0, ::1, ::).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one.") var port: Int?
    @Option(help: "Most sequences in one batched step, per model.") var maxBatchSize: Int?
    @Option(name: .customLong("max-queue-delay-us"), help: "How long a request reaching an idle engine waits for company (µs).")
    var maxQueueDelayUs: Int?
    @Option(help: "Most requests waiting per model before 503 (0 = no limit).") var maxQueueSize: Int?
    @Option(help: "Tokens a scored sentence consumes per batched step (LSTM).") var scoringChunkSize: Int?
    @Option(help: "Threads that score sentences for N-gram models.") var workers: Int?
    @Option(help: "Default per-request deadline in ms (0 = none).") var requestTimeoutMs: Int?
    @Option(help: "Largest request body in bytes (at least 4 MiB).") var maxBodyBytes: Int?
    @Option(help: "Largest request line plus headers in bytes.") var maxHeaderBytes: Int?
    @Option(help: "Time allowed to send the request head, in ms (then 408).") var headerTimeoutMs: Int?
    @Option(help: "Idle keep-alive timeout in ms.") var idleTimeoutMs: Int?
    @Option(help: "Most open connections.") var maxConnections: Int?
    @Option(help: "Most requests on one connection (0 = unlimited).") var maxRequestsPerConnection: Int?
    @Option(help: "Largest max_tokens a completion may ask for.") var maxTokens: Int?
    @Option(name: .customLong("max-n"), help: "Largest n (choices per prompt).") var maxN: Int?
    @Option(help: "Largest logprobs (alternatives per token) a completion may ask for.") var maxLogprobs: Int?
    @Option(help: "Most texts in one perplexity request.") var maxTexts: Int?
    @Option(help: "SQLite request log file; '' turns the store off (default: lmserve.db next to the config, or in the current directory).")
    var db: String?
    @Flag(inversion: .prefixedNo, help: "Store prompt and output text in the request log (default: the config's, else off).")
    var logText: Bool?
    @Option(help: "Prune log rows older than this (e.g. 7d, 12h).") var logRetention: String?
    @Option(help: "Seconds between metric snapshots stored in the log (0 = none).") var metricsInterval: Double?
    @Option(help: "TLS certificate chain (PEM).") var tlsCert: String?
    @Option(help: "TLS private key (PEM).") var tlsKey: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(help: "Seconds in-flight requests get to finish on shutdown.") var drainTimeout: Double?

    func run() async throws {
        let settings = try makeConfiguration()
        var logger = Logger(label: "lmserve")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let server: LMServer
        do { server = try LMServer(configuration: settings, logger: logger) } catch {
            throw ValidationError("\(error)")
        }
        let log = logger
        let signals = SignalHandling(signals: [SIGTERM, SIGINT]) { _ in
            // A second signal while draining changes nothing; shutdown is idempotent.
            log.info("shutting down: draining in-flight requests")
            Task { await server.shutdown() }
        }
        do {
            let port = try await server.start()
            logger.info("ready", metadata: ["port": "\(port)", "models": "\(settings.models.map(\.name).joined(separator: ","))"])
        } catch {
            FileHandle.standardError.write(Data("lmserve: \(error)\n".utf8))
            throw ExitCode(1)
        }
        await server.waitUntilStopped()
        await server.shutdown()  // waits for the drain and the last log rows
        withExtendedLifetime(signals) {}
        logger.info("stopped")
    }

    func makeConfiguration() throws -> ServerConfiguration {
        var c: ServerConfiguration
        if let config {
            do { c = try ServerConfiguration.load(file: config) } catch { throw ValidationError("\(error)") }
            if c.database == nil { c.database = c.resolve("lmserve.db") }
        } else {
            c = ServerConfiguration()
            c.database = "lmserve.db"
        }
        for spec in models { c.models.append(try Self.parseModel(spec)) }
        if let host { c.host = host }
        if let port { c.port = port }
        if let maxBatchSize { c.batching.maxBatchSize = maxBatchSize }
        if let maxQueueDelayUs { c.batching.maxQueueDelayMicroseconds = maxQueueDelayUs }
        if let maxQueueSize { c.batching.maxQueueSize = maxQueueSize }
        if let scoringChunkSize { c.batching.scoringChunkSize = scoringChunkSize }
        if let workers { c.batching.workerCount = workers }
        if let requestTimeoutMs { c.limits.requestTimeoutMilliseconds = requestTimeoutMs }
        if let maxBodyBytes { c.limits.maxBodyBytes = maxBodyBytes }
        if let maxHeaderBytes { c.limits.maxHeaderBytes = maxHeaderBytes }
        if let headerTimeoutMs { c.limits.headerTimeoutMilliseconds = headerTimeoutMs }
        if let idleTimeoutMs { c.limits.idleTimeoutMilliseconds = idleTimeoutMs }
        if let maxConnections { c.limits.maxConnections = maxConnections }
        if let maxRequestsPerConnection { c.limits.maxRequestsPerConnection = maxRequestsPerConnection }
        if let maxTokens { c.limits.maxTokens = maxTokens }
        if let maxN { c.limits.maxChoices = maxN }
        if let maxLogprobs { c.limits.maxLogprobs = maxLogprobs }
        if let maxTexts { c.limits.maxTexts = maxTexts }
        if let db { c.database = db }
        if let logText { c.logText = logText }
        if let logRetention { c.logRetentionSeconds = try ServerConfiguration.parseRetention(logRetention) }
        if let metricsInterval { c.metricsSampleIntervalSeconds = metricsInterval }
        if let tlsCert { c.tlsCertificate = tlsCert }
        if let tlsKey { c.tlsPrivateKey = tlsKey }
        if let logLevel { c.logLevel = logLevel }
        if let drainTimeout { c.drainTimeoutSeconds = drainTimeout }
        let problems = c.validate()
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return c
    }

    /// `NAME=PATH` or `NAME=PATH,tokenizer=basic`.
    static func parseModel(_ spec: String) throws -> ServerConfiguration.Model {
        guard let eq = spec.firstIndex(of: "=") else {
            throw ValidationError("--model takes NAME=PATH (got '\(spec)')")
        }
        let name = String(spec[..<eq])
        var path = String(spec[spec.index(after: eq)...])
        var tokenizer: Tokenizer?
        if let comma = path.range(of: ",tokenizer=") {
            let value = String(path[comma.upperBound...])
            guard let t = Tokenizer(rawValue: value) else {
                throw ValidationError("--model \(name): tokenizer must be whitespace or basic (got '\(value)')")
            }
            tokenizer = t
            path = String(path[..<comma.lowerBound])
        }
        guard !name.isEmpty, !path.isEmpty else { throw ValidationError("--model takes NAME=PATH (got '\(spec)')") }
        return ServerConfiguration.Model(name: name, path: path, tokenizer: tokenizer)
    }
}
