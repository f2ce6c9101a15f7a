/// Values a client sent that the server repeats back (a path in a 404, an unknown model name in
/// an error, the name in the request log) are cut to a bounded length, so a 10 KB name costs
/// 10 KB once, in the request, not again in every answer and log row.
package enum Truncation {
    /// The most characters of a client's value that an error message or a log row repeats.
    package static let limit = 64

    /// `value` when it has at most `limit` characters, else its first `limit` characters and
    /// "…" with the length it had.
    package static func cut(_ value: String, limit: Int = limit) -> String {
        guard value.count > limit else { return value }
        return String(value.prefix(limit)) + "…(\(value.utf8.count) bytes)"
    }

    /// `cut` for an optional value.
    package static func cut(_ value: String?) -> String? { value.map { cut($0) } }

    /// The longest error message sent: a backstop for values echoed that no `cut` bounded.
    package static let messageLimit = 1024

    /// `message` cut to `messageLimit` characters.
    package static func bounded(message: String) -> String { cut(message, limit: messageLimit) }
}
