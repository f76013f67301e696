/* emit.c -- writes the IR as a Hyperscan expression.
 *
 * Every byte is spelled \xNN and every group is non-capturing, so nothing in
 * the output depends on PCRE's reading of a literal character. The database
 * is compiled with HS_FLAG_DOTALL, so '.' is any byte. '$' becomes \z: the
 * end of the data only, never "before a final newline". */
#include "pattern/ast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Rule packs are mostly letters, each a set of two bytes: this runs once
 * per byte of every pattern at start-up, so it avoids printf. */
static void put_byte(sbuf *b, unsigned c)
{
    static const char hx[] = "0123456789abcdef";
    char t[4] = {'\\', 'x', hx[(c >> 4) & 15], hx[c & 15]};
    put(b, t, 4);
}

/* The first non-member of s at or after c, 256 when none. */
static unsigned next_out(const byteset *s, unsigned c)
{
    while (c < 256) {
        uint64_t w = ~s->w[c >> 6] >> (c & 63);
        if (w)
            return c + (unsigned)__builtin_ctzll(w);
        c = (c | 63) + 1;
    }
    return 256;
}

static void emit_set(sbuf *b, const byteset *s)
{
    unsigned n = bs_count(s);
    if (n == 256) {
        puts_(b, ".");
        return;
    }
    if (n == 1) {
        put_byte(b, bs_next(s, 0));
        return;
    }
    puts_(b, "[");
    for (unsigned c = bs_next(s, 0); c < 256; c = bs_next(s, c)) {
        unsigned e = next_out(s, c) - 1; /* [c, e] is a run of members */
        put_byte(b, c);
        if (e > c) {
            puts_(b, "-");
            put_byte(b, e);
        }
        c = e + 1;
    }
    puts_(b, "]");
}

static void emit(sbuf *b, const pnode *n);

static void emit_group(sbuf *b, const pnode *n)
{
    bool atomic = n->kind == N_SET || n->kind == N_BOL || n->kind == N_EOL;
    if (!atomic)
        puts_(b, "(?:");
    emit(b, n);
    if (!atomic)
        puts_(b, ")");
}

static void emit(sbuf *b, const pnode *n)
{
    char t[48];
    switch (n->kind) {
    case N_SET:
        emit_set(b, &n->set);
        break;
    case N_BOL:
        puts_(b, "^");
        break;
    case N_EOL:
        puts_(b, "\\z");
        break;
    case N_CAT:
        for (const pnode *k = n->kid; k; k = k->next) {
            if (k->kind == N_ALT)
                emit_group(b, k);
            else
                emit(b, k);
        }
        break;
    case N_ALT:
        for (const pnode *k = n->kid; k; k = k->next) {
            if (k != n->kid)
                puts_(b, "|");
            emit(b, k);
        }
        break;
    case N_REP:
        if (n->rmax == 0) /* x{0} matches the empty string: nothing to write */
            break;
        emit_group(b, n->kid);
        if (n->rmax == PAT_REP_INF)
            snprintf(t, sizeof(t), "{%u,}", n->rmin);
        else if (n->rmin == n->rmax)
            snprintf(t, sizeof(t), "{%u}", n->rmin);
        else
            snprintf(t, sizeof(t), "{%u,%u}", n->rmin, n->rmax);
        puts_(b, t);
        break;
    }
}

char *pat_emit_hs(const pnode *n)
{
    sbuf b = {0};
    emit(&b, n);
    if (b.failed || !b.p) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
