import Foundation
import Testing
@testable import NGram

/// Each smoothing on a corpus small enough to compute by hand:
/// `a b` / `a c` / `b a c` → padded `<s> a b </s>`, `<s> a c </s>`, `<s> b a c </s>`.
/// Unigram counts: a 3, b 2, c 2, </s> 3 (N = 10); |V| = 5 (<unk> </s> a b c; <s> excluded).
@Suite struct HandComputedSmoothingTests {
    static let corpus = "a b\na c\nb a c\n"

    private func train(_ smoothing: NGramSmoothing, configure: (inout NGramTrainingOptions) -> Void = { _ in }) throws -> TestARPAModel {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        try Self.corpus.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("m.arpa").path
        _ = try TrainingFixtures.train([input], to: out, order: 2, smoothing: smoothing, configure: configure)
        return try TestARPAModel(path: out)
    }

    private func p(_ m: TestARPAModel, _ words: String) -> Double {
        let ids = words.split(separator: " ").map { m.ids[String($0)]! }
        return pow(10, m.log10Prob(ids.last!, context: ids.dropLast()[...]))
    }

    @Test func addOne() throws {
        let m = try train(.addk)
        #expect(abs(p(m, "a") - 4.0 / 15) < 1e-6)          // (3 + 1) / (10 + 5)
        #expect(abs(p(m, "<unk>") - 1.0 / 15) < 1e-6)
        #expect(abs(p(m, "a c") - 3.0 / 8) < 1e-6)         // (2 + 1) / (3 + 5)
        #expect(abs(p(m, "<s> a") - 3.0 / 8) < 1e-6)       // (2 + 1) / (3 + 5)
    }

    @Test func wittenBell() throws {
        let m = try train(.wb)
        let pa = 3.0 / 14 + 4.0 / 14 / 5                      // c/(N+T) + T/(N+T) · 1/|V|
        #expect(abs(p(m, "a") - pa) < 1e-6)
        let pc = 2.0 / 14 + 4.0 / 14 / 5
        // After a: a b 1, a c 2 → 3 tokens, 2 types.
        #expect(abs(p(m, "a c") - (2.0 / 5 + 2.0 / 5 * pc)) < 1e-6)
    }

    @Test func kneserNeySingleDiscount() throws {
        // Adjusted unigram counts (distinct left words): a {<s>, b} 2, b {<s>, a} 2, c {a} 1, </s> {b, c} 2.
        // n1 = 1, n2 = 3 → D1 = 1/(1+6) = 1/7; total 7; γ = D·4/7.
        let m = try train(.kn) { $0.discountFallback = nil }
        let d = 1.0 / 7
        let pc = (1 - d) / 7 + d * 4 / 7 / 5
        #expect(abs(p(m, "c") - pc) < 1e-6)
        // Bigrams (highest order, raw counts): n1 = 4 (a b, b </s>, <s> b, b a), n2 = 3 (<s> a, a c, c </s>).
        let d2 = 4.0 / (4 + 6)
        // Context a: a b 1, a c 2 → total 3, γ = 2·d2/3.
        #expect(abs(p(m, "a c") - ((2 - d2) / 3 + 2 * d2 / 3 * pc)) < 1e-6)
    }
}
