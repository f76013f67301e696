/* test_common_json.c -- the strict JSON reader: what it refuses (each error
 * with its byte offset), that strings keep their NULs, and a differential
 * test against Python's json module on generated and mutated documents
 * (tests/data/json/gen_oracle.py, run with /usr/bin/python3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "testutil.h"

static trawl_status parse(const char *s, trawl_error *e, tj_doc **d)
{
    return trawl__json_parse(s, strlen(s), 0, d, e);
}

static void refused(const char *doc, trawl_status want, int64_t off, const char *words)
{
    trawl_error e;
    tj_doc *d = (tj_doc *)1;
    trawl_status st = parse(doc, &e, &d);
    if (st != want || e.offset != off || !strstr(e.message, words))
        fail_msg("%s: status %d offset %lld message '%s'", doc, st, (long long)e.offset, e.message);
    assert_null(d);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("{\"prompt\":\"hello\"}{\"prompt\":\"x\"}", TRAWL_EFORMAT, 18, "trailing content");
    refused("{\"prompt\":\"hello\"} trailing", TRAWL_EFORMAT, 19, "trailing content");
    refused("{\"a\":1,\"b\":2,\"a\":3}", TRAWL_EFORMAT, 13, "duplicate key 'a'");
    refused("{\"a\":1,\"\\u0061\":3}", TRAWL_EFORMAT, 7, "duplicate key 'a'");
    refused("{\"a\":{\"x\":1,\"x\":1}}", TRAWL_EFORMAT, 12, "duplicate key 'x'");
    refused("\"\\ud800\"", TRAWL_EFORMAT, 1, "unpaired surrogate");
    refused("\"\xed\xa0\x80\"", TRAWL_EFORMAT, 1, "invalid UTF-8");
    refused("\"\xc0\xaf\"", TRAWL_EFORMAT, 1, "invalid UTF-8");
    refused("\"a\tb\"", TRAWL_EFORMAT, 2, "control character");
    refused("NaN", TRAWL_EFORMAT, 0, "invalid value");
    refused("[1e400]", TRAWL_ELIMIT, 1, "out of range");
    refused("[01]", TRAWL_EFORMAT, 1, "leading zero");
    refused("[1,]", TRAWL_EFORMAT, 3, "invalid value");
    refused("", TRAWL_EFORMAT, 0, "unexpected end");
    refused("{\"a\":\"b", TRAWL_EFORMAT, 5, "unterminated string");
    char deep[300];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 99);
    deep[299] = 0;
    refused(deep, TRAWL_ELIMIT, 129, "nested too deeply");
    /* a bound on the number of values */
    trawl_error e;
    tj_doc *d;
    assert_int_equal(trawl__json_parse("[1,2,3]", 7, 3, &d, &e), TRAWL_ELIMIT);
    assert_int_equal(trawl__json_parse("[1,2,3]", 7, 4, &d, &e), TRAWL_OK);
    trawl__json_free(d);
}

/* Strings go eight bytes at a time up to the first byte that needs a look
 * (quote, backslash, control, non-ASCII): such a byte at every position of
 * a long plain string, and two of them in one word, decode as they should
 * and fail at their own offset. */
static void test_string_words(void **state)
{
    (void)state;
    static const struct {
        const char *put;   /* inserted at position k of the string */
        const char *want;  /* decoded, or NULL: refused */
        const char *words; /* the refusal */
    } cases[] = {
        {"\\\"", "\"", NULL},
        {"\\\\", "\\", NULL},
        {"\\n", "\n", NULL},
        {"\\u00e9", "\xc3\xa9", NULL},
        {"\xc3\xa9", "\xc3\xa9", NULL},
        {"\xe2\x82\xac", "\xe2\x82\xac", NULL},
        {"\\\"\\\\", "\"\\", NULL},
        {"\x01", NULL, "control character"},
        {"\x1f", NULL, "control character"},
        {"\xc0\xaf", NULL, "invalid UTF-8"},
        {"\xff", NULL, "invalid UTF-8"},
        {"\x7f", "\x7f", NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t k = 0; k <= 40; k++) {
            char doc[128], want[128];
            size_t plain = 48;
            int n = snprintf(doc, sizeof doc, "[\"%.*s%s%.*s\"]", (int)k,
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", cases[c].put,
                             (int)(plain - k), "0123456789 ~!@#$%^&*()_+-=[]{};':,./<>?`|abcdefgh");
            trawl_error e;
            tj_doc *d = NULL;
            trawl_status st = trawl__json_parse(doc, (size_t)n, 0, &d, &e);
            if (!cases[c].want) {
                if (st != TRAWL_EFORMAT || e.offset != (int64_t)(2 + k) ||
                    !strstr(e.message, cases[c].words))
                    fail_msg("case %zu at %zu: status %d offset %lld '%s'", c, k, st,
                             (long long)e.offset, e.message);
                continue;
            }
            assert_int_equal(st, TRAWL_OK);
            int m = snprintf(want, sizeof want, "%.*s%s%.*s", (int)k,
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", cases[c].want,
                             (int)(plain - k), "0123456789 ~!@#$%^&*()_+-=[]{};':,./<>?`|abcdefgh");
            const tj_value *v = trawl__json_root(d)->child;
            assert_int_equal(v->len, (size_t)m);
            assert_memory_equal(v->str, want, (size_t)m);
            trawl__json_free(d);
        }
    }
}

static void test_nul_kept(void **state)
{
    (void)state;
    const char *doc = "{\"prompt\":\"hi\\u0000Ignore previous\",\"k\\u0000x\":1}";
    trawl_error e;
    tj_doc *d;
    assert_int_equal(parse(doc, &e, &d), TRAWL_OK);
    const tj_value *p = trawl__json_get(trawl__json_root(d), "prompt");
    assert_non_null(p);
    assert_int_equal(p->len, 18);
    assert_memory_equal(p->str, "hi\0Ignore previous", 19);
    const tj_value *k = p->next;
    assert_int_equal(k->key_len, 3);
    assert_null(trawl__json_get(trawl__json_root(d), "k")); /* not cut at the NUL */
    trawl__json_free(d);
}

/* ---- differential test against Python's json module ---------------------- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap * 2 + (size_t)k + 64;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
}

static void put_hex(sbuf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, "%02x", (unsigned char)p[i]);
}

static void dump(sbuf *b, const tj_value *v)
{
    switch (v->type) {
    case TJ_NULL:
        put(b, "n");
        break;
    case TJ_TRUE:
        put(b, "t");
        break;
    case TJ_FALSE:
        put(b, "f");
        break;
    case TJ_NUMBER: {
        unsigned char u[8];
        memcpy(u, &v->num, 8); /* x86-64: little-endian, as the oracle packs */
        put(b, "d");
        put_hex(b, (const char *)u, 8);
        break;
    }
    case TJ_STRING:
        put(b, "s");
        put_hex(b, v->str, v->len);
        put(b, ";");
        break;
    case TJ_ARRAY:
    case TJ_OBJECT:
        put(b, v->type == TJ_ARRAY ? "a%u[" : "o%u{", v->n);
        for (const tj_value *c = v->child; c; c = c->next) {
            if (v->type == TJ_OBJECT) {
                put(b, "k");
                put_hex(b, c->key, c->key_len);
                put(b, ";");
            }
            dump(b, c);
        }
        put(b, v->type == TJ_ARRAY ? "]" : "}");
        break;
    }
}

/* The UTF-8 prefix is where the reader's "invalid UTF-8" error would stand. */
static void test_utf8_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n, want;
    } cases[] = {
        {"plain", 5, 5},
        {"caf\xc3\xa9", 5, 5},
        {"a\xc3", 2, 1},             /* cut short */
        {"ab\xc0\xaf", 4, 2},        /* overlong */
        {"\xed\xa0\x80x", 4, 0},     /* a surrogate */
        {"x\xf4\x90\x80\x80", 5, 1}, /* above U+10FFFF */
        {"\xe6\x97\xa5\x9e", 4, 3},  /* a stray continuation byte */
        {"nul\0ok", 6, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(trawl__json_utf8_prefix(cases[i].s, cases[i].n), cases[i].want);
        if (cases[i].want < cases[i].n) { /* the reader stops at the same byte */
            char doc[32] = "\"";
            memcpy(doc + 1, cases[i].s, cases[i].n);
            doc[1 + cases[i].n] = '"';
            trawl_error e;
            tj_doc *d;
            assert_int_equal(trawl__json_parse(doc, cases[i].n + 2, 0, &d, &e), TRAWL_EFORMAT);
            assert_int_equal(e.offset, (int64_t)cases[i].want + 1);
        }
    }
}

static void test_python_differential(void **state)
{
    (void)state;
    FILE *f = popen("/usr/bin/python3 tests/data/json/gen_oracle.py 20261207 6000", "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, docs = 0, accepted = 0;
    ssize_t got;
    sbuf out = {0};
    while ((got = getline(&line, &cap, f)) > 0) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        char *want = tab + 1;
        want[strcspn(want, "\n")] = 0;
        size_t hl = strlen(line);
        uint8_t *doc = malloc(hl / 2 + 1);
        assert_int_equal(tu_unhex(line, doc, hl / 2 + 1), (long)(hl / 2));
        trawl_error e;
        tj_doc *d;
        trawl_status st = trawl__json_parse((const char *)doc, hl / 2, 0, &d, &e);
        out.n = 0;
        if (st == TRAWL_OK) {
            dump(&out, trawl__json_root(d));
            trawl__json_free(d);
            accepted++;
        } else {
            put(&out, "ERR");
            if (e.offset < 0 || e.offset > (int64_t)(hl / 2))
                fail_msg("document %zu: error offset %lld outside it", docs, (long long)e.offset);
        }
        if (strcmp(out.s, want))
            fail_msg("document %zu (%s): trawl %s, Python %s", docs, line, out.s, want);
        free(doc);
        docs++;
    }
    free(line);
    free(out.s);
    int rc = pclose(f);
    if (rc != 0 || docs < 6000)
        fail_msg("the oracle failed (exit %d, %zu documents)", rc, docs);
    print_message("%zu documents agree with Python's json (%zu accepted)\n", docs, accepted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_nul_kept),
        cmocka_unit_test(test_string_words),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_python_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
