/* tlv.c -- type-length-value records: fixed-width type and length fields of
 * 1, 2 or 4 bytes in either byte order, or a BER/DER definite length, with
 * optional nesting for container types.
 *
 * Checks run in the order the bytes are read (type, length, length against
 * header, length against limits, length against the bytes present) so the
 * first failure is the one reported. Lengths are compared with what remains,
 * never added to a position, so no arithmetic can wrap. */
#include "common/error.h"
#include "frame/framer.h"

#include <stdlib.h>
#include <string.h>

/* BER long-form lengths: big endian, 1 to 8 bytes. */
static uint64_t load_be(const uint8_t *p, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v << 8 | p[i];
    return v;
}

static bool is_container(const trawl_framer *f, uint64_t type, uint8_t first)
{
    const trawl_frame_tlv_opts *o = &f->u.tlv.o;
    if (o->ber && o->ber_constructed && (first & 0x20))
        return true;
    size_t lo = 0, hi = o->n_containers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->u.tlv.containers[mid] == type)
            return true;
        if (f->u.tlv.containers[mid] < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static dec_result fault(dec_out *out, trawl_frame_fault_kind k)
{
    out->kind = k;
    return DEC_FAULT;
}

/* Header short of `need` bytes: a fault at the end, else wait for more. */
static dec_result short_header(const dec_in *in, dec_out *out)
{
    return in->final ? fault(out, TRAWL_FRAME_TRUNCATED_HEADER) : DEC_NEED;
}

/* Reads the length field at p[ts..]; sets *len and *hdr (whole header). */
static dec_result read_length(const trawl_framer *f, const dec_in *in, dec_out *out, uint64_t *len,
                              size_t *hdr)
{
    const trawl_frame_tlv_opts *o = &f->u.tlv.o;
    size_t ts = o->type_size;
    if (!o->ber) {
        *hdr = ts + o->length_size;
        if (in->n < *hdr)
            return short_header(in, out);
        *len = trawl__load(in->p + ts, o->length_size, o->little_endian);
        return DEC_UNIT;
    }
    if (in->n < ts + 1)
        return short_header(in, out);
    uint8_t b = in->p[ts];
    if (b < 0x80) {
        *hdr = ts + 1;
        *len = b;
        return DEC_UNIT;
    }
    size_t k = b & 0x7f;
    if (k == 0 || k > 8)
        return fault(out, TRAWL_FRAME_BAD_LENGTH);
    *hdr = ts + 1 + k;
    if (in->n < *hdr)
        return short_header(in, out);
    *len = load_be(in->p + ts + 1, k);
    return DEC_UNIT;
}

dec_result trawl__tlv_decode(const trawl_framer *f, const dec_in *in, dec_out *out)
{
    const trawl_frame_tlv_opts *o = &f->u.tlv.o;
    if (in->n < o->type_size)
        return short_header(in, out);
    uint64_t len;
    size_t hdr;
    dec_result r = read_length(f, in, out, &len, &hdr);
    if (r != DEC_UNIT)
        return r;
    if (o->length_includes_header) {
        if (len < hdr)
            return fault(out, TRAWL_FRAME_LENGTH_BELOW_HEADER);
        len -= hdr;
    }
    if ((o->max_record && len > o->max_record) || len > in->cap - hdr)
        return fault(out, TRAWL_FRAME_RECORD_TOO_LARGE);
    if (len > in->n - hdr)
        return in->final ? fault(out, TRAWL_FRAME_TRUNCATED_VALUE) : DEC_NEED;
    out->used = hdr + (size_t)len;
    out->vstart = hdr;
    out->vlen = (size_t)len;
    out->type = trawl__load(in->p, o->type_size, o->little_endian);
    out->container = is_container(f, out->type, in->p[0]);
    return DEC_UNIT;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool valid_width(unsigned w)
{
    return w == 1 || w == 2 || w == 4;
}

trawl_status trawl_frame_tlv_new(const trawl_frame_tlv_opts *o, trawl_framer **out,
                                 trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!o || !out || (o->n_containers && !o->containers))
        return trawl__fail(err, TRAWL_EINVAL, "tlv: NULL argument");
    if (!valid_width(o->type_size))
        return trawl__fail(err, TRAWL_EINVAL, "tlv: type size must be 1, 2 or 4 (got %u)",
                           o->type_size);
    if (!o->ber && !valid_width(o->length_size))
        return trawl__fail(err, TRAWL_EINVAL, "tlv: length size must be 1, 2 or 4 (got %u)",
                           o->length_size);
    if (o->n_containers > TRAWL_FRAME_MAX_CONTAINERS)
        return trawl__fail(err, TRAWL_EINVAL, "tlv: more than %d container types",
                           TRAWL_FRAME_MAX_CONTAINERS);
    if (o->max_depth > TRAWL_FRAME_MAX_DEPTH)
        return trawl__fail(err, TRAWL_EINVAL, "tlv: max depth over %d", TRAWL_FRAME_MAX_DEPTH);
    trawl_framer *f = trawl__framer_alloc(FRAMER_TLV, trawl__tlv_decode);
    if (!f)
        return trawl__fail(err, TRAWL_ENOMEM, "tlv: out of memory");
    f->u.tlv.o = *o;
    f->u.tlv.o.containers = NULL; /* the caller's array is not kept */
    if (o->n_containers)
        memcpy(f->u.tlv.containers, o->containers, o->n_containers * sizeof(uint64_t));
    qsort(f->u.tlv.containers, o->n_containers, sizeof(uint64_t), cmp_u64);
    f->max_depth = o->max_depth ? o->max_depth : 32;
    f->u.tlv.hdr = o->type_size + o->length_size;
    f->u.tlv.fast = !o->ber && !o->n_containers;
    *out = f;
    return TRAWL_OK;
}
