/* fuzz_prompt.c -- the whole prompt-injection detector on arbitrary bytes as
 * the prompt, a query and one history turn: every view (normalised, leet,
 * rot13, tags, decoded runs) with its sixteen-bytes-at-a-time scanners,
 * the rules, the evidence lines, the report JSON. The threat score must lie
 * in [0, 1] and the report must serialise. The split points come from the
 * first bytes so that the fuzzer can move them; an odd first byte runs the
 * detector with the learned tier on (pooling, the script counts of raw
 * bytes, abstention, the explanation of a flagged input). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/trawl.h>

static trawl_detect_engine *engine, *model_engine;
static trawl_detect_ctx *ctx, *model_ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_error err;
    if (!engine && (trawl_detect_engine_new(NULL, 0, &engine, &err) != TRAWL_OK ||
                    trawl_detect_ctx_new(engine, &ctx, &err) != TRAWL_OK))
        abort();
    static const char on[] = "[prompt_injection]\nmodel = true\n";
    if (!model_engine &&
        (trawl_detect_engine_new(on, sizeof on - 1, &model_engine, &err) != TRAWL_OK ||
         trawl_detect_ctx_new(model_engine, &model_ctx, &err) != TRAWL_OK))
        abort();
    if (size < 2 || size > (1u << 16))
        return 0;
    /* prompt = [2, a), query = [a, b) as a C string, history[0] = [b, size) */
    size_t body = size - 2, a = 2 + data[0] * body / 255, b = a + data[1] * (size - a) / 255;
    char *q = malloc(b - a + 1), *h = malloc(size - b + 1);
    uint8_t *p = malloc(a - 2 + 1); /* the prompt is not terminated: an exact-size buffer */
    if (!q || !h || !p)
        abort();
    memcpy(p, data + 2, a - 2);
    memcpy(q, data + a, b - a);
    q[b - a] = 0;
    memcpy(h, data + b, size - b);
    h[size - b] = 0;
    char *hist[1] = {h};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.prompt = (char *)p;
    in.prompt_len = a - 2;
    in.query = q;
    in.history = hist;
    in.n_history = 1;
    trawl_detect_report *r;
    bool model = data[0] & 1;
    if (trawl_detect_run(model ? model_engine : engine, model ? model_ctx : ctx, &in,
                         TRAWL_DET_PROMPT_INJECTION, &r, &err) != TRAWL_OK)
        abort();
    if (!(r->threat_score >= 0 && r->threat_score <= 1))
        abort();
    char *json = trawl_detect_report_json(r);
    if (!json)
        abort();
    free(json);
    trawl_detect_report_free(r);
    free(p);
    free(q);
    free(h);
    return 0;
}
