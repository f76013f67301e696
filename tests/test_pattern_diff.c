/* test_pattern_diff.c -- differential tests of the pattern engine.
 *
 *  1. Against PCRE2's DFA matcher, an independent engine: thousands of random
 *     patterns of the common subset over random data. The oracle runs
 *     pcre2_dfa_match anchored at each start (the DFA matcher returns the
 *     longest match first) and applies the reporting rule plainly: every
 *     start (overlap mode), or leftmost-longest then skip past it (default).
 *  2. Streaming against one block for random chunkings, 1-byte chunks
 *     included, with several patterns in one database.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "testutil.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

#define MAXHITS 20000

typedef struct hit {
    uint32_t pat;
    uint64_t off, len;
} hit;

typedef struct hitlist {
    size_t n;
    hit h[MAXHITS];
} hitlist;

static int collect(const trawl_match *m, void *u)
{
    hitlist *l = u;
    assert_true(l->n < MAXHITS);
    l->h[l->n++] = (hit){m->pattern, m->offset, m->length};
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->pat != y->pat)
        return x->pat < y->pat ? -1 : 1;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return (x->len > y->len) - (x->len < y->len);
}

/* ---- random patterns, written twice: trawl syntax and PCRE syntax ---- */

typedef struct gen {
    tu_rng *r;
    char ours[512], pcre[512];
    size_t no, np;
    bool ok;
} gen;

static void put2(gen *g, const char *o, const char *p)
{
    size_t lo = strlen(o), lp = strlen(p);
    if (g->no + lo >= sizeof g->ours || g->np + lp >= sizeof g->pcre) {
        g->ok = false;
        return;
    }
    memcpy(g->ours + g->no, o, lo + 1);
    memcpy(g->pcre + g->np, p, lp + 1);
    g->no += lo;
    g->np += lp;
}

static const uint8_t alphabet[] = {0x41, 0x42, 0x43, 0x00, 0xFF};

static void gen_alt(gen *g, int depth);

static void gen_atom(gen *g, int depth)
{
    char o[64], p[128];
    uint8_t b = alphabet[tu_below(g->r, sizeof alphabet)];
    switch (tu_below(g->r, depth > 0 ? 9 : 8)) {
    case 0:
    case 1:
        snprintf(o, sizeof o, "\\x%02X", b);
        put2(g, o, o);
        break;
    case 2: /* printable literal */
        snprintf(o, sizeof o, "%c", "ABC"[tu_below(g->r, 3)]);
        put2(g, o, o);
        break;
    case 3:
        put2(g, ".", ".");
        break;
    case 4: /* any byte spelled ?? (wrapped when a '?' precedes it) */
        put2(g, g->no && g->ours[g->no - 1] == '?' ? "(?\?)" : "?\?", ".");
        break;
    case 5: { /* class or negated class */
        uint8_t lo = 0x41 + (uint8_t)tu_below(g->r, 2), hi = lo + (uint8_t)tu_below(g->r, 2);
        bool neg = tu_below(g->r, 3) == 0;
        snprintf(o, sizeof o, "[%s\\x%02x-\\x%02x\\x00]", neg ? "^" : "", lo, hi);
        put2(g, o, o);
        break;
    }
    case 6: /* nibble wildcard */
        snprintf(o, sizeof o, "\\x4?");
        snprintf(p, sizeof p, "[\\x40-\\x4f]");
        put2(g, o, p);
        break;
    case 7:
        snprintf(o, sizeof o, "\\x?%X", 1 + tu_below(g->r, 3)); /* 01..03 or 41..43 ... */
        snprintf(p, sizeof p, "[");
        for (int hi = 0; hi < 16; hi++) {
            char t[8];
            snprintf(t, sizeof t, "\\x%X%c", hi, o[3]);
            strcat(p, t);
        }
        strcat(p, "]");
        put2(g, o, p);
        break;
    default:
        put2(g, "(", "(");
        gen_alt(g, depth - 1);
        put2(g, ")", ")");
        break;
    }
}

static void gen_quant(gen *g)
{
    char q[32];
    unsigned n = tu_below(g->r, 3), m = n + tu_below(g->r, 3);
    switch (tu_below(g->r, 12)) {
    case 0:
        put2(g, "*", "*");
        break;
    case 1:
        put2(g, "+", "+");
        break;
    case 2:
        put2(g, "?", "?");
        break;
    case 3:
        snprintf(q, sizeof q, "{%u}", n + 1);
        put2(g, q, q);
        break;
    case 4:
        snprintf(q, sizeof q, "{%u,%u}", n, m);
        put2(g, q, q);
        break;
    case 5:
        snprintf(q, sizeof q, "{%u,}", n);
        put2(g, q, q);
        break;
    default:
        break;
    }
}

static void gen_cat(gen *g, int depth)
{
    unsigned k = 1 + tu_below(g->r, 4);
    for (unsigned i = 0; i < k; i++) {
        gen_atom(g, depth);
        gen_quant(g);
    }
}

static void gen_alt(gen *g, int depth)
{
    unsigned k = 1 + (tu_below(g->r, 3) == 0 ? tu_below(g->r, 3) : 0);
    for (unsigned i = 0; i < k; i++) {
        if (i)
            put2(g, "|", "|");
        gen_cat(g, depth);
    }
}

static void gen_pattern(gen *g, tu_rng *r)
{
    memset(g, 0, sizeof *g);
    g->r = r;
    g->ok = true;
    bool bol = tu_below(r, 10) == 0, eol = tu_below(r, 10) == 0;
    if (bol)
        put2(g, "^", "^");
    put2(g, "(", "(");
    gen_alt(g, 2);
    put2(g, ")", ")");
    if (eol)
        put2(g, "$", "$");
}

/* ---- the PCRE2 oracle ---- */

static long pcre_longest(pcre2_code *re, pcre2_match_data *md, const uint8_t *d, size_t n, size_t s,
                         int *ws, size_t wsn)
{
    int rc = pcre2_dfa_match(re, d, n, s, PCRE2_ANCHORED, md, NULL, ws, wsn);
    if (rc == PCRE2_ERROR_NOMATCH)
        return -1;
    if (rc < 0 && rc != 0)
        fail_msg("pcre2_dfa_match error %d", rc);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    return (long)(ov[1] - ov[0]);
}

static void oracle(pcre2_code *re, uint32_t pat, const uint8_t *d, size_t n, bool overlap,
                   hitlist *out)
{
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    static int ws[400000];
    for (size_t s = 0; s < n;) {
        long L = pcre_longest(re, md, d, n, s, ws, sizeof ws / sizeof ws[0]);
        if (L > 0) {
            assert_true(out->n < MAXHITS);
            out->h[out->n++] = (hit){pat, s, (uint64_t)L};
            s += overlap ? 1 : (size_t)L;
        } else {
            s++;
        }
    }
    pcre2_match_data_free(md);
}

static pcre2_code *pcre_compile_or_die(const char *p)
{
    int e;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED,
                      PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF, &e, &off, NULL);
    if (!re)
        fail_msg("pcre2 refused %s at %zu (%d)", p, (size_t)off, e);
    return re;
}

static void random_data(tu_rng *r, uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = tu_below(r, 8) == 0 ? (uint8_t)tu_next(r) : alphabet[tu_below(r, sizeof alphabet)];
}

static bool same(hitlist *a, hitlist *b)
{
    qsort(a->h, a->n, sizeof a->h[0], cmp_hit);
    qsort(b->h, b->n, sizeof b->h[0], cmp_hit);
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (cmp_hit(&a->h[i], &b->h[i]) != 0)
            return false;
    return true;
}

static void dump(const char *what, const hitlist *l, const hitlist *other)
{
    size_t first = 0;
    while (first < l->n && first < other->n && !cmp_hit(&l->h[first], &other->h[first]))
        first++;
    fprintf(stderr, "%s (%zu, first difference at #%zu):", what, l->n, first);
    for (size_t i = first; i < l->n && i < first + 12; i++)
        fprintf(stderr, " p%u@%llu+%llu", l->h[i].pat, (unsigned long long)l->h[i].off,
                (unsigned long long)l->h[i].len);
    fprintf(stderr, "\n");
}

static hitlist ours, ours_l, theirs;

/* Scans data[0..n) with db in both modes (without and with overlap) and
 * compares the matches with PCRE2's re; on a difference prints the pattern
 * (and its PCRE2 form), the data in hex and both lists, and fails. */
static void compare_both_modes(const trawl_pattern_db *db, pcre2_code *re, const uint8_t *data,
                               size_t n, const char *pat, const char *pcre)
{
    trawl_error err;
    trawl_scratch *s = NULL;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    for (int overlap = 0; overlap < 2; overlap++) {
        ours.n = theirs.n = 0;
        assert_int_equal(
            trawl_scan(db, s, data, n, overlap ? TRAWL_SCAN_OVERLAP : 0, collect, &ours, &err),
            TRAWL_OK);
        oracle(re, 0, data, n, overlap, &theirs);
        if (!same(&ours, &theirs)) {
            fprintf(stderr, "pattern %s (pcre %s) overlap=%d n=%zu\n", pat, pcre, overlap, n);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%02x", data[i]);
            fprintf(stderr, "\n");
            dump("trawl", &ours, &theirs);
            dump("pcre2", &theirs, &ours);
            fail();
        }
    }
    trawl_scratch_free(s);
}

static void test_vs_pcre2(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 20261123);
    int tested = 0, skipped = 0;
    uint8_t data[300];
    for (int iter = 0; iter < 2200; iter++) {
        gen g;
        gen_pattern(&g, &r);
        if (!g.ok)
            continue;
        trawl_pattern_db *db;
        trawl_error err;
        trawl_status st = trawl_pattern_compile_one(g.ours, TRAWL_SYNTAX_REGEX, 0, &db, &err);
        if (st == TRAWL_ESYNTAX && strstr(err.message, "empty string")) {
            skipped++;
            continue;
        }
        if (st != TRAWL_OK)
            fail_msg("trawl refused %s: %s (col %d)", g.ours, err.message, err.column);
        pcre2_code *re = pcre_compile_or_die(g.pcre);
        if (getenv("TRAWL_TEST_VERBOSE"))
            fprintf(stderr, "%d: %s\n", iter, g.ours);
        size_t n = 1 + tu_below(&r, sizeof data);
        random_data(&r, data, n);
        compare_both_modes(db, re, data, n, g.ours, g.pcre);
        tested++;
        trawl_pattern_db_free(db);
        pcre2_code_free(re);
    }
    fprintf(stderr, "vs PCRE2: %d patterns compared in both modes, %d skipped (empty match)\n",
            tested, skipped);
    assert_true(tested > 1900);
}

/* Alternations of short strings, the shape the verifier turns into a trie
 * (prefixes shared, one alternative a prefix of another, duplicates), with
 * a random quantifier on the group and random context: against PCRE2. */
static void test_alternations_vs_pcre2(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 7011);
    static const char *const atoms[] = {"A", "B", "C", ".", "[AB]", "\\x00"};
    static const char *const quants[] = {"", "", "?", "+", "*", "{2}", "{0,2}"};
    uint8_t data[200];
    int tested = 0;
    for (int iter = 0; iter < 600; iter++) {
        char pat[512] = "";
        if (tu_below(&r, 3) == 0)
            strcat(pat, atoms[tu_below(&r, 6)]);
        strcat(pat, "(");
        unsigned k = 3 + tu_below(&r, 6);
        unsigned prev[8], np = 0; /* the previous alternative, as atom indexes */
        for (unsigned i = 0; i < k; i++) {
            unsigned alt[8], na = 0;
            if (i && tu_below(&r, 2)) /* share a prefix with the previous one */
                for (unsigned m = tu_below(&r, np + 1); na < m; na++)
                    alt[na] = prev[na];
            for (unsigned extra = tu_below(&r, 4) + (na ? 0 : 1); extra && na < 8; extra--)
                alt[na++] = tu_below(&r, 6);
            if (!na)
                alt[na++] = 0;
            if (i)
                strcat(pat, "|");
            for (unsigned j = 0; j < na; j++)
                strcat(pat, atoms[alt[j]]);
            memcpy(prev, alt, sizeof alt);
            np = na;
        }
        strcat(pat, ")");
        strcat(pat, quants[tu_below(&r, 7)]);
        if (tu_below(&r, 3) == 0)
            strcat(pat, atoms[tu_below(&r, 6)]);
        trawl_pattern_db *db;
        trawl_error err;
        trawl_status st = trawl_pattern_compile_one(pat, TRAWL_SYNTAX_REGEX, 0, &db, &err);
        if (st == TRAWL_ESYNTAX && strstr(err.message, "empty string"))
            continue;
        if (st != TRAWL_OK)
            fail_msg("trawl refused %s: %s (col %d)", pat, err.message, err.column);
        pcre2_code *re = pcre_compile_or_die(pat);
        size_t n = 1 + tu_below(&r, sizeof data);
        random_data(&r, data, n);
        compare_both_modes(db, re, data, n, pat, pat);
        tested++;
        trawl_pattern_db_free(db);
        pcre2_code_free(re);
    }
    fprintf(stderr, "alternations vs PCRE2: %d patterns compared in both modes\n", tested);
    assert_true(tested > 450); /* the rest match the empty string and are refused */
}

/* Alternations of English words (with shared two-letter prefixes: "sa",
 * "st", "en", "re") followed by gaps of words, over text made of the same
 * words and near misses ("sat", "stop", "entry"): the shape the three-byte
 * prefilter serves (a prefix it wrongly refuses is a missed match), against
 * PCRE2 in both modes. */
static void test_words_vs_pcre2(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 31337);
    static const char *const words[] = {"say",   "saying", "start", "end",   "respond", "reply",
                                        "write", "return", "enter", "state", "rest",    "answer"};
    static const char *const misses[] = {"sat", "stop", "entry", "rep", "wri", "ret", "the",
                                         "an",  "a",    "es",    "st",  "sa",  "en"};
    static const char *const tails[] = {
        "", " [a-z]+", "( [a-z]+){0,2}", " (granted|denied)", "( [a-z]+)* ok", "[^.]{0,12}done"};
    char data[400];
    int tested = 0;
    for (int iter = 0; iter < 400; iter++) {
        char pat[512] = "(";
        unsigned k = 2 + tu_below(&r, 6);
        for (unsigned i = 0; i < k; i++) {
            if (i)
                strcat(pat, "|");
            strcat(pat, words[tu_below(&r, 12)]);
        }
        strcat(pat, ")");
        strcat(pat, tails[tu_below(&r, 6)]);
        size_t n = 0;
        while (n < 300) {
            uint32_t x = tu_below(&r, 10);
            const char *w = x < 4   ? words[tu_below(&r, 12)]
                            : x < 8 ? misses[tu_below(&r, 13)]
                            : x < 9 ? (tu_below(&r, 2) ? "granted" : "ok")
                                    : (tu_below(&r, 2) ? "done." : "denied");
            memcpy(data + n, w, strlen(w));
            n += strlen(w);
            data[n++] = tu_below(&r, 8) ? ' ' : '.';
        }
        trawl_pattern_db *db;
        trawl_error err;
        if (trawl_pattern_compile_one(pat, TRAWL_SYNTAX_REGEX, 0, &db, &err) != TRAWL_OK)
            fail_msg("trawl refused %s: %s (col %d)", pat, err.message, err.column);
        pcre2_code *re = pcre_compile_or_die(pat);
        compare_both_modes(db, re, (const uint8_t *)data, n, pat, pat);
        tested++;
        trawl_pattern_db_free(db);
        pcre2_code_free(re);
    }
    fprintf(stderr, "word alternations vs PCRE2: %d patterns compared in both modes\n", tested);
}

/* Long runs of one byte value with sparse other bytes: the input shape that
 * exposed missed matches in Vectorscan 5.4.9's AVX-512 paths (a pattern
 * like \x00. missed every match more than ~64 bytes into a run of 0xB8).
 * Short patterns, data up to 4 KiB, both modes, against PCRE2. */
static void test_runs_vs_pcre2(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 4242);
    static uint8_t data[4096];
    int tested = 0;
    for (int iter = 0; iter < 400; iter++) {
        char pat[64], pcre[128];
        uint8_t a = (uint8_t)tu_next(&r), b = (uint8_t)tu_next(&r);
        switch (iter % 4) {
        case 0:
            snprintf(pat, sizeof pat, "\\x%02x.", a);
            snprintf(pcre, sizeof pcre, "\\x%02x.", a);
            break;
        case 1:
            snprintf(pat, sizeof pat, ".\\x%02x", a);
            snprintf(pcre, sizeof pcre, ".\\x%02x", a);
            break;
        case 2:
            snprintf(pat, sizeof pat, "\\x%02x[\\x00-\\x%02x]", a, b);
            snprintf(pcre, sizeof pcre, "\\x%02x[\\x00-\\x%02x]", a, b);
            break;
        default:
            snprintf(pat, sizeof pat, "\\x%02x\\x%02x?.", a, b);
            snprintf(pcre, sizeof pcre, "\\x%02x\\x%02x?.", a, b);
            break;
        }
        size_t n = 64 + tu_below(&r, sizeof data - 64);
        uint8_t fill = (uint8_t)tu_next(&r);
        for (size_t i = 0; i < n; i++)
            data[i] = tu_below(&r, 50) ? fill : tu_below(&r, 2) ? a : (uint8_t)tu_next(&r);
        trawl_pattern_db *db;
        trawl_error err;
        if (trawl_pattern_compile_one(pat, TRAWL_SYNTAX_REGEX, 0, &db, &err) != TRAWL_OK)
            fail_msg("trawl refused %s: %s", pat, err.message);
        pcre2_code *re = pcre_compile_or_die(pcre);
        trawl_scratch *s = NULL;
        assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
        for (int overlap = 0; overlap < 2; overlap++) {
            ours_l.n = theirs.n = 0;
            assert_int_equal(trawl_scan(db, s, data, n, overlap ? TRAWL_SCAN_OVERLAP : 0, collect,
                                        &ours_l, &err),
                             TRAWL_OK);
            oracle(re, 0, data, n, overlap, &theirs);
            if (!same(&ours_l, &theirs)) {
                fprintf(stderr, "pattern %s fill %02x n=%zu overlap=%d\n", pat, fill, n, overlap);
                dump("trawl", &ours_l, &theirs);
                dump("pcre2", &theirs, &ours_l);
                fail();
            }
        }
        tested++;
        trawl_scratch_free(s);
        trawl_pattern_db_free(db);
        pcre2_code_free(re);
    }
    fprintf(stderr, "runs vs PCRE2: %d short patterns over long single-byte runs\n", tested);
}

/* Several patterns in one database, then the same database streamed. */
static void test_sets_and_streaming(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 77);
    uint8_t data[500];
    int rounds = 0;
    for (int iter = 0; iter < 120; iter++) {
        trawl_pattern_set *set;
        trawl_error err;
        pcre2_code *re[4];
        size_t k = 0;
        assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
        while (k < 4) {
            gen g;
            gen_pattern(&g, &r);
            if (!g.ok)
                continue;
            if (trawl_pattern_set_add(set, g.ours, strlen(g.ours), TRAWL_SYNTAX_REGEX, 0, NULL,
                                      &err) != TRAWL_OK)
                continue;
            re[k++] = pcre_compile_or_die(g.pcre);
        }
        trawl_pattern_db *db;
        assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
        trawl_pattern_set_free(set);
        trawl_scratch *s = NULL;
        assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
        size_t n = 1 + tu_below(&r, sizeof data);
        random_data(&r, data, n);
        unsigned flags = tu_below(&r, 2) ? TRAWL_SCAN_OVERLAP : 0;

        hitlist *block = malloc(sizeof *block);
        block->n = 0;
        assert_int_equal(trawl_scan(db, s, data, n, flags, collect, block, &err), TRAWL_OK);
        theirs.n = 0;
        for (size_t i = 0; i < k; i++)
            oracle(re[i], (uint32_t)i, data, n, flags != 0, &theirs);
        if (!same(block, &theirs)) {
            dump("block", block, &theirs);
            dump("pcre2", &theirs, block);
            fail();
        }
        for (int chunking = 0; chunking < 3; chunking++) {
            trawl_stream *stm;
            assert_int_equal(trawl_stream_open(db, flags, 0, &stm, &err), TRAWL_OK);
            ours.n = 0;
            for (size_t off = 0; off < n;) {
                size_t c = chunking == 0 ? 1 : 1 + tu_below(&r, chunking == 1 ? 8 : 300);
                if (c > n - off)
                    c = n - off;
                assert_int_equal(trawl_stream_write(stm, s, data + off, c, collect, &ours, &err),
                                 TRAWL_OK);
                off += c;
            }
            assert_int_equal(trawl_stream_close(stm, s, collect, &ours, &err), TRAWL_OK);
            assert_int_equal(trawl_stream_offset(stm), n);
            trawl_stream_free(stm);
            if (!same(&ours, block)) {
                fprintf(stderr, "chunking %d flags %u\n", chunking, flags);
                dump("stream", &ours, block);
                dump("block", block, &ours);
                fail();
            }
        }
        rounds++;
        free(block);
        for (size_t i = 0; i < k; i++)
            pcre2_code_free(re[i]);
        trawl_scratch_free(s);
        trawl_pattern_db_free(db);
    }
    fprintf(stderr, "sets + streaming: %d databases of 4 patterns, 3 chunkings each\n", rounds);
}

/* Matches that cross chunk boundaries, far past the window's initial size,
 * come out with absolute offsets and their bytes. */
static int check_bytes(const trawl_match *m, void *u)
{
    hitlist *l = u;
    assert_int_equal(m->data[0], 0xAA);
    assert_int_equal(m->data[m->length - 1], 0xFE);
    return collect(m, l);
}

static void test_stream_long_input(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    const char *a = "\\xAA\\x55.{10}\\xFF\\xFE", *b = "\\xAA\\x55.{1,40}\\xFF\\xFE";
    assert_int_equal(trawl_pattern_set_add(set, a, strlen(a), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     0);
    assert_int_equal(trawl_pattern_set_add(set, b, strlen(b), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     0);
    trawl_pattern_db *db;
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    size_t n = 3u << 20;
    uint8_t *d = calloc(n, 1);
    size_t planted = 0;
    for (size_t off = 1000; off + 14 < n; off += 65536 + 7, planted++) {
        d[off] = 0xAA;
        d[off + 1] = 0x55;
        d[off + 12] = 0xFF;
        d[off + 13] = 0xFE;
    }
    trawl_scratch *s = NULL;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    hitlist *block = malloc(sizeof *block);
    block->n = 0;
    assert_int_equal(trawl_scan(db, s, d, n, 0, check_bytes, block, &err), TRAWL_OK);
    assert_int_equal(block->n, 2 * planted);
    trawl_stream *stm;
    assert_int_equal(trawl_stream_open(db, 0, 0, &stm, &err), TRAWL_OK);
    ours.n = 0;
    tu_rng r;
    tu_seed(&r, 5);
    for (size_t off = 0; off < n;) {
        size_t c = 1 + tu_below(&r, 100000);
        if (c > n - off)
            c = n - off;
        assert_int_equal(trawl_stream_write(stm, s, d + off, c, check_bytes, &ours, &err),
                         TRAWL_OK);
        off += c;
    }
    assert_int_equal(trawl_stream_close(stm, s, check_bytes, &ours, &err), TRAWL_OK);
    trawl_stream_free(stm);
    assert_true(same(&ours, block));
    free(block);
    free(d);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

/* An unbounded pattern whose extent cannot be decided inside the window is
 * an error naming the offset, never a truncated match. */
static void test_stream_window_limit(void **state)
{
    (void)state;
    trawl_pattern_db *db;
    trawl_error err;
    assert_int_equal(
        trawl_pattern_compile_one("\\x00\\x01.*\\x02", TRAWL_SYNTAX_REGEX, 0, &db, &err), TRAWL_OK);
    trawl_scratch *s = NULL;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    trawl_stream *stm;
    assert_int_equal(trawl_stream_open(db, 0, 65536, &stm, &err), TRAWL_OK);
    uint8_t chunk[4096];
    memset(chunk, 0x33, sizeof chunk);
    chunk[100] = 0x00;
    chunk[101] = 0x01;
    trawl_status st = trawl_stream_write(stm, s, chunk, sizeof chunk, collect, &ours, &err);
    assert_int_equal(st, TRAWL_OK);
    chunk[100] = chunk[101] = 0x33;
    for (int i = 0; i < 64 && st == TRAWL_OK; i++)
        st = trawl_stream_write(stm, s, chunk, sizeof chunk, collect, &ours, &err);
    assert_int_equal(st, TRAWL_ELIMIT);
    assert_int_equal(err.offset, 100);
    trawl_stream_free(stm);

    /* a bounded pattern wider than half the window is refused at open (its
     * 40,000 wide positions need the set's limit raised: the default is
     * 4096) */
    trawl_pattern_db *wide;
    trawl_pattern_set *ws;
    trawl_pattern_limits lim = {.max_wide = 40000};
    const char *wexpr = "\\x00(.{10000}){4}\\x01";
    assert_int_equal(trawl_pattern_set_new(&ws), TRAWL_OK);
    assert_int_equal(
        trawl_pattern_set_add(ws, wexpr, strlen(wexpr), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
        TRAWL_ELIMIT);
    assert_int_equal(trawl_pattern_set_limits(ws, &lim), TRAWL_OK);
    assert_int_equal(
        trawl_pattern_set_add(ws, wexpr, strlen(wexpr), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
        TRAWL_OK);
    assert_int_equal(trawl_pattern_compile(ws, &wide, &err), TRAWL_OK);
    trawl_pattern_set_free(ws);
    assert_int_equal(trawl_stream_open(wide, 0, 65536, &stm, &err), TRAWL_ELIMIT);
    assert_null(stm);
    assert_int_equal(trawl_stream_open(wide, 0, 1 << 20, &stm, &err), TRAWL_OK);
    trawl_stream_free(stm);
    trawl_pattern_db_free(wide);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_pcre2),
        cmocka_unit_test(test_runs_vs_pcre2),
        cmocka_unit_test(test_alternations_vs_pcre2),
        cmocka_unit_test(test_words_vs_pcre2),
        cmocka_unit_test(test_sets_and_streaming),
        cmocka_unit_test(test_stream_long_input),
        cmocka_unit_test(test_stream_window_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
