/* test_analyze_cluster.c -- k-means against scikit-learn's KMeans from the
 * same initial centers (labels exactly, inertia within 1e-9 relative, the
 * same iteration count; Lloyd and Hamerly, 1 and 3 threads), the
 * silhouette against silhouette_score, DBSCAN against DBSCAN(metric=
 * "precomputed"); Oscura's k-means validation and cases on known data;
 * empty clusters; consensus patterns. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>

#include "oracle.h"

static double unit(tu_rng *r)
{
    return (double)(tu_next(r) >> 11) / 9007199254740992.0;
}

static double gauss(tu_rng *r)
{
    double u = unit(r) + 1e-300, v = unit(r);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* n points around k random centers in d dimensions. */
static double *blobs(tu_rng *r, size_t n, size_t d, size_t k, double spread)
{
    double *c = malloc(k * d * sizeof(double)), *X = malloc(n * d * sizeof(double));
    for (size_t i = 0; i < k * d; i++)
        c[i] = unit(r) * 20 - 10;
    for (size_t i = 0; i < n; i++) {
        size_t b = tu_below(r, (uint32_t)k);
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = c[b * d + j] + spread * gauss(r);
    }
    free(c);
    return X;
}

typedef struct kcase {
    size_t n, d, k;
    unsigned iter;
    double tol;
    double *X, *init;
    trawl_analyze_kmeans_result res[4]; /* Lloyd 1t, Lloyd 3t, Hamerly 1t, Hamerly 3t */
} kcase;

static void test_kmeans_sklearn(void **state)
{
    (void)state;
    static const size_t shape[][3] = {{300, 2, 3},   {2000, 5, 8}, {1500, 10, 10},
                                      {5000, 3, 20}, {400, 7, 1},  {1000, 4, 30}};
    enum { NC = sizeof shape / sizeof shape[0] };
    static kcase cs[NC];
    tu_rng r;
    tu_seed(&r, 0xCA11);
    oracle o;
    oracle_open(&o);
    for (size_t c = 0; c < NC; c++) {
        kcase *k = &cs[c];
        k->n = shape[c][0], k->d = shape[c][1], k->k = shape[c][2];
        k->iter = c % 2 ? 300 : 7; /* some stop at max_iter, some converge */
        k->tol = c % 3 == 0 ? 0 : 1e-4;
        k->X = blobs(&r, k->n, k->d, k->k + 2, c == 3 ? 4.0 : 1.0);
        k->init = malloc(k->k * k->d * sizeof(double));
        for (size_t i = 0; i < k->k; i++) /* random rows as the initial centers */
            memcpy(k->init + i * k->d, k->X + tu_below(&r, (uint32_t)k->n) * k->d,
                   k->d * sizeof(double));
        for (int v = 0; v < 4; v++) {
            trawl_analyze_kmeans_opts opt = {.k = k->k,
                                             .max_iter = k->iter,
                                             .tol = k->tol,
                                             .init = k->init,
                                             .algorithm = v < 2 ? TRAWL_ANALYZE_KMEANS_LLOYD
                                                                : TRAWL_ANALYZE_KMEANS_HAMERLY,
                                             .threads = v % 2 ? 3 : 1};
            trawl_error err;
            assert_int_equal(trawl_analyze_kmeans(k->X, k->n, k->d, &opt, &k->res[v], &err),
                             TRAWL_OK);
        }
        char xn[16], cn[16];
        snprintf(xn, sizeof xn, "x%zu", c);
        snprintf(cn, sizeof cn, "c%zu", c);
        oracle_write(&o, xn, k->X, k->n * k->d * sizeof(double));
        oracle_write(&o, cn, k->init, k->k * k->d * sizeof(double));
        oracle_job(&o, "kmeans %zu %zu %zu %u %.17g %s %s k%zu", k->n, k->d, k->k, k->iter, k->tol,
                   xn, cn, c);
    }
    int rc = oracle_run(&o);
    if (rc == 3) {
        oracle_close(&o);
        print_message("SKIP: scikit-learn is not installed (apt-get install python3-sklearn)\n");
        skip();
    }
    assert_int_equal(rc, 0);
    for (size_t c = 0; c < NC; c++) {
        kcase *k = &cs[c];
        size_t bytes = 16 + k->n * 4;
        uint8_t *buf = malloc(bytes);
        char name[16];
        snprintf(name, sizeof name, "k%zu", c);
        assert_int_equal(oracle_read(&o, name, buf, bytes), 0);
        double want[2];
        memcpy(want, buf, 16);
        const int32_t *lab = (const int32_t *)(buf + 16);
        for (int v = 0; v < 4; v++) {
            const trawl_analyze_kmeans_result *x = &k->res[v];
            if (fabs(x->inertia - want[0]) > 1e-9 * want[0])
                fail_msg("case %zu variant %d: inertia %.17g, scikit-learn %.17g", c, v, x->inertia,
                         want[0]);
            if (x->iterations != (unsigned)want[1])
                fail_msg("case %zu variant %d: %u iterations, scikit-learn %g", c, v, x->iterations,
                         want[1]);
            for (size_t i = 0; i < k->n; i++)
                if (x->labels[i] != lab[i])
                    fail_msg("case %zu variant %d: point %zu in %d, scikit-learn %d", c, v, i,
                             x->labels[i], lab[i]);
            /* thread counts give the same bytes */
            assert_memory_equal(x->centers, k->res[v & 2].centers, k->k * k->d * sizeof(double));
        }
        free(buf);
        for (int v = 0; v < 4; v++)
            trawl_analyze_kmeans_result_free(&k->res[v]);
        free(k->X);
        free(k->init);
    }
    oracle_close(&o);
}

/* Oscura's validation messages and its cases on known data. */
static void test_kmeans_oscura(void **state)
{
    (void)state;
    double X[] = {0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1};
    trawl_analyze_kmeans_result res;
    trawl_error err;
    trawl_analyze_kmeans_opts o = {.k = 0, .seed = 42};
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &res, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "k must be at least 1"));
    o.k = 7;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &res, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "k (7) cannot exceed the number of points (6)"));
    o.k = 2;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 0, &o, &res, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "2-D"));
    X[5] = NAN;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &res, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 2);
    X[5] = 0.1;
    /* two separated blobs: k-means++ with any seed finds them */
    for (uint64_t seed = 0; seed < 20; seed++) {
        o.seed = seed;
        assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &res, &err), TRAWL_OK);
        assert_true(res.labels[0] == res.labels[1] && res.labels[1] == res.labels[2]);
        assert_true(res.labels[3] == res.labels[4] && res.labels[4] == res.labels[5]);
        assert_int_not_equal(res.labels[0], res.labels[3]);
        assert_true(res.inertia < 0.1);
        assert_true(res.converged);
        trawl_analyze_kmeans_result_free(&res);
    }
    /* deterministic with a seed; n_init keeps the best restart */
    o.k = 3;
    o.n_init = 5;
    trawl_analyze_kmeans_result a, b;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &a, &err), TRAWL_OK);
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &b, &err), TRAWL_OK);
    assert_memory_equal(a.labels, b.labels, sizeof(int32_t) * 6);
    assert_true(a.inertia == b.inertia);
    trawl_analyze_kmeans_result_free(&a);
    trawl_analyze_kmeans_result_free(&b);
    /* k = n: every point its own center */
    o.k = 6;
    o.n_init = 1;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 2, &o, &a, &err), TRAWL_OK);
    assert_true(a.inertia == 0);
    trawl_analyze_kmeans_result_free(&a);
}

/* Two initial centers on the same point: one cluster starts empty and takes
 * the point farthest from its center; the result is the same every time. */
static void test_kmeans_empty_cluster(void **state)
{
    (void)state;
    double X[] = {0, 1, 2, 10, 11, 30};
    double init[] = {0, 0, 11};
    trawl_analyze_kmeans_opts o = {.k = 3, .init = init, .algorithm = TRAWL_ANALYZE_KMEANS_LLOYD};
    trawl_analyze_kmeans_result res;
    assert_int_equal(trawl_analyze_kmeans(X, 6, 1, &o, &res, NULL), TRAWL_OK);
    assert_true(res.relocated >= 1);
    /* 30 is farthest from its center (11) and becomes cluster 1's */
    assert_int_equal(res.labels[5], 1);
    assert_true(res.labels[0] == 0 && res.labels[1] == 0 && res.labels[2] == 0);
    assert_true(res.labels[3] == 2 && res.labels[4] == 2);
    assert_true(fabs(res.inertia - (2 + 0.5)) < 1e-12);
    trawl_analyze_kmeans_result_free(&res);
}

/* ---- silhouette and DBSCAN against scikit-learn --------------------------------- */

static void test_silhouette_dbscan_sklearn(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x511);
    enum { N = 600, D = 4, K = 5 };
    double *X = blobs(&r, N, D, K, 1.5);
    size_t e = (size_t)trawl_analyze_condensed_size(N);
    double *Dm = malloc(e * sizeof(double));
    assert_int_equal(trawl_analyze_pdist(X, N, D, 2, 0, Dm, NULL), TRAWL_OK);
    static int32_t lab[N], db[3][N];
    for (int i = 0; i < N; i++)
        lab[i] = (int32_t)tu_below(&r, 4) - 1; /* -1 is a cluster too */
    double s1, s2, s3;
    assert_int_equal(trawl_analyze_silhouette(Dm, N, lab, 1, &s1, NULL, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_silhouette(Dm, N, lab, 3, &s2, NULL, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_silhouette_vectors(X, N, D, lab, 2, &s3, NULL, NULL), TRAWL_OK);
    assert_true(s1 == s2);
    const double eps[3] = {0.5, 1.0, 2.0};
    const size_t mins[3] = {3, 5, 10};
    for (int t = 0; t < 3; t++)
        assert_int_equal(trawl_analyze_dbscan(Dm, N, eps[t], mins[t], db[t], NULL, NULL), TRAWL_OK);
    oracle o;
    oracle_open(&o);
    oracle_write(&o, "D", Dm, e * sizeof(double));
    oracle_write(&o, "X", X, N * D * sizeof(double));
    oracle_write(&o, "L", lab, sizeof lab);
    oracle_job(&o, "silhouette %d D L s", N);
    oracle_job(&o, "silhouette_vec %d %d X L sv", N, D);
    for (int t = 0; t < 3; t++)
        oracle_job(&o, "dbscan %d %.17g %zu D db%d", N, eps[t], mins[t], t);
    int rc = oracle_run(&o);
    if (rc == 3) {
        oracle_close(&o);
        skip();
    }
    assert_int_equal(rc, 0);
    double want, wantv;
    assert_int_equal(oracle_read(&o, "s", &want, 8), 0);
    assert_int_equal(oracle_read(&o, "sv", &wantv, 8), 0);
    if (fabs(s1 - want) > 1e-12 || fabs(s3 - wantv) > 1e-12)
        fail_msg("silhouette %.17g / %.17g, scikit-learn %.17g / %.17g", s1, s3, want, wantv);
    for (int t = 0; t < 3; t++) {
        int32_t w[N];
        char name[8];
        snprintf(name, sizeof name, "db%d", t);
        assert_int_equal(oracle_read(&o, name, w, sizeof w), 0);
        for (int i = 0; i < N; i++)
            if (w[i] != db[t][i])
                fail_msg("dbscan eps %g min %zu: item %d in %d, scikit-learn %d", eps[t], mins[t],
                         i, db[t][i], w[i]);
    }
    oracle_close(&o);
    /* silhouette needs 2 .. n - 1 clusters */
    trawl_error err;
    int32_t one[N] = {0};
    assert_int_equal(trawl_analyze_silhouette(Dm, N, one, 1, &s1, NULL, &err), TRAWL_EINVAL);
    free(Dm);
    free(X);
}

/* Oscura's silhouette edge: two tight, far-apart clusters score near 1. */
static void test_silhouette_known(void **state)
{
    (void)state;
    double X[] = {0, 0.1, 0.2, 100, 100.1, 100.2};
    int32_t l[] = {0, 0, 0, 1, 1, 1};
    double s, per[6];
    assert_int_equal(trawl_analyze_silhouette_vectors(X, 6, 1, l, 1, &s, per, NULL), TRAWL_OK);
    assert_true(s > 0.99);
    /* item alone in its cluster scores 0 */
    int32_t l2[] = {0, 0, 0, 1, 1, 2};
    assert_int_equal(trawl_analyze_silhouette_vectors(X, 6, 1, l2, 1, &s, per, NULL), TRAWL_OK);
    assert_true(per[5] == 0);
}

/* ---- consensus ------------------------------------------------------------------ */

static void test_consensus(void **state)
{
    (void)state;
    static const char *const m[] = {"AXXA", "AYYA", "AZZAQ"};
    trawl_span s[3];
    for (int i = 0; i < 3; i++)
        s[i] = (trawl_span){(const uint8_t *)m[i], strlen(m[i])};
    trawl_analyze_consensus_result c;
    assert_int_equal(trawl_analyze_consensus(s, 3, NULL, 0, &c, NULL), TRAWL_OK);
    assert_int_equal(c.len, 5);
    assert_int_equal(c.common, 4);
    assert_string_equal(c.pattern, "{ 41 ?? ?? 41 }");
    assert_int_equal(c.fixed, 2);
    assert_true(c.columns[0].entropy == 0 && c.columns[1].entropy > 1.5);
    assert_int_equal(c.columns[4].count, 1);
    trawl_analyze_consensus_free(&c);
    size_t mem[2] = {0, 1};
    assert_int_equal(trawl_analyze_consensus(s, 3, mem, 2, &c, NULL), TRAWL_OK);
    assert_string_equal(c.pattern, "{ 41 ?? ?? 41 }");
    trawl_analyze_consensus_free(&c);
    size_t one = 2;
    assert_int_equal(trawl_analyze_consensus(s, 3, &one, 1, &c, NULL), TRAWL_OK);
    assert_string_equal(c.pattern, "{ 41 5A 5A 41 51 }");
    trawl_analyze_consensus_free(&c);
    static const char *const d[] = {"ab", "cd"};
    trawl_span t[2] = {{(const uint8_t *)d[0], 2}, {(const uint8_t *)d[1], 2}};
    assert_int_equal(trawl_analyze_consensus(t, 2, NULL, 0, &c, NULL), TRAWL_OK);
    assert_null(c.pattern); /* nothing in common */
    trawl_analyze_consensus_free(&c);
    trawl_error err;
    size_t bad = 5;
    assert_int_equal(trawl_analyze_consensus(s, 3, &bad, 1, &c, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_sklearn),
        cmocka_unit_test(test_kmeans_oscura),
        cmocka_unit_test(test_kmeans_empty_cluster),
        cmocka_unit_test(test_silhouette_dbscan_sklearn),
        cmocka_unit_test(test_silhouette_known),
        cmocka_unit_test(test_consensus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
