#ifndef LMSERVE_CKERNELS_H
#define LMSERVE_CKERNELS_H

#include <stddef.h>

// MARK: - CPU

/// Feature bits of lmserve_cpu_features(). Each is set only when the CPU has the instructions
/// and the OS saves their registers (XCR0, read with XGETBV): AVX and AVX2 need the YMM state,
/// AVX-512 the opmask and ZMM states as well, AMX the tile states.
enum {
    LMSERVE_CPU_AVX = 1 << 0,
    LMSERVE_CPU_AVX2 = 1 << 1,
    LMSERVE_CPU_FMA = 1 << 2,
    LMSERVE_CPU_AVX512F = 1 << 3,
    LMSERVE_CPU_AVX512DQ = 1 << 4,
    LMSERVE_CPU_AVX512CD = 1 << 5,
    LMSERVE_CPU_AVX512BW = 1 << 6,
    LMSERVE_CPU_AVX512VL = 1 << 7,
    LMSERVE_CPU_AVX512BF16 = 1 << 8,
    LMSERVE_CPU_AMX_BF16 = 1 << 9,
};

/// What this CPU and OS can run (CPUID leaves 1 and 7, XGETBV), as LMSERVE_CPU_* bits; 0 off x86-64.
unsigned int lmserve_cpu_features(void);

/// The CPU's brand string (CPUID 0x80000002-4), trimmed; empty where there is none.
void lmserve_cpu_model(char *buffer, size_t size);

// MARK: - Kernel paths

/// The instruction sets LMServe's own kernels are compiled for.
enum { LMSERVE_KERNELS_SCALAR = 0, LMSERVE_KERNELS_AVX2 = 1, LMSERVE_KERNELS_AVX512 = 2 };

/// 1 when this CPU runs the kernels of `level` (AVX2: AVX2 + FMA; AVX-512: F, BW, VL, DQ as well).
int lmserve_kernels_supported(int level);

/// The path LMServe's kernels take in this process, chosen once: the best this CPU supports, or
/// the one LMSERVE_KERNELS (auto, scalar, avx2, avx512) names if the CPU can run it. Scalar
/// means none of LMServe's own vector kernels: products go to BLAS, loops to portable SIMD.
int lmserve_kernels_path(void);

/// "scalar", "avx2" or "avx512".
const char *lmserve_kernels_name(int level);

/// Why LMSERVE_KERNELS was not followed (an unknown value, or kernels this CPU cannot run), or NULL.
const char *lmserve_kernels_note(void);

// MARK: - OpenBLAS core

/// Who chose OpenBLAS's kernels in this process.
enum {
    /// OpenBLAS itself, and its choice is as good as CPUID allows (or no better one is known).
    LMSERVE_BLAS_CORE_OPENBLAS = 0,
    /// The user, with OPENBLAS_CORETYPE (never overridden).
    LMSERVE_BLAS_CORE_USER = 1,
    /// LMServe: OpenBLAS had chosen a weaker core, so the process ran again with the best one.
    LMSERVE_BLAS_CORE_CHOSEN = 2,
    /// LMServe's choice failed its check against plain sums; OpenBLAS's own choice runs.
    LMSERVE_BLAS_CORE_REJECTED = 3,
};

/// Called first thing by a program that links OpenBLAS, with its argv: runs the program again
/// (execv, same pid) with OPENBLAS_CORETYPE naming lmserve_blas_core_for_cpu() when OpenBLAS
/// chose a weaker core and the user set none; in that second run, checks the core against
/// plain sums (rejecting it, one more run without it, if they disagree) and clears the
/// variables again. Returns only in the process that goes on.
void lmserve_blas_core_startup(char **argv);

/// Who chose OpenBLAS's core (LMSERVE_BLAS_CORE_*), as lmserve_blas_core_startup() found.
int lmserve_blas_core_origin(void);

/// The OpenBLAS core (OPENBLAS_CORETYPE name) for the best instruction set this CPU and OS run:
/// Cooperlake (AVX-512 with BF16), SkylakeX (AVX-512), Haswell (AVX2 + FMA), Sandybridge (AVX),
/// or NULL.
const char *lmserve_blas_core_for_cpu(void);

/// The instruction-set rank of an OpenBLAS core name: 0 SSE, 1 AVX, 2 AVX2, 3 AVX-512,
/// 4 AVX-512 + BF16; -1 for a name this table does not know.
int lmserve_blas_core_rank(const char *name);

// MARK: - Products with packed weights

/// Columns of one panel of a packed matrix.
enum { LMSERVE_PANEL = 64 };

/// Floats a packed copy of an n × k matrix takes: ceil(n / 64) panels of k × 64.
size_t lmserve_packed_count(size_t n, size_t k);

/// Packs W [n × k] (row-major, row stride ldw) into `packed` (lmserve_packed_count(n, k) floats,
/// 64-byte aligned for speed): panel q holds rows 64q … 64q + 63 of W as k rows of 64 floats
/// (W transposed), zeros past row n.
void lmserve_pack(size_t n, size_t k, const float *w, size_t ldw, float *packed);

/// C[i][j] = (beta ? C[i][j] : 0) + Σ_{p = k0}^{k1 - 1} A[i][p - k0] · W[j][p], for i in [0, m)
/// and j in [j0, min(j1, n)), with W packed by lmserve_pack(n, k, …); j0 a multiple of 64.
/// Row-major A (row stride lda) and C (ldc); beta is 0 or 1.
///
/// Every path computes each C[i][j] as one chain of fused multiply-adds in p order, starting
/// from C[i][j] or 0: results are the same bits on every path, for every m, thread split and
/// k split (k0 … k1 then k1 … k2 with beta = 1 equals k0 … k2 in one call). W streams once per
/// block of rows, already in the order the kernel reads it (nothing packed per call).
typedef void (*lmserve_packed_kernel)(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                      const float *a, size_t lda, const float *packed, float beta, float *c,
                                      size_t ldc);

void lmserve_packed_linear_scalar(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                  const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc);
void lmserve_packed_linear_avx2(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc);
void lmserve_packed_linear_avx512(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                  const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc);

/// The kernel of `level`, or NULL if this CPU cannot run it.
lmserve_packed_kernel lmserve_packed_kernel_for(int level);

/// The kernel of the process's path (lmserve_kernels_path()); the scalar one on the scalar path.
lmserve_packed_kernel lmserve_packed_kernel_chosen(void);

// MARK: - Vector loops (AVX-512)

/// log Σ exp(x[i]) over n floats, stably around the maximum (-inf for none or all -inf).
/// Requires lmserve_kernels_supported(LMSERVE_KERNELS_AVX512).
float lmserve_logsumexp_avx512(const float *x, size_t n);

/// The largest of n floats (-inf for none).
float lmserve_maximum_avx512(const float *x, size_t n);

/// x[i] -= s for n floats.
void lmserve_subtract_avx512(float *x, size_t n, float s);

#endif
