/* rules.h -- the rule packs under rules/, embedded in the library at build
 * time (cmake/embed.cmake), so that no file is needed at run time. */
#ifndef TRAWL_DETECT_RULES_H
#define TRAWL_DETECT_RULES_H

#include <stddef.h>

typedef struct det_rule_pack {
    const char *name; /* file name without .rules */
    const char *text; /* NUL-terminated */
    size_t len;
} det_rule_pack;

/* Terminated by an entry whose name is NULL. */
extern const det_rule_pack det_rule_packs[];

/* The pack called name, or NULL. */
const det_rule_pack *det_rules_find(const char *name);

#endif
