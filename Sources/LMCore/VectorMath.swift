import Foundation

/// Vectorised exp, maximum and log-softmax on 8-float SIMD lanes, for the models and the sampler.
///
/// `exp` is Cephes' `expf` (range reduction by ln 2 in two parts, degree-6 polynomial), with
/// relative error about 2e-7 over the whole range; inputs are clamped to [-87.3, 88.3] so it
/// never overflows (88.3 keeps n = round(x / ln 2) at 127, the largest finite power of two)
/// and `exp(-inf)` is ~1e-38 (zero for every sum here).
///
/// Public and `@inlinable` (not `package`): with `package` access this compiler left `exp`
/// as an out-of-line call inside the LSTM cell, one call per 8 floats.
public enum VectorMath {
    public typealias Vector = SIMD8<Float>
    public static let width = 8

    @inlinable @inline(__always)
    public static func exp(_ input: Vector) -> Vector {
        let lo = Vector(repeating: -87.3), hi = Vector(repeating: 88.3)
        // Select-based clamp (the generic `clamped`/`pointwiseMax` are not inlined).
        var x = input.replacing(with: lo, where: input .< lo)
        x = x.replacing(with: hi, where: x .> hi)
        // n = round(x / ln 2), by the 1.5·2^23 trick: the sum's low mantissa bits hold n.
        let magic = Vector(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_40e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_91e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        // 2^n: n's bits sit in the low mantissa of `shifted`; move them into the exponent.
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: Vector.self)
        return p * scale
    }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inlinable @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self) }

    /// Loads `count` (< 8) floats, padding with `fill`.
    @inlinable @inline(__always)
    public static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> Vector {
        var v = Vector(repeating: fill)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    @inlinable @inline(__always)
    public static func storePartial(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { p[i] = v[i] }
    }

    /// The largest of `count` floats (-inf for none).
    @inlinable
    public static func maximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var m = Vector(repeating: -.infinity)
        var j = 0
        while j + width <= count {
            let v = load(x + j)
            m = m.replacing(with: v, where: v .> m)
            j += width
        }
        var result = m.max()
        while j < count {
            result = Swift.max(result, x[j])
            j += 1
        }
        return result
    }

    /// log Σ exp(x) over `count` floats, computed stably around the maximum.
    @inlinable
    public static func logSumExp(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        let m = maximum(x, count)
        guard m.isFinite else { return m }
        let mv = Vector(repeating: m)
        var s0 = Vector(repeating: 0), s1 = Vector(repeating: 0)
        var j = 0
        while j + 2 * width <= count {
            s0 += exp(load(x + j) - mv)
            s1 += exp(load(x + j + width) - mv)
            j += 2 * width
        }
        if j + width <= count {
            s0 += exp(load(x + j) - mv)
            j += width
        }
        // Padding lanes are -inf, whose exp (~1e-38) vanishes in the sum.
        if j < count { s1 += exp(loadPartial(x + j, count - j, fill: -.infinity) - mv) }
        return m + Foundation.log((s0 + s1).sum())
    }

    /// Replaces the `count` logits at `x` by their log-softmax, in place.
    @inlinable
    public static func logSoftmax(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
        let lse = logSumExp(x, count)
        let v = Vector(repeating: lse)
        var j = 0
        while j + width <= count {
            store(load(x + j) - v, x + j)
            j += width
        }
        while j < count {
            x[j] -= lse
            j += 1
        }
    }
}
