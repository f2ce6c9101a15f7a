extension TrainingNetwork {
    /// Runs embedding and every LSTM layer over the prepared batch, caching activations; leaves
    /// the decoder input in `layerInput[layers]`. Uses the masks of the last `drawDropout`.
    func forwardRecurrent() {
        let a = architecture
        let r = rows, e = a.embeddingSize
        let embedding = parameters + layout.embedding.offset
        let x0 = layerInput[0].pointer
        for row in 0..<r {
            (x0 + row * e).update(from: embedding + Int(inputs[row]) * e, count: e)
        }
        if dropoutActive { multiply(x0, by: dropMask[0].pointer, count: r * e) }
        for k in 0..<a.layers {
            forwardLayer(k)
            let next = layerInput[k + 1].pointer
            next.update(from: hidden[k].pointer, count: r * a.outputSize)
            if dropoutActive { multiply(next, by: dropMask[k + 1].pointer, count: r * a.outputSize) }
        }
    }

    /// One LSTM layer over all steps: input projection of every row in one product, then the
    /// recurrence step by step (gate order i, f, g, o; PyTorch's cell).
    private func forwardLayer(_ k: Int) {
        let a = architecture, slots = layout.layers[k]
        let b = batchLines, h = a.hiddenSize, g4 = 4 * h, out = a.outputSize, inW = a.inputSize(layer: k)
        let x = layerInput[k].pointer, z = gates[k].pointer
        let c = cells[k].pointer, tc = tanhCells[k].pointer, hOut = hidden[k].pointer
        let hc = a.projectionSize > 0 ? unprojected[k].pointer : hOut
        let wih = parameters + slots.weightIH.offset, whh = parameters + slots.weightHH.offset
        BLAS.gemm(
            transposeB: true, m: rows, n: g4, k: inW, a: x, lda: inW, b: wih, ldb: inW, beta: 0, c: z, ldc: g4)
        let bias = biasSum.pointer, bih = parameters + slots.biasIH.offset, bhh = parameters + slots.biasHH.offset
        for j in 0..<g4 { bias[j] = bih[j] + bhh[j] }
        for row in 0..<rows {
            let zr = z + row * g4
            for j in 0..<g4 { zr[j] += bias[j] }
        }
        for t in 0..<steps {
            let zt = z + t * b * g4
            if t > 0 {
                BLAS.gemm(
                    transposeB: true, m: b, n: g4, k: out, a: hOut + (t - 1) * b * out, lda: out, b: whh, ldb: out,
                    beta: 1, c: zt, ldc: g4)
            }
            for line in 0..<b {
                let row = t * b + line
                let gi = z + row * g4, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
                TrainingMath.sigmoid(gi, count: 2 * h)
                TrainingMath.tanh(gg, count: h)
                TrainingMath.sigmoid(go, count: h)
                let ct = c + row * h, tct = tc + row * h, hct = hc + row * h
                if t == 0 {
                    for j in 0..<h { ct[j] = gi[j] * gg[j] }
                } else {
                    let cp = c + (row - b) * h
                    for j in 0..<h { ct[j] = gf[j] * cp[j] + gi[j] * gg[j] }
                }
                tct.update(from: ct, count: h)
                TrainingMath.tanh(tct, count: h)
                for j in 0..<h { hct[j] = go[j] * tct[j] }
            }
            if let slot = slots.projection {
                BLAS.gemm(
                    transposeB: true, m: b, n: out, k: h, a: hc + t * b * h, lda: h, b: parameters + slot.offset, ldb: h,
                    beta: 0, c: hOut + t * b * out, ldc: out)
            }
        }
    }

    /// The decoder and log-softmax over the prepared batch, `decoderChunk` rows at a time.
    ///
    /// Calls `score(row, ln p(target))` for every real prediction and returns −Σ ln p. With
    /// `gradientScale` set, also backpropagates the loss `gradientScale · (−Σ ln p)` into the
    /// decoder gradients and leaves ∂loss/∂(decoder input) in `inputGrad`.
    @discardableResult
    func decode(gradientScale: Float?, score: (Int, Float) -> Void = { _, _ in }) -> Double {
        let a = architecture, v = a.vocabularySize, out = a.outputSize
        let x = layerInput[a.layers].pointer, logit = logits.pointer
        let w = parameters + layout.decoderWeight.offset, bias = parameters + layout.decoderBias.offset
        let gw = gradients + layout.decoderWeight.offset, gb = gradients + layout.decoderBias.offset
        var loss = 0.0
        for start in stride(from: 0, to: rows, by: decoderChunk) {
            let n = min(decoderChunk, rows - start)
            if gradientScale == nil && !(start..<(start + n)).contains(where: { targets[$0] >= 0 }) { continue }
            BLAS.gemm(
                transposeB: true, m: n, n: v, k: out, a: x + start * out, lda: out, b: w, ldb: out, beta: 0, c: logit, ldc: v)
            // Rows are independent: split them over the workers, then sum in row order so the
            // result does not depend on the split.
            let chunkTargets = Array(targets[start..<(start + n)])
            var logProbs = [Float](repeating: 0, count: n)
            logProbs.withUnsafeMutableBufferPointer { lp in
                let lpBase = lp.baseAddress!
                TrainingParallel.run(count: n, workers: workers, minimumPerWorker: max(1, 4096 / v)) { range in
                    for i in range {
                        let row = logit + i * v
                        let target = Int(chunkTargets[i])
                        guard target >= 0 else {
                            if gradientScale != nil { row.update(repeating: 0, count: v) }
                            continue
                        }
                        for j in 0..<v { row[j] += bias[j] }
                        let targetLogit = row[target]
                        lpBase[i] = targetLogit - TrainingMath.softmax(row, count: v)
                        if let scale = gradientScale {
                            row[target] -= 1
                            for j in 0..<v { row[j] *= scale }
                        }
                    }
                }
            }
            for i in 0..<n where chunkTargets[i] >= 0 {
                loss -= Double(logProbs[i])
                score(start + i, logProbs[i])
            }
            guard gradientScale != nil else { continue }
            BLAS.gemm(
                transposeA: true, m: v, n: out, k: n, a: logit, lda: v, b: x + start * out, ldb: out, beta: 1, c: gw, ldc: out)
            TrainingParallel.run(count: v, workers: workers, minimumPerWorker: max(1, 4096 / n)) { columns in
                for i in 0..<n {
                    let row = logit + i * v
                    for j in columns { gb[j] += row[j] }
                }
            }
            BLAS.gemm(
                m: n, n: out, k: v, a: logit, lda: v, b: w, ldb: out, beta: 0, c: inputGrad.pointer + start * out, ldc: out)
        }
        return loss
    }

    @inline(__always)
    func multiply(_ x: UnsafeMutablePointer<Float>, by m: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] *= m[i] }
    }
}
