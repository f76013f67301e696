/* config.c -- the detectors' configuration file (format in config.h). */
#include "detect/config.h"

#include <trawl/pattern.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/detector.h"

typedef struct entry {
    char *section, *key, *value;
} entry;

struct det_config {
    entry *e;
    size_t n, cap;
    const char *cache_dir; /* borrowed from the engine's creator; NULL = none */
};

static char *dup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void det_config_free(det_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].section);
        free(c->e[i].key);
        free(c->e[i].value);
    }
    free(c->e);
    free(c);
}

static bool known_section(const char *s)
{
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (!strcmp(s, trawl_detector_name(1u << i)))
            return true;
    return false;
}

static trawl_status line_error(trawl_error *err, int line, int col, const char *msg)
{
    trawl__fail(err, TRAWL_ESYNTAX, "%s", msg);
    if (err) {
        err->line = line;
        err->column = col;
    }
    return TRAWL_ESYNTAX;
}

trawl_status det_config_parse(const char *text, size_t len, det_config **out, trawl_error *err)
{
    trawl_error_clear(err);
    det_config *c = calloc(1, sizeof(*c));
    if (!c)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    char section[64] = "";
    int lineno = 0;
    trawl_status st = TRAWL_OK;
    for (size_t pos = 0; pos < len && st == TRAWL_OK;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t n = end - pos, i = 0;
        pos = end + 1;
        lineno++;
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i == n || line[i] == '#')
            continue;
        if (line[i] == '[') {
            const char *close = memchr(line + i, ']', n - i);
            size_t sl = close ? (size_t)(close - line - i - 1) : 0;
            if (!close || sl == 0 || sl >= sizeof(section)) {
                st = line_error(err, lineno, (int)i + 1, "expected [section]");
                break;
            }
            memcpy(section, line + i + 1, sl);
            section[sl] = 0;
            if (!known_section(section))
                st = line_error(err, lineno, (int)i + 2,
                                "unknown section (expected a detector name)");
            continue;
        }
        const char *eq = memchr(line + i, '=', n - i);
        if (!eq) {
            st = line_error(err, lineno, (int)i + 1, "expected key = value");
            break;
        }
        if (!section[0]) {
            st = line_error(err, lineno, (int)i + 1, "setting before any [section]");
            break;
        }
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            entry *e = realloc(c->e, cap * sizeof(*e));
            if (!e) {
                st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                break;
            }
            c->e = e;
            c->cap = cap;
        }
        entry *e = &c->e[c->n];
        e->section = dup_trim(section, strlen(section));
        e->key = dup_trim(line + i, (size_t)(eq - line - i));
        e->value = dup_trim(eq + 1, (size_t)(line + n - eq - 1));
        c->n++;
        if (!e->section || !e->key || !e->value)
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        else if (!e->key[0])
            st = line_error(err, lineno, (int)i + 1, "empty key");
    }
    if (st != TRAWL_OK) {
        det_config_free(c);
        return st;
    }
    *out = c;
    return TRAWL_OK;
}

const char *det_config_get(const det_config *c, const char *section, const char *key)
{
    if (!c)
        return NULL;
    const char *v = NULL; /* the last setting wins */
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key))
            v = c->e[i].value;
    return v;
}

trawl_status det_config_bool(const det_config *c, const char *section, const char *key, bool def,
                             bool *out, trawl_error *err)
{
    const char *v = det_config_get(c, section, key);
    *out = def;
    if (!v)
        return TRAWL_OK;
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = false;
    else
        return trawl__fail(err, TRAWL_EINVAL, "%s.%s: expected true or false, got '%s'", section,
                           key, v);
    return TRAWL_OK;
}

trawl_status det_config_double(const det_config *c, const char *section, const char *key,
                               double def, double *out, trawl_error *err)
{
    const char *v = det_config_get(c, section, key);
    *out = def;
    if (!v)
        return TRAWL_OK;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno)
        return trawl__fail(err, TRAWL_EINVAL, "%s.%s: expected a number, got '%s'", section, key,
                           v);
    *out = d;
    return TRAWL_OK;
}

void det_config_list_free(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

trawl_status det_config_list(const det_config *c, const char *section, const char *key,
                             char ***items, size_t *n, trawl_error *err)
{
    *items = NULL;
    *n = 0;
    const char *v = det_config_get(c, section, key);
    if (!v || !*v)
        return TRAWL_OK;
    size_t count = 1;
    for (const char *p = v; *p; p++)
        count += *p == ',';
    char **out = calloc(count, sizeof(*out));
    if (!out)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t k = 0;
    for (const char *p = v;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *item = dup_trim(p, len);
        if (!item) {
            det_config_list_free(out, k);
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        }
        if (*item)
            out[k++] = item;
        else
            free(item);
        if (!comma)
            break;
        p = comma + 1;
    }
    *items = out;
    *n = k;
    return TRAWL_OK;
}

void det_config_set_cache_dir(det_config *c, const char *dir)
{
    c->cache_dir = dir;
}

trawl_status det_compile(const det_config *c, const trawl_pattern_set *set, unsigned flags,
                         trawl_pattern_db **out, trawl_error *err)
{
    return trawl_pattern_compile_cached(set, flags, c ? c->cache_dir : NULL, out, NULL, err);
}
