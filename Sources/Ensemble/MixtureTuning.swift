import Foundation
import LMCore

/// Interpolation weights that minimise a held-out text's perplexity, by expectation-
/// maximisation over the members' per-token probabilities (SRILM's `compute-best-mix`).
///
/// Each EM step sets λ_m to the mean over tokens of member m's share of the token's mixture
/// probability, λ_m P_m(t) / Σ_j λ_j P_j(t); every step lowers the perplexity or leaves it, and
/// the perplexity is convex in λ, so the fixed point is the optimum.
package struct MixtureTuning: Sendable {
    /// `probabilities[t][m]`: what member m contributes for token t under `Mixture`'s rule (0
    /// where it lacks a word another member has).
    package private(set) var probabilities: [[Double]] = []
    /// Member m's own log10 score of each token (its `<unk>` score where it lacks the word), for
    /// the members' own perplexities.
    package private(set) var memberLog10Sums: [Double]
    package let memberCount: Int

    package init(memberCount: Int) {
        self.memberCount = memberCount
        memberLog10Sums = [Double](repeating: 0, count: memberCount)
    }

    package var tokens: Int { probabilities.count }

    /// Adds one sentence: each member's `score(sentence:)` of it (equal lengths).
    package mutating func add(_ scores: [[TokenScore]]) {
        precondition(scores.count == memberCount && scores.allSatisfy { $0.count == scores[0].count }, "one equal-length row per member")
        for j in scores[0].indices {
            let anyKnown = scores.contains { !$0[j].isOOV }
            probabilities.append(scores.map { !anyKnown || !$0[j].isOOV ? pow(10, Double($0[j].log10Prob)) : 0 })
            for m in 0..<memberCount { memberLog10Sums[m] += Double(scores[m][j].log10Prob) }
        }
    }

    /// Member m's own perplexity over the tokens added (KenLM's formula, OOVs included).
    package func memberPerplexity(_ m: Int) -> Double { pow(10, -memberLog10Sums[m] / Double(tokens)) }

    /// The mixture's perplexity with `weights` (each token's probability rounded to a `Float`
    /// log10, as the served model reports it).
    package func perplexity(_ weights: [Double]) -> Double {
        var sum = 0.0
        for row in probabilities {
            sum += Double(Float(log10(zip(weights, row).reduce(0) { $0 + $1.0 * $1.1 })))
        }
        return pow(10, -sum / Double(tokens))
    }

    /// The result of `tune`.
    package struct Result: Sendable {
        package var weights: [Double]
        package var iterations: Int
        /// The largest weight change of the last step.
        package var lastChange: Double
    }

    /// Runs EM from equal weights until no weight moves more than `tolerance` in a step (or
    /// `maxIterations`). Tokens no member gives any probability are skipped.
    package func tune(tolerance: Double = 1e-7, maxIterations: Int = 10_000) -> Result {
        var weights = [Double](repeating: 1 / Double(memberCount), count: memberCount)
        var change = Double.infinity
        var iterations = 0
        while change > tolerance && iterations < maxIterations {
            var shares = [Double](repeating: 0, count: memberCount)
            var counted = 0
            for row in probabilities {
                let total = zip(weights, row).reduce(0) { $0 + $1.0 * $1.1 }
                guard total > 0 else { continue }
                counted += 1
                for m in 0..<memberCount { shares[m] += weights[m] * row[m] / total }
            }
            guard counted > 0 else { break }
            let next = shares.map { $0 / Double(counted) }
            change = zip(next, weights).map { abs($0 - $1) }.max() ?? 0
            weights = next
            iterations += 1
        }
        return Result(weights: weights, iterations: iterations, lastChange: change)
    }
}
