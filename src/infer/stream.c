/* stream.c -- the framing of a raw byte stream: a fixed record size, by
 * the period at which bytes repeat most, or a delimiter, by bytes after
 * which messages visibly begin. What `trawl frame records` and `trawl frame
 * lines` then need. */
#include "common/error.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

#define PERIOD_MAX    4096
#define PERIOD_BYTES  (64u << 10) /* bytes examined for the record size */
#define REC_MIN       0.05        /* score of a record size */
#define REC_OVER      8.0         /* and how far above the mean period */
#define GAP_SAME      0.8         /* gaps mostly of one length: part of a record */
#define REC_NEAR      0.9         /* a smaller period this close to the best wins */
#define DELIM_MIN     3           /* occurrences of a delimiter */
#define DELIM_SHARE   8           /* at most one byte in this many */
#define PAIR_TOGETHER 0.9         /* a pair's bytes occur together this often */
#define AFTER_MIN     0.5         /* share of the most common byte after a delimiter */

static void record_size(const uint8_t *p, size_t n, trawl_infer_stream *out)
{
    if (n > PERIOD_BYTES)
        n = PERIOD_BYTES;
    size_t kmax = n / 4 < PERIOD_MAX ? n / 4 : PERIOD_MAX;
    if (kmax < 2)
        return;
    double *sc = malloc((kmax + 1) * sizeof(double));
    if (!sc)
        return;
    double sum = 0, best = 0;
    size_t bk = 0;
    for (size_t k = 2; k <= kmax; k++) {
        size_t eq = 0;
        for (size_t i = 0; i + k < n; i++)
            eq += p[i] == p[i + k];
        sc[k] = (double)eq / (double)(n - k);
        sum += sc[k];
        if (sc[k] > best) {
            best = sc[k];
            bk = k;
        }
    }
    double mean = sum / (double)(kmax - 1);
    if (bk && best >= REC_MIN && best >= REC_OVER * mean) {
        /* the smallest divisor of the best period that scores nearly as
         * well: a multiple of the record size repeats as well as the size */
        size_t k = bk;
        for (size_t d = 2; d < bk; d++)
            if (bk % d == 0 && sc[d] >= REC_NEAR * best) {
                k = d;
                break;
            }
        out->record_size = k;
        out->record_score = sc[k];
    }
    free(sc);
}

/* Whether the candidate cuts p into messages of several lengths (a byte
 * found at one fixed distance, gap after gap, is part of every record, not
 * a delimiter). The share of the most common byte after it goes to
 * *after; the number of messages it cuts to *cuts. */
static bool candidate(const uint8_t *p, size_t n, const uint8_t *d, unsigned len, double *after,
                      uint64_t *cuts)
{
    uint32_t hist[256] = {0};
    size_t count = 0, prev = 0, gaps = 0, same = 0, gap0 = 0;
    bool first = true;
    for (size_t i = 0; i + len <= n; i++) {
        if (p[i] != d[0] || (len == 2 && p[i + 1] != d[1]))
            continue;
        if (!first) {
            size_t gap = i - prev;
            if (!gaps)
                gap0 = gap;
            gaps++;
            same += gap == gap0;
        }
        first = false;
        prev = i;
        count++;
        if (i + len < n)
            hist[p[i + len]]++;
        i += len - 1;
    }
    uint32_t m = 0, tot = 0;
    for (int b = 0; b < 256; b++) {
        tot += hist[b];
        if (hist[b] > m)
            m = hist[b];
    }
    *after = tot ? (double)m / (double)tot : 0;
    *cuts = count + (prev + len < n); /* a message may follow the last one */
    return count >= DELIM_MIN && (double)same < GAP_SAME * (double)gaps;
}

static void delimiter(const uint8_t *p, size_t n, trawl_infer_stream *out)
{
    if (n < 8)
        return;
    uint32_t c1[256] = {0};
    uint32_t *c2 = calloc(65536, sizeof(uint32_t));
    if (!c2)
        return;
    for (size_t i = 0; i < n; i++) {
        c1[p[i]]++;
        if (i + 1 < n)
            c2[p[i] << 8 | p[i + 1]]++;
    }
    /* a pair whose bytes nearly always come together: the most frequent */
    uint32_t best = 0;
    unsigned bp = 0;
    for (unsigned v = 0; v < 65536; v++) {
        uint32_t a = c1[v >> 8], b = c1[v & 0xFF], c = c2[v];
        uint32_t lo = a < b ? a : b;
        if ((v >> 8) == (v & 0xFF) || c < DELIM_MIN || (size_t)c * DELIM_SHARE > n ||
            c < PAIR_TOGETHER * lo || c <= best)
            continue;
        uint8_t d[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        double after;
        uint64_t cuts;
        if (candidate(p, n, d, 2, &after, &cuts)) {
            best = c;
            bp = v;
            out->delimiter[0] = d[0];
            out->delimiter[1] = d[1];
            out->delimiter_len = 2;
            out->delimited = cuts;
            out->delimiter_score = after;
        }
    }
    free(c2);
    (void)bp;
    if (out->delimiter_len)
        return;
    /* a single byte after which messages begin alike */
    double bs = 0;
    for (unsigned v = 0; v < 256; v++) {
        if (c1[v] < DELIM_MIN || (size_t)c1[v] * DELIM_SHARE > n)
            continue;
        uint8_t d[1] = {(uint8_t)v};
        double after;
        uint64_t cuts;
        if (!candidate(p, n, d, 1, &after, &cuts) || after < AFTER_MIN)
            continue;
        double sc = after * (double)c1[v];
        if (sc > bs) {
            bs = sc;
            out->delimiter[0] = d[0];
            out->delimiter_len = 1;
            out->delimited = cuts;
            out->delimiter_score = after;
        }
    }
}

trawl_status trawl_infer_stream_structure(const uint8_t *p, size_t n, trawl_infer_stream *out,
                                          trawl_error *err)
{
    if (!out || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    record_size(p, n, out);
    delimiter(p, n, out);
    /* messages of several lengths cut by a delimiter: their repeats at some
     * period are not records */
    if (out->delimiter_len) {
        out->record_size = 0;
        out->record_score = 0;
    }
    return TRAWL_OK;
}
