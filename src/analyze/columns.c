/* columns.c -- statistics of one offset across many messages: how many
 * messages reach it, the entropy of their bytes there, the most common
 * byte. The messages are walked column by column so that one 256-bin
 * histogram is live at a time; the messages still long enough are kept in
 * a list that shrinks as offsets pass their ends, so the cost is the total
 * length, not messages x columns. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

static void column_stats(const uint64_t hist[256], uint64_t count, trawl_analyze_column *c)
{
    memset(c, 0, sizeof(*c));
    c->count = count;
    if (count == 0)
        return;
    c->entropy = trawl_analyze_entropy_hist(hist, count, &c->distinct);
    int lo = -1, hi = 0;
    for (int b = 0; b < 256; b++) {
        if (!hist[b])
            continue;
        if (lo < 0)
            lo = b;
        hi = b;
        if (hist[b] > c->mode_count) {
            c->mode_count = hist[b];
            c->mode = (uint8_t)b;
        }
    }
    c->min = (uint8_t)lo;
    c->max = (uint8_t)hi;
}

trawl_status trawl_analyze_columns(const trawl_span *msgs, size_t n, size_t ncols,
                                   trawl_analyze_column *out, trawl_error *err)
{
    if ((!msgs && n) || (!out && ncols))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].ptr && msgs[i].len)
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)i, "message %zu is NULL", i);
    size_t *live = malloc((n ? n : 1) * sizeof(*live));
    if (!live)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t nlive = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i].len)
            live[nlive++] = i;
    uint64_t hist[256];
    for (size_t c = 0; c < ncols; c++) {
        memset(hist, 0, sizeof hist);
        size_t keep = 0;
        for (size_t k = 0; k < nlive; k++) {
            const trawl_span *m = &msgs[live[k]];
            hist[m->ptr[c]]++;
            if (m->len > c + 1)
                live[keep++] = live[k];
        }
        column_stats(hist, nlive, &out[c]);
        nlive = keep;
    }
    free(live);
    return TRAWL_OK;
}
