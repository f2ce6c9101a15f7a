/// Reading and writing sample lines of the Prometheus text format (0.0.4), for snapshots.
package enum PrometheusText {
    /// One sample line: `name{labels} value`.
    package struct Sample: Sendable, Equatable {
        package var name: String
        /// The raw text between the braces (escapes kept), "" if none.
        package var labels: String
        package var value: Double
    }

    /// A number as Prometheus writes it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    package static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Parses a value token: a float, `+Inf`, `-Inf` or `NaN`.
    package static func parseValue(_ token: Substring) -> Double? {
        switch token {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(token)
        }
    }

    /// Every sample line of `text`; comments, blank and malformed lines are skipped.
    package static func samples(in text: String) -> [Sample] {
        var result: [Sample] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") { continue }
            if let sample = parse(line: line) { result.append(sample) }
        }
        return result
    }

    static func parse(line: Substring) -> Sample? {
        guard let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var labels = ""
        var rest = line[nameEnd...]
        if rest.first == "{" {
            // Find the closing brace outside quoted label values.
            var inQuotes = false
            var escaped = false
            var closing: Substring.Index?
            for index in rest.indices.dropFirst() {
                let character = rest[index]
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes.toggle()
                } else if character == "}" && !inQuotes {
                    closing = index
                    break
                }
            }
            guard let closing else { return nil }
            labels = String(rest[rest.index(after: rest.startIndex)..<closing])
            rest = rest[rest.index(after: closing)...]
        }
        let tokens = rest.split(separator: " ")
        guard let valueToken = tokens.first, let value = parseValue(valueToken) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
