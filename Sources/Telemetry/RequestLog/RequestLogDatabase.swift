import Foundation

/// The request-log tables over one SQLite connection: open + migrate, batch inserts, pruning
/// and queries. Not thread-safe; `SQLiteRequestLog` owns one on its writer thread and
/// `RequestLogReader` guards another with a lock.
package final class RequestLogDatabase {
    package let database: SQLiteDatabase
    private var insertRequest: SQLiteStatement?
    private var insertSample: SQLiteStatement?
    private var insertEvent: SQLiteStatement?

    /// Opens (and by default creates) the log at `path`: WAL, `synchronous=NORMAL`, busy timeout,
    /// then migrations.
    /// - Parameter create: when false a missing file is an error (the CLI reads, never creates).
    /// - Throws: `RequestLogError.missingDatabase`, `.inaccessible` (cannot create, open or
    ///   write the file), `.unreadable` (corrupt / not SQLite / locked), `.schemaTooNew`.
    package init(path: String, create: Bool = true, busyTimeoutMilliseconds: Int32 = 5000) throws {
        let existed = FileManager.default.fileExists(atPath: path)
        if !create && !existed {
            throw RequestLogError.missingDatabase(path: path)
        }
        do {
            database = try SQLiteDatabase(
                path: path, mode: create ? .readWriteCreate : .readWrite,
                busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        } catch let error as SQLiteError {
            throw RequestLogError.inaccessible(path: path, access: existed ? .open : .create, underlying: error)
        }
        do {
            let mode = try database.query("PRAGMA journal_mode = WAL") { $0.text(at: 0) }.first ?? nil
            if mode?.lowercased() != "wal" {
                throw SQLiteError(code: 1, message: "journal_mode is \(mode ?? "unknown"), not wal", operation: "enable WAL")
            }
            try database.execute("PRAGMA synchronous = NORMAL")
            try RequestLogSchema.migrate(database)
        } catch let error as SQLiteError {
            database.close()
            guard Self.isAccessFailure(error) else { throw RequestLogError.unreadable(path: path, underlying: error) }
            throw RequestLogError.inaccessible(path: path, access: existed ? .write : .create, underlying: error)
        }
    }

    /// SQLITE_PERM, READONLY, IOERR, FULL, CANTOPEN: the file system refused, not the file's
    /// content.
    private static func isAccessFailure(_ error: SQLiteError) -> Bool {
        [3, 8, 10, 13, 14].contains(error.primaryCode)
    }

    /// Closes the connection (the last connection to close checkpoints the WAL).
    package func close() {
        insertRequest = nil
        insertSample = nil
        insertEvent = nil
        database.close()
    }

    /// The schema version (`PRAGMA user_version`).
    package func schemaVersion() throws -> Int { Int(try database.scalarInt("PRAGMA user_version") ?? 0) }

    /// `PRAGMA integrity_check`: "ok" or SQLite's list of problems.
    package func integrityCheck() throws -> [String] {
        try database.query("PRAGMA integrity_check") { $0.text(at: 0) ?? "" }
    }

    /// Inserts request rows (no transaction of its own; see `write(_:)`).
    package func insert(_ record: RequestRecord) throws {
        if insertRequest == nil {
            insertRequest = try database.prepare(
                """
                INSERT INTO requests (request_id, time, route, model, status, error_type, client_address,
                    latency_ms, queue_ms, compute_ms, batch_size, prompt_tokens, completion_tokens,
                    scored_tokens, perplexity, prompt_text, output_text, key_name, model_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        }
        // Bound one by one: no array per row on the writer's hot path. Every parameter is
        // bound each time, so no stale value survives from the previous row.
        let statement = insertRequest!
        try statement.bind(.text(record.requestID), at: 1)
        try statement.bind(.real(record.time), at: 2)
        try statement.bind(.text(record.route), at: 3)
        try statement.bind(SQLiteValue(record.model), at: 4)
        try statement.bind(.integer(Int64(record.status)), at: 5)
        try statement.bind(SQLiteValue(record.errorType), at: 6)
        try statement.bind(SQLiteValue(record.clientAddress), at: 7)
        try statement.bind(.real(record.latencyMs), at: 8)
        try statement.bind(SQLiteValue(record.queueMs), at: 9)
        try statement.bind(SQLiteValue(record.computeMs), at: 10)
        try statement.bind(SQLiteValue(record.batchSize), at: 11)
        try statement.bind(.integer(Int64(record.promptTokens)), at: 12)
        try statement.bind(.integer(Int64(record.completionTokens)), at: 13)
        try statement.bind(.integer(Int64(record.scoredTokens)), at: 14)
        try statement.bind(SQLiteValue(record.perplexity), at: 15)
        try statement.bind(SQLiteValue(record.promptText), at: 16)
        try statement.bind(SQLiteValue(record.outputText), at: 17)
        try statement.bind(SQLiteValue(record.keyName), at: 18)
        try statement.bind(SQLiteValue(record.modelVersion), at: 19)
        try statement.run()
    }

    /// Inserts one metric sample row.
    package func insert(_ sample: MetricSample) throws {
        if insertSample == nil {
            insertSample = try database.prepare("INSERT INTO metric_samples (time, name, labels, value) VALUES (?, ?, ?, ?)")
        }
        try insertSample!.execute([.real(sample.time), .text(sample.name), .text(sample.labels), .real(sample.value)])
    }

    /// Inserts one model event row.
    package func insert(_ event: ModelEvent) throws {
        if insertEvent == nil {
            insertEvent = try database.prepare("INSERT INTO model_events (time, model, event, detail) VALUES (?, ?, ?, ?)")
        }
        try insertEvent!.execute([.real(event.time), .text(event.model), .text(event.kind.rawValue), SQLiteValue(event.detail)])
    }

    /// Deletes rows older than `cutoff` (unix seconds), at most `limit` per table, in one
    /// transaction; a bounded chunk keeps the writer from stalling on a large backlog.
    /// - Returns: rows deleted, and whether any table may still hold older rows.
    @discardableResult
    package func prune(olderThan cutoff: Double, limit: Int = Int(Int32.max)) throws -> (deleted: Int, more: Bool) {
        try database.transaction {
            var deleted = 0
            var more = false
            for table in ["requests", "metric_samples", "model_events"] {
                let count = try database.run(
                    "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) WHERE time < ? LIMIT ?)",
                    [.real(cutoff), .integer(Int64(limit))])
                deleted += count
                more = more || count >= limit
            }
            return (deleted, more)
        }
    }

    /// Model events since `since` (unix seconds), oldest first.
    package func modelEvents(since: Double? = nil) throws -> [ModelEvent] {
        try database.query(
            "SELECT time, model, event, detail FROM model_events WHERE time >= ? ORDER BY time, rowid",
            [.real(since ?? -Double.greatestFiniteMagnitude)]
        ) { row in
            ModelEvent(
                time: row.double(at: 0), model: row.text(at: 1) ?? "",
                kind: ModelEvent.Kind(rawValue: row.text(at: 2) ?? "") ?? .failure, detail: row.text(at: 3))
        }
    }

    /// Metric samples, optionally for one series name, since `since`, oldest first.
    package func metricSamples(name: String? = nil, since: Double? = nil) throws -> [MetricSample] {
        try database.query(
            """
            SELECT time, name, labels, value FROM metric_samples
            WHERE time >= ? AND (?2 IS NULL OR name = ?2) ORDER BY time, rowid
            """,
            [.real(since ?? -Double.greatestFiniteMagnitude), SQLiteValue(name)]
        ) { row in
            MetricSample(time: row.double(at: 0), name: row.text(at: 1) ?? "", labels: row.text(at: 2) ?? "", value: row.double(at: 3))
        }
    }

    /// Row counts of the three tables (requests, metric_samples, model_events).
    package func rowCounts() throws -> (requests: Int, metricSamples: Int, modelEvents: Int) {
        (
            Int(try database.scalarInt("SELECT count(*) FROM requests") ?? 0),
            Int(try database.scalarInt("SELECT count(*) FROM metric_samples") ?? 0),
            Int(try database.scalarInt("SELECT count(*) FROM model_events") ?? 0)
        )
    }
}
