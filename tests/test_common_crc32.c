/* test_common_crc32.c -- the CRC-32 helper (src/common/crc32.c) against two
 * oracles: a bit-at-a-time CRC written here from the definition, and
 * zlib's crc32() from the system's libz.so.1 (Debian's zlib1g), loaded at
 * run time so that the library itself does not depend on zlib. Both the
 * PCLMULQDQ path (when the CPU has it) and the portable tables are checked
 * over random lengths, alignments and split points. */
#include "testutil.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32.h"

typedef unsigned long (*zlib_crc32_fn)(unsigned long, const unsigned char *, unsigned int);

/* The definition: reflected 0x04C11DB7, preset ~0, final inversion. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static zlib_crc32_fn zlib_crc32(void)
{
    static void *h;
    if (!h)
        h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    return h ? (zlib_crc32_fn)(uintptr_t)dlsym(h, "crc32") : NULL;
}

static void test_known_values(void **state)
{
    (void)state;
    trawl__crc32_tables t[2];
    trawl__crc32_init(&t[0], false);
    trawl__crc32_init(&t[1], true);
    for (int k = 0; k < 2; k++) {
        /* The check value of CRC-32 (ISO 3309) and PNG's IEND chunk. */
        assert_int_equal(trawl__crc32(&t[k], 0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
        assert_int_equal(trawl__crc32(&t[k], 0, (const uint8_t *)"IEND", 4), 0xAE426082u);
        assert_int_equal(trawl__crc32(&t[k], 0, NULL, 0), 0);
        assert_int_equal(trawl__crc32(&t[k], 0x12345678u, NULL, 0), 0x12345678u);
        uint8_t zero[256] = {0};
        assert_int_equal(trawl__crc32(&t[k], 0, zero, sizeof zero), crc_bitwise(0, zero, 256));
    }
}

/* The folding multipliers are x^k mod P, stored with x^j at bit 63-j:
 * recompute the one for D = 128 (x^127 mod P) by shifting a register. */
static void test_fold_constants(void **state)
{
    (void)state;
    trawl__crc32_tables t;
    trawl__crc32_init(&t, false);
    uint64_t r = 1;
    for (int i = 0; i < 127; i++) {
        r <<= 1;
        if (r >> 32)
            r ^= 0x104C11DB7ull;
    }
    uint64_t refl = 0;
    for (int j = 0; j < 32; j++)
        if (r >> j & 1)
            refl |= 1ull << (63 - j);
    assert_true(t.fold[7] == refl);
    for (int i = 0; i < 8; i++)
        assert_true((t.fold[i] & 0xFFFFFFFFull) == 0); /* degree < 32: high half only */
}

static void test_random_against_oracles(void **state)
{
    (void)state;
    zlib_crc32_fn z = zlib_crc32();
    if (!z)
        printf("# libz.so.1 not found: checking against the bitwise CRC only\n");
    trawl__crc32_tables tp, tc;
    trawl__crc32_init(&tp, false);
    trawl__crc32_init(&tc, true);
    printf("# PCLMULQDQ path %s\n", tc.clmul ? "in use" : "not available on this CPU");
    tu_rng rng;
    tu_seed(&rng, 0xC4C32ull);
    enum { CAP = 70000 };
    uint8_t *buf = malloc(CAP + 16);
    assert_non_null(buf);
    for (size_t i = 0; i < CAP + 16; i++)
        buf[i] = (uint8_t)tu_next(&rng);
    for (int iter = 0; iter < 600; iter++) {
        /* Mostly short and mid lengths around the 16/64-byte edges, some long. */
        size_t n = iter < 300 ? tu_below(&rng, 300) : tu_below(&rng, CAP);
        size_t align = tu_below(&rng, 16);
        uint32_t seed = iter % 3 ? (uint32_t)tu_next(&rng) : 0;
        const uint8_t *p = buf + align;
        uint32_t want = crc_bitwise(seed, p, n);
        if (z)
            assert_int_equal((uint32_t)z(seed, p, (unsigned)n), want);
        assert_int_equal(trawl__crc32(&tp, seed, p, n), want);
        assert_int_equal(trawl__crc32(&tc, seed, p, n), want);
        /* Split in two: continuing a CRC gives the CRC of the whole. */
        size_t cut = n ? tu_below(&rng, (uint32_t)n + 1) : 0;
        uint32_t a = trawl__crc32(&tc, seed, p, cut);
        assert_int_equal(trawl__crc32(&tc, a, p + cut, n - cut), want);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_fold_constants),
        cmocka_unit_test(test_random_against_oracles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
