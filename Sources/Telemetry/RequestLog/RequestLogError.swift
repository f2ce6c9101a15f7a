/// Why the request log could not be opened or read.
package enum RequestLogError: Error, Equatable, CustomStringConvertible {
    /// The database file does not exist (and we were asked not to create it).
    case missingDatabase(path: String)
    /// The file exists but is not a readable request log (corrupt, not SQLite, wrong tables), or
    /// another connection holds it locked.
    case unreadable(path: String, underlying: SQLiteError)
    /// The file could not be created, opened or written (a missing or read-only directory, a
    /// read-only file, a full disk).
    case inaccessible(path: String, access: Access, underlying: SQLiteError)
    /// The file's schema version is newer than this build understands.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// A status filter that is neither a code (404) nor a class (5xx).
    case invalidStatusFilter(String)
    /// A query parameter with a bad value (`since`, `limit`, `offset`).
    case invalidParameter(name: String, reason: String)

    /// What failed for `inaccessible`.
    package enum Access: String, Sendable {
        case create, open, write
    }

    package var description: String {
        switch self {
        case .missingDatabase(let path):
            return "request log database not found: \(path)"
        case .unreadable(let path, let underlying):
            return "cannot read request log \(path): \(underlying.message) (SQLite code \(underlying.code))"
        case .inaccessible(let path, let access, let underlying):
            let hint = access == .open ? "" : "; check that its directory exists and is writable and the disk has room"
            return "cannot \(access.rawValue) the request log \(path): \(underlying.message) (SQLite code \(underlying.code))\(hint)"
        case .schemaTooNew(let path, let found, let supported):
            return "request log \(path) has schema version \(found); this lmserve supports up to \(supported)"
        case .invalidStatusFilter(let text):
            return "invalid status filter '\(text)': expected a code like 404 or a class like 5xx"
        case .invalidParameter(let name, let reason):
            return "invalid \(name): \(reason)"
        }
    }
}
