import Foundation

/// Fits Jelinek-Mercer weights λ_1 … λ_N by EM on held-out text.
///
/// The model is p_k(w | h) = λ_k · c(h w)/c(h) + (1 − λ_k) · p_{k−1}(w | h′) for orders whose
/// context was seen in training (others pass p_{k−1} through), p_0 = 1/|V|. Each EM step credits
/// every held-out token's posterior to the order that generated it: λ_k = E[chosen k] / E[reached k].
struct JelinekMercerEM {
    let iterations: Int

    /// Per held-out token, the maximum-likelihood estimate of each order whose context was seen.
    struct Token {
        var ml: [Double]
    }

    func fit(_ L: CountLevels, heldout: [UInt32]) -> [Double] {
        fit(tokens(L, heldout: heldout), order: L.order, vocabularySize: L.vocabularySize)
    }

    /// log10 likelihood of the held-out tokens under `lambdas`.
    func log10Likelihood(_ tokens: [Token], lambdas: [Double], vocabularySize: Int) -> Double {
        let uniform = 1 / Double(vocabularySize - 1)
        var total = 0.0
        for t in tokens {
            var p = uniform
            for k in 0..<t.ml.count { p = lambdas[k] * t.ml[k] + (1 - lambdas[k]) * p }
            total += log10(p)
        }
        return total
    }

    func tokens(_ L: CountLevels, heldout: [UInt32]) -> [Token] {
        let order = L.order
        let totals = contextTotals(L)
        let unigramTotal = (0..<L[1].count).reduce(0.0) { $0 + Double(L[1].raw[$1]) }
        var tokens: [Token] = []
        var history: [UInt32] = [TrainingVocabulary.bos]
        for id in heldout {
            var ml: [Double] = []
            if let i = L.find(L.layout.setting(.zero, 0, id), order: 1), unigramTotal > 0 {
                ml.append(Double(L[1].raw[i]) / unigramTotal)
            } else {
                ml.append(0)
            }
            var k = 2
            while k <= order && k - 1 <= history.count {
                let context = Array(history.suffix(k - 1))
                guard let ci = L.find(L.layout.key(context), order: k - 1), totals[k - 2][ci] > 0 else { break }
                let c = L.find(L.layout.key(context + [id]), order: k).map { Double(L[k].raw[$0]) } ?? 0
                ml.append(c / totals[k - 2][ci])
                k += 1
            }
            tokens.append(Token(ml: ml))
            if id == TrainingVocabulary.eos {
                history = [TrainingVocabulary.bos]
            } else {
                history.append(id)
                if history.count > order { history.removeFirst() }
            }
        }
        return tokens
    }

    func fit(_ tokens: [Token], order: Int, vocabularySize: Int) -> [Double] {
        var lambdas = [Double](repeating: 0.5, count: order)
        let uniform = 1 / Double(vocabularySize - 1)
        for _ in 0..<iterations {
            var chosen = [Double](repeating: 0, count: order)
            var reached = [Double](repeating: 0, count: order)
            for t in tokens {
                let m = t.ml.count
                // p[k] = the mixture of orders ≤ k (p[0] = uniform).
                var p = [Double](repeating: uniform, count: m + 1)
                for k in 1...m { p[k] = lambdas[k - 1] * t.ml[k - 1] + (1 - lambdas[k - 1]) * p[k - 1] }
                guard p[m] > 0 else { continue }
                var reach = 1.0  // product of (1 − λ_j) for j above k
                for k in stride(from: m, through: 1, by: -1) {
                    chosen[k - 1] += reach * lambdas[k - 1] * t.ml[k - 1] / p[m]
                    reached[k - 1] += reach * p[k] / p[m]
                    reach *= 1 - lambdas[k - 1]
                }
            }
            for k in 0..<order where reached[k] > 0 {
                lambdas[k] = min(0.9999, max(0.0001, chosen[k] / reached[k]))
            }
        }
        return lambdas
    }

    /// For each order k < N, indexed like level k: the summed raw counts of the entry's extensions.
    func contextTotals(_ L: CountLevels) -> [[Double]] {
        var totals: [[Double]] = []
        for k in 1..<max(L.order, 1) {
            let lowerKeys = L.levels[k - 1].keys
            var t = [Double](repeating: 0, count: lowerKeys.count)
            let upper = L.levels[k]
            var ci = 0
            for i in 0..<upper.count where L.isReal(k + 1, i) {
                let ctx = L.layout.clearing(upper.keys[i], k)
                while lowerKeys[ci] < ctx { ci += 1 }
                t[ci] += Double(upper.raw[i])
            }
            totals.append(t)
        }
        return totals
    }
}
