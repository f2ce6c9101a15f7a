import CKernels
import Testing
@testable import LSTM

/// `BLAS.linear` on every path (gemv, the small-batch kernel, gemm) against plain sums, on
/// shapes that leave remainders everywhere: k not a multiple of 8, n not of 4, m odd.
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

    @Test(arguments: [1, 2, 3, 5, 8, 12, 13, 20])
    func linearMatchesPlainSums(m: Int) {
        for (n, k) in [(7, 13), (130, 37), (257, 64), (1030, 200)] {
            for beta: Float in [0, 1] {
                let a = Self.values(m * k, seed: 1), w = Self.values(n * k, seed: 2), c0 = Self.values(m * n, seed: 3)
                var c = c0
                a.withUnsafeBufferPointer { ap in
                    w.withUnsafeBufferPointer { wp in
                        c.withUnsafeMutableBufferPointer { cp in
                            BLAS.linear(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, weights: wp.baseAddress!, ldw: k,
                                        beta: beta, c: cp.baseAddress!, ldc: n)
                        }
                    }
                }
                let expected = Self.reference(m: m, n: n, k: k, a: a, w: w, beta: beta, c: c0)
                let worst = zip(c, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(worst < 1e-5, "m \(m) n \(n) k \(k) beta \(beta): \(worst)")
            }
        }
    }

    /// The thread split covers every row once, in blocks of four, for any row count.
    @Test func rowRangesCoverEveryRow() {
        for n in [1, 3, 63, 64, 65, 127, 128, 130, 300, 2048, 8270] {
            for parts in 1...4 {
                let ranges = BLAS.rowRanges(n, parts: parts)
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == n, "n \(n) parts \(parts)")
                #expect(ranges.count <= parts && ranges.allSatisfy { !$0.isEmpty }, "n \(n) parts \(parts): \(ranges)")
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && $0.count % 4 == 0 })
            }
        }
    }

    /// A row range writes only its own columns, and its values do not depend on the split.
    @Test(.enabled(if: lmserve_linear_available() != 0, "no AVX2/FMA on this CPU"))
    func rowRangesAreIndependent() throws {
        let (m, n, k) = (5, 23, 19)
        let a = Self.values(m * k, seed: 4), w = Self.values(n * k, seed: 5)
        var whole = [Float](repeating: .nan, count: m * n)
        var split = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { ap in
            w.withUnsafeBufferPointer { wp in
                lmserve_linear_rows(m, 0, n, k, ap.baseAddress, k, wp.baseAddress, k, 0, &whole, n)
                split.withUnsafeMutableBufferPointer { sp in
                    for (j0, j1) in [(0, 4), (4, 9), (9, 21), (21, 23)] {
                        lmserve_linear_rows(m, j0, j1, k, ap.baseAddress, k, wp.baseAddress, k, 0, sp.baseAddress, n)
                    }
                }
            }
        }
        #expect(whole == split)
        var part = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { ap in
            w.withUnsafeBufferPointer { wp in
                lmserve_linear_rows(m, 9, 21, k, ap.baseAddress, k, wp.baseAddress, k, 0, &part, n)
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                if (9..<21).contains(j) { #expect(part[i * n + j] == whole[i * n + j]) } else { #expect(part[i * n + j].isNaN) }
            }
        }
    }
}
