import Foundation
import Testing
@testable import NGram

/// Test-set perplexity of every smoothing, orders 2–5, trained on train.txt; printed as a
/// Markdown table. Modified Kneser-Ney must be the lowest at every order.
@Suite struct PerplexityTableTests {
    @Test func perplexityTable() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let test = try String(contentsOfFile: TrainingFixtures.testText, encoding: .utf8).split(separator: "\n")
        var table: [NGramSmoothing: [Double]] = [:]
        for smoothing in NGramSmoothing.allCases {
            for order in 2...5 {
                let out = dir.appendingPathComponent("\(smoothing)\(order).arpa").path
                _ = try TrainingFixtures.train([TrainingFixtures.trainText], to: out, order: order, smoothing: smoothing)
                let ppl = try TestARPAModel(path: out).perplexity(test)
                #expect(ppl.isFinite && ppl > 1)
                table[smoothing, default: []].append(ppl)
                try FileManager.default.removeItem(atPath: out)
            }
        }
        var lines = ["| smoothing | order 2 | order 3 | order 4 | order 5 |", "|---|---|---|---|---|"]
        for s in NGramSmoothing.allCases {
            lines.append("| \(s.rawValue) | " + table[s]!.map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |")
        }
        print(lines.joined(separator: "\n"))
        for i in 0..<4 {
            for s in NGramSmoothing.allCases where s != .mkn {
                #expect(table[.mkn]![i] <= table[s]![i], "order \(i + 2): mkn \(table[.mkn]![i]) vs \(s) \(table[s]![i])")
            }
        }
    }
}
