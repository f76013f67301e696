/* frame_out.c -- the output of `trawl frame`: one line (or JSON object) per
 * unit, fault or packet, and the counts.
 *
 * A 6-byte TLV record becomes a line of 40 to 90 bytes, so writing is the
 * job: lines are built in a buffer of our own with hand-written number and
 * hex formatting (no printf per field, no stdio call per piece) and handed
 * to stdio a quarter of a megabyte at a time.
 *
 * "value" and "length" mean the same in every kind: the unit's payload
 * (TLV value, packet body after its header, message without its
 * delimiter, the record), and "offset" is where the whole unit starts. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

int frame_out_init(frame_out *o, const frame_args *a, FILE *out)
{
    memset(o, 0, sizeof(*o));
    o->a = a;
    o->out = out;
    o->buf = malloc(FRAME_OUT_BUF);
    return o->buf ? 0 : -1;
}

int frame_out_flush(frame_out *o, bool done)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->out) != o->len)
        o->write_error = true;
    o->len = 0;
    if (done) {
        free(o->buf);
        o->buf = NULL;
    }
    return o->write_error ? -1 : 0;
}

/* Room for n more bytes (n <= FRAME_OUT_BUF). */
static inline char *room(frame_out *o, size_t n)
{
    if (o->len + n > FRAME_OUT_BUF)
        frame_out_flush(o, false);
    return o->buf + o->len;
}

static inline void put(frame_out *o, const char *s, size_t n)
{
    memcpy(room(o, n), s, n);
    o->len += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)

static void put_str(frame_out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Decimal, right-aligned in width (0: as long as needed); two digits per
 * step from a table. */
static void put_u64(frame_out *o, uint64_t v, int width)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char t[24];
    char *e = t + sizeof t, *p = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    int n = (int)(e - p);
    size_t w = (size_t)(width > n ? width : n);
    char *q = room(o, w);
    for (int i = n; i < width; i++)
        *q++ = ' ';
    memcpy(q, p, (size_t)n);
    o->len += w;
}

static void put_i64(frame_out *o, int64_t v)
{
    if (v < 0) {
        PUT_LIT(o, "-");
        put_u64(o, (uint64_t)0 - (uint64_t)v, 0);
    } else {
        put_u64(o, (uint64_t)v, 0);
    }
}

static void put_hex(frame_out *o, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    while (n) {
        size_t k = n < 4096 ? n : 4096;
        char *q = room(o, 2 * k);
        for (size_t i = 0; i < k; i++) {
            q[2 * i] = hx[p[i] >> 4];
            q[2 * i + 1] = hx[p[i] & 15];
        }
        o->len += 2 * k;
        p += k;
        n -= k;
    }
}

static void put_hex_u64(frame_out *o, uint64_t v)
{
    static const char hx[] = "0123456789abcdef";
    char t[16];
    int n = 0;
    do {
        t[15 - n++] = hx[v & 15];
        v >>= 4;
    } while (v);
    put(o, t + 16 - n, (size_t)n);
}

static void put_json_string(frame_out *o, const char *s)
{
    PUT_LIT(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(o, e, 2);
        } else if (*p < 0x20) {
            static const char hx[] = "0123456789abcdef";
            char e[6] = {'\\', 'u', '0', '0', hx[*p >> 4], hx[*p & 15]};
            put(o, e, 6);
        } else {
            put(o, (const char *)p, 1);
        }
    }
    PUT_LIT(o, "\"");
}

static void put_data(frame_out *o, const uint8_t *p, size_t n)
{
    if (o->a->no_data)
        return;
    if (o->a->json) {
        PUT_LIT(o, ",\"value\":\"");
        put_hex(o, p, n);
        PUT_LIT(o, "\"");
        return;
    }
    if (n == 0)
        return;
    PUT_LIT(o, " ");
    put_hex(o, p, n > 32 ? 32 : n);
    if (n > 32)
        PUT_LIT(o, "...");
}

static void put_header_fields(frame_out *o, const trawl_frame_unit *u)
{
    size_t n = trawl_struct_count(o->hdr);
    bool json = o->a->json;
    if (json)
        PUT_LIT(o, ",\"header\":[");
    else
        PUT_LIT(o, " header=");
    for (size_t i = 0; i < n; i++) {
        trawl_struct_value v;
        trawl_struct_get(o->hdr, i, u->data.ptr, u->data.len, &v);
        if (i)
            PUT_LIT(o, ",");
        if (v.code == 's') {
            if (json)
                PUT_LIT(o, "\"");
            put_hex(o, v.v.s.ptr, v.v.s.len);
            if (json)
                PUT_LIT(o, "\"");
        } else if (v.code == 'b' || v.code == 'h' || v.code == 'i' || v.code == 'q') {
            put_i64(o, v.v.i);
        } else {
            put_u64(o, v.v.u, 0);
        }
    }
    if (json)
        PUT_LIT(o, "]");
}

void frame_out_unit(frame_out *o, const trawl_frame_unit *u)
{
    o->units++;
    const frame_args *a = o->a;
    if (a->count)
        return;
    bool tlv = a->kind == K_TLV, lines = a->kind == K_LINES;
    if (a->json) {
        PUT_LIT(o, "{\"index\":");
        put_u64(o, u->index, 0);
        PUT_LIT(o, ",\"offset\":");
        put_u64(o, u->offset, 0);
        if (tlv) {
            PUT_LIT(o, ",\"type\":");
            put_u64(o, u->type, 0);
            PUT_LIT(o, ",\"depth\":");
            put_u64(o, u->depth, 0);
            if (u->container)
                PUT_LIT(o, ",\"container\":true");
            else
                PUT_LIT(o, ",\"container\":false");
        }
        PUT_LIT(o, ",\"length\":");
        put_u64(o, u->value.len, 0);
        if (lines) {
            if (u->terminated)
                PUT_LIT(o, ",\"terminated\":true");
            else
                PUT_LIT(o, ",\"terminated\":false");
        }
    } else {
        put_u64(o, u->index, 8);
        PUT_LIT(o, " ");
        put_u64(o, u->offset, 10);
        PUT_LIT(o, " ");
        put_u64(o, u->value.len, 8);
        if (tlv) {
            PUT_LIT(o, " type=0x");
            put_hex_u64(o, u->type);
            PUT_LIT(o, " depth=");
            put_u64(o, u->depth, 0);
            if (u->container)
                PUT_LIT(o, " container");
        }
        if (lines && !u->terminated)
            PUT_LIT(o, " unterminated");
    }
    if (a->kind == K_PACKETS)
        put_header_fields(o, u);
    put_data(o, u->value.ptr, u->value.len);
    if (a->json)
        PUT_LIT(o, "}\n");
    else
        PUT_LIT(o, "\n");
}

void frame_out_fault(frame_out *o, const trawl_frame_fault *f, const char *detail)
{
    o->faults++;
    if (f->kind == TRAWL_FRAME_IO)
        o->io_error = true;
    const char *msg = detail && *detail ? detail : trawl_frame_fault_message(f->kind);
    if (o->a->json) {
        PUT_LIT(o, "{\"error\":\"");
        put_str(o, trawl_frame_fault_name(f->kind));
        PUT_LIT(o, "\",\"offset\":");
        put_u64(o, f->offset, 0);
        PUT_LIT(o, ",\"index\":");
        put_u64(o, f->index, 0);
        if (o->a->resync) {
            PUT_LIT(o, ",\"skipped\":");
            put_u64(o, f->skipped, 0);
        }
        if (detail && *detail) {
            PUT_LIT(o, ",\"message\":");
            put_json_string(o, detail);
        }
        PUT_LIT(o, "}\n");
    } else {
        PUT_LIT(o, "error ");
        put_str(o, trawl_frame_fault_name(f->kind));
        PUT_LIT(o, " at offset ");
        put_u64(o, f->offset, 0);
        PUT_LIT(o, ", index ");
        put_u64(o, f->index, 0);
        if (o->a->resync) {
            PUT_LIT(o, ", ");
            put_u64(o, f->skipped, 0);
            PUT_LIT(o, " bytes skipped");
        }
        PUT_LIT(o, ": ");
        put_str(o, msg);
        PUT_LIT(o, "\n");
    }
    if (f->kind == TRAWL_FRAME_IO) {
        frame_out_flush(o, false);
        fprintf(stderr, "trawl frame: %s: %s\n", o->a->path, strerror(f->sys_errno));
    }
}

static void put_ts(frame_out *o, const trawl_frame_packet *p)
{
    put_i64(o, p->ts_sec);
    char t[10] = {'.'};
    uint32_t ns = p->ts_nsec;
    for (int i = 9; i >= 1; i--, ns /= 10)
        t[i] = (char)('0' + ns % 10);
    put(o, t, 10);
}

void frame_out_packet(frame_out *o, const trawl_frame_packet *p)
{
    const frame_args *a = o->a;
    const trawl_frame_l4 *l4 = &p->l4;
    if (a->payload && (!l4->has_payload || l4->payload.len == 0))
        return;
    o->units++;
    if (a->count)
        return;
    size_t len = a->payload ? l4->payload.len : p->caplen;
    const char *proto = l4->proto == 6 ? "tcp" : "udp";
    if (a->json) {
        PUT_LIT(o, "{\"index\":");
        put_u64(o, p->index, 0);
        PUT_LIT(o, ",\"offset\":");
        put_u64(o, p->offset, 0);
        PUT_LIT(o, ",\"length\":");
        put_u64(o, len, 0);
        PUT_LIT(o, ",\"ts\":\"");
        put_ts(o, p);
        PUT_LIT(o, "\"");
        if (a->payload) {
            PUT_LIT(o, ",\"payload_offset\":");
            put_u64(o, l4->payload_offset, 0);
            PUT_LIT(o, ",\"proto\":\"");
            put_str(o, proto);
            PUT_LIT(o, "\",\"src_port\":");
            put_u64(o, l4->src_port, 0);
            PUT_LIT(o, ",\"dst_port\":");
            put_u64(o, l4->dst_port, 0);
            if (l4->truncated)
                PUT_LIT(o, ",\"truncated\":true");
            else
                PUT_LIT(o, ",\"truncated\":false");
        } else {
            PUT_LIT(o, ",\"wire_length\":");
            put_u64(o, p->len, 0);
        }
    } else {
        put_u64(o, p->index, 8);
        PUT_LIT(o, " ");
        put_u64(o, p->offset, 10);
        PUT_LIT(o, " ");
        put_u64(o, len, 8);
        PUT_LIT(o, " ");
        put_ts(o, p);
        if (a->payload) {
            PUT_LIT(o, " ");
            put_str(o, proto);
            PUT_LIT(o, " ");
            put_u64(o, l4->src_port, 0);
            PUT_LIT(o, "->");
            put_u64(o, l4->dst_port, 0);
            if (l4->truncated)
                PUT_LIT(o, " truncated");
        }
    }
    if (a->payload)
        put_data(o, l4->payload.ptr, l4->payload.len);
    else
        put_data(o, p->data.ptr, p->data.len);
    if (a->json)
        PUT_LIT(o, "}\n");
    else
        PUT_LIT(o, "\n");
}

void frame_out_count(frame_out *o)
{
    if (o->a->json) {
        PUT_LIT(o, "{\"count\":");
        put_u64(o, o->units, 0);
        PUT_LIT(o, ",\"errors\":");
        put_u64(o, o->faults, 0);
        PUT_LIT(o, "}\n");
    } else {
        put_u64(o, o->units, 0);
        PUT_LIT(o, "\n");
    }
}
