/* fuzz_serve_compat.c -- the gateway translations of `trawl serve`
 * (src/serve/http_compat.c) on hostile requests, without the HTTP layer:
 * LiteLLM's guardrail API, /v2/guard, /analyze/prompt, /v1/screen/chat and
 * /v1/authz's headers go through trawl__compat_translate, the unified input
 * it writes through the strict parser and the detectors, and the report
 * through trawl__compat_answer. Checks what the server promises:
 *   - a refused request is a 400 (or 500) whose body is a JSON object with
 *     "error" and "message", or /v1/authz's empty 204;
 *   - a translation is always one well-formed JSON value (nesting and
 *     element limits aside), so the detector parser can only refuse it with
 *     a format or limit error, never be handed broken text;
 *   - the answer is a JSON object (or /v1/authz's empty 204 / 403), and
 *     every /v2/guard payload span lies inside its text with start <= end.
 * Layout: data[0] picks the endpoint (low 3 bits) and unknown keys allowed
 * (bit 3); data[1] is the length of the header block that follows, whose
 * NUL-separated fields are X-Trawl-Prompt, X-Original-URI, the path after
 * /v1/authz, the query and X-Request-Id; the rest is the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static trawl_detect_engine *engine;
static trawl_detect_ctx *ctx;

static const int eps[] = {EP_LITELLM, EP_GUARD, EP_ANALYZE, EP_CHAT, EP_AUTHZ};

static void check_error_reply(const srv_reply *r)
{
    if (r->code != 400 && r->code != 500)
        __builtin_trap();
    cJSON *j = cJSON_ParseWithLength(r->body, r->len);
    if (!j || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")))
        __builtin_trap();
    cJSON_Delete(j);
}

static void check_answer(int ep, const srv_reply *r)
{
    if (ep == EP_AUTHZ) {
        if ((r->code != 204 && r->code != 403) || r->len)
            __builtin_trap();
        return;
    }
    if (r->code != 200)
        __builtin_trap();
    cJSON *j = cJSON_ParseWithLength(r->body, r->len);
    if (!cJSON_IsObject(j))
        __builtin_trap();
    const cJSON *sp;
    cJSON_ArrayForEach(sp, cJSON_GetObjectItemCaseSensitive(j, "payload"))
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(sp, "start"),
                    *b = cJSON_GetObjectItemCaseSensitive(sp, "end"),
                    *t = cJSON_GetObjectItemCaseSensitive(sp, "text");
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !cJSON_IsString(t) ||
            a->valuedouble > b->valuedouble)
            __builtin_trap();
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_error err;
    if (!engine && (trawl_detect_engine_new(NULL, 0, &engine, &err) != TRAWL_OK ||
                    trawl_detect_ctx_new(engine, &ctx, &err) != TRAWL_OK))
        abort();
    if (size < 2 || size > (1u << 16))
        return 0;
    int ep = eps[(data[0] & 7) % 5];
    compat_opts o = {.allow_unknown_keys = data[0] & 8, .enabled = TRAWL_DET_ALL};
    size_t hl = data[1] < size - 2 ? data[1] : size - 2;
    /* the header block as five C strings */
    char *hb = malloc(hl + 6), *f[5], path[300];
    if (!hb)
        abort();
    memcpy(hb, data + 2, hl);
    memset(hb + hl, 0, 6);
    char *p = hb;
    for (int i = 0; i < 5; i++) {
        f[i] = p;
        p += strlen(p);
        if (p < hb + hl)
            p++; /* past the separator; at the end p stays on the terminator */
    }
    snprintf(path, sizeof path, "/v1/authz%s", f[2]);
    compat_headers h = {
        .prompt = f[0], .uri = f[1], .path = path, .query = f[3], .request_id = f[4]};
    const char *body = (const char *)data + 2 + hl;
    size_t len = size - 2 - hl;

    compat_req q;
    srv_reply r = {0};
    if (trawl__compat_translate(ep, body, len, &h, &o, &q, &r)) {
        if (r.code == 204) {
            if (ep != EP_AUTHZ || r.len)
                __builtin_trap();
        } else
            check_error_reply(&r);
        free(r.body);
        free(hb);
        return 0;
    }
    tj_doc *d = NULL;
    trawl_status st = trawl__json_parse(q.input, q.input_len, SIZE_MAX, &d, &err);
    if (st != TRAWL_OK && st != TRAWL_ELIMIT && st != TRAWL_ENOMEM)
        __builtin_trap(); /* the translation wrote broken JSON */
    trawl__json_free(d);
    trawl_detect_input *in = NULL;
    st = trawl_detect_input_parse_opts(
        q.input, q.input_len, o.allow_unknown_keys ? TRAWL_INPUT_ALLOW_UNKNOWN_KEYS : 0, &in, &err);
    if (st != TRAWL_OK) {
        if (st != TRAWL_EFORMAT && st != TRAWL_ELIMIT && st != TRAWL_ENOMEM)
            __builtin_trap();
    } else {
        unsigned mask = TRAWL_DET_ALL;
        if (q.only[0] && trawl_detector_mask_parse(q.only, &mask, &err) != TRAWL_OK)
            __builtin_trap(); /* /analyze/prompt wrote a list the server cannot read */
        trawl_detect_report *rep = NULL;
        if (trawl_detect_run(engine, ctx, in, mask, &rep, &err) != TRAWL_OK)
            __builtin_trap();
        char *json = trawl_detect_report_json(rep);
        if (!json)
            abort();
        trawl__compat_answer(&q, &h, json, strlen(json), &r);
        check_answer(ep, &r);
        free(r.body);
        free(json);
        trawl_detect_report_free(rep);
        trawl_detect_input_free(in);
    }
    trawl__compat_req_free(&q);
    free(hb);
    return 0;
}
