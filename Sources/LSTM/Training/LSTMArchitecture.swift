/// The shape of a trainable LSTM language model: embedding → stacked `nn.LSTM` → linear decoder.
///
/// Mirrors PyTorch's `nn.Embedding(V, E)`, `nn.LSTM(E, H, L, proj_size: P, batch_first: true)`
/// and `nn.Linear(H or P, V)`; with `tied` the decoder reuses the embedding matrix.
@dynamicMemberLookup
package struct LSTMArchitecture: Sendable, Equatable {
    /// The sizes (V, E, H, P, L), as the loaded model describes them; read through this type
    /// (`architecture.hiddenSize`, `architecture.outputSize`).
    package var sizes: LSTMConfiguration
    package var tied: Bool

    package init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int,
        projectionSize: Int = 0, tied: Bool = false
    ) {
        sizes = LSTMConfiguration(
            vocabularySize: vocabularySize, embeddingSize: embeddingSize, hiddenSize: hiddenSize,
            projectionSize: projectionSize, layers: layers)
        self.tied = tied
    }

    package subscript<T>(dynamicMember keyPath: WritableKeyPath<LSTMConfiguration, T>) -> T {
        get { sizes[keyPath: keyPath] }
        set { sizes[keyPath: keyPath] = newValue }
    }

    package subscript<T>(dynamicMember keyPath: KeyPath<LSTMConfiguration, T>) -> T { sizes[keyPath: keyPath] }

    /// Width of layer `k`'s input: E for the first layer, the previous layer's output otherwise.
    package func inputSize(layer k: Int) -> Int { sizes.inputSize(layer: k) }

    /// Checks every size; throws the first problem found.
    /// - Throws: `LSTMTrainingError.badSetting` or `.tieSizeMismatch`.
    package func validate() throws {
        func positive(_ value: Int, _ name: String, max: Int = 1 << 16) throws {
            guard value >= 1 && value <= max else {
                throw LSTMTrainingError.badSetting(name: name, reason: "\(value) is not in 1...\(max)")
            }
        }
        try positive(sizes.embeddingSize, "emb")
        try positive(sizes.hiddenSize, "hidden")
        try positive(sizes.layers, "layers", max: 64)
        guard sizes.vocabularySize >= 3 else {
            throw LSTMTrainingError.badSetting(name: "min-count", reason: "no training word is seen that often")
        }
        guard sizes.projectionSize >= 0 && sizes.projectionSize < sizes.hiddenSize else {
            throw LSTMTrainingError.badSetting(
                name: "proj", reason: "\(sizes.projectionSize) must be 0 (none) or smaller than --hidden \(sizes.hiddenSize) (PyTorch's rule)")
        }
        if tied && sizes.embeddingSize != sizes.outputSize {
            throw LSTMTrainingError.tieSizeMismatch(embedding: sizes.embeddingSize, decoderInput: sizes.outputSize)
        }
    }
}
