/* iter.c -- the buffer iterator: a cursor over the caller's whole buffer,
 * so every span points into that buffer and nothing is ever copied. */
#include "common/error.h"
#include "frame/framer.h"

#include <stdlib.h>

struct trawl_frame_iter {
    frame_cursor c;
};

trawl_status trawl_frame_iter_new(const trawl_framer *f, unsigned flags, trawl_frame_iter **out,
                                  trawl_error *err)
{
    if (out) *out = NULL;
    if (!f || !out) return trawl__fail(err, TRAWL_EINVAL, "frame iterator: NULL argument");
    if (flags & ~TRAWL_FRAME_RESYNC)
        return trawl__fail(err, TRAWL_EINVAL, "frame iterator: unknown flags 0x%x", flags);
    trawl_frame_iter *it = malloc(sizeof(*it));
    if (!it) return trawl__fail(err, TRAWL_ENOMEM, "frame iterator: out of memory");
    trawl__cursor_init(&it->c, f, flags);
    trawl_frame_iter_reset(it, NULL, 0);
    *out = it;
    return TRAWL_OK;
}

void trawl_frame_iter_reset(trawl_frame_iter *it, const uint8_t *p, size_t n)
{
    trawl__cursor_init(&it->c, it->c.f, it->c.flags);
    it->c.buf = p;
    it->c.len = p ? n : 0;
    it->c.eof = true;
}

trawl_frame_step trawl_frame_iter_next(trawl_frame_iter *it, trawl_frame_unit *unit,
                                       trawl_frame_fault *fault)
{
    /* eof is set, so the cursor never asks for more bytes */
    return (trawl_frame_step)trawl__cursor_step(&it->c, unit, fault);
}

void trawl_frame_iter_counts(const trawl_frame_iter *it, uint64_t *units, uint64_t *faults,
                             uint64_t *skipped)
{
    if (units) *units = it->c.n_units;
    if (faults) *faults = it->c.n_faults;
    if (skipped) *skipped = it->c.n_skipped;
}

void trawl_frame_iter_free(trawl_frame_iter *it)
{
    free(it);
}
