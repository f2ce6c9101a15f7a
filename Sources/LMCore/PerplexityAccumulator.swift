import Foundation

/// Sums scores over sentences and computes perplexities with KenLM's and SRILM's formulas.
///
/// All sums are log10 and kept in `Double`. `tokens` counts every scored token, `</s>` and OOVs
/// included (KenLM's `Tokens:`); `sentenceEnds` counts the `</s>` tokens among them.
package struct PerplexityAccumulator: Sendable, Equatable, Codable {
    package var log10Prob: Double = 0
    /// log10 probability of the OOV tokens alone.
    package var oovLog10Prob: Double = 0
    package var tokens: Int = 0
    package var oov: Int = 0
    package var sentences: Int = 0
    package var sentenceEnds: Int = 0

    package init() {}

    /// Adds one sentence's scores; `endsWithSentenceEnd` says the last score is for `</s>`.
    package mutating func add(_ scores: [TokenScore], endsWithSentenceEnd: Bool) {
        var total = 0.0
        for s in scores {
            total += Double(s.log10Prob)
            if s.isOOV {
                oov += 1
                oovLog10Prob += Double(s.log10Prob)
            }
        }
        log10Prob += total
        tokens += scores.count
        sentences += 1
        if endsWithSentenceEnd && !scores.isEmpty { sentenceEnds += 1 }
    }

    package mutating func add(_ other: PerplexityAccumulator) {
        log10Prob += other.log10Prob
        oovLog10Prob += other.oovLog10Prob
        tokens += other.tokens
        oov += other.oov
        sentences += other.sentences
        sentenceEnds += other.sentenceEnds
    }

    /// Natural-log probability of everything scored.
    package var logProb: Double { log10Prob * LogBase.ln10 }

    /// KenLM's "Perplexity including OOVs": 10^(-Σlog10 p / tokens).
    package var perplexity: Double { pow(10, -log10Prob / Double(tokens)) }

    /// KenLM's "Perplexity excluding OOVs": OOV tokens and their scores left out.
    package var perplexityExcludingOOV: Double {
        pow(10, -(log10Prob - oovLog10Prob) / Double(tokens - oov))
    }

    /// SRILM's `ppl`: OOVs excluded, `</s>` counted (equal to KenLM's excluding-OOV figure).
    package var srilmPPL: Double { perplexityExcludingOOV }

    /// SRILM's `ppl1`: OOVs and `</s>` excluded from the count.
    package var srilmPPL1: Double {
        pow(10, -(log10Prob - oovLog10Prob) / Double(tokens - oov - sentenceEnds))
    }

    /// Cross-entropy in bits per token, OOVs included (log2 of `perplexity`).
    package var crossEntropyBits: Double { -log10Prob / Double(tokens) * log2(10.0) }
}
