/* coalesce.c -- run concurrent identical requests once.
 *
 * In-flight keys live in a sharded table. A waiter takes a reference on the
 * key's flight record under the shard lock, drops the shard lock, and then
 * sleeps on the record's own condition variable: a distinct request never
 * waits behind another key's work (the Python coalescer held one global lock
 * while waiting). The leader runs the function with no lock held. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include <trawl/serve.h>

typedef struct flight {
    trawl_key128 key;
    struct flight *next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* guarded by the shard lock */
    bool done;
    trawl_status st;
    trawl_error err;
    char *val;
    size_t len;
} flight;

typedef struct cshard {
    pthread_mutex_t mu;
    flight *list;
} cshard;

struct trawl_coalescer {
    cshard *shards;
    size_t n;
    _Atomic uint64_t shared;
};

trawl_status trawl_coalescer_new(size_t shards, trawl_coalescer **out)
{
    *out = NULL;
    size_t n = 1;
    while (n < (shards ? shards : 64) && n < 4096)
        n <<= 1;
    trawl_coalescer *co = calloc(1, sizeof(*co));
    if (!co)
        return TRAWL_ENOMEM;
    co->shards = calloc(n, sizeof(*co->shards));
    if (!co->shards) {
        free(co);
        return TRAWL_ENOMEM;
    }
    co->n = n;
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&co->shards[i].mu, NULL);
    atomic_init(&co->shared, 0);
    *out = co;
    return TRAWL_OK;
}

void trawl_coalescer_free(trawl_coalescer *co)
{
    if (!co)
        return;
    for (size_t i = 0; i < co->n; i++)
        pthread_mutex_destroy(&co->shards[i].mu);
    free(co->shards);
    free(co);
}

uint64_t trawl_coalescer_shared_count(trawl_coalescer *co)
{
    return atomic_load_explicit(&co->shared, memory_order_relaxed);
}

static void flight_unref(cshard *s, flight *f)
{
    pthread_mutex_lock(&s->mu);
    int left = --f->refs;
    pthread_mutex_unlock(&s->mu);
    if (left)
        return;
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->val);
    free(f);
}

/* Hands f's outcome to one caller as a copy. */
static trawl_status take_copy(flight *f, char **out, size_t *len, trawl_error *err)
{
    if (f->st != TRAWL_OK) {
        if (err)
            *err = f->err;
        return f->st;
    }
    char *v = malloc(f->len + 1);
    if (!v)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    memcpy(v, f->val, f->len);
    v[f->len] = '\0';
    *out = v;
    *len = f->len;
    return TRAWL_OK;
}

trawl_status trawl_coalesce(trawl_coalescer *co, trawl_key128 key, trawl_coalesce_fn fn, void *ud,
                            char **out, size_t *len, bool *shared, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    *len = 0;
    *shared = false;
    cshard *s = &co->shards[(key.hi ^ (key.hi >> 17)) & (co->n - 1)];
    pthread_mutex_lock(&s->mu);
    flight *f = s->list;
    while (f && (f->key.lo != key.lo || f->key.hi != key.hi))
        f = f->next;
    if (f) { /* a waiter */
        f->refs++;
        pthread_mutex_unlock(&s->mu);
        pthread_mutex_lock(&f->mu);
        while (!f->done)
            pthread_cond_wait(&f->cv, &f->mu);
        pthread_mutex_unlock(&f->mu);
        trawl_status st = take_copy(f, out, len, err);
        *shared = true;
        atomic_fetch_add_explicit(&co->shared, 1, memory_order_relaxed);
        flight_unref(s, f);
        return st;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        pthread_mutex_unlock(&s->mu);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    f->key = key;
    f->refs = 1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->next = s->list;
    s->list = f;
    pthread_mutex_unlock(&s->mu);

    trawl_error_clear(&f->err);
    char *v = NULL;
    size_t n = 0;
    trawl_status st = fn(ud, &v, &n, &f->err);
    f->err.status = st;

    /* Unpublish first: a caller arriving from now on starts a new run. */
    pthread_mutex_lock(&s->mu);
    for (flight **p = &s->list; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    bool alone = f->refs == 1; /* no waiter joined, and none can now */
    pthread_mutex_unlock(&s->mu);
    if (alone) { /* the common case: the value goes to the leader uncopied */
        if (st == TRAWL_OK) {
            *out = v;
            *len = n;
        } else {
            free(v);
            if (err)
                *err = f->err;
        }
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        free(f);
        return st;
    }

    pthread_mutex_lock(&f->mu);
    f->st = st;
    f->val = st == TRAWL_OK ? v : NULL;
    f->len = st == TRAWL_OK ? n : 0;
    if (st != TRAWL_OK)
        free(v);
    f->done = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);

    st = take_copy(f, out, len, err);
    flight_unref(s, f);
    return st;
}
