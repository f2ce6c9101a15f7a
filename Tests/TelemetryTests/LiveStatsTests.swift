import Foundation
import Synchronization
import Testing
@testable import Telemetry

@Suite struct LiveStatsTests {
    /// A clock the test moves by hand (unix seconds).
    final class ManualClock: Sendable {
        private let now: Mutex<Double>
        init(_ start: Double) { now = Mutex(start) }
        func set(_ value: Double) { now.withLock { $0 = value } }
        var read: @Sendable () -> Double { { self.now.withLock { $0 } } }
    }

    @Test func oneSecondOfTrafficLandsInItsSlot() throws {
        let clock = ManualClock(1_000.25)
        let live = LiveStats(capacity: 60, clock: clock.read)
        for status in [200, 200, 201, 404, 503, 101, 302] {
            live.recordRequest(status: status, model: "m", seconds: 0.002)
        }
        live.addTokens(model: "m", count: 7)
        live.addTokens(model: "m", count: 5)
        live.recordBatch(model: "m", size: 4)
        live.recordBatch(model: "m", size: 1)
        live.setQueueDepth(model: "m", 3)
        live.setQueueDepth(model: "m", 1)

        // The current second is not complete yet: not in the window.
        let early = live.snapshot(models: ["m"])
        #expect(early.start == 940)
        #expect(early.requests["2xx"]?.reduce(0, +) == 0)

        clock.set(1_001.5)
        let s = live.snapshot(models: ["m", "idle"])
        #expect(s.start == 941)
        #expect(s.requests.keys.sorted() == ["1xx", "2xx", "3xx", "4xx", "5xx"])
        for series in s.requests.values { #expect(series.count == 60) }
        #expect(s.requests["1xx"]?.last == 1)
        #expect(s.requests["2xx"]?.last == 3)
        #expect(s.requests["3xx"]?.last == 1)
        #expect(s.requests["4xx"]?.last == 1)
        #expect(s.requests["5xx"]?.last == 1)
        #expect(s.requests["2xx"]?.dropLast().allSatisfy { $0 == 0 } == true)
        let p50 = try #require(s.latencyMs.p50.last ?? nil)
        #expect(abs(p50 - 2) / 2 < 0.05)
        #expect(s.latencyMs.p50.dropLast().allSatisfy { $0 == nil })
        #expect(s.models.map(\.model) == ["m", "idle"])
        let m = s.models[0]
        #expect(m.tokens.last == 12)
        #expect(m.batchSize.last == 2.5)
        #expect(m.queueDepth.last == 3, "the peak within the second")
        #expect(m.queueDepth.dropLast().allSatisfy { $0 == 0 }, "before the first change: the depth it started with")
        let idle = s.models[1]
        #expect(idle.tokens == Array(repeating: 0, count: 60))
        #expect(idle.batchSize.allSatisfy { $0 == nil })
        #expect(idle.queueDepth == Array(repeating: 0, count: 60))
    }

    @Test func quietSecondsCarryTheQueueDepthAndOldSecondsLeave() throws {
        let clock = ManualClock(2_000)
        let live = LiveStats(capacity: 10, clock: clock.read)
        live.setQueueDepth(model: "m", 5)
        live.setQueueDepth(model: "m", 2)
        live.recordRequest(status: 200, model: "m", seconds: 0.01)
        clock.set(2_004)
        var s = live.snapshot()
        #expect(s.models.map(\.model) == ["m"], "a model seen in the window is listed unasked")
        #expect(Array(s.models[0].queueDepth.suffix(4)) == [5, 2, 2, 2])
        #expect(Array(s.requests["2xx"]!.suffix(4)) == [1, 0, 0, 0])

        // Ten seconds later the slot of second 2000 is outside the window; a new event in the
        // slot it shared (2010 ≡ 2000 mod 10) starts it afresh.
        clock.set(2_010.5)
        live.recordRequest(status: 500, model: "m", seconds: 0.01)
        clock.set(2_011)
        s = live.snapshot(models: ["m"])
        #expect(s.start == 2_001)
        #expect(s.requests["2xx"]!.allSatisfy { $0 == 0 })
        #expect(s.requests["5xx"]!.last == 1)
        #expect(s.requests["5xx"]!.reduce(0, +) == 1)
        #expect(s.models[0].queueDepth.allSatisfy { $0 == 2 }, "no change in the window: the last depth")
    }

    @Test func percentilesOfOneSecond() throws {
        let clock = ManualClock(10)
        let live = LiveStats(capacity: 5, clock: clock.read)
        for ms in 1...100 { live.recordRequest(status: 200, model: "m", seconds: Double(ms) / 1000) }
        // Requests naming no model (health checks, the console polling) count as requests only.
        for _ in 0..<50 { live.recordRequest(status: 200, model: "", seconds: 5) }
        clock.set(11)
        let s = live.snapshot()
        let p50 = try #require(s.latencyMs.p50.last ?? nil)
        let p99 = try #require(s.latencyMs.p99.last ?? nil)
        #expect(abs(p50 - 50) / 50 < 0.05, "p50 \(p50)")
        #expect(abs(p99 - 99) / 99 < 0.05, "p99 \(p99)")
        #expect(s.requests["2xx"]!.last == 150)
    }

    @Test func histogramBucketsStayWithinFivePercent() {
        var h = LatencyHistogram()
        #expect(h.percentileMs(0.5) == nil)
        for micros in [3.0, 47, 512, 9_999, 123_456, 7_000_000] {
            h.reset()
            h.record(seconds: micros / 1e6)
            let p = h.percentileMs(1)!
            #expect(abs(p * 1000 - micros) / micros < 0.05, "\(micros) µs read back as \(p) ms")
        }
        h.reset()
        #expect(h.total == 0 && h.percentileMs(0.99) == nil)
    }

    @Test func serverMetricsFeedTheLiveStats() throws {
        let clock = ManualClock(500)
        let metrics = ServerMetrics(live: LiveStats(capacity: 30, clock: clock.read))
        metrics.requestStarted()
        metrics.recordRequest(route: "/v1/completions", model: "lm", status: 200, durationSeconds: 0.02)
        metrics.addTokens(model: "lm", kind: .prompt, count: 100)
        metrics.addTokens(model: "lm", kind: .completion, count: 9)
        metrics.addTokens(model: "lm", kind: .scored, count: 4)
        metrics.recordBatch(model: "lm", size: 6)
        metrics.setQueueDepth(model: "lm", 2)
        metrics.requestStarted()
        metrics.requestFinished()
        clock.set(501)
        let s = metrics.live.snapshot()
        #expect(s.inflight == 1)
        #expect(s.requests["2xx"]!.last == 1)
        #expect(s.models[0].tokens.last == 13, "prompt tokens are read, not scored or generated")
        #expect(s.models[0].batchSize.last == 6)
        #expect(s.models[0].queueDepth.last == 2)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as! [String: Any]
        #expect(Set(json.keys) == ["object", "start", "interval_s", "requests", "latency_ms", "models", "inflight"])
        let model = (json["models"] as! [[String: Any]])[0]
        #expect(Set(model.keys) == ["model", "tokens", "queue_depth", "batch_size"])
    }
}
