/* test_anomaly_inject.c -- anomalies injected into real captures
 * (tests/data/anomaly, CC BY 4.0), precision and recall pinned.
 *
 * For each capture the baseline is the capture as it is. Each run then
 * takes a copy of its messages with ONE injection, at a quarter, half and
 * three quarters of the capture:
 *   delay   every message from k on arrives D later (a stalled sender), D twice
 *           the longest pause of the capture (at least 2 s): longer than any
 *           pause the baseline holds
 *   drop    messages k .. k+24 are removed
 *   burst   30 copies of message k arrive within 3 ms of it
 *   value   one byte of message k that is constant in its flow takes a value never seen
 *   type    a copy of message k with an unseen value in its type field is inserted after it
 * An anomaly is a true positive when its message index is within the
 * injection's reach (indices k-1 .. k+reach in the modified sequence, where
 * reach covers the injected messages and the rate window after them);
 * anything else it reports is a false positive. An injection is found when
 * at least one true positive names it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/anomaly.h>
#include <trawl/frame.h>

#include "anomaly/anom_int.h"
#include "testutil.h"

#define RECALL_FLOOR    0.90 /* measured 0.929 (39 of 42) */
#define PRECISION_FLOOR 0.97 /* measured 0.993 (421 of 424) */

typedef struct capture {
    trawl_anom_msg *m;
    size_t n;
    char (*flows)[48];
} capture;

static capture load(const char *path)
{
    capture c = {0};
    trawl_frame_pcap *p;
    assert_int_equal(trawl_frame_pcap_open_path(path, &p, NULL), TRAWL_OK);
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    size_t cap = 0;
    while (trawl_frame_pcap_next(p, &pkt, &f) == TRAWL_FRAME_UNIT) {
        if (!pkt.l4.has_payload || !pkt.l4.payload.len)
            continue;
        if (c.n == cap) {
            cap = cap ? cap * 2 : 256;
            c.m = realloc(c.m, cap * sizeof(*c.m));
            c.flows = realloc(c.flows, cap * sizeof(*c.flows));
        }
        uint8_t *d = malloc(pkt.l4.payload.len);
        memcpy(d, pkt.l4.payload.ptr, pkt.l4.payload.len);
        /* as the CLI names flows: the ephemeral (client) port is '*' */
        uint16_t sp = pkt.l4.src_port, dp = pkt.l4.dst_port;
        if (sp > dp)
            snprintf(c.flows[c.n], 48, "*>%u", dp);
        else
            snprintf(c.flows[c.n], 48, "%u>*", sp);
        c.m[c.n] =
            (trawl_anom_msg){{d, pkt.l4.payload.len},        NULL, pkt.l4.src_port, pkt.l4.dst_port,
                             pkt.ts_sec + pkt.ts_nsec / 1e9, c.n};
        c.n++;
    }
    trawl_frame_pcap_free(p);
    for (size_t i = 0; i < c.n; i++)
        c.m[i].flow = c.flows[i];
    return c;
}

static void release(capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free((void *)c->m[i].data.ptr);
    free(c->m);
    free(c->flows);
}

typedef struct tally {
    uint64_t tp, fp;
    size_t lo, hi;     /* reach of the injection, indices in the modified copy */
    double t_lo, t_hi; /* and in time (rate windows are judged by time) */
    bool found;
} tally;

static int judge(const trawl_anomaly *a, void *ud)
{
    tally *t = ud;
    bool hit = a->method == TRAWL_ANOM_RATE ? a->time + 1.0 >= t->t_lo && a->time <= t->t_hi
                                            : a->index + 1 >= t->lo && a->index <= t->hi;
    if (hit) {
        t->tp++;
        t->found = true;
    } else {
        t->fp++;
        if (getenv("INJECT_DEBUG"))
            printf("    FP [%zu..%zu] #%llu %s %s %s: %s\n", t->lo, t->hi,
                   (unsigned long long)a->index, trawl_anom_method_name(a->method), a->what,
                   a->channel, a->detail);
    }
    return 0;
}

/* A copy of the capture's messages with room for `extra` more; the data
 * buffers are shared except where an injection writes (those are copied). */
static trawl_anom_msg *copy_msgs(const capture *c, size_t extra)
{
    trawl_anom_msg *m = malloc((c->n + extra) * sizeof(*m));
    memcpy(m, c->m, c->n * sizeof(*m));
    return m;
}

static void renumber(trawl_anom_msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m[i].index = i;
}

/* An offset of message k that is the same byte in every message of its
 * flow with its length; -1 when there is none. */
static long constant_offset(const capture *c, size_t k)
{
    const trawl_anom_msg *x = &c->m[k];
    for (size_t o = 0; o < x->data.len; o++) {
        bool same = true;
        size_t peers = 0;
        for (size_t i = 0; i < c->n && same; i++)
            if (!strcmp(c->m[i].flow, x->flow) && c->m[i].data.len == x->data.len) {
                same = c->m[i].data.ptr[o] == x->data.ptr[o];
                peers++;
            }
        if (same && peers >= 8)
            return (long)o;
    }
    return -1;
}

enum { DELAY, DROP, BURST, VALUE, TYPE, KINDS };
static const char *const kind_names[] = {"delay", "drop", "burst", "value", "type"};

typedef struct result {
    uint64_t tp[KINDS], fp[KINDS], found[KINDS], tried[KINDS];
} result;

static void run_one(trawl_anom_model *base, trawl_anom_msg *m, size_t n, tally *t)
{
    /* a fresh detection state on the same baseline: flows and EWMA/CUSUM */
    base->n_flows = 0;
    for (size_t i = 0; i < base->n_chans; i++) {
        base->chans[i]->ewma_set = base->chans[i]->ewma_out = false;
        base->chans[i]->cpos = base->chans[i]->cneg = 0;
    }
    assert_int_equal(trawl_anom_detect_msgs(base, m, n, judge, t, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_flush(base, judge, t, NULL), TRAWL_OK);
}

static void inject(const capture *c, trawl_anom_model *base, int kind, size_t k, result *r)
{
    trawl_anom_msg *m = copy_msgs(c, 64);
    size_t n = c->n;
    tally t = {0, 0, k, k + 5, c->m[k].time, c->m[k].time, false};
    uint8_t *owned = NULL;
    if (kind == DELAY) {
        double pause = 0;
        for (size_t i = 1; i < n; i++)
            pause = fmax(pause, c->m[i].time - c->m[i - 1].time);
        for (size_t i = k; i < n; i++)
            m[i].time += fmax(2.0, 2 * pause);
        t.t_lo = c->m[k - 1].time;
        t.t_hi = m[k].time;
    } else if (kind == DROP) {
        if (k + 26 > n) {
            free(m);
            return;
        }
        t.t_lo = c->m[k - 1].time;
        t.t_hi = c->m[k + 25].time;
        memmove(m + k, m + k + 25, (n - k - 25) * sizeof(*m));
        n -= 25;
    } else if (kind == BURST) {
        memmove(m + k + 31, m + k + 1, (n - k - 1) * sizeof(*m));
        for (int j = 1; j <= 30; j++) {
            m[k + j] = c->m[k];
            m[k + j].time += j * 1e-4;
        }
        n += 30;
        t.hi = k + 31;
    } else if (kind == VALUE) {
        long o = constant_offset(c, k);
        if (o < 0) {
            free(m);
            return;
        }
        owned = malloc(c->m[k].data.len);
        memcpy(owned, c->m[k].data.ptr, c->m[k].data.len);
        owned[o] ^= 0x5A;
        m[k].data.ptr = owned;
    } else {
        /* the type field's offset, from the learned types of this port */
        long off = -1;
        uint16_t sp = c->m[k].src_port, dp = c->m[k].dst_port;
        for (size_t i = 0; i < base->n_types; i++)
            if ((base->types[i].port == sp || base->types[i].port == dp) &&
                base->types[i].key_offset >= 0)
                off = base->types[i].key_offset;
        if (off < 0 || (size_t)off >= c->m[k].data.len) {
            free(m);
            return;
        }
        owned = malloc(c->m[k].data.len);
        memcpy(owned, c->m[k].data.ptr, c->m[k].data.len);
        owned[off] = 0xEE; /* no capture here has a type 0xEE */
        memmove(m + k + 2, m + k + 1, (n - k - 1) * sizeof(*m));
        m[k + 1] = c->m[k];
        m[k + 1].data.ptr = owned;
        m[k + 1].time += 1e-4;
        n += 1;
        t.lo = k + 1;
    }
    renumber(m, n);
    run_one(base, m, n, &t);
    r->tried[kind]++;
    r->tp[kind] += t.tp;
    r->fp[kind] += t.fp;
    r->found[kind] += t.found;
    free(owned);
    free(m);
}

static void test_injections(void **state)
{
    (void)state;
    static const char *const caps[] = {"tests/data/anomaly/s7comm_reading_plc_status.pcap",
                                       "tests/data/anomaly/EIP-ChangeDateAttempt.pcap",
                                       "tests/data/anomaly/modbusSmall.pcap"};
    result r = {0};
    for (size_t ci = 0; ci < 3; ci++) {
        capture c = load(caps[ci]);
        assert_true(c.n > 30);
        trawl_anom_model *base;
        assert_int_equal(trawl_anom_new(NULL, &base, NULL), TRAWL_OK);
        assert_int_equal(trawl_anom_learn_msgs(base, c.m, c.n, NULL), TRAWL_OK);
        assert_int_equal(trawl_anom_finish(base, NULL), TRAWL_OK);
        /* the capture against its own baseline: nothing */
        tally self = {0, 0, 0, 0, 0, 0, false};
        run_one(base, c.m, c.n, &self);
        assert_int_equal(self.tp + self.fp, 0);
        for (int kind = 0; kind < KINDS; kind++)
            for (int q = 1; q <= 3; q++)
                inject(&c, base, kind, c.n * (size_t)q / 4, &r);
        trawl_anom_free(base);
        release(&c);
    }
    uint64_t tp = 0, fp = 0, found = 0, tried = 0;
    for (int k = 0; k < KINDS; k++) {
        printf("  %-6s found %llu of %llu injections; anomalies %llu true, %llu false\n",
               kind_names[k], (unsigned long long)r.found[k], (unsigned long long)r.tried[k],
               (unsigned long long)r.tp[k], (unsigned long long)r.fp[k]);
        tp += r.tp[k];
        fp += r.fp[k];
        found += r.found[k];
        tried += r.tried[k];
    }
    double precision = (double)tp / (double)(tp + fp), recall = (double)found / (double)tried;
    printf("  all    recall %.3f (%llu of %llu), precision %.3f (%llu of %llu)\n", recall,
           (unsigned long long)found, (unsigned long long)tried, precision, (unsigned long long)tp,
           (unsigned long long)(tp + fp));
    assert_true(tried >= 40);
    assert_true(recall >= RECALL_FLOOR);
    assert_true(precision >= PRECISION_FLOOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_injections)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
