/* ngram.c -- the most frequent n-grams (n = 1..16) over a set of messages,
 * exactly: every n-gram is counted in an open-addressing hash table keyed
 * by its bytes (n <= 2: a direct table of 65,536 slots). Each entry keeps
 * its count, the number of messages it occurs in and its first occurrence;
 * a size-k heap picks the top k. n-grams never span two messages.
 *
 * The table grows by doubling at half load and is bounded by the caller's
 * max_bytes: an input with more distinct n-grams than fit is refused
 * (TRAWL_ELIMIT) rather than counted approximately. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct gram {
    uint64_t lo, hi; /* the n bytes, big-endian, right-aligned in (hi, lo) */
    uint64_t count, messages;
    uint64_t first_msg, first_off;
    uint64_t last_msg; /* + 1; 0 = empty slot */
} gram;

typedef struct table {
    gram *g;
    size_t cap, used; /* cap is a power of two */
    bool direct;
    size_t max_slots;
} table;

static inline uint64_t mix(uint64_t lo, uint64_t hi)
{
    uint64_t x = lo ^ (hi * 0x9E3779B97F4A7C15ull);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return x;
}

static gram *slot(table *t, uint64_t lo, uint64_t hi)
{
    if (t->direct)
        return &t->g[lo];
    size_t mask = t->cap - 1, i = (size_t)mix(lo, hi) & mask;
    while (t->g[i].last_msg && (t->g[i].lo != lo || t->g[i].hi != hi))
        i = (i + 1) & mask;
    return &t->g[i];
}

static trawl_status grow(table *t)
{
    if (t->cap * 2 > t->max_slots)
        return TRAWL_ELIMIT;
    gram *old = t->g;
    size_t oc = t->cap;
    t->g = calloc(oc * 2, sizeof(*t->g));
    if (!t->g) {
        t->g = old;
        return TRAWL_ENOMEM;
    }
    t->cap = oc * 2;
    for (size_t i = 0; i < oc; i++)
        if (old[i].last_msg)
            *slot(t, old[i].lo, old[i].hi) = old[i];
    free(old);
    return TRAWL_OK;
}

static trawl_status add(table *t, uint64_t lo, uint64_t hi, uint64_t msg, uint64_t off)
{
    gram *g = slot(t, lo, hi);
    if (!g->last_msg) {
        if (!t->direct && (t->used + 1) * 2 > t->cap) {
            trawl_status st = grow(t);
            if (st)
                return st;
            g = slot(t, lo, hi);
        }
        g->lo = lo;
        g->hi = hi;
        g->first_msg = msg;
        g->first_off = off;
        t->used++;
    }
    g->count++;
    if (g->last_msg != msg + 1) {
        g->messages++;
        g->last_msg = msg + 1;
    }
    return TRAWL_OK;
}

/* a before b in the output: more frequent, then earlier */
static bool before(const gram *a, const gram *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    if (a->first_msg != b->first_msg)
        return a->first_msg < b->first_msg;
    return a->first_off < b->first_off;
}

/* A heap of the best k seen, worst on top. */
static void sift_down(const gram **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && before(h[w], h[l]))
            w = l;
        if (r < n && before(h[w], h[r]))
            w = r;
        if (w == i)
            return;
        const gram *t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void sift_up(const gram **h, size_t i)
{
    while (i && before(h[(i - 1) / 2], h[i])) {
        const gram *t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static trawl_status count_all(table *t, const trawl_span *m, size_t nm, unsigned n, uint64_t *total)
{
    const uint64_t mask = n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
    const uint64_t hmask = n > 8 ? (n >= 16 ? ~0ull : (1ull << (8 * (n - 8))) - 1) : 0;
    for (size_t i = 0; i < nm; i++) {
        const uint8_t *p = m[i].ptr;
        uint64_t lo = 0, hi = 0;
        for (size_t j = 0; j < m[i].len; j++) {
            hi = ((hi << 8) | (lo >> 56)) & hmask;
            lo = ((lo << 8) | p[j]) & mask;
            if (j + 1 < n)
                continue;
            trawl_status st = add(t, lo, hi, i, j + 1 - n);
            if (st)
                return st;
            (*total)++;
        }
    }
    return TRAWL_OK;
}

trawl_status trawl_analyze_ngrams(const trawl_span *msgs, size_t nmsgs,
                                  const trawl_analyze_ngram_opts *o,
                                  trawl_analyze_ngram_result *res, trawl_error *err)
{
    if (!o || !res || (!msgs && nmsgs))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(res, 0, sizeof(*res));
    unsigned n = o->n;
    if (n < 1 || n > 16)
        return trawl__fail(err, TRAWL_EINVAL, "n-gram size %u outside 1..16", n);
    for (size_t i = 0; i < nmsgs; i++)
        if (!msgs[i].ptr && msgs[i].len)
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)i, "message %zu is NULL", i);
    table t = {0};
    t.direct = n <= 2;
    t.cap = t.direct ? ((size_t)1 << (8 * n)) : 1 << 12;
    uint64_t budget = o->max_bytes ? o->max_bytes : UINT64_MAX;
    t.max_slots =
        budget / sizeof(gram) > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)(budget / sizeof(gram));
    if (t.cap > t.max_slots)
        return trawl__fail(err, TRAWL_ELIMIT, "%u-grams need %zu bytes, over the bound", n,
                           t.cap * sizeof(gram));
    t.g = calloc(t.cap, sizeof(*t.g));
    if (!t.g)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status st = count_all(&t, msgs, nmsgs, n, &res->total);
    if (st) {
        free(t.g);
        if (st == TRAWL_ELIMIT)
            return trawl__fail(err, st,
                               "more than %zu distinct %u-grams: over the memory bound of %llu "
                               "bytes",
                               t.cap / 2, n, (unsigned long long)budget);
        return trawl__fail(err, st, "out of memory");
    }
    res->distinct = t.used;
    size_t k = o->top < t.used ? o->top : t.used;
    const gram **h = malloc((k ? k : 1) * sizeof(*h));
    res->grams = calloc(k ? k : 1, sizeof(*res->grams));
    if (!h || !res->grams) {
        free(h);
        free(t.g);
        free(res->grams);
        res->grams = NULL;
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    size_t nh = 0;
    for (size_t i = 0; k && i < t.cap; i++) {
        const gram *g = &t.g[i];
        if (!g->last_msg)
            continue;
        if (nh < k) {
            h[nh++] = g;
            sift_up(h, nh - 1);
        } else if (before(g, h[0])) {
            h[0] = g;
            sift_down(h, nh, 0);
        }
    }
    /* pop worst first into the back */
    for (size_t i = nh; i > 0; i--) {
        const gram *g = h[0];
        trawl_analyze_ngram *r = &res->grams[i - 1];
        r->n = n;
        for (unsigned b = 0; b < n; b++) {
            unsigned sh = 8 * (n - 1 - b);
            r->bytes[b] = (uint8_t)(sh >= 64 ? g->hi >> (sh - 64) : g->lo >> sh);
        }
        r->count = g->count;
        r->messages = g->messages;
        r->first_message = g->first_msg;
        r->first_offset = g->first_off;
        h[0] = h[nh - 1];
        nh--;
        sift_down(h, nh, 0);
    }
    res->count = k;
    free(h);
    free(t.g);
    return TRAWL_OK;
}

void trawl_analyze_ngram_result_free(trawl_analyze_ngram_result *r)
{
    if (!r)
        return;
    free(r->grams);
    memset(r, 0, sizeof(*r));
}
