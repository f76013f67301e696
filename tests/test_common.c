/* test_common.c -- the status table and error record. */
#include "testutil.h"

#include <string.h>
#include <trawl/trawl.h>

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(trawl_status_name(TRAWL_OK), "TRAWL_OK");
    assert_string_equal(trawl_status_name(TRAWL_ESYNTAX), "TRAWL_ESYNTAX");
    assert_string_equal(trawl_status_message(TRAWL_ENOMEM), "out of memory");
    assert_string_equal(trawl_status_name((trawl_status)9999), "TRAWL_E?");
    assert_string_equal(trawl_status_message((trawl_status)-1), "unknown status");
    for (int s = 0; s < TRAWL_STATUS_COUNT_; s++)
        assert_int_equal(strncmp(trawl_status_name((trawl_status)s), "TRAWL_", 6), 0);
}

static void test_error_clear(void **state)
{
    (void)state;
    trawl_error e;
    memset(&e, 0x55, sizeof(e));
    trawl_error_clear(&e);
    assert_int_equal(e.status, TRAWL_OK);
    assert_int_equal(e.offset, -1);
    assert_int_equal(e.index, -1);
    assert_int_equal(e.line, 0);
    assert_int_equal(e.column, 0);
    assert_string_equal(e.message, "");
    trawl_error_clear(NULL);
    assert_string_equal(trawl_version(), TRAWL_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_error_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
