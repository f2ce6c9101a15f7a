import LMCore

/// The LSTM cell's activations on `VectorMath`'s SIMD lanes.
extension VectorMath {
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// tanh x = 1 - 2 / (e^{2x} + 1); absolute error ~1e-7.
    @inline(__always)
    static func tanh(_ x: Vector) -> Vector { 1 - 2 / (exp(x + x) + 1) }

    /// The fused LSTM cell for one row: from pre-activation `gates` [4H] (i, f, g, o), updates
    /// `cell` [H] in place (c' = σ(f)·c + σ(i)·tanh(g)) and writes h' = σ(o)·tanh(c') to `output`.
    static func lstmCell(gates: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, hidden h: Int) {
        let (gi, gf, gg, go) = (gates, gates + h, gates + 2 * h, gates + 3 * h)
        var j = 0
        while j + width <= h {
            let c = sigmoid(load(gf + j)) * load(cell + j) + sigmoid(load(gi + j)) * tanh(load(gg + j))
            store(c, cell + j)
            store(sigmoid(load(go + j)) * tanh(c), output + j)
            j += width
        }
        if j < h {
            let n = h - j
            let c = sigmoid(loadPartial(gf + j, n)) * loadPartial(cell + j, n)
                + sigmoid(loadPartial(gi + j, n)) * tanh(loadPartial(gg + j, n))
            storePartial(c, cell + j, n)
            storePartial(sigmoid(loadPartial(go + j, n)) * tanh(c), output + j, n)
        }
    }
}
