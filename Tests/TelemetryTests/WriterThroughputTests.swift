import Foundation
import Testing
@testable import Telemetry

/// Measures how many rows/s the writer sustains; prints, asserts no timing. Enabled with
/// LMSERVE_BENCH=1 (run in release: `LMSERVE_BENCH=1 swift test -c release --scratch-path
/// .build-rel --filter WriterThroughput`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LMSERVE_BENCH"] == "1"), .serialized)
struct WriterThroughputTests {
    @Test(arguments: [false, true]) func writerRowsPerSecond(withText: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let n = 200_000
        let records = (0..<n).map { index -> RequestRecord in
            var record = makeRecord(index, time: Date().timeIntervalSince1970)
            record.promptText = withText ? String(repeating: "the quick brown fox ", count: 10) : nil
            record.outputText = withText ? "jumps over the lazy dog" : nil
            return record
        }
        var configuration = SQLiteRequestLog.Configuration(capacity: n)
        configuration.retention = 7 * 86_400
        let log = try SQLiteRequestLog(path: dir.path("bench.db"), configuration: configuration, logger: testLogger)
        let start = ContinuousClock.now
        for record in records { log.record(record) }
        let enqueued = ContinuousClock.now - start
        log.close()
        let total = ContinuousClock.now - start
        let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
        let enqueueSeconds = Double(enqueued.components.seconds) + Double(enqueued.components.attoseconds) * 1e-18
        print("writer: \(n) rows (text: \(withText)) in \(String(format: "%.3f", seconds)) s = \(Int(Double(n) / seconds)) rows/s; "
            + "enqueue \(String(format: "%.0f", enqueueSeconds / Double(n) * 1e9)) ns/row; dropped \(log.rowsDropped)")
        #expect(log.rowsWritten + log.rowsDropped == n)
    }
}

extension WriterThroughputTests {
    /// The cost of `record(_:)` alone: the writer is paused, so only the queue is measured.
    @Test func enqueueCostWithPausedWriter() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let n = 200_000
        let records = (0..<n).map { makeRecord($0) }
        let (configuration, gate) = pausedWriter(capacity: n)
        let log = try SQLiteRequestLog(path: dir.path("enqueue.db"), configuration: configuration, logger: testLogger)
        let start = ContinuousClock.now
        for record in records { log.record(record) }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("enqueue only: \(String(format: "%.0f", seconds / Double(n) * 1e9)) ns/row")
        gate.signal()
        log.close()
        #expect(log.rowsWritten == n)
    }
}

extension WriterThroughputTests {
    /// The cost of recording one request's metrics (counter + histogram) on the hot path.
    @Test func metricsRecordCost() {
        let metrics = ServerMetrics()
        let n = 200_000
        let start = ContinuousClock.now
        for index in 0..<n {
            metrics.recordRequest(route: "/v1/perplexity", model: "kenlm-5", status: 200, durationSeconds: Double(index % 100) * 1e-4)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("metrics recordRequest: \(String(format: "%.0f", seconds / Double(n) * 1e9)) ns/call")
        #expect(metrics.render().contains("lmserve_requests_total{route=\"/v1/perplexity\",model=\"kenlm-5\",status=\"2xx\"} \(n)"))
    }
}

extension WriterThroughputTests {
    /// The writer alone: 200k rows queued while it is paused, then timed from release to close().
    @Test(arguments: [false, true]) func writerDrainRate(withText: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let n = 200_000
        let (configuration, gate) = pausedWriter(capacity: n)
        let log = try SQLiteRequestLog(path: dir.path("drain.db"), configuration: configuration, logger: testLogger)
        for index in 0..<n {
            var record = makeRecord(index, time: 1_800_000_000)
            record.promptText = withText ? String(repeating: "the quick brown fox ", count: 10) : nil
            record.outputText = withText ? "jumps over the lazy dog" : nil
            log.record(record)
        }
        let start = ContinuousClock.now
        gate.signal()
        log.close()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("writer drain: \(n) rows (text: \(withText)) in \(String(format: "%.3f", seconds)) s = \(Int(Double(n) / seconds)) rows/s")
        #expect(log.rowsWritten == n)
    }
}
