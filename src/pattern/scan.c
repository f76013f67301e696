/* scan.c -- from engine reports to trawl's match semantics, and the block
 * scan.
 *
 * Hyperscan reports, for each pattern, every offset at which some match
 * ends. For a pattern of fixed width w that is enough: a match ending at e
 * starts at e - w, and it is the only (hence longest) match from there. For a
 * pattern whose width varies, an end e says only that some match starts in
 * [e - max_width, e - min_width]; the verifier (prog.c) then decides, start by
 * start and in order, whether a match begins there and how long the longest
 * one is. Every start is decided at most once per scan, and only starts that
 * an engine report points at are looked at. */
#include "common/error.h"
#include "pattern/internal.h"

#include <stdlib.h>
#include <string.h>

static bool emit(scan_ctx *c, uint32_t id, uint64_t start, uint64_t len)
{
    trawl_match m = {
        .offset = start,
        .length = len,
        .pattern = id,
        .data = c->buf + (start - c->base),
    };
    if (c->cb(&m, c->user) != 0) {
        c->stopped = true;
        return false;
    }
    return true;
}

/* Every start before s is decided: what stays pending begins at s. */
static void settle(pstate *ps, uint64_t s)
{
    ps->next_check = s;
    if (s >= ps->pend_hi)
        ps->pend_lo = ps->pend_hi = 0; /* nothing pending */
    else
        ps->pend_lo = s;
}

/* scan_drain() without overlap: one pass of the many-start verifier
 * decides every pending start, so a long run of candidate starts costs what
 * one start costs (per-start runs would be quadratic in the run). */
static bool drain_leftmost(scan_ctx *c, uint32_t id, uint64_t s)
{
    const tpat *t = &c->db->pats[id];
    pstate *ps = &c->ps[id];
    uint64_t end = c->base + c->len;
    while (s < ps->pend_hi) {
        size_t rel, L;
        vm_result r = prog_leftmost(t->prog, c->vm, c->buf + (s - c->base), (size_t)(end - s), s,
                                    c->eof, (size_t)(ps->pend_hi - s), &rel, &L);
        if (r == VR_MORE) {
            s += rel;
            break;
        }
        if (r == VR_NOMATCH) {
            s = ps->pend_hi;
            break;
        }
        s += rel;
        bool go = emit(c, id, s, L);
        s += L;
        ps->next_start = s;
        if (!go) {
            ps->next_check = s;
            return false;
        }
    }
    settle(ps, s);
    return true;
}

bool scan_drain(scan_ctx *c, uint32_t id)
{
    const tpat *t = &c->db->pats[id];
    pstate *ps = &c->ps[id];
    bool overlap = c->flags & TRAWL_SCAN_OVERLAP;
    uint64_t s = ps->pend_lo > ps->next_check ? ps->pend_lo : ps->next_check;
    if (!overlap && s < ps->next_start)
        s = ps->next_start;
    uint64_t end = c->base + c->len;
    if (!overlap)
        return drain_leftmost(c, id, s);
    while (s < ps->pend_hi) {
        size_t L;
        if (!prog_may_start(t->prog, c->buf + (s - c->base), (size_t)(end - s))) {
            s++;
            continue;
        }
        vm_result r =
            prog_longest(t->prog, c->vm, c->buf + (s - c->base), (size_t)(end - s), s, c->eof, &L);
        if (r == VR_MORE)
            break;
        if (r == VR_NOMATCH) {
            s++;
            continue;
        }
        if (!emit(c, id, s, L)) {
            s = overlap ? s + 1 : s + L;
            ps->next_start = s;
            ps->next_check = s;
            return false;
        }
        s = overlap ? s + 1 : s + L;
        ps->next_start = s;
    }
    settle(ps, s);
    return true;
}

int scan_on_engine_match(unsigned id, unsigned long long from, unsigned long long to,
                         unsigned flags, void *ctx)
{
    (void)from; /* the leftmost start of a match ending here is not enough: an
                 * earlier start may have a longer match that ends later */
    (void)flags;
    scan_ctx *c = ctx;
    /* A loaded database (trawl_pattern_db_deserialize, the cache) is bytes
     * from a file: its engine part must not make the scan index past the
     * patterns or start a match before the input. Never true of a database
     * compiled here. */
    if (id >= c->db->n || to < c->db->pats[id].wmin)
        return 0;
    const tpat *t = &c->db->pats[id];
    pstate *ps = &c->ps[id];
    if (ps->gen != c->gen) { /* first report of this pattern in this scan */
        memset(ps, 0, sizeof(*ps));
        ps->gen = c->gen;
    }
    if (to < ps->last_end) /* the engine reports each end once; be sure */
        return 0;
    ps->last_end = to + 1;
    if (!t->prog) {
        uint64_t start = to - t->wmin;
        if (!(c->flags & TRAWL_SCAN_OVERLAP)) {
            if (start < ps->next_start)
                return 0;
            ps->next_start = to;
        }
        return emit(c, id, start, t->wmin) ? 0 : 1;
    }
    /* starts that could end here: [to - wmax, to - wmin] */
    uint64_t lo = t->wmax == PAT_INF || t->wmax > to ? 0 : to - t->wmax;
    uint64_t hi = to - t->wmin + 1;
    if (ps->pend_lo == ps->pend_hi)
        ps->pend_lo = lo;
    else if (lo < ps->pend_lo)
        ps->pend_lo = lo;
    if (hi > ps->pend_hi)
        ps->pend_hi = hi;
    return scan_drain(c, id) ? 0 : 1;
}

/* ---- scratch -------------------------------------------------------------- */

trawl_status trawl_scratch_alloc(const trawl_pattern_db *db, trawl_scratch **s, trawl_error *err)
{
    trawl_error_clear(err);
    if (!db || db->magic != DB_MAGIC || !s)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    trawl_scratch *sc = *s;
    bool fresh = sc == NULL;
    if (fresh) {
        sc = calloc(1, sizeof(*sc));
        if (!sc)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        sc->magic = SCRATCH_MAGIC;
    } else if (sc->magic != SCRATCH_MAGIC || sc->busy) {
        return trawl__fail(err, TRAWL_ESTATE, "scratch is not valid or is in use");
    }
    trawl_status st = TRAWL_OK;
    if (hs_alloc_scratch(db->block, &sc->hs) != HS_SUCCESS ||
        (db->stream && hs_alloc_scratch(db->stream, &sc->hs) != HS_SUCCESS))
        st = trawl__fail(err, TRAWL_ENOMEM, "Hyperscan could not allocate scratch");
    else if (vm_mem_reserve(&sc->vm, db->max_prog) != 0)
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    else if (db->n > sc->ps_cap) {
        pstate *ps = realloc(sc->ps, db->n * sizeof(*ps));
        if (!ps)
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        else {
            /* gen 0 is never a block scan's: the new states are stale */
            memset(ps, 0, db->n * sizeof(*ps));
            sc->ps = ps;
            sc->ps_cap = db->n;
        }
    }
    if (st != TRAWL_OK && fresh) {
        trawl_scratch_free(sc);
        return st;
    }
    *s = sc;
    return st;
}

void trawl_scratch_free(trawl_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    vm_mem_free(&s->vm);
    free(s->ps);
    s->magic = 0;
    free(s);
}

/* ---- block scan ----------------------------------------------------------- */

static trawl_status check_scratch(const trawl_pattern_db *db, trawl_scratch *s, trawl_error *err)
{
    if (!db || db->magic != DB_MAGIC)
        return trawl__fail(err, TRAWL_EINVAL, "invalid pattern database");
    if (!s || s->magic != SCRATCH_MAGIC)
        return trawl__fail(err, TRAWL_EINVAL, "invalid scratch");
    if (s->busy)
        return trawl__fail(err, TRAWL_ESTATE, "scratch is in use by another scan");
    if (s->ps_cap < db->n || s->vm.cap < db->max_prog)
        return trawl__fail(err, TRAWL_EINVAL, "scratch was not allocated for this database");
    return TRAWL_OK;
}

/* Blocks too large for one hs_scan go through the stream database piece by
 * piece; the verifier still sees the whole buffer. */
static hs_error_t scan_as_stream(const hs_database_t *hdb, trawl_scratch *s, scan_ctx *c)
{
    hs_stream_t *hs = NULL;
    hs_error_t r = hs_open_stream(hdb, 0, &hs);
    const size_t piece = (size_t)1 << 30;
    for (size_t off = 0; r == HS_SUCCESS && off < c->len; off += piece) {
        size_t n = c->len - off < piece ? c->len - off : piece;
        r = hs_scan_stream(hs, (const char *)c->buf + off, (unsigned)n, 0, s->hs,
                           scan_on_engine_match, c);
    }
    if (hs) {
        hs_error_t rc =
            hs_close_stream(hs, s->hs, r == HS_SUCCESS ? scan_on_engine_match : NULL, c);
        if (r == HS_SUCCESS)
            r = rc;
    }
    return r;
}

trawl_status trawl_scan(const trawl_pattern_db *db, trawl_scratch *s, const uint8_t *data,
                        size_t len, unsigned scan_flags, trawl_match_fn cb, void *user,
                        trawl_error *err)
{
    trawl_status st = check_scratch(db, s, err);
    if (st != TRAWL_OK)
        return st;
    if ((!data && len) || !cb || (scan_flags & ~(unsigned)TRAWL_SCAN_OVERLAP))
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    if (len > UINT32_MAX && !db->stream) /* Hyperscan's blocks stop at 4 GiB */
        return trawl__fail(err, TRAWL_ELIMIT,
                           "input of %zu bytes is over 4 GiB and the database was compiled for "
                           "block scans only",
                           len);
    s->busy = 1;
    s->gen++; /* resets every pattern's state, lazily: a scan touches few */
    scan_ctx c = {.db = db,
                  .ps = s->ps,
                  .gen = s->gen,
                  .vm = &s->vm,
                  .flags = scan_flags,
                  .buf = data ? data : (const uint8_t *)"",
                  .len = len,
                  .eof = true,
                  .cb = cb,
                  .user = user};
    hs_error_t r;
    if (len <= UINT32_MAX)
        r = hs_scan(db->block, (const char *)c.buf, (unsigned)len, 0, s->hs, scan_on_engine_match,
                    &c);
    else
        r = scan_as_stream(db->stream, s, &c);
    s->busy = 0;
    if (c.stopped)
        return trawl__fail(err, TRAWL_ESTOPPED, "stopped by callback");
    if (r != HS_SUCCESS)
        return trawl__fail(err, TRAWL_EENGINE, "Hyperscan scan failed (error %d)", r);
    return TRAWL_OK;
}
