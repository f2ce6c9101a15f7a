import Foundation
import LMCore
import Logging
import Testing
@testable import LSTM

/// Parity with PyTorch on ../shared/reference/pytorch (golden files read in place).
@Suite("PyTorch reference parity")
struct ReferenceParityTests {
    struct LineReference { var tokens: Int; var oov: Int; var logProb: Double }

    static func perLine(_ name: String) throws -> [LineReference] {
        let text = try String(contentsOf: TestSupport.reference.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t")
            return LineReference(tokens: Int(f[1])!, oov: Int(f[2])!, logProb: Double(f[3])!)
        }
    }

    /// Scores the test corpus and compares every line; returns (max |Δ| per line, perplexity).
    static func check(model: String, reference: String) throws -> (maxDelta: Double, perplexity: Double) {
        let lm = try LSTMModel.load(path: model, logger: Logger(label: "test"))
        let sentences = try TestSupport.testSentences()
        let expected = try perLine(reference)
        #expect(sentences.count == expected.count)
        var accumulator = PerplexityAccumulator()
        var maxDelta = 0.0
        for (i, (words, ref)) in zip(sentences, expected).enumerated() {
            let scores = lm.score(sentence: words, sentenceContext: true)
            accumulator.add(scores, endsWithSentenceEnd: true)
            let ln = scores.reduce(0.0) { $0 + $1.logProb }
            #expect(scores.count == ref.tokens, "line \(i + 1)")
            #expect(scores.filter(\.isOOV).count == ref.oov, "line \(i + 1)")
            #expect(abs(ln - ref.logProb) < 1e-3, "line \(i + 1): \(ln) vs \(ref.logProb)")
            maxDelta = max(maxDelta, abs(ln - ref.logProb))
        }
        #expect(accumulator.tokens == 46_861)
        #expect(accumulator.oov == 420)
        return (maxDelta, accumulator.perplexity)
    }

    @Test("F32 model: every line within 1e-3 nats, perplexity within 1e-4 relative")
    func float32() throws {
        let (maxDelta, ppl) = try Self.check(model: TestSupport.f32Model, reference: "kjv-lstm-2x512.test.perline.tsv")
        print("F32: max per-line |Δ| = \(maxDelta) nats, perplexity \(ppl) (reference 60.412407, rel. Δ \(abs(ppl / 60.412407 - 1)))")
        #expect(abs(ppl / 60.412407 - 1) < 1e-4)
    }

    @Test("F16 model: every line within 1e-3 nats of its own reference")
    func float16() throws {
        let (maxDelta, ppl) = try Self.check(model: TestSupport.f16Model, reference: "kjv-lstm-2x512.f16.test.perline.tsv")
        print("F16: max per-line |Δ| = \(maxDelta) nats, perplexity \(ppl) (reference 60.412415)")
        #expect(abs(ppl / 60.412415 - 1) < 1e-4)
    }

    @Test("First 20 lines: input ids, target ids and per-token log-probs")
    func firstTwentyTokens() throws {
        let lm = try LSTMModel.load(path: TestSupport.f32Model, logger: Logger(label: "test"))
        let data = try Data(contentsOf: TestSupport.reference.appendingPathComponent("kjv-lstm-2x512.test.first20.tokens.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let lines = try #require(root["lines"] as? [[String: Any]])
        #expect(lines.count == 20)
        var maxDelta = 0.0
        for line in lines {
            let text = try #require(line["text"] as? String)
            let inputs = try #require(line["input_ids"] as? [Int])
            let targets = try #require(line["target_ids"] as? [Int])
            let expected = try #require(line["logprob_ln"] as? [Double])
            let words = Tokenizer.whitespace.tokenize(Substring(text))
            let scores = lm.score(sentence: words, sentenceContext: true)
            #expect(scores.map { Int($0.id) } == targets)
            #expect([Int(lm.startToken)] + targets.dropLast() == inputs)
            let lns = lm.logProbabilities(inputs: inputs.map { TokenID($0) }, targets: targets.map { TokenID($0) })
            for (i, (got, want)) in zip(lns, expected).enumerated() {
                #expect(abs(Double(got) - want) < 1e-4, "line \(line["line"] ?? "?") token \(i)")
                #expect(abs(scores[i].logProb - want) < 1e-4)
                maxDelta = max(maxDelta, abs(Double(got) - want))
            }
        }
        print("first20: max per-token |Δ| = \(maxDelta) nats")
    }
}
