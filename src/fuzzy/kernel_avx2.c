/* kernel_avx2.c -- the one-word Myers kernel, eight independent lanes in two
 * AVX2 registers. The scalar kernel is a chain of ~17 dependent operations
 * per byte; here the same operations advance eight chains at once, and the
 * two registers' chains interleave. Bitap (k <= 3) gets four lanes the same
 * way. Chosen at run time when the CPU has AVX2 (stream.c); results are
 * those of the scalar kernels, lane by lane. */
#include "fuzzy/fuzzy_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

bool trawl__fz_have_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

#define TARGET __attribute__((target("avx2")))

TARGET static inline __m256i gather_eq(const uint64_t *peq, const uint8_t *const *b, size_t i)
{
    return _mm256_set_epi64x((long long)peq[b[3][i]], (long long)peq[b[2][i]],
                             (long long)peq[b[1][i]], (long long)peq[b[0][i]]);
}

TARGET static inline void step(__m256i eq, __m256i *vpp, __m256i *vnp, __m256i *sp, __m128i top,
                               __m256i one, __m256i ones)
{
    __m256i vp = *vpp, vn = *vnp;
    __m256i xv = _mm256_or_si256(eq, vn);
    __m256i xh =
        _mm256_or_si256(_mm256_xor_si256(_mm256_add_epi64(_mm256_and_si256(eq, vp), vp), vp), eq);
    __m256i ph = _mm256_or_si256(vn, _mm256_xor_si256(_mm256_or_si256(xh, vp), ones));
    __m256i mh = _mm256_and_si256(vp, xh);
    __m256i up = _mm256_and_si256(_mm256_srl_epi64(ph, top), one);
    __m256i down = _mm256_and_si256(_mm256_srl_epi64(mh, top), one);
    *sp = _mm256_sub_epi64(_mm256_add_epi64(*sp, up), down);
    ph = _mm256_slli_epi64(ph, 1);
    mh = _mm256_slli_epi64(mh, 1);
    *vpp = _mm256_or_si256(mh, _mm256_xor_si256(_mm256_or_si256(xv, ph), ones));
    *vnp = _mm256_and_si256(ph, xv);
}

TARGET size_t trawl__fz_myers1_x8(const fz_pat *p, fz_lanes8 *L, const uint8_t *const b[8],
                                  size_t n, unsigned *hits)
{
    const uint64_t *peq = p->peq;
    const __m128i top = _mm_cvtsi32_si128((int)(p->m - 1));
    const __m256i one = _mm256_set1_epi64x(1), ones = _mm256_set1_epi64x(-1);
    const __m256i lim = _mm256_set1_epi64x((long long)p->k + 1);
    __m256i vpa = _mm256_loadu_si256((const __m256i *)&L->vp[0]);
    __m256i vpb = _mm256_loadu_si256((const __m256i *)&L->vp[4]);
    __m256i vna = _mm256_loadu_si256((const __m256i *)&L->vn[0]);
    __m256i vnb = _mm256_loadu_si256((const __m256i *)&L->vn[4]);
    __m256i sa = _mm256_loadu_si256((const __m256i *)&L->score[0]);
    __m256i sb = _mm256_loadu_si256((const __m256i *)&L->score[4]);
    size_t i = 0;
    unsigned mask = 0;
    while (i < n) {
        __m256i ea = gather_eq(peq, b, i), eb = gather_eq(peq, b + 4, i);
        step(ea, &vpa, &vna, &sa, top, one, ones);
        step(eb, &vpb, &vnb, &sb, top, one, ones);
        i++;
        /* score <= k  <=>  k + 1 > score (scores stay small and positive) */
        unsigned ma =
            (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(lim, sa)));
        unsigned mb =
            (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(lim, sb)));
        mask = ma | (mb << 4);
        if (mask)
            break;
    }
    _mm256_storeu_si256((__m256i *)&L->vp[0], vpa);
    _mm256_storeu_si256((__m256i *)&L->vp[4], vpb);
    _mm256_storeu_si256((__m256i *)&L->vn[0], vna);
    _mm256_storeu_si256((__m256i *)&L->vn[4], vnb);
    _mm256_storeu_si256((__m256i *)&L->score[0], sa);
    _mm256_storeu_si256((__m256i *)&L->score[4], sb);
    *hits = mask;
    return mask ? i - 1 : n;
}

/* Bitap with K errors, four lanes in one register per error level. K is a
 * constant in each instantiation so that the levels stay in registers. */
TARGET static inline size_t bitap_x4(const fz_pat *p, uint64_t (*r)[4], const uint8_t *const b[4],
                                     size_t n, unsigned *hits, const int K)
{
    const uint64_t *peq = p->peq;
    const __m256i one = _mm256_set1_epi64x(1), zero = _mm256_setzero_si256();
    const __m256i hb = _mm256_set1_epi64x((long long)(1ull << (p->km - 1)));
    __m256i R[4];
    for (int d = 0; d <= K; d++)
        R[d] = _mm256_loadu_si256((const __m256i *)r[d]);
    size_t i = 0;
    unsigned mask = 0;
    while (i < n) {
        __m256i eq = gather_eq(peq, b, i);
        __m256i prev = R[0];
        R[0] = _mm256_and_si256(_mm256_or_si256(_mm256_slli_epi64(R[0], 1), one), eq);
        for (int d = 1; d <= K; d++) {
            __m256i old = R[d];
            R[d] = _mm256_or_si256(
                _mm256_and_si256(_mm256_or_si256(_mm256_slli_epi64(old, 1), one), eq),
                _mm256_or_si256(_mm256_slli_epi64(prev, 1), one));
            prev = old;
        }
        i++;
        __m256i none = _mm256_cmpeq_epi64(_mm256_and_si256(R[K], hb), zero);
        mask = ~(unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(none)) & 15u;
        if (mask)
            break;
    }
    for (int d = 0; d <= K; d++)
        _mm256_storeu_si256((__m256i *)r[d], R[d]);
    *hits = mask;
    return mask ? i - 1 : n;
}

TARGET size_t trawl__fz_bitap_x4(const fz_pat *p, uint64_t (*r)[4], const uint8_t *const b[4],
                                 size_t n, unsigned *hits)
{
    switch (p->k) {
    case 0:
        return bitap_x4(p, r, b, n, hits, 0);
    case 1:
        return bitap_x4(p, r, b, n, hits, 1);
    case 2:
        return bitap_x4(p, r, b, n, hits, 2);
    default:
        return bitap_x4(p, r, b, n, hits, 3);
    }
}

#else

bool trawl__fz_have_avx2(void)
{
    return false;
}

size_t trawl__fz_myers1_x8(const fz_pat *p, fz_lanes8 *L, const uint8_t *const b[8], size_t n,
                           unsigned *hits)
{
    (void)p, (void)L, (void)b;
    *hits = 0;
    return n;
}

size_t trawl__fz_bitap_x4(const fz_pat *p, uint64_t (*r)[4], const uint8_t *const b[4], size_t n,
                          unsigned *hits)
{
    (void)p, (void)r, (void)b;
    *hits = 0;
    return n;
}

#endif
