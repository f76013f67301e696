/* engine_batch.c -- the detection engine over a batch of inputs: the
 * prompt-injection model scores every text of the batch in one call (its
 * hidden layer one matrix-matrix product per tile of texts), then each input
 * runs the detectors with its score handed in, so a batch gives exactly the
 * reports that one-by-one runs give.
 *
 * The batch's texts are normalised into one arena (the scorer takes them
 * all at once); the arena is what max_bytes bounds.
 *
 * The same computation also comes split in two (at the end of the file) for
 * the server: pool on each request's thread, the two layers on the
 * batching thread over the stacked rows, reduce per request. */
#include <stdlib.h>
#include <string.h>

#include "detect/batch.h"
#include "detect/detector.h"
#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/prompt_injection.h"

enum { PI = 0 }; /* bit position of prompt_injection */

static const pi_scorer *batch_scorer(const trawl_detect_engine *e)
{
    if (!(trawl_detect_engine_enabled(e) & TRAWL_DET_PROMPT_INJECTION))
        return NULL;
    const pi_scorer *sc = det_prompt_injection_scorer(trawl__detect_engine_state(e, PI));
    return sc && sc->score_batch ? sc : NULL;
}

bool trawl__detect_has_batch_model(const trawl_detect_engine *e)
{
    return batch_scorer(e) != NULL;
}

typedef struct batch_mem {
    pi_text_ref *refs;
    const uint8_t **ptrs;
    size_t *lens;
    double *p;
    uint8_t *arena;
    pi_text norm;
} batch_mem;

static void batch_mem_free(batch_mem *b)
{
    free(b->refs);
    free(b->ptrs);
    free(b->lens);
    free(b->p);
    free(b->arena);
    pi_text_free(&b->norm);
}

trawl_status trawl__detect_model_scores(const trawl_detect_engine *e,
                                        const trawl_detect_input *const *in, size_t n,
                                        size_t max_bytes, trawl__model_score *out, trawl_error *err)
{
    trawl_error_clear(err);
    for (size_t i = 0; i < n; i++)
        out[i] = (trawl__model_score){0};
    const pi_scorer *sc = batch_scorer(e);
    if (!sc || !n)
        return TRAWL_OK;
    const void *st = trawl__detect_engine_state(e, PI);
    size_t texts = 0, bytes = 0;
    for (size_t i = 0; i < n; i++)
        texts += det_prompt_injection_texts(st, in[i], NULL, 0);
    for (size_t i = 0; i < n; i++)
        out[i].set = true;
    if (!texts)
        return TRAWL_OK;
    batch_mem b = {0};
    if (!(b.refs = malloc(texts * sizeof(*b.refs))))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0, t = 0; i < n; i++)
        t += det_prompt_injection_texts(st, in[i], b.refs + t, texts - t);
    for (size_t t = 0; t < texts; t++) {
        if (b.refs[t].len > max_bytes - bytes) {
            batch_mem_free(&b);
            return trawl__fail(err, TRAWL_ELIMIT,
                               "a batch of %zu requests whose texts exceed the per-batch budget "
                               "of %zu bytes",
                               n, max_bytes);
        }
        bytes += b.refs[t].len;
    }
    b.ptrs = malloc(texts * sizeof(*b.ptrs));
    b.lens = malloc(texts * sizeof(*b.lens));
    b.p = malloc(texts * sizeof(*b.p));
    b.arena = malloc(bytes + 1);
    if (!b.ptrs || !b.lens || !b.p || !b.arena) {
        batch_mem_free(&b);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    /* normalise every text into the arena, as the detector does before
     * scoring (normalised text is never longer than its source) */
    size_t used = 0;
    for (size_t t = 0; t < texts; t++) {
        pi_norm_stats ns = {.first_invisible = -1};
        if (pi_normalize(&b.norm, b.refs[t].p, b.refs[t].len, 0, NULL, &ns, b.refs[t].len)) {
            batch_mem_free(&b);
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        }
        memcpy(b.arena + used, b.norm.s, b.norm.len);
        b.ptrs[t] = b.arena + used;
        b.lens[t] = b.norm.len;
        used += b.norm.len;
    }
    trawl_status s = sc->score_batch(sc->model, b.ptrs, b.lens, texts, b.p, err);
    size_t t = 0;
    /* per input: the highest p, first text to reach it, as run() keeps it */
    t = 0;
    for (size_t i = 0; s == TRAWL_OK && i < n; i++) {
        size_t k = det_prompt_injection_texts(st, in[i], NULL, 0);
        for (size_t j = 0; j < k; j++, t++)
            if (b.p[t] > out[i].p) {
                out[i].p = b.p[t];
                out[i].text = b.refs[t].idx;
            }
    }
    batch_mem_free(&b);
    return s;
}

trawl_status trawl__detect_run_scored(trawl_detect_engine *e, trawl_detect_ctx *c,
                                      const trawl_detect_input *in, unsigned mask,
                                      const trawl__model_score *sc, trawl_detect_report **out,
                                      trawl_error *err)
{
    void *ts = NULL;
    if (sc && sc->set && (mask & TRAWL_DET_PROMPT_INJECTION) &&
        (ts = trawl__detect_ctx_tstate(c, e, PI)) != NULL)
        det_prompt_injection_preset(ts, &sc->p, sc->text);
    trawl_status st = trawl_detect_run(e, c, in, mask, out, err);
    if (ts) /* consumed by the run, or withdrawn if the run never got there */
        det_prompt_injection_preset(ts, NULL, 0);
    return st;
}

trawl_status trawl_detect_run_batch(trawl_detect_engine *e, trawl_detect_ctx *c,
                                    const trawl_detect_input *const *in, size_t n, unsigned mask,
                                    trawl_detect_report **out, trawl_error *err)
{
    trawl_error_clear(err);
    if (!e || !c || (n && (!in || !out)))
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    trawl__model_score *sc = n ? calloc(n, sizeof(*sc)) : NULL;
    if (n && !sc)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status st = TRAWL_OK;
    for (size_t i = 0; i < n && st == TRAWL_OK; i++)
        if (!in[i])
            st = trawl__fail(err, TRAWL_EINVAL, "invalid argument: input %zu is NULL", i);
    if (st == TRAWL_OK && (mask & TRAWL_DET_PROMPT_INJECTION))
        st = trawl__detect_model_scores(e, in, n, SIZE_MAX, sc, err);
    for (size_t i = 0; i < n && st == TRAWL_OK; i++)
        st = trawl__detect_run_scored(e, c, in[i], mask, &sc[i], &out[i], err);
    free(sc);
    if (st != TRAWL_OK)
        for (size_t i = 0; i < n; i++) {
            trawl_detect_report_free(out[i]);
            out[i] = NULL;
        }
    return st;
}

/* ---- the split form, for the server's batcher ------------------------------------ */

bool trawl__detect_has_split_model(const trawl_detect_engine *e)
{
    const pi_scorer *sc = batch_scorer(e);
    return sc && sc->pool && sc->head && sc->dim >= 1 && sc->dim <= 64;
}

void trawl__detect_model_rows_free(trawl__model_rows *r)
{
    free(r->x);
    free(r->xs);
    free(r->abstain);
    free(r->text);
    memset(r, 0, sizeof(*r));
}

trawl_status trawl__detect_model_pool(const trawl_detect_engine *e, const trawl_detect_input *in,
                                      trawl__model_rows *r, trawl_error *err)
{
    memset(r, 0, sizeof(*r));
    const pi_scorer *sc = batch_scorer(e);
    if (!sc || !sc->pool)
        return trawl__fail(err, TRAWL_ESTATE, "the engine has no split model tier");
    const void *st = trawl__detect_engine_state(e, PI);
    size_t n = det_prompt_injection_texts(st, in, NULL, 0);
    r->dim = sc->dim;
    if (!n)
        return TRAWL_OK;
    pi_text_ref *refs = malloc(n * sizeof(*refs));
    r->x = malloc(n * sc->dim);
    r->xs = malloc(n * sizeof(float));
    r->abstain = malloc(n * sizeof(bool));
    r->text = malloc(n * sizeof(uint32_t));
    pi_text norm = {0};
    trawl_status s = TRAWL_OK;
    if (!refs || !r->x || !r->xs || !r->abstain || !r->text)
        s = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (s == TRAWL_OK)
        det_prompt_injection_texts(st, in, refs, n);
    for (size_t i = 0; s == TRAWL_OK && i < n; i++) {
        pi_norm_stats ns = {.first_invisible = -1};
        if (pi_normalize(&norm, refs[i].p, refs[i].len, 0, NULL, &ns, refs[i].len)) {
            s = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            break;
        }
        r->abstain[i] = sc->pool(sc->model, norm.s, norm.len, r->x + i * sc->dim, &r->xs[i]);
        r->text[i] = refs[i].idx;
        r->bytes += refs[i].len;
    }
    r->n = n;
    pi_text_free(&norm);
    free(refs);
    if (s != TRAWL_OK)
        trawl__detect_model_rows_free(r);
    return s;
}

void trawl__detect_model_head(const trawl_detect_engine *e, const int8_t *X, const float *xs,
                              size_t n, double *p)
{
    const pi_scorer *sc = batch_scorer(e);
    sc->head(sc->model, X, xs, n, p);
}

void trawl__detect_model_reduce(const trawl__model_rows *r, const double *p,
                                trawl__model_score *out)
{
    *out = (trawl__model_score){.set = true};
    for (size_t i = 0; i < r->n; i++) {
        double q = r->abstain[i] ? 0 : p[i];
        if (q > out->p) {
            out->p = q;
            out->text = r->text[i];
        }
    }
}
