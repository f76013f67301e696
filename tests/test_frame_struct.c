/* test_frame_struct.c -- the struct-format language: sizes, byte orders,
 * sign extension, strings and pads, syntax errors with their column, limits,
 * and unpacking short input. */
#include "testutil.h"

#include <string.h>
#include <trawl/struct.h>

static trawl_struct *compile(const char *fmt)
{
    trawl_struct *s = NULL;
    assert_int_equal(trawl_struct_compile(fmt, &s, NULL), TRAWL_OK);
    return s;
}

static void test_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *fmt;
        size_t size, count;
    } cases[] = {
        {">H", 2, 1},    {"<IHH", 8, 3}, {">HxxB4s", 9, 3}, {"", 0, 0},
        {"3H", 6, 3},    {"0s", 0, 1},   {"q Q", 16, 2},    {"!bB", 2, 2},
        {"=10x", 10, 0}, {"@i", 4, 1},   {"2s3s", 5, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        trawl_struct *s = compile(cases[i].fmt);
        assert_int_equal(trawl_struct_size(s), cases[i].size);
        assert_int_equal(trawl_struct_count(s), cases[i].count);
        trawl_struct_free(s);
    }
}

static void test_unpack(void **state)
{
    (void)state;
    trawl_struct *s = compile(">HxxbB4s");
    const uint8_t buf[] = {0x12, 0x34, 0, 0, 0xFE, 0xFE, 'a', 'b', 'c', 'd', 0x99};
    trawl_struct_value v[4];
    assert_int_equal(trawl_struct_unpack(s, buf, sizeof(buf), v, 4, NULL), TRAWL_OK);
    assert_int_equal(v[0].code, 'H');
    assert_int_equal(v[0].v.u, 0x1234);
    assert_int_equal(v[1].code, 'b');
    assert_int_equal(v[1].v.i, -2); /* sign-extended */
    assert_int_equal(v[1].offset, 4);
    assert_int_equal(v[2].v.u, 0xFE);
    assert_int_equal(v[3].code, 's');
    assert_ptr_equal(v[3].v.s.ptr, buf + 6); /* zero-copy */
    assert_int_equal(v[3].v.s.len, 4);
    trawl_struct_free(s);

    s = compile("<hIq");
    const uint8_t le[] = {0xFF, 0xFF, 0x78, 0x56, 0x34, 0x12, 1, 0, 0, 0, 0, 0, 0, 0x80};
    assert_int_equal(trawl_struct_unpack(s, le, sizeof(le), v, 3, NULL), TRAWL_OK);
    assert_int_equal(v[0].v.i, -1);
    assert_int_equal(v[1].v.u, 0x12345678);
    assert_true(v[2].v.i == INT64_MIN + 1);
    trawl_struct_value one;
    assert_true(trawl_struct_get(s, 1, le, sizeof(le), &one));
    assert_int_equal(one.v.u, 0x12345678);
    assert_false(trawl_struct_get(s, 3, le, sizeof(le), &one));
    assert_false(trawl_struct_get(s, 0, le, 13, &one));
    assert_int_equal(trawl_struct_code(s, 2), 'q');
    assert_int_equal(trawl_struct_code(s, 3), 0);
    trawl_struct_free(s);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *fmt;
        int column;
    } cases[] = {{">Z", 2}, {"HHk", 3}, {"<3", 3}, {"H<", 2}, {"2 H", 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        trawl_struct *s = (trawl_struct *)1;
        trawl_error err;
        trawl_error_clear(&err);
        assert_int_equal(trawl_struct_compile(cases[i].fmt, &s, &err), TRAWL_ESYNTAX);
        assert_null(s);
        assert_int_equal(err.column, cases[i].column);
        assert_int_equal(err.status, TRAWL_ESYNTAX);
    }
}

static void test_limits(void **state)
{
    (void)state;
    trawl_struct *s;
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_struct_compile("257B", &s, &err), TRAWL_ELIMIT);
    assert_int_equal(trawl_struct_compile("65537x", &s, &err), TRAWL_ELIMIT);
    assert_int_equal(trawl_struct_compile("99999999999999999999999H", &s, &err), TRAWL_ELIMIT);
    assert_int_equal(trawl_struct_compile("65536s1x", &s, &err), TRAWL_ELIMIT);
    assert_int_equal(trawl_struct_compile("256B", &s, &err), TRAWL_OK);
    trawl_struct_free(s);
    assert_int_equal(trawl_struct_compile(NULL, &s, &err), TRAWL_EINVAL);
    trawl_struct_free(NULL);
}

static void test_short_input(void **state)
{
    (void)state;
    trawl_struct *s = compile(">IH");
    const uint8_t buf[5] = {0};
    trawl_struct_value v[2];
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_struct_unpack(s, buf, 5, v, 2, &err), TRAWL_ETRUNCATED);
    assert_int_equal(err.offset, 5);
    assert_int_equal(trawl_struct_unpack(s, buf, 5, v, 1, &err), TRAWL_EINVAL);
    trawl_struct_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),         cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_syntax_errors), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_short_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
