/* iter.c -- the buffer iterator: a cursor over the caller's whole buffer,
 * so every span points into that buffer and nothing is ever copied. */
#include "common/error.h"
#include "frame/framer.h"

#include <assert.h>
#include <stdlib.h>

#define ITER_MAGIC 0x54495246u /* debug builds catch use after free and stray pointers */

struct trawl_frame_iter {
    unsigned magic;
    frame_cursor c;
    bool has_fault; /* a fault met by next_batch, for the next call to next() */
    trawl_frame_fault fault;
};

trawl_status trawl_frame_iter_new(const trawl_framer *f, unsigned flags, trawl_frame_iter **out,
                                  trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!f || !out)
        return trawl__fail(err, TRAWL_EINVAL, "frame iterator: NULL argument");
    if (flags & ~TRAWL_FRAME_RESYNC)
        return trawl__fail(err, TRAWL_EINVAL, "frame iterator: unknown flags 0x%x", flags);
    trawl_frame_iter *it = malloc(sizeof(*it));
    if (!it)
        return trawl__fail(err, TRAWL_ENOMEM, "frame iterator: out of memory");
    it->magic = ITER_MAGIC;
    trawl__cursor_init(&it->c, f, flags);
    trawl_frame_iter_reset(it, NULL, 0);
    *out = it;
    return TRAWL_OK;
}

void trawl_frame_iter_reset(trawl_frame_iter *it, const uint8_t *p, size_t n)
{
    assert(it && it->magic == ITER_MAGIC);
    trawl__cursor_init(&it->c, it->c.f, it->c.flags);
    it->has_fault = false;
    it->c.buf = p;
    it->c.len = p ? n : 0;
    it->c.eof = true;
}

trawl_frame_step trawl_frame_iter_next(trawl_frame_iter *it, trawl_frame_unit *unit,
                                       trawl_frame_fault *fault)
{
    assert(it && it->magic == ITER_MAGIC && unit && fault);
    if (it->has_fault) {
        it->has_fault = false;
        *fault = it->fault;
        return TRAWL_FRAME_FAULT;
    }
    /* eof is set, so the cursor never asks for more bytes */
    return (trawl_frame_step)trawl__cursor_step(&it->c, unit, fault);
}

size_t trawl_frame_iter_next_batch(trawl_frame_iter *it, trawl_frame_unit *units, size_t max)
{
    if (!it || !units)
        return 0;
    if (it->has_fault)
        return 0;
    size_t k = trawl__cursor_batch(&it->c, units, max);
    while (k < max) { /* the general path, one unit at a time, until a non-unit */
        int s = trawl__cursor_step(&it->c, &units[k], &it->fault);
        if (s == TRAWL_FRAME_FAULT)
            it->has_fault = true; /* kept for trawl_frame_iter_next */
        if (s != TRAWL_FRAME_UNIT)
            break; /* an end stays an end: the cursor is stopped */
        k++;
        k += trawl__cursor_batch(&it->c, units + k, max - k);
    }
    return k;
}

void trawl_frame_iter_counts(const trawl_frame_iter *it, uint64_t *units, uint64_t *faults,
                             uint64_t *skipped)
{
    if (units)
        *units = it->c.n_units;
    if (faults)
        *faults = it->c.n_faults;
    if (skipped)
        *skipped = it->c.n_skipped;
}

void trawl_frame_iter_free(trawl_frame_iter *it)
{
    if (!it)
        return;
    assert(it->magic == ITER_MAGIC);
    it->magic = 0;
    free(it);
}
