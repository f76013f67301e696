/* test_analyze_core.c -- entropy, histograms, chi-square, column
 * statistics, Needleman-Wunsch alignment and message distances: known
 * distributions (Oscura's entropy cases), plain reference implementations
 * written the obvious way (entropy, chi-square, a full DP table for
 * alignment and edit distance, sets for Jaccard), SciPy for the chi-square
 * tail, and the matrix against pair by pair on 1, 2 and 3 threads. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>
#include <trawl/fuzzy.h>

#include "oracle.h"

#define assert_double_equal(a, b, eps) near((a), (b), (eps), __LINE__)
static void near(double a, double b, double eps, int line)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("line %d: %.17g != %.17g (within %g)", line, a, b, eps);
}

static double ref_entropy(const uint8_t *p, size_t n)
{
    double c[256] = {0}, h = 0;
    for (size_t i = 0; i < n; i++)
        c[p[i]] += 1;
    for (int b = 0; b < 256; b++)
        if (c[b] > 0)
            h += c[b] / (double)n * -log2(c[b] / (double)n);
    return h;
}

/* ---- entropy ------------------------------------------------------------------ */

static void test_entropy_known(void **state)
{
    (void)state;
    uint8_t buf[1024];
    unsigned k;
    /* every byte value once: 8 bits */
    for (int i = 0; i < 256; i++)
        buf[i] = (uint8_t)i;
    assert_double_equal(trawl_analyze_entropy(buf, 256, &k), 8.0, 1e-12);
    assert_int_equal(k, 256);
    /* one value: 0 */
    memset(buf, 0x41, 100);
    assert_true(trawl_analyze_entropy(buf, 100, &k) == 0.0);
    assert_int_equal(k, 1);
    /* two values equally often: 1 bit; four: 2 bits */
    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)(i & 1);
    assert_double_equal(trawl_analyze_entropy(buf, 64, NULL), 1.0, 1e-12);
    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)(i & 3);
    assert_double_equal(trawl_analyze_entropy(buf, 64, NULL), 2.0, 1e-12);
    /* p = 1/2, 1/4, 1/4: 1.5 bits */
    memcpy(buf, "AABC", 4);
    assert_double_equal(trawl_analyze_entropy(buf, 4, NULL), 1.5, 1e-12);
    /* empty: 0 with no bins */
    assert_true(trawl_analyze_entropy(buf, 0, &k) == 0.0);
    assert_int_equal(k, 0);
    /* Miller-Madow: 2 bins from 4 bytes adds 1 / (8 ln 2) */
    assert_double_equal(trawl_analyze_entropy_corrected(1.0, 2, 4), 1.0 + 1.0 / (8 * M_LN2), 1e-12);
    assert_true(trawl_analyze_entropy_corrected(7.99, 256, 10) == 8.0);
    assert_true(trawl_analyze_entropy_corrected(3.0, 1, 10) == 3.0);
}

/* Random buffers with random skews against the plain reference. */
static void test_entropy_reference(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0xE27);
    static uint8_t buf[20000];
    for (int t = 0; t < 200; t++) {
        size_t n = tu_below(&r, sizeof buf);
        unsigned alpha = 1 + tu_below(&r, 256), skew = tu_below(&r, 4);
        for (size_t i = 0; i < n; i++) {
            unsigned v = tu_below(&r, alpha);
            for (unsigned s = 0; s < skew; s++)
                v = v < tu_below(&r, alpha) ? v : tu_below(&r, alpha);
            buf[i] = (uint8_t)v;
        }
        assert_double_equal(trawl_analyze_entropy(buf, n, NULL), ref_entropy(buf, n), 1e-9);
        uint64_t hist[256];
        trawl_analyze_histogram(buf, n, hist);
        double e = (double)n / 256, chi = 0;
        uint64_t total = 0;
        for (int b = 0; b < 256; b++) {
            total += hist[b];
            chi += ((double)hist[b] - e) * ((double)hist[b] - e) / e;
        }
        assert_int_equal(total, n);
        if (n)
            assert_double_equal(trawl_analyze_chi_square(hist, n), chi, 1e-9 * (1 + chi));
    }
}

/* The chi-square tail against scipy.stats.chi2.sf. */
static void test_chi_square_p(void **state)
{
    (void)state;
    static const double xs[] = {0.5, 10, 200, 255, 256, 300, 400, 1000, 5000, 30, 3.3};
    static const unsigned dofs[] = {255, 255, 255, 255, 255, 255, 255, 255, 255, 10, 1};
    enum { N = sizeof xs / sizeof xs[0] };
    oracle o;
    oracle_open(&o);
    for (int i = 0; i < N; i++)
        oracle_job(&o, "chi2sf %.17g %u p%d", xs[i], dofs[i], i);
    int rc = oracle_run(&o);
    if (rc == 3) {
        oracle_close(&o);
        skip();
    }
    assert_int_equal(rc, 0);
    for (int i = 0; i < N; i++) {
        double want;
        char name[8];
        snprintf(name, sizeof name, "p%d", i);
        assert_int_equal(oracle_read(&o, name, &want, sizeof want), 0);
        double got = trawl_analyze_chi_square_p(xs[i], dofs[i]);
        if (fabs(got - want) > 1e-12 + 1e-9 * want)
            fail_msg("chi2 sf(%g, %u): trawl %.17g, SciPy %.17g", xs[i], dofs[i], got, want);
    }
    oracle_close(&o);
    assert_true(trawl_analyze_chi_square_p(0, 255) == 1.0);
}

/* ---- columns ------------------------------------------------------------------- */

static void test_columns(void **state)
{
    (void)state;
    static const char *const m[] = {"AXB", "AYBQ", "AXC", ""};
    trawl_span s[4];
    for (int i = 0; i < 4; i++)
        s[i] = (trawl_span){(const uint8_t *)m[i], strlen(m[i])};
    trawl_analyze_column c[6];
    assert_int_equal(trawl_analyze_columns(s, 4, 6, c, NULL), TRAWL_OK);
    assert_int_equal(c[0].count, 3);
    assert_true(c[0].entropy == 0.0 && c[0].mode == 'A' && c[0].mode_count == 3);
    assert_int_equal(c[0].distinct, 1);
    assert_double_equal(c[1].entropy, ref_entropy((const uint8_t *)"XYX", 3), 1e-12);
    assert_true(c[1].mode == 'X' && c[1].min == 'X' && c[1].max == 'Y');
    /* B, B, C: mode B */
    assert_true(c[2].mode == 'B' && c[2].mode_count == 2 && c[2].distinct == 2);
    assert_int_equal(c[3].count, 1);
    assert_true(c[3].mode == 'Q' && c[3].entropy == 0.0);
    assert_int_equal(c[4].count, 0);
    assert_int_equal(c[5].count, 0);
    /* a tie picks the smaller byte */
    static const char *const t[] = {"b", "a"};
    trawl_span u[2] = {{(const uint8_t *)t[0], 1}, {(const uint8_t *)t[1], 1}};
    assert_int_equal(trawl_analyze_columns(u, 2, 1, c, NULL), TRAWL_OK);
    assert_true(c[0].mode == 'a' && c[0].entropy == 1.0);
    trawl_error err;
    trawl_span bad[2] = {{(const uint8_t *)"a", 1}, {NULL, 3}};
    assert_int_equal(trawl_analyze_columns(bad, 2, 1, c, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 1);
}

/* ---- alignment ------------------------------------------------------------------ */

static int64_t ref_nw(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                      const trawl_analyze_scoring *s)
{
    int64_t *H = malloc((na + 1) * (nb + 1) * sizeof(*H));
    for (size_t i = 0; i <= na; i++)
        for (size_t j = 0; j <= nb; j++) {
            int64_t v;
            if (i == 0)
                v = (int64_t)j * s->gap;
            else if (j == 0)
                v = (int64_t)i * s->gap;
            else {
                v = H[(i - 1) * (nb + 1) + j - 1] + (a[i - 1] == b[j - 1] ? s->match : s->mismatch);
                int64_t u = H[(i - 1) * (nb + 1) + j] + s->gap,
                        l = H[i * (nb + 1) + j - 1] + s->gap;
                v = v > u ? v : u;
                v = v > l ? v : l;
            }
            H[i * (nb + 1) + j] = v;
        }
    int64_t r = H[na * (nb + 1) + nb];
    free(H);
    return r;
}

static void check_alignment(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                            const trawl_analyze_scoring *s)
{
    trawl_analyze_alignment al;
    assert_int_equal(trawl_analyze_align(a, na, b, nb, s, &al, NULL), TRAWL_OK);
    int64_t want = ref_nw(a, na, b, nb, s);
    assert_int_equal(al.score, want);
    int64_t score = 0;
    int32_t pa = -1, pb = -1;
    size_t mt = 0, mm = 0, gp = 0;
    for (size_t c = 0; c < al.len; c++) {
        int32_t x = al.a_pos[c], y = al.b_pos[c];
        assert_true(x >= 0 || y >= 0);
        if (x >= 0) {
            assert_int_equal(x, pa + 1);
            pa = x;
        }
        if (y >= 0) {
            assert_int_equal(y, pb + 1);
            pb = y;
        }
        if (x >= 0 && y >= 0) {
            bool eq = a[x] == b[y];
            score += eq ? s->match : s->mismatch;
            eq ? mt++ : mm++;
        } else {
            score += s->gap;
            gp++;
        }
    }
    assert_int_equal(pa + 1, na);
    assert_int_equal(pb + 1, nb);
    assert_int_equal(score, want);
    assert_true(mt == al.matches && mm == al.mismatches && gp == al.gaps);
    int64_t only;
    assert_int_equal(trawl_analyze_align_score(a, na, b, nb, s, &only, NULL), TRAWL_OK);
    assert_int_equal(only, want);
    trawl_analyze_alignment_free(&al);
}

static void test_align_reference(void **state)
{
    (void)state;
    const trawl_analyze_scoring sc[] = {
        trawl_analyze_scoring_netzob(), {1, -1, -1}, {2, -1, -2}, {5, 5, 0}, {3, -7, -1}};
    tu_rng r;
    tu_seed(&r, 0xA11);
    uint8_t a[150], b[150];
    for (int t = 0; t < 600; t++) {
        size_t na = tu_below(&r, t < 500 ? 24 : 150), nb = tu_below(&r, t < 500 ? 24 : 150);
        unsigned alpha = 1 + tu_below(&r, 5);
        for (size_t i = 0; i < na; i++)
            a[i] = (uint8_t)tu_below(&r, alpha);
        for (size_t i = 0; i < nb; i++)
            b[i] = (uint8_t)tu_below(&r, alpha);
        check_alignment(a, na, b, nb, &sc[t % 5]);
    }
}

/* Gaps go as early as possible among optimal alignments. */
static void test_align_ties(void **state)
{
    (void)state;
    trawl_analyze_alignment al;
    assert_int_equal(
        trawl_analyze_align((const uint8_t *)"AA", 2, (const uint8_t *)"A", 1, NULL, &al, NULL),
        TRAWL_OK);
    assert_int_equal(al.score, 10);
    assert_int_equal(al.len, 2);
    assert_true(al.a_pos[0] == 0 && al.b_pos[0] == -1);
    assert_true(al.a_pos[1] == 1 && al.b_pos[1] == 0);
    trawl_analyze_alignment_free(&al);
    /* Netzob's scoring never uses a mismatch: two gaps cost nothing */
    assert_int_equal(
        trawl_analyze_align((const uint8_t *)"AB", 2, (const uint8_t *)"AC", 2, NULL, &al, NULL),
        TRAWL_OK);
    assert_int_equal(al.score, 10);
    assert_int_equal(al.matches, 1);
    assert_int_equal(al.len, 3);
    assert_int_equal(al.gaps, 2);
    trawl_analyze_alignment_free(&al);
    assert_int_equal(trawl_analyze_align(NULL, 0, NULL, 0, NULL, &al, NULL), TRAWL_OK);
    assert_int_equal(al.len, 0);
    trawl_analyze_alignment_free(&al);
}

static void test_align_errors(void **state)
{
    (void)state;
    trawl_error err;
    trawl_analyze_alignment al;
    trawl_analyze_scoring bad = {0, -1, -1};
    assert_int_equal(
        trawl_analyze_align((const uint8_t *)"A", 1, (const uint8_t *)"A", 1, &bad, &al, &err),
        TRAWL_EINVAL);
    bad = (trawl_analyze_scoring){1, -1, 1};
    int64_t s;
    assert_int_equal(
        trawl_analyze_align_score((const uint8_t *)"A", 1, (const uint8_t *)"A", 1, &bad, &s, &err),
        TRAWL_EINVAL);
    static uint8_t big[20000];
    assert_int_equal(trawl_analyze_align(big, sizeof big, big, sizeof big, NULL, &al, &err),
                     TRAWL_ELIMIT);
    assert_null(al.a_pos);
    /* the score alone has no cell limit: 20000 x 20000 of equal bytes */
    assert_int_equal(trawl_analyze_align_score(big, sizeof big, big, sizeof big, NULL, &s, NULL),
                     TRAWL_OK);
    assert_int_equal(s, 10 * 20000);
}

/* ---- distances ------------------------------------------------------------------- */

static uint64_t ref_lev(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    uint64_t *row = malloc((nb + 1) * sizeof(*row));
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        uint64_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            uint64_t v = diag + (a[i - 1] != b[j - 1]);
            diag = row[j];
            v = v < row[j] + 1 ? v : row[j] + 1;
            v = v < row[j - 1] + 1 ? v : row[j - 1] + 1;
            row[j] = v;
        }
    }
    uint64_t d = row[nb];
    free(row);
    return d;
}

static double ref_jaccard(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, unsigned n)
{
    /* sets as sorted-free brute force over all grams */
    size_t ka = na >= n ? na - n + 1 : 0, kb = nb >= n ? nb - n + 1 : 0;
    size_t both = 0, ua = 0, ub = 0;
    for (size_t i = 0; i < ka; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = memcmp(a + i, a + j, n) != 0;
        if (!first)
            continue;
        ua++;
        for (size_t j = 0; j < kb; j++)
            if (!memcmp(a + i, b + j, n)) {
                both++;
                break;
            }
    }
    for (size_t i = 0; i < kb; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = memcmp(b + i, b + j, n) != 0;
        ub += first;
    }
    if (ua + ub == 0)
        return 0;
    return 1.0 - (double)both / (double)(ua + ub - both);
}

static double ref_distance(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                           trawl_analyze_metric m, unsigned n)
{
    size_t L = na > nb ? na : nb;
    switch (m) {
    case TRAWL_ANALYZE_HAMMING: {
        if (!L)
            return 0;
        size_t d = L - (na < nb ? na : nb);
        for (size_t i = 0; i < na && i < nb; i++)
            d += a[i] != b[i];
        return (double)d / (double)L;
    }
    case TRAWL_ANALYZE_LEVENSHTEIN:
        return L ? (double)ref_lev(a, na, b, nb) / (double)L : 0;
    case TRAWL_ANALYZE_JACCARD:
        return ref_jaccard(a, na, b, nb, n);
    default: {
        trawl_analyze_scoring s = trawl_analyze_scoring_netzob();
        int64_t sc = ref_nw(a, na, b, nb, &s);
        return L ? 1.0 - (double)(sc > 0 ? sc : 0) / (10.0 * (double)L) : 0;
    }
    }
}

typedef struct msgset {
    trawl_span s[60];
    uint8_t buf[60][200];
    size_t n;
} msgset;

static void random_messages(tu_rng *r, msgset *m, size_t n, size_t maxlen)
{
    m->n = n;
    /* a few templates with noise, so distances spread over [0, 1] */
    for (size_t i = 0; i < n; i++) {
        size_t len = tu_below(r, (uint32_t)maxlen + 1);
        unsigned tmpl = tu_below(r, 3);
        for (size_t j = 0; j < len; j++)
            m->buf[i][j] =
                (uint8_t)(tu_below(r, 4) == 0 ? tu_below(r, 256) : (tmpl * 37 + j * 5) & 0xFF);
        m->s[i] = (trawl_span){m->buf[i], len};
    }
}

static void test_distance_reference(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0xD15);
    static msgset m;
    for (int round = 0; round < 4; round++) {
        random_messages(&r, &m, 40, round < 2 ? 40 : 190);
        for (int metric = 0; metric <= 3; metric++) {
            unsigned ng = 1 + (unsigned)round * 2; /* 1, 3, 5, 7 */
            trawl_analyze_distance_opts o = {.metric = (trawl_analyze_metric)metric, .ngram = ng};
            size_t e = (size_t)trawl_analyze_condensed_size(m.n);
            double *M1 = malloc(e * sizeof(double)), *M2 = malloc(e * sizeof(double)),
                   *M3 = malloc(e * sizeof(double));
            o.threads = 1;
            assert_int_equal(trawl_analyze_distance_matrix(m.s, m.n, &o, M1, NULL), TRAWL_OK);
            o.threads = 2;
            assert_int_equal(trawl_analyze_distance_matrix(m.s, m.n, &o, M2, NULL), TRAWL_OK);
            o.threads = 3;
            assert_int_equal(trawl_analyze_distance_matrix(m.s, m.n, &o, M3, NULL), TRAWL_OK);
            assert_memory_equal(M1, M2, e * sizeof(double));
            assert_memory_equal(M1, M3, e * sizeof(double));
            for (size_t i = 0; i < m.n; i++)
                for (size_t j = i + 1; j < m.n; j++) {
                    double d, want = ref_distance(m.s[i].ptr, m.s[i].len, m.s[j].ptr, m.s[j].len,
                                                  o.metric, ng);
                    assert_int_equal(trawl_analyze_distance(m.s[i].ptr, m.s[i].len, m.s[j].ptr,
                                                            m.s[j].len, &o, &d, NULL),
                                     TRAWL_OK);
                    if (fabs(d - want) > 1e-12 || M1[trawl_analyze_condensed_index(m.n, i, j)] != d)
                        fail_msg("%s (%zu, %zu): pair %.17g, matrix %.17g, reference %.17g",
                                 trawl_analyze_metric_name(o.metric), i, j, d,
                                 M1[trawl_analyze_condensed_index(m.n, i, j)], want);
                }
            free(M1);
            free(M2);
            free(M3);
        }
    }
}

/* Oscura's distance cases. */
static void test_distance_oscura(void **state)
{
    (void)state;
    trawl_analyze_distance_opts o = {.metric = TRAWL_ANALYZE_LEVENSHTEIN};
    double d1, d2;
    assert_int_equal(trawl_analyze_distance((const uint8_t *)"ABC", 3, (const uint8_t *)"ABCD", 4,
                                            &o, &d1, NULL),
                     TRAWL_OK);
    assert_int_equal(
        trawl_analyze_distance((const uint8_t *)"ABC", 3, (const uint8_t *)"XYZ", 3, &o, &d2, NULL),
        TRAWL_OK);
    assert_true(d1 == 0.25 && d2 == 1.0);
    assert_int_equal(trawl_analyze_distance(NULL, 0, NULL, 0, &o, &d1, NULL), TRAWL_OK);
    assert_true(d1 == 0.0);
    assert_int_equal(trawl_analyze_distance((const uint8_t *)"ABC", 3, NULL, 0, &o, &d1, NULL),
                     TRAWL_OK);
    assert_true(d1 == 1.0);
    o.metric = TRAWL_ANALYZE_HAMMING; /* AAA AAB: one of three */
    assert_int_equal(
        trawl_analyze_distance((const uint8_t *)"AAA", 3, (const uint8_t *)"AAB", 3, &o, &d1, NULL),
        TRAWL_OK);
    assert_double_equal(d1, 1.0 / 3, 1e-15);
    o.metric = TRAWL_ANALYZE_JACCARD; /* two empty sets: 0 */
    o.ngram = 4;
    assert_int_equal(
        trawl_analyze_distance((const uint8_t *)"AB", 2, (const uint8_t *)"C", 1, &o, &d1, NULL),
        TRAWL_OK);
    assert_true(d1 == 0.0);
    o.ngram = 1; /* byte sets {A} and {A, B}: 1 - 1/2 */
    assert_int_equal(
        trawl_analyze_distance((const uint8_t *)"AAA", 3, (const uint8_t *)"AAB", 3, &o, &d1, NULL),
        TRAWL_OK);
    assert_true(d1 == 0.5);
}

static void test_distance_errors(void **state)
{
    (void)state;
    trawl_error err;
    trawl_span s[3] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"b", 1}, {NULL, 2}};
    double M[3];
    trawl_analyze_distance_opts o = {.metric = TRAWL_ANALYZE_EUCLIDEAN};
    assert_int_equal(trawl_analyze_distance_matrix(s, 2, &o, M, &err), TRAWL_EINVAL);
    o.metric = TRAWL_ANALYZE_JACCARD;
    o.ngram = 9;
    assert_int_equal(trawl_analyze_distance_matrix(s, 2, &o, M, &err), TRAWL_EINVAL);
    o.ngram = 2;
    assert_int_equal(trawl_analyze_distance_matrix(s, 3, &o, M, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 2);
    o.max_bytes = 16; /* three entries need 24 bytes */
    s[2] = (trawl_span){(const uint8_t *)"c", 1};
    assert_int_equal(trawl_analyze_distance_matrix(s, 3, &o, M, &err), TRAWL_ELIMIT);
    assert_non_null(strstr(err.message, "24 bytes"));
    o.max_bytes = 24;
    assert_int_equal(trawl_analyze_distance_matrix(s, 3, &o, M, &err), TRAWL_OK);
    trawl_analyze_metric m;
    assert_true(trawl_analyze_metric_parse("levenshtein", &m) && m == TRAWL_ANALYZE_LEVENSHTEIN);
    assert_false(trawl_analyze_metric_parse("cosine", &m));
}

/* Euclidean pdist against the obvious loop; thread counts agree. */
static void test_pdist(void **state)
{
    (void)state;
    enum { N = 70, D = 6 };
    static double X[N * D], A[N * (N - 1) / 2], B[N * (N - 1) / 2];
    tu_rng r;
    tu_seed(&r, 5);
    for (int i = 0; i < N * D; i++)
        X[i] = (double)tu_below(&r, 1000) / 7.0;
    assert_int_equal(trawl_analyze_pdist(X, N, D, 1, 0, A, NULL), TRAWL_OK);
    assert_int_equal(trawl_analyze_pdist(X, N, D, 3, 0, B, NULL), TRAWL_OK);
    assert_memory_equal(A, B, sizeof A);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            double s = 0;
            for (int k = 0; k < D; k++)
                s += (X[i * D + k] - X[j * D + k]) * (X[i * D + k] - X[j * D + k]);
            assert_double_equal(A[trawl_analyze_condensed_index(N, i, j)], sqrt(s), 1e-12);
        }
    trawl_error err;
    assert_int_equal(trawl_analyze_pdist(X, N, D, 1, 100, A, &err), TRAWL_ELIMIT);
    assert_int_equal(trawl_analyze_pdist(X, N, 0, 1, 0, A, &err), TRAWL_EINVAL);
}

/* trawl_fuzzy_distance and the prepared form against the DP, across the
 * one-word / blocked boundary and the four-lane batch. */
static void test_fuzzy_distance(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x1E5);
    static uint8_t a[400], b[16][400];
    for (int t = 0; t < 300; t++) {
        size_t na = tu_below(&r, t % 3 ? 70 : 400);
        unsigned alpha = 1 + tu_below(&r, 4);
        for (size_t i = 0; i < na; i++)
            a[i] = (uint8_t)tu_below(&r, alpha);
        trawl_span s[16];
        for (int k = 0; k < 16; k++) {
            size_t nb = tu_below(&r, t % 3 ? 70 : 400);
            for (size_t i = 0; i < nb; i++)
                b[k][i] = (uint8_t)tu_below(&r, alpha);
            s[k] = (trawl_span){b[k], nb};
        }
        trawl_fuzzy_lev *l;
        assert_int_equal(trawl_fuzzy_lev_new(a, na, &l, NULL), TRAWL_OK);
        uint64_t d[16];
        trawl_fuzzy_lev_distances(l, s, 16, d);
        for (int k = 0; k < 16; k++) {
            uint64_t want = ref_lev(a, na, s[k].ptr, s[k].len), one;
            assert_int_equal(d[k], want);
            assert_int_equal(trawl_fuzzy_lev_distance(l, s[k].ptr, s[k].len), want);
            assert_int_equal(trawl_fuzzy_distance(a, na, s[k].ptr, s[k].len, &one, NULL), TRAWL_OK);
            assert_int_equal(one, want);
        }
        trawl_fuzzy_lev_free(l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_known),   cmocka_unit_test(test_entropy_reference),
        cmocka_unit_test(test_chi_square_p),    cmocka_unit_test(test_columns),
        cmocka_unit_test(test_align_reference), cmocka_unit_test(test_align_ties),
        cmocka_unit_test(test_align_errors),    cmocka_unit_test(test_distance_reference),
        cmocka_unit_test(test_distance_oscura), cmocka_unit_test(test_distance_errors),
        cmocka_unit_test(test_pdist),           cmocka_unit_test(test_fuzzy_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
