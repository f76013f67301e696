/* stats.c -- per-offset value statistics across messages (count,
 * distinct values, mode and its share, range): what the boundary search
 * and the field classifier read. */
#include "infer/infer_int.h"

#include <string.h>

void ifr_columns(const msg_set *s, size_t L, col_stat *out)
{
    uint32_t hist[256];
    for (size_t o = 0; o < L; o++) {
        memset(hist, 0, sizeof hist);
        col_stat c = {0};
        c.min = 255;
        for (size_t i = 0; i < s->n; i++) {
            const trawl_span *d = &s->m[s->idx[i]].data;
            if (d->len <= o)
                continue;
            uint8_t b = d->ptr[o];
            if (!hist[b]++)
                c.distinct++;
            c.n++;
            if (b < c.min)
                c.min = b;
            if (b > c.max)
                c.max = b;
        }
        uint32_t best = 0;
        for (int b = 0; b < 256; b++)
            if (hist[b] > best) {
                best = hist[b];
                c.mode = (uint8_t)b;
            }
        if (!c.n)
            c.min = 0;
        c.share = c.n ? (float)best / (float)c.n : 0.0f;
        out[o] = c;
    }
}

uint64_t ifr_read(const uint8_t *p, unsigned w, bool be)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < w; k++)
        v |= (uint64_t)p[k] << (8 * (be ? w - 1 - k : k));
    return v;
}
