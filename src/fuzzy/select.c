/* select.c -- the non-overlapping choice among candidates, incrementally.
 *
 * The definition is global: take the best remaining candidate (similarity,
 * then leftmost, then longest), discard what overlaps it, repeat. Processing
 * candidates in that order and accepting each that overlaps nothing accepted
 * before gives the same set. A stream cannot see the whole input, so each
 * round decides only candidates whose fate cannot change any more.
 *
 * Whether c is taken depends only on the better candidates overlapping c,
 * recursively. Every candidate starting at or before `known` is present; a
 * candidate not yet seen starts after it, so it can overlap c only when c
 * ends after known + 1, and it is better than c only with a strictly higher
 * similarity (ties go left) -- impossible when c has the best similarity
 * there is (rank 0). So, walking the candidates best first, c is *open*
 * when it starts after known, or ends after known + 1 with rank > 0, or
 * overlaps an open better candidate; every other candidate is decided:
 * taken for good, or dead for good (dropped at once). Taken candidates
 * are reported in offset order up to the first open one.
 *
 * This is exact, and tighter than the worst-case horizon of the first
 * version (openness moves left only to strictly worse candidates, so the
 * open stretch behind known is at most k(k+1) lmax bytes, the horizon,
 * and on repetitive data about lmax: once the best windows there tile the
 * data, everything under them is dead).
 *
 * Candidates overlapping an already reported match are dropped at once
 * (accepted matches are disjoint). Candidate buffers grow geometrically and
 * only when candidates are denser than ever before on the stream. */
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>
#include <string.h>

trawl_status trawl__fz_sel_add(fz_sel *s, uint64_t off, uint32_t len, uint32_t d)
{
    if (off < s->blocked_until)
        return TRAWL_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        fz_cand *c = realloc(s->c, cap * sizeof(*c));
        if (!c)
            return TRAWL_ENOMEM;
        s->c = c;
        s->cap = cap;
    }
    s->c[s->n++] = (fz_cand){off, len, d};
    s->added++;
    return TRAWL_OK;
}

void trawl__fz_sel_free(fz_sel *s)
{
    free(s->c);
    free(s->mark);
    free(s->idx);
    free(s->key);
    free(s->state);
    memset(s, 0, sizeof(*s));
}

/* Sort keys in one integer: similarity rank (bits 48+; higher similarity is
 * a smaller fraction d / L, so a smaller rank in the pattern's table of those
 * fractions), then offset relative to lo (bits 8..47; a round spans far less
 * than 2^40 bytes), then greater length first (bits 0..7; lengths span at
 * most 2k + 1 <= 129 values). */
static uint64_t key_of(const fz_pat *p, const fz_cand *c, uint64_t lo)
{
    size_t L = c->len > p->m ? c->len : p->m;
    uint64_t rank = p->rank[c->d * (p->k + 1) + (L - p->m)];
    return rank << 48 | (c->off - lo) << 8 | (uint64_t)(255 - (c->len - p->lmin));
}

/* Bottom-up merge sort of a[0..n) by key[a[i]] using tmp[0..n). */
static void sort_idx(uint32_t *a, uint32_t *tmp, size_t n, const uint64_t *key)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = key[a[j]] < key[a[i]] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof(*a));
    }
}

static trawl_status reserve(fz_sel *s, size_t n, size_t range)
{
    if (2 * n > s->idx_cap) {
        uint32_t *idx = realloc(s->idx, 2 * n * sizeof(*idx));
        if (!idx)
            return TRAWL_ENOMEM;
        s->idx = idx;
        uint64_t *key = realloc(s->key, 2 * n * sizeof(*key));
        if (!key)
            return TRAWL_ENOMEM;
        s->key = key;
        uint8_t *state = realloc(s->state, 2 * n);
        if (!state)
            return TRAWL_ENOMEM;
        s->state = state;
        s->idx_cap = 2 * n;
    }
    size_t bytes = range + 1;
    if (bytes > s->mark_cap) {
        uint8_t *mark = realloc(s->mark, bytes);
        if (!mark)
            return TRAWL_ENOMEM;
        s->mark = mark;
        s->mark_cap = bytes;
    }
    return TRAWL_OK;
}

static trawl_status emit(trawl_fuzzy_stream *s, size_t pi, const fz_cand *c)
{
    const fz_pat *p = &s->db->pats[pi];
    if (s->cb_status)
        return s->cb_status;
    trawl__fz_fetch(s, c->off, c->len, s->win);
    size_t L = c->len > p->m ? c->len : p->m;
    trawl_fuzzy_match m = {c->off,       c->len,  c->d,  1.0 - (double)c->d / (double)L,
                           (unsigned)pi, p->name, s->win};
    if (s->cb && s->cb(&m, s->ud)) {
        s->cb_status = TRAWL_ESTOPPED;
        return TRAWL_ESTOPPED;
    }
    return TRAWL_OK;
}

static bool any_bit(const uint8_t *m, size_t n, uint8_t bit)
{
    for (size_t i = 0; i < n; i++)
        if (m[i] & bit)
            return true;
    return false;
}

static void set_bit(uint8_t *m, size_t n, uint8_t bit)
{
    for (size_t i = 0; i < n; i++)
        m[i] |= bit;
}

enum { TAKEN = 1, OPEN = 2 };

trawl_status trawl__fz_sel_round(trawl_fuzzy_stream *s, size_t pi, uint64_t known, bool final)
{
    fz_sel *sel = &s->sel[pi];
    const fz_pat *p = &s->db->pats[pi];
    size_t n = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < sel->n; i++) {
        fz_cand c = sel->c[i];
        if (c.off < sel->blocked_until)
            continue;
        sel->c[n++] = c;
        lo = c.off < lo ? c.off : lo;
        hi = c.off + c.len > hi ? c.off + c.len : hi;
    }
    sel->n = n;
    if (n == 0 || (!final && lo > known))
        return TRAWL_OK; /* nothing decidable yet */
    if (reserve(sel, n, (size_t)(hi - lo)))
        return TRAWL_ENOMEM;
    uint32_t *idx = sel->idx, *tmp = sel->idx + n;
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++)
        sel->key[i] = key_of(p, &sel->c[i], lo);
    sort_idx(idx, tmp, n, sel->key);
    uint8_t *mark = sel->mark;
    memset(mark, 0, (size_t)(hi - lo));
    uint8_t *state = sel->state;
    uint64_t first_open = UINT64_MAX;
    for (size_t r = 0; r < n; r++) {
        const fz_cand *c = &sel->c[idx[r]];
        uint8_t *m = mark + (c->off - lo);
        uint8_t st = any_bit(m, c->len, TAKEN) ? 0 : TAKEN;
        if (!final && (c->off > known || any_bit(m, c->len, OPEN) ||
                       (c->off + c->len > known + 1 && (sel->key[idx[r]] >> 48) > 0)))
            st |= OPEN;
        if (st)
            set_bit(m, c->len, st);
        state[idx[r]] = st;
        if ((st & OPEN) && c->off < first_open)
            first_open = c->off;
    }
    /* report what is taken for good before the first open candidate */
    size_t acc = 0;
    for (size_t i = 0; i < n; i++)
        if (state[i] == TAKEN && sel->c[i].off < first_open) {
            idx[acc] = (uint32_t)i;
            sel->key[i] = sel->c[i].off;
            acc++;
        }
    sort_idx(idx, tmp, acc, sel->key);
    trawl_status st = TRAWL_OK;
    for (size_t r = 0; r < acc && !st; r++) {
        const fz_cand *c = &sel->c[idx[r]];
        st = emit(s, pi, c);
        sel->blocked_until = c->off + c->len;
    }
    /* keep the open ones, and what is taken but waits behind an open one */
    size_t keep = 0;
    for (size_t i = 0; i < n; i++)
        if (((state[i] & OPEN) || (state[i] == TAKEN && sel->c[i].off >= first_open)) &&
            sel->c[i].off >= sel->blocked_until)
            sel->c[keep++] = sel->c[i];
    sel->n = keep;
    return st;
}
