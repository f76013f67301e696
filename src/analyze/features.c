/* features.c -- feature vectors derived from messages, for k-means and the
 * other vector methods. A spec lists the parts, comma-separated, in the
 * order they fill each row:
 *
 *   length        1 value: the length divided by the longest message's
 *   hist          256 values: the byte frequencies (count / length)
 *   ngram:N:M     M values: frequencies of the message's N-grams
 *                 (N = 1..8), hashed into M buckets (M = 1..65536)
 *   cols:N        N values: the first N bytes / 255, -1 past the end
 *
 * Every part is scaled to about [0, 1] so that no part outweighs the rest
 * by its units. An empty message has zero frequencies. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

enum { F_LENGTH, F_HIST, F_NGRAM, F_COLS };

typedef struct part {
    int kind;
    unsigned a, b; /* ngram: N, M; cols: N */
} part;

enum { MAX_PARTS = 16 };

static bool parse_uint(const char **s, unsigned lo, unsigned hi, unsigned *v)
{
    const char *p = *s;
    unsigned long x = 0;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9') {
        x = x * 10 + (unsigned long)(*p++ - '0');
        if (x > hi)
            return false;
    }
    if (x < lo)
        return false;
    *v = (unsigned)x;
    *s = p;
    return true;
}

static trawl_status parse(const char *spec, part *parts, size_t *np, size_t *dim, trawl_error *err)
{
    *np = 0;
    *dim = 0;
    const char *s = spec;
    while (*s) {
        if (*np == MAX_PARTS)
            return trawl__fail(err, TRAWL_ELIMIT, "features: at most %d parts", MAX_PARTS);
        part *p = &parts[(*np)++];
        const char *start = s;
        bool ok = true;
        if (!strncmp(s, "length", 6)) {
            p->kind = F_LENGTH;
            s += 6;
            *dim += 1;
        } else if (!strncmp(s, "hist", 4)) {
            p->kind = F_HIST;
            s += 4;
            *dim += 256;
        } else if (!strncmp(s, "ngram:", 6)) {
            p->kind = F_NGRAM;
            s += 6;
            ok = parse_uint(&s, 1, 8, &p->a) && *s++ == ':' && parse_uint(&s, 1, 65536, &p->b);
            *dim += p->b;
        } else if (!strncmp(s, "cols:", 5)) {
            p->kind = F_COLS;
            s += 5;
            ok = parse_uint(&s, 1, 65536, &p->a);
            *dim += p->a;
        } else {
            ok = false;
        }
        if (!ok || (*s && *s != ',')) {
            trawl__fail(err, TRAWL_ESYNTAX,
                        "features: expected length, hist, ngram:N:M (N 1..8, M 1..65536) or "
                        "cols:N at column %d",
                        (int)(start - spec) + 1);
            if (err)
                err->column = (int)(start - spec) + 1;
            return TRAWL_ESYNTAX;
        }
        if (*s == ',')
            s++;
    }
    if (*np == 0)
        return trawl__fail(err, TRAWL_EINVAL, "features: empty spec");
    return TRAWL_OK;
}

static void row(const trawl_span *m, size_t longest, const part *parts, size_t np, double *r)
{
    for (size_t k = 0; k < np; k++) {
        const part *p = &parts[k];
        switch (p->kind) {
        case F_LENGTH:
            *r++ = longest ? (double)m->len / (double)longest : 0;
            break;
        case F_HIST: {
            uint64_t h[256];
            trawl_analyze_histogram(m->ptr, m->len, h);
            for (int b = 0; b < 256; b++)
                *r++ = m->len ? (double)h[b] / (double)m->len : 0;
            break;
        }
        case F_NGRAM: {
            memset(r, 0, p->b * sizeof(*r));
            size_t total = m->len >= p->a ? m->len - p->a + 1 : 0;
            uint64_t mask = p->a == 8 ? ~0ull : (1ull << (8 * p->a)) - 1, g = 0;
            for (size_t i = 0; i < m->len; i++) {
                g = ((g << 8) | m->ptr[i]) & mask;
                if (i + 1 >= p->a) {
                    uint64_t h = (g + 1) * 0x9E3779B97F4A7C15ull;
                    r[(h >> 32) % p->b] += 1.0 / (double)total;
                }
            }
            r += p->b;
            break;
        }
        default:
            for (unsigned i = 0; i < p->a; i++)
                *r++ = i < m->len ? m->ptr[i] / 255.0 : -1.0;
        }
    }
}

trawl_status trawl_analyze_features(const trawl_span *msgs, size_t n, const char *spec,
                                    trawl_analyze_matrix *out, trawl_error *err)
{
    if (!out || !spec || (!msgs && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    part parts[MAX_PARTS];
    size_t np, dim;
    trawl_status st = parse(spec, parts, &np, &dim, err);
    if (st)
        return st;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++)
        longest = msgs[i].len > longest ? msgs[i].len : longest;
    if (n && dim > SIZE_MAX / sizeof(double) / n)
        return trawl__fail(err, TRAWL_ELIMIT, "features: matrix too large");
    out->data = malloc((n && dim ? n * dim : 1) * sizeof(double));
    if (!out->data)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    out->rows = n;
    out->cols = dim;
    for (size_t i = 0; i < n; i++)
        row(&msgs[i], longest, parts, np, out->data + i * dim);
    return TRAWL_OK;
}
