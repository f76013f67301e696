/* framer.c -- what all framers share: allocation, freeing, and the names and
 * messages of fault kinds (generated from TRAWL_FRAME_FAULT_MAP so the CLI,
 * the docs and the library cannot disagree). */
#include "common/error.h"
#include "frame/framer.h"

#include <stdlib.h>

static const char *const fault_names[] = {
#define NAME(name, str, msg) str,
    TRAWL_FRAME_FAULT_MAP(NAME)
#undef NAME
};

static const char *const fault_messages[] = {
#define MSG(name, str, msg) msg,
    TRAWL_FRAME_FAULT_MAP(MSG)
#undef MSG
};

const char *trawl_frame_fault_name(trawl_frame_fault_kind k)
{
    return (unsigned)k < TRAWL_FRAME_FAULT_COUNT_ ? fault_names[k] : "unknown";
}

const char *trawl_frame_fault_message(trawl_frame_fault_kind k)
{
    return (unsigned)k < TRAWL_FRAME_FAULT_COUNT_ ? fault_messages[k] : "unknown fault";
}

trawl_status trawl_frame_fault_to_error(const trawl_frame_fault *f, trawl_error *err)
{
    if (!f)
        return trawl__fail(err, TRAWL_EINVAL, "NULL fault");
    trawl_status s = TRAWL_EFORMAT;
    if (f->kind == TRAWL_FRAME_TRUNCATED_HEADER || f->kind == TRAWL_FRAME_TRUNCATED_VALUE ||
        f->kind == TRAWL_FRAME_SHORT_TAIL)
        s = TRAWL_ETRUNCATED;
    else if (f->kind == TRAWL_FRAME_IO)
        s = TRAWL_EIO;
    return trawl__fail_at(err, s, (int64_t)f->offset, (int64_t)f->index, "%s: %s",
                          trawl_frame_fault_name(f->kind), trawl_frame_fault_message(f->kind));
}

trawl_framer *trawl__framer_alloc(enum framer_kind kind, dec_fn decode)
{
    trawl_framer *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->kind = kind;
    f->decode = decode;
    f->min_window = 64;
    f->too_large = TRAWL_FRAME_RECORD_TOO_LARGE;
    return f;
}

void trawl_framer_free(trawl_framer *f)
{
    if (!f)
        return;
    if (f->kind == FRAMER_PACKETS)
        trawl_struct_free(f->u.pkt.hdr);
    free(f);
}

const trawl_struct *trawl_framer_header(const trawl_framer *f)
{
    return f && f->kind == FRAMER_PACKETS ? f->u.pkt.hdr : NULL;
}
