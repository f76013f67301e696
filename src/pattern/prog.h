/* prog.h -- the verifier: a Thompson-NFA program run Pike-VM style, used to
 * find the longest match that begins at a given offset. Vectorscan says
 * where matches end; for patterns whose width varies, this says exactly
 * where they start and how long the longest one from each start is.
 *
 * The program is flat and immutable (shareable); the VM's working sets live
 * in a caller-owned vm_mem sized for the largest program. */
#ifndef TRAWL_PATTERN_PROG_H
#define TRAWL_PATTERN_PROG_H

#include "pattern/ast.h"

enum { OP_SET, OP_SPLIT, OP_JMP, OP_MATCH, OP_BOL, OP_EOL };

typedef struct vinst {
    uint32_t op;
    uint32_t x, y; /* OP_SET: set index; OP_SPLIT: targets; OP_JMP: target */
} vinst;

/* The prefilter: bit pair_bit(a, b) of pairs is set when some match may
 * begin with the bytes a b (or may be shorter than two bytes after a, or
 * reach an anchor: then every b is set). Pairs fold into PAIR_BITS bits, so a
 * set bit can be a neighbour's; a clear bit is a proof that no match starts
 * there. Starts that fail it skip the VM. */
#define PAIR_BITS 4096u

static inline uint32_t pair_bit(unsigned a, unsigned b)
{
    return ((a << 4) ^ b) & (PAIR_BITS - 1);
}

/* The same for the first three bytes, hashed into TRI_BITS bits; built only
 * when a match is at least three bytes long on every path, the first three
 * steps reach no anchor, and the three-byte prefixes are few (alternations
 * of words: "say|write|end" lets in "say", "wri", "end", where the pairs
 * let in every "sa", "wr", "en" of a text). */
#define TRI_BITS 8192u

static inline uint32_t tri_bit(unsigned a, unsigned b, unsigned c)
{
    return ((a << 16 | b << 8 | c) * 2654435761u) >> (32 - 13);
}

typedef struct vprog {
    vinst *code;
    uint32_t n;
    byteset *sets;
    uint32_t nsets;
    byteset first; /* bytes a match may begin with */
    uint64_t pairs[PAIR_BITS / 64];
    bool has_tri;
    uint64_t tri[TRI_BITS / 64];
    /* Epsilon-free successors: for an OP_SET at pc, the OP_SET and OP_MATCH
     * instructions reachable from pc + 1 without consuming a byte are
     * flist[fofs[pc] .. fofs[pc + 1]); fofs[n] .. fofs[n + 1] is the same
     * for the entry (from pc 0). NULL when the program has anchors or the
     * lists would be too large: the VM then walks SPLIT and JMP itself. */
    uint32_t *fofs, *flist;
} vprog;

/* False when no match can begin at data[0..n); n >= 2 is needed to use the
 * pair table, n >= 3 the three-byte table, one byte uses the first-byte
 * set, none says nothing. */
static inline bool prog_may_start(const vprog *p, const uint8_t *data, size_t n)
{
    if (n == 0)
        return true;
    if (!bs_has(&p->first, data[0]))
        return false;
    if (n == 1)
        return true;
    uint32_t k = pair_bit(data[0], data[1]);
    if (!((p->pairs[k >> 6] >> (k & 63)) & 1))
        return false;
    if (n == 2 || !p->has_tri)
        return true;
    k = tri_bit(data[0], data[1], data[2]);
    return (p->tri[k >> 6] >> (k & 63)) & 1;
}

/* Instructions the tree would compile to, saturating at UINT64_MAX. */
uint64_t prog_size(const pnode *n);
/* Compiles the tree; NULL on out-of-memory. The caller has checked
 * prog_size() against TRAWL_PATTERN_MAX_STATES. */
vprog *prog_compile(const pnode *root);
/* A deep copy; NULL on out-of-memory. */
vprog *prog_copy(const vprog *p);
void prog_free(vprog *p);

/* Working memory for running programs of up to cap instructions. */
typedef struct vm_mem {
    uint32_t cap;
    uint32_t *dense[2], *sparse[2], count[2];
    uint32_t *stack;
    size_t *tag[2]; /* prog_leftmost: the start of the thread at dense[w][i] */
} vm_mem;

int vm_mem_reserve(vm_mem *m, uint32_t cap); /* 0 ok, -1 out of memory */
void vm_mem_free(vm_mem *m);

typedef enum { VR_NOMATCH, VR_MATCH, VR_MORE } vm_result;

/* Runs p anchored at data[0], which is absolute offset abs_start; n bytes are
 * available; eof says whether they are all there will ever be. Returns
 * VR_MATCH with *len = the longest match, VR_NOMATCH, or VR_MORE when the
 * answer depends on bytes past n. O(n * p->n), allocates nothing. */
vm_result prog_longest(const vprog *p, vm_mem *m, const uint8_t *data, size_t n, uint64_t abs_start,
                       bool eof, size_t *len);

/* Leftmost-longest over many starts in one pass: the earliest start in
 * [0, nstarts) at which p matches, and the longest match from there, in
 * O(n * p->n) whatever the number of starts (a thread that reaches a state
 * another thread of an earlier start holds is dropped: every end it could
 * reach, the earlier one reaches too, and the earlier start wins). data[0]
 * is absolute offset abs_start; n bytes are available; eof as above.
 * Returns VR_MATCH with *start (relative) and *len; VR_NOMATCH when no
 * start in [0, nstarts) begins a match; VR_MORE when the answer depends on
 * bytes past n, with *start = the first start still undecided (every start
 * before it begins no match). Starts failing prog_may_start() are skipped. */
vm_result prog_leftmost(const vprog *p, vm_mem *m, const uint8_t *data, size_t n,
                        uint64_t abs_start, bool eof, size_t nstarts, size_t *start, size_t *len);

#endif
