#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

/// The extended control register XCR0: which register states the OS saves and restores.
__attribute__((target("xsave"))) static unsigned long long xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static unsigned int detect(void) {
    unsigned int a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    if (!osxsave) return 0;  // the OS does not save AVX state: none of the below may run
    unsigned long long x = xcr0();
    int ymm = (x & 0x6) == 0x6, zmm = ymm && (x & 0xE0) == 0xE0, tiles = (x & 0x60000) == 0x60000;
    if (!ymm) return 0;
    if ((c >> 28) & 1) f |= LMSERVE_CPU_AVX;
    if ((c >> 12) & 1) f |= LMSERVE_CPU_FMA;
    unsigned int max7 = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        max7 = a;
        if ((b >> 5) & 1) f |= LMSERVE_CPU_AVX2;
        if (zmm) {
            if ((b >> 16) & 1) f |= LMSERVE_CPU_AVX512F;
            if ((b >> 17) & 1) f |= LMSERVE_CPU_AVX512DQ;
            if ((b >> 28) & 1) f |= LMSERVE_CPU_AVX512CD;
            if ((b >> 30) & 1) f |= LMSERVE_CPU_AVX512BW;
            if ((b >> 31) & 1) f |= LMSERVE_CPU_AVX512VL;
        }
        // AMX tiles and their BF16 multiply, and the OS's tile state.
        if (tiles && ((d >> 24) & 1) && ((d >> 22) & 1)) f |= LMSERVE_CPU_AMX_BF16;
    }
    if (zmm && max7 >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1)) f |= LMSERVE_CPU_AVX512BF16;
    return f;
}

unsigned int lmserve_cpu_features(void) {
    static unsigned int cached = 0xFFFFFFFFu;
    if (cached == 0xFFFFFFFFu) cached = detect();
    return cached;
}

void lmserve_cpu_model(char *buffer, size_t size) {
    if (size == 0) return;
    unsigned int regs[12] = {0}, a, b, c, d;
    buffer[0] = 0;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return;
    for (unsigned int i = 0; i < 3; i++) __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    char name[49];
    memcpy(name, regs, 48);
    name[48] = 0;
    const char *start = name;
    while (*start == ' ') start++;
    size_t n = strlen(start);
    while (n > 0 && start[n - 1] == ' ') n--;
    if (n >= size) n = size - 1;
    memcpy(buffer, start, n);
    buffer[n] = 0;
}

#else

unsigned int lmserve_cpu_features(void) { return 0; }
void lmserve_cpu_model(char *buffer, size_t size) { if (size) buffer[0] = 0; }

#endif

int lmserve_kernels_supported(int level) {
    unsigned int f = lmserve_cpu_features();
    unsigned int avx2 = LMSERVE_CPU_AVX2 | LMSERVE_CPU_FMA;
    unsigned int avx512 = avx2 | LMSERVE_CPU_AVX512F | LMSERVE_CPU_AVX512BW | LMSERVE_CPU_AVX512VL | LMSERVE_CPU_AVX512DQ;
    switch (level) {
    case LMSERVE_KERNELS_SCALAR: return 1;
    case LMSERVE_KERNELS_AVX2: return (f & avx2) == avx2;
    case LMSERVE_KERNELS_AVX512: return (f & avx512) == avx512;
    default: return 0;
    }
}
