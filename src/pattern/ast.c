/* ast.c -- arena, node construction, byte sets and width analysis. */
#include "pattern/ast.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096

struct arena_block {
    arena_block *next;
    size_t cap;
    max_align_t data[]; /* flexible, aligned */
};

void pat_arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used = 0;
}

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (!a->head || a->used + n > a->head->cap) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        arena_block *b = malloc(sizeof(*b) + cap);
        if (!b) {
            a->failed = true;
            return NULL;
        }
        b->next = a->head;
        b->cap = cap;
        a->head = b;
        a->used = 0;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    return p;
}

pnode *pat_node(arena *a, pnode_kind kind)
{
    pnode *n = arena_alloc(a, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    return n;
}

pnode *pat_set_node(arena *a, const byteset *s)
{
    pnode *n = pat_node(a, N_SET);
    if (n)
        n->set = *s;
    return n;
}

void pat_append(pnode *parent, pnode *kid)
{
    kid->next = NULL;
    if (parent->last)
        parent->last->next = kid;
    else
        parent->kid = kid;
    parent->last = kid;
}

void bs_clear(byteset *s)
{
    memset(s, 0, sizeof(*s));
}

void bs_fill(byteset *s)
{
    memset(s, 0xff, sizeof(*s));
}

void bs_add_range(byteset *s, unsigned lo, unsigned hi)
{
    for (unsigned b = lo; b <= hi; b++)
        bs_add(s, b);
}

void bs_invert(byteset *s)
{
    for (int i = 0; i < 4; i++)
        s->w[i] = ~s->w[i];
}

void bs_union(byteset *s, const byteset *t)
{
    for (int i = 0; i < 4; i++)
        s->w[i] |= t->w[i];
}

void bs_add_nibbles(byteset *s, int hi, int lo)
{
    if (hi == 16 && lo == 16) {
        bs_fill(s);
        return;
    }
    /* only the bytes that can match: 1 or 16 */
    for (int h = hi == 16 ? 0 : hi; h <= (hi == 16 ? 15 : hi); h++)
        for (int l = lo == 16 ? 0 : lo; l <= (lo == 16 ? 15 : lo); l++)
            bs_add(s, (unsigned)(h << 4 | l));
}

unsigned bs_count(const byteset *s)
{
    unsigned c = 0;
    for (int i = 0; i < 4; i++)
        c += (unsigned)__builtin_popcountll(s->w[i]);
    return c;
}

void bs_fold_case(byteset *s)
{
    for (unsigned c = 'A'; c <= 'Z'; c++) {
        if (bs_has(s, c) || bs_has(s, c + 32)) {
            bs_add(s, c);
            bs_add(s, c + 32);
        }
    }
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return (a == PAT_INF || b == PAT_INF || a > PAT_INF - b) ? PAT_INF : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == PAT_INF || b == PAT_INF || a > PAT_INF / b)
        return PAT_INF;
    return a * b;
}

void pat_cost(const pnode *n, uint64_t *wide, uint64_t *unbounded)
{
    uint64_t w = 0, u = 0, kw, ku;
    switch (n->kind) {
    case N_SET:
        w = bs_count(&n->set) > 1;
        break;
    case N_BOL:
    case N_EOL:
        break;
    case N_CAT:
    case N_ALT:
        for (const pnode *k = n->kid; k; k = k->next) {
            pat_cost(k, &kw, &ku);
            w = sat_add(w, kw);
            u = sat_add(u, ku);
        }
        break;
    case N_REP:
        pat_cost(n->kid, &kw, &ku);
        w = sat_mul(kw, n->rmax == PAT_REP_INF ? (uint64_t)n->rmin + 1 : n->rmax);
        u = sat_add(ku, n->rmax == PAT_REP_INF);
        break;
    }
    *wide = w;
    *unbounded = u;
}

void pat_widths(pnode *n)
{
    switch (n->kind) {
    case N_SET:
        n->wmin = n->wmax = 1;
        return;
    case N_BOL:
    case N_EOL:
        n->wmin = n->wmax = 0;
        return;
    case N_CAT:
        n->wmin = n->wmax = 0;
        for (pnode *k = n->kid; k; k = k->next) {
            pat_widths(k);
            n->wmin = sat_add(n->wmin, k->wmin);
            n->wmax = sat_add(n->wmax, k->wmax);
        }
        return;
    case N_ALT:
        n->wmin = PAT_INF;
        n->wmax = 0;
        for (pnode *k = n->kid; k; k = k->next) {
            pat_widths(k);
            if (k->wmin < n->wmin)
                n->wmin = k->wmin;
            if (k->wmax > n->wmax)
                n->wmax = k->wmax;
        }
        if (!n->kid)
            n->wmin = 0;
        return;
    case N_REP:
        pat_widths(n->kid);
        n->wmin = sat_mul(n->kid->wmin, n->rmin);
        n->wmax =
            n->rmax == PAT_REP_INF ? (n->kid->wmax ? PAT_INF : 0) : sat_mul(n->kid->wmax, n->rmax);
        return;
    }
}

bool pat_anchored_start(const pnode *n)
{
    switch (n->kind) {
    case N_BOL:
        return true;
    case N_CAT:
        /* anchored when a ^ comes before anything that consumes a byte */
        for (const pnode *k = n->kid; k; k = k->next) {
            if (pat_anchored_start(k))
                return true;
            if (k->wmax != 0)
                return false;
        }
        return false;
    case N_ALT:
        for (const pnode *k = n->kid; k; k = k->next)
            if (!pat_anchored_start(k))
                return false;
        return n->kid != NULL;
    case N_REP:
        return n->rmin > 0 && pat_anchored_start(n->kid);
    default:
        return false;
    }
}
