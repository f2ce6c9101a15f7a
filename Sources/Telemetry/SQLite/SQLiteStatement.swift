import CSQLite

/// A compiled statement (`sqlite3_stmt *`). Bind, step, read columns, reset, repeat.
///
/// Parameters are always bound, never spliced into SQL. Text is bound with its UTF-8 byte count
/// and read back with `sqlite3_column_bytes`, so NUL bytes and any Unicode survive verbatim.
package final class SQLiteStatement {
    private let database: SQLiteDatabase  // keeps the connection open while the statement lives
    private var statement: OpaquePointer?
    package let sql: String

    init(database: SQLiteDatabase, statement: OpaquePointer, sql: String) {
        self.database = database
        self.statement = statement
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    /// Resets the statement and clears its bindings (`sqlite3_reset`, `sqlite3_clear_bindings`).
    package func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// Binds `values` to parameters 1…n after a `reset()`.
    /// - Throws: `SQLiteError` (e.g. SQLITE_RANGE for too many values).
    package func bind(_ values: [SQLiteValue]) throws {
        reset()
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index` (`sqlite3_bind_*`; text and blobs are
    /// copied with SQLITE_TRANSIENT).
    package func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(statement, index)
        case .integer(let int):
            rc = sqlite3_bind_int64(statement, index, int)
        case .real(let real):
            rc = sqlite3_bind_double(statement, index, real)
        case .text(var text):
            rc = text.withUTF8 { bytes in
                // An empty buffer may have a nil base address, which SQLite would bind as NULL.
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_text(statement, index, "", 0, lmserve_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text64(
                        statement, index, $0, sqlite3_uint64(bytes.count), lmserve_sqlite_transient(),
                        UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(statement, index, raw.baseAddress, sqlite3_uint64(raw.count), lmserve_sqlite_transient())
            }
        }
        guard rc == SQLITE_OK else { throw error(rc, "bind parameter \(index) of") }
    }

    /// Advances one row (`sqlite3_step`).
    /// - Returns: true if a row is available to read, false when done.
    /// - Throws: `SQLiteError` on constraint violations, I/O errors, busy timeouts.
    package func step() throws -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let failure = error(rc, "step")
            sqlite3_reset(statement)
            throw failure
        }
    }

    /// Steps to completion and resets, keeping bindings; for INSERT/UPDATE/DELETE after
    /// `bind(_:at:)` calls.
    package func run() throws {
        while try step() {}
        sqlite3_reset(statement)
    }

    /// Binds, steps to completion and resets; for INSERT/UPDATE/DELETE in a loop.
    package func execute(_ values: [SQLiteValue]) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(statement)
    }

    /// Number of result columns.
    package var columnCount: Int32 { sqlite3_column_count(statement) }

    /// True if column `index` (0-based) of the current row is NULL.
    package func isNull(at index: Int32) -> Bool { sqlite3_column_type(statement, index) == SQLITE_NULL }

    /// Column `index` as an integer (NULL reads as 0).
    package func int64(at index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

    /// Column `index` as an Int, or nil if NULL.
    package func optionalInt(at index: Int32) -> Int? { isNull(at: index) ? nil : Int(int64(at: index)) }

    /// Column `index` as a double (NULL reads as 0).
    package func double(at index: Int32) -> Double { sqlite3_column_double(statement, index) }

    /// Column `index` as a double, or nil if NULL.
    package func optionalDouble(at index: Int32) -> Double? { isNull(at: index) ? nil : double(at: index) }

    /// Column `index` as text, read with its byte count (NUL bytes kept), or nil if NULL.
    package func text(at index: Int32) -> String? {
        guard !isNull(at: index) else { return nil }
        guard let bytes = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes, or nil if NULL.
    package func blob(at index: Int32) -> [UInt8]? {
        guard !isNull(at: index) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let base = sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    private func error(_ rc: Int32, _ operation: String) -> SQLiteError {
        let db = sqlite3_db_handle(statement)
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return SQLiteError(code: rc, message: message, operation: "\(operation) \(SQLiteDatabase.abbreviate(sql))")
    }
}
