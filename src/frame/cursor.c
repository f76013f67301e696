/* cursor.c -- drives a decoder over a window of bytes: absolute offsets,
 * record indexes, nesting of TLV containers, stop/resync after faults. The
 * buffer iterator is a cursor over the whole buffer; the streaming reader is
 * a cursor over a sliding window that asks for more bytes on CURSOR_NEED.
 *
 * Resync: after a fault the cursor steps one byte and decodes again, without
 * reporting, until a unit decodes or the input (or the enclosing container)
 * ends; then it reports one fault for the stretch, holding the good unit
 * back for the next call. */
#include "frame/framer.h"

#include <string.h>

void trawl__cursor_init(frame_cursor *c, const trawl_framer *f, unsigned flags)
{
    memset(c, 0, sizeof(*c));
    c->f = f;
    c->flags = flags;
    c->cap = UINT64_MAX;
}

/* Ends a resync stretch at absolute offset `at` and reports it. */
static int flush_fault(frame_cursor *c, uint64_t at, trawl_frame_fault *fault)
{
    *fault = c->pending;
    fault->skipped = at - c->pending.offset;
    c->faulting = false;
    c->n_faults++;
    c->n_skipped += fault->skipped;
    return TRAWL_FRAME_FAULT;
}

/* A fault at the cursor: stop, or start/continue a resync stretch. Returns
 * the step to report, or -1 to keep decoding. */
static int on_fault(frame_cursor *c, trawl_frame_fault_kind kind, trawl_frame_fault *fault)
{
    uint64_t at = c->base + c->pos;
    c->st.scanned = 0;
    if (!(c->flags & TRAWL_FRAME_RESYNC)) {
        memset(fault, 0, sizeof(*fault));
        fault->kind = kind;
        fault->offset = at;
        fault->index = c->index;
        c->stopped = true;
        c->n_faults++;
        return TRAWL_FRAME_FAULT;
    }
    if (!c->faulting) {
        memset(&c->pending, 0, sizeof(c->pending));
        c->faulting = true;
        c->pending.kind = kind;
        c->pending.offset = at;
        c->pending.index = c->index;
    }
    c->pos++;
    return -1;
}

static void fill_unit(frame_cursor *c, const dec_out *o, trawl_frame_unit *u)
{
    const uint8_t *p = c->buf + c->pos;
    u->index = c->index++;
    u->offset = c->base + c->pos;
    u->data.ptr = p;
    u->data.len = o->used;
    u->value.ptr = p + o->vstart;
    u->value.len = o->vlen;
    u->type = o->type;
    u->depth = c->depth;
    u->container = o->container && c->depth < c->f->max_depth;
    u->terminated = o->terminated;
    if (u->container) {
        c->ends[c->depth++] = u->offset + o->used;
        c->pos += o->vstart;
    } else {
        c->pos += o->used;
    }
    c->st.scanned = 0;
}

int trawl__cursor_fault(frame_cursor *c, trawl_frame_fault_kind kind, trawl_frame_unit *u,
                        trawl_frame_fault *fault)
{
    int r = on_fault(c, kind, fault);
    return r >= 0 ? r : trawl__cursor_step(c, u, fault);
}

/* A plain unit with no nesting, fault or held unit pending: the hot path. */
static bool fast_unit(frame_cursor *c, trawl_frame_unit *u)
{
    const trawl_framer *f = c->f;
    size_t n = c->len - c->pos;
    const uint8_t *p = c->buf + c->pos;
    dec_out o;
    if (f->kind == FRAMER_TLV && f->u.tlv.fast) {
        if (!trawl__tlv_fast(trawl__tlv_params(f, c->cap), p, n, &o))
            return false;
    } else if (f->kind == FRAMER_RECORDS && n >= f->u.record_size) {
        o.used = o.vlen = (size_t)f->u.record_size;
        o.vstart = 0;
        o.type = 0;
    } else {
        return false;
    }
    u->index = c->index++;
    u->offset = c->base + c->pos;
    u->data.ptr = p;
    u->data.len = o.used;
    u->value.ptr = p + o.vstart;
    u->value.len = o.vlen;
    u->type = o.type;
    u->depth = 0;
    u->container = false;
    u->terminated = false;
    c->pos += o.used;
    c->n_units++;
    return true;
}

size_t trawl__cursor_batch(frame_cursor *c, trawl_frame_unit *units, size_t max)
{
    if (c->held | c->stopped | c->faulting || c->depth != 0)
        return 0;
    const trawl_framer *f = c->f;
    size_t k = 0;
    if (f->kind == FRAMER_TLV && f->u.tlv.fast) {
        /* pos and index stay in registers: the loop's only dependency chain
         * is position -> length byte -> position */
        size_t pos = c->pos, len = c->len;
        const uint8_t *buf = c->buf;
        uint64_t index = c->index, base = c->base;
        tlv_params q = trawl__tlv_params(f, c->cap);
        dec_out o;
        while (k < max && pos < len && trawl__tlv_fast(q, buf + pos, len - pos, &o)) {
            trawl_frame_unit *u = &units[k++];
            u->index = index++;
            u->offset = base + pos;
            u->data.ptr = buf + pos;
            u->data.len = o.used;
            u->value.ptr = buf + pos + o.vstart;
            u->value.len = o.vlen;
            u->type = o.type;
            u->depth = 0;
            u->container = false;
            u->terminated = false;
            pos += o.used;
        }
        c->pos = pos;
        c->index = index;
        c->n_units += k;
        return k;
    }
    while (k < max && c->pos < c->len && fast_unit(c, &units[k]))
        k++;
    return k;
}

int trawl__cursor_step(frame_cursor *c, trawl_frame_unit *u, trawl_frame_fault *fault)
{
    if (!(c->held | c->stopped | c->faulting) && c->depth == 0 && c->pos < c->len &&
        fast_unit(c, u))
        return TRAWL_FRAME_UNIT;
    if (c->held) {
        c->held = false;
        *u = c->held_unit;
        c->n_units++;
        return TRAWL_FRAME_UNIT;
    }
    if (c->stopped)
        return TRAWL_FRAME_END;
    for (;;) {
        uint64_t at = c->base + c->pos;
        while (c->depth > 0 && at >= c->ends[c->depth - 1])
            c->depth--;
        size_t limit = c->len;
        bool final = c->eof;
        if (c->depth > 0) {
            limit = (size_t)(c->ends[c->depth - 1] - c->base);
            final = true;
        }
        if (c->pos >= limit) {
            if (!final)
                return CURSOR_NEED;
            if (c->faulting)
                return flush_fault(c, at, fault);
            c->stopped = true;
            return TRAWL_FRAME_END;
        }
        dec_in in = {c->buf + c->pos, limit - c->pos, final, c->cap, &c->st};
        dec_out o; /* decoders set what a result needs; these three are optional */
        o.type = 0;
        o.container = false;
        o.terminated = false;
        int r;
        switch (c->f->decode(c->f, &in, &o)) {
        case DEC_NEED:
            return CURSOR_NEED;
        case DEC_SKIP:
            c->pos += o.used;
            c->st.scanned = 0;
            continue;
        case DEC_FAULT:
            r = on_fault(c, o.kind, fault);
            if (r >= 0)
                return r;
            continue;
        case DEC_UNIT:
            fill_unit(c, &o, u);
            if (c->faulting) {
                c->held = true;
                c->held_unit = *u;
                return flush_fault(c, at, fault);
            }
            c->n_units++;
            return TRAWL_FRAME_UNIT;
        }
    }
}
