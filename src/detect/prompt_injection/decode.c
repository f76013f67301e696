/* prompt_injection/decode.c -- encoded runs in a prompt and their decoding.
 *
 * A run is only worth scanning when it decodes to text: ordinary long words
 * are valid base64 too, but they decode to bytes that are not UTF-8 text,
 * and pi_is_text() throws them away. Input is hostile: every index is
 * checked against n, output against cap. */
#include "detect/prompt_injection/decode.h"

#include <pthread.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "common/codec.h"

const char *pi_enc_name(pi_enc e)
{
    switch (e) {
    case PI_ENC_BASE64:
        return "base64";
    case PI_ENC_HEX:
        return "hex";
    case PI_ENC_ESCHEX:
        return "hex-escape";
    case PI_ENC_URL:
        return "url";
    default:
        return "none";
    }
}

#define MIN_B64 12
#define MIN_HEX 16
#define MIN_ESC 8
#define MIN_PCT 3

/* Byte classes, one table lookup per byte on the hot path. */
enum { C_WS = 1, C_B64 = 2, C_HEX = 4, C_ESC = 8 /* '%' or '\\' */ };
static uint8_t cls[256];
static void init_classes(void)
{
    for (int c = 0; c < 256; c++)
        cls[c] =
            (uint8_t)((c == ' ' || (c >= '\t' && c <= '\r') ? C_WS : 0) |
                      (trawl__b64val(c) >= 0 ? C_B64 : 0) | (trawl__hexval(c) >= 0 ? C_HEX : 0) |
                      (c == '%' || c == '\\' ? C_ESC : 0));
}

#ifdef __SSE2__
/* Bit i set when p[i] is white space (' ', '\t'..'\r'), for 64 bytes. */
static uint64_t ws_mask64(const uint8_t *p)
{
    uint64_t m = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * q));
        /* '\t'..'\r': v - 9 <= 4 unsigned, i.e. max(v - 9, 4) == 4 */
        __m128i ctl = _mm_cmpeq_epi8(
            _mm_max_epu8(_mm_sub_epi8(v, _mm_set1_epi8(9)), _mm_set1_epi8(4)), _mm_set1_epi8(4));
        __m128i sp = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(sp) << (16 * q);
    }
    return m;
}
#endif

/* Base64/hex runs inside one whitespace-free token [i, j). */
static size_t token_runs(const uint8_t *s, size_t i, size_t j, pi_run *runs, size_t k, size_t max)
{
    while (i < j && k < max) {
        if (!(cls[s[i]] & C_B64)) {
            i++;
            continue;
        }
        size_t a = i;
        unsigned hex = C_HEX;
        while (i < j && (cls[s[i]] & C_B64))
            hex &= cls[s[i++]];
        size_t core = i - a;
        for (int pad = 0; pad < 2 && i < j && s[i] == '='; pad++)
            i++;
        if (hex && core >= MIN_HEX && core % 2 == 0)
            runs[k++] = (pi_run){PI_ENC_HEX, a, i - a};
        else if (core >= MIN_B64)
            runs[k++] = (pi_run){PI_ENC_BASE64, a, i - a};
    }
    return k;
}

size_t pi_find_runs(const uint8_t *s, size_t n, pi_run *runs, size_t max_runs)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_classes);
    size_t k = 0;
    if (!memchr(s, '%', n) && !memchr(s, '\\', n)) {
        /* no escapes anywhere (most text): only tokens long enough to hold
         * a base64 or hex run matter. Token boundaries come from a mask of
         * the white space in each 64 bytes; the bytes of short words are
         * never looked at one by one. */
        size_t start = 0, i = 0; /* start: of the current token */
#ifdef __SSE2__
        for (; n - i >= 64 && k < max_runs; i += 64) {
            for (uint64_t ws = ws_mask64(s + i); ws && k < max_runs; ws &= ws - 1) {
                size_t p = i + (size_t)__builtin_ctzll(ws);
                if (p - start >= MIN_B64)
                    k = token_runs(s, start, p, runs, k, max_runs);
                start = p + 1;
            }
        }
#endif
        for (; i < n && k < max_runs; i++) {
            if (!(cls[s[i]] & C_WS))
                continue;
            if (i - start >= MIN_B64)
                k = token_runs(s, start, i, runs, k, max_runs);
            start = i + 1;
        }
        if (k < max_runs && n - start >= MIN_B64)
            k = token_runs(s, start, n, runs, k, max_runs);
        return k;
    }
    for (size_t i = 0; i < n && k < max_runs;) {
        if (cls[s[i]] & C_WS) {
            i++;
            continue;
        }
        size_t j = i, pct = 0, esc = 0;
        for (; j < n && !(cls[s[j]] & C_WS); j++) {
            if (!(cls[s[j]] & C_ESC))
                continue;
            if (s[j] == '%') {
                pct += j + 2 < n && (cls[s[j + 1]] & cls[s[j + 2]] & C_HEX);
            } else if (s[j] == '\\') {
                esc += j + 3 < n && (s[j + 1] | 0x20) == 'x' &&
                       (cls[s[j + 2]] & cls[s[j + 3]] & C_HEX);
            }
        }
        if (pct >= MIN_PCT)
            runs[k++] = (pi_run){PI_ENC_URL, i, j - i};
        else if (esc >= MIN_ESC)
            runs[k++] = (pi_run){PI_ENC_ESCHEX, i, j - i};
        else if (j - i >= MIN_B64) /* shorter tokens hold no run */
            k = token_runs(s, i, j, runs, k, max_runs);
        i = j;
    }
    return k;
}

static size_t dec_base64(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    size_t k = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        int v = trawl__b64val(p[i]);
        if (v < 0)
            break; /* padding */
        acc = (acc << 6 | (uint32_t)v) & 0xFFFFFFu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k;
}

static size_t dec_hex(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i + 1 < n && k < cap; i += 2) {
        int hi = trawl__hexval(p[i]), lo = trawl__hexval(p[i + 1]);
        if (hi < 0 || lo < 0)
            break; /* the run ends at the first non-hex pair */
        out[k++] = (uint8_t)(hi << 4 | lo);
    }
    return k;
}

/* \xNN and %XX: escapes decoded, other bytes copied ('+' is a space in URL
 * encoding). */
static size_t dec_escapes(const uint8_t *p, size_t n, int url, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap;) {
        if (url && p[i] == '%' && i + 2 < n && trawl__hexval(p[i + 1]) >= 0 &&
            trawl__hexval(p[i + 2]) >= 0) {
            out[k++] = (uint8_t)(trawl__hexval(p[i + 1]) << 4 | trawl__hexval(p[i + 2]));
            i += 3;
        } else if (!url && p[i] == '\\' && i + 3 < n && (p[i + 1] | 0x20) == 'x' &&
                   trawl__hexval(p[i + 2]) >= 0 && trawl__hexval(p[i + 3]) >= 0) {
            out[k++] = (uint8_t)(trawl__hexval(p[i + 2]) << 4 | trawl__hexval(p[i + 3]));
            i += 4;
        } else {
            out[k++] = url && p[i] == '+' ? ' ' : p[i];
            i++;
        }
    }
    return k;
}

size_t pi_decode_run(const uint8_t *s, const pi_run *r, pi_enc kind, uint8_t *out, size_t cap)
{
    const uint8_t *p = s + r->off;
    switch (kind) {
    case PI_ENC_BASE64:
        return dec_base64(p, r->len, out, cap);
    case PI_ENC_HEX:
        return dec_hex(p, r->len, out, cap);
    case PI_ENC_ESCHEX:
        return dec_escapes(p, r->len, 0, out, cap);
    case PI_ENC_URL:
        return dec_escapes(p, r->len, 1, out, cap);
    default:
        return 0;
    }
}

int pi_is_text(const uint8_t *p, size_t n)
{
    size_t letters = 0, alpha = 0, ascii = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return 0;
            if (c == 0x7F)
                return 0;
            ascii++;
            alpha += (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
            letters += ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == ' ';
            i++;
            continue;
        }
        size_t need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c <= 0xDF ? 1 : 9;
        if (need == 9 || c > 0xF4)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n)
                goto done; /* a sequence cut at the end of the run */
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        }
        i += need + 1;
    }
done:
    return alpha >= 4 && letters * 10 >= ascii * 6;
}
