/* input.c -- the unified detector input object, parsed from JSON.
 *
 * The JSON comes from clients: every field's type is checked, and a wrong
 * type is an error naming the field. The total number of array elements is
 * capped so that a request cannot make the parse allocate without bound. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "detect/detector.h"
#include "detect/input.h"
#include "common/codec.h"

#define MAX_ELEMENTS 100000

typedef struct parse {
    trawl_detect_input *in;
    trawl_error *err;
    size_t elements;
} parse;

static trawl_status bad_field(parse *p, const char *field, const char *want)
{
    return trawl__fail(p->err, TRAWL_EFORMAT, "field '%s': expected %s", field, want);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static trawl_status get_string(parse *p, const cJSON *obj, const char *field, char **out,
                               size_t *len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!v || cJSON_IsNull(v))
        return TRAWL_OK;
    if (!cJSON_IsString(v))
        return bad_field(p, field, "a string");
    *out = dup_str(v->valuestring);
    if (!*out)
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    if (len)
        *len = strlen(*out);
    return TRAWL_OK;
}

/* An array of strings. */
static trawl_status get_strings(parse *p, const cJSON *obj, const char *field, char ***out,
                                size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!v || cJSON_IsNull(v))
        return TRAWL_OK;
    if (!cJSON_IsArray(v))
        return bad_field(p, field, "an array of strings");
    size_t count = (size_t)cJSON_GetArraySize(v);
    if ((p->elements += count) > MAX_ELEMENTS)
        return trawl__fail(p->err, TRAWL_ELIMIT, "more than %d array elements in all",
                           MAX_ELEMENTS);
    if (count == 0)
        return TRAWL_OK;
    *out = calloc(count, sizeof(char *));
    if (!*out)
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        if (!cJSON_IsString(item))
            return bad_field(p, field, "an array of strings");
        if (!((*out)[(*n)++] = dup_str(item->valuestring)))
            return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    }
    return TRAWL_OK;
}

/* An array of objects: checks the shape and returns the count. */
static trawl_status get_objects(parse *p, const cJSON *obj, const char *field, const cJSON **arr,
                                size_t *count)
{
    *arr = cJSON_GetObjectItemCaseSensitive(obj, field);
    *count = 0;
    if (!*arr || cJSON_IsNull(*arr))
        return TRAWL_OK;
    if (!cJSON_IsArray(*arr))
        return bad_field(p, field, "an array of objects");
    *count = (size_t)cJSON_GetArraySize(*arr);
    if ((p->elements += *count) > MAX_ELEMENTS)
        return trawl__fail(p->err, TRAWL_ELIMIT, "more than %d array elements in all",
                           MAX_ELEMENTS);
    const cJSON *item;
    cJSON_ArrayForEach(item, *arr)
    {
        if (!cJSON_IsObject(item))
            return bad_field(p, field, "an array of objects");
    }
    return TRAWL_OK;
}

static bool number_field(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v || cJSON_IsNull(v))
        return true; /* absent: keep the default */
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

static trawl_status get_connections(parse *p, const cJSON *obj)
{
    const cJSON *arr, *item;
    size_t n;
    trawl_status st = get_objects(p, obj, "connections", &arr, &n);
    if (st != TRAWL_OK || n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->connections = calloc(n, sizeof(*in->connections))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    cJSON_ArrayForEach(item, arr)
    {
        trawl_connection *c = &in->connections[in->n_connections++];
        double port = -1;
        c->port = -1;
        if ((st = get_string(p, item, "host", &c->host, NULL)) != TRAWL_OK)
            return trawl__fail(p->err, st, "field 'connections[].host': expected a string");
        if (!number_field(item, "port", &port) || port < -1 || port > 65535)
            return bad_field(p, "connections[].port", "a number 0..65535");
        c->port = (int)port;
    }
    return TRAWL_OK;
}

static trawl_status get_processes(parse *p, const cJSON *obj)
{
    const cJSON *arr, *item;
    size_t n;
    trawl_status st = get_objects(p, obj, "processes", &arr, &n);
    if (st != TRAWL_OK || n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->processes = calloc(n, sizeof(*in->processes))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    cJSON_ArrayForEach(item, arr)
    {
        trawl_process *pr = &in->processes[in->n_processes++];
        double pid = -1, gpu = -1;
        if ((st = get_string(p, item, "name", &pr->name, NULL)) != TRAWL_OK)
            return trawl__fail(p->err, st, "field 'processes[].name': expected a string");
        if (!number_field(item, "pid", &pid) || !(pid >= -1 && pid < 0x1p63))
            return bad_field(p, "processes[].pid", "a number");
        if (!number_field(item, "gpu_memory_percent", &gpu))
            return bad_field(p, "processes[].gpu_memory_percent", "a number");
        pr->pid = (int64_t)pid;
        pr->gpu_memory_percent = gpu;
    }
    return TRAWL_OK;
}

static trawl_status get_memory(parse *p, const cJSON *obj)
{
    const cJSON *arr, *item;
    size_t n;
    trawl_status st = get_objects(p, obj, "memory", &arr, &n);
    if (st != TRAWL_OK || n == 0)
        return st;
    trawl_detect_input *in = p->in;
    if (!(in->memory = calloc(n, sizeof(*in->memory))))
        return trawl__fail(p->err, TRAWL_ENOMEM, "out of memory");
    cJSON_ArrayForEach(item, arr)
    {
        trawl_memory_region *m = &in->memory[in->n_memory++];
        double addr = 0, size = 0;
        if (!number_field(item, "address", &addr) || !number_field(item, "size", &size) ||
            !(addr >= 0 && addr < 0x1p64) || !(size >= 0 && size < 0x1p64))
            return bad_field(p, "memory[].address/size", "non-negative numbers");
        m->address = (uint64_t)addr;
        m->size = (uint64_t)size;
        const cJSON *perms = cJSON_GetObjectItemCaseSensitive(item, "perms");
        if (perms && !cJSON_IsNull(perms)) {
            if (!cJSON_IsString(perms) || strlen(perms->valuestring) >= sizeof(m->perms))
                return bad_field(p, "memory[].perms", "a string like \"rwx\"");
            strcpy(m->perms, perms->valuestring);
        }
    }
    return TRAWL_OK;
}

static trawl_status get_data(parse *p, const cJSON *obj)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "data_base64");
    if (!v || cJSON_IsNull(v))
        return TRAWL_OK;
    if (!cJSON_IsString(v))
        return bad_field(p, "data_base64", "a base64 string");
    const char *s = v->valuestring;
    size_t n = strlen(s);
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
            trawl__fail(p->err, TRAWL_EFORMAT,
                        "field 'data_base64': invalid base64 at character %zu", i);
            return TRAWL_EFORMAT;
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

trawl_status trawl_detect_input_parse(const char *json, size_t len, trawl_detect_input **out,
                                      trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    const char *end = NULL;
    cJSON *root = json ? cJSON_ParseWithLengthOpts(json, len, &end, 0) : NULL;
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        int64_t off = at && json && at >= json && at <= json + len ? at - json : -1;
        return trawl__fail_at(err, TRAWL_EFORMAT, off, -1, "malformed JSON");
    }
    trawl_status st = trawl__detect_input_from_json(root, out, err);
    cJSON_Delete(root);
    return st;
}

trawl_status trawl__detect_input_from_json(const cJSON *root, trawl_detect_input **out,
                                           trawl_error *err)
{
    *out = NULL;
    if (!cJSON_IsObject(root))
        return trawl__fail(err, TRAWL_EFORMAT, "the input must be a JSON object");
    trawl_detect_input *in = calloc(1, sizeof(*in));
    if (!in)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    parse p = {.in = in, .err = err};
    trawl_status st = get_string(&p, root, "prompt", &in->prompt, &in->prompt_len);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "urls", &in->urls, &in->n_urls);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "hosts", &in->hosts, &in->n_hosts);
    if (st == TRAWL_OK)
        st = get_connections(&p, root);
    if (st == TRAWL_OK)
        st = get_processes(&p, root);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "files", &in->files, &in->n_files);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "pcaps", &in->pcaps, &in->n_pcaps);
    if (st == TRAWL_OK)
        st = get_data(&p, root);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "behavior", &in->behavior, &in->n_behavior);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "syscalls", &in->syscalls, &in->n_syscalls);
    if (st == TRAWL_OK)
        st = get_memory(&p, root);
    if (st == TRAWL_OK)
        st = get_string(&p, root, "client_id", &in->client_id, NULL);
    if (st == TRAWL_OK)
        st = get_string(&p, root, "query", &in->query, NULL);
    if (st == TRAWL_OK)
        st = get_strings(&p, root, "history", &in->history, &in->n_history);
    if (st == TRAWL_OK) {
        double ts = 0;
        if (!number_field(root, "timestamp_ms", &ts) || ts < 0 || ts > 9.0e15)
            st = bad_field(&p, "timestamp_ms", "milliseconds since the epoch");
        else /* converting an out-of-range double is undefined */
            in->timestamp_ms = (uint64_t)ts;
    }
    if (st != TRAWL_OK) {
        trawl_detect_input_free(in);
        return st;
    }
    *out = in;
    return TRAWL_OK;
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
    free(in);
}
