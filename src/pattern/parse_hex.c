/* parse_hex.c -- YARA hex strings: { AA 55 ?? A? ?5 ~00 [4] [2-6] [8-] (FF|FE) }.
 *
 * Same shape as YARA's grammar, parsed by hand: byte tokens are two hex
 * digits with '?' for a wildcard nibble, '~' negates a byte or nibble token,
 * [n], [n-m], [n-] and [-] are jumps (any bytes), ( | ) are alternatives and
 * may nest. As in YARA, a jump may not begin or end the string. Whitespace and
 * // or slash-star comments are allowed between tokens. */
#include "common/error.h"
#include "pattern/ast.h"

typedef struct hparser {
    const char *s;
    size_t len, pos;
    arena *a;
    trawl_error *err;
    int depth;
    bool failed;
} hparser;

static pnode *hfail(hparser *p, size_t at, trawl_status st, const char *msg)
{
    if (!p->failed) {
        p->failed = true;
        trawl__fail(p->err, st, "%s", msg);
        if (p->err)
            p->err->column = (int)(at + 1);
    }
    return NULL;
}

static int hpeek(const hparser *p, size_t ahead)
{
    return p->pos + ahead < p->len ? (unsigned char)p->s[p->pos + ahead] : -1;
}

/* Skips whitespace and comments; false on an unterminated comment. */
static bool skip_space(hparser *p)
{
    for (;;) {
        int c = hpeek(p, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->pos++;
        } else if (c == '/' && hpeek(p, 1) == '/') {
            while (hpeek(p, 0) >= 0 && hpeek(p, 0) != '\n')
                p->pos++;
        } else if (c == '/' && hpeek(p, 1) == '*') {
            size_t at = p->pos;
            p->pos += 2;
            while (hpeek(p, 0) >= 0 && !(hpeek(p, 0) == '*' && hpeek(p, 1) == '/'))
                p->pos++;
            if (hpeek(p, 0) < 0) {
                hfail(p, at, TRAWL_ESYNTAX, "unterminated comment");
                return false;
            }
            p->pos += 2;
        } else {
            return true;
        }
    }
}

static pnode *byte_token(hparser *p)
{
    size_t at = p->pos;
    bool negate = false;
    if (hpeek(p, 0) == '~') {
        negate = true;
        p->pos++;
    }
    int hi = hpeek(p, 0), lo = hpeek(p, 1);
    int vh = hi == '?' ? 16 : trawl__hexval(hi);
    int vl = lo == '?' ? 16 : trawl__hexval(lo);
    if (vh < 0)
        return hfail(p, p->pos, TRAWL_ESYNTAX, "expected a hex byte, '?\?', '[', '(' or '}'");
    if (vl < 0)
        return hfail(p, p->pos + 1, TRAWL_ESYNTAX, "expected a second hex digit or '?'");
    if (negate && vh == 16 && vl == 16)
        return hfail(p, at, TRAWL_ESYNTAX, "'~?\?' would match nothing");
    p->pos += 2;
    byteset set;
    bs_clear(&set);
    bs_add_nibbles(&set, vh, vl);
    if (negate)
        bs_invert(&set);
    pnode *n = pat_set_node(p->a, &set);
    return n ? n : hfail(p, at, TRAWL_ENOMEM, "out of memory");
}

static bool jump_num(hparser *p, uint32_t *out)
{
    size_t at = p->pos;
    uint64_t v = 0;
    while (hpeek(p, 0) >= '0' && hpeek(p, 0) <= '9') {
        v = v * 10 + (uint64_t)(hpeek(p, 0) - '0');
        if (v > TRAWL_PATTERN_MAX_REPEAT) {
            hfail(p, at, TRAWL_ELIMIT, "jump length above the limit of 10000");
            return false;
        }
        p->pos++;
    }
    *out = (uint32_t)v;
    return true;
}

static pnode *jump_token(hparser *p)
{
    size_t at = p->pos;
    p->pos++; /* '[' */
    uint32_t lo = 0, hi;
    skip_space(p);
    bool have_lo = hpeek(p, 0) >= '0' && hpeek(p, 0) <= '9';
    if (have_lo && !jump_num(p, &lo))
        return NULL;
    skip_space(p);
    if (hpeek(p, 0) == '-') {
        p->pos++;
        skip_space(p);
        if (hpeek(p, 0) >= '0' && hpeek(p, 0) <= '9') {
            if (!jump_num(p, &hi))
                return NULL;
        } else {
            hi = PAT_REP_INF;
        }
    } else if (have_lo) {
        hi = lo;
    } else {
        return hfail(p, p->pos, TRAWL_ESYNTAX, "expected a number or '-' in the jump");
    }
    skip_space(p);
    if (hpeek(p, 0) != ']')
        return hfail(p, p->pos, TRAWL_ESYNTAX, "expected ']' to end the jump");
    p->pos++;
    if (hi < lo)
        return hfail(p, at, TRAWL_ESYNTAX, "jump [n-m] with n greater than m");
    if (hi == 0)
        return hfail(p, at, TRAWL_ESYNTAX, "jump of zero bytes");
    byteset any;
    bs_fill(&any);
    pnode *rep = pat_node(p->a, N_REP);
    pnode *dot = pat_set_node(p->a, &any);
    if (!rep || !dot)
        return hfail(p, at, TRAWL_ENOMEM, "out of memory");
    rep->rmin = lo;
    rep->rmax = hi;
    pat_append(rep, dot);
    return rep;
}

static pnode *hex_alt(hparser *p);

/* A sequence of tokens up to '|', ')' or the end. */
static pnode *hex_seq(hparser *p)
{
    pnode *cat = pat_node(p->a, N_CAT);
    if (!cat)
        return hfail(p, p->pos, TRAWL_ENOMEM, "out of memory");
    for (;;) {
        if (!skip_space(p))
            return NULL;
        int c = hpeek(p, 0);
        pnode *t;
        if (c < 0 || c == '|' || c == ')' || c == '}')
            break;
        if (c == '[') {
            t = jump_token(p);
        } else if (c == '(') {
            size_t open = p->pos;
            p->pos++;
            if (++p->depth > PAT_MAX_DEPTH)
                return hfail(p, open, TRAWL_ELIMIT, "alternatives nested too deeply (limit 200)");
            t = hex_alt(p);
            p->depth--;
            if (t && hpeek(p, 0) != ')')
                return hfail(p, open, TRAWL_ESYNTAX,
                             "missing ')' to close the alternative opened here");
            p->pos++;
        } else {
            t = byte_token(p);
        }
        if (!t)
            return NULL;
        pat_append(cat, t);
    }
    if (!cat->kid)
        return hfail(p, p->pos, TRAWL_ESYNTAX, "empty hex string or alternative");
    return cat;
}

static pnode *hex_alt(hparser *p)
{
    pnode *first = hex_seq(p);
    if (!first || hpeek(p, 0) != '|')
        return first;
    pnode *alt = pat_node(p->a, N_ALT);
    if (!alt)
        return hfail(p, p->pos, TRAWL_ENOMEM, "out of memory");
    pat_append(alt, first);
    while (hpeek(p, 0) == '|') {
        p->pos++;
        pnode *next = hex_seq(p);
        if (!next)
            return NULL;
        pat_append(alt, next);
    }
    return alt;
}

pnode *pat_parse_hex(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err)
{
    hparser p = {.s = s, .len = len, .a = a, .err = err};
    if (flags & TRAWL_PATTERN_NOCASE)
        return hfail(&p, 0, TRAWL_EUNSUPPORTED,
                     "the case-insensitive flag does not apply to hex strings");
    if (!skip_space(&p))
        return NULL;
    bool braced = hpeek(&p, 0) == '{';
    size_t open = p.pos;
    if (braced)
        p.pos++;
    pnode *root = hex_alt(&p);
    if (!root)
        return NULL;
    if (hpeek(&p, 0) == ')')
        return hfail(&p, p.pos, TRAWL_ESYNTAX, "unmatched ')'");
    if (braced) {
        if (hpeek(&p, 0) != '}')
            return hfail(&p, open, TRAWL_ESYNTAX,
                         "missing '}' to close the hex string opened here");
        p.pos++;
    } else if (hpeek(&p, 0) == '}') {
        return hfail(&p, p.pos, TRAWL_ESYNTAX, "unmatched '}'");
    }
    if (!skip_space(&p))
        return NULL;
    if (p.pos < len)
        return hfail(&p, p.pos, TRAWL_ESYNTAX, "text after the end of the hex string");
    /* as in YARA, a jump may not begin or end the string */
    const pnode *first = root->kind == N_CAT ? root->kid : NULL;
    const pnode *last = root->kind == N_CAT ? root->last : NULL;
    if ((first && first->kind == N_REP) || (last && last->kind == N_REP))
        return hfail(&p, first && first->kind == N_REP ? open : len - 1, TRAWL_ESYNTAX,
                     "a hex string cannot begin or end with a jump");
    return root;
}

pnode *pat_parse_literal(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err)
{
    if (len == 0) {
        trawl__fail(err, TRAWL_ESYNTAX, "empty pattern");
        if (err)
            err->column = 1;
        return NULL;
    }
    pnode *cat = pat_node(a, N_CAT);
    if (!cat)
        goto nomem;
    for (size_t i = 0; i < len; i++) {
        byteset set;
        bs_clear(&set);
        bs_add(&set, (unsigned char)s[i]);
        if (flags & TRAWL_PATTERN_NOCASE)
            bs_fold_case(&set);
        pnode *n = pat_set_node(a, &set);
        if (!n)
            goto nomem;
        pat_append(cat, n);
    }
    return cat;
nomem:
    trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    return NULL;
}
