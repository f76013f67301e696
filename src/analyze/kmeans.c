/* kmeans.c -- k-means: Lloyd's iteration, and Hamerly's (2010) bounds that
 * skip most distance computations once the centers settle; both give the
 * same labels each iteration (up to exact ties), so the same result.
 *
 * The loop is scikit-learn's (KMeans, algorithm "lloyd"), so that from the
 * same initial centers both stop after the same iteration with the same
 * labels: an iteration assigns every point to its nearest center (the
 * lowest index on ties) and moves each center to the mean of its points;
 * it stops when the labels did not change (then the centers are final), or
 * when the squared center shifts sum to at most tol x the mean variance of
 * the features, or after max_iter iterations; in the last two cases one
 * more assignment makes the labels those of the final centers. A cluster
 * left empty takes, as its new center, the point farthest from its own
 * center (the largest squared distance, the lower index on ties; the
 * lowest-numbered empty cluster takes the farthest point); that point's
 * weight moves with it, as in scikit-learn.
 *
 * Points are cut into fixed chunks; each chunk's labels, bounds and
 * partial sums are computed on any thread and the chunks are summed in
 * order, so results never depend on the thread count. A distance is
 * summed over dimensions in order with the centers laid out dimension-major
 * (d x k), so that the k accumulators of one point vectorise. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 1024 };

typedef struct km {
    const double *X;
    size_t n, d, k, chunks;
    bool hamerly;
    double *C, *Cn, *Ct; /* centers k x d, new centers, transposed d x k */
    int32_t *labels, *old;
    double *upper, *lower; /* Hamerly: per point */
    double *half;          /* Hamerly: half the distance to the nearest other center */
    double *shift;         /* per center */
    double *psum, *pcnt;   /* chunks x k x d, chunks x k */
    double *pinert;        /* chunks */
    double *scratch;       /* per worker: k accumulators */
    unsigned workers;
    bool full; /* next assignment ignores the bounds */
    bool avx2; /* kmeans_avx2.c's kernel */
} km;

static void transpose(km *m)
{
    for (size_t c = 0; c < m->k; c++)
        for (size_t j = 0; j < m->d; j++)
            m->Ct[j * m->k + c] = m->C[c * m->d + j];
}

/* acc[c] = squared distance from x to center c, for all c. */
static inline void all_dists(const km *m, const double *x, double *acc)
{
    const size_t k = m->k;
    if (m->avx2) {
        trawl__an_dists_avx2(x, m->Ct, m->d, k, acc);
        return;
    }
    for (size_t c = 0; c < k; c++)
        acc[c] = 0;
    for (size_t j = 0; j < m->d; j++) {
        const double xj = x[j], *row = m->Ct + j * k;
        for (size_t c = 0; c < k; c++) {
            double t = xj - row[c];
            acc[c] += t * t;
        }
    }
}

/* ---- assignment ------------------------------------------------------------------ */

typedef struct step {
    km *m;
    bool sums;    /* accumulate partial sums for the update */
    bool inertia; /* accumulate squared distances */
} step;

static void assign_chunk(void *p, size_t ch, unsigned w)
{
    const step *s = p;
    km *m = s->m;
    const size_t d = m->d, k = m->k;
    size_t lo = ch * CHUNK, hi = lo + CHUNK < m->n ? lo + CHUNK : m->n;
    double *acc = m->scratch + (size_t)w * k;
    double *sum = m->psum + ch * k * d, *cnt = m->pcnt + ch * k, inert = 0;
    if (s->sums) {
        memset(sum, 0, k * d * sizeof(*sum));
        memset(cnt, 0, k * sizeof(*cnt));
    }
    for (size_t i = lo; i < hi; i++) {
        const double *x = m->X + i * d;
        int32_t a = m->labels[i];
        bool skip = false;
        if (m->hamerly && !m->full) {
            double bound = m->half[a] > m->lower[i] ? m->half[a] : m->lower[i];
            if (m->upper[i] <= bound) {
                skip = true;
            } else {
                m->upper[i] = sqrt(trawl__an_sqdist(x, m->C + (size_t)a * d, d));
                skip = m->upper[i] <= bound;
            }
        }
        double best = 0;
        if (!skip) {
            all_dists(m, x, acc);
            size_t b = 0;
            for (size_t c = 1; c < k; c++)
                if (acc[c] < acc[b])
                    b = c;
            best = acc[b];
            if (m->hamerly) {
                double second = INFINITY;
                for (size_t c = 0; c < k; c++)
                    if (c != b && acc[c] < second)
                        second = acc[c];
                m->upper[i] = sqrt(acc[b]);
                m->lower[i] = sqrt(second);
            }
            a = (int32_t)b;
            m->labels[i] = a;
        }
        if (s->inertia)
            inert += skip ? trawl__an_sqdist(x, m->C + (size_t)a * d, d) : best;
        if (s->sums) {
            double *sa = sum + (size_t)a * d;
            for (size_t j = 0; j < d; j++)
                sa[j] += x[j];
            cnt[a] += 1;
        }
    }
    if (s->inertia)
        m->pinert[ch] = inert;
}

static void assign(km *m, unsigned threads, bool sums, bool inertia)
{
    step s = {m, sums, inertia};
    trawl__an_parallel(threads, m->chunks, assign_chunk, &s);
    m->full = false;
}

/* ---- update ---------------------------------------------------------------------- */

typedef struct farpt {
    double dist;
    size_t i;
} farpt;

static int by_far(const void *x, const void *y)
{
    const farpt *a = x, *b = y;
    if (a->dist != b->dist)
        return a->dist > b->dist ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Sums the chunks in order into Cn (as sums) and counts; relocates empty
 * clusters; divides. Returns the number of relocations, or -1 on ENOMEM. */
static long update(km *m, double *count)
{
    const size_t d = m->d, k = m->k;
    memset(m->Cn, 0, k * d * sizeof(*m->Cn));
    memset(count, 0, k * sizeof(*count));
    for (size_t ch = 0; ch < m->chunks; ch++) {
        const double *sum = m->psum + ch * k * d, *cnt = m->pcnt + ch * k;
        for (size_t i = 0; i < k * d; i++)
            m->Cn[i] += sum[i];
        for (size_t c = 0; c < k; c++)
            count[c] += cnt[c];
    }
    size_t empty = 0;
    for (size_t c = 0; c < k; c++)
        empty += count[c] == 0;
    if (empty) {
        farpt *f = malloc(m->n * sizeof(*f));
        if (!f)
            return -1;
        for (size_t i = 0; i < m->n; i++)
            f[i] = (farpt){trawl__an_sqdist(m->X + i * d, m->C + (size_t)m->labels[i] * d, d), i};
        qsort(f, m->n, sizeof(*f), by_far);
        size_t next = 0;
        for (size_t c = 0; c < k && next < m->n; c++) {
            if (count[c] != 0)
                continue;
            size_t i = f[next++].i, o = (size_t)m->labels[i];
            for (size_t j = 0; j < d; j++) {
                m->Cn[o * d + j] -= m->X[i * d + j];
                m->Cn[c * d + j] = m->X[i * d + j];
            }
            count[o] -= 1;
            count[c] = 1;
        }
        free(f);
        m->full = true; /* the bounds know nothing of the jump */
    }
    for (size_t c = 0; c < k; c++) {
        if (count[c] > 0) {
            for (size_t j = 0; j < d; j++)
                m->Cn[c * d + j] /= count[c];
        } else { /* more empty clusters than points to move: keep the center */
            memcpy(m->Cn + c * d, m->C + c * d, d * sizeof(double));
        }
        m->shift[c] = sqrt(trawl__an_sqdist(m->Cn + c * d, m->C + c * d, d));
    }
    return (long)empty;
}

/* Hamerly: move the bounds by the centers' shifts; half-distances between
 * the new centers. */
static void move_bounds(km *m)
{
    const size_t k = m->k, d = m->d;
    size_t far = 0;
    for (size_t c = 1; c < k; c++)
        if (m->shift[c] > m->shift[far])
            far = c;
    double second = 0;
    for (size_t c = 0; c < k; c++)
        if (c != far && m->shift[c] > second)
            second = m->shift[c];
    for (size_t i = 0; i < m->n; i++) {
        size_t a = (size_t)m->labels[i];
        m->upper[i] += m->shift[a];
        m->lower[i] -= a == far ? second : m->shift[far];
    }
    for (size_t c = 0; c < k; c++) {
        double best = INFINITY;
        for (size_t o = 0; o < k; o++)
            if (o != c) {
                double q = trawl__an_sqdist(m->C + c * d, m->C + o * d, d);
                best = q < best ? q : best;
            }
        m->half[c] = 0.5 * sqrt(best);
    }
}

/* ---- one run -------------------------------------------------------------------------- */

static trawl_status run(km *m, const trawl_analyze_kmeans_opts *o, double tol_abs, unsigned threads,
                        trawl_analyze_kmeans_result *r)
{
    const size_t n = m->n, k = m->k;
    unsigned max_iter = o->max_iter ? o->max_iter : 300;
    double *count = malloc(k * sizeof(*count));
    if (!count)
        return TRAWL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        m->old[i] = -1, m->labels[i] = 0;
    m->full = true;
    bool strict = false;
    unsigned it = 0;
    size_t relocated = 0;
    for (; it < max_iter; it++) {
        transpose(m);
        assign(m, threads, true, false);
        long e = update(m, count);
        if (e < 0) {
            free(count);
            return TRAWL_ENOMEM;
        }
        relocated += (size_t)e;
        double *t = m->C;
        m->C = m->Cn;
        m->Cn = t;
        if (m->hamerly && !m->full)
            move_bounds(m);
        if (!memcmp(m->labels, m->old, n * sizeof(*m->labels))) {
            strict = true;
            break;
        }
        double tot = 0;
        for (size_t c = 0; c < k; c++)
            tot += m->shift[c] * m->shift[c];
        if (tot <= tol_abs)
            break;
        memcpy(m->old, m->labels, n * sizeof(*m->labels));
    }
    transpose(m);
    m->full = true; /* the final assignment and inertia from scratch */
    assign(m, threads, false, true);
    r->inertia = 0;
    for (size_t ch = 0; ch < m->chunks; ch++)
        r->inertia += m->pinert[ch];
    r->iterations = it < max_iter ? it + 1 : max_iter;
    r->converged = strict || it < max_iter;
    r->relocated = relocated;
    (void)strict;
    free(count);
    return TRAWL_OK;
}

/* ---- entry point ------------------------------------------------------------------------ */

static trawl_status check(const double *X, size_t n, size_t d, const trawl_analyze_kmeans_opts *o,
                          trawl_error *err)
{
    if (!o)
        return trawl__fail(err, TRAWL_EINVAL, "NULL options");
    if (d == 0)
        return trawl__fail(err, TRAWL_EINVAL, "expected 2-D data: rows of at least one value");
    if (n == 0 || !X)
        return trawl__fail(err, TRAWL_EINVAL, "no points to cluster");
    if (o->k < 1)
        return trawl__fail(err, TRAWL_EINVAL, "k must be at least 1, got %zu", o->k);
    if (o->k > n)
        return trawl__fail(err, TRAWL_EINVAL, "k (%zu) cannot exceed the number of points (%zu)",
                           o->k, n);
    if (n > INT32_MAX || o->k > INT32_MAX || d > (SIZE_MAX / 8) / n)
        return trawl__fail(err, TRAWL_ELIMIT, "too many points or dimensions");
    if ((unsigned)o->algorithm > TRAWL_ANALYZE_KMEANS_HAMERLY)
        return trawl__fail(err, TRAWL_EINVAL, "unknown k-means algorithm %d", (int)o->algorithm);
    if (!(o->tol >= 0))
        return trawl__fail(err, TRAWL_EINVAL, "tolerance must be >= 0");
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)(i / d),
                                  "row %zu, column %zu is not a finite number", i / d, i % d);
    for (size_t i = 0; o->init && i < o->k * d; i++)
        if (!isfinite(o->init[i]))
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)(i / d),
                                  "initial center %zu is not finite", i / d);
    return TRAWL_OK;
}

/* scikit-learn's _tolerance: tol times the mean over features of their
 * variance. */
static double tolerance(const double *X, size_t n, size_t d, double tol)
{
    if (tol == 0)
        return 0;
    double total = 0;
    for (size_t j = 0; j < d; j++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += X[i * d + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            var += (X[i * d + j] - mean) * (X[i * d + j] - mean);
        total += var / (double)n;
    }
    return total / (double)d * tol;
}

static void free_km(km *m)
{
    free(m->C);
    free(m->Cn);
    free(m->Ct);
    free(m->labels);
    free(m->old);
    free(m->upper);
    free(m->lower);
    free(m->half);
    free(m->shift);
    free(m->psum);
    free(m->pcnt);
    free(m->pinert);
    free(m->scratch);
}

trawl_status trawl_analyze_kmeans(const double *X, size_t n, size_t d,
                                  const trawl_analyze_kmeans_opts *o,
                                  trawl_analyze_kmeans_result *res, trawl_error *err)
{
    if (!res)
        return trawl__fail(err, TRAWL_EINVAL, "NULL result");
    memset(res, 0, sizeof(*res));
    trawl_status st = check(X, n, d, o, err);
    if (st)
        return st;
    const size_t k = o->k, chunks = (n + CHUNK - 1) / CHUNK;
    unsigned threads = trawl__an_threads(o->threads, chunks);
    km m = {.X = X, .n = n, .d = d, .k = k, .chunks = chunks, .workers = threads};
    m.avx2 = trawl__an_have_avx2() && !getenv("TRAWL_NO_AVX2");
    m.hamerly = o->algorithm == TRAWL_ANALYZE_KMEANS_HAMERLY ||
                (o->algorithm == TRAWL_ANALYZE_KMEANS_AUTO && k > 1);
    m.C = malloc(k * d * sizeof(double));
    m.Cn = malloc(k * d * sizeof(double));
    m.Ct = malloc(k * d * sizeof(double));
    m.labels = malloc(n * sizeof(int32_t));
    m.old = malloc(n * sizeof(int32_t));
    m.shift = malloc(k * sizeof(double));
    m.half = malloc(k * sizeof(double));
    m.psum = malloc(chunks * k * d * sizeof(double));
    m.pcnt = malloc(chunks * k * sizeof(double));
    m.pinert = malloc(chunks * sizeof(double));
    m.scratch = malloc((size_t)threads * k * sizeof(double));
    if (m.hamerly) {
        m.upper = malloc(n * sizeof(double));
        m.lower = malloc(n * sizeof(double));
    }
    res->centers = malloc(k * d * sizeof(double));
    res->labels = malloc(n * sizeof(int32_t));
    bool ok = m.C && m.Cn && m.Ct && m.labels && m.old && m.shift && m.half && m.psum && m.pcnt &&
              m.pinert && m.scratch && (!m.hamerly || (m.upper && m.lower)) && res->centers &&
              res->labels;
    double tol_abs = tolerance(X, n, d, o->tol);
    unsigned n_init = o->init ? 1 : (o->n_init ? o->n_init : 1);
    for (unsigned r = 0; ok && r < n_init; r++) {
        if (o->init)
            memcpy(m.C, o->init, k * d * sizeof(double));
        else if (trawl__an_kmeanspp(X, n, d, k, o->seed + r, threads, m.C)) {
            ok = false;
            break;
        }
        trawl_analyze_kmeans_result one = {0};
        if (run(&m, o, tol_abs, threads, &one)) {
            ok = false;
            break;
        }
        if (r == 0 || one.inertia < res->inertia) {
            res->inertia = one.inertia;
            res->iterations = one.iterations;
            res->converged = one.converged;
            res->relocated = one.relocated;
            res->best_init = r;
            memcpy(res->centers, m.C, k * d * sizeof(double));
            memcpy(res->labels, m.labels, n * sizeof(int32_t));
        }
    }
    free_km(&m);
    if (!ok) {
        trawl_analyze_kmeans_result_free(res);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    res->k = k;
    res->d = d;
    res->n = n;
    return TRAWL_OK;
}

void trawl_analyze_kmeans_result_free(trawl_analyze_kmeans_result *r)
{
    if (!r)
        return;
    free(r->centers);
    free(r->labels);
    memset(r, 0, sizeof(*r));
}
