extension NGramEstimator {
    /// Counts-of-counts n_1 … n_{limit} of order `k`'s real n-grams (padding keys excluded).
    static func countsOfCounts(_ L: CountLevels, order k: Int, adjusted: Bool, limit: Int) -> [UInt64] {
        var n = [UInt64](repeating: 0, count: limit + 1)
        let c = adjusted ? L[k].adjusted : L[k].raw
        for i in c.indices where c[i] >= 1 && Int(c[i]) <= limit && L.isReal(k, i) { n[Int(c[i])] += 1 }
        return n
    }

    /// lmplz's discounts for order `k` (Chen & Goodman eq. 26, in `Float` as lmplz computes them):
    /// Y = n1/(n1+2n2), D_j = j − (j+1)·Y·n_{j+1}/n_j. For `kn` one discount Y for every count.
    /// Invalid closed forms take `--discount-fallback`, or throw. `n` = counts-of-counts n_0 … n_4.
    func kneserNeyDiscounts(_ n: [UInt64], order k: Int) throws -> [Double] {
        if smoothing == .kn {
            guard n[1] > 0 else {
                if let f = options.discountFallback { return [f[0], f[0], f[0]] }
                throw NGramTrainingError.badDiscounts(order: k, detail: "no \(k)-grams with adjusted count 1")
            }
            let y = Double(n[1]) / (Double(n[1]) + 2 * Double(n[2]))
            return [y, y, y]
        }
        for j in 1...3 where n[j] == 0 {
            if let f = options.discountFallback { return f }
            throw NGramTrainingError.badDiscounts(order: k, detail: "no \(k)-grams with adjusted count \(j)")
        }
        let y = Float(n[1]) / Float(Double(n[1]) + 2.0 * Double(n[2]))
        var d: [Double] = []
        for j in 1...3 {
            let amount = Float(j) - Float(j + 1) * y * Float(n[j + 1]) / Float(n[j])
            guard amount >= 0 && amount <= Float(j) else {
                if let f = options.discountFallback { return f }
                throw NGramTrainingError.badDiscounts(order: k, detail: "discount D\(j)\(j == 3 ? "+" : "") = \(amount) is out of range")
            }
            d.append(Double(amount))
        }
        return d
    }

    /// Katz's Good-Turing ratios d_r (r = 1 … 5) on raw counts, as SRILM computes them:
    /// d_r = (r*/r − A) / (1 − A), r* = (r+1)·n_{r+1}/n_r, A = 6·n_6/n_1. An undefined or out-of-range
    /// ratio leaves that count undiscounted (d_r = 1). `n` = raw counts-of-counts n_0 … n_6.
    func goodTuringRatios(_ n: [UInt64]) -> [Double] {
        guard n[1] > 0 else { return [1, 1, 1, 1, 1] }
        let a = 6 * Double(n[6]) / Double(n[1])
        guard a < 1 else { return [1, 1, 1, 1, 1] }
        return (1...5).map { r in
            guard n[r] > 0 else { return 1 }
            let rStar = Double(r + 1) * Double(n[r + 1]) / Double(n[r])
            let d = (rStar / Double(r) - a) / (1 - a)
            return d > 0 && d <= 1 ? d : 1
        }
    }
}
