/* test_infer_crc.c -- checksum computation and recovery.
 *
 * Oracles: the CRC RevEng catalogue's check values over "123456789"
 * (tests/data/infer/crc-catalogue.txt), a plain bitwise CRC written here
 * independently (reflected register for reflected CRCs), and published
 * check values of Fletcher, Adler and the Internet checksum. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <trawl/infer.h>

typedef struct cat_entry {
    trawl_crc_params p;
    uint64_t check;
    char name[48];
} cat_entry;

static int load_catalogue(cat_entry *out, int max)
{
    FILE *f = fopen("tests/data/infer/crc-catalogue.txt", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] != 'w')
            continue;
        unsigned w;
        unsigned long long poly, init, xorout, check;
        char refin[8], refout[8], name[48];
        int k = sscanf(line,
                       "width=%u poly=%llx init=%llx refin=%7s refout=%7s xorout=%llx "
                       "check=%llx residue=%*s name=\"%47[^\"]\"",
                       &w, &poly, &init, refin, refout, &xorout, &check, name);
        assert_int_equal(k, 8);
        out[n].p = (trawl_crc_params){
            w, poly, init, !strcmp(refin, "true"), !strcmp(refout, "true"), xorout};
        out[n].check = check;
        snprintf(out[n].name, sizeof out[n].name, "%s", name);
        n++;
    }
    fclose(f);
    return n;
}

/* An independent bitwise CRC: reflected CRCs run a reflected register
 * (LSB first, reflected polynomial and preset), the others a normal one. */
static uint64_t ref_reflect(uint64_t v, unsigned bits)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < bits; i++)
        r = r << 1 | (v >> i & 1);
    return r;
}

static uint64_t oracle_crc(const trawl_crc_params *c, const uint8_t *p, size_t n)
{
    unsigned w = c->width;
    uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
    uint64_t reg;
    if (c->refin) {
        uint64_t rp = ref_reflect(c->poly, w);
        reg = ref_reflect(c->init, w);
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 8; k++) {
                uint64_t bit = (reg ^ (uint64_t)(p[i] >> k)) & 1;
                reg >>= 1;
                if (bit)
                    reg ^= rp;
            }
        /* reg holds the reflected register */
        if (!c->refout)
            reg = ref_reflect(reg, w);
    } else {
        reg = c->init;
        for (size_t i = 0; i < n; i++)
            for (int k = 7; k >= 0; k--) {
                uint64_t bit = (reg >> (w - 1) ^ (uint64_t)(p[i] >> k)) & 1;
                reg = (reg << 1) & mask;
                if (bit)
                    reg ^= c->poly;
            }
        if (c->refout)
            reg = ref_reflect(reg, w);
    }
    return (reg ^ c->xorout) & mask;
}

/* Eight messages: four lengths, two of each, random bytes. */
static void make_samples(tu_rng *r, const trawl_crc_params *c, uint8_t buf[8][64],
                         trawl_check_sample s[8])
{
    static const size_t lens[8] = {5, 5, 9, 9, 16, 16, 31, 31};
    for (int i = 0; i < 8; i++) {
        for (size_t k = 0; k < lens[i]; k++)
            buf[i][k] = (uint8_t)tu_next(r);
        s[i].data = (trawl_span){buf[i], lens[i]};
        s[i].check = oracle_crc(c, buf[i], lens[i]);
    }
}

static double cpu_seconds(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static void test_catalogue_check_values(void **state)
{
    (void)state;
    static cat_entry cat[160];
    int n = load_catalogue(cat, 160);
    assert_true(n >= 100);
    for (int i = 0; i < n; i++) {
        uint64_t got = trawl_crc_compute(&cat[i].p, (const uint8_t *)"123456789", 9);
        if (got != cat[i].check)
            fail_msg("%s: check 0x%llx, computed 0x%llx", cat[i].name,
                     (unsigned long long)cat[i].check, (unsigned long long)got);
        assert_int_equal(oracle_crc(&cat[i].p, (const uint8_t *)"123456789", 9), cat[i].check);
    }
}

/* Every catalogue CRC (all widths 3..64, which includes every CRC-8/16/32)
 * from eight messages, in under a second of CPU each. */
static void test_catalogue_recovery(void **state)
{
    (void)state;
    static cat_entry cat[160];
    int n = load_catalogue(cat, 160);
    tu_rng r;
    tu_seed(&r, 0xC0FFEE);
    int n8 = 0, n16 = 0, n32 = 0;
    for (int i = 0; i < n; i++) {
        uint8_t buf[8][64];
        trawl_check_sample s[8];
        make_samples(&r, &cat[i].p, buf, s);
        trawl_check_algo a;
        bool found = false;
        double t0 = cpu_seconds();
        assert_int_equal(
            trawl_check_recover(s, 8, cat[i].p.width, 1u << TRAWL_CHECK_CRC, &a, &found, NULL),
            TRAWL_OK);
        double dt = cpu_seconds() - t0;
        if (!found)
            fail_msg("%s: not recovered", cat[i].name);
        if (dt > 1.0)
            fail_msg("%s: %.2f s", cat[i].name, dt);
        assert_int_equal(a.kind, TRAWL_CHECK_CRC);
        uint64_t chk = trawl_crc_compute(&a.crc, (const uint8_t *)"123456789", 9);
        if (chk != cat[i].check)
            fail_msg("%s: recovered poly 0x%llx init 0x%llx xorout 0x%llx gives check 0x%llx",
                     cat[i].name, (unsigned long long)a.crc.poly, (unsigned long long)a.crc.init,
                     (unsigned long long)a.crc.xorout, (unsigned long long)chk);
        /* the polynomial and reflections are unique; init/xorout may be an
         * equivalent pair only when P has the factor x+1 */
        assert_int_equal(a.crc.poly, cat[i].p.poly);
        assert_int_equal(a.crc.refin, cat[i].p.refin);
        assert_int_equal(a.crc.refout, cat[i].p.refout);
        if (a.crc.init != cat[i].p.init || a.crc.xorout != cat[i].p.xorout)
            fail_msg("%s: init 0x%llx xorout 0x%llx instead of 0x%llx 0x%llx", cat[i].name,
                     (unsigned long long)a.crc.init, (unsigned long long)a.crc.xorout,
                     (unsigned long long)cat[i].p.init, (unsigned long long)cat[i].p.xorout);
        n8 += cat[i].p.width == 8;
        n16 += cat[i].p.width == 16;
        n32 += cat[i].p.width == 32;
    }
    assert_int_equal(n8, 20);
    assert_int_equal(n16, 31);
    assert_int_equal(n32, 12);
}

/* Random parameters: computation against the independent bitwise CRC, and
 * recovery of a CRC that computes the same values on fresh messages. */
static void test_random_parameters(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 42);
    static const unsigned widths[] = {8, 16, 32, 24, 64, 12};
    for (int t = 0; t < 120; t++) {
        unsigned w = widths[t % 6];
        uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
        trawl_crc_params c = {w,
                              (tu_next(&r) & mask) | 1,
                              tu_next(&r) & mask,
                              tu_next(&r) & 1,
                              tu_next(&r) & 1,
                              tu_next(&r) & mask};
        uint8_t buf[8][64];
        trawl_check_sample s[8];
        make_samples(&r, &c, buf, s);
        for (int i = 0; i < 8; i++)
            assert_int_equal(trawl_crc_compute(&c, s[i].data.ptr, s[i].data.len), s[i].check);
        trawl_check_algo a;
        bool found = false;
        assert_int_equal(trawl_check_recover(s, 8, w, 1u << TRAWL_CHECK_CRC, &a, &found, NULL),
                         TRAWL_OK);
        assert_true(found);
        assert_int_equal(a.crc.poly, c.poly);
        uint8_t fresh[40];
        for (size_t len = 0; len < sizeof fresh; len++) {
            fresh[len] = (uint8_t)tu_next(&r);
            assert_int_equal(trawl_crc_compute(&a.crc, fresh, len), oracle_crc(&c, fresh, len));
        }
    }
}

/* Without two messages of one length, width <= 16 falls back to trying
 * every polynomial. */
static void test_no_equal_lengths(void **state)
{
    (void)state;
    trawl_crc_params modbus = {16, 0x8005, 0xFFFF, true, true, 0};
    uint8_t buf[6][32];
    trawl_check_sample s[6];
    tu_rng r;
    tu_seed(&r, 7);
    for (int i = 0; i < 6; i++) {
        size_t len = 4 + 3 * (size_t)i;
        for (size_t k = 0; k < len; k++)
            buf[i][k] = (uint8_t)tu_next(&r);
        s[i] = (trawl_check_sample){{buf[i], len}, oracle_crc(&modbus, buf[i], len)};
    }
    trawl_check_algo a;
    bool found;
    assert_int_equal(trawl_check_recover(s, 6, 16, 0, &a, &found, NULL), TRAWL_OK);
    assert_true(found);
    assert_int_equal(a.kind, TRAWL_CHECK_CRC);
    assert_int_equal(trawl_crc_compute(&a.crc, (const uint8_t *)"123456789", 9), 0x4b37);
}

static void test_published_checks(void **state)
{
    (void)state;
    trawl_check_algo f16 = {.kind = TRAWL_CHECK_FLETCHER, .width = 16, .word = 1};
    assert_int_equal(trawl_check_compute(&f16, (const uint8_t *)"abcde", 5), 0xC8F0);
    assert_int_equal(trawl_check_compute(&f16, (const uint8_t *)"abcdef", 6), 0x2057);
    trawl_check_algo f32 = {.kind = TRAWL_CHECK_FLETCHER, .width = 32, .word = 2, .word_le = true};
    assert_int_equal(trawl_check_compute(&f32, (const uint8_t *)"abcde", 5), 0xF04FC729);
    assert_int_equal(trawl_check_compute(&f32, (const uint8_t *)"abcdef", 6), 0x56502D2A);
    trawl_check_algo ad = {.kind = TRAWL_CHECK_ADLER, .width = 32};
    assert_int_equal(trawl_check_compute(&ad, (const uint8_t *)"Wikipedia", 9), 0x11E60398);
    /* an IPv4 header (RFC 1071 style): its checksum field 0xb861 zeroed */
    uint8_t ip[20];
    assert_int_equal(tu_unhex("450000730000400040110000c0a80001c0a800c7", ip, 20), 20);
    trawl_check_algo inet = {.kind = TRAWL_CHECK_ONES_SUM, .width = 16, .word = 2, .negate = true};
    assert_int_equal(trawl_check_compute(&inet, ip, 20), 0xb861);
}

/* Each closed-form family is recovered from messages it produced. */
static void test_recover_families(void **state)
{
    (void)state;
    const trawl_check_algo algos[] = {
        {.kind = TRAWL_CHECK_SUM, .width = 8, .word = 1, .negate = true, .init = 0},
        {.kind = TRAWL_CHECK_SUM, .width = 16, .word = 1, .init = 0x1234},
        {.kind = TRAWL_CHECK_SUM, .width = 32, .word = 2, .word_le = true, .init = 7},
        {.kind = TRAWL_CHECK_XOR, .width = 8, .word = 1, .init = 0xA5},
        {.kind = TRAWL_CHECK_XOR, .width = 16, .word = 2, .init = 0},
        {.kind = TRAWL_CHECK_ONES_SUM, .width = 16, .word = 2, .negate = true},
        {.kind = TRAWL_CHECK_FLETCHER, .width = 16, .word = 1},
        {.kind = TRAWL_CHECK_FLETCHER, .width = 32, .word = 2, .word_le = true, .swap = true},
        {.kind = TRAWL_CHECK_ADLER, .width = 32},
    };
    tu_rng r;
    tu_seed(&r, 99);
    for (size_t t = 0; t < sizeof algos / sizeof algos[0]; t++) {
        uint8_t buf[8][48];
        trawl_check_sample s[8];
        for (int i = 0; i < 8; i++) {
            size_t len = 6 + tu_below(&r, 40);
            for (size_t k = 0; k < len; k++)
                buf[i][k] = (uint8_t)tu_next(&r);
            s[i] = (trawl_check_sample){{buf[i], len}, trawl_check_compute(&algos[t], buf[i], len)};
        }
        trawl_check_algo a;
        bool found;
        assert_int_equal(trawl_check_recover(s, 8, algos[t].width, 0, &a, &found, NULL), TRAWL_OK);
        if (!found)
            fail_msg("family %zu (%s) not recovered", t, trawl_check_kind_name(algos[t].kind));
        assert_int_equal(a.kind, algos[t].kind);
        for (int i = 0; i < 8; i++)
            assert_int_equal(trawl_check_compute(&a, s[i].data.ptr, s[i].data.len), s[i].check);
    }
}

/* Messages carrying CRC-16/MODBUS little endian at their end after a
 * 2-byte sync word that the CRC does not cover. */
static void test_locate(void **state)
{
    (void)state;
    trawl_crc_params modbus = {16, 0x8005, 0xFFFF, true, true, 0};
    uint8_t buf[10][40];
    trawl_span m[10];
    tu_rng r;
    tu_seed(&r, 5);
    for (int i = 0; i < 10; i++) {
        size_t len = 8 + tu_below(&r, 20);
        buf[i][0] = 0xAA;
        buf[i][1] = (uint8_t)tu_next(&r);
        for (size_t k = 2; k < len - 2; k++)
            buf[i][k] = (uint8_t)tu_next(&r);
        uint64_t c = trawl_crc_compute(&modbus, buf[i] + 2, len - 4);
        buf[i][len - 2] = (uint8_t)c;
        buf[i][len - 1] = (uint8_t)(c >> 8);
        m[i] = (trawl_span){buf[i], len};
    }
    trawl_check_place pl;
    trawl_check_algo a;
    bool found;
    assert_int_equal(trawl_check_locate(m, 10, NULL, &pl, &a, &found, NULL), TRAWL_OK);
    assert_true(found);
    assert_int_equal(pl.offset, -2);
    assert_int_equal(pl.size, 2);
    assert_false(pl.big_endian);
    assert_int_equal(pl.from, 2);
    assert_int_equal(a.kind, TRAWL_CHECK_CRC);
    assert_int_equal(trawl_crc_compute(&a.crc, (const uint8_t *)"123456789", 9), 0x4b37);
    char d[160];
    trawl_check_describe(&a, d, sizeof d);
    assert_string_equal(d, "crc width=16 poly=0x8005 init=0xffff refin=true refout=true "
                           "xorout=0x0000");
}

static void test_errors(void **state)
{
    (void)state;
    trawl_check_sample s[2] = {{{(const uint8_t *)"a", 1}, 1}, {{(const uint8_t *)"b", 1}, 2}};
    trawl_check_algo a;
    bool found;
    trawl_error e;
    assert_int_equal(trawl_check_recover(s, 1, 8, 0, &a, &found, &e), TRAWL_EINVAL);
    assert_int_equal(trawl_check_recover(s, 2, 65, 0, &a, &found, &e), TRAWL_EINVAL);
    assert_int_equal(trawl_check_recover(NULL, 2, 8, 0, &a, &found, &e), TRAWL_EINVAL);
    /* identical checks say nothing */
    s[1].check = 1;
    assert_int_equal(trawl_check_recover(s, 2, 8, 0, &a, &found, &e), TRAWL_OK);
    assert_false(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_check_values),
        cmocka_unit_test(test_catalogue_recovery),
        cmocka_unit_test(test_random_parameters),
        cmocka_unit_test(test_no_equal_lengths),
        cmocka_unit_test(test_published_checks),
        cmocka_unit_test(test_recover_families),
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
