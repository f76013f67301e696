/* similar.c -- similar-sequence discovery: every pair of windows of length
 * L within distance k of each other.
 *
 * Pigeonhole: cut window A into k + 1 pieces of q = floor(L / (k + 1))
 * bytes. k edits spoil at most k of them, so if d(A, B) <= k one piece of A
 * occurs exactly in B, shifted by at most k (by 0 for Hamming). Positions
 * are bucketed by a hash of their q-gram once; for each window a, the
 * windows b that share a piece at a possible shift are the only ones
 * verified, with a DP restricted to the band |i - j| <= k (exact, because
 * an alignment of two length-L strings with cost <= k never leaves it).
 * Hash collisions only add verifications. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct qgram {
    uint64_t h;
    uint32_t pos;
} qgram;

static int by_hash(const void *x, const void *y)
{
    const qgram *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int by_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static unsigned hamming_capped(const uint8_t *a, const uint8_t *b, size_t L, unsigned k)
{
    unsigned d = 0;
    for (size_t i = 0; i < L && d <= k; i++)
        d += a[i] != b[i];
    return d;
}

/* Levenshtein of a[0..L) and b[0..L) if <= k, else k + 1; band |i - j| <= k.
 * row holds 2k + 3 cells: cell c of row i is column j = i + c - k. */
static unsigned banded(const uint8_t *a, const uint8_t *b, size_t L, unsigned k, uint32_t *prev,
                       uint32_t *cur)
{
    const uint32_t inf = k + 1;
    const size_t w = 2 * (size_t)k + 1;
    for (size_t c = 0; c < w; c++) {
        long j = (long)c - (long)k;
        prev[c] = j < 0 ? inf : ((uint32_t)j < inf ? (uint32_t)j : inf);
    }
    for (size_t i = 1; i <= L; i++) {
        uint32_t best = inf;
        for (size_t c = 0; c < w; c++) {
            long j = (long)i + (long)c - (long)k;
            if (j < 0 || j > (long)L) {
                cur[c] = inf;
                continue;
            }
            uint32_t v = inf;
            if (j == 0)
                v = (uint32_t)i < inf ? (uint32_t)i : inf; /* i deletions */
            else {
                uint32_t diag = prev[c] + (a[i - 1] != b[j - 1]);
                v = diag;
                if (c + 1 < w && prev[c + 1] + 1 < v) /* a[i-1] unmatched */
                    v = prev[c + 1] + 1;
                if (c > 0 && cur[c - 1] + 1 < v) /* b[j-1] unmatched */
                    v = cur[c - 1] + 1;
            }
            cur[c] = v < inf ? v : inf;
            best = cur[c] < best ? cur[c] : best;
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
        if (best >= inf)
            return inf;
    }
    return prev[k];
}

typedef struct index {
    qgram *g;        /* sorted by (hash, pos) */
    uint32_t *rank;  /* rank[pos] = index in g */
    uint32_t *first; /* first[i] = start of g[i]'s bucket */
    size_t n;
} index_t;

static trawl_status build_index(const uint8_t *p, size_t n, size_t q, index_t *ix)
{
    ix->n = n - q + 1;
    ix->g = malloc(ix->n * sizeof(*ix->g));
    ix->rank = malloc(ix->n * sizeof(*ix->rank));
    ix->first = malloc(ix->n * sizeof(*ix->first));
    if (!ix->g || !ix->rank || !ix->first)
        return TRAWL_ENOMEM;
    const uint64_t B = 0x100000001B3ull;
    uint64_t h = 0, top = 1;
    for (size_t i = 0; i < q; i++) {
        h = h * B + p[i] + 1;
        if (i)
            top *= B;
    }
    for (size_t i = 0;; i++) {
        ix->g[i] = (qgram){h * 0x9E3779B97F4A7C15ull, (uint32_t)i};
        if (i + 1 >= ix->n)
            break;
        h = (h - (p[i] + 1ull) * top) * B + p[i + q] + 1;
    }
    qsort(ix->g, ix->n, sizeof(*ix->g), by_hash);
    for (size_t i = 0; i < ix->n; i++) {
        ix->rank[ix->g[i].pos] = (uint32_t)i;
        ix->first[i] = (i && ix->g[i].h == ix->g[i - 1].h) ? ix->first[i - 1] : (uint32_t)i;
    }
    return TRAWL_OK;
}

static void free_index(index_t *ix)
{
    free(ix->g);
    free(ix->rank);
    free(ix->first);
}

typedef struct buf32 {
    uint32_t *v;
    size_t n, cap;
} buf32;

static trawl_status push32(buf32 *b, uint32_t x)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        uint32_t *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return TRAWL_ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = x;
    return TRAWL_OK;
}

/* Candidate partners b > a of window a, sorted and unique, into cand. */
static trawl_status candidates(const index_t *ix, size_t a, size_t last, size_t q, unsigned k,
                               unsigned shift, buf32 *cand)
{
    cand->n = 0;
    for (unsigned j = 0; j <= k; j++) {
        size_t x = a + j * q;
        uint32_t r = ix->rank[x];
        for (size_t i = ix->first[r]; i < ix->n && ix->g[i].h == ix->g[r].h; i++) {
            long y = (long)ix->g[i].pos - (long)(j * q);
            for (long d = -(long)shift; d <= (long)shift; d++) {
                long b = y + d;
                if (b > (long)a && b <= (long)last && push32(cand, (uint32_t)b))
                    return TRAWL_ENOMEM;
            }
        }
    }
    if (cand->n < 2)
        return TRAWL_OK;
    qsort(cand->v, cand->n, sizeof(uint32_t), by_u32);
    size_t u = 0;
    for (size_t i = 0; i < cand->n; i++)
        if (u == 0 || cand->v[u - 1] != cand->v[i])
            cand->v[u++] = cand->v[i];
    cand->n = u;
    return TRAWL_OK;
}

trawl_status trawl_fuzzy_similar(const uint8_t *p, size_t n, size_t L, unsigned k,
                                 trawl_fuzzy_mode mode, trawl_fuzzy_pair_fn cb, void *ud,
                                 trawl_error *err)
{
    if ((!p && n) || !cb || L == 0)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument (L must be >= 1)");
    if (k >= L || k > TRAWL_FUZZY_MAX_DISTANCE)
        return trawl__fail(err, TRAWL_EINVAL, "k = %u must be less than L = %zu (and <= %d)", k, L,
                           TRAWL_FUZZY_MAX_DISTANCE);
    if (mode != TRAWL_FUZZY_LEVENSHTEIN && mode != TRAWL_FUZZY_HAMMING)
        return trawl__fail(err, TRAWL_EINVAL, "unknown mode");
    if (n > UINT32_MAX - 1)
        return trawl__fail(err, TRAWL_ELIMIT, "input larger than 4 GiB");
    if (n < L + 1)
        return TRAWL_OK;
    size_t q = L / (k + 1), last = n - L;
    unsigned shift = mode == TRAWL_FUZZY_HAMMING ? 0 : k;
    index_t ix = {0};
    buf32 cand = {0};
    uint32_t *rows = malloc((4 * (size_t)k + 6) * sizeof(uint32_t));
    trawl_status st = rows ? build_index(p, n, q, &ix) : TRAWL_ENOMEM;
    for (size_t a = 0; a <= last && !st; a++) {
        st = candidates(&ix, a, last, q, k, shift, &cand);
        for (size_t i = 0; i < cand.n && !st; i++) {
            size_t b = cand.v[i];
            unsigned d = shift ? banded(p + a, p + b, L, k, rows, rows + 2 * k + 3)
                               : hamming_capped(p + a, p + b, L, k);
            if (d > k)
                continue;
            trawl_fuzzy_pair pr = {a, b, d};
            if (cb(&pr, ud))
                st = TRAWL_ESTOPPED;
        }
    }
    free_index(&ix);
    free(cand.v);
    free(rows);
    if (st == TRAWL_ENOMEM)
        return trawl__fail(err, st, "out of memory");
    if (st == TRAWL_ESTOPPED)
        return trawl__fail(err, st, "stopped by the callback");
    return TRAWL_OK;
}
