import Foundation
import LMCore
import Testing
@testable import NGram

/// `nextTokenLogProbs` gives a normalised distribution that agrees with `score`.
@Suite struct DistributionTests {
    @Test(arguments: ModelFormat.allCases)
    func sumsToOneAndAgreesWithScore(format: ModelFormat) throws {
        let model = try ModelCache.model("reference/kenlm/kjv3.arpa.gz", format)
        let v = model.vocabulary.count
        // Contexts: sentence start, after "and the", after an OOV, empty context.
        var states = [model.initialState(sentenceContext: true)]
        var s = model.initialState(sentenceContext: true)
        var st = [s]
        model.advance(&st, by: [model.wordID("and")])
        model.advance(&st, by: [model.wordID("the")])
        states.append(st[0])
        s = model.initialState(sentenceContext: true)
        _ = model.score(model.wordID("zzzunknownzzz"), after: &s)
        states.append(s)
        states.append(model.initialState(sentenceContext: false))

        var out = [Float](repeating: 0, count: v * states.count)
        out.withUnsafeMutableBufferPointer { model.nextTokenLogProbs(states, into: $0) }
        for row in 0..<states.count {
            let slice = out[(row * v)..<((row + 1) * v)]
            let total = slice.reduce(0.0) { $0 + exp(Double($1)) }
            #expect(abs(total - 1) < 1e-4, "row \(row): Σp = \(total)")
            #expect(slice[slice.startIndex + Int(model.beginSentence)] == -.infinity)
            // Each entry equals the scored probability of that word in that context.
            for w in [model.wordID("and"), model.wordID("lord"), model.endSentence, WordID.unknownWord] {
                var copy = states[row]
                let score = model.score(w, after: &copy)
                #expect(abs(slice[slice.startIndex + Int(w)] - Float(score.logProb)) < 1e-5)
            }
        }
    }

    /// The rows do not depend on how many threads compute them.
    @Test func rowsAreTheSameOnAnyThreadCount() throws {
        var model = try ModelCache.model("reference/kenlm/kjv3.arpa.gz", .arpa)
        let v = model.vocabulary.count
        var states = (0..<5).map { _ in model.initialState(sentenceContext: true) }
        model.advance(&states, by: ["and", "the", "lord", "zzzunknownzzz", "said"].map { model.wordID($0) })
        func rows(threads: Int) -> [Float] {
            model.threads = threads
            var out = [Float](repeating: 0, count: v * states.count)
            out.withUnsafeMutableBufferPointer { model.nextTokenLogProbs(states, into: $0) }
            return out
        }
        let one = rows(threads: 1)
        #expect(rows(threads: 3) == one)
        #expect(rows(threads: 8) == one)
    }
}
