/* test_analyze_messages.c -- clustering the payloads of the eight real ICS
 * captures by their true message type (tests/data/analyze/NAME.types.tsv,
 * derived from Wireshark's dissection by gen_types.py): homogeneity,
 * completeness and V-measure per capture, for several metric / linkage
 * pairs cut at the true number of types; each V-measure is pinned (a
 * result 0.02 below the measured one fails). The measures themselves are
 * checked against scikit-learn's homogeneity_completeness_v_measure. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/analyze.h>

#include "oracle.h"

static const char *const CAPTURES[] = {
    "modbusSmall",
    "modbus_test_data_part1",
    "dnp3_test_data_part1",
    "bacnet_test",
    "s7comm_downloading_block_db1",
    "s7comm_reading_plc_status",
    "EIP-ChangeDateAttempt",
    "enip_test",
};
enum { NCAP = sizeof CAPTURES / sizeof CAPTURES[0] };

/* V-measure measured for each capture (rows, as CAPTURES) and
 * configuration (columns, as CONFIGS below); a result more than 0.02 below
 * fails. */
static const double PINNED_V[][5] = {
    {0.720, 0.720, 0.720, 0.720, 0.893}, {0.914, 0.914, 0.914, 0.884, 0.884},
    {0.149, 0.149, 0.149, 1.000, 0.557}, {0.616, 0.616, 0.883, 0.682, 0.861},
    {0.918, 0.918, 0.918, 0.902, 0.924}, {0.806, 0.735, 0.817, 0.901, 0.774},
    {0.924, 0.924, 0.924, 0.924, 0.870}, {1.000, 1.000, 1.000, 1.000, 1.000},
};

typedef struct capture {
    trawl_span *m;
    int32_t *truth;
    size_t n, types;
    uint8_t *bytes;
} capture;

static int load(const char *name, capture *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/analyze/%s.types.tsv", name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t cap = 1024;
    c->m = malloc(cap * sizeof(*c->m));
    c->truth = malloc(cap * sizeof(*c->truth));
    c->bytes = malloc(1 << 20);
    char **names = malloc(cap * sizeof(*names));
    size_t used = 0;
    c->n = c->types = 0;
    char line[70000];
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        size_t t = 0;
        while (t < c->types && strcmp(names[t], line))
            t++;
        if (t == c->types)
            names[c->types++] = strdup(line);
        char *hex = tab + 1;
        hex[strcspn(hex, "\r\n")] = 0;
        long len = tu_unhex(hex, c->bytes + used, (1 << 20) - used);
        assert_true(len >= 0);
        c->m[c->n] = (trawl_span){c->bytes + used, (size_t)len};
        c->truth[c->n++] = (int32_t)t;
        used += (size_t)len;
        assert_true(c->n < cap);
    }
    fclose(f);
    for (size_t t = 0; t < c->types; t++)
        free(names[t]);
    free(names);
    return 0;
}

/* Rosenberg and Hirschberg's measures from the contingency table:
 * h = 1 - H(C|K) / H(C), c = 1 - H(K|C) / H(K), v their harmonic mean;
 * 1 where a denominator entropy is 0 (scikit-learn's convention). */
static void measures(const int32_t *truth, const int32_t *pred, size_t n, double *h, double *c,
                     double *v)
{
    int32_t tmax = 0, pmax = 0;
    for (size_t i = 0; i < n; i++) {
        tmax = truth[i] > tmax ? truth[i] : tmax;
        pmax = pred[i] > pmax ? pred[i] : pmax;
    }
    size_t T = (size_t)tmax + 1, K = (size_t)pmax + 1;
    double *a = calloc(T * K, sizeof(double)), *rt = calloc(T, sizeof(double)),
           *rk = calloc(K, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        a[(size_t)truth[i] * K + (size_t)pred[i]] += 1;
        rt[truth[i]] += 1;
        rk[pred[i]] += 1;
    }
    double N = (double)n, hc = 0, hk = 0, hck = 0, hkc = 0;
    for (size_t t = 0; t < T; t++)
        if (rt[t] > 0)
            hc -= rt[t] / N * log(rt[t] / N);
    for (size_t k = 0; k < K; k++)
        if (rk[k] > 0)
            hk -= rk[k] / N * log(rk[k] / N);
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < K; k++) {
            double x = a[t * K + k];
            if (x > 0) {
                hck -= x / N * log(x / rk[k]);
                hkc -= x / N * log(x / rt[t]);
            }
        }
    *h = hc > 0 ? 1 - hck / hc : 1;
    *c = hk > 0 ? 1 - hkc / hk : 1;
    *v = *h + *c > 0 ? 2 * *h * *c / (*h + *c) : 0;
    free(a);
    free(rt);
    free(rk);
}

typedef struct config {
    const char *label;
    trawl_analyze_metric metric;
    trawl_analyze_linkage_method method;
} config;

static const config CONFIGS[] = {
    {"levenshtein/average", TRAWL_ANALYZE_LEVENSHTEIN, TRAWL_ANALYZE_LINK_AVERAGE},
    {"align/average", TRAWL_ANALYZE_ALIGN, TRAWL_ANALYZE_LINK_AVERAGE},
    {"hamming/complete", TRAWL_ANALYZE_HAMMING, TRAWL_ANALYZE_LINK_COMPLETE},
    {"jaccard2/average", TRAWL_ANALYZE_JACCARD, TRAWL_ANALYZE_LINK_AVERAGE},
    {"levenshtein/ward", TRAWL_ANALYZE_LEVENSHTEIN, TRAWL_ANALYZE_LINK_WARD},
};
enum { NCONF = sizeof CONFIGS / sizeof CONFIGS[0] };

static void test_captures(void **state)
{
    (void)state;
    oracle o;
    oracle_open(&o);
    static int32_t *pinned_pred[NCAP];
    static double pinned[NCAP][3];
    static capture caps[NCAP];
    printf("    %-30s %5s %5s  %-20s %6s %6s %6s\n", "capture", "msgs", "types", "config", "homog",
           "compl", "V");
    for (size_t i = 0; i < NCAP; i++) {
        capture *c = &caps[i];
        assert_int_equal(load(CAPTURES[i], c), 0);
        size_t e = (size_t)trawl_analyze_condensed_size(c->n);
        double *D = malloc((e ? e : 1) * sizeof(double));
        double *Z = malloc((c->n ? c->n : 1) * 4 * sizeof(double));
        int32_t *pred = malloc(c->n * sizeof(int32_t));
        for (size_t k = 0; k < NCONF; k++) {
            trawl_analyze_distance_opts dop = {.metric = CONFIGS[k].metric, .threads = 2};
            assert_int_equal(trawl_analyze_distance_matrix(c->m, c->n, &dop, D, NULL), TRAWL_OK);
            assert_int_equal(trawl_analyze_linkage(D, c->n, CONFIGS[k].method, Z, NULL), TRAWL_OK);
            size_t nc;
            assert_int_equal(trawl_analyze_cut_k(Z, c->n, c->types, pred, &nc, NULL), TRAWL_OK);
            double h, cm, v;
            measures(c->truth, pred, c->n, &h, &cm, &v);
            printf("    %-30s %5zu %5zu  %-20s %6.3f %6.3f %6.3f\n", CAPTURES[i], c->n, c->types,
                   CONFIGS[k].label, h, cm, v);
            if (v < PINNED_V[i][k] - 0.02)
                fail_msg("%s %s: V-measure %.3f, pinned %.3f", CAPTURES[i], CONFIGS[k].label, v,
                         PINNED_V[i][k]);
            if (k == 0) {
                pinned_pred[i] = malloc(c->n * sizeof(int32_t));
                memcpy(pinned_pred[i], pred, c->n * sizeof(int32_t));
                pinned[i][0] = h, pinned[i][1] = cm, pinned[i][2] = v;
            }
        }
        char tn[16], pn[16];
        snprintf(tn, sizeof tn, "t%zu", i);
        snprintf(pn, sizeof pn, "p%zu", i);
        oracle_write(&o, tn, c->truth, c->n * sizeof(int32_t));
        oracle_write(&o, pn, pinned_pred[i], c->n * sizeof(int32_t));
        oracle_job(&o, "vmeasure %zu %s %s v%zu", c->n, tn, pn, i);
        free(D);
        free(Z);
        free(pred);
    }
    int rc = oracle_run(&o);
    if (rc != 3) {
        assert_int_equal(rc, 0);
        for (size_t i = 0; i < NCAP; i++) {
            double w[3];
            char vn[16];
            snprintf(vn, sizeof vn, "v%zu", i);
            assert_int_equal(oracle_read(&o, vn, w, sizeof w), 0);
            for (int k = 0; k < 3; k++)
                if (fabs(w[k] - pinned[i][k]) > 1e-9)
                    fail_msg("%s measure %d: %.12f, scikit-learn %.12f", CAPTURES[i], k,
                             pinned[i][k], w[k]);
        }
    }
    oracle_close(&o);
    for (size_t i = 0; i < NCAP; i++) {
        free(pinned_pred[i]);
        free(caps[i].m);
        free(caps[i].truth);
        free(caps[i].bytes);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
