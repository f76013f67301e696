/* cache.c -- sharded LRU cache bounded by entries and bytes, optional TTL.
 *
 * Each shard is an open hash table (chained) plus an intrusive doubly
 * linked LRU list, under the shard's own mutex. Keys are already uniform
 * 128-bit hashes, so the shard is picked from the high word and the bucket
 * from the low word. Bounds are divided evenly among shards. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include <trawl/serve.h>

typedef struct centry {
    trawl_key128 key;
    struct centry *hnext;       /* bucket chain */
    struct centry *prev, *next; /* LRU: head = most recent */
    uint64_t expires_ms;        /* 0 = never */
    size_t len;
    char val[];
} centry;

typedef struct shard {
    pthread_mutex_t mu;
    centry **buckets;
    size_t nbuckets; /* power of two */
    centry *head, *tail;
    size_t entries, bytes;
    size_t max_entries, max_bytes;
    uint64_t hits, misses, evictions, expirations, inserts;
} shard;

struct trawl_cache {
    shard *shards;
    size_t nshards; /* power of two */
    uint64_t ttl_ms;
    uint64_t (*clock_ms)(void *);
    void *clock_ud;
};

size_t trawl_cache_entry_cost(size_t len)
{
    return sizeof(centry) + len + 1;
}

static uint64_t mono_ms(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n && p < ((size_t)1 << 20))
        p <<= 1;
    return p;
}

trawl_status trawl_cache_new(const trawl_cache_opts *o, trawl_cache **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    trawl_cache_opts d = {0};
    if (!o)
        o = &d;
    trawl_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    c->nshards = pow2_at_least(o->shards ? o->shards : 16);
    c->ttl_ms = o->ttl_ms;
    c->clock_ms = o->clock_ms ? o->clock_ms : mono_ms;
    c->clock_ud = o->clock_ud;
    c->shards = calloc(c->nshards, sizeof(*c->shards));
    if (!c->shards) {
        free(c);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    size_t per_entries = o->max_entries ? (o->max_entries + c->nshards - 1) / c->nshards : 0;
    size_t per_bytes = o->max_bytes ? (o->max_bytes + c->nshards - 1) / c->nshards : 0;
    size_t nb = pow2_at_least(per_entries ? per_entries : 1024);
    for (size_t i = 0; i < c->nshards; i++) {
        shard *s = &c->shards[i];
        pthread_mutex_init(&s->mu, NULL);
        s->max_entries = per_entries;
        s->max_bytes = per_bytes;
        s->nbuckets = nb;
        s->buckets = calloc(nb, sizeof(*s->buckets));
        if (!s->buckets) {
            c->nshards = i + 1;
            trawl_cache_free(c);
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        }
    }
    *out = c;
    return TRAWL_OK;
}

void trawl_cache_free(trawl_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nshards; i++) {
        shard *s = &c->shards[i];
        for (centry *e = s->head, *n; e; e = n) {
            n = e->next;
            free(e);
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->mu);
    }
    free(c->shards);
    free(c);
}

static shard *shard_of(trawl_cache *c, trawl_key128 k)
{
    return &c->shards[(k.hi >> 7) & (c->nshards - 1)];
}

static centry **slot_of(shard *s, trawl_key128 k)
{
    centry **p = &s->buckets[k.lo & (s->nbuckets - 1)];
    while (*p && ((*p)->key.lo != k.lo || (*p)->key.hi != k.hi))
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(shard *s, centry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(shard *s, centry *e)
{
    e->prev = NULL;
    e->next = s->head;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

/* Removes e (found at *slot) from table and list and frees it. */
static void remove_entry(shard *s, centry **slot, centry *e)
{
    *slot = e->hnext;
    lru_unlink(s, e);
    s->entries--;
    s->bytes -= trawl_cache_entry_cost(e->len);
    free(e);
}

bool trawl_cache_get(trawl_cache *c, trawl_key128 key, char **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    shard *s = shard_of(c, key);
    uint64_t now = c->ttl_ms ? c->clock_ms(c->clock_ud) : 0;
    pthread_mutex_lock(&s->mu);
    centry **slot = slot_of(s, key);
    centry *e = *slot;
    if (e && e->expires_ms && now >= e->expires_ms) {
        remove_entry(s, slot, e);
        s->expirations++;
        e = NULL;
    }
    if (!e) {
        s->misses++;
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    char *copy = malloc(e->len + 1);
    if (copy) {
        memcpy(copy, e->val, e->len + 1);
        *len = e->len;
        lru_unlink(s, e);
        lru_push_front(s, e);
        s->hits++;
    } else {
        s->misses++;
    }
    pthread_mutex_unlock(&s->mu);
    *val = copy;
    return copy != NULL;
}

static void evict_until_fits(shard *s, size_t add_bytes)
{
    while (s->tail && ((s->max_entries && s->entries + 1 > s->max_entries) ||
                       (s->max_bytes && s->bytes + add_bytes > s->max_bytes))) {
        centry *e = s->tail;
        remove_entry(s, slot_of(s, e->key), e);
        s->evictions++;
    }
}

trawl_status trawl_cache_put(trawl_cache *c, trawl_key128 key, const void *val, size_t len)
{
    shard *s = shard_of(c, key);
    size_t cost = trawl_cache_entry_cost(len);
    if (s->max_bytes && cost > s->max_bytes)
        return TRAWL_ELIMIT;
    centry *e = malloc(sizeof(*e) + len + 1);
    if (!e)
        return TRAWL_ENOMEM;
    e->key = key;
    e->len = len;
    memcpy(e->val, val, len);
    e->val[len] = '\0';
    e->expires_ms = c->ttl_ms ? c->clock_ms(c->clock_ud) + c->ttl_ms : 0;
    pthread_mutex_lock(&s->mu);
    centry **slot = slot_of(s, key);
    if (*slot)
        remove_entry(s, slot, *slot);
    evict_until_fits(s, cost);
    slot = slot_of(s, key);
    e->hnext = NULL;
    *slot = e;
    lru_push_front(s, e);
    s->entries++;
    s->bytes += cost;
    s->inserts++;
    pthread_mutex_unlock(&s->mu);
    return TRAWL_OK;
}

void trawl_cache_stats_get(trawl_cache *c, trawl_cache_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < c->nshards; i++) {
        shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        st->hits += s->hits;
        st->misses += s->misses;
        st->evictions += s->evictions;
        st->expirations += s->expirations;
        st->inserts += s->inserts;
        st->entries += s->entries;
        st->bytes += s->bytes;
        pthread_mutex_unlock(&s->mu);
    }
}
