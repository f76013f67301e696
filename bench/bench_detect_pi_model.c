/* bench_detect_pi_model.c -- latency of the prompt-injection model tier
 * (src/detect/prompt_injection/pi_model.h): the int8 classifier alone on 1 KB normalised
 * texts, one at a time and in batches of 32, and the detector with and
 * without it through the public API (trawl_detect_run, and
 * trawl_detect_run_batch on 32 inputs).
 *
 * Texts: ../shared/data/prompts/{dev,train}.jsonl concatenated and cut into
 * 1,024-byte slices (whole UTF-8 sequences); generated words when the data
 * is absent. Medians and p99 over BENCH_RUNS passes; the first pass warms
 * up and is not kept. */
#include "benchutil.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

#include "detect/models.h"
#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/pi_model.h"

#define SLICE 1024
#define MAXN  2048
#define BATCH 32

static char *texts[MAXN];
static size_t n_texts;

static void add_slices(const char *s, char *pend, size_t *plen)
{
    for (; *s && n_texts < MAXN; s++) {
        if (*plen >= SLICE - 4 && ((unsigned char)*s & 0xC0) != 0x80) {
            pend[*plen] = 0;
            texts[n_texts++] = strdup(pend);
            *plen = 0;
        }
        pend[(*plen)++] = *s;
    }
    if (*plen < SLICE - 4)
        pend[(*plen)++] = '\n';
}

static const char *load(void)
{
    const char *dir = getenv("TRAWL_SHARED_DATA");
    char path[1024], pend[SLICE + 8];
    size_t plen = 0;
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/prompts/%s", dir ? dir : "../shared/data",
                 f ? "train.jsonl" : "dev.jsonl");
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, fp) > 0 && n_texts < MAXN) {
            cJSON *j = cJSON_Parse(line);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
            if (cJSON_IsString(t))
                add_slices(t->valuestring, pend, &plen);
            cJSON_Delete(j);
        }
        free(line);
        fclose(fp);
    }
    if (n_texts)
        return "../shared/data/prompts (dev+train, 1 KB slices)";
    static const char *const w[] = {"please", "write",   "a",      "short",    "story", "about",
                                    "the",    "network", "ignore", "previous", "data",  "team"};
    uint8_t *r = bu_random_bytes(MAXN * SLICE, 11);
    for (size_t i = 0, k = 0; i < 1000; i++) {
        char *p = malloc(SLICE + 16);
        size_t n = 0;
        while (n < SLICE - 10) {
            const char *x = w[r[k++] % 12];
            n += (size_t)sprintf(p + n, "%s ", x);
        }
        texts[n_texts++] = p;
    }
    free(r);
    return "generated words (shared data absent)";
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *what, double *v, size_t n, double per)
{
    qsort(v, n, sizeof(*v), cmp);
    printf("  %-44s median %8.2f us  p99 %8.2f us", what, v[n / 2], v[(size_t)((double)n * 0.99)]);
    if (per > 1)
        printf("  (%.2f us per text)", v[n / 2] / per);
    printf("\n");
}

static trawl_detect_engine *engine(const char *cfg)
{
    trawl_detect_engine *e;
    trawl_error err;
    if (trawl_detect_engine_new(cfg, strlen(cfg), &e, &err) != TRAWL_OK) {
        fprintf(stderr, "engine: %s\n", err.message);
        exit(2);
    }
    return e;
}

int main(void)
{
    const char *src = load();
    int runs = bu_runs();
    const det_model_blob *b = det_models_find("prompt_injection");
    pi_model *m;
    trawl_error err;
    if (!b || pi_model_load(b->bytes, b->len, &m, &err) != TRAWL_OK) {
        fprintf(stderr, "no model\n");
        return 2;
    }
    /* the normalised views, as the detector hands them to the model */
    pi_text *nt = calloc(n_texts, sizeof(*nt));
    const uint8_t **ptr = malloc(n_texts * sizeof(*ptr));
    size_t *len = malloc(n_texts * sizeof(*len));
    for (size_t i = 0; i < n_texts; i++) {
        pi_norm_stats ns = {.first_invisible = -1};
        size_t l = strlen(texts[i]);
        pi_normalize(&nt[i], (const uint8_t *)texts[i], l, 0, NULL, &ns, l);
        ptr[i] = nt[i].s;
        len[i] = nt[i].len;
    }
    printf("prompt_injection model %s (%zu bytes) on %zu texts of %d bytes from %s, %d runs\n",
           pi_model_name(m), b->len, n_texts, SLICE, src, runs);
    size_t nb = n_texts / BATCH;
    double *v = malloc((size_t)runs * n_texts * sizeof(double));
    double p[BATCH], sink = 0;
    size_t k = 0;
    for (int r = 0; r <= runs; r++)
        for (size_t i = 0; i < n_texts; i++) {
            double a = bu_now();
            sink += pi_model_score1(m, ptr[i], len[i]);
            if (r)
                v[k++] = (bu_now() - a) * 1e6;
        }
    stats("model, one 1 KB text", v, k, 1);
    k = 0;
    for (int r = 0; r <= runs; r++)
        for (size_t i = 0; i < nb; i++) {
            double a = bu_now();
            pi_model_score_batch(m, ptr + i * BATCH, len + i * BATCH, BATCH, p);
            if (r)
                v[k++] = (bu_now() - a) * 1e6;
            sink += p[0];
        }
    stats("model, batch of 32 texts", v, k, BATCH);

    /* the detector, through the public API */
    trawl_detect_engine *on = engine("[prompt_injection]\nmodel = true\n"),
                        *off = engine("[prompt_injection]\nmodel = false\n");
    trawl_detect_ctx *con, *coff;
    trawl_detect_ctx_new(on, &con, &err);
    trawl_detect_ctx_new(off, &coff, &err);
    trawl_detect_input *in = calloc(n_texts, sizeof(*in));
    const trawl_detect_input **inp = malloc(n_texts * sizeof(*inp));
    for (size_t i = 0; i < n_texts; i++) {
        in[i].prompt = texts[i];
        in[i].prompt_len = strlen(texts[i]);
        inp[i] = &in[i];
    }
    for (int pass = 0; pass < 2; pass++) {
        trawl_detect_engine *e = pass ? on : off;
        trawl_detect_ctx *c = pass ? con : coff;
        k = 0;
        for (int r = 0; r <= runs; r++)
            for (size_t i = 0; i < n_texts; i++) {
                trawl_detect_report *rep;
                double a = bu_now();
                trawl_detect_run(e, c, &in[i], TRAWL_DET_PROMPT_INJECTION, &rep, &err);
                if (r)
                    v[k++] = (bu_now() - a) * 1e6;
                trawl_detect_report_free(rep);
            }
        stats(pass ? "detector, tier 1 + model, one call" : "detector, tier 1 alone, one call", v,
              k, 1);
    }
    k = 0;
    trawl_detect_report *reps[BATCH];
    for (int r = 0; r <= runs; r++)
        for (size_t i = 0; i < nb; i++) {
            double a = bu_now();
            trawl_detect_run_batch(on, con, inp + i * BATCH, BATCH, TRAWL_DET_PROMPT_INJECTION,
                                   reps, &err);
            if (r)
                v[k++] = (bu_now() - a) * 1e6;
            for (int j = 0; j < BATCH; j++)
                trawl_detect_report_free(reps[j]);
        }
    stats("detector, tier 1 + model, run_batch of 32", v, k, BATCH);
    printf("  (checksum %.3f; peak RSS %.1f MiB)\n", sink, bu_peak_rss_mib());
    trawl_detect_ctx_free(con);
    trawl_detect_ctx_free(coff);
    trawl_detect_engine_free(on);
    trawl_detect_engine_free(off);
    pi_model_free(m);
    return 0;
}
