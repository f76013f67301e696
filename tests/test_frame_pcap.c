/* test_frame_pcap.c -- pcap input: two real captures checked against
 * Wireshark's packet count, timestamps and transport payloads; hostile
 * captures (truncated, bad magic) reported as faults with offset and index;
 * and the link/IP/transport decoder on hand-made frames. */
#include "frame_testutil.h"

#include <pcap/dlt.h>
#include <stdio.h>

#define MAXF 512

typedef struct frame_info {
    bool has;
    char ts[32];
    size_t plen;
    char hex[4096];
    uint32_t caplen, len;
} frame_info;

static frame_info info[MAXF];

static int load_expected(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/data/%s.payloads.tsv", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int frames = 0;
    memset(info, 0, sizeof(info));
    assert_int_equal(fscanf(f, "# frames %d", &frames), 1);
    char line[9000];
    assert_non_null(fgets(line, sizeof(line), f));
    int fr;
    char ts[32];
    size_t plen;
    static char hex[9000];
    while (fscanf(f, "%d %31s %zu %8999s", &fr, ts, &plen, hex) == 4) {
        assert_true(fr >= 1 && fr < MAXF && strlen(hex) < sizeof(info[fr].hex));
        info[fr].has = true;
        memcpy(info[fr].ts, ts, sizeof(ts));
        info[fr].plen = plen;
        memcpy(info[fr].hex, hex, strlen(hex) + 1);
    }
    fclose(f);
    snprintf(path, sizeof(path), "tests/data/%s.frames.tsv", name);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    unsigned cap, len;
    while (fscanf(f, "%d %u %u", &fr, &cap, &len) == 3) {
        assert_true(fr >= 1 && fr < MAXF);
        info[fr].caplen = cap;
        info[fr].len = len;
    }
    fclose(f);
    return frames;
}

static void tohex(const trawl_span *s, char *out)
{
    for (size_t i = 0; i < s->len; i++)
        sprintf(out + 2 * i, "%02x", s->ptr[i]);
    out[2 * s->len] = 0;
}

static void check_capture(const char *name, int want_payloads)
{
    int frames = load_expected(name);
    char path[256];
    snprintf(path, sizeof(path), "tests/data/%s.pcap", name);
    trawl_frame_pcap *p;
    assert_int_equal(trawl_frame_pcap_open_path(path, &p, NULL), TRAWL_OK);
    assert_int_equal(trawl_frame_pcap_linktype(p), DLT_EN10MB);
    trawl_frame_packet pkt;
    trawl_frame_fault flt;
    int n = 0, payloads = 0, s;
    uint64_t offset = 24; /* classic pcap: file header, then 16-byte record headers */
    static char hex[9000];
    while ((s = trawl_frame_pcap_next(p, &pkt, &flt)) == TRAWL_FRAME_UNIT) {
        int fr = ++n;
        assert_true(fr < MAXF);
        assert_int_equal(pkt.index, fr - 1);
        assert_int_equal(pkt.offset, offset);
        offset += 16 + pkt.caplen;
        assert_int_equal(pkt.caplen, info[fr].caplen);
        assert_int_equal(pkt.len, info[fr].len);
        assert_int_equal(pkt.data.len, pkt.caplen);
        if (!info[fr].has) {
            assert_true(!pkt.l4.has_payload || pkt.l4.payload.len == 0);
            continue;
        }
        payloads++;
        assert_true(pkt.l4.has_payload);
        assert_int_equal(pkt.l4.payload.len, info[fr].plen);
        assert_ptr_equal(pkt.l4.payload.ptr, pkt.data.ptr + pkt.l4.payload_offset);
        tohex(&pkt.l4.payload, hex);
        assert_string_equal(hex, info[fr].hex);
        char ts[40];
        snprintf(ts, sizeof(ts), "%lld.%09u", (long long)pkt.ts_sec, pkt.ts_nsec);
        assert_string_equal(ts, info[fr].ts);
    }
    assert_int_equal(s, TRAWL_FRAME_END);
    assert_int_equal(n, frames);
    assert_int_equal(payloads, want_payloads);
    assert_int_equal(trawl_frame_pcap_next(p, &pkt, &flt), TRAWL_FRAME_END);
    trawl_frame_pcap_free(p);
}

static void test_modbus_capture(void **state)
{
    (void)state;
    check_capture("modbus_test_data_part1", 50);
}

static void test_bacnet_capture(void **state)
{
    (void)state;
    check_capture("bacnet_test", 22);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    *n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

static void test_truncated_capture(void **state)
{
    (void)state;
    size_t n;
    uint8_t *d = slurp("tests/data/bacnet_test.pcap", &n);
    /* records: 24-byte file header, then 16-byte header + caplen each */
    uint32_t cap0;
    memcpy(&cap0, d + 24 + 8, 4);
    size_t second = 24 + 16 + cap0;
    static const struct {
        size_t cut;
        trawl_frame_fault_kind kind;
    } cases[] = {{7, TRAWL_FRAME_TRUNCATED_HEADER}, {9, TRAWL_FRAME_TRUNCATED_VALUE}};
    for (size_t c = 0; c < 2; c++) {
        size_t len = second + 16 + cases[c].cut - (cases[c].cut == 7 ? 16 : 0);
        FILE *fp = fmemopen(d, len, "rb");
        assert_non_null(fp);
        trawl_frame_pcap *p;
        assert_int_equal(trawl_frame_pcap_open(fp, &p, NULL), TRAWL_OK);
        trawl_frame_packet pkt;
        trawl_frame_fault flt;
        assert_int_equal(trawl_frame_pcap_next(p, &pkt, &flt), TRAWL_FRAME_UNIT);
        assert_int_equal(trawl_frame_pcap_next(p, &pkt, &flt), TRAWL_FRAME_FAULT);
        assert_string_equal(trawl_frame_fault_name(flt.kind),
                            trawl_frame_fault_name(cases[c].kind));
        assert_int_equal(flt.offset, second);
        assert_int_equal(flt.index, 1);
        assert_non_null(strstr(trawl_frame_pcap_message(p), "truncated"));
        assert_int_equal(trawl_frame_pcap_next(p, &pkt, &flt), TRAWL_FRAME_END);
        trawl_frame_pcap_free(p);
    }
}

static void test_not_a_capture(void **state)
{
    (void)state;
    static uint8_t junk[64] = "this is not a capture file at all, just text.";
    FILE *fp = fmemopen(junk, sizeof(junk), "rb");
    trawl_frame_pcap *p = (trawl_frame_pcap *)1;
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_frame_pcap_open(fp, &p, &err), TRAWL_EFORMAT);
    assert_null(p);
    assert_int_equal(err.offset, 0);
    assert_int_equal(trawl_frame_pcap_open_path("/nonexistent/x.pcap", &p, &err), TRAWL_EIO);
    assert_int_equal(trawl_frame_pcap_open(NULL, &p, &err), TRAWL_EINVAL);
    trawl_frame_pcap_free(NULL);
}

/* A pcapng file built by hand: section header, interface description
 * (Ethernet), one enhanced packet block holding a UDP datagram. */
static size_t put32(uint8_t *p, size_t at, uint32_t v)
{
    memcpy(p + at, &v, 4); /* pcapng is written in the writer's byte order */
    return at + 4;
}

static void test_pcapng(void **state)
{
    (void)state;
    static uint8_t f[256];
    uint8_t frame[64];
    long fl = tu_unhex("000000000001 000000000002 0800"
                       "4500 001f 0000 0000 4011 0000 0a000001 0a000002"
                       "04d2 0035 000b 0000 aabbcc 00",
                       frame, sizeof(frame));
    assert_int_equal(fl, 46);
    size_t n = 0;
    n = put32(f, n, 0x0A0D0D0A); /* SHB */
    n = put32(f, n, 28);
    n = put32(f, n, 0x1A2B3C4D);
    n = put32(f, n, 1); /* version 1.0 */
    n = put32(f, n, 0xFFFFFFFF);
    n = put32(f, n, 0xFFFFFFFF);
    n = put32(f, n, 28);
    n = put32(f, n, 1); /* IDB */
    n = put32(f, n, 20);
    n = put32(f, n, 1); /* link type Ethernet, reserved 0 */
    n = put32(f, n, 65535);
    n = put32(f, n, 20);
    size_t epb = n;
    uint32_t blen = 32 + 48;
    n = put32(f, n, 6); /* EPB */
    n = put32(f, n, blen);
    n = put32(f, n, 0);
    uint64_t ts = 1700000000ull * 1000000 + 123456; /* microseconds */
    n = put32(f, n, (uint32_t)(ts >> 32));
    n = put32(f, n, (uint32_t)ts);
    n = put32(f, n, 46);
    n = put32(f, n, 60);
    memcpy(f + n, frame, 46);
    memset(f + n + 46, 0, 2);
    n += 48;
    n = put32(f, n, blen);
    for (int cut = 0; cut < 2; cut++) {
        FILE *fp = fmemopen(f, cut ? n - 10 : n, "rb");
        trawl_frame_pcap *p;
        assert_int_equal(trawl_frame_pcap_open(fp, &p, NULL), TRAWL_OK);
        assert_int_equal(trawl_frame_pcap_linktype(p), DLT_EN10MB);
        trawl_frame_packet pkt;
        trawl_frame_fault flt;
        int s = trawl_frame_pcap_next(p, &pkt, &flt);
        if (cut) {
            assert_int_equal(s, TRAWL_FRAME_FAULT);
            assert_int_equal(flt.offset, epb);
            assert_int_equal(flt.index, 0);
            assert_true(flt.kind == TRAWL_FRAME_TRUNCATED_VALUE ||
                        flt.kind == TRAWL_FRAME_TRUNCATED_HEADER);
        } else {
            assert_int_equal(s, TRAWL_FRAME_UNIT);
            assert_int_equal(pkt.offset, epb);
            assert_int_equal(pkt.ts_sec, 1700000000);
            assert_int_equal(pkt.ts_nsec, 123456000);
            assert_int_equal(pkt.caplen, 46);
            assert_int_equal(pkt.len, 60);
            assert_true(pkt.l4.has_payload);
            assert_int_equal(pkt.l4.payload.len, 3);
            assert_memory_equal(pkt.l4.payload.ptr, "\xaa\xbb\xcc", 3);
            assert_int_equal(trawl_frame_pcap_next(p, &pkt, &flt), TRAWL_FRAME_END);
        }
        trawl_frame_pcap_free(p);
    }
}

/* --- the decoder on hand-made frames --------------------------------------- */

static size_t build(const char *hex, uint8_t *buf, size_t cap)
{
    long n = tu_unhex(hex, buf, cap);
    assert_true(n > 0);
    return (size_t)n;
}

#define ETH             "000000000001 000000000002 "
#define IPV4_UDP(total) "4500 " total " 0000 0000 4011 0000 0a000001 0a000002 "

static void test_l4_udp_padding_vlan(void **state)
{
    (void)state;
    uint8_t f[256];
    trawl_frame_l4 l4;
    /* UDP 1234->53 with 3 payload bytes, then Ethernet padding */
    size_t n =
        build(ETH "0800" IPV4_UDP("001f") "04d2 0035 000b 0000 aabbcc 000000000000", f, sizeof(f));
    assert_true(trawl_frame_l4_decode(DLT_EN10MB, f, n, &l4));
    assert_int_equal(l4.ip_version, 4);
    assert_int_equal(l4.proto, 17);
    assert_int_equal(l4.src_port, 1234);
    assert_int_equal(l4.dst_port, 53);
    assert_int_equal(l4.payload.len, 3);
    assert_int_equal(l4.payload_offset, 14 + 20 + 8);
    assert_false(l4.truncated);
    /* the same behind a VLAN tag */
    n = build(ETH "8100 0064 0800" IPV4_UDP("001f") "04d2 0035 000b 0000 aabbcc", f, sizeof(f));
    assert_true(trawl_frame_l4_decode(DLT_EN10MB, f, n, &l4));
    assert_int_equal(l4.payload.len, 3);
    assert_int_equal(l4.payload_offset, 18 + 20 + 8);
    /* the capture cut the datagram */
    n = build(ETH "0800" IPV4_UDP("0028") "04d2 0035 0014 0000 aabbcc", f, sizeof(f));
    assert_true(trawl_frame_l4_decode(DLT_EN10MB, f, n, &l4));
    assert_true(l4.truncated);
    assert_int_equal(l4.payload.len, 3);
}

static void test_l4_tcp_ipv6_raw(void **state)
{
    (void)state;
    uint8_t f[256];
    trawl_frame_l4 l4;
    /* raw IPv6, hop-by-hop header, then TCP with 4 bytes of options, 2 bytes payload */
    size_t n = build("6000 0000 0022 00 40 "
                     "00000000000000000000000000000001"
                     "00000000000000000000000000000002 "
                     "06 00 0000 00000000 "
                     "0050 1f90 00000001 00000000 6018 ffff 0000 0000 01010101 dead",
                     f, sizeof(f));
    assert_true(trawl_frame_l4_decode(DLT_RAW, f, n, &l4));
    assert_int_equal(l4.ip_version, 6);
    assert_int_equal(l4.proto, 6);
    assert_int_equal(l4.src_port, 80);
    assert_int_equal(l4.dst_port, 8080);
    assert_int_equal(l4.payload.len, 2);
    assert_int_equal(l4.payload_offset, 40 + 8 + 24);
    /* a TCP data offset past the end is refused, not followed */
    f[40 + 8 + 12] = 0xF0;
    assert_false(trawl_frame_l4_decode(DLT_RAW, f, n, &l4));
    /* IPv4 non-first fragment: no transport header */
    n = build("4500 001c 0000 0001 4011 0000 0a000001 0a000002 04d2 0035 0008 0000", f, sizeof(f));
    assert_false(trawl_frame_l4_decode(DLT_RAW, f, n, &l4));
    assert_int_equal(l4.ip_version, 4);
    /* IHL below 5, total length below IHL, short frames: all refused */
    n = build("4400 001c 0000 0000 4011 0000 0a000001 0a000002", f, sizeof(f));
    assert_false(trawl_frame_l4_decode(DLT_RAW, f, n, &l4));
    n = build("4500 0010 0000 0000 4011 0000 0a000001 0a000002", f, sizeof(f));
    assert_false(trawl_frame_l4_decode(DLT_RAW, f, n, &l4));
    for (size_t k = 0; k < 14; k++)
        assert_false(trawl_frame_l4_decode(DLT_EN10MB, f, k, &l4));
    assert_false(trawl_frame_l4_decode(9999, f, n, &l4));
    assert_false(trawl_frame_l4_decode(DLT_EN10MB, NULL, 0, &l4));
    /* BSD loopback: family 2 in host order */
    uint32_t fam = 2;
    memcpy(f, &fam, 4);
    n = 4 + build(IPV4_UDP("001c") "04d2 0035 0008 0000", f + 4, sizeof(f) - 4);
    assert_true(trawl_frame_l4_decode(DLT_NULL, f, n, &l4));
    assert_int_equal(l4.payload.len, 0);
    assert_true(l4.has_payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modbus_capture),
        cmocka_unit_test(test_bacnet_capture),
        cmocka_unit_test(test_truncated_capture),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_pcapng),
        cmocka_unit_test(test_l4_udp_padding_vlan),
        cmocka_unit_test(test_l4_tcp_ipv6_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
