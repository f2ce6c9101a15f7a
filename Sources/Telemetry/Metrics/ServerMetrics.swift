import CoreMetrics
import Foundation
import Prometheus

/// Every metric LMServe exposes, in one place: swift-metrics handles over a swift-prometheus
/// registry that `render()` writes as Prometheus text format 0.0.4.
///
/// Each instance has its own registry, so tests can make independent ones; the server makes one
/// and may also `bootstrapGlobal()` it for libraries that use the global `MetricsSystem`.
/// Labels are kept low-cardinality: route template, model name, status class.
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
    package let factory: PrometheusMetricsFactory
    private let requests: MetricHandleCache<CoreMetrics.Counter>
    private let requestDurations: MetricHandleCache<CoreMetrics.Timer>
    private let queueWaits: MetricHandleCache<CoreMetrics.Timer>
    private let computeDurations: MetricHandleCache<CoreMetrics.Timer>
    private let firstTokenDurations: MetricHandleCache<CoreMetrics.Timer>
    private let batchSizes: MetricHandleCache<Recorder>
    private let queueDepths: MetricHandleCache<CoreMetrics.Gauge>
    private let tokens: MetricHandleCache<CoreMetrics.Counter>
    private let rejections: MetricHandleCache<CoreMetrics.Counter>
    private let inflight: Meter
    private let rowsWritten: CoreMetrics.Counter
    private let rowsDropped: CoreMetrics.Counter

    /// Creates the metrics over `registry` (a fresh one by default).
    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), live: LiveStats = LiveStats()) {
        self.registry = registry
        self.live = live
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets.map { .nanoseconds(Int64(($0 * 1e9).rounded())) }
        factory.defaultValueHistogramBuckets = Self.durationBuckets
        factory.valueHistogramBuckets["lmserve_batch_size"] = Self.batchSizeBuckets
        self.factory = factory
        func dimensions(_ names: [String], _ values: [String]) -> [(String, String)] {
            Array(zip(names, values))
        }
        requests = MetricHandleCache {
            CoreMetrics.Counter(label: "lmserve_requests_total", dimensions: dimensions(["route", "model", "status"], $0), factory: factory)
        }
        requestDurations = MetricHandleCache {
            CoreMetrics.Timer(label: "lmserve_request_duration_seconds", dimensions: dimensions(["route", "model"], $0), factory: factory)
        }
        func modelTimer(_ label: String) -> MetricHandleCache<CoreMetrics.Timer> {
            MetricHandleCache { CoreMetrics.Timer(label: label, dimensions: dimensions(["model"], $0), factory: factory) }
        }
        queueWaits = modelTimer("lmserve_queue_duration_seconds")
        computeDurations = modelTimer("lmserve_compute_duration_seconds")
        firstTokenDurations = modelTimer("lmserve_time_to_first_token_seconds")
        batchSizes = MetricHandleCache {
            Recorder(label: "lmserve_batch_size", dimensions: dimensions(["model"], $0), aggregate: true, factory: factory)
        }
        queueDepths = MetricHandleCache {
            CoreMetrics.Gauge(label: "lmserve_queue_depth", dimensions: dimensions(["model"], $0), factory: factory)
        }
        tokens = MetricHandleCache {
            CoreMetrics.Counter(label: "lmserve_tokens_total", dimensions: dimensions(["model", "kind"], $0), factory: factory)
        }
        rejections = MetricHandleCache {
            CoreMetrics.Counter(label: "lmserve_rejected_requests_total", dimensions: dimensions(["reason"], $0), factory: factory)
        }
        // Created up front so they are exposed (at 0) before anything happens.
        inflight = Meter(label: "lmserve_inflight_requests", dimensions: [], factory: factory)
        rowsWritten = CoreMetrics.Counter(label: "lmserve_log_rows_written_total", dimensions: [], factory: factory)
        rowsDropped = CoreMetrics.Counter(label: "lmserve_log_rows_dropped_total", dimensions: [], factory: factory)
    }

    /// Makes this instance's factory the global `MetricsSystem` backend. Call at most once per
    /// process (swift-metrics traps on a second bootstrap).
    package func bootstrapGlobal() {
        MetricsSystem.bootstrap(factory)
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
        requestDurations.handle([route, model]).recordSeconds(durationSeconds)
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

    // MARK: Scheduler

    /// Time a request waited for its batch: `lmserve_queue_duration_seconds{model}`.
    package func recordQueueWait(model: String, seconds: Double) {
        queueWaits.handle([model]).recordSeconds(seconds)
    }

    /// Time one batch computed: `lmserve_compute_duration_seconds{model}`.
    package func recordCompute(model: String, seconds: Double) {
        computeDurations.handle([model]).recordSeconds(seconds)
    }

    /// A batch actually formed: `lmserve_batch_size{model}`.
    package func recordBatch(model: String, size: Int) {
        batchSizes.handle([model]).record(size)
        live.recordBatch(model: model, size: size)
    }

    /// Requests waiting for a batch now: `lmserve_queue_depth{model}`.
    package func setQueueDepth(model: String, _ depth: Int) {
        queueDepths.handle([model]).record(depth)
        live.setQueueDepth(model: model, depth)
    }

    /// Time to the first streamed token: `lmserve_time_to_first_token_seconds{model}`.
    package func recordTimeToFirstToken(model: String, seconds: Double) {
        firstTokenDurations.handle([model]).recordSeconds(seconds)
    }

    /// Tokens processed: `lmserve_tokens_total{model,kind}`.
    package func addTokens(model: String, kind: TokenKind, count: Int) {
        guard count > 0 else { return }
        tokens.handle([model, kind.rawValue]).increment(by: count)
        if kind != .prompt { live.addTokens(model: model, count: count) }
    }

    // MARK: Models and the store

    /// A loaded model: `lmserve_model_info{name,type,order,layers} 1` (order for N-gram models,
    /// layers for LSTMs; the other is "").
    package func setModelInfo(name: String, type: String, order: Int? = nil, layers: Int? = nil) {
        Gauge(
            label: "lmserve_model_info",
            dimensions: [
                ("name", name), ("type", type), ("order", order.map(String.init) ?? ""),
                ("layers", layers.map(String.init) ?? ""),
            ], factory: factory
        ).record(1)
    }

    /// Request-log rows committed: `lmserve_log_rows_written_total`.
    package func logRowsWritten(_ count: Int) { rowsWritten.increment(by: count) }
    /// Request-log rows dropped: `lmserve_log_rows_dropped_total`.
    package func logRowsDropped(_ count: Int) { rowsDropped.increment(by: count) }

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
