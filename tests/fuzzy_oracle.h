/* fuzzy_oracle.h -- the brute-force definition of fuzzy matching, written
 * plainly, for the differential tests: every window, its edit distance by
 * the textbook table, then the greedy non-overlapping choice. Header-only so
 * that each test file (and nothing in the library) carries its own copy. */
#ifndef TRAWL_FUZZY_ORACLE_H
#define TRAWL_FUZZY_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct or_pat {
    size_t m;
    uint8_t val[128], mask[128];
    unsigned k;
    bool sub, ins, del; /* enabled operations */
    double min_sim;
} or_pat;

typedef struct or_match {
    uint64_t off;
    size_t len;
    unsigned d;
} or_match;

/* d(P, text[0..len)) for every len in 0..maxlen, out[len]; > 1000 = impossible. */
static void or_distances(const or_pat *p, const uint8_t *text, size_t maxlen, unsigned *out)
{
    enum { INF = 100000 };
    size_t cols = maxlen + 1;
    unsigned *D = malloc((p->m + 1) * cols * sizeof(unsigned));
    for (size_t t = 0; t <= maxlen; t++)
        D[t] = p->ins ? (unsigned)t : (t ? INF : 0);
    for (size_t i = 1; i <= p->m; i++) {
        D[i * cols] = p->del ? (unsigned)i : INF;
        for (size_t t = 1; t <= maxlen; t++) {
            bool eq = (text[t - 1] & p->mask[i - 1]) == p->val[i - 1];
            unsigned best = INF;
            unsigned diag = D[(i - 1) * cols + t - 1];
            if (eq)
                best = diag;
            else if (p->sub && diag + 1 < best)
                best = diag + 1;
            if (p->del && D[(i - 1) * cols + t] + 1 < best)
                best = D[(i - 1) * cols + t] + 1;
            if (p->ins && D[i * cols + t - 1] + 1 < best)
                best = D[i * cols + t - 1] + 1;
            D[i * cols + t] = best > INF ? INF : best;
        }
    }
    for (size_t t = 0; t <= maxlen; t++)
        out[t] = D[p->m * cols + t];
    free(D);
}

static double or_sim(const or_pat *p, unsigned d, size_t len)
{
    size_t L = len > p->m ? len : p->m;
    return 1.0 - (double)d / (double)L;
}

/* a better than b: higher similarity (exact), then smaller offset, then longer */
static bool or_better(const or_pat *p, const or_match *a, const or_match *b)
{
    size_t la = a->len > p->m ? a->len : p->m, lb = b->len > p->m ? b->len : p->m;
    if ((uint64_t)a->d * lb != (uint64_t)b->d * la)
        return (uint64_t)a->d * lb < (uint64_t)b->d * la;
    if (a->off != b->off)
        return a->off < b->off;
    return a->len > b->len;
}

/* Every candidate, by offset then length; returns the count and sets *out
 * (caller frees). */
static size_t or_candidates(const or_pat *p, const uint8_t *data, size_t n, or_match **out)
{
    size_t maxlen = p->m + p->k + 3; /* longer windows need > k insertions */
    or_match *cand = malloc((n * (maxlen + 1) + 1) * sizeof(*cand));
    unsigned *dist = malloc((maxlen + 1) * sizeof(unsigned));
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t ml = n - i < maxlen ? n - i : maxlen;
        or_distances(p, data + i, ml, dist);
        for (size_t len = 1; len <= ml; len++)
            if (dist[len] <= p->k && or_sim(p, dist[len], len) >= p->min_sim)
                cand[nc++] = (or_match){i, len, dist[len]};
    }
    free(dist);
    *out = cand;
    return nc;
}

/* The reported matches, in increasing offset; returns the count. out must
 * hold n entries (n >= 1). */
static size_t or_search(const or_pat *p, const uint8_t *data, size_t n, or_match *out)
{
    or_match *cand;
    size_t nc = or_candidates(p, data, n, &cand);
    /* repeatedly take the best remaining, discard what overlaps it */
    bool *gone = calloc(nc + 1, 1);
    size_t no = 0;
    for (;;) {
        size_t best = nc;
        for (size_t c = 0; c < nc; c++)
            if (!gone[c] && (best == nc || or_better(p, &cand[c], &cand[best])))
                best = c;
        if (best == nc)
            break;
        out[no++] = cand[best];
        for (size_t c = 0; c < nc; c++)
            if (cand[c].off < cand[best].off + cand[best].len &&
                cand[best].off < cand[c].off + cand[c].len)
                gone[c] = true;
    }
    free(gone);
    free(cand);
    for (size_t a = 1; a < no; a++) /* insertion sort by offset */
        for (size_t b = a; b > 0 && out[b].off < out[b - 1].off; b--) {
            or_match t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    return no;
}

#endif
