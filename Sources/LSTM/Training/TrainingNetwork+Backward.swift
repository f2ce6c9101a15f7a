extension TrainingNetwork {
    /// Backpropagation through time over every layer, from ∂loss/∂(decoder input) in `inputGrad`
    /// (as `decode(gradientScale:)` leaves it) down to the embedding rows the batch used.
    /// Gradients are added to `gradients`.
    func backwardRecurrent() {
        let a = architecture, r = rows, out = a.outputSize, e = a.embeddingSize
        for k in (0..<a.layers).reversed() {
            // ∂loss/∂h_k is the gradient of the next layer's input, through its dropout mask.
            let dh = hiddenGrad.pointer
            dh.update(from: inputGrad.pointer, count: r * out)
            if dropoutActive { multiply(dh, by: dropMask[k + 1].pointer, count: r * out) }
            backwardLayer(k)
        }
        let dx = inputGrad.pointer
        if dropoutActive { multiply(dx, by: dropMask[0].pointer, count: r * e) }
        let gEmbedding = gradients + layout.embedding.offset
        for row in 0..<r where targets[row] >= 0 {
            let dst = gEmbedding + Int(inputs[row]) * e, src = dx + row * e
            for j in 0..<e { dst[j] += src[j] }
        }
    }

    /// One layer's BPTT: `hiddenGrad` holds ∂loss/∂h_t from above for every row; on return
    /// `inputGrad` holds ∂loss/∂(layer input) and the layer's weight gradients are accumulated.
    private func backwardLayer(_ k: Int) {
        let a = architecture, slots = layout.layers[k]
        let b = batchLines, h = a.hiddenSize, g4 = 4 * h, out = a.outputSize, inW = a.inputSize(layer: k)
        let z = gates[k].pointer, c = cells[k].pointer, tc = tanhCells[k].pointer, hOut = hidden[k].pointer
        let dh = hiddenGrad.pointer, dz = gateGrad.pointer, dcNext = cellGrad.pointer
        let whh = parameters + slots.weightHH.offset, wih = parameters + slots.weightIH.offset
        let projection = slots.projection.map { parameters + $0.offset }
        dcNext.update(repeating: 0, count: b * h)
        for t in (0..<steps).reversed() {
            let dht = dh + t * b * out
            if t < steps - 1 {
                // The recurrent path: h_t fed step t+1's gates.
                BLAS.gemm(
                    m: b, n: out, k: g4, a: dz + (t + 1) * b * g4, lda: g4, b: whh, ldb: out, beta: 1, c: dht, ldc: out)
            }
            var dhc = dht
            if let whr = projection {
                dhc = unprojectedGrad.pointer
                BLAS.gemm(m: b, n: h, k: out, a: dht, lda: out, b: whr, ldb: h, beta: 0, c: dhc, ldc: h)
            }
            for line in 0..<b {
                let row = t * b + line
                let gi = z + row * g4, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
                let di = dz + row * g4, df = di + h, dg = di + 2 * h, dO = di + 3 * h
                let tct = tc + row * h, dcn = dcNext + line * h, dhl = dhc + line * h
                // With c_{-1} = 0 the forget gate gets no gradient at step 0.
                let cp = t > 0 ? c + (row - b) * h : tct
                let hasPrevious: Float = t > 0 ? 1 : 0
                for j in 0..<h {
                    let dc = dcn[j] + dhl[j] * go[j] * (1 - tct[j] * tct[j])
                    dO[j] = dhl[j] * tct[j] * go[j] * (1 - go[j])
                    di[j] = dc * gg[j] * gi[j] * (1 - gi[j])
                    dg[j] = dc * gi[j] * (1 - gg[j] * gg[j])
                    df[j] = hasPrevious * dc * cp[j] * gf[j] * (1 - gf[j])
                    dcn[j] = dc * gf[j]
                }
            }
        }
        let r = rows
        let gWih = gradients + slots.weightIH.offset, gWhh = gradients + slots.weightHH.offset
        let x = layerInput[k].pointer
        BLAS.gemm(transposeA: true, m: g4, n: inW, k: r, a: dz, lda: g4, b: x, ldb: inW, beta: 1, c: gWih, ldc: inW)
        // Step t's gates saw h_{t−1}: pair gate rows from step 1 on with hidden rows up to T−2.
        BLAS.gemm(
            transposeA: true, m: g4, n: out, k: r - b, a: dz + b * g4, lda: g4, b: hOut, ldb: out, beta: 1, c: gWhh, ldc: out)
        let gbih = gradients + slots.biasIH.offset, gbhh = gradients + slots.biasHH.offset
        let sum = biasSum.pointer
        sum.update(repeating: 0, count: g4)
        for row in 0..<r {
            let dzr = dz + row * g4
            for j in 0..<g4 { sum[j] += dzr[j] }
        }
        for j in 0..<g4 {
            gbih[j] += sum[j]
            gbhh[j] += sum[j]
        }
        if let slot = slots.projection {
            // h_t = W_hr (o ⊙ tanh c_t): dW_hr = Σ_t dh_t ⊗ (o ⊙ tanh c_t); dh now holds the totals.
            BLAS.gemm(
                transposeA: true, m: out, n: h, k: r, a: dh, lda: out, b: unprojected[k].pointer, ldb: h, beta: 1,
                c: gradients + slot.offset, ldc: h)
        }
        BLAS.gemm(m: r, n: inW, k: g4, a: dz, lda: g4, b: wih, ldb: inW, beta: 0, c: inputGrad.pointer, ldc: inW)
    }
}
