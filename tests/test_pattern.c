/* test_pattern.c -- the pattern language and scan semantics, case by case:
 * the acceptance cases of the Python tool trawl replaces, then the syntax
 * corners, the errors (code and column) and the API's argument checks. */
#include "testutil.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

typedef struct hits {
    size_t n;
    uint64_t off[64], len[64];
    uint32_t pat[64];
} hits;

static int collect(const trawl_match *m, void *u)
{
    hits *h = u;
    if (h->n < 64) {
        h->off[h->n] = m->offset;
        h->len[h->n] = m->length;
        h->pat[h->n] = m->pattern;
    }
    h->n++;
    return 0;
}

/* Compiles expr, scans data (len bytes), returns the hits. */
static hits scan_flags(const char *expr, const void *data, size_t len, unsigned flags)
{
    hits h = {0};
    trawl_pattern_db *db = NULL;
    trawl_scratch *s = NULL;
    trawl_error err;
    trawl_status st = trawl_pattern_compile_one(expr, TRAWL_SYNTAX_AUTO, 0, &db, &err);
    if (st != TRAWL_OK)
        fail_msg("compile %s: %s (col %d)", expr, err.message, err.column);
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    assert_int_equal(trawl_scan(db, s, data, len, flags, collect, &h, &err), TRAWL_OK);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
    return h;
}

static hits scan1(const char *expr, const void *data, size_t len)
{
    return scan_flags(expr, data, len, 0);
}

static trawl_error compile_err(const char *expr, trawl_pattern_syntax syn, unsigned flags)
{
    trawl_pattern_db *db = (trawl_pattern_db *)1;
    trawl_error err;
    trawl_status st = trawl_pattern_compile_one(expr, syn, flags, &db, &err);
    assert_int_not_equal(st, TRAWL_OK);
    assert_int_equal(st, err.status);
    assert_null(db);
    return err;
}

/* ---- the Python tool's acceptance cases ---- */

static void test_hex_literal_at_offset_2(void **state)
{
    (void)state;
    const uint8_t d[] = {0x00, 0x11, 0xAA, 0x55, 0x22};
    hits h = scan1("\\xAA\\x55", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 2);
    assert_int_equal(h.len[0], 2);
}

static void test_wildcard_length_2(void **state)
{
    (void)state;
    const uint8_t d[] = {0xAA, 0x7F, 0x00};
    hits h = scan1("\\xAA??", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 0);
    assert_int_equal(h.len[0], 2);
}

static void test_class_finds_0x10_at_1(void **state)
{
    (void)state;
    const uint8_t d[] = {0x41, 0x10, 0x42};
    hits h = scan1("[\\x00-\\x1F]", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 1);
}

static void test_counted_repeats(void **state)
{
    (void)state;
    const uint8_t d[] = {0x01, 0xAA, 0xAA, 0xAA, 0x02};
    hits h = scan1("\\xAA{3}", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.len[0], 3);
    h = scan1("\\xAA{2,4}", d, sizeof d); /* longest: all three */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.len[0], 3);
    const uint8_t five[] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
    h = scan1("\\xAA{2,4}", five, sizeof five); /* 4, then the last one alone is too short */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.len[0], 4);
}

static void test_alternation(void **state)
{
    (void)state;
    const uint8_t d[] = {0x00, 0xFF, 0x01, 0xAA};
    hits h = scan1("(\\xAA|\\xFF)", d, sizeof d);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.off[1], 3);
}

static void test_anchors(void **state)
{
    (void)state;
    const uint8_t d[] = {0xAA, 0x01, 0xAA};
    hits h = scan1("^\\xAA", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 0);
    h = scan1("\\xAA$", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 2);
    const uint8_t nl[] = {0xAA, '\n'}; /* $ is the end of the data, not before a newline */
    h = scan1("\\xAA$", nl, sizeof nl);
    assert_int_equal(h.n, 0);
}

static void test_findall_offsets(void **state)
{
    (void)state;
    const uint8_t d[] = {0xAB, 0x00, 0xAB, 0x00, 0xAB, 0x00};
    hits h = scan1("\\xAB", d, sizeof d);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.off[0], 0);
    assert_int_equal(h.off[1], 2);
    assert_int_equal(h.off[2], 4);
}

static void test_overlap_modes(void **state)
{
    (void)state;
    const uint8_t d[] = {0xAA, 0xAA, 0xAA};
    hits h = scan1("\\xAA\\xAA", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 0);
    h = scan_flags("\\xAA\\xAA", d, sizeof d, TRAWL_SCAN_OVERLAP);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.off[0], 0);
    assert_int_equal(h.off[1], 1);
    /* variable width: every start, with the longest match from there */
    h = scan_flags("\\xAA+", d, sizeof d, TRAWL_SCAN_OVERLAP);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.len[0], 3);
    assert_int_equal(h.len[1], 2);
    assert_int_equal(h.len[2], 1);
}

/* Pending starts are decided in one pass, not one verifier run each: a
 * megabyte in which every byte is a candidate start that runs to the end
 * used to cost a run per start (quadratic: hours); now it is linear. The
 * answers are the leftmost-longest ones. */
static void test_long_candidate_runs(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    uint8_t *d = malloc(n);
    assert_non_null(d);
    memset(d, 'a', n - 1);
    d[n - 1] = 'b';
    hits h = scan1("a.*c|b", d, n); /* every 'a' starts a thread that dies at the end */
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], n - 1);
    assert_int_equal(h.len[0], 1);
    memset(d, '=', n);
    h = scan1("={8,}", d, n);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 0);
    assert_int_equal(h.len[0], n);
    free(d);
}

/* TRAWL_COMPILE_BLOCK_ONLY: scans as usual; streaming is refused with
 * EINVAL, unknown flags too; it saves and loads as a block-only database
 * (the compiled-database cache keeps the detectors' packs so). */
static void test_block_only(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_pattern_db *db = NULL;
    trawl_scratch *s = NULL;
    trawl_stream *st = NULL;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, "ab+c", 4, TRAWL_SYNTAX_REGEX, 0, "x", &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_compile_ex(set, 0x80, &db, &err), TRAWL_EINVAL);
    assert_null(db);
    assert_int_equal(trawl_pattern_compile_ex(set, TRAWL_COMPILE_BLOCK_ONLY, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    hits h = {0};
    assert_int_equal(trawl_scan(db, s, (const uint8_t *)"xabbbcab", 8, 0, collect, &h, &err),
                     TRAWL_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.len[0], 5);
    assert_int_equal(trawl_stream_open(db, 0, 0, &st, &err), TRAWL_EINVAL);
    assert_null(st);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(trawl_pattern_db_serialize(db, &buf, &len, &err), TRAWL_OK);
    trawl_pattern_db *back = NULL;
    assert_int_equal(trawl_pattern_db_deserialize(buf, len, &back, &err), TRAWL_OK);
    assert_int_equal(trawl_stream_open(back, 0, 0, &st, &err), TRAWL_EINVAL);
    assert_int_equal(trawl_scratch_alloc(back, &s, &err), TRAWL_OK);
    h.n = 0;
    assert_int_equal(trawl_scan(back, s, (const uint8_t *)"xabbbcab", 8, 0, collect, &h, &err),
                     TRAWL_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.len[0], 5);
    /* a block database cannot pass for the stream one: clear the flag */
    buf[16] = 0;
    trawl_pattern_db *bad = NULL;
    assert_int_equal(trawl_pattern_db_deserialize(buf, len, &bad, &err), TRAWL_EFORMAT);
    assert_null(bad);
    free(buf);
    trawl_scratch_free(s);
    trawl_pattern_db_free(back);
    trawl_pattern_db_free(db);
}

static void test_dot_escape(void **state)
{
    (void)state;
    hits h = scan1("a\\.b", "axb a.b", 7);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 4);
    h = scan1("a.b", "axb a.b", 7);
    assert_int_equal(h.n, 2);
    const uint8_t nl[] = {'a', '\n', 'b'}; /* . is any byte, newline included */
    h = scan1("a.b", nl, 3);
    assert_int_equal(h.n, 1);
}

static void test_unclosed_class_column(void **state)
{
    (void)state;
    trawl_error e = compile_err("\\xAA[\\x00-\\x1F", TRAWL_SYNTAX_AUTO, 0);
    assert_int_equal(e.status, TRAWL_ESYNTAX);
    assert_int_equal(e.column, 5);
    assert_int_equal(e.index, 0);
    assert_non_null(strstr(e.message, "']'"));
}

/* ---- more syntax ---- */

static void test_nibbles(void **state)
{
    (void)state;
    const uint8_t d[] = {0x1A, 0x2B, 0xA1, 0x3A};
    hits h = scan1("\\x?A", d, sizeof d);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.off[0], 0);
    assert_int_equal(h.off[1], 3);
    h = scan1("\\xA?", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 2);
}

static void test_negated_class(void **state)
{
    (void)state;
    const uint8_t d[] = {0x00, 0x20, 0x7F, 0x41};
    hits h = scan1("[^\\x00-\\x1F\\x7F]", d, sizeof d);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.off[1], 3);
}

static void test_quantifiers(void **state)
{
    (void)state;
    hits h = scan1("ab*c", "ac abc abbbc", 12);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.len[2], 5);
    h = scan1("ab+c", "ac abc", 6);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 3);
    h = scan1("ab?c", "ac abc abbc", 11);
    assert_int_equal(h.n, 2);
    h = scan1("a{2,}", "a aa aaaaa", 10);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.len[1], 5);
    /* "??" is any byte, so "A??" is A then any byte */
    h = scan1("A??", "xAy", 3);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.len[0], 2);
}

static void test_yara_hex(void **state)
{
    (void)state;
    const uint8_t d[] = {0x00, 0xAA, 0x55, 0x01, 0x02, 0x03, 0x04, 0xA7, 0x35, 0xFE, 0x11};
    hits h = scan1("{ AA 55 [4] A? ?5 ( FF | FE ) ~00 }", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.off[0], 1);
    assert_int_equal(h.len[0], 10);
    h = scan1("{ AA 55 [2-6] FE }", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.len[0], 9);
    h = scan1("{ AA [8-] 11 }", d, sizeof d);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.len[0], 10);
    h = scan1("{ 55 ~01 }", d, sizeof d);
    assert_int_equal(h.n, 0);
}

static void test_nocase_and_literal(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_pattern_db *db;
    trawl_scratch *s = NULL;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, "IgNoRe", 6, TRAWL_SYNTAX_LITERAL,
                                           TRAWL_PATTERN_NOCASE, "ign", &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, "a.b\0c", 5, TRAWL_SYNTAX_LITERAL, 0, NULL, &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    hits h = {0};
    const char text[] = "please ignore IGNORE a.b\0c axb\0c";
    assert_int_equal(
        trawl_scan(db, s, (const uint8_t *)text, sizeof text - 1, 0, collect, &h, &err), TRAWL_OK);
    assert_int_equal(h.n, 3);
    trawl_pattern_info info;
    assert_int_equal(trawl_pattern_info_get(db, 0, &info), TRAWL_OK);
    assert_string_equal(info.name, "ign");
    assert_int_equal(info.min_width, 6);
    assert_int_equal(trawl_pattern_info_get(db, 2, &info), TRAWL_EINVAL);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

/* ---- errors: code and column ---- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *expr;
        trawl_status st;
        int col;
    } cases[] = {
        {"", TRAWL_ESYNTAX, 1},
        {"\\xZZ", TRAWL_ESYNTAX, 3},
        {"\\xA", TRAWL_ESYNTAX, 4},
        {"ab(cd", TRAWL_ESYNTAX, 3},
        {"ab)", TRAWL_ESYNTAX, 3},
        {"*a", TRAWL_ESYNTAX, 1},
        {"a{3,1}", TRAWL_ESYNTAX, 2},
        {"a{2", TRAWL_ESYNTAX, 4},
        {"a{x}", TRAWL_ESYNTAX, 3},
        {"a{99999}", TRAWL_ELIMIT, 3},
        {"a*?", TRAWL_EUNSUPPORTED, 3},
        {"a**", TRAWL_ESYNTAX, 3},
        {"[]", TRAWL_ESYNTAX, 1},
        {"[z-a]", TRAWL_ESYNTAX, 2},
        {"[^\\x00-\\xff]", TRAWL_ESYNTAX, 1},
        {"a*", TRAWL_ESYNTAX, 1},
        {"(a|)", TRAWL_ESYNTAX, 1},
        {"\\b", TRAWL_EUNSUPPORTED, 1},
        {"\\1", TRAWL_EUNSUPPORTED, 1},
        {"\\q", TRAWL_ESYNTAX, 1},
        {"(?i)a", TRAWL_EUNSUPPORTED, 1},
        {"a\tb", TRAWL_ESYNTAX, 2},
        {"^*", TRAWL_ESYNTAX, 1},
        {"a]", TRAWL_ESYNTAX, 2},
        {"{ AA [4] }", TRAWL_ESYNTAX, 10},
        {"{ [4] AA }", TRAWL_ESYNTAX, 1},
        {"{ AA B }", TRAWL_ESYNTAX, 7},
        {"{ AA ( BB | ) }", TRAWL_ESYNTAX, 13},
        {"{ AA", TRAWL_ESYNTAX, 1},
        {"{ AA ~?? }", TRAWL_ESYNTAX, 6},
        {"{ AA [3-1] BB }", TRAWL_ESYNTAX, 6},
        {"{ AA } x", TRAWL_ESYNTAX, 8},
        {"{ AA ( BB }", TRAWL_ESYNTAX, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trawl_error e = compile_err(cases[i].expr, TRAWL_SYNTAX_AUTO, 0);
        if (e.status != cases[i].st || e.column != cases[i].col)
            fail_msg("'%s': got %s col %d (%s), want %s col %d", cases[i].expr,
                     trawl_status_name(e.status), e.column, e.message,
                     trawl_status_name(cases[i].st), cases[i].col);
    }
    trawl_error e = compile_err("{ AA }", TRAWL_SYNTAX_HEX, TRAWL_PATTERN_NOCASE);
    assert_int_equal(e.status, TRAWL_EUNSUPPORTED);
    /* nesting is capped, not a stack overflow */
    char deep[1000];
    memset(deep, '(', 500);
    deep[500] = 'a';
    memset(deep + 501, ')', 498);
    deep[999] = 0;
    e = compile_err(deep, TRAWL_SYNTAX_REGEX, 0);
    assert_int_equal(e.status, TRAWL_ELIMIT);
    assert_int_equal(e.column, 201);
    /* expansion is capped before anything is built */
    e = compile_err("((a{1000}){1000}){1000}", TRAWL_SYNTAX_REGEX, 0);
    assert_int_equal(e.status, TRAWL_ELIMIT);
}

static void test_set_index_in_error(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, "ab", 2, TRAWL_SYNTAX_AUTO, 0, NULL, &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, "a(b", 3, TRAWL_SYNTAX_AUTO, 0, NULL, &err),
                     TRAWL_ESYNTAX);
    assert_int_equal(err.index, 1);
    assert_int_equal(err.column, 2);
    assert_int_equal(trawl_pattern_set_count(set), 1);
    trawl_pattern_set_free(set);
}

static void test_rules(void **state)
{
    (void)state;
    const char *rules = "# comment\n"
                        "\n"
                        "mz: MZ\n"
                        "  elf : \\x7fELF\n"
                        "word/i: hello\n"
                        "lit/lit: a.b*\n"
                        "yara: { 50 4B 03 04 }\n";
    trawl_pattern_set *set;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add_rules(set, rules, strlen(rules), &err), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_count(set), 5);
    trawl_pattern_db *db;
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_scratch *s = NULL;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    hits h = {0};
    const char data[] = "MZ HeLLo a.b* PK\x03\x04 \x7f"
                        "ELF";
    assert_int_equal(
        trawl_scan(db, s, (const uint8_t *)data, sizeof data - 1, 0, collect, &h, &err), TRAWL_OK);
    assert_int_equal(h.n, 5);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);

    /* errors name the line and the column within the line; nothing is added */
    const char *bad = "ok: ab\n\n  bad: a(b\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, bad, strlen(bad), &err), TRAWL_ESYNTAX);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 9);
    assert_int_equal(trawl_pattern_set_count(set), 5);
    const char *noname = ": ab\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, noname, strlen(noname), &err), TRAWL_ESYNTAX);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    const char *nocolon = "x ab\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, nocolon, strlen(nocolon), &err),
                     TRAWL_ESYNTAX);
    assert_int_equal(err.column, 3);
    const char *badmod = "x/q: ab\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, badmod, strlen(badmod), &err), TRAWL_ESYNTAX);
    assert_int_equal(err.column, 3);
    trawl_pattern_set_free(set);
}

static int stop_at_first(const trawl_match *m, void *u)
{
    (void)m;
    ++*(int *)u;
    return 1;
}

static void test_api_checks(void **state)
{
    (void)state;
    trawl_pattern_db *db;
    trawl_scratch *s = NULL;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile_one("ab", TRAWL_SYNTAX_AUTO, 0, &db, &err), TRAWL_OK);
    assert_int_equal(trawl_scan(db, NULL, (const uint8_t *)"ab", 2, 0, collect, NULL, &err),
                     TRAWL_EINVAL);
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    assert_int_equal(trawl_scan(db, s, NULL, 5, 0, collect, NULL, &err), TRAWL_EINVAL);
    assert_int_equal(trawl_scan(db, s, (const uint8_t *)"ab", 2, 0x80, collect, NULL, &err),
                     TRAWL_EINVAL);
    int calls = 0;
    assert_int_equal(
        trawl_scan(db, s, (const uint8_t *)"ab ab ab", 8, 0, stop_at_first, &calls, &err),
        TRAWL_ESTOPPED);
    assert_int_equal(calls, 1);
    hits h = {0};
    assert_int_equal(trawl_scan(db, s, NULL, 0, 0, collect, &h, &err), TRAWL_OK);
    assert_int_equal(h.n, 0);
    trawl_pattern_set *empty;
    assert_int_equal(trawl_pattern_set_new(&empty), TRAWL_OK);
    trawl_pattern_db *db2;
    assert_int_equal(trawl_pattern_compile(empty, &db2, &err), TRAWL_EINVAL);
    trawl_pattern_set_free(empty);
    trawl_pattern_set_free(NULL);
    trawl_pattern_db_free(NULL);
    trawl_scratch_free(NULL);
    trawl_stream_free(NULL);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
}

static void test_serialize(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_error err;
    const char *rules = "a: \\xAA.{2,5}\\xBB\nb/i: tExt\nc: { 01 [2] 02 }\n";
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add_rules(set, rules, strlen(rules), &err), TRAWL_OK);
    trawl_pattern_db *db, *db2;
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    uint8_t *bytes;
    size_t n;
    assert_int_equal(trawl_pattern_db_serialize(db, &bytes, &n, &err), TRAWL_OK);
    assert_int_equal(trawl_pattern_db_deserialize(bytes, n, &db2, &err), TRAWL_OK);
    assert_int_equal(trawl_pattern_db_count(db2), 3);
    trawl_pattern_info info;
    assert_int_equal(trawl_pattern_info_get(db2, 1, &info), TRAWL_OK);
    assert_string_equal(info.name, "b");
    assert_int_equal(info.flags, TRAWL_PATTERN_NOCASE);
    trawl_scratch *s = NULL;
    assert_int_equal(trawl_scratch_alloc(db2, &s, &err), TRAWL_OK);
    const uint8_t data[] = {0xAA, 1, 2, 3, 0xBB, 'T', 'E', 'X', 'T', 1, 9, 9, 2};
    hits h = {0};
    assert_int_equal(trawl_scan(db2, s, data, sizeof data, 0, collect, &h, &err), TRAWL_OK);
    assert_int_equal(h.n, 3);
    /* damage: bad magic, wrong version, truncation at every length */
    trawl_pattern_db *bad = NULL;
    bytes[0] ^= 1;
    assert_int_equal(trawl_pattern_db_deserialize(bytes, n, &bad, &err), TRAWL_EFORMAT);
    assert_int_equal(err.offset, 0);
    assert_null(bad);
    bytes[0] ^= 1;
    bytes[8] = 99;
    assert_int_equal(trawl_pattern_db_deserialize(bytes, n, &bad, &err), TRAWL_EVERSION);
    assert_null(bad);
    bytes[8] = 1;
    for (size_t cut = 0; cut < n; cut += 1 + cut / 8) {
        trawl_pattern_db *t = NULL;
        trawl_status st = trawl_pattern_db_deserialize(bytes, cut, &t, &err);
        assert_int_not_equal(st, TRAWL_OK);
        assert_null(t);
    }
    free(bytes);
    trawl_scratch_free(s);
    trawl_pattern_db_free(db);
    trawl_pattern_db_free(db2);
}

/* The scratch is single-use: a scan started from inside another scan's
 * callback with the same scratch is refused, not corrupted. */
typedef struct reenter {
    const trawl_pattern_db *db;
    trawl_scratch *s;
    trawl_status inner;
} reenter;

static int scan_again(const trawl_match *m, void *u)
{
    (void)m;
    reenter *r = u;
    trawl_error err;
    r->inner = trawl_scan(r->db, r->s, (const uint8_t *)"ab", 2, 0, collect, NULL, &err);
    return 0;
}

static void test_scratch_in_use(void **state)
{
    (void)state;
    trawl_pattern_db *db;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile_one("ab", TRAWL_SYNTAX_AUTO, 0, &db, &err), TRAWL_OK);
    reenter r = {.db = db, .inner = TRAWL_OK};
    assert_int_equal(trawl_scratch_alloc(db, &r.s, &err), TRAWL_OK);
    assert_int_equal(trawl_scan(db, r.s, (const uint8_t *)"xab", 3, 0, scan_again, &r, &err),
                     TRAWL_OK);
    assert_int_equal(r.inner, TRAWL_ESTATE);
    trawl_scratch_free(r.s);
    trawl_pattern_db_free(db);
}

/* One database, four threads, each with its own scratch: every thread sees
 * exactly what a single-threaded scan sees. */
typedef struct worker {
    const trawl_pattern_db *db;
    const uint8_t *data;
    size_t len;
    hits h;
    trawl_status st;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    trawl_scratch *s = NULL;
    trawl_error err;
    w->st = trawl_scratch_alloc(w->db, &s, &err);
    for (int i = 0; i < 50 && w->st == TRAWL_OK; i++) {
        w->h.n = 0;
        w->st = trawl_scan(w->db, s, w->data, w->len, 0, collect, &w->h, &err);
    }
    trawl_scratch_free(s);
    return NULL;
}

static void test_threads_share_db(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_error err;
    const char *rules = "a: \\xAA\\x55.{2}\\xFF\nb: \\xAA.{1,6}\\xFF\nc: { AA [2-3] FF }\n";
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add_rules(set, rules, strlen(rules), &err), TRAWL_OK);
    trawl_pattern_db *db;
    assert_int_equal(trawl_pattern_compile(set, &db, &err), TRAWL_OK);
    trawl_pattern_set_free(set);
    uint8_t data[4096];
    tu_rng r;
    tu_seed(&r, 9);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t[]){0xAA, 0x55, 0xFF, 0x00}[tu_below(&r, 4)];
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.db = db, .data = data, .len = sizeof data};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].st, TRAWL_OK);
        assert_true(w[i].h.n > 10);
        assert_int_equal(w[i].h.n, w[0].h.n);
        assert_memory_equal(w[i].h.off, w[0].h.off, sizeof w[0].h.off);
        assert_memory_equal(w[i].h.len, w[0].h.len, sizeof w[0].h.len);
    }
    trawl_pattern_db_free(db);
}

/* Complexity limits (issue 19): refused before compiling, naming the
 * pattern or the rule line and the limit; a set's budget is shared by its
 * patterns and given back when a rule file is refused whole. */
static void test_complexity_limits(void **state)
{
    (void)state;
    trawl_pattern_set *set;
    trawl_error err;
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    char e[4096] = "A";
    for (int i = 0; i < 65; i++)
        strcat(e, ".*");
    strcat(e, "B");
    assert_int_equal(trawl_pattern_set_add(set, "x", 1, TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, e, strlen(e), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     TRAWL_ELIMIT);
    assert_int_equal(err.index, 1);
    assert_string_equal(err.message,
                        "65 unbounded repeats (*, +, {n,}, [n-]), over the limit of 64");
    e[strlen(e) - 3] = 'B'; /* 64: allowed */
    e[strlen(e) - 2] = 0;
    assert_int_equal(trawl_pattern_set_add(set, e, strlen(e), TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     TRAWL_OK);
    const char *hex = "{ 41 [-] 42 [2-] 43 [-] 44 }";
    assert_int_equal(
        trawl_pattern_set_add(set, "A.{0,4097}B", 11, TRAWL_SYNTAX_REGEX, 0, "wide", &err),
        TRAWL_ELIMIT);
    assert_string_equal(err.message, "rule 'wide': 4097 positions that match more than one byte "
                                     "once repeats are expanded, over the limit of 4096");
    assert_int_equal(trawl_pattern_set_count(set), 2);
    /* a set's budget: 16 patterns of 4000 fit, the 17th does not */
    for (int i = 0; i < 16; i++)
        assert_int_equal(
            trawl_pattern_set_add(set, "A[ab]{4000}B", 12, TRAWL_SYNTAX_REGEX, 0, NULL, &err),
            TRAWL_OK);
    assert_int_equal(
        trawl_pattern_set_add(set, "A[ab]{4000}B", 12, TRAWL_SYNTAX_REGEX, 0, NULL, &err),
        TRAWL_ELIMIT);
    assert_non_null(strstr(err.message, "over the set's limit of 65536"));
    trawl_pattern_set_free(set);
    /* a rule file over the budget is refused whole, at its line; the budget
     * it took is given back */
    assert_int_equal(trawl_pattern_set_new(&set), TRAWL_OK);
    trawl_pattern_limits lim = {.max_set_wide = 250, .max_rule_line = 40};
    assert_int_equal(trawl_pattern_set_limits(set, &lim), TRAWL_OK);
    const char *rules = "a: x.{0,100}y\nb: x.{0,100}y\nc: x.{0,100}y\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, rules, strlen(rules), &err), TRAWL_ELIMIT);
    assert_int_equal(err.line, 3);
    assert_int_equal(trawl_pattern_set_count(set), 0);
    assert_int_equal(trawl_pattern_set_add_rules(set, rules, 26, &err), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_count(set), 2);
    const char *longline = "# fine\nlong: 0123456789012345678901234567890123456789\n";
    assert_int_equal(trawl_pattern_set_add_rules(set, longline, strlen(longline), &err),
                     TRAWL_ELIMIT);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.message, "line of 46 bytes, over the limit of 40");
    /* hex jumps count as unbounded repeats */
    lim = (trawl_pattern_limits){.max_unbounded = 2};
    assert_int_equal(trawl_pattern_set_limits(set, &lim), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(set, hex, strlen(hex), TRAWL_SYNTAX_HEX, 0, NULL, &err),
                     TRAWL_ELIMIT);
    assert_string_equal(err.message, "3 unbounded repeats (*, +, {n,}, [n-]), over the limit of 2");
    trawl_pattern_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complexity_limits),
        cmocka_unit_test(test_hex_literal_at_offset_2),
        cmocka_unit_test(test_wildcard_length_2),
        cmocka_unit_test(test_class_finds_0x10_at_1),
        cmocka_unit_test(test_counted_repeats),
        cmocka_unit_test(test_alternation),
        cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_findall_offsets),
        cmocka_unit_test(test_overlap_modes),
        cmocka_unit_test(test_long_candidate_runs),
        cmocka_unit_test(test_block_only),
        cmocka_unit_test(test_dot_escape),
        cmocka_unit_test(test_unclosed_class_column),
        cmocka_unit_test(test_nibbles),
        cmocka_unit_test(test_negated_class),
        cmocka_unit_test(test_quantifiers),
        cmocka_unit_test(test_yara_hex),
        cmocka_unit_test(test_nocase_and_literal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_set_index_in_error),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_api_checks),
        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_scratch_in_use),
        cmocka_unit_test(test_threads_share_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
