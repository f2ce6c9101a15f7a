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
    /// Whether a product of `m` batch rows goes through LMServe's own kernel on `path` rather
    /// than BLAS. Measured with `Benchmarks/linear-kernels.sh` (README, "LSTM kernels"): on
    /// AVX-512 the packed kernel beat OpenBLAS (Haswell and Cooperlake cores) at every batch
    /// size the LSTM uses; on AVX2 from two rows up (one row is OpenBLAS's `gemv`, a memory-bound
    /// loop as fast as anything).
    static func usesOwnKernel(rows m: Int, path: Kernels.Path) -> Bool {
        switch path {
        case .avx512: m >= 2
        case .avx2: m >= 2
        case .scalar: false
        }
    }

    /// The packed product of the process's path (a function pointer, chosen once).
    static let chosenKernel: lmserve_packed_kernel = lmserve_packed_kernel_chosen()

    /// C[m×n] = A[m×k] · Wᵀ + beta · C: the product of a batch of rows with columns
    /// `kOffset ..< kOffset + k` of a PyTorch weight matrix W ([out, in], row-major, `weights`
    /// pointing at column `kOffset` of row 0, row stride `ldw`). Where `packed` (W packed whole)
    /// is given and `usesOwnKernel`, LMServe's kernel runs it, split by 64-row panels of W into as
    /// many parts as BLAS has threads, on Dispatch's. Otherwise one or two rows go through `gemv`
    /// per row, which OpenBLAS runs faster than a `gemm` that packs the whole weight matrix for
    /// so few rows, and the rest through `gemm`. beta is 0 or 1.
    @inline(__always)
    static func linear(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weights: UnsafePointer<Float>, ldw: Int,
        packed: PackedMatrix? = nil, kOffset: Int = 0, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        path: Kernels.Path = Kernels.path
    ) {
        guard m > 0 && n > 0 else { return }
        if let packed, usesOwnKernel(rows: m, path: path), let kernel = path == Kernels.path ? chosenKernel : path.packedKernel {
            precondition(packed.n == n && kOffset + k <= packed.k, "packed weights [\(packed.n), \(packed.k)] for n \(n), k \(kOffset)+\(k)")
            let (k0, k1, total, w) = (kOffset, kOffset + k, packed.k, packed.pointer)
            let ranges = panelRanges(n, parts: threads)
            if ranges.count == 1 {
                kernel(m, 0, n, n, k0, k1, total, a, lda, w, beta, c, ldc)
                return
            }
            // Each part writes only its own columns of C.
            let input = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: a), count: (m - 1) * lda + k))
            let output = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: c, count: (m - 1) * ldc + n))
            let weightsPointer = UnsafeSendableBuffer(UnsafeMutableBufferPointer(start: w, count: Int(lmserve_packed_count(n, total))))
            DispatchQueue.concurrentPerform(iterations: ranges.count) { part in
                let r = ranges[part]
                kernel(m, r.lowerBound, r.upperBound, n, k0, k1, total, input.buffer.baseAddress, lda,
                       weightsPointer.buffer.baseAddress, beta, output.buffer.baseAddress, ldc)
            }
        } else if m <= 2 {
            for row in 0..<m {
                gemv(m: n, n: k, a: weights, lda: ldw, x: a + row * lda, beta: beta, y: c + row * ldc)
            }
        } else {
            gemm(transposeB: true, m: m, n: n, k: k, a: a, lda: lda, b: weights, ldb: ldw, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Splits columns 0..<n into up to `parts` consecutive ranges covering them all, each a
    /// whole number of 64-column panels (the last ends at n).
    static func panelRanges(_ n: Int, parts: Int) -> [Range<Int>] {
        let panels = (n + 63) / 64
        let count = max(1, min(parts, panels))
        return (0..<count).map { part in
            (part * panels / count) * 64..<(part == count - 1 ? n : ((part + 1) * panels / count) * 64)
        }
    }
}
