import Foundation
import Testing
@testable import NGram

@Suite struct KatzTests {
    /// Seen bigrams get d_r · c / c(h) with Good-Turing ratios computed here from the text;
    /// seen unigrams d_c · c / N and `<unk>` the left-over unigram mass.
    @Test func goodTuringDiscountedEstimates() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 3000, in: dir)
        let out = dir.appendingPathComponent("katz.arpa").path
        _ = try TrainingFixtures.train([slice], to: out, order: 2, smoothing: .katz)
        let model = try TestARPAModel(path: out)

        var unigrams: [String: Int] = [:]
        var bigrams: [String: [String: Int]] = [:]
        for line in try String(contentsOfFile: slice, encoding: .utf8).split(separator: "\n") {
            let words = ["<s>"] + line.split(separator: " ").map(String.init) + ["</s>"]
            for w in words.dropFirst() { unigrams[w, default: 0] += 1 }
            for (a, b) in zip(words, words.dropFirst()) { bigrams[a, default: [:]][b, default: 0] += 1 }
        }
        func ratios(_ counts: [Int]) -> [Double] {
            var n = [Double](repeating: 0, count: 7)
            for c in counts where c <= 6 { n[c] += 1 }
            let a = 6 * n[6] / n[1]
            return (1...5).map { r in
                let d = ((Double(r + 1) * n[r + 1] / n[r]) / Double(r) - a) / (1 - a)
                return d > 0 && d <= 1 ? d : 1
            }
        }
        let d1 = ratios(Array(unigrams.values))
        let d2 = ratios(bigrams.values.flatMap { $0.values })
        let total = Double(unigrams.values.reduce(0, +))
        var seenMass = 0.0
        for (w, c) in unigrams {
            let expected = (c <= 5 ? d1[c - 1] : 1) * Double(c) / total
            seenMass += expected
            let got = pow(10, model.entries[0][[model.ids[w]!]]!.prob)
            #expect(abs(got - expected) < 1e-6 * max(1, expected * 10), "p(\(w)) \(got) vs \(expected)")
        }
        let unk = pow(10, model.entries[0][[model.ids["<unk>"]!]]!.prob)
        #expect(abs(unk - (1 - seenMass)) < 1e-6)

        var checked = 0
        for (h, ext) in bigrams.sorted(by: { $0.key < $1.key }) where ext.values.contains(where: { $0 <= 5 }) {
            let ch = Double(ext.values.reduce(0, +))
            for (w, c) in ext {
                let expected = (c <= 5 ? d2[c - 1] : 1) * Double(c) / ch
                let got = pow(10, model.entries[1][[model.ids[h]!, model.ids[w]!]]!.prob)
                #expect(abs(got - expected) < 1e-6, "p(\(w) | \(h)) \(got) vs \(expected)")
                checked += 1
            }
            if checked > 3000 { break }
        }
        #expect(checked > 1000)
    }
}
