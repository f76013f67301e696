/* ai_vs_ai/ai_vs_ai.c -- the ai_vs_ai detector: attacks by machines on models.
 *
 * Text signals (ai_vs_ai/text.c) look at the prompt and the query themselves;
 * session signals look at what one client has been sending: the request
 * rate, floods of diverse queries (model extraction), near-duplicate series
 * (membership inference) and even coverage of query types (systematic
 * probing). Per-client memory lives in ai_vs_ai/clients.c, bounded and locked;
 * everything else here is per call. docs/detect-ai_vs_ai.md explains every
 * score and threshold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/ai_vs_ai/ai_vs_ai.h"
#include "detect/detector.h"

#define SECTION "ai_vs_ai"

typedef struct aiva_thread {
    aiva_qrec *hist, *seed;
    size_t cap;
    aiva_text_findings findings;
} aiva_thread;

/* ---- configuration ------------------------------------------------------- */

typedef struct num_key {
    const char *key;
    double def, min, max;
    double *out;
} num_key;

static trawl_status read_config(const det_config *c, aiva_cfg *cfg, trawl_error *err)
{
    double gib_window, max_clients, history_size, max_query;
    const num_key nums[] = {
        {"gibberish_threshold", 6.0, 0, 32, &cfg->text.gibberish_threshold},
        {"gibberish_window", 32, 8, AIVA_WINDOW_MAX, &gib_window},
        {"max_clients", 4096, 1, 1e7, &max_clients},
        {"history_size", 32, 0, 1024, &history_size},
        {"max_query_bytes", 4096, 16, 1 << 20, &max_query},
        {"rate_limit", 100, 1, 1e9, &cfg->rate_limit},
        {"window_seconds", 60, 0.001, 86400 * 7, &cfg->window_seconds},
        {"extraction_min_queries", 500, 2, 1e9, &cfg->extraction_min_queries},
        {"extraction_window_seconds", 3600, 0.001, 86400 * 7, &cfg->extraction_window_seconds},
        {"extraction_max_similarity", 0.2, 0, 1, &cfg->extraction_max_similarity},
        {"near_duplicate_similarity", 0.5, 0.01, 1, &cfg->near_duplicate_similarity},
        {"membership_min_repeats", 5, 2, 1024, &cfg->membership_min_repeats},
        {"history_seconds", 3600, 0.001, 86400 * 30, &cfg->history_seconds},
        {"probing_min_queries", 20, 2, 1024, &cfg->probing_min_queries},
        {"probing_min_types", 8, 2, AIVA_TYPES - 1, &cfg->probing_min_types},
        {"probing_min_evenness", 0.9, 0, 1, &cfg->probing_min_evenness},
    };
    trawl_status st;
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        st = det_config_double(c, SECTION, nums[i].key, nums[i].def, nums[i].out, err);
        if (st != TRAWL_OK)
            return st;
        double v = *nums[i].out;
        if (!(v >= nums[i].min && v <= nums[i].max))
            return trawl__fail(err, TRAWL_EINVAL, "[%s] %s = %g is outside %g..%g", SECTION,
                               nums[i].key, v, nums[i].min, nums[i].max);
    }
    if ((st = det_config_bool(c, SECTION, "invisible", true, &cfg->text.invisible, err)) ||
        (st = det_config_bool(c, SECTION, "homoglyphs", true, &cfg->text.homoglyphs, err)) ||
        (st = det_config_bool(c, SECTION, "gibberish", true, &cfg->text.gibberish, err)))
        return st;
    cfg->text.gibberish_window = (unsigned)gib_window;
    cfg->max_query_bytes = (size_t)max_query;
    cfg->clients.max_clients = (size_t)max_clients;
    cfg->clients.history_size = (size_t)history_size;
    cfg->clients.rate_window_ms = (uint64_t)(cfg->window_seconds * 1000);
    cfg->clients.extraction_window_ms = (uint64_t)(cfg->extraction_window_seconds * 1000);
    if (!cfg->clients.rate_window_ms)
        cfg->clients.rate_window_ms = 1;
    if (!cfg->clients.extraction_window_ms)
        cfg->clients.extraction_window_ms = 1;
    return TRAWL_OK;
}

static void aiva_destroy(void *state)
{
    aiva_state *s = state;
    if (!s)
        return;
    aiva_lm_free(s->lm);
    aiva_clients_free(s->clients);
    free(s);
}

static trawl_status aiva_create(const det_config *c, void **state, trawl_error *err)
{
    *state = NULL;
    aiva_state *s = calloc(1, sizeof(*s));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status st = read_config(c, &s->cfg, err);
    if (st != TRAWL_OK) {
        free(s);
        return st;
    }
    aiva_mh_init(&s->mh);
    s->lm = aiva_lm_new();
    if (!s->lm || aiva_clients_new(&s->cfg.clients, &s->clients) != TRAWL_OK) {
        aiva_destroy(s);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *state = s;
    return TRAWL_OK;
}

static void aiva_thread_free(void *tstate)
{
    aiva_thread *t = tstate;
    if (!t)
        return;
    free(t->hist);
    free(t->seed);
    free(t);
}

static trawl_status aiva_thread_new(void *state, void **tstate, trawl_error *err)
{
    aiva_state *s = state;
    aiva_thread *t = calloc(1, sizeof(*t));
    size_t cap = s->cfg.clients.history_size + 1;
    if (t) {
        t->cap = cap;
        t->hist = malloc(cap * sizeof(*t->hist));
        t->seed = malloc(cap * sizeof(*t->seed));
    }
    if (!t || !t->hist || !t->seed) {
        aiva_thread_free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *tstate = t;
    return TRAWL_OK;
}

/* ---- session signals ----------------------------------------------------- */

typedef struct session {
    const aiva_state *s;
    const aiva_qrec *hist; /* earlier queries, oldest first */
    size_t n_hist;
    const aiva_qrec *cur; /* NULL when this request had no query text */
    uint64_t now_ms;
    bool timed; /* false: a history without times, every entry counts */
} session;

static bool in_history_window(const session *ss, const aiva_qrec *r)
{
    return !ss->timed || r->t_ms + (uint64_t)(ss->s->cfg.history_seconds * 1000) >= ss->now_ms;
}

static trawl_status membership(const session *ss, trawl_detector_result *out)
{
    const aiva_cfg *cfg = &ss->s->cfg;
    if (!ss->cur || !ss->cur->has_sig)
        return TRAWL_OK;
    size_t hits = 0, top[3] = {0};
    double top_sim[3] = {-1, -1, -1};
    for (size_t i = 0; i < ss->n_hist; i++) {
        if (!in_history_window(ss, &ss->hist[i]))
            continue;
        double sim = aiva_similarity(ss->cur, &ss->hist[i]);
        if (sim < cfg->near_duplicate_similarity)
            continue;
        hits++;
        for (int k = 0; k < 3; k++) {
            if (sim > top_sim[k]) {
                for (int j = 2; j > k; j--) {
                    top_sim[j] = top_sim[j - 1];
                    top[j] = top[j - 1];
                }
                top_sim[k] = sim;
                top[k] = i;
                break;
            }
        }
    }
    double series = (double)hits + 1;
    if (series < cfg->membership_min_repeats)
        return TRAWL_OK;
    double conf = 0.6 + 0.05 * (series - cfg->membership_min_repeats);
    trawl_violation *v =
        det_violation(out, "membership_inference", conf > 0.9 ? 0.9 : conf,
                      "probing: a series of %zu near-duplicate queries from one client "
                      "(membership-inference pattern)",
                      hits + 1);
    if (!v || det_evidence(v,
                           "%zu of the %zu earlier queries kept have estimated word-bigram Jaccard "
                           ">= %.2f with this one (MinHash, %d hashes)",
                           hits, ss->n_hist, cfg->near_duplicate_similarity, AIVA_MH_K))
        return TRAWL_ENOMEM;
    char head[AIVA_HEAD * 6 + 8];
    for (int k = 0; k < 3 && top_sim[k] >= 0; k++) {
        const aiva_qrec *r = &ss->hist[top[k]];
        aiva_escape((const uint8_t *)r->head, strlen(r->head), head, sizeof(head));
        double ago = ss->now_ms >= r->t_ms ? (double)(ss->now_ms - r->t_ms) / 1000 : 0;
        if (det_evidence(v, "similarity %.2f to the query of %.0f s before%s: \"%s\"", top_sim[k],
                         ago, r->seeded ? " (from history)" : "", head))
            return TRAWL_ENOMEM;
    }
    return TRAWL_OK;
}

static trawl_status probing(const session *ss, trawl_detector_result *out)
{
    const aiva_cfg *cfg = &ss->s->cfg;
    unsigned counts[AIVA_TYPES] = {0};
    size_t n = 0;
    for (size_t i = 0; i <= ss->n_hist; i++) {
        const aiva_qrec *r = i < ss->n_hist ? &ss->hist[i] : ss->cur;
        if (!r || !r->has_sig || (i < ss->n_hist && !in_history_window(ss, r)))
            continue;
        counts[r->type]++;
        n++;
    }
    size_t typed = n - counts[0], kinds = 0;
    double h = 0;
    for (unsigned t = 1; t < AIVA_TYPES; t++) {
        if (!counts[t])
            continue;
        kinds++;
        double p = (double)counts[t] / (double)typed;
        h -= p * log2(p);
    }
    if ((double)n < cfg->probing_min_queries || typed * 5 < n * 4 ||
        (double)kinds < cfg->probing_min_types)
        return TRAWL_OK;
    double even = h / log2((double)kinds);
    if (even < cfg->probing_min_evenness)
        return TRAWL_OK;
    double span = 1 - cfg->probing_min_evenness;
    double conf = 0.6 + (span > 0 ? 0.3 * (even - cfg->probing_min_evenness) / span : 0.3);
    trawl_violation *v = det_violation(
        out, "systematic_probing", conf,
        "probing: the client's recent queries cover %zu query types almost evenly", kinds);
    if (!v || det_evidence(v,
                           "%zu queries, %zu typed by their leading question word or verb; type "
                           "entropy %.2f bits of a possible %.2f (evenness %.2f >= %.2f)",
                           n, typed, h, log2((double)kinds), even, cfg->probing_min_evenness))
        return TRAWL_ENOMEM;
    char list[512];
    size_t o = 0;
    for (unsigned t = 1; t < AIVA_TYPES && o < sizeof(list) - 32; t++)
        if (counts[t])
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s x%u", o ? ", " : "",
                                  aiva_type_name(t), counts[t]);
    if (det_evidence(v, "types: %s", list))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

static trawl_status extraction(const session *ss, uint64_t count, trawl_detector_result *out)
{
    const aiva_cfg *cfg = &ss->s->cfg;
    if ((double)count < cfg->extraction_min_queries)
        return TRAWL_OK;
    /* Diversity: mean pairwise similarity of the kept queries. A flood of
     * near-identical queries is a different pattern (membership inference
     * or a retry loop), not a sweep of the input space. */
    enum { SAMPLE = 64 }; /* the newest queries: bounds the pairwise work to 2016 pairs */
    const aiva_qrec *q[SAMPLE];
    size_t m = 0;
    for (size_t i = ss->n_hist + 1; i-- > 0 && m < SAMPLE;) {
        const aiva_qrec *r = i < ss->n_hist ? &ss->hist[i] : ss->cur;
        if (r && r->has_sig && (i == ss->n_hist || in_history_window(ss, r)))
            q[m++] = r;
    }
    if (m < 2)
        return TRAWL_OK;
    double sum = 0;
    size_t pairs = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++, pairs++)
            sum += aiva_similarity(q[i], q[j]);
    double mean = sum / (double)pairs;
    if (mean > cfg->extraction_max_similarity)
        return TRAWL_OK;
    double over = ((double)count - cfg->extraction_min_queries) / cfg->extraction_min_queries;
    trawl_violation *v = det_violation(
        out, "model_extraction", 0.6 + 0.3 * (over > 1 ? 1 : over),
        "probing: %llu diverse queries from one client in %.0f s (model-extraction pattern)",
        (unsigned long long)count, cfg->extraction_window_seconds);
    if (!v ||
        det_evidence(v, "%llu requests in the last %.0f s (threshold %.0f)",
                     (unsigned long long)count, cfg->extraction_window_seconds,
                     cfg->extraction_min_queries) ||
        det_evidence(v,
                     "the last %zu queries are diverse: mean pairwise word-bigram similarity "
                     "%.3f <= %.2f",
                     m, mean, cfg->extraction_max_similarity))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

static trawl_status rate_limit(const aiva_state *s, const char *id, uint64_t count, bool shared,
                               trawl_detector_result *out)
{
    const aiva_cfg *cfg = &s->cfg;
    if ((double)count <= cfg->rate_limit)
        return TRAWL_OK;
    double conf = 0.7 + 0.25 * ((double)count - cfg->rate_limit) / cfg->rate_limit;
    char who[200];
    aiva_escape((const uint8_t *)id, strlen(id), who, sizeof(who));
    trawl_violation *v =
        det_violation(out, "rate_limit", conf > 0.95 ? 0.95 : conf,
                      "rate limit exceeded: %llu requests in %g s (limit %g)",
                      (unsigned long long)count, cfg->window_seconds, cfg->rate_limit);
    if (!v ||
        det_evidence(v, "client \"%s\": %llu requests within the last %g s window, limit %g%s", who,
                     (unsigned long long)count, cfg->window_seconds, cfg->rate_limit,
                     shared ? " (counted across instances)" : ""))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

/* ---- run ----------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static trawl_status scan_text(aiva_state *s, aiva_thread *t, const char *field, const char *text,
                              size_t len, trawl_detector_result *out)
{
    aiva_text_measure(s->lm, &s->cfg.text, (const uint8_t *)text, len, &t->findings);
    return aiva_text_report(&s->cfg.text, field, (const uint8_t *)text, len, &t->findings, out);
}

/* Sketches the last history_size entries of in->history into t->seed. */
static size_t sketch_history(aiva_state *s, aiva_thread *t, const trawl_detect_input *in,
                             uint64_t now)
{
    size_t keep = s->cfg.clients.history_size;
    size_t from = in->n_history > keep ? in->n_history - keep : 0, n = 0;
    for (size_t i = from; i < in->n_history; i++) {
        const char *h = in->history[i] ? in->history[i] : "";
        size_t hl = in->history[i] ? det_history_len(in, i) : 0;
        aiva_sketch(&s->mh, (const uint8_t *)h, hl, s->cfg.max_query_bytes, &t->seed[n]);
        t->seed[n].t_ms = now;
        t->seed[n].seeded = 1;
        n++;
    }
    return n;
}

/* The window counts from the caller's shared counter (a fleet's), when it
 * has one and it answers: true with obs's counts replaced. The local
 * windows counted the request too, and stand when the counter fails. */
static bool shared_counts(const aiva_state *s, const trawl_detect_input *in, aiva_observation *obs)
{
    if (!in->counter || !in->counter->count)
        return false;
    static const char *const names[2] = {"rate", "extraction"};
    const uint64_t win[2] = {s->cfg.clients.rate_window_ms, s->cfg.clients.extraction_window_ms};
    uint64_t n[2];
    if (in->counter->count(in->counter->user, in->client_id, strlen(in->client_id),
                           in->timestamp_ms, 2, names, win, n) != 0)
        return false;
    obs->rate_count = n[0];
    obs->extraction_count = n[1];
    return true;
}

static trawl_status aiva_run(void *state, void *tstate, const trawl_detect_input *in,
                             trawl_detector_result *out, trawl_error *err)
{
    aiva_state *s = state;
    aiva_thread *t = tstate;
    trawl_status st = TRAWL_OK;
    if (in->prompt)
        st = scan_text(s, t, "prompt", in->prompt, in->prompt_len, out);
    if (st == TRAWL_OK && in->query &&
        !(in->prompt && in->prompt_len == det_query_len(in) &&
          !memcmp(in->prompt, in->query, in->prompt_len)))
        st = scan_text(s, t, "query", in->query, det_query_len(in), out);
    if (st != TRAWL_OK)
        return trawl__fail(err, st, "out of memory");

    const char *q = in->query ? in->query : in->prompt;
    size_t qlen = in->query ? det_query_len(in) : in->prompt_len;
    uint64_t now = in->timestamp_ms ? in->timestamp_ms : now_ms();
    bool has_client = in->client_id && in->client_id[0];
    if (!has_client && !in->n_history)
        q = NULL; /* no session to compare the query with */
    aiva_qrec cur;
    if (q) {
        aiva_sketch(&s->mh, (const uint8_t *)q, qlen, s->cfg.max_query_bytes, &cur);
        cur.t_ms = now;
        cur.seeded = 0;
    }
    session ss = {.s = s, .cur = q ? &cur : NULL, .now_ms = now, .timed = true};
    aiva_observation obs = {0};
    bool shared = false;
    if (has_client) {
        /* in->history seeds only a client not seen before: skip sketching it
         * for known clients (a race with a concurrent first request costs at
         * most one unused sketch; observe() decides under its lock). */
        size_t id_len = strlen(in->client_id), n_seed = 0;
        if (in->n_history && aiva_clients_total(s->clients, in->client_id, id_len) == 0)
            n_seed = sketch_history(s, t, in, now);
        st = aiva_clients_observe(s->clients, in->client_id, id_len, now, ss.cur, t->seed, n_seed,
                                  t->hist, t->cap, &obs);
        if (st != TRAWL_OK)
            return trawl__fail(err, st, "out of memory");
        ss.hist = t->hist;
        ss.n_hist = obs.n_hist;
        shared = shared_counts(s, in, &obs);
    } else if (in->n_history) {
        ss.hist = t->seed;
        ss.n_hist = sketch_history(s, t, in, now);
        ss.timed = false;
    }
    if (has_client && (st = rate_limit(s, in->client_id, obs.rate_count, shared, out)) != TRAWL_OK)
        return trawl__fail(err, st, "out of memory");
    if (has_client && (st = extraction(&ss, obs.extraction_count, out)) != TRAWL_OK)
        return trawl__fail(err, st, "out of memory");
    if ((st = membership(&ss, out)) != TRAWL_OK || (st = probing(&ss, out)) != TRAWL_OK)
        return trawl__fail(err, st, "out of memory");
    return TRAWL_OK;
}

const detector_ops det_ai_vs_ai_ops = {
    .name = "ai_vs_ai",
    .bit = TRAWL_DET_AI_VS_AI,
    .create = aiva_create,
    .destroy = aiva_destroy,
    .thread_new = aiva_thread_new,
    .thread_free = aiva_thread_free,
    .run = aiva_run,
};
