/* json.c -- the strict JSON reader (see json.h for what it refuses and why).
 *
 * Recursive descent over bytes, depth bounded. Values and decoded strings
 * come from a block arena owned by the document: one free() per block, and
 * a string's room is known before it is decoded (a decoded string is never
 * longer than its source text). Duplicate member names are found once an
 * object is complete: pairwise for small objects, by sorting a copy of the
 * member pointers for large ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/error.h"
#include "common/json.h"

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} block;

struct tj_doc {
    block *blocks;
    tj_value *root;
};

typedef struct parser {
    const unsigned char *p;
    size_t n, i;
    size_t values, max_values;
    tj_doc *doc;
    trawl_error *err;
} parser;

#define BLOCK_MIN 4096

static void *arena(tj_doc *d, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    block *b = d->blocks;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
        if (b && b->cap * 2 > cap && b->cap < (1u << 20))
            cap = b->cap * 2 > size ? b->cap * 2 : size;
        if (!(b = malloc(sizeof(*b) + cap)))
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = d->blocks;
        d->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += size;
    return r;
}

static trawl_status fail(parser *ps, trawl_status st, size_t at, const char *msg)
{
    if (st == TRAWL_EFORMAT)
        return trawl__fail_at(ps->err, st, (int64_t)at, -1, "malformed JSON at byte %zu: %s", at,
                              msg);
    return trawl__fail_at(ps->err, st, (int64_t)at, -1, "%s at byte %zu", msg, at);
}

static void skip_ws(parser *ps)
{
    while (ps->i < ps->n) {
        unsigned char c = ps->p[ps->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        ps->i++;
    }
}

/* Four hex digits at p[i..); -1 when they are not. */
static long hex4(const parser *ps, size_t i)
{
    if (ps->n - i < 4)
        return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = trawl__hexval(ps->p[i + (size_t)k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static size_t put_utf8(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < k || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t j = 2; j < k; j++)
        if (p[j] < 0x80 || p[j] > 0xBF)
            return 0;
    return k;
}

size_t trawl__json_utf8_prefix(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, k;
    while (i < n && (k = utf8_len(u + i, n - i)))
        i += k;
    return i;
}

/* The escape at p[i] (after the backslash); writes its bytes to o. */
static trawl_status escape(parser *ps, unsigned char *o, size_t *w)
{
    size_t at = ps->i - 1;
    unsigned char c = ps->p[ps->i++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *f = c ? strchr(from, c) : NULL;
    if (f) {
        o[(*w)++] = (unsigned char)to[f - from];
        return TRAWL_OK;
    }
    if (c != 'u')
        return fail(ps, TRAWL_EFORMAT, at, "invalid escape in string");
    long cp = hex4(ps, ps->i);
    if (cp < 0)
        return fail(ps, TRAWL_EFORMAT, at, "invalid \\u escape in string");
    ps->i += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(ps, TRAWL_EFORMAT, at, "unpaired surrogate escape in string");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo = ps->n - ps->i >= 6 && ps->p[ps->i] == '\\' && ps->p[ps->i + 1] == 'u'
                      ? hex4(ps, ps->i + 2)
                      : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, TRAWL_EFORMAT, at, "unpaired surrogate escape in string");
        ps->i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    *w += put_utf8(o + *w, (unsigned long)cp);
    return TRAWL_OK;
}

/* Eight bytes at a time (SWAR): ONES * c has c in every byte; a word has a
 * zero byte when ZERO_BYTE(x) != 0 (exact as a yes/no answer). */
#define ONES           0x0101010101010101ull
#define HIGHS          0x8080808080808080ull
#define ZERO_BYTE(x)   (((x)-ONES) & ~(x)&HIGHS)
#define HAS_BYTE(w, c) ZERO_BYTE((w) ^ (ONES * (c)))
/* Bytes that string() copies as they are: 0x20..0x7F but the backslash. */
#define NOT_PLAIN(w) (((w) | (((w)-ONES * 0x20) & ~(w)) | HAS_BYTE(w, '\\')) & HIGHS)
/* The lowest flagged byte of such a mask is always a true hit (a false one
 * only ever sits above a true one), so this many bytes before it are not. */
#define CLEAR_BYTES(m) ((size_t)__builtin_ctzll(m) / 8)

/* A string at p[i] == '"'. Runs of plain ASCII go eight bytes at a time;
 * everything else (and every error, at the same offset) byte by byte. */
static trawl_status string(parser *ps, const char **out, size_t *len)
{
    size_t start = ++ps->i, end = start;
    for (;;) {
        while (end + 8 <= ps->n) {
            uint64_t w, m;
            memcpy(&w, ps->p + end, 8);
            if ((m = HAS_BYTE(w, '"') | HAS_BYTE(w, '\\'))) {
                end += CLEAR_BYTES(m);
                break;
            }
            end += 8;
        }
        if (end >= ps->n || ps->p[end] == '"')
            break;
        end += ps->p[end] == '\\' ? 2 : 1;
    }
    if (end >= ps->n)
        return fail(ps, TRAWL_EFORMAT, start - 1, "unterminated string");
    unsigned char *o = arena(ps->doc, end - start + 1);
    if (!o)
        return trawl__fail(ps->err, TRAWL_ENOMEM, "out of memory");
    size_t w = 0;
    while (ps->i < end) {
        if (end - ps->i >= 8) {
            uint64_t word, m;
            memcpy(&word, ps->p + ps->i, 8);
            size_t k = (m = NOT_PLAIN(word)) ? CLEAR_BYTES(m) : 8;
            memcpy(o + w, &word, 8); /* the room is end - start + 1 */
            w += k;
            ps->i += k;
            if (k)
                continue;
        }
        unsigned char c = ps->p[ps->i];
        if (c == '\\') {
            ps->i++;
            trawl_status st = escape(ps, o, &w);
            if (st != TRAWL_OK)
                return st;
        } else if (c < 0x20) {
            return fail(ps, TRAWL_EFORMAT, ps->i, "control character in string");
        } else if (c < 0x80) {
            o[w++] = c;
            ps->i++;
        } else {
            size_t k = utf8_len(ps->p + ps->i, end - ps->i);
            if (!k)
                return fail(ps, TRAWL_EFORMAT, ps->i, "invalid UTF-8 in string");
            memcpy(o + w, ps->p + ps->i, k);
            w += k;
            ps->i += k;
        }
    }
    if (ps->i != end) /* an escape ran past the closing quote */
        return fail(ps, TRAWL_EFORMAT, start - 1, "invalid escape in string");
    ps->i = end + 1;
    o[w] = 0;
    *out = (const char *)o;
    *len = w;
    return TRAWL_OK;
}

static bool digit(const parser *ps, size_t i)
{
    return i < ps->n && ps->p[i] >= '0' && ps->p[i] <= '9';
}

static trawl_status number(parser *ps, tj_value *v)
{
    size_t s = ps->i, i = s;
    if (i < ps->n && ps->p[i] == '-')
        i++;
    if (!digit(ps, i))
        return fail(ps, TRAWL_EFORMAT, s, "invalid value");
    if (ps->p[i] == '0') {
        i++;
        if (digit(ps, i))
            return fail(ps, TRAWL_EFORMAT, s, "leading zero in number");
    } else
        while (digit(ps, i))
            i++;
    if (i < ps->n && ps->p[i] == '.') {
        if (!digit(ps, ++i))
            return fail(ps, TRAWL_EFORMAT, s, "invalid number");
        while (digit(ps, i))
            i++;
    }
    if (i < ps->n && (ps->p[i] == 'e' || ps->p[i] == 'E')) {
        i++;
        if (i < ps->n && (ps->p[i] == '+' || ps->p[i] == '-'))
            i++;
        if (!digit(ps, i))
            return fail(ps, TRAWL_EFORMAT, s, "invalid number");
        while (digit(ps, i))
            i++;
    }
    char small[64], *buf = small;
    size_t k = i - s;
    if (k >= sizeof small && !(buf = malloc(k + 1)))
        return trawl__fail(ps->err, TRAWL_ENOMEM, "out of memory");
    memcpy(buf, ps->p + s, k);
    buf[k] = 0;
    v->num = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (!isfinite(v->num))
        return fail(ps, TRAWL_ELIMIT, s, "number out of range");
    v->type = TJ_NUMBER;
    ps->i = i;
    return TRAWL_OK;
}

static bool key_eq(const tj_value *a, const tj_value *b)
{
    return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

static int key_cmp(const void *x, const void *y)
{
    const tj_value *a = *(const tj_value *const *)x, *b = *(const tj_value *const *)y;
    size_t m = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, m);
    if (c)
        return c;
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* The second of two members with one name, or NULL (also on OOM: *oom). */
static const tj_value *duplicate(const tj_value *obj, bool *oom)
{
    *oom = false;
    if (obj->n <= 16) {
        for (const tj_value *a = obj->child; a; a = a->next)
            for (const tj_value *b = a->next; b; b = b->next)
                if (key_eq(a, b))
                    return b;
        return NULL;
    }
    const tj_value **v = malloc(obj->n * sizeof(*v));
    if (!v) {
        *oom = true;
        return NULL;
    }
    size_t n = 0;
    for (const tj_value *a = obj->child; a; a = a->next)
        v[n++] = a;
    qsort(v, n, sizeof(*v), key_cmp);
    const tj_value *d = NULL;
    for (size_t i = 1; i < n && !d; i++)
        if (key_eq(v[i - 1], v[i]))
            d = v[i - 1]->off > v[i]->off ? v[i - 1] : v[i];
    free(v);
    return d;
}

static trawl_status value(parser *ps, tj_value *v, unsigned depth);

static tj_value *new_value(parser *ps)
{
    if (ps->max_values && ++ps->values > ps->max_values)
        return NULL;
    tj_value *v = arena(ps->doc, sizeof(*v));
    if (v)
        memset(v, 0, sizeof(*v));
    return v;
}

static trawl_status no_value(parser *ps)
{
    if (ps->max_values && ps->values > ps->max_values)
        return fail(ps, TRAWL_ELIMIT, ps->i, "too many values");
    return trawl__fail(ps->err, TRAWL_ENOMEM, "out of memory");
}

/* Elements or members up to the closing bracket; p[i] is past the opener. */
static trawl_status container(parser *ps, tj_value *v, unsigned depth)
{
    bool obj = v->type == TJ_OBJECT;
    unsigned char close = obj ? '}' : ']';
    tj_value **tail = &v->child;
    skip_ws(ps);
    if (ps->i < ps->n && ps->p[ps->i] == close) {
        ps->i++;
        return TRAWL_OK;
    }
    for (;;) {
        tj_value *c = new_value(ps);
        if (!c)
            return no_value(ps);
        skip_ws(ps);
        if (obj) {
            c->off = ps->i;
            if (ps->i >= ps->n || ps->p[ps->i] != '"')
                return fail(ps, TRAWL_EFORMAT, ps->i, "expected a member name");
            trawl_status st = string(ps, &c->key, &c->key_len);
            if (st != TRAWL_OK)
                return st;
            skip_ws(ps);
            if (ps->i >= ps->n || ps->p[ps->i] != ':')
                return fail(ps, TRAWL_EFORMAT, ps->i, "expected ':'");
            ps->i++;
            skip_ws(ps);
        }
        trawl_status st = value(ps, c, depth + 1);
        if (st != TRAWL_OK)
            return st;
        *tail = c;
        tail = &c->next;
        if (v->n == UINT32_MAX)
            return fail(ps, TRAWL_ELIMIT, ps->i, "too many values");
        v->n++;
        skip_ws(ps);
        if (ps->i < ps->n && ps->p[ps->i] == ',') {
            ps->i++;
            continue;
        }
        if (ps->i < ps->n && ps->p[ps->i] == close) {
            ps->i++;
            break;
        }
        return fail(ps, TRAWL_EFORMAT, ps->i, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    if (!obj)
        return TRAWL_OK;
    bool oom;
    const tj_value *d = duplicate(v, &oom);
    if (oom)
        return trawl__fail(ps->err, TRAWL_ENOMEM, "out of memory");
    if (d) {
        /* The name may hold anything: print it escaped, cut short. */
        char name[64];
        size_t w = 0;
        for (size_t k = 0; k < d->key_len && w < sizeof name - 5; k++) {
            unsigned char c = (unsigned char)d->key[k];
            if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\')
                name[w++] = (char)c;
            else
                w += (size_t)snprintf(name + w, sizeof name - w, "\\x%02x", c);
        }
        name[w < sizeof name ? w : sizeof name - 1] = 0;
        return trawl__fail_at(ps->err, TRAWL_EFORMAT, (int64_t)d->off, -1,
                              "duplicate key '%s' at byte %zu", name, d->off);
    }
    return TRAWL_OK;
}

static bool literal(parser *ps, const char *word)
{
    size_t k = strlen(word);
    if (ps->n - ps->i < k || memcmp(ps->p + ps->i, word, k))
        return false;
    ps->i += k;
    return true;
}

static trawl_status value(parser *ps, tj_value *v, unsigned depth)
{
    if (depth > TJ_MAX_DEPTH)
        return fail(ps, TRAWL_ELIMIT, ps->i, "JSON nested too deeply");
    if (ps->i >= ps->n)
        return fail(ps, TRAWL_EFORMAT, ps->i, "unexpected end of JSON");
    /* A member's offset is its name's, so a duplicate is reported where a
     * reader sees it; an element's is its own. */
    if (!v->key)
        v->off = ps->i;
    unsigned char c = ps->p[ps->i];
    switch (c) {
    case '{':
    case '[':
        v->type = c == '{' ? TJ_OBJECT : TJ_ARRAY;
        ps->i++;
        return container(ps, v, depth);
    case '"':
        v->type = TJ_STRING;
        return string(ps, &v->str, &v->len);
    case 't':
    case 'f':
    case 'n':
        if (literal(ps, "true"))
            v->type = TJ_TRUE;
        else if (literal(ps, "false"))
            v->type = TJ_FALSE;
        else if (literal(ps, "null"))
            v->type = TJ_NULL;
        else
            return fail(ps, TRAWL_EFORMAT, ps->i, "invalid value");
        return TRAWL_OK;
    default:
        return number(ps, v);
    }
}

trawl_status trawl__json_parse(const char *json, size_t len, size_t max_values, tj_doc **out,
                               trawl_error *err)
{
    *out = NULL;
    tj_doc *d = calloc(1, sizeof(*d));
    if (!d)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    parser ps = {.p = (const unsigned char *)(json ? json : ""),
                 .n = json ? len : 0,
                 .max_values = max_values,
                 .doc = d,
                 .err = err};
    skip_ws(&ps);
    trawl_status st = TRAWL_OK;
    if (!(d->root = new_value(&ps)))
        st = no_value(&ps);
    if (st == TRAWL_OK)
        st = value(&ps, d->root, 0);
    if (st == TRAWL_OK) {
        skip_ws(&ps);
        if (ps.i != ps.n)
            st = fail(&ps, TRAWL_EFORMAT, ps.i, "trailing content after the JSON value");
    }
    if (st != TRAWL_OK) {
        trawl__json_free(d);
        return st;
    }
    *out = d;
    return TRAWL_OK;
}

const tj_value *trawl__json_root(const tj_doc *d)
{
    return d ? d->root : NULL;
}

void trawl__json_free(tj_doc *d)
{
    if (!d)
        return;
    for (block *b = d->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(d);
}

bool trawl__json_key_is(const tj_value *v, const char *s)
{
    size_t k = strlen(s);
    return v->key && v->key_len == k && !memcmp(v->key, s, k);
}

const tj_value *trawl__json_get(const tj_value *obj, const char *key)
{
    if (!obj || obj->type != TJ_OBJECT)
        return NULL;
    for (const tj_value *c = obj->child; c; c = c->next)
        if (trawl__json_key_is(c, key))
            return c;
    return NULL;
}
