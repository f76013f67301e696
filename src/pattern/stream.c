/* stream.c -- streaming scans: chunks in, matches out, bounded memory.
 *
 * The stream copies what it is given into a window [base, base + len) of
 * recent bytes before handing it to Hyperscan's stream mode, so that a
 * match's bytes and the verifier's look-back are always at hand. The window
 * keeps only what can still matter: the widest bounded pattern's reach, and
 * for patterns of varying width the starts not yet decided. When an
 * unbounded pattern needs more than window_max bytes to decide a start, the
 * write fails with TRAWL_ELIMIT rather than report a wrong match. */
#include "common/error.h"
#include "pattern/internal.h"

#include <stdlib.h>
#include <string.h>

#define STREAM_MAGIC   0x74727374u /* "trst" */
#define DEFAULT_WINDOW ((size_t)8 << 20)
#define MIN_WINDOW     ((size_t)64 << 10)

struct trawl_stream {
    uint32_t magic;
    const trawl_pattern_db *db;
    hs_stream_t *hs;
    unsigned flags;
    bool closed;
    uint8_t *buf;
    size_t cap, len, window_max;
    uint64_t base;
    uint64_t keep_back; /* bytes behind the end every report may need */
    pstate *ps;
};

trawl_status trawl_stream_open(const trawl_pattern_db *db, unsigned scan_flags, size_t window_max,
                               trawl_stream **out, trawl_error *err)
{
    trawl_error_clear(err);
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    *out = NULL;
    if (!db || db->magic != DB_MAGIC || (scan_flags & ~(unsigned)TRAWL_SCAN_OVERLAP))
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    if (!db->stream)
        return trawl__fail(err, TRAWL_EINVAL,
                           "the database was compiled for block scans only (no streaming)");
    if (window_max == 0)
        window_max = DEFAULT_WINDOW;
    if (window_max < MIN_WINDOW)
        window_max = MIN_WINDOW;
    /* a bounded pattern's whole reach must fit in half the window, so that
     * the other half is room for new data */
    if (db->max_bounded > window_max / 2)
        return trawl__fail(err, TRAWL_ELIMIT,
                           "a pattern can match %llu bytes; the stream window of %zu bytes is "
                           "too small",
                           (unsigned long long)db->max_bounded, window_max);
    trawl_stream *st = calloc(1, sizeof(*st));
    if (!st)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    st->magic = STREAM_MAGIC;
    st->db = db;
    st->flags = scan_flags;
    st->window_max = window_max;
    st->keep_back = db->max_bounded;
    st->ps = calloc(db->n, sizeof(*st->ps));
    st->cap = MIN_WINDOW;
    while (st->cap < 4 * st->keep_back && st->cap < window_max)
        st->cap *= 2;
    st->buf = malloc(st->cap);
    if (!st->ps || !st->buf || hs_open_stream(db->stream, 0, &st->hs) != HS_SUCCESS) {
        trawl_stream_free(st);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *out = st;
    return TRAWL_OK;
}

void trawl_stream_free(trawl_stream *st)
{
    if (!st)
        return;
    if (st->hs)
        hs_close_stream(st->hs, NULL, NULL, NULL);
    free(st->buf);
    free(st->ps);
    st->magic = 0;
    free(st);
}

uint64_t trawl_stream_offset(const trawl_stream *st)
{
    return st ? st->base + st->len : 0;
}

static scan_ctx make_ctx(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb, void *user,
                         bool eof)
{
    scan_ctx c = {.db = st->db,
                  .ps = st->ps,
                  .vm = &s->vm,
                  .flags = st->flags,
                  .buf = st->buf,
                  .base = st->base,
                  .len = st->len,
                  .eof = eof,
                  .cb = cb,
                  .user = user};
    return c;
}

/* The lowest offset the stream must still hold. */
static uint64_t needed_from(const trawl_stream *st)
{
    uint64_t end = st->base + st->len;
    uint64_t need = end > st->keep_back ? end - st->keep_back : 0;
    for (size_t i = 0; i < st->db->n; i++) {
        const tpat *t = &st->db->pats[i];
        const pstate *ps = &st->ps[i];
        if (!t->prog)
            continue;
        uint64_t from = end;
        if (ps->pend_lo != ps->pend_hi)
            from = ps->pend_lo > ps->next_check ? ps->pend_lo : ps->next_check;
        else if (t->wmax == PAT_INF)
            from = ps->next_check; /* any later end may need any start since */
        if (!(st->flags & TRAWL_SCAN_OVERLAP) && from < ps->next_start)
            from = ps->next_start;
        if (from < need)
            need = from;
    }
    return need;
}

/* For unbounded patterns, decide starts below `upto` now (with what the
 * window holds) so that their bytes may be dropped. False when stopped. */
static bool decide_early(trawl_stream *st, scan_ctx *c, uint64_t upto)
{
    for (size_t i = 0; i < st->db->n; i++) {
        const tpat *t = &st->db->pats[i];
        pstate *ps = &st->ps[i];
        if (!t->prog || t->wmax != PAT_INF)
            continue;
        uint64_t from = ps->pend_lo != ps->pend_hi && ps->pend_lo > ps->next_check ? ps->pend_lo
                                                                                   : ps->next_check;
        if (from >= upto)
            continue;
        if (ps->pend_lo == ps->pend_hi)
            ps->pend_lo = from;
        if (ps->pend_hi < upto)
            ps->pend_hi = upto;
        if (!scan_drain(c, (uint32_t)i))
            return false;
    }
    return true;
}

/* Makes room for at least one byte. */
static trawl_status make_room(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb, void *user,
                              bool *stopped, trawl_error *err)
{
    uint64_t end = st->base + st->len;
    uint64_t need = needed_from(st);
    if (need - st->base < st->cap / 2 && st->cap < st->window_max) {
        size_t cap = st->cap * 2 < st->window_max ? st->cap * 2 : st->window_max;
        uint8_t *b = realloc(st->buf, cap);
        if (!b)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        st->buf = b;
        st->cap = cap;
        if (st->len < st->cap)
            return TRAWL_OK;
    }
    if (need - st->base < st->cap / 4) {
        /* little to drop: try deciding unbounded patterns' old starts */
        uint64_t target = end - st->cap / 2;
        scan_ctx c = make_ctx(st, s, cb, user, false);
        if (!decide_early(st, &c, target)) {
            *stopped = true;
            return TRAWL_ESTOPPED;
        }
        need = needed_from(st);
    }
    if (need == st->base)
        return trawl__fail_at(err, TRAWL_ELIMIT, (int64_t)need, -1,
                              "a match starting here may be longer than the stream window (%zu "
                              "bytes); scan the file directly or use a larger window",
                              st->window_max);
    size_t drop = (size_t)(need - st->base);
    memmove(st->buf, st->buf + drop, st->len - drop);
    st->len -= drop;
    st->base = need;
    return TRAWL_OK;
}

static trawl_status check_stream(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb,
                                 trawl_error *err)
{
    if (!st || st->magic != STREAM_MAGIC || !cb)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    if (st->closed)
        return trawl__fail(err, TRAWL_ESTATE, "stream is closed");
    if (!s || s->magic != SCRATCH_MAGIC || s->vm.cap < st->db->max_prog)
        return trawl__fail(err, TRAWL_EINVAL, "scratch was not allocated for this database");
    if (s->busy)
        return trawl__fail(err, TRAWL_ESTATE, "scratch is in use by another scan");
    return TRAWL_OK;
}

static bool drain_all(trawl_stream *st, scan_ctx *c)
{
    for (size_t i = 0; i < st->db->n; i++) {
        const pstate *ps = &st->ps[i];
        if (st->db->pats[i].prog && ps->pend_lo != ps->pend_hi && !scan_drain(c, (uint32_t)i))
            return false;
    }
    return true;
}

trawl_status trawl_stream_write(trawl_stream *st, trawl_scratch *s, const uint8_t *data, size_t len,
                                trawl_match_fn cb, void *user, trawl_error *err)
{
    trawl_error_clear(err);
    trawl_status rc = check_stream(st, s, cb, err);
    if (rc != TRAWL_OK)
        return rc;
    if (!data && len)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    s->busy = 1;
    while (len > 0) {
        bool stopped = false;
        if (st->len == st->cap) {
            rc = make_room(st, s, cb, user, &stopped, err);
            if (rc != TRAWL_OK)
                break;
        }
        size_t piece = st->cap - st->len;
        if (piece > len)
            piece = len;
        if (piece > UINT32_MAX)
            piece = UINT32_MAX;
        memcpy(st->buf + st->len, data, piece);
        st->len += piece;
        data += piece;
        len -= piece;
        scan_ctx c = make_ctx(st, s, cb, user, false);
        hs_error_t r = hs_scan_stream(st->hs, (const char *)st->buf + st->len - piece,
                                      (unsigned)piece, 0, s->hs, scan_on_engine_match, &c);
        if (!c.stopped && r == HS_SUCCESS)
            drain_all(st, &c);
        if (c.stopped) {
            rc = trawl__fail(err, TRAWL_ESTOPPED, "stopped by callback");
            break;
        }
        if (r != HS_SUCCESS) {
            rc = trawl__fail(err, TRAWL_EENGINE, "Hyperscan stream scan failed (error %d)", r);
            break;
        }
    }
    s->busy = 0;
    return rc;
}

trawl_status trawl_stream_close(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb, void *user,
                                trawl_error *err)
{
    trawl_error_clear(err);
    trawl_status rc = check_stream(st, s, cb, err);
    if (rc != TRAWL_OK)
        return rc;
    s->busy = 1;
    st->closed = true;
    scan_ctx c = make_ctx(st, s, cb, user, true);
    hs_error_t r = hs_close_stream(st->hs, s->hs, scan_on_engine_match, &c);
    st->hs = NULL;
    if (!c.stopped && r == HS_SUCCESS)
        drain_all(st, &c);
    s->busy = 0;
    if (c.stopped)
        return trawl__fail(err, TRAWL_ESTOPPED, "stopped by callback");
    if (r != HS_SUCCESS)
        return trawl__fail(err, TRAWL_EENGINE, "Hyperscan stream close failed (error %d)", r);
    return TRAWL_OK;
}
