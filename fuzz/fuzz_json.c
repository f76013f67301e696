/* fuzz_json.c -- the strict JSON reader on arbitrary bytes: it either
 * refuses with an offset inside the input, or gives a tree whose counts,
 * offsets and string lengths agree with what it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const tj_value *v, size_t size, unsigned depth)
{
    if (depth > TJ_MAX_DEPTH || v->off >= size)
        abort();
    if (v->type == TJ_STRING && (v->len > size || v->str[v->len] != 0))
        abort();
    uint32_t n = 0;
    for (const tj_value *c = v->child; c; c = c->next, n++) {
        if (v->type == TJ_OBJECT) {
            if (!c->key || c->key_len > size)
                abort();
            for (const tj_value *d = c->next; d; d = d->next)
                if (d->key_len == c->key_len && !memcmp(d->key, c->key, c->key_len))
                    abort(); /* a duplicate got through */
        }
        walk(c, size, depth + 1);
    }
    if (n != v->n || ((v->type != TJ_ARRAY && v->type != TJ_OBJECT) && n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tj_doc *d = (tj_doc *)data;
    trawl_error err;
    trawl_status st = trawl__json_parse((const char *)data, size, 100000, &d, &err);
    if (st != TRAWL_OK) {
        if (d || err.offset < 0 || err.offset > (int64_t)size)
            abort();
        return 0;
    }
    walk(trawl__json_root(d), size, 0);
    trawl__json_free(d);
    return 0;
}
