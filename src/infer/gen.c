/* gen.c -- random protocols with known truth: the oracle that inference is
 * tuned and tested on besides real captures. A protocol is a list of field
 * specs: an optional outer header (a version, a reserved zero, the total
 * length and a few constant bytes, as TPKT+COTP put S7 at offset 7), a
 * header (magic, version, the type field, a length counting the whole
 * message, the rest or the body, flags, a counter, an id, reserved zeros, a
 * timestamp, a nonce; in random order after the magic), a body per type --
 * one for requests and another for replies when the protocol has both under
 * one type value -- a variable tail (a TLV list, a byte count and a blob or
 * an array of integers, or bytes to the end) and an optional trailing
 * checksum. Messages are drawn for a few flows (a request and its reply
 * echoing the counter), and each message's truth is the list of its fields,
 * named by kind. */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

enum gk {
    G_CONST,
    G_ENUM,
    G_COUNTER,
    G_LENGTH,
    G_CHECK,
    G_TS,
    G_FLOAT,
    G_TEXT,
    G_ID,
    G_RANDOM,
    G_SMALL,
    G_TYPE,
    G_ZERO,   /* reserved bytes, always zero */
    G_FLAGS,  /* a few bits of one byte */
    G_STATUS, /* a reply's status: mostly zero */
    G_BLOB    /* variable bytes (a counted blob, the rest of the message) */
};
/* the truth's kind names, as trawl_field_kind_name spells the kinds */
static const char *const gk_name[] = {"const", "enum", "counter", "length", "checksum", "timestamp",
                                      "float", "text", "id",      "random", "bytes",    "enum",
                                      "const", "enum", "enum",    "bytes"};

/* What a length field counts: the whole message, what follows it, or what
 * follows the header. */
enum lmode { L_WHOLE, L_REST, L_BODY };
/* The variable part of a body. */
enum tail { T_NONE, T_TLV, T_BLOB, T_ARRAY, T_REST };

typedef struct gfield {
    enum gk k;
    unsigned size;
    bool be;
    uint64_t val;   /* CONST: the value; ENUM: value bytes; FLAGS: the bits */
    unsigned nvals; /* ENUM: how many values */
    uint64_t max;   /* SMALL: largest value */
    enum lmode lm;  /* LENGTH */
    bool pad;       /* TEXT: shorter strings padded with zero bytes */
} gfield;

typedef struct gbody {
    gfield f[8];
    unsigned n;
    enum tail tail;
    unsigned count_size; /* BLOB, ARRAY: bytes of the count; TLV: of type and length */
    unsigned item_size;  /* ARRAY */
    unsigned fill;       /* BLOB, REST: random bytes, text, or small 16-bit words */
} gbody;

typedef struct gproto {
    gfield outer[4];
    unsigned nouter;
    gfield hdr[12];
    unsigned nhdr;
    gbody req[4], rep[4];
    bool reqrep; /* replies have a body of their own under the request's type value */
    unsigned ntypes;
    bool check;
    trawl_check_algo algo;
    unsigned check_size;
    bool be;
} gproto;

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnext(rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static unsigned rbelow(rng *r, unsigned n)
{
    return (unsigned)(rnext(r) >> 33) % n;
}

static void put(uint8_t *p, uint64_t v, unsigned size, bool be)
{
    for (unsigned k = 0; k < size; k++)
        p[k] = (uint8_t)(v >> (8 * (be ? size - 1 - k : k)));
}

static gfield field(enum gk k, unsigned size, bool be)
{
    return (gfield){.k = k, .size = size, .be = be};
}

/* A body field: small integers of realistic ranges, enums, flags, floats,
 * text (maybe zero-padded), constants, reserved zeros. */
static gfield body_field(rng *r, bool be)
{
    static const uint64_t max1[] = {3, 15, 60, 255}, max2[] = {10, 100, 1000, 65535},
                          max4[] = {100, 10000, 1000000, 0xFFFFFFFFu};
    gfield f = field(G_SMALL, 1, be);
    switch (rbelow(r, 11)) {
    case 0: /* codes are small numbers */
        f = field(G_ENUM, 1, be);
        f.val = rnext(r) & 0x1F1F1F1F1F1F1F1Full;
        f.nvals = 2 + rbelow(r, 4);
        break;
    case 1:
        f = field(G_FLOAT, 4, be);
        break;
    case 2:
        f = field(G_TEXT, 4 + rbelow(r, 9), be);
        f.pad = rbelow(r, 2) != 0;
        break;
    case 3:
        f = field(G_CONST, 1 + rbelow(r, 2), be);
        f.val = rbelow(r, 2) ? rnext(r) : rbelow(r, 16);
        break;
    case 4:
    case 9:
        f = field(G_ZERO, 1 + rbelow(r, 4), be);
        break;
    case 5:
        f = field(G_FLAGS, 1, be);
        f.val = (1u << rbelow(r, 8)) | (1u << rbelow(r, 8)) | (1u << rbelow(r, 8));
        break;
    case 6:
    case 7:
        f.size = 2;
        f.max = max2[rbelow(r, 4)];
        break;
    case 8:
        f.size = 4;
        f.max = max4[rbelow(r, 4)];
        break;
    default:
        f.max = max1[rbelow(r, 4)];
        break;
    }
    return f;
}

static void make_body(rng *r, gbody *b, bool be, bool reply)
{
    memset(b, 0, sizeof(*b));
    unsigned m = 1 + rbelow(r, 5);
    if (reply && rbelow(r, 2))
        b->f[b->n++] = field(G_STATUS, 1, be);
    for (unsigned k = 0; k < m; k++)
        b->f[b->n++] = body_field(r, be);
    static const enum tail tails[] = {T_NONE, T_NONE, T_NONE, T_TLV, T_BLOB, T_ARRAY, T_REST};
    b->tail = tails[rbelow(r, 7)];
    b->count_size = rbelow(r, 3) ? 1 : 2;
    b->item_size = 1 + rbelow(r, 2);
    b->fill = rbelow(r, 3);
}

static void make_proto(rng *r, gproto *g)
{
    memset(g, 0, sizeof(*g));
    g->be = rbelow(r, 3) != 0;
    bool be = g->be;
    unsigned n = 0;
    /* an outer header: version, reserved, total length, a few constants */
    if (rbelow(r, 3) == 0) {
        g->outer[n] = field(G_CONST, 1, be);
        g->outer[n++].val = 1 + rbelow(r, 4);
        g->outer[n++] = field(G_ZERO, 1, be);
        g->outer[n] = field(G_LENGTH, 2, be);
        g->outer[n++].lm = L_WHOLE;
        if (rbelow(r, 2)) {
            g->outer[n] = field(G_CONST, 1 + rbelow(r, 3), be);
            g->outer[n++].val = rnext(r) | 1;
        }
    }
    g->nouter = n;
    n = 0;
    if (rbelow(r, 2)) {
        g->hdr[n] = field(G_CONST, 1 + rbelow(r, 4), be);
        g->hdr[n++].val = rnext(r) | 1;
    }
    if (rbelow(r, 2)) {
        g->hdr[n] = field(G_CONST, 1, be);
        g->hdr[n++].val = 1 + rbelow(r, 3);
    }
    unsigned first = n;
    g->ntypes = 1 + rbelow(r, 4);
    g->hdr[n] = field(G_TYPE, 1, be);
    g->hdr[n++].nvals = g->ntypes;
    if (rbelow(r, 3) < (g->nouter ? 1u : 2u)) {
        g->hdr[n] = field(G_LENGTH, rbelow(r, 4) ? 2 : 1 + 3 * rbelow(r, 2), be);
        g->hdr[n++].lm = (enum lmode)rbelow(r, 3);
    }
    if (rbelow(r, 3) == 0) {
        g->hdr[n] = field(G_FLAGS, 1, be);
        g->hdr[n++].val = (1u << rbelow(r, 8)) | (1u << rbelow(r, 8));
    }
    if (rbelow(r, 2))
        g->hdr[n++] = field(G_COUNTER, rbelow(r, 2) ? 2 : 4, be);
    if (rbelow(r, 2))
        g->hdr[n++] = field(G_ID, rbelow(r, 2) ? 2 : 4, be);
    if (rbelow(r, 4) == 0)
        g->hdr[n++] = field(G_ZERO, 1 + rbelow(r, 4), be);
    if (rbelow(r, 4) == 0)
        g->hdr[n++] = field(G_TS, 4, be);
    if (rbelow(r, 5) == 0)
        g->hdr[n++] = field(G_RANDOM, 4 + 4 * rbelow(r, 2), be);
    g->nhdr = n;
    /* after the magic and the version, the header's fields in any order */
    for (unsigned k = n - 1; k > first; k--) {
        unsigned j = first + rbelow(r, k - first + 1);
        gfield t = g->hdr[k];
        g->hdr[k] = g->hdr[j];
        g->hdr[j] = t;
    }
    g->reqrep = rbelow(r, 2) != 0;
    for (unsigned t = 0; t < g->ntypes; t++) {
        make_body(r, &g->req[t], be, false);
        if (g->reqrep)
            make_body(r, &g->rep[t], be, true);
    }
    g->check = rbelow(r, 4) == 0;
    if (g->check) {
        if (rbelow(r, 4) == 0) {
            g->check_size = 1;
            g->algo =
                (trawl_check_algo){.kind = TRAWL_CHECK_SUM, .width = 8, .word = 1, .negate = true};
        } else {
            g->check_size = rbelow(r, 2) ? 2 : 4;
            unsigned w = 8 * g->check_size;
            uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
            g->algo =
                (trawl_check_algo){.kind = TRAWL_CHECK_CRC,
                                   .width = w,
                                   .crc = {w, (rnext(r) & mask) | 1, rnext(r) & mask,
                                           rbelow(r, 2) != 0, rbelow(r, 2) != 0, rnext(r) & mask}};
        }
    }
}
typedef struct out_buf {
    char *p;
    size_t n, cap;
    bool oom;
} out_buf;

static void emit(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(out_buf *o, const char *fmt, ...)
{
    if (o->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < o->cap - o->n) {
            o->n += (size_t)k;
            return;
        }
        size_t c = o->cap ? o->cap * 2 : 65536;
        char *np = realloc(o->p, c);
        if (!np || k < 0) {
            o->oom = true;
            return;
        }
        o->p = np;
        o->cap = c;
    }
}

static void emit_bytes(out_buf *o, const void *p, size_t n)
{
    while (!o->oom && o->n + n > o->cap) {
        size_t c = o->cap ? o->cap * 2 : 65536;
        char *np = realloc(o->p, c);
        if (!np) {
            o->oom = true;
            return;
        }
        o->p = np;
        o->cap = c;
    }
    if (!o->oom) {
        memcpy(o->p + o->n, p, n);
        o->n += n;
    }
}

typedef struct tfield {
    unsigned off, size;
    enum gk k;
    unsigned spec; /* which field of the protocol: the truth's field name */
} tfield;

#define MSG_MAX 1024
#define TF_MAX  128

/* A message under construction: its bytes, its truth, and where its
 * length fields are (filled in when its size is known). */
typedef struct gmsg {
    uint8_t m[MSG_MAX];
    size_t o;
    tfield tf[TF_MAX];
    unsigned nt;
    struct {
        size_t at;
        const gfield *f;
    } len[4];
    unsigned nlen;
    size_t body; /* where the header ends */
} gmsg;

static void add(gmsg *g, unsigned size, enum gk k, unsigned spec)
{
    if (size)
        g->tf[g->nt++] = (tfield){(unsigned)g->o, size, k, spec};
    g->o += size;
}

/* One field of the outer header, the header or a body. */
static void put_field(rng *r, gmsg *g, const gfield *f, unsigned t, uint64_t counter, uint32_t id,
                      double ts, unsigned spec)
{
    uint8_t *p = g->m + g->o;
    uint64_t v = 0;
    switch (f->k) {
    case G_CONST:
        v = f->val;
        break;
    case G_TYPE:
        v = 0x10 + 7 * t;
        break;
    case G_COUNTER:
        v = counter;
        break;
    case G_ID:
        v = id;
        break;
    case G_TS:
        v = (uint64_t)ts;
        break;
    case G_RANDOM:
        v = rnext(r);
        break;
    case G_ENUM:
        v = (f->val >> (8 * rbelow(r, f->nvals))) & 0xFF;
        break;
    case G_FLAGS:
        v = rnext(r) & f->val;
        break;
    case G_STATUS:
        v = rbelow(r, 7) ? 0 : 1 + rbelow(r, 5);
        break;
    case G_SMALL:
        v = f->max >= 0xFFFFFFFFu ? rnext(r) : rnext(r) % (f->max + 1);
        break;
    case G_FLOAT: {
        float x = (float)(rbelow(r, 100000)) / 100.0f + 1.0f;
        uint32_t u;
        memcpy(&u, &x, 4);
        v = u;
        break;
    }
    case G_LENGTH:
        g->len[g->nlen].at = g->o;
        g->len[g->nlen++].f = f;
        break;
    default:
        break;
    }
    if (f->k == G_TEXT) {
        static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned used = f->pad ? 1 + rbelow(r, f->size) : f->size;
        for (unsigned c = 0; c < f->size; c++)
            p[c] = c < used ? (uint8_t)al[rbelow(r, 36)] : 0;
    } else {
        put(p, v, f->size, f->be);
    }
    add(g, f->size, f->k, spec);
}

/* Fills p[0..n): random bytes (how = 0), printable text (1), 16-bit words
 * of small values (2: data that a dissector leaves whole, mostly zero high
 * bytes, as real payloads are), or one small integer (3). */
static void fill(rng *r, uint8_t *p, unsigned n, unsigned how, bool be)
{
    if (how == 3) {
        put(p, rbelow(r, n == 1 ? 100 : 1000), n, be);
        return;
    }
    for (unsigned c = 0; c < n; c++)
        p[c] = how == 0 ? (uint8_t)rnext(r) : how == 1 ? (uint8_t)(0x20 + rbelow(r, 95)) : 0;
    for (unsigned c = 0; how == 2 && c + 1 < n; c += 2)
        put(p + c, rbelow(r, 64), 2, be);
}

/* The variable part of a body; spec numbers its fields. */
static void put_tail(rng *r, gmsg *g, const gbody *b, bool be, unsigned spec)
{
    unsigned cs = b->count_size;
    switch (b->tail) {
    case T_TLV:
        for (unsigned i = 0, items = rbelow(r, 5); i < items; i++) {
            /* a small integer of 1, 2 or 4 bytes, or a short text */
            static const unsigned vls[] = {1, 2, 4};
            bool text = rbelow(r, 4) == 0;
            unsigned vl = text ? 2 + rbelow(r, 8) : vls[rbelow(r, 3)];
            put(g->m + g->o, 1 + rbelow(r, 5), cs, be);
            add(g, cs, G_ENUM, spec);
            put(g->m + g->o, vl, cs, be);
            add(g, cs, G_LENGTH, spec + 1);
            fill(r, g->m + g->o, vl, text ? 1 : 3, be);
            add(g, vl, text ? G_TEXT : G_SMALL, spec + 2);
        }
        break;
    case T_BLOB: {
        unsigned vl = rbelow(r, 41);
        put(g->m + g->o, vl, cs, be);
        add(g, cs, G_LENGTH, spec);
        fill(r, g->m + g->o, vl, b->fill, be);
        add(g, vl, b->fill == 1 ? G_TEXT : G_BLOB, spec + 1);
        break;
    }
    case T_ARRAY: {
        unsigned items = rbelow(r, 13), is = b->item_size;
        put(g->m + g->o, items * is, cs, be);
        add(g, cs, G_LENGTH, spec);
        for (unsigned i = 0; i < items; i++) {
            put(g->m + g->o, rbelow(r, is == 1 ? 100 : 1000), is, be);
            add(g, is, G_SMALL, spec + 1);
        }
        break;
    }
    case T_REST: {
        unsigned vl = 1 + rbelow(r, 48);
        fill(r, g->m + g->o, vl, b->fill, be);
        add(g, vl, b->fill == 1 ? G_TEXT : G_BLOB, spec);
        break;
    }
    default:
        break;
    }
}

/* Builds one message of type t (its reply when `reply`) into g. */
static void make_msg(rng *r, const gproto *p, unsigned t, bool reply, uint64_t counter, uint32_t id,
                     double ts, gmsg *g)
{
    g->o = 0;
    g->nt = 0;
    g->nlen = 0;
    for (unsigned k = 0; k < p->nouter; k++)
        put_field(r, g, &p->outer[k], t, counter, id, ts, k);
    for (unsigned k = 0; k < p->nhdr; k++)
        put_field(r, g, &p->hdr[k], t, counter, id, ts, 10 + k);
    g->body = g->o;
    const gbody *b = reply ? &p->rep[t] : &p->req[t];
    unsigned base = 100 + 20 * t + (reply ? 10 : 0);
    for (unsigned k = 0; k < b->n; k++)
        put_field(r, g, &b->f[k], t, counter, id, ts, base + k);
    put_tail(r, g, b, p->be, 200 + 10 * t + (reply ? 5 : 0));
    size_t total = g->o + (p->check ? p->check_size : 0);
    for (unsigned k = 0; k < g->nlen; k++) {
        const gfield *f = g->len[k].f;
        size_t at = g->len[k].at;
        uint64_t v = f->lm == L_WHOLE  ? total
                     : f->lm == L_REST ? total - at - f->size
                                       : total - g->body;
        put(g->m + at, v, f->size, f->be);
    }
    if (p->check) {
        uint64_t c = trawl_check_compute(&p->algo, g->m, g->o);
        put(g->m + g->o, c, p->check_size, p->be);
        add(g, p->check_size, G_CHECK, 300);
    }
}

static void pcap_record(out_buf *pc, double ts, uint16_t sport, uint16_t dport, const uint8_t *m,
                        size_t n)
{
    uint8_t h[16 + 42];
    uint32_t caplen = (uint32_t)(42 + n);
    uint32_t sec = (uint32_t)ts, usec = (uint32_t)((ts - sec) * 1e6);
    memcpy(h, &sec, 4);
    memcpy(h + 4, &usec, 4);
    memcpy(h + 8, &caplen, 4);
    memcpy(h + 12, &caplen, 4);
    uint8_t *e = h + 16;
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    memcpy(e, macs, 12);
    e[12] = 0x08;
    e[13] = 0x00;
    uint8_t *ip = e + 14;
    size_t iplen = 20 + 8 + n;
    ip[0] = 0x45;
    ip[1] = 0;
    ip[2] = (uint8_t)(iplen >> 8);
    ip[3] = (uint8_t)iplen;
    memset(ip + 4, 0, 4);
    ip[8] = 64;
    ip[9] = 17;
    ip[10] = ip[11] = 0;
    static const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(ip + 12, addrs, 8);
    trawl_check_algo inet = {.kind = TRAWL_CHECK_ONES_SUM, .width = 16, .word = 2, .negate = true};
    uint64_t cs = trawl_check_compute(&inet, ip, 20);
    ip[10] = (uint8_t)(cs >> 8);
    ip[11] = (uint8_t)cs;
    uint8_t *u = ip + 20;
    size_t ul = 8 + n;
    u[0] = (uint8_t)(sport >> 8);
    u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8);
    u[3] = (uint8_t)dport;
    u[4] = (uint8_t)(ul >> 8);
    u[5] = (uint8_t)ul;
    u[6] = u[7] = 0;
    emit_bytes(pc, h, sizeof h);
    emit_bytes(pc, m, n);
}

trawl_status trawl_infer_generate(uint64_t seed, unsigned msgs, uint8_t **pcap, size_t *pcap_len,
                                  char **truth, size_t *truth_len, trawl_error *err)
{
    if (!pcap || !pcap_len || !truth || !truth_len || msgs == 0 || msgs > 100000)
        return trawl__fail(err, TRAWL_EINVAL, "bad argument (msgs must be 1..100000)");
    rng r = {seed * 0x9E3779B97F4A7C15ull + 0x1234567};
    for (int i = 0; i < 4; i++)
        rnext(&r);
    gproto g;
    make_proto(&r, &g);
    unsigned flows = 1 + rbelow(&r, 4);
    uint64_t counters[4];
    uint32_t ids[4];
    bool wide = rbelow(&r, 2) != 0; /* a 4-byte counter starts anywhere */
    bool small_ids = rbelow(&r, 2) != 0;
    for (unsigned f = 0; f < 4; f++) {
        counters[f] = wide ? (uint32_t)rnext(&r) : (uint32_t)rnext(&r) & 0xFFF;
        ids[f] = small_ids ? rbelow(&r, 4096) : (uint32_t)rnext(&r);
        for (unsigned k = 0; k < g.nhdr; k++)
            if (g.hdr[k].k == G_ID && g.hdr[k].size == 2)
                ids[f] &= 0xFFFF;
    }
    uint16_t server = (uint16_t)(20000 + rbelow(&r, 20000));
    out_buf pc = {0}, tr = {0};
    static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    emit_bytes(&pc, gh, sizeof gh);
    gmsg *m = malloc(sizeof(*m));
    if (!m)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    double ts = 1700000000.0 + rbelow(&r, 10000000);
    /* with requests and replies, a reply follows its request (same type,
     * same flow, the counter echoed) nine times in ten */
    bool pending = false;
    unsigned flow = 0, t = 0;
    for (unsigned i = 0; i < msgs; i++) {
        bool reply = false, up;
        if (pending) {
            reply = true;
            up = false;
            pending = false;
        } else {
            flow = rbelow(&r, flows);
            t = rbelow(&r, g.ntypes);
            counters[flow]++;
            up = g.reqrep || rbelow(&r, 2) != 0;
            pending = g.reqrep && rbelow(&r, 10) != 0;
        }
        ts += 0.001 * (1 + rbelow(&r, 1000));
        unsigned cw = 4;
        for (unsigned k = 0; k < g.nhdr; k++)
            if (g.hdr[k].k == G_COUNTER)
                cw = g.hdr[k].size;
        uint64_t cv = counters[flow] & (cw == 2 ? 0xFFFF : 0xFFFFFFFF);
        make_msg(&r, &g, t, reply, cv, ids[flow], ts, m);
        uint16_t client = (uint16_t)(40000 + flow);
        pcap_record(&pc, ts, up ? client : server, up ? server : client, m->m, m->o);
        emit(&tr, "{\"frame\":%u,\"ts\":\"%.6f\",\"payload_len\":%zu,\"payload_hex\":\"", i + 1, ts,
             m->o);
        for (size_t k = 0; k < m->o; k++)
            emit(&tr, "%02x", m->m[k]);
        emit(&tr, "\",\"fields\":[");
        for (unsigned k = 0; k < m->nt; k++)
            emit(&tr, "%s[%u,%u,\"trawl.%s.%u\",0]", k ? "," : "", m->tf[k].off, m->tf[k].size,
                 gk_name[m->tf[k].k], m->tf[k].spec);
        emit(&tr, "]}\n");
    }
    free(m);
    if (pc.oom || tr.oom) {
        free(pc.p);
        free(tr.p);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *pcap = (uint8_t *)pc.p;
    *pcap_len = pc.n;
    *truth = tr.p;
    *truth_len = tr.n;
    return TRAWL_OK;
}
