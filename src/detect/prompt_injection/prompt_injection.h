/* prompt_injection.h -- the prompt-injection detector's internal surface:
 * its ops table lives in detector.h; this header adds what batches, the
 * trainer and tests need from its learned tier (learned.h).
 * Internal to src/detect/. */
#ifndef TRAWL_DETECT_PROMPT_INJECTION_H
#define TRAWL_DETECT_PROMPT_INJECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>
#include <trawl/detect.h>
#include <trawl/model.h>

#include "detect/prompt_injection/normalize.h"

/* The learned tier's model when `model = true`, else NULL. */
const trawl_model *det_prompt_injection_model(const void *state);

/* The signals the detector computes for the learned tier, by name
 * (learned.h): names[0..n) with n returned. */
size_t det_prompt_injection_signals(const void *state, const char *const **names);

/* One text through the rule tier for training: the normalised text (after
 * the allowlist) and the input's signals, valid until the next call on this
 * thread state. */
trawl_status det_prompt_injection_features(const void *state, void *tstate, const char *text,
                                           size_t len, const uint8_t **norm, size_t *norm_len,
                                           const float **sig, trawl_error *err);

/* The learned tier's per-text step for a batch: normalise text (cut to
 * max_text_bytes, allowlist applied) into scratch and pool it into
 * pre[0..H); *words as trawl_model_pool returns it. Requires the model.
 * TRAWL_ENOMEM only. */
trawl_status det_prompt_injection_pool(const void *state, const uint8_t *text, size_t n,
                                       pi_text *scratch, float *pre, size_t *words);

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

/* Hands the next run() on this thread state the learned tier's per-text
 * step, computed beforehand (in a batch): pre[i*H..) and words[i] for the
 * i-th text run() scores (det_prompt_injection_texts' order), n texts. That
 * run() does not pool; the one after it does again. pre = NULL withdraws a
 * preset that no run() consumed. The arrays stay the caller's. */
void det_prompt_injection_preset(void *tstate, const float *pre, const size_t *words, size_t n);

/* Number of rules compiled into a state (for tests and docs). */
size_t det_prompt_injection_rule_count(const void *state);

#endif
