/* http_metrics.c -- GET /metrics (Prometheus text format 0.0.4) and
 * GET /v1/metrics (the same figures as JSON). Latencies are measured from
 * the first call of the access handler to the queued response. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/conn.h"
#include "serve/internal.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

static char *sb_done(sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static uint64_t ld(_Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void totals(trawl_server *s, int ep, uint64_t *req, uint64_t *errs)
{
    *req = *errs = 0;
    for (int c = 0; c < SRV_NCODES; c++) {
        uint64_t n = ld(&s->count[ep][c]);
        *req += n;
        int k = trawl__serve_codes[c]; /* a 403 verdict of /v1/authz is an answer, not an error */
        if (k != 200 && k != 204 && k != 403)
            *errs += n;
    }
}

static const double quantiles[] = {0.5, 0.95, 0.99};

char *trawl__serve_metrics_prom(trawl_server *s)
{
    sbuf b = {0};
    sb_printf(&b, "# HELP trawl_http_requests_total HTTP requests answered, by endpoint and "
                  "status code.\n# TYPE trawl_http_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < SRV_NCODES; c++) {
            uint64_t n = ld(&s->count[e][c]);
            if (!n && c != 0)
                continue;
            char code[16];
            if (trawl__serve_codes[c])
                snprintf(code, sizeof(code), "%d", trawl__serve_codes[c]);
            else
                snprintf(code, sizeof(code), "other");
            sb_printf(&b, "trawl_http_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n",
                      trawl__serve_ep_names[e], code, (unsigned long long)n);
        }
    sb_printf(&b, "# HELP trawl_http_request_duration_seconds Latency from request start to "
                  "queued response.\n# TYPE trawl_http_request_duration_seconds summary\n");
    for (int e = 0; e < EP_COUNT; e++) {
        const trawl_hist *h = s->lat[e];
        for (size_t q = 0; q < 3; q++)
            sb_printf(&b,
                      "trawl_http_request_duration_seconds{endpoint=\"%s\",quantile=\"%g\"} "
                      "%.9f\n",
                      trawl__serve_ep_names[e], quantiles[q],
                      (double)trawl_hist_percentile(h, quantiles[q]) / 1e9);
        sb_printf(&b, "trawl_http_request_duration_seconds_sum{endpoint=\"%s\"} %.9f\n",
                  trawl__serve_ep_names[e], (double)trawl_hist_sum(h) / 1e9);
        sb_printf(&b, "trawl_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
                  trawl__serve_ep_names[e], (unsigned long long)trawl_hist_count(h));
    }
    /* The same latencies as histograms: buckets add up across instances,
     * quantiles do not. */
    static const uint64_t le_ns[] = {25000,    50000,     100000,    250000,    500000,
                                     1000000,  2000000,   5000000,   10000000,  25000000,
                                     50000000, 100000000, 250000000, 1000000000};
    enum { NLE = sizeof le_ns / sizeof le_ns[0] };
    uint64_t cum[NLE];
    sb_printf(&b, "# HELP trawl_http_request_latency_seconds Latency from request start to "
                  "queued response.\n# TYPE trawl_http_request_latency_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        const trawl_hist *h = s->lat[e];
        trawl_hist_cumulative(h, le_ns, NLE, cum);
        for (size_t q = 0; q < NLE; q++)
            sb_printf(&b,
                      "trawl_http_request_latency_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                      trawl__serve_ep_names[e], (double)le_ns[q] / 1e9, (unsigned long long)cum[q]);
        sb_printf(&b,
                  "trawl_http_request_latency_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                  trawl__serve_ep_names[e], (unsigned long long)trawl_hist_count(h));
        sb_printf(&b, "trawl_http_request_latency_seconds_sum{endpoint=\"%s\"} %.9f\n",
                  trawl__serve_ep_names[e], (double)trawl_hist_sum(h) / 1e9);
        sb_printf(&b, "trawl_http_request_latency_seconds_count{endpoint=\"%s\"} %llu\n",
                  trawl__serve_ep_names[e], (unsigned long long)trawl_hist_count(h));
    }
    sb_printf(&b, "# HELP trawl_detector_latency_seconds Run time of each detector.\n"
                  "# TYPE trawl_detector_latency_seconds histogram\n");
    for (unsigned d = 0; d < TRAWL_DET_COUNT; d++) {
        const trawl_hist *h = s->lat_det[d];
        const char *name = trawl_detector_name(1u << d);
        trawl_hist_cumulative(h, le_ns, NLE, cum);
        for (size_t q = 0; q < NLE; q++)
            sb_printf(&b, "trawl_detector_latency_seconds_bucket{detector=\"%s\",le=\"%g\"} %llu\n",
                      name, (double)le_ns[q] / 1e9, (unsigned long long)cum[q]);
        sb_printf(&b, "trawl_detector_latency_seconds_bucket{detector=\"%s\",le=\"+Inf\"} %llu\n",
                  name, (unsigned long long)trawl_hist_count(h));
        sb_printf(&b, "trawl_detector_latency_seconds_sum{detector=\"%s\"} %.9f\n", name,
                  (double)trawl_hist_sum(h) / 1e9);
        sb_printf(&b, "trawl_detector_latency_seconds_count{detector=\"%s\"} %llu\n", name,
                  (unsigned long long)trawl_hist_count(h));
    }
    sb_printf(&b, "# HELP trawl_threats_total Violations found by detector runs (a cached "
                  "answer is not counted again), by detector, category and severity.\n"
                  "# TYPE trawl_threats_total counter\n");
    int nt = atomic_load_explicit(&s->n_threat_kinds, memory_order_acquire);
    for (int i = 0; i < nt; i++)
        sb_printf(&b, "trawl_threats_total{detector=\"%s\",category=\"%s\",severity=\"%s\"} %llu\n",
                  s->threat_kinds[i].detector, s->threat_kinds[i].category,
                  trawl_severity_name(s->threat_kinds[i].severity),
                  (unsigned long long)ld(&s->threat_kinds[i].count));
    sb_printf(&b, "# HELP trawl_detector_duration_seconds Run time of each detector, per "
                  "detection run (cached answers not counted).\n"
                  "# TYPE trawl_detector_duration_seconds summary\n");
    for (unsigned d = 0; d < TRAWL_DET_COUNT; d++) {
        const trawl_hist *h = s->lat_det[d];
        const char *name = trawl_detector_name(1u << d);
        for (size_t q = 0; q < 3; q++)
            sb_printf(&b, "trawl_detector_duration_seconds{detector=\"%s\",quantile=\"%g\"} %.9f\n",
                      name, quantiles[q], (double)trawl_hist_percentile(h, quantiles[q]) / 1e9);
        sb_printf(&b, "trawl_detector_duration_seconds_sum{detector=\"%s\"} %.9f\n", name,
                  (double)trawl_hist_sum(h) / 1e9);
        sb_printf(&b, "trawl_detector_duration_seconds_count{detector=\"%s\"} %llu\n", name,
                  (unsigned long long)trawl_hist_count(h));
    }
    sb_printf(&b, "# HELP trawl_detector_duration_max_seconds Longest run of each detector.\n"
                  "# TYPE trawl_detector_duration_max_seconds gauge\n");
    for (unsigned d = 0; d < TRAWL_DET_COUNT; d++)
        sb_printf(&b, "trawl_detector_duration_max_seconds{detector=\"%s\"} %.9f\n",
                  trawl_detector_name(1u << d), (double)trawl_hist_max(s->lat_det[d]) / 1e9);
    trawl_cache_stats cs = {0};
    if (s->cache)
        trawl_cache_stats_get(s->cache, &cs);
    struct {
        const char *name, *type, *help;
        uint64_t v;
    } m[] = {
        {"trawl_cache_hits_total", "counter", "Cache hits.", cs.hits},
        {"trawl_cache_misses_total", "counter", "Cache misses.", cs.misses},
        {"trawl_cache_evictions_total", "counter", "Entries evicted by the bounds.", cs.evictions},
        {"trawl_cache_expirations_total", "counter", "Entries expired by the TTL.", cs.expirations},
        {"trawl_cache_entries", "gauge", "Entries in the cache.", cs.entries},
        {"trawl_cache_bytes", "gauge", "Bytes charged to the cache.", cs.bytes},
        {"trawl_coalesced_total", "counter", "Requests answered by a concurrent identical run.",
         trawl_coalescer_shared_count(s->co)},
        {"trawl_detector_runs_total", "counter", "Runs of the detection engine.",
         ld(&s->detect_runs)},
        {"trawl_stateful_bypass_total", "counter",
         "Requests that bypassed cache and coalescer (ai_vs_ai with a client_id).",
         ld(&s->stateful_bypass)},
        {"trawl_sse_subscribers", "gauge", "Open /v1/events streams.",
         (uint64_t)atomic_load(&s->n_subs)},
        {"trawl_sse_dropped_total", "counter", "Event streams ended because the consumer was slow.",
         ld(&s->sse_dropped)},
        {"trawl_inflight_requests", "gauge", "Requests being handled.",
         (uint64_t)atomic_load(&s->inflight)},
        {"trawl_ready", "gauge", "1 when the server accepts detection requests.",
         atomic_load(&s->ready) ? 1u : 0u},
        {"trawl_engine_reloads_total", "counter", "Detection engines swapped in by a reload.",
         ld(&s->engine_reloads)},
        {"trawl_engine_generation", "gauge",
         "Generation of the engine in force (0 at start, +1 per reload).", ld(&s->engine_gen)},
        {"trawl_engine_last_build_milliseconds", "gauge",
         "How long the last reload took to build its engine (answers came from the previous "
         "engine meanwhile).",
         ld(&s->engine_build_ms)},
        {"trawl_engine_reload_failures_total", "counter",
         "Reloads whose configuration did not build (the engine in force stayed).",
         ld(&s->engine_reload_failures)},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", m[i].name, m[i].help, m[i].name,
                  m[i].type, m[i].name, (unsigned long long)m[i].v);
    char *batch = trawl__serve_batch_metrics(s, false);
    sb_printf(&b, "%s", batch ? batch : "");
    free(batch);
    char *conns = trawl__serve_conns_metrics(s->conns, false);
    sb_printf(&b, "%s", conns ? conns : "");
    free(conns);
    char *redis = trawl__serve_redis_metrics(s, false);
    sb_printf(&b, "%s", redis ? redis : "");
    free(redis);
    return sb_done(&b);
}

static void json_lat(sbuf *b, const trawl_hist *h)
{
    sb_printf(b, "{\"count\":%llu,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
              (unsigned long long)trawl_hist_count(h), (double)trawl_hist_percentile(h, 0.5) / 1e3,
              (double)trawl_hist_percentile(h, 0.95) / 1e3,
              (double)trawl_hist_percentile(h, 0.99) / 1e3, (double)trawl_hist_max(h) / 1e3);
}

char *trawl__serve_metrics_json(trawl_server *s)
{
    sbuf b = {0};
    uint64_t req = 0, errs = 0;
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t r, x;
        totals(s, e, &r, &x);
        req += r;
        errs += x;
    }
    trawl_cache_stats cs = {0};
    if (s->cache)
        trawl_cache_stats_get(s->cache, &cs);
    uint64_t lookups = cs.hits + cs.misses;
    sb_printf(&b, "{\"requests\":%llu,\"errors\":%llu,\"inflight\":%lld,\"ready\":%s,",
              (unsigned long long)req, (unsigned long long)errs,
              (long long)atomic_load(&s->inflight), atomic_load(&s->ready) ? "true" : "false");
    sb_printf(&b,
              "\"cache\":{\"enabled\":%s,\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%.4f,"
              "\"evictions\":%llu,\"expirations\":%llu,\"entries\":%llu,\"bytes\":%llu},",
              s->cache ? "true" : "false", (unsigned long long)cs.hits,
              (unsigned long long)cs.misses, lookups ? (double)cs.hits / (double)lookups : 0.0,
              (unsigned long long)cs.evictions, (unsigned long long)cs.expirations,
              (unsigned long long)cs.entries, (unsigned long long)cs.bytes);
    sb_printf(&b, "\"sse\":{\"subscribers\":%d,\"dropped\":%llu},", atomic_load(&s->n_subs),
              (unsigned long long)ld(&s->sse_dropped));
    sb_printf(&b, "\"coalesced\":%llu,\"detector_runs\":%llu,\"stateful_bypass\":%llu,",
              (unsigned long long)trawl_coalescer_shared_count(s->co),
              (unsigned long long)ld(&s->detect_runs), (unsigned long long)ld(&s->stateful_bypass));
    sb_printf(&b,
              "\"engine\":{\"reloads\":%llu,\"reload_failures\":%llu,\"generation\":%llu,"
              "\"last_build_ms\":%llu},",
              (unsigned long long)ld(&s->engine_reloads),
              (unsigned long long)ld(&s->engine_reload_failures),
              (unsigned long long)ld(&s->engine_gen), (unsigned long long)ld(&s->engine_build_ms));
    char *batch = trawl__serve_batch_metrics(s, true);
    sb_printf(&b, "%s", batch ? batch : "");
    free(batch);
    char *conns = trawl__serve_conns_metrics(s->conns, true);
    sb_printf(&b, "%s", conns ? conns : "");
    free(conns);
    char *redis = trawl__serve_redis_metrics(s, true);
    sb_printf(&b, "%s", redis ? redis : "");
    free(redis);
    sb_printf(&b, "\"instance\":\"%s\",\"latency_us\":", s->instance);
    json_lat(&b, s->lat_all);
    sb_printf(&b, ",\"endpoints\":{");
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t r, x;
        totals(s, e, &r, &x);
        sb_printf(&b, "%s\"%s\":{\"requests\":%llu,\"errors\":%llu,\"status\":{", e ? "," : "",
                  trawl__serve_ep_names[e], (unsigned long long)r, (unsigned long long)x);
        bool first = true;
        for (int c = 0; c < SRV_NCODES; c++) {
            uint64_t n = ld(&s->count[e][c]);
            if (!n)
                continue;
            if (trawl__serve_codes[c])
                sb_printf(&b, "%s\"%d\":%llu", first ? "" : ",", trawl__serve_codes[c],
                          (unsigned long long)n);
            else
                sb_printf(&b, "%s\"other\":%llu", first ? "" : ",", (unsigned long long)n);
            first = false;
        }
        sb_printf(&b, "},\"latency_us\":");
        json_lat(&b, s->lat[e]);
        sb_printf(&b, "}");
    }
    sb_printf(&b, "},\"detectors\":{");
    for (unsigned d = 0; d < TRAWL_DET_COUNT; d++) {
        sb_printf(&b, "%s\"%s\":{\"latency_us\":", d ? "," : "", trawl_detector_name(1u << d));
        json_lat(&b, s->lat_det[d]);
        sb_printf(&b, "}");
    }
    sb_printf(&b, "}}");
    return sb_done(&b);
}
