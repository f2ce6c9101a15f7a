import Foundation
import Testing

@testable import LSTM

/// The vocabulary built from `corpora/kjv/train.txt` is the PyTorch reference model's, id for id.
@Suite struct ReferenceVocabularyTests {
    static let shared = TrainingFixtures.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")

    @Test func kjvVocabularyMatchesTheReferenceModel() throws {
        let train = try TrainingCorpus.readText(Self.shared.appendingPathComponent("corpora/kjv/train.txt").path)
        let reference = try String(
            contentsOf: Self.shared.appendingPathComponent("reference/pytorch/kjv-lstm-2x512.vocab.txt"), encoding: .utf8)
        let expected = reference.split(separator: "\n").map(String.init)
        let vocabulary = TrainingCorpus.buildVocabulary(TrainingCorpus.tokenizedLines(train), minCount: 2)
        #expect(vocabulary.count == 8270)
        #expect(vocabulary.words == expected)
        // The test text's unknown words and predictions, as the reference README counts them.
        let test = try TrainingCorpus.readText(Self.shared.appendingPathComponent("corpora/kjv/test.txt").path)
        let corpus = TrainingCorpus(text: test, vocabulary: vocabulary)
        #expect(corpus.predictionCount == 46_861)
        #expect(corpus.lines.joined().filter { $0 == vocabulary.unknown }.count == 420)
    }
}
