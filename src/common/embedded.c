/* embedded.c -- lookups in the tables cmake/embed.cmake generates. */
#include <string.h>

#include "common/embedded.h"

const emb_rule_pack *emb_rules_find(const char *name)
{
    for (const emb_rule_pack *p = emb_rule_packs; p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

const emb_model_blob *emb_models_find(const char *name)
{
    for (const emb_model_blob *m = emb_model_blobs; m->name; m++)
        if (!strcmp(m->name, name))
            return m;
    return NULL;
}
