import CSQLite

/// One SQLite connection (`sqlite3 *`). Not thread-safe: use it from one thread at a time.
///
/// C types stay in this file and `SQLiteStatement.swift`. Every call that fails throws
/// `SQLiteError` with the result code and `sqlite3_errmsg`.
package final class SQLiteDatabase {
    /// How to open the file.
    package enum OpenMode: Sendable {
        /// Read and write; create the file if missing (`SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE`).
        case readWriteCreate
        /// Read and write an existing file (`SQLITE_OPEN_READWRITE`).
        case readWrite
        /// Read only (`SQLITE_OPEN_READONLY`).
        case readOnly
    }

    package let path: String
    private(set) var handle: OpaquePointer?

    /// Opens `path` (`sqlite3_open_v2`, full-mutex off: one thread per connection).
    /// - Parameter busyTimeoutMilliseconds: how long a locked database is retried
    ///   (`sqlite3_busy_timeout`).
    /// - Throws: `SQLiteError` if the file cannot be opened.
    package init(path: String, mode: OpenMode = .readWriteCreate, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var flags: Int32 = SQLITE_OPEN_NOMUTEX
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, operation: "open \(path)")
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        self.handle = db
    }

    deinit { close() }

    /// Closes the connection (`sqlite3_close_v2`); later calls throw. Safe to call twice.
    package func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    /// Runs one or more statements without parameters (`sqlite3_exec`): DDL, pragmas, BEGIN/COMMIT.
    /// - Throws: `SQLiteError`.
    package func execute(_ sql: String) throws {
        let db = try openHandle(for: sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, operation: "execute \(Self.abbreviate(sql))")
        }
    }

    /// Compiles one statement (`sqlite3_prepare_v3`).
    /// - Throws: `SQLiteError` on a syntax error, an unknown table, or a non-database file.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        let db = try openHandle(for: sql)
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(
                code: rc, message: String(cString: sqlite3_errmsg(db)), operation: "prepare \(Self.abbreviate(sql))")
        }
        return SQLiteStatement(database: self, statement: stmt, sql: sql)
    }

    /// Prepares, binds `parameters` (1-based, in order) and steps to completion.
    /// - Returns: the number of rows changed (`sqlite3_changes`).
    @discardableResult
    package func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> Int {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        while try statement.step() {}
        return changes
    }

    /// Prepares, binds `parameters` and maps every result row through `row`.
    package func query<T>(_ sql: String, _ parameters: [SQLiteValue] = [], row: (SQLiteStatement) throws -> T)
        throws -> [T]
    {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        var rows: [T] = []
        while try statement.step() { rows.append(try row(statement)) }
        return rows
    }

    /// The first column of the first row of `sql` as an integer, or nil if there is no row.
    package func scalarInt(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> Int64? {
        try query(sql, parameters) { $0.int64(at: 0) }.first
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back if it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE (`sqlite3_changes`).
    package var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// The SQLite library version, e.g. "3.45.1" (`sqlite3_libversion`).
    package static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    private func openHandle(for sql: String) throws -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed", operation: Self.abbreviate(sql))
        }
        return handle
    }

    static func abbreviate(_ sql: String) -> String {
        let oneLine = sql.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }
            .joined(separator: " ")
        return oneLine.count > 80 ? String(oneLine.prefix(77)) + "..." : oneLine
    }
}
