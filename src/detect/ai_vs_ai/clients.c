/* ai_vs_ai/clients.c -- a hash table of clients threaded on an LRU list. Every
 * structure here is bounded (see the header); nothing grows with the number
 * of requests. */
#include "detect/ai_vs_ai/clients.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define BUCKETS 60

typedef struct window {
    uint64_t bucket_ms;
    uint64_t latest; /* newest bucket id seen */
    uint64_t id[BUCKETS];
    uint32_t n[BUCKETS];
} window;

typedef struct client {
    struct client *chain;       /* hash bucket */
    struct client *prev, *next; /* LRU, head = most recent */
    uint64_t hash;
    uint64_t total;
    window rate, extraction;
    aiva_qrec *ring;
    size_t cap, len, head; /* ring: oldest at head */
    size_t id_len;
    char id[];
} client;

struct aiva_clients {
    pthread_mutex_t lock;
    aiva_clients_cfg cfg;
    client **table;
    size_t mask, count;
    client *lru_head, *lru_tail;
};

trawl_status aiva_clients_new(const aiva_clients_cfg *cfg, aiva_clients **out)
{
    *out = NULL;
    aiva_clients *c = calloc(1, sizeof(*c));
    if (!c)
        return TRAWL_ENOMEM;
    c->cfg = *cfg;
    if (c->cfg.max_clients < 1)
        c->cfg.max_clients = 1;
    size_t slots = 16;
    while (slots < c->cfg.max_clients * 2)
        slots *= 2;
    c->table = calloc(slots, sizeof(*c->table));
    if (!c->table || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->table);
        free(c);
        return TRAWL_ENOMEM;
    }
    c->mask = slots - 1;
    *out = c;
    return TRAWL_OK;
}

static void client_free(client *k)
{
    if (k) {
        free(k->ring);
        free(k);
    }
}

void aiva_clients_free(aiva_clients *c)
{
    if (!c)
        return;
    for (client *k = c->lru_head, *n; k; k = n) {
        n = k->next;
        client_free(k);
    }
    free(c->table);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The key of an id: itself when short, else a prefix and the hash of the
 * whole (so that long ids cost bounded memory). */
static size_t make_key(const char *id, size_t len, char *key)
{
    if (len <= AIVA_ID_MAX) {
        memcpy(key, id, len);
        return len;
    }
    size_t pre = AIVA_ID_MAX - 17;
    memcpy(key, id, pre);
    snprintf(key + pre, 18, "#%016llx", (unsigned long long)XXH3_64bits(id, len));
    return AIVA_ID_MAX;
}

static client *lookup(aiva_clients *c, const char *key, size_t len, uint64_t h)
{
    for (client *k = c->table[h & c->mask]; k; k = k->chain)
        if (k->hash == h && k->id_len == len && !memcmp(k->id, key, len))
            return k;
    return NULL;
}

static void lru_unlink(aiva_clients *c, client *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        c->lru_head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        c->lru_tail = k->prev;
    k->prev = k->next = NULL;
}

static void lru_push_front(aiva_clients *c, client *k)
{
    k->next = c->lru_head;
    k->prev = NULL;
    if (c->lru_head)
        c->lru_head->prev = k;
    c->lru_head = k;
    if (!c->lru_tail)
        c->lru_tail = k;
}

static void evict_oldest(aiva_clients *c)
{
    client *k = c->lru_tail;
    if (!k)
        return;
    lru_unlink(c, k);
    for (client **pp = &c->table[k->hash & c->mask]; *pp; pp = &(*pp)->chain) {
        if (*pp == k) {
            *pp = k->chain;
            break;
        }
    }
    c->count--;
    client_free(k);
}

static void window_init(window *w, uint64_t window_ms)
{
    memset(w, 0, sizeof(*w));
    w->bucket_ms = (window_ms + BUCKETS - 1) / BUCKETS;
    if (w->bucket_ms == 0)
        w->bucket_ms = 1;
}

static void window_add(window *w, uint64_t t_ms)
{
    uint64_t id = t_ms / w->bucket_ms;
    if (id > w->latest)
        w->latest = id;
    if (id + BUCKETS <= w->latest)
        return; /* older than the window: arrived late, not counted */
    size_t slot = id % BUCKETS;
    if (w->id[slot] != id || w->n[slot] == 0) {
        w->id[slot] = id;
        w->n[slot] = 0;
    }
    if (w->n[slot] < UINT32_MAX)
        w->n[slot]++;
}

static uint64_t window_count(const window *w)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < BUCKETS; i++)
        if (w->n[i] && w->id[i] + BUCKETS > w->latest && w->id[i] <= w->latest)
            sum += w->n[i];
    return sum;
}

static int ring_push(aiva_clients *c, client *k, const aiva_qrec *r)
{
    size_t cap_max = c->cfg.history_size;
    if (cap_max == 0)
        return 0;
    if (k->len == k->cap && k->cap < cap_max) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        if (cap > cap_max)
            cap = cap_max;
        aiva_qrec *nr = malloc(cap * sizeof(*nr));
        if (!nr)
            return -1;
        for (size_t i = 0; i < k->len; i++)
            nr[i] = k->ring[(k->head + i) % k->cap];
        free(k->ring);
        k->ring = nr;
        k->cap = cap;
        k->head = 0;
    }
    if (k->len == k->cap) {
        k->ring[k->head] = *r; /* full: overwrite the oldest */
        k->head = (k->head + 1) % k->cap;
    } else {
        k->ring[(k->head + k->len) % k->cap] = *r;
        k->len++;
    }
    return 0;
}

static client *get_client(aiva_clients *c, const char *id, size_t id_len, bool *created)
{
    char key[AIVA_ID_MAX + 1];
    size_t klen = make_key(id, id_len, key);
    uint64_t h = XXH3_64bits(key, klen);
    client *k = lookup(c, key, klen, h);
    *created = false;
    if (k) {
        lru_unlink(c, k);
        lru_push_front(c, k);
        return k;
    }
    k = calloc(1, sizeof(*k) + klen);
    if (!k)
        return NULL;
    memcpy(k->id, key, klen);
    k->id_len = klen;
    k->hash = h;
    window_init(&k->rate, c->cfg.rate_window_ms);
    window_init(&k->extraction, c->cfg.extraction_window_ms);
    while (c->count >= c->cfg.max_clients)
        evict_oldest(c);
    k->chain = c->table[h & c->mask];
    c->table[h & c->mask] = k;
    lru_push_front(c, k);
    c->count++;
    *created = true;
    return k;
}

trawl_status aiva_clients_observe(aiva_clients *c, const char *id, size_t id_len, uint64_t now_ms,
                                  const aiva_qrec *cur, const aiva_qrec *seed, size_t n_seed,
                                  aiva_qrec *hist, size_t hist_cap, aiva_observation *obs)
{
    memset(obs, 0, sizeof(*obs));
    trawl_status st = TRAWL_OK;
    pthread_mutex_lock(&c->lock);
    client *k = get_client(c, id, id_len, &obs->new_client);
    if (!k) {
        st = TRAWL_ENOMEM;
        goto out;
    }
    if (obs->new_client) {
        size_t from = n_seed > c->cfg.history_size ? n_seed - c->cfg.history_size : 0;
        for (size_t i = from; i < n_seed; i++)
            if (ring_push(c, k, &seed[i]) != 0) {
                st = TRAWL_ENOMEM;
                goto out;
            }
    }
    k->total++;
    window_add(&k->rate, now_ms);
    window_add(&k->extraction, now_ms);
    obs->rate_count = window_count(&k->rate);
    obs->extraction_count = window_count(&k->extraction);
    obs->total = k->total;
    size_t n = k->len < hist_cap ? k->len : hist_cap;
    for (size_t i = 0; i < n; i++)
        hist[i] = k->ring[(k->head + (k->len - n) + i) % k->cap];
    obs->n_hist = n;
    if (cur && ring_push(c, k, cur) != 0)
        st = TRAWL_ENOMEM;
out:
    pthread_mutex_unlock(&c->lock);
    return st;
}

size_t aiva_clients_count(aiva_clients *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

uint64_t aiva_clients_total(aiva_clients *c, const char *id, size_t id_len)
{
    char key[AIVA_ID_MAX + 1];
    size_t klen = make_key(id, id_len, key);
    uint64_t h = XXH3_64bits(key, klen);
    pthread_mutex_lock(&c->lock);
    client *k = lookup(c, key, klen, h);
    uint64_t t = k ? k->total : 0;
    pthread_mutex_unlock(&c->lock);
    return t;
}
