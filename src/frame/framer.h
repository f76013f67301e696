/* framer.h -- internal to src/frame/: the decoder interface every format
 * implements, and the cursor that drives a decoder over a window of bytes.
 *
 * A decoder looks at the bytes from the start of one unit and answers with
 * one of: a whole unit (and its size), "need more bytes" (only when more may
 * come), a fault kind, or "skip these bytes" (only while discarding after a
 * fault in resync mode). It keeps no state of its own between calls except
 * the small dec_state the cursor owns, so the same decoder serves the buffer
 * iterator and the streaming reader, which is why they agree exactly. */
#ifndef TRAWL_SRC_FRAME_FRAMER_H
#define TRAWL_SRC_FRAME_FRAMER_H

#include <trawl/frame.h>

typedef enum dec_result { DEC_UNIT, DEC_NEED, DEC_FAULT, DEC_SKIP } dec_result;

/* Carried by the cursor across retries of the same unit. */
typedef struct dec_state {
    size_t scanned;  /* delimited: bytes known to hold no delimiter start */
    bool discarding; /* delimited resync: skipping to the next delimiter */
} dec_state;

typedef struct dec_in {
    const uint8_t *p; /* first byte of the unit */
    size_t n;         /* bytes available from p (n >= 1) */
    bool final;       /* nothing follows p[n-1]: end of input or of the parent */
    uint64_t cap;     /* largest unit the caller can hold */
    dec_state *st;
} dec_in;

typedef struct dec_out {
    size_t used;   /* UNIT, SKIP: bytes consumed */
    size_t vstart; /* UNIT: value offset within the unit */
    size_t vlen;   /* UNIT: value length */
    uint64_t type;
    bool container;
    bool terminated;
    trawl_frame_fault_kind kind; /* FAULT */
} dec_out;

typedef dec_result (*dec_fn)(const trawl_framer *f, const dec_in *in, dec_out *out);

enum framer_kind { FRAMER_TLV, FRAMER_RECORDS, FRAMER_PACKETS, FRAMER_DELIM };

struct trawl_framer {
    enum framer_kind kind;
    dec_fn decode;
    size_t min_window; /* a reader's window must hold at least this */
    trawl_frame_fault_kind too_large;
    unsigned max_depth;
    union {
        struct {
            trawl_frame_tlv_opts o;
            size_t hdr; /* fixed header size when !o.ber */
            bool fast;  /* fixed widths, no containers: tlv_fast applies */
            uint64_t containers[TRAWL_FRAME_MAX_CONTAINERS]; /* sorted */
        } tlv;
        uint64_t record_size;
        struct {
            trawl_struct *hdr;
            size_t hsize;
            unsigned field;
            bool includes;
            int64_t adjust;
            uint64_t max;
        } pkt;
        struct {
            uint8_t d[TRAWL_FRAME_MAX_DELIMITER];
            size_t dlen;
            uint64_t max;
        } delim;
    } u;
};

dec_result trawl__tlv_decode(const trawl_framer *f, const dec_in *in, dec_out *out);
dec_result trawl__records_decode(const trawl_framer *f, const dec_in *in, dec_out *out);
dec_result trawl__packets_decode(const trawl_framer *f, const dec_in *in, dec_out *out);
dec_result trawl__delim_decode(const trawl_framer *f, const dec_in *in, dec_out *out);

/* Allocates a zeroed framer of the given kind. NULL when out of memory. */
trawl_framer *trawl__framer_alloc(enum framer_kind kind, dec_fn decode);

/* Fixed-width integer of 1, 2 or 4 bytes. */
static inline uint64_t trawl__load(const uint8_t *p, unsigned w, bool little)
{
    switch (w) { /* fixed widths so the compiler emits plain loads */
    case 1:
        return p[0];
    case 2:
        return little ? (uint64_t)p[0] | (uint64_t)p[1] << 8 : (uint64_t)p[0] << 8 | p[1];
    default:
        return little ? (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                            (uint64_t)p[3] << 24
                      : (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
    }
}

/* The parameters of a fixed-width TLV, copied into locals so that the hot
 * loop does not reload them after every store to a unit (which may alias). */
typedef struct tlv_params {
    unsigned ts, ls;
    bool little, incl;
    size_t hdr;
    uint64_t max; /* min(max_record, cap - hdr): larger values fail fast */
} tlv_params;

static inline tlv_params trawl__tlv_params(const trawl_framer *f, uint64_t cap)
{
    const trawl_frame_tlv_opts *t = &f->u.tlv.o;
    tlv_params q = {t->type_size, t->length_size,    t->little_endian, t->length_includes_header,
                    f->u.tlv.hdr, cap - f->u.tlv.hdr};
    if (t->max_record && t->max_record < q.max)
        q.max = t->max_record;
    return q;
}

/* The common case of a fixed-width TLV without containers, inlined into the
 * cursor: true and *o filled when p[0..n) starts with a whole, valid record.
 * Anything else (short input, bad length, limits) returns false and goes
 * through trawl__tlv_decode, which names the fault. */
static inline bool trawl__tlv_fast(tlv_params q, const uint8_t *p, size_t n, dec_out *o)
{
    if (n < q.hdr)
        return false;
    uint64_t len = trawl__load(p + q.ts, q.ls, q.little);
    if (q.incl) {
        if (len < q.hdr)
            return false;
        len -= q.hdr;
    }
    if (len > q.max || len > n - q.hdr)
        return false;
    o->used = q.hdr + (size_t)len;
    o->vstart = q.hdr;
    o->vlen = (size_t)len;
    o->type = trawl__load(p, q.ts, q.little);
    return true;
}

/* --- the cursor -------------------------------------------------------------- */

#define CURSOR_NEED 3 /* beyond trawl_frame_step: the window needs more bytes */

typedef struct frame_cursor {
    const trawl_framer *f;
    unsigned flags;
    const uint8_t *buf; /* the window */
    size_t len;
    size_t pos;
    uint64_t base; /* absolute offset of buf[0] */
    bool eof;      /* no bytes follow buf[len-1] */
    uint64_t cap;  /* largest unit the window can hold */
    uint64_t index;
    uint32_t depth;
    uint64_t ends[TRAWL_FRAME_MAX_DEPTH]; /* absolute ends of open containers */
    dec_state st;
    bool stopped;
    bool faulting;
    trawl_frame_fault pending;
    bool held;
    trawl_frame_unit held_unit;
    uint64_t n_units, n_faults, n_skipped;
} frame_cursor;

void trawl__cursor_init(frame_cursor *c, const trawl_framer *f, unsigned flags);
/* TRAWL_FRAME_END / _UNIT / _FAULT, or CURSOR_NEED (only when !c->eof). */
int trawl__cursor_step(frame_cursor *c, trawl_frame_unit *u, trawl_frame_fault *fault);
/* Up to max plain units through the inlined fast paths (TLV with fixed
 * widths and no containers, fixed records); 0 when the next step needs the
 * general path. */
size_t trawl__cursor_batch(frame_cursor *c, trawl_frame_unit *units, size_t max);
/* Reports a fault of `kind` at the cursor's position as the decoder would
 * have (the reader's "unit does not fit" and read errors). */
int trawl__cursor_fault(frame_cursor *c, trawl_frame_fault_kind kind, trawl_frame_unit *u,
                        trawl_frame_fault *fault);

#endif
