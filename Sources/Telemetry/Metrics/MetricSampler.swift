import Foundation

/// Every `interval` seconds, snapshots every metric value into `metric_samples` through the
/// request log's writer (so sampling never does I/O on its own thread).
// @unchecked: `timer`, the only mutable field, is read and written on `queue` only.
package final class MetricSampler: @unchecked Sendable {
    private let metrics: ServerMetrics
    private let log: SQLiteRequestLog
    private let interval: Double
    private let includeBuckets: Bool
    private let clock: @Sendable () -> Double
    private let queue = DispatchQueue(label: "lmserve.metric-sampler")
    private var timer: DispatchSourceTimer?

    /// - Parameters:
    ///   - interval: seconds between snapshots.
    ///   - includeBuckets: also store histogram `_bucket` series (many rows); `_sum` and
    ///     `_count` are always stored.
    package init(
        metrics: ServerMetrics, log: SQLiteRequestLog, interval: Double, includeBuckets: Bool = false,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.metrics = metrics
        self.log = log
        self.interval = interval
        self.includeBuckets = includeBuckets
        self.clock = clock
    }

    /// The samples one snapshot would store now.
    package func snapshot() -> [MetricSample] {
        let time = clock()
        return PrometheusText.samples(in: metrics.render()).compactMap { sample in
            if !includeBuckets && sample.name.hasSuffix("_bucket") { return nil }
            return MetricSample(time: time, name: sample.name, labels: sample.labels, value: sample.value)
        }
    }

    /// Takes one snapshot and queues it for the writer.
    package func sampleNow() {
        log.recordMetricSamples(snapshot())
    }

    /// Starts periodic sampling (first snapshot after one interval). Idempotent.
    package func start() {
        queue.sync {
            guard timer == nil else { return }
            let source = DispatchSource.makeTimerSource(queue: queue)
            source.schedule(deadline: .now() + interval, repeating: interval)
            source.setEventHandler { [weak self] in self?.sampleNow() }
            source.resume()
            timer = source
        }
    }

    /// Stops periodic sampling. Idempotent.
    package func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }
}
