/* test_infer_units.c -- the parts of format inference one at a time:
 * fields found by meaning in constructed messages (length, counter,
 * timestamp, trailing CRC with its parameters, constant, type field), the
 * stream structure finder, the text and truth readers' errors with their
 * line and column, the generator's determinism, and the result accessors'
 * bounds. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <trawl/infer.h>

static const trawl_infer_field *field_at(const trawl_infer_type *t, uint32_t off)
{
    for (size_t k = 0; k < t->n_fields; k++)
        if (t->fields[k].offset == off)
            return &t->fields[k];
    return NULL;
}

/* magic(2) type(1) length(2, BE, counts what follows) counter(2, BE, per
 * flow) timestamp(4, BE seconds) payload crc16(KERMIT, LE); type 1 has 3..20
 * random payload bytes, type 2 eight, the first four constant. */
static void test_fields_by_meaning(void **state)
{
    (void)state;
    enum { N = 120 };
    static uint8_t buf[N][64];
    trawl_infer_msg m[N];
    trawl_crc_params kermit = {16, 0x1021, 0, true, true, 0};
    tu_rng r;
    tu_seed(&r, 11);
    uint16_t ctr[3] = {100, 2000, 40000};
    double ts = 1700000000.5;
    for (int i = 0; i < N; i++) {
        uint8_t *p = buf[i];
        unsigned flow = (unsigned)i % 3, type = 1 + (unsigned)i % 2;
        unsigned plen = type == 1 ? 3 + tu_below(&r, 18) : 8;
        size_t len = 11 + plen + 2;
        ts += 0.25;
        p[0] = 0xC5;
        p[1] = 0x3A;
        p[2] = (uint8_t)type;
        p[3] = (uint8_t)((len - 5) >> 8);
        p[4] = (uint8_t)(len - 5);
        p[5] = (uint8_t)(ctr[flow] >> 8);
        p[6] = (uint8_t)ctr[flow]++;
        uint32_t t = (uint32_t)ts;
        p[7] = (uint8_t)(t >> 24);
        p[8] = (uint8_t)(t >> 16);
        p[9] = (uint8_t)(t >> 8);
        p[10] = (uint8_t)t;
        for (unsigned k = 0; k < plen; k++)
            p[11 + k] = type == 2 && k < 4 ? (uint8_t)(0xF0 + k) : (uint8_t)tu_next(&r);
        uint64_t c = trawl_crc_compute(&kermit, p, len - 2);
        p[len - 2] = (uint8_t)c;
        p[len - 1] = (uint8_t)(c >> 8);
        m[i] = (trawl_infer_msg){{p, len}, (uint16_t)(5000 + flow), 7777, flow, 0, ts};
    }
    trawl_infer_result *res;
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    assert_true(trawl_infer_type_count(res) >= 1);
    const trawl_infer_type *t = trawl_infer_type_get(res, 0);
    assert_int_equal(t->port, 7777);
    const trawl_infer_field *f = field_at(t, 3);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_LENGTH);
    assert_int_equal(f->size, 2);
    assert_true(f->big_endian);
    assert_int_equal(f->len_from, 5);
    assert_int_equal(f->len_adjust, 0);
    f = field_at(t, 5);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_COUNTER);
    assert_int_equal(f->size, 2);
    f = field_at(t, 7);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_TIMESTAMP);
    assert_int_equal(f->size, 4);
    assert_int_equal(f->ts_unit, 1);
    /* the type field splits the two types; the magic is constant */
    assert_int_equal(trawl_infer_type_count(res), 2);
    assert_int_equal(t->key_offset, 2);
    f = field_at(t, 0);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_CONST);
    /* every message: boundaries at 3, 5, 7 and 11 */
    for (size_t i = 0; i < N; i++) {
        size_t nb;
        const uint32_t *b = trawl_infer_msg_bounds(res, i, &nb, NULL);
        int seen = 0;
        for (size_t k = 0; k < nb; k++)
            seen += b[k] == 3 || b[k] == 5 || b[k] == 7 || b[k] == 11;
        assert_int_equal(seen, 4);
    }
    trawl_infer_result_free(res);

    /* the trailing CRC alone, with its parameters */
    trawl_span sp[N];
    for (int i = 0; i < N; i++)
        sp[i] = m[i].data;
    trawl_check_place pl;
    trawl_check_algo a;
    bool found;
    assert_int_equal(trawl_check_locate(sp, 24, NULL, &pl, &a, &found, NULL), TRAWL_OK);
    assert_true(found);
    assert_int_equal(pl.offset, -2);
    assert_false(pl.big_endian);
    assert_int_equal(pl.from, 0);
    assert_int_equal(a.crc.poly, 0x1021);
    assert_int_equal(trawl_crc_compute(&a.crc, (const uint8_t *)"123456789", 9), 0x2189);
}

static bool has_bound(const trawl_infer_result *res, size_t i, uint32_t x, uint32_t *sig)
{
    size_t nb;
    const uint32_t *sg;
    const uint32_t *b = trawl_infer_msg_bounds(res, i, &nb, &sg);
    for (size_t k = 0; k < nb; k++)
        if (b[k] == x) {
            if (sig)
                *sig = sg[k];
            return true;
        }
    return false;
}

/* magic(2) type(1) flags(1) a parameter length and a data length (2
 * each, BE) a code(2), then the parameters (1..30 random bytes) and the
 * data (0..30): the two lengths are found as sections' sizes, and every
 * message has boundaries where its parameters and (when there is any) its
 * data begin. */
static void test_section_lengths(void **state)
{
    (void)state;
    enum { N = 80 };
    static uint8_t buf[N][80];
    trawl_infer_msg m[N];
    tu_rng r;
    tu_seed(&r, 21);
    for (int i = 0; i < N; i++) {
        uint8_t *p = buf[i];
        unsigned a = 1 + tu_below(&r, 30), b = tu_below(&r, 31);
        p[0] = 0x72;
        p[1] = 0x0C;
        p[2] = 0x05;
        p[3] = (uint8_t)(tu_below(&r, 2) << 3);
        p[4] = 0;
        p[5] = (uint8_t)a;
        p[6] = 0;
        p[7] = (uint8_t)b;
        p[8] = (uint8_t)tu_below(&r, 4);
        p[9] = (uint8_t)tu_next(&r);
        for (unsigned k = 0; k < a + b; k++)
            p[10 + k] = (uint8_t)tu_next(&r);
        m[i] = (trawl_infer_msg){{p, 10 + a + b}, 4000, 102, 0, 0, 1700000000.0 + i};
    }
    trawl_infer_result *res;
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    const trawl_infer_type *t = trawl_infer_type_get(res, 0);
    const trawl_infer_field *f = field_at(t, 4);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_LENGTH);
    assert_int_equal(f->sect_size, 2);
    assert_int_equal(f->sect_with, 6);
    assert_int_equal(f->len_from, 8);
    f = field_at(t, 6);
    assert_non_null(f);
    assert_int_equal(f->kind, TRAWL_FIELD_LENGTH);
    assert_int_equal(f->sect_with, 4);
    for (size_t i = 0; i < N; i++) {
        size_t len = m[i].data.len, a = buf[i][5], b = buf[i][7];
        assert_true(has_bound(res, i, 10, NULL));
        assert_true(b == 0 || has_bound(res, i, (uint32_t)(len - b), NULL));
        assert_true(a + 10 == len || has_bound(res, i, (uint32_t)(10 + a), NULL));
    }
    trawl_infer_result_free(res);
}

/* magic(2) type(1) id(1), then a list of 1..5 records: a tag (1..6), a
 * length (1 byte), that many bytes (1..6, random): every record's start,
 * length and value begin a field, with the record signal; then the same
 * with records of small random bytes (values 0..3) that chain by chance:
 * no record is seen. */
static void test_tlv_records(void **state)
{
    (void)state;
    enum { N = 100 };
    static uint8_t buf[N][64];
    trawl_infer_msg m[N];
    tu_rng r;
    tu_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        uint8_t *p = buf[i];
        size_t o = 4;
        p[0] = 0xE1;
        p[1] = 0x07;
        p[2] = 0x01;
        p[3] = (uint8_t)tu_below(&r, 200);
        for (unsigned k = 0, items = 1 + tu_below(&r, 5); k < items; k++) {
            unsigned vl = 1 + tu_below(&r, 6);
            p[o++] = (uint8_t)(1 + tu_below(&r, 6));
            p[o++] = (uint8_t)vl;
            for (unsigned c = 0; c < vl; c++)
                p[o++] = (uint8_t)tu_next(&r);
        }
        m[i] = (trawl_infer_msg){{p, o}, 4000, 9000, 0, 0, 1700000000.0 + i};
    }
    trawl_infer_result *res;
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    size_t seen = 0, total = 0;
    for (size_t i = 0; i < N; i++) {
        const uint8_t *p = buf[i];
        for (size_t q = 4; q < m[i].data.len; q += 2 + p[q + 1]) {
            uint32_t sg = 0;
            total += 3;
            seen += has_bound(res, i, (uint32_t)q + 1, &sg) && (sg & TRAWL_SIG_RECORD);
            seen += has_bound(res, i, (uint32_t)q + 2, &sg) && (sg & TRAWL_SIG_RECORD);
            seen += q == 4 || (has_bound(res, i, (uint32_t)q, &sg) && (sg & TRAWL_SIG_RECORD));
        }
    }
    print_message("TLV records: %zu of %zu boundaries\n", seen, total);
    assert_true(seen * 100 >= total * 95);
    trawl_infer_result_free(res);

    /* the same records before a CRC-16/ARC of the message: the records end
     * before it, and it is a field of its own */
    static uint8_t cbuf[N][66];
    trawl_crc_params arc = {16, 0x8005, 0, true, true, 0};
    for (int i = 0; i < N; i++) {
        size_t len = m[i].data.len;
        memcpy(cbuf[i], buf[i], len);
        uint64_t c = trawl_crc_compute(&arc, cbuf[i], len);
        cbuf[i][len] = (uint8_t)c;
        cbuf[i][len + 1] = (uint8_t)(c >> 8);
        m[i].data = (trawl_span){cbuf[i], len + 2};
    }
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    seen = 0;
    size_t checks = 0;
    for (size_t i = 0; i < N; i++) {
        const uint8_t *p = cbuf[i];
        size_t len = m[i].data.len - 2;
        uint32_t sg = 0;
        checks += has_bound(res, i, (uint32_t)len, &sg) && (sg & TRAWL_SIG_CHECKSUM);
        for (size_t q = 4; q < len; q += 2 + p[q + 1])
            seen += has_bound(res, i, (uint32_t)q + 1, &sg) && (sg & TRAWL_SIG_RECORD);
    }
    print_message("TLV records before a CRC: %zu lengths, %zu checksums\n", seen, checks);
    assert_int_equal(checks, N);
    assert_true(seen * 100 >= (total / 3) * 95);
    trawl_infer_result_free(res);
    for (int i = 0; i < N; i++)
        m[i].data.ptr = buf[i];

    for (int i = 0; i < N; i++) {
        size_t len = 8 + tu_below(&r, 30);
        for (size_t k = 4; k < len; k++)
            buf[i][k] = (uint8_t)tu_below(&r, 4);
        m[i].data.len = len;
    }
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    for (size_t i = 0; i < N; i++) {
        size_t nb;
        const uint32_t *sg;
        trawl_infer_msg_bounds(res, i, &nb, &sg);
        for (size_t k = 0; k < nb; k++)
            assert_false(sg[k] & TRAWL_SIG_RECORD);
    }
    trawl_infer_result_free(res);
}

/* magic(1) an id of 4 bytes, one per flow (3 flows), the type (2 values)
 * and a body whose first two bytes are constant per type, then 2..9
 * random bytes: splitting by a byte of the id gives more constant columns,
 * but it is what the flow is, so the type field is the key; and the id,
 * one value per flow in each of its columns, is one field. */
static void test_key_not_per_flow(void **state)
{
    (void)state;
    enum { N = 90 };
    static uint8_t buf[N][24];
    trawl_infer_msg m[N];
    tu_rng r;
    tu_seed(&r, 8);
    for (int i = 0; i < N; i++) {
        uint8_t *p = buf[i];
        unsigned flow = (unsigned)i % 3, type = tu_below(&r, 2);
        size_t len = 8 + 2 + tu_below(&r, 8);
        p[0] = 0x5A;
        for (int k = 0; k < 4; k++)
            p[1 + k] = (uint8_t)(0x31 * (flow + 1) + 17 * k);
        p[5] = (uint8_t)(type ? 0x22 : 0x11);
        p[6] = (uint8_t)(type ? 0x80 : 0x40);
        p[7] = (uint8_t)(type ? 0x03 : 0x09);
        for (size_t k = 8; k < len; k++)
            p[k] = (uint8_t)tu_next(&r);
        m[i] = (trawl_infer_msg){{p, len}, (uint16_t)(5000 + flow), 700, flow, 0, 1.0 + i};
    }
    trawl_infer_result *res;
    assert_int_equal(trawl_infer_run(m, N, NULL, &res, NULL), TRAWL_OK);
    assert_int_equal(trawl_infer_type_count(res), 2);
    const trawl_infer_type *t = trawl_infer_type_get(res, 0);
    assert_int_equal(t->key_offset, 5);
    /* and the id is one field of four bytes, an id by kind */
    for (size_t i = 0; i < N; i++) {
        assert_true(has_bound(res, i, 1, NULL) && has_bound(res, i, 5, NULL));
        assert_false(has_bound(res, i, 2, NULL) || has_bound(res, i, 3, NULL) ||
                     has_bound(res, i, 4, NULL));
    }
    const trawl_infer_field *f = field_at(t, 1);
    assert_non_null(f);
    assert_int_equal(f->size, 4);
    assert_int_equal(f->kind, TRAWL_FIELD_ID);
    trawl_infer_result_free(res);
}

/* magic(2) a flag byte, a float (BE) at the odd offset 3, then a byte of
 * few values: the float is one field of kind float. */
static void test_unaligned_float(void **state)
{
    (void)state;
    enum { N = 60 };
    static uint8_t buf[N][8];
    trawl_infer_msg m[N];
    tu_rng r;
    tu_seed(&r, 13);
    for (int i = 0; i < N; i++) {
        uint8_t *p = buf[i];
        float x = 1.0f + (float)tu_below(&r, 100000) / 100.0f;
        uint32_t u;
        memcpy(&u, &x, 4);
        p[0] = 0xE1;
        p[1] = 0x07;
        p[2] = (uint8_t)(tu_below(&r, 2) ? 0x80 : 0x01);
        for (int k = 0; k < 4; k++)
            p[3 + k] = (uint8_t)(u >> (24 - 8 * k));
        p[7] = (uint8_t)tu_below(&r, 3);
        m[i] = (trawl_infer_msg){{p, 8}, 4000, 600, 0, 0, 1.0 + i};
    }
    trawl_infer_result *res;
    trawl_infer_opts o = {.no_types = true};
    assert_int_equal(trawl_infer_run(m, N, &o, &res, NULL), TRAWL_OK);
    for (size_t i = 0; i < N; i++) {
        assert_true(has_bound(res, i, 3, NULL) && has_bound(res, i, 7, NULL));
        assert_false(has_bound(res, i, 4, NULL) || has_bound(res, i, 5, NULL) ||
                     has_bound(res, i, 6, NULL));
    }
    const trawl_infer_field *f = field_at(trawl_infer_type_get(res, 0), 3);
    assert_non_null(f);
    assert_int_equal(f->size, 4);
    assert_int_equal(f->kind, TRAWL_FIELD_FLOAT);
    trawl_infer_result_free(res);
}

static void test_stream_structure(void **state)
{
    (void)state;
    static uint8_t s[24000];
    tu_rng r;
    tu_seed(&r, 3);
    trawl_infer_stream st;
    /* fixed records of 23 bytes: two constant bytes, a counter, random rest */
    for (size_t i = 0; i < 1000; i++) {
        uint8_t *p = s + 23 * i;
        p[0] = 0xAA;
        p[1] = 0x55;
        p[2] = (uint8_t)i;
        for (int k = 3; k < 23; k++)
            p[k] = (uint8_t)tu_next(&r);
    }
    assert_int_equal(trawl_infer_stream_structure(s, 23000, &st, NULL), TRAWL_OK);
    assert_int_equal(st.record_size, 23);
    assert_int_equal(st.delimiter_len, 0);
    /* random bytes: nothing */
    for (size_t i = 0; i < sizeof s; i++)
        s[i] = (uint8_t)tu_next(&r);
    assert_int_equal(trawl_infer_stream_structure(s, sizeof s, &st, NULL), TRAWL_OK);
    assert_int_equal(st.record_size, 0);
    assert_int_equal(st.delimiter_len, 0);
    /* messages of several lengths after a flag byte and an address */
    size_t n = 0;
    unsigned msgs = 0;
    while (n + 40 < sizeof s) {
        s[n++] = 0x7E;
        s[n++] = 0x01;
        unsigned len = 2 + tu_below(&r, 30);
        for (unsigned k = 0; k < len; k++)
            s[n++] = (uint8_t)(0x20 + tu_below(&r, 0x50));
        msgs++;
    }
    assert_int_equal(trawl_infer_stream_structure(s, n, &st, NULL), TRAWL_OK);
    assert_int_equal(st.record_size, 0);
    assert_true(st.delimiter_len >= 1);
    assert_int_equal(st.delimiter[0], 0x7E);
    assert_int_equal(st.delimited, msgs + 1);
    assert_int_equal(trawl_infer_stream_structure(NULL, 5, &st, NULL), TRAWL_EINVAL);
}

static void test_text_input_errors(void **state)
{
    (void)state;
    trawl_infer_input *in;
    trawl_error e;
    const char *ok =
        "0a0b\n# comment\n\n  0c 0d 0e\n{\"value\":\"ff\",\"src_port\":502,\"ts\":\"12.5\"}\n";
    assert_int_equal(trawl_infer_input_parse(ok, strlen(ok), &in, &e), TRAWL_OK);
    size_t n;
    const trawl_infer_msg *m = trawl_infer_input_msgs(in, &n);
    assert_int_equal(n, 3);
    assert_int_equal(m[1].data.len, 3);
    assert_int_equal(m[1].data.ptr[2], 0x0e);
    assert_int_equal(m[2].src_port, 502);
    assert_true(m[2].ts > 12.4 && m[2].ts < 12.6);
    assert_int_equal(trawl_infer_input_frame(in, 2), 2);
    trawl_infer_input_free(in);

    const char *bad = "0a0b\n  0c0g\n";
    assert_int_equal(trawl_infer_input_parse(bad, strlen(bad), &in, &e), TRAWL_EFORMAT);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 6); /* the 'g' */
    assert_int_equal(e.offset, 10);
    const char *odd = "abc\n";
    assert_int_equal(trawl_infer_input_parse(odd, strlen(odd), &in, &e), TRAWL_EFORMAT);
    assert_int_equal(e.line, 1);
    assert_int_equal(e.column, 4); /* where the missing digit should be */
    const char *js = "00\n{\"nope\":1}\n";
    assert_int_equal(trawl_infer_input_parse(js, strlen(js), &in, &e), TRAWL_EFORMAT);
    assert_int_equal(e.line, 2);
}

static void test_truth_errors(void **state)
{
    (void)state;
    trawl_infer_truth *t;
    trawl_error e;
    const char *ok =
        "{\"frame\":3,\"payload_hex\":\"0a0b0c\",\"fields\":[[0,1,\"a\",0],[1,2,\"b\",1]]}\n";
    assert_int_equal(trawl_infer_truth_parse(ok, strlen(ok), &t, &e), TRAWL_OK);
    assert_int_equal(trawl_infer_truth_count(t), 1);
    trawl_span p;
    assert_int_equal(trawl_infer_truth_frame(t, 0, &p), 3);
    assert_int_equal(p.len, 3);
    uint32_t off, size;
    const char *name;
    assert_true(trawl_infer_truth_field(t, 0, 1, &off, &size, &name));
    assert_int_equal(off, 1);
    assert_int_equal(size, 2);
    assert_string_equal(name, "b");
    assert_false(trawl_infer_truth_field(t, 0, 2, &off, &size, &name));
    trawl_infer_truth_free(t);
    const char *outside = "\n{\"frame\":1,\"payload_hex\":\"0a\",\"fields\":[]}\n{\"frame\":2,"
                          "\"payload_hex\":\"0a0b\","
                          "\"fields\":[[1,2,\"x\",0]]}\n";
    assert_int_equal(trawl_infer_truth_parse(outside, strlen(outside), &t, &e), TRAWL_EFORMAT);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.offset, strchr(outside + 1, '\n') - outside + 1);
    assert_non_null(strstr(e.message, "outside the payload"));
}

/* the metric itself on a hand example: truth fields [0,2) [2,3) [3,5), the
 * first two constant in both records (merged), inferred boundaries 2 and 4 */
static const uint32_t *two_four(void *ud, uint64_t frame, size_t *nb)
{
    static const uint32_t b[] = {2, 4};
    (void)ud;
    (void)frame;
    *nb = 2;
    return b;
}

static void test_metric(void **state)
{
    (void)state;
    const char *tx = "{\"frame\":1,\"payload_hex\":\"aabb0c0102\",\"fields\":[[0,2,\"m\",0],[2,1,"
                     "\"v\",0],[3,2,\"x\",0]]}\n"
                     "{\"frame\":2,\"payload_hex\":\"aabb0c0305\",\"fields\":[[0,2,\"m\",0],[2,1,"
                     "\"v\",0],[3,2,\"x\",0]]}\n";
    trawl_infer_truth *t;
    assert_int_equal(trawl_infer_truth_parse(tx, strlen(tx), &t, NULL), TRAWL_OK);
    trawl_infer_score s;
    assert_int_equal(trawl_infer_score_truth(t, two_four, NULL, &s, NULL), TRAWL_OK);
    /* truth boundaries per record: 3 only (2 merged away); inferred 2, 4 */
    assert_int_equal(s.messages, 2);
    assert_int_equal(s.tp, 0);
    assert_int_equal(s.fp, 4);
    assert_int_equal(s.fn, 2);
    assert_int_equal(s.fields, 4);  /* [0,3) and [3,5) per record */
    assert_int_equal(s.perfect, 0); /* 2 inside the first, 4 inside the second */
    trawl_infer_truth_free(t);
}

static void test_generator_and_accessors(void **state)
{
    (void)state;
    uint8_t *p1, *p2;
    char *t1, *t2;
    size_t l1, l2, m1, m2;
    assert_int_equal(trawl_infer_generate(5, 50, &p1, &l1, &t1, &m1, NULL), TRAWL_OK);
    assert_int_equal(trawl_infer_generate(5, 50, &p2, &l2, &t2, &m2, NULL), TRAWL_OK);
    assert_int_equal(l1, l2);
    assert_int_equal(m1, m2);
    assert_memory_equal(p1, p2, l1);
    assert_memory_equal(t1, t2, m1);
    trawl_infer_truth *t;
    assert_int_equal(trawl_infer_truth_parse(t1, m1, &t, NULL), TRAWL_OK);
    assert_int_equal(trawl_infer_truth_count(t), 50);
    trawl_infer_truth_free(t);
    free(p1);
    free(p2);
    free(t1);
    free(t2);
    assert_int_equal(trawl_infer_generate(5, 0, &p1, &l1, &t1, &m1, NULL), TRAWL_EINVAL);

    trawl_infer_result *r;
    assert_int_equal(trawl_infer_run(NULL, 0, NULL, &r, NULL), TRAWL_OK);
    assert_int_equal(trawl_infer_type_count(r), 0);
    assert_null(trawl_infer_type_get(r, 0));
    assert_int_equal(trawl_infer_msg_type(r, 0), -1);
    size_t nb = 7;
    assert_null(trawl_infer_msg_bounds(r, 0, &nb, NULL));
    assert_int_equal(nb, 0);
    trawl_infer_result_free(r);
    trawl_infer_result_free(NULL);
    assert_int_equal(trawl_infer_run(NULL, 3, NULL, &r, NULL), TRAWL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_by_meaning),
        cmocka_unit_test(test_section_lengths),
        cmocka_unit_test(test_tlv_records),
        cmocka_unit_test(test_key_not_per_flow),
        cmocka_unit_test(test_unaligned_float),
        cmocka_unit_test(test_stream_structure),
        cmocka_unit_test(test_text_input_errors),
        cmocka_unit_test(test_truth_errors),
        cmocka_unit_test(test_metric),
        cmocka_unit_test(test_generator_and_accessors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
