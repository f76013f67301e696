/* http_batch.c -- the server's dynamic batcher for the prompt-injection
 * model tier, and its metrics.
 *
 * Where it sits: cache -> coalescer -> (leader) parse the input -> pool ->
 * batcher -> detectors. A request whose detectors include prompt_injection,
 * on an engine whose prompt_injection runs the model, first normalises and
 * pools its own texts on its own worker thread (the per-text cost, in
 * parallel on every worker), then queues the pooled rows; the batching
 * thread stacks the rows of every queued request into one matrix and runs
 * the model's hidden and output layers over it at once (one int8
 * matrix-matrix product per tile of 16 rows) and hands each request its
 * scores; the worker then runs tier 1 and the other detectors with its
 * answer (trawl__detect_run_scored). Reports are exactly the unbatched ones.
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
    double *p;                     /* rows->n scores, filled by the batch */
} batch_req;

/* The batch processor: one matrix of every request's pooled rows, one head
 * call over it, scores scattered back. Each response is the request itself
 * (owned by its submitter), so there is nothing to free. */
static trawl_status process(void *ud, void *const *reqs, size_t n, void **resps, size_t *n_done,
                            trawl_error *err)
{
    trawl_server *s = ud;
    size_t rows = 0, bytes = 0;
    unsigned dim = 0;
    for (size_t i = 0; i < n; i++) {
        const trawl__model_rows *r = ((batch_req *)reqs[i])->rows;
        rows += r->n;
        dim = r->dim;
        if (r->bytes > s->batch_max_bytes - bytes) {
            *n_done = 0;
            return trawl__fail(err, TRAWL_ELIMIT,
                               "a batch of %zu requests whose texts exceed the per-batch budget "
                               "of %zu bytes",
                               n, s->batch_max_bytes);
        }
        bytes += r->bytes;
    }
    int8_t *X = malloc(rows * dim + 1);
    float *xs = malloc(rows * sizeof(float) + 1);
    double *p = malloc(rows * sizeof(double) + 1);
    trawl_status st = X && xs && p ? TRAWL_OK : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (st == TRAWL_OK) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            const trawl__model_rows *r = ((batch_req *)reqs[i])->rows;
            memcpy(X + at * dim, r->x, r->n * dim);
            memcpy(xs + at, r->xs, r->n * sizeof(float));
            at += r->n;
        }
        /* Every engine holds the one embedded model (a reload can turn it
         * off, never swap its weights), so any request's engine will do. */
        trawl__detect_model_head(((batch_req *)reqs[0])->e, X, xs, rows, p);
        at = 0;
        for (size_t i = 0; i < n; i++) {
            batch_req *q = reqs[i];
            memcpy(q->p, p + at, q->rows->n * sizeof(double));
            at += q->rows->n;
            resps[i] = q;
        }
    }
    *n_done = st == TRAWL_OK ? n : 0;
    free(X);
    free(xs);
    free(p);
    return st;
}

trawl_status trawl__serve_batch_start(trawl_server *s, trawl_error *err)
{
    if (!trawl__detect_has_split_model(atomic_load(&s->eng)->e))
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
    if (!s->batcher || !(mask & TRAWL_DET_PROMPT_INJECTION) || !trawl__detect_has_split_model(e))
        return trawl_detect_run(e, c, in, mask, out, err);
    trawl__model_rows rows;
    trawl_status st = trawl__detect_model_pool(e, in, &rows, err);
    if (st != TRAWL_OK)
        return st;
    batch_req req = {.e = e, .rows = &rows, .p = malloc(rows.n * sizeof(double) + 1)};
    void *resp = NULL;
    if (!req.p)
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    else
        st = trawl_batcher_submit(s->batcher, &req, &resp, err);
    trawl__model_score score = {0};
    if (st == TRAWL_OK)
        trawl__detect_model_reduce(&rows, req.p, &score);
    free(req.p);
    trawl__detect_model_rows_free(&rows);
    if (st == TRAWL_ELIMIT || st == TRAWL_ESTATE) {
        /* refused by the per-batch budget, or shutting down: try again */
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof msg, "%s", err->message);
        return trawl__fail(err, TRAWL_ESTATE, "model tier: %s; retry", msg);
    }
    if (st != TRAWL_OK)
        return st;
    return trawl__detect_run_scored(e, c, in, mask, &score, out, err);
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
