import CBLAS
import CKernels
import Dispatch
import LMCore

/// The module's one door to CBLAS (OpenBLAS): row-major single-precision products, for
/// inference and training alike.
///
/// All matrices are row-major `Float` buffers; `ld*` are row strides in elements. No C type
/// leaves this file.
enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, with op(A) m×k, op(B) k×n, C m×n (`cblas_sgemm`).
    ///
    /// `transposeA` means A is stored as [k, m] (`lda` ≥ m), otherwise as [m, k] (`lda` ≥ k);
    /// likewise `transposeB`: B stored [n, k] when set, [k, n] otherwise. An empty C is left
    /// alone; with k = 0, C is only scaled by beta.
    @inline(__always)
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
            blasint(ldc))
    }

    /// y = alpha · A · x + beta · y with A m×n (`cblas_sgemv`, no transpose).
    @inline(__always)
    static func gemv(
        m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }

    /// The number of threads OpenBLAS uses (`openblas_get_num_threads`).
    static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses (`openblas_set_num_threads`).
    static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
}

/// What the rest of LMServe may know of the BLAS library (for `lmserve_build_info`).
package enum BLASLibrary {
    /// The CPU core OpenBLAS picked at run time, e.g. "Haswell" (`openblas_get_corename`).
    package static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

extension BLAS {
    /// Batches this small go through `lmserve_linear_rows` where the CPU has AVX2 and FMA:
    /// measured here (8,270 × 512 and 2,048 × 768 weights, 2 threads) about 2× faster than
    /// OpenBLAS's `gemm`, which packs the whole weight matrix however few rows it multiplies.
    static let smallBatch = 3...12
    static let smallBatchKernel = lmserve_linear_available() != 0

    /// C[m×n] = A[m×k] · B[n×k]ᵀ + beta · C: the product of a batch of rows with a PyTorch
    /// weight matrix ([out, in], row-major). One or two rows go through `gemv` per row, which
    /// OpenBLAS runs faster than a `gemm` that packs the whole weight matrix for so few rows;
    /// up to twelve through the small-batch kernel, split by weight rows into as many parts as
    /// BLAS has threads, run on Dispatch's.
    @inline(__always)
    static func linear(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weights: UnsafePointer<Float>, ldw: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m <= 2 {
            for row in 0..<m {
                gemv(m: n, n: k, a: weights, lda: ldw, x: a + row * lda, beta: beta, y: c + row * ldc)
            }
        } else if smallBatch.contains(m), smallBatchKernel, beta == 0 || beta == 1 {
            let ranges = rowRanges(n, parts: threads)
            // Each part writes only its own columns of C.
            let input = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: a), count: (m - 1) * lda + k))
            let w = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: weights), count: (n - 1) * ldw + k))
            let output = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: c, count: (m - 1) * ldc + n))
            DispatchQueue.concurrentPerform(iterations: ranges.count) { part in
                let r = ranges[part]
                lmserve_linear_rows(m, r.lowerBound, r.upperBound, k, input.buffer.baseAddress, lda, w.buffer.baseAddress, ldw,
                                    beta, output.buffer.baseAddress, ldc)
            }
        } else {
            gemm(transposeB: true, m: m, n: n, k: k, a: a, lda: lda, b: weights, ldb: ldw, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Splits weight rows 0..<n into up to `parts` consecutive ranges covering them all, each a
    /// whole number of four-row blocks (the last takes the rest) and at least 64 rows.
    static func rowRanges(_ n: Int, parts: Int) -> [Range<Int>] {
        let count = max(1, min(parts, n / 64))
        let slice = (n / count) & ~3
        return (0..<count).map { part in part * slice..<(part == count - 1 ? n : (part + 1) * slice) }
    }
}
