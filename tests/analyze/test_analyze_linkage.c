/* test_analyze_linkage.c -- hierarchical clustering: the linkage matrix
 * against SciPy's linkage() for every method on random matrices (distances
 * within 1e-9, cluster ids and sizes exactly), on matrices full of ties
 * (which checks that ties break as SciPy breaks them), on vectors (Ward);
 * the cuts against SciPy's fcluster ('maxclust' and 'distance'); Oscura's
 * hierarchical cases with exact expected clusters; and the errors. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>

#include "oracle.h"

static const trawl_analyze_linkage_method METHODS[] = {
    TRAWL_ANALYZE_LINK_SINGLE, TRAWL_ANALYZE_LINK_COMPLETE, TRAWL_ANALYZE_LINK_AVERAGE,
    TRAWL_ANALYZE_LINK_WEIGHTED, TRAWL_ANALYZE_LINK_WARD};

static double unit(tu_rng *r)
{
    return (double)(tu_next(r) >> 11) / 9007199254740992.0;
}

typedef struct lcase {
    size_t n;
    trawl_analyze_linkage_method m;
    double *D;        /* condensed */
    double *Z;        /* ours */
    int32_t *lk, *lt; /* our cuts */
    size_t k;
    double t;
} lcase;

static void compare_Z(const lcase *c, const double *want)
{
    for (size_t r = 0; r + 1 < c->n; r++) {
        for (int col = 0; col < 4; col++) {
            double got = c->Z[4 * r + col], w = want[4 * r + col];
            bool ok = col == 2 ? fabs(got - w) <= 1e-9 : got == w;
            if (!ok)
                fail_msg("%s n=%zu row %zu col %d: trawl %.17g, SciPy %.17g",
                         trawl_analyze_linkage_name(c->m), c->n, r, col, got, w);
        }
    }
}

static void compare_labels(const lcase *c, const int32_t *got, const int32_t *want,
                           const char *what)
{
    for (size_t i = 0; i < c->n; i++)
        if (got[i] != want[i])
            fail_msg("%s n=%zu %s: item %zu in cluster %d, SciPy %d",
                     trawl_analyze_linkage_name(c->m), c->n, what, i, got[i], want[i]);
}

/* The lowest merge height whose distance cut leaves at most k clusters
 * (found by trying every height; the cut itself is checked by SciPy). */
static double lowest_height(const double *Z, size_t n, size_t k)
{
    int32_t *lab = malloc(n * sizeof(*lab));
    double best = INFINITY;
    for (size_t r = 0; r + 1 < n; r++) {
        size_t nc;
        assert_int_equal(trawl_analyze_cut_distance(Z, n, Z[4 * r + 2], lab, &nc, NULL), TRAWL_OK);
        if (nc <= k && Z[4 * r + 2] < best)
            best = Z[4 * r + 2];
    }
    free(lab);
    return best;
}

/* Builds the cases, runs ours, asks SciPy, compares. ties: distances are
 * small integers, so many merges tie. */
static void differential(bool ties, uint64_t seed)
{
    static const size_t sizes[] = {2, 3, 4, 7, 16, 41, 150};
    enum { NS = sizeof sizes / sizeof sizes[0], NM = 5 };
    lcase cases[NS * NM];
    tu_rng r;
    tu_seed(&r, seed);
    oracle o;
    oracle_open(&o);
    size_t nc = 0;
    for (size_t s = 0; s < NS; s++) {
        size_t n = sizes[s];
        size_t e = (size_t)trawl_analyze_condensed_size(n);
        double *D = malloc(e * sizeof(*D));
        for (size_t i = 0; i < e; i++)
            D[i] = ties ? (double)(1 + tu_below(&r, 4)) : unit(&r);
        for (int m = 0; m < NM; m++) {
            lcase *c = &cases[nc];
            c->n = n;
            c->m = METHODS[m];
            c->D = D;
            c->Z = malloc((n - 1) * 4 * sizeof(double));
            c->lk = malloc(n * sizeof(int32_t));
            c->lt = malloc(n * sizeof(int32_t));
            trawl_error err;
            assert_int_equal(trawl_analyze_linkage(D, n, c->m, c->Z, &err), TRAWL_OK);
            c->k = 1 + tu_below(&r, (uint32_t)n);
            c->t = c->Z[4 * ((n - 1) / 2) + 2]; /* a merge height: ties at the cut */
            assert_int_equal(trawl_analyze_cut_k(c->Z, n, c->k, c->lk, NULL, &err), TRAWL_OK);
            assert_int_equal(trawl_analyze_cut_distance(c->Z, n, c->t, c->lt, NULL, &err),
                             TRAWL_OK);
            char name[32];
            snprintf(name, sizeof name, "d%zu", s);
            if (m == 0)
                oracle_write(&o, name, D, e * sizeof(*D));
            snprintf(name, sizeof name, "z%zu", nc);
            oracle_write(&o, name, c->Z, (n - 1) * 4 * sizeof(double));
            oracle_job(&o, "linkage %s %zu d%zu Z%zu", trawl_analyze_linkage_name(c->m), n, s, nc);
            /* SciPy's cuts of our Z: the cut is tested apart from the linkage.
             * SciPy 1.10's 'maxclust' never tries the lowest merge height (its
             * binary search starts above index 0; fixed later), so the k-cut is
             * checked as what it is defined to be: the 'distance' cut at the
             * lowest merge height that leaves at most k clusters. */
            if (c->k < n)
                oracle_job(&o, "fcluster_t %zu %.17g z%zu K%zu", n, lowest_height(c->Z, n, c->k),
                           nc, nc);
            oracle_job(&o, "fcluster_t %zu %.17g z%zu T%zu", n, c->t, nc, nc);
            nc++;
        }
    }
    int rc = oracle_run(&o);
    if (rc == 3) {
        oracle_close(&o);
        print_message("SKIP: SciPy is not installed (apt-get install python3-scipy)\n");
        skip();
    }
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < nc; i++) {
        lcase *c = &cases[i];
        double *want = malloc((c->n - 1) * 4 * sizeof(double));
        int32_t *lab = malloc(c->n * sizeof(int32_t));
        char name[32];
        snprintf(name, sizeof name, "Z%zu", i);
        assert_int_equal(oracle_read(&o, name, want, (c->n - 1) * 4 * sizeof(double)), 0);
        compare_Z(c, want);
        if (c->k < c->n) {
            snprintf(name, sizeof name, "K%zu", i);
            assert_int_equal(oracle_read(&o, name, lab, c->n * sizeof(int32_t)), 0);
        } else { /* k >= n: every item alone, in item order (SciPy since 1.11) */
            for (size_t j = 0; j < c->n; j++)
                lab[j] = (int32_t)j;
        }
        compare_labels(c, c->lk, lab, "maxclust");
        snprintf(name, sizeof name, "T%zu", i);
        assert_int_equal(oracle_read(&o, name, lab, c->n * sizeof(int32_t)), 0);
        compare_labels(c, c->lt, lab, "distance");
        free(want);
        free(lab);
    }
    for (size_t i = 0; i < nc; i++) {
        if (i % NM == 0)
            free(cases[i].D);
        free(cases[i].Z);
        free(cases[i].lk);
        free(cases[i].lt);
    }
    oracle_close(&o);
}

static void test_scipy_random(void **state)
{
    (void)state;
    differential(false, 0x5C1F1);
}

static void test_scipy_ties(void **state)
{
    (void)state;
    differential(true, 0x71E5);
}

/* linkage(X, method) on vectors: Euclidean pdist, then the linkage. */
static void test_scipy_vectors(void **state)
{
    (void)state;
    enum { N = 300, DIM = 5 };
    static double X[N * DIM];
    tu_rng r;
    tu_seed(&r, 99);
    for (size_t i = 0; i < N * DIM; i++)
        X[i] = unit(&r) * 10 - 5;
    oracle o;
    oracle_open(&o);
    oracle_write(&o, "X", X, sizeof X);
    static double Z[5][(N - 1) * 4];
    for (int m = 0; m < 5; m++) {
        trawl_error err;
        assert_int_equal(trawl_analyze_linkage_vectors(X, N, DIM, METHODS[m], 2, 0, Z[m], &err),
                         TRAWL_OK);
        oracle_job(&o, "linkage_vec %s %d %d X Z%d", trawl_analyze_linkage_name(METHODS[m]), N, DIM,
                   m);
    }
    int rc = oracle_run(&o);
    if (rc == 3) {
        oracle_close(&o);
        skip();
    }
    assert_int_equal(rc, 0);
    for (int m = 0; m < 5; m++) {
        static double want[(N - 1) * 4];
        char name[8];
        snprintf(name, sizeof name, "Z%d", m);
        assert_int_equal(oracle_read(&o, name, want, sizeof want), 0);
        lcase c = {.n = N, .m = METHODS[m], .Z = Z[m]};
        compare_Z(&c, want);
    }
    oracle_close(&o);
}

/* ---- Oscura's hierarchical cases, with exact answers ------------------------ */

/* Condensed Hamming matrix of equal-length strings, as Oscura computes it. */
static double *hamming_matrix(const char *const *p, size_t n)
{
    double *D = malloc((size_t)trawl_analyze_condensed_size(n) * sizeof(double) + 1);
    trawl_span s[16];
    for (size_t i = 0; i < n; i++)
        s[i] = (trawl_span){(const uint8_t *)p[i], strlen(p[i])};
    trawl_analyze_distance_opts o = {.metric = TRAWL_ANALYZE_HAMMING, .threads = 1};
    assert_int_equal(trawl_analyze_distance_matrix(s, n, &o, D, NULL), TRAWL_OK);
    return D;
}

static void cluster(const char *const *p, size_t n, trawl_analyze_linkage_method m, size_t k,
                    int32_t *labels, size_t *nc)
{
    double *D = hamming_matrix(p, n);
    double Z[64];
    assert_int_equal(trawl_analyze_linkage(D, n, m, Z, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_cut_k(Z, n, k, labels, nc, NULL), TRAWL_OK);
    free(D);
}

static void test_oscura_each_method(void **state)
{
    (void)state;
    /* AAA-AAB at 1/3, AAB-BBB at 2/3, AAA-BBB at 1: every method puts BBB
     * alone at k = 2 */
    static const char *const p[] = {"AAA", "AAB", "BBB"};
    for (int m = 0; m < 5; m++) {
        int32_t lab[3];
        size_t nc;
        cluster(p, 3, METHODS[m], 2, lab, &nc);
        assert_int_equal(nc, 2);
        assert_int_equal(lab[0], lab[1]);
        assert_int_not_equal(lab[0], lab[2]);
    }
    /* six strings in three pairs; k = 3 recovers the pairs */
    static const char *const q[] = {"AAA", "AAB", "BBB", "BBC", "CCC", "CCD"};
    for (int m = 0; m < 5; m++) {
        int32_t lab[6];
        size_t nc;
        cluster(q, 6, METHODS[m], 3, lab, &nc);
        assert_int_equal(nc, 3);
        for (int i = 0; i < 6; i += 2)
            assert_int_equal(lab[i], lab[i + 1]);
        assert_int_not_equal(lab[0], lab[2]);
        assert_int_not_equal(lab[2], lab[4]);
        assert_int_not_equal(lab[0], lab[4]);
    }
}

/* Oscura's cluster_hierarchical(distance_threshold=0.5) on AAA AAB BBB BBC:
 * pairs within 1/3, the pairs 2/3 or more apart: two clusters. */
static void test_oscura_threshold(void **state)
{
    (void)state;
    static const char *const p[] = {"AAA", "AAB", "BBB", "BBC"};
    double *D = hamming_matrix(p, 4);
    double Z[12];
    int32_t lab[4];
    size_t nc;
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_AVERAGE, Z, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_cut_distance(Z, 4, 0.5, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 2);
    assert_int_equal(lab[0], lab[1]);
    assert_int_equal(lab[2], lab[3]);
    assert_int_not_equal(lab[0], lab[2]);
    /* a threshold below every distance leaves singletons; above all, one */
    assert_int_equal(trawl_analyze_cut_distance(Z, 4, 0.1, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 4);
    assert_int_equal(trawl_analyze_cut_distance(Z, 4, 2.0, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 1);
    free(D);
}

/* Oscura's Hamming-threshold clustering ("every member within the
 * threshold of every other") is complete linkage cut at the threshold:
 * AAAA AAAB AABB ABBB at 0.3 gives {AAAA, AAAB} {AABB, ABBB}; at 0.1 four
 * singletons; identical patterns one cluster. */
static void test_oscura_hamming_threshold(void **state)
{
    (void)state;
    static const char *const p[] = {"AAAA", "AAAB", "AABB", "ABBB"};
    double *D = hamming_matrix(p, 4);
    double Z[12];
    int32_t lab[4];
    size_t nc;
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_COMPLETE, Z, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_cut_distance(Z, 4, 0.3, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 2);
    assert_int_equal(lab[0], lab[1]);
    assert_int_equal(lab[2], lab[3]);
    assert_int_equal(trawl_analyze_cut_distance(Z, 4, 0.1, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 4);
    free(D);
    static const char *const same[] = {"AAAA", "AAAA", "AAAA"};
    D = hamming_matrix(same, 3);
    assert_int_equal(trawl_analyze_linkage(D, 3, TRAWL_ANALYZE_LINK_COMPLETE, Z, NULL), TRAWL_OK);
    assert_true(Z[2] == 0 && Z[6] == 0);
    assert_int_equal(trawl_analyze_cut_distance(Z, 3, 0.1, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 1);
    free(D);
}

/* One item: no rows, one cluster. Two: one row. */
static void test_small(void **state)
{
    (void)state;
    double Z[4];
    int32_t lab[2];
    size_t nc;
    assert_int_equal(trawl_analyze_linkage(NULL, 1, TRAWL_ANALYZE_LINK_WARD, NULL, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_cut_k(NULL, 1, 1, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 1);
    assert_int_equal(lab[0], 0);
    double d = 0.25;
    assert_int_equal(trawl_analyze_linkage(&d, 2, TRAWL_ANALYZE_LINK_AVERAGE, Z, NULL), TRAWL_OK);
    assert_true(Z[0] == 0 && Z[1] == 1 && Z[2] == 0.25 && Z[3] == 2);
    assert_int_equal(trawl_analyze_cut_k(Z, 2, 1, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 1);
    assert_int_equal(trawl_analyze_cut_k(Z, 2, 5, lab, &nc, NULL), TRAWL_OK);
    assert_int_equal(nc, 2);
    assert_true(lab[0] == 0 && lab[1] == 1);
}

static void test_errors(void **state)
{
    (void)state;
    trawl_error err;
    double D[6] = {1, 2, 3, 4, 5, 6}, Z[12];
    int32_t lab[4];
    assert_int_equal(trawl_analyze_linkage(D, 0, TRAWL_ANALYZE_LINK_SINGLE, Z, &err), TRAWL_EINVAL);
    D[4] = NAN;
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_AVERAGE, Z, &err),
                     TRAWL_EINVAL);
    assert_int_equal(err.index, 4);
    D[4] = -1;
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_SINGLE, Z, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 4);
    D[4] = INFINITY;
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_WARD, Z, &err), TRAWL_EINVAL);
    D[4] = 5;
    assert_int_equal(trawl_analyze_linkage(D, 4, (trawl_analyze_linkage_method)9, Z, &err),
                     TRAWL_EINVAL);
    assert_int_equal(trawl_analyze_linkage(D, 4, TRAWL_ANALYZE_LINK_AVERAGE, Z, &err), TRAWL_OK);
    assert_int_equal(trawl_analyze_cut_k(Z, 4, 0, lab, NULL, &err), TRAWL_EINVAL);
    /* a malformed linkage matrix: row 1 uses item 0 again */
    double bad[12];
    memcpy(bad, Z, sizeof bad);
    bad[4] = bad[0];
    assert_int_equal(trawl_analyze_cut_distance(bad, 4, 1.0, lab, NULL, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 1);
    /* a row referring to a later cluster */
    memcpy(bad, Z, sizeof bad);
    bad[0] = 5;
    assert_int_equal(trawl_analyze_cut_k(bad, 4, 2, lab, NULL, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 0);
    trawl_analyze_linkage_method m;
    assert_true(trawl_analyze_linkage_parse("upgma", &m) && m == TRAWL_ANALYZE_LINK_AVERAGE);
    assert_true(trawl_analyze_linkage_parse("ward", &m) && m == TRAWL_ANALYZE_LINK_WARD);
    assert_false(trawl_analyze_linkage_parse("centroid", &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scipy_random),
        cmocka_unit_test(test_scipy_ties),
        cmocka_unit_test(test_scipy_vectors),
        cmocka_unit_test(test_oscura_each_method),
        cmocka_unit_test(test_oscura_threshold),
        cmocka_unit_test(test_oscura_hamming_threshold),
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
