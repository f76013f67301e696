/* parallel.c -- a parallel loop over numbered tasks on POSIX threads. No
 * pool is kept between calls: the analyses that use it run for
 * milliseconds at least, and a thread costs tens of microseconds. */
#include "analyze/analyze_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

unsigned trawl__an_threads(unsigned threads, size_t tasks)
{
    if (threads == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (unsigned)c : 1;
    }
    if (threads > 256)
        threads = 256;
    if (tasks < threads)
        threads = tasks ? (unsigned)tasks : 1;
    return threads;
}

typedef struct job {
    void (*fn)(void *ctx, size_t task, unsigned worker);
    void *ctx;
    size_t ntasks;
    atomic_size_t next;
} job;

typedef struct worker_arg {
    job *j;
    unsigned id;
} worker_arg;

static void *run(void *p)
{
    worker_arg *w = p;
    job *j = w->j;
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (t >= j->ntasks)
            break;
        j->fn(j->ctx, t, w->id);
    }
    return NULL;
}

void trawl__an_parallel(unsigned threads, size_t ntasks,
                        void (*fn)(void *ctx, size_t task, unsigned worker), void *ctx)
{
    threads = trawl__an_threads(threads, ntasks);
    job j = {.fn = fn, .ctx = ctx, .ntasks = ntasks};
    atomic_init(&j.next, 0);
    worker_arg args[256];
    pthread_t tid[256];
    unsigned started = 0;
    for (unsigned t = 1; t < threads; t++) {
        args[t] = (worker_arg){&j, t};
        if (pthread_create(&tid[started + 1], NULL, run, &args[t]) != 0)
            break;
        started++;
    }
    args[0] = (worker_arg){&j, 0};
    run(&args[0]);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
}

trawl_status trawl__an_check_matrix(uint64_t entries, uint64_t max_bytes, trawl_error *err)
{
    if (entries > UINT64_MAX / 8 || (max_bytes && entries * 8 > max_bytes))
        return trawl__fail(
            err, TRAWL_ELIMIT, "distance matrix needs %llu bytes, over the bound of %llu",
            (unsigned long long)(entries > UINT64_MAX / 8 ? UINT64_MAX : entries * 8),
            (unsigned long long)max_bytes);
    return TRAWL_OK;
}
