// The AVX-512 path of the packed product (see CKernels.h): 16 lanes, tiles of up to six rows
// by 64 columns (24 accumulators of the 32 registers), or one or two rows by 128 columns.
// Compiled for AVX-512 by target attributes only, so the package builds with any compiler
// flags; lmserve_packed_kernel_for() hands it out only where CPUID and XCR0 allow it.

#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define KERNEL TARGET __attribute__((always_inline)) static inline

/// `rows` × 16·`chunks` results from column j: one FMA chain per result, in p order.
KERNEL void tile(const int rows, const int chunks, size_t j, size_t limit, size_t k0, size_t k1, size_t k,
                 const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    __m512 acc[6][8];
    const float *w[8];
    __mmask16 mask[8];
    for (int q = 0; q < chunks; q++) {
        size_t col = j + 16 * (size_t)q;
        w[q] = packed + col / LMSERVE_PANEL * LMSERVE_PANEL * k + col % LMSERVE_PANEL;
        size_t left = col < limit ? limit - col : 0;
        mask[q] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < chunks; q++)
            acc[r][q] = beta != 0 ? _mm512_maskz_loadu_ps(mask[q], c + r * ldc + j + 16 * q) : _mm512_setzero_ps();
    for (size_t p = k0; p < k1; p++) {
        const float *x = a + (p - k0);
        __m512 v[8];
        for (int q = 0; q < chunks; q++) v[q] = _mm512_loadu_ps(w[q] + p * LMSERVE_PANEL);
        for (int r = 0; r < rows; r++) {
            __m512 b = _mm512_set1_ps(x[r * lda]);
            for (int q = 0; q < chunks; q++) acc[r][q] = _mm512_fmadd_ps(b, v[q], acc[r][q]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < chunks; q++) _mm512_mask_storeu_ps(c + r * ldc + j + 16 * q, mask[q], acc[r][q]);
}

TARGET
void lmserve_packed_linear_avx512(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                  const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    size_t limit = j1 < n ? j1 : n;
    size_t j = j0;
    if (m <= 2) {
        // Few rows: two panels at a time, for eight (or sixteen) independent chains.
        for (; j + LMSERVE_PANEL < limit; j += 2 * LMSERVE_PANEL) {
            if (m == 2) tile(2, 8, j, limit, k0, k1, k, a, lda, packed, beta, c, ldc);
            else if (m == 1) tile(1, 8, j, limit, k0, k1, k, a, lda, packed, beta, c, ldc);
        }
    }
    for (; j < limit; j += LMSERVE_PANEL) {
        size_t i = 0;
        for (; i + 6 <= m; i += 6) tile(6, 4, j, limit, k0, k1, k, a + i * lda, lda, packed, beta, c + i * ldc, ldc);
        const float *ai = a + i * lda;
        float *ci = c + i * ldc;
        switch (m - i) {
        case 5: tile(5, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc); break;
        case 4: tile(4, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc); break;
        case 3: tile(3, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc); break;
        case 2: tile(2, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc); break;
        case 1: tile(1, 4, j, limit, k0, k1, k, ai, lda, packed, beta, ci, ldc); break;
        default: break;
        }
    }
}

#else

void lmserve_packed_linear_avx512(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                  const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    lmserve_packed_linear_scalar(m, j0, j1, n, k0, k1, k, a, lda, packed, beta, c, ldc);
}

#endif
