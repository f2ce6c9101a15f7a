import Foundation
import Testing
@testable import LMCore

@Suite struct PerplexityAccumulatorTests {
    /// KenLM's `query` on edge.arpa (shared/reference/kenlm/edge.query.*): line totals and OOVs
    /// give its summary line by KenLM's formulas.
    @Test func kenLMFormulas() {
        var acc = PerplexityAccumulator()
        // Two sentences: "a b </s>" with b OOV, and "c </s>".
        acc.add([
            TokenScore(id: 1, log10Prob: -1, ngramLength: 1, isOOV: false),
            TokenScore(id: 0, log10Prob: -3, ngramLength: 1, isOOV: true),
            TokenScore(id: 2, log10Prob: -0.5, ngramLength: 2, isOOV: false),
        ], endsWithSentenceEnd: true)
        acc.add([
            TokenScore(id: 3, log10Prob: -2, ngramLength: 1, isOOV: false),
            TokenScore(id: 2, log10Prob: -0.5, ngramLength: 2, isOOV: false),
        ], endsWithSentenceEnd: true)
        #expect(acc.tokens == 5 && acc.oov == 1 && acc.sentences == 2 && acc.sentenceEnds == 2)
        #expect(abs(acc.perplexity - pow(10, 7.0 / 5)) < 1e-9)
        #expect(abs(acc.perplexityExcludingOOV - pow(10, 4.0 / 4)) < 1e-9)
        #expect(abs(acc.srilmPPL1 - pow(10, 4.0 / 2)) < 1e-9)
        #expect(abs(acc.crossEntropyBits - 7.0 / 5 * log2(10)) < 1e-9)
        #expect(abs(acc.logProb - (-7 * log(10.0))) < 1e-9)
    }
}
