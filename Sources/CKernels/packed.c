// Packing, the scalar path of the packed product, and the choice among the paths.

#include "CKernels.h"

#include <math.h>
#include <string.h>

size_t lmserve_packed_count(size_t n, size_t k) {
    return (n + LMSERVE_PANEL - 1) / LMSERVE_PANEL * LMSERVE_PANEL * k;
}

void lmserve_pack(size_t n, size_t k, const float *w, size_t ldw, float *packed) {
    size_t panels = (n + LMSERVE_PANEL - 1) / LMSERVE_PANEL;
    for (size_t q = 0; q < panels; q++) {
        float *panel = packed + q * LMSERVE_PANEL * k;
        size_t rows = n - q * LMSERVE_PANEL < LMSERVE_PANEL ? n - q * LMSERVE_PANEL : LMSERVE_PANEL;
        if (rows < LMSERVE_PANEL) memset(panel, 0, sizeof(float) * LMSERVE_PANEL * k);
        for (size_t r = 0; r < rows; r++) {
            const float *row = w + (q * LMSERVE_PANEL + r) * ldw;
            for (size_t p = 0; p < k; p++) panel[p * LMSERVE_PANEL + r] = row[p];
        }
    }
}

/// One fused multiply-add chain per result, in p order: the definition every path matches.
void lmserve_packed_linear_scalar(size_t m, size_t j0, size_t j1, size_t n, size_t k0, size_t k1, size_t k,
                                  const float *a, size_t lda, const float *packed, float beta, float *c, size_t ldc) {
    if (j1 > n) j1 = n;
    for (size_t j = j0; j < j1; j++) {
        const float *col = packed + j / LMSERVE_PANEL * LMSERVE_PANEL * k + j % LMSERVE_PANEL;
        for (size_t i = 0; i < m; i++) {
            const float *x = a + i * lda;
            float s = beta != 0 ? c[i * ldc + j] : 0;
            for (size_t p = k0; p < k1; p++) s = fmaf(x[p - k0], col[p * LMSERVE_PANEL], s);
            c[i * ldc + j] = s;
        }
    }
}

lmserve_packed_kernel lmserve_packed_kernel_for(int level) {
    if (!lmserve_kernels_supported(level)) return NULL;
    switch (level) {
    case LMSERVE_KERNELS_SCALAR: return lmserve_packed_linear_scalar;
#if defined(__x86_64__)
    case LMSERVE_KERNELS_AVX2: return lmserve_packed_linear_avx2;
    case LMSERVE_KERNELS_AVX512: return lmserve_packed_linear_avx512;
#endif
    default: return NULL;
    }
}

lmserve_packed_kernel lmserve_packed_kernel_chosen(void) {
    lmserve_packed_kernel kernel = lmserve_packed_kernel_for(lmserve_kernels_path());
    return kernel ? kernel : lmserve_packed_linear_scalar;
}
