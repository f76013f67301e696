/* arch.c -- per-window architecture classification.
 *
 * A window's cost under a model is the sum over its byte pairs of
 * -log2 P(cur | prev), read from the model's table; divided by the pairs it
 * is the cross-entropy in bits per byte. All models are scored at once: the
 * table keeps the 16 architectures' costs of a pair in one 16-byte row, so
 * each byte costs one vector load and two adds (SSE2), or a short loop.
 *
 * Overlapping windows reuse work: the input is cut into blocks of `step`
 * bytes, each block's pair costs and byte histogram are computed once, and a
 * window is the sum of the window / step blocks it spans, less the cost of
 * the pair that enters its first block from outside. */
#include "firmware/fw_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MIN_WINDOW 256u
#define MAX_BLOCKS 64u

void trawl__fw_pair_costs(const trawl_fw_model *m, int prev, const uint8_t *p, size_t n,
                          uint32_t sums[FW_LANES])
{
    size_t i = 0;
    unsigned last = 0;
    if (prev >= 0) {
        last = (unsigned)prev;
    } else if (n) {
        last = p[0];
        i = 1;
    }
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    while (i < n) {
        /* 16-bit lanes hold at most 257 costs of <= 255 each */
        size_t stop = n - i > 256 ? i + 256 : n;
        __m128i lo = zero, hi = zero;
        for (; i < stop; i++) {
            unsigned cur = p[i];
            __m128i v = _mm_load_si128((const __m128i *)(m->lanes + ((last << 8 | cur) << 4)));
            lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
            hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
            last = cur;
        }
        uint16_t l16[8], h16[8];
        _mm_storeu_si128((__m128i *)l16, lo);
        _mm_storeu_si128((__m128i *)h16, hi);
        for (unsigned a = 0; a < 8; a++) {
            sums[a] += l16[a];
            sums[a + 8] += h16[a];
        }
    }
#else
    for (; i < n; i++) {
        unsigned cur = p[i];
        const uint8_t *row = m->lanes + ((last << 8 | cur) << 4);
        for (unsigned a = 0; a < m->n_arch; a++)
            sums[a] += row[a];
        last = cur;
    }
#endif
}

const char *trawl_fw_kind_name(trawl_fw_kind k)
{
    static const char *const names[] = {"code", "fill", "text", "random", "data"};
    return (unsigned)k < 5 ? names[k] : "unknown";
}

typedef struct block {
    uint32_t sums[FW_LANES];  /* pairs ending in the block */
    uint32_t enter[FW_LANES]; /* the pair ending at its first byte (0 for block 0) */
    uint32_t hist[256];
    size_t off, len;
} block;

static void block_fill(const trawl_fw_model *m, const uint8_t *data, size_t off, size_t len,
                       block *b)
{
    memset(b, 0, sizeof(*b));
    b->off = off;
    b->len = len;
    if (off > 0)
        trawl__fw_pair_costs(m, data[off - 1], data + off, 1, b->enter);
    memcpy(b->sums, b->enter, sizeof(b->sums));
    if (len > 1)
        trawl__fw_pair_costs(m, data[off], data + off + 1, len - 1, b->sums);
    for (size_t i = 0; i < len; i++)
        b->hist[data[off + i]]++;
}

static double entropy(const uint32_t hist[256], size_t n)
{
    if (n == 0)
        return 0;
    double s = 0;
    for (unsigned c = 0; c < 256; c++)
        if (hist[c])
            s += hist[c] * log2((double)hist[c]);
    return log2((double)n) - s / (double)n;
}

static trawl_fw_kind kind_of(const uint32_t hist[256], size_t n, double h0)
{
    uint32_t top = 0, printable = hist['\t'] + hist['\n'] + hist['\r'];
    for (unsigned c = 0; c < 256; c++)
        top = hist[c] > top ? hist[c] : top;
    for (unsigned c = 0x20; c < 0x7f; c++)
        printable += hist[c];
    if ((double)top >= 0.9 * (double)n)
        return TRAWL_FW_FILL;
    if ((double)printable >= 0.9 * (double)n)
        return TRAWL_FW_TEXT;
    if (h0 >= 7.2)
        return TRAWL_FW_RANDOM;
    return TRAWL_FW_DATA;
}

/* Decides a window from its summed costs and histogram. */
static void decide(const trawl_fw_model *m, const uint32_t sums[FW_LANES], const uint32_t hist[256],
                   uint64_t off, size_t len, trawl_fw_window *w)
{
    double pairs = len > 1 ? (double)(len - 1) : 1.0;
    unsigned best = 0, second = 0;
    for (unsigned a = 1; a < m->n_arch; a++)
        if (sums[a] < sums[best])
            best = a;
    for (unsigned a = 0; a < m->n_arch; a++)
        if (a != best && (second == best || sums[a] < sums[second]))
            second = a;
    memset(w, 0, sizeof(*w));
    w->offset = off;
    w->length = (uint32_t)len;
    w->bits = sums[best] / (pairs * m->scale);
    w->runner_bits = sums[second] / (pairs * m->scale);
    w->runner_up = m->n_arch > 1 ? (int)second : -1;
    w->entropy = entropy(hist, len);
    if (len > 1 && m->n_arch > 1 && w->bits <= m->max_bits &&
        w->runner_bits - w->bits >= m->min_margin) {
        w->arch = (int)best;
        w->kind = TRAWL_FW_CODE;
    } else {
        w->arch = -1;
        w->kind = kind_of(hist, len, w->entropy);
    }
}

static trawl_status check_opts(const trawl_fw_arch_opts *o, uint32_t *window, uint32_t *step,
                               trawl_error *err)
{
    *window = o && o->window ? o->window : 4096;
    *step = o && o->step ? o->step : *window;
    if (*window < MIN_WINDOW || *window > (1u << 24))
        return trawl__fail(err, TRAWL_EINVAL, "firmware: window must be 256 bytes to 16 MiB");
    if (*step > *window || *window % *step != 0 || *window / *step > MAX_BLOCKS)
        return trawl__fail(err, TRAWL_EINVAL,
                           "firmware: step must divide the window, at most 64 steps per window");
    return TRAWL_OK;
}

/* The window [off, off+len) computed directly (the input's last window,
 * which need not start on a block boundary). */
static void direct_window(const trawl_fw_model *m, const uint8_t *data, size_t off, size_t len,
                          trawl_fw_window *w)
{
    uint32_t sums[FW_LANES] = {0}, hist[256] = {0};
    trawl__fw_pair_costs(m, -1, data + off, len, sums);
    for (size_t i = 0; i < len; i++)
        hist[data[off + i]]++;
    decide(m, sums, hist, off, len, w);
}

trawl_status trawl_fw_arch_scan(const trawl_fw_model *m, const uint8_t *data, size_t len,
                                const trawl_fw_arch_opts *opts, trawl_fw_window_fn cb, void *user,
                                trawl_error *err)
{
    uint32_t window, step;
    if (!m || !cb || (!data && len))
        return trawl__fail(err, TRAWL_EINVAL, "firmware: NULL argument");
    trawl_status s = check_opts(opts, &window, &step, err);
    if (s != TRAWL_OK || len == 0)
        return s;
    trawl_fw_window w;
    if (len <= window) {
        direct_window(m, data, 0, len, &w);
        return cb(&w, user) ? trawl__fail(err, TRAWL_ESTOPPED, "firmware: stopped") : TRAWL_OK;
    }
    size_t k = window / step;
    block *ring = malloc(k * sizeof(*ring));
    if (!ring)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    size_t nblocks = len / step, end = 0;
    for (size_t j = 0; j < nblocks && s == TRAWL_OK; j++) {
        block_fill(m, data, j * step, step, &ring[j % k]);
        if (j + 1 < k)
            continue;
        size_t first = j + 1 - k;
        uint32_t sums[FW_LANES] = {0}, hist[256] = {0};
        for (size_t b = first; b <= j; b++) {
            const block *bl = &ring[b % k];
            for (unsigned a = 0; a < FW_LANES; a++)
                sums[a] += bl->sums[a];
            for (unsigned c = 0; c < 256; c++)
                hist[c] += bl->hist[c];
        }
        for (unsigned a = 0; a < FW_LANES; a++)
            sums[a] -= ring[first % k].enter[a];
        decide(m, sums, hist, first * step, window, &w);
        end = first * step + window;
        if (cb(&w, user))
            s = trawl__fail(err, TRAWL_ESTOPPED, "firmware: stopped");
    }
    free(ring);
    if (s == TRAWL_OK && end < len) {
        direct_window(m, data, len - window, window, &w);
        if (cb(&w, user))
            s = trawl__fail(err, TRAWL_ESTOPPED, "firmware: stopped");
    }
    return s;
}
