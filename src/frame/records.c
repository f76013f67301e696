/* records.c -- fixed-size records. The only thing that can go wrong is the
 * end: a partial record is reported as short-tail, never dropped. */
#include "common/error.h"
#include "frame/framer.h"

dec_result trawl__records_decode(const trawl_framer *f, const dec_in *in, dec_out *out)
{
    uint64_t size = f->u.record_size;
    if (in->n < size) {
        if (!in->final)
            return DEC_NEED;
        out->kind = TRAWL_FRAME_SHORT_TAIL;
        return DEC_FAULT;
    }
    out->used = (size_t)size;
    out->vstart = 0;
    out->vlen = (size_t)size;
    return DEC_UNIT;
}

trawl_status trawl_frame_records_new(uint64_t size, trawl_framer **out, trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "records: NULL argument");
    *out = NULL;
    if (size == 0 || size > SIZE_MAX / 2)
        return trawl__fail(err, TRAWL_EINVAL, "records: size must be at least 1 and fit memory");
    trawl_framer *f = trawl__framer_alloc(FRAMER_RECORDS, trawl__records_decode);
    if (!f)
        return trawl__fail(err, TRAWL_ENOMEM, "records: out of memory");
    f->u.record_size = size;
    f->min_window = size > 64 ? (size_t)size : 64;
    *out = f;
    return TRAWL_OK;
}
