import LMCore

extension LSTMModel {
    /// Rows of the decoder's output computed per product, so a long text's logits stay in cache.
    static let decoderChunk = 128

    /// Natural-log probabilities of `targets[t]` after `inputs[0...t]`, from a zero state.
    ///
    /// Layer by layer: the input projections of all steps in one product, the recurrence step
    /// by step (one matrix-vector product per step), then the decoder for all steps in a few
    /// products and a log-softmax per row.
    /// - Precondition: equal lengths; ids are valid.
    package func logProbabilities(inputs: [TokenID], targets: [TokenID]) -> [Float] {
        precondition(inputs.count == targets.count)
        let t = inputs.count
        guard t > 0 else { return [] }
        let c = configuration
        let (h, v, out) = (c.hiddenSize, c.vocabularySize, c.outputSize)

        // Layer 0's input: the embedding rows.
        var x = [Float](repeating: 0, count: t * c.embeddingSize)
        weights.embedding.withUnsafeBufferPointer { emb in
            x.withUnsafeMutableBufferPointer { xp in
                for (i, id) in inputs.enumerated() {
                    let e = c.embeddingSize
                    (xp.baseAddress! + i * e).update(from: emb.baseAddress! + Int(id) * e, count: e)
                }
            }
        }
        var gates = [Float](repeating: 0, count: t * 4 * h)
        var y = [Float](repeating: 0, count: t * out)
        var cell = [Float](repeating: 0, count: h)
        var raw = [Float](repeating: 0, count: c.projectionSize > 0 ? h : 0)
        for layer in weights.layers {
            runLayer(layer, steps: t, input: x, gates: &gates, output: &y, cell: &cell, raw: &raw)
            swap(&x, &y)
            if y.count != t * out { y = [Float](repeating: 0, count: t * out) }
        }
        // x now holds the top layer's outputs [t, out].
        var result = [Float](repeating: 0, count: t)
        let chunk = Self.decoderChunk
        var logits = [Float](repeating: 0, count: min(t, chunk) * v)
        x.withUnsafeBufferPointer { top in
            weights.decoder.withUnsafeBufferPointer { dec in
                weights.decoderBias.withUnsafeBufferPointer { bias in
                    logits.withUnsafeMutableBufferPointer { lg in
                        var start = 0
                        while start < t {
                            let rows = min(chunk, t - start)
                            for r in 0..<rows { (lg.baseAddress! + r * v).update(from: bias.baseAddress!, count: v) }
                            BLAS.linear(m: rows, n: v, k: out, a: top.baseAddress! + start * out, lda: out,
                                        weights: dec.baseAddress!, ldw: out, beta: 1, c: lg.baseAddress!, ldc: v)
                            for r in 0..<rows {
                                let row = lg.baseAddress! + r * v
                                result[start + r] = row[Int(targets[start + r])] - VectorMath.logSumExp(row, v)
                            }
                            start += rows
                        }
                    }
                }
            }
        }
        return result
    }

    /// Runs one layer over `steps` inputs (rows of `input`) from a zero state into `output`.
    private func runLayer(
        _ layer: LSTMWeights.Layer, steps t: Int, input: [Float], gates: inout [Float], output: inout [Float],
        cell: inout [Float], raw: inout [Float]
    ) {
        let h = configuration.hiddenSize
        let p = configuration.projectionSize
        let (inSize, out, stride) = (layer.inputSize, layer.outputSize, layer.gatesStride)
        for i in 0..<h { cell[i] = 0 }
        input.withUnsafeBufferPointer { xp in
            layer.gates.withUnsafeBufferPointer { w in
                layer.bias.withUnsafeBufferPointer { b in
                    gates.withUnsafeMutableBufferPointer { g in
                        output.withUnsafeMutableBufferPointer { y in
                            cell.withUnsafeMutableBufferPointer { cp in
                                raw.withUnsafeMutableBufferPointer { rp in
                                    let g0 = g.baseAddress!, y0 = y.baseAddress!
                                    // Input projections of every step at once: G = 1·bᵀ + X · W_ihᵀ.
                                    for s in 0..<t { (g0 + s * 4 * h).update(from: b.baseAddress!, count: 4 * h) }
                                    BLAS.linear(m: t, n: 4 * h, k: inSize, a: xp.baseAddress!, lda: inSize,
                                                weights: w.baseAddress!, ldw: stride, beta: 1, c: g0, ldc: 4 * h)
                                    for s in 0..<t {
                                        let gs = g0 + s * 4 * h
                                        // The recurrent term; h = 0 at the first step.
                                        if s > 0 {
                                            BLAS.gemv(m: 4 * h, n: out, a: w.baseAddress! + inSize, lda: stride,
                                                      x: y0 + (s - 1) * out, beta: 1, y: gs)
                                        }
                                        if p > 0 {
                                            VectorMath.lstmCell(gates: gs, cell: cp.baseAddress!, output: rp.baseAddress!, hidden: h)
                                            layer.projection.withUnsafeBufferPointer { hr in
                                                BLAS.gemv(m: p, n: h, a: hr.baseAddress!, lda: h, x: rp.baseAddress!, beta: 0, y: y0 + s * out)
                                            }
                                        } else {
                                            VectorMath.lstmCell(gates: gs, cell: cp.baseAddress!, output: y0 + s * out, hidden: h)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
