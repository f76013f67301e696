/* key.c -- request keys: canonical JSON hashed with seeded XXH3-128.
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

/* Sorts every object's members by key, recursively. Duplicate keys keep
 * their relative order (the sort is made stable by a merge of an array). */
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
    cJSON **v = malloc(n * sizeof(*v));
    if (!v)
        return -1;
    n = 0;
    for (cJSON *c = node->child; c; c = c->next)
        v[n++] = c;
    /* insertion sort keeps duplicates stable; objects are small */
    if (n > 64) {
        qsort(v, n, sizeof(*v), cmp_items);
    } else {
        for (size_t i = 1; i < n; i++) {
            cJSON *t = v[i];
            size_t j = i;
            while (j > 0 && strcmp(v[j - 1]->string, t->string) > 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = t;
        }
    }
    for (size_t i = 0; i < n; i++) {
        v[i]->prev = i ? v[i - 1] : v[n - 1];
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    }
    node->child = v[0];
    free(v);
    return 0;
}

trawl_status trawl__serve_key_cjson(cJSON *root, uint32_t tag, trawl_key128 *out, trawl_error *err)
{
    if (canon(root, 0))
        return trawl__fail(err, TRAWL_ELIMIT, "JSON nested too deeply or out of memory");
    char *s = cJSON_PrintUnformatted(root);
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t n = strlen(s);
    char *buf = malloc(n + 4);
    if (!buf) {
        cJSON_free(s);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    memcpy(buf, &tag, 4);
    memcpy(buf + 4, s, n);
    cJSON_free(s);
    *out = trawl_serve_hash(buf, n + 4);
    free(buf);
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
