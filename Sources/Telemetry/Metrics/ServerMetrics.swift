import Foundation
import Prometheus
import Synchronization

/// Every metric LMServe exposes, in one place: swift-prometheus handles, each family with its
/// help text, over a registry that `render()` writes as Prometheus text format 0.0.4.
///
/// Each instance has its own registry, so tests can make independent ones.
/// Labels are kept low-cardinality: route template, model name, status class.
// @unchecked: every stored property is immutable and thread-safe (Prometheus handles, locked caches).
package final class ServerMetrics: @unchecked Sendable {
    /// The `Content-Type` of `render()`.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Duration buckets, seconds: 100 µs (sub-ms scoring) to 10 s (long completions).
    package static let durationBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// Batch size buckets (powers of two up to the largest batch).
    package static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    /// Token kinds for `lmserve_tokens_total{kind}`.
    package enum TokenKind: String, Sendable, CaseIterable {
        case prompt, completion, scored
    }

    package let registry: PrometheusCollectorRegistry
    /// The last minutes second by second, for the web console (fed by the calls below).
    package let live: LiveStats
    private let requests: MetricHandleCache<Prometheus.Counter>
    private let requestDurations: MetricHandleCache<DurationHistogram>
    private let queueWaits: MetricHandleCache<DurationHistogram>
    private let computeDurations: MetricHandleCache<DurationHistogram>
    private let firstTokenDurations: MetricHandleCache<DurationHistogram>
    private let batchSizes: MetricHandleCache<ValueHistogram>
    private let queueDepths: MetricHandleCache<Prometheus.Gauge>
    private let tokens: MetricHandleCache<Prometheus.Counter>
    private let rejections: MetricHandleCache<Prometheus.Counter>
    private let keyRequests: MetricHandleCache<Prometheus.Counter>
    private let rateLimited: MetricHandleCache<Prometheus.Counter>
    private let inflight: Prometheus.Gauge
    private let rowsWritten: Prometheus.Counter
    private let rowsDropped: Prometheus.Counter
    private let logWriteRetries: Prometheus.Counter
    private let modelsConfigured: Prometheus.Gauge
    private let ready: Prometheus.Gauge
    /// Each served model's `lmserve_model_info` series, replaced when its version changes.
    private let modelInfo = Mutex<[String: Prometheus.Gauge]>([:])

    /// Creates the metrics over `registry` (a fresh one by default).
    ///
    /// Handles are made through the registry itself, not swift-metrics' factory, because only
    /// the registry takes a family's help text (`# HELP`, which Prometheus' conventions and
    /// `promtool check metrics` require); the factory always registers an empty one.
    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), live: LiveStats = LiveStats()) {
        self.registry = registry
        self.live = live
        let durationBuckets = Self.durationBuckets.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        func labels(_ names: [String], _ values: [String]) -> [(String, String)] { Array(zip(names, values)) }
        func counters(_ name: String, _ names: [String], _ help: String) -> MetricHandleCache<Prometheus.Counter> {
            MetricHandleCache { registry.makeCounter(descriptor: described(name, help), labels: labels(names, $0)) }
        }
        func durations(_ name: String, _ names: [String], _ help: String) -> MetricHandleCache<DurationHistogram> {
            MetricHandleCache {
                registry.makeDurationHistogram(descriptor: described(name, help), labels: labels(names, $0), buckets: durationBuckets)
            }
        }
        requests = counters("lmserve_requests_total", ["route", "model", "status"], "Requests answered, by route template, model and status class.")
        requestDurations = durations(
            "lmserve_request_duration_seconds", ["route", "model"], "Time from a request's head to its last response byte, in seconds.")
        queueWaits = durations("lmserve_queue_duration_seconds", ["model"], "Time a request waited to join a batch, in seconds.")
        computeDurations = durations("lmserve_compute_duration_seconds", ["model"], "Time one batched step computed, in seconds.")
        firstTokenDurations = durations(
            "lmserve_time_to_first_token_seconds", ["model"], "Time from a completion's arrival to its first token, in seconds.")
        batchSizes = MetricHandleCache {
            registry.makeValueHistogram(
                descriptor: described("lmserve_batch_size", "Sequences in each batch the scheduler formed."),
                labels: labels(["model"], $0), buckets: Self.batchSizeBuckets)
        }
        queueDepths = MetricHandleCache {
            registry.makeGauge(
                descriptor: described("lmserve_queue_depth", "Requests waiting to join a batch now."), labels: labels(["model"], $0))
        }
        tokens = counters("lmserve_tokens_total", ["model", "kind"], "Tokens processed, by kind: prompt, completion or scored.")
        rejections = counters(
            "lmserve_rejected_requests_total", ["reason"], "Requests refused before running, by reason (queue_full, http_413, ...).")
        keyRequests = counters(
            "lmserve_key_requests_total", ["key"], "Requests that presented a valid API key, by the key's name.")
        rateLimited = counters(
            "lmserve_rate_limited_total", ["key", "limit"],
            "Requests refused with 429, by API key name ('anonymous' without keys) and limit (requests or tokens).")
        // Created up front so they are exposed (at 0) before anything happens.
        inflight = registry.makeGauge(descriptor: described("lmserve_inflight_requests", "Requests being handled now."))
        rowsWritten = registry.makeCounter(descriptor: described("lmserve_log_rows_written_total", "Request-log rows committed to SQLite."))
        rowsDropped = registry.makeCounter(descriptor: described("lmserve_log_rows_dropped_total", "Request-log rows dropped because the writer's queue was full or a write failed."))
        logWriteRetries = registry.makeCounter(
            descriptor: described(
                "lmserve_log_write_retries_total", "Request-log batches retried because another connection held the database locked."))
        modelsConfigured = registry.makeGauge(descriptor: described("lmserve_models_configured", "Models the configuration names."))
        ready = registry.makeGauge(descriptor: described("lmserve_ready", "1 once every configured model has loaded (/ready answers 200), else 0."))
    }

    /// "2xx", "4xx", "5xx" … for an HTTP status code.
    package static func statusClass(_ status: Int) -> String {
        (100...599).contains(status) ? "\(status / 100)xx" : "other"
    }

    // MARK: Requests

    /// A finished request: `lmserve_requests_total{route,model,status}` and
    /// `lmserve_request_duration_seconds{route,model}`.
    package func recordRequest(route: String, model: String, status: Int, durationSeconds: Double) {
        requests.handle([route, model, Self.statusClass(status)]).increment()
        requestDurations.handle([route, model]).record(seconds: durationSeconds)
        live.recordRequest(status: status, model: model, seconds: durationSeconds)
    }

    /// A request entered (+1) handling: `lmserve_inflight_requests`.
    package func requestStarted() {
        inflight.increment()
        live.addInflight(1)
    }
    /// A request left handling (-1): `lmserve_inflight_requests`.
    package func requestFinished() {
        inflight.decrement()
        live.addInflight(-1)
    }

    /// A request refused before running: `lmserve_rejected_requests_total{reason}`
    /// (e.g. "queue_full", "too_large", "timeout").
    package func recordRejection(reason: String) {
        rejections.handle([reason]).increment()
    }

    /// A request with a valid API key: `lmserve_key_requests_total{key}`. Key names come from
    /// the keys file, so the label set is bounded by it.
    package func recordKeyRequest(key: String) {
        keyRequests.handle([key]).increment()
    }

    /// A request over a rate limit: `lmserve_rate_limited_total{key,limit}` and
    /// `lmserve_rejected_requests_total{reason="rate_limited"}`.
    package func recordRateLimited(key: String, limit: String) {
        rateLimited.handle([key, limit]).increment()
        recordRejection(reason: "rate_limited")
    }

    // MARK: Scheduler

    /// Time a request waited for its batch: `lmserve_queue_duration_seconds{model}`.
    package func recordQueueWait(model: String, seconds: Double) {
        queueWaits.handle([model]).record(seconds: seconds)
    }

    /// Time one batch computed: `lmserve_compute_duration_seconds{model}`.
    package func recordCompute(model: String, seconds: Double) {
        computeDurations.handle([model]).record(seconds: seconds)
    }

    /// A batch actually formed: `lmserve_batch_size{model}`.
    package func recordBatch(model: String, size: Int) {
        batchSizes.handle([model]).record(Double(size))
        live.recordBatch(model: model, size: size)
    }

    /// Requests waiting for a batch now: `lmserve_queue_depth{model}`.
    package func setQueueDepth(model: String, _ depth: Int) {
        queueDepths.handle([model]).set(to: Double(depth))
        live.setQueueDepth(model: model, depth)
    }

    /// Time to the first streamed token: `lmserve_time_to_first_token_seconds{model}`.
    package func recordTimeToFirstToken(model: String, seconds: Double) {
        firstTokenDurations.handle([model]).record(seconds: seconds)
    }

    /// Tokens processed: `lmserve_tokens_total{model,kind}`.
    package func addTokens(model: String, kind: TokenKind, count: Int) {
        guard count > 0 else { return }
        tokens.handle([model, kind.rawValue]).increment(by: Int64(count))
        if kind != .prompt { live.addTokens(model: model, count: count) }
    }

    // MARK: Models and the store

    /// A loaded model: `lmserve_model_info{name,type,order,layers,version} 1` (order for N-gram
    /// models, layers for LSTMs; the other is ""; version: the file's content hash and time).
    /// A model's new version replaces its old series.
    package func setModelInfo(name: String, type: String, order: Int? = nil, layers: Int? = nil, version: String = "") {
        let gauge = registry.makeGauge(
            descriptor: described(
                "lmserve_model_info", "1 for each loaded model, with its type, order (N-gram) or layers (LSTM) and the version serving."),
            labels: [
                ("name", name), ("type", type), ("order", order.map(String.init) ?? ""), ("layers", layers.map(String.init) ?? ""),
                ("version", version),
            ])
        gauge.set(to: 1)
        let old = modelInfo.withLock { $0.updateValue(gauge, forKey: name) }
        if let old, old !== gauge { registry.unregisterGauge(old) }
    }

    /// An unloaded model: its `lmserve_model_info` series goes.
    package func removeModelInfo(name: String) {
        if let old = modelInfo.withLock({ $0.removeValue(forKey: name) }) { registry.unregisterGauge(old) }
    }

    /// Seconds a model took to load: `lmserve_model_load_seconds{model}`.
    package func setModelLoadSeconds(model: String, _ seconds: Double) {
        registry.makeGauge(descriptor: described("lmserve_model_load_seconds", "Seconds the model took to load."), labels: [("model", model)])
            .set(to: seconds)
    }

    /// The most requests a model's queue holds before 503: `lmserve_queue_capacity{model}`
    /// (set only for a bounded queue, so `lmserve_queue_depth / lmserve_queue_capacity` is its fill).
    package func setQueueCapacity(model: String, _ capacity: Int) {
        registry.makeGauge(
            descriptor: described("lmserve_queue_capacity", "Most requests the model's queue holds before answering 503."),
            labels: [("model", model)]
        ).set(to: Double(capacity))
    }

    /// Models the configuration names: `lmserve_models_configured`.
    package func setModelsConfigured(_ count: Int) { modelsConfigured.set(to: Double(count)) }
    /// Whether every model has loaded: `lmserve_ready` (1 or 0).
    package func setReady(_ isReady: Bool) { ready.set(to: isReady ? 1 : 0) }

    /// What is running: `lmserve_build_info{version,commit,blas_core} 1`.
    package func setBuildInfo(version: String, commit: String, blasCore: String) {
        registry.makeGauge(
            descriptor: described(
                "lmserve_build_info", "1, labelled with the version, the git commit it was built from and the OpenBLAS core in use."),
            labels: [("version", version), ("commit", commit), ("blas_core", blasCore)]).set(to: 1)
    }

    /// Request-log rows committed: `lmserve_log_rows_written_total`.
    package func logRowsWritten(_ count: Int) { rowsWritten.increment(by: Int64(count)) }
    /// Request-log rows dropped: `lmserve_log_rows_dropped_total`.
    package func logRowsDropped(_ count: Int) { rowsDropped.increment(by: Int64(count)) }
    /// A request-log batch met a locked database and will be retried: `lmserve_log_write_retries_total`.
    package func logWriteRetried() { logWriteRetries.increment() }

    // MARK: Exposition

    /// Every metric in Prometheus text format 0.0.4, process metrics (read from /proc now)
    /// appended.
    package func render() -> String {
        var text = registry.emitToString()
        if let process = ProcessMetrics.read() {
            text += process.render()
        }
        return text
    }
}

/// A family's full name and help text (the name is used whole: no namespace or unit parts).
private func described(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

extension DurationHistogram {
    /// Records `seconds` as CoreMetrics' `Timer.recordSeconds` does: whole nanoseconds, capped.
    fileprivate func record(seconds: Double) {
        let nanoseconds = seconds * 1_000_000_000
        recordNanoseconds(nanoseconds >= Double(Int64.max) ? .max : Int64(nanoseconds))
    }
}
