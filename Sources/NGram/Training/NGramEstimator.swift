/// Turns counts into probabilities and backoff weights, order by order from unigrams up.
///
/// Interpolated smoothings (mkn, kn, wb, jm) give each n-gram an uninterpolated weight u(h w) and
/// each context a weight γ(h): p(w | h) = u(h w) + γ(h) · p(w | h′), down to a uniform 1/|V| (|V|
/// excludes `<s>`), written as an ARPA file with bow(h) = γ(h). Backoff smoothings (katz, addk)
/// give seen n-grams f(h w) and bow(h) = (1 − Σ f) / (1 − Σ p(w | h′)) over the seen w.
/// Pruned n-grams are dropped and their weight moves to γ(h) (interpolated) or into bow(h).
/// Katz contexts whose extensions all have counts above 5 (nothing discounted) are discounted
/// with the largest count's ratio d_5, so that no word gets probability 0.
struct NGramEstimator {
    let smoothing: NGramSmoothing
    let options: NGramTrainingOptions
    /// Per order (index 0 = unigrams): D1, D2, D3+ (kn: one value three times).
    private(set) var discounts: [[Double]] = []
    /// Per order: Katz discount ratios d_1 … d_5.
    private(set) var katzRatios: [[Double]] = []
    /// Per order: Jelinek-Mercer weight λ of the order's maximum-likelihood estimate.
    var lambdas: [Double] = []

    init(smoothing: NGramSmoothing, options: NGramTrainingOptions) {
        self.smoothing = smoothing
        self.options = options
    }

    /// Fills `prob`, `backoff` and `kept` of every order.
    mutating func estimate(_ L: inout CountLevels) throws {
        lowerVocabulary = L.vocabularySize - 1
        switch smoothing {
        case .mkn, .kn: discounts = try (1...L.order).map { try kneserNeyDiscounts(L, order: $0) }
        case .katz: katzRatios = (1...L.order).map { goodTuringRatios(L, order: $0) }
        case .jm: precondition(lambdas.count == L.order, "jm needs one lambda per order")
        case .wb, .addk: break
        }
        for k in 1...L.order { estimateOrder(&L, k) }
    }

    /// The counts the smoothing works with at order `k`.
    private func counts(_ L: CountLevels, _ k: Int) -> [UInt32] {
        smoothing == .mkn || smoothing == .kn ? L[k].adjusted : L[k].raw
    }

    private func estimateOrder(_ L: inout CountLevels, _ k: Int) {
        let n = L[k].count
        let c = counts(L, k)
        let threshold = options.pruneThreshold(k)
        var level = L[k]
        level.prob = [Double](repeating: 0, count: n)
        level.backoff = [Double](repeating: 1, count: n)
        level.kept = threshold > 0 ? level.raw.map { $0 > threshold } : []
        let uniform = 1 / Double(L.vocabularySize - 1)
        if k == 1 {
            let bos = L.find(L.layout.setting(.zero, 0, TrainingVocabulary.bos), order: 1)!
            let lower = [Double](repeating: uniform, count: n)
            _ = group(&level, k, 0..<n, c, excluding: bos, lower: lower, lowerBase: 0)
            level.prob[bos] = 1
            L[k] = level
            return
        }
        let lowerProbs = L.levels[k - 2].prob
        let lowerKeys = L.levels[k - 2].keys
        var contextIndex = 0
        var gammas: [(Int, Double)] = []
        var a = 0
        while a < n {
            let ctx = L.layout.clearing(level.keys[a], k - 1)
            var b = a + 1
            while b < n && L.layout.clearing(level.keys[b], k - 1) == ctx { b += 1 }
            if L.isReal(k, a) {
                while lowerKeys[contextIndex] < ctx { contextIndex += 1 }
                let hasKept = level.kept.isEmpty || level.kept[a..<b].contains(true)
                let g = group(&level, k, a..<b, c, excluding: nil, lower: lowerProbs, lowerBase: -1)
                if hasKept { gammas.append((contextIndex, g)) }
            }
            a = b
        }
        for (i, g) in gammas { L.levels[k - 2].backoff[i] = g }
        L[k] = level
    }

    /// Estimates one context's extensions `range`; returns the context's backoff weight.
    /// `lower[i]` (unigrams, `lowerBase` 0) or `lower[suffix[i]]` gives p(w | h′).
    private func group(
        _ level: inout CountLevel, _ k: Int, _ range: Range<Int>, _ c: [UInt32],
        excluding: Int?, lower: [Double], lowerBase: Int
    ) -> Double {
        @inline(__always) func lowerProb(_ i: Int) -> Double {
            lowerBase == 0 ? lower[i] : lower[Int(level.suffix[i])]
        }
        var total = 0.0
        var types = 0
        for i in range where i != excluding {
            total += Double(c[i])
            if c[i] > 0 { types += 1 }
        }
        switch smoothing {
        case .mkn, .kn, .wb, .jm:
            var gamma: Double
            var u: (UInt32) -> Double
            switch smoothing {
            case .mkn, .kn:
                let d = discounts[k - 1]
                let disc: (UInt32) -> Double = { $0 == 0 ? 0 : d[Int(min($0, 3)) - 1] }
                gamma = range.reduce(0.0) { $1 == excluding ? $0 : $0 + disc(c[$1]) } / total
                u = { (Double($0) - disc($0)) / total }
            case .wb:
                gamma = Double(types) / (total + Double(types))
                u = { Double($0) / (total + Double(types)) }
            default:
                let lambda = lambdas[k - 1]
                gamma = 1 - lambda
                u = { lambda * Double($0) / total }
            }
            for i in range where i != excluding {
                let ui = u(c[i])
                if level.isKept(i) {
                    level.prob[i] = ui + gamma * lowerProb(i)
                } else {
                    gamma += ui
                }
            }
            // The pruned weight added after the kept probabilities used the smaller γ: redo them.
            if !level.kept.isEmpty {
                for i in range where i != excluding && level.isKept(i) {
                    level.prob[i] = u(c[i]) + gamma * lowerProb(i)
                }
            }
            return gamma
        case .katz, .addk:
            var f = [Double](repeating: 0, count: range.count)
            for i in range where i != excluding && level.isKept(i) {
                if smoothing == .katz {
                    let r = Int(c[i])
                    let d = r >= 1 && r <= 5 ? katzRatios[k - 1][r - 1] : 1
                    f[i - range.lowerBound] = d * Double(c[i]) / total
                } else {
                    let v = Double(lowerVocabulary)
                    f[i - range.lowerBound] = (Double(c[i]) + options.addK) / (total + options.addK * v)
                }
            }
            var seen = f.reduce(0, +)
            if smoothing == .katz && k > 1 && seen > 1 - 1e-9,
                let dK = katzRatios[k - 1].last(where: { $0 < 1 })
            {
                // Every extension has a count above 5, so nothing was discounted and unseen words
                // would get probability 0: discount such a context like the largest discounted count.
                for i in range where level.isKept(i) { f[i - range.lowerBound] = dK * Double(c[i]) / total }
                seen = f.reduce(0, +)
            }
            if k == 1 {
                // Katz: the left-over mass goes to the zero-count words (<unk>), else renormalise.
                let zeros = range.filter { $0 != excluding && c[$0] == 0 }
                for i in range where i != excluding { level.prob[i] = f[i - range.lowerBound] }
                if smoothing == .katz {
                    if zeros.isEmpty {
                        for i in range where i != excluding { level.prob[i] /= seen }
                    } else {
                        for i in zeros { level.prob[i] = (1 - seen) / Double(zeros.count) }
                    }
                }
                return 1
            }
            var lowerSeen = 0.0
            for i in range where level.isKept(i) { lowerSeen += lowerProb(i) }
            let left = 1 - seen
            let denominator = 1 - lowerSeen
            if denominator <= 1e-12 {
                for i in range where level.isKept(i) { level.prob[i] = f[i - range.lowerBound] / seen }
                return 0
            }
            for i in range where level.isKept(i) { level.prob[i] = f[i - range.lowerBound] }
            return max(0, left) / denominator
        }
    }

    /// |V| for add-k: every word but `<s>`.
    private var lowerVocabulary = 0
}
