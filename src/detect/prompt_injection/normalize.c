/* normalize.c -- canonical text for rule matching: case fold, confusable
 * fold, invisible characters out, white space collapsed; and the leetspeak
 * and rot13 views of the result.
 *
 * Input is hostile: UTF-8 is decoded by hand with every length checked, an
 * invalid or truncated sequence costs one byte and is copied through, and
 * the output is bounded by the input (a code point never grows when it is
 * folded), so the caller can size the buffers from the input length. */
#include "detect/prompt_injection/normalize.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

int pi_text_reserve(pi_text *t, size_t n, size_t max)
{
    if (n > max || n > UINT32_MAX - 1)
        return -1;
    if (n + 1 <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < n + 1)
        cap *= 2;
    uint8_t *s = realloc(t->s, cap);
    if (!s)
        return -1;
    t->s = s;
    uint32_t *m = realloc(t->map, cap * sizeof(*m));
    if (!m)
        return -1;
    t->map = m;
    uint8_t *f = realloc(t->fl, cap);
    if (!f)
        return -1;
    t->fl = f;
    t->cap = cap;
    return 0;
}

void pi_text_free(pi_text *t)
{
    free(t->s);
    free(t->map);
    free(t->fl);
    memset(t, 0, sizeof(*t));
}

/* Decodes one UTF-8 sequence at p[0..n), n >= 1. Returns the code point and
 * its length in *len; an invalid, overlong or truncated sequence gives -1
 * with *len = 1. */
static int32_t utf8_next(const uint8_t *p, size_t n, size_t *len)
{
    uint8_t c = p[0];
    *len = 1;
    if (c < 0x80)
        return c;
    size_t need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1Fu, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0Fu, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07u, min = 0x10000;
    else
        return -1;
    if (n < need + 1)
        return -1;
    for (size_t i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = need + 1;
    return (int32_t)cp;
}

/* What a code point becomes. */
enum { K_COPY, K_SPACE, K_ZW, K_BIDI, K_TAG, K_COMBINING, K_SILENT, K_FOLD, K_LATIN };

static int is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* Cyrillic and Greek letters that look like ASCII letters, sorted. */
static const struct {
    uint16_t cp;
    char to;
} lookalike[] = {
    {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'}, {0x0397, 'h'}, {0x0399, 'i'},
    {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'}, {0x03A4, 't'},
    {0x03A5, 'y'}, {0x03A7, 'x'}, {0x03B1, 'a'}, {0x03B5, 'e'}, {0x03B9, 'i'}, {0x03BA, 'k'},
    {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'},
    {0x0405, 's'}, {0x0406, 'i'}, {0x0408, 'j'}, {0x0410, 'a'}, {0x0412, 'b'}, {0x0415, 'e'},
    {0x041A, 'k'}, {0x041C, 'm'}, {0x041D, 'h'}, {0x041E, 'o'}, {0x0420, 'p'}, {0x0421, 'c'},
    {0x0422, 't'}, {0x0423, 'y'}, {0x0425, 'x'}, {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'},
    {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'},
    {0x0458, 'j'}, {0x04BB, 'h'}, {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'},
};

/* Latin-1 letters without their diacritics; 0 = leave as is. */
static const char latin1[64] = "aaaaaaaceeeeiiii"
                               "dnooooo\0ouuuuy\0s"
                               "aaaaaaaceeeeiiii"
                               "dnooooo\0ouuuuy\0y";

static int classify(uint32_t cp, char *to)
{
    if (is_space(cp))
        return K_SPACE;
    if (cp < 0x20 || cp == 0x7F)
        return K_ZW; /* control characters other than white space */
    if (cp < 0x80)
        return *to = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp), K_COPY;
    if (cp >= 0xC0 && cp <= 0xFF)
        return (*to = latin1[cp - 0xC0]) ? K_LATIN : K_COPY;
    /* Typographic quotes and dashes read as their ASCII forms. */
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201B || cp == 0x2032)
        return *to = '\'', K_LATIN;
    if (cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x2033)
        return *to = '"', K_LATIN;
    if (cp >= 0x2010 && cp <= 0x2015)
        return *to = '-', K_LATIN;
    if ((cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF ||
        cp == 0xAD || cp == 0x180E)
        return K_ZW;
    if (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C)
        return K_BIDI;
    if (cp >= 0xE0000 && cp <= 0xE007F)
        return K_TAG;
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
        (cp >= 0xFE20 && cp <= 0xFE2F))
        return K_COMBINING;
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF))
        return K_SILENT; /* variation selectors: emoji presentation, not obfuscation */
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        uint32_t a = cp - 0xFEE0;
        return *to = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a), K_FOLD;
    }
    if (cp >= 0x1D400 && cp <= 0x1D6A3) {
        uint32_t i = (cp - 0x1D400) % 52;
        return *to = (char)('a' + (i < 26 ? i : i - 26)), K_FOLD;
    }
    if (cp >= 0x1D7CE && cp <= 0x1D7FF)
        return *to = (char)('0' + (cp - 0x1D7CE) % 10), K_FOLD;
    if (cp >= 0x24B6 && cp <= 0x24E9)
        return *to = (char)('a' + (cp - 0x24B6) % 26), K_FOLD;
    if (cp >= 0x249C && cp <= 0x24B5)
        return *to = (char)('a' + (cp - 0x249C)), K_FOLD;
    if ((cp >= 0x1F130 && cp <= 0x1F149) || (cp >= 0x1F170 && cp <= 0x1F189))
        return *to = (char)('a' + (cp - (cp >= 0x1F170 ? 0x1F170 : 0x1F130))), K_FOLD;
    if (cp >= 0x0391 && cp <= 0x051D) {
        size_t lo = 0, hi = sizeof(lookalike) / sizeof(lookalike[0]);
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (lookalike[mid].cp < cp)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < sizeof(lookalike) / sizeof(lookalike[0]) && lookalike[lo].cp == cp)
            return *to = lookalike[lo].to, K_FOLD;
    }
    return K_COPY;
}

static inline void put(pi_text *o, uint8_t c, uint32_t at, uint8_t fl)
{
    o->s[o->len] = c;
    o->map[o->len] = at;
    o->fl[o->len] = fl;
    o->len++;
}

/* What an ASCII byte becomes, for the fast path: the folded byte, A_SPACE,
 * or A_SLOW for what classify() must see (controls). Same answers as
 * classify(); built from it once. */
enum { A_SLOW = 0, A_SPACE = 1 };
static uint8_t ascii_to[128];

/* classify() by table where that is cheap, built from classify() itself:
 * the answer for every code point below U+0800 (one- and two-byte UTF-8),
 * and for U+0800..U+FFFF the 256-code-point blocks in which every answer
 * is "copy as is" (most of them: CJK, Hangul, Devanagari, ...). */
static uint16_t low_class[0x800]; /* kind << 8 | folded byte */
static uint8_t plain_block[256];  /* 1: the block cp >> 8 is all K_COPY */

static void init_tables(void)
{
    for (uint32_t c = 0; c < 128; c++) {
        char to = 0;
        int k = classify(c, &to);
        ascii_to[c] = k == K_SPACE ? A_SPACE : k == K_COPY && to > 1 ? (uint8_t)to : A_SLOW;
    }
    for (uint32_t c = 0; c < 0x800; c++) {
        char to = 0;
        int k = classify(c, &to);
        low_class[c] = (uint16_t)(k << 8 | (uint8_t)to);
    }
    for (uint32_t b = 8; b < 256; b++) {
        plain_block[b] = 1;
        for (uint32_t c = b << 8; c < (b + 1) << 8 && plain_block[b]; c++) {
            char to = 0;
            if (classify(c, &to) != K_COPY || to)
                plain_block[b] = 0;
        }
    }
}

static inline int classify_fast(uint32_t cp, char *to)
{
    if (cp < 0x800) {
        *to = (char)(low_class[cp] & 0xFF);
        return low_class[cp] >> 8;
    }
    if (cp < 0x10000 && plain_block[cp >> 8])
        return K_COPY;
    return classify(cp, to);
}

#ifdef __SSE2__
/* Sixteen bytes of src at i copied to the output in one step, when they
 * are all printable ASCII or white space (' ', '\t'..'\r') that needs
 * nothing but the case fold and white space read as ' ': no two white
 * space bytes in a row, none right after an output space, no flag pending.
 * Returns 0 (nothing written) when that does not hold. */
static int ascii_block(uint8_t *os, uint32_t *om, uint8_t *of, size_t ol, const uint8_t *src,
                       size_t i, uint32_t at)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
    /* '\t'..'\r': v - 9 <= 4 unsigned */
    __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(_mm_sub_epi8(v, _mm_set1_epi8(9)), _mm_set1_epi8(4)),
                                 _mm_set1_epi8(4));
    __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1F)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
    if (_mm_movemask_epi8(_mm_or_si128(printable, ctl)) != 0xFFFF)
        return 0;
    __m128i space = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned sp = (unsigned)_mm_movemask_epi8(space);
    if ((sp & (sp >> 1)) || ((sp & 1) && (ol == 0 || os[ol - 1] == ' ')))
        return 0;
    v = _mm_or_si128(_mm_andnot_si128(ctl, v), _mm_and_si128(ctl, _mm_set1_epi8(' ')));
    __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    v = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(32)));
    _mm_storeu_si128((__m128i *)(os + ol), v);
    _mm_storeu_si128((__m128i *)(of + ol), _mm_setzero_si128());
    __m128i m = _mm_add_epi32(_mm_set1_epi32((int)at), _mm_setr_epi32(0, 1, 2, 3));
    for (int q = 0; q < 4; q++, m = _mm_add_epi32(m, _mm_set1_epi32(4)))
        _mm_storeu_si128((__m128i *)(om + ol + 4 * (size_t)q), m);
    return 1;
}
#endif

static int normalize(pi_text *out, const uint8_t *src, size_t n, uint32_t base, pi_text *tags,
                     pi_norm_stats *st, size_t max, int blocks)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_tables);
    out->len = 0;
    if (pi_text_reserve(out, n < max ? n : max, (size_t)-1) != 0)
        return -1;
    uint8_t pending = 0;
    for (size_t i = 0, len; i < n && out->len < max; i += len) {
        if (src[i] < 0x80 && ascii_to[src[i]] != A_SLOW) {
            /* The common case, a run of plain ASCII, with the output cursor
             * in locals (stores through uint8_t * would make the compiler
             * reload out->len after each one): sixteen bytes at a time
             * where they need only the case fold, else byte by byte up to
             * the next block. */
            uint8_t *os = out->s, *of = out->fl;
            uint32_t *om = out->map;
            size_t ol = out->len, stop = i;
            for (; i < n && ol < max; i++) {
#ifdef __SSE2__
                if (i >= stop && blocks) {
                    if (!pending && n - i >= 16 && max - ol >= 16 &&
                        ascii_block(os, om, of, ol, src, i, base + (uint32_t)i)) {
                        i += 15;
                        ol += 16;
                        continue;
                    }
                    stop = i + 16;
                }
#else
                (void)blocks;
#endif
                uint8_t a = src[i] < 0x80 ? ascii_to[src[i]] : A_SLOW;
                if (a == A_SLOW)
                    break;
                if (a == A_SPACE) { /* collapsed; carries no flag, keeps pending */
                    if (ol == 0 || os[ol - 1] == ' ')
                        continue;
                    os[ol] = ' ';
                    om[ol] = base + (uint32_t)i;
                    of[ol++] = 0;
                    continue;
                }
                os[ol] = a;
                om[ol] = base + (uint32_t)i;
                of[ol++] = pending;
                pending = 0;
            }
            out->len = ol;
            len = 0;
            continue;
        }
        int32_t cp = utf8_next(src + i, n - i, &len);
        uint32_t at = base + (uint32_t)i;
        if (cp < 0) {
            st->invalid++;
            put(out, src[i], at, pending);
            pending = 0;
            continue;
        }
        char to = 0;
        switch (classify_fast((uint32_t)cp, &to)) {
        case K_SPACE:
            if (out->len && out->s[out->len - 1] != ' ')
                put(out, ' ', at, 0);
            break;
        case K_TAG:
            st->tags++;
            if (tags && cp >= 0xE0020 && cp <= 0xE007E &&
                pi_text_reserve(tags, tags->len + 1, n) == 0)
                put(tags, (uint8_t)(cp - 0xE0000), at, PI_FL_INVISIBLE);
            goto invisible;
        case K_BIDI:
            st->bidi++;
            goto invisible;
        case K_ZW:
            st->zero_width++;
        invisible:
            if (st->first_invisible < 0)
                st->first_invisible = at;
            pending |= PI_FL_INVISIBLE;
            break;
        case K_COMBINING:
            st->combining++;
            break;
        case K_SILENT:
            break;
        case K_FOLD:
            st->confusable++;
            put(out, (uint8_t)to, at, pending | PI_FL_CONFUSABLE);
            pending = 0;
            break;
        case K_LATIN:
        case K_COPY:
            if (to) {
                put(out, (uint8_t)to, at, pending);
            } else {
                for (size_t k = 0; k < len && out->len < max; k++)
                    put(out, src[i + k], at + (uint32_t)k, pending);
            }
            pending = 0;
            break;
        }
    }
    out->s[out->len] = 0;
    return 0;
}

int pi_normalize(pi_text *out, const uint8_t *src, size_t n, uint32_t base, pi_text *tags,
                 pi_norm_stats *st, size_t max)
{
    return normalize(out, src, n, base, tags, st, max, 1);
}

int pi__normalize_bytewise(pi_text *out, const uint8_t *src, size_t n, uint32_t base, pi_text *tags,
                           pi_norm_stats *st, size_t max)
{
    return normalize(out, src, n, base, tags, st, max, 0);
}

static int leet_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || c == '@' || c == '$' || c == '|' || c == '!';
}

/* The leet reading of c inside a word (interior: neither its first nor its
 * last byte), or 0. */
static uint8_t leet_sub(uint8_t c, uint8_t one, int interior)
{
    switch (c) {
    case '0':
        return 'o';
    case '1':
        return one;
    case '3':
        return 'e';
    case '4':
        return 'a';
    case '5':
        return 's';
    case '7':
        return 't';
    case '@':
        return 'a';
    case '$':
        return 's';
    case '|':
        return interior ? 'l' : 0;
    case '!':
        return interior ? 'i' : 0;
    default:
        return 0;
    }
}

/* Byte classes for the leet views: a letter, a character leet_char()
 * accepts, one leet_sub() replaces anywhere in a word, one it replaces only
 * inside one. */
enum { LC_LETTER = 1, LC_WORD = 2, LC_SUB = 4, LC_INNER = 8 };
static uint8_t leet_cls[256];
static void init_leet(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        if (c >= 'a' && c <= 'z')
            k |= LC_LETTER | LC_WORD;
        if (leet_char((uint8_t)c))
            k |= LC_WORD;
        if (leet_sub((uint8_t)c, 'i', 0))
            k |= LC_SUB;
        else if (leet_sub((uint8_t)c, 'i', 1))
            k |= LC_INNER;
        leet_cls[c] = k;
    }
}

/* The next byte at or after i that leet_sub() may replace (a digit, '@',
 * '$', '|' or '!'; a few more digits than it replaces), or n. Sixteen bytes
 * at a time: most text holds none. */
static size_t next_leet_candidate(const uint8_t *s, size_t i, size_t n)
{
#ifdef __SSE2__
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i m = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('@')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('$')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('|')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('!')));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    for (; i < n; i++)
        if (leet_cls[s[i]] & (LC_SUB | LC_INNER))
            return i;
    return n;
}

/* The word (maximal run of LC_WORD bytes, not reaching below floor) that
 * holds the LC_WORD byte at c: [*a, *b). */
static void word_around(const uint8_t *s, size_t n, size_t c, size_t floor, size_t *a, size_t *b)
{
    size_t i = c, j = c + 1;
    while (i > floor && (leet_cls[s[i - 1]] & LC_WORD))
        i--;
    while (j < n && (leet_cls[s[j]] & LC_WORD))
        j++;
    *a = i;
    *b = j;
}

/* Whether the leet view of s[0..n) differs from it: some word holding a
 * letter also holds a character leet_sub() replaces there. Only the words
 * around candidate bytes are looked at. */
static int has_leet_word(const uint8_t *s, size_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_leet);
    size_t done = 0; /* words before this offset have been judged */
    for (size_t c = next_leet_candidate(s, 0, n); c < n; c = next_leet_candidate(s, c, n)) {
        size_t a, b;
        word_around(s, n, c, done, &a, &b);
        unsigned all = 0, inner = 0;
        for (size_t i = a; i < b; i++) {
            uint8_t k = leet_cls[s[i]];
            all |= k;
            if ((k & LC_INNER) && i > a && i + 1 < b)
                inner = 1;
        }
        if ((all & LC_LETTER) && ((all & LC_SUB) || inner))
            return 1;
        done = c = b;
    }
    return 0;
}

long pi_leet(pi_text *out, const pi_text *in, uint8_t one, size_t max)
{
    out->len = 0;
    if (!has_leet_word(in->s, in->len))
        return 0; /* the view would equal the input (out is left empty) */
    if (pi_text_reserve(out, in->len, max) != 0)
        return -1;
    memcpy(out->s, in->s, in->len + 1);
    memcpy(out->map, in->map, in->len * sizeof(*in->map));
    memcpy(out->fl, in->fl, in->len);
    out->len = in->len;
    long subs = 0;
    const uint8_t *s = in->s;
    size_t n = in->len;
    /* Only words around candidate bytes can change. A word is a run of
     * letters and leet characters; it is read as leet when it holds a
     * letter (or '|'). */
    for (size_t c = next_leet_candidate(s, 0, n); c < n; c = next_leet_candidate(s, c, n)) {
        size_t a, b;
        word_around(s, n, c, 0, &a, &b);
        int letters = 0;
        for (size_t k = a; k < b; k++)
            letters |= (leet_cls[s[k]] & LC_LETTER) || s[k] == '|';
        for (size_t k = a; letters && k < b; k++) {
            uint8_t to = leet_sub(s[k], one, k > a && k + 1 < b);
            if (to) {
                out->s[k] = to;
                out->fl[k] |= PI_FL_LEET;
                subs++;
            }
        }
        c = b;
    }
    return subs;
}

int pi_rot13(pi_text *out, const pi_text *in, size_t max)
{
    out->len = 0;
    if (pi_text_reserve(out, in->len, max) != 0)
        return -1;
    for (size_t i = 0; i < in->len; i++) {
        uint8_t c = in->s[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)('a' + (c - 'a' + 13) % 26);
        out->s[i] = c;
    }
    memcpy(out->map, in->map, in->len * sizeof(*in->map));
    memcpy(out->fl, in->fl, in->len);
    out->len = in->len;
    out->s[out->len] = 0;
    return 0;
}
