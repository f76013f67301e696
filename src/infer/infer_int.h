/* infer_int.h -- what the format-inference files of infer/ share. */
#ifndef TRAWL_SRC_INFER_INT_H
#define TRAWL_SRC_INFER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/infer.h>

/* Statistics of one offset across a set of messages. */
typedef struct col_stat {
    uint32_t n;        /* messages long enough to have the offset */
    uint32_t distinct; /* distinct byte values */
    uint8_t mode, min, max;
    float share;        /* of the mode */
    float entropy;      /* bits */
    uint32_t printable; /* messages whose byte is printable ASCII */
} col_stat;

/* A set of messages: indexes into the input. */
typedef struct msg_set {
    const trawl_infer_msg *m;
    uint32_t *idx;
    size_t n;
    uint32_t min_len, max_len;
} msg_set;

/* Column statistics of offsets [0, L) over s (trawl_analyze_columns).
 * false on ENOMEM. O(bytes + 256 L). */
bool ifr_columns(const msg_set *s, size_t L, col_stat *out);
static inline bool ifr_const(const col_stat *c)
{
    return c->n >= 2 && c->distinct == 1;
}
static inline bool ifr_var(const col_stat *c)
{
    return c->distinct >= 2;
}
/* mostly zero: the high byte of a small integer */
static inline bool ifr_zeroish(const col_stat *c)
{
    return c->mode == 0 && c->share >= 0.5f && c->distinct <= 4;
}

/* bytes over (nearly) the whole range, many values: a random byte, the low
 * byte of a wide integer, a float's mantissa, a hash */
static inline bool ifr_full(const col_stat *c)
{
    uint32_t cap = c->n < 256 ? c->n : 256;
    return c->n >= 4 && c->distinct * 5 >= 2 * cap && c->max - c->min >= 160;
}

/* Types by clustering (cluster.c): labels[i] in [0, *nclusters) for every
 * message of s; false when s is too small, ENOMEM, or the cut gives one
 * cluster or more than max_types. */
bool ifr_cluster(const msg_set *s, unsigned max_types, int32_t *labels, size_t *nclusters);

/* The unsigned value of p[0..w) in either byte order (w <= 8). */
uint64_t ifr_read(const uint8_t *p, unsigned w, bool be);

/* A field found by its meaning before boundaries are placed (length,
 * counter, checksum): the boundary search keeps it whole. */
typedef struct sem_field {
    trawl_infer_field f;
} sem_field;

/* Finds length fields, counters and checksums in the common prefix of s
 * (offsets < s->min_len). Appends to *out (grown with realloc), count in
 * *n. Returns false on ENOMEM. */
#define SEM_LENGTH   1u
#define SEM_COUNTER  2u
#define SEM_CHECKSUM 4u
#define SEM_COUNTER1 8u /* counters of one byte (SEM_COUNTER: of 2 and 4) */
/* In a counter's signals: another reading of a counter found first (the
 * same counting byte in the other byte order or width); the boundary
 * search chooses among them. Internal: never in a result. */
#define IFR_SIG_ALT 0x80000000u
bool ifr_semantic(const msg_set *s, bool be_pref, unsigned what, trawl_infer_field **out,
                  size_t *n);

/* The kind of field [off, off + size) over s (fills kind, confidence,
 * n_values, value, big_endian as given). */
void ifr_classify(const msg_set *s, trawl_infer_field *f);

/* A chain of length-prefixed records (chain.c) from `start` to the end of
 * a message: each record a header of `lo` bytes, a length of `w` bytes in
 * the byte order `be`, and a value of that many bytes. */
typedef struct ifr_chain {
    uint32_t start;
    uint8_t lo, w;
    bool be;
} ifr_chain;

/* The number of records of c in p[0..len) when they end exactly at len and
 * hold some bytes, else 0. */
unsigned ifr_chain_parse(const uint8_t *p, size_t len, const ifr_chain *c);

/* Chains that fit the messages of s (a type), best first, each for
 * messages the earlier ones do not fit; at most max. A chain whose first
 * length cuts one of the nsem fields found by meaning is none. O(n 128 27
 * records). */
size_t ifr_chains(const msg_set *s, const trawl_infer_field *sem, size_t nsem, uint32_t trail,
                  ifr_chain *out, size_t max);

/* The size of a checksum that ends every message of s (trawl_check_locate
 * on the last bytes), 0 when there is none. */
uint32_t ifr_trailing_check(const msg_set *s);

/* What the boundary search of one message knows besides its bytes: the
 * column statistics of its type-and-length group G (NULL when too small),
 * its type T and its port P (each at least as long as the message), the
 * port's byte order, the fields found by meaning in its type, the type
 * field's offset (-1: none), the type's shortest length (columns past
 * it are not aligned in every message), its record chains (which end
 * before the trailing checksum) and that checksum's size. */
typedef struct ifr_bctx {
    const col_stat *G, *T, *P;
    bool be;
    const trawl_infer_field *sem;
    size_t nsem;
    int key_offset;
    uint32_t tmin;
    const ifr_chain *chains; /* the type's record chains: the first that fits is used */
    size_t nchains;
    uint32_t trail;         /* a checksum of this many bytes ends every message of the type */
    const uint8_t *flowcol; /* offsets < nflowcol: one value per flow, varying across flows */
    uint32_t nflowcol;
} ifr_bctx;

/* Boundary search for one message p[0..len). Writes boundaries (offsets in
 * (0, len)) and their signals; returns the count. bounds and sigs have room
 * for len entries. */
size_t ifr_bounds(const uint8_t *p, size_t len, const ifr_bctx *c, uint32_t *bounds,
                  uint32_t *sigs);

#endif
