// Makes OpenBLAS run kernels as good as this CPU can run, without the user setting anything.
//
// OpenBLAS (DYNAMIC_ARCH builds such as Debian's) picks its kernels once, in its library
// constructor, from OPENBLAS_CORETYPE or its own CPUID table; a CPU newer than its table gets
// the generic SSE3 "Prescott" kernels (an Intel family 6 model 207 did, with 0.3.21: 28 instead
// of about 200 GFLOP/s). Nothing in the process runs before that constructor that could set the
// variable: the executable's own constructors run after its libraries'. So `lmserve` calls
// lmserve_blas_core_startup() first thing: if OpenBLAS chose a core weaker than the best CPUID
// and XCR0 allow, it runs the program again (execv of /proc/self/exe, same pid and arguments)
// with OPENBLAS_CORETYPE set; the new process checks products of that core against plain sums
// (running once more without it if they disagree) and removes the variables again, so child
// processes see the user's environment. A user's own OPENBLAS_CORETYPE is never overridden.

#include "CKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

// Resolved when the program links OpenBLAS (every program that calls this does), null otherwise.
extern char *openblas_get_corename(void) __attribute__((weak));
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc) __attribute__((weak));

static const char *const marker = "LMSERVE_OPENBLAS_CORETYPE";
static int origin = LMSERVE_BLAS_CORE_OPENBLAS;

const char *lmserve_blas_core_for_cpu(void) {
    unsigned int f = lmserve_cpu_features();
    unsigned int skx = LMSERVE_CPU_AVX2 | LMSERVE_CPU_FMA | LMSERVE_CPU_AVX512F | LMSERVE_CPU_AVX512CD |
                       LMSERVE_CPU_AVX512BW | LMSERVE_CPU_AVX512DQ | LMSERVE_CPU_AVX512VL;
    if ((f & skx) == skx) return (f & LMSERVE_CPU_AVX512BF16) ? "Cooperlake" : "SkylakeX";
    if ((f & (LMSERVE_CPU_AVX2 | LMSERVE_CPU_FMA)) == (LMSERVE_CPU_AVX2 | LMSERVE_CPU_FMA)) return "Haswell";
    if (f & LMSERVE_CPU_AVX) return "Sandybridge";
    return NULL;
}

int lmserve_blas_core_rank(const char *name) {
    static const char *const ranks[][9] = {
        {"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington"},
        {"Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat", NULL},
        {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator", NULL},
        {"Haswell", "Zen", NULL},
        {"SkylakeX", NULL},
        {"Cooperlake", "SapphireRapids", NULL},
    };
    static const int rank[] = {0, 0, 1, 2, 3, 4};
    if (!name) return -1;
    for (int r = 0; r < 6; r++)
        for (int i = 0; i < 9 && ranks[r][i]; i++)
            if (strcasecmp(name, ranks[r][i]) == 0) return rank[r];
    return -1;
}

int lmserve_blas_core_origin(void) { return origin; }

/// One product through OpenBLAS against double-precision sums: 1 when they agree.
static int blas_agrees(int m, int n, int k) {
    float *a = malloc(sizeof(float) * (size_t)(m * k + n * k + m * n));
    if (!a) return 1;
    float *b = a + m * k, *c = b + n * k;
    for (int i = 0; i < m * k; i++) a[i] = (float)((i * 7919) % 201 - 100) / 137.0f;
    for (int i = 0; i < n * k; i++) b[i] = (float)((i * 104729) % 199 - 99) / 131.0f;
    cblas_sgemm(101 /* row-major */, 111 /* A */, 112 /* Bᵀ */, m, n, k, 1, a, k, b, k, 0, c, n);
    int ok = 1;
    for (int i = 0; i < m && ok; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[j * k + p];
            if (!(fabs(c[i * n + j] - s) <= 1e-4 * (1 + fabs(s)))) { ok = 0; break; }
        }
    free(a);
    return ok;
}

static void run_again(char **argv) {
    execv("/proc/self/exe", argv);
    // No /proc or no exec: carry on with OpenBLAS's own choice.
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(marker);
    origin = LMSERVE_BLAS_CORE_OPENBLAS;
}

void lmserve_blas_core_startup(char **argv) {
    if (!openblas_get_corename || !cblas_sgemm || !argv || !argv[0]) return;
    const char *ours = getenv(marker), *set = getenv("OPENBLAS_CORETYPE");
    if (ours) {
        // This process was started again by the code below.
        if (strcmp(ours, "rejected") == 0) {
            origin = LMSERVE_BLAS_CORE_REJECTED;
        } else if (set && strcmp(ours, set) == 0) {
            origin = LMSERVE_BLAS_CORE_CHOSEN;
            if (!(blas_agrees(67, 45, 131) && blas_agrees(256, 96, 200))) {
                setenv(marker, "rejected", 1);
                unsetenv("OPENBLAS_CORETYPE");
                run_again(argv);
                return;
            }
            unsetenv("OPENBLAS_CORETYPE");
        } else {
            origin = set ? LMSERVE_BLAS_CORE_USER : LMSERVE_BLAS_CORE_OPENBLAS;
        }
        unsetenv(marker);
        return;
    }
    if (set) {
        origin = LMSERVE_BLAS_CORE_USER;
        return;
    }
    const char *want = lmserve_blas_core_for_cpu(), *have = openblas_get_corename();
    int haveRank = lmserve_blas_core_rank(have);
    // An unknown name (a core newer than this table) is left alone.
    if (!want || haveRank < 0 || haveRank >= lmserve_blas_core_rank(want)) return;
    setenv("OPENBLAS_CORETYPE", want, 1);
    setenv(marker, want, 1);
    run_again(argv);
}
