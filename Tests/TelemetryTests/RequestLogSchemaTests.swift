import Foundation
import Testing
@testable import Telemetry

@Suite struct RequestLogSchemaTests {
    @Test func migrationsRunOnceAndReopenIsIdempotent() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("log.db")
        let first = try SQLiteDatabase(path: path)
        #expect(try RequestLogSchema.migrate(first) == Array(1...RequestLogSchema.currentVersion))
        #expect(try RequestLogSchema.migrate(first) == [])
        first.close()

        let log = try RequestLogDatabase(path: path)
        #expect(try log.schemaVersion() == RequestLogSchema.currentVersion)
        #expect(try RequestLogSchema.migrate(log.database) == [])
        let tables = try log.database.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
            $0.text(at: 0) ?? ""
        }
        #expect(tables == ["metric_samples", "model_events", "requests"])
        let journal = try log.database.query("PRAGMA journal_mode") { $0.text(at: 0) }
        #expect(journal == ["wal"])
        #expect(try log.database.scalarInt("PRAGMA synchronous") == 1)  // NORMAL
        log.close()
    }

    @Test func migrationsApplyInOrderAndOnlyTheNewOnes() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = try SQLiteDatabase(path: dir.path("m.db"))
        let steps = [
            "CREATE TABLE steps (n INTEGER); INSERT INTO steps VALUES (1);",
            "INSERT INTO steps VALUES (2);",
            "INSERT INTO steps VALUES (3);",
        ]
        #expect(try RequestLogSchema.migrate(db, migrations: Array(steps.prefix(2))) == [1, 2])
        #expect(try RequestLogSchema.migrate(db, migrations: steps) == [3])
        #expect(try RequestLogSchema.migrate(db, migrations: steps) == [])
        #expect(try db.query("SELECT n FROM steps ORDER BY rowid") { $0.int64(at: 0) } == [1, 2, 3])
        #expect(try db.scalarInt("PRAGMA user_version") == 3)
        // A failing migration applies nothing, including earlier steps of the same run.
        let broken = steps + ["INSERT INTO steps VALUES (4);", "INSERT INTO nowhere VALUES (5);"]
        #expect(throws: SQLiteError.self) { try RequestLogSchema.migrate(db, migrations: broken) }
        #expect(try db.scalarInt("PRAGMA user_version") == 3)
        #expect(try db.scalarInt("SELECT count(*) FROM steps") == 3)
        // A database from a newer build is refused.
        #expect(throws: RequestLogError.self) { try RequestLogSchema.migrate(db, migrations: Array(steps.prefix(1))) }
    }

    /// A version-1 file (as the first release wrote it) keeps its rows and loses the two request
    /// indexes that version 2 drops.
    @Test func versionOneFileUpgrades() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("v1.db")
        let old = try SQLiteDatabase(path: path)
        #expect(try RequestLogSchema.migrate(old, migrations: Array(RequestLogSchema.migrations.prefix(1))) == [1])
        try old.execute("INSERT INTO requests (request_id, time, route, status, latency_ms) VALUES ('r1', 1, '/health', 200, 0.5)")
        old.close()

        let log = try RequestLogDatabase(path: path)
        #expect(try log.schemaVersion() == RequestLogSchema.currentVersion)
        let indexes = try log.database.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'") {
            $0.text(at: 0) ?? ""
        }
        #expect(indexes == ["requests_time"])
        #expect(try log.database.scalarInt("SELECT count(*) FROM requests WHERE request_id = 'r1'") == 1)
        log.close()
    }

    /// A version-2 file (before API keys) opens: its rows read back with no key name, and new
    /// rows keep theirs.
    @Test func versionTwoFileGainsTheKeyName() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("v2.db")
        let old = try SQLiteDatabase(path: path)
        #expect(try RequestLogSchema.migrate(old, migrations: Array(RequestLogSchema.migrations.prefix(2))) == [1, 2])
        try old.execute("INSERT INTO requests (request_id, time, route, status, latency_ms) VALUES ('r1', 1, '/health', 200, 0.5)")
        old.close()

        let log = try RequestLogDatabase(path: path)
        #expect(try log.schemaVersion() == RequestLogSchema.currentVersion)
        try log.insert(RequestRecord(requestID: "r2", time: 2, route: "/v1/models", status: 200, latencyMs: 1, keyName: "app"))
        let rows = try log.requests(matching: RequestQuery())
        #expect(rows.map(\.requestID) == ["r2", "r1"])
        #expect(rows.map(\.keyName) == ["app", nil])
        log.close()
    }

    /// A version-3 file (before models reloaded live) opens through the reader: its rows read
    /// back with no model version, its model events survive the events table's copy, and new
    /// rows carry a version and may record an unload.
    @Test func versionThreeFileGainsModelVersions() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("v3.db")
        let old = try SQLiteDatabase(path: path)
        #expect(try RequestLogSchema.migrate(old, migrations: Array(RequestLogSchema.migrations.prefix(3))) == [1, 2, 3])
        try old.execute("INSERT INTO requests (request_id, time, route, model, status, latency_ms) VALUES ('r1', 1, '/v1/perplexity', 'm', 200, 0.5)")
        try old.execute("INSERT INTO model_events (time, model, event, detail) VALUES (1, 'm', 'load', 'm.arpa')")
        #expect(throws: SQLiteError.self) { try old.execute("INSERT INTO model_events (time, model, event) VALUES (2, 'm', 'unload')") }
        old.close()

        let reader = try RequestLogReader(path: path)
        let rows = try reader.requests(matching: RequestQuery())
        #expect(rows.map(\.requestID) == ["r1"])
        #expect(rows.first?.modelVersion == nil)
        #expect(try reader.modelEvents() == [ModelEvent(time: 1, model: "m", kind: .load, detail: "m.arpa")])
        reader.close()

        let log = try RequestLogDatabase(path: path)
        #expect(try log.schemaVersion() == 4)
        try log.insert(RequestRecord(requestID: "r2", time: 2, route: "/v1/perplexity", model: "m", status: 200, latencyMs: 1, modelVersion: "abc-2"))
        try log.insert(ModelEvent(time: 3, model: "m", kind: .unload))
        #expect(try log.requests(matching: RequestQuery()).map(\.modelVersion) == ["abc-2", nil])
        #expect(try log.modelEvents().map(\.kind) == [.load, .unload])
        log.close()
    }

    @Test func missingAndCorruptFilesGiveClearErrors() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        #expect(throws: RequestLogError.missingDatabase(path: dir.path("none.db"))) {
            try RequestLogReader(path: dir.path("none.db"))
        }
        let garbage = dir.path("garbage.db")
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: garbage))
        let error = #expect(throws: RequestLogError.self) { try RequestLogReader(path: garbage) }
        guard case .unreadable(_, let underlying) = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(underlying.primaryCode == 26)  // SQLITE_NOTADB
        #expect(error?.description.contains("not a database") == true)
    }
}
