/* batch.h -- the detection engine in batches: the prompt-injection learned
 * tier pools the texts of many inputs in one call (its per-text cost), then
 * each input runs the detectors with its pooled rows handed in (the rest of
 * the model needs the rule tier's signals, known only in the run). trawl__
 * tier: used by
 * trawl_detect_run_batch (engine_batch.c) and by the server's batcher
 * (src/serve/http_batch.c). */
#ifndef TRAWL_DETECT_BATCH_H
#define TRAWL_DETECT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/detect.h>

/* The learned tier's per-text step for one input, computed beforehand: n
 * texts (in run()'s order), pre[i * hidden ..] and words[i] each. set is
 * false when there was nothing to pool (no model, or prompt_injection off).
 * The arrays belong to whoever computed them. */
typedef struct trawl__model_score {
    const float *pre;
    const size_t *words;
    size_t n;
    bool set;
} trawl__model_score;

/* The state of detector i (bit position) in e, or NULL. */
void *trawl__detect_engine_state(const trawl_detect_engine *e, unsigned i);
/* The thread state of detector i in c (a context of e), or NULL. */
void *trawl__detect_ctx_tstate(trawl_detect_ctx *c, const trawl_detect_engine *e, unsigned i);

/* Whether e runs prompt_injection with its learned tier. */
bool trawl__detect_has_batch_model(const trawl_detect_engine *e);

/* The learned tier's per-text step (normalise, pool) for every text of
 * in[0..n), into *rows (malloc'd; free with _rows_free); out[i] points
 * into it for in[i]. The texts (after max_text_bytes) may total at most
 * max_bytes: beyond that the batch is refused whole, TRAWL_ELIMIT, before
 * anything is pooled. Reentrant: the engine is only read. */
typedef struct trawl__model_rows {
    float *pre;    /* n x hidden */
    size_t *words; /* n */
    size_t n;
    size_t bytes; /* source bytes of the texts pooled */
    unsigned hidden;
} trawl__model_rows;

trawl_status trawl__detect_model_pool(const trawl_detect_engine *e,
                                      const trawl_detect_input *const *in, size_t n,
                                      size_t max_bytes, trawl__model_rows *rows,
                                      trawl__model_score *out, trawl_error *err);
void trawl__detect_model_rows_free(trawl__model_rows *rows);

/* trawl_detect_run with the model tier's answer handed in (sc NULL or not
 * set: the detector scores by itself, as trawl_detect_run). */
trawl_status trawl__detect_run_scored(trawl_detect_engine *e, trawl_detect_ctx *c,
                                      const trawl_detect_input *in, unsigned mask,
                                      const trawl__model_score *sc, trawl_detect_report **out,
                                      trawl_error *err);

#endif
