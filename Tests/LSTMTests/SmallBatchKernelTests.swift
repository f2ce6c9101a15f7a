import CKernels
import Testing
import LMCore
@testable import LSTM

/// LMServe's packed product on every kernel path this CPU runs, and `BLAS.linear` on every
/// route (own kernel, gemv, gemm), against plain sums, on shapes that leave remainders
/// everywhere: m of every remainder of the row blocks (6 on AVX-512, 3 on AVX2), n of every
/// remainder of the 64-column panels and their 16- and 8-lane chunks, k odd and even.
@Suite struct SmallBatchKernelTests {
    static func reference(m: Int, n: Int, k: Int, a: [Float], w: [Float], beta: Float, c: [Float]) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(w[j * k + p]) }
                out[i * n + j] = Float(s) + beta * c[i * n + j]
            }
        }
        return out
    }

    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed * 104_729) % 201 - 100) / 137 }
    }

    /// The paths this machine can run (AVX-512 only where the CPU has it; scalar everywhere).
    static let paths = Kernels.Path.allCases.filter(\.isSupported)

    static func worst(_ c: [Float], _ expected: [Float]) -> Float {
        zip(c, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }

    static func run(
        _ kernel: lmserve_packed_kernel, m: Int, n: Int, k: Int, k0: Int = 0, k1: Int? = nil, j0: Int = 0, j1: Int? = nil,
        a: [Float], lda: Int, packed: PackedMatrix, beta: Float, c: inout [Float]
    ) {
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                kernel(m, j0, j1 ?? n, n, k0, k1 ?? k, packed.k, ap.baseAddress, lda, packed.pointer, beta, cp.baseAddress, n)
            }
        }
    }

    /// Every remainder of m (1-13), n (every residue mod 16 and 64 among the sizes) and k.
    @Test(arguments: paths, Array(1...13) + [18, 64])
    func packedKernelMatchesPlainSums(path: Kernels.Path, m: Int) throws {
        let kernel = try #require(path.packedKernel)
        for (n, k) in [(1, 1), (7, 13), (16, 8), (63, 17), (64, 16), (65, 3), (130, 37), (200, 64), (257, 31)] {
            for beta: Float in [0, 1] {
                let a = Self.values(m * k, seed: 1), w = Self.values(n * k, seed: 2), c0 = Self.values(m * n, seed: 3)
                var c = c0
                Self.run(kernel, m: m, n: n, k: k, a: a, lda: k, packed: PackedMatrix(n: n, k: k, w), beta: beta, c: &c)
                let worst = Self.worst(c, Self.reference(m: m, n: n, k: k, a: a, w: w, beta: beta, c: c0))
                #expect(worst < 1e-5, "\(path.name) m \(m) n \(n) k \(k) beta \(beta): \(worst)")
            }
        }
    }

    /// Every path computes each result as the same fused multiply-add chain: the same bits as
    /// the scalar path, for every batch size.
    @Test(arguments: paths)
    func everyPathGivesTheScalarPathsBits(path: Kernels.Path) throws {
        let kernel = try #require(path.packedKernel)
        for m in [1, 2, 3, 5, 7, 12, 13] {
            let (n, k) = (150, 45)
            let a = Self.values(m * k, seed: 6), w = Self.values(n * k, seed: 7), c0 = Self.values(m * n, seed: 8)
            let packed = PackedMatrix(n: n, k: k, w)
            var mine = c0, scalar = c0
            Self.run(kernel, m: m, n: n, k: k, a: a, lda: k, packed: packed, beta: 1, c: &mine)
            Self.run(lmserve_packed_linear_scalar, m: m, n: n, k: k, a: a, lda: k, packed: packed, beta: 1, c: &scalar)
            #expect(mine == scalar, "\(path.name) m \(m)")
        }
    }

    /// A column range writes only its own columns; a k range continued with beta 1 equals the
    /// whole k at once (how sequence scoring adds the recurrent term to the input projections).
    @Test(arguments: paths)
    func rangesOfColumnsAndOfKCompose(path: Kernels.Path) throws {
        let kernel = try #require(path.packedKernel)
        let (m, n, k) = (7, 200, 29)
        let a = Self.values(m * k, seed: 4), w = Self.values(n * k, seed: 5)
        let packed = PackedMatrix(n: n, k: k, w)
        var whole = [Float](repeating: 0, count: m * n)
        Self.run(kernel, m: m, n: n, k: k, a: a, lda: k, packed: packed, beta: 0, c: &whole)
        var part = [Float](repeating: .nan, count: m * n)
        Self.run(kernel, m: m, n: n, k: k, j0: 64, j1: 150, a: a, lda: k, packed: packed, beta: 0, c: &part)
        for i in 0..<m {
            for j in 0..<n {
                if (64..<150).contains(j) { #expect(part[i * n + j] == whole[i * n + j]) } else { #expect(part[i * n + j].isNaN) }
            }
        }
        // k split at 11: A's columns 0..<11, then 11..<29 continuing from C.
        var split = [Float](repeating: 0, count: m * n)
        let left = (0..<m).flatMap { i in a[(i * k)..<(i * k + 11)] }, right = (0..<m).flatMap { i in a[(i * k + 11)..<(i * k + k)] }
        Self.run(kernel, m: m, n: n, k: k, k1: 11, a: left, lda: 11, packed: packed, beta: 0, c: &split)
        Self.run(kernel, m: m, n: n, k: k, k0: 11, a: right, lda: k - 11, packed: packed, beta: 1, c: &split)
        #expect(split == whole)
    }

    /// `BLAS.linear` on every route: own kernel (where the path takes the batch), gemv, gemm.
    @Test(arguments: paths, [1, 2, 3, 5, 8, 12, 13, 20])
    func linearMatchesPlainSums(path: Kernels.Path, m: Int) {
        for (n, k) in [(7, 13), (130, 37), (257, 64), (1030, 200)] {
            for beta: Float in [0, 1] {
                let a = Self.values(m * k, seed: 1), w = Self.values(n * k, seed: 2), c0 = Self.values(m * n, seed: 3)
                let packed = PackedMatrix(n: n, k: k, w)
                var c = c0
                a.withUnsafeBufferPointer { ap in
                    w.withUnsafeBufferPointer { wp in
                        c.withUnsafeMutableBufferPointer { cp in
                            BLAS.linear(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, weights: wp.baseAddress!, ldw: k,
                                        packed: packed, beta: beta, c: cp.baseAddress!, ldc: n, path: path)
                        }
                    }
                }
                let worst = Self.worst(c, Self.reference(m: m, n: n, k: k, a: a, w: w, beta: beta, c: c0))
                #expect(worst < 1e-5, "\(path.name) m \(m) n \(n) k \(k) beta \(beta): \(worst)")
            }
        }
    }

    /// The thread split covers every column once, in whole panels, for any column count.
    @Test func panelRangesCoverEveryColumn() {
        for n in [1, 3, 63, 64, 65, 127, 128, 130, 300, 2048, 8270] {
            for parts in 1...4 {
                let ranges = BLAS.panelRanges(n, parts: parts)
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == n, "n \(n) parts \(parts)")
                #expect(ranges.count <= parts && ranges.allSatisfy { !$0.isEmpty }, "n \(n) parts \(parts): \(ranges)")
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && $0.count % 64 == 0 })
            }
        }
    }

    /// The AVX-512 log-sum-exp agrees with `VectorMath`'s on every remainder of 16 and 32.
    @Test(.enabled(if: Kernels.Path.avx512.isSupported, "no AVX-512 on this CPU"))
    func logSumExpMatchesVectorMath() {
        for n in [1, 5, 15, 16, 17, 31, 33, 100, 8270] {
            let x = Self.values(n, seed: 9).map { $0 * 7 }
            let ours = x.withUnsafeBufferPointer { lmserve_logsumexp_avx512($0.baseAddress!, n) }
            let theirs = x.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, n) }
            #expect(abs(ours - theirs) < 1e-5 * max(1, abs(theirs)), "n \(n): \(ours) vs \(theirs)")
        }
        let impossible = [Float](repeating: -.infinity, count: 20)
        #expect(impossible.withUnsafeBufferPointer { lmserve_logsumexp_avx512($0.baseAddress!, 20) } == -.infinity)
    }
}
