import Foundation
import LMCore
import Testing
@testable import NGram

@Suite struct TrainingOptionTests {
    /// Sums p(w | h) over every word but `<s>` for `samples` seeded contexts of each length.
    static func expectProper(_ path: String, samples: Int = 40, seed: UInt64 = 7) throws {
        let model = try TestARPAModel(path: path)
        let bos = model.ids["<s>"]!
        let vocabulary = model.entries[0].keys.map { $0[0] }.filter { $0 != bos }
        var rng = SeededGenerator(seed: seed)
        for k in 0..<model.order {
            let contexts = k == 0 ? [[]] : Set(model.entries[k].keys.map { Array($0.dropLast()) }).sorted { $0.lexicographicallyPrecedes($1) }
            for _ in 0..<min(samples, contexts.count) {
                let ctx = contexts[Int(rng.next() % UInt64(contexts.count))]
                let sum = vocabulary.reduce(0.0) { $0 + pow(10, model.log10Prob($1, context: ctx[...])) }
                #expect(abs(sum - 1) < 1e-4, "\(path) context \(ctx.map { model.words[Int($0)] }): \(sum)")
            }
        }
    }

    @Test(arguments: [NGramSmoothing.mkn, .kn, .katz, .wb, .jm, .addk])
    func pruningDropsRareNGramsAndStaysNormalised(smoothing: NGramSmoothing) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 2000, in: dir)
        let full = try TrainingFixtures.train([slice], to: dir.appendingPathComponent("full.arpa").path, order: 3, smoothing: smoothing)
        let out = dir.appendingPathComponent("pruned.arpa").path
        let pruned = try TrainingFixtures.train([slice], to: out, order: 3, smoothing: smoothing) { $0.prune = [0, 1] }
        #expect(pruned.counts[0] == full.counts[0])
        #expect(pruned.counts[1] == full.counts[1])
        #expect(pruned.counts[2] < full.counts[2])
        try Self.expectProper(out)
    }

    @Test func decreasingPruneThresholdsAreRejected() throws {
        var options = NGramTrainingOptions(order: 3)
        options.prune = [2, 1]
        #expect(throws: NGramTrainingError.self) { try options.validate() }
    }

    /// train.txt has 8,268 word types seen at least twice (corpora/kjv/README.md).
    @Test func minCountMapsRareWordsToUnk() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("m.arpa").path
        let s = try TrainingFixtures.train([TrainingFixtures.trainText], to: out, order: 2) { $0.minCount = 2 }
        #expect(s.counts[0] == 8268 + 3)
        let model = try TestARPAModel(path: out)
        // <unk> now has real counts, so it starts bigrams.
        let unk = model.ids["<unk>"]!
        #expect(model.entries[1].keys.contains { $0[0] == unk })
        try Self.expectProper(out, samples: 20)
    }

    /// The tokenized KJV files are `basic` applied to the raw ones.
    @Test func basicTokenizerOnRawTextEqualsWhitespaceOnTokenizedText() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = TrainingFixtures.shared.appendingPathComponent("corpora/kjv/valid.raw.txt").path
        let tok = TrainingFixtures.shared.appendingPathComponent("corpora/kjv/valid.txt").path
        let a = dir.appendingPathComponent("a.arpa").path
        let b = dir.appendingPathComponent("b.arpa").path
        _ = try TrainingFixtures.train([raw], to: a, order: 3, smoothing: .wb) { $0.tokenizer = .basic }
        _ = try TrainingFixtures.train([tok], to: b, order: 3, smoothing: .wb)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    }

    @Test func jelinekMercerWeightsFromHeldOutFile() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 4000, in: dir)
        let valid = TrainingFixtures.shared.appendingPathComponent("corpora/kjv/valid.txt").path
        let out = dir.appendingPathComponent("jm.arpa").path
        let s = try TrainingFixtures.train([slice], to: out, order: 3, smoothing: .jm) { $0.heldout = [valid] }
        #expect(s.lambdas.count == 3)
        #expect(s.lambdas.allSatisfy { $0 > 0.01 && $0 < 0.99 })
        try Self.expectProper(out, samples: 20)
    }

    @Test(arguments: [1, 8])
    func extremeOrders(order: Int) throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slice = try TrainingFixtures.trainSlice(lines: 1500, in: dir)
        let out = dir.appendingPathComponent("o.arpa").path
        let s = try TrainingFixtures.train([slice], to: out, order: order, smoothing: .mkn) { $0.discountFallback = [0.5, 1, 1.5] }
        #expect(s.counts.count == order)
        let model = try TestARPAModel(path: out)
        #expect(model.headerCounts == s.counts)
        try Self.expectProper(out, samples: 10)
    }

    @Test func multipleInputsEqualTheirConcatenation() throws {
        let dir = try TrainingFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOfFile: TrainingFixtures.trainText, encoding: .utf8).split(separator: "\n").prefix(2000)
        let p1 = dir.appendingPathComponent("p1.txt").path
        let p2 = dir.appendingPathComponent("p2.txt").path
        let all = dir.appendingPathComponent("all.txt").path
        try (text.prefix(700).joined(separator: "\n") + "\n").write(toFile: p1, atomically: true, encoding: .utf8)
        try (text.dropFirst(700).joined(separator: "\n")).write(toFile: p2, atomically: true, encoding: .utf8)  // no final newline
        try (text.joined(separator: "\n") + "\n").write(toFile: all, atomically: true, encoding: .utf8)
        let a = dir.appendingPathComponent("a.arpa").path
        let b = dir.appendingPathComponent("b.arpa").path
        _ = try TrainingFixtures.train([p1, p2], to: a, order: 3)
        _ = try TrainingFixtures.train([all], to: b, order: 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    }
}
