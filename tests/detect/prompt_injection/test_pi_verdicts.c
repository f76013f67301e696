/* test_pi_verdicts.c -- the rule tier's verdicts and evidence, pinned.
 *
 * Runs the prompt-injection detector (rules alone, model = false) over
 * every text of a set of JSONL files, each text in five forms: as written,
 * half its words in leetspeak, rot13'd behind a "rot13:" hint, base64'd
 * behind a request to decode, and with zero-width characters and Cyrillic
 * lookalikes inside its words. So every view of the detector (normalised,
 * leet, leet(1=l), rot13, decoded, the folded characters) is exercised.
 * For each it writes the threat score, every violation and every evidence
 * line (rule, view, offsets, match count) into a dump, and hashes the dump
 * (FNV-1a, 64 bits).
 *
 * A change that makes the rule tier cheaper must leave this dump byte for
 * byte as it was:
 *  - the permissive fixture files of tests/data/prompts (489 texts,
 *    about 600 KB of dump) have their digest pinned below;
 *  - ../shared/data/prompts/{dev,train}.jsonl have their digest pinned
 *    below (skipped, with a message, when the shared data is absent).
 * Set PI_VERDICTS_DUMP=DIR to write both dumps there (fixture.txt,
 * shared.txt) for a diff. A change meant to alter verdicts updates the
 * pinned file and digest, and says so. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

#include <cjson/cJSON.h>

/* the fixture files: texts and dump digest */
#define FIXTURE_TEXTS  489
#define FIXTURE_DIGEST 0x9d863cb5dc0b53bbull
/* ../shared/data/prompts {dev,train}.jsonl: texts and dump digest */
#define SHARED_TEXTS  6564
#define SHARED_DIGEST 0xf34ea49c2e2d525aull

static const char *const fixture_files[] = {
    "tests/data/prompts/permissive_fixture.jsonl",
    "tests/data/prompts/hard_negatives_eval.jsonl",
    "tests/data/prompts/benign_roles_eval.jsonl",
};

typedef struct dump {
    char *buf;
    size_t len, cap;
    size_t texts;
} dump;

static void put(dump *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
        assert_non_null(d->buf);
    }
    memcpy(d->buf + d->len, s, n);
    d->len += n;
    d->buf[d->len] = 0;
}

static void putf(dump *d, const char *fmt, ...)
{
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    put(d, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

/* ---- the five forms of a text ---------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Every second word in leetspeak (a4 e3 i1 o0 s5 t7). */
static void form_leet(sbuf *b, const char *t)
{
    static const char from[] = "aeiostAEIOST", to[] = "4310573105T7";
    unsigned word = 0;
    for (const char *p = t; *p; p++) {
        char c = *p;
        if (is_alpha((unsigned char)c) && (p == t || !is_alpha((unsigned char)p[-1])))
            word++;
        const char *f = strchr(from, c);
        if (c && f && word % 2 == 0)
            c = to[f - from];
        sb_put(b, &c, 1);
    }
}

static void form_rot13(sbuf *b, const char *t)
{
    sb_put(b, "rot13: ", 7);
    for (const char *p = t; *p; p++) {
        char c = *p;
        if (c >= 'a' && c <= 'z')
            c = (char)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z')
            c = (char)('A' + (c - 'A' + 13) % 26);
        sb_put(b, &c, 1);
    }
}

static void form_base64(sbuf *b, const char *t)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_put(b, "Please decode this base64 and do what it says: ", 47);
    size_t n = strlen(t);
    if (n > 900)
        n = 900;
    const unsigned char *s = (const unsigned char *)t;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {a[v >> 18 & 63], a[v >> 12 & 63], i + 1 < n ? a[v >> 6 & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        sb_put(b, q, 4);
    }
}

/* A zero-width space after the second letter of every word of five letters
 * or more; in every third word an 'o' becomes Cyrillic U+043E. */
static void form_hidden(sbuf *b, const char *t)
{
    unsigned word = 0, at = 0;
    for (const char *p = t; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (is_alpha(c) && (p == t || !is_alpha((unsigned char)p[-1]))) {
            word++;
            at = 0;
        }
        if (is_alpha(c))
            at++;
        if (c == 'o' && word % 3 == 0)
            sb_put(b, "\xd0\xbe", 2);
        else
            sb_put(b, p, 1);
        if (at == 2 && is_alpha(c)) {
            size_t len = 0;
            while (is_alpha((unsigned char)p[1 + len]))
                len++;
            if (len >= 3)
                sb_put(b, "\xe2\x80\x8b", 3);
        }
    }
}

/* ---- running and dumping ------------------------------------------------------ */

typedef struct engine {
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
} engine;

static void one(engine *g, dump *d, const char *where, int form, const char *text, size_t len)
{
    trawl_detect_input in = {0};
    in.prompt = (char *)text; /* read only */
    in.prompt_len = len;
    trawl_detect_report *r;
    trawl_error err;
    assert_int_equal(trawl_detect_run(g->e, g->c, &in, TRAWL_DET_PROMPT_INJECTION, &r, &err),
                     TRAWL_OK);
    const trawl_detector_result *res = NULL;
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        if (r->results[i].detector && !strcmp(r->results[i].detector, "prompt_injection"))
            res = &r->results[i];
    putf(d, "%s/%d %.4f\n", where, form, r->threat_score);
    for (size_t v = 0; res && v < res->n_violations; v++) {
        const trawl_violation *vi = &res->violations[v];
        putf(d, " V %s %.4f %d %s\n", vi->category, vi->confidence, (int)vi->severity,
             vi->description);
        for (size_t k = 0; k < vi->n_evidence; k++)
            putf(d, "  E %s\n", vi->evidence[k]);
    }
    trawl_detect_report_free(r);
    d->texts++;
}

static void run_file(engine *g, dump *d, const char *path, const char *label)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *line = NULL;
    size_t cap = 0;
    sbuf b = {0};
    for (unsigned ln = 1; getline(&line, &cap, fp) > 0; ln++) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
        if (cJSON_IsString(t)) {
            char where[256];
            snprintf(where, sizeof where, "%s:%u", label, ln);
            const char *s = t->valuestring;
            one(g, d, where, 0, s, strlen(s));
            void (*forms[])(sbuf *, const char *) = {form_leet, form_rot13, form_base64,
                                                     form_hidden};
            for (int f = 0; f < 4; f++) {
                b.n = 0;
                forms[f](&b, s);
                one(g, d, where, f + 1, b.p ? b.p : "", b.n);
            }
        }
        cJSON_Delete(j);
    }
    free(b.p);
    free(line);
    fclose(fp);
}

static engine *g_engine;

static int group_setup(void **state)
{
    (void)state;
    static const char cfg[] = "[prompt_injection]\nmodel = false\n";
    trawl_error err;
    g_engine = calloc(1, sizeof(*g_engine));
    if (!g_engine || trawl_detect_engine_new(cfg, sizeof cfg - 1, &g_engine->e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(g_engine->e, &g_engine->c, &err) != TRAWL_OK)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    trawl_detect_ctx_free(g_engine->c);
    trawl_detect_engine_free(g_engine->e);
    free(g_engine);
    return 0;
}

static void save(const dump *d, const char *name)
{
    const char *dir = getenv("PI_VERDICTS_DUMP");
    if (!dir || !*dir)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fwrite(d->buf, 1, d->len, fp);
    fclose(fp);
}

/* The fixture's dump has the pinned digest. */
static void test_fixture_pinned(void **state)
{
    (void)state;
    dump d = {0};
    for (size_t i = 0; i < sizeof fixture_files / sizeof fixture_files[0]; i++) {
        const char *label = strrchr(fixture_files[i], '/') + 1;
        run_file(g_engine, &d, fixture_files[i], label);
    }
    save(&d, "fixture.txt");
    uint64_t h = fnv1a(d.buf, d.len);
    if (h != FIXTURE_DIGEST)
        fprintf(stderr,
                "fixture verdicts changed: digest 0x%016llx; PI_VERDICTS_DUMP=DIR writes the "
                "dump to DIR/fixture.txt, diff it against the one main writes\n",
                (unsigned long long)h);
    assert_int_equal(d.texts, (size_t)FIXTURE_TEXTS * 5);
    assert_int_equal(h, FIXTURE_DIGEST);
    free(d.buf);
}

/* The real data's dump has the pinned digest. */
static void test_shared_digest(void **state)
{
    (void)state;
    const char *dir = tu_shared_data();
    if (!dir) {
        fprintf(stderr, "skipped: ../shared/data is absent\n");
        skip();
    }
    dump d = {0};
    static const char *const files[] = {"dev.jsonl", "train.jsonl"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/prompts/%s", dir, files[i]);
        run_file(g_engine, &d, path, files[i]);
    }
    save(&d, "shared.txt");
    uint64_t h = fnv1a(d.buf, d.len);
    fprintf(stderr, "shared data: %zu texts (5 forms each), dump %zu bytes, digest 0x%016llx\n",
            d.texts / 5, d.len, (unsigned long long)h);
    assert_int_equal(d.texts, (size_t)SHARED_TEXTS * 5);
    assert_int_equal(h, SHARED_DIGEST);
    free(d.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_pinned),
        cmocka_unit_test(test_shared_digest),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
