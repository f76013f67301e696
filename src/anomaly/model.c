/* model.c -- anomaly models: parameters, the channel table (open
 * addressing on the channel name's hash), counters and descriptions. */
#include "anomaly/anom_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/error.h"

static const char *const method_names[] = {
#define NAME(name, str) str,
    TRAWL_ANOM_METHOD_MAP(NAME)
#undef NAME
};

const char *trawl_anom_method_name(trawl_anom_method m)
{
    return (unsigned)m < TRAWL_ANOM_METHOD_COUNT_ ? method_names[m] : "unknown";
}

trawl_status trawl_anom_methods_parse(const char *list, unsigned *mask, trawl_error *err)
{
    if (!list || !mask)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    *mask = 0;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        unsigned bit = 0;
        if (n == 3 && !strncmp(p, "all", 3))
            bit = TRAWL_ANOM_ALL;
        for (unsigned k = 0; !bit && k < TRAWL_ANOM_METHOD_COUNT_; k++)
            if (strlen(method_names[k]) == n && !strncmp(p, method_names[k], n))
                bit = 1u << k;
        if (!bit) {
            if (err)
                err->column = (int)(p - list) + 1;
            return trawl__fail(err, TRAWL_EINVAL, "anomaly: unknown method '%.*s'", (int)n, p);
        }
        *mask |= bit;
        p += n + (e != NULL);
    }
    return TRAWL_OK;
}

trawl_status trawl__anom_params_fix(trawl_anom_params *p, trawl_error *err)
{
#define DEF(f, v)                                                                                  \
    if (p->f == 0)                                                                                 \
        p->f = v;
    DEF(methods, TRAWL_ANOM_ALL)
    DEF(z, 3.0)
    DEF(mz, 3.5)
    DEF(iqr_k, 1.5)
    DEF(ewma_lambda, 0.2)
    DEF(ewma_l, 3.0)
    DEF(cusum_k, 0.5)
    DEF(cusum_h, 5.0)
    DEF(rate_window, 1.0)
    DEF(min_samples, 8)
    DEF(warmup, 30)
    DEF(reservoir, 4096)
    DEF(max_distinct, 16)
    DEF(max_channels, 65536)
    DEF(max_columns, 64)
#undef DEF
    if (!(p->z > 0) || !(p->mz > 0) || !(p->iqr_k > 0) || !(p->ewma_l > 0) || !(p->cusum_h > 0) ||
        !(p->cusum_k >= 0) ||
        !isfinite(p->z + p->mz + p->iqr_k + p->ewma_l + p->cusum_h + p->cusum_k))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: thresholds must be positive and finite");
    if (!(p->ewma_lambda > 0 && p->ewma_lambda <= 1))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: EWMA lambda must be in (0, 1]");
    if (!(p->rate_window > 0) || !isfinite(p->rate_window))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: the rate window must be positive");
    if (p->methods & ~TRAWL_ANOM_ALL)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: unknown method bits");
    if (p->reservoir > (1u << 24) || p->max_distinct > 4096 || p->max_columns > 4096 ||
        p->max_channels > (1u << 24) || p->min_samples < 2)
        return trawl__fail(err, TRAWL_EINVAL,
                           "anomaly: reservoir <= 2^24, max_distinct <= 4096, max_columns <= "
                           "4096, max_channels <= 2^24, min_samples >= 2");
    return TRAWL_OK;
}

trawl_status trawl_anom_new(const trawl_anom_params *params, trawl_anom_model **out,
                            trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    *out = NULL;
    trawl_anom_params p = {0};
    if (params)
        p = *params;
    trawl_status s = trawl__anom_params_fix(&p, err);
    if (s != TRAWL_OK)
        return s;
    trawl_anom_model *m = calloc(1, sizeof(*m));
    if (!m)
        return trawl__fail(err, TRAWL_ENOMEM, "anomaly: out of memory");
    m->p = p;
    *out = m;
    return TRAWL_OK;
}

static void chan_free(chan *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->res);
    free(c->vals);
    free(c);
}

void trawl_anom_free(trawl_anom_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_chans; i++)
        chan_free(m->chans[i]);
    free(m->chans);
    free(m->slots);
    for (size_t i = 0; i < m->n_types; i++)
        free(m->types[i].fields);
    free(m->types);
    for (size_t i = 0; i < m->n_flows; i++)
        free(m->flows[i].name);
    free(m->flows);
    free(m);
}

static bool grow_slots(trawl_anom_model *m)
{
    size_t n = m->n_slots ? m->n_slots * 2 : 64;
    uint32_t *s = calloc(n, sizeof(*s));
    if (!s)
        return false;
    for (size_t i = 0; i < m->n_chans; i++) {
        const char *name = m->chans[i]->name;
        size_t h = (size_t)XXH3_64bits(name, strlen(name)) & (n - 1);
        while (s[h])
            h = (h + 1) & (n - 1);
        s[h] = (uint32_t)i + 1;
    }
    free(m->slots);
    m->slots = s;
    m->n_slots = n;
    return true;
}

chan *trawl__anom_chan(trawl_anom_model *m, const char *name, chan_role role, bool create,
                       bool *nomem)
{
    *nomem = false;
    if (m->n_slots) {
        size_t h = (size_t)XXH3_64bits(name, strlen(name)) & (m->n_slots - 1);
        for (; m->slots[h]; h = (h + 1) & (m->n_slots - 1)) {
            chan *c = m->chans[m->slots[h] - 1];
            if (!strcmp(c->name, name))
                return c;
        }
    }
    if (!create || m->n_chans >= m->p.max_channels)
        return NULL;
    if ((m->n_chans + 1) * 2 > m->n_slots && !grow_slots(m)) {
        *nomem = true;
        return NULL;
    }
    if (m->n_chans == m->cap_chans) {
        size_t cap = m->cap_chans ? m->cap_chans * 2 : 32;
        chan **g = realloc(m->chans, cap * sizeof(*g));
        if (!g) {
            *nomem = true;
            return NULL;
        }
        m->chans = g;
        m->cap_chans = cap;
    }
    chan *c = calloc(1, sizeof(*c));
    if (c)
        c->name = strdup(name);
    if (!c || !c->name) {
        chan_free(c);
        *nomem = true;
        return NULL;
    }
    c->role = role;
    m->chans[m->n_chans++] = c;
    size_t h = (size_t)XXH3_64bits(name, strlen(name)) & (m->n_slots - 1);
    while (m->slots[h])
        h = (h + 1) & (m->n_slots - 1);
    m->slots[h] = (uint32_t)m->n_chans;
    return c;
}

void trawl_anom_get_stats(const trawl_anom_model *m, trawl_anom_stats *s)
{
    memset(s, 0, sizeof(*s));
    if (!m)
        return;
    s->channels = m->n_chans;
    s->learned = m->learned;
    s->tested = m->tested;
    s->dropped_channels = m->dropped;
}

bool trawl_anom_channel(const trawl_anom_model *m, size_t i, trawl_anom_channel_info *info)
{
    if (!m || i >= m->n_chans || !info)
        return false;
    const chan *c = m->chans[i];
    bool num = c->done && (c->overflow || c->role == ROLE_SERIES || c->role == ROLE_IAT ||
                           c->role == ROLE_TYPE_IAT || c->role == ROLE_RATE);
    *info = (trawl_anom_channel_info){c->name, c->n, NAN, NAN, NAN, NAN, NAN, NAN, 0};
    if (num) {
        info->mean = c->mean;
        info->std = c->std;
        info->median = c->median;
        info->mad = c->mad;
        info->q1 = c->q1;
        info->q3 = c->q3;
    }
    if (!c->overflow && c->role >= ROLE_TYPES)
        info->distinct = c->n_vals;
    return true;
}
