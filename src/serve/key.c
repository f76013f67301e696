/* key.c -- request keys: canonical JSON hashed with seeded XXH3-128.
 *
 * The canonical form is fed to the hash as it is walked, never printed:
 * each value is a type byte, then for a string or member name its length
 * and bytes, for a number the bits of its double, for an array or object
 * its member count and members (object members sorted by name). The
 * length prefixes make the stream prefix-free, so two documents give one
 * stream only when they are equal up to member order and number spelling
 * (1, 1.0 and 1e0 are one double, which is all the detectors see). The
 * document comes from the strict reader: no duplicate names (so sorting
 * by name is a total order), strings with their full length. No
 * allocation, no number formatting: a third of the cost of printing.
 *
 * Why seeded: the cache and the coalescer trust key equality. An unseeded
 * hash lets a client compute, offline, two different requests with one key
 * and have one answered with the other's result. XXH3 is not a MAC, but with
 * a 64-bit secret seed drawn from getrandom() per process the attacker no
 * longer knows the function; the remaining risk is a generic 2^64 birthday
 * search against a live server, which the request rate makes impractical. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "common/error.h"
#include "common/json.h"
#include "serve/internal.h"
#include <trawl/serve.h>

static uint64_t key_seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s)) {
        /* No entropy source: fall back to time and address bits; weaker,
         * still not predictable offline by a remote client. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts;
    }
    key_seed = s;
}

trawl_key128 trawl_serve_hash(const void *p, size_t n)
{
    pthread_once(&seed_once, seed_init);
    XXH128_hash_t h = XXH3_128bits_withSeed(p, n, key_seed);
    trawl_key128 k = {h.low64, h.high64};
    return k;
}

static int cmp_members(const void *a, const void *b)
{
    const tj_value *x = *(const tj_value *const *)a, *y = *(const tj_value *const *)b;
    size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, m);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static void feed_bytes(XXH3_state_t *h, uint8_t type, const char *p, size_t n)
{
    uint64_t len = n;
    XXH3_128bits_update(h, &type, 1);
    XXH3_128bits_update(h, &len, sizeof(len));
    XXH3_128bits_update(h, p, n);
}

/* Feeds a value, object members sorted by name (the reader refused
 * duplicate names, so the order is total; it also bounded the depth).
 * -1 on OOM. */
static int feed(XXH3_state_t *h, const tj_value *v)
{
    if (v->key)
        feed_bytes(h, 'k', v->key, v->key_len);
    switch (v->type) {
    case TJ_STRING:
        feed_bytes(h, 's', v->str, v->len);
        return 0;
    case TJ_NUMBER: {
        uint8_t t = 'n';
        XXH3_128bits_update(h, &t, 1);
        XXH3_128bits_update(h, &v->num, sizeof(v->num));
        return 0;
    }
    case TJ_ARRAY:
    case TJ_OBJECT:
        break;
    default: {
        uint8_t t = v->type == TJ_TRUE ? 't' : v->type == TJ_FALSE ? 'f' : 'z';
        XXH3_128bits_update(h, &t, 1);
        return 0;
    }
    }
    uint64_t n = v->n;
    feed_bytes(h, v->type == TJ_ARRAY ? 'a' : 'o', (const char *)&n, sizeof(n));
    if (v->type == TJ_ARRAY) {
        for (const tj_value *c = v->child; c; c = c->next)
            if (feed(h, c))
                return -1;
        return 0;
    }
    const tj_value *small[16];
    const tj_value **m = n <= 16 ? small : malloc(n * sizeof(*m));
    if (!m)
        return -1;
    size_t k = 0;
    for (const tj_value *c = v->child; c; c = c->next)
        m[k++] = c;
    qsort(m, k, sizeof(*m), cmp_members);
    int rc = 0;
    for (size_t i = 0; i < k && !rc; i++)
        rc = feed(h, m[i]);
    if (m != small)
        free(m);
    return rc;
}

trawl_status trawl__serve_key_tree(const tj_value *root, uint32_t tag, trawl_key128 *out,
                                   trawl_error *err)
{
    pthread_once(&seed_once, seed_init);
    return trawl__serve_key_tree_seeded(root, tag, key_seed, out, err);
}

uint64_t trawl__serve_config_digest(const char *text, size_t len)
{
    uint8_t d[32];
    trawl__sha256(text ? text : "", text ? len : 0, d);
    uint64_t v;
    memcpy(&v, d, sizeof v);
    return v;
}

trawl_status trawl__serve_key_tree_seeded(const tj_value *root, uint32_t tag, uint64_t seed,
                                          trawl_key128 *out, trawl_error *err)
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset_withSeed(&h, seed);
    XXH3_128bits_update(&h, &tag, sizeof(tag));
    if (feed(&h, root))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    XXH128_hash_t d = XXH3_128bits_digest(&h);
    out->lo = d.low64;
    out->hi = d.high64;
    return TRAWL_OK;
}

trawl_status trawl_serve_key_json(const char *json, size_t len, uint32_t tag, trawl_key128 *out,
                                  trawl_error *err)
{
    trawl_error_clear(err);
    tj_doc *doc;
    trawl_status st = trawl__json_parse(json, len, 0, &doc, err);
    if (st != TRAWL_OK)
        return st;
    st = trawl__serve_key_tree(trawl__json_root(doc), tag, out, err);
    trawl__json_free(doc);
    return st;
}

trawl_key128 trawl__serve_key_scope(trawl_key128 key, uint64_t tenant)
{
    uint64_t v[3] = {key.lo, key.hi, tenant};
    return trawl_serve_hash(v, sizeof(v));
}
