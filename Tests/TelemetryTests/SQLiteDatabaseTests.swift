import Foundation
import Testing
@testable import Telemetry

@Suite struct SQLiteDatabaseTests {
    static let trickyTexts = [
        "it's \"quoted\" and 'single' `back`",
        "NUL\u{0}in\u{0}the middle\u{0}",
        "\u{0}",
        "emoji 👩🏽‍💻🚀 and combining é (e\u{301}) and 中文",
        "'); DROP TABLE requests; --",
        "Robert'); DELETE FROM requests WHERE 1=1; SELECT ('",
        "%s %d \\ backslash \n newline \r\n tab\t",
        "",
    ]

    @Test func textRoundTripsVerbatim() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = try SQLiteDatabase(path: dir.path("t.db"))
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT, raw BLOB)")
        for text in Self.trickyTexts {
            try db.run("INSERT INTO t (body, raw) VALUES (?, ?)", [.text(text), .blob(Array(text.utf8))])
        }
        let rows = try db.query("SELECT body, raw, length(CAST(body AS BLOB)) FROM t ORDER BY id") {
            ($0.text(at: 0), $0.blob(at: 1), $0.int64(at: 2))
        }
        #expect(rows.count == Self.trickyTexts.count)
        for (row, text) in zip(rows, Self.trickyTexts) {
            #expect(row.0 == text)
            #expect(row.0.map { Array($0.utf8) } == Array(text.utf8))
            #expect(row.1 == Array(text.utf8))
            #expect(row.2 == Int64(text.utf8.count))  // SQLite stored every byte, NULs included
        }
        // The table survived the SQL fragments, and "" is stored as text, not NULL.
        #expect(try db.scalarInt("SELECT count(*) FROM t WHERE body IS NULL") == 0)
    }

    @Test func nullsAndNumbers() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = try SQLiteDatabase(path: dir.path("n.db"))
        try db.execute("CREATE TABLE n (a INTEGER, b REAL, c TEXT)")
        try db.run("INSERT INTO n VALUES (?, ?, ?)", [.integer(Int64.max), .real(-0.125), .null])
        try db.run("INSERT INTO n VALUES (?, ?, ?)", [SQLiteValue(nil as Int?), SQLiteValue(nil as Double?), SQLiteValue("x")])
        let rows = try db.query("SELECT a, b, c FROM n ORDER BY rowid") {
            ($0.optionalInt(at: 0), $0.optionalDouble(at: 1), $0.text(at: 2))
        }
        #expect(rows[0].0 == Int.max && rows[0].1 == -0.125 && rows[0].2 == nil)
        #expect(rows[1].0 == nil && rows[1].1 == nil && rows[1].2 == "x")
    }

    @Test func errorsCarryCodeAndMessage() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = try SQLiteDatabase(path: dir.path("e.db"))
        let syntax = #expect(throws: SQLiteError.self) { try db.prepare("SELEKT 1") }
        #expect(syntax?.primaryCode == 1)
        #expect(syntax?.message.contains("syntax error") == true)
        let missing = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO nope VALUES (?)", [.integer(1)]) }
        #expect(missing?.message.contains("no such table") == true)
        try db.execute("CREATE TABLE u (k TEXT UNIQUE)")
        try db.run("INSERT INTO u VALUES (?)", [.text("a")])
        let constraint = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO u VALUES (?)", [.text("a")]) }
        #expect(constraint?.primaryCode == 19)  // SQLITE_CONSTRAINT
        // A failed transaction rolls back.
        #expect(throws: SQLiteError.self) {
            try db.transaction {
                try db.run("INSERT INTO u VALUES (?)", [.text("b")])
                try db.run("INSERT INTO u VALUES (?)", [.text("a")])
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM u") == 1)
        db.close()
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1") }
    }

    @Test func missingDirectoryFailsToOpen() throws {
        let error = #expect(throws: SQLiteError.self) {
            try SQLiteDatabase(path: "/nonexistent-lmserve-dir/x.db")
        }
        #expect(error?.primaryCode == 14)  // SQLITE_CANTOPEN
    }
}
