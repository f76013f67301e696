/* traffic.c -- messages into channels.
 *
 * Per flow direction: the inter-arrival time ("FLOW iat"), the inter-arrival
 * time per message type ("FLOW type K iat": the poll period and its
 * jitter), the message count per rate window ("FLOW rate"; windows start at
 * the flow's first message; the window still open at the end of the input
 * is not judged, it is incomplete), the types ("FLOW types"), the type
 * transitions ("FLOW transitions", prev * 256 + next) and the lengths per
 * type ("FLOW type K length"). Per message type, across flows: the value of
 * each field ("port P type K field O+S"), the fields being those
 * trawl_infer_run calls bytes, enum or const (counters, checksums,
 * timestamps, random nonces and per-flow ids change by design and are left
 * out), or, with params.columns, each of the first max_columns bytes.
 *
 * A type is recognised by its service port and the value of its type field
 * (trawl_infer_type's key); a message whose key value no baseline type has
 * is of an unseen type, reported under "FLOW types" with the key value. */
#include "anomaly/anom_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define MAX_EMPTY_WINDOWS 100000u
#define UNKNOWN_KEY       1000.0

typedef struct op {
    trawl_anom_model *m;
    bool learn;
    trawl_anomaly_fn cb;
    void *user;
    bool nomem, stopped;
} op;

/* One sample on channel `name`: learned, or tested (and learned online). */
static void sample(op *o, const char *name, chan_role role, double time, uint64_t index, double x)
{
    trawl_anom_model *m = o->m;
    if (o->nomem || o->stopped || !isfinite(x))
        return;
    bool nomem;
    chan *c = trawl__anom_chan(m, name, role, o->learn || m->p.online, &nomem);
    if (!c) {
        o->nomem |= nomem;
        m->dropped += !nomem && (o->learn || m->p.online);
        return;
    }
    if (!o->learn) {
        m->tested++;
        if (m->p.online && c->n >= m->p.warmup && c->n >= m->p.min_samples &&
            !trawl__anom_chan_finish(c)) {
            o->nomem = true;
            return;
        }
        if ((!m->p.online || c->n >= m->p.warmup) &&
            trawl__anom_test(m, c, time, index, x, o->cb, o->user)) {
            o->stopped = true;
            return;
        }
    }
    if (o->learn || m->p.online) {
        m->learned++;
        if (!trawl__anom_chan_add(m, c, x))
            o->nomem = true;
    }
}

static int ignore(const trawl_anomaly *a, void *u)
{
    (void)a;
    (void)u;
    return 0;
}

trawl_status trawl_anom_learn_value(trawl_anom_model *m, const char *name, double time,
                                    double value, trawl_error *err)
{
    if (!m || !name)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (!isfinite(value))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: value is not a finite number");
    if (m->finished && !m->p.online)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: the baseline is finished");
    op o = {m, true, ignore, NULL, false, false};
    snprintf(m->chname, sizeof(m->chname), "series %s", name);
    sample(&o, m->chname, ROLE_SERIES, time, 0, value);
    return o.nomem ? trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory") : TRAWL_OK;
}

trawl_status trawl_anom_detect_value(trawl_anom_model *m, const char *name, double time,
                                     uint64_t index, double value, trawl_anomaly_fn cb, void *user,
                                     trawl_error *err)
{
    if (!m || !name || !cb)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (!isfinite(value))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: value is not a finite number");
    if (!m->finished && !m->p.online)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: finish the baseline first");
    op o = {m, false, cb, user, false, false};
    snprintf(m->chname, sizeof(m->chname), "series %s", name);
    sample(&o, m->chname, ROLE_SERIES, time, index, value);
    if (o.nomem)
        return trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory");
    return o.stopped ? trawl__fail(err, TRAWL_ESTOPPED, "anomaly: stopped") : TRAWL_OK;
}

/* ---- flows and types ---------------------------------------------------------- */

static flow_state *flow(op *o, const char *name)
{
    trawl_anom_model *m = o->m;
    for (size_t i = 0; i < m->n_flows; i++)
        if (!strcmp(m->flows[i].name, name))
            return &m->flows[i];
    if (m->n_flows == m->cap_flows) {
        size_t cap = m->cap_flows ? m->cap_flows * 2 : 8;
        flow_state *g = realloc(m->flows, cap * sizeof(*g));
        if (!g) {
            o->nomem = true;
            return NULL;
        }
        m->flows = g;
        m->cap_flows = cap;
    }
    flow_state *f = &m->flows[m->n_flows];
    memset(f, 0, sizeof(*f));
    f->last_type = -1;
    if (!(f->name = strdup(name))) {
        o->nomem = true;
        return NULL;
    }
    m->n_flows++;
    return f;
}

static void clear_flows(trawl_anom_model *m)
{
    for (size_t i = 0; i < m->n_flows; i++)
        free(m->flows[i].name);
    m->n_flows = 0;
}

static uint64_t read_uint(const uint8_t *p, unsigned n, bool be)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[be ? i : n - 1 - i] << (8 * (n - 1 - i));
    return v;
}

/* The type of a message: index into m->types, or -1 (then *key is the
 * value at the port's type field, or UNKNOWN_KEY). */
static int type_of(const trawl_anom_model *m, const trawl_anom_msg *msg, double *key)
{
    *key = UNKNOWN_KEY;
    for (size_t i = 0; i < m->n_types; i++) {
        const anom_type *t = &m->types[i];
        if (t->port && t->port != msg->src_port && t->port != msg->dst_port)
            continue;
        if (t->key_offset < 0) {
            *key = 0;
            return (int)i;
        }
        if ((size_t)t->key_offset >= msg->data.len)
            continue;
        double k = msg->data.ptr[t->key_offset];
        if (k == (double)t->key_value) {
            *key = k;
            return (int)i;
        }
        *key = k; /* the port's type field, a value no type has (yet) */
    }
    return -1;
}

/* Closes the windows that end before `until`; an empty window is reported
 * with the index of the message that ends it (next). */
static void rate_close(op *o, flow_state *f, double until, uint64_t next)
{
    trawl_anom_model *m = o->m;
    double w = m->p.rate_window;
    char name[300];
    snprintf(name, sizeof(name), "%s rate", f->name);
    unsigned empty = 0;
    while (f->win_open && f->win_start + w <= until && !o->stopped && !o->nomem) {
        sample(o, name, ROLE_RATE, f->win_start, f->win_count ? f->win_first : next,
               (double)f->win_count);
        f->win_start += w;
        f->win_count = 0;
        if (++empty > MAX_EMPTY_WINDOWS) /* a jump in time: start over */
            f->win_open = false;
    }
}

static void observe(op *o, const trawl_anom_msg *msg)
{
    trawl_anom_model *m = o->m;
    const char *fname = msg->flow ? msg->flow : "stream";
    flow_state *f = flow(o, fname);
    if (!f)
        return;
    double t = msg->time, key;
    int ty = type_of(m, msg, &key);
    char name[300];
    /* rate */
    if (f->win_open && t >= f->win_start + m->p.rate_window)
        rate_close(o, f, t, msg->index);
    if (!f->win_open) {
        f->win_open = true;
        f->win_start = t;
        f->win_count = 0;
    }
    if (f->win_count++ == 0)
        f->win_first = msg->index;
    /* timing */
    if (f->have_last) {
        snprintf(name, sizeof(name), "%s iat", fname);
        sample(o, name, ROLE_IAT, t, msg->index, t - f->last_time);
    }
    if (ty >= 0 && ty < 64) {
        if (f->type_seen[ty]) {
            snprintf(name, sizeof(name), "%s type %g iat", fname, key);
            sample(o, name, ROLE_TYPE_IAT, t, msg->index, t - f->type_last[ty]);
        }
        f->type_seen[ty] = true;
        f->type_last[ty] = t;
    }
    /* sequence */
    snprintf(name, sizeof(name), "%s types", fname);
    sample(o, name, ROLE_TYPES, t, msg->index, key);
    if (f->have_last) {
        snprintf(name, sizeof(name), "%s transitions", fname);
        double prev = f->last_type >= 0 ? m->types[f->last_type].key_offset < 0
                                              ? 0
                                              : (double)m->types[f->last_type].key_value
                                        : UNKNOWN_KEY;
        sample(o, name, ROLE_TRANS, t, msg->index, prev * 1024 + key);
    }
    snprintf(name, sizeof(name), "%s type %g length", fname, key);
    sample(o, name, ROLE_LENGTH, t, msg->index, (double)msg->data.len);
    /* values */
    if (ty >= 0) {
        const anom_type *at = &m->types[ty];
        for (unsigned i = 0; i < at->n_fields; i++) {
            const trawl_infer_field *fl = &at->fields[i];
            if ((size_t)fl->offset + fl->size > msg->data.len)
                continue;
            snprintf(name, sizeof(name), "port %u type %g field %u+%u", at->port, key, fl->offset,
                     fl->size);
            sample(o, name, ROLE_FIELD, t, msg->index,
                   (double)read_uint(msg->data.ptr + fl->offset, fl->size, fl->big_endian));
        }
    }
    f->have_last = true;
    f->last_time = t;
    f->last_type = ty;
}

/* ---- learning the types -------------------------------------------------------- */

static bool judged_kind(trawl_field_kind k)
{
    return k == TRAWL_FIELD_BYTES || k == TRAWL_FIELD_ENUM || k == TRAWL_FIELD_CONST;
}

static uint16_t service_port(const trawl_anom_msg *msgs, size_t n, size_t i)
{
    /* the lower port of the two: servers listen on the well-known one */
    (void)n;
    uint16_t a = msgs[i].src_port, b = msgs[i].dst_port;
    return a && b ? (a < b ? a : b) : (a ? a : b);
}

static trawl_status columns_types(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n)
{
    uint16_t ports[64];
    size_t np = 0;
    for (size_t i = 0; i < n && np < 64; i++) {
        uint16_t p = service_port(msgs, n, i);
        bool have = false;
        for (size_t k = 0; k < np && !have; k++)
            have = ports[k] == p;
        if (!have)
            ports[np++] = p;
    }
    m->types = calloc(np ? np : 1, sizeof(*m->types));
    if (!m->types)
        return TRAWL_ENOMEM;
    for (size_t k = 0; k < np; k++) {
        anom_type *t = &m->types[m->n_types++];
        t->port = ports[k];
        t->key_offset = -1;
        t->fields = calloc(m->p.max_columns, sizeof(*t->fields));
        if (!t->fields)
            return TRAWL_ENOMEM;
        t->n_fields = m->p.max_columns;
        for (unsigned c = 0; c < m->p.max_columns; c++)
            t->fields[c] = (trawl_infer_field){.offset = c, .size = 1, .kind = TRAWL_FIELD_BYTES};
    }
    return TRAWL_OK;
}

static trawl_status infer_types(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n,
                                trawl_error *err)
{
    trawl_infer_msg *im = calloc(n ? n : 1, sizeof(*im));
    if (!im)
        return trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory");
    for (size_t i = 0; i < n; i++)
        im[i] =
            (trawl_infer_msg){msgs[i].data, msgs[i].src_port, msgs[i].dst_port, 0, 0, msgs[i].time};
    trawl_infer_result *r = NULL;
    trawl_infer_opts io = {0};
    trawl_status s = trawl_infer_run(im, n, &io, &r, err);
    free(im);
    if (s != TRAWL_OK)
        return s;
    size_t nt = trawl_infer_type_count(r);
    m->types = calloc(nt ? nt : 1, sizeof(*m->types));
    for (size_t i = 0; m->types && i < nt; i++) {
        const trawl_infer_type *it = trawl_infer_type_get(r, i);
        anom_type *t = &m->types[m->n_types++];
        t->port = it->port;
        t->key_offset = it->key_offset;
        t->key_value = it->key_value;
        t->fields = calloc(it->n_fields ? it->n_fields : 1, sizeof(*t->fields));
        if (!t->fields) {
            s = TRAWL_ENOMEM;
            break;
        }
        for (size_t k = 0; k < it->n_fields; k++) {
            const trawl_infer_field *fl = &it->fields[k];
            if (judged_kind(fl->kind) && fl->size >= 1 && fl->size <= 8)
                t->fields[t->n_fields++] = *fl;
        }
    }
    if (!m->types)
        s = TRAWL_ENOMEM;
    trawl_infer_result_free(r);
    return s == TRAWL_ENOMEM ? trawl__fail(err, s, "anomaly: out of memory") : s;
}

trawl_status trawl_anom_learn_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n,
                                   trawl_error *err)
{
    if (!m || (!msgs && n))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (m->learned_msgs || m->finished || m->n_types)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: messages are learned once, before finish");
    m->learned_msgs = true;
    trawl_status s =
        m->p.columns || n < 2 ? columns_types(m, msgs, n) : infer_types(m, msgs, n, err);
    if (s == TRAWL_ENOMEM)
        return trawl__fail(err, s, "anomaly: out of memory");
    if (s != TRAWL_OK)
        return s;
    op o = {m, true, ignore, NULL, false, false};
    for (size_t i = 0; i < n && !o.nomem; i++)
        observe(&o, &msgs[i]);
    clear_flows(m);
    return o.nomem ? trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory") : TRAWL_OK;
}

trawl_status trawl_anom_detect_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n,
                                    trawl_anomaly_fn cb, void *user, trawl_error *err)
{
    if (!m || (!msgs && n) || !cb)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (!m->finished && !m->p.online)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: finish the baseline first");
    if (m->p.online && !m->n_types && !m->learned_msgs) {
        /* online without a learned baseline: one type per port, byte columns */
        trawl_anom_params p = m->p;
        m->p.columns = true;
        trawl_status s = columns_types(m, msgs, n);
        m->p = p;
        m->learned_msgs = true;
        if (s != TRAWL_OK)
            return trawl__fail(err, s, "anomaly: out of memory");
    }
    op o = {m, false, cb, user, false, false};
    for (size_t i = 0; i < n && !o.nomem && !o.stopped; i++)
        observe(&o, &msgs[i]);
    if (o.nomem)
        return trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory");
    return o.stopped ? trawl__fail(err, TRAWL_ESTOPPED, "anomaly: stopped") : TRAWL_OK;
}

trawl_status trawl_anom_flush(trawl_anom_model *m, trawl_anomaly_fn cb, void *user,
                              trawl_error *err)
{
    (void)cb;
    (void)user;
    if (!m)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    /* the open windows are incomplete: forgotten, not judged */
    clear_flows(m);
    return TRAWL_OK;
}

trawl_status trawl_anom_finish(trawl_anom_model *m, trawl_error *err)
{
    if (!m)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (m->finished)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: already finished");
    for (size_t i = 0; i < m->n_chans; i++)
        if (!trawl__anom_chan_finish(m->chans[i]))
            return trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory");
    m->finished = true;
    clear_flows(m);
    return TRAWL_OK;
}
