/* http_compat.c -- the request shapes of the gateways trawl sits behind.
 *
 *   POST /beta/litellm_basic_guardrail_api   LiteLLM's Generic Guardrail API
 *   POST /v2/guard                           Lakera-Guard-style screening of "messages"
 *   POST /analyze/prompt                     LLM-Guard-style prompt analysis
 *   POST /v1/authz                           header-only verdict (204 / 403) for
 *                                            nginx auth_request and Envoy ext_authz
 *   POST /v1/screen/chat                     an OpenAI or Anthropic request body as
 *                                            the client sent it (inline screening
 *                                            from nginx njs: deploy/nginx/)
 *
 * Each is a translation, not a second detection path: the request is read
 * strictly (common/json.h; unknown keys refused unless the server allows
 * them), rewritten as the unified input object (its texts as chat
 * "messages") by trawl__compat_translate, and run as POST /v1/detect runs
 * it, through the cache, the coalescer and the batcher; trawl__compat_answer
 * then says the report in the gateway's words. The two halves touch no
 * server (fuzz/fuzz_serve_compat.c runs them on arbitrary requests). A
 * request is a threat when its threat_score is at least 0.5 (the CLI's
 * exit-1 threshold). docs/deploy.md has an example of each. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "detect/input.h"
#include "serve/internal.h"

#define THREAT 0.5

/* ---- a growing JSON text ---------------------------------------------------- */

typedef struct sb {
    char *p;
    size_t n, cap;
    bool oom;
} sb;

static void put(sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(sb *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sb *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0)
        put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* A JSON string of n bytes (NULs and control characters escaped). */
static void put_str(sb *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, s + from, i - from);
        char esc[8];
        snprintf(esc, sizeof esc, c == '"' ? "\\\"" : c == '\\' ? "\\\\" : "\\u%04x", c);
        puts_(b, esc);
        from = i + 1;
    }
    put(b, s + from, n - from);
    put(b, "\"", 1);
}

/* A parsed value, written back (numbers as doubles). */
static void put_value(sb *b, const tj_value *v)
{
    switch (v->type) {
    case TJ_NULL:
        puts_(b, "null");
        return;
    case TJ_TRUE:
        puts_(b, "true");
        return;
    case TJ_FALSE:
        puts_(b, "false");
        return;
    case TJ_NUMBER:
        putf(b, "%.17g", v->num);
        return;
    case TJ_STRING:
        put_str(b, v->str, v->len);
        return;
    default:
        break;
    }
    put(b, v->type == TJ_ARRAY ? "[" : "{", 1);
    for (const tj_value *c = v->child; c; c = c->next) {
        if (c != v->child)
            put(b, ",", 1);
        if (v->type == TJ_OBJECT) {
            put_str(b, c->key, c->key_len);
            put(b, ":", 1);
        }
        put_value(b, c);
    }
    put(b, v->type == TJ_ARRAY ? "]" : "}", 1);
}

/* ---- reading the request ---------------------------------------------------- */

/* Parses body strictly and checks its keys against known (NULL-ended).
 * The document, or NULL with an error reply. */
static tj_doc *read_request(const compat_opts *o, const char *body, size_t len,
                            const char *const *known, srv_reply *r)
{
    trawl_error e;
    tj_doc *d;
    trawl_status st = trawl__json_parse(body, len, 4 * TRAWL_INPUT_MAX_ELEMENTS, &d, &e);
    if (st != TRAWL_OK) {
        trawl__serve_error(r, st == TRAWL_ENOMEM ? 500 : 400, "%s",
                           len ? e.message : "empty body: expected a JSON object");
        return NULL;
    }
    const tj_value *root = trawl__json_root(d);
    if (root->type != TJ_OBJECT) {
        trawl__serve_error(r, 400, "the request body must be a JSON object");
        trawl__json_free(d);
        return NULL;
    }
    for (const tj_value *m = root->child; m && !o->allow_unknown_keys; m = m->next) {
        size_t i = 0;
        while (known[i] && !trawl__json_key_is(m, known[i]))
            i++;
        if (!known[i]) {
            trawl__serve_error(r, 400, "unknown key '%.*s' at byte %zu",
                               (int)(m->key_len < 64 ? m->key_len : 64), m->key, m->off);
            trawl__json_free(d);
            return NULL;
        }
    }
    return d;
}

static int expect(const tj_value *v, tj_type t, const char *field, const char *what, srv_reply *r)
{
    if (v && v->type != t && v->type != TJ_NULL) {
        trawl__serve_error(r, 400, "field '%s': expected %s", field, what);
        return -1;
    }
    return 0;
}

/* ---- LiteLLM: POST /beta/litellm_basic_guardrail_api --------------------------- */

/* {"texts":[...], "structured_messages":[...], "tool_calls":[...], "tools":[...],
 *  "images":[...], "input_type":"request"|"response", ...}. The unified
 * input's messages are, in order: one per text (role user, or assistant for
 * a response), the structured messages, one assistant message holding the
 * tool calls, one message of role "tools" holding the tool definitions
 * (their descriptions are text a model reads: tool poisoning lives there).
 * Images are not text and are not screened. */
static int litellm_in(const compat_opts *o, const char *body, size_t len, sb *in, srv_reply *r)
{
    static const char *const known[] = {"texts",
                                        "images",
                                        "tools",
                                        "tool_calls",
                                        "structured_messages",
                                        "request_data",
                                        "request_headers",
                                        "input_type",
                                        "litellm_call_id",
                                        "litellm_trace_id",
                                        "litellm_version",
                                        "additional_provider_specific_params",
                                        "model",
                                        NULL};
    tj_doc *d = read_request(o, body, len, known, r);
    if (!d)
        return -1;
    const tj_value *root = trawl__json_root(d);
    const tj_value *texts = trawl__json_get(root, "texts");
    const tj_value *sm = trawl__json_get(root, "structured_messages");
    const tj_value *calls = trawl__json_get(root, "tool_calls");
    const tj_value *tools = trawl__json_get(root, "tools");
    const tj_value *it = trawl__json_get(root, "input_type");
    if (expect(texts, TJ_ARRAY, "texts", "an array of strings", r) ||
        expect(sm, TJ_ARRAY, "structured_messages", "an array of messages", r) ||
        expect(calls, TJ_ARRAY, "tool_calls", "an array", r) ||
        expect(tools, TJ_ARRAY, "tools", "an array", r) ||
        expect(it, TJ_STRING, "input_type", "\"request\" or \"response\"", r)) {
        trawl__json_free(d);
        return -1;
    }
    const char *role =
        it && it->type == TJ_STRING && !strcmp(it->str, "response") ? "assistant" : "user";
    puts_(in, "{\"messages\":[");
    bool first = true;
    for (const tj_value *t = texts && texts->type == TJ_ARRAY ? texts->child : NULL; t;
         t = t->next, first = false) {
        if (t->type != TJ_STRING) {
            trawl__serve_error(r, 400, "field 'texts': expected an array of strings");
            trawl__json_free(d);
            return -1;
        }
        putf(in, "%s{\"role\":\"%s\",\"content\":", first ? "" : ",", role);
        put_str(in, t->str, t->len);
        puts_(in, "}");
    }
    for (const tj_value *m = sm && sm->type == TJ_ARRAY ? sm->child : NULL; m;
         m = m->next, first = false) {
        puts_(in, first ? "" : ",");
        put_value(in, m);
    }
    if (calls && calls->type == TJ_ARRAY && calls->n) {
        puts_(in, first ? "" : ",");
        puts_(in, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":");
        put_value(in, calls);
        puts_(in, "}");
        first = false;
    }
    if (tools && tools->type == TJ_ARRAY && tools->n) {
        puts_(in, first ? "" : ",");
        puts_(in, "{\"role\":\"tools\",\"content\":[{\"type\":\"tool_use\",\"input\":");
        put_value(in, tools);
        puts_(in, "}]}");
    }
    puts_(in, "]}");
    trawl__json_free(d);
    return 0;
}

/* ---- Lakera-Guard-style: POST /v2/guard ------------------------------------------ */

/* {"messages":[...], "project_id", "payload", "breakdown", "metadata",
 * "dev_info"}: the messages as they are. The request stays for the answer. */
static tj_doc *lakera_in(const compat_opts *o, const char *body, size_t len, sb *in, srv_reply *r)
{
    static const char *const known[] = {"messages", "project_id", "payload", "breakdown",
                                        "metadata", "dev_info",   NULL};
    tj_doc *d = read_request(o, body, len, known, r);
    if (!d)
        return NULL;
    const tj_value *root = trawl__json_root(d);
    const tj_value *msgs = trawl__json_get(root, "messages");
    if (!msgs || msgs->type != TJ_ARRAY) {
        trawl__serve_error(r, 400, "field 'messages': required, an array of messages");
        trawl__json_free(d);
        return NULL;
    }
    if (expect(trawl__json_get(root, "project_id"), TJ_STRING, "project_id", "a string", r)) {
        trawl__json_free(d);
        return NULL;
    }
    puts_(in, "{\"messages\":");
    put_value(in, msgs);
    puts_(in, "}");
    return d;
}

/* ---- LLM-Guard-style: POST /analyze/prompt -------------------------------------- */

static const char *const scanner_names[TRAWL_DET_COUNT] = {
    "PromptInjection", "ShadowAI", "Polymorphic", "SyntheticMedia", "AIvsAI"};

/* {"prompt", "scanners_suppress"}: the prompt, run by the detectors not
 * suppressed (only). The request stays for the answer. */
static tj_doc *llm_guard_in(const compat_opts *o, const char *body, size_t len, sb *in, char *only,
                            size_t cap, srv_reply *r)
{
    static const char *const known[] = {"prompt", "scanners_suppress", NULL};
    tj_doc *d = read_request(o, body, len, known, r);
    if (!d)
        return NULL;
    const tj_value *root = trawl__json_root(d);
    const tj_value *prompt = trawl__json_get(root, "prompt");
    const tj_value *sup = trawl__json_get(root, "scanners_suppress");
    if (!prompt || prompt->type != TJ_STRING) {
        trawl__serve_error(r, 400, "field 'prompt': required, a string");
        trawl__json_free(d);
        return NULL;
    }
    if (expect(sup, TJ_ARRAY, "scanners_suppress", "an array of scanner names", r)) {
        trawl__json_free(d);
        return NULL;
    }
    /* The suppressed scanners leave the run: ?only= is what remains. */
    unsigned keep = TRAWL_DET_ALL;
    for (const tj_value *n = sup && sup->type == TJ_ARRAY ? sup->child : NULL; n; n = n->next) {
        unsigned i = 0;
        while (i < TRAWL_DET_COUNT &&
               !(n->type == TJ_STRING && (!strcmp(n->str, scanner_names[i]) ||
                                          !strcmp(n->str, trawl_detector_name(1u << i)))))
            i++;
        if (i == TRAWL_DET_COUNT) {
            trawl__serve_error(r, 400,
                               "field 'scanners_suppress': unknown scanner (known: "
                               "PromptInjection, ShadowAI, Polymorphic, SyntheticMedia, "
                               "AIvsAI)");
            trawl__json_free(d);
            return NULL;
        }
        keep &= ~(1u << i);
    }
    keep &= o->enabled;
    if (!keep) {
        trawl__serve_error(r, 400,
                           "field 'scanners_suppress': every scanner suppressed; nothing "
                           "would be screened");
        trawl__json_free(d);
        return NULL;
    }
    only[0] = 0;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (keep & (1u << i))
            snprintf(only + strlen(only), cap - strlen(only), "%s%s", *only ? "," : "",
                     trawl_detector_name(1u << i));
    puts_(in, "{\"prompt\":");
    put_str(in, prompt->str, prompt->len);
    puts_(in, "}");
    return d;
}

/* ---- a raw LLM API request: POST /v1/screen/chat ---------------------------------- */

/* The body of an OpenAI chat completion / completion / Responses request or
 * an Anthropic Messages request, exactly as the client sent it to the model.
 * Its texts are screened: messages, system, instructions, prompt, suffix,
 * input, the tool definitions (a model reads their descriptions). The other
 * parameters a model API defines are accepted and not read; a key that is
 * neither is refused (a new API field may carry text), unless the server
 * allows unknown keys. The reply is /v1/detect's report. */
static int chat_in(const compat_opts *o, const char *body, size_t len, sb *in, srv_reply *r)
{
    static const char *const known[] = {
        /* text */
        "messages", "system", "instructions", "prompt", "suffix", "input", "tools", "functions",
        /* parameters (OpenAI) */
        "model", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "max_tokens",
        "max_completion_tokens", "max_output_tokens", "n", "presence_penalty", "response_format",
        "seed", "service_tier", "stop", "stream", "stream_options", "temperature", "top_p",
        "tool_choice", "parallel_tool_calls", "user", "function_call", "metadata", "store",
        "reasoning_effort", "reasoning", "modalities", "echo", "best_of", "text", "truncation",
        "previous_response_id", "include",
        /* parameters (Anthropic) */
        "stop_sequences", "top_k", "thinking", NULL};
    tj_doc *d = read_request(o, body, len, known, r);
    if (!d)
        return -1;
    const tj_value *root = trawl__json_root(d);
    puts_(in, "{\"messages\":[");
    bool first = true;
    /* Texts outside "messages" become messages of their own, named by role. */
    static const char *const loose[] = {"instructions", "prompt", "suffix", "input"};
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        const tj_value *v = trawl__json_get(root, loose[i]);
        if (!v || v->type == TJ_NULL)
            continue;
        if (v->type == TJ_ARRAY && !strcmp(loose[i], "input")) { /* Responses API items */
            for (const tj_value *m = v->child; m; m = m->next, first = false) {
                puts_(in, first ? "" : ",");
                if (m->type == TJ_STRING) {
                    puts_(in, "{\"role\":\"input\",\"content\":");
                    put_value(in, m);
                    puts_(in, "}");
                } else
                    put_value(in, m);
            }
            continue;
        }
        if (v->type != TJ_STRING && v->type != TJ_ARRAY) {
            trawl__serve_error(r, 400, "field '%s': expected a string or an array", loose[i]);
            trawl__json_free(d);
            return -1;
        }
        putf(in, "%s{\"role\":\"%s\",\"content\":", first ? "" : ",", loose[i]);
        put_value(in, v); /* an array of strings reads as content parts */
        puts_(in, "}");
        first = false;
    }
    const tj_value *msgs = trawl__json_get(root, "messages");
    if (msgs && msgs->type == TJ_ARRAY)
        for (const tj_value *m = msgs->child; m; m = m->next, first = false) {
            puts_(in, first ? "" : ",");
            put_value(in, m);
        }
    else if (msgs && msgs->type != TJ_NULL) {
        trawl__serve_error(r, 400, "field 'messages': expected an array of messages");
        trawl__json_free(d);
        return -1;
    }
    static const char *const defs[] = {"tools", "functions"};
    for (size_t i = 0; i < 2; i++) {
        const tj_value *v = trawl__json_get(root, defs[i]);
        if (!v || v->type == TJ_NULL)
            continue;
        putf(in,
             "%s{\"role\":\"%s\",\"content\":[{\"type\":\"tool_use\",\"input\":", first ? "" : ",",
             defs[i]);
        put_value(in, v);
        puts_(in, "}]}");
        first = false;
    }
    puts_(in, "]");
    const tj_value *sys = trawl__json_get(root, "system");
    if (sys && sys->type != TJ_NULL) {
        puts_(in, ",\"system\":");
        put_value(in, sys);
    }
    puts_(in, "}");
    trawl__json_free(d);
    return 0;
}

/* ---- header-only: POST /v1/authz ------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decodes a URI (and '+' as a space), into a new string. */
static char *uri_decode(const char *s, size_t *len)
{
    size_t n = strlen(s), k = 0;
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n + 1 && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            o[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            o[k++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    o[k] = 0;
    *len = k;
    return o;
}

static void add_header(srv_reply *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_header(srv_reply *r, const char *name, const char *fmt, ...)
{
    if (r->n_headers >= SRV_MAX_HEADERS)
        return;
    srv_header *h = &r->headers[r->n_headers++];
    h->name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->value, sizeof h->value, fmt, ap);
    va_end(ap);
}

static void empty_reply(srv_reply *r, int code)
{
    r->code = code;
    r->type = "text/plain";
    r->body = strdup("");
    r->len = 0;
}

/* What auth_request / ext_authz can send: headers. The text to screen is the
 * X-Trawl-Prompt header and the original request's URI (X-Original-URI, as
 * the nginx and Envoy configurations in deploy/ set it), percent-decoded.
 * Without X-Original-URI, the original path Envoy appended after /v1/authz,
 * with the query string MHD split off (its arguments are screened as one
 * text). Neither: 204 "nothing to screen". */
static int authz_in(const compat_headers *h, sb *in, srv_reply *r)
{
    const char *uri = h->uri;
    char *rebuilt = NULL;
    if ((!uri || !*uri) && h->path && strlen(h->path) > 9 && h->path[9] == '/') {
        uri = h->path + 9;
        size_t k = h->query && *h->query ? strlen(uri) + strlen(h->query) + 2 : 0;
        if (k && (rebuilt = malloc(k))) {
            snprintf(rebuilt, k, "%s?%s", uri, h->query);
            uri = rebuilt;
        }
    }
    puts_(in, "{\"messages\":[");
    bool any = false;
    size_t bad;
    if (h->prompt && *h->prompt) {
        /* Text that is not UTF-8 cannot be screened as text: refused (a 400,
         * which auth_request turns into a 500: closed). */
        if ((bad = trawl__json_utf8_prefix(h->prompt, strlen(h->prompt))) < strlen(h->prompt)) {
            trawl__serve_error(r, 400, "X-Trawl-Prompt: invalid UTF-8 at byte %zu", bad);
            free(rebuilt);
            return -1;
        }
        puts_(in, "{\"role\":\"user\",\"content\":");
        put_str(in, h->prompt, strlen(h->prompt));
        puts_(in, "}");
        any = true;
    }
    if (uri && *uri) {
        size_t n;
        char *u = uri_decode(uri, &n);
        if (!u)
            in->oom = true;
        else if ((bad = trawl__json_utf8_prefix(u, n)) < n) {
            trawl__serve_error(r, 400, "the original URI decodes to invalid UTF-8 at byte %zu",
                               bad);
            free(u);
            free(rebuilt);
            return -1;
        } else {
            puts_(in, any ? ",{\"role\":\"uri\",\"content\":" : "{\"role\":\"uri\",\"content\":");
            put_str(in, u, n);
            puts_(in, "}");
            free(u);
        }
        any = true;
    }
    puts_(in, "]}");
    free(rebuilt);
    if (!any) {
        empty_reply(r, 204);
        add_header(r, "X-Trawl-Verdict", "nothing-to-screen");
        return -1;
    }
    return 0;
}

/* ---- translating ------------------------------------------------------------------ */

int trawl__compat_translate(int ep, const char *body, size_t len, const compat_headers *h,
                            const compat_opts *o, compat_req *q, srv_reply *r)
{
    memset(q, 0, sizeof(*q));
    q->ep = ep;
    sb in = {0};
    int rc = 0;
    switch (ep) {
    case EP_LITELLM:
        rc = litellm_in(o, body, len, &in, r);
        break;
    case EP_GUARD:
        rc = (q->doc = lakera_in(o, body, len, &in, r)) ? 0 : -1;
        break;
    case EP_ANALYZE:
        rc = (q->doc = llm_guard_in(o, body, len, &in, q->only, sizeof q->only, r)) ? 0 : -1;
        break;
    case EP_CHAT:
        rc = chat_in(o, body, len, &in, r);
        break;
    default:
        rc = authz_in(h, &in, r);
        break;
    }
    if (rc == 0 && in.oom) {
        trawl__serve_error(r, 500, "out of memory");
        rc = -1;
    }
    if (rc) {
        free(in.p);
        trawl__json_free(q->doc);
        q->doc = NULL;
        return -1;
    }
    q->input = in.p;
    q->input_len = in.n;
    return 0;
}

void trawl__compat_req_free(compat_req *q)
{
    free(q->input);
    trawl__json_free(q->doc);
    memset(q, 0, sizeof(*q));
}

/* ---- the verdict ---------------------------------------------------------------- */

typedef struct verdict {
    cJSON *report; /* the /v1/detect report (trawl's own JSON) */
    double score;
    const char *detector, *category, *severity, *evidence; /* of the strongest violation */
} verdict;

/* Reads the report; -1 when it is not a JSON object (out of memory). */
static int read_verdict(const char *report, size_t n, verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->report = cJSON_ParseWithLength(report, n);
    if (!cJSON_IsObject(v->report)) {
        cJSON_Delete(v->report);
        v->report = NULL;
        return -1;
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(v->report, "threat_score");
    v->score = cJSON_IsNumber(ts) ? ts->valuedouble : 0;
    double best = -3;
    const cJSON *dets = cJSON_GetObjectItemCaseSensitive(v->report, "detectors"), *det, *vi;
    cJSON_ArrayForEach(det, dets)
    {
        cJSON_ArrayForEach(vi, cJSON_GetObjectItemCaseSensitive(det, "violations"))
        {
            /* The combined signal names no evidence of its own: the
             * strongest single violation explains the verdict better. */
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(vi, "confidence");
            const char *cat =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(vi, "category"));
            double w = cJSON_IsNumber(c) ? c->valuedouble : -1;
            if (cat && !strcmp(cat, "multiple_signals"))
                w -= 1; /* only when nothing else is there */
            if (w <= best)
                continue;
            best = w;
            v->detector = det->string;
            v->category = cat;
            v->severity = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(vi, "severity"));
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(vi, "evidence");
            v->evidence = cJSON_GetStringValue(cJSON_GetArrayItem(ev, 0));
        }
    }
    return 0;
}

static void reply_json(srv_reply *r, sb *out)
{
    if (out->oom) {
        free(out->p);
        trawl__serve_error(r, 500, "out of memory");
        return;
    }
    r->code = 200;
    r->type = "application/json";
    r->body = out->p;
    r->len = out->n;
}

/* "trawl: threat 0.98: prompt_injection/instruction_override (critical): <evidence>" */
static void put_reason(sb *b, const verdict *v)
{
    char head[160];
    snprintf(head, sizeof head, "trawl: threat %.2f: %s/%s (%s)", v->score,
             v->detector ? v->detector : "?", v->category ? v->category : "?",
             v->severity ? v->severity : "?");
    sb t = {0};
    puts_(&t, head);
    if (v->evidence) {
        puts_(&t, ": ");
        puts_(&t, v->evidence);
    }
    put_str(b, t.p ? t.p : "", t.n);
    b->oom |= t.oom;
    free(t.p);
}

/* ---- /v2/guard's payload: where in the messages the evidence is ------------------- */

#define MAX_SPANS  64
#define MAX_LABELS 4

typedef struct span {
    size_t text; /* index in in->chat */
    size_t a, b; /* bytes of that text */
    const char *labels[MAX_LABELS];
    int n_labels;
} span;

/* How prompt_injection names a chat text in its evidence ("<where> (role
 * <role>)", cut as its text_name cuts it to 223 bytes). */
static void chat_name(const trawl_chat_text *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s (role %s)", c->where, c->role);
}

static bool range_at(const char *p, size_t *a, size_t *b, char **end)
{
    if (*p < '0' || *p > '9')
        return false;
    unsigned long long x = strtoull(p, end, 10);
    if ((*end)[0] != '.' || (*end)[1] != '.' || (*end)[2] < '0' || (*end)[2] > '9')
        return false;
    unsigned long long y = strtoull(*end + 2, end, 10);
    if (x > y)
        return false;
    *a = (size_t)x;
    *b = (size_t)y;
    return true;
}

/* The chat text and byte range one line of prompt_injection's evidence
 * locates, in its two forms (detect/prompt_injection: hit_evidence and the
 * decoded runs):
 *   rule R (weight W): "SNIPPET" at offset N of the V view of NAME (source bytes A..B)...
 *   ENC run at bytes A..B of NAME (weight W) decodes to text: "PREVIEW"
 * The snippet, the preview and NAME hold request text, so NAME is matched
 * against the input's own chat texts at the one place the fixed words put
 * it: before the last " (source bytes " (only fixed words follow it), or
 * after the first " run at bytes A..B of " (only the encoding's name
 * precedes it). */
static bool locate(const trawl_detect_input *in, const char *ev, size_t *text, size_t *a, size_t *b)
{
    static const char src[] = " (source bytes ", run[] = " run at bytes ", view[] = " view of ";
    const char *last = NULL;
    for (const char *p = ev; (p = strstr(p, src)); p++)
        last = p;
    const char *name_at = NULL, *name_end = NULL;
    char *end;
    if (last) {
        if (!range_at(last + sizeof src - 1, a, b, &end) || *end != ')')
            return false;
        name_end = last;
    } else {
        const char *p = strstr(ev, run);
        if (!p || !range_at(p + sizeof run - 1, a, b, &end) || strncmp(end, " of ", 4))
            return false;
        name_at = end + 4;
    }
    char name[224];
    for (size_t k = 0; k < in->n_chat; k++) {
        chat_name(&in->chat[k], name, sizeof name);
        size_t n = strlen(name);
        bool hit;
        if (name_end) {
            const size_t vl = sizeof view - 1;
            hit = (size_t)(name_end - ev) >= n + vl && !memcmp(name_end - n, name, n) &&
                  !memcmp(name_end - n - vl, view, vl);
        } else {
            hit = !strncmp(name_at, name, n) && !strncmp(name_at + n, " (weight ", 9);
        }
        if (hit && *b <= in->chat[k].len) {
            *text = k;
            return true;
        }
    }
    return false;
}

/* Code points in t[0..n) (the text is valid UTF-8: the parser checked). */
static size_t code_points(const char *t, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)t[i] & 0xC0) != 0x80;
    return c;
}

/* "payload":[{"start","end","text","detector_type","labels","message_id",
 * "where"}]: the spans prompt_injection's evidence locates in the messages
 * (rule matches, decoded runs), start/end in code points of the text named
 * by where ("messages[1]", "messages[2].content[0]", a tool call's argument),
 * end exclusive, message_id that message's index. The other detectors'
 * evidence names no character range in a message. */
static void put_payload(sb *out, const compat_req *q, const verdict *v)
{
    puts_(out, ",\"payload\":[");
    trawl_detect_input *in = NULL;
    trawl_error e;
    const cJSON *pi = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->report, "detectors"), "prompt_injection");
    if (!pi || trawl_detect_input_parse_opts(q->input, q->input_len, TRAWL_INPUT_ALLOW_UNKNOWN_KEYS,
                                             &in, &e) != TRAWL_OK) {
        puts_(out, "]");
        return;
    }
    span sp[MAX_SPANS];
    size_t n = 0;
    const cJSON *vi, *ev;
    cJSON_ArrayForEach(vi, cJSON_GetObjectItemCaseSensitive(pi, "violations"))
    {
        const char *cat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(vi, "category"));
        cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(vi, "evidence"))
        {
            span s = {0};
            if (!cat || !cJSON_IsString(ev) || !locate(in, ev->valuestring, &s.text, &s.a, &s.b))
                continue;
            size_t i = 0;
            while (i < n && !(sp[i].text == s.text && sp[i].a == s.a && sp[i].b == s.b))
                i++;
            if (i == n) {
                if (n == MAX_SPANS)
                    continue;
                sp[n++] = s;
            }
            int l = 0;
            while (l < sp[i].n_labels && strcmp(sp[i].labels[l], cat))
                l++;
            if (l == sp[i].n_labels && l < MAX_LABELS)
                sp[i].labels[sp[i].n_labels++] = cat;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const trawl_chat_text *c = &in->chat[sp[i].text];
        /* whole characters: widen to the code points the bytes touch */
        size_t a = sp[i].a, b = sp[i].b;
        while (a > 0 && ((unsigned char)c->text[a] & 0xC0) == 0x80)
            a--;
        while (b < c->len && ((unsigned char)c->text[b] & 0xC0) == 0x80)
            b++;
        size_t ca = code_points(c->text, a);
        putf(out, "%s{\"start\":%zu,\"end\":%zu,\"text\":", i ? "," : "", ca,
             ca + code_points(c->text + a, b - a));
        put_str(out, c->text + a, b - a);
        puts_(out, ",\"detector_type\":\"prompt_attack\",\"labels\":[");
        for (int l = 0; l < sp[i].n_labels; l++) {
            puts_(out, l ? "," : "");
            put_str(out, sp[i].labels[l], strlen(sp[i].labels[l]));
        }
        puts_(out, "],\"message_id\":");
        if (c->message == UINT32_MAX)
            puts_(out, "null");
        else
            putf(out, "%u", c->message);
        puts_(out, ",\"where\":");
        put_str(out, c->where, strlen(c->where));
        puts_(out, "}");
    }
    puts_(out, "]");
    trawl_detect_input_free(in);
}

/* ---- answering ------------------------------------------------------------------ */

/* The detector type Lakera's breakdown would use for a trawl detector. */
static const char *lakera_type(const char *det)
{
    return !strcmp(det, "prompt_injection") ? "prompt_attack" : det;
}

static void litellm_out(const verdict *v, sb *out)
{
    if (v->score >= THREAT) {
        puts_(out, "{\"action\":\"BLOCKED\",\"blocked_reason\":");
        put_reason(out, v);
        puts_(out, "}");
    } else {
        puts_(out, "{\"action\":\"NONE\"}");
    }
}

static void lakera_out(const compat_req *q, const compat_headers *h, const verdict *v, sb *out)
{
    const tj_value *root = trawl__json_root(q->doc);
    const tj_value *pid = trawl__json_get(root, "project_id");
    const tj_value *bd = trawl__json_get(root, "breakdown");
    const tj_value *pl = trawl__json_get(root, "payload");
    const tj_value *dev = trawl__json_get(root, "dev_info");
    putf(out, "{\"flagged\":%s", v->score >= THREAT ? "true" : "false");
    if (pl && pl->type == TJ_TRUE)
        put_payload(out, q, v);
    if (bd && bd->type == TJ_TRUE) {
        puts_(out, ",\"breakdown\":[");
        const cJSON *det;
        bool first = true;
        cJSON_ArrayForEach(det, cJSON_GetObjectItemCaseSensitive(v->report, "detectors"))
        {
            if (!det->string)
                continue;
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(det, "threat_score");
            puts_(out, first ? "{\"project_id\":" : ",{\"project_id\":");
            first = false;
            if (pid && pid->type == TJ_STRING)
                put_str(out, pid->str, pid->len);
            else
                puts_(out, "null");
            puts_(out, ",\"policy_id\":\"trawl\",\"detector_id\":");
            sb id = {0};
            puts_(&id, "trawl/");
            puts_(&id, det->string);
            put_str(out, id.p ? id.p : "", id.n);
            out->oom |= id.oom;
            free(id.p);
            puts_(out, ",\"detector_type\":");
            put_str(out, lakera_type(det->string), strlen(lakera_type(det->string)));
            putf(out, ",\"detected\":%s,\"score\":%.4g}",
                 cJSON_IsNumber(sc) && sc->valuedouble >= THREAT ? "true" : "false",
                 cJSON_IsNumber(sc) ? sc->valuedouble : 0.0);
        }
        puts_(out, "]");
    }
    if (dev && dev->type == TJ_TRUE)
        puts_(out, ",\"dev_info\":{\"version\":\"" TRAWL_VERSION_STRING "\"}");
    puts_(out, ",\"metadata\":{\"request_uuid\":");
    const char *rid = h && h->request_id ? h->request_id : "";
    put_str(out, rid, strlen(rid));
    puts_(out, "}}");
}

static void llm_guard_out(const compat_req *q, const verdict *v, sb *out)
{
    const tj_value *prompt = trawl__json_get(trawl__json_root(q->doc), "prompt");
    puts_(out, "{\"sanitized_prompt\":"); /* trawl screens; it does not rewrite */
    put_str(out, prompt->str, prompt->len);
    putf(out, ",\"is_valid\":%s,\"scanners\":{", v->score >= THREAT ? "false" : "true");
    const cJSON *det;
    bool first = true;
    cJSON_ArrayForEach(det, cJSON_GetObjectItemCaseSensitive(v->report, "detectors"))
    {
        unsigned bit = 0;
        trawl_error e;
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(det, "threat_score");
        if (!det->string || trawl_detector_mask_parse(det->string, &bit, &e) != TRAWL_OK || !bit ||
            (bit & (bit - 1)))
            continue;
        putf(out, "%s\"%s\":%.4g", first ? "" : ",", scanner_names[__builtin_ctz(bit)],
             cJSON_IsNumber(sc) ? sc->valuedouble : 0.0);
        first = false;
    }
    puts_(out, "}}");
}

/* 204 clean, 403 threat, the verdict in X-Trawl-* headers, the body empty. */
static void authz_out(const verdict *v, srv_reply *r)
{
    bool threat = v->score >= THREAT;
    empty_reply(r, threat ? 403 : 204);
    add_header(r, "X-Trawl-Verdict", "%s", threat ? "threat" : "clean");
    add_header(r, "X-Trawl-Threat-Score", "%.4g", v->score);
    if (v->detector) {
        add_header(r, "X-Trawl-Detector", "%s", v->detector);
        add_header(r, "X-Trawl-Category", "%s", v->category ? v->category : "");
        add_header(r, "X-Trawl-Severity", "%s", v->severity ? v->severity : "");
    }
}

void trawl__compat_answer(const compat_req *q, const compat_headers *h, const char *report,
                          size_t n, srv_reply *r)
{
    if (q->ep == EP_CHAT) { /* the report itself */
        r->code = 200;
        r->type = "application/json";
        r->body = malloc(n + 1);
        if (!r->body) {
            trawl__serve_error(r, 500, "out of memory");
            return;
        }
        memcpy(r->body, report, n);
        r->body[n] = 0;
        r->len = n;
        return;
    }
    verdict v;
    if (read_verdict(report, n, &v)) {
        trawl__serve_error(r, 500, "the detection report is not a JSON object");
        return;
    }
    r->has_threat = true; /* for the access log */
    r->threat = v.score;
    sb out = {0};
    switch (q->ep) {
    case EP_LITELLM:
        litellm_out(&v, &out);
        break;
    case EP_GUARD:
        lakera_out(q, h, &v, &out);
        break;
    case EP_ANALYZE:
        llm_guard_out(q, &v, &out);
        break;
    default:
        authz_out(&v, r);
        cJSON_Delete(v.report);
        return;
    }
    cJSON_Delete(v.report);
    reply_json(r, &out);
}

void trawl__serve_compat(trawl_server *s, int ep, const char *body, size_t len,
                         const compat_headers *h, srv_reply *r, char **report)
{
    *report = NULL;
    srv_tctx *t = trawl__serve_thread_ctx(s, NULL);
    compat_opts o = {.allow_unknown_keys = s->o.allow_unknown_keys,
                     .enabled = t ? trawl_detect_engine_enabled(t->eng->e) : TRAWL_DET_ALL};
    compat_req q;
    if (trawl__compat_translate(ep, body, len, h, &o, &q, r))
        return;
    srv_reply d = {.tenant = r->tenant}; /* the key's own cache */
    trawl__serve_detect(s, NULL, q.only[0] ? q.only : NULL, q.input, q.input_len, &d);
    r->engine_gen = d.engine_gen;
    if (d.code != 200 || ep == EP_CHAT) {
        *r = d; /* an error, or /v1/screen/chat's report as /v1/detect gives it */
        if (d.code == 200 && d.body)
            *report = strdup(d.body);
        trawl__compat_req_free(&q);
        return;
    }
    trawl__compat_answer(&q, h, d.body, d.len, r);
    *report = d.body; /* for events */
    trawl__compat_req_free(&q);
}
