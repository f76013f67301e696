/* ast.h -- the pattern IR: a small tree of byte sets, concatenations,
 * alternations, bounded or unbounded repeats and the two anchors. Both
 * syntaxes parse into it; the Vectorscan expression and the verifier program
 * are both generated from it, so the two engines see the same pattern.
 *
 * Nodes live in an arena owned by the parse; freeing the arena frees them. */
#ifndef TRAWL_PATTERN_AST_H
#define TRAWL_PATTERN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/pattern.h>

#include "common/codec.h"

#define PAT_INF       UINT64_MAX /* unbounded width */
#define PAT_REP_INF   UINT32_MAX /* unbounded repeat count */
#define PAT_MAX_DEPTH 200        /* nesting of groups */

typedef enum { N_SET, N_CAT, N_ALT, N_REP, N_BOL, N_EOL } pnode_kind;

typedef struct byteset {
    uint64_t w[4];
} byteset;

typedef struct pnode {
    pnode_kind kind;
    uint32_t rmin, rmax;      /* N_REP bounds */
    byteset set;              /* N_SET */
    struct pnode *kid, *next; /* first child; next sibling */
    struct pnode *last;       /* last child, for O(1) append */
    uint64_t wmin, wmax;      /* width in bytes, PAT_INF = unbounded */
} pnode;

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
    size_t used; /* in head */
    bool failed;
} arena;

void pat_arena_free(arena *a);

pnode *pat_node(arena *a, pnode_kind kind);
pnode *pat_set_node(arena *a, const byteset *s);
void pat_append(pnode *parent, pnode *kid);

static inline void bs_add(byteset *s, unsigned b)
{
    s->w[b >> 6] |= 1ull << (b & 63);
}
static inline bool bs_has(const byteset *s, unsigned b)
{
    return (s->w[b >> 6] >> (b & 63)) & 1;
}
/* The first member of s at or after c; 256 when there is none. */
static inline unsigned bs_next(const byteset *s, unsigned c)
{
    while (c < 256) {
        uint64_t w = s->w[c >> 6] >> (c & 63);
        if (w)
            return c + (unsigned)__builtin_ctzll(w);
        c = (c | 63) + 1;
    }
    return 256;
}
void bs_clear(byteset *s);
void bs_fill(byteset *s);
void bs_add_range(byteset *s, unsigned lo, unsigned hi);
void bs_invert(byteset *s);
void bs_union(byteset *s, const byteset *t);
unsigned bs_count(const byteset *s);
/* Adds the bytes whose high nibble is hi and low nibble is lo, where 16
 * means any nibble (\x?A, A?, ??). Parsing runs it per byte token of every
 * pattern at start-up, so it visits only the bytes it adds. */
void bs_add_nibbles(byteset *s, int hi, int lo);
/* Adds the other case of every ASCII letter in s. */
void bs_fold_case(byteset *s);

/* Wide positions (more than one byte possible, repeats expanded: bounded
 * ones to their maximum, unbounded ones to minimum + 1) and unbounded
 * repeats of the tree; saturating. See trawl_pattern_limits. */
void pat_cost(const pnode *n, uint64_t *wide, uint64_t *unbounded);
/* Computes wmin/wmax bottom-up for the whole tree. */
void pat_widths(pnode *n);
/* True when every match must begin at offset 0 (pattern starts with ^). */
bool pat_anchored_start(const pnode *n);

/* The parsers. On success return the root; on failure NULL with err filled
 * (status, column; index is left for the caller). */
pnode *pat_parse_regex(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err);
pnode *pat_parse_hex(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err);
pnode *pat_parse_literal(arena *a, const char *s, size_t len, unsigned flags, trawl_error *err);

/* Writes the Vectorscan expression for n into a malloc'd string (NULL on
 * out-of-memory). Every byte is written as \xNN; $ becomes \z. */
char *pat_emit_hs(const pnode *n);

#endif
