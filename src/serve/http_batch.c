/* http_batch.c -- the server's dynamic batcher for the prompt-injection
 * model tier, and its metrics.
 *
 * Where it sits: cache -> coalescer -> (leader) parse the input -> pool ->
 * batcher -> detectors. A request whose detectors include prompt_injection,
 * on an engine whose prompt_injection runs the learned tier, first
 * normalises and pools its own texts on its own worker thread (the
 * model's per-text cost, in parallel on every worker), then queues the
 * pooled rows; the batcher admits each batch against its byte budget; the
 * worker then runs the detectors with its rows handed in
 * (trawl__detect_run_scored). Since the learned tier reads the rule tier's
 * signals (docs/model.md), the model's head runs inside each request's run:
 * the batcher now schedules and bounds, it no longer multiplies matrices.
 * Reports are exactly the unbatched ones.
 *
 * Admission bound: a batch may carry the rows of at most batch_max_bytes of
 * source text. A batch over it is refused whole and every request in it is
 * answered 503 (retry): nothing waits forever, nothing is half-answered.
 * With the default bound (batch_max x max_body) it cannot happen. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/batch.h"
#include "serve/internal.h"

#define DEFAULT_BATCH 32

typedef struct batch_req {
    trawl_detect_engine *e;        /* the engine the request runs on */
    const trawl__model_rows *rows; /* pooled on the request's own thread */
} batch_req;

/* The batch processor: admits the batch's pooled rows against the byte
 * budget. Each response is the request itself (owned by its submitter), so
 * there is nothing to free. */
static trawl_status process(void *ud, void *const *reqs, size_t n, void **resps, size_t *n_done,
                            trawl_error *err)
{
    trawl_server *s = ud;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const trawl__model_rows *r = ((batch_req *)reqs[i])->rows;
        if (r->bytes > s->batch_max_bytes - bytes) {
            *n_done = 0;
            return trawl__fail(err, TRAWL_ELIMIT,
                               "a batch of %zu requests whose texts exceed the per-batch budget "
                               "of %zu bytes",
                               n, s->batch_max_bytes);
        }
        bytes += r->bytes;
        resps[i] = reqs[i];
    }
    *n_done = n;
    return TRAWL_OK;
}

trawl_status trawl__serve_batch_start(trawl_server *s, trawl_error *err)
{
    if (!trawl__detect_has_batch_model(atomic_load(&s->eng)->e))
        return TRAWL_OK; /* no model tier: nothing to batch */
    size_t max = s->o.batch_max ? s->o.batch_max : DEFAULT_BATCH;
    s->batch_max_bytes = s->o.batch_max_bytes ? s->o.batch_max_bytes : max * s->o.max_body;
    trawl_batcher_opts bo = {
        .max_batch = max,
        .max_wait_us = s->o.batch_wait_us,
        .producers = s->o.threads,
        .process = process,
        .ud = s,
    };
    return trawl_batcher_new(&bo, &s->batcher, err);
}

void trawl__serve_batch_stop(trawl_server *s)
{
    trawl_batcher_free(s->batcher);
    s->batcher = NULL;
}

trawl_status trawl__serve_run_detect(trawl_server *s, trawl_detect_engine *e, trawl_detect_ctx *c,
                                     const trawl_detect_input *in, unsigned mask,
                                     trawl_detect_report **out, trawl_error *err)
{
    if (!s->batcher || !(mask & TRAWL_DET_PROMPT_INJECTION) || !trawl__detect_has_batch_model(e))
        return trawl_detect_run(e, c, in, mask, out, err);
    trawl__model_rows rows;
    trawl__model_score score;
    trawl_status st = trawl__detect_model_pool(e, &in, 1, SIZE_MAX, &rows, &score, err);
    if (st != TRAWL_OK)
        return st;
    batch_req req = {.e = e, .rows = &rows};
    void *resp = NULL;
    st = trawl_batcher_submit(s->batcher, &req, &resp, err);
    if (st == TRAWL_ELIMIT || st == TRAWL_ESTATE) {
        /* refused by the per-batch budget, or shutting down: try again */
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof msg, "%s", err->message);
        trawl__detect_model_rows_free(&rows);
        return trawl__fail(err, TRAWL_ESTATE, "model tier: %s; retry", msg);
    }
    if (st == TRAWL_OK)
        st = trawl__detect_run_scored(e, c, in, mask, &score, out, err);
    trawl__detect_model_rows_free(&rows);
    return st;
}

/* ---- metrics ------------------------------------------------------------------ */

static const unsigned bounds[] = {1, 2, 4, 8, 16, 32, 64};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return -1;
        if (*buf && (size_t)w < *cap - *len) {
            *len += (size_t)w;
            return 0;
        }
        size_t nc = (*cap ? *cap * 2 : 1024) + (size_t)w;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = nc;
    }
}

char *trawl__serve_batch_metrics(trawl_server *s, bool json)
{
    trawl_batcher_stats st = {0};
    if (s->batcher)
        trawl_batcher_stats_get(s->batcher, &st);
    char *b = NULL;
    size_t len = 0, cap = 0;
    int bad = 0;
    uint64_t sum = 0;
    for (unsigned k = 1; k <= 64; k++)
        sum += st.size_counts[k] * k; /* sizes >= 64 are counted at 64 */
    if (json) {
        bad |= append(&b, &len, &cap,
                      "\"batch\":{\"enabled\":%s,\"max_batch\":%zu,\"max_wait_us\":%llu,"
                      "\"max_bytes\":%zu,\"batches\":%llu,\"requests\":%llu,"
                      "\"failed_requests\":%llu,\"sizes\":{",
                      s->batcher ? "true" : "false",
                      s->batcher ? s->o.batch_max ? s->o.batch_max : 32 : 0,
                      (unsigned long long)s->o.batch_wait_us, s->batch_max_bytes,
                      (unsigned long long)st.batches, (unsigned long long)st.requests,
                      (unsigned long long)st.failed_requests);
        bool first = true;
        for (unsigned k = 1; k <= 64; k++)
            if (st.size_counts[k]) {
                bad |= append(&b, &len, &cap, "%s\"%u\":%llu", first ? "" : ",", k,
                              (unsigned long long)st.size_counts[k]);
                first = false;
            }
        bad |= append(&b, &len, &cap, "}},");
    } else {
        bad |= append(&b, &len, &cap,
                      "# HELP trawl_batch_size Requests per batch of the model tier.\n"
                      "# TYPE trawl_batch_size histogram\n");
        uint64_t cum = 0;
        size_t k = 1;
        for (size_t i = 0; i < NBOUNDS; i++) {
            for (; k <= bounds[i] && k <= 64; k++)
                cum += st.size_counts[k];
            bad |= append(&b, &len, &cap, "trawl_batch_size_bucket{le=\"%u\"} %llu\n", bounds[i],
                          (unsigned long long)cum);
        }
        bad |= append(&b, &len, &cap,
                      "trawl_batch_size_bucket{le=\"+Inf\"} %llu\ntrawl_batch_size_sum %llu\n"
                      "trawl_batch_size_count %llu\n"
                      "# HELP trawl_batch_failed_requests_total Requests failed with their batch.\n"
                      "# TYPE trawl_batch_failed_requests_total counter\n"
                      "trawl_batch_failed_requests_total %llu\n",
                      (unsigned long long)st.batches, (unsigned long long)sum,
                      (unsigned long long)st.batches, (unsigned long long)st.failed_requests);
    }
    if (bad) {
        free(b);
        return NULL;
    }
    return b;
}
