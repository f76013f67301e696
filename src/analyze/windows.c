/* windows.c -- Shannon entropy over sliding windows, at memory speed, with
 * the whole input's histogram and those of chosen byte ranges in the same
 * pass. (Grown from the polymorphic detector's window scan, which now calls
 * this.)
 *
 * A window's entropy is log2 W - sum(c log2 c) / W over its 256 counts;
 * counts never exceed W, so c log2 c comes from a table built with the
 * scanner, and a window costs 256 table reads instead of 256 logarithms.
 *
 * Block mode (the step divides the window and is between 64 bytes and
 * 32 KiB, with at most 64 steps per window): the input is cut into
 * step-sized blocks, each block's histogram is counted once (four 16-bit
 * sub-histograms, so that runs of one value do not serialise on one
 * counter; a byte is one load and one add to memory, and an all-zero
 * 32-byte stretch costs one branch), and the window is the sum of the last
 * W / step block histograms, kept in a ring: a block is added once and
 * subtracted once. In the same pass over the 256 bins (sixteen per AVX2
 * register when the CPU has it, windows_avx2.c) each block is added to a
 * 32-bit running histogram, flushed into 64-bit base[] before it could
 * wrap: the histogram of the blocks counted so far, which is all the
 * whole-input and range histograms need (a range's whole blocks are
 * prefix(last) - prefix(first), its ragged edges are counted byte by
 * byte). Measured with callgrind on 16 MiB of shared libraries, window =
 * step = 1024: 7.1 instructions per byte before this layout, 3.9 after, of
 * which 2 are the counting itself; the time is bound by the one store per
 * byte of the counting (about 2 GB/s per core), not by the instructions.
 * (Gathering the table reads with AVX2 saves another 0.45 instructions per
 * byte but is slower on AMD's microcoded gathers, so the table is read one
 * bin at a time.)
 *
 * Otherwise (rolling mode) the window's histogram moves byte by byte: the
 * bytes that leave are subtracted and those that enter added, or it is
 * recounted when the step is at least the window. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_MAX  ((size_t)1 << 20) /* windows up to 1 MiB get a table */
#define BLOCKS_MAX 64
#define BLOCK_MIN  64
#define BLOCK_MAX  32768
#define WINDOW_MAX ((size_t)1 << 31)

struct trawl_analyze_entropy_scanner {
    size_t window, step;
    size_t wb;    /* block mode: window / step; 0 in rolling mode */
    size_t ntab;  /* entries of tab: window + 1, or 0 (logarithms instead) */
    bool avx2;    /* windows_avx2.c's kernels */
    double tab[]; /* c * log2 c */
};

trawl_status trawl_analyze_entropy_scanner_new(size_t window, size_t step,
                                               trawl_analyze_entropy_scanner **out,
                                               trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (window == 0 || step == 0)
        return trawl__fail(err, TRAWL_EINVAL, "window and step must be at least 1");
    if (window > WINDOW_MAX || step > WINDOW_MAX)
        return trawl__fail(err, TRAWL_ELIMIT, "window and step are at most %zu bytes", WINDOW_MAX);
    size_t ntab = window <= TABLE_MAX ? window + 1 : 0;
    trawl_analyze_entropy_scanner *s = malloc(sizeof(*s) + ntab * sizeof(double));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    s->window = window;
    s->step = step;
    s->ntab = ntab;
    s->wb = 0;
    s->avx2 = trawl__an_have_avx2_only() && !getenv("TRAWL_NO_AVX2");
    if (window % step == 0 && step >= BLOCK_MIN && step <= BLOCK_MAX && window / step <= BLOCKS_MAX)
        s->wb = window / step;
    for (size_t c = 0; c < ntab; c++)
        s->tab[c] = c ? (double)c * log2((double)c) : 0.0;
    *out = s;
    return TRAWL_OK;
}

void trawl_analyze_entropy_scanner_free(trawl_analyze_entropy_scanner *s)
{
    free(s);
}

uint64_t trawl_analyze_entropy_window_count(const trawl_analyze_entropy_scanner *s, uint64_t n)
{
    if (n == 0)
        return 0;
    if (n <= s->window)
        return 1;
    uint64_t m = (n - s->window) / s->step + 1;
    return (m - 1) * s->step + s->window < n ? m + 1 : m;
}

uint64_t trawl_analyze_entropy_window_offset(const trawl_analyze_entropy_scanner *s, uint64_t n,
                                             uint64_t i, uint64_t *len)
{
    if (len)
        *len = n < s->window ? n : s->window;
    if (n <= s->window)
        return 0;
    uint64_t m = (n - s->window) / s->step + 1;
    return i < m ? i * s->step : n - s->window;
}

/* ---- one window ------------------------------------------------------------------- */

typedef struct out_state {
    const trawl_analyze_entropy_request *rq;
    trawl_analyze_window_stats *st;
} out_state;

static inline double clogc(const trawl_analyze_entropy_scanner *s, uint32_t c)
{
    return c < s->ntab ? s->tab[c] : (c ? (double)c * log2((double)c) : 0.0);
}

/* k: the window's non-empty bins. Counts never exceed the window, so with a
 * table every read is in it. Four partial sums: one running sum would make
 * every bin wait for the previous addition. */
static double window_h(const trawl_analyze_entropy_scanner *s, const uint32_t *hist, uint64_t w,
                       unsigned k, bool corrected)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (s->ntab) {
        const double *t = s->tab;
        for (int b = 0; b < 256; b += 4) {
            s0 += t[hist[b]];
            s1 += t[hist[b + 1]];
            s2 += t[hist[b + 2]];
            s3 += t[hist[b + 3]];
        }
    } else {
        for (int b = 0; b < 256; b += 4) {
            s0 += clogc(s, hist[b]);
            s1 += clogc(s, hist[b + 1]);
            s2 += clogc(s, hist[b + 2]);
            s3 += clogc(s, hist[b + 3]);
        }
    }
    double h = log2((double)w) - ((s0 + s1) + (s2 + s3)) / (double)w;
    if (h < 0)
        h = 0;
    return corrected ? trawl_analyze_entropy_corrected(h, k, w) : h;
}

static unsigned nonzero(const uint32_t *h)
{
    unsigned k = 0;
    for (int b = 0; b < 256; b++)
        k += h[b] != 0;
    return k;
}

static void emit(const out_state *o, double h, uint64_t start)
{
    trawl_analyze_window_stats *st = o->st;
    if (o->rq->values && st->count < o->rq->cap)
        o->rq->values[st->count] = h;
    st->count++;
    if (st->count == 1 || h > st->max) {
        st->max = h;
        st->max_offset = start;
    }
    if (h >= o->rq->threshold) {
        if (!st->above)
            st->first_above = start;
        st->above++;
    }
}

static void count_bytes(const uint8_t *p, uint64_t lo, uint64_t hi, uint64_t *hist)
{
    for (uint64_t k = lo; k < hi; k++)
        hist[p[k]]++;
}

static void window_at(const trawl_analyze_entropy_scanner *s, const uint8_t *p, uint64_t start,
                      uint64_t len, const out_state *o)
{
    uint32_t h[256] = {0};
    for (uint64_t i = start; i < start + len; i++)
        h[p[i]]++;
    emit(o, window_h(s, h, len, nonzero(h), o->rq->corrected), start);
}

/* ---- block mode -------------------------------------------------------------------- */

typedef struct ring {
    size_t wb, step;
    uint16_t (*blk)[256]; /* wb block histograms */
    uint32_t win[256];
    uint64_t base[256];    /* blocks [0, flushed) */
    uint32_t acc[256];     /* blocks since, each added as it is counted */
    uint32_t nacc, maxacc; /* blocks in acc; flushed before it could wrap */
} ring;

/* Counts a block into four 16-bit sub-histograms (zeroed by block_step),
 * so that runs of one value do not serialise on one counter. 32 bytes at a
 * time: one test skips an all-zero stretch (padding, alignment); otherwise
 * a byte costs one load and one add to memory. */
static void block_hist(const uint8_t *p, size_t step, uint16_t h4[4][256])
{
    uint32_t zero = 0;
    size_t i = 0;
    for (; i + 32 <= step; i += 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + i + 8, 8);
        memcpy(&w2, p + i + 16, 8);
        memcpy(&w3, p + i + 24, 8);
        if ((w0 | w1 | w2 | w3) == 0) {
            zero += 32;
            continue;
        }
        const uint8_t *q = p + i;
        for (int j = 0; j < 32; j += 4) {
            h4[0][q[j]]++;
            h4[1][q[j + 1]]++;
            h4[2][q[j + 2]]++;
            h4[3][q[j + 3]]++;
        }
    }
    for (; i < step; i++) /* the last 0..31 bytes */
        h4[i & 3][p[i]]++;
    h4[0][0] = (uint16_t)(h4[0][0] + zero); /* a block is at most 32 KiB */
}

/* The block into its ring slot and the window: the portable twin of
 * trawl__an_block_step_avx2 (same contract). */
static unsigned block_step(uint16_t h4[4][256], uint16_t slot[256], uint32_t win[256],
                           uint32_t acc[256])
{
    unsigned k = 0;
    for (int i = 0; i < 256; i++) {
        uint16_t nw = (uint16_t)(h4[0][i] + h4[1][i] + h4[2][i] + h4[3][i]);
        h4[0][i] = h4[1][i] = h4[2][i] = h4[3][i] = 0;
        acc[i] += nw;
        win[i] = win[i] + nw - slot[i];
        slot[i] = nw;
        k += win[i] != 0;
    }
    return k;
}

/* sign * histogram of the blocks counted so far into dst. */
static void add_prefix(const ring *r, uint64_t *dst, int sign)
{
    for (int i = 0; i < 256; i++) {
        uint64_t h = r->base[i] + r->acc[i];
        dst[i] += sign > 0 ? h : (uint64_t)0 - h;
    }
}

/* First and end block of the whole blocks inside a range; fb >= lb: none. */
static void range_blocks(const trawl_analyze_byte_range *r, size_t step, uint64_t *fb, uint64_t *lb)
{
    *fb = (r->offset + step - 1) / step;
    *lb = (r->offset + r->len) / step;
}

static trawl_status scan_blocks(const trawl_analyze_entropy_scanner *s, const uint8_t *p, size_t n,
                                uint64_t *whole, const out_state *o)
{
    const trawl_analyze_entropy_request *rq = o->rq;
    ring r;
    memset(&r, 0, sizeof r);
    r.wb = s->wb;
    r.step = s->step;
    r.maxacc = (uint32_t)(UINT32_MAX / s->step);
    r.blk = calloc(s->wb, sizeof(*r.blk));
    if (!r.blk)
        return TRAWL_ENOMEM;
    const size_t step = s->step, nb = n / step;
    for (size_t i = 0; i < rq->nranges; i++) {
        trawl_analyze_byte_range *g = &rq->ranges[i];
        uint64_t fb, lb, lo = g->offset, hi = g->offset + g->len;
        range_blocks(g, step, &fb, &lb);
        if (fb >= lb) {
            count_bytes(p, lo, hi, g->hist);
            continue;
        }
        count_bytes(p, lo, fb * step, g->hist);
        count_bytes(p, lb * step, hi, g->hist);
    }
    uint16_t h4[4][256];
    memset(h4, 0, sizeof h4);
    for (size_t b = 0; b < nb; b++) {
        block_hist(p + b * step, step, h4);
        if (r.nacc == r.maxacc) {
            for (int i = 0; i < 256; i++)
                r.base[i] += r.acc[i], r.acc[i] = 0;
            r.nacc = 0;
        }
        /* k: non-empty bins of the window, counted on the way */
        unsigned k = s->avx2 ? trawl__an_block_step_avx2(h4, r.blk[b % r.wb], r.win, r.acc)
                             : block_step(h4, r.blk[b % r.wb], r.win, r.acc);
        r.nacc++;
        uint64_t x = b + 1; /* blocks [0, x) are in */
        for (size_t i = 0; i < rq->nranges; i++) {
            uint64_t fb, lb;
            range_blocks(&rq->ranges[i], step, &fb, &lb);
            if (fb < lb && fb == x) /* prefix(0) is empty: nothing to take away */
                add_prefix(&r, rq->ranges[i].hist, -1);
            if (fb < lb && lb == x)
                add_prefix(&r, rq->ranges[i].hist, +1);
        }
        if (x >= r.wb)
            emit(o, window_h(s, r.win, s->window, k, rq->corrected), (x - r.wb) * step);
    }
    if (whole) {
        add_prefix(&r, whole, +1);
        count_bytes(p, (uint64_t)nb * step, n, whole);
    }
    if (n % step) /* one last window flush with the end */
        window_at(s, p, n - s->window, s->window, o);
    free(r.blk);
    return TRAWL_OK;
}

/* ---- rolling mode ------------------------------------------------------------------- */

static void scan_rolling(const trawl_analyze_entropy_scanner *s, const uint8_t *p, size_t n,
                         uint64_t *whole, const out_state *o)
{
    const trawl_analyze_entropy_request *rq = o->rq;
    const size_t W = s->window, step = s->step;
    if (whole)
        count_bytes(p, 0, n, whole);
    for (size_t i = 0; i < rq->nranges; i++)
        count_bytes(p, rq->ranges[i].offset, rq->ranges[i].offset + rq->ranges[i].len,
                    rq->ranges[i].hist);
    uint32_t h[256] = {0};
    for (size_t i = 0; i < W; i++)
        h[p[i]]++;
    uint64_t at = 0;
    emit(o, window_h(s, h, W, nonzero(h), rq->corrected), 0);
    for (;;) {
        uint64_t next = at + step;
        if (next + W > n)
            break;
        if (step < W) {
            for (uint64_t i = at; i < next; i++)
                h[p[i]]--;
            for (uint64_t i = at + W; i < next + W; i++)
                h[p[i]]++;
        } else {
            memset(h, 0, sizeof h);
            for (uint64_t i = next; i < next + W; i++)
                h[p[i]]++;
        }
        at = next;
        emit(o, window_h(s, h, W, nonzero(h), rq->corrected), at);
    }
    if (at + W < n)
        window_at(s, p, n - W, W, o);
}

trawl_status trawl_analyze_entropy_scan(const trawl_analyze_entropy_scanner *s, const uint8_t *p,
                                        size_t n, const trawl_analyze_entropy_request *rq,
                                        trawl_analyze_window_stats *stats, trawl_error *err)
{
    static const trawl_analyze_entropy_request none = {.threshold = INFINITY};
    if (!s || !stats || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (!rq)
        rq = &none;
    if (rq->nranges && !rq->ranges)
        return trawl__fail(err, TRAWL_EINVAL, "NULL ranges");
    for (size_t i = 0; i < rq->nranges; i++) {
        const trawl_analyze_byte_range *g = &rq->ranges[i];
        if (g->offset > n || g->len > n - g->offset)
            return trawl__fail_at(err, TRAWL_EINVAL, (int64_t)g->offset, (int64_t)i,
                                  "range %zu ends past the input", i);
    }
    memset(stats, 0, sizeof(*stats));
    if (rq->whole)
        memset(rq->whole, 0, 256 * sizeof(*rq->whole));
    for (size_t i = 0; i < rq->nranges; i++)
        memset(rq->ranges[i].hist, 0, sizeof(rq->ranges[i].hist));
    out_state o = {rq, stats};
    if (n == 0)
        return TRAWL_OK;
    if (n <= s->window) {
        uint64_t h[256] = {0};
        count_bytes(p, 0, n, h);
        if (rq->whole)
            memcpy(rq->whole, h, sizeof h);
        for (size_t i = 0; i < rq->nranges; i++)
            count_bytes(p, rq->ranges[i].offset, rq->ranges[i].offset + rq->ranges[i].len,
                        rq->ranges[i].hist);
        unsigned k;
        double e = trawl_analyze_entropy_hist(h, n, &k);
        emit(&o, rq->corrected ? trawl_analyze_entropy_corrected(e, k, n) : e, 0);
        return TRAWL_OK;
    }
    if (s->wb) {
        if (scan_blocks(s, p, n, rq->whole, &o))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        return TRAWL_OK;
    }
    scan_rolling(s, p, n, rq->whole, &o);
    return TRAWL_OK;
}
