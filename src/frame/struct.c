/* struct.c -- the struct-format language (see trawl/struct.h).
 *
 * A format compiles into a flat array of value descriptors (code, offset,
 * size, byte order), so unpacking is a loop of fixed-size loads with no
 * parsing left on the hot path. Formats come from users and from fuzzers:
 * counts are bounded before they are multiplied. */
#include "common/error.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/struct.h>

typedef struct field {
    char code;
    uint32_t offset;
    uint32_t size;
} field;

struct trawl_struct {
    bool little;
    size_t size;
    size_t count;
    field fields[];
};

static bool host_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Width of an integer code, 0 for pad/string, -1 for an unknown code. */
static int code_width(char c)
{
    switch (c) {
    case 'x':
    case 's':
        return 0;
    case 'b':
    case 'B':
        return 1;
    case 'h':
    case 'H':
        return 2;
    case 'i':
    case 'I':
        return 4;
    case 'q':
    case 'Q':
        return 8;
    default:
        return -1;
    }
}

static bool is_signed(char c)
{
    return c == 'b' || c == 'h' || c == 'i' || c == 'q';
}

typedef struct parse_state {
    const char *fmt;
    size_t pos;
    size_t size;
    size_t count;
    field *out; /* NULL on the counting pass */
    trawl_error *err;
} parse_state;

static trawl_status syntax(parse_state *st, const char *what)
{
    if (st->err)
        st->err->column = (int)(st->pos + 1);
    return trawl__fail(st->err, TRAWL_ESYNTAX, "struct format: %s at column %zu", what,
                       st->pos + 1);
}

/* Reads an optional decimal count; *has says whether there was one. */
static trawl_status read_count(parse_state *st, size_t *n, bool *has)
{
    *n = 0;
    *has = false;
    while (st->fmt[st->pos] >= '0' && st->fmt[st->pos] <= '9') {
        *n = *n * 10 + (size_t)(st->fmt[st->pos] - '0');
        *has = true;
        st->pos++;
        if (*n > TRAWL_STRUCT_MAX_SIZE)
            return trawl__fail(st->err, TRAWL_ELIMIT, "struct format: count over %d at column %zu",
                               TRAWL_STRUCT_MAX_SIZE, st->pos);
    }
    return TRAWL_OK;
}

static trawl_status add_item(parse_state *st, char code, size_t n)
{
    int w = code_width(code);
    size_t bytes = code == 's' || code == 'x' ? n : n * (size_t)w;
    size_t values = code == 'x' ? 0 : code == 's' ? 1 : n;
    if (st->size + bytes > TRAWL_STRUCT_MAX_SIZE)
        return trawl__fail(st->err, TRAWL_ELIMIT, "struct format: layout over %d bytes",
                           TRAWL_STRUCT_MAX_SIZE);
    if (st->count + values > TRAWL_STRUCT_MAX_FIELDS)
        return trawl__fail(st->err, TRAWL_ELIMIT, "struct format: more than %d values",
                           TRAWL_STRUCT_MAX_FIELDS);
    for (size_t k = 0; st->out && k < values; k++) {
        field *f = &st->out[st->count + k];
        f->code = code;
        f->size = code == 's' ? (uint32_t)n : (uint32_t)w;
        f->offset = (uint32_t)(st->size + k * f->size);
    }
    st->size += bytes;
    st->count += values;
    return TRAWL_OK;
}

static trawl_status parse(parse_state *st, bool *little)
{
    const char *f = st->fmt;
    *little = host_little();
    if (f[0] == '<' || f[0] == '>' || f[0] == '!' || f[0] == '=' || f[0] == '@') {
        if (f[0] == '<')
            *little = true;
        else if (f[0] == '>' || f[0] == '!')
            *little = false;
        st->pos = 1;
    }
    while (f[st->pos]) {
        if (f[st->pos] == ' ') {
            st->pos++;
            continue;
        }
        size_t n;
        bool has;
        trawl_status s = read_count(st, &n, &has);
        if (s != TRAWL_OK)
            return s;
        char code = f[st->pos];
        if (!code)
            return syntax(st, "count without a code");
        if (code_width(code) < 0)
            return syntax(st, "unknown code");
        s = add_item(st, code, has ? n : 1);
        if (s != TRAWL_OK)
            return s;
        st->pos++;
    }
    return TRAWL_OK;
}

trawl_status trawl_struct_compile(const char *fmt, trawl_struct **out, trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!fmt || !out)
        return trawl__fail(err, TRAWL_EINVAL, "struct format: NULL argument");
    bool little;
    parse_state st = {.fmt = fmt, .err = err};
    trawl_status s = parse(&st, &little);
    if (s != TRAWL_OK)
        return s;
    trawl_struct *r = malloc(sizeof(*r) + st.count * sizeof(field));
    if (!r)
        return trawl__fail(err, TRAWL_ENOMEM, "struct format: out of memory");
    parse_state fill = {.fmt = fmt, .err = err, .out = r->fields};
    s = parse(&fill, &little);
    if (s != TRAWL_OK) { /* cannot happen: the same text parsed once already */
        free(r);
        return s;
    }
    r->little = little;
    r->size = fill.size;
    r->count = fill.count;
    *out = r;
    return TRAWL_OK;
}

void trawl_struct_free(trawl_struct *s)
{
    free(s);
}

size_t trawl_struct_size(const trawl_struct *s)
{
    return s ? s->size : 0;
}

size_t trawl_struct_count(const trawl_struct *s)
{
    return s ? s->count : 0;
}

char trawl_struct_code(const trawl_struct *s, size_t i)
{
    return s && i < s->count ? s->fields[i].code : 0;
}

static uint64_t load(const uint8_t *p, uint32_t w, bool little)
{
    uint64_t v = 0;
    if (little)
        for (uint32_t k = w; k-- > 0;)
            v = v << 8 | p[k];
    else
        for (uint32_t k = 0; k < w; k++)
            v = v << 8 | p[k];
    return v;
}

static void get_one(const trawl_struct *s, const field *f, const uint8_t *p,
                    trawl_struct_value *out)
{
    out->code = f->code;
    out->offset = f->offset;
    out->size = f->size;
    if (f->code == 's') {
        out->v.s.ptr = p + f->offset;
        out->v.s.len = f->size;
        return;
    }
    uint64_t u = load(p + f->offset, f->size, s->little);
    if (is_signed(f->code) && f->size < 8 && (u >> (f->size * 8 - 1)) & 1)
        u |= ~(uint64_t)0 << (f->size * 8); /* sign-extend */
    out->v.u = u;
}

trawl_status trawl_struct_unpack(const trawl_struct *s, const uint8_t *p, size_t n,
                                 trawl_struct_value *vals, size_t nvals, trawl_error *err)
{
    if (!s || (!p && n) || (!vals && s->count))
        return trawl__fail(err, TRAWL_EINVAL, "struct unpack: NULL argument");
    if (nvals < s->count)
        return trawl__fail(err, TRAWL_EINVAL, "struct unpack: room for %zu values, need %zu", nvals,
                           s->count);
    if (n < s->size)
        return trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)n, -1,
                              "struct unpack: %zu bytes, layout needs %zu", n, s->size);
    for (size_t i = 0; i < s->count; i++)
        get_one(s, &s->fields[i], p, &vals[i]);
    return TRAWL_OK;
}

bool trawl_struct_get(const trawl_struct *s, size_t i, const uint8_t *p, size_t n,
                      trawl_struct_value *out)
{
    if (!s || !out || i >= s->count || n < s->size || !p)
        return false;
    get_one(s, &s->fields[i], p, out);
    return true;
}
