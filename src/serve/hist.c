/* hist.c -- log-linear latency histogram with lock-free recording.
 *
 * Values below 2^(S+1) have a bucket each; above, value v with top bit m
 * falls in bucket (m - S) * 2^S + (v >> (m - S)): each power of two is cut
 * into 2^S equal buckets, so the bucket width is below v / 2^S. */
#include <stdatomic.h>
#include <stdlib.h>

#include <trawl/serve.h>

#define SUB_BITS 7
#define SUB      (1u << SUB_BITS)
#define NBUCKETS ((64 - SUB_BITS + 1) * SUB)

struct trawl_hist {
    _Atomic uint64_t count, sum, max;
    _Atomic uint64_t b[NBUCKETS];
};

static unsigned msb(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

static size_t index_of(uint64_t v)
{
    if (v < 2 * SUB)
        return (size_t)v;
    unsigned shift = msb(v) - SUB_BITS;
    return (size_t)shift * SUB + (size_t)(v >> shift);
}

static uint64_t low_of(size_t i)
{
    if (i < 2 * SUB)
        return i;
    unsigned shift = (unsigned)(i / SUB) - 1;
    return (uint64_t)(i - (size_t)shift * SUB) << shift;
}

static uint64_t high_of(size_t i)
{
    if (i < 2 * SUB)
        return i;
    unsigned shift = (unsigned)(i / SUB) - 1;
    return low_of(i) + (((uint64_t)1 << shift) - 1);
}

uint64_t trawl_hist_bucket_low(uint64_t v)
{
    return low_of(index_of(v));
}

uint64_t trawl_hist_bucket_high(uint64_t v)
{
    return high_of(index_of(v));
}

trawl_hist *trawl_hist_new(void)
{
    trawl_hist *h = calloc(1, sizeof(*h));
    return h; /* all-zero is a valid atomic state on every platform we build on */
}

void trawl_hist_free(trawl_hist *h)
{
    free(h);
}

void trawl_hist_record(trawl_hist *h, uint64_t v)
{
    atomic_fetch_add_explicit(&h->b[index_of(v)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
    uint64_t m = atomic_load_explicit(&h->max, memory_order_relaxed);
    while (v > m && !atomic_compare_exchange_weak_explicit(&h->max, &m, v, memory_order_relaxed,
                                                           memory_order_relaxed))
        ;
}

uint64_t trawl_hist_count(const trawl_hist *h)
{
    return atomic_load_explicit(&((trawl_hist *)h)->count, memory_order_relaxed);
}

uint64_t trawl_hist_max(const trawl_hist *h)
{
    return atomic_load_explicit(&((trawl_hist *)h)->max, memory_order_relaxed);
}

uint64_t trawl_hist_sum(const trawl_hist *h)
{
    return atomic_load_explicit(&((trawl_hist *)h)->sum, memory_order_relaxed);
}

uint64_t trawl_hist_percentile(const trawl_hist *h, double q)
{
    trawl_hist *m = (trawl_hist *)h;
    /* Sum the buckets rather than trusting count: concurrent records may
     * have bumped one and not yet the other. */
    uint64_t total = 0;
    for (size_t i = 0; i < NBUCKETS; i++)
        total += atomic_load_explicit(&m->b[i], memory_order_relaxed);
    if (!total)
        return 0;
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    double r = q * (double)total;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > total)
        rank = total;
    uint64_t seen = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        seen += atomic_load_explicit(&m->b[i], memory_order_relaxed);
        if (seen >= rank) {
            uint64_t hi = high_of(i), mx = trawl_hist_max(h);
            return hi < mx || !mx ? hi : mx;
        }
    }
    return trawl_hist_max(h);
}

void trawl_hist_cumulative(const trawl_hist *h, const uint64_t *le, size_t n, uint64_t *out)
{
    trawl_hist *m = (trawl_hist *)h;
    for (size_t j = 0; j < n; j++)
        out[j] = 0;
    size_t j = 0;
    uint64_t run = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        uint64_t c = atomic_load_explicit(&m->b[i], memory_order_relaxed);
        if (!c)
            continue;
        while (j < n && high_of(i) > le[j])
            out[j++] = run;
        run += c;
    }
    while (j < n)
        out[j++] = run;
}
