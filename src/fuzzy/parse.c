/* parse.c -- the three pattern syntaxes (plain hex, \x escapes, YARA hex
 * without jumps) into (value, mask) positions. Input is untrusted text: every
 * error names the 1-based column of the character at fault. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <string.h>
#include "common/codec.h"

typedef struct parser {
    const char *t;
    size_t i;
    uint8_t *val, *mask;
    size_t cap, m;
    trawl_error *err;
} parser;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static trawl_status fail_col(parser *ps, trawl_status s, size_t col, const char *msg)
{
    if (ps->err) {
        trawl__fail(ps->err, s, "%s", msg);
        ps->err->column = (int)(col + 1);
    }
    return s;
}

static trawl_status push(parser *ps, uint8_t v, uint8_t mk, size_t col)
{
    if (ps->m >= ps->cap)
        return fail_col(ps, TRAWL_ELIMIT, col, "pattern too long");
    ps->val[ps->m] = v & mk;
    ps->mask[ps->m] = mk;
    ps->m++;
    return TRAWL_OK;
}

/* Two characters, each a hex digit or '?', at ps->t[at]. */
static trawl_status hex_pair(parser *ps, size_t at)
{
    uint8_t v = 0, mk = 0;
    for (int h = 0; h < 2; h++) {
        char c = ps->t[at + (size_t)h];
        int shift = h ? 0 : 4;
        if (c == '?')
            continue;
        int x = trawl__hexval(c);
        if (x < 0)
            return fail_col(ps, TRAWL_ESYNTAX, at + (size_t)h,
                            c ? "expected a hex digit or '?'" : "incomplete byte at end");
        v |= (uint8_t)(x << shift);
        mk |= (uint8_t)(0xF << shift);
    }
    return push(ps, v, mk, at);
}

static trawl_status parse_hex(parser *ps)
{
    while (ps->t[ps->i]) {
        if (is_blank(ps->t[ps->i])) {
            ps->i++;
            continue;
        }
        trawl_status s = hex_pair(ps, ps->i);
        if (s)
            return s;
        ps->i += 2;
    }
    return TRAWL_OK;
}

static trawl_status parse_yara(parser *ps)
{
    ps->i++; /* '{' */
    for (;;) {
        char c = ps->t[ps->i];
        if (is_blank(c)) {
            ps->i++;
        } else if (c == '}') {
            ps->i++;
            break;
        } else if (c == 0) {
            return fail_col(ps, TRAWL_ESYNTAX, ps->i, "missing '}'");
        } else if (c == '[' || c == '(' || c == '|' || c == '~') {
            return fail_col(ps, TRAWL_EUNSUPPORTED, ps->i,
                            "jumps, alternatives and '~' are not supported in fuzzy patterns");
        } else {
            trawl_status s = hex_pair(ps, ps->i);
            if (s)
                return s;
            ps->i += 2;
        }
    }
    while (is_blank(ps->t[ps->i]))
        ps->i++;
    if (ps->t[ps->i])
        return fail_col(ps, TRAWL_ESYNTAX, ps->i, "text after '}'");
    return TRAWL_OK;
}

static trawl_status parse_escapes(parser *ps)
{
    while (ps->t[ps->i]) {
        size_t at = ps->i;
        char c = ps->t[at];
        trawl_status s;
        if (c == '.') {
            s = push(ps, 0, 0, at);
            ps->i++;
        } else if (c != '\\') {
            if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
                return fail_col(ps, TRAWL_ESYNTAX, at, "unprintable character; use \\xHH");
            s = push(ps, (uint8_t)c, 0xFF, at);
            ps->i++;
        } else if (ps->t[at + 1] == 'x') {
            if (!ps->t[at + 2] || !ps->t[at + 3])
                return fail_col(ps, TRAWL_ESYNTAX, at, "incomplete \\x escape");
            s = hex_pair(ps, at + 2);
            ps->i += 4;
        } else if (ps->t[at + 1] == '\\' || ps->t[at + 1] == '.' || ps->t[at + 1] == '?') {
            s = push(ps, (uint8_t)ps->t[at + 1], 0xFF, at);
            ps->i += 2;
        } else {
            return fail_col(ps, TRAWL_ESYNTAX, at + 1,
                            "unknown escape; expected \\x, \\\\, \\. or \\?");
        }
        if (s)
            return s;
    }
    return TRAWL_OK;
}

trawl_status trawl_fuzzy_parse(const char *text, uint8_t *value, uint8_t *mask, size_t cap,
                               size_t *m, trawl_error *err)
{
    if (!text || !value || !mask || !m)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    parser ps = {text, 0, value, mask, cap, 0, err};
    while (is_blank(text[ps.i]))
        ps.i++;
    trawl_status s;
    if (text[ps.i] == '{')
        s = parse_yara(&ps);
    else if (text[ps.i] == '\\' || strchr(text, '\\'))
        s = parse_escapes(&ps);
    else
        s = parse_hex(&ps);
    if (s)
        return s;
    if (ps.m == 0)
        return fail_col(&ps, TRAWL_EINVAL, 0, "empty pattern");
    *m = ps.m;
    return TRAWL_OK;
}
