/* delimited.c -- messages separated by a delimiter of 1 to 64 bytes.
 *
 * A message still waiting for its delimiter is searched only once: the
 * cursor keeps `scanned`, the prefix known to hold no delimiter start, so a
 * long message arriving in small reads costs O(length), not O(length^2). The
 * maximum size is what bounds a streaming reader's memory here. */
#include "common/error.h"
#include "frame/framer.h"

#include <string.h>

/* memmem is a GNU extension; this is memchr on the first byte + memcmp. */
static const uint8_t *search(const uint8_t *p, size_t n, const uint8_t *d, size_t dlen)
{
    while (n >= dlen) {
        const uint8_t *q = memchr(p, d[0], n - dlen + 1);
        if (!q)
            return NULL;
        if (!memcmp(q + 1, d + 1, dlen - 1))
            return q;
        n -= (size_t)(q + 1 - p);
        p = q + 1;
    }
    return NULL;
}

/* Offset of the first delimiter at or after `from`, or n when none. */
static size_t find(const trawl_framer *f, const uint8_t *p, size_t n, size_t from)
{
    size_t dlen = f->u.delim.dlen;
    if (from >= n)
        return n;
    const uint8_t *hit;
    if (dlen == 1)
        hit = memchr(p + from, f->u.delim.d[0], n - from);
    else
        hit = search(p + from, n - from, f->u.delim.d, dlen);
    return hit ? (size_t)(hit - p) : n;
}

/* Bytes of p[0..n) that cannot hold the start of a delimiter. */
static size_t settled(size_t n, size_t dlen)
{
    return n >= dlen ? n - (dlen - 1) : 0;
}

static dec_result discard(const trawl_framer *f, const dec_in *in, dec_out *out)
{
    size_t dlen = f->u.delim.dlen;
    size_t k = find(f, in->p, in->n, 0);
    if (k < in->n) {
        in->st->discarding = false;
        out->used = k + dlen;
        return DEC_SKIP;
    }
    out->used = in->final ? in->n : settled(in->n, dlen);
    return out->used ? DEC_SKIP : DEC_NEED;
}

static dec_result too_large(const dec_in *in, dec_out *out)
{
    in->st->discarding = true; /* resync goes on after the next delimiter */
    out->kind = TRAWL_FRAME_RECORD_TOO_LARGE;
    return DEC_FAULT;
}

dec_result trawl__delim_decode(const trawl_framer *f, const dec_in *in, dec_out *out)
{
    size_t dlen = f->u.delim.dlen;
    if (in->st->discarding)
        return discard(f, in, out);
    uint64_t max = f->u.delim.max ? f->u.delim.max : UINT64_MAX;
    if (max > in->cap - dlen)
        max = in->cap - dlen;
    size_t k = find(f, in->p, in->n, in->st->scanned);
    if (k < in->n) {
        if (k > max)
            return too_large(in, out);
        out->used = k + dlen;
        out->vstart = 0;
        out->vlen = k;
        out->terminated = true;
        return DEC_UNIT;
    }
    if (in->final) {
        if (in->n > max)
            return too_large(in, out);
        out->used = in->n;
        out->vstart = 0;
        out->vlen = in->n;
        out->terminated = false;
        return DEC_UNIT;
    }
    if (settled(in->n, dlen) > max)
        return too_large(in, out);
    in->st->scanned = settled(in->n, dlen);
    return DEC_NEED;
}

trawl_status trawl_frame_delim_new(const trawl_frame_delim_opts *o, trawl_framer **out,
                                   trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!o || !out || (!o->delimiter && o->delimiter_len))
        return trawl__fail(err, TRAWL_EINVAL, "delimited: NULL argument");
    if (o->delimiter_len == 0 || o->delimiter_len > TRAWL_FRAME_MAX_DELIMITER)
        return trawl__fail(err, TRAWL_EINVAL, "delimited: delimiter must be 1 to %d bytes",
                           TRAWL_FRAME_MAX_DELIMITER);
    trawl_framer *f = trawl__framer_alloc(FRAMER_DELIM, trawl__delim_decode);
    if (!f)
        return trawl__fail(err, TRAWL_ENOMEM, "delimited: out of memory");
    memcpy(f->u.delim.d, o->delimiter, o->delimiter_len);
    f->u.delim.dlen = o->delimiter_len;
    f->u.delim.max = o->max_size;
    f->min_window = 2 * o->delimiter_len + 64;
    *out = f;
    return TRAWL_OK;
}
