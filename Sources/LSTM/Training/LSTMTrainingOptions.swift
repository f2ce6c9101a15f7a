/// Everything `lmserve train lstm` can set; defaults are the command's defaults.
package struct LSTMTrainingOptions: Sendable, Equatable {
    package var embeddingSize: Int
    package var hiddenSize: Int
    package var layers: Int
    /// PyTorch's `proj_size`; 0 = none.
    package var projectionSize: Int
    /// Share the embedding matrix with the decoder (needs E = H, or E = P with a projection).
    package var tied: Bool
    /// Inverted-dropout probability on the embedding output, between layers and before the decoder.
    package var dropout = 0.0
    /// Words seen fewer times in the training text map to `<unk>`.
    package var minCount = 2
    /// Lines per batch.
    package var batchSize = 32
    package var learningRate = 0.002
    /// Maximum global gradient norm (0 = no clipping).
    package var clip = 1.0
    /// Stop after this many passes over the training text (nil = no limit).
    package var epochs: Int?
    /// Stop after this many minutes of training (nil = no limit).
    package var minutes: Double?
    package var seed: UInt64 = 1
    /// Threads for the element-wise work (nil = OpenBLAS's thread count); OpenBLAS's own count is
    /// process-wide and set by the caller (`train lstm --threads`).
    package var threads: Int?
    /// Validation runs (and possible checkpoints) per epoch; one always ends each epoch.
    package var evaluationsPerEpoch = 4
    /// Learning-rate factor applied when validation perplexity does not improve.
    package var learningRateDecay = 0.5

    /// The shape given, every other setting at its default.
    package init(embeddingSize: Int = 256, hiddenSize: Int = 512, layers: Int = 2, projectionSize: Int = 0, tied: Bool = false) {
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.projectionSize = projectionSize
        self.tied = tied
    }

    /// The passes to make when neither `epochs` nor `minutes` is set.
    package static let defaultEpochs = 5

    /// Checks every setting that does not depend on the data.
    /// - Throws: `LSTMTrainingError.badSetting`.
    package func validate() throws {
        func check(_ ok: Bool, _ name: String, _ reason: String) throws {
            if !ok { throw LSTMTrainingError.badSetting(name: name, reason: reason) }
        }
        try check(dropout >= 0 && dropout < 1, "dropout", "\(dropout) is not in [0, 1)")
        try check(minCount >= 1, "min-count", "\(minCount) must be at least 1")
        try check(batchSize >= 1 && batchSize <= 4096, "batch", "\(batchSize) is not in 1...4096")
        try check(learningRate > 0 && learningRate.isFinite, "lr", "\(learningRate) must be positive")
        try check(clip >= 0 && clip.isFinite, "clip", "\(clip) must be 0 (off) or positive")
        if let e = epochs { try check(e >= 1, "epochs", "\(e) must be at least 1") }
        if let m = minutes { try check(m > 0 && m.isFinite, "minutes", "\(m) must be positive") }
        if let t = threads { try check(t >= 1 && t <= 256, "threads", "\(t) is not in 1...256") }
        try check(evaluationsPerEpoch >= 1, "evals-per-epoch", "\(evaluationsPerEpoch) must be at least 1")
        try check(learningRateDecay > 0 && learningRateDecay <= 1, "lr-decay", "\(learningRateDecay) is not in (0, 1]")
    }

    /// The model shape for a vocabulary of `vocabularySize` tokens.
    package func architecture(vocabularySize: Int) -> LSTMArchitecture {
        LSTMArchitecture(
            vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize, layers: layers,
            projectionSize: projectionSize, tied: tied)
    }
}
