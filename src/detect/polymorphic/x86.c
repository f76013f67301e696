/* polymorphic/x86.c -- checks on x86 byte sequences that the rule pack's shellcode
 * patterns only prefilter (a regex cannot compare a jump's target with the
 * position of another instruction), and the known-plaintext test for
 * executables hidden under a repeating XOR key. */
#include <string.h>

#include "detect/polymorphic/poly.h"

/* ---- XOR decoder loops ------------------------------------------------------ */

/* Does p[q..] advance register reg (inc, add imm, sub negative imm)? Returns
 * the instruction length, 0 when not. 32-bit inc (40+r) is accepted too:
 * decoders are mostly 32-bit. */
static size_t advances(const uint8_t *p, size_t n, size_t q, unsigned reg, bool x64)
{
    if (!x64 && q < n && p[q] == 0x40 + reg)
        return 1;
    size_t rex = (x64 && q < n && (p[q] & 0xf0) == 0x40) ? 1 : 0;
    size_t o = q + rex;
    if (o + 1 >= n)
        return 0;
    uint8_t op = p[o], m = p[o + 1];
    if (op == 0xff && m == 0xc0 + reg) /* inc r */
        return rex + 2;
    if (op == 0x83 && m == 0xc0 + reg && o + 2 < n && p[o + 2] < 0x80) /* add r, +imm8 */
        return rex + 3;
    if (op == 0x83 && m == 0xe8 + reg && o + 2 < n && p[o + 2] >= 0x80) /* sub r, -imm8 */
        return rex + 3;
    if (reg == 0 && op == 0x2d && o + 4 < n && p[o + 4] >= 0x80) /* sub eax, -imm32 */
        return rex + 5;
    if (reg == 0 && op == 0x05 && o + 4 < n && p[o + 4] < 0x80) /* add eax, imm32 */
        return rex + 5;
    return 0;
}

/* A backward loop/loope/loopne at p[q] landing in [lo, hi]. */
static bool loops_back(const uint8_t *p, size_t n, size_t q, size_t lo, size_t hi)
{
    if (q + 1 >= n || p[q] < 0xe0 || p[q] > 0xe2)
        return false;
    int8_t rel = (int8_t)p[q + 1];
    if (rel >= 0)
        return false;
    size_t t = q + 2 - (size_t)(-(int)rel);
    return t >= lo && t <= hi;
}

bool poly_xor_loop_at(const uint8_t *p, size_t n, size_t s, bool x64, size_t *loop_at)
{
    size_t o = s;
    if (x64 && o < n && p[o] == 0x48)
        o++;
    if (o + 2 > n)
        return false;
    uint8_t op = p[o], m = p[o + 1];
    unsigned mod = m >> 6, regf = (m >> 3) & 7, rm = m & 7;
    size_t imm;
    if (op == 0x80 || op == 0x81) {
        if (regf != 6) /* /6 is XOR */
            return false;
        imm = op == 0x80 ? 1 : 4;
    } else if (op == 0x30 || op == 0x31) {
        imm = 0;
    } else {
        return false;
    }
    /* [reg] or [reg+disp8]; no SIB, no absolute address. */
    if (mod > 1 || rm == 4 || (mod == 0 && rm == 5))
        return false;
    size_t len = (o - s) + 2 + mod + imm;
    size_t lo = s > 12 ? s - 12 : 0;
    /* A tight loop: the pointer advance comes within 8 bytes of the XOR, and
     * the loop instruction follows the advance directly (or after one more
     * advance, of a second pointer or the key). Loose byte proximity is not
     * enough: in x86-64 code 40-4F are REX prefixes and E0-E2 common ModRM
     * bytes, so chance sequences abound inside ordinary instructions. */
    for (size_t q = s + len; q <= s + len + 8 && q < n; q++) {
        size_t k = advances(p, n, q, rm, x64);
        if (!k)
            continue;
        size_t r = q + k;
        if (loops_back(p, n, r, lo, s)) {
            *loop_at = r;
            return true;
        }
        for (unsigned g = 0; g < 8; g++) {
            size_t k2 = g == rm ? 0 : advances(p, n, r, g, x64);
            if (k2 && loops_back(p, n, r + k2, lo, s)) {
                *loop_at = r + k2;
                return true;
            }
        }
    }
    return false;
}

bool poly_xor_loop_tail(const uint8_t *p, size_t n, size_t s, size_t len, int mode, size_t *xor_at)
{
    if (len < 3 || s + len > n)
        return false;
    size_t q = s + len - 2; /* the loop instruction */
    int8_t rel = (int8_t)p[q + 1];
    if (rel >= 0 || (size_t)(-(int)rel) > q + 2)
        return false;
    size_t t = q + 2 - (size_t)(-(int)rel);
    for (size_t x = t; x <= t + 12 && x < s; x++) {
        size_t loop_at;
        for (int m = 0; m < 2; m++) {
            bool x64 = m == 1;
            if ((mode == 32 && x64) || (mode == 64 && !x64))
                continue;
            if (poly_xor_loop_at(p, n, x, x64, &loop_at) && loop_at == q) {
                *xor_at = x;
                return true;
            }
        }
    }
    return false;
}

bool poly_jmp_call_pop_at(const uint8_t *p, size_t n, size_t s)
{
    /* s: E8 rel32 with a small negative displacement. */
    if (s + 5 > n || p[s] != 0xe8)
        return false;
    int32_t rel = (int32_t)((uint32_t)p[s + 1] | (uint32_t)p[s + 2] << 8 |
                            (uint32_t)p[s + 3] << 16 | (uint32_t)p[s + 4] << 24);
    if (rel >= 0 || rel < -128)
        return false;
    size_t t = s + 5 - (size_t)(-(int64_t)rel);
    if (t < 2 || t >= s || p[t] < 0x58 || p[t] > 0x5f) /* pop r32 */
        return false;
    /* The jmp short just before the pop must land on the call. */
    return p[t - 2] == 0xeb && t + (size_t)p[t - 1] == s && p[t - 1] < 0x80;
}

const char *const poly_loop_label[POLY_LOOP_FORMS] = {
    "xor_loop_inc", "xor_loop_inc_ff", "xor_loop_add", "xor_loop_sub", "xor_loop_sub_eax"};
const unsigned char poly_loop_back[POLY_LOOP_FORMS] = {1, 2, 3, 3, 5};

/* The forms that end at the loop opcode p[q] (already known to be E0-E2
 * followed by a byte >= 0x80). */
static unsigned loop_forms(const uint8_t *p, size_t q)
{
    unsigned f = 0;
    if (q < 1)
        return 0;
    uint8_t a = p[q - 1];
    f |= (unsigned)(a >= 0x40 && a <= 0x47) << POLY_LOOP_INC;
    if (q < 2)
        return f;
    uint8_t b = p[q - 2];
    f |= (unsigned)(b == 0xFF && a >= 0xC0 && a <= 0xC7) << POLY_LOOP_INC_FF;
    if (q < 3)
        return f;
    bool op83 = p[q - 3] == 0x83;
    f |= (unsigned)(op83 && b >= 0xC0 && b <= 0xC7 && a >= 0x01 && a <= 0x7F) << POLY_LOOP_ADD;
    f |= (unsigned)(op83 && b >= 0xE8 && b <= 0xEF && a >= 0x80) << POLY_LOOP_SUB;
    if (q < 5)
        return f;
    f |= (unsigned)(p[q - 5] == 0x2D && a >= 0x80) << POLY_LOOP_SUB_EAX;
    return f;
}

static bool loop_at(const uint8_t *p, size_t q)
{
    return (uint8_t)(p[q] - 0xE0) < 3 && p[q + 1] >= 0x80;
}

/* Thirty-two candidate positions at a time: bit i of the result is set
 * when p[i] is a loop opcode (E0-E2) followed by a backward rel8 (>= 0x80).
 * About one position in 170 of random bytes passes; only those are then
 * checked for an advance before them. SSE2 (every x86-64) where there is
 * one, GCC/Clang vector extensions elsewhere. */
#ifdef __SSE2__
#include <emmintrin.h>

static uint32_t loop_mask32(const uint8_t *p)
{
    const __m128i lo = _mm_set1_epi8((char)0xE0), two = _mm_set1_epi8(2);
    uint32_t m = 0;
    for (int h = 0; h < 2; h++) {
        __m128i l = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * h)), lo);
        __m128i r = _mm_loadu_si128((const __m128i *)(p + 16 * h + 1));
        __m128i op = _mm_cmpeq_epi8(_mm_min_epu8(l, two), l); /* l - E0 <= 2 */
        m |= (uint32_t)_mm_movemask_epi8(_mm_and_si128(op, r)) << (16 * h);
    }
    return m;
}
#else
typedef uint8_t poly_v16 __attribute__((vector_size(16)));

static uint32_t loop_mask32(const uint8_t *p)
{
    const poly_v16 zero = {0};
    const poly_v16 lo = zero + 0xE0, three = zero + 3;
    uint32_t m = 0;
    for (int h = 0; h < 2; h++) {
        poly_v16 l, r;
        memcpy(&l, p + 16 * h, 16);
        memcpy(&r, p + 16 * h + 1, 16);
        poly_v16 v = (poly_v16)((poly_v16)(l - lo) < three) & r;
        uint64_t w[2];
        memcpy(w, &v, 16);
        for (int j = 0; j < 16; j++)
            m |= (uint32_t)(w[j / 8] >> (8 * (j % 8) + 7) & 1) << (16 * h + j);
    }
    return m;
}
#endif

size_t poly_loop_tail_next(const uint8_t *p, size_t n, size_t from, unsigned *forms)
{
    size_t q = from;
    for (; n >= 33 && q <= n - 33; q += 32) { /* lanes q..q+31 read up to p[q + 32] */
        for (uint32_t m = loop_mask32(p + q); m; m &= m - 1) {
            size_t at = q + (unsigned)__builtin_ctz(m);
            if ((*forms = loop_forms(p, at)))
                return at;
        }
    }
    for (; q + 2 <= n; q++)
        if (loop_at(p, q) && (*forms = loop_forms(p, q)))
            return q;
    *forms = 0;
    return n;
}

/* ---- XOR-encoded ELF ------------------------------------------------------- */

static uint64_t dec(const uint8_t *c, const uint8_t *key, size_t kl, size_t at, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)(c[at + i] ^ key[(at + i) % kl]) << (8 * i);
    return v;
}

/* With key solved on e_ident, is the rest of the header an ELF header? */
static bool header_ok(const uint8_t *c, size_t avail, const uint8_t *key, size_t kl, int bits)
{
    size_t eh = bits == 64 ? 64 : 52;
    if (avail < eh)
        return false;
    /* Only little-endian candidates are tried (see the plaintexts below). */
    uint64_t type = dec(c, key, kl, 16, 2), machine = dec(c, key, kl, 18, 2);
    if (type < 1 || type > 4 || machine == 0 || dec(c, key, kl, 20, 4) != 1)
        return false;
    size_t b = bits == 64 ? 52 : 40;
    uint64_t ehsize = dec(c, key, kl, b, 2), phent = dec(c, key, kl, b + 2, 2);
    uint64_t phnum = dec(c, key, kl, b + 4, 2), shent = dec(c, key, kl, b + 6, 2);
    uint64_t shnum = dec(c, key, kl, b + 8, 2);
    if (ehsize != eh)
        return false;
    if (phnum && phent != (bits == 64 ? 56u : 32u))
        return false;
    if (shnum && shent != (bits == 64 ? 64u : 40u))
        return false;
    return phnum || shnum;
}

bool poly_xor_elf_at(const uint8_t *p, size_t n, uint64_t off, poly_xor_hit *hit)
{
    if (off >= n || n - off < 64)
        return false;
    const uint8_t *c = p + off;
    size_t avail = n - off;
    static const uint8_t abis[] = {0, 3, 9}; /* System V, Linux, FreeBSD */
    for (size_t kl = 1; kl <= POLY_XOR_MAX_KEY; kl++) {
        for (int cls = 1; cls <= 2; cls++) {
            for (size_t a = 0; a < sizeof abis; a++) {
                uint8_t plain[16] = {0x7f, 'E', 'L', 'F', (uint8_t)cls, 1, 1, abis[a]};
                uint8_t key[POLY_XOR_MAX_KEY];
                bool set[POLY_XOR_MAX_KEY] = {false};
                bool ok = true;
                for (size_t i = 0; i < 16 && ok; i++) {
                    uint8_t k = c[i] ^ plain[i];
                    size_t j = i % kl;
                    if (set[j] && key[j] != k)
                        ok = false;
                    key[j] = k;
                    set[j] = true;
                }
                if (!ok)
                    continue;
                bool zero = true;
                for (size_t j = 0; j < kl; j++)
                    zero = zero && key[j] == 0;
                if (zero || !header_ok(c, avail, key, kl, cls == 2 ? 64 : 32))
                    continue;
                hit->offset = off;
                hit->key_len = kl;
                memcpy(hit->key, key, kl);
                hit->bits = cls == 2 ? 64 : 32;
                hit->machine = (uint16_t)dec(c, key, kl, 18, 2);
                return true;
            }
        }
    }
    return false;
}
