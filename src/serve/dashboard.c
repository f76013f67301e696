/* dashboard.c -- the figures behind GET /dashboard.
 *
 * A sampling thread wakes once a second and turns the server's cumulative
 * counters (requests per endpoint, threat events, cache hits and misses)
 * into per-second deltas kept for the last DASH_SECONDS seconds, so the
 * page can draw rates over time without the request path doing anything
 * new. Threat events (rare next to requests) are counted as they are
 * published: per detector, and per category and client in two bounded
 * "space-saving" top-K tables (Metwally, Agrawal and El Abbadi, 2005): K
 * counters whatever the number of distinct clients, each count high by at
 * most its recorded error. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "serve/internal.h"

#define DASH_SECONDS 600
#define DASH_TOP     32

typedef struct dash_sample {
    uint64_t t_ms; /* wall clock at the end of the second */
    uint32_t requests, threats, hits, misses;
    uint32_t det[TRAWL_DET_COUNT];
} dash_sample;

typedef struct dash_counter {
    char name[48];
    uint64_t count, error;
} dash_counter;

typedef struct dash_top {
    dash_counter c[DASH_TOP];
    size_t n;
} dash_top;

struct srv_dash {
    trawl_server *s;
    pthread_t th;
    pthread_mutex_t mu; /* guards everything below but the atomics */
    pthread_cond_t cv;
    bool stop;
    _Atomic uint64_t threats, det_threats[TRAWL_DET_COUNT];
    uint64_t started_ms;
    uint64_t prev_req, prev_threats, prev_hits, prev_misses, prev_det[TRAWL_DET_COUNT];
    dash_sample ring[DASH_SECONDS];
    size_t n, head; /* samples kept; the next slot */
    dash_top cats, clients;
};

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Requests answered on the endpoints that do work: detect, scan and the
 * gateway integrations. */
static uint64_t work_requests(trawl_server *s)
{
    static const int eps[] = {EP_DETECT, EP_DETECT_ONE, EP_SCAN,  EP_LITELLM,
                              EP_GUARD,  EP_ANALYZE,    EP_AUTHZ, EP_CHAT};
    uint64_t n = 0;
    for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++)
        for (int c = 0; c < SRV_NCODES; c++)
            n += atomic_load_explicit(&s->count[eps[i]][c], memory_order_relaxed);
    return n;
}

static uint32_t delta(uint64_t now, uint64_t *prev)
{
    uint64_t d = now >= *prev ? now - *prev : 0;
    *prev = now;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void sample(srv_dash *d)
{
    trawl_cache_stats cs = {0};
    if (d->s->cache)
        trawl_cache_stats_get(d->s->cache, &cs);
    dash_sample x = {.t_ms = wall_ms()};
    x.requests = delta(work_requests(d->s), &d->prev_req);
    x.threats = delta(atomic_load(&d->threats), &d->prev_threats);
    x.hits = delta(cs.hits, &d->prev_hits);
    x.misses = delta(cs.misses, &d->prev_misses);
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        x.det[i] = delta(atomic_load(&d->det_threats[i]), &d->prev_det[i]);
    pthread_mutex_lock(&d->mu);
    d->ring[d->head] = x;
    d->head = (d->head + 1) % DASH_SECONDS;
    if (d->n < DASH_SECONDS)
        d->n++;
    pthread_mutex_unlock(&d->mu);
}

static void *sampler(void *arg)
{
    srv_dash *d = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        next.tv_sec += 1;
        while (!d->stop && pthread_cond_timedwait(&d->cv, &d->mu, &next) == 0)
            ;
        if (d->stop)
            break;
        pthread_mutex_unlock(&d->mu);
        sample(d);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

trawl_status trawl__serve_dash_start(trawl_server *s, trawl_error *err)
{
    if (s->o.event_ring > SRV_RING_MAX)
        return trawl__fail(err, TRAWL_EINVAL, "event ring of %zu events: at most %d",
                           s->o.event_ring, SRV_RING_MAX);
    if (!s->o.event_ring && s->o.dashboard)
        s->o.event_ring = 1024;
    if (s->o.event_ring && !(s->ring = trawl__serve_ring_new(s->o.event_ring)))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (!s->o.dashboard)
        return TRAWL_OK;
    srv_dash *d = calloc(1, sizeof(*d));
    if (!d)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    d->s = s;
    d->started_ms = wall_ms();
    d->prev_req = work_requests(s);
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&d->th, NULL, sampler, d)) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return trawl__fail(err, TRAWL_ENOMEM, "cannot start the dashboard's sampling thread");
    }
    s->dash = d;
    return TRAWL_OK;
}

void trawl__serve_dash_stop(trawl_server *s)
{
    srv_dash *d = s->dash;
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->th, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
    s->dash = NULL;
}

/* Space-saving update: the name's counter goes up; an unseen name takes
 * over the smallest counter (count + 1, error = that count). */
static void top_add(dash_top *t, const char *name)
{
    size_t min = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(t->c[i].name, name)) {
            t->c[i].count++;
            return;
        }
        if (t->c[i].count < t->c[min].count)
            min = i;
    }
    dash_counter *c = t->n < DASH_TOP ? &t->c[t->n++] : &t->c[min];
    uint64_t base = c->name[0] ? c->count : 0;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->error = base;
    c->count = base + 1;
}

void trawl__serve_dash_threat(srv_dash *d, const char *client, unsigned bit,
                              const char *const *cats, size_t n)
{
    atomic_fetch_add(&d->threats, 1);
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        if (bit == 1u << i)
            atomic_fetch_add(&d->det_threats[i], 1);
    pthread_mutex_lock(&d->mu);
    top_add(&d->clients, client && *client ? client : "-");
    for (size_t i = 0; i < n; i++)
        top_add(&d->cats, cats[i]);
    pthread_mutex_unlock(&d->mu);
}

static int by_count(const void *a, const void *b)
{
    const dash_counter *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->name, y->name);
}

static cJSON *top_json(const dash_top *t)
{
    dash_counter c[DASH_TOP];
    memcpy(c, t->c, t->n * sizeof(c[0]));
    qsort(c, t->n, sizeof(c[0]), by_count);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < t->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c[i].name);
        cJSON_AddNumberToObject(o, "count", (double)c[i].count);
        cJSON_AddNumberToObject(o, "error", (double)c[i].error);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* The kept samples, oldest first, as parallel arrays. */
static void series_json(srv_dash *d, cJSON *root)
{
    cJSON *se = cJSON_AddObjectToObject(root, "series");
    cJSON *t = cJSON_AddArrayToObject(se, "t");
    cJSON *req = cJSON_AddArrayToObject(se, "requests");
    cJSON *thr = cJSON_AddArrayToObject(se, "threats");
    cJSON *hit = cJSON_AddArrayToObject(se, "cache_hit_rate");
    cJSON *det = cJSON_AddObjectToObject(se, "detectors");
    cJSON *per[TRAWL_DET_COUNT];
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        per[i] = cJSON_AddArrayToObject(det, trawl_detector_name(1u << i));
    size_t first = (d->head + DASH_SECONDS - d->n) % DASH_SECONDS;
    for (size_t k = 0; k < d->n; k++) {
        const dash_sample *x = &d->ring[(first + k) % DASH_SECONDS];
        cJSON_AddItemToArray(t, cJSON_CreateNumber((double)(x->t_ms / 1000)));
        cJSON_AddItemToArray(req, cJSON_CreateNumber(x->requests));
        cJSON_AddItemToArray(thr, cJSON_CreateNumber(x->threats));
        uint32_t looks = x->hits + x->misses;
        cJSON_AddItemToArray(hit, looks ? cJSON_CreateNumber((double)x->hits / looks)
                                        : cJSON_CreateNull());
        for (int i = 0; i < TRAWL_DET_COUNT; i++)
            cJSON_AddItemToArray(per[i], cJSON_CreateNumber(x->det[i]));
    }
}

static void detectors_json(trawl_server *s, srv_dash *d, cJSON *root)
{
    /* The server's own reference keeps the current engine alive while
     * reload_mu is held (reloads swap it under that mutex). */
    pthread_mutex_lock(&s->reload_mu);
    unsigned enabled = trawl_detect_engine_enabled(atomic_load(&s->eng)->e);
    pthread_mutex_unlock(&s->reload_mu);
    cJSON *a = cJSON_AddArrayToObject(root, "detectors");
    for (int i = 0; i < TRAWL_DET_COUNT; i++) {
        const trawl_hist *h = s->lat_det[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", trawl_detector_name(1u << i));
        cJSON_AddBoolToObject(o, "enabled", (enabled >> i) & 1);
        cJSON_AddNumberToObject(o, "runs", (double)trawl_hist_count(h));
        cJSON_AddNumberToObject(o, "p50_us", (double)trawl_hist_percentile(h, 0.5) / 1e3);
        cJSON_AddNumberToObject(o, "p99_us", (double)trawl_hist_percentile(h, 0.99) / 1e3);
        cJSON_AddNumberToObject(o, "max_us", (double)trawl_hist_max(h) / 1e3);
        cJSON_AddNumberToObject(o, "threats", (double)atomic_load(&d->det_threats[i]));
        cJSON_AddItemToArray(a, o);
    }
}

char *trawl__serve_dash_stats(trawl_server *s)
{
    srv_dash *d = s->dash;
    cJSON *root = cJSON_CreateObject();
    if (!root || !d) {
        cJSON_Delete(root);
        return NULL;
    }
    uint64_t now = wall_ms();
    trawl_cache_stats cs = {0};
    if (s->cache)
        trawl_cache_stats_get(s->cache, &cs);
    cJSON_AddNumberToObject(root, "now_ms", (double)now);
    cJSON_AddNumberToObject(root, "uptime_s", (double)(now - d->started_ms) / 1e3);
    cJSON_AddNumberToObject(root, "interval_ms", 1000);
    cJSON_AddBoolToObject(root, "ready", atomic_load(&s->ready));
    cJSON *tot = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(tot, "requests", (double)work_requests(s));
    cJSON_AddNumberToObject(tot, "threats", (double)atomic_load(&d->threats));
    cJSON_AddNumberToObject(tot, "inflight", (double)atomic_load(&s->inflight));
    cJSON_AddNumberToObject(tot, "subscribers", atomic_load(&s->n_subs));
    cJSON *c = cJSON_AddObjectToObject(tot, "cache");
    cJSON_AddBoolToObject(c, "enabled", s->cache != NULL);
    cJSON_AddNumberToObject(c, "hits", (double)cs.hits);
    cJSON_AddNumberToObject(c, "misses", (double)cs.misses);
    if (cs.hits + cs.misses)
        cJSON_AddNumberToObject(c, "hit_rate", (double)cs.hits / (double)(cs.hits + cs.misses));
    else
        cJSON_AddNullToObject(c, "hit_rate");
    cJSON *lat = cJSON_AddObjectToObject(root, "latency_us");
    cJSON_AddNumberToObject(lat, "p50",
                            (double)trawl_hist_percentile(s->lat[EP_DETECT], 0.5) / 1e3);
    cJSON_AddNumberToObject(lat, "p99",
                            (double)trawl_hist_percentile(s->lat[EP_DETECT], 0.99) / 1e3);
    cJSON *ev = cJSON_AddObjectToObject(root, "events");
    cJSON_AddNumberToObject(ev, "ring", (double)s->o.event_ring);
    cJSON_AddNumberToObject(ev, "last_id", s->ring ? (double)trawl__serve_ring_last(s->ring) : 0);
    detectors_json(s, d, root);
    pthread_mutex_lock(&d->mu);
    series_json(d, root);
    cJSON_AddItemToObject(root, "categories", top_json(&d->cats));
    cJSON_AddItemToObject(root, "clients", top_json(&d->clients));
    pthread_mutex_unlock(&d->mu);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
