import Foundation
import Testing
@testable import Telemetry

/// A writer killed with SIGKILL mid-write (here a python3 child writing our schema in WAL mode
/// with synchronous=NORMAL, as our writer does) leaves a database that passes integrity_check,
/// holds only whole transactions, and accepts appends from our log.
@Suite struct CrashSafetyTests {
    static let childScript = """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
        n = 0
        while True:
            db.execute("BEGIN IMMEDIATE")
            for i in range(100):
                db.execute("INSERT INTO requests (request_id, time, route, status, latency_ms, prompt_text)"
                           " VALUES (?, ?, '/v1/perplexity', 200, 1.5, ?)", ("child-%d" % n, 1.7e9 + n, "x" * 300))
                n += 1
            db.execute("COMMIT")
            if n == 1000:
                print("ready", flush=True)
        """

    @Test func killedWriterLeavesAnIntactAppendableDatabase() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("crash.db")
        let log = try SQLiteRequestLog(path: path, logger: testLogger)
        for index in 0..<10 { log.record(makeRecord(index)) }
        log.close()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", "-c", Self.childScript, path]
        let stdout = Pipe()
        child.standardOutput = stdout
        do { try child.run() } catch {
            Issue.record("python3 is required for the crash test: \(error)")
            return
        }
        // Wait until it has committed 10 transactions; it keeps writing while we kill it.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready") {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        try #require(String(decoding: seen, as: UTF8.self).contains("ready"), "child writer did not start")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)

        let check = try RequestLogDatabase(path: path, create: false)
        #expect(try check.integrityCheck() == ["ok"])
        let childRows = Int(try check.database.scalarInt("SELECT count(*) FROM requests WHERE request_id LIKE 'child-%'") ?? -1)
        #expect(childRows >= 1000)
        #expect(childRows % 100 == 0)  // only whole transactions survive
        check.close()

        let reopened = try SQLiteRequestLog(path: path, logger: testLogger)
        for index in 10..<25 { reopened.record(makeRecord(index)) }
        reopened.close()
        let after = try RequestLogDatabase(path: path, create: false)
        #expect(try after.integrityCheck() == ["ok"])
        #expect(try after.rowCounts().requests == 25 + childRows)
        after.close()
    }
}
