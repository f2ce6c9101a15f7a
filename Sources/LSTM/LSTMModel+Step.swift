import LMCore

extension LSTMModel {
    /// Advances a batch of states by one token each: per layer one product
    /// [B, In + Out] · [4H, In + Out]ᵀ for all gates, then the fused cell per row.
    /// - Precondition: `tokens` are valid ids, one per state.
    static func step(_ weights: LSTMWeights, _ states: inout [State], tokens: [TokenID]) {
        let batch = states.count
        guard batch > 0 else { return }
        let c = weights.configuration
        let (e, h, p, out) = (c.embeddingSize, c.hiddenSize, c.projectionSize, c.outputSize)
        let slot = out + h  // one layer's share of a state: h then c
        for state in states {
            precondition(state.values.count == c.layers * slot, "LSTM state of \(state.values.count) floats, this model's have \(c.layers * slot)")
        }
        let maxStride = max(e, out) + out
        var xcat = [Float](repeating: 0, count: batch * maxStride)
        var gates = [Float](repeating: 0, count: batch * 4 * h)
        var hidden = [Float](repeating: 0, count: batch * out)
        var raw = [Float](repeating: 0, count: p > 0 ? batch * h : 0)

        for (k, layer) in weights.layers.enumerated() {
            let (inSize, stride) = (layer.inputSize, layer.gatesStride)
            xcat.withUnsafeMutableBufferPointer { xp in
                let x0 = xp.baseAddress!
                // Row b = [input_b, h_k of state b].
                for b in 0..<batch {
                    let row = x0 + b * stride
                    if k == 0 {
                        weights.embedding.withUnsafeBufferPointer { emb in
                            row.update(from: emb.baseAddress! + Int(tokens[b]) * e, count: e)
                        }
                    } else {
                        hidden.withUnsafeBufferPointer { row.update(from: $0.baseAddress! + b * out, count: out) }
                    }
                    states[b].values.withUnsafeBufferPointer { s in
                        (row + inSize).update(from: s.baseAddress! + k * slot, count: out)
                    }
                }
                gates.withUnsafeMutableBufferPointer { g in
                    let g0 = g.baseAddress!
                    layer.bias.withUnsafeBufferPointer { bias in
                        for b in 0..<batch { (g0 + b * 4 * h).update(from: bias.baseAddress!, count: 4 * h) }
                    }
                    layer.gates.withUnsafeBufferPointer { w in
                        BLAS.linear(m: batch, n: 4 * h, k: stride, a: x0, lda: stride, weights: w.baseAddress!, ldw: stride,
                                    packed: weights.packed?.gates[k], beta: 1, c: g0, ldc: 4 * h)
                    }
                    hidden.withUnsafeMutableBufferPointer { hp in
                        raw.withUnsafeMutableBufferPointer { rp in
                            for b in 0..<batch {
                                states[b].values.withUnsafeMutableBufferPointer { s in
                                    let target = p > 0 ? rp.baseAddress! + b * h : hp.baseAddress! + b * out
                                    VectorMath.lstmCell(gates: g0 + b * 4 * h, cell: s.baseAddress! + k * slot + out, output: target, hidden: h)
                                }
                            }
                            if p > 0 {
                                layer.projection.withUnsafeBufferPointer { hr in
                                    BLAS.linear(m: batch, n: p, k: h, a: rp.baseAddress!, lda: h, weights: hr.baseAddress!, ldw: h,
                                                packed: weights.packed?.projections[k], beta: 0, c: hp.baseAddress!, ldc: p)
                                }
                            }
                            for b in 0..<batch {
                                states[b].values.withUnsafeMutableBufferPointer { s in
                                    (s.baseAddress! + k * slot).update(from: hp.baseAddress! + b * out, count: out)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes log-softmax(decoder(h_top)) of each state into row i of `output` (V floats each):
    /// one product for the batch.
    static func decode(_ weights: LSTMWeights, _ states: [State], into output: UnsafeMutableBufferPointer<Float>) {
        let batch = states.count
        guard batch > 0 else { return }
        let c = weights.configuration
        let (v, out) = (c.vocabularySize, c.outputSize)
        precondition(output.count >= batch * v, "nextTokenLogProbs: output holds \(output.count) floats, needs \(batch * v)")
        let topOffset = (c.layers - 1) * (out + c.hiddenSize)
        for state in states {
            precondition(state.values.count == c.layers * (out + c.hiddenSize), "LSTM state of \(state.values.count) floats does not fit this model")
        }
        var top = [Float](repeating: 0, count: batch * out)
        top.withUnsafeMutableBufferPointer { tp in
            for b in 0..<batch {
                states[b].values.withUnsafeBufferPointer { s in
                    (tp.baseAddress! + b * out).update(from: s.baseAddress! + topOffset, count: out)
                }
            }
            let o = output.baseAddress!
            weights.decoderBias.withUnsafeBufferPointer { bias in
                for b in 0..<batch { (o + b * v).update(from: bias.baseAddress!, count: v) }
            }
            weights.decoder.withUnsafeBufferPointer { dec in
                BLAS.linear(m: batch, n: v, k: out, a: tp.baseAddress!, lda: out, weights: dec.baseAddress!, ldw: out,
                            packed: weights.packed?.decoder, beta: 1, c: o, ldc: v)
            }
            for b in 0..<batch { Kernels.logSoftmax(o + b * v, v) }
        }
    }
}

extension LSTMModel {
    /// The decoder's product alone, without bias or softmax: `output` [rows, V] = `input`
    /// [rows, out] · decoderᵀ, through the same BLAS path as `nextTokenLogProbs`. For
    /// `bench-lstm`'s calibration: what the machine gives this product right now.
    package func decoderProduct(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let c = configuration
        weights.decoder.withUnsafeBufferPointer { w in
            BLAS.linear(m: rows, n: c.vocabularySize, k: c.outputSize, a: input, lda: c.outputSize,
                        weights: w.baseAddress!, ldw: c.outputSize, packed: weights.packed?.decoder, beta: 0, c: output,
                        ldc: c.vocabularySize)
        }
    }
}
