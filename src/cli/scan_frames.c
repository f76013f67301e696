/* scan_frames.c -- `trawl scan --frames SPEC`: cut the mapped input into
 * units and scan each unit's value on its own, so that no match runs
 * across a header into the next message and ^ and $ anchor to the value.
 *
 * "value" means what `trawl frame` prints as value: the TLV value, the
 * packet body after its header, the message without its delimiter, the
 * record; for pcap, the captured frame (or, with payload, its TCP or UDP
 * payload). Each match carries the unit's index as "record" (for pcap, the
 * packet index: Wireshark's frame number - 1) and an offset from the start
 * of the file. */
#define _GNU_SOURCE /* memmem */
#include "scan.h"

#include <inttypes.h>
#include <string.h>

/* "trawl scan: FILE: record N at offset M: KIND[: detail][ (skipped)]". */
static void report_fault(const out_ctx *c, const char *unit, const trawl_frame_fault *f,
                         const char *detail, bool skipped)
{
    fflush(stdout);
    fprintf(stderr, "trawl scan: %s: %s %" PRIu64 " at offset %" PRIu64 ": %s%s%s%s\n", c->file,
            unit, f->index, f->offset, trawl_frame_fault_name(f->kind), detail ? ": " : "",
            detail ? detail : "", skipped ? " (skipped)" : "");
}

static trawl_status scan_units(const trawl_pattern_db *db, trawl_scratch *s, const cli_input *in,
                               const scan_opts *o, out_ctx *c, trawl_error *err)
{
    bool resync = o->frames.resync;
    trawl_frame_iter *it;
    trawl_status rc =
        trawl_frame_iter_new(o->frames.framer, resync ? TRAWL_FRAME_RESYNC : 0, &it, err);
    if (rc != TRAWL_OK)
        return rc;
    trawl_frame_iter_reset(it, in->data, in->len);
    trawl_frame_unit u;
    trawl_frame_fault f;
    trawl_frame_step step;
    unsigned flags = o->overlap ? TRAWL_SCAN_OVERLAP : 0;
    while (rc == TRAWL_OK && (step = trawl_frame_iter_next(it, &u, &f)) != TRAWL_FRAME_END) {
        if (step == TRAWL_FRAME_FAULT) {
            report_fault(c, "record", &f, NULL, resync);
            if (!resync) {
                c->fault = true;
                break;
            }
            continue;
        }
        if (u.container) /* its children come next and are scanned themselves */
            continue;
        c->in_unit = true;
        c->unit_at = (uint64_t)(u.value.ptr - in->data);
        c->unit_index = u.index;
        rc = trawl_scan(db, s, u.value.ptr, u.value.len, flags, scan_on_match, c, err);
    }
    c->in_unit = false;
    trawl_frame_iter_free(it);
    return rc;
}

/* Where libpcap's copy of a packet sits in the mapped file: after the
 * record header that starts at `at` (16 bytes in pcap; 28 in a pcapng
 * enhanced packet block, 12 in a simple one), or, after skipped blocks,
 * further on. Returns the offset, or `at` when the bytes are not found as
 * they are (libpcap rewrites the headers of a few link types): offsets are
 * then counted from the record. */
static uint64_t locate(const cli_input *in, uint64_t at, const uint8_t *p, size_t n)
{
    static const unsigned hdr[] = {16, 28, 12};
    for (size_t i = 0; i < 3; i++)
        if (at + hdr[i] + n <= in->len && !memcmp(in->data + at + hdr[i], p, n))
            return at + hdr[i];
    if (n && at < in->len) {
        size_t span = in->len - (size_t)at;
        size_t lim = n + 65536 < span ? n + 65536 : span;
        const uint8_t *q = memmem(in->data + at, lim, p, n);
        if (q)
            return (uint64_t)(q - in->data);
    }
    return at;
}

static trawl_status scan_packets(const trawl_pattern_db *db, trawl_scratch *s, const cli_input *in,
                                 const scan_opts *o, out_ctx *c, trawl_error *err)
{
    trawl_frame_pcap *p;
    trawl_status rc = trawl_frame_pcap_open_path(in->name, &p, err);
    if (rc != TRAWL_OK)
        return rc;
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    trawl_frame_step step;
    unsigned flags = o->overlap ? TRAWL_SCAN_OVERLAP : 0;
    while (rc == TRAWL_OK && (step = trawl_frame_pcap_next(p, &pkt, &f)) != TRAWL_FRAME_END) {
        if (step == TRAWL_FRAME_FAULT) {
            report_fault(c, "packet", &f, trawl_frame_pcap_message(p), false);
            c->fault = true; /* libpcap cannot resync */
            break;
        }
        trawl_span v = pkt.data;
        if (o->frames.payload) {
            if (!pkt.l4.has_payload)
                continue;
            v = pkt.l4.payload;
        }
        c->in_unit = true;
        c->unit_at =
            locate(in, pkt.offset, pkt.data.ptr, pkt.data.len) + (uint64_t)(v.ptr - pkt.data.ptr);
        c->unit_index = pkt.index;
        rc = trawl_scan(db, s, v.ptr, v.len, flags, scan_on_match, c, err);
    }
    c->in_unit = false;
    trawl_frame_pcap_free(p);
    return rc;
}

trawl_status scan_frames(const trawl_pattern_db *db, trawl_scratch *s, const cli_input *in,
                         const scan_opts *o, out_ctx *c, trawl_error *err)
{
    if (o->frames.pcap)
        return scan_packets(db, s, in, o, c, err);
    return scan_units(db, s, in, o, c, err);
}
