/* batch.h -- the detection engine in batches: the prompt-injection model
 * tier scores the texts of many inputs in one call, then each input runs
 * the detectors with its score handed in. trawl__ tier: used by
 * trawl_detect_run_batch (engine_batch.c) and by the server's batcher
 * (src/serve/http_batch.c). */
#ifndef TRAWL_DETECT_BATCH_H
#define TRAWL_DETECT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/detect.h>

/* The model tier's answer for one input: the highest p over its texts and
 * the index of the text (as prompt_injection.h numbers them). set is false
 * when there was nothing to score (no model, or prompt_injection off). */
typedef struct trawl__model_score {
    double p;
    uint32_t text;
    bool set;
} trawl__model_score;

/* The state of detector i (bit position) in e, or NULL. */
void *trawl__detect_engine_state(const trawl_detect_engine *e, unsigned i);
/* The thread state of detector i in c (a context of e), or NULL. */
void *trawl__detect_ctx_tstate(trawl_detect_ctx *c, const trawl_detect_engine *e, unsigned i);

/* Whether e runs prompt_injection with a scorer that can score a batch. */
bool trawl__detect_has_batch_model(const trawl_detect_engine *e);

/* Scores the texts of in[0..n) as one batch: out[i] for in[i]. The batch's
 * texts (after max_text_bytes) may total at most max_bytes: beyond that it
 * is refused whole, TRAWL_ELIMIT, before anything is allocated. Allocates
 * the batch's normalised texts (at most max_bytes) for the call. Reentrant:
 * the engine is only read. */
trawl_status trawl__detect_model_scores(const trawl_detect_engine *e,
                                        const trawl_detect_input *const *in, size_t n,
                                        size_t max_bytes, trawl__model_score *out,
                                        trawl_error *err);

/* The model tier split in two, for a server that batches across threads:
 * pool() runs on the request's own thread (normalise and pool each text of
 * in: the per-text cost), head() on the batching thread over the rows of
 * many requests at once (one int8 matrix-matrix product per tile), and
 * reduce() turns a request's row scores into its answer. Together they give
 * exactly trawl__detect_model_scores' answer. */
typedef struct trawl__model_rows {
    int8_t *x;     /* n rows of dim values */
    float *xs;     /* per-row scales */
    bool *abstain; /* the model has no opinion on this text (p = 0) */
    uint32_t *text;
    size_t n;
    size_t bytes; /* source bytes of the texts pooled */
    unsigned dim;
} trawl__model_rows;

/* Whether e's model can be split so (else use trawl__detect_model_scores). */
bool trawl__detect_has_split_model(const trawl_detect_engine *e);
/* Pools the texts of in into *rows (malloc'd; free with _rows_free). */
trawl_status trawl__detect_model_pool(const trawl_detect_engine *e, const trawl_detect_input *in,
                                      trawl__model_rows *rows, trawl_error *err);
void trawl__detect_model_rows_free(trawl__model_rows *rows);
/* p[i] for the n rows X[i*dim..) with scales xs[i]. Allocates nothing. */
void trawl__detect_model_head(const trawl_detect_engine *e, const int8_t *X, const float *xs,
                              size_t n, double *p);
/* The answer for one input from its rows' p (abstentions count as 0). */
void trawl__detect_model_reduce(const trawl__model_rows *rows, const double *p,
                                trawl__model_score *out);

/* trawl_detect_run with the model tier's answer handed in (sc NULL or not
 * set: the detector scores by itself, as trawl_detect_run). */
trawl_status trawl__detect_run_scored(trawl_detect_engine *e, trawl_detect_ctx *c,
                                      const trawl_detect_input *in, unsigned mask,
                                      const trawl__model_score *sc, trawl_detect_report **out,
                                      trawl_error *err);

#endif
