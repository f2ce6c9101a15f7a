import Foundation
import LMCore

/// The interpolation rule every ensemble path uses (serving, `ppl`, `tune-mix`), so they agree.
///
/// P(w | h) = Σ_m λ_m P_m(w | h), with SRILM's `-mix-lm` treatment of vocabularies: the
/// mixture's vocabulary is the union of the members'. A member whose vocabulary lacks a word
/// of the union gives it probability 0 (SRILM merges the vocabularies; a word a component has
/// no unigram for scores zero there). A word outside every member's vocabulary (or `<unk>`
/// itself) is OOV for the mixture, and each member gives it its own `<unk>` probability:
/// P = Σ_m λ_m P_m(<unk> | h). Each member keeps its own context: it is fed its own id for
/// every word (its `<unk>` for words it lacks).
package enum Mixture {
    /// The mixture's probability of one token from its members' own log10 scores of it:
    /// `log10Prob(m)` and `known(m)` (whether the word is in member m's vocabulary).
    @inline(__always)
    package static func probability(
        weights: [Double], log10Prob: (Int) -> Float, known: (Int) -> Bool
    ) -> Double {
        var anyKnown = false
        for m in weights.indices where known(m) {
            anyKnown = true
            break
        }
        var p = 0.0
        for m in weights.indices where !anyKnown || known(m) {
            p += weights[m] * pow(10, Double(log10Prob(m)))
        }
        return p
    }

    /// `probability` as the log10 score a token reports (`Float`, as every model's).
    @inline(__always)
    package static func log10Prob(weights: [Double], log10Prob: (Int) -> Float, known: (Int) -> Bool) -> Float {
        Float(log10(probability(weights: weights, log10Prob: log10Prob, known: known)))
    }

    /// How far from 1 the weights may sum (they are typed or printed in decimal).
    package static let weightTolerance = 1e-6

    /// What is wrong with `weights` (non-negative, finite, summing to 1), or nil.
    package static func problem(weights: [Double]) -> String? {
        if weights.isEmpty { return "an ensemble needs at least one member" }
        if let bad = weights.first(where: { !($0 >= 0 && $0.isFinite) }) {
            return "weights must be non-negative numbers (got \(bad))"
        }
        let sum = weights.reduce(0, +)
        if abs(sum - 1) > weightTolerance {
            return "weights must sum to 1 (they sum to \(sum))"
        }
        return nil
    }
}
