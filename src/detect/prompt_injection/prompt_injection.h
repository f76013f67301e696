/* prompt_injection.h -- the prompt-injection detector's internal surface:
 * its ops table lives in detector.h; this header adds the seam for a tier-2
 * scorer (a trained classifier, a later issue) and the names tests use.
 * Internal to src/detect/. */
#ifndef TRAWL_DETECT_PROMPT_INJECTION_H
#define TRAWL_DETECT_PROMPT_INJECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>
#include <trawl/detect.h>

/* A tier-2 scorer. score() receives the normalised view of one text (lower
 * case, confusables folded, invisible characters removed, white space
 * collapsed; see normalize.h), exactly the bytes the tier-1 rules matched
 * against, and sets *p to the probability that it is an injection. It is
 * called from many threads at once and must not keep per-call state in
 * model. A non-OK status fails the run with err filled.
 *
 * trawl's own scorer is the int8 classifier of pi_model.h, installed by
 * create() when the configuration says `model = true`. When a scorer is
 * installed, run() adds a violation of category "model" with confidence *p
 * whenever *p is at least max(threshold, report_min), with evidence naming
 * the scorer, p and the threshold. */
typedef struct pi_scorer {
    const char *name;
    trawl_status (*score)(void *model, const uint8_t *text, size_t len, double *p,
                          trawl_error *err);
    /* Optional: scores n texts at once, p[i] for texts[i][0..lens[i]),
     * exactly as n calls of score() would. Used by det_pi_batch_scores(). */
    trawl_status (*score_batch)(void *model, const uint8_t *const *texts, const size_t *lens,
                                size_t n, double *p, trawl_error *err);
    void *model;
    /* A "model" violation is reported when p >= max(threshold, report_min). */
    double threshold;
    /* Optional, for a scorer that is a pooled-feature network: the two
     * halves of score_batch, so that the per-text half (pool: a text to
     * dim int8 values and a scale; returns true when the model abstains on
     * the text, p = 0) can run on the caller's thread and the per-batch
     * half (head: n pooled rows to n p's) on a batching thread. pool then
     * head gives exactly score_batch's p. */
    unsigned dim;
    bool (*pool)(void *model, const uint8_t *text, size_t len, int8_t *x, float *xs);
    void (*head)(void *model, const int8_t *X, const float *xs, size_t n, double *p);
} pi_scorer;

/* Installs (or, with NULL, removes) the scorer on a prompt_injection state
 * made by det_prompt_injection_ops.create. Must happen before any thread
 * runs the detector: the state is read-only once shared. The scorer is
 * copied; model stays the caller's. */
void det_prompt_injection_set_scorer(void *state, const pi_scorer *s);

/* The installed scorer, or NULL. */
const pi_scorer *det_prompt_injection_scorer(const void *state);

/* One text the detector scores: a span of the input (for the model tier,
 * cut to max_text_bytes) and its index as evidence names it (0 prompt,
 * 1 query, 2 + i history[i], 2 + n_history + j chat[j]). */
typedef struct pi_text_ref {
    const uint8_t *p;
    size_t len;
    uint32_t idx;
} pi_text_ref;

/* The texts of in that run() would score, in run()'s order, as the
 * configuration selects them (prompt; query when scan_query; history when
 * scan_history; the chat texts). Writes up to cap refs; returns how many there are. */
size_t det_prompt_injection_texts(const void *state, const trawl_detect_input *in, pi_text_ref *out,
                                  size_t cap);

/* Hands the next run() on this thread state the scorer's answer for its
 * input, computed beforehand (in a batch): *p, the highest p over the
 * input's texts, and the index of the text that gave it. That run() does
 * not call the scorer; the one after it does again. p = NULL withdraws a
 * preset that no run() consumed. */
void det_prompt_injection_preset(void *tstate, const double *p, uint32_t text);

/* Number of rules compiled into a state (for tests and docs). */
size_t det_prompt_injection_rule_count(const void *state);

#endif
