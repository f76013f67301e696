/* poly_entropy.c -- Shannon entropy of bytes: of a whole buffer, and the
 * maximum over sliding windows kept with a rolling histogram.
 *
 * The window statistic needs sum(c * log2 c) over 256 bins at every step;
 * counts never exceed the window size, so c * log2 c comes from a table and
 * a step costs 256 reads instead of 256 logarithms. */
#include <math.h>
#include <string.h>

#include "detect/poly.h"

void poly_clog_init(poly_clog *t)
{
    t->v[0] = 0;
    for (unsigned c = 1; c <= POLY_WINDOW; c++)
        t->v[c] = (double)c * log2((double)c);
}

double poly_entropy_hist(const uint64_t hist[256], uint64_t n, unsigned *distinct)
{
    unsigned k = 0;
    double h = 0;
    if (n > 0) {
        double inv = 1.0 / (double)n;
        for (int i = 0; i < 256; i++) {
            if (!hist[i])
                continue;
            k++;
            double q = (double)hist[i] * inv;
            h -= q * log2(q);
        }
    }
    if (distinct)
        *distinct = k;
    return h;
}

double poly_entropy(const uint8_t *p, size_t n, unsigned *distinct)
{
    /* Four histograms break the store-to-load dependency on runs of one
     * byte value; counts are 64-bit so no length overflows them. */
    uint64_t h4[4][256];
    memset(h4, 0, sizeof h4);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        h4[0][p[i]]++;
        h4[1][p[i + 1]]++;
        h4[2][p[i + 2]]++;
        h4[3][p[i + 3]]++;
    }
    for (; i < n; i++)
        h4[0][p[i]]++;
    unsigned k = 0;
    double h = 0;
    for (int b = 0; b < 256; b++) {
        uint64_t c = h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b];
        if (!c)
            continue;
        k++;
        double q = (double)c / (double)n;
        h -= q * log2(q);
    }
    if (distinct)
        *distinct = k;
    return h;
}

double poly_entropy_corrected(double h, unsigned distinct, uint64_t n)
{
    if (n == 0 || distinct < 2)
        return h;
    double c = h + (double)(distinct - 1) / (2.0 * (double)n * M_LN2);
    return c > 8.0 ? 8.0 : c;
}

/* H = log2(W) - sum(c log2 c) / W, corrected as above. */
static double window_h(const poly_clog *t, const uint32_t *hist, unsigned w)
{
    double s = 0;
    unsigned k = 0;
    for (int b = 0; b < 256; b++) {
        s += t->v[hist[b]];
        k += hist[b] != 0;
    }
    double h = log2((double)w) - s / (double)w;
    return poly_entropy_corrected(h < 0 ? 0 : h, k, w);
}

static void eval(const poly_clog *t, const uint32_t *win, uint64_t start, double threshold,
                 poly_windows *out)
{
    double h = window_h(t, win, POLY_WINDOW);
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

/* Histogram of one stride-sized block; four sub-histograms so that runs of
 * one byte value do not serialise on one counter. */
static void block_hist(const uint8_t *p, uint16_t out[256])
{
    uint16_t h4[4][256];
    memset(h4, 0, sizeof h4);
    for (size_t i = 0; i < POLY_STRIDE; i += 4) {
        h4[0][p[i]]++;
        h4[1][p[i + 1]]++;
        h4[2][p[i + 2]]++;
        h4[3][p[i + 3]]++;
    }
    for (int b = 0; b < 256; b++)
        out[b] = (uint16_t)(h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b]);
}

void poly_entropy_windows(const poly_clog *t, const uint8_t *p, size_t n, double threshold,
                          poly_windows *out)
{
    uint64_t whole[256];
    poly_entropy_scan(t, p, n, threshold, out, whole, NULL, 0);
}

/* Adds block [bs, bs + POLY_STRIDE) (histogram h) to the ranges. */
static void ranges_add_block(const uint8_t *p, uint64_t bs, const uint16_t *h, poly_range *r,
                             size_t nr)
{
    uint64_t be = bs + POLY_STRIDE;
    for (size_t i = 0; i < nr; i++) {
        uint64_t lo = r[i].offset > bs ? r[i].offset : bs;
        uint64_t hi = r[i].offset + r[i].len < be ? r[i].offset + r[i].len : be;
        if (lo >= hi)
            continue;
        if (lo == bs && hi == be)
            for (int b = 0; b < 256; b++)
                r[i].hist[b] += h[b];
        else
            for (uint64_t k = lo; k < hi; k++)
                r[i].hist[p[k]]++;
    }
}

static void ranges_add_bytes(const uint8_t *p, uint64_t lo, uint64_t hi, poly_range *r, size_t nr)
{
    for (size_t i = 0; i < nr; i++) {
        uint64_t a = r[i].offset > lo ? r[i].offset : lo;
        uint64_t b = r[i].offset + r[i].len < hi ? r[i].offset + r[i].len : hi;
        for (uint64_t k = a; k < b; k++)
            r[i].hist[p[k]]++;
    }
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
        for (size_t i = 0; i < n; i++)
            whole[p[i]]++;
        ranges_add_bytes(p, 0, n, r, nr);
        unsigned k;
        double h = poly_entropy_hist(whole, n, &k);
        out->max = poly_entropy_corrected(h, k, n);
        out->count = 1;
        if (out->max >= threshold)
            out->above = 1;
        return;
    }
    /* The window is the sum of the last WB block histograms: each block is
     * added once and subtracted once, so the whole scan is O(n). */
    enum { WB = POLY_WINDOW / POLY_STRIDE };
    uint16_t ring[WB][256];
    uint32_t win[256] = {0};
    size_t nb = n / POLY_STRIDE;
    for (size_t b = 0; b < nb; b++) {
        uint16_t *slot = ring[b % WB];
        if (b >= WB)
            for (int i = 0; i < 256; i++)
                win[i] -= slot[i];
        block_hist(p + b * POLY_STRIDE, slot);
        for (int i = 0; i < 256; i++) {
            win[i] += slot[i];
            whole[i] += slot[i];
        }
        ranges_add_block(p, (uint64_t)b * POLY_STRIDE, slot, r, nr);
        if (b + 1 >= WB)
            eval(t, win, (uint64_t)(b + 1 - WB) * POLY_STRIDE, threshold, out);
    }
    for (size_t i = nb * POLY_STRIDE; i < n; i++)
        whole[p[i]]++;
    ranges_add_bytes(p, (uint64_t)nb * POLY_STRIDE, n, r, nr);
    if (n % POLY_STRIDE) {
        /* The tail: one last window flush with the end. */
        memset(win, 0, sizeof win);
        for (size_t i = n - POLY_WINDOW; i < n; i++)
            win[p[i]]++;
        eval(t, win, n - POLY_WINDOW, threshold, out);
    }
}
