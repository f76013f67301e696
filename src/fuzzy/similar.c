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
 *
 * Memory is 12 bytes per position and O(k) per window, whatever the data: on zeros every window is
 * every other's partner, which costs time (quadratic, as the output is), never memory. The limits
 * bound that time: the work stops with TRAWL_ELIMIT after max_pairs pairs or max_checks
 * verifications. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>
#include <string.h>

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

/* The q-gram index, 12 bytes per position: h[pos] is a 32-bit hash of the
 * q-gram at pos, ord[] the positions sorted by (h, pos), rank[pos] the
 * index of pos in ord. A bucket is a run of ord with one hash, in
 * increasing position, so the part of it after a position x starts next to
 * rank[x]. (The first version kept 24 bytes per position and a list of the
 * candidates of each window, which on repetitive data grew to the whole
 * input.) Hash collisions only add verifications. */
typedef struct index {
    uint32_t *h, *ord, *rank;
    size_t n;
} index_t;

static trawl_status build_index(const uint8_t *p, size_t n, size_t q, index_t *ix)
{
    ix->n = n - q + 1;
    ix->h = malloc(ix->n * sizeof(*ix->h));
    ix->ord = malloc(ix->n * sizeof(*ix->ord));
    ix->rank = malloc(ix->n * sizeof(*ix->rank));
    uint32_t *tmp = ix->rank; /* the radix sort's scratch, before it holds ranks */
    if (!ix->h || !ix->ord || !ix->rank)
        return TRAWL_ENOMEM;
    const uint64_t B = 0x100000001B3ull;
    uint64_t h = 0, top = 1;
    for (size_t i = 0; i < q; i++) {
        h = h * B + p[i] + 1;
        if (i)
            top *= B;
    }
    for (size_t i = 0;; i++) {
        ix->h[i] = (uint32_t)((h * 0x9E3779B97F4A7C15ull) >> 32);
        ix->ord[i] = (uint32_t)i;
        if (i + 1 >= ix->n)
            break;
        h = (h - (p[i] + 1ull) * top) * B + p[i + q] + 1;
    }
    /* LSD radix sort on the hash, 8 bits a pass: stable, so positions stay
     * increasing within a bucket. O(n), 4 bytes per position of scratch. */
    uint32_t *src = ix->ord, *dst = tmp;
    for (unsigned shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < ix->n; i++)
            count[((ix->h[src[i]] >> shift) & 255) + 1]++;
        for (size_t d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < ix->n; i++)
            dst[count[(ix->h[src[i]] >> shift) & 255]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    /* four passes: the sorted order is back in ix->ord */
    for (size_t i = 0; i < ix->n; i++)
        ix->rank[ix->ord[i]] = (uint32_t)i;
    return TRAWL_OK;
}

static void free_index(index_t *ix)
{
    free(ix->h);
    free(ix->ord);
    free(ix->rank);
}

/* The candidate partners of window a, in increasing order, without a list:
 * piece j of a (bytes a + jq ..) sits at y + jq in any partner y sharing
 * it, and a partner b is within shift of such a y. Each piece's bucket
 * gives the intervals [y - shift, y + shift] in increasing order, all of one
 * length; a heap over the k + 1 pieces merges them by start, and their
 * union is walked once. Memory O(k). */
typedef struct piece_stream {
    size_t i; /* next index in ord */
    uint32_t hash;
    long off;   /* partner = pos - off */
    long start; /* current interval's start */
} piece_stream;

typedef struct merger {
    piece_stream *s;
    size_t n;      /* live streams, a binary heap by start */
    long next;     /* smallest partner not emitted yet */
    long cur, end; /* the interval being walked */
} merger;

static void sift_down(merger *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, b = i;
        if (l < m->n && m->s[l].start < m->s[b].start)
            b = l;
        if (r < m->n && m->s[r].start < m->s[b].start)
            b = r;
        if (b == i)
            return;
        piece_stream t = m->s[i];
        m->s[i] = m->s[b];
        m->s[b] = t;
        i = b;
    }
}

/* Moves stream 0 to its bucket's next position; drops it at the end. */
static void advance(merger *m, const index_t *ix, long shift)
{
    piece_stream *t = &m->s[0];
    if (t->i < ix->n && ix->h[ix->ord[t->i]] == t->hash) {
        t->start = (long)ix->ord[t->i] - t->off - shift;
        t->i++;
    } else {
        m->s[0] = m->s[--m->n];
    }
    sift_down(m, 0);
}

static void merger_start(merger *m, const index_t *ix, size_t a, size_t q, unsigned k, long shift)
{
    m->n = 0;
    m->next = (long)a + 1;
    m->cur = 0;
    m->end = -1;
    for (unsigned j = 0; j <= k; j++) {
        size_t x = a + j * q;
        piece_stream *t = &m->s[m->n];
        t->hash = ix->h[x];
        t->off = (long)(j * q);
        /* partners b > a: pos - off + shift > a */
        long from = (long)x - shift + 1;
        size_t i = ix->rank[x]; /* x itself; at most shift earlier ones qualify */
        while (i > 0 && ix->h[ix->ord[i - 1]] == t->hash && (long)ix->ord[i - 1] >= from)
            i--;
        t->i = i;
        if (t->i < ix->n && ix->h[ix->ord[t->i]] == t->hash) {
            t->start = (long)ix->ord[t->i] - t->off - shift;
            t->i++;
            m->n++;
        }
    }
    for (size_t i = m->n; i-- > 0;)
        sift_down(m, i);
}

/* The next partner b (> a, <= last), or -1 when there is none. */
static long merger_next(merger *m, const index_t *ix, long shift, long last)
{
    for (;;) {
        if (m->cur <= m->end) {
            long b = m->cur++;
            if (b > last)
                return -1; /* intervals come in increasing order */
            m->next = b + 1;
            return b;
        }
        if (!m->n)
            return -1;
        long s = m->s[0].start;
        advance(m, ix, shift);
        long e = s + 2 * shift;
        m->cur = s > m->next ? s : m->next;
        m->end = e;
    }
}

trawl_status trawl_fuzzy_similar_ex(const uint8_t *p, size_t n, size_t L, unsigned k,
                                    trawl_fuzzy_mode mode, const trawl_fuzzy_similar_limits *limits,
                                    trawl_fuzzy_pair_fn cb, void *ud, trawl_error *err)
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
    uint64_t max_pairs = limits && limits->max_pairs ? limits->max_pairs : UINT64_MAX;
    uint64_t max_checks = limits && limits->max_checks ? limits->max_checks : UINT64_MAX;
    size_t q = L / (k + 1), last = n - L;
    unsigned shift = mode == TRAWL_FUZZY_HAMMING ? 0 : k;
    index_t ix = {0};
    merger m = {0};
    m.s = malloc((k + 1) * sizeof(*m.s));
    uint32_t *rows = malloc((4 * (size_t)k + 6) * sizeof(uint32_t));
    trawl_status st = rows && m.s ? build_index(p, n, q, &ix) : TRAWL_ENOMEM;
    uint64_t pairs = 0, checks = 0;
    for (size_t a = 0; a <= last && !st; a++) {
        merger_start(&m, &ix, a, q, k, (long)shift);
        for (long b; !st && (b = merger_next(&m, &ix, (long)shift, (long)last)) >= 0;) {
            if (checks++ == max_checks) {
                st = trawl__fail(err, TRAWL_ELIMIT,
                                 "stopped after %llu window pairs checked (max_checks), at "
                                 "window %zu: the data is too repetitive to list every pair",
                                 (unsigned long long)max_checks, a);
                break;
            }
            unsigned d = shift ? banded(p + a, p + b, L, k, rows, rows + 2 * k + 3)
                               : hamming_capped(p + a, p + b, L, k);
            if (d > k)
                continue;
            if (pairs++ == max_pairs) {
                st = trawl__fail(err, TRAWL_ELIMIT,
                                 "stopped after %llu pairs (max_pairs), at window %zu: the data "
                                 "is too repetitive to list every pair",
                                 (unsigned long long)max_pairs, a);
                break;
            }
            trawl_fuzzy_pair pr = {a, (uint64_t)b, d};
            if (cb(&pr, ud))
                st = TRAWL_ESTOPPED;
        }
    }
    free_index(&ix);
    free(m.s);
    free(rows);
    if (st == TRAWL_ENOMEM)
        return trawl__fail(err, st, "out of memory");
    if (st == TRAWL_ESTOPPED)
        return trawl__fail(err, st, "stopped by the callback");
    return st;
}

trawl_status trawl_fuzzy_similar(const uint8_t *p, size_t n, size_t L, unsigned k,
                                 trawl_fuzzy_mode mode, trawl_fuzzy_pair_fn cb, void *ud,
                                 trawl_error *err)
{
    return trawl_fuzzy_similar_ex(p, n, L, k, mode, NULL, cb, ud, err);
}
