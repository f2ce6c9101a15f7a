import LMCore

extension LSTMModel {
    /// Steps processed together: each chunk's input projections and decoder outputs are one
    /// product each, and memory stays bounded (chunk × 4H and chunk × V floats) for any length.
    static let sequenceChunk = 256

    /// Natural-log probabilities of `targets[t]` after `inputs[0...t]`, from a zero state.
    ///
    /// Per chunk of steps and per layer: the input projections of all steps in one product, the
    /// recurrence step by step (one matrix-vector product per step), then the decoder for all
    /// steps in one product and a log-softmax per row.
    /// - Precondition: equal lengths; ids are valid.
    package func logProbabilities(inputs: [TokenID], targets: [TokenID]) -> [Float] {
        precondition(inputs.count == targets.count)
        let total = inputs.count
        guard total > 0 else { return [] }
        let c = configuration
        let (e, v, out) = (c.embeddingSize, c.vocabularySize, c.outputSize)
        let chunk = min(Self.sequenceChunk, total)
        var workspace = SequenceWorkspace(configuration: c, chunk: chunk)
        var result = [Float](repeating: 0, count: total)
        var start = 0
        while start < total {
            let t = min(chunk, total - start)
            // Layer 0's input: the embedding rows.
            weights.embedding.withUnsafeBufferPointer { emb in
                workspace.x.withUnsafeMutableBufferPointer { xp in
                    for i in 0..<t {
                        (xp.baseAddress! + i * e).update(from: emb.baseAddress! + Int(inputs[start + i]) * e, count: e)
                    }
                }
            }
            for (k, layer) in weights.layers.enumerated() {
                runLayer(layer, index: k, steps: t, workspace: &workspace)
                swap(&workspace.x, &workspace.y)
            }
            // workspace.x now holds the top layer's outputs [t, out].
            workspace.x.withUnsafeBufferPointer { top in
                weights.decoder.withUnsafeBufferPointer { dec in
                    weights.decoderBias.withUnsafeBufferPointer { bias in
                        workspace.logits.withUnsafeMutableBufferPointer { lg in
                            for r in 0..<t { (lg.baseAddress! + r * v).update(from: bias.baseAddress!, count: v) }
                            BLAS.linear(m: t, n: v, k: out, a: top.baseAddress!, lda: out, weights: dec.baseAddress!, ldw: out,
                                        packed: weights.packed?.decoder, beta: 1, c: lg.baseAddress!, ldc: v)
                            for r in 0..<t {
                                let row = lg.baseAddress! + r * v
                                result[start + r] = row[Int(targets[start + r])] - Kernels.logSumExp(row, v)
                            }
                        }
                    }
                }
            }
            start += t
        }
        return result
    }

    /// Runs layer `k` over `t` steps (rows of `workspace.x`) into `workspace.y`, continuing from
    /// and updating that layer's carried h and c.
    private func runLayer(_ layer: LSTMWeights.Layer, index k: Int, steps t: Int, workspace: inout SequenceWorkspace) {
        let packedGates = weights.packed?.gates[k], packedProjection = weights.packed?.projections[k]
        let h = configuration.hiddenSize
        let p = configuration.projectionSize
        let (inSize, out, stride) = (layer.inputSize, layer.outputSize, layer.gatesStride)
        let started = workspace.started
        workspace.x.withUnsafeBufferPointer { xp in
            layer.gates.withUnsafeBufferPointer { w in
                layer.bias.withUnsafeBufferPointer { b in
                    workspace.gates.withUnsafeMutableBufferPointer { g in
                        workspace.y.withUnsafeMutableBufferPointer { y in
                            workspace.carried.withUnsafeMutableBufferPointer { carried in
                                workspace.raw.withUnsafeMutableBufferPointer { rp in
                                    let g0 = g.baseAddress!, y0 = y.baseAddress!
                                    // This layer's carried state: h (out floats) then c (h floats).
                                    let hPrev = carried.baseAddress! + k * (out + h)
                                    let cell = hPrev + out
                                    // Input projections of every step at once: G = 1·bᵀ + X · W_ihᵀ.
                                    for s in 0..<t { (g0 + s * 4 * h).update(from: b.baseAddress!, count: 4 * h) }
                                    BLAS.linear(m: t, n: 4 * h, k: inSize, a: xp.baseAddress!, lda: inSize,
                                                weights: w.baseAddress!, ldw: stride, packed: packedGates, beta: 1, c: g0, ldc: 4 * h)
                                    for s in 0..<t {
                                        let gs = g0 + s * 4 * h
                                        let previous = s == 0 ? UnsafePointer(hPrev) : UnsafePointer(y0 + (s - 1) * out)
                                        // The recurrent term (skipped while h is still the zero state).
                                        if s > 0 || started {
                                            BLAS.linear(m: 1, n: 4 * h, k: out, a: previous, lda: out, weights: w.baseAddress! + inSize,
                                                        ldw: stride, packed: packedGates, kOffset: inSize, beta: 1, c: gs, ldc: 4 * h)
                                        }
                                        if p > 0 {
                                            VectorMath.lstmCell(gates: gs, cell: cell, output: rp.baseAddress!, hidden: h)
                                            layer.projection.withUnsafeBufferPointer { hr in
                                                BLAS.linear(m: 1, n: p, k: h, a: rp.baseAddress!, lda: h, weights: hr.baseAddress!, ldw: h,
                                                            packed: packedProjection, beta: 0, c: y0 + s * out, ldc: p)
                                            }
                                        } else {
                                            VectorMath.lstmCell(gates: gs, cell: cell, output: y0 + s * out, hidden: h)
                                        }
                                    }
                                    hPrev.update(from: y0 + (t - 1) * out, count: out)
                                }
                            }
                        }
                    }
                }
            }
        }
        if k == configuration.layers - 1 { workspace.started = true }
    }
}

/// Scratch buffers for sequence scoring, sized for one chunk.
struct SequenceWorkspace {
    /// A chunk's layer input [chunk, max(E, out)] and output [chunk, max(E, out)].
    var x: [Float]
    var y: [Float]
    /// [chunk, 4H] gate pre-activations.
    var gates: [Float]
    /// [chunk, V] logits.
    var logits: [Float]
    /// Per layer: h then c, carried from chunk to chunk.
    var carried: [Float]
    /// [H]: o·tanh(c) before the projection (empty without one).
    var raw: [Float]
    /// False until the first chunk has run: the state is still zero.
    var started = false

    init(configuration c: LSTMConfiguration, chunk: Int) {
        let width = max(c.embeddingSize, c.outputSize)
        x = [Float](repeating: 0, count: chunk * width)
        y = [Float](repeating: 0, count: chunk * width)
        gates = [Float](repeating: 0, count: chunk * 4 * c.hiddenSize)
        logits = [Float](repeating: 0, count: chunk * c.vocabularySize)
        carried = [Float](repeating: 0, count: c.layers * (c.outputSize + c.hiddenSize))
        raw = [Float](repeating: 0, count: c.projectionSize > 0 ? c.hiddenSize : 0)
    }
}
