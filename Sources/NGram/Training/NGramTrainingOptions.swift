import LMCore

/// The smoothing an N-gram model is trained with.
package enum NGramSmoothing: String, CaseIterable, Sendable {
    /// Interpolated modified Kneser-Ney, exactly as KenLM's lmplz computes it.
    case mkn
    /// Interpolated Kneser-Ney with one discount per order.
    case kn
    /// Katz backoff with Good-Turing discounting of counts ≤ 5.
    case katz
    /// Interpolated Witten-Bell.
    case wb
    /// Jelinek-Mercer deleted interpolation, one weight per order fitted by EM on held-out text.
    case jm
    /// Add-k (Laplace for k = 1) estimates for seen n-grams, backing off for unseen ones.
    case addk
}

/// Everything `NGramTrainer` needs besides the text.
package struct NGramTrainingOptions: Sendable {
    package static let maximumOrder = 8

    package var order: Int
    package var smoothing: NGramSmoothing = .mkn
    package var tokenizer: Tokenizer = .whitespace
    /// Pruning thresholds for orders 2, 3, …: drop n-grams whose raw count ≤ threshold. A missing
    /// order repeats the last threshold; unigrams are never pruned. Must not decrease.
    package var prune: [UInt32] = []
    /// Words seen fewer times than this become `<unk>`.
    package var minCount: Int = 1
    /// Held-out text for `jm` (paths, `-` = stdin); empty = every 10th training sentence.
    package var heldout: [String] = []
    /// Discounts D1, D2, D3+ for orders whose closed-form (modified) Kneser-Ney discounts are
    /// invalid; nil = such orders are an error.
    package var discountFallback: [Double]? = nil
    /// Memory bound of the run: the count table spills sorted runs beyond it, and when the distinct
    /// n-grams do not fit, estimation runs as passes over sorted files (`DiskEstimation`).
    package var memoryBytes: Int = 1 << 30
    /// Folder for spill and sort files; nil = `$TMPDIR` or /tmp.
    package var temporaryDirectory: String? = nil
    /// k of `addk`.
    package var addK: Double = 1
    /// EM iterations for `jm`.
    package var emIterations: Int = 30

    package init(order: Int) { self.order = order }

    /// Pruning threshold of `order` (1-based); 0 = keep everything.
    func pruneThreshold(_ order: Int) -> UInt32 {
        guard order >= 2, !prune.isEmpty else { return 0 }
        return prune[min(order - 2, prune.count - 1)]
    }

    func validate() throws {
        guard (1...Self.maximumOrder).contains(order) else { throw NGramTrainingError.invalidOrder(order) }
        guard minCount >= 1 else { throw NGramTrainingError.invalidOption("--min-count must be at least 1") }
        for i in prune.indices.dropFirst() where prune[i] < prune[i - 1] {
            throw NGramTrainingError.invalidOption("--prune thresholds must not decrease with the order")
        }
        if let d = discountFallback {
            guard d.count == 3, d.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw NGramTrainingError.invalidOption("--discount-fallback takes three non-negative discounts D1 D2 D3+")
            }
        }
        guard addK > 0, addK.isFinite else { throw NGramTrainingError.invalidOption("--add-k must be positive") }
        guard memoryBytes >= 1024 else { throw NGramTrainingError.invalidOption("--memory must be at least 1 KiB") }
    }
}
