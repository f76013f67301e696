/* messages.c -- chat conversations as detector input.
 *
 * Every LLM gateway sends a conversation, not a prompt: an array of
 * messages, each with a role and content. Two shapes are read:
 *
 *   OpenAI     {"role": "system"|"developer"|"user"|"assistant"|"tool"|...,
 *               "content": "text" | [{"type":"text","text":...},
 *                                    {"type":"image_url",...}, ...] | null,
 *               "tool_calls": [{"function":{"name":...,"arguments":"{json}"}}],
 *               "function_call": {"name":...,"arguments":"{json}"}}
 *   Anthropic  {"role": "user"|"assistant",
 *               "content": "text" | [{"type":"text","text":...},
 *                                    {"type":"tool_use","input":{...}},
 *                                    {"type":"tool_result","content": "text" | [...]},
 *                                    {"type":"thinking","thinking":...},
 *                                    {"type":"document","source":{"type":"text","data":...}},
 *                                    {"type":"image",...}]}
 *              and the top-level "system": "text" | [{"type":"text","text":...}].
 *
 * Every text becomes one trawl_chat_text, named by where it stands
 * ("messages[2].content[1]") and its message's role, so evidence can say
 * which message carried an injection. Tool-call arguments are JSON text:
 * when they parse (strictly), each string in them is a text of its own
 * (an escape such as \u0049gnore would otherwise hide a phrase); when they
 * do not, the raw arguments are screened as they are.
 *
 * Fail closed: a content part of a type not listed here is refused, as is a
 * document whose source is not text; a part that cannot hold text (an image,
 * audio, encrypted "redacted_thinking") is accepted and not screened. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/input.h"

#define WHERE_MAX 160

typedef struct chat {
    trawl_detect_input *in;
    size_t *elements;
    trawl_error *err;
    const char *role;
    uint32_t message;
} chat;

trawl_status trawl__detect_chat_add(trawl_detect_input *in, const char *text, size_t len,
                                    const char *role, const char *where, uint32_t message,
                                    trawl_error *err)
{
    if ((in->n_chat & (in->n_chat + 1)) == 0 || !in->chat) { /* 0, 1, 3, 7...: grow */
        size_t cap = in->n_chat ? 2 * (in->n_chat + 1) : 4;
        trawl_chat_text *c = realloc(in->chat, cap * sizeof(*c));
        if (!c)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        in->chat = c;
    }
    trawl_chat_text *t = &in->chat[in->n_chat];
    memset(t, 0, sizeof(*t));
    t->text = malloc(len + 1);
    t->role = strdup(role);
    t->where = strdup(where);
    if (!t->text || !t->role || !t->where) {
        free(t->text);
        free(t->role);
        free(t->where);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    memcpy(t->text, text, len);
    t->text[len] = 0;
    t->len = len;
    t->message = message;
    in->n_chat++;
    return TRAWL_OK;
}

/* w = where followed by fmt's text, cut to WHERE_MAX - 1 bytes. */
static void path(char *w, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void path(char *w, const char *where, const char *fmt, ...)
{
    size_t k = strlen(where);
    if (k > WHERE_MAX - 1)
        k = WHERE_MAX - 1;
    memmove(w, where, k);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w + k, WHERE_MAX - k, fmt, ap);
    va_end(ap);
}

static trawl_status bad(chat *c, const tj_value *v, const char *where, const char *what)
{
    return trawl__fail_at(c->err, TRAWL_EFORMAT, (int64_t)v->off, -1, "field '%s': %s", where,
                          what);
}

static trawl_status add(chat *c, const tj_value *v, const char *where)
{
    return trawl__detect_chat_add(c->in, v->str, v->len, c->role, where, c->message, c->err);
}

static trawl_status elements(chat *c, const tj_value *arr)
{
    if ((*c->elements += arr->n) > TRAWL_INPUT_MAX_ELEMENTS)
        return trawl__fail_at(c->err, TRAWL_ELIMIT, (int64_t)arr->off, -1,
                              "more than %d array elements in all", TRAWL_INPUT_MAX_ELEMENTS);
    return TRAWL_OK;
}

/* Every string in a JSON value (a tool call's input), each its own text. */
static trawl_status strings_in(chat *c, const tj_value *v, const char *where, unsigned depth)
{
    if (v->type == TJ_STRING)
        return add(c, v, where);
    if (v->type != TJ_ARRAY && v->type != TJ_OBJECT)
        return TRAWL_OK;
    trawl_status st = elements(c, v);
    uint32_t i = 0;
    char w[WHERE_MAX];
    for (const tj_value *m = v->child; st == TRAWL_OK && m; m = m->next, i++) {
        if (v->type == TJ_ARRAY)
            path(w, where, "[%u]", i);
        else
            path(w, where, ".%.*s", (int)(m->key_len < 40 ? m->key_len : 40), m->key);
        st = strings_in(c, m, w, depth + 1);
    }
    (void)depth; /* the reader bounds the depth */
    return st;
}

/* A tool call's "arguments": JSON text, read strictly when it parses. */
static trawl_status arguments(chat *c, const tj_value *v, const char *where)
{
    if (v->type == TJ_OBJECT) /* some clients send the object itself */
        return strings_in(c, v, where, 0);
    if (v->type != TJ_STRING)
        return bad(c, v, where, "expected a string of JSON");
    tj_doc *d;
    trawl_error ignored;
    if (trawl__json_parse(v->str, v->len, TRAWL_INPUT_MAX_ELEMENTS, &d, &ignored) != TRAWL_OK)
        return add(c, v, where);
    trawl_status st = strings_in(c, trawl__json_root(d), where, 0);
    trawl__json_free(d);
    return st;
}

static trawl_status content(chat *c, const tj_value *v, const char *where, unsigned depth);

static const tj_value *get_string(const tj_value *o, const char *k)
{
    const tj_value *v = trawl__json_get(o, k);
    return v && v->type == TJ_STRING ? v : NULL;
}

/* One part of an array content. */
static trawl_status part(chat *c, const tj_value *p, const char *where, unsigned depth)
{
    if (p->type == TJ_STRING) /* a bare string in a content array */
        return add(c, p, where);
    if (p->type != TJ_OBJECT)
        return bad(c, p, where, "expected a content part object");
    const tj_value *type = get_string(p, "type");
    if (!type)
        return bad(c, p, where, "a content part needs a string 'type'");
    const char *t = type->str;
    char w[WHERE_MAX];
    /* Parts whose text is in a member of their own name or "text". */
    static const char *const text_parts[][2] = {{"text", "text"},
                                                {"input_text", "text"},
                                                {"output_text", "text"},
                                                {"refusal", "refusal"},
                                                {"thinking", "thinking"}};
    for (size_t i = 0; i < sizeof text_parts / sizeof text_parts[0]; i++)
        if (!strcmp(t, text_parts[i][0])) {
            const tj_value *s = trawl__json_get(p, text_parts[i][1]);
            if (!s || s->type != TJ_STRING)
                return bad(c, p, where, "a text part needs a string text");
            return add(c, s, where);
        }
    static const char *const media[] = {"image_url",   "image", "input_image",
                                        "input_audio", "audio", "redacted_thinking"};
    for (size_t i = 0; i < sizeof media / sizeof media[0]; i++)
        if (!strcmp(t, media[i]))
            return TRAWL_OK; /* holds no text to screen */
    if (!strcmp(t, "tool_use") || !strcmp(t, "server_tool_use")) {
        const tj_value *input = trawl__json_get(p, "input");
        path(w, where, ".input");
        return input ? strings_in(c, input, w, 0) : TRAWL_OK;
    }
    if (!strcmp(t, "tool_result")) {
        const tj_value *inner = trawl__json_get(p, "content");
        path(w, where, ".content");
        return inner ? content(c, inner, w, depth + 1) : TRAWL_OK;
    }
    if (!strcmp(t, "document")) {
        const tj_value *src = trawl__json_get(p, "source");
        const tj_value *st = src ? get_string(src, "type") : NULL;
        const tj_value *data = src ? get_string(src, "data") : NULL;
        if (st && data && (!strcmp(st->str, "text") || !strcmp(st->str, "plain"))) {
            path(w, where, ".source.data");
            return add(c, data, w);
        }
        if (src && st && !strcmp(st->str, "content")) {
            const tj_value *inner = trawl__json_get(src, "content");
            path(w, where, ".source.content");
            return inner ? content(c, inner, w, depth + 1) : TRAWL_OK;
        }
        return bad(c, p, where, "a document whose source is not text cannot be screened");
    }
    char msg[96];
    snprintf(msg, sizeof msg, "content part type '%.40s' is not one trawl can screen", t);
    return bad(c, p, where, msg);
}

/* A message's (or a tool result's) content: a string, an array of parts,
 * or null. */
static trawl_status content(chat *c, const tj_value *v, const char *where, unsigned depth)
{
    if (v->type == TJ_NULL)
        return TRAWL_OK;
    if (v->type == TJ_STRING)
        return add(c, v, where);
    if (v->type != TJ_ARRAY || depth > 4)
        return bad(c, v, where, "expected a string or an array of content parts");
    trawl_status st = elements(c, v);
    uint32_t i = 0;
    char w[WHERE_MAX];
    for (const tj_value *p = v->child; st == TRAWL_OK && p; p = p->next, i++) {
        path(w, where, "[%u]", i);
        st = part(c, p, w, depth);
    }
    return st;
}

/* OpenAI's tool_calls and function_call. */
static trawl_status tool_calls(chat *c, const tj_value *m, const char *where)
{
    char w[WHERE_MAX];
    const tj_value *fc = trawl__json_get(m, "function_call");
    if (fc && fc->type == TJ_OBJECT) {
        const tj_value *a = trawl__json_get(fc, "arguments");
        path(w, where, ".function_call.arguments");
        trawl_status st = a ? arguments(c, a, w) : TRAWL_OK;
        if (st != TRAWL_OK)
            return st;
    }
    const tj_value *tc = trawl__json_get(m, "tool_calls");
    if (!tc || tc->type == TJ_NULL)
        return TRAWL_OK;
    if (tc->type != TJ_ARRAY)
        return bad(c, tc, where, "tool_calls: expected an array");
    trawl_status st = elements(c, tc);
    uint32_t i = 0;
    for (const tj_value *call = tc->child; st == TRAWL_OK && call; call = call->next, i++) {
        const tj_value *fn = trawl__json_get(call, "function");
        const tj_value *a = fn ? trawl__json_get(fn, "arguments") : NULL;
        path(w, where, ".tool_calls[%u].function.arguments", i);
        if (a)
            st = arguments(c, a, w);
    }
    return st;
}

static trawl_status message(chat *c, const tj_value *m, const char *where)
{
    if (m->type != TJ_OBJECT)
        return bad(c, m, where, "expected a message object");
    const tj_value *role = trawl__json_get(m, "role");
    if (!role || role->type != TJ_STRING || !role->len || memchr(role->str, 0, role->len))
        return bad(c, m, where, "a message needs a string 'role'");
    c->role = role->str;
    char w[WHERE_MAX];
    path(w, where, ".content");
    const tj_value *body = trawl__json_get(m, "content");
    /* A string content is named by its message alone. */
    trawl_status st = body ? content(c, body, body->type == TJ_STRING ? where : w, 0) : TRAWL_OK;
    if (st == TRAWL_OK)
        st = tool_calls(c, m, where);
    return st;
}

trawl_status trawl__detect_chat_read(trawl_detect_input *in, const tj_value *messages,
                                     const tj_value *system, size_t *elements_n, trawl_error *err)
{
    chat c = {
        .in = in, .elements = elements_n, .err = err, .role = "system", .message = UINT32_MAX};
    trawl_status st = TRAWL_OK;
    if (system)
        st = content(&c, system, "system", 0);
    if (st != TRAWL_OK || !messages)
        return st;
    if (messages->type != TJ_ARRAY)
        return bad(&c, messages, "messages", "expected an array of messages");
    if ((st = elements(&c, messages)) != TRAWL_OK)
        return st;
    uint32_t i = 0;
    char w[WHERE_MAX];
    for (const tj_value *m = messages->child; st == TRAWL_OK && m; m = m->next, i++) {
        snprintf(w, sizeof w, "messages[%u]", i);
        c.message = i;
        st = message(&c, m, w);
    }
    return st;
}
