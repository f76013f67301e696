/* stats.c -- per-offset statistics of a set of messages, as the boundary
 * search and the classifier read them: trawl_analyze_columns measures
 * (count, distinct values, mode, range, entropy), read here through the
 * set's message indexes. */
#include "infer/infer_int.h"

#include <stdlib.h>
#include <trawl/analyze.h>

bool ifr_columns(const msg_set *s, size_t L, col_stat *out)
{
    trawl_span *sp = malloc((s->n ? s->n : 1) * sizeof(*sp));
    trawl_analyze_column *c = malloc((L ? L : 1) * sizeof(*c));
    bool ok = sp && c;
    if (ok) {
        for (size_t i = 0; i < s->n; i++)
            sp[i] = s->m[s->idx[i]].data;
        ok = trawl_analyze_columns(sp, s->n, L, c, NULL) == TRAWL_OK;
    }
    for (size_t o = 0; ok && o < L; o++)
        out[o] = (col_stat){(uint32_t)c[o].count,
                            c[o].distinct,
                            c[o].mode,
                            c[o].min,
                            c[o].max,
                            c[o].count ? (float)c[o].mode_count / (float)c[o].count : 0.0f,
                            (float)c[o].entropy,
                            0};
    /* printable bytes per column */
    for (size_t i = 0; ok && i < s->n; i++)
        for (size_t o = 0; o < L && o < sp[i].len; o++)
            out[o].printable += sp[i].ptr[o] >= 0x20 && sp[i].ptr[o] < 0x7F;
    free(sp);
    free(c);
    return ok;
}

uint64_t ifr_read(const uint8_t *p, unsigned w, bool be)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < w; k++)
        v |= (uint64_t)p[k] << (8 * (be ? w - 1 - k : k));
    return v;
}
