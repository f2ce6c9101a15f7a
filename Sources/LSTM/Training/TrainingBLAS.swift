import CBLAS

/// Row-major single-precision matrix products for training, through `cblas_sgemm`.
enum TrainingBLAS {
    /// `C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C`, all row-major.
    ///
    /// `transA` means A is stored as [k, m] (`lda` ≥ m); otherwise as [m, k] (`lda` ≥ k). Likewise
    /// `transB`: B stored [n, k] when set, [k, n] otherwise. Wraps `cblas_sgemm`.
    @inline(__always)
    static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
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
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// How many threads OpenBLAS uses (`openblas_get_num_threads`).
    static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets how many threads OpenBLAS uses (`openblas_set_num_threads`).
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
