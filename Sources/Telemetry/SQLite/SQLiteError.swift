/// A failed SQLite call: the result code, SQLite's own message, and what we were doing.
package struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// The (extended) SQLite result code, e.g. 26 = SQLITE_NOTADB, 5 = SQLITE_BUSY.
    package var code: Int32
    /// `sqlite3_errmsg` (or `sqlite3_errstr`) at the time of failure.
    package var message: String
    /// The operation that failed, e.g. "open /var/lib/lmserve.db" or "prepare SELECT …".
    package var operation: String

    package init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// The primary result code (low byte of the extended code).
    package var primaryCode: Int32 { code & 0xff }

    /// True when another connection holds the database locked (`SQLITE_BUSY` or
    /// `SQLITE_LOCKED`, any extended variant): the same call may succeed later.
    package var isLock: Bool { primaryCode == 5 || primaryCode == 6 }

    package var description: String { "SQLite error \(code) during \(operation): \(message)" }
}
