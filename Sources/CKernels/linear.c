#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int lmserve_linear_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define KERNEL __attribute__((target("avx2,fma"))) static inline

/// The lane sums of four accumulators at once, each in the same order: pairs of neighbours,
/// then pairs of those, then the two 128-bit halves.
KERNEL __m128 hsum4(__m256 s0, __m256 s1, __m256 s2, __m256 s3) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/// Adds the scalar tail (k mod 8) to four dot products, one fused multiply-add a term, and
/// stores them at c[0], c[step], c[2 step], c[3 step]: the order every path below uses.
KERNEL void finish4(__m128 sums, const float *a[4], const float *w[4], size_t k8, size_t k,
                    float beta, float *c[4]) {
    float s[4];
    _mm_storeu_ps(s, sums);
    for (int q = 0; q < 4; q++) {
        if (!c[q]) continue;
        for (size_t p = k8; p < k; p++) s[q] = __builtin_fmaf(a[q][p], w[q][p], s[q]);
        *c[q] = beta == 0 ? s[q] : *c[q] + s[q];
    }
}

/// Four weight rows against two batch rows: eight independent accumulators.
KERNEL void block4x2(size_t k, const float *a0, const float *a1, const float *w0, size_t ldw,
                     float beta, float *c0, float *c1) {
    const float *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    __m256 s00 = _mm256_setzero_ps(), s01 = s00, s02 = s00, s03 = s00;
    __m256 s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    size_t k8 = k & ~(size_t)7;
    for (size_t p = 0; p < k8; p += 8) {
        __m256 x0 = _mm256_loadu_ps(a0 + p), x1 = _mm256_loadu_ps(a1 + p);
        __m256 v = _mm256_loadu_ps(w0 + p);
        s00 = _mm256_fmadd_ps(x0, v, s00); s10 = _mm256_fmadd_ps(x1, v, s10);
        v = _mm256_loadu_ps(w1 + p);
        s01 = _mm256_fmadd_ps(x0, v, s01); s11 = _mm256_fmadd_ps(x1, v, s11);
        v = _mm256_loadu_ps(w2 + p);
        s02 = _mm256_fmadd_ps(x0, v, s02); s12 = _mm256_fmadd_ps(x1, v, s12);
        v = _mm256_loadu_ps(w3 + p);
        s03 = _mm256_fmadd_ps(x0, v, s03); s13 = _mm256_fmadd_ps(x1, v, s13);
    }
    const float *ws[4] = {w0, w1, w2, w3};
    const float *x0s[4] = {a0, a0, a0, a0}, *x1s[4] = {a1, a1, a1, a1};
    float *c0s[4] = {c0, c0 + 1, c0 + 2, c0 + 3}, *c1s[4] = {c1, c1 + 1, c1 + 2, c1 + 3};
    finish4(hsum4(s00, s01, s02, s03), x0s, ws, k8, k, beta, c0s);
    finish4(hsum4(s10, s11, s12, s13), x1s, ws, k8, k, beta, c1s);
}

/// Four weight rows against one batch row.
KERNEL void block4x1(size_t k, const float *a0, const float *w0, size_t ldw, float beta, float *c0) {
    const float *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t k8 = k & ~(size_t)7;
    for (size_t p = 0; p < k8; p += 8) {
        __m256 x0 = _mm256_loadu_ps(a0 + p);
        s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w0 + p), s0);
        s1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w1 + p), s1);
        s2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w2 + p), s2);
        s3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w3 + p), s3);
    }
    const float *ws[4] = {w0, w1, w2, w3}, *xs[4] = {a0, a0, a0, a0};
    float *cs[4] = {c0, c0 + 1, c0 + 2, c0 + 3};
    finish4(hsum4(s0, s1, s2, s3), xs, ws, k8, k, beta, cs);
}

/// One weight row against one batch row.
KERNEL void block1x1(size_t k, const float *a0, const float *w0, float beta, float *c0) {
    __m256 s = _mm256_setzero_ps();
    size_t k8 = k & ~(size_t)7;
    for (size_t p = 0; p < k8; p += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + p), _mm256_loadu_ps(w0 + p), s);
    const float *ws[4] = {w0, w0, w0, w0}, *xs[4] = {a0, a0, a0, a0};
    float *cs[4] = {c0, NULL, NULL, NULL};
    finish4(hsum4(s, s, s, s), xs, ws, k8, k, beta, cs);
}

__attribute__((target("avx2,fma")))
void lmserve_linear_rows(size_t m, size_t j0, size_t j1, size_t k,
                         const float *a, size_t lda, const float *w, size_t ldw,
                         float beta, float *c, size_t ldc) {
    size_t j = j0;
    // Four weight rows (4k floats, in L1) against every batch row, two at a time.
    for (; j + 4 <= j1; j += 4) {
        const float *wj = w + j * ldw;
        size_t i = 0;
        for (; i + 2 <= m; i += 2)
            block4x2(k, a + i * lda, a + (i + 1) * lda, wj, ldw, beta, c + i * ldc + j, c + (i + 1) * ldc + j);
        if (i < m) block4x1(k, a + i * lda, wj, ldw, beta, c + i * ldc + j);
    }
    for (; j < j1; j++)
        for (size_t i = 0; i < m; i++) block1x1(k, a + i * lda, w + j * ldw, beta, c + i * ldc + j);
}

#else

int lmserve_linear_available(void) { return 0; }

void lmserve_linear_rows(size_t m, size_t j0, size_t j1, size_t k,
                         const float *a, size_t lda, const float *w, size_t ldw,
                         float beta, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = j0; j < j1; j++) {
            float s = 0;
            for (size_t p = 0; p < k; p++) s += a[i * lda + p] * w[j * ldw + p];
            c[i * ldc + j] = beta == 0 ? s : c[i * ldc + j] + s;
        }
}

#endif
