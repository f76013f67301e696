/* silhouette.c -- the mean silhouette coefficient of a clustering
 * (Rousseeuw 1987), as scikit-learn's silhouette_score computes it: for
 * item i, a = mean distance to the other members of its cluster, b = the
 * smallest mean distance to the members of another cluster,
 * s = (b - a) / max(a, b), and s = 0 for an item alone in its cluster. Every
 * label value is a cluster, -1 (DBSCAN's noise) included.
 *
 * One task per item: its distances to all items are summed per cluster in
 * item order, so results do not depend on the thread count. From vectors the
 * Euclidean distances are computed on the fly: O(n^2 d) time, O(n) memory. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct sctx {
    const double *D; /* condensed, or NULL */
    const double *X; /* vectors, or NULL */
    size_t n, d, L;
    const uint32_t *cl; /* cluster index 0..L-1 per item */
    const uint64_t *size;
    double *sums; /* per worker: L */
    double *s;    /* per item */
} sctx;

static void item_task(void *p, size_t i, unsigned w)
{
    const sctx *c = p;
    double *sum = c->sums + (size_t)w * c->L;
    memset(sum, 0, c->L * sizeof(*sum));
    for (size_t j = 0; j < c->n; j++) {
        if (j == i)
            continue;
        double dist = c->D ? c->D[trawl_analyze_condensed_index(c->n, i, j)]
                           : sqrt(trawl__an_sqdist(c->X + i * c->d, c->X + j * c->d, c->d));
        sum[c->cl[j]] += dist;
    }
    uint32_t own = c->cl[i];
    if (c->size[own] < 2) {
        c->s[i] = 0;
        return;
    }
    double a = sum[own] / (double)(c->size[own] - 1), b = INFINITY;
    for (size_t l = 0; l < c->L; l++)
        if (l != own && c->size[l]) {
            double m = sum[l] / (double)c->size[l];
            b = m < b ? m : b;
        }
    double mx = a > b ? a : b;
    c->s[i] = mx > 0 ? (b - a) / mx : 0;
}

typedef struct lab {
    int32_t v;
    uint32_t i;
} lab;

static int by_value(const void *x, const void *y)
{
    const lab *a = x, *b = y;
    return a->v < b->v ? -1 : a->v > b->v;
}

static trawl_status silhouette(const double *D, const double *X, size_t n, size_t d,
                               const int32_t *labels, unsigned threads, double *score,
                               double *per_item, trawl_error *err)
{
    if (!labels || !score || (!D && !X))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    lab *l = malloc((n ? n : 1) * sizeof(*l));
    uint32_t *cl = malloc((n ? n : 1) * sizeof(*cl));
    uint64_t *size = calloc(n ? n : 1, sizeof(*size));
    double *s = per_item ? per_item : malloc((n ? n : 1) * sizeof(*s));
    unsigned workers = trawl__an_threads(threads, n);
    double *sums = malloc((size_t)workers * (n ? n : 1) * sizeof(*sums));
    trawl_status st = TRAWL_OK;
    if (!l || !cl || !size || !s || !sums) {
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        l[i] = (lab){labels[i], (uint32_t)i};
    qsort(l, n, sizeof(*l), by_value);
    size_t L = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || l[i].v != l[i - 1].v)
            L++;
        cl[l[i].i] = (uint32_t)(L - 1);
        size[L - 1]++;
    }
    if (L < 2 || L > n - 1) {
        st = trawl__fail(err, TRAWL_EINVAL,
                         "the silhouette needs 2 to n - 1 clusters; there are %zu for %zu items", L,
                         n);
        goto out;
    }
    sctx c = {D, X, n, d, L, cl, size, sums, s};
    trawl__an_parallel(workers, n, item_task, &c);
    double tot = 0;
    for (size_t i = 0; i < n; i++)
        tot += s[i];
    *score = tot / (double)n;
out:
    free(l);
    free(cl);
    free(size);
    free(sums);
    if (s != per_item)
        free(s);
    return st;
}

trawl_status trawl_analyze_silhouette(const double *D, size_t n, const int32_t *labels,
                                      unsigned threads, double *score, double *per_item,
                                      trawl_error *err)
{
    return silhouette(D, NULL, n, 0, labels, threads, score, per_item, err);
}

trawl_status trawl_analyze_silhouette_vectors(const double *X, size_t n, size_t d,
                                              const int32_t *labels, unsigned threads,
                                              double *score, double *per_item, trawl_error *err)
{
    if (d == 0)
        return trawl__fail(err, TRAWL_EINVAL, "vectors of dimension 0");
    return silhouette(NULL, X, n, d, labels, threads, score, per_item, err);
}
