import Foundation
import LMCore

/// Element-wise activations and the softmax for training, in place over rows, on `VectorMath`'s
/// SIMD lanes (the same `exp`, `sigmoid` and `tanh` the inference cell uses).
enum TrainingMath {
    /// In place: `v[j] = σ(v[j])` for `j` in `0..<count`.
    @inline(__always)
    static func sigmoid(_ v: UnsafeMutablePointer<Float>, count: Int) {
        map(v, count: count) { VectorMath.sigmoid($0) }
    }

    /// In place: `v[j] = tanh(v[j])` for `j` in `0..<count`.
    @inline(__always)
    static func tanh(_ v: UnsafeMutablePointer<Float>, count: Int) {
        map(v, count: count) { VectorMath.tanh($0) }
    }

    /// Applies `f` to `count` floats in place, eight lanes at a time.
    @inline(__always)
    static func map(_ v: UnsafeMutablePointer<Float>, count: Int, _ f: (VectorMath.Vector) -> VectorMath.Vector) {
        let width = VectorMath.width
        var j = 0
        while j + width <= count {
            VectorMath.store(f(VectorMath.load(v + j)), v + j)
            j += width
        }
        if j < count { VectorMath.storePartial(f(VectorMath.loadPartial(v + j, count - j)), v + j, count - j) }
    }

    /// Softmax of one row in place (`row[j] = p_j`); returns log Σ exp(logits), so that
    /// ln p_j = logit_j − the returned value. Natural log.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let maximum = VectorMath.maximum(row, count)
        let shift = VectorMath.Vector(repeating: maximum)
        let width = VectorMath.width
        var sumLanes = VectorMath.Vector(repeating: 0)
        var j = 0
        while j + width <= count {
            let e = VectorMath.exp(VectorMath.load(row + j) - shift)
            VectorMath.store(e, row + j)
            sumLanes += e
            j += width
        }
        var sum = sumLanes.sum()
        if j < count {
            // Padding lanes are -inf, whose exp (~1e-38) vanishes in the sum.
            let e = VectorMath.exp(VectorMath.loadPartial(row + j, count - j, fill: -.infinity) - shift)
            VectorMath.storePartial(e, row + j, count - j)
            sum += e.sum()
        }
        let inverse = 1 / sum
        map(row, count: count) { $0 * inverse }
        return maximum + Float(Foundation.log(Double(sum)))
    }
}
