/* gen.c -- random protocols with known truth: the oracle that inference is
 * tuned and tested on besides real captures. A protocol is a list of field
 * specs (a common header, a body per type, an optional TLV list and an
 * optional trailing checksum); messages are drawn from it for a few flows,
 * and each message's truth is the list of its fields, named by kind. */
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
    G_TLV
};
static const char *const gk_name[] = {"const",     "enum",  "counter", "length", "checksum",
                                      "timestamp", "float", "text",    "id",     "random",
                                      "bytes",     "enum",  "bytes"};

typedef struct gfield {
    enum gk k;
    unsigned size;
    bool be;
    uint64_t val;   /* const value / enum values seed */
    unsigned nvals; /* enum */
    bool whole;     /* length counts the whole message (else what follows) */
} gfield;

typedef struct gproto {
    gfield hdr[12];
    unsigned nhdr;
    gfield body[4][10];
    unsigned nbody[4];
    unsigned ntypes;
    bool tlv[4];
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

static void make_proto(rng *r, gproto *g)
{
    memset(g, 0, sizeof(*g));
    g->be = rbelow(r, 3) != 0;
    unsigned n = 0;
    if (rbelow(r, 2))
        g->hdr[n++] = (gfield){G_CONST, 1 + rbelow(r, 4), g->be, rnext(r) | 1, 0, false};
    if (rbelow(r, 2))
        g->hdr[n++] = (gfield){G_CONST, 1, g->be, 1 + rbelow(r, 3), 0, false};
    g->ntypes = 1 + rbelow(r, 4);
    g->hdr[n++] = (gfield){G_TYPE, 1, g->be, 0, g->ntypes, false};
    if (rbelow(r, 3))
        g->hdr[n++] = (gfield){G_LENGTH, rbelow(r, 4) ? 2 : 1, g->be, 0, 0, rbelow(r, 2) != 0};
    if (rbelow(r, 2))
        g->hdr[n++] = (gfield){G_COUNTER, rbelow(r, 2) ? 2 : 4, g->be, 0, 0, false};
    if (rbelow(r, 2))
        g->hdr[n++] = (gfield){G_ID, rbelow(r, 2) ? 2 : 4, g->be, 0, 0, false};
    if (rbelow(r, 4) == 0)
        g->hdr[n++] = (gfield){G_TS, 4, g->be, 0, 0, false};
    if (rbelow(r, 4) == 0)
        g->hdr[n++] = (gfield){G_RANDOM, 4 + 4 * rbelow(r, 2), g->be, 0, 0, false};
    g->nhdr = n;
    for (unsigned t = 0; t < g->ntypes; t++) {
        unsigned m = 1 + rbelow(r, 5);
        for (unsigned k = 0; k < m; k++) {
            gfield *f = &g->body[t][k];
            unsigned c = rbelow(r, 7);
            *f = (gfield){G_SMALL, 1 + rbelow(r, 2), g->be, 0, 0, false};
            if (c == 0)
                *f = (gfield){G_ENUM, 1, g->be, rnext(r), 2 + rbelow(r, 4), false};
            else if (c == 1)
                *f = (gfield){G_FLOAT, 4, g->be, 0, 0, false};
            else if (c == 2)
                *f = (gfield){G_TEXT, 4 + rbelow(r, 9), g->be, 0, 0, false};
            else if (c == 3)
                *f = (gfield){G_CONST, 1 + rbelow(r, 2), g->be, rnext(r), 0, false};
            else if (c == 4)
                f->size = 4;
        }
        g->nbody[t] = m;
        g->tlv[t] = rbelow(r, 4) == 0;
    }
    g->check = rbelow(r, 3) == 0;
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

/* Builds one message of type t into m; returns its length. */
static size_t make_msg(rng *r, const gproto *g, unsigned t, unsigned flow, uint32_t *counters,
                       const uint32_t *ids, double ts, uint8_t *m, tfield *tf, unsigned *ntf)
{
    size_t o = 0;
    unsigned nt = 0;
    int len_at = -1;
    for (unsigned k = 0; k < g->nhdr; k++) {
        const gfield *f = &g->hdr[k];
        uint64_t v = 0;
        switch (f->k) {
        case G_CONST:
            v = f->val;
            break;
        case G_TYPE:
            v = 0x10 + 7 * t;
            break;
        case G_COUNTER:
            v = counters[flow]++;
            break;
        case G_ID:
            v = ids[flow];
            break;
        case G_TS:
            v = (uint64_t)ts;
            break;
        case G_RANDOM:
            v = rnext(r);
            break;
        default:
            break;
        }
        if (f->k == G_LENGTH)
            len_at = (int)o;
        put(m + o, v, f->size, f->be);
        tf[nt++] = (tfield){(unsigned)o, f->size, f->k, k};
        o += f->size;
    }
    for (unsigned k = 0; k < g->nbody[t]; k++) {
        const gfield *f = &g->body[t][k];
        uint64_t v = 0;
        if (f->k == G_ENUM)
            v = (f->val >> (8 * rbelow(r, f->nvals))) & 0xFF;
        else if (f->k == G_CONST)
            v = f->val;
        else if (f->k == G_SMALL)
            v = rbelow(r, f->size == 1 ? 40 : f->size == 2 ? 2000 : 100000);
        if (f->k == G_FLOAT) {
            float x = (float)(rbelow(r, 100000)) / 100.0f + 1.0f;
            uint32_t u;
            memcpy(&u, &x, 4);
            v = u;
        }
        if (f->k == G_TEXT) {
            static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
            for (unsigned c = 0; c < f->size; c++)
                m[o + c] = (uint8_t)al[rbelow(r, 36)];
        } else {
            put(m + o, v, f->size, f->be);
        }
        tf[nt++] = (tfield){(unsigned)o, f->size, f->k, 100 + 10 * t + k};
        o += f->size;
    }
    if (g->tlv[t]) {
        unsigned items = rbelow(r, 4);
        for (unsigned i = 0; i < items; i++) {
            unsigned vl = 1 + rbelow(r, 6);
            m[o] = (uint8_t)(1 + rbelow(r, 5));
            m[o + 1] = (uint8_t)vl;
            tf[nt++] = (tfield){(unsigned)o, 1, G_ENUM, 200};
            tf[nt++] = (tfield){(unsigned)o + 1, 1, G_LENGTH, 201};
            for (unsigned c = 0; c < vl; c++)
                m[o + 2 + c] = (uint8_t)rnext(r);
            tf[nt++] = (tfield){(unsigned)o + 2, vl, G_SMALL, 202};
            o += 2 + vl;
        }
    }
    size_t total = o + (g->check ? g->check_size : 0);
    if (len_at >= 0) {
        const gfield *lf = NULL;
        for (unsigned k = 0; k < g->nhdr; k++)
            if (g->hdr[k].k == G_LENGTH)
                lf = &g->hdr[k];
        size_t start = 0;
        for (unsigned k = 0; k < g->nhdr && g->hdr[k].k != G_LENGTH; k++)
            start += g->hdr[k].size;
        uint64_t v = lf->whole ? total : total - start - lf->size;
        put(m + len_at, v, lf->size, lf->be);
    }
    if (g->check) {
        uint64_t c = trawl_check_compute(&g->algo, m, o);
        put(m + o, c, g->check_size, g->be);
        tf[nt++] = (tfield){(unsigned)o, g->check_size, G_CHECK, 300};
        o += g->check_size;
    }
    *ntf = nt;
    return o;
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
    uint32_t counters[4], ids[4];
    for (unsigned f = 0; f < 4; f++) {
        counters[f] = (uint32_t)rnext(&r) & 0xFFF;
        ids[f] = (uint32_t)rnext(&r) & 0xFFFF;
    }
    uint16_t server = (uint16_t)(20000 + rbelow(&r, 20000));
    out_buf pc = {0}, tr = {0};
    static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    emit_bytes(&pc, gh, sizeof gh);
    uint8_t m[512];
    tfield tf[64];
    double ts = 1700000000.0 + rbelow(&r, 10000000);
    for (unsigned i = 0; i < msgs; i++) {
        unsigned flow = rbelow(&r, flows), t = rbelow(&r, g.ntypes), ntf = 0;
        ts += 0.001 * (1 + rbelow(&r, 1000));
        size_t n = make_msg(&r, &g, t, flow, counters, ids, ts, m, tf, &ntf);
        uint16_t client = (uint16_t)(40000 + flow);
        bool up = rbelow(&r, 2) != 0;
        pcap_record(&pc, ts, up ? client : server, up ? server : client, m, n);
        emit(&tr, "{\"frame\":%u,\"ts\":\"%.6f\",\"payload_len\":%zu,\"payload_hex\":\"", i + 1, ts,
             n);
        for (size_t k = 0; k < n; k++)
            emit(&tr, "%02x", m[k]);
        emit(&tr, "\",\"fields\":[");
        for (unsigned k = 0; k < ntf; k++)
            if (tf[k].size)
                emit(&tr, "%s[%u,%u,\"trawl.%s.%u\",0]", k ? "," : "", tf[k].off, tf[k].size,
                     gk_name[tf[k].k], tf[k].spec);
        emit(&tr, "]}\n");
    }
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
