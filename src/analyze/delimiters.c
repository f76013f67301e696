/* delimiters.c -- candidate delimiters of one buffer: bytes and byte pairs
 * whose occurrences cut it into pieces of similar length. For every byte
 * value and every byte pair occurring at least 4 times (pairs overlapping
 * themselves, as in "\0\0\0", counted once per run), the gaps between
 * consecutive occurrences give a mean and a coefficient of variation (CV =
 * standard deviation / mean); a delimiter of records of one format has a
 * low CV, a byte that merely occurs often (zero padding) has a high one or
 * occurs in runs. Candidates are ranked by count x (1 - min(CV, 1)) and the
 * best `top` returned. These are candidates, not findings: a frequent
 * field value spaced like a record would score the same.
 *
 * One pass counts every byte and pair and sums the gaps (O(n), 65,792
 * counters of 32 bytes). */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tok {
    uint64_t count, last, sum, runs;
    double sumsq;
} tok;

static void see(tok *t, uint64_t at, uint64_t width)
{
    if (t->count && at < t->last + width) { /* overlaps the previous one: a run */
        t->runs++;
        return;
    }
    if (t->count) {
        uint64_t g = at - t->last;
        t->sum += g;
        t->sumsq += (double)g * (double)g;
    }
    t->count++;
    t->last = at;
}

static int by_score(const void *x, const void *y)
{
    const trawl_analyze_delimiter *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->len);
}

trawl_status trawl_analyze_delimiters(const uint8_t *p, size_t n, size_t top,
                                      trawl_analyze_delimiter **out, size_t *count,
                                      trawl_error *err)
{
    if (!out || !count || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    *count = 0;
    tok *t = calloc(256 + 65536, sizeof(*t));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        see(&t[p[i]], i, 1);
        if (i + 1 < n)
            see(&t[256 + ((size_t)p[i] << 8 | p[i + 1])], i, 2);
    }
    size_t nc = 0;
    trawl_analyze_delimiter *c = malloc((256 + 65536) * sizeof(*c));
    if (!c) {
        free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < 256 + 65536; k++) {
        const tok *x = &t[k];
        if (x->count < 4)
            continue;
        double gaps = (double)(x->count - 1), mean = (double)x->sum / gaps;
        double var = x->sumsq / gaps - mean * mean;
        double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
        trawl_analyze_delimiter *d = &c[nc++];
        memset(d, 0, sizeof(*d));
        d->len = k < 256 ? 1 : 2;
        d->bytes[0] = (uint8_t)(k < 256 ? k : (k - 256) >> 8);
        d->bytes[1] = (uint8_t)(k < 256 ? 0 : (k - 256) & 0xFF);
        d->count = x->count;
        d->runs = x->runs;
        d->mean_gap = mean;
        d->cv = cv;
        /* occurrences inside runs are not separators */
        double run_share = (double)x->runs / (double)(x->count + x->runs);
        d->score = (double)x->count * (1 - (cv < 1 ? cv : 1)) * (1 - run_share);
    }
    free(t);
    qsort(c, nc, sizeof(*c), by_score);
    *count = nc < top ? nc : top;
    *out = c;
    return TRAWL_OK;
}

void trawl_analyze_delimiters_free(trawl_analyze_delimiter *d)
{
    free(d);
}
