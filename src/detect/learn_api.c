/* learn_api.c -- the public entry points the trainer (`trawl model train`)
 * uses to see texts as the prompt-injection learned tier sees them. */
#include "detect/batch.h"
#include "detect/detector.h"
#include "detect/prompt_injection/prompt_injection.h"

enum { PI = 0 }; /* bit position of prompt_injection */

size_t trawl_detect_pi_signal_names(const trawl_detect_engine *e, const char *const **names)
{
    *names = NULL;
    const void *st = trawl__detect_engine_state(e, PI);
    return st ? det_prompt_injection_signals(st, names) : 0;
}

trawl_status trawl_detect_pi_features(trawl_detect_engine *e, trawl_detect_ctx *c, const char *text,
                                      size_t len, const uint8_t **norm, size_t *norm_len,
                                      const float **signals, trawl_error *err)
{
    trawl_error_clear(err);
    if (!e || !c || (!text && len) || !norm || !norm_len || !signals)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    const void *st = trawl__detect_engine_state(e, PI);
    void *ts = trawl__detect_ctx_tstate(c, e, PI);
    if (!st || !ts)
        return trawl__fail(err, TRAWL_ESTATE, "prompt_injection is not enabled");
    return det_prompt_injection_features(st, ts, text ? text : "", len, norm, norm_len, signals,
                                         err);
}
