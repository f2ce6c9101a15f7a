import LMCore

/// A trainable LSTM language model: flat parameters and gradients (one `ParameterLayout`), and
/// the per-batch activations backpropagation needs.
///
/// A batch is `B` lines laid out time-major: row `t·B + b` is step `t` of line `b`. The input
/// at step 0 is `</s>` (id 0) and at step t the line's word t−1; the target at step t < n is word
/// t and at t = n `</s>`; later steps are padding (target −1) and never reach the loss. Every line
/// starts from h = c = 0, as in the reference convention. Not thread-safe.
final class TrainingNetwork {
    let layout: ParameterLayout
    var architecture: LSTMArchitecture { layout.architecture }
    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    var parameterCount: Int { layout.totalCount }

    // The current batch.
    var batchLines = 0
    var steps = 0
    var rows: Int { batchLines * steps }
    var inputs: [Int32] = []
    /// Target ids; −1 marks padding.
    var targets: [Int32] = []

    // Activations, per layer k (index `layers` of `layerInput`/`dropMask` is the decoder input).
    let layerInput: [TrainingBuffer]
    let dropMask: [TrainingBuffer]
    var dropoutActive = false
    let gates: [TrainingBuffer]
    let cells: [TrainingBuffer]
    let tanhCells: [TrainingBuffer]
    /// o ⊙ tanh(c) before the projection (only with `proj_size` > 0).
    let unprojected: [TrainingBuffer]
    let hidden: [TrainingBuffer]

    // Backward scratch.
    let gateGrad = TrainingBuffer()
    let hiddenGrad = TrainingBuffer()
    let inputGrad = TrainingBuffer()
    let cellGrad = TrainingBuffer()
    let unprojectedGrad = TrainingBuffer()
    let logits = TrainingBuffer()
    let biasSum = TrainingBuffer()
    /// Rows of logits computed at once (bounds the [rows, V] buffer).
    let decoderChunk = 512
    /// Threads for the element-wise work outside BLAS (softmax rows, Adam); results do not depend on it.
    var workers = 1

    init(_ architecture: LSTMArchitecture) {
        layout = ParameterLayout(architecture)
        parameters = .allocate(capacity: max(layout.totalCount, 1))
        parameters.initialize(repeating: 0, count: max(layout.totalCount, 1))
        gradients = .allocate(capacity: max(layout.totalCount, 1))
        gradients.initialize(repeating: 0, count: max(layout.totalCount, 1))
        let l = architecture.layers
        layerInput = (0...l).map { _ in TrainingBuffer() }
        dropMask = (0...l).map { _ in TrainingBuffer() }
        gates = (0..<l).map { _ in TrainingBuffer() }
        cells = (0..<l).map { _ in TrainingBuffer() }
        tanhCells = (0..<l).map { _ in TrainingBuffer() }
        unprojected = (0..<l).map { _ in TrainingBuffer() }
        hidden = (0..<l).map { _ in TrainingBuffer() }
        biasSum.reserve(4 * architecture.hiddenSize)
        logits.reserve(decoderChunk * architecture.vocabularySize)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    /// Fills parameters as the usual PyTorch word-LM recipe does: embedding and (untied) decoder
    /// weight uniform in ±0.1, decoder bias 0, every LSTM tensor uniform in ±1/√H (nn.LSTM's init).
    func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        func fill(_ slot: TensorSlot, _ bound: Float) {
            for i in slot.offset..<(slot.offset + slot.count) {
                parameters[i] = Float(generator.nextUnit() * 2 - 1) * bound
            }
        }
        let a = architecture
        fill(layout.embedding, 0.1)
        let k = 1 / Float(a.hiddenSize).squareRoot()
        for layer in layout.layers {
            fill(layer.weightIH, k)
            fill(layer.weightHH, k)
            fill(layer.biasIH, k)
            fill(layer.biasHH, k)
            if let p = layer.projection { fill(p, k) }
        }
        if !a.tied { fill(layout.decoderWeight, 0.1) }
        fill(layout.decoderBias, 0)
    }

    /// Lays out `lines` (word ids, no `</s>`) as the current batch and sizes the workspace.
    func prepare(_ lines: [[TokenID]]) {
        let b = lines.count
        let t = (lines.map(\.count).max() ?? 0) + 1
        batchLines = b
        steps = t
        inputs = [Int32](repeating: 0, count: b * t)
        targets = [Int32](repeating: -1, count: b * t)
        for (j, line) in lines.enumerated() {
            for step in 0...line.count {
                if step > 0 { inputs[step * b + j] = Int32(line[step - 1]) }
                targets[step * b + j] = step < line.count ? Int32(line[step]) : 0
            }
        }
        let a = architecture, r = rows, h = a.hiddenSize
        for k in 0...a.layers {
            let width = k == 0 ? a.embeddingSize : a.outputSize
            layerInput[k].reserve(r * width)
            dropMask[k].reserve(r * width)
        }
        for k in 0..<a.layers {
            gates[k].reserve(r * 4 * h)
            cells[k].reserve(r * h)
            tanhCells[k].reserve(r * h)
            if a.projectionSize > 0 { unprojected[k].reserve(r * h) }
            hidden[k].reserve(r * a.outputSize)
        }
        gateGrad.reserve(r * 4 * h)
        hiddenGrad.reserve(r * a.outputSize)
        inputGrad.reserve(r * max(a.embeddingSize, a.outputSize))
        cellGrad.reserve(b * h)
        unprojectedGrad.reserve(b * h)
    }

    /// Draws inverted-dropout masks (0 or 1/(1−p)) for every dropout site, or turns dropout off.
    func drawDropout(probability p: Float, generator: inout SeededGenerator) {
        dropoutActive = p > 0
        guard dropoutActive else { return }
        let a = architecture
        let keep = 1 / (1 - p)
        for k in 0...a.layers {
            let n = rows * (k == 0 ? a.embeddingSize : a.outputSize)
            let m = dropMask[k].pointer
            var i = 0
            while i < n {
                let bits = generator.next()
                let u0 = Float(UInt32(truncatingIfNeeded: bits) >> 8) * 0x1.0p-24
                let u1 = Float(UInt32(truncatingIfNeeded: bits >> 32) >> 8) * 0x1.0p-24
                m[i] = u0 < p ? 0 : keep
                if i + 1 < n { m[i + 1] = u1 < p ? 0 : keep }
                i += 2
            }
        }
    }
}
