/* bench_detect_prompt.c -- latency of the prompt-injection detector per call
 * on 1 KB prompts, through the public engine API (trawl_detect_run with only
 * prompt_injection selected), one thread.
 *
 * Prompts: real texts of ../shared/data/prompts/{dev,train}.jsonl (benign
 * and injection rows in file order) concatenated and cut into 1,024-byte
 * prompts at a UTF-8 boundary; when the data is absent, generated English-
 * like text from a fixed seed. Every call is timed on its own; the median and
 * the 99th percentile of BENCH_RUNS passes over the prompts are printed with
 * the original Python target (15 ms per prompt) and ours (20 us). The engine
 * build (rule pack compile) is timed separately: it happens once. */
#include "benchutil.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

#define PROMPT_BYTES       1024
#define MAX_PROMPTS        4000
#define ORIGINAL_TARGET_US 15000.0
#define OUR_TARGET_US      20.0

static char *prompts[MAX_PROMPTS];
static size_t n_prompts;

/* Appends text to the pending buffer; emits 1 KB prompts as it fills. */
static void feed(char *pend, size_t *plen, const char *text)
{
    for (const char *p = text; *p && n_prompts < MAX_PROMPTS;) {
        size_t room = PROMPT_BYTES - *plen, n = strlen(p);
        size_t k = n < room ? n : room;
        while (k && k < n && ((unsigned char)p[k] & 0xC0) == 0x80)
            k--; /* do not cut a UTF-8 sequence */
        memcpy(pend + *plen, p, k);
        *plen += k;
        p += k;
        if (*plen + 1 < PROMPT_BYTES && !*p) {
            pend[(*plen)++] = '\n';
            break;
        }
        pend[*plen] = 0;
        prompts[n_prompts++] = strdup(pend);
        *plen = 0;
        if (k == 0)
            p++; /* a sequence that does not fit the room left: drop a byte */
    }
}

static int load_dataset(void)
{
    const char *dir = getenv("TRAWL_SHARED_DATA");
    static const char *const guesses[] = {"../shared/data", "../../shared/data"};
    char path[1024];
    char pend[PROMPT_BYTES + 1];
    size_t plen = 0;
    for (int g = -1; g < 2 && !n_prompts; g++) {
        const char *d = g < 0 ? dir : guesses[g];
        if (!d)
            continue;
        for (int f = 0; f < 2; f++) {
            snprintf(path, sizeof path, "%s/prompts/%s", d, f ? "train.jsonl" : "dev.jsonl");
            FILE *fp = fopen(path, "r");
            if (!fp)
                continue;
            char *line = NULL;
            size_t cap = 0;
            while (getline(&line, &cap, fp) > 0 && n_prompts < MAX_PROMPTS) {
                cJSON *j = cJSON_Parse(line);
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
                if (cJSON_IsString(t))
                    feed(pend, &plen, t->valuestring);
                cJSON_Delete(j);
            }
            free(line);
            fclose(fp);
        }
    }
    return n_prompts ? 0 : -1;
}

static void generate(void)
{
    static const char *const words[] = {
        "the",    "model", "please", "write",   "a",        "short",   "story",  "about",
        "data",   "and",   "how",    "to",      "explain",  "network", "packet", "capture",
        "should", "we",    "use",    "python",  "function", "returns", "list",   "of",
        "values", "given", "input",  "summary", "report",   "budget",  "team",   "meeting"};
    uint8_t *r = bu_random_bytes(MAX_PROMPTS * 256, 7);
    size_t ri = 0;
    for (; n_prompts < 2000; n_prompts++) {
        char *p = malloc(PROMPT_BYTES + 1);
        size_t n = 0;
        while (n < PROMPT_BYTES - 16) {
            const char *w = words[r[ri++ % (MAX_PROMPTS * 256)] % 32];
            size_t k = strlen(w);
            memcpy(p + n, w, k);
            n += k;
            p[n++] = ri % 13 ? ' ' : '.';
        }
        memset(p + n, ' ', PROMPT_BYTES - n);
        p[PROMPT_BYTES] = 0;
        prompts[n_prompts] = p;
    }
    free(r);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    const char *source = "../shared/data/prompts (dev+train, 1 KB slices)";
    if (load_dataset() != 0) {
        source = "generated text (shared data absent)";
        generate();
    }
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    double t0 = bu_now();
    if (trawl_detect_engine_new(NULL, 0, &e, &err) != TRAWL_OK) {
        fprintf(stderr, "engine: %s\n", err.message);
        return 2;
    }
    double build_ms = (bu_now() - t0) * 1e3;
    if (!(trawl_detect_engine_enabled(e) & TRAWL_DET_PROMPT_INJECTION) ||
        trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK) {
        fprintf(stderr, "prompt_injection is not available\n");
        return 2;
    }
    int runs = bu_runs();
    size_t total = (size_t)runs * n_prompts;
    double *lat = malloc(total * sizeof(*lat));
    size_t k = 0, flagged = 0;
    for (int r = 0; r < runs + 1; r++) /* the first pass warms caches and is not kept */
        for (size_t i = 0; i < n_prompts; i++) {
            trawl_detect_input in = {0};
            in.prompt = prompts[i];
            in.prompt_len = strlen(prompts[i]);
            trawl_detect_report *rep;
            double a = bu_now();
            if (trawl_detect_run(e, c, &in, TRAWL_DET_PROMPT_INJECTION, &rep, &err) != TRAWL_OK) {
                fprintf(stderr, "run: %s\n", err.message);
                return 2;
            }
            double us = (bu_now() - a) * 1e6;
            if (r > 0) {
                lat[k++] = us;
                flagged += rep->threat_score >= 0.5;
            }
            trawl_detect_report_free(rep);
        }
    qsort(lat, k, sizeof(*lat), cmp);
    double med = lat[k / 2], p99 = lat[(size_t)((double)k * 0.99)], mean = 0;
    for (size_t i = 0; i < k; i++)
        mean += lat[i];
    mean /= (double)k;
    printf("prompt_injection on %zu prompts of %d bytes from %s, %d runs\n", n_prompts,
           PROMPT_BYTES, source, runs);
    printf("  engine build (rule pack compile, once): %.0f ms\n", build_ms);
    printf("  per call: median %.1f us  p99 %.1f us  mean %.1f us  (%.0f%% of calls flagged)\n",
           med, p99, mean, 100.0 * (double)flagged / (double)k);
    printf("  original target %.0f us (15 ms): median is %.0fx under it\n", ORIGINAL_TARGET_US,
           ORIGINAL_TARGET_US / med);
    printf("  our target <= %.0f us per 1 KB prompt: median %s, p99 %s\n", OUR_TARGET_US,
           med <= OUR_TARGET_US ? "met" : "NOT met", p99 <= OUR_TARGET_US ? "met" : "NOT met");
    printf("  throughput %.1f MB/s of prompt text; peak RSS %.1f MiB\n", (double)PROMPT_BYTES / med,
           bu_peak_rss_mib());
    free(lat);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    for (size_t i = 0; i < n_prompts; i++)
        free(prompts[i]);
    return 0;
}
