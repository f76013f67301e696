/* test_frame_tlv.c -- TLV framing: the cases of the Python tool trawl
 * replaces, nesting, BER lengths, every fault kind with its offset and
 * record index, and resync. */
#include "frame_testutil.h"

static trawl_framer *tlv(unsigned ts, unsigned ls, bool little, bool incl)
{
    trawl_frame_tlv_opts o = {.type_size = ts,
                              .length_size = ls,
                              .little_endian = little,
                              .length_includes_header = incl};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    return f;
}

static void run(trawl_framer *f, unsigned flags, const char *hex, ft_events *e)
{
    static uint8_t buf[4096];
    long n = tu_unhex(hex, buf, sizeof(buf));
    assert_true(n >= 0);
    memset(e, 0, sizeof(*e));
    ft_iter(f, flags, buf, (size_t)n, e);
}

static void assert_unit(const ft_event *x, uint64_t index, uint64_t offset, uint64_t type,
                        uint64_t vlen)
{
    assert_int_equal(x->step, TRAWL_FRAME_UNIT);
    assert_int_equal(x->index, index);
    assert_int_equal(x->offset, offset);
    assert_int_equal(x->type, type);
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

static void test_basic(void **state)
{
    (void)state;
    trawl_framer *f = tlv(1, 1, false, false);
    uint8_t buf[16];
    long n = FT_UNHEX(buf, "01 04 AA BB CC DD");
    trawl_frame_iter *it;
    assert_int_equal(trawl_frame_iter_new(f, 0, &it, NULL), TRAWL_OK);
    trawl_frame_iter_reset(it, buf, (size_t)n);
    trawl_frame_unit u;
    trawl_frame_fault flt;
    assert_int_equal(trawl_frame_iter_next(it, &u, &flt), TRAWL_FRAME_UNIT);
    assert_int_equal(u.type, 1);
    assert_int_equal(u.offset, 0);
    assert_int_equal(u.index, 0);
    assert_ptr_equal(u.value.ptr, buf + 2); /* zero-copy */
    assert_int_equal(u.value.len, 4);
    assert_int_equal(u.data.len, 6);
    assert_false(u.container);
    assert_int_equal(trawl_frame_iter_next(it, &u, &flt), TRAWL_FRAME_END);
    uint64_t units, faults, skipped;
    trawl_frame_iter_counts(it, &units, &faults, &skipped);
    assert_int_equal(units, 1);
    assert_int_equal(faults, 0);
    trawl_frame_iter_free(it);
    trawl_framer_free(f);
}

static void test_two_records(void **state)
{
    (void)state;
    trawl_framer *f = tlv(1, 1, false, false);
    ft_events e;
    run(f, 0, "01 02 AA BB 02 01 CC", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 1, 2);
    assert_unit(&e.ev[1], 1, 4, 2, 1);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_16bit_endianness(void **state)
{
    (void)state;
    trawl_framer *be = tlv(2, 2, false, false), *le = tlv(2, 2, true, false);
    ft_events e;
    run(be, 0, "0102 0003 AABBCC", &e);
    assert_int_equal(e.n, 1);
    assert_unit(&e.ev[0], 0, 0, 0x0102, 3);
    ft_free(&e);
    run(le, 0, "0201 0300 AABBCC", &e);
    assert_int_equal(e.n, 1);
    assert_unit(&e.ev[0], 0, 0, 0x0102, 3);
    ft_free(&e);
    trawl_framer_free(be);
    trawl_framer_free(le);
}

static void test_32bit(void **state)
{
    (void)state;
    trawl_framer *f = tlv(4, 4, false, false);
    ft_events e;
    run(f, 0, "DEADBEEF 00000002 1122 00000001 00000000", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 0xDEADBEEF, 2);
    assert_unit(&e.ev[1], 1, 10, 1, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_length_includes_header(void **state)
{
    (void)state;
    trawl_framer *f = tlv(1, 1, false, true);
    ft_events e;
    run(f, 0, "01 05 AA BB CC 02 02", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 1, 3); /* 05 gives value length 3 */
    assert_unit(&e.ev[1], 1, 5, 2, 0);
    ft_free(&e);
    run(f, 0, "01 05 AA BB CC 02 01 FF", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_LENGTH_BELOW_HEADER, 5, 1);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_truncated(void **state)
{
    (void)state;
    trawl_framer *f = tlv(1, 1, false, false);
    ft_events e;
    run(f, 0, "01 02 AA BB 02 05 CC DD", &e);
    assert_int_equal(e.n, 2);
    assert_unit(&e.ev[0], 0, 0, 1, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_VALUE, 4, 1);
    assert_int_equal(e.ev[1].skipped, 0);
    ft_free(&e);
    run(f, 0, "01 00 02", &e); /* a lone type byte */
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_HEADER, 2, 1);
    ft_free(&e);
    trawl_framer_free(f);
    f = tlv(2, 4, false, false);
    run(f, 0, "0001 000000", &e);
    assert_int_equal(e.n, 1);
    assert_fault(&e.ev[0], TRAWL_FRAME_TRUNCATED_HEADER, 0, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_zero_length_empty_header_only(void **state)
{
    (void)state;
    trawl_framer *f = tlv(1, 1, false, false);
    ft_events e;
    run(f, 0, "07 00", &e);
    assert_int_equal(e.n, 1);
    assert_unit(&e.ev[0], 0, 0, 7, 0);
    ft_free(&e);
    run(f, 0, "", &e);
    assert_int_equal(e.n, 0);
    ft_free(&e);
    run(f, 0, "01 04", &e); /* header only */
    assert_int_equal(e.n, 1);
    assert_fault(&e.ev[0], TRAWL_FRAME_TRUNCATED_VALUE, 0, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_nested(void **state)
{
    (void)state;
    uint64_t containers[] = {0x30, 0x20};
    trawl_frame_tlv_opts o = {
        .type_size = 1, .length_size = 1, .containers = containers, .n_containers = 2};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    ft_events e;
    /* 30 { 01 'a', 20 { 02 'bc' } } 05 'x' */
    run(f, 0, "30 09 01 01 61 20 04 02 02 62 63 05 01 78", &e);
    assert_int_equal(e.n, 5);
    assert_unit(&e.ev[0], 0, 0, 0x30, 9);
    assert_true(e.ev[0].container);
    assert_int_equal(e.ev[0].depth, 0);
    assert_unit(&e.ev[1], 1, 2, 0x01, 1);
    assert_int_equal(e.ev[1].depth, 1);
    assert_unit(&e.ev[2], 2, 5, 0x20, 4);
    assert_true(e.ev[2].container);
    assert_unit(&e.ev[3], 3, 7, 0x02, 2);
    assert_int_equal(e.ev[3].depth, 2);
    assert_unit(&e.ev[4], 4, 11, 0x05, 1);
    assert_int_equal(e.ev[4].depth, 0);
    ft_free(&e);
    /* a child overrunning its container is truncated at the container's end */
    run(f, 0, "30 03 01 05 61 62 63 64", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_VALUE, 2, 1);
    ft_free(&e);
    trawl_framer_free(f);
    /* depth limit: containers below it are delivered as leaves */
    o.max_depth = 1;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    run(f, 0, "30 04 30 02 01 00", &e);
    assert_int_equal(e.n, 2);
    assert_true(e.ev[0].container);
    assert_false(e.ev[1].container);
    assert_int_equal(e.ev[1].vlen, 2);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_ber(void **state)
{
    (void)state;
    trawl_frame_tlv_opts o = {.type_size = 1, .ber = true, .ber_constructed = true};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    static uint8_t buf[400];
    size_t n = 0;
    buf[n++] = 0x30; /* SEQUENCE, long-form length 0x81 0x85 */
    buf[n++] = 0x81;
    buf[n++] = 0x85;
    buf[n++] = 0x04; /* OCTET STRING of 130 bytes: 0x81 0x82 */
    buf[n++] = 0x81;
    buf[n++] = 0x82;
    memset(buf + n, 0x41, 130);
    n += 130;
    buf[n++] = 0x02; /* INTEGER 1 */
    buf[n++] = 0x01;
    buf[n++] = 0x01;
    ft_events e = {0};
    ft_iter(f, 0, buf, n, &e);
    assert_int_equal(e.n, 3);
    assert_unit(&e.ev[0], 0, 0, 0x30, 133);
    assert_true(e.ev[0].container);
    assert_int_equal(e.ev[0].voff, 3);
    assert_unit(&e.ev[1], 1, 3, 0x04, 130);
    assert_unit(&e.ev[2], 2, 136, 0x02, 1);
    ft_free(&e);
    run(f, 0, "04 80 00 00", &e); /* indefinite length is refused */
    assert_int_equal(e.n, 1);
    assert_fault(&e.ev[0], TRAWL_FRAME_BAD_LENGTH, 0, 0);
    ft_free(&e);
    run(f, 0, "04 01 41 04 89 00", &e); /* 9 length bytes */
    assert_fault(&e.ev[1], TRAWL_FRAME_BAD_LENGTH, 3, 1);
    ft_free(&e);
    run(f, 0, "04 83 00 01", &e); /* long form cut short */
    assert_fault(&e.ev[0], TRAWL_FRAME_TRUNCATED_HEADER, 0, 0);
    ft_free(&e);
    run(f, 0, "04 88 00 00 00 01 00 00 00 00", &e); /* 4 GiB declared */
    assert_fault(&e.ev[0], TRAWL_FRAME_TRUNCATED_VALUE, 0, 0);
    ft_free(&e);
    run(f, 0, "04 88 FF FF FF FF FF FF FF FF", &e); /* 2^64-1 cannot exist: no wrap */
    assert_fault(&e.ev[0], TRAWL_FRAME_RECORD_TOO_LARGE, 0, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_record_too_large(void **state)
{
    (void)state;
    trawl_frame_tlv_opts o = {.type_size = 1, .length_size = 2, .max_record = 3};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    ft_events e;
    run(f, 0, "01 0003 AABBCC 02 0004 AABBCCDD", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_RECORD_TOO_LARGE, 6, 1);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_resync(void **state)
{
    (void)state;
    trawl_frame_tlv_opts o = {.type_size = 1, .length_size = 1, .max_record = 4};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    ft_events e;
    /* good, then three bytes that decode as nothing, then a good record */
    run(f, TRAWL_FRAME_RESYNC, "01 01 AA 09 09 09 10 01 BB", &e);
    assert_int_equal(e.n, 3);
    assert_unit(&e.ev[0], 0, 0, 1, 1);
    assert_fault(&e.ev[1], TRAWL_FRAME_RECORD_TOO_LARGE, 3, 1);
    assert_int_equal(e.ev[1].skipped, 3);
    assert_unit(&e.ev[2], 1, 6, 0x10, 1);
    ft_free(&e);
    /* damage running to the end is one fault covering the rest */
    run(f, TRAWL_FRAME_RESYNC, "01 01 AA 02 04 BB", &e);
    assert_int_equal(e.n, 2);
    assert_fault(&e.ev[1], TRAWL_FRAME_TRUNCATED_VALUE, 3, 1);
    assert_int_equal(e.ev[1].skipped, 3);
    ft_free(&e);
    trawl_framer_free(f);
}

static void test_bad_options(void **state)
{
    (void)state;
    trawl_framer *f = (trawl_framer *)1;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_frame_tlv_opts o = {.type_size = 3, .length_size = 1};
    assert_int_equal(trawl_frame_tlv_new(&o, &f, &err), TRAWL_EINVAL);
    assert_null(f);
    assert_non_null(strstr(err.message, "type size"));
    o.type_size = 1;
    o.length_size = 8;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, &err), TRAWL_EINVAL);
    assert_int_equal(trawl_frame_tlv_new(NULL, &f, &err), TRAWL_EINVAL);
    o.length_size = 1;
    o.n_containers = 1;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, &err), TRAWL_EINVAL);
    trawl_framer_free(NULL);
    trawl_frame_iter_free(NULL);
}

static void test_fault_to_error(void **state)
{
    (void)state;
    trawl_frame_fault flt = {.kind = TRAWL_FRAME_TRUNCATED_VALUE, .offset = 12, .index = 3};
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_frame_fault_to_error(&flt, &err), TRAWL_ETRUNCATED);
    assert_int_equal(err.offset, 12);
    assert_int_equal(err.index, 3);
    assert_non_null(strstr(err.message, "truncated-value"));
    flt.kind = TRAWL_FRAME_PACKET_TOO_LARGE;
    assert_int_equal(trawl_frame_fault_to_error(&flt, &err), TRAWL_EFORMAT);
    assert_string_equal(trawl_frame_fault_name(TRAWL_FRAME_LENGTH_BELOW_HEADER),
                        "length-below-header");
    assert_string_equal(trawl_frame_fault_name((trawl_frame_fault_kind)999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_two_records),
        cmocka_unit_test(test_16bit_endianness),
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_length_includes_header),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_zero_length_empty_header_only),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_ber),
        cmocka_unit_test(test_record_too_large),
        cmocka_unit_test(test_resync),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_fault_to_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
