/* cut.c -- flat clusters from a linkage matrix (SciPy's fcluster with the
 * 'distance' and 'maxclust' criteria, numbered from 0).
 *
 * Both cut at a height: a subtree whose every merge is at or below the
 * height is one cluster. 'distance' is given the height. 'maxclust' binary
 * searches the merge heights for the lowest one that leaves at most k
 * clusters (each probe is a walk of the tree: O(n log n) in all).
 *
 * Numbering follows SciPy's walk exactly: depth first from the root, into
 * the left child before the right, and a node's leaf children are numbered
 * after its subtrees, when the walk comes back to it. A cluster's number is
 * fixed when the walk first enters its top node. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

/* A linkage matrix is a tree when every child id refers to an item or an
 * earlier row and no id is a child twice. Then every walk below ends. */
trawl_status trawl__an_check_linkage(const double *Z, size_t n, trawl_error *err)
{
    uint8_t *used = calloc(2 * n, 1);
    if (!used)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t k = 0; k + 1 < n; k++) {
        for (int c = 0; c < 2; c++) {
            double v = Z[4 * k + (size_t)c];
            if (!(v >= 0 && v < (double)(n + k)) || v != (double)(size_t)v || used[(size_t)v]) {
                free(used);
                return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)k,
                                      "linkage row %zu: child %g is not an item or an earlier, "
                                      "unused cluster",
                                      k, v);
            }
            used[(size_t)v] = 1;
        }
    }
    free(used);
    return TRAWL_OK;
}

/* md[k] = the largest merge distance in the subtree of row k. Rows only
 * refer to earlier rows, so one pass in row order suffices. */
static void max_dists(const double *Z, size_t n, double *md)
{
    for (size_t k = 0; k + 1 < n; k++) {
        double m = Z[4 * k + 2];
        for (int c = 0; c < 2; c++) {
            size_t id = (size_t)Z[4 * k + (size_t)c];
            if (id >= n && md[id - n] > m)
                m = md[id - n];
        }
        md[k] = m;
    }
}

typedef struct walk {
    uint32_t *stack;
    uint8_t *seen; /* 2n - 1 node ids */
} walk;

/* Clusters formed by cutting at `cut`, counting stops past `limit`. */
static size_t count_at(const double *Z, size_t n, const double *md, double cut, size_t limit,
                       walk *w)
{
    memset(w->seen, 0, 2 * n - 1);
    size_t nc = 0, top = 0;
    w->stack[0] = (uint32_t)(2 * n - 2);
    for (;;) {
        size_t root = w->stack[top] - n;
        uint32_t lc = (uint32_t)Z[4 * root], rc = (uint32_t)Z[4 * root + 1];
        bool pushed = false;
        if (md[root] <= cut) {
            nc++;
            w->seen[lc] = w->seen[rc] = 1;
        } else {
            uint32_t ch[2] = {lc, rc};
            for (int c = 0; c < 2 && !pushed; c++) {
                if (w->seen[ch[c]])
                    continue;
                w->seen[ch[c]] = 1;
                if (ch[c] >= n) {
                    w->stack[++top] = ch[c];
                    pushed = true;
                } else {
                    nc++;
                }
            }
        }
        if (nc > limit)
            return nc;
        if (pushed)
            continue;
        if (top == 0)
            break;
        top--;
    }
    return nc;
}

/* Labels every item: clusters are the maximal subtrees with md <= cut. */
static size_t assign(const double *Z, size_t n, const double *md, double cut, int32_t *labels,
                     walk *w)
{
    memset(w->seen, 0, 2 * n - 1);
    int64_t leader = -1;
    int32_t nc = 0;
    size_t top = 0;
    w->stack[0] = (uint32_t)(2 * n - 2);
    for (;;) {
        size_t root = w->stack[top] - n;
        uint32_t lc = (uint32_t)Z[4 * root], rc = (uint32_t)Z[4 * root + 1];
        if (leader < 0 && md[root] <= cut) {
            leader = (int64_t)root;
            nc++;
        }
        if (lc >= n && !w->seen[lc]) {
            w->seen[lc] = 1;
            w->stack[++top] = lc;
            continue;
        }
        if (rc >= n && !w->seen[rc]) {
            w->seen[rc] = 1;
            w->stack[++top] = rc;
            continue;
        }
        if (lc < n) {
            if (leader < 0)
                nc++;
            labels[lc] = nc - 1;
        }
        if (rc < n) {
            if (leader < 0)
                nc++;
            labels[rc] = nc - 1;
        }
        if (leader == (int64_t)root)
            leader = -1;
        if (top == 0)
            break;
        top--;
    }
    return (size_t)nc;
}

static trawl_status prepare(const double *Z, size_t n, int32_t *labels, double **md, walk *w,
                            trawl_error *err)
{
    if (n == 0 || !labels || (!Z && n > 1))
        return trawl__fail(err, TRAWL_EINVAL, n == 0 ? "no items" : "NULL argument");
    if (n > INT32_MAX / 2)
        return trawl__fail(err, TRAWL_ELIMIT, "%zu items: at most %d", n, INT32_MAX / 2);
    if (n == 1)
        return TRAWL_OK;
    trawl_status st = trawl__an_check_linkage(Z, n, err);
    if (st)
        return st;
    *md = malloc((n - 1) * sizeof(**md));
    w->stack = malloc(n * sizeof(*w->stack));
    w->seen = malloc(2 * n - 1);
    if (!*md || !w->stack || !w->seen)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    max_dists(Z, n, *md);
    return TRAWL_OK;
}

static void release(double *md, walk *w)
{
    free(md);
    free(w->stack);
    free(w->seen);
}

trawl_status trawl_analyze_cut_distance(const double *Z, size_t n, double t, int32_t *labels,
                                        size_t *nclusters, trawl_error *err)
{
    double *md = NULL;
    walk w = {0};
    trawl_status st = prepare(Z, n, labels, &md, &w, err);
    if (!st && n == 1) {
        labels[0] = 0;
        if (nclusters)
            *nclusters = 1;
    } else if (!st) {
        size_t nc = assign(Z, n, md, t, labels, &w);
        if (nclusters)
            *nclusters = nc;
    }
    release(md, &w);
    return st;
}

trawl_status trawl_analyze_cut_k(const double *Z, size_t n, size_t k, int32_t *labels,
                                 size_t *nclusters, trawl_error *err)
{
    if (k == 0)
        return trawl__fail(err, TRAWL_EINVAL, "k must be at least 1");
    if (k >= n && labels) {
        if (!Z && n > 1)
            return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
        for (size_t i = 0; i < n; i++)
            labels[i] = (int32_t)i;
        if (nclusters)
            *nclusters = n;
        return n ? TRAWL_OK : trawl__fail(err, TRAWL_EINVAL, "no items");
    }
    double *md = NULL;
    walk w = {0};
    trawl_status st = prepare(Z, n, labels, &md, &w, err);
    if (!st) {
        /* md[n - 2] (the root) always gives one cluster, so hi ends inside */
        int64_t lo = -1, hi = (int64_t)n - 2;
        while (hi - lo > 1) {
            int64_t mid = (lo + hi) / 2;
            if (count_at(Z, n, md, md[mid], k, &w) > k)
                lo = mid;
            else
                hi = mid;
        }
        size_t nc = assign(Z, n, md, md[hi], labels, &w);
        if (nclusters)
            *nclusters = nc;
    }
    release(md, &w);
    return st;
}
