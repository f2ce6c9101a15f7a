import Foundation
import LMCore
import Testing

@testable import LSTM

@Suite struct LSTMTrainerTests {
    @Test func trainingLowersValidationPerplexity() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = TrainingFixtures.options(layers: 2)
        o.epochs = 6
        o.dropout = 0.1
        let trainer = try LSTMTrainer(
            options: o, trainText: TrainingFixtures.repetitiveText(lines: 300, seed: 1),
            validText: TrainingFixtures.repetitiveText(lines: 40, seed: 2))
        let before = trainer.validationPerplexity()
        var validations: [Double] = []
        let summary = try trainer.run(output: dir.appendingPathComponent("m.safetensors").path) { p in
            if case .validated(let ppl, _) = p.event { validations.append(ppl) }
        }
        // An untrained model is near uniform over the vocabulary; the corpus is highly predictable.
        #expect(before > Double(trainer.vocabulary.count) / 2)
        #expect(summary.bestValidationPerplexity < before / 4)
        #expect(summary.bestValidationPerplexity == validations.min())
        #expect(validations.count == 6 * o.evaluationsPerEpoch)
        #expect(summary.trainingTokens == 6 * trainer.train.predictionCount)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.vocab.txt").path))
    }

    @Test func sameSeedGivesIdenticalFiles() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = TrainingFixtures.repetitiveText(lines: 120, seed: 3)
        let valid = TrainingFixtures.repetitiveText(lines: 20, seed: 4)
        func run(seed: UInt64, name: String) throws -> Data {
            var o = TrainingFixtures.options(layers: 2, proj: 6)
            o.seed = seed
            o.dropout = 0.2
            let path = dir.appendingPathComponent(name).path
            _ = try LSTMTrainer(options: o, trainText: train, validText: valid).run(output: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let a = try run(seed: 9, name: "a.safetensors")
        let b = try run(seed: 9, name: "b.safetensors")
        let c = try run(seed: 10, name: "c.safetensors")
        #expect(a == b)
        #expect(a != c)
    }

    @Test func vocabularyFollowsTheReferenceConvention() {
        let lines = TrainingCorpus.tokenizedLines("b a c\n\n  \nb a\t</s> z\nb <unk>\n")
        #expect(lines.count == 3)
        let v = TrainingCorpus.buildVocabulary(lines, minCount: 2)
        // </s>, <unk>, then count descending (b: 3, a: 2), ties by word; c and z seen once.
        #expect(v.words == ["</s>", "<unk>", "b", "a"])
        let v1 = TrainingCorpus.buildVocabulary(lines, minCount: 1)
        #expect(v1.words == ["</s>", "<unk>", "b", "a", "c", "z"])
        let corpus = TrainingCorpus(text: "a q b\n", vocabulary: v)
        #expect(corpus.lines == [[3, 1, 2]])
        #expect(corpus.predictionCount == 4)
    }

    @Test func batchesAreLengthBucketedAndCoverEveryLine() {
        let lines: [[TokenID]] = (0..<50).map { i in [TokenID](repeating: 2, count: 1 + (i * 7) % 13) }
        let corpus = TrainingCorpus(lines: lines)
        var g = SeededGenerator(seed: 5)
        let batches = corpus.batches(batchSize: 8, generator: &g)
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<50))
        // Sorted by length before cutting: each batch spans a narrow range of lengths.
        let spread = batches.map { b in (b.map { lines[$0].count }.max()! - b.map { lines[$0].count }.min()!) }
        #expect(spread.max()! <= 3)
    }
}
