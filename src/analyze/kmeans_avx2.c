/* kmeans_avx2.c -- the k-means distance kernel (a point against every
 * center) with AVX2 and FMA: the centers are dimension-major (d x k), so
 * one broadcast coordinate of the point meets four centers per register;
 * 32 centers (eight accumulators) are done per pass over the dimensions,
 * so the accumulators stay in registers. Chosen at run time when the CPU
 * has both; the portable loop in kmeans.c gives the same labels (the sums
 * differ only in the rounding FMA saves). */
#include "analyze/analyze_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

bool trawl__an_have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define TARGET __attribute__((target("avx2,fma")))

TARGET void trawl__an_dists_avx2(const double *x, const double *Ct, size_t d, size_t k, double *acc)
{
    size_t c = 0;
    for (; c + 32 <= k; c += 32) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                a7 = a0;
        for (size_t j = 0; j < d; j++) {
            const double *row = Ct + j * k + c;
            __m256d xb = _mm256_broadcast_sd(x + j), t;
#define STEP(a, o)                                                                                 \
    t = _mm256_sub_pd(xb, _mm256_loadu_pd(row + (o)));                                             \
    a = _mm256_fmadd_pd(t, t, a)
            STEP(a0, 0);
            STEP(a1, 4);
            STEP(a2, 8);
            STEP(a3, 12);
            STEP(a4, 16);
            STEP(a5, 20);
            STEP(a6, 24);
            STEP(a7, 28);
        }
        _mm256_storeu_pd(acc + c, a0);
        _mm256_storeu_pd(acc + c + 4, a1);
        _mm256_storeu_pd(acc + c + 8, a2);
        _mm256_storeu_pd(acc + c + 12, a3);
        _mm256_storeu_pd(acc + c + 16, a4);
        _mm256_storeu_pd(acc + c + 20, a5);
        _mm256_storeu_pd(acc + c + 24, a6);
        _mm256_storeu_pd(acc + c + 28, a7);
    }
    for (; c + 4 <= k; c += 4) {
        __m256d a = _mm256_setzero_pd(), t;
        for (size_t j = 0; j < d; j++) {
            const double *row = Ct + j * k + c;
            __m256d xb = _mm256_broadcast_sd(x + j);
            STEP(a, 0);
        }
        _mm256_storeu_pd(acc + c, a);
    }
#undef STEP
    for (; c < k; c++) {
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            double t = x[j] - Ct[j * k + c];
            s += t * t;
        }
        acc[c] = s;
    }
}

#else

bool trawl__an_have_avx2(void)
{
    return false;
}

void trawl__an_dists_avx2(const double *x, const double *Ct, size_t d, size_t k, double *acc)
{
    (void)x, (void)Ct, (void)d, (void)k, (void)acc;
}

#endif
