import Foundation
import Testing
@testable import Server

/// `lmserve tune-mix` and `lmserve ppl --model ensemble:…` as the real binary runs them, on two
/// small unigram models whose every probability the test knows.
@Suite struct TuneMixProcessTests {
    @Test func tunedWeightsAreTheOptimumAndServeAsWritten() throws {
        let dir = TempDir()
        let a = dir.path("a.arpa"), b = dir.path("b.arpa"), text = dir.path("valid.txt"), yaml = dir.path("mix.yaml")
        try EnsembleTests.writeUnigramARPA(EnsembleTests.tinyA, to: a)
        try EnsembleTests.writeUnigramARPA(EnsembleTests.tinyB, to: b)
        let lines = ["a b", "c b a", "b c c", "a a b", "c c c b", "zz a"]
        try (lines.joined(separator: "\n") + "\n").write(toFile: text, atomically: true, encoding: .utf8)

        let run = try ProcessTests.runCapturingOutput(["tune-mix", "--model", "A=\(a)", "--model", "B=\(b)", "--text", text, "--yaml", yaml, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let weights = try #require(result["weights"] as? [String: Double])
        let (wa, wb) = (try #require(weights["A"]), try #require(weights["B"]))
        #expect(abs(wa + wb - 1) < 1e-9)

        // Each token's member probabilities under the ensemble's rule, from the models' tables.
        func p(_ table: [(String, Double)], _ w: String) -> Double? { table.first { $0.0 == w }?.1 }
        var rows: [(Double, Double)] = []
        var alone = (a: 0.0, b: 0.0)
        for line in lines {
            for w in line.split(separator: " ").map(String.init) + ["</s>"] {
                let (pa, pb) = (p(EnsembleTests.tinyA, w), p(EnsembleTests.tinyB, w))
                let unkA = p(EnsembleTests.tinyA, "<unk>")!, unkB = p(EnsembleTests.tinyB, "<unk>")!
                rows.append(pa == nil && pb == nil ? (unkA, unkB) : (pa ?? 0, pb ?? 0))
                alone.a += log10(pa ?? unkA)
                alone.b += log10(pb ?? unkB)
            }
        }
        // The optimum of a convex problem: Σ_t P_m(t) / P_mix(t) = T for both members.
        for m in 0..<2 {
            let g = rows.reduce(0.0) { $0 + (m == 0 ? $1.0 : $1.1) / (wa * $1.0 + wb * $1.1) }
            #expect(abs(g / Double(rows.count) - 1) < 1e-4, "member \(m): \(g) over \(rows.count) tokens")
        }
        let members = try #require(result["members"] as? [String: Double])
        #expect(abs(try #require(members["A"]) - pow(10, -alone.a / Double(rows.count))) < 1e-4)
        #expect(abs(try #require(members["B"]) - pow(10, -alone.b / Double(rows.count))) < 1e-4)
        let mixture = try #require(result["perplexity"] as? Double)
        let expected = pow(10, -rows.reduce(0.0) { $0 + log10(wa * $1.0 + wb * $1.1) } / Double(rows.count))
        #expect(abs(mixture - expected) / expected < 1e-5)
        #expect(mixture < min(members["A"]!, members["B"]!))

        // The YAML serves: a valid configuration with both models and the tuned ensemble.
        let config = try ServerConfiguration.load(file: yaml)
        #expect(config.validate().isEmpty)
        #expect(config.models.map(\.name) == ["A", "B", "mix"])
        #expect(config.models[2].members == [.init(name: "A", weight: wa), .init(name: "B", weight: wb)])

        // ppl with the same ensemble syntax reports the same mixture perplexity.
        let ppl = try ProcessTests.runCapturingOutput(["ppl", "--model", "ensemble:\(a)*\(wa)+\(b)*\(wb)", "--input", text, "--json"])
        #expect(ppl.status == 0, "\(ppl.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(ppl.stdout.utf8)) as? [String: Any])
        let kenlm = try #require(summary["kenlm"] as? [String: Any])
        #expect(abs(try #require(kenlm["perplexity"] as? Double) - mixture) / mixture < 1e-5)

        // Bad input: a CLI message and a non-zero exit.
        let bad = try ProcessTests.runCapturingOutput(["ppl", "--model", "ensemble:\(a)*0.5+\(b)*0.6", "--input", text])
        #expect(bad.status != 0 && bad.stderr.contains("weights must sum to 1"))
        let one = try ProcessTests.runCapturingOutput(["tune-mix", "--model", a, "--text", text])
        #expect(one.status != 0 && one.stderr.contains("two or more --model"))
    }
}
