/* test_fuzzy_similar.c -- similar-sequence discovery against all pairs by
 * the textbook table, on random small-alphabet data, and its errors. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/fuzzy.h>

typedef struct pairs {
    trawl_fuzzy_pair *v;
    size_t n, cap;
} pairs;

static int collect(const trawl_fuzzy_pair *p, void *ud)
{
    pairs *ps = ud;
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 64;
        ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
    }
    ps->v[ps->n++] = *p;
    return 0;
}

static unsigned plain_distance(const uint8_t *a, const uint8_t *b, size_t L, bool ham)
{
    if (ham) {
        unsigned d = 0;
        for (size_t i = 0; i < L; i++)
            d += a[i] != b[i];
        return d;
    }
    unsigned D[40][40];
    for (size_t i = 0; i <= L; i++)
        for (size_t j = 0; j <= L; j++) {
            if (!i || !j) {
                D[i][j] = (unsigned)(i + j);
                continue;
            }
            unsigned v = D[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (D[i - 1][j] + 1 < v)
                v = D[i - 1][j] + 1;
            if (D[i][j - 1] + 1 < v)
                v = D[i][j - 1] + 1;
            D[i][j] = v;
        }
    return D[L][L];
}

/* degenerate: zeros or a period of 1-3 bytes with rare changes (padding,
 * erased flash), where every window has most others as partners */
static void random_vs_all_pairs(uint64_t seed, int iters, bool degenerate)
{
    tu_rng r;
    tu_seed(&r, seed);
    size_t total = 0;
    for (int iter = 0; iter < iters; iter++) {
        size_t n = tu_below(&r, 200);
        size_t L = 1 + tu_below(&r, 30);
        unsigned k = tu_below(&r, (unsigned)(L - 1 < 4 ? L : 4));
        bool ham = tu_below(&r, 2);
        unsigned alpha = 2 + tu_below(&r, 3);
        uint8_t *d = malloc(n + 1);
        unsigned period = 1 + tu_below(&r, 3);
        for (size_t i = 0; i < n; i++)
            d[i] = degenerate ? (tu_below(&r, 40) ? (uint8_t)(i % period) : (uint8_t)'x')
                              : (uint8_t)('a' + tu_below(&r, alpha));
        pairs got = {0};
        assert_int_equal(trawl_fuzzy_similar(d, n, L, k,
                                             ham ? TRAWL_FUZZY_HAMMING : TRAWL_FUZZY_LEVENSHTEIN,
                                             collect, &got, NULL),
                         TRAWL_OK);
        size_t at = 0;
        for (size_t a = 0; a + L <= n; a++)
            for (size_t b = a + 1; b + L <= n; b++) {
                unsigned dist = plain_distance(d + a, d + b, L, ham);
                if (dist > k)
                    continue;
                assert_true(at < got.n);
                assert_int_equal(got.v[at].a, a);
                assert_int_equal(got.v[at].b, b);
                assert_int_equal(got.v[at].distance, dist);
                at++;
            }
        assert_int_equal(at, got.n);
        total += at;
        free(got.v);
        free(d);
    }
    assert_true(total > 1000);
}

static void test_random_vs_all_pairs(void **state)
{
    (void)state;
    random_vs_all_pairs(0x51A11A4ull, 400, false);
}

static void test_degenerate_vs_all_pairs(void **state)
{
    (void)state;
    random_vs_all_pairs(0xE2A5EDull, 200, true);
}

/* 10,000 zero bytes: 49.8 million pairs. The limits stop the work with
 * TRAWL_ELIMIT after exactly max_pairs pairs (or max_checks checks), the
 * pairs before it reported in order. */
static void test_limits(void **state)
{
    (void)state;
    size_t n = 10000;
    uint8_t *z = calloc(n, 1);
    pairs got = {0};
    trawl_error err;
    trawl_fuzzy_similar_limits lim = {.max_pairs = 5000};
    assert_int_equal(
        trawl_fuzzy_similar_ex(z, n, 16, 1, TRAWL_FUZZY_LEVENSHTEIN, &lim, collect, &got, &err),
        TRAWL_ELIMIT);
    assert_int_equal(got.n, 5000);
    assert_int_equal(got.v[0].a, 0);
    assert_int_equal(got.v[0].b, 1);
    assert_int_equal(got.v[4999].a, 0);
    assert_int_equal(got.v[4999].b, 5000);
    assert_string_equal(err.message, "stopped after 5000 pairs (max_pairs), at window 0: the data "
                                     "is too repetitive to list every pair");
    got.n = 0;
    lim = (trawl_fuzzy_similar_limits){.max_checks = 20000};
    assert_int_equal(
        trawl_fuzzy_similar_ex(z, n, 16, 1, TRAWL_FUZZY_HAMMING, &lim, collect, &got, &err),
        TRAWL_ELIMIT);
    assert_int_equal(got.n, 20000);
    assert_int_equal(got.v[19999].a, 2);
    free(got.v);
    free(z);
}

static void test_errors(void **state)
{
    (void)state;
    pairs got = {0};
    trawl_error err;
    assert_int_equal(trawl_fuzzy_similar((const uint8_t *)"abcd", 4, 2, 2, TRAWL_FUZZY_LEVENSHTEIN,
                                         collect, &got, &err),
                     TRAWL_EINVAL);
    assert_int_equal(err.status, TRAWL_EINVAL);
    assert_int_equal(trawl_fuzzy_similar((const uint8_t *)"abcd", 4, 0, 0, TRAWL_FUZZY_LEVENSHTEIN,
                                         collect, &got, &err),
                     TRAWL_EINVAL);
    assert_int_equal(
        trawl_fuzzy_similar((const uint8_t *)"", 0, 3, 1, TRAWL_FUZZY_HAMMING, collect, &got, &err),
        TRAWL_OK);
    assert_int_equal(got.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_vs_all_pairs),
        cmocka_unit_test(test_degenerate_vs_all_pairs),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
