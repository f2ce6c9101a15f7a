import Batching
import BuildInfo
import Foundation
import HTTP
import LSTM
import Logging
import Synchronization
import Telemetry

/// The daemon: loads the configured models, serves the REST API, records telemetry, and shuts
/// down gracefully.
package final class LMServer: Sendable {
    package let configuration: ServerConfiguration
    package let registry = ModelRegistry()
    let lifecycle: ModelLifecycle
    /// The request limits, live: SIGHUP replaces them.
    let limits: LiveLimits
    /// `--watch`: the loop polling model files.
    let watcher = Mutex<Task<Void, Never>?>(nil)
    package let metrics: ServerMetrics
    let requestLog: SQLiteRequestLog?
    /// `--access-log json`: one JSON line per request on stdout.
    let accessLog: JSONAccessLog?
    let sampler: MetricSampler?
    let http: HTTPServer
    let logger: Logger
    private let shutdownTask = Mutex<Task<Void, Never>?>(nil)
    /// Set when the drain deadline passes: requests cut off from then on are logged as 503.
    let drainDeadlinePassed = DrainDeadline()

    /// Validates the configuration and opens the request log; loads nothing yet. Rate-limit
    /// buckets refill on `rateLimitClock` (tests pass a manual one).
    ///
    /// - Throws: `ConfigurationError` listing every problem, the log's `RequestLogError`, or
    ///   `KeysFileError` when the keys file cannot be read.
    package init(configuration: ServerConfiguration, logger: Logger, rateLimitClock: any SchedulerClock = SystemSchedulerClock()) throws {
        let problems = configuration.validate()
        guard problems.isEmpty else {
            throw ConfigurationError(file: "configuration", message: problems.joined(separator: "; "))
        }
        self.configuration = configuration
        self.logger = logger
        let metrics = ServerMetrics()
        metrics.setBuildInfo(version: BuildInfo.version, commit: BuildInfo.commit, blasCore: BLASLibrary.coreName)
        metrics.setModelsConfigured(configuration.models.count)
        metrics.setReady(false)
        self.metrics = metrics
        if let path = configuration.database, !path.isEmpty {
            let log = try SQLiteRequestLog(
                path: path, configuration: .init(retention: configuration.logRetentionSeconds), metrics: metrics, logger: logger)
            requestLog = log
            sampler = configuration.metricsSampleIntervalSeconds > 0
                ? MetricSampler(metrics: metrics, log: log, interval: configuration.metricsSampleIntervalSeconds) : nil
        } else {
            requestLog = nil
            sampler = nil
        }
        accessLog = configuration.accessLog == "json" ? JSONAccessLog() : nil
        // Where each finished request's record goes: the SQLite log and/or the access log.
        let sinks: [any RequestLogSink] = [requestLog as (any RequestLogSink)?, accessLog].compactMap { $0 }
        let log: (any RequestLogSink)? = sinks.isEmpty ? nil : sinks.count == 1 ? sinks[0] : TeeRequestLogSink(sinks)
        let limits = LiveLimits(configuration.limits)
        self.limits = limits
        lifecycle = ModelLifecycle(configuration: configuration, registry: registry, metrics: metrics, events: requestLog, logger: logger)
        var router = Router()
        router.addAPIRoutes(
            perplexity: PerplexityHandler(registry: registry, liveLimits: limits),
            completions: CompletionsHandler(registry: registry, liveLimits: limits),
            info: InfoHandlers(registry: registry, metrics: metrics, databasePath: requestLog?.path))
        router.addAdminModelRoutes(AdminModelHandlers(lifecycle: lifecycle))
        router.addConsoleRoutes(ConsoleHandlers(registry: registry, live: metrics.live))
        let keys = try configuration.keysFile.flatMap { $0.isEmpty ? nil : try KeyStore(path: $0, logger: logger) }
        let renderError = InstrumentedResponder.tracing(ErrorResponses.render)
        let responder = InstrumentedResponder(
            router: router.freeze(renderingErrorsWith: renderError),
            access: AccessPolicy(keys: keys, publicMetrics: configuration.publicMetrics, host: configuration.host),
            limiter: RateLimiter(defaults: configuration.rateLimits, clock: rateLimitClock), metrics: metrics,
            log: log, logText: configuration.logText, renderError: renderError, drainDeadline: drainDeadlinePassed)
        var httpConfiguration = configuration.httpConfiguration
        httpConfiguration.renderError = ErrorResponses.render
        httpConfiguration.onEvent = { event in
            Self.record(event, metrics: metrics, log: log)
        }
        http = HTTPServer(configuration: httpConfiguration, responder: responder, logger: logger)
    }

    /// Starts listening (so `/health` answers at once), then loads every model; `/ready`
    /// turns 200 when all have loaded. Returns the bound port.
    ///
    /// - Throws: the listener's error, or `ModelLoadError` for the first model that fails (the
    ///   server is then stopped again).
    @discardableResult
    package func start() async throws -> Int {
        try await http.start()
        logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(http.boundPort)"])
        sampler?.start()
        do { try await lifecycle.loadConfigured() } catch {
            await shutdown()
            throw error
        }
        watch(every: configuration.watchIntervalSeconds)
        return http.boundPort
    }

    package var port: Int { http.boundPort }

    /// Requests the HTTP layer answered by itself (400, 408, 413, 431, 503 at capacity or over the
    /// per-client connection limit) leave a log row and count as rejections, like every other
    /// request.
    static func record(_ event: HTTPServerEvent, metrics: ServerMetrics, log: (any RequestLogSink)?) {
        switch event {
        case .rejected(let status, let reason, let address, let requestID):
            metrics.recordRejection(reason: "http_\(status.code)")
            metrics.recordRequest(route: "other", model: "", status: status.code, durationSeconds: 0)
            log?.record(
                RequestRecord(
                    requestID: requestID, time: Date().timeIntervalSince1970, route: "other", status: status.code,
                    errorType: reason, clientAddress: address, latencyMs: 0))
        case .overCapacity:
            metrics.recordRejection(reason: "connections")
        case .clientOverLimit:
            metrics.recordRejection(reason: "client_connections")
        case .connectionOpened, .connectionClosed, .idleClosedForRoom:
            break
        }
    }

    /// Stops accepting, lets in-flight requests finish (up to the drain timeout), stops the
    /// schedulers, and writes every queued log row. Every caller waits for the one shutdown.
    package func shutdown() async {
        let task: Task<Void, Never> = shutdownTask.withLock { existing in
            if let existing { return existing }
            let t = Task { [self] in
                watch(every: 0)
                // Not ready from the drain's start (health stays 200 until exit). At the deadline
                // the schedulers fail what still runs, so each request answers for itself (a
                // stream with an error event) before its connection closes: those of versions
                // being retired (replaced or unloaded) too.
                await http.shutdown(
                    drainDeadline: .milliseconds(Int(lifecycle.currentConfiguration.drainTimeoutSeconds * 1000)),
                    drainBegan: {
                        registry.isDraining = true
                        metrics.setReady(false)
                    },
                    deadlinePassed: {
                        drainDeadlinePassed.pass()
                        for model in registry.all + lifecycle.retiring { model.engine.cutOff() }
                    })
                await lifecycle.settle()
                for model in registry.all { await model.engine.shutdown() }
                sampler?.stop()
                sampler?.sampleNow()
                requestLog?.close()
                accessLog?.flush()
            }
            existing = t
            return t
        }
        await task.value
    }

    /// Waits until the HTTP server has stopped.
    package func waitUntilStopped() async { await http.waitUntilStopped() }
}
