/* bench_model.c -- the learned tier's cost per 1 KB prompt: each stored
 * form of the model (f32, int8, int4, row-pruned 30/50/90 %) pooling and
 * scoring alone, and the prompt detector with the learned tier off and on,
 * on 1 KB slices of ../shared/data/prompts (dev + train). Medians of 5
 * passes; the model forms come from models/prompt_injection.tmodel.
 *
 *   bench_model [SLICES]      (default 2048) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/detect.h>
#include <trawl/model.h>

#include "benchutil.h"
#include "detect/models.h"

#define SLICE 1024

static char **slices(size_t want, size_t *got)
{
    const char *files[] = {"../shared/data/prompts/dev.jsonl",
                           "../shared/data/prompts/train.jsonl"};
    char *all = NULL;
    size_t n = 0;
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "rb");
        if (!fp)
            continue;
        char buf[1 << 16];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, fp)) > 0) {
            all = realloc(all, n + k);
            memcpy(all + n, buf, k);
            n += k;
        }
        fclose(fp);
    }
    char **s = calloc(want, sizeof(char *));
    *got = 0;
    for (size_t i = 0; i < want && (i + 1) * SLICE <= n; i++) {
        s[i] = malloc(SLICE + 1);
        memcpy(s[i], all + i * SLICE, SLICE);
        s[i][SLICE] = 0;
        for (size_t j = 0; j < SLICE; j++) /* a stand-in for the normaliser's case fold */
            if (s[i][j] >= 'A' && s[i][j] <= 'Z')
                s[i][j] = (char)(s[i][j] + 32);
        (*got)++;
    }
    free(all);
    return s;
}

static double time_model(const trawl_model *m, char **s, size_t n)
{
    double runs[5];
    float dense[TRAWL_MODEL_MAX_DENSE] = {0};
    volatile double sink = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = bu_now();
        for (size_t i = 0; i < n; i++)
            sink += trawl_model_score(m, (const uint8_t *)s[i], SLICE, dense);
        runs[r] = (bu_now() - t0) / (double)n * 1e6;
    }
    (void)sink;
    return bu_median(runs, 5);
}

static double time_detect(const char *cfg, char **s, size_t n)
{
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    if (trawl_detect_engine_new(cfg, strlen(cfg), &e, &err) || trawl_detect_ctx_new(e, &c, &err)) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    double runs[5];
    for (int r = 0; r < 5; r++) {
        double t0 = bu_now();
        for (size_t i = 0; i < n; i++) {
            trawl_detect_input in = {.prompt = s[i], .prompt_len = SLICE};
            trawl_detect_report *rep;
            trawl_detect_run(e, c, &in, TRAWL_DET_PROMPT_INJECTION, &rep, &err);
            trawl_detect_report_free(rep);
        }
        runs[r] = (bu_now() - t0) / (double)n * 1e6;
    }
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return bu_median(runs, 5);
}

int main(int argc, char **argv)
{
    size_t want = argc > 1 ? (size_t)atol(argv[1]) : 2048, n;
    char **s = slices(want, &n);
    if (!n) {
        printf("bench_model: ../shared/data/prompts absent; nothing to measure\n");
        return 0;
    }
    const det_model_blob *b = det_models_find("prompt_injection");
    trawl_model *base;
    trawl_error err;
    if (!b || trawl_model_load(b->bytes, b->len, &base, &err)) {
        fprintf(stderr, "no model built in\n");
        return 2;
    }
    struct {
        const char *what;
        trawl_model_format f;
        double prune;
    } forms[] = {{"f32", TRAWL_MODEL_F32, 0},
                 {"int8 (shipped)", TRAWL_MODEL_INT8, 0},
                 {"int4", TRAWL_MODEL_INT4, 0},
                 {"int8, 30% rows pruned", TRAWL_MODEL_INT8, 0.3},
                 {"int8, 50% rows pruned", TRAWL_MODEL_INT8, 0.5},
                 {"int8, 90% rows pruned", TRAWL_MODEL_INT8, 0.9}};
    printf(
        "learned tier on %zu slices of %d bytes from ../shared/data/prompts, median of 5 passes\n",
        n, SLICE);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        trawl_model_convert_opts o = {.format = forms[i].f, .prune = forms[i].prune};
        uint8_t *f;
        size_t fl;
        trawl_model *m;
        if (trawl_model_convert(base, &o, &f, &fl, &err) || trawl_model_load(f, fl, &m, &err))
            return 2;
        printf("  model %-24s %8zu bytes  %6.2f us per prompt\n", forms[i].what, fl,
               time_model(m, s, n));
        trawl_model_free(m);
        free(f);
    }
    double off = time_detect("[prompt_injection]\nmodel = false\n", s, n);
    double on = time_detect("[prompt_injection]\nmodel = true\n", s, n);
    printf("  detector, rules only      %6.2f us per prompt\n", off);
    printf("  detector, learned tier on %6.2f us per prompt (target <= 25 us: %s)\n", on,
           on <= 25 ? "met" : "NOT met");
    trawl_model_free(base);
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
    return 0;
}
