import Foundation

/// Plain-text tables of request rows and stats, for `lmserve logs` and `lmserve stats`.
package enum RequestLogText {
    /// One row per record under a header; times in UTC, durations in milliseconds. With
    /// `instances` (one per record), an INSTANCE column follows the time.
    package static func table(_ records: [RequestRecord], instances: [String]? = nil) -> String {
        var header = ["TIME (UTC)", "REQUEST", "ROUTE", "MODEL", "STATUS", "LATENCY_MS", "QUEUE_MS",
                      "COMPUTE_MS", "BATCH", "TOKENS P/C/S", "PPL", "ERROR"]
        var rightAligned = [4, 5, 6, 7, 8, 10]
        if instances != nil {
            header.insert("INSTANCE", at: 1)
            rightAligned = rightAligned.map { $0 + 1 }
        }
        let rows = records.enumerated().map { index, r -> [String] in
            let dash = "-"
            var cells: [String] = [timestamp(r.time), r.requestID, r.route, r.model ?? dash, String(r.status)]
            cells.append(number(r.latencyMs))
            cells.append(r.queueMs.map(number) ?? dash)
            cells.append(r.computeMs.map(number) ?? dash)
            cells.append(r.batchSize.map { String($0) } ?? dash)
            cells.append("\(r.promptTokens)/\(r.completionTokens)/\(r.scoredTokens)")
            cells.append(r.perplexity.map(number) ?? dash)
            cells.append(r.errorType.map(oneLine) ?? dash)
            if let instances { cells.insert(instances[index], at: 1) }
            return cells
        }
        return layout([header] + rows, rightAligned: rightAligned)
    }

    /// The overall line, then a table per route and per model.
    package static func table(_ stats: RequestStats) -> String {
        let header = ["", "COUNT", "ERRORS", "ERROR_RATE", "P50_MS", "P90_MS", "P99_MS", "TOKENS", "TOKENS/S"]
        func row(_ group: RequestStats.Group, key: String) -> [String] {
            [
                key, String(group.count), String(group.errors), String(format: "%.2f%%", group.errorRate * 100),
                number(group.p50LatencyMs), number(group.p90LatencyMs), number(group.p99LatencyMs),
                String(group.tokens), String(format: "%.1f", group.tokensPerSecond),
            ]
        }
        let right = Array(1...8)
        var out = layout([header.replacing(at: 0, with: "ALL"), row(stats.overall, key: "all")], rightAligned: right)
        out += "\n" + layout([header.replacing(at: 0, with: "ROUTE")] + stats.byRoute.map { row($0, key: $0.key) }, rightAligned: right)
        out += "\n" + layout(
            [header.replacing(at: 0, with: "MODEL")] + stats.byModel.map { row($0, key: $0.key.isEmpty ? "-" : $0.key) },
            rightAligned: right)
        if let byInstance = stats.byInstance {
            out += "\n" + layout(
                [header.replacing(at: 0, with: "INSTANCE")] + byInstance.map { row($0, key: $0.key) }, rightAligned: right)
        }
        return out
    }

    /// `2026-11-26 17:01:02.123` in UTC.
    static func timestamp(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", value) : "\(value)"
    }

    /// Control characters (NUL, newlines) shown escaped so a row stays one line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func layout(_ rows: [[String]], rightAligned: [Int]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }.joined(separator: "\n") + "\n"
    }
}

extension Array {
    fileprivate func replacing(at index: Int, with element: Element) -> [Element] {
        var copy = self
        copy[index] = element
        return copy
    }
}
