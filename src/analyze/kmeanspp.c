/* kmeanspp.c -- k-means++ seeding (Arthur and Vassilvitskii), in the greedy
 * form scikit-learn uses: the first center is a uniformly random point;
 * each next one is the best of 2 + floor(ln k) candidates drawn with
 * probability proportional to the squared distance to the nearest center
 * so far, "best" meaning the smallest total of those squared distances
 * once it is added (the first candidate on ties).
 *
 * The candidates' totals are the expensive part (trials x n x d): points
 * are cut into fixed chunks, each chunk's partial totals computed on any
 * thread, and the chunks summed in chunk order, so the seeding depends on
 * the seed and never on the thread count. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 2048, MAX_TRIALS = 16 };

typedef struct pp {
    const double *X;
    size_t n, d, trials;
    const double *closest; /* n: current squared distance to the nearest center */
    const size_t *cand;    /* trials candidate rows */
    double *dist;          /* trials x n: min(closest, distance to candidate) */
    double *partial;       /* chunks x trials */
} pp;

static void chunk_task(void *p, size_t c, unsigned w)
{
    (void)w;
    pp *s = p;
    size_t lo = c * CHUNK, hi = lo + CHUNK < s->n ? lo + CHUNK : s->n;
    for (size_t t = 0; t < s->trials; t++) {
        const double *y = s->X + s->cand[t] * s->d;
        double *dt = s->dist + t * s->n, sum = 0;
        for (size_t i = lo; i < hi; i++) {
            double q = trawl__an_sqdist(s->X + i * s->d, y, s->d);
            dt[i] = q < s->closest[i] ? q : s->closest[i];
            sum += dt[i];
        }
        s->partial[c * s->trials + t] = sum;
    }
}

trawl_status trawl__an_kmeanspp(const double *X, size_t n, size_t d, size_t k, uint64_t seed,
                                unsigned threads, double *centers)
{
    size_t trials = 2 + (size_t)log((double)k);
    if (trials > MAX_TRIALS)
        trials = MAX_TRIALS;
    size_t chunks = (n + CHUNK - 1) / CHUNK;
    double *closest = malloc(n * sizeof(*closest));
    double *cum = malloc(n * sizeof(*cum));
    double *dist = malloc(trials * n * sizeof(*dist));
    double *partial = malloc(chunks * trials * sizeof(*partial));
    if (!closest || !cum || !dist || !partial) {
        free(closest);
        free(cum);
        free(dist);
        free(partial);
        return TRAWL_ENOMEM;
    }
    trawl__an_rng r = {seed};
    size_t first = (size_t)(trawl__an_unit(&r) * (double)n);
    memcpy(centers, X + first * d, d * sizeof(*centers));
    double pot = 0;
    for (size_t i = 0; i < n; i++) {
        closest[i] = trawl__an_sqdist(X + i * d, centers, d);
        pot += closest[i];
    }
    size_t cand[MAX_TRIALS];
    pp s = {X, n, d, trials, closest, cand, dist, partial};
    for (size_t c = 1; c < k; c++) {
        double acc = 0;
        for (size_t i = 0; i < n; i++)
            cum[i] = acc += closest[i];
        for (size_t t = 0; t < trials; t++) {
            double v = trawl__an_unit(&r) * pot;
            size_t lo = 0, hi = n; /* first i with cum[i] >= v */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] >= v)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            cand[t] = lo < n ? lo : n - 1;
        }
        trawl__an_parallel(threads, chunks, chunk_task, &s);
        size_t best = 0;
        double best_pot = 0;
        for (size_t t = 0; t < trials; t++) {
            double tot = 0;
            for (size_t ch = 0; ch < chunks; ch++)
                tot += partial[ch * trials + t];
            if (t == 0 || tot < best_pot) {
                best_pot = tot;
                best = t;
            }
        }
        pot = best_pot;
        memcpy(closest, dist + best * n, n * sizeof(*closest));
        memcpy(centers + c * d, X + cand[best] * d, d * sizeof(*centers));
    }
    free(closest);
    free(cum);
    free(dist);
    free(partial);
    return TRAWL_OK;
}
