/* embedded.h -- the rule packs under rules/ and the model files under
 * models/, embedded in the library at build time (cmake/embed.cmake), so
 * that no file is needed at run time. Any layer may read them (the
 * detectors, firmware/); the bytes of a model are untrusted until its
 * loader has checked them. */
#ifndef TRAWL_COMMON_EMBEDDED_H
#define TRAWL_COMMON_EMBEDDED_H

#include <stddef.h>

typedef struct emb_rule_pack {
    const char *name; /* file name without .rules */
    const char *text; /* NUL-terminated */
    size_t len;
} emb_rule_pack;

typedef struct emb_model_blob {
    const char *name;           /* file name without .tmodel */
    const unsigned char *bytes; /* 16-byte aligned, followed by one NUL, not counted */
    size_t len;
} emb_model_blob;

/* Both terminated by an entry whose name is NULL. */
extern const emb_rule_pack emb_rule_packs[];
extern const emb_model_blob emb_model_blobs[];

/* The pack or model called name, or NULL. O(number of files). */
const emb_rule_pack *emb_rules_find(const char *name);
const emb_model_blob *emb_models_find(const char *name);

#endif
