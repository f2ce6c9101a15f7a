// Which of LMServe's own kernel paths runs, chosen once per process.

#include "CKernels.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"scalar", "avx2", "avx512"};
static int chosen = LMSERVE_KERNELS_SCALAR;
static char note[200];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void choose(void) {
    int best = LMSERVE_KERNELS_SCALAR;
    for (int level = LMSERVE_KERNELS_AVX2; level <= LMSERVE_KERNELS_AVX512; level++)
        if (lmserve_kernels_supported(level)) best = level;
    chosen = best;
    const char *request = getenv("LMSERVE_KERNELS");
    if (!request || !*request || strcmp(request, "auto") == 0) return;
    int asked = -1;
    for (int level = 0; level < 3; level++)
        if (strcmp(request, names[level]) == 0) asked = level;
    if (asked < 0) {
        snprintf(note, sizeof note, "LMSERVE_KERNELS=%.40s is not one of auto, scalar, avx2, avx512; using %s", request,
                 names[best]);
    } else if (!lmserve_kernels_supported(asked)) {
        snprintf(note, sizeof note, "LMSERVE_KERNELS=%s: this CPU cannot run those kernels; using %s", request, names[best]);
    } else {
        chosen = asked;
    }
}

int lmserve_kernels_path(void) {
    pthread_once(&once, choose);
    return chosen;
}

const char *lmserve_kernels_name(int level) {
    return level >= 0 && level < 3 ? names[level] : "unknown";
}

const char *lmserve_kernels_note(void) {
    pthread_once(&once, choose);
    return note[0] ? note : NULL;
}
