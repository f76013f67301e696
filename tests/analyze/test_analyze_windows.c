/* test_analyze_windows.c -- entropy over sliding windows against the
 * definition: every window the scan promises recounted from its bytes and
 * its entropy taken with log2 of each probability, on inputs mixing random,
 * text-like and zero stretches, for window geometries in block mode (the
 * polymorphic detector's 4096 / 1024 among them) and rolling mode, with the
 * AVX2 block kernel and with the portable loop (TRAWL_NO_AVX2); the
 * whole-input and range histograms against direct counts. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>

static void random_fill(uint8_t *p, size_t n, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tu_next(&r);
}

static double ref_entropy(const uint8_t *p, size_t n, bool corrected)
{
    uint64_t h[256] = {0};
    unsigned k = 0;
    for (size_t i = 0; i < n; i++)
        h[p[i]]++;
    double e = 0;
    for (int b = 0; b < 256; b++) {
        if (!h[b])
            continue;
        k++;
        double q = (double)h[b] / (double)n;
        e -= q * log2(q);
    }
    return corrected ? trawl_analyze_entropy_corrected(e, k, n) : e;
}

static const size_t GEOM[][2] = {
    {4096, 1024}, /* the polymorphic detector's: blocks */
    {1024, 256},  /* blocks */
    {512, 512},   /* blocks, one per window */
    {1000, 100},  /* blocks: the step not a multiple of 8 */
    {770, 77},    /* blocks: an odd step */
    {64, 8},      /* rolling: step below a block */
    {300, 700},   /* step past the window: recounted, gaps between windows */
    {256, 1},     /* every offset */
};

static void check_geometry(size_t W, size_t S, tu_rng *rng, uint8_t *buf, size_t cap)
{
    trawl_analyze_entropy_scanner *s;
    assert_int_equal(trawl_analyze_entropy_scanner_new(W, S, &s, NULL), TRAWL_OK);
    for (int iter = 0; iter < 25; iter++) {
        size_t n = iter < 6 ? tu_below(rng, (uint32_t)(2 * W)) : 1 + tu_below(rng, (uint32_t)cap);
        if (S == 1)
            n = n % 20000;
        /* stretches of 1..20 KiB: random, 16-letter text, or zeros */
        for (size_t i = 0; i < n;) {
            size_t len = 1 + tu_below(rng, 20000), kind = tu_below(rng, 3);
            for (size_t j = 0; j < len && i < n; j++, i++)
                buf[i] = kind == 0   ? (uint8_t)tu_next(rng)
                         : kind == 1 ? (uint8_t)('a' + tu_below(rng, 16))
                                     : 0;
        }
        bool corr = iter & 1;
        double thr = 4.0 + tu_below(rng, 400) / 100.0;
        uint64_t whole[256];
        trawl_analyze_byte_range rg[4];
        for (int i = 0; i < 4; i++) {
            rg[i].offset = n ? tu_below(rng, (uint32_t)n) : 0;
            rg[i].len = n - rg[i].offset ? tu_below(rng, (uint32_t)(n - rg[i].offset) + 1) : 0;
        }
        uint64_t nw = trawl_analyze_entropy_window_count(s, n);
        double *vals = malloc((nw + 1) * sizeof(double));
        trawl_analyze_entropy_request rq = {.corrected = corr,
                                            .threshold = thr,
                                            .values = vals,
                                            .cap = nw,
                                            .whole = whole,
                                            .ranges = rg,
                                            .nranges = 4};
        trawl_analyze_window_stats w;
        assert_int_equal(trawl_analyze_entropy_scan(s, buf, n, &rq, &w, NULL), TRAWL_OK);
        /* the promised windows: every step start whose window fits, one
         * flush with the end when the last does not reach it, or the whole
         * input when it is a window or less */
        trawl_analyze_window_stats want = {0};
        size_t starts = n == 0 ? 0 : n <= W ? 1 : (n - W) / S + 1;
        bool tail = n > W && (starts - 1) * S + W < n;
        for (size_t i = 0; i < starts + tail; i++) {
            uint64_t at = i < starts ? i * S : n - W;
            double h = ref_entropy(buf + at, n <= W ? n : W, corr);
            if (fabs(vals[i] - h) > 1e-9)
                fail_msg("W %zu S %zu n %zu: window %zu at %llu: %.15f, reference %.15f", W, S, n,
                         i, (unsigned long long)at, vals[i], h);
            want.count++;
            if (want.count == 1 || h > want.max + 1e-9)
                want.max = h, want.max_offset = at;
            if (h >= thr) {
                if (!want.above)
                    want.first_above = at;
                want.above++;
            }
        }
        assert_int_equal(w.count, want.count);
        assert_int_equal(w.count, nw);
        assert_true(fabs(w.max - want.max) < 1e-9);
        assert_int_equal(w.above, want.above);
        if (want.above)
            assert_int_equal(w.first_above, want.first_above);
        uint64_t every[256] = {0};
        for (size_t q = 0; q < n; q++)
            every[buf[q]]++;
        assert_memory_equal(every, whole, sizeof every);
        for (int i = 0; i < 4; i++) {
            uint64_t h[256] = {0};
            for (uint64_t q = rg[i].offset; q < rg[i].offset + rg[i].len; q++)
                h[buf[q]]++;
            assert_memory_equal(h, rg[i].hist, sizeof h);
        }
        free(vals);
    }
    trawl_analyze_entropy_scanner_free(s);
}

static void test_scan_reference(void **state)
{
    (void)state;
    tu_rng rng;
    tu_seed(&rng, 0xE7);
    enum { CAP = 200000 };
    uint8_t *buf = malloc(CAP);
    /* the AVX2 block kernel when the CPU has it, then the portable loop */
    for (int portable = 0; portable < 2; portable++) {
        if (portable)
            setenv("TRAWL_NO_AVX2", "1", 1);
        for (size_t g = 0; g < sizeof GEOM / sizeof GEOM[0]; g++)
            check_geometry(GEOM[g][0], GEOM[g][1], &rng, buf, CAP);
    }
    unsetenv("TRAWL_NO_AVX2");
    free(buf);
}

/* 64 KiB of zeros with 8 KiB of random bytes at 40000: the window maximum
 * is found there and is near 8; ranges with ragged edges, inside one block
 * and at both ends equal a direct count at many lengths. */
static void test_scan_cases(void **state)
{
    (void)state;
    static uint8_t buf[65536];
    memset(buf, 0, sizeof buf);
    random_fill(buf + 40000, 8192, 3);
    trawl_analyze_entropy_scanner *s;
    assert_int_equal(trawl_analyze_entropy_scanner_new(4096, 1024, &s, NULL), TRAWL_OK);
    trawl_analyze_window_stats w;
    trawl_analyze_entropy_request rq = {.corrected = true, .threshold = 7.6};
    assert_int_equal(trawl_analyze_entropy_scan(s, buf, sizeof buf, &rq, &w, NULL), TRAWL_OK);
    assert_true(w.max > 7.9);
    assert_true(w.max_offset >= 40000 && w.max_offset + 4096 <= 40000 + 8192);
    assert_true(w.above >= 4);
    assert_true(w.first_above >= 40000 - 1024);
    static trawl_analyze_byte_range rg[5];
    const uint64_t spans[5][2] = {
        {100, 5000}, {3000, 1}, {0, sizeof buf}, {sizeof buf - 7, 7}, {40000, 8192}};
    for (int i = 0; i < 5; i++)
        rg[i].offset = spans[i][0], rg[i].len = spans[i][1];
    uint64_t whole[256];
    rq.whole = whole;
    rq.ranges = rg;
    rq.nranges = 5;
    for (size_t len = sizeof buf; len > 100; len = len / 3 + 17) {
        for (int i = 0; i < 5; i++)
            if (rg[i].offset + rg[i].len > len)
                rg[i].offset = 0, rg[i].len = len / 2;
        assert_int_equal(trawl_analyze_entropy_scan(s, buf, len, &rq, &w, NULL), TRAWL_OK);
        for (int i = 0; i < 5; i++) {
            uint64_t h[256] = {0};
            for (uint64_t q = rg[i].offset; q < rg[i].offset + rg[i].len; q++)
                h[buf[q]]++;
            assert_memory_equal(h, rg[i].hist, sizeof h);
        }
    }
    /* a window flush with the end covers a tail shorter than a step */
    static uint8_t tail[4096 * 2 + 100];
    memset(tail, 0, sizeof tail);
    random_fill(tail + sizeof tail - 4096, 4096, 4);
    assert_int_equal(trawl_analyze_entropy_scan(s, tail, sizeof tail, NULL, &w, NULL), TRAWL_OK);
    assert_int_equal(w.max_offset, sizeof tail - 4096);
    assert_true(w.max > 7.9);
    assert_int_equal(w.above, 0); /* no request: nothing counts as above */
    /* errors: a range past the end names itself and its offset */
    trawl_error err;
    trawl_analyze_byte_range bad = {.offset = 10, .len = 100};
    rq.ranges = &bad;
    rq.nranges = 1;
    assert_int_equal(trawl_analyze_entropy_scan(s, buf, 50, &rq, &w, &err), TRAWL_EINVAL);
    assert_int_equal(err.index, 0);
    assert_int_equal(err.offset, 10);
    trawl_analyze_entropy_scanner_free(s);
    assert_int_equal(trawl_analyze_entropy_scanner_new(0, 1, &s, &err), TRAWL_EINVAL);
    assert_int_equal(trawl_analyze_entropy_scanner_new(10, 0, &s, &err), TRAWL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_reference),
        cmocka_unit_test(test_scan_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
