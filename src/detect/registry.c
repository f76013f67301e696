/* registry.c -- the detectors, in bit order, and the lookups of the embedded
 * rule packs and models. A detector not built yet is NULL and reported as unavailable. */
#include <string.h>

#include "detect/detector.h"
#include "detect/models.h"
#include "detect/rules.h"

const detector_ops *const det_all[TRAWL_DET_COUNT] = {
    &det_prompt_injection_ops, &det_shadow_ai_ops, &det_polymorphic_ops,
    &det_synthetic_media_ops,  &det_ai_vs_ai_ops,
};

const det_rule_pack *det_rules_find(const char *name)
{
    for (const det_rule_pack *p = det_rule_packs; p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

const det_model_blob *det_models_find(const char *name)
{
    for (const det_model_blob *m = det_model_blobs; m->name; m++)
        if (!strcmp(m->name, name))
            return m;
    return NULL;
}
