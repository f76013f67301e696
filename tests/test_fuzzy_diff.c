/* test_fuzzy_diff.c -- differential tests: the fast path (kernels, seeds,
 * verification, incremental selection, streaming) against the brute-force
 * oracle in fuzzy_oracle.h on thousands of random cases. */
#include "testutil.h"

#include "fuzzy/fuzzy_int.h" /* candidate sets: the stream's pending list */
#include "fuzzy_oracle.h"

#include <stdio.h>
#include <trawl/fuzzy.h>

/* Fewer cases under the sanitizers (about 10x slower), same seeds. */
#if defined(__SANITIZE_ADDRESS__)
#define CASE_SCALE 6
#else
#define CASE_SCALE 1
#endif

typedef struct got {
    or_match m[8192]; /* more than any case can report (n <= 6000) */
    size_t n;
    int bad_order;
    const uint8_t *data;
    int bad_bytes;
} got;

static int collect(const trawl_fuzzy_match *fm, void *ud)
{
    got *g = ud;
    if (g->n && fm->offset < g->m[g->n - 1].off)
        g->bad_order++;
    if (g->data && memcmp(g->data + fm->offset, fm->bytes, fm->length))
        g->bad_bytes++;
    if (g->n < 8192)
        g->m[g->n++] = (or_match){fm->offset, fm->length, fm->distance};
    return 0;
}

static const uint8_t alphabet[] = {0x41, 0x42, 0x43, 0x44, 0x51, 0x61};

static void random_pattern(tu_rng *r, or_pat *p, char *text, unsigned nalpha)
{
    static const char hx[] = "0123456789ABCDEF";
    unsigned roll = tu_below(r, 10);
    p->m = roll < 6 ? 1 + tu_below(r, 12) : roll < 9 ? 1 + tu_below(r, 40) : 1 + tu_below(r, 80);
    size_t t = 0;
    for (size_t i = 0; i < p->m; i++) {
        uint8_t b = alphabet[tu_below(r, nalpha)];
        unsigned w = tu_below(r, 20);
        p->mask[i] = w == 0 ? 0 : w == 1 ? 0xF0 : w == 2 ? 0x0F : 0xFF;
        p->val[i] = b & p->mask[i];
        text[t++] = (p->mask[i] & 0xF0) ? hx[b >> 4] : '?';
        text[t++] = (p->mask[i] & 0x0F) ? hx[b & 15] : '?';
        if (tu_below(r, 4) == 0)
            text[t++] = ' ';
    }
    text[t] = 0;
}

/* One random case; returns the number of oracle matches. */
/* n_fixed > 0: data of that size, patterns of m_lo..m_hi positions.
 * periodic: the data repeats a period of 1-4 bytes (rare mutations) and k
 * goes up to m - 1: every end is flagged, candidates are as dense as they
 * get, and the selection's pruning and open stretch are what is tested. */
static size_t one_case(tu_rng *r, unsigned iter, size_t n_fixed, size_t m_lo, size_t m_hi,
                       bool periodic)
{
    or_pat p;
    char text[512];
    unsigned nalpha = tu_below(r, 2) ? 2 : 2 + tu_below(r, 4);
    do
        random_pattern(r, &p, text, nalpha);
    while (n_fixed && (p.m < m_lo || p.m > m_hi));
    unsigned kcap = periodic ? 64 : 4;
    unsigned kmax = p.m - 1 < kcap ? (unsigned)p.m - 1 : kcap;
    p.k = tu_below(r, kmax + 1);
    trawl_fuzzy_spec sp = {NULL, text, p.k, TRAWL_FUZZY_LEVENSHTEIN, 0, 0.0};
    if (tu_below(r, 3) == 0)
        sp.mode = TRAWL_FUZZY_HAMMING;
    unsigned dis = tu_below(r, 8);
    if (tu_below(r, 2))
        dis = 0;
    sp.flags = ((dis & 1) ? TRAWL_FUZZY_NO_SUBSTITUTE : 0) |
               ((dis & 2) ? TRAWL_FUZZY_NO_INSERT : 0) | ((dis & 4) ? TRAWL_FUZZY_NO_DELETE : 0);
    unsigned force = iter % 3;
    sp.flags |= force == 1 ? TRAWL_FUZZY_FORCE_SCAN : force == 2 ? TRAWL_FUZZY_FORCE_SEED : 0;
    if (tu_below(r, 4) == 0)
        sp.min_similarity = 0.5 + tu_below(r, 50) / 100.0;
    p.min_sim = sp.min_similarity;
    bool lev = sp.mode == TRAWL_FUZZY_LEVENSHTEIN;
    p.sub = !(dis & 1);
    p.ins = lev && !(dis & 2);
    p.del = lev && !(dis & 4);
    size_t n = n_fixed ? n_fixed : tu_below(r, (unsigned)(6000 / (p.m + 20)) + 1);
    uint8_t *data = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        data[i] = tu_below(r, 8) == 0 ? (uint8_t)tu_next(r) : alphabet[tu_below(r, nalpha)];
    if (periodic) {
        uint8_t per[4];
        unsigned plen = 1 + tu_below(r, 4);
        for (unsigned i = 0; i < plen; i++)
            per[i] = tu_below(r, 3) ? alphabet[tu_below(r, nalpha)] : 0;
        for (size_t i = 0; i < n; i++)
            data[i] = tu_below(r, 50) ? per[i % plen] : alphabet[tu_below(r, nalpha)];
    }
    /* now and then long runs of one filler byte (padding, zeros): matches
     * far from any other, after more than a vector's worth of nothing */
    for (unsigned runs = tu_below(r, 3) == 0 ? 1 + tu_below(r, 4) : 0; runs && n > 0; runs--) {
        size_t at0 = tu_below(r, (unsigned)n), len = 1 + tu_below(r, 300);
        uint8_t filler = tu_below(r, 2) ? 0 : (uint8_t)tu_next(r);
        for (size_t i = at0; i < n && i < at0 + len; i++)
            data[i] = filler;
    }
    /* plant mutated copies, some overlapping, with every kind of edit, so
     * that candidates compete and chains of better overlapping ones occur */
    unsigned plants = n > p.m + 4 ? 1 + tu_below(r, 6) : 0;
    size_t at = n > p.m + 4 ? tu_below(r, (unsigned)(n - p.m)) : 0;
    for (unsigned c = 0; c < plants; c++) {
        if (tu_below(r, 2))
            at = tu_below(r, (unsigned)(n - p.m));
        else
            at = at + 1 + tu_below(r, (unsigned)p.m) < n - p.m ? at + 1 + tu_below(r, (unsigned)p.m)
                                                               : at;
        uint8_t buf[256];
        size_t bl = 0;
        for (size_t i = 0; i < p.m; i++)
            buf[bl++] = (uint8_t)(p.val[i] | (alphabet[tu_below(r, nalpha)] & ~p.mask[i]));
        unsigned edits = tu_below(r, p.k + 2);
        for (unsigned e = 0; e < edits && bl > 1; e++) {
            size_t x = tu_below(r, (unsigned)bl);
            unsigned kind = tu_below(r, 3);
            if (kind == 0) {
                buf[x] = alphabet[tu_below(r, nalpha)];
            } else if (kind == 1 && bl < 250) {
                memmove(buf + x + 1, buf + x, bl - x);
                buf[x] = alphabet[tu_below(r, nalpha)];
                bl++;
            } else {
                memmove(buf + x, buf + x + 1, bl - x - 1);
                bl--;
            }
        }
        if (at + bl <= n)
            memcpy(data + at, buf, bl);
    }
    or_match *want = malloc((n + 1) * sizeof(*want));
    size_t nw = or_search(&p, data, n, want);

    trawl_fuzzy_db *db = NULL;
    trawl_error err;
    trawl_error_clear(&err);
    assert_int_equal(trawl_fuzzy_compile(&sp, 1, &db, &err), TRAWL_OK);
    trawl_fuzzy_stream *s = NULL;
    assert_int_equal(trawl_fuzzy_stream_open(db, &s, &err), TRAWL_OK);
    got *g = calloc(1, sizeof(*g));
    g->data = data;
    assert_int_equal(trawl_fuzzy_scan(s, data, n, collect, g, &err), TRAWL_OK);
    int bad = g->n != nw;
    for (size_t i = 0; !bad && i < nw; i++)
        bad = g->m[i].off != want[i].off || g->m[i].len != want[i].len || g->m[i].d != want[i].d;
    if (bad || g->bad_order || g->bad_bytes) {
        fprintf(stderr, "case %u: pattern '%s' k=%u mode=%d flags=0x%x min=%.2f n=%zu kernel=%s\n",
                iter, text, p.k, (int)sp.mode, sp.flags, sp.min_similarity, n,
                trawl_fuzzy_db_kernel(db, 0));
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, "  want off=%llu len=%zu d=%u\n", (unsigned long long)want[i].off,
                    want[i].len, want[i].d);
        for (size_t i = 0; i < g->n; i++)
            fprintf(stderr, "  got  off=%llu len=%zu d=%u\n", (unsigned long long)g->m[i].off,
                    g->m[i].len, g->m[i].d);
    }
    assert_false(bad);
    assert_int_equal(g->bad_order, 0);
    assert_int_equal(g->bad_bytes, 0);

    /* the same through a random chunking (1-byte chunks now and then) */
    memset(g, 0, sizeof(*g));
    g->data = data;
    trawl_fuzzy_stream_reset(s);
    at = 0;
    unsigned maxc = iter % 2 == 0 ? 1 : 1 + tu_below(r, 64);
    while (at < n) {
        size_t c = 1 + tu_below(r, maxc);
        c = c < n - at ? c : n - at;
        assert_int_equal(trawl_fuzzy_stream_write(s, data + at, c, collect, g, &err), TRAWL_OK);
        at += c;
    }
    assert_int_equal(trawl_fuzzy_stream_finish(s, collect, g, &err), TRAWL_OK);
    if (g->n != nw)
        fprintf(stderr,
                "chunked case %u: pattern '%s' k=%u mode=%d flags=0x%x n=%zu maxc=%u kernel=%s\n",
                iter, text, p.k, (int)sp.mode, sp.flags, n, maxc, trawl_fuzzy_db_kernel(db, 0));
    if (g->n != nw) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%02x", data[i]);
        fprintf(stderr, "\n");
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, "want %llu %zu %u\n", (unsigned long long)want[i].off, want[i].len,
                    want[i].d);
    }
    assert_int_equal(g->n, nw);
    for (size_t i = 0; i < nw; i++) {
        assert_int_equal(g->m[i].off, want[i].off);
        assert_int_equal(g->m[i].len, want[i].len);
        assert_int_equal(g->m[i].d, want[i].d);
    }
    /* the candidate set itself, before selection: every window within k,
     * each exactly once, however the ends were found */
    trawl_fuzzy_stream_reset(s);
    s->collect_only = true;
    at = 0;
    while (at < n) {
        size_t c = 1 + tu_below(r, maxc * 8);
        c = c < n - at ? c : n - at;
        assert_int_equal(trawl_fuzzy_stream_write(s, data + at, c, collect, g, &err), TRAWL_OK);
        at += c;
    }
    assert_int_equal(trawl_fuzzy_stream_finish(s, collect, g, &err), TRAWL_OK);
    or_match *cand;
    size_t nc = or_candidates(&p, data, n, &cand);
    fz_sel *sel = &s->sel[0];
    assert_int_equal(sel->n, nc);
    for (size_t i = 1; i < sel->n; i++) /* insertion sort by (offset, length) */
        for (size_t j = i;
             j > 0 && (sel->c[j].off < sel->c[j - 1].off ||
                       (sel->c[j].off == sel->c[j - 1].off && sel->c[j].len < sel->c[j - 1].len));
             j--) {
            fz_cand t = sel->c[j];
            sel->c[j] = sel->c[j - 1];
            sel->c[j - 1] = t;
        }
    for (size_t i = 0; i < nc; i++) {
        assert_int_equal(sel->c[i].off, cand[i].off);
        assert_int_equal(sel->c[i].len, cand[i].len);
        assert_int_equal(sel->c[i].d, cand[i].d);
    }
    free(cand);
    free(g);
    trawl_fuzzy_stream_free(s);
    trawl_fuzzy_db_free(db);
    free(want);
    free(data);
    return nw;
}

static void test_random_vs_oracle(void **state)
{
    (void)state;
    tu_rng r;
    const char *seed = getenv("TRAWL_FUZZY_SEED"); /* for longer hunts by hand */
    tu_seed(&r, seed ? strtoull(seed, NULL, 0) : 0xF022D1FFull);
    const char *env = getenv("TRAWL_FUZZY_CASES");
    unsigned cases = env ? (unsigned)atoi(env) : 3000 / CASE_SCALE;
    size_t found = 0;
    for (unsigned i = 0; i < cases; i++)
        found += one_case(&r, i, 0, 1, 80, false);
    assert_true(found > cases); /* the cases do exercise matches */
}

/* Inputs long enough for the interleaved lanes of the scan kernel and for
 * several selection rounds per write. */
static void test_long_inputs_vs_oracle(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x1A4E5ull);
    for (unsigned i = 0; i < 24 / CASE_SCALE; i++)
        one_case(&r, i, 3000 + tu_below(&r, 3000), 1, 24, false); /* auto, scan, seeds in turn */
    /* patterns over 64 positions: blocked Myers, bitap on the suffix */
    for (unsigned i = 0; i < 8 / CASE_SCALE; i++)
        one_case(&r, i, 2000 + tu_below(&r, 1500), 65, 80, false);
}

/* Repetitive data and k up to m - 1 (issue 19: a pattern of zeros over
 * zeros held every candidate of the whole input): the same results as the
 * oracle, in one block and chunked. */
static void test_periodic_vs_oracle(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x9E7E4Dull);
    size_t found = 0;
    for (unsigned i = 0; i < 90 / CASE_SCALE; i++)
        found += one_case(&r, i, 600 + tu_below(&r, 1400), 2, 24, true);
    assert_true(found > 90 / CASE_SCALE);
}

/* The same with the portable four-lane kernel instead of AVX2. */
static void test_long_inputs_scalar_lanes(void **state)
{
    setenv("TRAWL_NO_AVX2", "1", 1);
    test_long_inputs_vs_oracle(state);
    unsetenv("TRAWL_NO_AVX2");
}

typedef struct set_got {
    got per[3];
} set_got;

static int collect_set(const trawl_fuzzy_match *fm, void *ud)
{
    set_got *sg = ud;
    return collect(fm, &sg->per[fm->pattern]);
}

/* Three patterns in one database (seeded and scanned ones mixed, sharing
 * the seed stream and the history) give each its own oracle results. */
static void test_sets_vs_oracle(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 0x5E75ull);
    for (unsigned iter = 0; iter < 150 / CASE_SCALE; iter++) {
        or_pat p[3];
        char text[3][512];
        trawl_fuzzy_spec sp[3];
        unsigned nalpha = 2 + tu_below(&r, 3);
        for (int j = 0; j < 3; j++) {
            random_pattern(&r, &p[j], text[j], nalpha);
            p[j].k = tu_below(&r, (unsigned)(p[j].m - 1 < 3 ? p[j].m : 3));
            bool ham = tu_below(&r, 2);
            unsigned force = tu_below(&r, 3);
            sp[j] = (trawl_fuzzy_spec){NULL,
                                       text[j],
                                       p[j].k,
                                       ham ? TRAWL_FUZZY_HAMMING : TRAWL_FUZZY_LEVENSHTEIN,
                                       force == 1   ? TRAWL_FUZZY_FORCE_SCAN
                                       : force == 2 ? TRAWL_FUZZY_FORCE_SEED
                                                    : 0,
                                       0};
            p[j].sub = true;
            p[j].ins = p[j].del = !ham;
            p[j].min_sim = 0;
        }
        size_t n = tu_below(&r, 3000);
        uint8_t *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = alphabet[tu_below(&r, nalpha)];
        trawl_fuzzy_db *db = NULL;
        trawl_fuzzy_stream *s = NULL;
        assert_int_equal(trawl_fuzzy_compile(sp, 3, &db, NULL), TRAWL_OK);
        assert_int_equal(trawl_fuzzy_stream_open(db, &s, NULL), TRAWL_OK);
        set_got *sg = calloc(1, sizeof(*sg));
        size_t at = 0, maxc = 1 + tu_below(&r, 512);
        while (at < n) {
            size_t c = 1 + tu_below(&r, (unsigned)maxc);
            c = c < n - at ? c : n - at;
            assert_int_equal(trawl_fuzzy_stream_write(s, data + at, c, collect_set, sg, NULL),
                             TRAWL_OK);
            at += c;
        }
        assert_int_equal(trawl_fuzzy_stream_finish(s, collect_set, sg, NULL), TRAWL_OK);
        or_match *want = malloc((n + 1) * sizeof(*want));
        for (int j = 0; j < 3; j++) {
            size_t nw = or_search(&p[j], data, n, want);
            assert_int_equal(sg->per[j].n, nw);
            for (size_t i = 0; i < nw; i++) {
                assert_int_equal(sg->per[j].m[i].off, want[i].off);
                assert_int_equal(sg->per[j].m[i].len, want[i].len);
                assert_int_equal(sg->per[j].m[i].d, want[i].d);
            }
        }
        free(want);
        free(sg);
        trawl_fuzzy_stream_free(s);
        trawl_fuzzy_db_free(db);
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_vs_oracle),
        cmocka_unit_test(test_long_inputs_vs_oracle),
        cmocka_unit_test(test_long_inputs_scalar_lanes),
        cmocka_unit_test(test_periodic_vs_oracle),
        cmocka_unit_test(test_sets_vs_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
