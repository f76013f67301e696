/* prompt_injection.h -- the prompt-injection detector's internal surface:
 * its ops table lives in detector.h; this header adds the seam for a tier-2
 * scorer (a trained classifier, a later issue) and the names tests use.
 * Internal to src/detect/. */
#ifndef TRAWL_DETECT_PROMPT_INJECTION_H
#define TRAWL_DETECT_PROMPT_INJECTION_H

#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>

/* A tier-2 scorer. score() receives the normalised view of one text (lower
 * case, confusables folded, invisible characters removed, white space
 * collapsed; see normalize.h), exactly the bytes the tier-1 rules matched
 * against, and sets *p to the probability that it is an injection. It is
 * called from many threads at once and must not keep per-call state in
 * model. A non-OK status fails the run with err filled.
 *
 * trawl ships no scorer: tier 1 is the rule pack. When a scorer is installed,
 * run() adds a violation of category "model" with confidence *p whenever *p
 * is at least report_min, with evidence naming the scorer. */
typedef struct pi_scorer {
    const char *name;
    trawl_status (*score)(void *model, const uint8_t *text, size_t len, double *p,
                          trawl_error *err);
    void *model;
} pi_scorer;

/* Installs (or, with NULL, removes) the scorer on a prompt_injection state
 * made by det_prompt_injection_ops.create. Must happen before any thread
 * runs the detector: the state is read-only once shared. The scorer is
 * copied; model stays the caller's. */
void det_prompt_injection_set_scorer(void *state, const pi_scorer *s);

/* Number of rules compiled into a state (for tests and docs). */
size_t det_prompt_injection_rule_count(const void *state);

#endif
