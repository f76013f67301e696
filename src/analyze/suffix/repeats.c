/* suffix/repeats.c -- repeated substrings of one buffer from its suffix
 * array (libdivsufsort) and LCP array (Kasai et al.), and candidate record
 * sizes from the gaps between their occurrences.
 *
 * A repeat is reported when it is maximal: extending all its occurrences
 * by one byte on the right, or all of them on the left, would lose an
 * occurrence (or run off the buffer). The right-maximal repeats are
 * exactly the LCP intervals [lb, rb] with value l (the internal nodes of
 * the suffix tree); an interval is left-maximal when the bytes before its
 * suffixes are not all the same (a suffix at offset 0 has no byte before
 * it, which counts as different). One bottom-up pass over the LCP array
 * with a stack finds every interval and its left diversity (Abouelhoda,
 * Kurtz, Ohlebusch: "Replacing suffix trees with enhanced suffix
 * arrays"); a heap keeps the best `top` of them under the chosen order.
 *
 * Memory: 12 bytes per input byte (suffix array, its inverse, LCP), then
 * the inverse is freed; inputs of 2 GiB or more are refused (32-bit
 * libdivsufsort). */
#include "analyze/analyze_int.h"

#include <divsufsort.h>
#include <stdlib.h>
#include <string.h>

/* ---- LCP (Kasai) --------------------------------------------------------------- */

static trawl_status build(const uint8_t *p, size_t n, int32_t **sa_out, int32_t **lcp_out)
{
    int32_t *sa = malloc(n * sizeof(*sa)), *rank = malloc(n * sizeof(*rank));
    int32_t *lcp = malloc((n + 1) * sizeof(*lcp));
    if (!sa || !rank || !lcp || divsufsort(p, sa, (saidx_t)n) != 0) {
        free(sa);
        free(rank);
        free(lcp);
        return TRAWL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        rank[sa[i]] = (int32_t)i;
    /* lcp[i] = LCP of the suffixes at sa[i - 1] and sa[i]; lcp[0] = lcp[n] = 0 */
    size_t h = 0;
    lcp[0] = 0;
    lcp[n] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)rank[i];
        if (r == 0) {
            h = 0;
            continue;
        }
        size_t j = (size_t)sa[r - 1];
        while (i + h < n && j + h < n && p[i + h] == p[j + h])
            h++;
        lcp[r] = (int32_t)h;
        if (h)
            h--;
    }
    free(rank);
    *sa_out = sa;
    *lcp_out = lcp;
    return TRAWL_OK;
}

/* ---- maximal repeats ---------------------------------------------------------------- */

typedef struct interval {
    uint32_t lcp, lb, rb;
} interval;

typedef struct heap {
    interval *h;
    size_t n, cap;
    trawl_analyze_repeat_order order;
} heap;

/* a ranks before b */
static bool better(trawl_analyze_repeat_order o, const interval *a, const interval *b)
{
    uint64_t ca = (uint64_t)a->rb - a->lb + 1, cb = (uint64_t)b->rb - b->lb + 1;
    uint64_t ka, kb;
    switch (o) {
    case TRAWL_ANALYZE_BY_COUNT:
        ka = ca, kb = cb;
        if (ka != kb)
            return ka > kb;
        break;
    case TRAWL_ANALYZE_BY_COVERAGE:
        ka = ca * a->lcp, kb = cb * b->lcp;
        if (ka != kb)
            return ka > kb;
        break;
    default:
        break;
    }
    if (a->lcp != b->lcp)
        return a->lcp > b->lcp;
    if (ca != cb)
        return ca > cb;
    return a->lb < b->lb;
}

static void heap_push(heap *h, interval iv)
{
    if (h->cap == 0)
        return;
    if (h->n == h->cap) {
        if (!better(h->order, &iv, &h->h[0]))
            return;
        h->h[0] = iv; /* replace the worst, sift down */
        size_t i = 0;
        for (;;) {
            size_t l = 2 * i + 1, r = l + 1, w = i;
            if (l < h->n && better(h->order, &h->h[w], &h->h[l]))
                w = l;
            if (r < h->n && better(h->order, &h->h[w], &h->h[r]))
                w = r;
            if (w == i)
                break;
            interval t = h->h[i];
            h->h[i] = h->h[w];
            h->h[w] = t;
            i = w;
        }
        return;
    }
    size_t i = h->n++;
    h->h[i] = iv;
    while (i && better(h->order, &h->h[(i - 1) / 2], &h->h[i])) {
        interval t = h->h[i];
        h->h[i] = h->h[(i - 1) / 2];
        h->h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* Stack entries: an open interval with its left byte so far (0..255, 256:
 * diverse, 257: none yet). */
typedef struct open_iv {
    uint32_t lcp, lb;
    uint32_t left;
} open_iv;

enum { DIVERSE = 256, NONE = 257 };

static uint32_t merge_left(uint32_t a, uint32_t b)
{
    if (a == NONE)
        return b;
    if (b == NONE)
        return a;
    return a == b ? a : DIVERSE;
}

static uint32_t left_of(const uint8_t *p, int32_t pos)
{
    return pos == 0 ? DIVERSE : p[pos - 1];
}

/* Bottom-up over lcp[1..n]: pops every interval, reports the left-maximal
 * ones with lcp >= min_len; counts them in *total. Leaf sa[i - 1] belongs to
 * the interval that opens at it when lcp[i] rises, else to the top one; a
 * popped interval's left bytes pass to its parent. */
static trawl_status intervals(const uint8_t *p, size_t n, const int32_t *sa, const int32_t *lcp,
                              const uint32_t *run, uint32_t min_len, heap *h, heap *cov,
                              uint64_t *total)
{
    open_iv *st = malloc((n + 1) * sizeof(*st));
    if (!st)
        return TRAWL_ENOMEM;
    size_t top = 0;
    st[top++] = (open_iv){0, 0, NONE};
    for (size_t i = 1; i <= n; i++) {
        uint32_t l = (uint32_t)lcp[i], lb = (uint32_t)i - 1;
        uint32_t leaf = left_of(p, sa[i - 1]);
        if (l > st[top - 1].lcp) {
            st[top++] = (open_iv){l, lb, leaf};
            continue;
        }
        st[top - 1].left = merge_left(st[top - 1].left, leaf);
        uint32_t carry = NONE;
        while (l < st[top - 1].lcp) {
            open_iv iv = st[--top];
            /* run[]: a repeat inside a run of one byte value is padding */
            if (iv.lcp >= min_len && iv.left == DIVERSE && (!run || run[sa[iv.lb]] < iv.lcp)) {
                (*total)++;
                heap_push(h, (interval){iv.lcp, iv.lb, (uint32_t)i - 1});
                heap_push(cov, (interval){iv.lcp, iv.lb, (uint32_t)i - 1});
            }
            lb = iv.lb;
            carry = iv.left;
            if (l <= st[top - 1].lcp) {
                st[top - 1].left = merge_left(st[top - 1].left, carry);
                carry = NONE;
            }
        }
        if (l > st[top - 1].lcp)
            st[top++] = (open_iv){l, lb, carry};
    }
    free(st);
    return TRAWL_OK;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The gaps between consecutive occurrences of the repeats that cover the
 * most bytes (the PERIOD_REPEATS best by length x count, whatever order the
 * caller asked for), each weighted by the repeat's length: the heaviest
 * gaps are candidate record sizes. A repeat is aligned to a period when all
 * its occurrences share their offset modulo it. */
enum { PERIOD_REPEATS = 64 };

typedef struct gapw {
    uint64_t gap, weight;
} gapw;

static int cmp_gap(const void *x, const void *y)
{
    const gapw *a = x, *b = y;
    return a->gap < b->gap ? -1 : a->gap > b->gap;
}

static trawl_status periods(const heap *cov, const int32_t *sa, uint64_t max_period,
                            trawl_analyze_repeat_result *res)
{
    size_t cap = 0;
    for (size_t i = 0; i < cov->n; i++)
        cap += (size_t)cov->h[i].rb - cov->h[i].lb;
    gapw *g = malloc((cap ? cap : 1) * sizeof(*g));
    uint64_t **occ = calloc(cov->n ? cov->n : 1, sizeof(*occ));
    trawl_status st = g && occ ? TRAWL_OK : TRAWL_ENOMEM;
    size_t ng = 0;
    for (size_t i = 0; !st && i < cov->n; i++) {
        const interval *iv = &cov->h[i];
        size_t c = (size_t)iv->rb - iv->lb + 1;
        if (!(occ[i] = malloc(c * sizeof(**occ)))) {
            st = TRAWL_ENOMEM;
            break;
        }
        for (size_t k = 0; k < c; k++)
            occ[i][k] = (uint64_t)sa[iv->lb + k];
        qsort(occ[i], c, sizeof(**occ), cmp_u64);
        /* an occurrence overlapping the previous one is a tandem repeat,
         * not a record boundary: only gaps of at least the length count */
        for (size_t k = 1; k < c; k++) {
            uint64_t d = occ[i][k] - occ[i][k - 1];
            if (d >= iv->lcp && d <= max_period)
                g[ng++] = (gapw){d, iv->lcp};
        }
    }
    if (!st) {
        qsort(g, ng, sizeof(*g), cmp_gap);
        size_t nd = 0; /* sum the weights of equal gaps */
        for (size_t i = 0; i < ng; i++) {
            if (nd && g[nd - 1].gap == g[i].gap)
                g[nd - 1].weight += g[i].weight;
            else
                g[nd++] = g[i];
        }
        while (res->nperiods < TRAWL_ANALYZE_MAX_PERIODS) {
            size_t best = SIZE_MAX;
            for (size_t i = 0; i < nd; i++)
                if (g[i].weight && (best == SIZE_MAX || g[i].weight > g[best].weight))
                    best = i;
            if (best == SIZE_MAX)
                break;
            trawl_analyze_period *pd = &res->periods[res->nperiods++];
            pd->period = g[best].gap;
            pd->support = g[best].weight;
            g[best].weight = 0;
            for (size_t i = 0; i < cov->n; i++) {
                size_t c = (size_t)cov->h[i].rb - cov->h[i].lb + 1;
                bool same = true;
                for (size_t k = 1; k < c && same; k++)
                    same = occ[i][k] % pd->period == occ[i][0] % pd->period;
                pd->aligned += same;
            }
        }
    }
    for (size_t i = 0; occ && i < cov->n; i++)
        free(occ[i]);
    free(occ);
    free(g);
    return st;
}

trawl_status trawl_analyze_repeats(const uint8_t *p, size_t n, const trawl_analyze_repeat_opts *o,
                                   trawl_analyze_repeat_result *res, trawl_error *err)
{
    if (!o || !res || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(res, 0, sizeof(*res));
    if (n >= (size_t)INT32_MAX)
        return trawl__fail(err, TRAWL_ELIMIT, "repeats: inputs below 2 GiB only");
    if (o->max_bytes && (uint64_t)n * 12 > o->max_bytes)
        return trawl__fail(err, TRAWL_ELIMIT,
                           "repeats need %llu bytes (12 per input byte), over the bound of %llu",
                           (unsigned long long)n * 12, (unsigned long long)o->max_bytes);
    uint32_t min_len = o->min_length ? o->min_length : 4;
    if (n < 2)
        return TRAWL_OK;
    int32_t *sa, *lcp;
    if (build(p, n, &sa, &lcp))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory for the suffix array");
    heap h = {.cap = o->top, .order = o->order};
    heap cov = {.cap = PERIOD_REPEATS, .order = TRAWL_ANALYZE_BY_COVERAGE};
    h.h = malloc((o->top ? o->top : 1) * sizeof(*h.h));
    cov.h = malloc(PERIOD_REPEATS * sizeof(*cov.h));
    uint32_t *run = NULL; /* run[i]: bytes from i equal to p[i] */
    if (!o->keep_runs && (run = malloc(n * sizeof(*run))) != NULL) {
        run[n - 1] = 1;
        for (size_t i = n - 1; i-- > 0;)
            run[i] = p[i] == p[i + 1] && run[i + 1] < UINT32_MAX ? run[i + 1] + 1 : 1;
    }
    trawl_status st = h.h && cov.h && (run || o->keep_runs)
                          ? intervals(p, n, sa, lcp, run, min_len, &h, &cov, &res->total)
                          : TRAWL_ENOMEM;
    free(run);
    free(lcp);
    if (!st)
        st = periods(&cov, sa, o->max_period ? o->max_period : 65536, res);
    free(cov.h);
    if (!st) {
        /* worst on top: pop into the back */
        res->repeats = calloc(h.n ? h.n : 1, sizeof(*res->repeats));
        st = res->repeats ? TRAWL_OK : TRAWL_ENOMEM;
        res->count = res->repeats ? h.n : 0;
        for (size_t i = h.n; !st && i > 0; i--) {
            interval iv = h.h[0];
            trawl_analyze_repeat *r = &res->repeats[i - 1];
            r->length = iv.lcp;
            r->count = (uint64_t)iv.rb - iv.lb + 1;
            r->offsets = malloc(r->count * sizeof(*r->offsets));
            if (!r->offsets) {
                st = TRAWL_ENOMEM;
                break;
            }
            for (uint64_t k = 0; k < r->count; k++)
                r->offsets[k] = (uint64_t)sa[iv.lb + k];
            qsort(r->offsets, r->count, sizeof(*r->offsets), cmp_u64);
            h.h[0] = h.h[--h.n];
            size_t j = 0; /* sift down */
            for (;;) {
                size_t l = 2 * j + 1, rr = l + 1, w = j;
                if (l < h.n && better(h.order, &h.h[w], &h.h[l]))
                    w = l;
                if (rr < h.n && better(h.order, &h.h[w], &h.h[rr]))
                    w = rr;
                if (w == j)
                    break;
                interval t = h.h[j];
                h.h[j] = h.h[w];
                h.h[w] = t;
                j = w;
            }
        }
    }
    free(h.h);
    free(sa);
    if (st) {
        trawl_analyze_repeat_result_free(res);
        return trawl__fail(err, st, "out of memory");
    }
    return TRAWL_OK;
}

void trawl_analyze_repeat_result_free(trawl_analyze_repeat_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->repeats && i < r->count; i++)
        free(r->repeats[i].offsets);
    free(r->repeats);
    memset(r, 0, sizeof(*r));
}
