/// The shape of an LSTM language model: embedding → `layers` × nn.LSTM → linear decoder.
package struct LSTMConfiguration: Sendable, Equatable {
    /// Vocabulary size V (rows of `embedding.weight` and `decoder.weight`).
    package var vocabularySize: Int
    /// Embedding width E.
    package var embeddingSize: Int
    /// Hidden (cell) width H.
    package var hiddenSize: Int
    /// Projection width P (`proj_size`); 0 when the LSTM has no projection.
    package var projectionSize: Int
    /// Number of stacked LSTM layers.
    package var layers: Int

    package init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, projectionSize: Int = 0, layers: Int) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.projectionSize = projectionSize
        self.layers = layers
    }

    /// Width of each layer's output h (P when projected, else H); also the decoder's input.
    package var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

    /// Width of layer `k`'s input x (E for layer 0, the output width above).
    package func inputSize(layer k: Int) -> Int { k == 0 ? embeddingSize : outputSize }

    /// Multiply-adds ×2 for one token through the LSTM layers and the decoder.
    package var flopsPerToken: Int {
        var flops = 0
        for k in 0..<layers {
            flops += 2 * 4 * hiddenSize * (inputSize(layer: k) + outputSize)
            if projectionSize > 0 { flops += 2 * projectionSize * hiddenSize }
        }
        return flops + 2 * vocabularySize * outputSize
    }
}
