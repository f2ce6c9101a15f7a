/// The shape of a trainable LSTM language model: embedding → stacked `nn.LSTM` → linear decoder.
///
/// Mirrors PyTorch's `nn.Embedding(V, E)`, `nn.LSTM(E, H, L, proj_size: P, batch_first: true)`
/// and `nn.Linear(H or P, V)`; with `tied` the decoder reuses the embedding matrix.
package struct LSTMArchitecture: Sendable, Equatable {
    package var vocabularySize: Int
    package var embeddingSize: Int
    package var hiddenSize: Int
    package var layers: Int
    /// PyTorch's `proj_size`; 0 = no projection.
    package var projectionSize: Int
    package var tied: Bool

    package init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int,
        projectionSize: Int = 0, tied: Bool = false
    ) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.projectionSize = projectionSize
        self.tied = tied
    }

    /// Width of each layer's output h (and of the recurrent input): P when projecting, else H.
    package var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

    /// Width of layer `k`'s input: E for the first layer, the previous layer's output otherwise.
    package func inputSize(layer k: Int) -> Int { k == 0 ? embeddingSize : outputSize }

    /// Checks every size; throws the first problem found.
    /// - Throws: `LSTMTrainingError.badSetting` or `.tieSizeMismatch`.
    package func validate() throws {
        func positive(_ value: Int, _ name: String, max: Int = 1 << 16) throws {
            guard value >= 1 && value <= max else {
                throw LSTMTrainingError.badSetting(name: name, reason: "\(value) is not in 1...\(max)")
            }
        }
        try positive(embeddingSize, "emb")
        try positive(hiddenSize, "hidden")
        try positive(layers, "layers", max: 64)
        guard vocabularySize >= 3 else {
            throw LSTMTrainingError.badSetting(name: "min-count", reason: "no training word is seen that often")
        }
        guard projectionSize >= 0 && projectionSize < hiddenSize else {
            throw LSTMTrainingError.badSetting(
                name: "proj", reason: "\(projectionSize) must be 0 (none) or smaller than --hidden \(hiddenSize) (PyTorch's rule)")
        }
        if tied && embeddingSize != outputSize {
            throw LSTMTrainingError.tieSizeMismatch(embedding: embeddingSize, decoderInput: outputSize)
        }
    }
}
