/* stream.c -- the per-thread state and the driver: feeds each chunk to the
 * kernel of every pattern (all bytes, or only the regions around pigeonhole
 * seeds), verifies the ends the kernels flag, and runs selection rounds.
 *
 * Long writes are cut into slices so that a selection round runs at least
 * that often: pending candidates stay bounded by the slice and the open
 * stretch of select.c, however dense the matches. A stream starts with
 * MIN_SLICE-byte slices; a slice that added fewer than CAND_BUDGET / 8
 * candidates doubles the next (up to SLICE), one that added more than
 * CAND_BUDGET halves it: on data where
 * every byte ends 2k+1 windows (a pattern of zeros over zeros) a 64 KiB
 * slice would hold millions of candidates before its round. Results do not
 * depend on where slices fall. The stream keeps the last hist_cap
 * bytes so that verification (m + k back), seeded regions (m + k back) and
 * the reports of matches decided late (horizon back) can read them. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>
#include <string.h>

enum { SLICE = 64 * 1024, MIN_SLICE = 1024, CAND_BUDGET = 1 << 15 };

void trawl__fz_fetch(const trawl_fuzzy_stream *s, uint64_t off, size_t n, uint8_t *dst)
{
    while (n > 0 && off < s->chunk_base) {
        size_t take = (size_t)(s->chunk_base - off) < n ? (size_t)(s->chunk_base - off) : n;
        memcpy(dst, s->hist + (off - s->hist_start), take);
        dst += take;
        off += take;
        n -= take;
    }
    if (n)
        memcpy(dst, s->chunk + (off - s->chunk_base), n);
}

static trawl_status nomem(trawl_error *err)
{
    return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
}

trawl_status trawl_fuzzy_stream_open(const trawl_fuzzy_db *db, trawl_fuzzy_stream **out,
                                     trawl_error *err)
{
    if (!db || !out)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    trawl_fuzzy_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return nomem(err);
    s->db = db;
    size_t lmax = 0;
    for (size_t i = 0; i < db->n; i++)
        lmax = db->pats[i].lmax > lmax ? db->pats[i].lmax : lmax;
    s->win_cap = db->hist_cap > lmax ? db->hist_cap : lmax;
    s->hist = malloc(db->hist_cap);
    s->win = malloc(s->win_cap);
    s->row0 = malloc((lmax + 1) * sizeof(uint16_t));
    s->row1 = malloc((lmax + 1) * sizeof(uint16_t));
    s->ks = calloc(db->n, sizeof(*s->ks));
    s->sel = calloc(db->n, sizeof(*s->sel));
    if (!s->hist || !s->win || !s->row0 || !s->row1 || !s->ks || !s->sel) {
        trawl_fuzzy_stream_free(s);
        return nomem(err);
    }
    for (size_t i = 0; i < db->n; i++) {
        size_t w = db->pats[i].words > db->pats[i].k + 1 ? db->pats[i].words : db->pats[i].k + 1;
        s->ks[i].vp = malloc(w * sizeof(uint64_t));
        s->ks[i].vn = malloc(w * sizeof(uint64_t));
        if (!s->ks[i].vp || !s->ks[i].vn) {
            trawl_fuzzy_stream_free(s);
            return nomem(err);
        }
    }
    if (db->hs && (hs_alloc_scratch(db->hs, &s->hscratch) != HS_SUCCESS ||
                   hs_open_stream(db->hs, 0, &s->hss) != HS_SUCCESS)) {
        trawl_fuzzy_stream_free(s);
        return trawl__fail(err, TRAWL_EENGINE, "cannot allocate the seed scanner");
    }
    s->avx2 = trawl__fz_have_avx2() && !getenv("TRAWL_NO_AVX2");
    trawl_fuzzy_stream_reset(s);
    *out = s;
    return TRAWL_OK;
}

void trawl_fuzzy_stream_free(trawl_fuzzy_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->ks && i < s->db->n; i++) {
        free(s->ks[i].vp);
        free(s->ks[i].vn);
    }
    for (size_t i = 0; s->sel && i < s->db->n; i++)
        trawl__fz_sel_free(&s->sel[i]);
    if (s->hss)
        hs_close_stream(s->hss, s->hscratch, NULL, NULL);
    hs_free_scratch(s->hscratch);
    free(s->ks);
    free(s->sel);
    free(s->hist);
    free(s->win);
    free(s->row0);
    free(s->row1);
    free(s);
}

void trawl_fuzzy_stream_reset(trawl_fuzzy_stream *s)
{
    if (!s)
        return;
    s->pos = s->hist_start = s->chunk_base = 0;
    s->hist_len = s->chunk_len = 0;
    s->chunk = NULL;
    s->failed = s->finished = false;
    s->cb_status = TRAWL_OK;
    s->slice = MIN_SLICE; /* grows to SLICE over sparse slices */
    for (size_t i = 0; i < s->db->n; i++) {
        const fz_pat *p = &s->db->pats[i];
        trawl__fz_kernel_reset(p, &s->ks[i]);
        s->ks[i].pos = 0;
        s->ks[i].active_until = p->seeded ? 0 : UINT64_MAX;
        s->ks[i].dense = false;
        s->ks[i].dense_until = 0;
        s->sel[i].n = 0;
        s->sel[i].added = 0;
        s->sel[i].blocked_until = 0;
    }
    if (s->hss)
        hs_reset_stream(s->hss, 0, NULL, NULL, NULL);
}

static size_t run_kernel(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n)
{
    switch (p->kernel) {
    case FZ_MYERS1:
        return trawl__fz_myers1(p, k, b, n);
    case FZ_MYERSB:
        return trawl__fz_myersb(p, k, b, n);
    default:
        return trawl__fz_bitap(p, k, b, n);
    }
}

/* Runs pattern pi's kernel from its position up to upto (absolute, within
 * history + chunk), verifying every flagged end. */
static trawl_status run_to(trawl_fuzzy_stream *s, size_t pi, uint64_t upto)
{
    const fz_pat *p = &s->db->pats[pi];
    fz_kstate *k = &s->ks[pi];
    if (p->kernel == FZ_MYERS1 && k->pos >= s->chunk_base &&
        upto - k->pos >= 16 * (uint64_t)p->lmax + 256) {
        trawl_status st = trawl__fz_run_lanes(s, pi, upto);
        if (st)
            return st;
    }
    if ((p->kernel == FZ_BITAP || p->kernel == FZ_BITAP_SUF) && p->k <= 3 && s->avx2 &&
        k->pos >= s->chunk_base && upto - k->pos >= 16 * (uint64_t)p->lmax + 256) {
        trawl_status st = trawl__fz_run_bitap_lanes(s, pi, upto);
        if (st)
            return st;
    }
    while (k->pos < upto) {
        const uint8_t *b;
        size_t avail;
        if (k->pos < s->chunk_base) {
            b = s->hist + (k->pos - s->hist_start);
            avail = (size_t)((upto < s->chunk_base ? upto : s->chunk_base) - k->pos);
        } else {
            b = s->chunk + (k->pos - s->chunk_base);
            avail = (size_t)(upto - k->pos);
        }
        if (run_kernel(p, k, b, avail) < avail) {
            trawl_status st = trawl__fz_verify(s, pi, k->pos);
            if (st)
                return st;
        }
    }
    return TRAWL_OK;
}

static uint64_t chunk_end(const trawl_fuzzy_stream *s)
{
    return s->chunk_base + s->chunk_len;
}

/* A seed of pattern id ends at to: the windows containing it lie in
 * [to - lmax, to + lmax). Regions are visited in order of to, so the kernel
 * position only moves forward; a region that starts before the kernel's
 * position just extends the current run (its state covers more starts). */
static int on_seed(unsigned int id, unsigned long long from, unsigned long long to,
                   unsigned int flags, void *ctx)
{
    (void)from;
    (void)flags;
    trawl_fuzzy_stream *s = ctx;
    const fz_pat *p = &s->db->pats[id];
    fz_kstate *k = &s->ks[id];
    k->seeds++;
    if (k->dense) { /* the kernel covers the slice; remember the regions' ends */
        if (to + p->reach > k->dense_until)
            k->dense_until = to + p->reach;
        return 0;
    }
    uint64_t s0 = to > p->reach ? to - p->reach : 0;
    if (s0 < s->hist_start)
        s0 = s->hist_start;
    if (s0 > k->pos) {
        uint64_t upto = k->active_until < chunk_end(s) ? k->active_until : chunk_end(s);
        trawl_status st = k->pos < upto ? run_to(s, id, upto) : TRAWL_OK;
        if (st) {
            s->cb_status = st;
            return 1;
        }
        if (s0 > k->pos) {
            trawl__fz_kernel_reset(p, k);
            k->pos = s0;
        }
    }
    if (to + p->reach > k->active_until)
        k->active_until = to + p->reach;
    return 0;
}

static trawl_status fail_status(trawl_fuzzy_stream *s, trawl_status st, trawl_error *err)
{
    s->failed = true;
    if (st == TRAWL_ESTOPPED)
        return trawl__fail(err, st, "stopped by the callback");
    if (st == TRAWL_ENOMEM)
        return nomem(err);
    return trawl__fail(err, st, "seed scanner failed");
}

static void push_history(trawl_fuzzy_stream *s)
{
    size_t cap = s->db->hist_cap, n = s->chunk_len;
    if (n >= cap) {
        memcpy(s->hist, s->chunk + n - cap, cap);
        s->hist_len = cap;
    } else {
        size_t keep = s->hist_len < cap - n ? s->hist_len : cap - n;
        memmove(s->hist, s->hist + s->hist_len - keep, keep);
        memcpy(s->hist + keep, s->chunk, n);
        s->hist_len = keep + n;
    }
    s->hist_start = chunk_end(s) - s->hist_len;
}

/* Seeds that cover much of the data cost more than the kernel over every
 * byte (short regions, scalar kernel, a callback per seed). When the last
 * slice had that many seeds, this one runs the kernel everywhere (in lanes)
 * and ignores its seeds. Entering: the kernel restarts fresh lmax bytes
 * before the slice unless it is already closer -- every end before the slice
 * was either inside a region, done then, or inside none and so no match.
 * Leaving: the region runs on to the end of the last ignored seed's region. */
static void begin_slice(trawl_fuzzy_stream *s, size_t i)
{
    const fz_pat *p = &s->db->pats[i];
    fz_kstate *k = &s->ks[i];
    k->seeds = 0;
    if (!k->dense)
        return;
    uint64_t x = s->chunk_base > p->lmax ? s->chunk_base - p->lmax : 0;
    x = x > s->hist_start ? x : s->hist_start;
    if (x > k->pos) {
        trawl__fz_kernel_reset(p, k);
        k->pos = x;
    }
    if (k->active_until != UINT64_MAX && k->active_until > k->dense_until)
        k->dense_until = k->active_until; /* an open region outlives the slice */
    k->active_until = UINT64_MAX;
}

static void end_slice(trawl_fuzzy_stream *s, size_t i, size_t n)
{
    const fz_pat *p = &s->db->pats[i];
    fz_kstate *k = &s->ks[i];
    bool dense = k->seeds * 2 * p->reach * 4 >= n; /* regions cover >= ~1/4 */
    if (k->dense && !dense)
        k->active_until = k->dense_until > chunk_end(s) ? k->dense_until : chunk_end(s);
    k->dense = dense;
}

static trawl_status slice(trawl_fuzzy_stream *s, const uint8_t *p, size_t n)
{
    const trawl_fuzzy_db *db = s->db;
    s->chunk = p;
    s->chunk_len = n;
    s->chunk_base = s->pos;
    uint64_t end = chunk_end(s);
    for (size_t i = 0; i < db->n; i++)
        if (db->pats[i].seeded)
            begin_slice(s, i);
    if (db->hs) {
        hs_error_t e =
            hs_scan_stream(s->hss, (const char *)p, (unsigned)n, 0, s->hscratch, on_seed, s);
        if (s->cb_status)
            return s->cb_status;
        if (e != HS_SUCCESS)
            return TRAWL_EENGINE;
    }
    for (size_t i = 0; i < db->n; i++) {
        fz_kstate *k = &s->ks[i];
        uint64_t upto = k->active_until < end ? k->active_until : end;
        if (k->pos < upto) {
            trawl_status st = run_to(s, i, upto);
            if (st)
                return st;
        }
    }
    for (size_t i = 0; i < db->n; i++)
        if (db->pats[i].seeded)
            end_slice(s, i, n);
    for (size_t i = 0; i < db->n; i++) {
        const fz_pat *pt = &db->pats[i];
        /* every end <= known_end has been seen by the kernel, or lies
         * before any region a later seed can open */
        uint64_t lag = pt->seeded ? 2 * pt->lmax : pt->lmax;
        if (end >= lag && !s->collect_only) {
            trawl_status st = trawl__fz_sel_round(s, i, end - lag, false);
            if (st)
                return st;
        }
    }
    push_history(s);
    s->pos = end;
    return TRAWL_OK;
}

trawl_status trawl_fuzzy_stream_write(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                                      trawl_fuzzy_match_fn cb, void *ud, trawl_error *err)
{
    if (!s || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (s->failed || s->finished)
        return trawl__fail(err, TRAWL_ESTATE, "stream needs a reset");
    s->cb = cb;
    s->ud = ud;
    while (n > 0) {
        size_t take = n < s->slice ? n : s->slice;
        for (size_t i = 0; i < s->db->n; i++)
            s->sel[i].added = 0;
        trawl_status st = slice(s, p, take);
        if (st)
            return fail_status(s, st, err);
        size_t added = 0;
        for (size_t i = 0; i < s->db->n; i++)
            added += s->sel[i].added;
        if (added > CAND_BUDGET && s->slice > MIN_SLICE)
            s->slice /= 2;
        else if (added < CAND_BUDGET / 8 && s->slice < SLICE)
            s->slice *= 2;
        p += take;
        n -= take;
    }
    return TRAWL_OK;
}

trawl_status trawl_fuzzy_stream_finish(trawl_fuzzy_stream *s, trawl_fuzzy_match_fn cb, void *ud,
                                       trawl_error *err)
{
    if (!s)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (s->failed || s->finished)
        return trawl__fail(err, TRAWL_ESTATE, "stream needs a reset");
    s->cb = cb;
    s->ud = ud;
    /* the last slice is still readable through the history */
    s->chunk = NULL;
    s->chunk_len = 0;
    s->chunk_base = s->pos;
    for (size_t i = 0; i < s->db->n && !s->collect_only; i++) {
        trawl_status st = trawl__fz_sel_round(s, i, 0, true);
        if (st)
            return fail_status(s, st, err);
    }
    s->finished = true;
    return TRAWL_OK;
}

trawl_status trawl_fuzzy_scan(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                              trawl_fuzzy_match_fn cb, void *ud, trawl_error *err)
{
    trawl_fuzzy_stream_reset(s);
    trawl_status st = trawl_fuzzy_stream_write(s, p, n, cb, ud, err);
    if (st)
        return st;
    return trawl_fuzzy_stream_finish(s, cb, ud, err);
}
