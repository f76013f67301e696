/* registry.c -- the detectors, in bit order. A detector not built yet is
 * NULL and reported as unavailable. */
#include "detect/detector.h"

const detector_ops *const det_all[TRAWL_DET_COUNT] = {
    &det_prompt_injection_ops, &det_shadow_ai_ops, &det_polymorphic_ops,
    &det_synthetic_media_ops,  &det_ai_vs_ai_ops,
};
