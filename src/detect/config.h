/* config.h -- the detectors' configuration file.
 *
 *     # comment
 *     [shadow_ai]
 *     enabled = true
 *     allow = api.openai.com, .corp.example.com
 *     gpu_memory_percent = 50
 *
 * Sections are detector names; keys and values are trimmed; a value is a
 * string that the detector reads as a bool, number or comma list. Unknown
 * sections are errors (a typo should not silently disable a setting). */
#ifndef TRAWL_DETECT_CONFIG_H
#define TRAWL_DETECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <trawl/common.h>
#include <trawl/pattern.h>

typedef struct det_config det_config;

trawl_status det_config_parse(const char *text, size_t len, det_config **out, trawl_error *err);
void det_config_free(det_config *c);

/* The value of section.key, or NULL. */
const char *det_config_get(const det_config *c, const char *section, const char *key);
/* Typed reads: the default when absent; TRAWL_EINVAL naming the key when
 * the value does not parse. */
trawl_status det_config_bool(const det_config *c, const char *section, const char *key, bool def,
                             bool *out, trawl_error *err);
trawl_status det_config_double(const det_config *c, const char *section, const char *key,
                               double def, double *out, trawl_error *err);
/* Splits a comma list into a malloc'd array of malloc'd trimmed strings. An
 * absent key gives 0 items. Free with det_config_list_free. */
trawl_status det_config_list(const det_config *c, const char *section, const char *key,
                             char ***items, size_t *n, trawl_error *err);
void det_config_list_free(char **items, size_t n);

/* Where compiled rule packs are cached (trawl_pattern_compile_cached);
 * dir is borrowed and must outlive the detectors' create(). */
void det_config_set_cache_dir(det_config *c, const char *dir);
/* Compiles a detector's rule pack through the cache, if any. */
trawl_status det_compile(const det_config *c, const trawl_pattern_set *set, unsigned flags,
                         trawl_pattern_db **out, trawl_error *err);

#endif
