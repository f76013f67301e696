/* collect.c -- trawl_scan_collect(): a block scan that returns its matches in
 * one array. A binding through a foreign-function interface pays for every
 * callback (cffi: about a microsecond to enter Python and come back); this
 * one call replaces a call per match. The array grows by doubling, so a scan
 * with n matches costs O(n) amortised copies beyond what trawl_scan costs. */
#include "common/error.h"

#include <stdbool.h>
#include <stdlib.h>

#include <trawl/pattern.h>

typedef struct collector {
    trawl_match *items;
    size_t n, cap, max;
    bool oom;
} collector;

static int collect_one(const trawl_match *m, void *user)
{
    collector *c = user;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        trawl_match *p = realloc(c->items, cap * sizeof(*p));
        if (!p) {
            c->oom = true;
            return 1;
        }
        c->items = p;
        c->cap = cap;
    }
    c->items[c->n++] = *m;
    return c->max && c->n >= c->max;
}

trawl_status trawl_scan_collect(const trawl_pattern_db *db, trawl_scratch *s, const uint8_t *data,
                                size_t len, unsigned scan_flags, size_t max, trawl_match **out,
                                size_t *n, trawl_error *err)
{
    trawl_error_clear(err);
    if (!out || !n)
        return trawl__fail(err, TRAWL_EINVAL, "out and n are required");
    *out = NULL;
    *n = 0;
    collector c = {.max = max};
    trawl_status st = trawl_scan(db, s, data, len, scan_flags, collect_one, &c, err);
    if (c.oom) {
        free(c.items);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory after %zu matches", c.n);
    }
    if (st != TRAWL_OK && st != TRAWL_ESTOPPED) {
        free(c.items);
        return st;
    }
    *out = c.items;
    *n = c.n;
    return st;
}

void trawl_matches_free(trawl_match *m)
{
    free(m);
}
