import Foundation
import Logging

/// The SQLite request log: `record(_:)` appends to a bounded in-memory queue and returns; one
/// writer thread commits queued rows in batches (when `batchSize` rows are waiting or every
/// `flushInterval`), and prunes rows older than `retention` in the background.
///
/// A batch that meets a database locked by another connection (`SQLITE_BUSY`/`SQLITE_LOCKED`
/// after the busy timeout) is kept and retried with backoff (`lockRetries`,
/// `lmserve_log_write_retries_total`) while new rows keep queueing. Rows are dropped and counted
/// (`rowsDropped`, `lmserve_log_rows_dropped_total`) only when the queue, which includes the batch
/// being retried, is full, when a write fails for another reason, or when the lock outlasts
/// `closeLockPatience` after `close()`; the caller never waits. `close()` writes every queued row
/// before returning; call it before dropping the last reference (the writer thread keeps the
/// log alive until then).
// @unchecked: the queue state below is guarded by `condition` (a Mutex cannot wait on a condition).
package final class SQLiteRequestLog: RequestLogSink, @unchecked Sendable {
    /// Tuning knobs; the defaults suit the server.
    package struct Configuration: Sendable {
        /// Queued items (rows, or metric snapshots) beyond which new rows are dropped.
        package var capacity: Int = 100_000
        /// Wake the writer as soon as this many rows are queued.
        package var batchSize: Int = 500
        /// Otherwise the writer commits whatever is queued this often, seconds.
        package var flushInterval: Double = 0.1
        /// Delete rows older than this many seconds; nil keeps everything.
        package var retention: Double?
        /// Prune at most this often, seconds (and once at start).
        package var pruneInterval: Double = 60
        /// Rows per table deleted per prune step; a backlog is pruned over several writer rounds,
        /// with queued rows written in between.
        package var pruneChunk: Int = 10_000
        package var busyTimeoutMilliseconds: Int32 = 5000
        /// First wait before retrying a batch that met a locked database, seconds; doubles per
        /// attempt up to `lockRetryMaxDelay`.
        package var lockRetryDelay: Double = 0.05
        package var lockRetryMaxDelay: Double = 2
        /// After `close()`, how long a locked database is still retried before the batch is
        /// dropped (and counted), seconds, so shutdown cannot hang on another process's lock.
        package var closeLockPatience: Double = 30
        /// Now, in unix seconds (injectable for retention tests).
        package var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        /// Test hook: runs on the writer thread before it takes queued rows; blocking in it
        /// pauses the writer.
        package var writerWillDrain: (@Sendable () -> Void)?
        /// Test hook: runs on the writer thread each time a batch meets a locked database, before
        /// the backoff wait.
        package var writerMetLock: (@Sendable () -> Void)?

        package init(capacity: Int = 100_000, retention: Double? = nil) {
            self.capacity = capacity
            self.retention = retention
        }
    }

    /// One queued item.
    enum Item {
        case request(RequestRecord)
        case modelEvent(ModelEvent)
        case metricSamples([MetricSample])
    }

    package let path: String
    private let configuration: Configuration
    private let metrics: ServerMetrics?
    private let logger: Logger

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var pending: [Item] = []
    /// Items the writer has taken from `pending` and not yet finished with (they count against
    /// `capacity` while a locked database is retried).
    private var held = 0
    private var closeRequestedAt: Double?
    private var closing = false
    private var pruneRequested = false
    private var flushRequested = false
    /// Items accepted into the queue so far, and items the writer has finished with.
    private var accepted = 0
    private var processed = 0
    private var finished = false
    private var written = 0
    private var dropped = 0
    private var pruned = 0
    private var writeErrors = 0
    private var lockRetryCount = 0

    /// Opens (creating and migrating) the database at `path` and starts the writer thread.
    /// - Parameter metrics: if given, receives `lmserve_log_rows_written_total` and
    ///   `lmserve_log_rows_dropped_total` increments.
    /// - Throws: `RequestLogError` if the file cannot be opened or migrated.
    package init(
        path: String, configuration: Configuration = .init(), metrics: ServerMetrics? = nil, logger: Logger
    ) throws {
        self.path = path
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        let database = try RequestLogDatabase(
            path: path, create: true, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        let box = DatabaseBox(database)
        let thread = Thread { [self] in self.writerLoop(box.database) }
        thread.name = "lmserve-log-writer"
        thread.start()
    }

    // MARK: Producers (any thread, never block on I/O)

    /// Queues one request row; drops and counts it if the queue is full or the log is closed.
    package func record(_ record: RequestRecord) { enqueue(.request(record), droppable: true) }

    /// Queues a model event. Events are rare and never dropped for a full queue.
    package func recordModelEvent(_ event: ModelEvent) { enqueue(.modelEvent(event), droppable: false) }

    /// Queues one snapshot of metric values (one queue slot, one row per sample).
    package func recordMetricSamples(_ samples: [MetricSample]) {
        guard !samples.isEmpty else { return }
        enqueue(.metricSamples(samples), droppable: true)
    }

    /// Asks the writer to prune now (after writing what is queued), if retention is set.
    package func requestPrune() {
        condition.withLock {
            pruneRequested = true
            condition.broadcast()
        }
    }

    /// Blocks until every item queued before the call is committed (or failed), without
    /// closing; for tests and for "read your writes" before querying the log.
    package func flush() {
        condition.lock()
        let target = accepted
        if processed < target {
            flushRequested = true
            condition.broadcast()
        }
        while processed < target && !finished { condition.wait() }
        condition.unlock()
    }

    /// Writes every queued row, stops the writer and closes the database. Idempotent.
    package func close() {
        condition.lock()
        if closeRequestedAt == nil { closeRequestedAt = ProcessInfo.processInfo.systemUptime }
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Rows committed so far (requests + metric samples + model events).
    package var rowsWritten: Int { condition.withLock { written } }
    /// Rows dropped so far (queue full, log closed, a failed commit, or a lock outlasting close).
    package var rowsDropped: Int { condition.withLock { dropped } }
    /// Rows deleted by retention so far.
    package var rowsPruned: Int { condition.withLock { pruned } }
    /// Batches that failed to commit (their rows are counted as dropped).
    package var writeFailures: Int { condition.withLock { writeErrors } }
    /// Times a batch met a locked database and was kept for another attempt.
    package var lockRetries: Int { condition.withLock { lockRetryCount } }
    /// Items waiting for the writer.
    package var queueDepth: Int { condition.withLock { pending.count } }

    private func enqueue(_ item: Item, droppable: Bool) {
        condition.lock()
        if closing || (droppable && pending.count + held >= configuration.capacity) {
            let rows = item.rowCount
            dropped += rows
            condition.unlock()
            metrics?.logRowsDropped(rows)
            return
        }
        pending.append(item)
        accepted += 1
        if pending.count == configuration.batchSize { condition.broadcast() }
        condition.unlock()
    }

    // MARK: Writer thread

    private func writerLoop(_ database: RequestLogDatabase) {
        var nextPrune = 0.0
        var spare: [Item] = []
        while true {
            condition.lock()
            if pending.count < configuration.batchSize && !closing && !pruneRequested && !flushRequested {
                _ = condition.wait(until: Date(timeIntervalSinceNow: configuration.flushInterval))
            }
            let hasWork = !pending.isEmpty
            condition.unlock()

            if hasWork, let hook = configuration.writerWillDrain { hook() }

            condition.lock()
            let stopping = closing
            // Rows that arrived after the check wait for the next round (the hook has not seen
            // them), unless this is the last round.
            if hasWork || stopping {
                swap(&pending, &spare)
                held = spare.count
            }
            // Anything a flush waits for is now either taken (written below) or still pending
            // (keep the flag so the next round does not sleep); never spin on an empty queue.
            if pending.isEmpty { flushRequested = false }
            let pruneNow = pruneRequested
            pruneRequested = false
            condition.unlock()

            if !spare.isEmpty {
                write(spare, to: database)
                condition.withLock {
                    processed += spare.count
                    held = 0
                    condition.broadcast()
                }
                spare.removeAll(keepingCapacity: true)  // reused: producers never reallocate in steady state
            }
            if let retention = configuration.retention, pruneNow || configuration.clock() >= nextPrune {
                let more = prune(database, cutoff: configuration.clock() - retention)
                nextPrune = more ? 0 : configuration.clock() + configuration.pruneInterval
            }
            if stopping { break }
        }
        database.close()
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// Commits `items` in one transaction, retrying with backoff while another connection holds
    /// the database locked; any other failure drops (and counts) the batch.
    private func write(_ items: [Item], to database: RequestLogDatabase) {
        let rows = items.reduce(0) { $0 + $1.rowCount }
        var delay = configuration.lockRetryDelay
        var attempts = 0
        while true {
            do {
                try commit(items, to: database)
                condition.withLock { written += rows }
                metrics?.logRowsWritten(rows)
                if attempts > 0 {
                    logger.notice("request log writable again", metadata: ["rows": "\(rows)", "retries": "\(attempts)"])
                }
                return
            } catch let error as SQLiteError where error.isLock && !lockOutlastedClose() {
                attempts += 1
                condition.withLock { lockRetryCount += 1 }
                metrics?.logWriteRetried()
                if attempts == 1 {
                    logger.warning(
                        "request log locked by another connection; keeping the batch and retrying",
                        metadata: ["rows": "\(rows)", "error": "\(error)"])
                }
                configuration.writerMetLock?()
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, configuration.lockRetryMaxDelay)
            } catch {
                dropFailedBatch(rows: rows, error: error)
                return
            }
        }
    }

    private func commit(_ items: [Item], to database: RequestLogDatabase) throws {
        try database.database.transaction {
            for item in items {
                switch item {
                case .request(let record): try database.insert(record)
                case .modelEvent(let event): try database.insert(event)
                case .metricSamples(let samples): for sample in samples { try database.insert(sample) }
                }
            }
        }
    }

    /// True once `close()` has waited `closeLockPatience` for a lock to go.
    private func lockOutlastedClose() -> Bool {
        guard let since = condition.withLock({ closeRequestedAt }) else { return false }
        return ProcessInfo.processInfo.systemUptime - since >= configuration.closeLockPatience
    }

    private func dropFailedBatch(rows: Int, error: Error) {
        condition.withLock {
            dropped += rows
            writeErrors += 1
        }
        metrics?.logRowsDropped(rows)
        logger.error("request log write failed; rows dropped", metadata: ["rows": "\(rows)", "error": "\(error)"])
    }

    /// One prune step. - Returns: true if older rows remain (prune again soon).
    private func prune(_ database: RequestLogDatabase, cutoff: Double) -> Bool {
        do {
            let (deleted, more) = try database.prune(olderThan: cutoff, limit: configuration.pruneChunk)
            condition.withLock { pruned += deleted }
            if deleted > 0 { logger.debug("request log pruned", metadata: ["rows": "\(deleted)"]) }
            return more
        } catch {
            logger.error("request log prune failed", metadata: ["error": "\(error)"])
            return false
        }
    }
}

extension SQLiteRequestLog.Item {
    var rowCount: Int {
        switch self {
        case .request, .modelEvent: return 1
        case .metricSamples(let samples): return samples.count
        }
    }
}

/// Moves the writer's connection into its thread (used by that thread only).
// @unchecked: the connection is handed over once and then used by the writer thread alone.
private final class DatabaseBox: @unchecked Sendable {
    let database: RequestLogDatabase
    init(_ database: RequestLogDatabase) { self.database = database }
}
