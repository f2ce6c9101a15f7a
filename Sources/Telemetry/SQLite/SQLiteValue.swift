/// A value bound to, or read from, an SQLite statement.
package enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    /// Bound with its UTF-8 byte count, so embedded NUL bytes survive.
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue {
    /// `.text` for a string, `.null` for nil.
    package init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    /// `.integer` for an int, `.null` for nil.
    package init(_ int: Int?) { self = int.map { .integer(Int64($0)) } ?? .null }
    /// `.real` for a double, `.null` for nil.
    package init(_ real: Double?) { self = real.map { .real($0) } ?? .null }
}
