import Foundation
import Histogram

/// Cumulative bucket counts of `lmserve_batch_size` for one model, from /metrics text.
package struct BatchSizeHistogram: Sendable, Codable {
    /// (upper bound, cumulative count), in bucket order.
    package var buckets: [Double: Double] = [:]
    package var sum = 0.0
    package var count = 0.0

    init?(metrics: String, model: String) {
        let label = "model=\"\(model)\""
        for line in metrics.split(separator: "\n") where line.hasPrefix("lmserve_batch_size") && line.contains(label) {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if line.hasPrefix("lmserve_batch_size_sum") {
                sum = value
            } else if line.hasPrefix("lmserve_batch_size_count") {
                count = value
            } else if let le = line.range(of: "le=\"") {
                let bound = line[le.upperBound...].prefix { $0 != "\"" }
                buckets[bound == "+Inf" ? .infinity : Double(bound) ?? .nan] = value
            }
        }
    }

    func minus(_ other: BatchSizeHistogram) -> BatchSizeHistogram {
        var d = self
        d.sum -= other.sum
        d.count -= other.count
        for (k, v) in other.buckets { d.buckets[k, default: 0] -= v }
        return d
    }

    /// Steps per batch-size range, e.g. "≤1: 10, ≤2: 3, …".
    var distribution: [(upTo: Double, steps: Double)] {
        var out: [(Double, Double)] = []
        var previous = 0.0
        for (bound, cumulative) in buckets.sorted(by: { $0.key < $1.key }) {
            out.append((bound, cumulative - previous))
            previous = cumulative
        }
        return out
    }
}

/// What `lmserve bench` reports (and prints as JSON with `--json`).
package struct BenchReport: Sendable, Encodable {
    package struct Latency: Sendable, Encodable {
        var p50Ms, p90Ms, p99Ms, meanMs, maxMs: Double
        enum CodingKeys: String, CodingKey {
            case p50Ms = "p50_ms", p90Ms = "p90_ms", p99Ms = "p99_ms", meanMs = "mean_ms", maxMs = "max_ms"
        }
    }

    var route: String
    var model: String
    var concurrency: Int
    var stream: Bool
    var seconds: Double
    var requests: Int
    var failures: Int
    var statuses: [String: Int]
    var requestsPerSecond: Double
    var tokensPerSecond: Double
    var latency: Latency?
    var timeToFirstToken: Latency?
    var meanBatchSize: Double?
    var batchSteps: [String: Double]?
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case route, model, concurrency, stream, seconds, requests, failures, statuses, latency
        case requestsPerSecond = "requests_per_second", tokensPerSecond = "tokens_per_second"
        case timeToFirstToken = "time_to_first_token", meanBatchSize = "mean_batch_size"
        case batchSteps = "batch_steps", lastError = "last_error"
    }

    init(configuration c: LoadGenerator.Configuration, workers: [LoadGenerator.WorkerResult], seconds: Double,
         batches: BatchSizeHistogram?) {
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var ttft = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var statuses: [String: Int] = [:]
        for w in workers {
            latency.add(w.latency)
            ttft.add(w.firstToken)
            for (s, n) in w.statuses { statuses[String(s), default: 0] += n }
        }
        func summary(_ h: Histogram<UInt64>) -> Latency? {
            guard h.totalCount > 0 else { return nil }
            return Latency(
                p50Ms: Double(h.valueAtPercentile(50)) / 1000, p90Ms: Double(h.valueAtPercentile(90)) / 1000,
                p99Ms: Double(h.valueAtPercentile(99)) / 1000, meanMs: h.mean / 1000, maxMs: Double(h.max) / 1000)
        }
        route = c.route.rawValue
        model = c.model
        concurrency = c.concurrency
        stream = c.stream
        self.seconds = seconds
        requests = workers.reduce(0) { $0 + $1.requests }
        failures = workers.reduce(0) { $0 + $1.failures }
        self.statuses = statuses
        requestsPerSecond = Double(requests) / seconds
        tokensPerSecond = Double(workers.reduce(0) { $0 + $1.tokens }) / seconds
        self.latency = summary(latency)
        timeToFirstToken = summary(ttft)
        if let b = batches, b.count > 0 {
            meanBatchSize = b.sum / b.count
            batchSteps = Dictionary(uniqueKeysWithValues: b.distribution.map { ($0.upTo.isInfinite ? "+Inf" : String(Int($0.upTo)), $0.steps) })
        }
        lastError = workers.compactMap(\.lastError).last
    }

    /// A human-readable summary.
    package var text: String {
        var lines = [
            String(format: "%@ %@ c=%d%@: %d requests in %.1f s, %d failed", route, model, concurrency, stream ? " stream" : "",
                   requests, seconds, failures),
            String(format: "  throughput  %.1f req/s, %.1f tokens/s", requestsPerSecond, tokensPerSecond),
        ]
        if let l = latency {
            lines.append(String(format: "  latency     p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms", l.p50Ms, l.p90Ms, l.p99Ms, l.maxMs))
        }
        if let t = timeToFirstToken {
            lines.append(String(format: "  first token p50 %.2f ms  p90 %.2f ms  p99 %.2f ms", t.p50Ms, t.p90Ms, t.p99Ms))
        }
        if let m = meanBatchSize { lines.append(String(format: "  batches     mean size %.2f", m)) }
        lines.append("  statuses    " + statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        if let e = lastError { lines.append("  last error  \(e)") }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
