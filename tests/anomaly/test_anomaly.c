/* test_anomaly.c -- the anomaly module's behaviour.
 *
 * Oscura's anomaly cases, rewritten from what its documentation and tests
 * say AnomalyDetector does (peers/oscura.md): too few training samples
 * judge nothing; a z-score beyond 3 and a value beyond the 1.5 IQR fences
 * are flagged, values inside are not; a field value far from the median by
 * MAD; message-rate bursts and gaps; timing anomalies; unseen lengths.
 * Then: online mode against a brute-force oracle that relearns every prefix
 * (streaming equals batch), messages fed in chunks equal one call, a saved
 * and reloaded baseline reports exactly what the live one does, EWMA and
 * CUSUM catch a level shift, and the parsers' errors name line and column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/anomaly.h>

#include "testutil.h"

#define MAXA 4096

typedef struct rec {
    trawl_anom_method method;
    char what[32];
    uint64_t index;
    double value, threshold;
} rec;

typedef struct recs {
    rec r[MAXA];
    size_t n;
} recs;

static int keep(const trawl_anomaly *a, void *ud)
{
    recs *s = ud;
    assert_non_null(a->detail);
    assert_true(strlen(a->detail) > 10);
    if (s->n < MAXA) {
        rec *r = &s->r[s->n++];
        r->method = a->method;
        snprintf(r->what, sizeof(r->what), "%s", a->what);
        r->index = a->index;
        r->value = a->value;
        r->threshold = a->threshold;
    }
    return 0;
}

static trawl_anom_model *series_model(const double *x, size_t n, unsigned methods)
{
    trawl_anom_params p = {0};
    p.methods = methods;
    p.min_samples = 10; /* Oscura trains on at least 10 samples */
    trawl_anom_model *m;
    assert_int_equal(trawl_anom_new(&p, &m, NULL), TRAWL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(trawl_anom_learn_value(m, "v", (double)i, x[i], NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_finish(m, NULL), TRAWL_OK);
    return m;
}

static void test_oscura_zscore_iqr(void **state)
{
    (void)state;
    double x[100];
    for (int i = 0; i < 100; i++)
        x[i] = 10 + (i % 10) - 4.5; /* mean 10, std ~2.887, Q1 7.5, Q3 12.5 */
    trawl_anom_model *m = series_model(x, 100, 1u << TRAWL_ANOM_ZSCORE);
    trawl_anom_channel_info ci;
    assert_true(trawl_anom_channel(m, 0, &ci));
    assert_true(fabs(ci.mean - 10) < 1e-12);
    recs *s = calloc(1, sizeof(*s));
    double sd = ci.std;
    assert_int_equal(trawl_anom_detect_value(m, "v", 0, 0, 10 + 3.1 * sd, keep, s, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_detect_value(m, "v", 0, 1, 10 + 2.9 * sd, keep, s, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_detect_value(m, "v", 0, 2, 10 - 3.5 * sd, keep, s, NULL), TRAWL_OK);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->r[0].what, "outlier-high");
    assert_int_equal(s->r[0].index, 0);
    assert_string_equal(s->r[1].what, "outlier-low");
    assert_true(fabs(s->r[0].threshold - (10 + 3 * sd)) < 1e-9);
    trawl_anom_free(m);
    /* IQR fences at Q1 - 1.5 IQR = 0 and Q3 + 1.5 IQR = 20 (numpy's quartiles) */
    m = series_model(x, 100, 1u << TRAWL_ANOM_IQR);
    assert_true(trawl_anom_channel(m, 0, &ci));
    assert_true(fabs(ci.q1 - 7.5) < 1e-12 && fabs(ci.q3 - 12.5) < 1e-12);
    s->n = 0;
    double probes[] = {19.9, 20.1, 0.1, -0.1};
    for (int i = 0; i < 4; i++)
        trawl_anom_detect_value(m, "v", 0, (uint64_t)i, probes[i], keep, s, NULL);
    assert_int_equal(s->n, 2);
    assert_int_equal(s->r[0].index, 1);
    assert_true(fabs(s->r[0].threshold - 20) < 1e-12);
    assert_int_equal(s->r[1].index, 3);
    trawl_anom_free(m);
    /* fewer than min_samples: no judgement at all */
    m = series_model(x, 9, TRAWL_ANOM_ALL);
    s->n = 0;
    trawl_anom_detect_value(m, "v", 0, 0, 1e9, keep, s, NULL);
    assert_int_equal(s->n, 0);
    trawl_anom_free(m);
    free(s);
}

static void test_oscura_field_mad(void **state)
{
    (void)state;
    /* a field whose values are mostly 100 +- a little, one wild one in the
     * baseline: the mean is dragged, the median and MAD are not */
    double x[41];
    for (int i = 0; i < 40; i++)
        x[i] = 100 + (i % 5) - 2;
    x[40] = 5000;
    trawl_anom_model *m = series_model(x, 41, 1u << TRAWL_ANOM_MZSCORE);
    trawl_anom_channel_info ci;
    assert_true(trawl_anom_channel(m, 0, &ci));
    assert_true(ci.median == 100 && ci.mad == 1);
    recs *s = calloc(1, sizeof(*s));
    trawl_anom_detect_value(m, "v", 0, 0, 106, keep, s, NULL); /* 0.6745 * 6 = 4.05 > 3.5 */
    trawl_anom_detect_value(m, "v", 0, 1, 105, keep, s, NULL); /* 3.37: inside */
    assert_int_equal(s->n, 1);
    assert_int_equal(s->r[0].method, TRAWL_ANOM_MZSCORE);
    free(s);
    trawl_anom_free(m);
}

/* Messages of one flow: a poll every `period` s, `len` bytes, byte 0 = type. */
static size_t make_polls(trawl_anom_msg *m, uint8_t (*buf)[8], size_t n, double period, double t0)
{
    for (size_t i = 0; i < n; i++) {
        buf[i][0] = (uint8_t)(i % 2);
        buf[i][1] = 0x42;
        m[i] = (trawl_anom_msg){{buf[i], 8}, "poll", 0, 0, t0 + (double)i * period, i};
    }
    return n;
}

static void test_oscura_rate_timing_sequence(void **state)
{
    (void)state;
    static uint8_t buf[600][8];
    static trawl_anom_msg m[600];
    make_polls(m, buf, 400, 0.1, 0); /* 10 messages per second, like clockwork */
    trawl_anom_params p = {0};
    p.columns = true;
    trawl_anom_model *a;
    assert_int_equal(trawl_anom_new(&p, &a, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_learn_msgs(a, m, 400, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_finish(a, NULL), TRAWL_OK);
    /* test traffic: a gap (3 s silence), then a burst (40 in 0.1 s), then
     * a 12-byte message */
    size_t n = 0;
    for (int i = 0; i < 50; i++, n++)
        m[n] = (trawl_anom_msg){{buf[n], 8}, "poll", 0, 0, 100 + i * 0.1, n};
    for (int i = 0; i < 40; i++, n++)
        m[n] = (trawl_anom_msg){{buf[n], 8}, "poll", 0, 0, 108 + i * 0.0025, n};
    static uint8_t big[12] = {0, 0x42};
    m[n] = (trawl_anom_msg){{big, 12}, "poll", 0, 0, 108.5, n};
    n++;
    for (int i = 0; i < 30; i++, n++)
        m[n] = (trawl_anom_msg){{buf[n], 8}, "poll", 0, 0, 109 + i * 0.1, n};
    recs *s = calloc(1, sizeof(*s));
    assert_int_equal(trawl_anom_detect_msgs(a, m, n, keep, s, NULL), TRAWL_OK);
    bool gap = false, burst = false, delay = false, early = false, length = false;
    for (size_t i = 0; i < s->n; i++) {
        const rec *r = &s->r[i];
        gap |= r->method == TRAWL_ANOM_RATE && !strcmp(r->what, "gap");
        burst |= r->method == TRAWL_ANOM_RATE && !strcmp(r->what, "burst");
        delay |= r->method == TRAWL_ANOM_TIMING && !strcmp(r->what, "delay") && r->index == 50;
        early |= r->method == TRAWL_ANOM_TIMING && !strcmp(r->what, "early");
        length |= r->method == TRAWL_ANOM_SEQUENCE && !strcmp(r->what, "unseen-length") &&
                  r->index == 90 && r->value == 12;
    }
    assert_true(gap && burst && delay && early && length);
    free(s);
    trawl_anom_free(a);
}

static void test_level_shift(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 11);
    static double x[4000];
    for (int i = 0; i < 4000; i++)
        x[i] = 50 + (double)tu_below(&r, 1000) / 1000.0 - 0.5;
    trawl_anom_model *m = series_model(x, 4000, (1u << TRAWL_ANOM_EWMA) | (1u << TRAWL_ANOM_CUSUM));
    recs *s = calloc(1, sizeof(*s));
    /* in control for 50 samples, then +0.5 (about 1.7 std): each catches it */
    for (int i = 0; i < 100; i++)
        trawl_anom_detect_value(
            m, "v", i, (uint64_t)i,
            50 + (i >= 50 ? 0.5 : 0) + (double)tu_below(&r, 1000) / 1000.0 - 0.5, keep, s, NULL);
    /* each catches the shift within 20 samples; in control at most one
     * false alarm (EWMA and CUSUM at these limits run hundreds of samples
     * between false alarms on average, not forever) */
    size_t before = 0;
    bool ewma_hit = false, cusum_hit = false;
    for (size_t i = 0; i < s->n; i++) {
        const rec *e = &s->r[i];
        if (e->index < 50) {
            before++;
            continue;
        }
        assert_string_equal(e->what, "level-shift-up");
        ewma_hit |= e->method == TRAWL_ANOM_EWMA && e->index < 70;
        cusum_hit |= e->method == TRAWL_ANOM_CUSUM && e->index < 70;
    }
    assert_true(before <= 1);
    assert_true(ewma_hit && cusum_hit);
    free(s);
    trawl_anom_free(m);
}

/* Online mode equals an oracle that learns every prefix from scratch. */
static void test_online_equals_prefix_oracle(void **state)
{
    (void)state;
    tu_rng r;
    tu_seed(&r, 5);
    enum { N = 300, WARM = 20 };
    double x[N];
    for (int i = 0; i < N; i++)
        x[i] = (double)tu_below(&r, 100) + (i % 37 == 0 ? 400 : 0);
    unsigned methods =
        (1u << TRAWL_ANOM_ZSCORE) | (1u << TRAWL_ANOM_MZSCORE) | (1u << TRAWL_ANOM_IQR);
    trawl_anom_params p = {0};
    p.methods = methods;
    p.online = true;
    p.warmup = WARM;
    trawl_anom_model *on;
    assert_int_equal(trawl_anom_new(&p, &on, NULL), TRAWL_OK);
    recs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    for (int i = 0; i < N; i++)
        assert_int_equal(trawl_anom_detect_value(on, "v", i, (uint64_t)i, x[i], keep, a, NULL),
                         TRAWL_OK);
    for (int i = WARM; i < N; i++) {
        trawl_anom_params q = {0};
        q.methods = methods;
        trawl_anom_model *m;
        assert_int_equal(trawl_anom_new(&q, &m, NULL), TRAWL_OK);
        for (int k = 0; k < i; k++)
            trawl_anom_learn_value(m, "v", k, x[k], NULL);
        trawl_anom_finish(m, NULL);
        trawl_anom_detect_value(m, "v", i, (uint64_t)i, x[i], keep, b, NULL);
        trawl_anom_free(m);
    }
    assert_true(a->n > 5);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->r[i].method, b->r[i].method);
        assert_int_equal(a->r[i].index, b->r[i].index);
        assert_string_equal(a->r[i].what, b->r[i].what);
        assert_true(fabs(a->r[i].threshold - b->r[i].threshold) <=
                    1e-9 * fmax(1, fabs(b->r[i].threshold)));
    }
    free(a);
    free(b);
    trawl_anom_free(on);
}

static trawl_anom_model *poll_baseline(trawl_anom_msg *m, uint8_t (*buf)[8])
{
    make_polls(m, buf, 300, 0.05, 0);
    trawl_anom_model *a;
    assert_int_equal(trawl_anom_new(NULL, &a, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_learn_msgs(a, m, 300, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_finish(a, NULL), TRAWL_OK);
    return a;
}

static size_t odd_traffic(trawl_anom_msg *m, uint8_t (*buf)[8])
{
    size_t n = 0;
    for (int i = 0; i < 200; i++, n++) {
        buf[n][0] = (uint8_t)(i % 2 ? (i % 61 == 0 ? 7 : 1) : 0);
        buf[n][1] = i == 120 ? 0x43 : 0x42;
        m[n] = (trawl_anom_msg){{buf[n], 8},
                                "poll",
                                0,
                                0,
                                50 + i * 0.05 + (i > 150 ? 3 : 0) - (i > 60 && i < 80 ? 0.04 : 0),
                                n};
    }
    return n;
}

/* Chunked detection equals one call; a reloaded baseline equals the live one. */
static void test_chunks_and_reload(void **state)
{
    (void)state;
    static uint8_t buf[400][8], tbuf[400][8];
    static trawl_anom_msg m[400], t[400];
    trawl_anom_model *a = poll_baseline(m, buf);
    size_t n = odd_traffic(t, tbuf);
    recs *one = calloc(1, sizeof(*one)), *chunked = calloc(1, sizeof(*chunked)),
         *reloaded = calloc(1, sizeof(*reloaded));
    assert_int_equal(trawl_anom_detect_msgs(a, t, n, keep, one, NULL), TRAWL_OK);
    trawl_anom_flush(a, keep, one, NULL);
    assert_true(one->n >= 3);
    for (size_t i = 0; i < n;) {
        size_t k = 1 + (i * 7) % 13;
        k = i + k > n ? n - i : k;
        assert_int_equal(trawl_anom_detect_msgs(a, t + i, k, keep, chunked, NULL), TRAWL_OK);
        i += k;
    }
    trawl_anom_flush(a, keep, chunked, NULL);
    assert_int_equal(one->n, chunked->n);
    for (size_t i = 0; i < one->n; i++)
        assert_memory_equal(&one->r[i], &chunked->r[i], sizeof(rec));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(trawl_anom_save(a, f, NULL), TRAWL_OK);
    fclose(f);
    trawl_anom_model *b;
    trawl_error err;
    assert_int_equal(trawl_anom_load(text, len, NULL, &b, &err), TRAWL_OK);
    assert_int_equal(trawl_anom_detect_msgs(b, t, n, keep, reloaded, NULL), TRAWL_OK);
    assert_int_equal(one->n, reloaded->n);
    for (size_t i = 0; i < one->n; i++)
        assert_memory_equal(&one->r[i], &reloaded->r[i], sizeof(rec));
    /* damage: a bad number in a chan line is named by line and column */
    char *bad = strdup(text);
    char *line3 = strstr(bad, "\nchan ");
    assert_non_null(line3);
    line3[8] = 'x';
    int lineno = 1;
    for (char *p = bad; p <= line3; p++)
        lineno += *p == '\n';
    trawl_anom_model *c = (trawl_anom_model *)1;
    assert_int_equal(trawl_anom_load(bad, strlen(bad), NULL, &c, &err), TRAWL_EFORMAT);
    assert_null(c);
    assert_int_equal(err.line, lineno);
    assert_true(err.column > 0);
    free(bad);
    assert_int_equal(trawl_anom_load("trawl-anomaly-baseline 2\n", 25, NULL, &c, &err),
                     TRAWL_EVERSION);
    free(text);
    free(one);
    free(chunked);
    free(reloaded);
    trawl_anom_free(a);
    trawl_anom_free(b);
}

static void test_table(void **state)
{
    (void)state;
    static const char csv[] = "t;temp;\"pres sure\"\n0;20.5;1013\n1;;1012\n2;21;\"1011\"\n";
    const char *cols[] = {"pres sure"};
    trawl_anom_table *t;
    assert_int_equal(trawl_anom_table_parse(csv, sizeof(csv) - 1, "t", NULL, 0, &t, NULL),
                     TRAWL_OK);
    assert_int_equal(trawl_anom_table_rows(t), 3);
    assert_int_equal(trawl_anom_table_columns(t), 2);
    double tm, v;
    assert_false(trawl_anom_table_get(t, 1, 0, &tm, &v)); /* empty cell */
    assert_true(trawl_anom_table_get(t, 2, 1, &tm, &v));
    assert_true(tm == 2 && v == 1011);
    trawl_anom_table_free(t);
    assert_int_equal(trawl_anom_table_parse(csv, sizeof(csv) - 1, "t", cols, 1, &t, NULL),
                     TRAWL_OK);
    assert_int_equal(trawl_anom_table_columns(t), 1);
    assert_string_equal(trawl_anom_table_column(t, 0), "pres sure");
    trawl_anom_table_free(t);
    trawl_error err;
    static const char bad[] = "t,x\n0,1\n1,abc\n";
    assert_int_equal(trawl_anom_table_parse(bad, sizeof(bad) - 1, "t", NULL, 0, &t, &err),
                     TRAWL_EFORMAT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    assert_int_equal(trawl_anom_table_parse(bad, sizeof(bad) - 1, "time", NULL, 0, &t, &err),
                     TRAWL_EFORMAT);
    assert_int_equal(err.line, 1);
    static const char jl[] =
        "{\"ts\": 1.5, \"a\": 2, \"b\": \"3\"}\n\n{\"ts\": 2.5, \"a\": null}\n";
    assert_int_equal(trawl_anom_table_parse(jl, sizeof(jl) - 1, "ts", NULL, 0, &t, NULL), TRAWL_OK);
    assert_int_equal(trawl_anom_table_rows(t), 2);
    assert_int_equal(trawl_anom_table_columns(t), 2);
    assert_true(trawl_anom_table_get(t, 0, 1, &tm, &v) && tm == 1.5 && v == 3);
    assert_false(trawl_anom_table_get(t, 1, 0, &tm, &v));
    trawl_anom_table_free(t);
    static const char badj[] = "{\"ts\": 1}\n{\"ts\": 2, \"a\": [1]}\n{oops\n";
    assert_int_equal(trawl_anom_table_parse(badj, sizeof(badj) - 1, "ts", NULL, 0, &t, &err),
                     TRAWL_EFORMAT);
    assert_int_equal(err.line, 3);
    unsigned mask;
    assert_int_equal(trawl_anom_methods_parse("zscore,iqr", &mask, NULL), TRAWL_OK);
    assert_int_equal(mask, (1u << TRAWL_ANOM_ZSCORE) | (1u << TRAWL_ANOM_IQR));
    assert_int_equal(trawl_anom_methods_parse("zscore,bogus", &mask, &err), TRAWL_EINVAL);
    assert_int_equal(err.column, 8);
    trawl_anom_params p = {0};
    p.ewma_lambda = 2;
    trawl_anom_model *m;
    assert_int_equal(trawl_anom_new(&p, &m, &err), TRAWL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oscura_zscore_iqr),
        cmocka_unit_test(test_oscura_field_mad),
        cmocka_unit_test(test_oscura_rate_timing_sequence),
        cmocka_unit_test(test_level_shift),
        cmocka_unit_test(test_online_equals_prefix_oracle),
        cmocka_unit_test(test_chunks_and_reload),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
