import Foundation
import Testing
@testable import Telemetry

@Suite struct SQLiteRequestLogTests {
    @Test func everyRecordIsWrittenWithItsFieldsAfterClose() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("log.db")
        let metrics = ServerMetrics()
        let log = try SQLiteRequestLog(path: path, metrics: metrics, logger: testLogger)
        let n = 2_345
        let records = (0..<n).map { makeRecord($0) }
        // Several producer threads at once.
        DispatchQueue.concurrentPerform(iterations: 5) { part in
            for index in stride(from: part, to: n, by: 5) { log.record(records[index]) }
        }
        log.recordModelEvent(ModelEvent(time: 1_700_000_000, model: "kenlm-5", kind: .load, detail: "order 5"))
        log.close()
        log.close()  // idempotent
        #expect(log.rowsWritten == n + 1)
        #expect(log.rowsDropped == 0)
        log.record(makeRecord(0))  // after close: dropped, not written
        #expect(log.rowsDropped == 1)

        let reader = try RequestLogReader(path: path)
        let rows = try reader.requests(matching: RequestQuery(limit: 1_000_000))
        #expect(rows.count == n)
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.requestID, $0) })
        for record in records { #expect(byID[record.requestID] == record) }
        #expect(try reader.modelEvents() == [ModelEvent(time: 1_700_000_000, model: "kenlm-5", kind: .load, detail: "order 5")])
        let text = metrics.render()
        #expect(text.contains("lmserve_log_rows_written_total \(n + 1)\n"))
        #expect(text.contains("lmserve_log_rows_dropped_total 1\n"))
    }

    @Test func trickyTextRoundTripsThroughTheLog() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("text.db")
        let log = try SQLiteRequestLog(path: path, logger: testLogger)
        for (index, text) in SQLiteDatabaseTests.trickyTexts.enumerated() {
            var record = makeRecord(index)
            record.requestID = "text-\(index)"
            record.promptText = text
            record.outputText = String(text.reversed())
            record.errorType = text
            log.record(record)
        }
        log.close()
        let rows = try RequestLogReader(path: path).requests(matching: RequestQuery(limit: 100))
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.requestID, $0) })
        for (index, text) in SQLiteDatabaseTests.trickyTexts.enumerated() {
            let row = try #require(byID["text-\(index)"])
            #expect(row.promptText == text)
            #expect(row.promptText.map { Array($0.utf8) } == Array(text.utf8))
            #expect(row.outputText == String(text.reversed()))
            #expect(row.errorType == text)
            // And through JSON lines.
            #expect(try RequestLogJSON.decodeRecord(RequestLogJSON.line(row)) == row)
        }
    }

    @Test func fullQueueDropsAndCountsWithoutBlocking() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (configuration, gate) = pausedWriter(capacity: 8)
        let metrics = ServerMetrics()
        let log = try SQLiteRequestLog(path: dir.path("full.db"), configuration: configuration, metrics: metrics, logger: testLogger)
        // The writer cannot drain while the gate is shut, so exactly 8 fit and 5 are dropped; each
        // call returns although the writer is stuck.
        for index in 0..<13 { log.record(makeRecord(index)) }
        #expect(log.queueDepth == 8)
        #expect(log.rowsDropped == 5)
        #expect(metrics.render().contains("lmserve_log_rows_dropped_total 5\n"))
        gate.signal()
        log.close()
        #expect(log.rowsWritten == 8)
        let rows = try RequestLogReader(path: dir.path("full.db")).requests(matching: RequestQuery(limit: 100))
        #expect(Set(rows.map(\.requestID)) == Set((0..<8).map { "req-\($0)" }))
    }

    @Test func retentionPrunesOnlyOldRows() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("retention.db")
        let now = 1_800_000_000.0
        // Rows from 3 days ago to 1 hour in the future (stamped by the caller), no retention yet.
        let first = try SQLiteRequestLog(path: path, logger: testLogger)
        for hoursAgo in [72.0, 49, 47, 24, 1, 0, -1] {
            var record = makeRecord(Int(hoursAgo + 10))
            record.requestID = "h\(hoursAgo)"
            record.time = now - hoursAgo * 3600
            first.record(record)
        }
        first.recordModelEvent(ModelEvent(time: now - 72 * 3600, model: "old", kind: .failure))
        first.recordModelEvent(ModelEvent(time: now - 3600, model: "new", kind: .reload))
        first.recordMetricSamples([
            MetricSample(time: now - 72 * 3600, name: "x", labels: "", value: 1),
            MetricSample(time: now, name: "x", labels: "", value: 2),
        ])
        first.close()
        #expect(first.rowsPruned == 0)

        // Reopened with 48 h retention: pruned at start, by the writer.
        var configuration = SQLiteRequestLog.Configuration(retention: try DurationParser.seconds("2d"))
        configuration.clock = { now }
        let second = try SQLiteRequestLog(path: path, configuration: configuration, logger: testLogger)
        second.close()
        #expect(second.rowsPruned == 4)  // 72 h and 49 h requests, one event, one sample
        let reader = try RequestLogReader(path: path)
        let ids = try reader.requests(matching: RequestQuery(limit: 100)).map(\.requestID)
        #expect(Set(ids) == ["h47.0", "h24.0", "h1.0", "h0.0", "h-1.0"])
        #expect(try reader.modelEvents().map(\.model) == ["new"])
        #expect(try reader.metricSamples(name: "x").map(\.value) == [2])
    }

    @Test func largeBacklogIsPrunedInChunks() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("chunks.db")
        let now = 1_800_000_000.0
        let first = try SQLiteRequestLog(path: path, logger: testLogger)
        for index in 0..<250 { first.record(makeRecord(index, time: now - 10 * 86_400)) }
        for index in 250..<260 { first.record(makeRecord(index, time: now)) }
        first.close()
        var configuration = SQLiteRequestLog.Configuration(retention: 86_400)
        configuration.clock = { now }
        configuration.pruneChunk = 40
        configuration.flushInterval = 0.001
        let log = try SQLiteRequestLog(path: path, configuration: configuration, logger: testLogger)
        while log.rowsPruned < 250 {
            log.record(makeRecord(1000 + log.rowsWritten, time: now))  // writes interleave with pruning
            log.flush()
        }
        log.close()
        #expect(log.rowsPruned == 250)
        let remaining = try RequestLogReader(path: path).requests(matching: RequestQuery(limit: 10_000))
        #expect(remaining.count == 10 + log.rowsWritten)
        #expect(remaining.allSatisfy { $0.time >= now })
    }

    @Test func requestedPruneRunsAfterQueuedRowsAreWritten() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let now = 1_800_000_000.0
        var configuration = SQLiteRequestLog.Configuration(retention: 3600)
        configuration.clock = { now }
        configuration.pruneInterval = 1e9  // only the start-up prune and explicit requests
        let log = try SQLiteRequestLog(path: dir.path("p.db"), configuration: configuration, logger: testLogger)
        for (index, age) in [7200.0, 10, 3601, 0].enumerated() {
            var record = makeRecord(index)
            record.time = now - age
            log.record(record)
        }
        log.requestPrune()
        log.close()
        #expect(log.rowsWritten == 4)
        #expect(log.rowsPruned == 2)
        let rows = try RequestLogReader(path: dir.path("p.db")).requests(matching: RequestQuery(limit: 10))
        #expect(Set(rows.map(\.requestID)) == ["req-1", "req-3"])
    }

    @Test func failedCommitsCountRowsAsDroppedAndLaterBatchesStillWrite() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("fail.db")
        let (configuration, gate) = pausedWriter()
        let metrics = ServerMetrics()
        let log = try SQLiteRequestLog(path: path, configuration: configuration, metrics: metrics, logger: testLogger)
        // Another connection breaks the table under the writer: the first batch cannot commit.
        let other = try SQLiteDatabase(path: path)
        try other.execute("ALTER TABLE requests RENAME TO requests_moved")
        for index in 0..<3 { log.record(makeRecord(index)) }
        gate.signal()
        log.flush()  // returns once the failed batch has been processed
        try other.execute("ALTER TABLE requests_moved RENAME TO requests")
        log.record(makeRecord(3))
        log.close()
        #expect(log.rowsDropped == 3)
        #expect(log.writeFailures == 1)
        #expect(log.rowsWritten == 1)
        #expect(metrics.render().contains("lmserve_log_rows_dropped_total 3\n"))
        #expect(try other.scalarInt("SELECT count(*) FROM requests") == 1)
        other.close()
    }
}

@Suite struct SQLiteRequestLogFlushTests {
    @Test func flushMakesQueuedRowsReadableWithoutClosing() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("flush.db")
        var configuration = SQLiteRequestLog.Configuration()
        configuration.flushInterval = 3600  // only batch size, flush() or close() wake the writer
        let log = try SQLiteRequestLog(path: path, configuration: configuration, logger: testLogger)
        let reader = try RequestLogReader(path: path)
        for index in 0..<7 { log.record(makeRecord(index)) }
        log.flush()
        #expect(try reader.requests(matching: RequestQuery()).count == 7)
        log.recordModelEvent(ModelEvent(time: 1, model: "m", kind: .reload))
        log.flush()
        #expect(try reader.modelEvents().count == 1)
        log.flush()  // nothing queued: returns at once
        log.close()
        log.flush()  // after close: returns at once
        #expect(log.rowsWritten == 8)
    }

    @Test func periodicSamplerWritesSnapshots() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let metrics = ServerMetrics()
        // The writer finds work only once the sampler's timer has queued a snapshot.
        let queued = DispatchSemaphore(value: 0)
        var configuration = SQLiteRequestLog.Configuration()
        configuration.writerWillDrain = { queued.signal() }
        let log = try SQLiteRequestLog(path: dir.path("s.db"), configuration: configuration, metrics: metrics, logger: testLogger)
        let sampler = MetricSampler(metrics: metrics, log: log, interval: 0.01)
        sampler.start()
        sampler.start()  // idempotent
        queued.wait()
        log.flush()
        #expect(log.rowsWritten > 0)
        sampler.stop()
        log.close()
        let samples = try RequestLogReader(path: dir.path("s.db")).metricSamples(name: "lmserve_inflight_requests")
        #expect(!samples.isEmpty)
        #expect(samples.allSatisfy { $0.value == 0 && $0.labels == "" })
    }
}

@Suite struct SQLiteRequestLogLockTests {
    /// A log whose writer retries quickly, and a second real connection to the same file holding
    /// `BEGIN EXCLUSIVE` (as another process would).
    struct LockedLog {
        let log: SQLiteRequestLog
        let metrics = ServerMetrics()
        let other: SQLiteDatabase
        /// Signalled each time the writer meets the lock.
        let metLock = DispatchSemaphore(value: 0)

        init(path: String, capacity: Int) throws {
            var configuration = SQLiteRequestLog.Configuration(capacity: capacity)
            configuration.busyTimeoutMilliseconds = 10
            configuration.lockRetryDelay = 0.01
            configuration.lockRetryMaxDelay = 0.05
            configuration.writerMetLock = { [metLock] in metLock.signal() }
            log = try SQLiteRequestLog(path: path, configuration: configuration, metrics: metrics, logger: testLogger)
            other = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: 0)
            try other.execute("BEGIN EXCLUSIVE")
        }
    }

    /// Another process's `BEGIN EXCLUSIVE` holds the writer off; every row written meanwhile is
    /// kept and committed once the lock goes.
    @Test func batchesThatMeetALockAreRetriedUntilEveryRowIsWritten() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let locked = try LockedLog(path: dir.path("locked.db"), capacity: 1_000)
        let log = locked.log
        for index in 0..<100 { log.record(makeRecord(index)) }
        log.recordModelEvent(ModelEvent(time: 1, model: "m", kind: .load))
        // Wait until the writer has met the lock several times, queueing more rows in between.
        for round in 0..<3 {
            locked.metLock.wait()
            for index in 0..<16 { log.record(makeRecord(100 + round * 16 + index)) }
        }
        #expect(log.rowsWritten == 0)
        #expect(log.rowsDropped == 0)
        try locked.other.execute("COMMIT")
        log.close()
        #expect(log.rowsWritten == 149)
        #expect(log.rowsDropped == 0)
        #expect(log.writeFailures == 0)
        #expect(log.lockRetries >= 3)
        #expect(try locked.other.scalarInt("SELECT count(*) FROM requests") == 148)
        let text = locked.metrics.render()
        #expect(text.contains("lmserve_log_rows_written_total 149\n"))
        #expect(text.contains("lmserve_log_rows_dropped_total 0\n"))
        #expect(text.contains("lmserve_log_write_retries_total \(log.lockRetries)\n"))
        locked.other.close()
    }

    /// While a batch waits for a lock it still counts against the bound: rows beyond it are
    /// dropped and counted, the rest all arrive.
    @Test func aLockedDatabaseDropsOnlyWhatOverflowsTheQueue() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("overflow.db")
        let locked = try LockedLog(path: path, capacity: 10)
        let log = locked.log
        for index in 0..<4 { log.record(makeRecord(index)) }
        locked.metLock.wait()  // the writer holds those 4 and retries
        for index in 4..<20 { log.record(makeRecord(index)) }  // 6 more fit, 10 are dropped
        #expect(log.rowsDropped == 10)
        try locked.other.execute("COMMIT")
        log.close()
        #expect(log.rowsWritten == 10)
        #expect(locked.metrics.render().contains("lmserve_log_rows_dropped_total 10\n"))
        let rows = try RequestLogReader(path: path).requests(matching: RequestQuery(limit: 100))
        #expect(Set(rows.map(\.requestID)) == Set((0..<10).map { "req-\($0)" }))
        locked.other.close()
    }
}
