/* test_firmware.c -- the firmware module's parts: the model loader's
 * errors and offsets, overlapping-window scoring against a direct per-window
 * computation, the peripheral maps' shape, vector-table detection, value
 * tracking through hand-assembled Thumb, and the SDK weights. */
#include <stdlib.h>
#include <string.h>

#include <trawl/firmware.h>

#include "firmware/fw_int.h"
#include "firmware/periph.h"
#include "testutil.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A valid one-architecture model file, to be damaged by the tests. */
static uint8_t *model_file(size_t *n)
{
    *n = 32 + 64 + 65536;
    uint8_t *f = calloc(1, *n);
    memcpy(f, "TFWARCH", 8);
    put32(f + 8, 1);
    put32(f + 12, 1);
    put32(f + 16, 16);
    put32(f + 20, 900);
    put32(f + 24, 8000);
    memcpy(f + 32, "toy", 3);
    memcpy(f + 48, "a toy", 5);
    f[32 + 56] = 1;
    f[32 + 57] = 32;
    memset(f + 96, 128, 65536);
    return f;
}

static void expect_bad(uint8_t *f, size_t n, trawl_status want, int64_t offset)
{
    trawl_fw_model *m = (trawl_fw_model *)1;
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_fw_model_load(f, n, &m, &err), want);
    assert_null(m);
    assert_int_equal(err.offset, offset);
}

static void test_model_errors(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = model_file(&n);
    trawl_fw_model *m;
    assert_int_equal(trawl_fw_model_load(f, n, &m, NULL), TRAWL_OK);
    assert_int_equal(trawl_fw_model_arch_count(m), 1);
    trawl_fw_model_free(m);
    expect_bad(f, 20, TRAWL_EFORMAT, 20);                /* shorter than the header */
    expect_bad(f, n - 1, TRAWL_EFORMAT, (int64_t)n - 1); /* truncated table */
    uint8_t *g = calloc(1, n + 1);
    memcpy(g, f, n);
    expect_bad(g, n + 1, TRAWL_EFORMAT, (int64_t)n); /* trailing byte */
    free(g);
    f[0] = 'X';
    expect_bad(f, n, TRAWL_EFORMAT, 0);
    f[0] = 'T';
    put32(f + 8, 2);
    expect_bad(f, n, TRAWL_EVERSION, 8);
    put32(f + 8, 1);
    put32(f + 12, 0);
    expect_bad(f, n, TRAWL_EFORMAT, 12);
    put32(f + 12, 1);
    put32(f + 20, 9000);
    expect_bad(f, n, TRAWL_EFORMAT, 20);
    put32(f + 20, 900);
    f[33] = 'O'; /* names are lower case */
    expect_bad(f, n, TRAWL_EFORMAT, 32);
    f[33] = 'o';
    f[32 + 57] = 12;
    expect_bad(f, n, TRAWL_EFORMAT, 32 + 57);
    free(f);
}

static void test_builtin(void **state)
{
    (void)state;
    trawl_fw_model *m;
    assert_int_equal(trawl_fw_model_builtin(&m, NULL), TRAWL_OK);
    const char *want[] = {"x86_64",  "aarch64", "arm32",  "arm-thumb", "avr",
                          "riscv64", "mips",    "mipsel", "powerpc",   "xtensa"};
    assert_int_equal(trawl_fw_model_arch_count(m), 10);
    for (size_t i = 0; i < 10; i++)
        assert_true(trawl_fw_model_arch_find(m, want[i]) >= 0);
    trawl_fw_arch_info info;
    assert_true(trawl_fw_model_arch(m, (size_t)trawl_fw_model_arch_find(m, "mips"), &info));
    assert_int_equal(info.endian, TRAWL_FW_BIG);
    assert_false(trawl_fw_model_arch(m, 10, &info));
    trawl_fw_model_free(m);
}

typedef struct collected {
    trawl_fw_window w[512];
    size_t n;
} collected;

static int collect(const trawl_fw_window *w, void *ud)
{
    collected *c = ud;
    c->w[c->n++] = *w;
    return 0;
}

/* Overlapping windows summed from blocks equal each window computed alone. */
static void test_windows_differential(void **state)
{
    (void)state;
    trawl_fw_model *m;
    assert_int_equal(trawl_fw_model_builtin(&m, NULL), TRAWL_OK);
    tu_rng r;
    tu_seed(&r, 7);
    size_t len = 70001;
    uint8_t *d = malloc(len);
    for (size_t i = 0; i < len; i++) /* runs of low-entropy and random bytes */
        d[i] = (i / 3000) % 2 ? (uint8_t)tu_next(&r) : (uint8_t)(tu_below(&r, 6) * 17);
    static const uint32_t shapes[][2] = {{4096, 4096}, {4096, 1024}, {2048, 256}, {256, 256}};
    collected *c = malloc(sizeof(*c));
    for (size_t s = 0; s < 4; s++) {
        c->n = 0;
        trawl_fw_arch_opts o = {shapes[s][0], shapes[s][1]};
        assert_int_equal(trawl_fw_arch_scan(m, d, len, &o, collect, c, NULL), TRAWL_OK);
        assert_true(c->n > 0);
        /* the last window ends at the end of the input */
        assert_int_equal(c->w[c->n - 1].offset + c->w[c->n - 1].length, len);
        for (size_t i = 0; i < c->n; i++) {
            const trawl_fw_window *w = &c->w[i];
            assert_int_equal(w->length, shapes[s][0]);
            uint32_t sums[FW_LANES] = {0};
            trawl__fw_pair_costs(m, -1, d + w->offset, w->length, sums);
            uint32_t best = UINT32_MAX;
            for (size_t a = 0; a < trawl_fw_model_arch_count(m); a++)
                best = sums[a] < best ? sums[a] : best;
            double bits = best / ((double)(w->length - 1) * 16.0);
            assert_true(bits - w->bits < 1e-9 && w->bits - bits < 1e-9);
        }
    }
    /* an input shorter than a window is one window */
    c->n = 0;
    assert_int_equal(trawl_fw_arch_scan(m, d, 300, NULL, collect, c, NULL), TRAWL_OK);
    assert_int_equal(c->n, 1);
    assert_int_equal(c->w[0].length, 300);
    trawl_fw_arch_opts bad = {4096, 3000};
    trawl_error err;
    assert_int_equal(trawl_fw_arch_scan(m, d, len, &bad, collect, c, &err), TRAWL_EINVAL);
    free(c);
    free(d);
    trawl_fw_model_free(m);
}

static void test_unknown_kinds(void **state)
{
    (void)state;
    trawl_fw_model *m;
    assert_int_equal(trawl_fw_model_builtin(&m, NULL), TRAWL_OK);
    uint8_t *d = malloc(3 * 4096);
    tu_rng r;
    tu_seed(&r, 3);
    for (size_t i = 0; i < 4096; i++)
        d[i] = (uint8_t)tu_next(&r);
    memset(d + 4096, 0xFF, 4096);
    for (size_t i = 0; i < 4096; i++)
        d[8192 + i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
    trawl_fw_arch_report *rep;
    assert_int_equal(trawl_fw_arch_identify(m, d, 3 * 4096, NULL, &rep, NULL), TRAWL_OK);
    assert_int_equal(rep->arch, -1);
    assert_int_equal(rep->code_windows, 0);
    assert_int_equal(rep->n_regions, 3);
    assert_int_equal(rep->regions[0].kind, TRAWL_FW_RANDOM);
    assert_int_equal(rep->regions[1].kind, TRAWL_FW_FILL);
    assert_int_equal(rep->regions[2].kind, TRAWL_FW_TEXT);
    trawl_fw_arch_report_free(rep);
    free(d);
    trawl_fw_model_free(m);
}

static void test_periph_tables(void **state)
{
    (void)state;
    size_t fams = 0;
    for (const fw_family *f = trawl__fw_families; f->name; f++, fams++) {
        assert_non_null(f->source);
        for (size_t i = 0; i < f->n; i++) {
            assert_true(f->p[i].lo < f->p[i].hi);
            assert_true(f->p[i].base <= f->p[i].lo);
            if (i)
                assert_true(f->p[i - 1].hi <= f->p[i].lo);
            assert_ptr_equal(trawl__fw_periph_find(f, f->p[i].lo), &f->p[i]);
            assert_ptr_equal(trawl__fw_periph_find(f, f->p[i].hi - 1), &f->p[i]);
        }
    }
    assert_int_equal(fams, 8); /* cortex-m + 7 families */
    const fw_family *f4 = NULL;
    for (const fw_family *f = trawl__fw_families; f->name; f++)
        if (!strcmp(f->name, "stm32f4"))
            f4 = f;
    assert_non_null(f4);
    assert_string_equal(trawl__fw_periph_find(f4, 0x40020014u)->name, "GPIOA");
    assert_string_equal(trawl__fw_periph_find(f4, 0x40023830u)->name, "RCC");
    assert_null(trawl__fw_periph_find(f4, 0x40023400u)); /* a hole in the map */
    assert_string_equal(trawl_fw_family_name(0), "stm32f0");
    assert_null(trawl_fw_family_name(7));
}

static void test_vectors(void **state)
{
    (void)state;
    uint8_t img[1024] = {0};
    uint32_t words[20] = {0x20008000u, 0x08000101u, 0x08000121u, 0x08000121u, 0,           0, 0,
                          0,           0,           0,           0,           0x08000121u, 0, 0,
                          0x08000121u, 0x08000131u, 0x08000121u, 0x08000121u, 0xFFFFFFFFu, 0};
    for (int i = 0; i < 20; i++)
        put32(img + 0x100 + 4 * i, words[i]);
    trawl_fw_vectors v;
    uint32_t lo, hi;
    assert_true(trawl__fw_find_vectors(img, sizeof(img), &v, &lo, &hi));
    assert_int_equal(v.offset, 0x100);
    assert_int_equal(v.entries, 18); /* stops at 0xFFFFFFFF, too far from reset */
    assert_int_equal(v.handlers, 8);
    assert_int_equal(v.distinct, 3);
    assert_int_equal(lo, 0x08000100u);
    assert_int_equal(hi, 0x08000130u);
    put32(img + 0x100, 0x30000000u); /* stack pointer outside RAM */
    assert_false(trawl__fw_find_vectors(img, sizeof(img), &v, &lo, &hi));
}

static size_t uses_of(const uint8_t *code, size_t n, fw_uses *u)
{
    memset(u, 0, sizeof(*u));
    assert_int_equal(trawl__fw_thumb_uses(code, n, 0x08000000u, 0, 0, NULL, 0, u, NULL), TRAWL_OK);
    return u->n;
}

static void test_thumb_tracking(void **state)
{
    (void)state;
    fw_uses u;
    /* movs r3, #0x40; lsls r3, r3, #24; ldr r2, [r3, #4]; str r2, [r3, #8]; bx lr */
    static const uint8_t a[] = {0x40, 0x23, 0x1b, 0x06, 0x5a, 0x68, 0x9a, 0x60, 0x70, 0x47};
    assert_int_equal(uses_of(a, sizeof(a), &u), 2);
    assert_int_equal(u.u[0].addr, 0x40000004u);
    assert_int_equal(u.u[0].kind, TRAWL_FW_READ);
    assert_int_equal(u.u[0].off, 4);
    assert_int_equal(u.u[1].addr, 0x40000008u);
    assert_int_equal(u.u[1].kind, TRAWL_FW_WRITE);
    free(u.u);
    /* ldr r0, [pc, #8]; bl (passes r0); bx lr; nop; nop; .word 0x40020000 */
    static const uint8_t b[] = {0x02, 0x48, 0xff, 0xf7, 0xfd, 0xff, 0x70, 0x47,
                                0x00, 0xbf, 0x00, 0xbf, 0x00, 0x00, 0x02, 0x40};
    assert_int_equal(uses_of(b, sizeof(b), &u), 1);
    assert_int_equal(u.u[0].addr, 0x40020000u);
    assert_int_equal(u.u[0].kind, TRAWL_FW_REF);
    assert_int_equal(u.u[0].off, 0);
    free(u.u);
    /* movw r1, #0x3800; movt r1, #0x4002; ldr r0, [r1, #0x30]; bx lr */
    static const uint8_t c[] = {0x43, 0xf6, 0x00, 0x01, 0xc4, 0xf2,
                                0x02, 0x01, 0x08, 0x6b, 0x70, 0x47};
    assert_int_equal(uses_of(c, sizeof(c), &u), 1);
    assert_int_equal(u.u[0].addr, 0x40023830u);
    assert_int_equal(u.u[0].kind, TRAWL_FW_READ);
    free(u.u);
    /* a word that is merely in the image is never an address: no loads */
    static const uint8_t d[] = {0x00, 0x00, 0x02, 0x40, 0x70, 0x47};
    assert_int_equal(uses_of(d, sizeof(d), &u), 0);
    free(u.u);
}

static void test_sdk_weights(void **state)
{
    (void)state;
    static const char rules[] = "toy.one.1: ALPHA\n"
                                "toy.two.1: BRAVO\n"
                                "solo.strong.2: CHARLIE\n";
    trawl_fw_sdk_scanner *s;
    assert_int_equal(trawl_fw_sdk_scanner_new(rules, sizeof(rules) - 1, &s, NULL), TRAWL_OK);
    trawl_fw_sdk_report *r;
    static const uint8_t one[] = "xxALPHAxxALPHA";
    assert_int_equal(trawl_fw_sdk_scan(s, one, sizeof(one) - 1, &r, NULL), TRAWL_OK);
    assert_int_equal(r->n_sdks, 0); /* weight 1: evidence, not an answer */
    assert_int_equal(r->n_evidence, 1);
    assert_int_equal(r->evidence[0].matches, 2);
    assert_int_equal(r->evidence[0].offset, 2);
    trawl_fw_sdk_report_free(r);
    static const uint8_t two[] = "ALPHA..BRAVO..CHARLIE";
    assert_int_equal(trawl_fw_sdk_scan(s, two, sizeof(two) - 1, &r, NULL), TRAWL_OK);
    assert_int_equal(r->n_sdks, 2);
    assert_string_equal(r->sdks[0].name, "solo"); /* ties by name */
    assert_string_equal(r->sdks[1].name, "toy");
    assert_int_equal(r->sdks[1].rules, 2);
    trawl_fw_sdk_report_free(r);
    assert_int_equal(trawl_fw_sdk_scan(s, (const uint8_t *)"", 0, &r, NULL), TRAWL_OK);
    assert_int_equal(r->n_sdks, 0);
    trawl_fw_sdk_report_free(r);
    /* the rules themselves, in file order */
    trawl_fw_evidence ru;
    assert_true(trawl_fw_sdk_rule(s, 2, &ru));
    assert_string_equal(ru.sdk, "solo");
    assert_string_equal(ru.rule, "strong");
    assert_int_equal(ru.weight, 2);
    assert_int_equal(ru.matches, 0);
    assert_true(trawl_fw_sdk_rule(s, 0, &ru) && !strcmp(ru.rule, "one"));
    assert_false(trawl_fw_sdk_rule(s, 3, &ru));
    trawl_fw_sdk_scanner_free(s);
    trawl_error err;
    static const char bad[] = "toy.one.1: A\nnoweight.x: B\n";
    assert_int_equal(trawl_fw_sdk_scanner_new(bad, sizeof(bad) - 1, &s, &err), TRAWL_EFORMAT);
    assert_int_equal(err.index, 1);
    assert_int_equal(trawl_fw_sdk_scanner_new(NULL, 0, &s, NULL), TRAWL_OK); /* built in */
    trawl_fw_sdk_scanner_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_errors),         cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_windows_differential), cmocka_unit_test(test_unknown_kinds),
        cmocka_unit_test(test_periph_tables),        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_thumb_tracking),       cmocka_unit_test(test_sdk_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
