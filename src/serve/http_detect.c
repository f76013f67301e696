/* http_detect.c -- POST /v1/detect: validate, key, cache, coalesce, run.
 *
 * The request is parsed once, strictly (common/json.h: one value, no
 * duplicate names, strings whole), to validate its shape and compute its
 * key (canonical JSON, so key order does not matter, tagged with the
 * detector mask); on a cache miss the same tree becomes the detector input
 * under the coalescer, so identical concurrent requests run the detectors
 * once. A key the input object does not define is refused before any cache
 * lookup (unless the server was told to allow unknown keys).
 *
 * With the prompt-injection model on, the run goes through the model tier's
 * batcher (http_batch.c), behind cache and coalescer.
 *
 * Two things are refused or not shared, on purpose:
 * - "files" and "pcaps" name paths on the server; over HTTP that would let
 *   a client make the server read any file it can. They are rejected (400).
 * - ai_vs_ai with a client_id updates that client's history: every such
 *   request is an observation and must run, so it bypasses cache and
 *   coalescer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/input.h"
#include "serve/internal.h"

void trawl__serve_error(srv_reply *r, int code, const char *fmt, ...)
{
    const char *name = code == 400   ? "bad_request"
                       : code == 401 ? "unauthorized"
                       : code == 403 ? "forbidden"
                       : code == 404 ? "not_found"
                       : code == 405 ? "method_not_allowed"
                       : code == 413 ? "payload_too_large"
                       : code == 429 ? "rate_limited"
                       : code == 503 ? "unavailable"
                                     : "internal";
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o && cJSON_AddStringToObject(o, "error", name) &&
        cJSON_AddStringToObject(o, "message", msg))
        s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    r->code = code;
    r->type = "application/json";
    r->body = s;
    r->len = s ? strlen(s) : 0;
}

typedef struct run_args {
    trawl_server *s;
    srv_tctx *t; /* the thread's context, pinned for this request */
    const char *body;
    size_t len;
    const tj_value *root; /* the body as trawl__serve_prepare parsed it */
    unsigned mask;
    trawl_key128 key, shared; /* local (with the engine generation); shared tier */
    bool cacheable;
} run_args;

void trawl__serve_count_threats(trawl_server *s, const trawl_detect_report *rep)
{
    for (unsigned d = 0; d < TRAWL_DET_COUNT; d++) {
        const trawl_detector_result *res = &rep->results[d];
        for (size_t i = 0; i < res->n_violations; i++) {
            const trawl_violation *v = &res->violations[i];
            int n = atomic_load_explicit(&s->n_threat_kinds, memory_order_acquire), k = 0;
            while (k < n && !(s->threat_kinds[k].category == v->category &&
                              s->threat_kinds[k].detector == v->detector &&
                              s->threat_kinds[k].severity == v->severity))
                k++;
            if (k == n) { /* a kind not seen yet: append under the lock */
                pthread_mutex_lock(&s->threat_mu);
                n = atomic_load_explicit(&s->n_threat_kinds, memory_order_relaxed);
                for (k = 0; k < n; k++)
                    if (s->threat_kinds[k].category == v->category &&
                        s->threat_kinds[k].detector == v->detector &&
                        s->threat_kinds[k].severity == v->severity)
                        break;
                if (k == n && n < SRV_MAX_THREAT_KINDS) {
                    s->threat_kinds[n].detector = v->detector;
                    s->threat_kinds[n].category = v->category;
                    s->threat_kinds[n].severity = v->severity;
                    atomic_store_explicit(&s->n_threat_kinds, n + 1, memory_order_release);
                }
                pthread_mutex_unlock(&s->threat_mu);
                if (k >= SRV_MAX_THREAT_KINDS)
                    continue;
            }
            atomic_fetch_add_explicit(&s->threat_kinds[k].count, 1, memory_order_relaxed);
        }
    }
}

void trawl__serve_engine_unref(srv_engine *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) {
        if (g->owned)
            trawl_detect_engine_free(g->e);
        free(g);
    }
}

void trawl__serve_tctx_free(void *p)
{
    srv_tctx *t = p;
    if (!t)
        return;
    trawl_detect_ctx_free(t->ctx); /* before its engine */
    trawl__serve_engine_unref(t->eng);
    free(t);
}

srv_tctx *trawl__serve_thread_ctx(trawl_server *s, trawl_error *err)
{
    srv_tctx *t = pthread_getspecific(s->ctx_key);
    /* The hot path: one load. t holds a reference on t->eng, so no other
     * engine can have its address. */
    if (t && t->eng == atomic_load_explicit(&s->eng, memory_order_acquire))
        return t;
    if (!t) {
        if (!(t = calloc(1, sizeof(*t)))) {
            trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            return NULL;
        }
        pthread_setspecific(s->ctx_key, t);
    }
    pthread_mutex_lock(&s->reload_mu); /* no swap between the load and the reference */
    srv_engine *cur = atomic_load_explicit(&s->eng, memory_order_acquire);
    atomic_fetch_add_explicit(&cur->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->reload_mu);
    trawl_detect_ctx *c;
    if (trawl_detect_ctx_new(cur->e, &c, err) != TRAWL_OK) {
        trawl__serve_engine_unref(cur);
        return NULL;
    }
    trawl_detect_ctx_free(t->ctx);
    trawl__serve_engine_unref(t->eng); /* may free a replaced engine */
    t->eng = cur;
    t->ctx = c;
    return t;
}

/* Runs the detectors; the report JSON goes to *out. The leader caches the
 * result before the coalescer unpublishes the key, so no request between the
 * two runs the detectors again. */
static trawl_status run_detect(void *ud, char **out, size_t *len, trawl_error *err)
{
    run_args *a = ud;
    trawl_detect_input *in = NULL;
    trawl_status st = trawl__detect_input_from_tree(
        a->root, a->s->o.allow_unknown_keys ? TRAWL_INPUT_ALLOW_UNKNOWN_KEYS : 0, &in, err);
    if (st != TRAWL_OK)
        return st;
    in->counter = trawl__serve_counter(a->s);
    trawl_detect_report *rep = NULL;
    st = trawl__serve_run_detect(a->s, a->t->eng->e, a->t->ctx, in, a->mask, &rep, err);
    trawl_detect_input_free(in);
    atomic_fetch_add_explicit(&a->s->detect_runs, 1, memory_order_relaxed);
    if (st != TRAWL_OK)
        return st;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (rep->ran & (1u << i))
            trawl_hist_record(a->s->lat_det[i], rep->results[i].latency_ns);
    trawl__serve_count_threats(a->s, rep);
    char *j = trawl_detect_report_json(rep);
    trawl_detect_report_free(rep);
    if (!j) {
        snprintf(err->message, sizeof(err->message), "out of memory");
        return TRAWL_ENOMEM;
    }
    *out = j;
    *len = strlen(j);
    if (a->cacheable && a->s->cache)
        trawl_cache_put(a->s->cache, a->key, j, *len);
    if (a->cacheable && a->s->redis)
        trawl__serve_redis_put(a->s, a->t->eng, a->mask, a->shared, j, *len);
    return TRAWL_OK;
}

/* The report JSON with "cached" added as its last member. */
static void reply_report(srv_reply *r, char *json, size_t len, bool cached)
{
    while (len && json[len - 1] != '}')
        len--;
    if (!len) {
        free(json);
        trawl__serve_error(r, 500, "detector report is not a JSON object");
        return;
    }
    const char *tail = cached ? ",\"cached\":true}" : ",\"cached\":false}";
    size_t tl = strlen(tail);
    bool empty = len >= 2 && json[len - 2] == '{';
    char *b = realloc(json, len + tl + 1);
    if (!b) {
        free(json);
        trawl__serve_error(r, 500, "out of memory");
        return;
    }
    memcpy(b + len - 1, tail + (empty ? 1 : 0), tl + 1 - (empty ? 1 : 0));
    static const char pre[] = "{\"threat_score\":"; /* the report's first member */
    if (!strncmp(b, pre, sizeof pre - 1)) {
        r->has_threat = true;
        r->threat = strtod(b + sizeof pre - 1, NULL);
    }
    r->code = 200;
    r->cached = cached;
    r->type = "application/json";
    r->body = b;
    r->len = strlen(b);
}

static int status_code(trawl_status st)
{
    if (st == TRAWL_ESTATE) /* the model tier's batch was refused, or shutting down */
        return 503;
    return st == TRAWL_EFORMAT || st == TRAWL_ELIMIT || st == TRAWL_EINVAL ? 400 : 500;
}

/* Validates the parsed request; 0 or an error reply. */
static int validate(const tj_value *root, bool allow_unknown, srv_reply *r)
{
    if (root->type != TJ_OBJECT) {
        trawl__serve_error(r, 400, "the request body must be a JSON object");
        return -1;
    }
    for (const tj_value *m = root->child; m && !allow_unknown; m = m->next)
        if (!trawl__detect_input_key_known(m->key, m->key_len)) {
            trawl__serve_error(r, 400,
                               "unknown key '%.*s' at byte %zu (known: prompt, messages, query, "
                               "history, urls, hosts, ...; see docs/detect.md)",
                               (int)(m->key_len < 64 ? m->key_len : 64), m->key, m->off);
            return -1;
        }
    static const char *const paths[] = {"files", "pcaps"};
    for (size_t i = 0; i < 2; i++)
        if (trawl__json_get(root, paths[i])) {
            trawl__serve_error(r, 400,
                               "field '%s': server-side paths are not accepted over HTTP; send "
                               "content in data_base64",
                               paths[i]);
            return -1;
        }
    return 0;
}

static int select_mask(const srv_engine *g, const char *name, const char *only, unsigned *mask,
                       srv_reply *r)
{
    unsigned enabled = trawl_detect_engine_enabled(g->e);
    trawl_error e;
    if (name) {
        if (trawl_detector_mask_parse(name, mask, &e) != TRAWL_OK || !*mask || strchr(name, ',')) {
            trawl__serve_error(r, 404, "unknown detector '%s'", name);
            return -1;
        }
        if (!(*mask & enabled)) {
            trawl__serve_error(r, 404, "detector '%s' is not enabled in this server", name);
            return -1;
        }
        return 0;
    }
    if (!only || !*only) {
        *mask = enabled;
        return 0;
    }
    if (trawl_detector_mask_parse(only, mask, &e) != TRAWL_OK) {
        trawl__serve_error(r, 400, "query 'only': %s", e.message);
        return -1;
    }
    if (*mask & ~enabled) {
        for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
            if (*mask & ~enabled & (1u << i)) {
                trawl__serve_error(r, 400, "query 'only': detector '%s' is not enabled",
                                   trawl_detector_name(1u << i));
                return -1;
            }
    }
    return 0;
}

int trawl__serve_prepare(trawl_server *s, const char *body, size_t len, unsigned mask,
                         trawl_key128 *key, trawl_key128 *shared, bool *stateful, tj_doc **keep,
                         srv_reply *r)
{
    if (keep)
        *keep = NULL;
    if (!len) {
        trawl__serve_error(r, 400, "empty body: expected a JSON object");
        return -1;
    }
    trawl_error e;
    trawl_error_clear(&e);
    tj_doc *doc;
    trawl_status st = trawl__json_parse(body, len, 4 * TRAWL_INPUT_MAX_ELEMENTS, &doc, &e);
    if (st != TRAWL_OK) {
        trawl__serve_error(r, st == TRAWL_ENOMEM ? 500 : 400, "%s", e.message);
        return -1;
    }
    const tj_value *root = trawl__json_root(doc);
    if (validate(root, s && s->o.allow_unknown_keys, r)) {
        trawl__json_free(doc);
        return -1;
    }
    const tj_value *cid = trawl__json_get(root, "client_id");
    *stateful = (mask & TRAWL_DET_AI_VS_AI) && cid && cid->type == TJ_STRING && cid->len;
    if (cid && cid->type == TJ_STRING)
        snprintf(r->client_id, sizeof r->client_id, "%s", cid->str);
    /* One hash: the detector mask is its tag, so instances of a fleet agree
     * on it (the shared tier's key); the engine generation is mixed in after,
     * for the local cache and the coalescer (distinct generations, distinct
     * keys). */
    trawl_key128 h = {0, 0};
    if (!*stateful)
        st = s ? trawl__serve_key_tree_seeded(root, mask & TRAWL_DET_ALL, s->key_seed, &h, &e)
               : trawl__serve_key_tree(root, mask & TRAWL_DET_ALL, &h, &e);
    if (shared)
        *shared = h;
    key->lo = h.lo ^ (uint64_t)(mask >> TRAWL_DET_COUNT) * 0x9E3779B97F4A7C15ULL;
    key->hi = h.hi;
    if (st == TRAWL_OK && keep)
        *keep = doc; /* the caller's now: the detectors read it, not a second parse */
    else
        trawl__json_free(doc);
    if (st != TRAWL_OK) {
        trawl__serve_error(r, status_code(st), "%s", e.message);
        return -1;
    }
    return 0;
}

void trawl__serve_detect(trawl_server *s, const char *name, const char *only, const char *body,
                         size_t len, srv_reply *r)
{
    trawl_error e;
    trawl_error_clear(&e);
    srv_tctx *t = trawl__serve_thread_ctx(s, &e);
    if (!t) {
        trawl__serve_error(r, 500, "%s", e.message[0] ? e.message : "out of memory");
        return;
    }
    unsigned mask;
    if (select_mask(t->eng, name, only, &mask, r))
        return;
    bool stateful = false;
    run_args a = {.s = s, .t = t, .body = body, .len = len, .mask = mask};
    /* The engine generation enters the key: results of a replaced engine
     * are neither served from the cache nor shared with its runs. */
    tj_doc *root = NULL;
    if (trawl__serve_prepare(s, body, len, mask | t->eng->gen << TRAWL_DET_COUNT, &a.key, &a.shared,
                             &stateful, &root, r))
        return;
    a.root = trawl__json_root(root);
    a.cacheable = !stateful;
    r->engine_gen = (uint64_t)t->eng->gen + 1; /* a cache hit is of it too: it is in the key */
    if (r->tenant && !s->o.share_cache)        /* one key's answers are not another's */
        a.key = trawl__serve_key_scope(a.key, r->tenant);
    trawl_status st;
    char *out = NULL;
    size_t n = 0;
    if (!stateful && s->cache && trawl_cache_get(s->cache, a.key, &out, &n)) {
        trawl__json_free(root);
        reply_report(r, out, n, true);
        return;
    }
    if (!stateful && s->redis && trawl__serve_redis_get(s, t->eng, mask, a.shared, &out, &n) == 1) {
        trawl__json_free(root);
        if (s->cache)
            trawl_cache_put(s->cache, a.key, out, n);
        reply_report(r, out, n, true);
        return;
    }
    bool shared = false;
    if (stateful) {
        atomic_fetch_add_explicit(&s->stateful_bypass, 1, memory_order_relaxed);
        st = run_detect(&a, &out, &n, &e);
    } else {
        st = trawl_coalesce(s->co, a.key, run_detect, &a, &out, &n, &shared, &e);
    }
    trawl__json_free(root);
    if (st != TRAWL_OK) {
        free(out);
        trawl__serve_error(r, status_code(st), "%s", e.message[0] ? e.message : "detection failed");
        return;
    }
    reply_report(r, out, n, false);
}
