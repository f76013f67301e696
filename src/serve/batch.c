/* batch.c -- dynamic batching: requests gather until max_batch or until the
 * first of them has waited max_wait_us, then run as one call.
 *
 * One batching thread owns the queue. Each submitter sleeps on its own
 * condition variable in its stack slot until the thread marks it done; every
 * path out of a batch (success, error, short result, shutdown) marks every
 * slot of it done, so no submitter can hang.
 *
 * With max_wait_us = 0, a request that finds the batcher idle (nothing
 * queued, no batch running) would be a batch of one run at once; it runs
 * so on its own thread, which saves the two thread hand-offs (tens of
 * microseconds each on a loaded machine, more than a batch's work here).
 * One batch runs at a time either way: the thread starts none while a
 * caller's runs, and a caller runs none while the thread's does. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include <trawl/serve.h>

typedef struct slot {
    void *req;
    void *resp;
    trawl_status st;
    trawl_error err;
    bool done;
    pthread_cond_t cv;
    struct slot *next;
} slot;

struct trawl_batcher {
    trawl_batcher_opts o;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the thread waits on it for work */
    slot *head, *tail;
    size_t queued;
    bool running; /* a batch is being processed (by the thread or a caller) */
    bool stop;
    pthread_t thread;
    slot **v;             /* the thread's batch, max_batch entries */
    void **reqs, **resps; /* and what it hands the processor */
    trawl_batcher_stats stats;
};

static void deadline_after(struct timespec *ts, uint64_t us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + us * 1000u;
    ts->tv_sec += (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

/* Completes every slot of the batch; called with b->mu held. */
static void complete(trawl_batcher *b, slot **v, size_t n, trawl_status st, const trawl_error *e)
{
    for (size_t i = 0; i < n; i++) {
        if (st != TRAWL_OK) {
            v[i]->st = st;
            v[i]->err = *e;
            if (v[i]->resp && b->o.free_resp)
                b->o.free_resp(v[i]->resp);
            v[i]->resp = NULL;
            b->stats.failed_requests++;
        }
        v[i]->done = true;
        pthread_cond_signal(&v[i]->cv);
    }
}

/* Runs the batch v[0..n) with the caller's arrays of n entries each (the
 * thread's, sized once for max_batch, or a caller's single entries): no
 * allocation per batch. */
static void run_batch(trawl_batcher *b, slot **v, size_t n, void **reqs, void **resps)
{
    trawl_error e;
    trawl_error_clear(&e);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        reqs[i] = v[i]->req;
        resps[i] = NULL;
    }
    trawl_status st = b->o.process(b->o.ud, reqs, n, resps, &done, &e);
    if (st == TRAWL_OK && done < n)
        st = trawl__fail(&e, TRAWL_ETRUNCATED, "batch processor returned %zu of %zu results", done,
                         n);
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < n; i++)
        v[i]->resp = resps[i];
    b->stats.batches++;
    b->stats.requests += n;
    b->stats.size_counts[n < 64 ? n : 64]++;
    complete(b, v, n, st, &e);
    pthread_mutex_unlock(&b->mu);
}

static void *batch_thread(void *arg)
{
    trawl_batcher *b = arg;
    slot **v = b->v;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while ((!b->queued || b->running) && !b->stop)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->stop)
            break;
        struct timespec dl;
        deadline_after(&dl, b->o.max_wait_us);
        while (b->queued < b->o.max_batch && !b->stop &&
               !(b->o.producers && b->queued >= b->o.producers))
            if (pthread_cond_timedwait(&b->cv, &b->mu, &dl) == ETIMEDOUT)
                break;
        size_t n = 0;
        while (b->head && n < b->o.max_batch) {
            slot *s = b->head;
            b->head = s->next;
            if (!b->head)
                b->tail = NULL;
            b->queued--;
            v[n++] = s;
        }
        if (!n)
            continue;
        b->running = true;
        pthread_mutex_unlock(&b->mu);
        run_batch(b, v, n, b->reqs, b->resps);
        pthread_mutex_lock(&b->mu);
        b->running = false;
        pthread_cond_broadcast(&b->cv); /* a caller may wait to run */
    }
    /* shutting down: fail whatever is still queued */
    trawl_error e;
    trawl_error_clear(&e);
    trawl__fail(&e, TRAWL_ESTATE, "batcher is shutting down");
    while (b->head) {
        slot *s = b->head;
        b->head = s->next;
        b->queued--;
        complete(b, &s, 1, TRAWL_ESTATE, &e);
    }
    b->tail = NULL;
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Frees b and its batch arrays (the mutex and condition variables are the
 * caller's to destroy). */
static void release(trawl_batcher *b)
{
    free(b->v);
    free(b->reqs);
    free(b->resps);
    free(b);
}

trawl_status trawl_batcher_new(const trawl_batcher_opts *o, trawl_batcher **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!o || !o->process || o->max_batch < 1 || o->max_batch > 1u << 20)
        return trawl__fail(err, TRAWL_EINVAL, "batcher needs a processor and max_batch >= 1");
    trawl_batcher *b = calloc(1, sizeof(*b));
    if (!b)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    b->o = *o;
    b->v = malloc(o->max_batch * sizeof(*b->v));
    b->reqs = malloc(o->max_batch * sizeof(*b->reqs));
    b->resps = malloc(o->max_batch * sizeof(*b->resps));
    if (!b->v || !b->reqs || !b->resps) {
        release(b);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&b->thread, NULL, batch_thread, b)) {
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
        release(b);
        return trawl__fail(err, TRAWL_ENOMEM, "cannot start the batching thread");
    }
    *out = b;
    return TRAWL_OK;
}

void trawl_batcher_free(trawl_batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_broadcast(&b->cv);
    while (b->running) /* a caller's batch: it returns before this does */
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    release(b);
}

trawl_status trawl_batcher_submit(trawl_batcher *b, void *req, void **resp, trawl_error *err)
{
    trawl_error_clear(err);
    *resp = NULL;
    slot s = {.req = req};
    trawl_error_clear(&s.err);
    pthread_cond_init(&s.cv, NULL);
    pthread_mutex_lock(&b->mu);
    if (b->stop) {
        pthread_mutex_unlock(&b->mu);
        pthread_cond_destroy(&s.cv);
        return trawl__fail(err, TRAWL_ESTATE, "batcher is shutting down");
    }
    if (b->o.max_wait_us == 0 && !b->queued && !b->running) {
        slot *v = &s; /* idle: the batch of one, here */
        void *one_req, *one_resp;
        b->running = true;
        pthread_mutex_unlock(&b->mu);
        run_batch(b, &v, 1, &one_req, &one_resp);
        pthread_mutex_lock(&b->mu);
        b->running = false;
        pthread_cond_broadcast(&b->cv); /* work queued meanwhile, or free() */
        pthread_mutex_unlock(&b->mu);
    } else {
        if (b->tail)
            b->tail->next = &s;
        else
            b->head = &s;
        b->tail = &s;
        b->queued++;
        pthread_cond_signal(&b->cv);
        while (!s.done)
            pthread_cond_wait(&s.cv, &b->mu);
        pthread_mutex_unlock(&b->mu);
    }
    pthread_cond_destroy(&s.cv);
    if (s.st != TRAWL_OK) {
        if (err)
            *err = s.err;
        return s.st;
    }
    *resp = s.resp;
    return TRAWL_OK;
}

void trawl_batcher_stats_get(trawl_batcher *b, trawl_batcher_stats *st)
{
    pthread_mutex_lock(&b->mu);
    *st = b->stats;
    pthread_mutex_unlock(&b->mu);
}
