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
        let levels = L
        try prepare(vocabularySize: L.vocabularySize, order: L.order) { k, adjusted, limit in
            Self.countsOfCounts(levels, order: k, adjusted: adjusted, limit: limit)
        }
        for k in 1...L.order { estimateOrder(&L, k) }
    }

    /// Computes the discounts (or Katz ratios) from each order's counts-of-counts:
    /// `countsOfCounts(k, adjusted, limit)` gives n_0 … n_limit of order `k`'s real n-grams.
    mutating func prepare(
        vocabularySize: Int, order: Int, countsOfCounts: (Int, Bool, Int) -> [UInt64]
    ) throws {
        lowerVocabulary = vocabularySize - 1
        switch smoothing {
        case .mkn, .kn:
            discounts = try (1...order).map { try kneserNeyDiscounts(countsOfCounts($0, true, 4), order: $0) }
        case .katz: katzRatios = (1...order).map { goodTuringRatios(countsOfCounts($0, false, 6)) }
        case .jm: precondition(lambdas.count == order, "jm needs one lambda per order")
        case .wb, .addk: break
        }
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
        var g = ContextGroup(pruning: threshold > 0)
        if k == 1 {
            let bos = L.find(L.layout.setting(.zero, 0, TrainingVocabulary.bos), order: 1)!
            let uniform = 1 / Double(L.vocabularySize - 1)
            for i in 0..<n { g.append(count: c[i], kept: level.isKept(i), lower: uniform) }
            g.excluding = bos
            _ = group(&g, k)
            level.prob = g.prob
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
                g.removeAll()
                for i in a..<b { g.append(count: c[i], kept: level.isKept(i), lower: lowerProbs[Int(level.suffix[i])]) }
                let gamma = group(&g, k)
                for i in a..<b { level.prob[i] = g.prob[i - a] }
                if g.hasKept { gammas.append((contextIndex, gamma)) }
            }
            a = b
        }
        for (i, g) in gammas { L.levels[k - 2].backoff[i] = g }
        L[k] = level
    }

    /// Estimates one context's extensions (`g.counts`, with p(w | h′) in `g.lower`): fills
    /// `g.prob` (0 for pruned entries) and returns the context's backoff weight. The in-memory
    /// and the on-disk estimation both call this, so their results are bit-for-bit the same.
    func group(_ g: inout ContextGroup, _ k: Int) -> Double {
        let range = 0..<g.counts.count
        let c = g.counts
        let excluding = g.excluding
        @inline(__always) func lowerProb(_ i: Int) -> Double { g.lower[i] }
        @inline(__always) func isKept(_ i: Int) -> Bool { g.kept[i] }
        g.prob.removeAll(keepingCapacity: true)
        g.prob.append(contentsOf: repeatElement(0, count: range.count))
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
                if isKept(i) {
                    g.prob[i] = ui + gamma * lowerProb(i)
                } else {
                    gamma += ui
                }
            }
            // The pruned weight added after the kept probabilities used the smaller γ: redo them.
            if g.pruning {
                for i in range where i != excluding && isKept(i) {
                    g.prob[i] = u(c[i]) + gamma * lowerProb(i)
                }
            }
            return gamma
        case .katz, .addk:
            var f = [Double](repeating: 0, count: range.count)
            for i in range where i != excluding && isKept(i) {
                if smoothing == .katz {
                    let r = Int(c[i])
                    let d = r >= 1 && r <= 5 ? katzRatios[k - 1][r - 1] : 1
                    f[i] = d * Double(c[i]) / total
                } else {
                    let v = Double(lowerVocabulary)
                    f[i] = (Double(c[i]) + options.addK) / (total + options.addK * v)
                }
            }
            var seen = f.reduce(0, +)
            if smoothing == .katz && k > 1 && seen > 1 - 1e-9,
                let dK = katzRatios[k - 1].last(where: { $0 < 1 })
            {
                // Every extension has a count above 5, so nothing was discounted and unseen words
                // would get probability 0: discount such a context like the largest discounted count.
                for i in range where isKept(i) { f[i] = dK * Double(c[i]) / total }
                seen = f.reduce(0, +)
            }
            if k == 1 {
                // Katz: the left-over mass goes to the zero-count words (<unk>), else renormalise.
                let zeros = range.filter { $0 != excluding && c[$0] == 0 }
                for i in range where i != excluding { g.prob[i] = f[i] }
                if smoothing == .katz {
                    if zeros.isEmpty {
                        for i in range where i != excluding { g.prob[i] /= seen }
                    } else {
                        for i in zeros { g.prob[i] = (1 - seen) / Double(zeros.count) }
                    }
                }
                return 1
            }
            var lowerSeen = 0.0
            for i in range where isKept(i) { lowerSeen += lowerProb(i) }
            let left = 1 - seen
            let denominator = 1 - lowerSeen
            if denominator <= 1e-12 {
                for i in range where isKept(i) { g.prob[i] = f[i] / seen }
                return 0
            }
            for i in range where isKept(i) { g.prob[i] = f[i] }
            return max(0, left) / denominator
        }
    }

    /// |V| for add-k: every word but `<s>`.
    var lowerVocabulary = 0
}

/// One context's extensions as `NGramEstimator.group` reads them, in key order.
struct ContextGroup {
    /// Whether `--prune` applies to this order (kept probabilities are then recomputed with the
    /// final γ).
    let pruning: Bool
    var counts: [UInt32] = []
    var kept: [Bool] = []
    /// p(w | h′) of each extension's suffix.
    var lower: [Double] = []
    /// Filled by `group`.
    var prob: [Double] = []
    /// The entry left out (`<s>` among the unigrams).
    var excluding: Int? = nil

    init(pruning: Bool) { self.pruning = pruning }

    var hasKept: Bool { !pruning || kept.contains(true) }

    mutating func append(count: UInt32, kept k: Bool, lower p: Double) {
        counts.append(count)
        kept.append(k)
        lower.append(p)
    }

    mutating func removeAll() {
        counts.removeAll(keepingCapacity: true)
        kept.removeAll(keepingCapacity: true)
        lower.removeAll(keepingCapacity: true)
    }
}
