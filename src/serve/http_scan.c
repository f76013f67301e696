/* http_scan.c -- POST /v1/scan: scan the body with a loaded rule set and
 * answer the matches as `trawl scan --json` prints them (JSON Lines, with
 * "file":"(request)"). The body is the raw bytes, or, with Content-Type
 * application/json, an object whose "data_base64" holds them. Rule sets are
 * compiled once at start; each worker thread grows one scratch for all. */
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "serve/internal.h"

/* A match, kept compact until the response is written: 20 bytes, and at
 * most scan_max_matches of them. */
typedef struct hit {
    uint64_t offset, length;
    uint32_t pattern;
} hit;

/* Bytes of s as JSON string content (escapes counted); out may be NULL. */
static size_t json_chars(char *out, const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            if (out) {
                out[n] = '\\';
                out[n + 1] = (char)c;
            }
            n += 2;
        } else if (c < 0x20) {
            if (out)
                snprintf(out + n, 7, "\\u%04x", c);
            n += 6;
        } else {
            if (out)
                out[n] = (char)c;
            n++;
        }
    }
    return n;
}

#define HEAD_MAX 512 /* a line's text before its data: numbers and a pattern name */

/* The text of a match line before its hex data, into out (HEAD_MAX); its
 * length. The line is then 2 x length hex digits and "\"}\n". */
static size_t line_head(const trawl_pattern_db *db, const hit *h, char *out)
{
    int n = snprintf(out, HEAD_MAX,
                     "{\"file\":\"(request)\",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
                     ",\"pattern\":",
                     h->offset, h->length);
    size_t k = (size_t)n;
    trawl_pattern_info info;
    if (trawl_pattern_info_get(db, h->pattern, &info) == TRAWL_OK && info.name &&
        json_chars(NULL, info.name) + 2 + 9 + k < HEAD_MAX) {
        out[k++] = '"';
        k += json_chars(out + k, info.name);
        out[k++] = '"';
    } else {
        k += (size_t)snprintf(out + k, HEAD_MAX - k, "%" PRIu32, h->pattern);
    }
    memcpy(out + k, ",\"data\":\"", 9);
    return k + 9;
}

enum { CUT_NONE, CUT_MATCHES, CUT_BYTES };

typedef struct scan_ctx {
    const trawl_pattern_db *db;
    hit *v;
    size_t n, cap, max_n;
    uint64_t bytes, max_bytes; /* response bytes so far, and the cap */
    int cut;
    bool oom;
} scan_ctx;

static int on_match(const trawl_match *m, void *user)
{
    scan_ctx *c = user;
    if (c->n == c->max_n) {
        c->cut = CUT_MATCHES;
        return 1;
    }
    hit h = {m->offset, m->length, m->pattern};
    char head[HEAD_MAX];
    uint64_t line = line_head(c->db, &h, head) + 2 * h.length + 3;
    if (line > c->max_bytes - c->bytes) {
        c->cut = CUT_BYTES;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        hit *v = realloc(c->v, (cap < c->max_n ? cap : c->max_n) * sizeof(*v));
        if (!v) {
            c->oom = true;
            return 1;
        }
        c->v = v;
        c->cap = cap < c->max_n ? cap : c->max_n;
    }
    c->v[c->n++] = h;
    c->bytes += line;
    return 0;
}

/* The response, written as libmicrohttpd asks for it: the lines of the
 * kept matches, then the truncation line. It owns the scanned bytes (the
 * request body or the decoded input) and the match array. */
typedef struct scan_stream {
    const trawl_pattern_db *db;
    hit *v;
    size_t n;
    const uint8_t *data;
    char *body;             /* owned: the request body */
    trawl_detect_input *in; /* owned: the decoded JSON input, or NULL */
    size_t i;               /* current match */
    int part;               /* 0 head, 1 data, 2 tail; 3 after the last match */
    char head[HEAD_MAX];
    size_t head_len, pos; /* pos: offset within the current part */
    char trailer[160];
    size_t trailer_len;
} scan_stream;

static void stream_free(void *cls)
{
    scan_stream *st = cls;
    free(st->v);
    free(st->body);
    trawl_detect_input_free(st->in);
    free(st);
}

static ssize_t stream_read(void *cls, uint64_t at, char *buf, size_t max)
{
    (void)at;
    scan_stream *st = cls;
    static const char hx[] = "0123456789abcdef";
    size_t w = 0;
    while (w < max) {
        if (st->i == st->n) { /* the truncation line, if any */
            size_t k = st->trailer_len - st->pos;
            if (!k)
                break;
            k = k < max - w ? k : max - w;
            memcpy(buf + w, st->trailer + st->pos, k);
            st->pos += k;
            w += k;
            continue;
        }
        const hit *h = &st->v[st->i];
        if (st->part == 0) {
            if (!st->pos)
                st->head_len = line_head(st->db, h, st->head);
            size_t k = st->head_len - st->pos;
            k = k < max - w ? k : max - w;
            memcpy(buf + w, st->head + st->pos, k);
            st->pos += k;
            w += k;
            if (st->pos == st->head_len)
                st->part = 1, st->pos = 0;
        } else if (st->part == 1) {
            const uint8_t *d = st->data + h->offset;
            while (st->pos < 2 * h->length && w < max) {
                uint8_t b = d[st->pos / 2];
                buf[w++] = hx[st->pos % 2 ? b & 15 : b >> 4];
                st->pos++;
            }
            if (st->pos == 2 * h->length)
                st->part = 2, st->pos = 0;
        } else {
            static const char tail[] = "\"}\n";
            size_t k = 3 - st->pos;
            k = k < max - w ? k : max - w;
            memcpy(buf + w, tail + st->pos, k);
            st->pos += k;
            w += k;
            if (st->pos == 3) {
                st->part = 0;
                st->pos = 0;
                st->i++;
            }
        }
    }
    return w ? (ssize_t)w : MHD_CONTENT_READER_END_OF_STREAM;
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

void trawl__serve_scan(trawl_server *s, const char *rules, bool json, char **body, size_t len,
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
    const char *text = *body ? *body : "";
    const uint8_t *data = (const uint8_t *)text;
    if (json) {
        if (trawl_detect_input_parse(text, len, &in, &e) != TRAWL_OK) {
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
    scan_ctx c = {.db = t->v[which].db,
                  .max_n = s->o.scan_max_matches ? s->o.scan_max_matches : 10000,
                  .max_bytes = s->o.scan_max_bytes ? s->o.scan_max_bytes : 4u << 20};
    /* The truncation lines; room for the longer is kept under the cap. */
    char cut_n[160], cut_b[160];
    size_t ln = (size_t)snprintf(cut_n, sizeof(cut_n),
                                 "{\"truncated\":true,\"reason\":\"max_matches\",\"limit\":%zu}\n",
                                 c.max_n);
    size_t lb = (size_t)snprintf(cut_b, sizeof(cut_b),
                                 "{\"truncated\":true,\"reason\":\"max_response_bytes\","
                                 "\"limit\":%" PRIu64 "}\n",
                                 c.max_bytes);
    size_t room = ln > lb ? ln : lb;
    c.max_bytes = c.max_bytes > room ? c.max_bytes - room : 0;
    trawl_status st = sc ? trawl_scan(c.db, sc, data, len, 0, on_match, &c, &e) : TRAWL_ENOMEM;
    if (st == TRAWL_ESTOPPED && c.cut)
        st = TRAWL_OK;
    if (st != TRAWL_OK || c.oom) {
        free(c.v);
        trawl_detect_input_free(in);
        trawl__serve_error(r, 500, "scan failed: %s", e.message[0] ? e.message : "out of memory");
        return;
    }
    const char *trailer = c.cut == CUT_MATCHES ? cut_n : cut_b;
    size_t tl = c.cut == CUT_MATCHES ? ln : c.cut == CUT_BYTES ? lb : 0;
    r->code = 200;
    r->type = "application/x-ndjson";
    r->truncated = c.cut == CUT_MATCHES ? "max_matches" : c.cut ? "max_response_bytes" : NULL;
    if (!c.n && !tl) {
        trawl_detect_input_free(in);
        r->body = strdup("");
        r->len = 0;
        return;
    }
    scan_stream *ss = calloc(1, sizeof(*ss));
    struct MHD_Response *resp = ss ? MHD_create_response_from_callback(c.bytes + tl, 64 * 1024,
                                                                       stream_read, ss, stream_free)
                                   : NULL;
    if (!resp) {
        free(ss);
        free(c.v);
        trawl_detect_input_free(in);
        trawl__serve_error(r, 500, "out of memory");
        return;
    }
    *ss = (scan_stream){.db = c.db, .v = c.v, .n = c.n, .data = data, .in = in};
    if (!json) { /* the stream reads the body: it takes it over */
        ss->body = *body;
        *body = NULL;
        if (!ss->body)
            ss->data = (const uint8_t *)"";
    }
    memcpy(ss->trailer, trailer, tl);
    ss->trailer_len = tl;
    r->stream = resp;
    r->len = (size_t)(c.bytes + tl);
}
