/* key.c -- request keys: canonical JSON hashed with seeded XXH3-128.
 *
 * The canonical form is fed to the hash as it is walked, never printed:
 * each value is a type byte, then for a string or member name its length
 * and bytes, for a number the bits of its double, for an array or object
 * its member count and members (object members sorted by name). The
 * length prefixes make the stream prefix-free, so two documents give one
 * stream only when they are equal up to member order and number spelling
 * (1, 1.0 and 1e0 are one double, which is all the detectors see). No
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

#include <cjson/cJSON.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "common/error.h"
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

static int cmp_items(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static void sort_members(cJSON **v, size_t n)
{
    if (n > 64) {
        qsort(v, n, sizeof(*v), cmp_items);
        return;
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort keeps duplicates stable */
        cJSON *t = v[i];
        size_t j = i;
        while (j > 0 && strcmp(v[j - 1]->string, t->string) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
}

/* Sorts every object's members by key, recursively. Duplicate keys keep
 * their relative order (insertion sort is stable; qsort, for objects over
 * 64 members, is not, and duplicate keys are then ordered arbitrarily --
 * a possible cache miss, never a wrong hit: the stream still holds every
 * member). */
static int canon(cJSON *node, int depth)
{
    if (depth > 256)
        return -1;
    for (cJSON *c = node->child; c; c = c->next)
        if (canon(c, depth + 1))
            return -1;
    if (!cJSON_IsObject(node) || !node->child || !node->child->next)
        return 0;
    size_t n = 0;
    for (cJSON *c = node->child; c; c = c->next)
        n++;
    cJSON *small[16];
    cJSON **v = n <= 16 ? small : malloc(n * sizeof(*v));
    if (!v)
        return -1;
    n = 0;
    for (cJSON *c = node->child; c; c = c->next)
        v[n++] = c;
    sort_members(v, n);
    for (size_t i = 0; i < n; i++) {
        v[i]->prev = i ? v[i - 1] : v[n - 1];
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    }
    node->child = v[0];
    if (v != small)
        free(v);
    return 0;
}

static void feed_bytes(XXH3_state_t *h, uint8_t type, const char *p, size_t n)
{
    uint64_t len = n;
    XXH3_128bits_update(h, &type, 1);
    XXH3_128bits_update(h, &len, sizeof(len));
    XXH3_128bits_update(h, p, n);
}

/* Feeds a canonicalised node (depth bounded by canon). */
static void feed(XXH3_state_t *h, const cJSON *node)
{
    if (node->string)
        feed_bytes(h, 'k', node->string, strlen(node->string));
    if (cJSON_IsString(node)) {
        feed_bytes(h, 's', node->valuestring, strlen(node->valuestring));
    } else if (cJSON_IsNumber(node)) {
        uint8_t t = 'n';
        double d = node->valuedouble;
        XXH3_128bits_update(h, &t, 1);
        XXH3_128bits_update(h, &d, sizeof(d));
    } else if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
        uint64_t n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            n++;
        feed_bytes(h, cJSON_IsArray(node) ? 'a' : 'o', (const char *)&n, sizeof(n));
        for (const cJSON *c = node->child; c; c = c->next)
            feed(h, c);
    } else {
        uint8_t t = cJSON_IsTrue(node) ? 't' : cJSON_IsFalse(node) ? 'f' : 'z';
        XXH3_128bits_update(h, &t, 1);
    }
}

trawl_status trawl__serve_key_cjson(cJSON *root, uint32_t tag, trawl_key128 *out, trawl_error *err)
{
    if (canon(root, 0))
        return trawl__fail(err, TRAWL_ELIMIT, "JSON nested too deeply or out of memory");
    pthread_once(&seed_once, seed_init);
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset_withSeed(&h, key_seed);
    XXH3_128bits_update(&h, &tag, sizeof(tag));
    feed(&h, root);
    XXH128_hash_t d = XXH3_128bits_digest(&h);
    out->lo = d.low64;
    out->hi = d.high64;
    return TRAWL_OK;
}

trawl_status trawl_serve_key_json(const char *json, size_t len, uint32_t tag, trawl_key128 *out,
                                  trawl_error *err)
{
    trawl_error_clear(err);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root)
        return trawl__fail_at(err, TRAWL_EFORMAT, end ? (int64_t)(end - json) : -1, -1,
                              "malformed JSON");
    trawl_status st = trawl__serve_key_cjson(root, tag, out, err);
    cJSON_Delete(root);
    return st;
}

trawl_key128 trawl__serve_key_scope(trawl_key128 key, uint64_t tenant)
{
    uint64_t v[3] = {key.lo, key.hi, tenant};
    return trawl_serve_hash(v, sizeof(v));
}
