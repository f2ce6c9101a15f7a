import Foundation
import LMCore
import Logging
import Testing
@testable import LSTM

/// Hand-made models (projection, three layers, F16/BF16, sidecar vocabularies) against a
/// straightforward Double implementation.
@Suite("Tiny models")
struct TinyModelTests {
    static func load(_ tiny: TinyModel, dtype: SafetensorsDType = .f32) throws -> (LSTMModel, URL) {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("tiny.safetensors").path
        try tiny.writer(dtype: dtype).write(to: path)
        return (try LSTMModel.load(path: path, logger: Logger(label: "test")), dir)
    }

    static let sequences: [[Int]] = [[5, 9, 2, 17, 3, 3, 8], [4], [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 2]]

    /// Largest |Δ| of sequence scoring against the naive implementation.
    static func maxError(_ lm: LSTMModel, _ tiny: TinyModel) -> Double {
        var worst = 0.0
        for seq in sequences {
            let inputs = [0] + seq.dropLast()
            let expected = tiny.naiveLogProbs(inputs: inputs, targets: seq)
            let got = lm.logProbabilities(inputs: inputs.map { TokenID($0) }, targets: seq.map { TokenID($0) })
            for (g, e) in zip(got, expected) { worst = max(worst, abs(Double(g) - e)) }
        }
        return worst
    }

    @Test("Shapes and configuration are inferred", arguments: [
        (2, 0), (3, 0), (1, 6), (3, 5),
    ])
    func configuration(layers: Int, projection: Int) throws {
        let tiny = TinyModel(vocabulary: 20, embedding: 7, hidden: 11, projection: projection, layers: layers)
        let (lm, dir) = try Self.load(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(lm.configuration == LSTMConfiguration(vocabularySize: 20, embeddingSize: 7, hiddenSize: 11,
                                                      projectionSize: projection, layers: layers))
        #expect(lm.description.parameter("layers") == layers)
        #expect(lm.vocabulary.unknown == 1 && lm.vocabulary.endOfSentence == 0 && lm.vocabulary.beginOfSentence == nil)
    }

    @Test("Sequence scoring matches a naive implementation", arguments: [
        (1, 0), (2, 0), (3, 0), (4, 0), (2, 6), (3, 5), (1, 13),
    ])
    func naiveParity(layers: Int, projection: Int) throws {
        // Hidden 19 is not a multiple of the SIMD width, so the cell's tail path runs too.
        let tiny = TinyModel(vocabulary: 23, embedding: 9, hidden: 19, projection: projection, layers: layers, seed: UInt64(layers * 10 + projection))
        let (lm, dir) = try Self.load(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = Self.maxError(lm, tiny)
        #expect(error < 2e-5, "max |Δ| \(error)")
    }

    @Test("Sequences longer than a chunk carry the state across chunks", arguments: [0, 6])
    func longSequence(projection: Int) throws {
        let tiny = TinyModel(vocabulary: 23, embedding: 9, hidden: 19, projection: projection, layers: 2, seed: 11)
        let (lm, dir) = try Self.load(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let length = 2 * LSTMModel.sequenceChunk + 37
        let targets = (0..<length).map { ($0 * 7 + 3) % 23 }
        let inputs = [0] + targets.dropLast()
        let expected = tiny.naiveLogProbs(inputs: inputs, targets: targets)
        let got = lm.logProbabilities(inputs: inputs.map { TokenID($0) }, targets: targets.map { TokenID($0) })
        let worst = zip(got, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-4, "max |Δ| \(worst)")
    }

    @Test("Batched steps match the naive implementation, with projection and three layers")
    func batchedNaive() throws {
        let tiny = TinyModel(vocabulary: 23, embedding: 9, hidden: 19, projection: 7, layers: 3, seed: 4)
        let (lm, dir) = try Self.load(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let seqs = Self.sequences
        var states = [LSTMModel.State](repeating: lm.initialState(sentenceContext: true), count: seqs.count)
        var out = [Float](repeating: 0, count: seqs.count * 23)
        let naive = seqs.map { tiny.naiveLogProbs(inputs: [0] + $0.dropLast(), targets: $0) }
        for t in 0..<3 {
            out.withUnsafeMutableBufferPointer { lm.nextTokenLogProbs(states, into: $0) }
            for (b, seq) in seqs.enumerated() where t < seq.count {
                #expect(abs(Double(out[b * 23 + seq[t]]) - naive[b][t]) < 2e-5)
            }
            lm.advance(&states, by: seqs.map { TokenID($0[min(t, $0.count - 1)]) })
        }
    }

    @Test("F16 and BF16 files score as their rounded F32 values", arguments: [SafetensorsDType.f16, .bf16])
    func halfPrecision(dtype: SafetensorsDType) throws {
        var tiny = TinyModel(vocabulary: 20, embedding: 8, hidden: 16, projection: 0, layers: 2, seed: 9)
        let (lm, dir) = try Self.load(tiny, dtype: dtype)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The naive model gets the same rounding the file applied.
        for (name, t) in tiny.tensors {
            let rounded = t.values.map {
                dtype == .f16 ? SafetensorsDType.halfToFloat(SafetensorsDType.floatToHalf($0))
                    : Float(bitPattern: UInt32(SafetensorsDType.floatToBFloat($0)) << 16)
            }
            tiny.tensors[name] = (t.shape, rounded)
        }
        #expect(Self.maxError(lm, tiny) < 2e-5)
    }

    @Test("score(sentence:) follows the PyTorch convention; OOVs are flagged; no-context drops </s>")
    func scoreConvention() throws {
        let tiny = TinyModel(vocabulary: 20, embedding: 8, hidden: 16, layers: 2, seed: 3)
        let (lm, dir) = try Self.load(tiny)
        defer { try? FileManager.default.removeItem(at: dir) }
        let words: [Substring] = ["w5", "zzz", "w7", "<unk>"]
        let scores = lm.score(sentence: words, sentenceContext: true)
        #expect(scores.map(\.id) == [5, 1, 7, 1, 0])
        #expect(scores.map(\.isOOV) == [false, true, false, true, false])
        #expect(scores.allSatisfy { $0.ngramLength == 0 })
        let naive = tiny.naiveLogProbs(inputs: [0, 5, 1, 7, 1], targets: [5, 1, 7, 1, 0])
        for (s, n) in zip(scores, naive) { #expect(abs(s.logProb - n) < 1e-4) }
        let noContext = lm.score(sentence: words, sentenceContext: false)
        #expect(noContext.count == 4)
        for (a, b) in zip(noContext, scores) {
            #expect(a.id == b.id && a.isOOV == b.isOOV && abs(a.log10Prob - b.log10Prob) < 1e-6)
        }
        #expect(lm.score(sentence: [], sentenceContext: false).isEmpty)
        #expect(lm.score(sentence: [], sentenceContext: true).map(\.id) == [0])
    }

    @Test("Vocabulary from a sidecar file when the metadata has none")
    func sidecarVocabulary() throws {
        let tiny = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, layers: 1)
        for sidecar in ["m.vocab.txt", "vocab.txt"] {
            let dir = try TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("m.safetensors").path
            var writer = tiny.writer(vocabInMetadata: false)
            writer.metadata = [:]
            try writer.write(to: path)
            #expect(throws: LSTMLoadError.self) { try LSTMModel.load(path: path, logger: Logger(label: "test")) }
            try (tiny.words.joined(separator: "\n") + "\n").write(toFile: dir.appendingPathComponent(sidecar).path, atomically: true, encoding: .utf8)
            let lm = try LSTMModel.load(path: path, logger: Logger(label: "test"))
            #expect(lm.vocabulary.words == tiny.words)
            #expect(lm.vocabulary.id(of: "w3") == 3)
        }
    }

    @Test("A vocabulary of the wrong size is an error")
    func vocabularySize() throws {
        let tiny = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, layers: 1)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        var writer = tiny.writer()
        writer.metadata["vocab"] = "[\"</s>\", \"<unk>\"]"
        try writer.write(to: path)
        #expect(throws: LSTMLoadError.vocabularySizeMismatch(source: "__metadata__[vocab]", words: 2, embeddingRows: 20)) {
            try LSTMModel.load(path: path, logger: Logger(label: "test"))
        }
    }
}
