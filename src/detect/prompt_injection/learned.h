/* learned.h -- the prompt-injection detector's learned tier: a trawl model
 * (include/trawl/model.h) over the normalised text and the detector's own
 * signals (its rule hits, obfuscation counts, text statistics), so the two
 * tiers make one calibrated decision. Internal to src/detect/.
 *
 * The detector computes its signals in a fixed order with fixed names
 * (pi_signal_names); the model file names the dense features it was
 * trained on. pi_learned_new() maps one onto the other and refuses a model
 * that needs a signal this build does not compute (a model trained for
 * another rule pack). */
#ifndef TRAWL_DETECT_PI_LEARNED_H
#define TRAWL_DETECT_PI_LEARNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/detect.h>
#include <trawl/model.h>

typedef struct pi_learned pi_learned;

/* Takes ownership of m (also on failure). names[0..n) are the signals the
 * detector computes. TRAWL_EFORMAT naming the first model feature that is
 * not among them. */
trawl_status pi_learned_new(trawl_model *m, const char *const *names, size_t n, pi_learned **out,
                            trawl_error *err);
void pi_learned_free(pi_learned *l);

const trawl_model *pi_learned_model(const pi_learned *l);
unsigned pi_learned_hidden(const pi_learned *l);
double pi_learned_threshold(const pi_learned *l);
/* Whether the model's training data never showed signal sig (>= 0.5) on a
 * benign row (the model file's TRAWL_MODEL_DENSE_BENIGN_SEEN, or a signal
 * the model does not read): a rule-tier verdict resting on such a rule
 * stands whatever the model says, since the model learned nothing against
 * it (it may simply never have seen the attack). */
bool pi_learned_vouches(const pi_learned *l, size_t sig);

/* Whether the model gives no opinion on an input with signals sig: at
 * least 30 % of its letters are in scripts (script.h, the "script:"
 * signals) that no benign row of its training data was written in, so what
 * it learned of them is the script itself as a sign of injection. A model
 * that reads no script signal never abstains so. */
bool pi_learned_abstains(const pi_learned *l, const float *sig);

/* The calibrated p of one text from its pooled features (trawl_model_pool,
 * which returned words) and the input's signals sig[0..n) in the
 * detector's order. 0 when the model abstains (too few words). */
double pi_learned_prob(const pi_learned *l, const float *pre, size_t words, const float *sig);

/* Adds evidence lines to v: the top k terms of the logit for the text t
 * (pre and words: its pooled features, or NULL to pool t again) with
 * signals sig ("+1.83 rule:instruction_override.ignore_the_above"),
 * then the rest as one line. -1 on out-of-memory. */
int pi_learned_explain(const pi_learned *l, const uint8_t *t, size_t n, const float *pre,
                       size_t words, const float *sig, trawl_violation *v, size_t k);

#endif
