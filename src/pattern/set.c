/* set.c -- pattern sets: parse, check and keep patterns until compiled.
 * Also the rule-file reader. */
#include "common/error.h"
#include "pattern/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void tpat_clear(tpat *t)
{
    free(t->expr);
    free(t->name);
    free(t->hs_expr);
    prog_free(t->prog);
    memset(t, 0, sizeof(*t));
}

static pnode *parse_any(arena *a, const char *expr, size_t len, trawl_pattern_syntax *syntax,
                        unsigned flags, trawl_error *err)
{
    if (*syntax == TRAWL_SYNTAX_AUTO) {
        size_t i = 0;
        while (i < len && (expr[i] == ' ' || expr[i] == '\t'))
            i++;
        *syntax = i < len && expr[i] == '{' ? TRAWL_SYNTAX_HEX : TRAWL_SYNTAX_REGEX;
    }
    switch (*syntax) {
    case TRAWL_SYNTAX_HEX:
        return pat_parse_hex(a, expr, len, flags, err);
    case TRAWL_SYNTAX_LITERAL:
        return pat_parse_literal(a, expr, len, flags, err);
    default:
        return pat_parse_regex(a, expr, len, flags, err);
    }
}

trawl_status tpat_build(tpat *t, const char *expr, size_t len, trawl_pattern_syntax syntax,
                        unsigned flags, const char *name, trawl_error *err)
{
    memset(t, 0, sizeof(*t));
    if (!expr || len > TRAWL_PATTERN_MAX_LEN || syntax > TRAWL_SYNTAX_LITERAL ||
        (flags & ~(unsigned)TRAWL_PATTERN_NOCASE))
        return trawl__fail(err, TRAWL_EINVAL, "invalid pattern argument");
    arena a = {0};
    trawl_status st = TRAWL_OK;
    pnode *root = parse_any(&a, expr, len, &syntax, flags, err);
    if (!root) {
        st = err ? err->status : TRAWL_ESYNTAX;
        if (a.failed)
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        goto out;
    }
    pat_widths(root);
    pat_cost(root, &t->wide, &t->unbounded);
    if (root->wmin == 0) {
        st = trawl__fail(err, TRAWL_ESYNTAX, "pattern can match the empty string");
        if (err)
            err->column = 1;
        goto out;
    }
    if (prog_size(root) > TRAWL_PATTERN_MAX_STATES) {
        st = trawl__fail(err, TRAWL_ELIMIT, "pattern expands to more than %d states",
                         TRAWL_PATTERN_MAX_STATES);
        if (err)
            err->column = 1;
        goto out;
    }
    t->syntax = syntax;
    t->flags = flags;
    t->len = len; /* (wide and unbounded are set above, by pat_cost) */
    t->wmin = root->wmin;
    t->wmax = root->wmax;
    t->anchored = pat_anchored_start(root);
    t->expr = dup_bytes(expr, len);
    t->name = name ? dup_bytes(name, strlen(name)) : NULL;
    t->hs_expr = pat_emit_hs(root);
    if (t->wmin != t->wmax)
        t->prog = prog_compile(root);
    if (!t->expr || (name && !t->name) || !t->hs_expr || (t->wmin != t->wmax && !t->prog)) {
        tpat_clear(t);
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
out:
    pat_arena_free(&a);
    return st;
}

/* A copy, not a second parse: compiling and loading from the cache copy
 * every pattern of the set, and parsing is most of what a set costs. */
trawl_status tpat_copy(tpat *dst, const tpat *src)
{
    *dst = *src;
    dst->expr = dup_bytes(src->expr, src->len);
    dst->name = src->name ? dup_bytes(src->name, strlen(src->name)) : NULL;
    dst->hs_expr = dup_bytes(src->hs_expr, strlen(src->hs_expr));
    dst->prog = src->prog ? prog_copy(src->prog) : NULL;
    if (!dst->expr || (src->name && !dst->name) || !dst->hs_expr || (src->prog && !dst->prog)) {
        tpat_clear(dst);
        return TRAWL_ENOMEM;
    }
    return TRAWL_OK;
}

trawl_status trawl_pattern_set_limits(trawl_pattern_set *set, const trawl_pattern_limits *l)
{
    if (!set)
        return TRAWL_EINVAL;
    trawl_pattern_limits d = {0};
    if (l)
        d = *l;
    set->lim.max_unbounded = d.max_unbounded ? d.max_unbounded : TRAWL_PATTERN_MAX_UNBOUNDED;
    set->lim.max_wide = d.max_wide ? d.max_wide : TRAWL_PATTERN_MAX_WIDE;
    set->lim.max_set_wide = d.max_set_wide ? d.max_set_wide : TRAWL_PATTERN_MAX_SET_WIDE;
    set->lim.max_rule_line = d.max_rule_line ? d.max_rule_line : TRAWL_PATTERN_MAX_RULE_LINE;
    return TRAWL_OK;
}

trawl_status trawl_pattern_set_new(trawl_pattern_set **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return TRAWL_ENOMEM;
    trawl_pattern_set_limits(*out, NULL);
    return TRAWL_OK;
}

void trawl_pattern_set_free(trawl_pattern_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        tpat_clear(&set->pats[i]);
    free(set->pats);
    free(set);
}

size_t trawl_pattern_set_count(const trawl_pattern_set *set)
{
    return set ? set->n : 0;
}

static trawl_status reserve(trawl_pattern_set *set, size_t more, trawl_error *err)
{
    if (set->n + more <= set->cap)
        return TRAWL_OK;
    size_t cap = set->cap ? set->cap : 16;
    while (cap < set->n + more)
        cap *= 2;
    tpat *p = realloc(set->pats, cap * sizeof(*p));
    if (!p)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    set->pats = p;
    set->cap = cap;
    return TRAWL_OK;
}

/* The complexity limits (trawl_pattern_limits); on refusal t is cleared. */
static trawl_status check_limits(const trawl_pattern_set *set, tpat *t, const char *name,
                                 trawl_error *err)
{
    const trawl_pattern_limits *l = &set->lim;
    char who[300] = "";
    if (name)
        snprintf(who, sizeof(who), "rule '%s': ", name);
    trawl_status st = TRAWL_OK;
    if (t->unbounded > l->max_unbounded)
        st = trawl__fail(err, TRAWL_ELIMIT,
                         "%s%llu unbounded repeats (*, +, {n,}, [n-]), over the limit of %zu", who,
                         (unsigned long long)t->unbounded, l->max_unbounded);
    else if (t->wide > l->max_wide)
        st = trawl__fail(err, TRAWL_ELIMIT,
                         "%s%llu positions that match more than one byte once repeats are "
                         "expanded, over the limit of %zu",
                         who, (unsigned long long)t->wide, l->max_wide);
    else if (t->wide >
             l->max_set_wide - (set->wide < l->max_set_wide ? set->wide : l->max_set_wide))
        st = trawl__fail(err, TRAWL_ELIMIT,
                         "%sthe set would reach %llu positions that match more than one byte "
                         "(this pattern adds %llu), over the set's limit of %zu",
                         who, (unsigned long long)(set->wide + t->wide),
                         (unsigned long long)t->wide, l->max_set_wide);
    if (st != TRAWL_OK) {
        tpat_clear(t);
        if (err)
            err->column = 1;
    }
    return st;
}

trawl_status trawl_pattern_set_add(trawl_pattern_set *set, const char *expr, size_t len,
                                   trawl_pattern_syntax syntax, unsigned flags, const char *name,
                                   trawl_error *err)
{
    trawl_error_clear(err);
    if (!set)
        return trawl__fail(err, TRAWL_EINVAL, "no pattern set");
    if (set->n >= UINT32_MAX)
        return trawl__fail(err, TRAWL_ELIMIT, "too many patterns");
    trawl_status st = reserve(set, 1, err);
    if (st == TRAWL_OK)
        st = tpat_build(&set->pats[set->n], expr, len, syntax, flags, name, err);
    if (st == TRAWL_OK)
        st = check_limits(set, &set->pats[set->n], name, err);
    if (st != TRAWL_OK) {
        if (err)
            err->index = (int64_t)set->n;
        return st;
    }
    set->wide += set->pats[set->n].wide;
    set->n++;
    return TRAWL_OK;
}

/* ---- rule files ---------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Parses one non-blank, non-comment line. col0 is the column of line[0]. */
static trawl_status rule_line(trawl_pattern_set *set, const char *line, size_t n, trawl_error *err)
{
    size_t i = 0;
    while (i < n && is_space(line[i]))
        i++;
    size_t name_at = i;
    while (i < n && name_char(line[i]))
        i++;
    size_t name_end = i;
    trawl_pattern_syntax syntax = TRAWL_SYNTAX_AUTO;
    unsigned flags = 0;
    if (name_end == name_at) {
        trawl__fail(err, TRAWL_ESYNTAX, "expected a rule name (letters, digits, _ - .)");
        err->column = (int)name_at + 1;
        return TRAWL_ESYNTAX;
    }
    if (i < n && line[i] == '/') {
        size_t m = ++i;
        while (i < n && line[i] >= 'a' && line[i] <= 'z')
            i++;
        if (i - m == 1 && line[m] == 'i') {
            flags = TRAWL_PATTERN_NOCASE;
        } else if (i - m == 3 && !memcmp(line + m, "lit", 3)) {
            syntax = TRAWL_SYNTAX_LITERAL;
        } else if (i - m == 4 && !memcmp(line + m, "ilit", 4)) {
            syntax = TRAWL_SYNTAX_LITERAL;
            flags = TRAWL_PATTERN_NOCASE;
        } else {
            trawl__fail(err, TRAWL_ESYNTAX, "unknown rule modifier (expected /i, /lit or /ilit)");
            err->column = (int)m + 1;
            return TRAWL_ESYNTAX;
        }
    }
    while (i < n && is_space(line[i]))
        i++;
    if (i >= n || line[i] != ':') {
        trawl__fail(err, TRAWL_ESYNTAX, "expected ':' after the rule name");
        err->column = (int)i + 1;
        return TRAWL_ESYNTAX;
    }
    i++;
    while (i < n && is_space(line[i]))
        i++;
    size_t end = n;
    while (end > i && is_space(line[end - 1]))
        end--;
    char name[256];
    size_t nl = name_end - name_at;
    if (nl >= sizeof(name)) {
        trawl__fail(err, TRAWL_ELIMIT, "rule name longer than 255 bytes");
        err->column = (int)name_at + 1;
        return TRAWL_ELIMIT;
    }
    memcpy(name, line + name_at, nl);
    name[nl] = 0;
    trawl_status st = trawl_pattern_set_add(set, line + i, end - i, syntax, flags, name, err);
    if (st != TRAWL_OK && err->column > 0)
        err->column += (int)i; /* pattern column -> line column */
    else if (st != TRAWL_OK)
        err->column = (int)i + 1;
    return st;
}

trawl_status trawl_pattern_set_add_rules(trawl_pattern_set *set, const char *text, size_t len,
                                         trawl_error *err)
{
    trawl_error local;
    if (!err)
        err = &local;
    trawl_error_clear(err);
    if (!set || (!text && len))
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    size_t first = set->n;
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t n = end - pos;
        lineno++;
        pos = end + 1;
        size_t k = 0;
        while (k < n && is_space(line[k]))
            k++;
        if (k == n || line[k] == '#')
            continue;
        trawl_status st =
            n > set->lim.max_rule_line
                ? trawl__fail(err, TRAWL_ELIMIT, "line of %zu bytes, over the limit of %zu", n,
                              set->lim.max_rule_line)
                : rule_line(set, line, n, err);
        if (st != TRAWL_OK) {
            err->line = lineno;
            for (size_t i = first; i < set->n; i++) { /* all or nothing */
                set->wide -= set->pats[i].wide;
                tpat_clear(&set->pats[i]);
            }
            set->n = first;
            return st;
        }
    }
    return TRAWL_OK;
}
