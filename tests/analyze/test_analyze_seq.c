/* test_analyze_seq.c -- repeats and n-grams against brute force: every
 * substring of small random inputs enumerated, counted and tested for
 * maximality by hand; n-grams counted with a plain list; and the candidate
 * period of a file of fixed-size records. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>

/* ---- repeats ---------------------------------------------------------------- */

typedef struct brute_rep {
    size_t off, len, count;
} brute_rep;

/* Every maximal repeat of length >= L, by brute force: for each distinct
 * substring (identified by its first occurrence), its occurrences, and
 * whether one extension on the right or on the left keeps all of them. */
static size_t brute_repeats(const uint8_t *p, size_t n, size_t L, brute_rep *out, size_t cap)
{
    size_t nr = 0;
    size_t *occ = malloc((n + 1) * sizeof(*occ));
    for (size_t len = L; len < n; len++) {
        for (size_t a = 0; a + len <= n; a++) {
            bool first = true;
            for (size_t b = 0; b < a && first; b++)
                first = memcmp(p + a, p + b, len) != 0;
            if (!first)
                continue;
            size_t c = 0;
            for (size_t b = a; b + len <= n; b++)
                if (!memcmp(p + a, p + b, len))
                    occ[c++] = b;
            if (c < 2)
                continue;
            bool right_same = true, left_same = true;
            for (size_t k = 0; k < c; k++) {
                if (occ[k] + len >= n || p[occ[k] + len] != p[occ[0] + len])
                    right_same = false;
                if (occ[k] == 0 || p[occ[k] - 1] != p[occ[0] - 1])
                    left_same = false;
            }
            if (right_same || left_same)
                continue;
            assert_true(nr < cap);
            out[nr++] = (brute_rep){a, len, c};
        }
    }
    free(occ);
    return nr;
}

static void test_repeats_brute_force(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x5A);
    static uint8_t buf[400];
    static brute_rep want[20000];
    for (int t = 0; t < 300; t++) {
        size_t n = 1 + tu_below(&r, t < 200 ? 60 : 300);
        unsigned alpha = 1 + tu_below(&r, 4);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)('a' + tu_below(&r, alpha));
        if (t % 3 == 0 && n > 20) /* plant a copy */
            memcpy(buf + n / 2, buf, n / 3);
        uint32_t L = 1 + tu_below(&r, 4);
        size_t nw = brute_repeats(buf, n, L, want, 20000);
        trawl_analyze_repeat_opts o = {.min_length = L, .top = 100000, .keep_runs = true};
        trawl_analyze_repeat_result res;
        assert_int_equal(trawl_analyze_repeats(buf, n, &o, &res, NULL), TRAWL_OK);
        if (res.total != nw || res.count != nw)
            fail_msg("n %zu alpha %u L %u: %llu repeats, brute force %zu", n, alpha, L,
                     (unsigned long long)res.total, nw);
        for (size_t i = 0; i < res.count; i++) {
            const trawl_analyze_repeat *x = &res.repeats[i];
            bool found = false;
            for (size_t j = 0; j < nw && !found; j++)
                found = want[j].len == x->length && want[j].count == x->count &&
                        !memcmp(buf + want[j].off, buf + x->offsets[0], x->length) &&
                        want[j].off == x->offsets[0];
            if (!found)
                fail_msg("repeat %zu (len %u, count %llu at %llu) is not maximal by brute force", i,
                         x->length, (unsigned long long)x->count,
                         (unsigned long long)x->offsets[0]);
            for (size_t k = 0; k < x->count; k++)
                assert_memory_equal(buf + x->offsets[k], buf + x->offsets[0], x->length);
            if (i) /* longest first, then most frequent */
                assert_true(res.repeats[i - 1].length > x->length ||
                            (res.repeats[i - 1].length == x->length &&
                             res.repeats[i - 1].count >= x->count));
        }
        trawl_analyze_repeat_result_free(&res);
    }
}

/* Repeats inside runs of one byte value are padding and left out by
 * default: 40 zero bytes hold maximal repeats of every length below 40. */
static void test_repeats_runs(void **state)
{
    (void)state;
    static uint8_t buf[100];
    memset(buf, 0, 40);
    memcpy(buf + 40, "headerXYheader--headerZZ", 24);
    trawl_analyze_repeat_opts o = {.min_length = 4, .top = 100};
    trawl_analyze_repeat_result res;
    assert_int_equal(trawl_analyze_repeats(buf, 64, &o, &res, NULL), TRAWL_OK);
    assert_int_equal(res.total, 1);
    assert_int_equal(res.repeats[0].length, 6);
    assert_int_equal(res.repeats[0].count, 3);
    trawl_analyze_repeat_result_free(&res);
    o.keep_runs = true;
    assert_int_equal(trawl_analyze_repeats(buf, 64, &o, &res, NULL), TRAWL_OK);
    assert_true(res.total > 30);
    trawl_analyze_repeat_result_free(&res);
}

/* top-k under each order is the head of the full list under that order */
static void test_repeats_orders(void **state)
{
    (void)state;
    const char *s = "abcabcabcXYZXYZabcdefgh--abcdefgh--abcdefgh";
    size_t n = strlen(s);
    trawl_analyze_repeat_result res;
    trawl_analyze_repeat_opts o = {.min_length = 2, .top = 1, .order = TRAWL_ANALYZE_BY_LENGTH};
    assert_int_equal(trawl_analyze_repeats((const uint8_t *)s, n, &o, &res, NULL), TRAWL_OK);
    assert_int_equal(res.count, 1);
    /* "abcdefgh--abcdefgh" occurs twice (overlapping the middle copy) */
    assert_int_equal(res.repeats[0].length, 18);
    assert_int_equal(res.repeats[0].count, 2);
    trawl_analyze_repeat_result_free(&res);
    o.order = TRAWL_ANALYZE_BY_COUNT;
    assert_int_equal(trawl_analyze_repeats((const uint8_t *)s, n, &o, &res, NULL), TRAWL_OK);
    /* "abc" six times */
    assert_int_equal(res.repeats[0].length, 3);
    assert_int_equal(res.repeats[0].count, 6);
    assert_memory_equal(s + res.repeats[0].offsets[0], "abc", 3);
    trawl_analyze_repeat_result_free(&res);
    trawl_error err;
    o.max_bytes = 100;
    assert_int_equal(trawl_analyze_repeats((const uint8_t *)s, n, &o, &res, &err), TRAWL_ELIMIT);
    assert_null(res.repeats);
}

/* 200 records of 48 bytes: a 6-byte header, a counter, random payload. */
static void test_periods(void **state)
{
    (void)state;
    static uint8_t buf[200 * 48];
    tu_rng r;
    tu_seed(&r, 48);
    for (int i = 0; i < 200; i++) {
        uint8_t *q = buf + i * 48;
        memcpy(q, "\xAA\x55REC", 6);
        q[6] = (uint8_t)i;
        for (int k = 7; k < 48; k++)
            q[k] = (uint8_t)tu_next(&r);
    }
    trawl_analyze_repeat_opts o = {.min_length = 4, .top = 20};
    trawl_analyze_repeat_result res;
    assert_int_equal(trawl_analyze_repeats(buf, sizeof buf, &o, &res, NULL), TRAWL_OK);
    assert_true(res.nperiods >= 1);
    assert_int_equal(res.periods[0].period, 48);
    assert_true(res.periods[0].aligned >= 1);
    trawl_analyze_repeat_result_free(&res);
}

/* ---- n-grams ------------------------------------------------------------------ */

typedef struct bg {
    uint8_t b[16];
    uint64_t count, messages, fm, fo, last;
} bg;

static void test_ngrams_brute_force(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x96);
    static uint8_t buf[8][200];
    static bg list[2000];
    for (int t = 0; t < 200; t++) {
        unsigned n = 1 + tu_below(&r, 16);
        size_t nm = 1 + tu_below(&r, 8);
        unsigned alpha = 1 + tu_below(&r, 3);
        trawl_span m[8];
        for (size_t i = 0; i < nm; i++) {
            size_t len = tu_below(&r, 200);
            for (size_t j = 0; j < len; j++)
                buf[i][j] = (uint8_t)tu_below(&r, alpha);
            m[i] = (trawl_span){buf[i], len};
        }
        size_t nl = 0;
        for (size_t i = 0; i < nm; i++)
            for (size_t j = 0; j + n <= m[i].len; j++) {
                size_t k = 0;
                while (k < nl && memcmp(list[k].b, m[i].ptr + j, n))
                    k++;
                if (k == nl) {
                    memset(&list[k], 0, sizeof list[k]);
                    memcpy(list[k].b, m[i].ptr + j, n);
                    list[k].fm = i, list[k].fo = j, list[k].last = SIZE_MAX;
                    nl++;
                }
                list[k].count++;
                if (list[k].last != i)
                    list[k].messages++, list[k].last = i;
            }
        /* order: count desc, then first occurrence */
        for (size_t a = 1; a < nl; a++)
            for (size_t b = a; b > 0; b--) {
                bg *x = &list[b - 1], *y = &list[b];
                bool swap =
                    y->count > x->count ||
                    (y->count == x->count && (y->fm < x->fm || (y->fm == x->fm && y->fo < x->fo)));
                if (!swap)
                    break;
                bg tmp = *x;
                *x = *y;
                *y = tmp;
            }
        size_t top = 1 + tu_below(&r, 30);
        trawl_analyze_ngram_opts o = {.n = n, .top = top};
        trawl_analyze_ngram_result res;
        assert_int_equal(trawl_analyze_ngrams(m, nm, &o, &res, NULL), TRAWL_OK);
        assert_int_equal(res.distinct, nl);
        assert_int_equal(res.count, top < nl ? top : nl);
        for (size_t i = 0; i < res.count; i++) {
            const trawl_analyze_ngram *g = &res.grams[i];
            assert_int_equal(g->n, n);
            assert_memory_equal(g->bytes, list[i].b, n);
            assert_int_equal(g->count, list[i].count);
            assert_int_equal(g->messages, list[i].messages);
            assert_int_equal(g->first_message, list[i].fm);
            assert_int_equal(g->first_offset, list[i].fo);
        }
        trawl_analyze_ngram_result_free(&res);
    }
}

static void test_ngrams_errors(void **state)
{
    (void)state;
    trawl_error err;
    trawl_analyze_ngram_result res;
    trawl_span m = {(const uint8_t *)"abcdefgh", 8};
    trawl_analyze_ngram_opts o = {.n = 17, .top = 3};
    assert_int_equal(trawl_analyze_ngrams(&m, 1, &o, &res, &err), TRAWL_EINVAL);
    o.n = 0;
    assert_int_equal(trawl_analyze_ngrams(&m, 1, &o, &res, &err), TRAWL_EINVAL);
    /* a bound too small for the table */
    o.n = 3;
    o.max_bytes = 1000;
    assert_int_equal(trawl_analyze_ngrams(&m, 1, &o, &res, &err), TRAWL_ELIMIT);
    assert_null(res.grams);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeats_brute_force),
        cmocka_unit_test(test_repeats_orders),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_repeats_runs),
        cmocka_unit_test(test_ngrams_brute_force),
        cmocka_unit_test(test_ngrams_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
