/* test_infer_eval.c -- format inference against truth: boundary F1 floors
 * on generated protocols (the generator's truth is the oracle), on the two
 * captures kept in tests/data, and on every capture of ../shared/data/pcap
 * when it is there. The floors are the figures measured when they were set,
 * less a small margin: a change that loses more fails here. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/infer.h>

typedef struct fmap {
    const trawl_infer_result *r;
    const trawl_infer_input *in;
    size_t n;
} fmap;

static const uint32_t *bounds_of(void *ud, uint64_t frame, size_t *nb)
{
    fmap *m = ud;
    for (size_t i = 0; i < m->n; i++)
        if (trawl_infer_input_frame(m->in, i) == frame)
            return trawl_infer_msg_bounds(m->r, i, nb, NULL);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Infers the capture and scores it against the truth text. */
static trawl_infer_score score_capture(trawl_infer_input *in, const char *truth, size_t tlen)
{
    size_t n;
    const trawl_infer_msg *m = trawl_infer_input_msgs(in, &n);
    trawl_infer_result *r;
    assert_int_equal(trawl_infer_run(m, n, NULL, &r, NULL), TRAWL_OK);
    trawl_infer_truth *t;
    assert_int_equal(trawl_infer_truth_parse(truth, tlen, &t, NULL), TRAWL_OK);
    fmap fm = {r, in, n};
    trawl_infer_score s;
    assert_int_equal(trawl_infer_score_truth(t, bounds_of, &fm, &s, NULL), TRAWL_OK);
    trawl_infer_truth_free(t);
    trawl_infer_result_free(r);
    return s;
}

static double score_files(const char *pcap, const char *fields)
{
    size_t tlen;
    char *truth = slurp(fields, &tlen);
    if (!truth)
        return -1;
    trawl_infer_input *in;
    assert_int_equal(trawl_infer_input_pcap(pcap, &in, NULL), TRAWL_OK);
    trawl_infer_score s = score_capture(in, truth, tlen);
    trawl_infer_input_free(in);
    free(truth);
    return s.f1;
}

static void test_generated(void **state)
{
    (void)state;
    double sum = 0;
    const int N = 20;
    for (int seed = 1; seed <= N; seed++) {
        uint8_t *pcap;
        char *truth;
        size_t pl, tl;
        assert_int_equal(trawl_infer_generate((uint64_t)seed, 200, &pcap, &pl, &truth, &tl, NULL),
                         TRAWL_OK);
        char path[] = "/tmp/trawl-infer-gen-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "wb");
        assert_int_equal(fwrite(pcap, 1, pl, f), pl);
        fclose(f);
        trawl_infer_input *in;
        assert_int_equal(trawl_infer_input_pcap(path, &in, NULL), TRAWL_OK);
        remove(path);
        size_t n;
        trawl_infer_input_msgs(in, &n);
        assert_int_equal(n, 200);
        trawl_infer_score s = score_capture(in, truth, tl);
        sum += s.f1;
        trawl_infer_input_free(in);
        free(pcap);
        free(truth);
    }
    double mean = sum / N;
    print_message("generated protocols: mean boundary F1 %.3f over %d\n", mean, N);
    assert_true(mean >= 0.67);
}

static void test_repo_captures(void **state)
{
    (void)state;
    double m = score_files("tests/data/modbus_test_data_part1.pcap",
                           "tests/data/infer/modbus_test_data_part1.fields.jsonl");
    double b =
        score_files("tests/data/bacnet_test.pcap", "tests/data/infer/bacnet_test.fields.jsonl");
    print_message("modbus_test_data_part1 F1 %.3f, bacnet_test F1 %.3f\n", m, b);
    assert_true(m >= 0.88);
    assert_true(b >= 0.73);
}

static void test_shared_captures(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    if (!d) {
        print_message("../shared/data absent: shared-capture floors skipped\n");
        skip();
    }
    static const struct {
        const char *name;
        double floor;
    } caps[] = {
        {"EIP-ChangeDateAttempt", 0.76},
        {"bacnet_test", 0.73},
        {"dnp3_test_data_part1", 0.82},
        {"enip_test", 0.72},
        {"modbusSmall", 0.70},
        {"modbus_test_data_part1", 0.90},
        {"s7comm_downloading_block_db1", 0.68},
        {"s7comm_reading_plc_status", 0.76},
    };
    double sum = 0;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char p[1024], t[1024];
        snprintf(p, sizeof p, "%s/pcap/%s.pcap", d, caps[i].name);
        snprintf(t, sizeof t, "%s/pcap/%s.fields.jsonl", d, caps[i].name);
        double f1 = score_files(p, t);
        print_message("%-30s F1 %.3f (floor %.2f)\n", caps[i].name, f1, caps[i].floor);
        assert_true(f1 >= caps[i].floor);
        sum += f1;
    }
    print_message("mean F1 %.3f\n", sum / 8);
    assert_true(sum / 8 >= 0.79);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_repo_captures),
        cmocka_unit_test(test_shared_captures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
