/* dbscan.c -- DBSCAN (Ester et al. 1996) on a precomputed distance
 * matrix, as scikit-learn's DBSCAN(metric="precomputed") labels it.
 *
 * An item's neighbourhood is every item within eps (distance <= eps),
 * itself included; a core item has at least min_samples of them. Items are
 * taken in index order; an unlabelled core item starts a new cluster, which
 * grows depth first: a labelled core item pushes its unlabelled neighbours
 * in index order, the last pushed is taken next. A border item (in reach of
 * a core item, not core itself) joins the first cluster that reaches it;
 * the rest are noise (-1). Neighbourhoods are read from the matrix rows when
 * needed instead of being stored: O(n^2) time, O(n) memory besides D. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

static inline double dist(const double *D, size_t n, size_t i, size_t j)
{
    return D[trawl_analyze_condensed_index(n, i, j)];
}

trawl_status trawl_analyze_dbscan(const double *D, size_t n, double eps, size_t min_samples,
                                  int32_t *labels, size_t *nclusters, trawl_error *err)
{
    if ((!D && n > 1) || (!labels && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (!(eps >= 0))
        return trawl__fail(err, TRAWL_EINVAL, "eps must be >= 0");
    if (min_samples < 1)
        return trawl__fail(err, TRAWL_EINVAL, "min_samples must be at least 1");
    if (n > INT32_MAX)
        return trawl__fail(err, TRAWL_ELIMIT, "too many items");
    bool *core = malloc((n ? n : 1) * sizeof(*core));
    size_t cap = n ? n : 1, *stack = malloc(cap * sizeof(*stack));
    if (!core || !stack) {
        free(core);
        free(stack);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = 1; /* itself */
        for (size_t j = 0; j < n && c < min_samples; j++)
            c += j != i && dist(D, n, i, j) <= eps;
        core[i] = c >= min_samples;
        labels[i] = -1;
    }
    int32_t label = 0;
    for (size_t s = 0; s < n; s++) {
        if (labels[s] != -1 || !core[s])
            continue;
        size_t top = 0, i = s;
        for (;;) {
            if (labels[i] == -1) {
                labels[i] = label;
                /* an item can be pushed by several cores before it is taken */
                for (size_t v = 0; core[i] && v < n; v++) {
                    if (labels[v] != -1 || dist(D, n, i, v) > eps)
                        continue;
                    if (top == cap) {
                        size_t *t = realloc(stack, 2 * cap * sizeof(*stack));
                        if (!t) {
                            free(core);
                            free(stack);
                            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                        }
                        stack = t;
                        cap *= 2;
                    }
                    stack[top++] = v;
                }
            }
            if (top == 0)
                break;
            i = stack[--top];
        }
        label++;
    }
    free(core);
    free(stack);
    if (nclusters)
        *nclusters = (size_t)label;
    return TRAWL_OK;
}
