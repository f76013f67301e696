/* input.c -- the unified detector input object, parsed from JSON.
 *
 * The JSON comes from clients, through the strict reader (common/json.h):
 * one value, no duplicate keys, strings with their full length. Every field's
 * type is checked, a wrong type is an error naming the field, and a key the
 * object does not define is an error naming the key (unless the caller asks
 * to relax that). Texts that are screened keep NULs; other strings (URLs,
 * hosts, names) are refused when they hold one. The total number of array
 * elements is capped so that a request cannot make the parse allocate
 * without bound. */
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/error.h"
#include "detect/detector.h"
#include "detect/input.h"

typedef struct parse {
    trawl_detect_input *in;
    trawl_error *err;
    size_t elements;
} parse;

static trawl_status bad_field(parse *p, const tj_value *v, const char *field, const char *want)
{
    return trawl__fail_at(p->err, TRAWL_EFORMAT, v ? (int64_t)v->off : -1, -1,
                          "field '%s': expected %s", field, want);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static bool absent(const tj_value *v)
{
    return !v || v->type == TJ_NULL;
}

/* A string that is not screened as text (a URL, a host, a name): a NUL in
 * it would hide the rest from every C-string consumer, so it is refused. */
static trawl_status name_string(parse *p, const tj_value *v, const char *field, char **out)
{
    if (v->type != TJ_STRING)
        return bad_field(p, v, field, "a string");
    const char *nul = memchr(v->str, 0, v->len);
    if (nul)
        return trawl__fail_at(p->err, TRAWL_EFORMAT, (int64_t)v->off, -1,
                              "field '%s': a NUL character at character %zu of the string; only "
                              "screened texts (prompt, query, history, messages) may hold NULs",
                              field, (size_t)(nul - v->str));
    if (!(*out = dup_bytes(v->str, v->len)))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    return TRAWL_OK;
}

/* A screened text: kept whole, NULs included. */
static trawl_status text_string(parse *p, const tj_value *v, const char *field, char **out,
                                size_t *len)
{
    if (v->type != TJ_STRING)
        return bad_field(p, v, field, "a string");
    if (!(*out = dup_bytes(v->str, v->len)))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    *len = v->len;
    return TRAWL_OK;
}

static trawl_status count(parse *p, const tj_value *arr)
{
    if ((p->elements += arr->n) > TRAWL_INPUT_MAX_ELEMENTS)
        return trawl__fail_at(p->err, TRAWL_ELIMIT, (int64_t)arr->off, -1,
                              "more than %d array elements in all", TRAWL_INPUT_MAX_ELEMENTS);
    return TRAWL_OK;
}

/* An array of strings; lens, when not NULL, gets each length (texts). */
static trawl_status get_strings(parse *p, const tj_value *v, const char *field, char ***out,
                                size_t **lens, size_t *n)
{
    if (absent(v))
        return TRAWL_OK;
    if (v->type != TJ_ARRAY)
        return bad_field(p, v, field, "an array of strings");
    trawl_status st = count(p, v);
    if (st != TRAWL_OK || v->n == 0)
        return st;
    if (!(*out = calloc(v->n, sizeof(char *))) || (lens && !(*lens = calloc(v->n, sizeof(size_t)))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    for (const tj_value *item = v->child; item; item = item->next) {
        if (item->type != TJ_STRING)
            return bad_field(p, item, field, "an array of strings");
        st = lens ? text_string(p, item, field, &(*out)[*n], &(*lens)[*n])
                  : name_string(p, item, field, &(*out)[*n]);
        if (st != TRAWL_OK)
            return st;
        (*n)++;
    }
    return TRAWL_OK;
}

/* An array of objects: checks the shape. */
static trawl_status get_objects(parse *p, const tj_value *v, const char *field)
{
    if (v->type != TJ_ARRAY)
        return bad_field(p, v, field, "an array of objects");
    trawl_status st = count(p, v);
    for (const tj_value *item = v->child; st == TRAWL_OK && item; item = item->next)
        if (item->type != TJ_OBJECT)
            return bad_field(p, item, field, "an array of objects");
    return st;
}

/* Members of an element object must be among names (NULL-terminated). */
static trawl_status known_members(parse *p, const tj_value *obj, const char *field,
                                  const char *const *names)
{
    for (const tj_value *m = obj->child; m; m = m->next) {
        size_t i = 0;
        while (names[i] && !trawl__json_key_is(m, names[i]))
            i++;
        if (!names[i])
            return trawl__fail_at(p->err, TRAWL_EFORMAT, (int64_t)m->off, -1,
                                  "field '%s': unknown key '%.*s'", field,
                                  (int)(m->key_len < 64 ? m->key_len : 64), m->key);
    }
    return TRAWL_OK;
}

static bool number_field(const tj_value *o, const char *k, double *out)
{
    const tj_value *v = trawl__json_get(o, k);
    if (absent(v))
        return true; /* absent: keep the default */
    if (v->type != TJ_NUMBER)
        return false;
    *out = v->num;
    return true;
}

static trawl_status get_connections(parse *p, const tj_value *v)
{
    static const char *const names[] = {"host", "port", NULL};
    trawl_status st = get_objects(p, v, "connections");
    if (st != TRAWL_OK || v->n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->connections = calloc(v->n, sizeof(*in->connections))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    for (const tj_value *item = v->child; item; item = item->next) {
        trawl_connection *c = &in->connections[in->n_connections++];
        double port = -1;
        c->port = -1;
        if ((st = known_members(p, item, "connections[]", names)) != TRAWL_OK)
            return st;
        const tj_value *h = trawl__json_get(item, "host");
        if (!absent(h) && (st = name_string(p, h, "connections[].host", &c->host)) != TRAWL_OK)
            return st;
        if (!number_field(item, "port", &port) || port < -1 || port > 65535)
            return bad_field(p, item, "connections[].port", "a number 0..65535");
        c->port = (int)port;
    }
    return TRAWL_OK;
}

static trawl_status get_processes(parse *p, const tj_value *v)
{
    static const char *const names[] = {"name", "pid", "gpu_memory_percent", NULL};
    trawl_status st = get_objects(p, v, "processes");
    if (st != TRAWL_OK || v->n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->processes = calloc(v->n, sizeof(*in->processes))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    for (const tj_value *item = v->child; item; item = item->next) {
        trawl_process *pr = &in->processes[in->n_processes++];
        double pid = -1, gpu = -1;
        if ((st = known_members(p, item, "processes[]", names)) != TRAWL_OK)
            return st;
        const tj_value *nm = trawl__json_get(item, "name");
        if (!absent(nm) && (st = name_string(p, nm, "processes[].name", &pr->name)) != TRAWL_OK)
            return st;
        if (!number_field(item, "pid", &pid) || !(pid >= -1 && pid < 0x1p63))
            return bad_field(p, item, "processes[].pid", "a number");
        if (!number_field(item, "gpu_memory_percent", &gpu))
            return bad_field(p, item, "processes[].gpu_memory_percent", "a number");
        pr->pid = (int64_t)pid;
        pr->gpu_memory_percent = gpu;
    }
    return TRAWL_OK;
}

static trawl_status get_memory(parse *p, const tj_value *v)
{
    static const char *const names[] = {"address", "size", "perms", NULL};
    trawl_status st = get_objects(p, v, "memory");
    if (st != TRAWL_OK || v->n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->memory = calloc(v->n, sizeof(*in->memory))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    for (const tj_value *item = v->child; item; item = item->next) {
        trawl_memory_region *m = &in->memory[in->n_memory++];
        double addr = 0, size = 0;
        if ((st = known_members(p, item, "memory[]", names)) != TRAWL_OK)
            return st;
        if (!number_field(item, "address", &addr) || !number_field(item, "size", &size) ||
            !(addr >= 0 && addr < 0x1p64) || !(size >= 0 && size < 0x1p64))
            return bad_field(p, item, "memory[].address/size", "non-negative numbers");
        m->address = (uint64_t)addr;
        m->size = (uint64_t)size;
        const tj_value *perms = trawl__json_get(item, "perms");
        if (!absent(perms)) {
            if (perms->type != TJ_STRING || perms->len >= sizeof(m->perms) ||
                memchr(perms->str, 0, perms->len))
                return bad_field(p, perms, "memory[].perms", "a string like \"rwx\"");
            memcpy(m->perms, perms->str, perms->len + 1);
        }
    }
    return TRAWL_OK;
}

static trawl_status get_data(parse *p, const tj_value *v)
{
    if (v->type != TJ_STRING)
        return bad_field(p, v, "data_base64", "a base64 string");
    const char *s = v->str;
    size_t n = v->len;
    uint8_t *d = malloc(n / 4 * 3 + 3);
    if (!d)
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    size_t k = 0, bits = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=' || c == '\n' || c == '\r' || c == ' ')
            continue;
        int x = trawl__b64val(c);
        if (x < 0) {
            free(d);
            return trawl__fail_at(p->err, TRAWL_EFORMAT, (int64_t)v->off, -1,
                                  "field 'data_base64': invalid base64 at character %zu", i);
        }
        acc = acc << 6 | (uint32_t)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[k++] = (uint8_t)(acc >> bits);
        }
    }
    p->in->data = d;
    p->in->data_len = k;
    return TRAWL_OK;
}

static trawl_status get_timestamp(parse *p, const tj_value *v)
{
    if (v->type != TJ_NUMBER || v->num < 0 || v->num > 9.0e15)
        return bad_field(p, v, "timestamp_ms", "milliseconds since the epoch");
    p->in->timestamp_ms = (uint64_t)v->num; /* range checked: the conversion is defined */
    return TRAWL_OK;
}

/* The keys of the input object. */
enum {
    K_PROMPT,
    K_URLS,
    K_HOSTS,
    K_CONNECTIONS,
    K_PROCESSES,
    K_FILES,
    K_PCAPS,
    K_DATA,
    K_BEHAVIOR,
    K_SYSCALLS,
    K_MEMORY,
    K_CLIENT,
    K_QUERY,
    K_HISTORY,
    K_TIMESTAMP,
    K_MESSAGES,
    K_SYSTEM,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "prompt", "urls",        "hosts",        "connections", "processes", "files",
    "pcaps",  "data_base64", "behavior",     "syscalls",    "memory",    "client_id",
    "query",  "history",     "timestamp_ms", "messages",    "system"};

bool trawl__detect_input_key_known(const char *key, size_t len)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strlen(key_names[k]) == len && !memcmp(key_names[k], key, len))
            return true;
    return false;
}

static trawl_status field(parse *p, int k, const tj_value *v)
{
    trawl_detect_input *in = p->in;
    const char *name = key_names[k];
    switch (k) {
    case K_PROMPT:
        return text_string(p, v, name, &in->prompt, &in->prompt_len);
    case K_QUERY:
        return text_string(p, v, name, &in->query, &in->query_len);
    case K_CLIENT:
        return name_string(p, v, name, &in->client_id);
    case K_URLS:
        return get_strings(p, v, name, &in->urls, NULL, &in->n_urls);
    case K_HOSTS:
        return get_strings(p, v, name, &in->hosts, NULL, &in->n_hosts);
    case K_FILES:
        return get_strings(p, v, name, &in->files, NULL, &in->n_files);
    case K_PCAPS:
        return get_strings(p, v, name, &in->pcaps, NULL, &in->n_pcaps);
    case K_BEHAVIOR:
        return get_strings(p, v, name, &in->behavior, NULL, &in->n_behavior);
    case K_SYSCALLS:
        return get_strings(p, v, name, &in->syscalls, NULL, &in->n_syscalls);
    case K_HISTORY:
        return get_strings(p, v, name, &in->history, &in->history_len, &in->n_history);
    case K_CONNECTIONS:
        return get_connections(p, v);
    case K_PROCESSES:
        return get_processes(p, v);
    case K_MEMORY:
        return get_memory(p, v);
    case K_DATA:
        return get_data(p, v);
    case K_TIMESTAMP:
        return get_timestamp(p, v);
    default: /* messages and system are read together, after the loop */
        return TRAWL_OK;
    }
}

trawl_status trawl__detect_input_from_tree(const tj_value *root, unsigned flags,
                                           trawl_detect_input **out, trawl_error *err)
{
    *out = NULL;
    if (!root || root->type != TJ_OBJECT)
        return trawl__fail_at(err, TRAWL_EFORMAT, root ? (int64_t)root->off : -1, -1,
                              "the input must be a JSON object");
    trawl_detect_input *in = calloc(1, sizeof(*in));
    if (!in)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    parse p = {.in = in, .err = err};
    const tj_value *chat[2] = {NULL, NULL};
    trawl_status st = TRAWL_OK;
    for (const tj_value *m = root->child; st == TRAWL_OK && m; m = m->next) {
        int k = 0;
        while (k < K_COUNT && !trawl__json_key_is(m, key_names[k]))
            k++;
        if (k == K_COUNT) {
            if (!(flags & TRAWL_INPUT_ALLOW_UNKNOWN_KEYS))
                st = trawl__fail_at(err, TRAWL_EFORMAT, (int64_t)m->off, -1,
                                    "unknown key '%.*s' at byte %zu (known: prompt, messages, "
                                    "query, history, urls, hosts, ...; see docs/detect.md)",
                                    (int)(m->key_len < 64 ? m->key_len : 64), m->key, m->off);
            continue;
        }
        if (k == K_MESSAGES || k == K_SYSTEM)
            chat[k - K_MESSAGES] = absent(m) ? NULL : m;
        else if (!absent(m))
            st = field(&p, k, m);
    }
    if (st == TRAWL_OK && (chat[0] || chat[1]))
        st = trawl__detect_chat_read(in, chat[0], chat[1], &p.elements, err);
    if (st != TRAWL_OK) {
        trawl_detect_input_free(in);
        return st;
    }
    *out = in;
    return TRAWL_OK;
}

trawl_status trawl_detect_input_parse_opts(const char *json, size_t len, unsigned flags,
                                           trawl_detect_input **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    tj_doc *doc;
    /* Every value costs a node: bound them as the elements are bounded. */
    trawl_status st = trawl__json_parse(json, len, 4 * TRAWL_INPUT_MAX_ELEMENTS, &doc, err);
    if (st != TRAWL_OK)
        return st;
    st = trawl__detect_input_from_tree(trawl__json_root(doc), flags, out, err);
    trawl__json_free(doc);
    return st;
}

trawl_status trawl_detect_input_parse(const char *json, size_t len, trawl_detect_input **out,
                                      trawl_error *err)
{
    return trawl_detect_input_parse_opts(json, len, 0, out, err);
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void trawl_detect_input_free(trawl_detect_input *in)
{
    if (!in)
        return;
    free(in->prompt);
    free_strings(in->urls, in->n_urls);
    free_strings(in->hosts, in->n_hosts);
    for (size_t i = 0; i < in->n_connections; i++)
        free(in->connections[i].host);
    free(in->connections);
    for (size_t i = 0; i < in->n_processes; i++)
        free(in->processes[i].name);
    free(in->processes);
    free_strings(in->files, in->n_files);
    free_strings(in->pcaps, in->n_pcaps);
    free(in->data);
    free_strings(in->behavior, in->n_behavior);
    free_strings(in->syscalls, in->n_syscalls);
    free(in->memory);
    free(in->client_id);
    free(in->query);
    free_strings(in->history, in->n_history);
    free(in->history_len);
    for (size_t i = 0; i < in->n_chat; i++) {
        free(in->chat[i].text);
        free(in->chat[i].role);
        free(in->chat[i].where);
    }
    free(in->chat);
    free(in);
}
