/// Where one named tensor lives inside the flat parameter (and gradient) buffer.
package struct TensorSlot: Sendable, Equatable {
    /// PyTorch's `state_dict` key, e.g. `lstm.weight_ih_l0`.
    package var name: String
    /// Row-major shape, as PyTorch stores it.
    package var shape: [Int]
    /// First element in the flat buffer.
    package var offset: Int
    package var count: Int { shape.reduce(1, *) }
}

/// The offsets of every tensor of an `LSTMArchitecture` in one flat Float buffer.
///
/// Parameters and their gradients share this layout, so clipping and Adam run over one buffer.
/// With a tied decoder, `decoderWeight` is the embedding slot under the decoder's name.
package struct ParameterLayout: Sendable {
    /// The slots of one LSTM layer; `projection` (`weight_hr`) only when `proj_size` > 0.
    package struct Layer: Sendable {
        package var weightIH: TensorSlot
        package var weightHH: TensorSlot
        package var biasIH: TensorSlot
        package var biasHH: TensorSlot
        package var projection: TensorSlot?
    }

    package let architecture: LSTMArchitecture
    package let embedding: TensorSlot
    package let layers: [Layer]
    package let decoderWeight: TensorSlot
    package let decoderBias: TensorSlot
    /// Floats in the flat buffer (a tied decoder weight takes no room of its own).
    package let totalCount: Int

    package init(_ a: LSTMArchitecture) {
        architecture = a
        var offset = 0
        func slot(_ name: String, _ shape: [Int]) -> TensorSlot {
            let s = TensorSlot(name: name, shape: shape, offset: offset)
            offset += s.count
            return s
        }
        let h = a.hiddenSize, r = a.outputSize
        embedding = slot("embedding.weight", [a.vocabularySize, a.embeddingSize])
        var layers: [Layer] = []
        for k in 0..<a.layers {
            layers.append(
                Layer(
                    weightIH: slot("lstm.weight_ih_l\(k)", [4 * h, a.inputSize(layer: k)]),
                    weightHH: slot("lstm.weight_hh_l\(k)", [4 * h, r]),
                    biasIH: slot("lstm.bias_ih_l\(k)", [4 * h]),
                    biasHH: slot("lstm.bias_hh_l\(k)", [4 * h]),
                    projection: a.projectionSize > 0 ? slot("lstm.weight_hr_l\(k)", [a.projectionSize, h]) : nil))
        }
        self.layers = layers
        if a.tied {
            var tiedSlot = embedding
            tiedSlot.name = "decoder.weight"
            decoderWeight = tiedSlot
        } else {
            decoderWeight = slot("decoder.weight", [a.vocabularySize, r])
        }
        decoderBias = slot("decoder.bias", [a.vocabularySize])
        totalCount = offset
    }

    /// Every tensor in PyTorch's `state_dict` order (the tied decoder weight included).
    package var tensors: [TensorSlot] {
        var all = [embedding]
        for layer in layers {
            all += [layer.weightIH, layer.weightHH, layer.biasIH, layer.biasHH]
            if let p = layer.projection { all.append(p) }
        }
        all += [decoderWeight, decoderBias]
        return all
    }
}
