/* prog.c -- compile the IR to a Thompson-NFA program and run it Pike-VM
 * style for the longest anchored match. Threads are kept in sparse sets
 * (Briggs & Torczon), so each step costs what the live threads cost. */
#include "pattern/prog.h"

#include <stdlib.h>
#include <string.h>

static uint64_t sadd(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t smul(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

uint64_t prog_size(const pnode *n)
{
    uint64_t s = 0, k;
    switch (n->kind) {
    case N_SET:
    case N_BOL:
    case N_EOL:
        return 1;
    case N_CAT:
        for (const pnode *c = n->kid; c; c = c->next)
            s = sadd(s, prog_size(c));
        return s;
    case N_ALT:
        for (const pnode *c = n->kid; c; c = c->next)
            s = sadd(s, sadd(prog_size(c), 2));
        return s;
    case N_REP:
        k = prog_size(n->kid);
        s = smul(k, n->rmin);
        if (n->rmax == PAT_REP_INF)
            return sadd(s, sadd(k, 2));
        return sadd(s, smul(sadd(k, 1), n->rmax - n->rmin));
    }
    return UINT64_MAX;
}

typedef struct builder {
    vprog *p;
    uint32_t cap_code, cap_sets;
    bool failed;
} builder;

static uint32_t emit(builder *b, uint32_t op, uint32_t x, uint32_t y)
{
    if (b->p->n == b->cap_code) {
        uint32_t cap = b->cap_code ? b->cap_code * 2 : 64;
        vinst *c = realloc(b->p->code, cap * sizeof(*c));
        if (!c) {
            b->failed = true;
            return 0;
        }
        b->p->code = c;
        b->cap_code = cap;
    }
    b->p->code[b->p->n] = (vinst){op, x, y};
    return b->p->n++;
}

static uint32_t add_set(builder *b, const byteset *s)
{
    if (b->p->nsets == b->cap_sets) {
        uint32_t cap = b->cap_sets ? b->cap_sets * 2 : 16;
        byteset *t = realloc(b->p->sets, cap * sizeof(*t));
        if (!t) {
            b->failed = true;
            return 0;
        }
        b->p->sets = t;
        b->cap_sets = cap;
    }
    b->p->sets[b->p->nsets] = *s;
    return b->p->nsets++;
}

/* Points every OP_JMP of the chain that starts at head (linked through .y,
 * UINT32_MAX ends it) at the next instruction to be emitted. */
static void patch_jumps(builder *b, uint32_t head)
{
    while (head != UINT32_MAX) {
        uint32_t nxt = b->p->code[head].y;
        b->p->code[head].x = b->p->n;
        b->p->code[head].y = 0;
        head = nxt;
    }
}

/* Closes an alternative that began at the OP_SPLIT sp: a JMP to the common
 * end, chained on *head for patch_jumps(), and the SPLIT's second arm
 * pointed past it, at the next alternative. false when out of memory. */
static bool end_alternative(builder *b, uint32_t sp, uint32_t *head)
{
    *head = emit(b, OP_JMP, 0, *head);
    if (b->failed)
        return false;
    b->p->code[sp].x = sp + 1;
    b->p->code[sp].y = b->p->n;
    return true;
}

static void gen(builder *b, const pnode *n);

/* ---- alternations of strings as a trie ----------------------------------- *
 * (ethic|ethics|ethical|legal|legality) as written makes every alternative a
 * thread of its own at every step; as a trie, e-t-h-i-c and l-e-g-a-l are
 * one thread each until they branch. Same language, and the verifier's
 * answers (leftmost, longest) do not depend on the order of alternatives. */

#define TRIE_MAX_KIDS  256 /* alternatives */
#define TRIE_MAX_DEPTH 256 /* bytes in one alternative (recursion depth) */

typedef struct tnode {
    const byteset *set; /* the byte this node consumes; NULL at the root */
    uint32_t kid, next; /* first child, next sibling; 0 = none */
    bool term;          /* an alternative ends here */
} tnode;

/* Length of n as a string of single-byte sets, or 0 when it is not one. */
static size_t string_len(const pnode *n)
{
    if (n->kind == N_SET)
        return 1;
    if (n->kind != N_CAT || !n->kid)
        return 0;
    size_t k = 0;
    for (const pnode *c = n->kid; c; c = c->next, k++)
        if (c->kind != N_SET)
            return 0;
    return k;
}

static void gen_trie(builder *b, const tnode *t, uint32_t at)
{
    /* straight runs iteratively; branch points recurse (depth bounded) */
    while (!b->failed) {
        const tnode *x = &t[at];
        uint32_t kids = 0;
        for (uint32_t c = x->kid; c; c = t[c].next)
            kids++;
        if (kids == 0)
            return;
        if (kids == 1 && !x->term) {
            at = x->kid;
            emit(b, OP_SET, add_set(b, t[at].set), 0);
            continue;
        }
        uint32_t jumps_head = UINT32_MAX;
        for (uint32_t c = x->kid; c && !b->failed; c = t[c].next) {
            bool last = !t[c].next && !x->term; /* an empty option comes last */
            uint32_t sp = last ? 0 : emit(b, OP_SPLIT, 0, 0);
            emit(b, OP_SET, add_set(b, t[c].set), 0);
            gen_trie(b, t, c);
            if (last || b->failed)
                break;
            if (!end_alternative(b, sp, &jumps_head))
                return;
        }
        if (b->failed)
            return;
        patch_jumps(b, jumps_head);
        return;
    }
}

/* Emits n (an N_ALT) as a trie when all its alternatives are short strings;
 * false when it is not such an alternation (nothing emitted). */
static bool gen_alt_trie(builder *b, const pnode *n)
{
    size_t kids = 0, total = 0;
    for (const pnode *c = n->kid; c; c = c->next, kids++) {
        size_t k = string_len(c);
        if (k == 0 || k > TRIE_MAX_DEPTH || kids == TRIE_MAX_KIDS)
            return false;
        total += k;
    }
    if (kids < 3)
        return false;
    tnode *t = calloc(total + 1, sizeof(*t));
    if (!t) {
        b->failed = true;
        return true;
    }
    uint32_t used = 1; /* t[0] is the root */
    for (const pnode *c = n->kid; c; c = c->next) {
        uint32_t at = 0;
        const pnode *e = c->kind == N_SET ? c : c->kid;
        for (; e; e = c->kind == N_SET ? NULL : e->next) {
            uint32_t k = t[at].kid, prev = 0;
            while (k && memcmp(t[k].set, &e->set, sizeof(byteset)) != 0) {
                prev = k;
                k = t[k].next;
            }
            if (!k) {
                k = used++;
                t[k].set = &e->set;
                if (prev)
                    t[prev].next = k;
                else
                    t[at].kid = k;
            }
            at = k;
        }
        t[at].term = true;
    }
    gen_trie(b, t, 0);
    free(t);
    return true;
}

static void gen(builder *b, const pnode *n)
{
    if (b->failed)
        return;
    switch (n->kind) {
    case N_SET:
        emit(b, OP_SET, add_set(b, &n->set), 0);
        return;
    case N_BOL:
        emit(b, OP_BOL, 0, 0);
        return;
    case N_EOL:
        emit(b, OP_EOL, 0, 0);
        return;
    case N_CAT:
        for (const pnode *c = n->kid; c; c = c->next)
            gen(b, c);
        return;
    case N_ALT: {
        if (gen_alt_trie(b, n))
            return;
        /* split L1, next; L1: kid; jmp end; next: split ... ; last kid; end: */
        uint32_t jumps_head = UINT32_MAX; /* chain of JMPs to patch, via .y */
        for (const pnode *c = n->kid; c; c = c->next) {
            if (c->next) {
                uint32_t sp = emit(b, OP_SPLIT, 0, 0);
                gen(b, c);
                if (!end_alternative(b, sp, &jumps_head))
                    return;
            } else {
                gen(b, c);
            }
        }
        if (b->failed)
            return;
        patch_jumps(b, jumps_head);
        return;
    }
    case N_REP: {
        for (uint32_t i = 0; i < n->rmin; i++)
            gen(b, n->kid);
        if (n->rmax == PAT_REP_INF) {
            /* L: split body, out; body; jmp L; out: */
            uint32_t sp = emit(b, OP_SPLIT, 0, 0);
            gen(b, n->kid);
            emit(b, OP_JMP, sp, 0);
            if (b->failed)
                return;
            b->p->code[sp].x = sp + 1;
            b->p->code[sp].y = b->p->n;
            return;
        }
        /* optional copies: split body, out_all; body; split body, out_all; ... */
        uint32_t opt = n->rmax - n->rmin;
        uint32_t *splits = opt ? malloc(opt * sizeof(*splits)) : NULL;
        if (opt && !splits) {
            b->failed = true;
            return;
        }
        for (uint32_t i = 0; i < opt; i++) {
            splits[i] = emit(b, OP_SPLIT, 0, 0);
            gen(b, n->kid);
        }
        if (!b->failed)
            for (uint32_t i = 0; i < opt; i++) {
                b->p->code[splits[i]].x = splits[i] + 1;
                b->p->code[splits[i]].y = b->p->n;
            }
        free(splits);
        return;
    }
    }
}

/* Scratch for closures over one program: a visit stamp per pc (no clearing
 * between closures), a DFS stack, and a budget of pcs to visit in all. */
typedef struct cwalk {
    uint32_t *mark, stamp;
    uint32_t *stack;
    size_t budget; /* pcs left to visit; at 0 the walk gives up */
} cwalk;

static int cwalk_init(cwalk *w, uint32_t n, size_t budget)
{
    w->mark = calloc(n, sizeof(uint32_t));
    w->stack = malloc((2 * (size_t)n + 1) * sizeof(uint32_t));
    w->stamp = 0;
    w->budget = budget;
    return w->mark && w->stack ? 0 : -1;
}

static void cwalk_free(cwalk *w)
{
    free(w->mark);
    free(w->stack);
}

/* Epsilon closure of the pcs in seed[0..k) into out: the OP_SET pcs, and
 * OP_MATCH too when with_match. *open is set when an anchor is reachable
 * (decided by position), or OP_MATCH without with_match (a match may end
 * right there). Returns the number of pcs in out, or -1 when the walk's
 * budget ran out. */
static long closure(const vprog *p, cwalk *w, const uint32_t *seed, uint32_t k, bool with_match,
                    uint32_t *out, bool *open)
{
    uint32_t sp = 0, n = 0, stamp = ++w->stamp;
    for (uint32_t i = 0; i < k; i++)
        w->stack[sp++] = seed[i];
    while (sp) {
        uint32_t pc = w->stack[--sp];
        if (w->mark[pc] == stamp)
            continue;
        if (w->budget-- == 0)
            return -1;
        w->mark[pc] = stamp;
        const vinst *in = &p->code[pc];
        switch (in->op) {
        case OP_JMP:
            w->stack[sp++] = in->x;
            break;
        case OP_SPLIT:
            w->stack[sp++] = in->y;
            w->stack[sp++] = in->x;
            break;
        case OP_SET:
            out[n++] = pc;
            break;
        case OP_MATCH:
            if (with_match)
                out[n++] = pc;
            else
                *open = true;
            break;
        default: /* OP_BOL, OP_EOL: may or may not hold */
            *open = true;
            break;
        }
    }
    return n;
}

/* Fills p->fofs and p->flist (see prog.h), or leaves them NULL: for
 * programs with anchors, and when the lists would cost more than a few
 * visits per instruction to build (nested optional repeats can make every
 * closure long: the VM then walks SPLIT and JMP itself). */
#define FOLLOW_BUDGET(n) (16 * (size_t)(n) + 65536)
static void follows(vprog *p)
{
    for (uint32_t pc = 0; pc < p->n; pc++)
        if (p->code[pc].op == OP_BOL || p->code[pc].op == OP_EOL)
            return; /* anchors depend on the position: the VM decides them */
    cwalk w;
    uint32_t *fofs = malloc(((size_t)p->n + 2) * sizeof(uint32_t));
    uint32_t *out = malloc((size_t)p->n * sizeof(uint32_t));
    size_t cap = 1024, len = 0;
    uint32_t *fl = malloc(cap * sizeof(uint32_t));
    if (cwalk_init(&w, p->n, FOLLOW_BUDGET(p->n)) != 0 || !fofs || !out || !fl)
        goto fail;
    for (uint32_t q = 0; q <= p->n; q++) {
        fofs[q] = (uint32_t)len;
        if (q < p->n && p->code[q].op != OP_SET)
            continue;
        uint32_t from = q == p->n ? 0 : q + 1;
        bool open = false;
        long k = closure(p, &w, &from, 1, true, out, &open);
        if (k < 0)
            goto fail;
        if (len + (size_t)k > cap) {
            while (len + (size_t)k > cap)
                cap *= 2;
            uint32_t *t = realloc(fl, cap * sizeof(uint32_t));
            if (!t)
                goto fail;
            fl = t;
        }
        memcpy(fl + len, out, (size_t)k * sizeof(uint32_t));
        len += (size_t)k;
    }
    fofs[p->n + 1] = (uint32_t)len;
    p->fofs = fofs;
    p->flist = fl;
    fofs = fl = NULL;
fail:
    cwalk_free(&w);
    free(out);
    free(fofs);
    free(fl);
}

/* The bytes the OP_SET states st[0..n) accept, together. */
static byteset sets_of(const vprog *p, const uint32_t *st, long n)
{
    byteset u;
    bs_clear(&u);
    for (long i = 0; i < n; i++)
        bs_union(&u, &p->sets[p->code[st[i]].x]);
    return u;
}

/* The states after reading byte b from the OP_SET states st[0..n): those
 * that accept b step past it, then the closure, into out. seed is scratch
 * of p->n entries. Returns the count, or -1 when the walk budget is spent;
 * *open as closure() sets it (a match or an anchor reached). */
static long step(const vprog *p, cwalk *w, const uint32_t *st, long n, unsigned b, uint32_t *seed,
                 uint32_t *out, bool *open)
{
    uint32_t k = 0;
    for (long i = 0; i < n; i++)
        if (bs_has(&p->sets[p->code[st[i]].x], b))
            seed[k++] = st[i] + 1;
    return closure(p, w, seed, k, false, out, open);
}

/* Fills p->tri from the entry closure c0[0..n0) (anchor-free), or leaves
 * has_tri false: when some path reaches a match or an anchor within two
 * bytes, when the three-byte prefixes would be too many to be worth a
 * table (a byte class near the start), or when a walk runs out of budget.
 * c1 and seed are scratch of p->n entries. */
#define TRI_MAX_MARKS 4096
/* The walks are at most 256 + 256 * 256 steps, each linear in the program;
 * a walk that marks nothing is rare (its states would accept no byte), so
 * TRI_MAX_MARKS, besides capping the table, ends a wide prefix early. */
static void trigrams(vprog *p, cwalk *w, const uint32_t *c0, long n0, uint32_t *c1, uint32_t *seed)
{
    uint64_t tri[TRI_BITS / 64] = {0};
    uint32_t *c2 = malloc(p->n * sizeof(uint32_t));
    size_t marks = 0;
    if (!c2)
        goto out;
    for (unsigned a = bs_next(&p->first, 0); a < 256; a = bs_next(&p->first, a + 1)) {
        bool open = false;
        long n1 = step(p, w, c0, n0, a, seed, c1, &open);
        if (n1 < 0 || open)
            goto out;
        byteset next = sets_of(p, c1, n1);
        for (unsigned b = bs_next(&next, 0); b < 256; b = bs_next(&next, b + 1)) {
            long n2 = step(p, w, c1, n1, b, seed, c2, &open);
            if (n2 < 0 || open)
                goto out;
            byteset third = sets_of(p, c2, n2);
            for (unsigned c = bs_next(&third, 0); c < 256; c = bs_next(&third, c + 1)) {
                if (++marks > TRI_MAX_MARKS)
                    goto out;
                uint32_t bit = tri_bit(a, b, c);
                tri[bit >> 6] |= 1ull << (bit & 63);
            }
        }
    }
    memcpy(p->tri, tri, sizeof p->tri);
    p->has_tri = true;
out:
    free(c2);
}

/* Fills p->first and p->pairs. On allocation failure, or when the walks
 * would be too long, every bit is set (the filter then passes everything,
 * which is always correct). */
static void prefilter(vprog *p)
{
    bs_fill(&p->first);
    memset(p->pairs, 0xFF, sizeof p->pairs);
    cwalk w;
    uint32_t *c0 = malloc(p->n * sizeof(uint32_t)), *c1 = malloc(p->n * sizeof(uint32_t));
    uint32_t *seed = malloc(p->n * sizeof(uint32_t));
    /* 257 closures for the pairs, each at most the program, and a fixed
     * allowance for the three-byte table (past it, no table) */
    if (cwalk_init(&w, p->n, 257 * (size_t)p->n + 4000000) != 0 || !c0 || !c1 || !seed)
        goto out;
    bool open = false;
    uint32_t zero = 0;
    long n0 = closure(p, &w, &zero, 1, false, c0, &open);
    if (n0 < 0 || open)
        goto out;
    byteset first = sets_of(p, c0, n0);
    uint64_t pairs[PAIR_BITS / 64] = {0};
    for (unsigned a = bs_next(&first, 0); a < 256; a = bs_next(&first, a + 1)) {
        bool open1 = false;
        long n1 = step(p, &w, c0, n0, a, seed, c1, &open1);
        if (n1 < 0)
            goto out;
        byteset next;
        if (open1)
            bs_fill(&next);
        else
            next = sets_of(p, c1, n1);
        for (unsigned b = bs_next(&next, 0); b < 256; b = bs_next(&next, b + 1)) {
            uint32_t bit = pair_bit(a, b);
            pairs[bit >> 6] |= 1ull << (bit & 63);
        }
    }
    p->first = first; /* only a complete table replaces the pass-all one */
    memcpy(p->pairs, pairs, sizeof pairs);
    trigrams(p, &w, c0, n0, c1, seed);
out:
    cwalk_free(&w);
    free(c0);
    free(c1);
    free(seed);
}

vprog *prog_compile(const pnode *root)
{
    vprog *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    builder b = {.p = p};
    gen(&b, root);
    emit(&b, OP_MATCH, 0, 0);
    if (b.failed) {
        prog_free(p);
        return NULL;
    }
    prefilter(p);
    follows(p);
    return p;
}

static void *dup_mem(const void *src, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, src, n);
    return d;
}

vprog *prog_copy(const vprog *p)
{
    vprog *q = malloc(sizeof(*q));
    if (!q)
        return NULL;
    *q = *p;
    q->code = dup_mem(p->code, (size_t)p->n * sizeof(*p->code));
    q->sets = dup_mem(p->sets, (size_t)p->nsets * sizeof(*p->sets));
    q->fofs = p->fofs ? dup_mem(p->fofs, ((size_t)p->n + 2) * sizeof(uint32_t)) : NULL;
    q->flist = p->fofs ? dup_mem(p->flist, (size_t)p->fofs[p->n + 1] * sizeof(uint32_t)) : NULL;
    if (!q->code || !q->sets || (p->fofs && (!q->fofs || !q->flist))) {
        prog_free(q);
        return NULL;
    }
    return q;
}

void prog_free(vprog *p)
{
    if (!p)
        return;
    free(p->code);
    free(p->sets);
    free(p->fofs);
    free(p->flist);
    free(p);
}

int vm_mem_reserve(vm_mem *m, uint32_t cap)
{
    if (cap <= m->cap)
        return 0;
    vm_mem t = {.cap = cap};
    /* calloc: the sparse-set trick tolerates junk, but tools like valgrind
     * rightly do not. Each instruction pushes at most two, so 2 * cap + 1. */
    for (int i = 0; i < 2; i++) {
        t.dense[i] = calloc(cap, sizeof(uint32_t));
        t.sparse[i] = calloc(cap, sizeof(uint32_t));
    }
    t.stack = calloc(2 * (size_t)cap + 1, sizeof(uint32_t));
    t.tag[0] = calloc(cap, sizeof(size_t));
    t.tag[1] = calloc(cap, sizeof(size_t));
    if (!t.dense[0] || !t.dense[1] || !t.sparse[0] || !t.sparse[1] || !t.stack || !t.tag[0] ||
        !t.tag[1]) {
        vm_mem_free(&t);
        return -1;
    }
    vm_mem_free(m);
    *m = t;
    return 0;
}

void vm_mem_free(vm_mem *m)
{
    for (int i = 0; i < 2; i++) {
        free(m->dense[i]);
        free(m->sparse[i]);
        free(m->tag[i]);
    }
    free(m->stack);
    memset(m, 0, sizeof(*m));
}

static bool in_set(const vm_mem *m, int w, uint32_t pc)
{
    uint32_t i = m->sparse[w][pc];
    return i < m->count[w] && m->dense[w][i] == pc;
}

static void insert(vm_mem *m, int w, uint32_t pc)
{
    m->sparse[w][pc] = m->count[w];
    m->dense[w][m->count[w]++] = pc;
}

typedef struct mrun {
    const vprog *p;
    vm_mem *m;
    size_t n;
    uint64_t abs_start;
    bool eof;
    size_t undecided; /* earliest start whose answer waits on bytes past n, or SIZE_MAX */
    size_t best;      /* start of the leftmost match found, SIZE_MAX while none */
    size_t end;       /* its longest end so far */
} mrun;

/* ---- the verifier -------------------------------------------------------- */

/* Adds pc0 and everything reachable from it without consuming a byte to set
 * w, as threads of start tag; a pc the set holds already is skipped (an
 * earlier start holds it, and every end it reaches this one would too). */
static void add_tagged(mrun *r, int w, uint32_t pc0, size_t pos, size_t tag)
{
    vm_mem *m = r->m;
    uint32_t sp = 0;
    m->stack[sp++] = pc0;
    while (sp) {
        uint32_t pc = m->stack[--sp];
        if (in_set(m, w, pc))
            continue;
        m->tag[w][m->count[w]] = tag;
        insert(m, w, pc);
        const vinst *in = &r->p->code[pc];
        switch (in->op) {
        case OP_JMP:
            m->stack[sp++] = in->x;
            break;
        case OP_SPLIT:
            m->stack[sp++] = in->y;
            m->stack[sp++] = in->x;
            break;
        case OP_BOL:
            if (r->abs_start + pos == 0)
                m->stack[sp++] = pc + 1;
            break;
        case OP_EOL:
            if (pos == r->n && r->eof)
                m->stack[sp++] = pc + 1;
            else if (pos == r->n && tag < r->undecided)
                r->undecided = tag;
            break;
        case OP_MATCH:
            if (tag < r->best) {
                r->best = tag;
                r->end = pos;
            } else if (tag == r->best && pos > r->end) {
                r->end = pos;
            }
            break;
        default:
            break;
        }
    }
}

/* add_tagged() through the precomputed successors of q (an OP_SET, or
 * p->n for the entry): no SPLIT or JMP is visited at run time. */
static inline void add_follow(mrun *r, int w, uint32_t q, size_t pos, size_t tag)
{
    const vprog *p = r->p;
    vm_mem *m = r->m;
    uint32_t cnt = m->count[w];
    uint32_t *sparse = m->sparse[w], *dense = m->dense[w];
    size_t *tags = m->tag[w];
    const uint32_t match_pc = p->n - 1; /* prog_compile() ends with the one OP_MATCH */
    for (uint32_t k = p->fofs[q], e = p->fofs[q + 1]; k < e; k++) {
        uint32_t pc = p->flist[k];
        uint32_t i = sparse[pc];
        if (i < cnt && dense[i] == pc)
            continue;
        sparse[pc] = cnt;
        dense[cnt] = pc;
        tags[cnt++] = tag;
        if (pc == match_pc) {
            if (tag < r->best) {
                r->best = tag;
                r->end = pos;
            } else if (tag == r->best && pos > r->end) {
                r->end = pos;
            }
        }
    }
    m->count[w] = cnt;
}

vm_result prog_leftmost(const vprog *p, vm_mem *m, const uint8_t *data, size_t n,
                        uint64_t abs_start, bool eof, size_t nstarts, size_t *start, size_t *len)
{
    mrun r = {.p = p,
              .m = m,
              .n = n,
              .abs_start = abs_start,
              .eof = eof,
              .undecided = SIZE_MAX,
              .best = SIZE_MAX};
    int cur = 0;
    m->count[0] = m->count[1] = 0;
    size_t lo = SIZE_MAX; /* start of the earliest live thread */
    for (size_t i = 0;; i++) {
        if (m->count[cur] == 0 && r.best == SIZE_MAX) {
            /* No thread alive: skip to the next start the prefilter lets in
             * (a tight loop; most of a text is here). */
            while (i < nstarts && i < n && !prog_may_start(p, data + i, n - i))
                i++;
            if (i >= nstarts)
                break; /* no start left: decided */
        }
        /* The threads of cur are in start order and the new start comes
         * last, so in_set() keeps the earliest start of every state. */
        if (i < nstarts && r.best == SIZE_MAX && prog_may_start(p, data + i, n - i)) {
            if (p->fofs)
                add_follow(&r, cur, p->n, i, i);
            else
                add_tagged(&r, cur, 0, i, i);
        }
        lo = SIZE_MAX;
        for (uint32_t k = 0; k < m->count[cur] && lo == SIZE_MAX; k++)
            if (p->code[m->dense[cur][k]].op == OP_SET && m->tag[cur][k] <= r.best)
                lo = m->tag[cur][k];
        bool more_starts = r.best == SIZE_MAX && i + 1 < nstarts;
        if (lo == SIZE_MAX && !more_starts)
            break; /* decided, unless an anchor waits (r.undecided) */
        if (i == n) {
            if (!eof && lo == SIZE_MAX)
                lo = i + 1 < nstarts ? i + 1 : SIZE_MAX;
            if (!eof && lo != SIZE_MAX && lo < r.undecided)
                r.undecided = lo;
            break;
        }
        int nxt = cur ^ 1;
        m->count[nxt] = 0;
        unsigned c = data[i];
        /* cur is only read while nxt is built: keep its cursor in locals */
        const uint32_t *dn = m->dense[cur];
        const size_t *tg = m->tag[cur];
        const uint32_t cnt = m->count[cur];
        for (uint32_t k = 0; k < cnt; k++) {
            const vinst *in = &p->code[dn[k]];
            if (in->op != OP_SET || tg[k] > r.best || !bs_has(&p->sets[in->x], c))
                continue;
            if (p->fofs)
                add_follow(&r, nxt, dn[k], i + 1, tg[k]);
            else
                add_tagged(&r, nxt, dn[k] + 1, i + 1, tg[k]);
        }
        cur = nxt;
    }
    if (r.undecided <= r.best && r.undecided != SIZE_MAX) {
        *start = r.undecided;
        return VR_MORE;
    }
    if (r.best == SIZE_MAX)
        return VR_NOMATCH;
    *start = r.best;
    *len = r.end - r.best;
    return VR_MATCH;
}

/* One start: the many-start pass with a single candidate. */
vm_result prog_longest(const vprog *p, vm_mem *m, const uint8_t *data, size_t n, uint64_t abs_start,
                       bool eof, size_t *len)
{
    size_t start;
    return prog_leftmost(p, m, data, n, abs_start, eof, 1, &start, len);
}
