/* engine_batch.c -- the detection engine over a batch of inputs: the
 * prompt-injection learned tier normalises and pools every text of the
 * batch first (its per-text cost), then each input runs the detectors with
 * its pooled rows handed in, so a batch gives exactly the reports that
 * one-by-one runs give. The model's head needs the rule tier's signals of
 * the input, so it runs inside each input's run.
 *
 * The server (src/serve/http_batch.c) pools on each request's own thread
 * and queues the pooled rows through its batcher. */
#include <stdlib.h>
#include <string.h>

#include "detect/batch.h"
#include "detect/detector.h"
#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/prompt_injection.h"

enum { PI = 0 }; /* bit position of prompt_injection */

static const trawl_model *batch_model(const trawl_detect_engine *e)
{
    if (!(trawl_detect_engine_enabled(e) & TRAWL_DET_PROMPT_INJECTION))
        return NULL;
    return det_prompt_injection_model(trawl__detect_engine_state(e, PI));
}

bool trawl__detect_has_batch_model(const trawl_detect_engine *e)
{
    return batch_model(e) != NULL;
}

void trawl__detect_model_rows_free(trawl__model_rows *r)
{
    free(r->pre);
    free(r->words);
    memset(r, 0, sizeof(*r));
}

trawl_status trawl__detect_model_pool(const trawl_detect_engine *e,
                                      const trawl_detect_input *const *in, size_t n,
                                      size_t max_bytes, trawl__model_rows *r,
                                      trawl__model_score *out, trawl_error *err)
{
    trawl_error_clear(err);
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < n; i++)
        out[i] = (trawl__model_score){0};
    const trawl_model *m = batch_model(e);
    if (!m || !n)
        return TRAWL_OK;
    trawl_model_info info;
    trawl_model_get_info(m, &info);
    const void *st = trawl__detect_engine_state(e, PI);
    size_t texts = 0;
    for (size_t i = 0; i < n; i++)
        texts += det_prompt_injection_texts(st, in[i], NULL, 0);
    pi_text_ref *refs = malloc((texts + 1) * sizeof(*refs));
    r->pre = malloc((texts * info.hidden + 1) * sizeof(float));
    r->words = malloc((texts + 1) * sizeof(size_t));
    r->hidden = info.hidden;
    if (!refs || !r->pre || !r->words) {
        free(refs);
        trawl__detect_model_rows_free(r);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t i = 0, t = 0; i < n; i++)
        t += det_prompt_injection_texts(st, in[i], refs + t, texts - t);
    for (size_t t = 0; t < texts; t++) {
        if (refs[t].len > max_bytes - r->bytes) {
            free(refs);
            trawl__detect_model_rows_free(r);
            return trawl__fail(err, TRAWL_ELIMIT,
                               "a batch of %zu requests whose texts exceed the per-batch budget "
                               "of %zu bytes",
                               n, max_bytes);
        }
        r->bytes += refs[t].len;
    }
    pi_text norm = {0};
    trawl_status s = TRAWL_OK;
    for (size_t t = 0; s == TRAWL_OK && t < texts; t++)
        if (det_prompt_injection_pool(st, refs[t].p, refs[t].len, &norm, r->pre + t * info.hidden,
                                      &r->words[t]))
            s = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    pi_text_free(&norm);
    free(refs);
    if (s != TRAWL_OK) {
        trawl__detect_model_rows_free(r);
        return s;
    }
    r->n = texts;
    for (size_t i = 0, t = 0; i < n; i++) {
        size_t k = det_prompt_injection_texts(st, in[i], NULL, 0);
        out[i] = (trawl__model_score){r->pre + t * info.hidden, r->words + t, k, true};
        t += k;
    }
    return TRAWL_OK;
}

trawl_status trawl__detect_run_scored(trawl_detect_engine *e, trawl_detect_ctx *c,
                                      const trawl_detect_input *in, unsigned mask,
                                      const trawl__model_score *sc, trawl_detect_report **out,
                                      trawl_error *err)
{
    void *ts = NULL;
    if (sc && sc->set && (mask & TRAWL_DET_PROMPT_INJECTION) &&
        (ts = trawl__detect_ctx_tstate(c, e, PI)) != NULL)
        det_prompt_injection_preset(ts, sc->pre, sc->words, sc->n);
    trawl_status st = trawl_detect_run(e, c, in, mask, out, err);
    if (ts) /* consumed by the run, or withdrawn if the run never got there */
        det_prompt_injection_preset(ts, NULL, NULL, 0);
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
    trawl__model_rows rows = {0};
    trawl_status st = TRAWL_OK;
    for (size_t i = 0; i < n && st == TRAWL_OK; i++)
        if (!in[i])
            st = trawl__fail(err, TRAWL_EINVAL, "invalid argument: input %zu is NULL", i);
    if (st == TRAWL_OK && (mask & TRAWL_DET_PROMPT_INJECTION))
        st = trawl__detect_model_pool(e, in, n, SIZE_MAX, &rows, sc, err);
    for (size_t i = 0; i < n && st == TRAWL_OK; i++)
        st = trawl__detect_run_scored(e, c, in[i], mask, &sc[i], &out[i], err);
    trawl__detect_model_rows_free(&rows);
    free(sc);
    if (st != TRAWL_OK)
        for (size_t i = 0; i < n; i++) {
            trawl_detect_report_free(out[i]);
            out[i] = NULL;
        }
    return st;
}
