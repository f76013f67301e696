/* http_scan.c -- POST /v1/scan: scan the body with a loaded rule set and
 * answer the matches as `trawl scan --json` prints them (JSON Lines, with
 * "file":"(request)"). The body is the raw bytes, or, with Content-Type
 * application/json, an object whose "data_base64" holds them. Rule sets are
 * compiled once at start; each worker thread grows one scratch for all. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "serve/internal.h"

typedef struct obuf {
    char *p;
    size_t len, cap;
    bool oom;
} obuf;

static void put(obuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_json_string(obuf *b, const char *s)
{
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[8];
        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            put(b, e, 2);
        } else if (c < 0x20) {
            snprintf(e, sizeof(e), "\\u%04x", c);
            put(b, e, 6);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
    put(b, "\"", 1);
}

typedef struct scan_ctx {
    const trawl_pattern_db *db;
    obuf out;
} scan_ctx;

static int on_match(const trawl_match *m, void *user)
{
    scan_ctx *c = user;
    char num[96];
    int n = snprintf(num, sizeof(num),
                     "{\"file\":\"(request)\",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
                     ",\"pattern\":",
                     m->offset, m->length);
    put(&c->out, num, (size_t)n);
    trawl_pattern_info info;
    if (trawl_pattern_info_get(c->db, m->pattern, &info) == TRAWL_OK && info.name) {
        put_json_string(&c->out, info.name);
    } else {
        n = snprintf(num, sizeof(num), "%" PRIu32, m->pattern);
        put(&c->out, num, (size_t)n);
    }
    put(&c->out, ",\"data\":\"", 9);
    static const char hx[] = "0123456789abcdef";
    for (uint64_t i = 0; i < m->length; i++) {
        char h[2] = {hx[m->data[i] >> 4], hx[m->data[i] & 15]};
        put(&c->out, h, 2);
    }
    put(&c->out, "\"}\n", 3);
    return c->out.oom;
}

struct srv_rules {
    size_t n;
    struct {
        char *name;
        trawl_pattern_db *db;
    } * v;
    srv_rules *retired; /* older tables: requests may still scan with them */
};

typedef struct tscratch {
    trawl_scratch *scratch;
    const srv_rules *grown_for; /* the table the scratch serves */
} tscratch;

static void rules_free(srv_rules *t)
{
    while (t) {
        srv_rules *next = t->retired;
        for (size_t i = 0; i < t->n; i++) {
            trawl_pattern_db_free(t->v[i].db);
            free(t->v[i].name);
        }
        free(t->v);
        free(t);
        t = next;
    }
}

void trawl__serve_tscratch_free(void *p)
{
    tscratch *ts = p;
    if (ts)
        trawl_scratch_free(ts->scratch);
    free(ts);
}

/* Prefixes err's message with the rule set's name and line. */
static void name_error(trawl_error *err, const char *name)
{
    if (!err)
        return;
    char m[sizeof(err->message) + 128];
    if (err->line)
        snprintf(m, sizeof(m), "rule set '%s', line %d: %s", name, err->line, err->message);
    else
        snprintf(m, sizeof(m), "rule set '%s': %s", name, err->message);
    size_t k = strnlen(m, sizeof(err->message) - 1);
    memcpy(err->message, m, k);
    err->message[k] = '\0';
    err->line = 0;
    err->column = 0;
    err->index = -1;
}

static trawl_status rules_build(const trawl_serve_ruleset *sets, size_t n, srv_rules **out,
                                trawl_error *err)
{
    *out = NULL;
    srv_rules *t = calloc(1, sizeof(*t));
    if (!t || !(t->v = calloc(n ? n : 1, sizeof(*t->v)))) {
        free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        trawl_pattern_set *set = NULL;
        trawl_status st = trawl_pattern_set_new(&set);
        if (st == TRAWL_OK)
            st = trawl_pattern_set_add_rules(set, sets[i].text, sets[i].len, err);
        if (st == TRAWL_OK)
            st = trawl_pattern_compile(set, &t->v[i].db, err);
        trawl_pattern_set_free(set);
        t->v[i].name = strdup(sets[i].name);
        t->n = i + 1;
        if (st == TRAWL_OK && !t->v[i].name)
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        if (st != TRAWL_OK) {
            name_error(err, sets[i].name);
            rules_free(t);
            return st;
        }
    }
    *out = t;
    return TRAWL_OK;
}

trawl_status trawl__serve_rules_compile(trawl_server *s, const trawl_serve_ruleset *sets, size_t n,
                                        trawl_error *err)
{
    srv_rules *t;
    trawl_status st = rules_build(sets, n, &t, err);
    if (st == TRAWL_OK)
        atomic_store(&s->rules, t);
    return st;
}

trawl_status trawl_server_reload_rules(trawl_server *s, const trawl_serve_ruleset *sets, size_t n,
                                       trawl_error *err)
{
    trawl_error_clear(err);
    srv_rules *t;
    trawl_status st = rules_build(sets, n, &t, err);
    if (st != TRAWL_OK)
        return st;
    pthread_mutex_lock(&s->reload_mu);
    t->retired = atomic_load(&s->rules);
    atomic_store_explicit(&s->rules, t, memory_order_release);
    pthread_mutex_unlock(&s->reload_mu);
    return TRAWL_OK;
}

void trawl__serve_rules_free(trawl_server *s)
{
    rules_free(atomic_load(&s->rules));
}

/* The thread's scratch, grown to serve every database of table t. */
static trawl_scratch *thread_scratch(trawl_server *s, const srv_rules *t, trawl_error *err)
{
    tscratch *ts = pthread_getspecific(s->scratch_key);
    if (!ts) {
        if (!(ts = calloc(1, sizeof(*ts))))
            return NULL;
        pthread_setspecific(s->scratch_key, ts);
    }
    if (ts->grown_for == t)
        return ts->scratch;
    for (size_t i = 0; i < t->n; i++)
        if (trawl_scratch_alloc(t->v[i].db, &ts->scratch, err) != TRAWL_OK)
            return NULL;
    ts->grown_for = t;
    return ts->scratch;
}

void trawl__serve_scan(trawl_server *s, const char *rules, bool json, const char *body, size_t len,
                       srv_reply *r)
{
    const srv_rules *t = atomic_load_explicit(&s->rules, memory_order_acquire);
    size_t which = t ? t->n : 0;
    if (!t || !t->n) {
        trawl__serve_error(r, 404, "no rule sets are loaded (trawl serve --rules NAME=FILE)");
        return;
    }
    if (!rules || !*rules) {
        if (t->n > 1) {
            trawl__serve_error(r, 400, "query 'rules': required, %zu rule sets are loaded", t->n);
            return;
        }
        which = 0;
    } else {
        for (size_t i = 0; i < t->n; i++)
            if (!strcmp(t->v[i].name, rules))
                which = i;
        if (which == t->n) {
            trawl__serve_error(r, 404, "unknown rule set '%s'", rules);
            return;
        }
    }
    trawl_detect_input *in = NULL;
    trawl_error e;
    trawl_error_clear(&e);
    const uint8_t *data = (const uint8_t *)body;
    if (json) {
        if (trawl_detect_input_parse(body, len, &in, &e) != TRAWL_OK) {
            trawl__serve_error(r, 400, "%s", e.message);
            return;
        }
        if (!in->data) {
            trawl_detect_input_free(in);
            trawl__serve_error(r, 400, "field 'data_base64': required in a JSON scan request");
            return;
        }
        data = in->data;
        len = in->data_len;
    }
    trawl_scratch *sc = thread_scratch(s, t, &e);
    scan_ctx c = {.db = t->v[which].db};
    trawl_status st = sc ? trawl_scan(c.db, sc, data, len, 0, on_match, &c, &e) : TRAWL_ENOMEM;
    trawl_detect_input_free(in);
    if (st != TRAWL_OK || c.out.oom) {
        free(c.out.p);
        trawl__serve_error(r, 500, "scan failed: %s", e.message[0] ? e.message : "out of memory");
        return;
    }
    r->code = 200;
    r->type = "application/x-ndjson";
    r->body = c.out.p ? c.out.p : strdup("");
    r->len = c.out.len;
}
