/* windows_avx2.c -- the per-block kernel of the sliding-window entropy
 * (windows.c) with AVX2, chosen at run time: a block's four 16-bit
 * sub-histograms summed sixteen bins per register and cleared for the next
 * block, the sum added to the running prefix histogram, the ring slot
 * swapped and the window's 32-bit counts moved by the difference, and the
 * window's empty bins counted by a compare and a popcount. The portable
 * loop in windows.c gives the same counts. */
#include "analyze/analyze_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TARGET __attribute__((target("avx2")))

bool trawl__an_have_avx2_only(void)
{
    return __builtin_cpu_supports("avx2");
}

TARGET unsigned trawl__an_block_step_avx2(uint16_t h4[4][256], uint16_t slot[256],
                                          uint32_t win[256], uint32_t acc[256])
{
    const __m256i zero = _mm256_setzero_si256();
    unsigned empty = 0;
    for (int b = 0; b < 256; b += 16) {
        __m256i a = _mm256_loadu_si256((const __m256i *)&h4[0][b]);
        a = _mm256_add_epi16(a, _mm256_loadu_si256((const __m256i *)&h4[1][b]));
        a = _mm256_add_epi16(a, _mm256_loadu_si256((const __m256i *)&h4[2][b]));
        a = _mm256_add_epi16(a, _mm256_loadu_si256((const __m256i *)&h4[3][b]));
        for (int j = 0; j < 4; j++)
            _mm256_storeu_si256((__m256i *)&h4[j][b], zero);
        __m256i old = _mm256_loadu_si256((const __m256i *)&slot[b]);
        _mm256_storeu_si256((__m256i *)&slot[b], a);
        for (int half = 0; half < 2; half++) {
            __m128i n16 = half ? _mm256_extracti128_si256(a, 1) : _mm256_castsi256_si128(a);
            __m128i o16 = half ? _mm256_extracti128_si256(old, 1) : _mm256_castsi256_si128(old);
            __m256i *w = (__m256i *)&win[b + 8 * half], *c = (__m256i *)&acc[b + 8 * half];
            __m256i n32 = _mm256_cvtepu16_epi32(n16), v = _mm256_loadu_si256(w);
            _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), n32));
            v = _mm256_sub_epi32(_mm256_add_epi32(v, n32), _mm256_cvtepu16_epi32(o16));
            _mm256_storeu_si256(w, v);
            unsigned m =
                (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, zero)));
            empty += (unsigned)__builtin_popcount(m);
        }
    }
    return 256 - empty;
}

#else

bool trawl__an_have_avx2_only(void)
{
    return false;
}

unsigned trawl__an_block_step_avx2(uint16_t h4[4][256], uint16_t slot[256], uint32_t win[256],
                                   uint32_t acc[256])
{
    (void)h4, (void)slot, (void)win, (void)acc;
    return 0;
}

#endif
