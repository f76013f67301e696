/* crc32.c -- CRC-32 (ISO 3309, reflected 0x04C11DB7) by slicing-by-16 and
 * by carry-less-multiplication folding.
 *
 * The folding path, in the reflected bit order the CRC uses. A 16-byte
 * block read little-endian into a 128-bit register holds polynomial
 * coefficients with bit t standing for x^(127-t) (the first bit of the
 * stream is the highest power). A CRC with register preset 0 depends only on
 * M(x) mod P, so a block B that is followed by D more bits of message may be
 * replaced by any block congruent to B(x)·x^D mod P placed D bits later.
 * Split B into H (low 64 bits: powers 127..64) and L (high 64 bits: powers
 * 63..0):  B·x^D = H·x^(D+64) + L·x^D.  A carry-less product of two 64-bit
 * reflected values a, b (bit i standing for x^(63-i)) puts bit i+k at
 * x^(126-(i+k)), i.e. it is the product divided by x when read in the
 * 128-bit convention; so the multipliers are
 *     K_H = x^(D+63) mod P   and   K_L = x^(D-1) mod P,
 * each stored with x^j at bit 63-j. Both products have degree < 96 and fold
 * into the block D bits on by XOR. Four blocks are folded side by side
 * (D = 512), then onto one another (D = 384, 256, 128), then one block at a
 * time (D = 128). The last block is not reduced by multiplication: it and
 * the remaining < 16 bytes go through the tables from a zero register,
 * which gives the same remainder (the congruence above). The register's
 * preset is XORed into the first four bytes, which is what a non-zero
 * register does to the bytes that follow it. */
#include "common/crc32.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRAWL_CRC_X86 1
#include <immintrin.h>
#endif

#define CRC_POLY_REFLECTED 0xEDB88320u
#define CRC_POLY_NORMAL    0x104C11DB7ull /* with the x^32 term */

/* x^k mod P, normal bit order (bit j = x^j). */
static uint32_t xpow_mod(unsigned k)
{
    uint64_t r = 1;
    for (unsigned i = 0; i < k; i++) {
        r <<= 1;
        if (r & (1ull << 32))
            r ^= CRC_POLY_NORMAL;
    }
    return (uint32_t)r;
}

/* A degree < 32 polynomial with x^j moved to bit 63-j. */
static uint64_t reflect64(uint32_t v)
{
    uint64_t r = 0;
    for (unsigned j = 0; j < 32; j++)
        if (v >> j & 1)
            r |= 1ull << (63 - j);
    return r;
}

void trawl__crc32_init(trawl__crc32_tables *t, bool use_clmul)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? CRC_POLY_REFLECTED ^ (c >> 1) : c >> 1;
        t->t[0][i] = c;
    }
    for (int k = 1; k < 16; k++)
        for (uint32_t i = 0; i < 256; i++)
            t->t[k][i] = (t->t[k - 1][i] >> 8) ^ t->t[0][t->t[k - 1][i] & 0xFF];
    /* fold[2m], fold[2m+1] = K_H, K_L for D = 512, 384, 256, 128. */
    static const unsigned dist[4] = {512, 384, 256, 128};
    for (int m = 0; m < 4; m++) {
        t->fold[2 * m] = reflect64(xpow_mod(dist[m] + 63));
        t->fold[2 * m + 1] = reflect64(xpow_mod(dist[m] - 1));
    }
    t->clmul = false;
#ifdef TRAWL_CRC_X86
    if (use_clmul) {
        __builtin_cpu_init();
        t->clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
    }
#else
    (void)use_clmul;
#endif
}

static uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Register in, register out (no presets or inversions here). */
static uint32_t crc_tables(const trawl__crc32_tables *tab, uint32_t c, const uint8_t *p, size_t n)
{
    const uint32_t(*t)[256] = tab->t;
    while (n >= 16) {
        uint32_t a = c ^ rd32le(p), b = rd32le(p + 4), d = rd32le(p + 8), e = rd32le(p + 12);
        c = t[15][a & 0xFF] ^ t[14][(a >> 8) & 0xFF] ^ t[13][(a >> 16) & 0xFF] ^ t[12][a >> 24] ^
            t[11][b & 0xFF] ^ t[10][(b >> 8) & 0xFF] ^ t[9][(b >> 16) & 0xFF] ^ t[8][b >> 24] ^
            t[7][d & 0xFF] ^ t[6][(d >> 8) & 0xFF] ^ t[5][(d >> 16) & 0xFF] ^ t[4][d >> 24] ^
            t[3][e & 0xFF] ^ t[2][(e >> 8) & 0xFF] ^ t[1][(e >> 16) & 0xFF] ^ t[0][e >> 24];
        p += 16;
        n -= 16;
    }
    while (n--)
        c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#ifdef TRAWL_CRC_X86
__attribute__((target("pclmul,sse2"))) static inline __m128i fold(__m128i x, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/* n >= 64. */
__attribute__((target("pclmul,sse2"))) static uint32_t
crc_clmul(const trawl__crc32_tables *tab, uint32_t c, const uint8_t *p, size_t n)
{
    const uint64_t *f = tab->fold;
    __m128i k512 = _mm_set_epi64x((long long)f[1], (long long)f[0]);
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)c));
    p += 64;
    n -= 64;
    while (n >= 64) {
        x0 = _mm_xor_si128(fold(x0, k512), _mm_loadu_si128((const __m128i *)p));
        x1 = _mm_xor_si128(fold(x1, k512), _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = _mm_xor_si128(fold(x2, k512), _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = _mm_xor_si128(fold(x3, k512), _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    __m128i k384 = _mm_set_epi64x((long long)f[3], (long long)f[2]);
    __m128i k256 = _mm_set_epi64x((long long)f[5], (long long)f[4]);
    __m128i k128 = _mm_set_epi64x((long long)f[7], (long long)f[6]);
    __m128i x = _mm_xor_si128(_mm_xor_si128(fold(x0, k384), fold(x1, k256)),
                              _mm_xor_si128(fold(x2, k128), x3));
    while (n >= 16) {
        x = _mm_xor_si128(fold(x, k128), _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)last, x);
    return crc_tables(tab, crc_tables(tab, 0, last, 16), p, n);
}
#endif

uint32_t trawl__crc32(const trawl__crc32_tables *t, uint32_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = ~crc;
    if (n == 0)
        return crc;
#ifdef TRAWL_CRC_X86
    if (t->clmul && n >= 64)
        return ~crc_clmul(t, c, p, n);
#endif
    return ~crc_tables(t, c, p, n);
}
