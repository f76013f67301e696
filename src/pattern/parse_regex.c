/* parse_regex.c -- the regex-style byte syntax.
 *
 * A hand-written recursive-descent parser. The input is hostile: every read
 * is bounds-checked, nesting is capped, counts are capped, and every refusal
 * names the column (1-based byte position) of the character at fault. Where
 * PCRE would quietly read something odd as a literal (a stray '{' or ']'),
 * we refuse and say how to write it: a binary pattern should mean one thing.
 */
#include "common/error.h"
#include "pattern/ast.h"

#include <string.h>

typedef struct parser {
    const char *s;
    size_t len, pos;
    unsigned flags;
    arena *a;
    trawl_error *err;
    int depth;
    bool failed;
} parser;

static pnode *fail(parser *p, size_t at, trawl_status st, const char *msg)
{
    if (!p->failed) {
        p->failed = true;
        trawl__fail(p->err, st, "%s", msg);
        if (p->err)
            p->err->column = (int)(at + 1);
    }
    return NULL;
}

static pnode *oom(parser *p)
{
    return fail(p, p->pos, TRAWL_ENOMEM, "out of memory");
}

static int peek(const parser *p, size_t ahead)
{
    return p->pos + ahead < p->len ? (unsigned char)p->s[p->pos + ahead] : -1;
}

static void set_ascii_class(byteset *s, int which)
{
    bs_clear(s);
    switch (which) {
    case 'd':
        bs_add_range(s, '0', '9');
        break;
    case 'w':
        bs_add_range(s, '0', '9');
        bs_add_range(s, 'A', 'Z');
        bs_add_range(s, 'a', 'z');
        bs_add(s, '_');
        break;
    case 's':
        bs_add_range(s, '\t', '\r');
        bs_add(s, ' ');
        break;
    }
}

/* Reads an escape after the backslash at p->pos - 1. Sets *set; *single is
 * the byte when the escape names exactly one, else -1. */
static bool parse_escape(parser *p, byteset *set, int *single)
{
    size_t at = p->pos - 1;
    int c = peek(p, 0);
    *single = -1;
    bs_clear(set);
    if (c < 0) {
        fail(p, at, TRAWL_ESYNTAX, "pattern ends with a lone backslash");
        return false;
    }
    p->pos++;
    if (c == 'x') {
        int hi = peek(p, 0), lo = peek(p, 1);
        int vh = hi == '?' ? 16 : trawl__hexval(hi);
        int vl = lo == '?' ? 16 : trawl__hexval(lo);
        if (vh < 0 || vl < 0) {
            fail(p, vh < 0 ? p->pos : p->pos + 1, TRAWL_ESYNTAX,
                 "expected two hex digits or '?' nibbles after \\x");
            return false;
        }
        p->pos += 2;
        bs_add_nibbles(set, vh, vl);
        if (vh < 16 && vl < 16)
            *single = vh << 4 | vl;
        return true;
    }
    static const char ctl_from[] = "nrtfvae0";
    static const unsigned char ctl_to[] = {'\n', '\r', '\t', '\f', '\v', 7, 27, 0};
    const char *k = c ? strchr(ctl_from, c) : NULL;
    if (k) {
        if (c == '0' && peek(p, 0) >= '0' && peek(p, 0) <= '7') {
            fail(p, at, TRAWL_EUNSUPPORTED, "octal escapes are not supported; use \\xNN");
            return false;
        }
        *single = ctl_to[k - ctl_from];
        bs_add(set, (unsigned)*single);
        return true;
    }
    if (c == 'd' || c == 'w' || c == 's' || c == 'D' || c == 'W' || c == 'S') {
        set_ascii_class(set, c | 0x20);
        if (c < 'a')
            bs_invert(set);
        return true;
    }
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
        c >= 0x20 && c != 0x7f) {
        *single = c; /* escaped punctuation or space stands for itself */
        bs_add(set, (unsigned)c);
        return true;
    }
    if (c == 'b' || c == 'B' || c == 'A' || c == 'z' || c == 'Z' || c == 'G')
        fail(p, at, TRAWL_EUNSUPPORTED,
             "assertions other than ^ and $ are not supported in byte patterns");
    else if (c >= '1' && c <= '9')
        fail(p, at, TRAWL_EUNSUPPORTED, "back-references are not supported");
    else
        fail(p, at, TRAWL_ESYNTAX, "unknown escape sequence");
    return false;
}

static bool raw_byte_ok(parser *p, int c)
{
    if (c < 0x20 || c == 0x7f) {
        fail(p, p->pos, TRAWL_ESYNTAX, "raw control byte in pattern; write it as \\xNN");
        return false;
    }
    return true;
}

static pnode *parse_class(parser *p)
{
    size_t open = p->pos; /* at '[' */
    p->pos++;
    bool negate = false;
    if (peek(p, 0) == '^') {
        negate = true;
        p->pos++;
    }
    byteset set;
    bs_clear(&set);
    bool any = false;
    for (;;) {
        int c = peek(p, 0);
        if (c < 0)
            return fail(p, open, TRAWL_ESYNTAX, "missing ']' to close the class opened here");
        if (c == ']') {
            p->pos++;
            break;
        }
        if (c == '[' && peek(p, 1) == ':')
            return fail(p, p->pos, TRAWL_EUNSUPPORTED, "POSIX [:classes:] are not supported");
        size_t item_at = p->pos;
        byteset item;
        int lo;
        if (c == '\\') {
            p->pos++;
            if (!parse_escape(p, &item, &lo))
                return NULL;
        } else {
            if (!raw_byte_ok(p, c))
                return NULL;
            p->pos++;
            lo = c;
            bs_clear(&item);
            bs_add(&item, (unsigned)c);
        }
        /* a range: single '-' single, where '-' is not the last char */
        if (peek(p, 0) == '-' && peek(p, 1) >= 0 && peek(p, 1) != ']') {
            if (lo < 0)
                return fail(p, p->pos, TRAWL_ESYNTAX, "a range needs a single byte on its left");
            p->pos++;
            int hi;
            byteset hiset;
            size_t hi_at = p->pos;
            if (peek(p, 0) == '\\') {
                p->pos++;
                if (!parse_escape(p, &hiset, &hi))
                    return NULL;
            } else {
                if (!raw_byte_ok(p, peek(p, 0)))
                    return NULL;
                hi = peek(p, 0);
                p->pos++;
            }
            if (hi < 0)
                return fail(p, hi_at, TRAWL_ESYNTAX, "a range needs a single byte on its right");
            if (hi < lo)
                return fail(p, item_at, TRAWL_ESYNTAX,
                            "range out of order (low end above high end)");
            bs_add_range(&item, (unsigned)lo, (unsigned)hi);
        }
        bs_union(&set, &item);
        any = true;
    }
    if (!any)
        return fail(p, open, TRAWL_ESYNTAX, "empty class; write \\] for a literal ']'");
    if (p->flags & TRAWL_PATTERN_NOCASE)
        bs_fold_case(&set);
    if (negate)
        bs_invert(&set);
    if (bs_count(&set) == 0)
        return fail(p, open, TRAWL_ESYNTAX, "class matches no byte at all");
    pnode *n = pat_set_node(p->a, &set);
    return n ? n : oom(p);
}

static pnode *parse_alt(parser *p);

static pnode *parse_group(parser *p)
{
    size_t open = p->pos;
    p->pos++;
    if (peek(p, 0) == '?') {
        if (peek(p, 1) == ':') {
            p->pos += 2;
        } else if (peek(p, 1) != '?') { /* "(??" is a group starting with any-byte */
            return fail(p, open, TRAWL_EUNSUPPORTED,
                        "(?...) constructs other than (?: are not supported");
        }
    }
    if (++p->depth > PAT_MAX_DEPTH)
        return fail(p, open, TRAWL_ELIMIT, "groups nested too deeply (limit 200)");
    pnode *n = parse_alt(p);
    p->depth--;
    if (!n)
        return NULL;
    if (peek(p, 0) != ')')
        return fail(p, open, TRAWL_ESYNTAX, "missing ')' to close the group opened here");
    p->pos++;
    return n;
}

static pnode *parse_atom(parser *p)
{
    int c = peek(p, 0);
    byteset set;
    pnode *n;
    switch (c) {
    case '(':
        return parse_group(p);
    case '[':
        return parse_class(p);
    case '.':
        p->pos++;
        bs_fill(&set);
        n = pat_set_node(p->a, &set);
        return n ? n : oom(p);
    case '?':
        if (peek(p, 1) == '?') {
            p->pos += 2;
            bs_fill(&set);
            n = pat_set_node(p->a, &set);
            return n ? n : oom(p);
        }
        return fail(p, p->pos, TRAWL_ESYNTAX, "quantifier '?' has nothing to repeat");
    case '*':
    case '+':
    case '{':
        return fail(p, p->pos, TRAWL_ESYNTAX, "quantifier has nothing to repeat");
    case '^':
    case '$':
        p->pos++;
        n = pat_node(p->a, c == '^' ? N_BOL : N_EOL);
        return n ? n : oom(p);
    case ')':
        return fail(p, p->pos, TRAWL_ESYNTAX, "unmatched ')'");
    case ']':
    case '}':
        return fail(p, p->pos, TRAWL_ESYNTAX, "unescaped bracket; write \\] or \\}");
    case '\\': {
        int single;
        p->pos++;
        if (!parse_escape(p, &set, &single))
            return NULL;
        break;
    }
    default:
        if (!raw_byte_ok(p, c))
            return NULL;
        p->pos++;
        bs_clear(&set);
        bs_add(&set, (unsigned)c);
        break;
    }
    if (p->flags & TRAWL_PATTERN_NOCASE)
        bs_fold_case(&set);
    n = pat_set_node(p->a, &set);
    return n ? n : oom(p);
}

static bool parse_count(parser *p, uint32_t *out)
{
    size_t at = p->pos;
    uint64_t v = 0;
    if (peek(p, 0) < '0' || peek(p, 0) > '9') {
        fail(p, at, TRAWL_ESYNTAX, "expected a number in the repeat count");
        return false;
    }
    while (peek(p, 0) >= '0' && peek(p, 0) <= '9') {
        v = v * 10 + (uint64_t)(peek(p, 0) - '0');
        if (v > TRAWL_PATTERN_MAX_REPEAT) {
            fail(p, at, TRAWL_ELIMIT, "repeat count above the limit of 10000");
            return false;
        }
        p->pos++;
    }
    *out = (uint32_t)v;
    return true;
}

/* Reads one quantifier if there is one. Returns 1 when read, 0 when none,
 * -1 on error. */
static int parse_quant(parser *p, uint32_t *rmin, uint32_t *rmax)
{
    int c = peek(p, 0);
    size_t at = p->pos;
    if (c == '*' || c == '+') {
        p->pos++;
        *rmin = c == '+';
        *rmax = PAT_REP_INF;
    } else if (c == '?' && peek(p, 1) != '?') {
        p->pos++;
        *rmin = 0;
        *rmax = 1;
    } else if (c == '{') {
        p->pos++;
        if (!parse_count(p, rmin))
            return -1;
        *rmax = *rmin;
        if (peek(p, 0) == ',') {
            p->pos++;
            if (peek(p, 0) == '}')
                *rmax = PAT_REP_INF;
            else if (!parse_count(p, rmax))
                return -1;
        }
        if (peek(p, 0) != '}') {
            fail(p, p->pos, TRAWL_ESYNTAX, "expected '}' to end the repeat count");
            return -1;
        }
        p->pos++;
        if (*rmax < *rmin) {
            fail(p, at, TRAWL_ESYNTAX, "repeat {n,m} with n greater than m");
            return -1;
        }
    } else {
        return 0;
    }
    c = peek(p, 0);
    if (c == '+' || (c == '?' && peek(p, 1) != '?')) {
        fail(p, p->pos, TRAWL_EUNSUPPORTED,
             "lazy and possessive quantifiers are not supported (matches are leftmost-longest)");
        return -1;
    }
    if (c == '*' || c == '{') {
        fail(p, p->pos, TRAWL_ESYNTAX, "quantifier follows another quantifier");
        return -1;
    }
    return 1;
}

static pnode *parse_concat(parser *p)
{
    pnode *cat = pat_node(p->a, N_CAT);
    if (!cat)
        return oom(p);
    for (;;) {
        int c = peek(p, 0);
        if (c < 0 || c == '|' || (c == ')' && p->depth > 0))
            return cat;
        size_t atom_at = p->pos;
        pnode *atom = parse_atom(p);
        if (!atom)
            return NULL;
        uint32_t rmin, rmax;
        int q = parse_quant(p, &rmin, &rmax);
        if (q < 0)
            return NULL;
        if (q > 0) {
            if (atom->kind == N_BOL || atom->kind == N_EOL)
                return fail(p, atom_at, TRAWL_ESYNTAX, "an anchor cannot be repeated");
            pnode *rep = pat_node(p->a, N_REP);
            if (!rep)
                return oom(p);
            rep->rmin = rmin;
            rep->rmax = rmax;
            pat_append(rep, atom);
            atom = rep;
        }
        pat_append(cat, atom);
    }
}

static pnode *parse_alt(parser *p)
{
    pnode *first = parse_concat(p);
    if (!first || peek(p, 0) != '|')
        return first;
    pnode *alt = pat_node(p->a, N_ALT);
    if (!alt)
        return oom(p);
    pat_append(alt, first);
    while (peek(p, 0) == '|') {
        p->pos++;
        pnode *next = parse_concat(p);
        if (!next)
            return NULL;
        pat_append(alt, next);
    }
    return alt;
}

pnode *pat_parse_regex(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err)
{
    parser p = {.s = s, .len = len, .flags = flags, .a = a, .err = err};
    if (len == 0)
        return fail(&p, 0, TRAWL_ESYNTAX, "empty pattern");
    pnode *root = parse_alt(&p);
    if (!root)
        return NULL;
    if (p.pos < len) /* only a ')' at depth 0 stops the top level early */
        return fail(&p, p.pos, TRAWL_ESYNTAX, "unmatched ')'");
    return root;
}
