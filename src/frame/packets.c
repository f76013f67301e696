/* packets.c -- length-prefixed packets whose header is described in the
 * struct-format language. The length is read from one integer field of the
 * header; total = length (+ header size unless it includes the header)
 * + adjust. The arithmetic is done in int64 on values bounded first
 * (length <= 2^62, |adjust| <= 2^32, header <= 64 KiB), so it cannot wrap. */
#include "common/error.h"
#include "frame/framer.h"

#define LENGTH_CEILING ((uint64_t)1 << 62)
#define ADJUST_LIMIT   ((int64_t)1 << 32)

static dec_result fault(dec_out *out, trawl_frame_fault_kind k)
{
    out->kind = k;
    return DEC_FAULT;
}

dec_result trawl__packets_decode(const trawl_framer *f, const dec_in *in, dec_out *out)
{
    size_t h = f->u.pkt.hsize;
    if (in->n < h)
        return in->final ? fault(out, TRAWL_FRAME_TRUNCATED_HEADER) : DEC_NEED;
    trawl_struct_value v;
    trawl_struct_get(f->u.pkt.hdr, f->u.pkt.field, in->p, in->n, &v);
    bool is_signed = v.code == 'b' || v.code == 'h' || v.code == 'i' || v.code == 'q';
    if (is_signed && v.v.i < 0)
        return fault(out, TRAWL_FRAME_LENGTH_BELOW_HEADER);
    if (v.v.u > LENGTH_CEILING)
        return fault(out, TRAWL_FRAME_PACKET_TOO_LARGE);
    int64_t total = (int64_t)v.v.u + f->u.pkt.adjust;
    if (!f->u.pkt.includes)
        total += (int64_t)h;
    if (total < (int64_t)h)
        return fault(out, TRAWL_FRAME_LENGTH_BELOW_HEADER);
    uint64_t t = (uint64_t)total;
    if ((f->u.pkt.max && t > f->u.pkt.max) || t > in->cap)
        return fault(out, TRAWL_FRAME_PACKET_TOO_LARGE);
    if (t > in->n)
        return in->final ? fault(out, TRAWL_FRAME_TRUNCATED_VALUE) : DEC_NEED;
    out->used = (size_t)t;
    out->vstart = h;
    out->vlen = (size_t)t - h;
    return DEC_UNIT;
}

trawl_status trawl_frame_packets_new(const trawl_frame_packet_opts *o, trawl_framer **out,
                                     trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!o || !out || !o->header)
        return trawl__fail(err, TRAWL_EINVAL, "packets: NULL argument");
    if (o->adjust > ADJUST_LIMIT || o->adjust < -ADJUST_LIMIT)
        return trawl__fail(err, TRAWL_EINVAL, "packets: adjust must be within +-2^32");
    trawl_struct *hdr;
    trawl_status s = trawl_struct_compile(o->header, &hdr, err);
    if (s != TRAWL_OK)
        return s;
    char code = trawl_struct_code(hdr, o->length_field);
    if (!code || code == 's') {
        size_t count = trawl_struct_count(hdr);
        trawl_struct_free(hdr);
        if (!code)
            return trawl__fail(err, TRAWL_EINVAL,
                               "packets: length field %u out of range (header has %zu values)",
                               o->length_field, count);
        return trawl__fail(err, TRAWL_EINVAL,
                           "packets: length field %u is a string, not an integer", o->length_field);
    }
    trawl_framer *f = trawl__framer_alloc(FRAMER_PACKETS, trawl__packets_decode);
    if (!f) {
        trawl_struct_free(hdr);
        return trawl__fail(err, TRAWL_ENOMEM, "packets: out of memory");
    }
    f->u.pkt.hdr = hdr;
    f->u.pkt.hsize = trawl_struct_size(hdr);
    f->u.pkt.field = o->length_field;
    f->u.pkt.includes = o->length_includes_header;
    f->u.pkt.adjust = o->adjust;
    f->u.pkt.max = o->max_size;
    f->too_large = TRAWL_FRAME_PACKET_TOO_LARGE;
    f->min_window = f->u.pkt.hsize + 64;
    *out = f;
    return TRAWL_OK;
}
