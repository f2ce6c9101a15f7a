import Foundation
import Synchronization

/// The last few minutes of traffic, second by second, for the web console's charts: requests
/// by status class, latency percentiles of model requests, and per model the tokens scored or
/// generated, the queue depth and the mean batch size.
///
/// `ServerMetrics` feeds it beside its Prometheus handles. Seconds live in a ring of `capacity`
/// slots filled lazily (a second with no event stores nothing), so no timer runs and recording
/// is one lock and a few additions.
package final class LiveStats: Sendable {
    /// Five minutes of seconds.
    package static let defaultCapacity = 300

    package let capacity: Int
    private let clock: @Sendable () -> Double
    private let state: Mutex<State>
    private let inflight = Atomic<Int>(0)

    /// - Parameter clock: unix seconds now (a manual clock in tests).
    package init(
        capacity: Int = LiveStats.defaultCapacity, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        self.clock = clock
        state = Mutex(State(slots: Array(repeating: Slot(), count: capacity)))
    }

    // MARK: Recording

    /// A finished request. Its latency counts towards the percentiles only when it named a
    /// served model (`model` non-empty): the inference routes, not health checks or this
    /// console's own polling.
    package func recordRequest(status: Int, model: String, seconds: Double) {
        let now = second()
        state.withLock { state in
            state.withSlot(now) { slot in
                if (1...5).contains(status / 100) { slot.statusCounts[status / 100 - 1] += 1 }
                if !model.isEmpty { slot.latency.record(seconds: seconds) }
            }
        }
    }

    /// Tokens a model scored or generated.
    package func addTokens(model: String, count: Int) {
        let now = second()
        state.withLock { state in state.withSlot(now) { $0.models[model, default: ModelSecond()].tokens += count } }
    }

    /// A batched step the scheduler formed with `size` sequences.
    package func recordBatch(model: String, size: Int) {
        let now = second()
        state.withLock { state in
            state.withSlot(now) { slot in
                slot.models[model, default: ModelSecond()].batches += 1
                slot.models[model, default: ModelSecond()].batchSequences += size
            }
        }
    }

    /// The number of requests waiting for a batch changed to `depth`.
    package func setQueueDepth(model: String, _ depth: Int) {
        let now = second()
        state.withLock { state in
            let before = state.depth[model] ?? 0
            state.depth[model] = depth
            state.withSlot(now) { slot in
                if let span = slot.models[model]?.depth {
                    slot.models[model]?.depth = DepthSpan(start: span.start, peak: max(span.peak, depth), end: depth)
                } else {
                    slot.models[model, default: ModelSecond()].depth = DepthSpan(start: before, peak: max(before, depth), end: depth)
                }
            }
        }
    }

    /// A request entered (+1) or left (-1) handling.
    package func addInflight(_ delta: Int) {
        inflight.add(delta, ordering: .relaxed)
    }

    // MARK: Reading

    /// The complete seconds of the window (the current, partial second is left out), oldest
    /// first. `models` come first in the given order, then any other model seen in the window.
    package func snapshot(models: [String] = []) -> LiveStatsSnapshot {
        let now = second()
        let first = now - capacity
        let seconds = first..<now
        return state.withLock { state in
            var names = models
            var known = Set(models)
            for s in seconds {
                for name in state.slot(s)?.models.keys.sorted() ?? [] where !known.contains(name) {
                    names.append(name)
                    known.insert(name)
                }
            }
            var requests = Array(repeating: [Int](), count: 5)
            var p50: [Double?] = []
            var p99: [Double?] = []
            for s in seconds {
                let slot = state.slot(s)
                for c in 0..<5 { requests[c].append(slot?.statusCounts[c] ?? 0) }
                p50.append(slot?.latency.percentileMs(0.5))
                p99.append(slot?.latency.percentileMs(0.99))
            }
            let series = names.map { name in state.series(model: name, seconds: seconds) }
            return LiveStatsSnapshot(
                start: first, requests: Dictionary(uniqueKeysWithValues: (0..<5).map { ("\($0 + 1)xx", requests[$0]) }),
                latencyMs: .init(p50: p50, p99: p99), models: series, inflight: inflight.load(ordering: .relaxed))
        }
    }

    private func second() -> Int { Int(clock().rounded(.down)) }

    // MARK: Storage

    /// A model's queue depth within one second: before its first change, its highest, and
    /// after its last change.
    struct DepthSpan {
        var start: Int
        var peak: Int
        var end: Int
    }

    struct ModelSecond {
        var tokens = 0
        var batches = 0
        var batchSequences = 0
        var depth: DepthSpan?
    }

    struct Slot {
        var second = Int.min
        /// 1xx … 5xx.
        var statusCounts = [Int](repeating: 0, count: 5)
        var latency = LatencyHistogram()
        var models: [String: ModelSecond] = [:]
    }

    struct State {
        var slots: [Slot]
        /// Each model's latest queue depth.
        var depth: [String: Int] = [:]

        func slot(_ second: Int) -> Slot? {
            let slot = slots[index(second)]
            return slot.second == second ? slot : nil
        }

        /// Runs `body` on `second`'s slot, first clearing what an older second left there.
        mutating func withSlot(_ second: Int, _ body: (inout Slot) -> Void) {
            let i = index(second)
            if slots[i].second != second {
                if slots[i].second > second { return }  // a clock that stepped back: drop the event
                slots[i].second = second
                for c in 0..<5 { slots[i].statusCounts[c] = 0 }
                slots[i].latency.reset()
                slots[i].models.removeAll(keepingCapacity: true)
            }
            body(&slots[i])
        }

        private func index(_ second: Int) -> Int {
            let m = second % slots.count
            return m < 0 ? m + slots.count : m
        }

        /// One model's series over `seconds`; a second in which the queue depth did not change
        /// carries the depth it last had.
        func series(model: String, seconds: Range<Int>) -> LiveStatsSnapshot.ModelSeries {
            let spans = seconds.map { slot($0)?.models[model] }
            var depth = spans.lazy.compactMap { $0?.depth?.start }.first ?? self.depth[model] ?? 0
            var out = LiveStatsSnapshot.ModelSeries(model: model)
            for entry in spans {
                out.tokens.append(entry?.tokens ?? 0)
                if let span = entry?.depth {
                    out.queueDepth.append(span.peak)
                    depth = span.end
                } else {
                    out.queueDepth.append(depth)
                }
                if let e = entry, e.batches > 0 {
                    out.batchSize.append(Double(e.batchSequences) / Double(e.batches))
                } else {
                    out.batchSize.append(nil)
                }
            }
            return out
        }
    }
}

/// What `LiveStats.snapshot` returns: the body of `GET /admin/live-stats`. Every series has one
/// entry per second from `start` on.
package struct LiveStatsSnapshot: Encodable, Sendable {
    package struct Percentiles: Encodable, Sendable {
        /// Milliseconds; nil for a second without model requests.
        package var p50: [Double?]
        package var p99: [Double?]
    }

    package struct ModelSeries: Encodable, Sendable {
        package var model: String
        /// Tokens scored or generated by requests that finished in that second.
        package var tokens: [Int] = []
        /// The most requests waiting for a batch during that second.
        package var queueDepth: [Int] = []
        /// Mean sequences per batched step; nil for a second without a step.
        package var batchSize: [Double?] = []

        enum CodingKeys: String, CodingKey {
            case model, tokens
            case queueDepth = "queue_depth"
            case batchSize = "batch_size"
        }
    }

    package var object = "live_stats"
    /// Unix second of the first entry.
    package var start: Int
    package var intervalSeconds = 1
    /// Requests finished per second, by status class ("1xx" … "5xx").
    package var requests: [String: [Int]]
    /// Latency percentiles of requests that named a served model.
    package var latencyMs: Percentiles
    package var models: [ModelSeries]
    /// Requests being handled now.
    package var inflight: Int

    enum CodingKeys: String, CodingKey {
        case object, start, requests, models, inflight
        case intervalSeconds = "interval_s"
        case latencyMs = "latency_ms"
    }

    init(start: Int, requests: [String: [Int]], latencyMs: Percentiles, models: [ModelSeries], inflight: Int) {
        self.start = start
        self.requests = requests
        self.latencyMs = latencyMs
        self.models = models
        self.inflight = inflight
    }
}
