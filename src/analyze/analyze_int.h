/* analyze_int.h -- what the files of src/analyze share: a parallel loop
 * over tasks and the error helpers. Internal: the trawl__an_ prefix across
 * files, never exported. */
#ifndef TRAWL_SRC_ANALYZE_INT_H
#define TRAWL_SRC_ANALYZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/analyze.h>

#include "common/error.h"

/* The number of threads to use for `threads` (0 = online cores), never more
 * than tasks and never 0. */
unsigned trawl__an_threads(unsigned threads, size_t tasks);

/* Runs fn(ctx, task, worker) for every task in [0, ntasks) on `threads`
 * threads (as resolved by trawl__an_threads); worker is in [0, threads).
 * Tasks are handed out in increasing order from a shared counter, so any
 * task may run on any worker: fn must write only to places owned by its
 * task (or by its worker). When a thread cannot be started the remaining
 * work runs on the threads that did start (at least the caller's). */
void trawl__an_parallel(unsigned threads, size_t ntasks,
                        void (*fn)(void *ctx, size_t task, unsigned worker), void *ctx);

/* Checks a matrix of `entries` doubles against max_bytes (0 = no bound). */
trawl_status trawl__an_check_matrix(uint64_t entries, uint64_t max_bytes, trawl_error *err);

/* ---- a seeded generator (splitmix64): same seed, same sequence ---- */
typedef struct trawl__an_rng {
    uint64_t s;
} trawl__an_rng;
static inline uint64_t trawl__an_next(trawl__an_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* uniform in [0, 1) with 53 random bits */
static inline double trawl__an_unit(trawl__an_rng *r)
{
    return (double)(trawl__an_next(r) >> 11) * 0x1.0p-53;
}

/* ---- kmeanspp.c ---- */
/* k-means++ seeding (greedy, 2 + ln k trials per center, as scikit-learn):
 * writes k rows of X into centers. Distances on `threads` threads, sums in
 * a fixed order. TRAWL_ENOMEM. */
trawl_status trawl__an_kmeanspp(const double *X, size_t n, size_t d, size_t k, uint64_t seed,
                                unsigned threads, double *centers);
/* Squared distance between two d-vectors, summed in dimension order. */
static inline double trawl__an_sqdist(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* ---- kmeans_avx2.c ---- */
/* The CPU has AVX2 and FMA (and TRAWL_NO_AVX2 is not set). */
bool trawl__an_have_avx2(void);
/* acc[c] = squared distance from x to center c, centers dimension-major in
 * Ct (d x k). Only when trawl__an_have_avx2(). */
void trawl__an_dists_avx2(const double *x, const double *Ct, size_t d, size_t k, double *acc);
/* The index of the smallest of acc[0..k) (the first on ties), its value in
 * *best and, when second is not NULL, the smallest of the others. */
size_t trawl__an_nearest_avx2(double *acc, size_t k, double *best, double *second);

/* ---- windows_avx2.c ---- */
/* The CPU has AVX2 (and the kernels below may be called). */
bool trawl__an_have_avx2_only(void);
/* One block of the window scan: sums the four 16-bit sub-histograms of a
 * block (each sum at most 32768), clears them, adds the sum to acc, stores
 * it in slot and moves win by (sum - old slot); returns the number of
 * non-zero bins of win. */
unsigned trawl__an_block_step_avx2(uint16_t h4[4][256], uint16_t slot[256], uint32_t win[256],
                                   uint32_t acc[256]);

/* ---- cut.c ---- */
/* TRAWL_EINVAL (err->index = the row) unless Z is a linkage tree over n >= 2
 * items: every child an item or an earlier row, none used twice. */
trawl_status trawl__an_check_linkage(const double *Z, size_t n, trawl_error *err);

/* ---- align.c ---- */
trawl_status trawl__an_check_scoring(const trawl_analyze_scoring *s, trawl_error *err);
/* true when the optimal score follows from the LCS (mismatch <= 2 gap) */
bool trawl__an_scoring_is_lcs(const trawl_analyze_scoring *s);
int64_t trawl__an_lcs_to_score(const trawl_analyze_scoring *s, uint64_t lcs, size_t na, size_t nb);
/* A message prepared for bit-parallel LCS lengths against many others. */
typedef struct trawl__an_lcs_table {
    size_t m, words;
    uint64_t *peq, *v; /* [256][words] match bits, then the state */
} trawl__an_lcs_table;
trawl_status trawl__an_lcs_init(trawl__an_lcs_table *l, const uint8_t *a, size_t m);
void trawl__an_lcs_free(trawl__an_lcs_table *l);
uint64_t trawl__an_lcs(trawl__an_lcs_table *l, const uint8_t *b, size_t n);
/* The NW score with one row of min(na, nb) + 1 cells supplied. */
int64_t trawl__an_align_score_row(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                  const trawl_analyze_scoring *s, int64_t *row);

#endif
