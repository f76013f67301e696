/* polymorphic/entropy.c -- Shannon entropy of bytes: of a whole buffer, and the
 * maximum over sliding windows kept with a rolling histogram.
 *
 * The window statistic needs sum(c * log2 c) over 256 bins at every step;
 * counts never exceed the window size, so c * log2 c comes from a table and
 * a step costs 256 reads instead of 256 logarithms. */
#include <math.h>
#include <string.h>

#include <trawl/analyze.h>

#include "detect/polymorphic/poly.h"

void poly_clog_init(poly_clog *t)
{
    t->v[0] = 0;
    for (unsigned c = 1; c <= POLY_WINDOW; c++)
        t->v[c] = (double)c * log2((double)c);
}

/* H = log2(W) - sum(c log2 c) / W, corrected as above (k: non-empty bins).
 * Four partial sums: one running sum would make every step wait for the
 * previous addition. */
static double window_h(const poly_clog *t, const uint16_t *hist, unsigned w, unsigned k)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int b = 0; b < 256; b += 4) {
        s0 += t->v[hist[b]];
        s1 += t->v[hist[b + 1]];
        s2 += t->v[hist[b + 2]];
        s3 += t->v[hist[b + 3]];
    }
    double h = log2((double)w) - ((s0 + s1) + (s2 + s3)) / (double)w;
    return trawl_analyze_entropy_corrected(h < 0 ? 0 : h, k, w);
}

static void eval(const poly_clog *t, const uint16_t *win, unsigned k, uint64_t start,
                 double threshold, poly_windows *out)
{
    double h = window_h(t, win, POLY_WINDOW, k);
    out->count++;
    if (out->count == 1 || h > out->max) {
        out->max = h;
        out->max_offset = start;
    }
    if (h >= threshold) {
        if (!out->above)
            out->first_above = start;
        out->above++;
    }
}

/* Histogram of one stride-sized block. Four sub-histograms so that runs of
 * one byte value do not serialise on one counter; eight bytes per load, and
 * an all-zero half (padding, tables of a binary) costs one branch. */
static void block_hist(const uint8_t *p, uint16_t out[256])
{
    uint16_t h4[4][256];
    memset(h4, 0, sizeof h4);
    unsigned zero = 0;
    for (size_t i = 0; i < POLY_STRIDE; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint32_t half[2] = {(uint32_t)w, (uint32_t)(w >> 32)};
        if (w == 0) {
            zero += 8;
            continue;
        }
        for (int k = 0; k < 2; k++) {
            uint32_t v = half[k];
            if (!v) {
                zero += 4;
                continue;
            }
            h4[0][v & 0xFF]++;
            h4[1][(v >> 8) & 0xFF]++;
            h4[2][(v >> 16) & 0xFF]++;
            h4[3][v >> 24]++;
        }
    }
    for (int b = 0; b < 256; b++)
        out[b] = (uint16_t)(h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b]);
    out[0] = (uint16_t)(out[0] + zero);
}

void poly_entropy_windows(const poly_clog *t, const uint8_t *p, size_t n, double threshold,
                          poly_windows *out)
{
    uint64_t whole[256];
    poly_entropy_scan(t, p, n, threshold, out, whole, NULL, 0);
}

static void count_bytes(const uint8_t *p, uint64_t lo, uint64_t hi, uint64_t *hist)
{
    for (uint64_t k = lo; k < hi; k++)
        hist[p[k]]++;
}

/* The sliding window is the sum of the last WB block histograms, kept in a
 * ring: each block is added once and subtracted once. Every WB blocks the
 * window covers exactly the blocks since the last such point, so adding it
 * to base[] keeps the histogram of blocks [0, WB * floor(b / WB)) at a
 * quarter of the per-block cost; base plus the ring's newest blocks is the
 * histogram of any block prefix [0, x), which is all the whole-input and
 * range histograms need (a range's full blocks are prefix(last) -
 * prefix(first), its ragged edges are counted byte by byte). */
enum { WB = POLY_WINDOW / POLY_STRIDE };

typedef struct scan_state {
    uint16_t ring[WB][256];
    uint16_t win[256];
    uint64_t base[256]; /* blocks [0, based) */
    uint64_t based;
} scan_state;

/* sign * histogram of blocks [0, x) into dst; x is at most WB - 1 blocks past
 * s->based and those blocks are still in the ring. */
static void add_prefix(const scan_state *s, uint64_t x, uint64_t *dst, int sign)
{
    uint64_t h[256];
    memcpy(h, s->base, sizeof h);
    for (uint64_t b = s->based; b < x; b++)
        for (int i = 0; i < 256; i++)
            h[i] += s->ring[b % WB][i];
    for (int i = 0; i < 256; i++)
        dst[i] += sign > 0 ? h[i] : (uint64_t)0 - h[i];
}

/* First and end block of the whole blocks inside range r; fb >= lb when none. */
static void range_blocks(const poly_range *r, uint64_t *fb, uint64_t *lb)
{
    *fb = (r->offset + POLY_STRIDE - 1) / POLY_STRIDE;
    *lb = (r->offset + r->len) / POLY_STRIDE;
}

void poly_entropy_scan(const poly_clog *t, const uint8_t *p, size_t n, double threshold,
                       poly_windows *out, uint64_t whole[256], poly_range *r, size_t nr)
{
    memset(out, 0, sizeof *out);
    memset(whole, 0, 256 * sizeof *whole);
    for (size_t i = 0; i < nr; i++)
        memset(r[i].hist, 0, sizeof r[i].hist);
    if (n == 0)
        return;
    if (n <= POLY_WINDOW) {
        count_bytes(p, 0, n, whole);
        for (size_t i = 0; i < nr; i++)
            count_bytes(p, r[i].offset, r[i].offset + r[i].len, r[i].hist);
        unsigned k;
        double h = trawl_analyze_entropy_hist(whole, n, &k);
        out->max = trawl_analyze_entropy_corrected(h, k, n);
        out->count = 1;
        if (out->max >= threshold)
            out->above = 1;
        return;
    }
    scan_state s;
    memset(&s, 0, sizeof s);
    size_t nb = n / POLY_STRIDE;
    /* Ranges: edges by bytes now; whole blocks at their first and end block. */
    for (size_t i = 0; i < nr; i++) {
        uint64_t fb, lb, lo = r[i].offset, hi = r[i].offset + r[i].len;
        range_blocks(&r[i], &fb, &lb);
        if (fb >= lb) {
            count_bytes(p, lo, hi, r[i].hist);
            continue;
        }
        count_bytes(p, lo, fb * POLY_STRIDE, r[i].hist);
        count_bytes(p, lb * POLY_STRIDE, hi, r[i].hist);
    }
    for (size_t b = 0; b < nb; b++) {
        uint16_t *slot = s.ring[b % WB], nw[256];
        block_hist(p + b * POLY_STRIDE, nw);
        unsigned k = 0; /* non-empty bins of the window, counted on the way */
        for (int i = 0; i < 256; i++) {
            s.win[i] = (uint16_t)(s.win[i] + nw[i] - slot[i]);
            slot[i] = nw[i];
            k += s.win[i] != 0;
        }
        uint64_t x = b + 1; /* blocks [0, x) are in */
        for (size_t i = 0; i < nr; i++) {
            uint64_t fb, lb;
            range_blocks(&r[i], &fb, &lb);
            if (fb < lb && fb == x) /* prefix(0) is empty: nothing to take away */
                add_prefix(&s, x, r[i].hist, -1);
            if (fb < lb && lb == x)
                add_prefix(&s, x, r[i].hist, +1);
        }
        if (x % WB == 0) {
            for (int i = 0; i < 256; i++)
                s.base[i] += s.win[i];
            s.based = x;
        }
        if (x >= WB)
            eval(t, s.win, k, (x - WB) * POLY_STRIDE, threshold, out);
    }
    add_prefix(&s, nb, whole, +1);
    count_bytes(p, (uint64_t)nb * POLY_STRIDE, n, whole);
    if (n % POLY_STRIDE) {
        /* The tail: one last window flush with the end. */
        uint16_t win[256] = {0};
        unsigned k = 0;
        for (size_t i = n - POLY_WINDOW; i < n; i++)
            k += win[p[i]]++ == 0;
        eval(t, win, k, n - POLY_WINDOW, threshold, out);
    }
}
