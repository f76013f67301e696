/* verify.c -- from an end position the kernel flagged to the exact
 * candidates ending there. The kernel knows only the least distance over all
 * starts (and, as a filter, may use cheaper operations than the pattern's);
 * a small table over at most m + k bytes backwards gives the exact distance
 * for every window length, with the pattern's own operations. Runs only at
 * flagged ends, so its O(m (2k + 1)) does not touch the scan rate on sparse
 * data. */
#include "fuzzy/fuzzy_int.h"

static inline uint16_t min3(uint16_t a, uint16_t b, uint16_t c)
{
    uint16_t x = a < b ? a : b;
    return x < c ? x : c;
}

/* Distances of the pattern to the windows w[T-t..T) for t = 0..T, capped at
 * cap + 1, left in the returned row (row0 or row1); entries further than
 * cap from t = m are not computed. Pattern and text are walked backwards so
 * that all windows share the end. Only the band |i - t| <= cap is filled:
 * D[i][t] >= |i - t| since every length difference costs an insertion or a
 * deletion; the cell just outside the band on each side is set to cap + 1
 * so that the next row reads a correct bound. O(m (2 cap + 1)). */
static const uint16_t *back_table(const fz_pat *p, const uint8_t *w, size_t T, unsigned cap,
                                  uint16_t *row0, uint16_t *row1)
{
    const uint16_t inf = (uint16_t)(cap + 1);
    const uint16_t ins = (p->ops & FZ_INS) ? 1 : inf;
    const uint16_t del = (p->ops & FZ_DEL) ? 1 : inf;
    const uint16_t sub = (p->ops & FZ_SUB) ? 1 : inf;
    uint16_t *prev = row0, *cur = row1;
    prev[0] = 0;
    for (size_t t = 1; t <= T; t++)
        prev[t] = min3((uint16_t)(prev[t - 1] + ins), inf, inf);
    for (size_t i = 1; i <= p->m; i++) {
        const uint8_t pv = p->val[p->m - i], pm = p->mask[p->m - i];
        size_t lo = i > cap ? i - cap : 0, hi = i + cap < T ? i + cap : T;
        if (lo == 0) {
            cur[0] = min3((uint16_t)(prev[0] + del), inf, inf);
            lo = 1;
        } else {
            cur[lo - 1] = inf;
        }
        for (size_t t = lo; t <= hi; t++) {
            uint16_t diag = (uint16_t)(prev[t - 1] + (((w[T - t] & pm) == pv) ? 0 : sub));
            uint16_t v = min3(diag, (uint16_t)(prev[t] + del), (uint16_t)(cur[t - 1] + ins));
            cur[t] = v < inf ? v : inf;
        }
        if (hi < T)
            cur[hi + 1] = inf;
        uint16_t *tmp = prev;
        prev = cur;
        cur = tmp;
    }
    return prev;
}

static bool similar_enough(const fz_pat *p, unsigned d, size_t len)
{
    size_t L = len > p->m ? len : p->m;
    return 1.0 - (double)d / (double)L >= p->min_sim;
}

static unsigned hamming(const fz_pat *p, const uint8_t *w)
{
    unsigned d = 0;
    for (size_t i = 0; i < p->m; i++)
        d += (w[i] & p->mask[i]) != p->val[i];
    return d;
}

trawl_status trawl__fz_verify(trawl_fuzzy_stream *s, size_t pi, uint64_t end)
{
    const fz_pat *p = &s->db->pats[pi];
    fz_sel *sel = &s->sel[pi];
    if (!(p->ops & (FZ_INS | FZ_DEL))) {
        if (end < p->m)
            return TRAWL_OK;
        trawl__fz_fetch(s, end - p->m, p->m, s->win);
        unsigned d = hamming(p, s->win);
        if (d > ((p->ops & FZ_SUB) ? p->k : 0) || !similar_enough(p, d, p->m))
            return TRAWL_OK;
        return trawl__fz_sel_add(sel, end - p->m, (uint32_t)p->m, d);
    }
    size_t T = end < p->lmax ? (size_t)end : p->lmax;
    if (T < p->lmin)
        return TRAWL_OK;
    trawl__fz_fetch(s, end - T, T, s->win);
    const uint16_t *row = back_table(p, s->win, T, p->k, s->row0, s->row1);
    /* A window that contains a better window can never be reported: that
     * one is taken before it, or is discarded by a candidate that overlaps
     * both. Of the windows ending here, a longer one contains every shorter
     * one, and at equal similarity it is the better (further left); so,
     * from the shortest up, a window is kept only when no shorter one has a
     * strictly higher similarity. On repetitive data this drops most of the
     * 2k+1 windows of each end (the test of the raw candidate set,
     * collect_only, sees them all). */
    uint32_t keep = 0; /* bit per length t - lmin: kept */
    uint64_t kept[3] = {0, 0, 0};
    unsigned best = UINT32_MAX;
    for (size_t t = p->lmin > 0 ? p->lmin : 1; t <= T; t++) {
        if (row[t] > p->k || !similar_enough(p, row[t], t))
            continue;
        size_t L = t > p->m ? t : p->m;
        unsigned r = p->rank[row[t] * (p->k + 1) + (L - p->m)];
        if (r <= best || s->collect_only) {
            size_t b = t - p->lmin;
            kept[b / 64] |= (uint64_t)1 << (b % 64);
            keep++;
        }
        best = r < best ? r : best;
    }
    /* longest first, so offsets come out increasing */
    for (size_t t = T; keep && t >= p->lmin && t > 0; t--) {
        size_t b = t - p->lmin;
        if (kept[b / 64] >> (b % 64) & 1) {
            trawl_status st = trawl__fz_sel_add(sel, end - t, (uint32_t)t, row[t]);
            if (st)
                return st;
            keep--;
        }
    }
    return TRAWL_OK;
}
