/* regions.c -- cut an input into spans of one kind: padding, text,
 * low-entropy data, structured binary, code-like bytes, compressed bytes,
 * random-looking bytes. Each span says which rule put it there.
 *
 * Windows of `window` bytes (the last one flush with the end) are
 * classified on their own; a window owns the bytes from its start to the
 * next window's start, so the owned parts tile the input; runs of windows
 * of one class (and, for padding, one fill byte) become a region. The one
 * question a window answers poorly is whether high-entropy bytes are
 * compressed or random: chi-square has little power on a kilobyte. A window
 * whose bytes fail the uniformity test at p < 1e-4 is compressed (random
 * bytes do once in 10,000 windows); the others are random until their
 * whole region, more bytes, is tested: p < 0.01 makes it compressed.
 * Measured (docs/analyze.md): zlib and bzip2 output fails the test at
 * p < 0.01 in 89-100 % of 16 KiB blocks but in 11-82 % of 1 KiB blocks;
 * xz (LZMA) output passes it like random bytes at every size. Regions that
 * pass are called random, and the rule says what that can hide. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_FRACTION 0.95
#define LOW_ENTROPY   3.0
#define CODE_ENTROPY  5.0
#define HIGH_ENTROPY  7.2
#define P_UNIFORM     0.01
#define P_WINDOW      1e-4

static const char *const class_names[] = {"padding",   "text",       "low-entropy", "binary",
                                          "code-like", "compressed", "random"};

static const char *const class_rules[] = {
    "one byte value repeated",
    "at least 95% printable ASCII (tab, LF and CR count as printable)",
    "entropy below 3.0 bits/byte",
    "entropy 3.0 to 5.0 bits/byte, not text",
    "entropy 5.0 to 7.2 bits/byte, not text (the band of machine code)",
    "entropy 7.2 bits/byte or more, and chi-square rejects uniform bytes (in every window at "
    "p < 1e-4, or over the whole region at p < 0.01)",
    "entropy 7.2 bits/byte or more, and chi-square over the region does not reject uniform "
    "bytes (p >= 0.01): encrypted, random, or compressed too well to tell (e.g. LZMA)",
};

const char *trawl_analyze_region_name(trawl_analyze_region_class c)
{
    return (unsigned)c <= TRAWL_ANALYZE_RANDOM ? class_names[c] : "?";
}

const char *trawl_analyze_region_rule(trawl_analyze_region_class c)
{
    return (unsigned)c <= TRAWL_ANALYZE_RANDOM ? class_rules[c] : "?";
}

static bool printable(uint8_t b)
{
    return (b >= 0x20 && b < 0x7F) || b == '\t' || b == '\n' || b == '\r';
}

/* A window's class; compressed and random are both HIGH until the region
 * is known. */
static trawl_analyze_region_class classify(const uint64_t h[256], uint64_t n, uint8_t *fill)
{
    unsigned k;
    double e = trawl_analyze_entropy_hist(h, n, &k);
    e = trawl_analyze_entropy_corrected(e, k, n);
    if (k == 1) {
        for (int b = 0; b < 256; b++)
            if (h[b])
                *fill = (uint8_t)b;
        return TRAWL_ANALYZE_PADDING;
    }
    uint64_t text = 0;
    for (int b = 0; b < 256; b++)
        if (printable((uint8_t)b))
            text += h[b];
    if ((double)text >= TEXT_FRACTION * (double)n && e < HIGH_ENTROPY)
        return TRAWL_ANALYZE_TEXT;
    if (e < LOW_ENTROPY)
        return TRAWL_ANALYZE_LOW_ENTROPY;
    if (e < CODE_ENTROPY)
        return TRAWL_ANALYZE_BINARY;
    if (e < HIGH_ENTROPY)
        return TRAWL_ANALYZE_CODE;
    /* strong evidence in one window already (zlib output nearly always has
     * it at 1 KiB); 1e-4 keeps random windows from splitting off by chance */
    double p = trawl_analyze_chi_square_p(trawl_analyze_chi_square(h, n), 255);
    return p < P_WINDOW ? TRAWL_ANALYZE_COMPRESSED : TRAWL_ANALYZE_RANDOM;
}

static void finish(const uint8_t *p, trawl_analyze_region *r)
{
    uint64_t h[256];
    trawl_analyze_histogram(p + r->offset, (size_t)r->len, h);
    unsigned k;
    r->entropy = trawl_analyze_entropy_hist(h, r->len, &k);
    r->chi_square = trawl_analyze_chi_square(h, r->len);
    r->p_value = trawl_analyze_chi_square_p(r->chi_square, 255);
    uint64_t text = 0;
    for (int b = 0; b < 256; b++)
        if (printable((uint8_t)b))
            text += h[b];
    r->printable = r->len ? (double)text / (double)r->len : 0;
    if (r->cls == TRAWL_ANALYZE_RANDOM && r->p_value < P_UNIFORM)
        r->cls = TRAWL_ANALYZE_COMPRESSED;
    r->rule = class_rules[r->cls];
}

trawl_status trawl_analyze_regions(const uint8_t *p, size_t n, size_t window,
                                   trawl_analyze_region **out, size_t *count, trawl_error *err)
{
    if (!out || !count || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    *count = 0;
    if (window == 0)
        window = 1024;
    if (n == 0)
        return TRAWL_OK;
    size_t nw = n <= window ? 1 : (n + window - 1) / window;
    trawl_analyze_region *r = malloc(nw * sizeof(*r));
    if (!r)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t nr = 0;
    for (size_t w = 0; w < nw; w++) {
        /* window w owns [w * window, min((w + 1) * window, n)); the last
         * one is measured flush with the end, as a whole window */
        uint64_t own = (uint64_t)w * window, end = own + window < n ? own + window : n;
        uint64_t at = end - own < window && n > window ? n - window : own;
        uint64_t h[256];
        trawl_analyze_histogram(p + at, (size_t)(end - at), h);
        uint8_t fill = 0;
        trawl_analyze_region_class c = classify(h, end - at, &fill);
        if (nr && r[nr - 1].cls == c && (c != TRAWL_ANALYZE_PADDING || r[nr - 1].fill == fill)) {
            r[nr - 1].len = end - r[nr - 1].offset;
            continue;
        }
        memset(&r[nr], 0, sizeof(r[nr]));
        r[nr].offset = own;
        r[nr].len = end - own;
        r[nr].cls = c;
        r[nr].fill = fill;
        nr++;
    }
    for (size_t i = 0; i < nr; i++)
        finish(p, &r[i]);
    *out = r;
    *count = nr;
    return TRAWL_OK;
}

void trawl_analyze_regions_free(trawl_analyze_region *r)
{
    free(r);
}
