import Foundation
import Testing
@testable import Telemetry

/// Measures how many rows/s the writer sustains; prints, asserts no timing. Enabled with
/// LMSERVE_BENCH=1 (run in release: `LMSERVE_BENCH=1 swift test -c release --scratch-path
/// .build-rel --filter WriterThroughput`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LMSERVE_BENCH"] == "1"))
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
        let log = try SQLiteRequestLog(path: dir.path("bench.db"), configuration: configuration)
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
