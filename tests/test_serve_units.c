/* test_serve_units.c -- the serve building blocks: cache (eviction order,
 * byte bound, TTL, counters), request keys, coalescer, batcher, histogram
 * (against a sorted-array oracle). */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include <trawl/serve.h>

static trawl_key128 K(uint64_t i)
{
    return trawl_serve_hash(&i, sizeof(i));
}

static bool has(trawl_cache *c, uint64_t i)
{
    char *v;
    size_t n;
    bool hit = trawl_cache_get(c, K(i), &v, &n);
    free(v);
    return hit;
}

static void test_cache_lru_order(void **st)
{
    (void)st;
    trawl_cache_opts o = {.shards = 1, .max_entries = 3};
    trawl_cache *c;
    assert_int_equal(trawl_cache_new(&o, &c, NULL), TRAWL_OK);
    for (uint64_t i = 1; i <= 3; i++)
        assert_int_equal(trawl_cache_put(c, K(i), "v", 1), TRAWL_OK);
    assert_true(has(c, 1)); /* 1 becomes most recent: order 1,3,2 */
    assert_int_equal(trawl_cache_put(c, K(4), "v", 1), TRAWL_OK); /* evicts 2 */
    assert_false(has(c, 2));
    assert_true(has(c, 1));
    assert_true(has(c, 3));
    assert_true(has(c, 4));
    char *v;
    size_t n;
    assert_int_equal(trawl_cache_put(c, K(3), "replaced", 8), TRAWL_OK);
    assert_true(trawl_cache_get(c, K(3), &v, &n));
    assert_int_equal(n, 8);
    assert_string_equal(v, "replaced");
    free(v);
    trawl_cache_stats s;
    trawl_cache_stats_get(c, &s);
    assert_int_equal(s.entries, 3);
    assert_int_equal(s.evictions, 1);
    assert_int_equal(s.hits, 5);
    assert_int_equal(s.misses, 1);
    trawl_cache_free(c);
}

static void test_cache_byte_bound(void **st)
{
    (void)st;
    size_t cost = trawl_cache_entry_cost(100);
    trawl_cache_opts o = {.shards = 1, .max_bytes = 3 * cost + cost / 2};
    trawl_cache *c;
    assert_int_equal(trawl_cache_new(&o, &c, NULL), TRAWL_OK);
    char buf[1000];
    memset(buf, 'x', sizeof(buf));
    for (uint64_t i = 1; i <= 5; i++)
        assert_int_equal(trawl_cache_put(c, K(i), buf, 100), TRAWL_OK);
    trawl_cache_stats s;
    trawl_cache_stats_get(c, &s);
    assert_int_equal(s.entries, 3);
    assert_true(s.bytes <= o.max_bytes);
    assert_int_equal(s.evictions, 2);
    assert_false(has(c, 1));
    assert_false(has(c, 2));
    assert_true(has(c, 5));
    /* one big value pushes out two small ones */
    assert_int_equal(trawl_cache_put(c, K(9), buf, 2 * 100 + sizeof(buf) / 10), TRAWL_OK);
    trawl_cache_stats_get(c, &s);
    assert_true(s.bytes <= o.max_bytes);
    assert_true(has(c, 9));
    /* a value larger than the whole bound is refused */
    assert_int_equal(trawl_cache_put(c, K(10), buf, sizeof(buf)), TRAWL_ELIMIT);
    assert_false(has(c, 10));
    trawl_cache_free(c);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static void test_cache_ttl(void **st)
{
    (void)st;
    fake_now = 1000;
    trawl_cache_opts o = {.shards = 4, .ttl_ms = 50, .clock_ms = fake_clock};
    trawl_cache *c;
    assert_int_equal(trawl_cache_new(&o, &c, NULL), TRAWL_OK);
    assert_int_equal(trawl_cache_put(c, K(1), "a", 1), TRAWL_OK);
    fake_now = 1049;
    assert_true(has(c, 1));
    fake_now = 1050;
    assert_false(has(c, 1));
    trawl_cache_stats s;
    trawl_cache_stats_get(c, &s);
    assert_int_equal(s.expirations, 1);
    assert_int_equal(s.entries, 0);
    assert_int_equal(s.bytes, 0);
    trawl_cache_free(c);
}

static void test_key_canonical(void **st)
{
    (void)st;
    const char *a =
        "{\"prompt\":\"hi\",\"urls\":[\"x\",\"y\"],\"o\":{\"b\":1,\"a\":[{\"d\":2,\"c\":3}]}}";
    const char *b =
        " { \"o\" : {\"a\":[{\"c\":3,\"d\":2}],\"b\":1}, \"urls\":[\"x\",\"y\"],\"prompt\":\"hi\"}";
    const char *c =
        "{\"prompt\":\"hi\",\"urls\":[\"y\",\"x\"],\"o\":{\"b\":1,\"a\":[{\"d\":2,\"c\":3}]}}";
    trawl_key128 ka, kb, kc, kt;
    assert_int_equal(trawl_serve_key_json(a, strlen(a), 0, &ka, NULL), TRAWL_OK);
    assert_int_equal(trawl_serve_key_json(b, strlen(b), 0, &kb, NULL), TRAWL_OK);
    assert_int_equal(trawl_serve_key_json(c, strlen(c), 0, &kc, NULL), TRAWL_OK);
    assert_int_equal(trawl_serve_key_json(a, strlen(a), 7, &kt, NULL), TRAWL_OK);
    assert_true(ka.lo == kb.lo && ka.hi == kb.hi);
    assert_false(ka.lo == kc.lo && ka.hi == kc.hi); /* array order matters */
    assert_false(ka.lo == kt.lo && ka.hi == kt.hi); /* the tag (detector mask) matters */
    /* one double, one key; everything else that differs, differs */
    static const char *const same[][2] = {{"{\"n\":1}", "{\"n\":1.0}"}, {"[1e2]", "[100]"}};
    static const char *const differ[][2] = {{"[\"ab\",\"c\"]", "[\"a\",\"bc\"]"},
                                            {"{\"a\":[\"b\"]}", "{\"a\":\"b\"}"},
                                            {"{\"a\":\"1\"}", "{\"a\":1}"},
                                            {"[true]", "[false]"},
                                            {"[null]", "[]"},
                                            {"{\"ab\":\"c\"}", "{\"a\":\"bc\"}"},
                                            {"[[1],2]", "[[1,2]]"}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(trawl_serve_key_json(same[i][0], strlen(same[i][0]), 0, &ka, NULL), 0);
        assert_int_equal(trawl_serve_key_json(same[i][1], strlen(same[i][1]), 0, &kb, NULL), 0);
        assert_true(ka.lo == kb.lo && ka.hi == kb.hi);
    }
    for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
        assert_int_equal(trawl_serve_key_json(differ[i][0], strlen(differ[i][0]), 0, &ka, NULL), 0);
        assert_int_equal(trawl_serve_key_json(differ[i][1], strlen(differ[i][1]), 0, &kb, NULL), 0);
        assert_false(ka.lo == kb.lo && ka.hi == kb.hi);
    }
    trawl_error e;
    assert_int_equal(trawl_serve_key_json("{\"a\":x}", 7, 0, &ka, &e), TRAWL_EFORMAT);
    assert_int_equal(e.offset, 5);
}

/* ---- coalescer ---- */

typedef struct {
    trawl_coalescer *co;
    trawl_key128 key;
    _Atomic int *runs;
    int fail;
    unsigned sleep_us;
    trawl_status st;
    char *out;
    bool shared;
    trawl_error err;
} cjob;

static trawl_status slow_fn(void *ud, char **out, size_t *len, trawl_error *err)
{
    cjob *j = ud;
    atomic_fetch_add(j->runs, 1);
    usleep(j->sleep_us);
    if (j->fail) {
        snprintf(err->message, sizeof(err->message), "boom");
        return TRAWL_EIO;
    }
    *out = strdup("result");
    *len = 6;
    return TRAWL_OK;
}

static void *cthread(void *arg)
{
    cjob *j = arg;
    size_t n;
    j->st = trawl_coalesce(j->co, j->key, slow_fn, j, &j->out, &n, &j->shared, &j->err);
    return NULL;
}

static void run_coalesce(int fail)
{
    trawl_coalescer *co;
    assert_int_equal(trawl_coalescer_new(8, &co), TRAWL_OK);
    _Atomic int runs = 0;
    enum { N = 8 };
    cjob jobs[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (cjob){.co = co, .key = K(42), .runs = &runs, .fail = fail, .sleep_us = 200000};
        pthread_create(&t[i], NULL, cthread, &jobs[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&runs), 1);
    int shared = 0;
    for (int i = 0; i < N; i++) {
        shared += jobs[i].shared;
        if (fail) {
            assert_int_equal(jobs[i].st, TRAWL_EIO);
            assert_string_equal(jobs[i].err.message, "boom");
            assert_null(jobs[i].out);
        } else {
            assert_int_equal(jobs[i].st, TRAWL_OK);
            assert_string_equal(jobs[i].out, "result");
        }
        free(jobs[i].out);
    }
    assert_int_equal(shared, N - 1);
    assert_int_equal(trawl_coalescer_shared_count(co), N - 1);
    trawl_coalescer_free(co);
}

static void test_coalesce_once(void **st)
{
    (void)st;
    run_coalesce(0);
}

static void test_coalesce_error_propagates(void **st)
{
    (void)st;
    run_coalesce(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A distinct key beside five waiting duplicates is not delayed by them. */
static void test_coalesce_distinct_not_blocked(void **st)
{
    (void)st;
    trawl_coalescer *co;
    assert_int_equal(trawl_coalescer_new(1, &co), TRAWL_OK); /* one shard: worst case */
    _Atomic int runs = 0;
    cjob dup[5], other;
    pthread_t t[5], to;
    for (int i = 0; i < 5; i++) {
        dup[i] = (cjob){.co = co, .key = K(1), .runs = &runs, .sleep_us = 400000};
        pthread_create(&t[i], NULL, cthread, &dup[i]);
    }
    usleep(50000);
    other = (cjob){.co = co, .key = K(2), .runs = &runs, .sleep_us = 1000};
    double t0 = now_s();
    pthread_create(&to, NULL, cthread, &other);
    pthread_join(to, NULL);
    double dt = now_s() - t0;
    assert_true(dt < 0.2);
    for (int i = 0; i < 5; i++) {
        pthread_join(t[i], NULL);
        free(dup[i].out);
    }
    free(other.out);
    assert_int_equal(atomic_load(&runs), 2);
    trawl_coalescer_free(co);
}

/* ---- batcher ---- */

typedef struct {
    int mode; /* 0 ok, 1 short, 2 fail */
    _Atomic int calls;
} bctl;

static trawl_status bproc(void *ud, void *const *reqs, size_t n, void **resps, size_t *done,
                          trawl_error *err)
{
    bctl *c = ud;
    atomic_fetch_add(&c->calls, 1);
    size_t m = c->mode == 1 && n > 1 ? n - 1 : n;
    for (size_t i = 0; i < m; i++) {
        int *r = malloc(sizeof(int));
        *r = *(int *)reqs[i] * 10;
        resps[i] = r;
    }
    *done = m;
    if (c->mode == 2) {
        snprintf(err->message, sizeof(err->message), "model failed");
        return TRAWL_EIO;
    }
    return TRAWL_OK;
}

typedef struct {
    trawl_batcher *b;
    int req;
    int *resp;
    trawl_status st;
} bjob;

static void *bthread(void *arg)
{
    bjob *j = arg;
    trawl_error e;
    void *r = NULL;
    j->st = trawl_batcher_submit(j->b, &j->req, &r, &e);
    j->resp = r;
    return NULL;
}

static void run_batch(int mode, size_t n, size_t max_batch, uint64_t wait_us, bctl *ctl,
                      trawl_batcher_stats *stats)
{
    trawl_batcher_opts o = {.max_batch = max_batch,
                            .max_wait_us = wait_us,
                            .process = bproc,
                            .free_resp = free,
                            .ud = ctl};
    ctl->mode = mode;
    trawl_batcher *b;
    assert_int_equal(trawl_batcher_new(&o, &b, NULL), TRAWL_OK);
    bjob j[16];
    pthread_t t[16];
    for (size_t i = 0; i < n; i++) {
        j[i] = (bjob){.b = b, .req = (int)i + 1};
        pthread_create(&t[i], NULL, bthread, &j[i]);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    for (size_t i = 0; i < n; i++) {
        if (mode == 0) {
            assert_int_equal(j[i].st, TRAWL_OK);
            assert_int_equal(*j[i].resp, (int)(i + 1) * 10); /* each got its own answer */
        } else if (mode == 2) {
            assert_int_equal(j[i].st, TRAWL_EIO);
            assert_null(j[i].resp);
        }
        free(j[i].resp);
    }
    trawl_batcher_stats_get(b, stats);
    trawl_batcher_free(b);
}

static void test_batch_gathers(void **st)
{
    (void)st;
    bctl ctl = {0};
    trawl_batcher_stats s;
    /* 8 requests, max_batch 4, a long wait: batches fill to 4 */
    run_batch(0, 8, 4, 500000, &ctl, &s);
    assert_int_equal(s.requests, 8);
    assert_true(s.batches <= 4);
    assert_true(s.size_counts[4] >= 1);
    assert_int_equal(s.failed_requests, 0);
}

static void test_batch_short_fails_all(void **st)
{
    (void)st;
    bctl ctl = {0};
    trawl_batcher_stats s;
    run_batch(1, 6, 8, 200000, &ctl, &s);
    /* every request finished; those in short batches (n > 1) failed */
    assert_int_equal(s.requests, 6);
    assert_true(s.failed_requests >= 2);
}

static void test_batch_failure_fails_all(void **st)
{
    (void)st;
    bctl ctl = {0};
    trawl_batcher_stats s;
    run_batch(2, 5, 8, 100000, &ctl, &s);
    assert_int_equal(s.failed_requests, 5);
}

static void test_batch_single_timeout(void **st)
{
    (void)st;
    bctl ctl = {0};
    trawl_batcher_stats s;
    double t0 = now_s();
    run_batch(0, 1, 64, 20000, &ctl, &s); /* alone: runs after max_wait_us */
    assert_true(now_s() - t0 < 1.0);
    assert_int_equal(s.size_counts[1], 1);
}

/* max_wait_us = 0: a request that finds the batcher idle runs its batch of
 * one on its own thread; requests that arrive while a batch runs queue and
 * run together after it; never two batches at once; every request gets its
 * own answer. */
typedef struct inl {
    atomic_int inflight, max_inflight, calls;
    atomic_bool slow; /* the next batch takes 50 ms: time for all to queue */
    pthread_t ran_on;
} inl;

static trawl_status inl_proc(void *ud, void *const *reqs, size_t n, void **resps, size_t *done,
                             trawl_error *err)
{
    (void)err;
    inl *c = ud;
    int now = atomic_fetch_add(&c->inflight, 1) + 1;
    int seen = atomic_load(&c->max_inflight);
    while (now > seen && !atomic_compare_exchange_weak(&c->max_inflight, &seen, now))
        ;
    c->ran_on = pthread_self();
    atomic_fetch_add(&c->calls, 1);
    usleep(atomic_exchange(&c->slow, false) ? 50000 : 2000); /* others arrive meanwhile */
    for (size_t i = 0; i < n; i++) {
        int *r = malloc(sizeof(int));
        *r = *(int *)reqs[i] * 10;
        resps[i] = r;
    }
    *done = n;
    atomic_fetch_sub(&c->inflight, 1);
    return TRAWL_OK;
}

static void test_batch_idle_runs_inline(void **st)
{
    (void)st;
    inl ctl = {0};
    trawl_batcher_opts o = {
        .max_batch = 16, .max_wait_us = 0, .process = inl_proc, .free_resp = free, .ud = &ctl};
    trawl_batcher *b;
    assert_int_equal(trawl_batcher_new(&o, &b, NULL), TRAWL_OK);
    int req = 7;
    void *r = NULL;
    trawl_error e;
    assert_int_equal(trawl_batcher_submit(b, &req, &r, &e), TRAWL_OK);
    assert_int_equal(*(int *)r, 70);
    free(r);
    assert_true(pthread_equal(ctl.ran_on, pthread_self())); /* on the caller's thread */
    atomic_store(&ctl.slow, true);
    bjob j[12];
    pthread_t t[12];
    for (int i = 0; i < 12; i++) {
        j[i] = (bjob){.b = b, .req = i + 1};
        pthread_create(&t[i], NULL, bthread, &j[i]);
    }
    for (int i = 0; i < 12; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(j[i].st, TRAWL_OK);
        assert_int_equal(*j[i].resp, (i + 1) * 10);
        free(j[i].resp);
    }
    trawl_batcher_stats s;
    trawl_batcher_stats_get(b, &s);
    assert_int_equal(s.requests, 13);
    assert_int_equal(atomic_load(&ctl.max_inflight), 1); /* one batch at a time */
    assert_true(s.batches == (uint64_t)atomic_load(&ctl.calls));
    assert_true(s.batches < 13); /* requests that arrived during a batch ran together */
    trawl_batcher_free(b);
}

/* With producers = 3 (three threads can submit at once), a batch runs as
 * soon as three requests are queued, not after the 10 s max_wait_us: no one
 * else could arrive to join it. */
static void test_batch_producers(void **st)
{
    (void)st;
    bctl ctl = {0};
    trawl_batcher_opts o = {.max_batch = 8,
                            .max_wait_us = 10000000,
                            .producers = 3,
                            .process = bproc,
                            .free_resp = free,
                            .ud = &ctl};
    trawl_batcher *b;
    assert_int_equal(trawl_batcher_new(&o, &b, NULL), TRAWL_OK);
    double t0 = now_s();
    bjob j[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        j[i] = (bjob){.b = b, .req = i + 1};
        pthread_create(&t[i], NULL, bthread, &j[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(j[i].st, TRAWL_OK);
        assert_int_equal(*j[i].resp, (i + 1) * 10);
        free(j[i].resp);
    }
    assert_true(now_s() - t0 < 5.0);
    trawl_batcher_stats s;
    trawl_batcher_stats_get(b, &s);
    assert_int_equal(s.batches, 1);
    assert_int_equal(s.size_counts[3], 1);
    trawl_batcher_free(b);
}

/* ---- histogram ---- */

static int cmpu64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_hist_buckets(void **st)
{
    (void)st;
    for (uint64_t v = 0; v < 256; v++)
        assert_true(trawl_hist_bucket_low(v) == v && trawl_hist_bucket_high(v) == v);
    tu_rng r;
    tu_seed(&r, 7);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = tu_next(&r) >> tu_below(&r, 64);
        uint64_t lo = trawl_hist_bucket_low(v), hi = trawl_hist_bucket_high(v);
        assert_true(lo <= v && v <= hi);
        assert_true((hi - lo) <= v / 128); /* width within 1/128 of the value */
        if (hi < UINT64_MAX)
            assert_true(trawl_hist_bucket_low(hi + 1) == hi + 1);
    }
}

static void test_hist_oracle(void **st)
{
    (void)st;
    tu_rng r;
    tu_seed(&r, 99);
    enum { N = 20000 };
    static uint64_t v[N];
    static const double qs[] = {0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (int round = 0; round < 4; round++) {
        trawl_hist *h = trawl_hist_new();
        size_t n = round == 0 ? 1 : round == 1 ? 7 : N;
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            /* log-uniform latencies from 100 ns to ~1 s, as requests spread */
            v[i] = 100 + (tu_next(&r) >> (34 + tu_below(&r, 30)));
            if (round == 3)
                v[i] = tu_below(&r, 300); /* the exact range */
            trawl_hist_record(h, v[i]);
            sum += v[i];
        }
        qsort(v, n, sizeof(v[0]), cmpu64);
        assert_int_equal(trawl_hist_count(h), n);
        assert_int_equal(trawl_hist_sum(h), sum);
        assert_int_equal(trawl_hist_max(h), v[n - 1]);
        for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
            double x = qs[k] * (double)n;
            size_t rank = (size_t)x;
            if ((double)rank < x)
                rank++;
            if (rank < 1)
                rank = 1;
            uint64_t want = v[rank - 1], got = trawl_hist_percentile(h, qs[k]);
            assert_true(trawl_hist_bucket_low(got) == trawl_hist_bucket_low(want));
            assert_true(got >= want);
        }
        trawl_hist_free(h);
    }
    trawl_hist *h = trawl_hist_new();
    assert_int_equal(trawl_hist_percentile(h, 0.5), 0);
    trawl_hist_free(h);
}

typedef struct {
    trawl_hist *h;
    uint64_t base;
} hjob;

static void *hthread(void *arg)
{
    hjob *j = arg;
    for (uint64_t i = 0; i < 100000; i++)
        trawl_hist_record(j->h, j->base + i % 1000);
    return NULL;
}

/* Prometheus buckets from trawl_hist_cumulative against counting by hand:
 * each figure lies between the exact count at le's bucket's start and the
 * exact count at le, and the figures never decrease. */
static void test_hist_cumulative(void **st)
{
    (void)st;
    tu_rng r;
    tu_seed(&r, 77);
    trawl_hist *h = trawl_hist_new();
    enum { N = 20000 };
    static uint64_t v[N];
    for (size_t i = 0; i < N; i++) {
        v[i] = (tu_next(&r) >> (tu_below(&r, 50) + 10)) + tu_below(&r, 300);
        trawl_hist_record(h, v[i]);
    }
    static const uint64_t le[] = {0, 100, 255, 256, 1000, 25000, 1000000, 1u << 30, UINT64_MAX};
    enum { NL = sizeof le / sizeof le[0] };
    uint64_t got[NL];
    trawl_hist_cumulative(h, le, NL, got);
    for (size_t j = 0; j < NL; j++) {
        uint64_t exact = 0, below = 0;
        uint64_t lo = trawl_hist_bucket_low(le[j]);
        for (size_t i = 0; i < N; i++) {
            exact += v[i] <= le[j];
            below += v[i] < lo || (trawl_hist_bucket_high(le[j]) == le[j] && v[i] <= le[j]);
        }
        if (got[j] > exact || got[j] < below)
            fail_msg("le %llu: %llu not in [%llu, %llu]", (unsigned long long)le[j],
                     (unsigned long long)got[j], (unsigned long long)below,
                     (unsigned long long)exact);
        if (j && got[j] < got[j - 1])
            fail_msg("not monotone at %zu", j);
    }
    assert_int_equal(got[NL - 1], N);
    trawl_hist_free(h);
}

static void test_hist_concurrent(void **st)
{
    (void)st;
    trawl_hist *h = trawl_hist_new();
    pthread_t t[4];
    hjob j[4];
    for (int i = 0; i < 4; i++) {
        j[i] = (hjob){h, (uint64_t)i * 1000000};
        pthread_create(&t[i], NULL, hthread, &j[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(trawl_hist_count(h), 400000);
    assert_int_equal(trawl_hist_max(h), 3000999);
    trawl_hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_lru_order),
        cmocka_unit_test(test_cache_byte_bound),
        cmocka_unit_test(test_cache_ttl),
        cmocka_unit_test(test_key_canonical),
        cmocka_unit_test(test_coalesce_once),
        cmocka_unit_test(test_coalesce_error_propagates),
        cmocka_unit_test(test_coalesce_distinct_not_blocked),
        cmocka_unit_test(test_batch_gathers),
        cmocka_unit_test(test_batch_short_fails_all),
        cmocka_unit_test(test_batch_failure_fails_all),
        cmocka_unit_test(test_batch_single_timeout),
        cmocka_unit_test(test_batch_producers),
        cmocka_unit_test(test_batch_idle_runs_inline),
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_hist_oracle),
        cmocka_unit_test(test_hist_concurrent),
        cmocka_unit_test(test_hist_cumulative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
