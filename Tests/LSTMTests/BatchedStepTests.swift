import Foundation
import LMCore
import Logging
import Testing
@testable import LSTM

/// The batched step (`advance` + `nextTokenLogProbs` over B states) against the unbatched one.
@Suite("Batched step")
struct BatchedStepTests {
    /// Runs each sequence alone (batch 1), recording the log-probs after every prefix and the final state.
    static func unbatched(_ lm: LSTMModel, _ sequences: [[TokenID]]) -> (logProbs: [[[Float]]], finals: [LSTMModel.State]) {
        let v = lm.vocabulary.count
        var all: [[[Float]]] = []
        var finals: [LSTMModel.State] = []
        var row = [Float](repeating: 0, count: v)
        for seq in sequences {
            var state = [lm.initialState(sentenceContext: true)]
            var rows: [[Float]] = []
            for token in seq {
                row.withUnsafeMutableBufferPointer { lm.nextTokenLogProbs(state, into: $0) }
                rows.append(row)
                lm.advance(&state, by: [token])
            }
            all.append(rows)
            finals.append(state[0])
        }
        return (all, finals)
    }

    /// |a - b| scaled down by |b| where |b| > 1: the tolerance is 1e-5 absolute for values in
    /// [-1, 1] and 1e-5 relative beyond, since a Float's spacing at 128 is already 1.5e-5 and
    /// improbable tokens' log-probs go below -100.
    static func difference(_ a: Float, _ b: Float) -> Float { abs(a - b) / max(1, abs(b)) }

    /// Steps the first `batch` sequences together; a sequence leaves the batch when it ends.
    /// Returns the largest |Δ| of log-probs and of final states against `reference`.
    static func batched(_ lm: LSTMModel, _ sequences: [[TokenID]], batch: Int,
                        reference: (logProbs: [[[Float]]], finals: [LSTMModel.State])) -> (Float, Float) {
        let v = lm.vocabulary.count
        var states = [LSTMModel.State](repeating: lm.initialState(sentenceContext: true), count: batch)
        var finals = states
        var active = Array(0..<batch)
        var output = [Float](repeating: 0, count: batch * v)
        var maxLogProb: Float = 0
        var t = 0
        while !active.isEmpty {
            var live = active.map { states[$0] }
            output.withUnsafeMutableBufferPointer { lm.nextTokenLogProbs(live, into: $0) }
            for (slot, s) in active.enumerated() {
                let expected = reference.logProbs[s][t]
                for i in 0..<v { maxLogProb = max(maxLogProb, Self.difference(output[slot * v + i], expected[i])) }
            }
            lm.advance(&live, by: active.map { sequences[$0][t] })
            for (slot, s) in active.enumerated() { states[s] = live[slot] }
            t += 1
            for s in active where sequences[s].count == t { finals[s] = states[s] }
            active.removeAll { sequences[$0].count == t }
        }
        var maxState: Float = 0
        for s in 0..<batch {
            for (a, b) in zip(finals[s].values, reference.finals[s].values) { maxState = max(maxState, Self.difference(a, b)) }
        }
        return (maxLogProb, maxState)
    }

    @Test("Reference model: batched equals unbatched within 1e-5 (relative beyond ±1) for B = 1…64, ragged lengths")
    func referenceModel() throws {
        let lm = try LSTMModel.load(path: TestSupport.f32Model, logger: Logger(label: "test"))
        let sentences = try TestSupport.testSentences()
        // 64 sequences of lengths 1…12 taken from the test corpus.
        let sequences: [[TokenID]] = (0..<64).map { i in
            let words = sentences[i * 7 % sentences.count]
            return Array(words.map { lm.vocabulary.idOrUnknown($0) }.prefix(1 + (i * 5) % 12))
        }
        let reference = Self.unbatched(lm, sequences)
        var worst: (Float, Float) = (0, 0)
        for batch in 1...64 {
            let (dp, ds) = Self.batched(lm, sequences, batch: batch, reference: reference)
            #expect(dp <= 1e-5, "B = \(batch): log-prob Δ \(dp)")
            #expect(ds <= 1e-5, "B = \(batch): state Δ \(ds)")
            worst = (max(worst.0, dp), max(worst.1, ds))
        }
        print("batched vs unbatched, B = 1…64: max scaled |Δ log p| = \(worst.0), max scaled |Δ state| = \(worst.1)")
    }

    @Test("Step-by-step log-probs equal sequence scoring")
    func stepMatchesSequence() throws {
        let lm = try LSTMModel.load(path: TestSupport.f32Model, logger: Logger(label: "test"))
        let words = try TestSupport.testSentences()[3]
        let ids = words.map { lm.vocabulary.idOrUnknown($0) } + [lm.vocabulary.endOfSentence]
        let sequence = lm.logProbabilities(inputs: [lm.startToken] + ids.dropLast(), targets: ids)
        let reference = Self.unbatched(lm, [ids])
        for (t, id) in ids.enumerated() {
            #expect(abs(reference.logProbs[0][t][Int(id)] - sequence[t]) < 1e-4, "token \(t)")
        }
    }
}
