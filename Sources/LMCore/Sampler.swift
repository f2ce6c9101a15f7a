import Foundation

/// Settings that shape how the next token is drawn.
package struct SamplingParameters: Sendable, Equatable {
    /// 0 = greedy (argmax); otherwise log-probabilities are divided by it before sampling.
    package var temperature: Double = 1
    /// Keep only the k most probable tokens (0 = all).
    package var topK: Int = 0
    /// Keep the smallest set of most probable tokens whose mass reaches `topP` (1 = all).
    package var topP: Double = 1

    package init(temperature: Double = 1, topK: Int = 0, topP: Double = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }
}

/// Draws tokens from a model's next-token distribution.
///
/// Candidates with probability zero (`-inf`) and the ids in `excluded` are never drawn. Ties in
/// greedy decoding go to the lowest id, so greedy output is deterministic.
package struct Sampler: Sendable {
    package var parameters: SamplingParameters
    package var generator: SeededGenerator
    /// Ids that may never be drawn (e.g. `<s>`, `<unk>`).
    package var excluded: Set<TokenID>
    /// Scratch space for the unnormalised weights, reused across draws.
    private var weights: [Float] = []

    package init(parameters: SamplingParameters, seed: UInt64, excluded: Set<TokenID> = []) {
        self.parameters = parameters
        self.generator = SeededGenerator(seed: seed)
        self.excluded = excluded
    }

    /// Draws one token from natural-log probabilities `logProbs`; returns its id.
    package mutating func sample(_ logProbs: UnsafeBufferPointer<Float>) -> TokenID {
        // Temperatures this small are greedy in effect (and 1/T would overflow).
        if parameters.temperature < 1e-4 { return argmax(logProbs) }
        if parameters.topK == 0 && parameters.topP >= 1 { return sampleAll(logProbs) }
        // Candidates: (id, scaled log-prob), most probable first when a cut is needed.
        var candidates: [(id: TokenID, score: Double)] = []
        candidates.reserveCapacity(logProbs.count)
        let invT = 1 / parameters.temperature
        for i in 0..<logProbs.count {
            let lp = logProbs[i]
            if lp == -.infinity || lp.isNaN || excluded.contains(TokenID(i)) { continue }
            candidates.append((TokenID(i), Double(lp) * invT))
        }
        if candidates.isEmpty { return argmax(logProbs) }
        let needsOrder = (parameters.topK > 0 && parameters.topK < candidates.count) || parameters.topP < 1
        if needsOrder {
            candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
            if parameters.topK > 0 && parameters.topK < candidates.count {
                candidates.removeSubrange(parameters.topK...)
            }
        }
        let maxScore = candidates.reduce(-Double.infinity) { max($0, $1.score) }
        var weights = candidates.map { exp($0.score - maxScore) }
        var total = weights.reduce(0, +)
        if parameters.topP < 1 {
            let keep = nucleusSize(weights, topP: parameters.topP, total: total)
            weights.removeSubrange(keep...)
            candidates.removeSubrange(keep...)
            total = weights.reduce(0, +)
        }
        var r = generator.nextUnit() * total
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
    }

    /// Draws from the whole distribution without building a candidate list, on SIMD blocks of
    /// `VectorMath.width` tokens: one pass scales the log-probs into `weights` (excluded,
    /// impossible and NaN tokens at -inf) and finds their maximum, one exponentiates and sums
    /// the blocks, one skips whole blocks by their mass to find the draw.
    private mutating func sampleAll(_ logProbs: UnsafeBufferPointer<Float>) -> TokenID {
        let count = logProbs.count
        guard let x = logProbs.baseAddress, count > 0 else { return 0 }
        if weights.count < count { weights = [Float](repeating: 0, count: count) }
        let width = VectorMath.width
        let blocks = (count + width - 1) / width
        let invT = Float(1 / parameters.temperature)
        let excludedIDs = excluded
        let maxScore: Float = weights.withUnsafeMutableBufferPointer { w in
            let scale = VectorMath.Vector(repeating: invT), negInf = VectorMath.Vector(repeating: -.infinity)
            for b in 0..<blocks {
                let j = b * width, n = min(width, count - j)
                let lp = n == width ? VectorMath.load(x + j) : VectorMath.loadPartial(x + j, n, fill: -.infinity)
                var scaled = lp * scale
                scaled.replace(with: negInf, where: (lp .== negInf) .| (lp .!= lp))
                if n == width { VectorMath.store(scaled, w.baseAddress! + j) } else { VectorMath.storePartial(scaled, w.baseAddress! + j, n) }
            }
            for id in excludedIDs where Int(id) < count { w[Int(id)] = -.infinity }
            return VectorMath.maximum(w.baseAddress!, count)
        }
        // Nothing allowed has a finite log-prob (or 1/T overflowed): the most probable allowed.
        guard maxScore > -.infinity, maxScore.isFinite else { return argmax(logProbs) }
        // exp(score - max), exactly 0 below exp's clamp (so -inf and far-off tokens weigh
        // nothing); block masses summed in Double in the order the draw walks them.
        let total: Double = weights.withUnsafeMutableBufferPointer { w in
            let shift = VectorMath.Vector(repeating: maxScore), floor = VectorMath.Vector(repeating: -87)
            let zero = VectorMath.Vector(repeating: 0)
            var total = 0.0
            for b in 0..<blocks {
                let j = b * width, n = min(width, count - j)
                let d = (n == width ? VectorMath.load(w.baseAddress! + j) : VectorMath.loadPartial(w.baseAddress! + j, n, fill: -.infinity)) - shift
                var e = VectorMath.exp(d)
                e.replace(with: zero, where: .!(d .>= floor))
                if n == width { VectorMath.store(e, w.baseAddress! + j) } else { VectorMath.storePartial(e, w.baseAddress! + j, n) }
                total += Double(e.sum())
            }
            return total
        }
        guard total > 0 else { return argmax(logProbs) }
        // Inverse CDF: skip whole blocks by their (identically computed) masses, then walk the
        // block the draw falls in; rounding inside it stops at its last token with weight.
        var r = generator.nextUnit() * total
        return weights.withUnsafeBufferPointer { w in
            var lastWeighted = -1
            for b in 0..<blocks {
                let j = b * width, n = min(width, count - j)
                let block = n == width ? VectorMath.load(w.baseAddress! + j) : VectorMath.loadPartial(w.baseAddress! + j, n)
                let mass = Double(block.sum())
                if mass <= 0 { continue }
                var lastInBlock = j
                for i in 0..<n where block[i] > 0 { lastInBlock = j + i }
                lastWeighted = lastInBlock
                if r >= mass {
                    r -= mass
                    continue
                }
                for i in 0..<n where block[i] > 0 {
                    r -= Double(block[i])
                    if r < 0 { return TokenID(j + i) }
                }
                return TokenID(lastInBlock)
            }
            // r ≥ total by rounding of the last subtraction: the last token with weight.
            return TokenID(lastWeighted)
        }
    }

    private func argmax(_ logProbs: UnsafeBufferPointer<Float>) -> TokenID {
        var best = -1
        var bestValue = -Float.infinity
        for i in 0..<logProbs.count where !excluded.contains(TokenID(i)) {
            if logProbs[i] > bestValue || best < 0 {
                best = i
                bestValue = logProbs[i]
            }
        }
        return TokenID(max(best, 0))
    }
}

/// How many of `weights` (most probable first, summing to `total`) top_p keeps: the smallest
/// prefix whose sum reaches `topP` of the total (all of them when rounding never gets there).
package func nucleusSize(_ weights: [Double], topP: Double, total: Double) -> Int {
    var cumulative = 0.0
    for (i, w) in weights.enumerated() {
        cumulative += w
        if cumulative >= topP * total { return i + 1 }
    }
    return weights.count
}

/// The `k` most probable tokens of a distribution, most probable first (ties: lower id first).
package func topAlternatives(_ logProbs: UnsafeBufferPointer<Float>, k: Int) -> [(id: TokenID, logProb: Float)] {
    guard k > 0 else { return [] }
    var best: [(id: TokenID, logProb: Float)] = []
    best.reserveCapacity(k + 1)
    for i in 0..<logProbs.count {
        let lp = logProbs[i]
        if lp == -.infinity || lp.isNaN { continue }
        if best.count == k, let last = best.last, lp <= last.logProb { continue }
        var pos = best.count
        while pos > 0 && best[pos - 1].logProb < lp { pos -= 1 }
        best.insert((TokenID(i), lp), at: pos)
        if best.count > k { best.removeLast() }
    }
    return best
}
