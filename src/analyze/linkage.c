/* linkage.c -- agglomerative hierarchical clustering from a condensed
 * distance matrix, producing SciPy's linkage matrix row for row.
 *
 * Algorithms and costs (the choice Muellner's "Modern hierarchical,
 * agglomerative clustering algorithms" (arXiv:1109.2378) recommends, and
 * the one SciPy makes; the steps below follow SciPy's so that ties resolve
 * the same way):
 *
 *   single      minimum spanning tree, Prim's algorithm over the dense
 *               matrix: O(n^2) time, O(n) memory besides D (read only;
 *               from vectors no matrix at all, see mst_vectors). Node 0
 *               starts the tree; each step adds the outside node nearest
 *               to the tree (the lowest index among equals) and records
 *               (previous node added, new node, its distance).
 *   complete,   nearest-neighbour chain: O(n^2) time; D copied into a
 *   average,    square matrix (8 n^2 bytes, see nn_chain) or the caller's
 *   weighted,   condensed D used in place, updated by Lance-Williams. The
 *   ward        chain starts at the lowest active cluster; each link goes
 *               to the nearest active cluster (the lowest index among
 *               equals, but the previous link when it is as near, so that
 *               the chain cannot cycle); two mutual nearest neighbours
 *               x < y merge into slot y.
 *               These linkages are reducible, which is what makes the
 *               chain exact.
 *
 * Both produce merges out of order; the rows are then sorted by distance
 * with a stable sort and relabelled with a union-find in which the k-th
 * merge creates cluster n + k, the smaller root id first. The
 * Lance-Williams updates are SciPy's formulas with the same operation
 * order, so the distances agree to the last bit on the same input.
 *
 * Active clusters are kept in an index-ordered linked list, so a scan
 * visits only live clusters, in the same order as a scan of all of them. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"single", "complete", "average", "weighted", "ward"};

const char *trawl_analyze_linkage_name(trawl_analyze_linkage_method m)
{
    return (unsigned)m < 5 ? method_names[m] : "?";
}

bool trawl_analyze_linkage_parse(const char *s, trawl_analyze_linkage_method *m)
{
    if (!s)
        return false;
    for (unsigned i = 0; i < 5; i++)
        if (!strcmp(s, method_names[i])) {
            *m = (trawl_analyze_linkage_method)i;
            return true;
        }
    if (!strcmp(s, "upgma")) {
        *m = TRAWL_ANALYZE_LINK_AVERAGE;
        return true;
    }
    if (!strcmp(s, "wpgma")) {
        *m = TRAWL_ANALYZE_LINK_WEIGHTED;
        return true;
    }
    return false;
}

/* Start of row i (the entry (i, i + 1)); entry (i, j), i < j, is at
 * row_start(i) + j - i - 1. */
static inline uint64_t row_start(uint64_t n, uint64_t i)
{
    return n * i - i * (i + 1) / 2;
}

static inline double *at(double *D, uint64_t n, uint64_t i, uint64_t j)
{
    return i < j ? D + row_start(n, i) + (j - i - 1) : D + row_start(n, j) + (i - j - 1);
}

/* ---- the index-ordered list of live clusters ------------------------------ */

typedef struct live {
    uint32_t *next, *prev; /* n + 1 entries; n is the head sentinel */
    uint32_t head;
} live;

static bool live_init(live *l, size_t n)
{
    l->next = malloc((n + 1) * sizeof(*l->next));
    l->prev = malloc((n + 1) * sizeof(*l->prev));
    if (!l->next || !l->prev)
        return false;
    l->head = (uint32_t)n;
    for (size_t i = 0; i <= n; i++) {
        l->next[i] = (uint32_t)(i == n ? 0 : i + 1);
        l->prev[i] = (uint32_t)(i == 0 ? n : i - 1);
    }
    return true;
}

static void live_remove(live *l, uint32_t x)
{
    l->next[l->prev[x]] = l->next[x];
    l->prev[l->next[x]] = l->prev[x];
}

static void live_free(live *l)
{
    free(l->next);
    free(l->prev);
}

/* ---- single linkage: Prim -------------------------------------------------- */

/* Prim's state: every item live, no best distance yet. false when out of
 * memory (nothing is left allocated). */
static bool prim_init(size_t n, double **best, live *l)
{
    *best = malloc(n * sizeof(**best));
    if (!*best)
        return false;
    if (!live_init(l, n)) {
        live_free(l);
        free(*best);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        (*best)[i] = INFINITY;
    return true;
}

static trawl_status mst(const double *D, size_t n, double *Z)
{
    double *best;
    live l;
    if (!prim_init(n, &best, &l))
        return TRAWL_ENOMEM;
    uint32_t x = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        live_remove(&l, x);
        double cur = INFINITY;
        uint32_t y = 0;
        const double *rx = D + row_start(n, x); /* rx[i - x - 1] = D(x, i) for i > x */
        for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i]) {
            double d = i > x ? rx[i - x - 1] : D[row_start(n, i) + (x - i - 1)];
            if (best[i] > d)
                best[i] = d;
            if (best[i] < cur) {
                cur = best[i];
                y = i;
            }
        }
        Z[4 * k] = x;
        Z[4 * k + 1] = y;
        Z[4 * k + 2] = cur;
        Z[4 * k + 3] = 0; /* sizes come with the labels */
        x = y;
    }
    free(best);
    live_free(&l);
    return TRAWL_OK;
}

/* Prim straight from vectors: the same steps, each distance computed when
 * it is needed (the square root of the sum of squares in dimension order,
 * as trawl_analyze_pdist computes it) instead of read from a matrix. No
 * matrix: O(n) memory, and the n^2 / 2 strided reads of a condensed
 * matrix's columns, which cost more than the arithmetic, are gone. */
static trawl_status mst_vectors(const double *X, size_t n, size_t d, double *Z)
{
    double *best;
    live l;
    if (!prim_init(n, &best, &l))
        return TRAWL_ENOMEM;
    uint32_t x = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        live_remove(&l, x);
        double cur = INFINITY;
        uint32_t y = 0;
        const double *vx = X + (size_t)x * d;
        for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i]) {
            double dd = sqrt(trawl__an_sqdist(vx, X + (size_t)i * d, d));
            if (best[i] > dd)
                best[i] = dd;
            if (best[i] < cur) {
                cur = best[i];
                y = i;
            }
        }
        Z[4 * k] = x;
        Z[4 * k + 1] = y;
        Z[4 * k + 2] = cur;
        Z[4 * k + 3] = 0;
        x = y;
    }
    free(best);
    live_free(&l);
    return TRAWL_OK;
}

/* ---- reducible linkages: nearest-neighbour chain ------------------------------ */

static inline double update(trawl_analyze_linkage_method m, double dxi, double dyi, double dxy,
                            int sx, int sy, int si)
{
    switch (m) {
    case TRAWL_ANALYZE_LINK_COMPLETE:
        return dxi > dyi ? dxi : dyi;
    case TRAWL_ANALYZE_LINK_AVERAGE:
        return (sx * dxi + sy * dyi) / (sx + sy);
    case TRAWL_ANALYZE_LINK_WEIGHTED:
        return 0.5 * (dxi + dyi);
    default: { /* Ward */
        double t = 1.0 / (sx + sy + si);
        return sqrt((si + sx) * t * dxi * dxi + (si + sy) * t * dyi * dyi - si * t * dxy * dxy);
    }
    }
}

/* The working matrix is condensed (the caller's, in place) or square and
 * symmetric (a copy): a square one makes every nearest-neighbour search a
 * contiguous row scan, where a condensed one reads half of it down a
 * column, a cache miss per entry; on 10,000 items that is most of the
 * time. */
typedef struct wmat {
    double *D;
    size_t n;
    bool square;
} wmat;

static inline double get(const wmat *w, size_t i, size_t j)
{
    return w->square ? w->D[i * w->n + j] : *at(w->D, w->n, i, j);
}

static trawl_status nn_chain(const wmat *w, trawl_analyze_linkage_method m, double *Z)
{
    const size_t n = w->n;
    double *D = w->D;
    int *size = malloc(n * sizeof(*size));
    uint32_t *chain = malloc(n * sizeof(*chain));
    live l;
    bool ok = size && chain && live_init(&l, n);
    if (!ok) {
        free(size);
        free(chain);
        if (size && chain)
            live_free(&l);
        return TRAWL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        size[i] = 1;
    size_t len = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        if (len == 0)
            chain[len++] = l.next[l.head];
        uint32_t x, y = 0;
        double cur;
        for (;;) {
            x = chain[len - 1];
            if (len > 1) {
                y = chain[len - 2];
                cur = get(w, x, y);
            } else {
                cur = INFINITY;
            }
            if (w->square) {
                const double *rx = D + (size_t)x * n;
                for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i])
                    if (i != x && rx[i] < cur) {
                        cur = rx[i];
                        y = i;
                    }
            } else {
                const double *rx = D + row_start(n, x);
                for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i]) {
                    if (i == x)
                        continue;
                    double d = i > x ? rx[i - x - 1] : D[row_start(n, i) + (x - i - 1)];
                    if (d < cur) {
                        cur = d;
                        y = i;
                    }
                }
            }
            if (len > 1 && y == chain[len - 2])
                break;
            chain[len++] = y;
        }
        len -= 2;
        if (x > y) {
            uint32_t t = x;
            x = y;
            y = t;
        }
        int nx = size[x], ny = size[y];
        Z[4 * k] = x;
        Z[4 * k + 1] = y;
        Z[4 * k + 2] = cur;
        Z[4 * k + 3] = nx + ny;
        size[x] = 0;
        size[y] = nx + ny;
        live_remove(&l, x);
        if (w->square) {
            double *rx = D + (size_t)x * n, *ry = D + (size_t)y * n;
            for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i]) {
                if (i == y)
                    continue;
                ry[i] = update(m, rx[i], ry[i], cur, nx, ny, size[i]);
                D[(size_t)i * n + y] = ry[i];
            }
        } else {
            for (uint32_t i = l.next[l.head]; i != l.head; i = l.next[i]) {
                if (i == y)
                    continue;
                double *dy = at(D, n, i, y);
                *dy = update(m, *at(D, n, i, x), *dy, cur, nx, ny, size[i]);
            }
        }
    }
    free(size);
    free(chain);
    live_free(&l);
    return TRAWL_OK;
}

/* ---- sort and relabel ------------------------------------------------------ */

/* Stable merge sort of row indices by distance (NumPy's mergesort). */
static void sort_rows(const double *Z, uint32_t *idx, uint32_t *tmp, size_t lo, size_t hi)
{
    if (hi - lo < 2)
        return;
    size_t mid = lo + (hi - lo) / 2;
    sort_rows(Z, idx, tmp, lo, mid);
    sort_rows(Z, idx, tmp, mid, hi);
    size_t a = lo, b = mid, o = lo;
    while (a < mid && b < hi)
        tmp[o++] = Z[4 * (size_t)idx[b] + 2] < Z[4 * (size_t)idx[a] + 2] ? idx[b++] : idx[a++];
    while (a < mid)
        tmp[o++] = idx[a++];
    while (b < hi)
        tmp[o++] = idx[b++];
    memcpy(idx + lo, tmp + lo, (hi - lo) * sizeof(*idx));
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
    uint32_t r = x;
    while (parent[r] != r)
        r = parent[r];
    while (parent[x] != r) {
        uint32_t nx = parent[x];
        parent[x] = r;
        x = nx;
    }
    return r;
}

static trawl_status sort_and_label(double *Z, size_t n)
{
    size_t rows = n - 1;
    uint32_t *idx = malloc(rows * sizeof(*idx));
    uint32_t *tmp = malloc(rows * sizeof(*tmp));
    uint32_t *parent = malloc((2 * n - 1) * sizeof(*parent));
    uint32_t *csize = malloc((2 * n - 1) * sizeof(*csize));
    double *copy = malloc(rows * 4 * sizeof(*copy));
    trawl_status st = TRAWL_ENOMEM;
    if (!idx || !tmp || !parent || !csize || !copy)
        goto out;
    for (size_t k = 0; k < rows; k++)
        idx[k] = (uint32_t)k;
    sort_rows(Z, idx, tmp, 0, rows);
    memcpy(copy, Z, rows * 4 * sizeof(*copy));
    for (size_t k = 0; k < rows; k++)
        memcpy(Z + 4 * k, copy + 4 * (size_t)idx[k], 4 * sizeof(*Z));
    for (size_t i = 0; i < 2 * n - 1; i++) {
        parent[i] = (uint32_t)i;
        csize[i] = 1;
    }
    for (size_t k = 0; k < rows; k++) {
        uint32_t x = find(parent, (uint32_t)Z[4 * k]), y = find(parent, (uint32_t)Z[4 * k + 1]);
        uint32_t nl = (uint32_t)(n + k);
        Z[4 * k] = x < y ? x : y;
        Z[4 * k + 1] = x < y ? y : x;
        parent[x] = parent[y] = nl;
        csize[nl] = csize[x] + csize[y];
        Z[4 * k + 3] = csize[nl];
    }
    st = TRAWL_OK;
out:
    free(idx);
    free(tmp);
    free(parent);
    free(csize);
    free(copy);
    return st;
}

/* ---- entry points ----------------------------------------------------------------- */

static trawl_status check(const double *D, size_t n, trawl_analyze_linkage_method m, double *Z,
                          trawl_error *err)
{
    if (!D && n > 1)
        return trawl__fail(err, TRAWL_EINVAL, "NULL distance matrix");
    if (!Z && n > 1)
        return trawl__fail(err, TRAWL_EINVAL, "NULL linkage matrix");
    if (n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no items to cluster");
    if ((unsigned)m > TRAWL_ANALYZE_LINK_WARD)
        return trawl__fail(err, TRAWL_EINVAL, "unknown linkage method %d", (int)m);
    if (n > INT32_MAX / 2)
        return trawl__fail(err, TRAWL_ELIMIT, "%zu items: at most %d", n, INT32_MAX / 2);
    uint64_t entries = trawl_analyze_condensed_size(n);
    for (uint64_t e = 0; e < entries; e++)
        if (!(D[e] >= 0) || D[e] == INFINITY)
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)e,
                                  "distance %llu is %g: distances must be finite and >= 0",
                                  (unsigned long long)e, D[e]);
    return TRAWL_OK;
}

static trawl_status run(double *D, size_t n, bool square, trawl_analyze_linkage_method m, double *Z,
                        trawl_error *err)
{
    if (n < 2)
        return TRAWL_OK;
    wmat w = {D, n, square};
    trawl_status st = m == TRAWL_ANALYZE_LINK_SINGLE ? mst(D, n, Z) : nn_chain(&w, m, Z);
    if (!st)
        st = sort_and_label(Z, n);
    return st ? trawl__fail(err, st, "out of memory") : TRAWL_OK;
}

trawl_status trawl_analyze_linkage_inplace(double *D, size_t n, trawl_analyze_linkage_method method,
                                           double *Z, trawl_error *err)
{
    trawl_status st = check(D, n, method, Z, err);
    return st ? st : run(D, n, false, method, Z, err);
}

trawl_status trawl_analyze_linkage(const double *D, size_t n, trawl_analyze_linkage_method method,
                                   double *Z, trawl_error *err)
{
    trawl_status st = check(D, n, method, Z, err);
    if (st)
        return st;
    if (method == TRAWL_ANALYZE_LINK_SINGLE || n < 2) /* Prim only reads D */
        return run((double *)D, n, false, method, Z, err);
    /* a square working copy, or a condensed one when memory refuses it */
    double *S = (uint64_t)n * n <= SIZE_MAX / sizeof(double) ? malloc(n * n * sizeof(*S)) : NULL;
    if (S) {
        for (size_t i = 0; i < n; i++) {
            S[i * n + i] = 0;
            const double *row = D + row_start(n, i);
            for (size_t j = i + 1; j < n; j++)
                S[i * n + j] = S[j * n + i] = row[j - i - 1];
        }
        st = run(S, n, true, method, Z, err);
        free(S);
        return st;
    }
    uint64_t entries = trawl_analyze_condensed_size(n);
    if (entries > SIZE_MAX / sizeof(double))
        return trawl__fail(err, TRAWL_ELIMIT, "distance matrix too large");
    double *W = malloc((size_t)entries * sizeof(*W) + 1);
    if (!W)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory copying %llu distances",
                           (unsigned long long)entries);
    memcpy(W, D, (size_t)entries * sizeof(*W));
    st = run(W, n, false, method, Z, err);
    free(W);
    return st;
}

/* Row i of the square Euclidean matrix: every entry computed in its own
 * row (twice the arithmetic of a triangle, but every write contiguous);
 * dist(i, j) and dist(j, i) are the same double, (a - b)^2 = (b - a)^2. */
typedef struct sq_ctx {
    const double *X;
    size_t n, d;
    double *S;
} sq_ctx;

static void sq_row(void *p, size_t i, unsigned w)
{
    (void)w;
    const sq_ctx *c = p;
    const double *x = c->X + i * c->d;
    double *row = c->S + i * c->n;
    for (size_t j = 0; j < c->n; j++)
        row[j] = j == i ? 0 : sqrt(trawl__an_sqdist(x, c->X + j * c->d, c->d));
}

trawl_status trawl_analyze_linkage_vectors(const double *X, size_t n, size_t d,
                                           trawl_analyze_linkage_method method, unsigned threads,
                                           uint64_t max_bytes, double *Z, trawl_error *err)
{
    if (n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no items to cluster");
    if (!X || !Z || d == 0)
        return trawl__fail(err, TRAWL_EINVAL, d ? "NULL argument" : "vectors of dimension 0");
    if ((unsigned)method > TRAWL_ANALYZE_LINK_WARD)
        return trawl__fail(err, TRAWL_EINVAL, "unknown linkage method %d", (int)method);
    if (n > INT32_MAX / 2)
        return trawl__fail(err, TRAWL_ELIMIT, "%zu items: at most %d", n, INT32_MAX / 2);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)(i / d),
                                  "row %zu, column %zu is not finite", i / d, i % d);
    if (method == TRAWL_ANALYZE_LINK_SINGLE) { /* no matrix at all */
        trawl_status st = n < 2 ? TRAWL_OK : mst_vectors(X, n, d, Z);
        if (!st && n >= 2)
            st = sort_and_label(Z, n);
        return st ? trawl__fail(err, st, "out of memory") : TRAWL_OK;
    }
    if (n < 2)
        return TRAWL_OK;
    /* square when the bound allows it (twice the condensed size), else
     * condensed */
    uint64_t cells = (uint64_t)n * n;
    bool square = cells <= SIZE_MAX / sizeof(double) && (!max_bytes || cells * 8 <= max_bytes);
    if (square) {
        double *S = malloc((size_t)cells * sizeof(*S));
        if (S) {
            sq_ctx c = {X, n, d, S};
            trawl__an_parallel(threads, n, sq_row, &c);
            trawl_status st = run(S, n, true, method, Z, err);
            free(S);
            return st;
        }
    }
    uint64_t entries = trawl_analyze_condensed_size(n);
    trawl_status st = trawl__an_check_matrix(entries, max_bytes, err);
    if (st)
        return st;
    if (entries > SIZE_MAX / sizeof(double))
        return trawl__fail(err, TRAWL_ELIMIT, "distance matrix too large");
    double *D = malloc((size_t)entries * sizeof(*D) + 1);
    if (!D)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory for %llu distances",
                           (unsigned long long)entries);
    st = trawl_analyze_pdist(X, n, d, threads, 0, D, err);
    if (!st)
        st = trawl_analyze_linkage_inplace(D, n, method, Z, err);
    free(D);
    return st;
}
