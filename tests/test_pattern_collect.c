/* test_pattern_collect.c -- trawl_scan_collect() returns exactly what
 * trawl_scan() calls back with (random patterns of fixed and varying width,
 * both scan modes, random data), stops after max matches, and checks its
 * arguments. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

typedef struct seen {
    trawl_match m[4096];
    size_t n;
} seen;

static int record(const trawl_match *m, void *u)
{
    seen *s = u;
    if (s->n < 4096)
        s->m[s->n] = *m;
    s->n++;
    return 0;
}

static trawl_pattern_db *compile(const char *const *pats, size_t n)
{
    trawl_pattern_set *set;
    trawl_pattern_db *db;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            trawl_pattern_set_add(set, pats[i], strlen(pats[i]), TRAWL_SYNTAX_AUTO, 0, NULL, &err),
            TRAWL_OK);
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    return db;
}

static void test_same_as_callback(void **state)
{
    (void)state;
    static const char *const pats[] = {"\\x01\\x02", "\\x03.{0,3}\\x04", "\\x05+", "[\\x00-\\x02]",
                                       "{ 06 ?? 07 }"};
    trawl_pattern_db *db = compile(pats, 5);
    trawl_scratch *s = NULL;
    trawl_error err;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    tu_rng r;
    tu_seed(&r, 17);
    uint8_t data[2000];
    static seen want;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = (uint8_t)tu_below(&r, 9);
        unsigned flags = round & 1 ? TRAWL_SCAN_OVERLAP : 0;
        want.n = 0;
        assert_int_equal(trawl_scan(db, s, data, sizeof(data), flags, record, &want, &err),
                         TRAWL_OK);
        assert_true(want.n > 0 && want.n <= 4096);
        trawl_match *got;
        size_t n;
        assert_int_equal(trawl_scan_collect(db, s, data, sizeof(data), flags, 0, &got, &n, &err),
                         TRAWL_OK);
        assert_int_equal(n, want.n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(got[i].offset, want.m[i].offset);
            assert_int_equal(got[i].length, want.m[i].length);
            assert_int_equal(got[i].pattern, want.m[i].pattern);
            assert_ptr_equal(got[i].data, data + got[i].offset);
        }
        trawl_matches_free(got);
    }
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

static void test_max_stops(void **state)
{
    (void)state;
    static const char *const pats[] = {"\\xAA"};
    trawl_pattern_db *db = compile(pats, 1);
    trawl_scratch *s = NULL;
    trawl_error err;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    uint8_t data[1000];
    memset(data, 0xAA, sizeof(data));
    trawl_match *got;
    size_t n;
    assert_int_equal(trawl_scan_collect(db, s, data, sizeof(data), 0, 7, &got, &n, &err),
                     TRAWL_ESTOPPED);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i].offset, i);
    trawl_matches_free(got);
    /* no match: OK, an empty (NULL) array */
    memset(data, 0, sizeof(data));
    assert_int_equal(trawl_scan_collect(db, s, data, sizeof(data), 0, 0, &got, &n, &err), TRAWL_OK);
    assert_int_equal(n, 0);
    trawl_matches_free(got);
    assert_int_equal(trawl_scan_collect(db, s, data, sizeof(data), 0, 0, NULL, &n, &err),
                     TRAWL_EINVAL);
    assert_int_equal(err.status, TRAWL_EINVAL);
    trawl_matches_free(NULL);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_callback),
        cmocka_unit_test(test_max_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
