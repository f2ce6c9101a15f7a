import Foundation

/// Parses human durations such as `45s`, `30m`, `1h`, `7d`, `2w`, `250ms` or compounds like
/// `1h30m`, for `--since` and `--log-retention`.
package enum DurationParser {
    /// Why a duration string was rejected.
    package struct ParseError: Error, Equatable, CustomStringConvertible {
        package var input: String
        package var reason: String
        package var description: String {
            "invalid duration '\(input)': \(reason) (examples: 45s, 30m, 1h, 7d, 1h30m)"
        }
    }

    /// Seconds per unit suffix.
    static let units: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// The length of `text` in seconds.
    /// - Throws: `ParseError` for empty input, a missing or unknown unit, a bad number, or a
    ///   negative/non-finite total.
    package static func seconds(_ text: String) throws -> Double {
        let input = text.trimmingCharacters(in: .whitespaces)
        guard !input.isEmpty else { throw ParseError(input: text, reason: "empty") }
        var total = 0.0
        var rest = Substring(input)
        while let first = rest.first {
            guard first.isNumber || first == "." else {
                throw ParseError(input: text, reason: "expected a number at '\(rest)'")
            }
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), value.isFinite else {
                throw ParseError(input: text, reason: "'\(number)' is not a number")
            }
            guard !unit.isEmpty else {
                throw ParseError(input: text, reason: "missing unit after '\(number)'")
            }
            guard let scale = units[unit.lowercased()] else {
                throw ParseError(input: text, reason: "unknown unit '\(unit)' (use ms, s, m, h, d, w)")
            }
            total += value * scale
        }
        // Duration holds nanoseconds in Int64 range; 100 years is plenty for retention.
        guard total <= 100 * 366 * 86_400 else { throw ParseError(input: text, reason: "longer than 100 years") }
        return total
    }

    /// The same as `seconds(_:)`, as a `Duration`.
    package static func duration(_ text: String) throws -> Duration {
        let seconds = try seconds(text)
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
