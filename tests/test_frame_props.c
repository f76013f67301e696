/* test_frame_props.c -- property tests over random inputs (fixed seeds):
 *   - serialize-then-parse round-trips for random valid TLV streams, flat and
 *     nested, in every type/length size and byte order;
 *   - the streaming reader (random chunkings: 1 byte, small and large
 *     random reads) and the batch API yield exactly the buffer iterator's
 *     units and faults, in stop and resync mode, for every framer, on valid
 *     and corrupted input;
 *   - random corruption of TLV and packet streams: the fault kind, offset and
 *     index equal those of a simple reference parser written here, and
 *     nothing reads out of bounds (run under ASan by `make asan`). */
#include "frame_testutil.h"

#include <errno.h>
#include <unistd.h>

#define ROUNDS 300
#define WINDOW 256
#define MAXREC 200

static void put(uint8_t *p, uint64_t v, unsigned w, bool little)
{
    for (unsigned k = 0; k < w; k++) {
        unsigned shift = little ? 8 * k : 8 * (w - 1 - k);
        p[k] = (uint8_t)(v >> shift);
    }
}

static uint64_t get(const uint8_t *p, unsigned w, bool little)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < w; k++)
        v |= (uint64_t)p[k] << (little ? 8 * k : 8 * (w - 1 - k));
    return v;
}

static const unsigned widths[3] = {1, 2, 4};

typedef struct expect {
    uint64_t offset, type, vlen;
    uint32_t depth;
} expect;

/* Writes one TLV (with nested children when it is a container) at p;
 * returns its size. Records what the parser must report in pre-order. */
static size_t gen_tlv(tu_rng *r, const trawl_frame_tlv_opts *o, uint8_t *p, size_t room,
                      uint32_t depth, uint64_t at, expect *ex, size_t *nex)
{
    size_t hdr = o->type_size + o->length_size;
    uint64_t lmax = o->length_size == 1 ? 255 : 600;
    if (o->length_includes_header)
        lmax -= hdr;
    if (lmax > room - hdr)
        lmax = room - hdr;
    bool container = depth < 3 && lmax > 8 && tu_below(r, 4) == 0;
    uint64_t type = container ? 0xEE : tu_below(r, 200);
    size_t me = (*nex)++;
    size_t vlen = 0;
    if (container) {
        size_t kids = tu_below(r, 4);
        for (size_t k = 0; k < kids && lmax - vlen > hdr + 8; k++)
            vlen += gen_tlv(r, o, p + hdr + vlen, (size_t)(lmax - vlen), depth + 1, at + hdr + vlen,
                            ex, nex);
    } else {
        vlen = tu_below(r, (uint32_t)(lmax < 40 ? lmax + 1 : 41));
        for (size_t k = 0; k < vlen; k++)
            p[hdr + k] = (uint8_t)tu_next(r);
    }
    put(p, type, o->type_size, o->little_endian);
    put(p + o->type_size, vlen + (o->length_includes_header ? hdr : 0), o->length_size,
        o->little_endian);
    ex[me] = (expect){at, type, vlen, depth};
    return hdr + vlen;
}

static void test_tlv_roundtrip(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 42);
    static uint8_t buf[1 << 16];
    static expect ex[4096];
    uint64_t cont = 0xEE;
    for (int round = 0; round < ROUNDS; round++) {
        trawl_frame_tlv_opts o = {.type_size = widths[tu_below(&r, 3)],
                                  .length_size = widths[tu_below(&r, 3)],
                                  .little_endian = tu_below(&r, 2),
                                  .length_includes_header = tu_below(&r, 2),
                                  .containers = &cont,
                                  .n_containers = tu_below(&r, 2)};
        size_t n = 0, nex = 0, count = tu_below(&r, 30);
        for (size_t k = 0; k < count && n + 2000 < sizeof(buf); k++)
            n += gen_tlv(&r, &o, buf + n, 1000, 0, n, ex, &nex);
        if (!o.n_containers) /* no nesting: containers are plain records */
            for (size_t k = 0; k < nex; k++)
                if (ex[k].depth) {
                    memmove(&ex[k], &ex[k + 1], (nex - k - 1) * sizeof(expect));
                    nex--;
                    k--;
                }
        trawl_framer *f;
        assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
        ft_events e = {0};
        ft_iter(f, 0, buf, n, &e);
        assert_int_equal(e.faults, 0);
        assert_int_equal(e.n, nex);
        for (size_t k = 0; k < nex; k++) {
            assert_int_equal(e.ev[k].index, k);
            assert_int_equal(e.ev[k].offset, ex[k].offset);
            assert_int_equal(e.ev[k].type, ex[k].type);
            assert_int_equal(e.ev[k].vlen, ex[k].vlen);
            assert_int_equal(e.ev[k].depth, ex[k].depth);
        }
        ft_free(&e);
        trawl_framer_free(f);
    }
}

/* --- streaming == buffer ------------------------------------------------------ */

static trawl_framer *make_framer(int which)
{
    trawl_framer *f = NULL;
    static const uint64_t cont[] = {0xEE, 0x30};
    switch (which) {
    case 0: {
        trawl_frame_tlv_opts o = {.type_size = 1, .length_size = 1, .max_record = MAXREC};
        trawl_frame_tlv_new(&o, &f, NULL);
        break;
    }
    case 1: {
        trawl_frame_tlv_opts o = {.type_size = 2,
                                  .length_size = 2,
                                  .little_endian = true,
                                  .containers = cont,
                                  .n_containers = 2,
                                  .max_record = MAXREC};
        trawl_frame_tlv_new(&o, &f, NULL);
        break;
    }
    case 2: {
        trawl_frame_tlv_opts o = {
            .type_size = 1, .ber = true, .ber_constructed = true, .max_record = MAXREC};
        trawl_frame_tlv_new(&o, &f, NULL);
        break;
    }
    case 3:
        trawl_frame_records_new(7, &f, NULL);
        break;
    case 4: {
        trawl_frame_packet_opts o = {.header = ">BH", .length_field = 1, .max_size = MAXREC};
        trawl_frame_packets_new(&o, &f, NULL);
        break;
    }
    case 5: {
        trawl_frame_delim_opts o = {(const uint8_t *)"\n", 1, 60};
        trawl_frame_delim_new(&o, &f, NULL);
        break;
    }
    case 6: {
        trawl_frame_delim_opts o = {(const uint8_t *)"ab", 2, 30};
        trawl_frame_delim_new(&o, &f, NULL);
        break;
    }
    }
    assert_non_null(f);
    return f;
}
#define N_FRAMERS 7

/* Plausible input for framer `which`: mostly valid units, then damage. */
static size_t gen_input(tu_rng *r, int which, uint8_t *p, size_t cap)
{
    size_t n = 0, count = tu_below(r, 40);
    for (size_t k = 0; k < count && n + 300 < cap; k++) {
        size_t v = tu_below(r, 3) ? tu_below(r, 20) : tu_below(r, 250);
        switch (which) {
        case 0:
            p[n] = (uint8_t)tu_below(r, 256);
            p[n + 1] = (uint8_t)v;
            n += 2;
            break;
        case 1:
            put(p + n, tu_below(r, 3) ? 7 : 0xEE, 2, true);
            put(p + n + 2, v, 2, true);
            n += 4;
            break;
        case 2:
            p[n++] = tu_below(r, 4) ? 0x04 : 0x30;
            if (v < 128) {
                p[n++] = (uint8_t)v;
            } else {
                p[n++] = 0x81;
                p[n++] = (uint8_t)v;
            }
            break;
        case 3:
            v = 7;
            break;
        case 4:
            p[n] = 1;
            put(p + n + 1, v, 2, false);
            n += 3;
            break;
        default:
            break;
        }
        for (size_t i = 0; i < v; i++) {
            uint8_t b = (uint8_t)tu_next(r);
            if (which == 5 && b == '\n')
                b = 'n';
            if (which >= 5 && tu_below(r, which == 5 ? 90 : 8) == 0)
                b = which == 5 ? '\n' : (uint8_t) "ab"[tu_below(r, 2)];
            p[n + i] = b;
        }
        n += v;
        if (which == 5)
            p[n++] = '\n';
        if (which == 6) {
            p[n++] = 'a';
            p[n++] = 'b';
        }
    }
    size_t damage = tu_below(r, 3) == 0 ? tu_below(r, 4) : 0;
    for (size_t k = 0; k < damage && n; k++)
        p[tu_below(r, (uint32_t)n)] = (uint8_t)tu_next(r);
    if (n && tu_below(r, 3) == 0)
        n -= tu_below(r, (uint32_t)n); /* cut anywhere */
    return n;
}

static void test_stream_equals_buffer(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 7);
    static uint8_t buf[1 << 15];
    for (int which = 0; which < N_FRAMERS; which++) {
        size_t units = 0, faults = 0, skipped = 0;
        trawl_framer *f = make_framer(which);
        for (int round = 0; round < ROUNDS / 2; round++) {
            size_t n = gen_input(&r, which, buf, sizeof(buf));
            for (unsigned flags = 0; flags <= TRAWL_FRAME_RESYNC; flags++) {
                ft_events a = {0};
                ft_iter(f, flags, buf, n, &a);
                ft_events c1 = {0};
                ft_iter_batch(f, flags, buf, n, 1 + tu_below(&r, 32), &c1);
                ft_assert_same(&a, &c1); /* batches == one at a time */
                ft_free(&c1);
                static const size_t chunks[] = {1, 7, 300, 5000};
                for (size_t c = 0; c < 4; c++) {
                    ft_events b = {0};
                    ft_reader(f, flags, buf, n, chunks[c], c ? &r : NULL, WINDOW, &b);
                    ft_assert_same(&a, &b);
                    ft_free(&b);
                }
                units += a.units;
                faults += a.faults;
                for (size_t k = 0; k < a.n; k++)
                    skipped += a.ev[k].skipped;
                ft_free(&a);
            }
        }
        /* the inputs exercise both outcomes, and resync really skips */
        assert_true(units > 500);
        assert_true(faults > 20);
        assert_true(skipped > 0);
        trawl_framer_free(f);
    }
}

/* --- corruption against a reference parser ------------------------------------------- */

typedef struct ref_result {
    size_t units;
    int kind; /* TRAWL_FRAME_NONE when clean */
    uint64_t offset;
} ref_result;

/* Flat TLV the obvious way. */
static ref_result ref_tlv(const trawl_frame_tlv_opts *o, const uint8_t *p, size_t n)
{
    ref_result rr = {0, TRAWL_FRAME_NONE, 0};
    size_t pos = 0, hdr = o->type_size + o->length_size;
    while (pos < n) {
        rr.offset = pos;
        if (n - pos < hdr) {
            rr.kind = TRAWL_FRAME_TRUNCATED_HEADER;
            return rr;
        }
        uint64_t len = get(p + pos + o->type_size, o->length_size, o->little_endian);
        if (o->length_includes_header) {
            if (len < hdr) {
                rr.kind = TRAWL_FRAME_LENGTH_BELOW_HEADER;
                return rr;
            }
            len -= hdr;
        }
        if (o->max_record && len > o->max_record) {
            rr.kind = TRAWL_FRAME_RECORD_TOO_LARGE;
            return rr;
        }
        if (pos + hdr + len > n) {
            rr.kind = TRAWL_FRAME_TRUNCATED_VALUE;
            return rr;
        }
        pos += hdr + (size_t)len;
        rr.units++;
    }
    return rr;
}

/* ">BH", length in field 1, header included or not, max size. */
static ref_result ref_packets(bool incl, uint64_t max, const uint8_t *p, size_t n)
{
    ref_result rr = {0, TRAWL_FRAME_NONE, 0};
    size_t pos = 0;
    while (pos < n) {
        rr.offset = pos;
        if (n - pos < 3) {
            rr.kind = TRAWL_FRAME_TRUNCATED_HEADER;
            return rr;
        }
        uint64_t total = get(p + pos + 1, 2, false) + (incl ? 0 : 3);
        if (total < 3) {
            rr.kind = TRAWL_FRAME_LENGTH_BELOW_HEADER;
            return rr;
        }
        if (max && total > max) {
            rr.kind = TRAWL_FRAME_PACKET_TOO_LARGE;
            return rr;
        }
        if (pos + total > n) {
            rr.kind = TRAWL_FRAME_TRUNCATED_VALUE;
            return rr;
        }
        pos += (size_t)total;
        rr.units++;
    }
    return rr;
}

static void corrupt(tu_rng *r, uint8_t *p, size_t *n)
{
    switch (tu_below(r, 3)) {
    case 0:
        for (uint32_t k = 1 + tu_below(r, 3); k > 0 && *n; k--)
            p[tu_below(r, (uint32_t)*n)] = (uint8_t)tu_next(r);
        break;
    case 1:
        if (*n)
            *n -= 1 + tu_below(r, (uint32_t)*n);
        break;
    default:
        if (*n) {
            size_t at = tu_below(r, (uint32_t)*n);
            memmove(p + at + 1, p + at, *n - at);
            p[at] = (uint8_t)tu_next(r);
            ++*n;
        }
    }
}

static void check_against(const ft_events *e, ref_result want)
{
    assert_int_equal(e->units, want.units);
    const ft_event *x = ft_fault(e);
    if (want.kind == TRAWL_FRAME_NONE) {
        assert_null(x);
        return;
    }
    assert_non_null(x);
    assert_int_equal(x->kind, want.kind);
    assert_int_equal(x->offset, want.offset);
    assert_int_equal(x->index, want.units);
}

static void test_corruption_tlv(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 99);
    static uint8_t buf[1 << 16];
    static expect ex[4096];
    for (int round = 0; round < ROUNDS * 3; round++) {
        trawl_frame_tlv_opts o = {.type_size = widths[tu_below(&r, 3)],
                                  .length_size = widths[tu_below(&r, 2)],
                                  .little_endian = tu_below(&r, 2),
                                  .length_includes_header = tu_below(&r, 2),
                                  .max_record = tu_below(&r, 2) ? 0 : 30};
        size_t n = 0, nex = 0, count = 1 + tu_below(&r, 10);
        for (size_t k = 0; k < count; k++)
            n += gen_tlv(&r, &o, buf + n, 300, 3, n, ex, &nex);
        corrupt(&r, buf, &n);
        trawl_framer *f;
        assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
        ft_events e = {0};
        ft_iter(f, 0, buf, n, &e);
        check_against(&e, ref_tlv(&o, buf, n));
        ft_free(&e);
        trawl_framer_free(f);
    }
}

static void test_corruption_packets(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 1234);
    static uint8_t buf[1 << 14];
    for (int round = 0; round < ROUNDS * 3; round++) {
        bool incl = tu_below(&r, 2);
        uint64_t max = tu_below(&r, 2) ? 0 : 40;
        size_t n = 0, count = 1 + tu_below(&r, 10);
        for (size_t k = 0; k < count; k++) {
            size_t v = tu_below(&r, 30);
            buf[n] = 0x01;
            put(buf + n + 1, v + (incl ? 3 : 0), 2, false);
            for (size_t i = 0; i < v; i++)
                buf[n + 3 + i] = (uint8_t)tu_next(&r);
            n += 3 + v;
        }
        corrupt(&r, buf, &n);
        trawl_frame_packet_opts o = {
            .header = ">BH", .length_field = 1, .length_includes_header = incl, .max_size = max};
        trawl_framer *f;
        assert_int_equal(trawl_frame_packets_new(&o, &f, NULL), TRAWL_OK);
        ft_events e = {0};
        ft_iter(f, 0, buf, n, &e);
        check_against(&e, ref_packets(incl, max, buf, n));
        ft_free(&e);
        trawl_framer_free(f);
    }
}

/* --- the reader's own edges ----------------------------------------------------------- */

static ssize_t failing_read(void *ud, uint8_t *buf, size_t cap)
{
    int *calls = ud;
    if ((*calls)++ == 0 && cap >= 3) {
        memcpy(buf, "\x01\x01\xAA", 3);
        return 3;
    }
    errno = EIO;
    return -1;
}

static void test_reader_io_error(void **state)
{
    (void)state;
    trawl_framer *f = make_framer(0);
    int calls = 0;
    trawl_frame_reader *rd;
    assert_int_equal(trawl_frame_reader_new(f, failing_read, &calls, 0, 0, &rd, NULL), TRAWL_OK);
    trawl_frame_unit u;
    trawl_frame_fault flt;
    assert_int_equal(trawl_frame_reader_next(rd, &u, &flt), TRAWL_FRAME_UNIT);
    assert_int_equal(trawl_frame_reader_next(rd, &u, &flt), TRAWL_FRAME_FAULT);
    assert_int_equal(flt.kind, TRAWL_FRAME_IO);
    assert_int_equal(flt.sys_errno, EIO);
    assert_int_equal(flt.offset, 3);
    assert_int_equal(flt.index, 1);
    assert_int_equal(trawl_frame_reader_next(rd, &u, &flt), TRAWL_FRAME_END);
    trawl_frame_reader_free(rd);
    trawl_framer_free(f);
}

static void test_reader_fd_and_window(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    uint8_t data[1000];
    for (size_t k = 0; k < 10; k++) { /* ten 100-byte TLVs */
        data[k * 100] = (uint8_t)k;
        data[k * 100 + 1] = 98;
        memset(data + k * 100 + 2, 'x', 98);
    }
    assert_int_equal(write(fds[1], data, sizeof(data)), (ssize_t)sizeof(data));
    close(fds[1]);
    trawl_frame_tlv_opts o = {.type_size = 1, .length_size = 1};
    trawl_framer *f;
    assert_int_equal(trawl_frame_tlv_new(&o, &f, NULL), TRAWL_OK);
    trawl_frame_reader *rd;
    assert_int_equal(trawl_frame_reader_new_fd(f, fds[0], 64, 0, &rd, NULL), TRAWL_OK);
    trawl_frame_unit u;
    trawl_frame_fault flt;
    /* a 64-byte window cannot hold a 100-byte unit: a fault, not a realloc */
    assert_int_equal(trawl_frame_reader_next(rd, &u, &flt), TRAWL_FRAME_FAULT);
    assert_int_equal(flt.kind, TRAWL_FRAME_RECORD_TOO_LARGE);
    assert_int_equal(flt.offset, 0);
    trawl_frame_reader_free(rd);
    close(fds[0]);
    assert_int_equal(trawl_frame_reader_new_fd(f, -1, 0, 0, &rd, NULL), TRAWL_EINVAL);
    assert_int_equal(trawl_frame_reader_new(f, NULL, NULL, 0, 0, &rd, NULL), TRAWL_EINVAL);
    assert_int_equal(trawl_frame_reader_new(f, failing_read, NULL, 0, 8, &rd, NULL), TRAWL_EINVAL);
    trawl_frame_reader_free(NULL);
    /* records larger than the asked window: the window grows to fit one */
    trawl_framer_free(f);
    assert_int_equal(trawl_frame_records_new(500, &f, NULL), TRAWL_OK);
    ft_events e = {0};
    ft_reader(f, 0, data, sizeof(data), 3, NULL, 64, &e);
    assert_int_equal(e.units, 2);
    assert_int_equal(e.faults, 0);
    ft_free(&e);
    trawl_framer_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlv_roundtrip),   cmocka_unit_test(test_stream_equals_buffer),
        cmocka_unit_test(test_corruption_tlv),  cmocka_unit_test(test_corruption_packets),
        cmocka_unit_test(test_reader_io_error), cmocka_unit_test(test_reader_fd_and_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
