/* test_frame_units.c -- fixed records, length-prefixed packets and
 * delimited messages: the Python tool's cases and every fault with its kind,
 * byte offset and record index. */
#include "frame_testutil.h"

static void run(trawl_framer *f, unsigned flags, const char *hex, ft_events *e)
{
    static uint8_t buf[4096];
    long n = tu_unhex(hex, buf, sizeof(buf));
    assert_true(n >= 0);
    memset(e, 0, sizeof(*e));
    ft_iter(f, flags, buf, (size_t)n, e);
}

static void run_text(trawl_framer *f, unsigned flags, const char *s, ft_events *e)
{
    memset(e, 0, sizeof(*e));
    ft_iter(f, flags, (const uint8_t *)s, strlen(s), e);
}

static void assert_unit(const ft_event *x, uint64_t index, uint64_t offset, uint64_t len,
                        uint64_t vlen)
{
    assert_int_equal(x->step, TRAWL_FRAME_UNIT);
    assert_int_equal(x->index, index);
    assert_int_equal(x->offset, offset);
    assert_int_equal(x->len, len);
    assert_int_equal(x->vlen, vlen);
}

static void assert_fault(const ft_event *x, int kind, uint64_t offset, uint64_t index)
{
    assert_int_equal(x->step, TRAWL_FRAME_FAULT);
    assert_string_equal(trawl_frame_fault_name((trawl_frame_fault_kind)x->kind),
                        trawl_frame_fault_name((trawl_frame_fault_kind)kind));
    assert_int_equal(x->offset, offset);
    assert_int_equal(x->index, index);
}

/* --- fixed records ------------------------------------------------------- */

static void test_records(void **state)
{
    (void)state;
    trawl_framer *f;
    assert_int_equal(trawl_frame_records_new(4, &f, NULL), TRAWL_OK);
    ft_events e;
    run(f, 0, "00010203 04050607", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[1], 1, 4, 4, 4);
    ft_free(&e);
    run(f, 0, "00010203 04050607 0809", &e); /* short tail is reported */
    assert_int_equal(e.n, 3);
    assert_fault(&e.ev[2], TRAWL_FRAME_SHORT_TAIL, 8, 2);
    ft_free(&e);
    run(f, TRAWL_FRAME_RESYNC, "00010203 0809", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_SHORT_TAIL, 4, 1);
    assert_int_equal(e.ev[1].skipped, 2);
    ft_free(&e);
    run(f, 0, "", &e);
    assert_int_equal(e.n, 0);
    ft_free(&e);
    trawl_framer_free(f);
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_frame_records_new(0, &f, &err), TRAWL_EINVAL);
    assert_null(f);
}

/* --- packets --------------------------------------------------------------- */

static trawl_framer *packets(const char *hdr, unsigned field, bool incl, int64_t adjust,
                             uint64_t max)
{
    trawl_frame_packet_opts o = {.header = hdr,
                                 .length_field = field,
                                 .length_includes_header = incl,
                                 .adjust = adjust,
                                 .max_size = max};
    trawl_framer *f;
    assert_int_equal(trawl_frame_packets_new(&o, &f, NULL), TRAWL_OK);
    return f;
}

static void test_packets_basic(void **state)
{
    (void)state;
    trawl_framer *f = packets(">H", 0, false, 0, 0);
    ft_events e;
    run(f, 0, "0003 AABBCC 0000 0001 DD", &e);
    assert_int_equal(e.n, 3);
    assert_unit(&e.ev[0], 0, 0, 5, 3);
    assert_int_equal(e.ev[0].voff, 2);
    assert_unit(&e.ev[1], 1, 5, 2, 0);
    assert_unit(&e.ev[2], 2, 7, 3, 1);
    ft_free(&e);
    run(f, 0, "0003 AABBCC 0005 AA", &e); /* truncated value */
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_VALUE, 5, 1);
    ft_free(&e);
    run(f, 0, "0001 AA 00", &e); /* truncated header */
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_HEADER, 3, 1);
    ft_free(&e);
    trawl_framer_free(f);
    assert_null(trawl_framer_header(NULL));
}

static void test_packets_hh_field1(void **state)
{
    (void)state;
    trawl_framer *f = packets(">HH", 1, false, 0, 0);
    ft_events e;
    run(f, 0, "BEEF 0002 1122 CAFE 0000", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 6, 2);
    assert_unit(&e.ev[1], 1, 6, 4, 0);
    const trawl_struct *h = trawl_framer_header(f);
    assert_non_null(h);
    assert_int_equal(trawl_struct_size(h), 4);
    ft_free(&e);
    trawl_framer_free(f);
    /* little endian, header included: <IHH with the length in field 0 */
    f = packets("<IHH", 0, true, 0, 0);
    run(f, 0, "0A000000 0100 0200 AABB", &e);
    assert_int_equal(e.n, 1);
    assert_unit(&e.ev[0], 0, 0, 10, 2);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_packets_header_included(void **state)
{
    (void)state;
    trawl_framer *f = packets(">H", 0, true, 0, 0);
    ft_events e;
    run(f, 0, "0004 AABB 0002", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 4, 2);
    assert_unit(&e.ev[1], 1, 4, 2, 0);
    ft_free(&e);
    run(f, 0, "0004 AABB 0001 00", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_LENGTH_BELOW_HEADER, 4, 1);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_packets_limits_adjust_signed(void **state)
{
    (void)state;
    trawl_framer *f = packets(">H", 0, false, 0, 6);
    ft_events e;
    run(f, 0, "0004 AABBCCDD 0005 0000000000", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_PACKET_TOO_LARGE, 6, 1);
    ft_free(&e);
    trawl_framer_free(f);
    /* TPKT-like: version, reserved, total length including the header */
    f = packets(">BBH", 2, true, 0, 0);
    run(f, 0, "03 00 0007 AABBCC 03 00 0004", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[1], 1, 7, 4, 0);
    ft_free(&e);
    trawl_framer_free(f);
    /* adjust: the length counts a 2-byte trailer the header does not mention */
    f = packets(">B", 0, false, 2, 0);
    run(f, 0, "01 AA 1111 00 2222", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 4, 3);
    assert_unit(&e.ev[1], 1, 4, 3, 2);
    ft_free(&e);
    trawl_framer_free(f);
    f = packets(">B", 0, false, -3, 0);
    run(f, 0, "05 AABB 01", &e); /* 5 - 3 + 1 = 3, then 1 - 3 + 1 < 1 */
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 3, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_LENGTH_BELOW_HEADER, 3, 1);
    ft_free(&e);
    trawl_framer_free(f);
    f = packets(">h", 0, false, 0, 0);
    run(f, 0, "FFFF", &e); /* negative length */
    assert_fault(&e.ev[0], TRAWL_FRAME_LENGTH_BELOW_HEADER, 0, 0);
    ft_free(&e);
    trawl_framer_free(f);
    f = packets(">Q", 0, false, 0, 0);
    run(f, 0, "FFFFFFFFFFFFFFFF", &e); /* no wrap-around */
    assert_fault(&e.ev[0], TRAWL_FRAME_PACKET_TOO_LARGE, 0, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_packets_bad_options(void **state)
{
    (void)state;
    trawl_framer *f;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_frame_packet_opts o = {.header = ">H4s", .length_field = 1};
    assert_int_equal(trawl_frame_packets_new(&o, &f, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "string"));
    o.length_field = 2;
    assert_int_equal(trawl_frame_packets_new(&o, &f, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "out of range"));
    o.header = ">Hz";
    assert_int_equal(trawl_frame_packets_new(&o, &f, &err), TRAWL_ESYNTAX);
    assert_int_equal(err.column, 3);
    o.header = ">H";
    o.length_field = 0;
    o.adjust = INT64_MIN;
    assert_int_equal(trawl_frame_packets_new(&o, &f, &err), TRAWL_EINVAL);
    assert_null(f);
}

/* --- delimited ------------------------------------------------------------- */

static trawl_framer *delim(const char *d, uint64_t max)
{
    trawl_frame_delim_opts o = {
        .delimiter = (const uint8_t *)d, .delimiter_len = strlen(d), .max_size = max};
    trawl_framer *f;
    assert_int_equal(trawl_frame_delim_new(&o, &f, NULL), TRAWL_OK);
    return f;
}

static void test_delim_newline(void **state)
{
    (void)state;
    trawl_framer *f = delim("\n", 0);
    ft_events e;
    run_text(f, 0, "ab\n\ncde\n", &e);
    assert_int_equal(e.n, 3);
    assert_unit(&e.ev[0], 0, 0, 3, 2);
    assert_true(e.ev[0].terminated);
    assert_unit(&e.ev[1], 1, 3, 1, 0); /* empty message between delimiters */
    assert_unit(&e.ev[2], 2, 4, 4, 3);
    ft_free(&e);
    run_text(f, 0, "ab\ncd", &e); /* no trailing delimiter */
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[1], 1, 3, 2, 2);
    assert_false(e.ev[1].terminated);
    ft_free(&e);
    run_text(f, 0, "", &e);
    assert_int_equal(e.n, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_delim_pipe_and_multibyte(void **state)
{
    (void)state;
    trawl_framer *f = delim("|", 0);
    ft_events e;
    run_text(f, 0, "a|bb|ccc", &e);
    assert_int_equal(e.n, 3);
    assert_unit(&e.ev[0], 0, 0, 2, 1);
    assert_unit(&e.ev[1], 1, 2, 3, 2);
    assert_unit(&e.ev[2], 2, 5, 3, 3);
    ft_free(&e);
    trawl_framer_free(f);
    f = delim("\r\n\r\n", 0);
    run_text(f, 0, "GET /\r\nHost: x\r\n\r\nbody\r\n\r\r\n\r\n", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 18, 14);
    assert_unit(&e.ev[1], 1, 18, 11, 7); /* "body\r\n\r" then the delimiter */
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_delim_oversized(void **state)
{
    (void)state;
    trawl_framer *f = delim("\n", 3);
    ft_events e;
    run_text(f, 0, "abc\nabcd\nx\n", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 4, 3);
    assert_fault(&e.ev[1], TRAWL_FRAME_RECORD_TOO_LARGE, 4, 1);
    ft_free(&e);
    run_text(f, 0, "abcd", &e); /* oversized last message without delimiter */
    assert_fault(&e.ev[0], TRAWL_FRAME_RECORD_TOO_LARGE, 0, 0);
    ft_free(&e);
    /* resync skips the oversized message through its delimiter */
    run_text(f, TRAWL_FRAME_RESYNC, "abc\nabcdefg\nxy\n", &e);
    assert_int_equal(e.n, 3);
    assert_fault(&e.ev[1], TRAWL_FRAME_RECORD_TOO_LARGE, 4, 1);
    assert_int_equal(e.ev[1].skipped, 8);
    assert_unit(&e.ev[2], 1, 12, 3, 2);
    ft_free(&e);
    trawl_framer_free(f);
    trawl_frame_delim_opts o = {.delimiter = (const uint8_t *)"", .delimiter_len = 0};
    assert_int_equal(trawl_frame_delim_new(&o, &f, NULL), TRAWL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_packets_basic),
        cmocka_unit_test(test_packets_hh_field1),
        cmocka_unit_test(test_packets_header_included),
        cmocka_unit_test(test_packets_limits_adjust_signed),
        cmocka_unit_test(test_packets_bad_options),
        cmocka_unit_test(test_delim_newline),
        cmocka_unit_test(test_delim_pipe_and_multibyte),
        cmocka_unit_test(test_delim_oversized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
