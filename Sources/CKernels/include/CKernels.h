#ifndef LMSERVE_CKERNELS_H
#define LMSERVE_CKERNELS_H

#include <stddef.h>

/// 1 when this CPU runs the AVX2 + FMA kernels below, else 0 (callers then use BLAS).
int lmserve_linear_available(void);

/// C[i][j] = beta * C[i][j] + dot(A row i, W row j) for i in [0, m), j in [j0, j1), each dot
/// over k floats. Row-major; lda, ldw, ldc in floats; beta is 0 or 1.
///
/// The small-batch product of a decoder or LSTM step (m of about 3 to 12): each block of four
/// weight rows streams once from cache and stays in L1 for every batch row, where BLAS would
/// first copy ("pack") all the weights. Callers split [j0, j1) across threads. Every dot product
/// is summed in one order (8 lanes over k, a fixed lane reduction, then the k mod 8 tail).
/// Requires lmserve_linear_available().
void lmserve_linear_rows(size_t m, size_t j0, size_t j1, size_t k,
                         const float *a, size_t lda, const float *w, size_t ldw,
                         float beta, float *c, size_t ldc);

#endif
