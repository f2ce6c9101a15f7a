/// The parameters of an LSTM language model as Float32, laid out for the BLAS calls.
///
/// PyTorch's gate order (i, f, g, o) is kept. Each layer's `weight_ih` [4H, In] and `weight_hh`
/// [4H, P or H] are stored side by side as one [4H, In + Out] matrix so a batched step is one
/// product per layer; `bias_ih + bias_hh` is stored as one bias.
package struct LSTMWeights: Sendable {
    /// One LSTM layer.
    package struct Layer: Sendable {
        /// [4H, inputSize + outputSize], row-major: row r = weight_ih[r, :] ++ weight_hh[r, :].
        package var gates: [Float]
        /// [4H]: bias_ih + bias_hh.
        package var bias: [Float]
        /// [P, H] (`weight_hr`), or empty without projection.
        package var projection: [Float]
        package var inputSize: Int
        package var outputSize: Int
        /// Row stride of `gates`.
        package var gatesStride: Int { inputSize + outputSize }
    }

    package let configuration: LSTMConfiguration
    /// [V, E].
    package let embedding: [Float]
    package let layers: [Layer]
    /// [V, Out].
    package let decoder: [Float]
    /// [V].
    package let decoderBias: [Float]
    /// The products' weights once more, packed for LMServe's own kernel (`PackedMatrix`), or nil
    /// on the scalar kernel path (everything goes to BLAS then).
    let packed: Packed?

    /// Each layer's `gates` and `projection` and the `decoder`, packed.
    struct Packed: Sendable {
        var gates: [PackedMatrix]
        var projections: [PackedMatrix?]
        var decoder: PackedMatrix
    }

    package init(configuration: LSTMConfiguration, embedding: [Float], layers: [Layer], decoder: [Float], decoderBias: [Float]) {
        self.configuration = configuration
        self.embedding = embedding
        self.layers = layers
        self.decoder = decoder
        self.decoderBias = decoderBias
        packed = Self.pack(configuration, layers, decoder)
    }

    private static func pack(_ c: LSTMConfiguration, _ layers: [Layer], _ decoder: [Float]) -> Packed? {
        guard Kernels.path != .scalar else { return nil }
        return Packed(
            gates: layers.map { PackedMatrix(n: 4 * c.hiddenSize, k: $0.gatesStride, $0.gates) },
            projections: layers.map { $0.projection.isEmpty ? nil : PackedMatrix(n: c.projectionSize, k: c.hiddenSize, $0.projection) },
            decoder: PackedMatrix(n: c.vocabularySize, k: c.outputSize, decoder))
    }

    /// Infers the configuration from the tensor shapes, checks every tensor, and loads them.
    /// - Throws: `SafetensorsError.missingTensor`/`.wrongShape` naming the tensor at fault.
    package init(reader: SafetensorsReader) throws {
        guard let embeddingEntry = reader.entries["embedding.weight"] else {
            throw SafetensorsError.missingTensor("embedding.weight")
        }
        guard embeddingEntry.shape.count == 2, embeddingEntry.shape[0] > 0, embeddingEntry.shape[1] > 0 else {
            throw SafetensorsError.wrongShape(tensor: "embedding.weight", expected: [-1, -1], actual: embeddingEntry.shape)
        }
        let (v, e) = (embeddingEntry.shape[0], embeddingEntry.shape[1])
        guard let first = reader.entries["lstm.weight_ih_l0"] else { throw SafetensorsError.missingTensor("lstm.weight_ih_l0") }
        guard first.shape.count == 2, first.shape[0] > 0, first.shape[0] % 4 == 0, first.shape[1] == e else {
            throw SafetensorsError.wrongShape(tensor: "lstm.weight_ih_l0", expected: [-1, e], actual: first.shape)
        }
        let h = first.shape[0] / 4
        var p = 0
        if let hr = reader.entries["lstm.weight_hr_l0"] {
            guard hr.shape.count == 2, hr.shape[0] > 0, hr.shape[1] == h else {
                throw SafetensorsError.wrongShape(tensor: "lstm.weight_hr_l0", expected: [-1, h], actual: hr.shape)
            }
            p = hr.shape[0]
        }
        var layerCount = 0
        while reader.entries["lstm.weight_ih_l\(layerCount)"] != nil { layerCount += 1 }
        if reader.entries.keys.contains(where: { $0.hasPrefix("lstm.") && $0.hasSuffix("_reverse") }) {
            throw SafetensorsError.badEntry(tensor: "lstm", problem: "bidirectional LSTMs (*_reverse tensors) are not supported")
        }
        let configuration = LSTMConfiguration(vocabularySize: v, embeddingSize: e, hiddenSize: h, projectionSize: p, layers: layerCount)
        let out = configuration.outputSize

        var layers: [Layer] = []
        for k in 0..<layerCount {
            let input = configuration.inputSize(layer: k)
            let wih = try reader.floats("lstm.weight_ih_l\(k)", shape: [4 * h, input])
            let whh = try reader.floats("lstm.weight_hh_l\(k)", shape: [4 * h, out])
            let bih = try reader.floats("lstm.bias_ih_l\(k)", shape: [4 * h])
            let bhh = try reader.floats("lstm.bias_hh_l\(k)", shape: [4 * h])
            var projection: [Float] = []
            if p > 0 {
                projection = try reader.floats("lstm.weight_hr_l\(k)", shape: [p, h])
            } else if let extra = reader.entries["lstm.weight_hr_l\(k)"] {
                throw SafetensorsError.wrongShape(tensor: "lstm.weight_hr_l\(k)", expected: [], actual: extra.shape)
            }
            let stride = input + out
            var gates = [Float](repeating: 0, count: 4 * h * stride)
            for r in 0..<(4 * h) {
                for j in 0..<input { gates[r * stride + j] = wih[r * input + j] }
                for j in 0..<out { gates[r * stride + input + j] = whh[r * out + j] }
            }
            let bias = zip(bih, bhh).map { $0 + $1 }
            layers.append(Layer(gates: gates, bias: bias, projection: projection, inputSize: input, outputSize: out))
        }
        self.configuration = configuration
        self.embedding = try reader.floats("embedding.weight", shape: [v, e])
        self.layers = layers
        self.decoder = try reader.floats("decoder.weight", shape: [v, out])
        self.decoderBias = try reader.floats("decoder.bias", shape: [v])
        packed = Self.pack(configuration, layers, decoder)
    }
}
