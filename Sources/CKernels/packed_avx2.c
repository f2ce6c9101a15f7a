// The AVX2 + FMA path of the packed product (see CKernels.h): 8 lanes, tiles of three rows by
// 32 columns (12 accumulators of the 16 registers), two rows by 32 or one row by 64.
// Compiled for AVX2 by target attributes only; handed out only where CPUID and XCR0 allow it.

#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))
#define KERNEL TARGET __attribute__((always_inline)) static inline

/// The lane mask of the first `left` (0-8) lanes, for masked loads and stores.
KERNEL __m256i lanes(size_t left) {
    static const int table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(table + 8 - (left > 8 ? 8 : left)));
}

/// `rows` × 8·`chunks` results from column j: one FMA chain per result, in p order.
KERNEL void tile(const int rows, const int chunks, size_t j, size_t limit, size_t k0, size_t k1, size_t k,
                 const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    __m256 acc[3][8];
    const float *w[8];
    __m256i mask[8];
    for (int q = 0; q < chunks; q++) {
        size_t col = j + 8 * (size_t)q;
        w[q] = packed + col / LMSERVE_PANEL * LMSERVE_PANEL * k + col % LMSERVE_PANEL;
        mask[q] = lanes(col < limit ? limit - col : 0);
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < chunks; q++)
            acc[r][q] = beta != 0 ? _mm256_maskload_ps(c + r * ldc + j + 8 * q, mask[q]) : _mm256_setzero_ps();
    for (size_t p = k0; p < k1; p++) {
        const float *x = a + (p - k0);
        __m256 b[3];
        for (int r = 0; r < rows; r++) b[r] = _mm256_broadcast_ss(x + r * lda);
        for (int q = 0; q < chunks; q++) {
            __m256 v = _mm256_loadu_ps(w[q] + p * LMSERVE_PANEL);
            for (int r = 0; r < rows; r++) acc[r][q] = _mm256_fmadd_ps(b[r], v, acc[r][q]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < chunks; q++) _mm256_maskstore_ps(c + r * ldc + j + 8 * q, mask[q], acc[r][q]);
}

TARGET
void lmserve_packed_linear_avx2(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    size_t limit = j1 < n ? j1 : n;
    for (size_t j = j0; j < limit; j += LMSERVE_PANEL) {
        size_t i = 0;
        for (; i + 3 <= m; i += 3) {
            tile(3, 4, j, limit, k0, k1, k, a + i * lda, lda, packed, beta, c + i * ldc, ldc);
            if (j + 32 < limit) tile(3, 4, j + 32, limit, k0, k1, k, a + i * lda, lda, packed, beta, c + i * ldc, ldc);
        }
        const float *ai = a + i * lda;
        float *ci = c + i * ldc;
        if (m - i == 2) {
            tile(2, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc);
            if (j + 32 < limit) tile(2, 4, j + 32, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc);
        } else if (m - i == 1) {
            tile(1, 8, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc);
        }
    }
}

#else

void lmserve_packed_linear_avx2(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    lmserve_packed_linear_scalar(m, j0, j1, n, k0, k1, k, a, lda, packed, beta, c, ldc);
}

#endif
