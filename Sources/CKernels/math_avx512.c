// The decoder's log-softmax loops on 16 AVX-512 lanes (see CKernels.h); exp is the same Cephes
// expf as LMCore's VectorMath (range reduction by ln 2 in two parts, degree-6 polynomial,
// inputs clamped to [-87.3, 88.3]), so both paths agree to about 2e-7.

#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define KERNEL TARGET __attribute__((always_inline)) static inline

KERNEL __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3f)), _mm512_set1_ps(-87.3f));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504f), magic);
    __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.33345191e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.00000012e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic));
    __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(bits, _mm512_set1_epi32(127)), 23));
    return _mm512_mul_ps(p, scale);
}

KERNEL __mmask16 head(size_t left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }

TARGET float lmserve_maximum_avx512(const float *x, size_t n) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + j));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + j + 16));
    }
    for (; j < n; j += 16) m0 = _mm512_max_ps(m0, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), head(n - j), x + j));
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

TARGET float lmserve_logsumexp_avx512(const float *x, size_t n) {
    float m = lmserve_maximum_avx512(x, n);
    if (!isfinite(m)) return m;
    const __m512 mv = _mm512_set1_ps(m), ninf = _mm512_set1_ps(-INFINITY);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        s0 = _mm512_add_ps(s0, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), mv)));
        s1 = _mm512_add_ps(s1, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), mv)));
    }
    // Padding lanes are -inf, whose exp (~1e-38) vanishes in the sum.
    for (; j < n; j += 16) s0 = _mm512_add_ps(s0, exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(ninf, head(n - j), x + j), mv)));
    return m + logf(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
}

TARGET void lmserve_subtract_avx512(float *x, size_t n, float s) {
    const __m512 sv = _mm512_set1_ps(s);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(x + j, _mm512_sub_ps(_mm512_loadu_ps(x + j), sv));
    if (j < n) {
        __mmask16 k = head(n - j);
        _mm512_mask_storeu_ps(x + j, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), sv));
    }
}

#else

float lmserve_maximum_avx512(const float *x, size_t n) {
    float m = -INFINITY;
    for (size_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

float lmserve_logsumexp_avx512(const float *x, size_t n) {
    float m = lmserve_maximum_avx512(x, n);
    if (!isfinite(m)) return m;
    double s = 0;
    for (size_t j = 0; j < n; j++) s += expf(x[j] - m);
    return m + (float)log(s);
}

void lmserve_subtract_avx512(float *x, size_t n, float s) {
    for (size_t j = 0; j < n; j++) x[j] -= s;
}

#endif
