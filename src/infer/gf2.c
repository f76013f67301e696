/* gf2.c -- GF(2) polynomials and linear systems for checksum recovery.
 * Polynomials are plain bit arrays; the GCDs this module takes are of
 * message-sized polynomials (a few thousand bits), so schoolbook long
 * division, one word at a time, is the right size of tool. */
#include "infer/gf2.h"

#include <stdlib.h>
#include <string.h>

bool gf2_poly_init(gf2_poly *p, size_t words)
{
    p->cap = words ? words : 1;
    p->w = calloc(p->cap, sizeof(uint64_t));
    p->deg = -1;
    return p->w != NULL;
}

void gf2_poly_free(gf2_poly *p)
{
    free(p->w);
    p->w = NULL;
    p->cap = 0;
}

void gf2_poly_norm(gf2_poly *p)
{
    for (size_t i = p->cap; i-- > 0;)
        if (p->w[i]) {
            p->deg = (long)(i * 64 + 63 - (size_t)__builtin_clzll(p->w[i]));
            return;
        }
    p->deg = -1;
}

/* a ^= b * x^s. */
static void xor_shifted(gf2_poly *a, const gf2_poly *b, long s)
{
    size_t ws = (size_t)s >> 6;
    unsigned bs = (unsigned)s & 63;
    size_t nb = (size_t)(b->deg >> 6) + 1;
    for (size_t i = 0; i < nb; i++) {
        uint64_t v = b->w[i];
        a->w[i + ws] ^= v << bs;
        if (bs && i + ws + 1 < a->cap)
            a->w[i + ws + 1] ^= v >> (64 - bs);
    }
}

void gf2_poly_mod(gf2_poly *a, const gf2_poly *b)
{
    while (a->deg >= b->deg) {
        xor_shifted(a, b, a->deg - b->deg);
        long d = a->deg;
        /* the top bit is gone: look for the next one from there down */
        size_t i = (size_t)(d >> 6);
        a->deg = -1;
        for (;;) {
            if (a->w[i]) {
                a->deg = (long)(i * 64 + 63 - (size_t)__builtin_clzll(a->w[i]));
                break;
            }
            if (i == 0)
                break;
            i--;
        }
    }
}

void gf2_poly_gcd(gf2_poly *a, gf2_poly *b)
{
    while (b->deg >= 0) {
        gf2_poly_mod(a, b);
        gf2_poly t = *a;
        *a = *b;
        *b = t;
    }
}

bool gf2_poly_divexact(gf2_poly *a, const gf2_poly *b, gf2_poly *q)
{
    memset(q->w, 0, q->cap * sizeof(uint64_t));
    while (a->deg >= b->deg) {
        long s = a->deg - b->deg;
        q->w[s >> 6] |= 1ull << (s & 63);
        xor_shifted(a, b, s);
        gf2_poly_norm(a);
    }
    gf2_poly_norm(q);
    return a->deg < 0;
}

void gf2_mod_init(gf2_mod *m, unsigned w, uint64_t poly)
{
    m->w = w;
    m->mask = w >= 64 ? ~0ull : (1ull << w) - 1;
    m->poly = poly & m->mask;
}

uint64_t gf2_mulmod(const gf2_mod *m, uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = m->w; i-- > 0;) {
        r = gf2_mulx(m, r);
        if (a >> i & 1)
            r ^= b;
    }
    return r;
}

uint64_t gf2_xpow(const gf2_mod *m, uint64_t e)
{
    uint64_t r = 1 & m->mask, base = m->w > 1 ? 2 : m->poly; /* x mod P */
    if (m->w == 1)
        r = 1;
    while (e) {
        if (e & 1)
            r = gf2_mulmod(m, r, base);
        base = gf2_mulmod(m, base, base);
        e >>= 1;
    }
    return r;
}

uint64_t gf2_reflect(uint64_t v, unsigned bits)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < bits; i++)
        if (v >> i & 1)
            r |= 1ull << (bits - 1 - i);
    return r;
}

bool gf2_sys_init(gf2_sys *s, unsigned nvars)
{
    memset(s, 0, sizeof(*s));
    s->nvars = nvars;
    s->cap = nvars ? nvars : 1;
    s->rows = calloc(s->cap, sizeof(gf2_row));
    for (unsigned v = 0; v < 128; v++)
        s->pivot_row[v] = -1;
    return s->rows != NULL;
}

void gf2_sys_free(gf2_sys *s)
{
    free(s->rows);
    s->rows = NULL;
}

void gf2_sys_reset(gf2_sys *s)
{
    s->n = 0;
    s->inconsistent = false;
    for (unsigned v = 0; v < 128; v++)
        s->pivot_row[v] = -1;
}

/* Rows are kept with their pivot at their lowest set variable; reducing a
 * new row in ascending variable order therefore never brings back a bit
 * already cleared. */
bool gf2_sys_add(gf2_sys *s, const uint64_t c[2], int rhs)
{
    gf2_row r = {{c[0], c[1]}, (uint8_t)(rhs & 1)};
    for (;;) {
        unsigned v;
        if (r.c[0])
            v = (unsigned)__builtin_ctzll(r.c[0]);
        else if (r.c[1])
            v = 64 + (unsigned)__builtin_ctzll(r.c[1]);
        else {
            if (r.rhs)
                s->inconsistent = true;
            return true;
        }
        int p = s->pivot_row[v];
        if (p < 0) {
            if (s->n == s->cap)
                return false; /* cannot happen: at most nvars pivots */
            s->rows[s->n] = r;
            s->pivot_row[v] = (int)s->n++;
            return true;
        }
        r.c[0] ^= s->rows[p].c[0];
        r.c[1] ^= s->rows[p].c[1];
        r.rhs ^= s->rows[p].rhs;
    }
}

/* Values of the pivot variables given the free ones already in x. */
static void back_substitute(const gf2_sys *s, uint64_t x[2], bool with_rhs)
{
    for (unsigned v = s->nvars; v-- > 0;) {
        int p = s->pivot_row[v];
        if (p < 0)
            continue;
        const gf2_row *r = &s->rows[p];
        int val = with_rhs ? r->rhs : 0;
        uint64_t a0 = r->c[0] & x[0], a1 = r->c[1] & x[1];
        /* bit v itself is not yet set in x, so the AND leaves only u > v */
        val ^= __builtin_parityll(a0) ^ __builtin_parityll(a1);
        if (val)
            x[v >> 6] |= 1ull << (v & 63);
    }
}

bool gf2_sys_solve(gf2_sys *s, uint64_t x[2], uint64_t (*null)[2], unsigned max_null,
                   unsigned *nnull)
{
    unsigned k = 0;
    if (s->inconsistent)
        return false;
    x[0] = x[1] = 0;
    back_substitute(s, x, true);
    for (unsigned f = 0; f < s->nvars; f++) {
        if (s->pivot_row[f] >= 0)
            continue;
        if (k < max_null) {
            uint64_t y[2] = {0, 0};
            y[f >> 6] |= 1ull << (f & 63);
            back_substitute(s, y, false);
            null[k][0] = y[0];
            null[k][1] = y[1];
        }
        k++;
    }
    if (nnull)
        *nnull = k;
    return true;
}
