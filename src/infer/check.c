/* check.c -- the checksum families other than CRC (sums, ones'-complement
 * sum, XOR, Fletcher, Adler), computing any family, and recovery across
 * all of them.
 *
 * Each non-CRC family is affine in a constant once its word size and byte
 * order are fixed: value = sum + init, init - sum, xor ^ init, or a fixed
 * function (Fletcher, Adler). Recovery therefore reads the constant off the
 * first sample and checks it on every other one: O(bytes) per variant. */
#include "infer/check_int.h"
#include "common/error.h"

#include <stdio.h>
#include <string.h>

static uint64_t mask_of(unsigned w)
{
    return w >= 64 ? ~0ull : (1ull << w) - 1;
}

/* Word i of p[0..n) as `word` bytes; a short last word is zero-padded at
 * its end (as RFC 1071 pads an odd byte). */
static uint64_t word_at(const uint8_t *p, size_t n, size_t i, unsigned word, bool le)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < word; k++) {
        size_t at = i + k;
        uint64_t b = at < n ? p[at] : 0;
        v |= le ? b << (8 * k) : b << (8 * (word - 1 - k));
    }
    return v;
}

static uint64_t plain_sum(const uint8_t *p, size_t n, unsigned word, bool le)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i += word)
        s += word_at(p, n, i, word, le);
    return s;
}

static uint64_t xor_all(const uint8_t *p, size_t n, unsigned word, bool le)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i += word)
        s ^= word_at(p, n, i, word, le);
    return s;
}

/* 16-bit ones'-complement sum with end-around carry, big-endian words. */
static uint64_t ones_sum16(const uint8_t *p, size_t n, bool le)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i += 2) {
        s += word_at(p, n, i, 2, le);
        s = (s & 0xFFFF) + (s >> 16);
    }
    return s;
}

static uint64_t ones_add16(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return (s & 0xFFFF) + (s >> 16);
}

static uint64_t fletcher(const uint8_t *p, size_t n, unsigned word, bool le, bool swap)
{
    uint64_t mod = word == 1 ? 255 : 65535, a = 0, b = 0;
    unsigned half = 8 * word;
    for (size_t i = 0; i < n; i += word) {
        a = (a + word_at(p, n, i, word, le)) % mod;
        b = (b + a) % mod;
    }
    return swap ? a << half | b : b << half | a;
}

static uint64_t adler(const uint8_t *p, size_t n, bool swap)
{
    uint64_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return swap ? a << 16 | b : b << 16 | a;
}

uint64_t trawl_check_compute(const trawl_check_algo *a, const uint8_t *p, size_t n)
{
    if (!a)
        return 0;
    uint64_t m = mask_of(a->width);
    unsigned word = a->word ? a->word : 1;
    switch (a->kind) {
    case TRAWL_CHECK_CRC:
        return trawl_crc_compute(&a->crc, p, n);
    case TRAWL_CHECK_SUM: {
        uint64_t s = plain_sum(p, n, word, a->word_le);
        return (a->negate ? a->init - s : a->init + s) & m;
    }
    case TRAWL_CHECK_ONES_SUM: {
        uint64_t s = ones_add16(ones_sum16(p, n, a->word_le), a->init & 0xFFFF);
        return (a->negate ? ~s : s) & 0xFFFF;
    }
    case TRAWL_CHECK_XOR:
        return (xor_all(p, n, word, a->word_le) ^ a->init) & m;
    case TRAWL_CHECK_FLETCHER:
        return fletcher(p, n, word, a->word_le, a->swap) & m;
    case TRAWL_CHECK_ADLER:
        return adler(p, n, a->swap) & m;
    }
    return 0;
}

const char *trawl_check_kind_name(trawl_check_kind k)
{
    static const char *const names[] = {"crc", "sum", "ones-sum", "xor", "fletcher", "adler"};
    return (unsigned)k < TRAWL_CHECK_KIND_COUNT ? names[k] : "unknown";
}

int trawl_check_describe(const trawl_check_algo *a, char *buf, size_t cap)
{
    int hx = (int)(a->width + 3) / 4;
    const char *order = a->word > 1 ? (a->word_le ? " words=le" : " words=be") : "";
    switch (a->kind) {
    case TRAWL_CHECK_CRC:
        return snprintf(buf, cap,
                        "crc width=%u poly=0x%0*llx init=0x%0*llx refin=%s refout=%s "
                        "xorout=0x%0*llx",
                        a->crc.width, hx, (unsigned long long)a->crc.poly, hx,
                        (unsigned long long)a->crc.init, a->crc.refin ? "true" : "false",
                        a->crc.refout ? "true" : "false", hx, (unsigned long long)a->crc.xorout);
    case TRAWL_CHECK_SUM:
        return snprintf(buf, cap, "sum width=%u word=%u%s %s init=0x%0*llx", a->width, a->word,
                        order, a->negate ? "value=init-sum" : "value=sum+init", hx,
                        (unsigned long long)a->init);
    case TRAWL_CHECK_ONES_SUM:
        return snprintf(buf, cap, "ones-sum width=16%s%s init=0x%04llx", order,
                        a->negate ? " inverted" : "", (unsigned long long)a->init);
    case TRAWL_CHECK_XOR:
        return snprintf(buf, cap, "xor width=%u word=%u%s init=0x%0*llx", a->width, a->word, order,
                        hx, (unsigned long long)a->init);
    case TRAWL_CHECK_FLETCHER:
        return snprintf(buf, cap, "fletcher width=%u word=%u%s%s", a->width, a->word, order,
                        a->swap ? " swapped" : "");
    case TRAWL_CHECK_ADLER:
        return snprintf(buf, cap, "adler width=32%s", a->swap ? " swapped" : "");
    }
    return snprintf(buf, cap, "unknown");
}

/* true when every sample agrees with a (a's constant already set). */
static bool fits_all(const trawl_check_algo *a, const trawl_check_sample *s, size_t n)
{
    uint64_t m = mask_of(a->width);
    for (size_t i = 0; i < n; i++)
        if (trawl_check_compute(a, s[i].data.ptr, s[i].data.len) != (s[i].check & m))
            return false;
    return true;
}

/* Tries the closed-form families in a fixed order of plausibility. */
static bool recover_simple(const trawl_check_sample *s, size_t n, unsigned w, unsigned kinds,
                           trawl_check_algo *out)
{
    uint64_t m = mask_of(w);
    static const unsigned words[] = {1, 2, 4};
    trawl_check_algo a;
    for (unsigned wi = 0; wi < 3; wi++) {
        unsigned word = words[wi];
        if (8 * word > w)
            break;
        for (int le = 0; le < (word > 1 ? 2 : 1); le++) {
            uint64_t s0 = plain_sum(s[0].data.ptr, s[0].data.len, word, le);
            uint64_t x0 = xor_all(s[0].data.ptr, s[0].data.len, word, le);
            if (kinds & 1u << TRAWL_CHECK_SUM) {
                for (int neg = 0; neg < 2; neg++) {
                    a = (trawl_check_algo){.kind = TRAWL_CHECK_SUM,
                                           .width = w,
                                           .word = word,
                                           .word_le = le,
                                           .negate = neg};
                    a.init = (neg ? s[0].check + s0 : s[0].check - s0) & m;
                    if (fits_all(&a, s, n))
                        goto done;
                }
            }
            if ((kinds & 1u << TRAWL_CHECK_XOR) && 8 * word == w) {
                a = (trawl_check_algo){.kind = TRAWL_CHECK_XOR,
                                       .width = w,
                                       .word = word,
                                       .word_le = le,
                                       .init = (s[0].check ^ x0) & m};
                if (fits_all(&a, s, n))
                    goto done;
            }
        }
    }
    if (w == 16 && (kinds & 1u << TRAWL_CHECK_ONES_SUM)) {
        for (int le = 0; le < 2; le++)
            for (int neg = 0; neg < 2; neg++) {
                a = (trawl_check_algo){.kind = TRAWL_CHECK_ONES_SUM,
                                       .width = 16,
                                       .word = 2,
                                       .word_le = le,
                                       .negate = neg};
                uint64_t s0 = ones_sum16(s[0].data.ptr, s[0].data.len, le);
                uint64_t want = neg ? ~s[0].check & 0xFFFF : s[0].check & 0xFFFF;
                /* want = s0 +' init: init = want -' s0 (ones'-complement) */
                a.init = ones_add16(want, ~s0 & 0xFFFF);
                if (fits_all(&a, s, n))
                    goto done;
                a.init = a.init == 0xFFFF ? 0 : a.init; /* +0 and -0 */
                if (fits_all(&a, s, n))
                    goto done;
            }
    }
    if ((w == 16 || w == 32) && (kinds & 1u << TRAWL_CHECK_FLETCHER)) {
        unsigned word = w / 16;
        for (int le = 0; le < (word > 1 ? 2 : 1); le++)
            for (int sw = 0; sw < 2; sw++) {
                a = (trawl_check_algo){.kind = TRAWL_CHECK_FLETCHER,
                                       .width = w,
                                       .word = word,
                                       .word_le = le,
                                       .swap = sw};
                if (fits_all(&a, s, n))
                    goto done;
            }
    }
    if (w == 32 && (kinds & 1u << TRAWL_CHECK_ADLER)) {
        for (int sw = 0; sw < 2; sw++) {
            a = (trawl_check_algo){.kind = TRAWL_CHECK_ADLER, .width = 32, .swap = sw};
            if (fits_all(&a, s, n))
                goto done;
        }
    }
    return false;
done:
    *out = a;
    return true;
}

trawl_status trawl_check_recover(const trawl_check_sample *s, size_t n, unsigned width,
                                 unsigned kinds, trawl_check_algo *out, bool *found,
                                 trawl_error *err)
{
    if (!s || !out || !found)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *found = false;
    if (n < 2)
        return trawl__fail(err, TRAWL_EINVAL, "at least 2 samples are needed, got %zu", n);
    if (width < 1 || width > 64)
        return trawl__fail(err, TRAWL_EINVAL, "width %u is not 1..64", width);
    bool search = !(kinds & TRAWL_CHECK_NO_SEARCH);
    kinds &= TRAWL_CHECK_ALL_KINDS;
    if (!kinds)
        kinds = TRAWL_CHECK_ALL_KINDS;
    uint64_t m = mask_of(width);
    bool varied = false;
    for (size_t i = 1; i < n; i++)
        if ((s[i].check & m) != (s[0].check & m))
            varied = true;
    if (!varied)
        return TRAWL_OK;
    if (recover_simple(s, n, width, kinds, out)) {
        *found = true;
        return TRAWL_OK;
    }
    if (!(kinds & 1u << TRAWL_CHECK_CRC))
        return TRAWL_OK;
    trawl_crc_params c;
    trawl_status st = trawl__crc_recover(s, n, width, search, &c, found);
    if (st != TRAWL_OK)
        return trawl__fail(err, st, "out of memory recovering a CRC");
    if (*found)
        *out = (trawl_check_algo){.kind = TRAWL_CHECK_CRC, .width = width, .crc = c};
    return TRAWL_OK;
}
