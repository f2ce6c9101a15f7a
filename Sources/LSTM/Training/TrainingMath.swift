import Foundation

/// Branch-free element-wise functions written so the compiler can vectorise the loops.
enum TrainingMath {
    /// e^x to about 2 ulp (Cephes `expf` polynomial), clamped to [−87, 88.3]; no libm call and
    /// no checked conversion, so loops over it vectorise.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.0), 88.3)
        // Adding 1.5·2^23 rounds to an integer n held in the low mantissa bits.
        let shifted = clamped * 1.442_695_04 + 12_582_912.0
        let n = shifted - 12_582_912.0
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        // 2^n: n + 127 in the exponent field (the mantissa of `shifted` is 0x400000 + n).
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return y * scale
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh through the sigmoid: 2σ(2x) − 1 (absolute error about 1e-7).
    @inline(__always)
    static func tanh(_ x: Float) -> Float { 2 / (1 + exp(-2 * x)) - 1 }

    /// In place: `v[j] = σ(v[j])` for `j` in `0..<count`.
    @inline(__always)
    static func sigmoid(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { v[j] = sigmoid(v[j]) }
    }

    /// In place: `v[j] = tanh(v[j])` for `j` in `0..<count`.
    @inline(__always)
    static func tanh(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { v[j] = tanh(v[j]) }
    }

    /// Softmax of one row in place (`row[j] = p_j`); returns log Σ exp(logits), so that
    /// ln p_j = logit_j − the returned value. Natural log.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var maxLanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        let raw = UnsafeRawPointer(row)
        while j + 8 <= count {
            let lanes = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            maxLanes.replace(with: lanes, where: lanes .> maxLanes)
            j += 8
        }
        var maximum = maxLanes.max()
        while j < count {
            maximum = Swift.max(maximum, row[j])
            j += 1
        }
        for j in 0..<count { row[j] = exp(row[j] - maximum) }
        var sumLanes = SIMD8<Float>(repeating: 0)
        j = 0
        while j + 8 <= count {
            sumLanes += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        var sum = sumLanes.sum()
        while j < count {
            sum += row[j]
            j += 1
        }
        let inverse = 1 / sum
        for j in 0..<count { row[j] *= inverse }
        return maximum + Float(Foundation.log(Double(sum)))
    }
}
