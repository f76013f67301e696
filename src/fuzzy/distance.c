/* distance.c -- the Levenshtein distance between two whole byte strings,
 * with the search kernels' bit-parallel step (Myers 1999, in Hyyro's
 * blocked form).
 *
 * Searching lets a match start anywhere: the top row of the table is all
 * zeros, so no horizontal delta enters the first block. A global distance
 * has row 0 = 0, 1, 2, ...: every text byte brings a +1 into the top of the
 * first block, and the bottom cell D[m][j] starts at m. The step is
 * otherwise the same (trawl__fz_myers_block). One byte of b costs
 * ceil(m / 64) blocks; the string kept as the "pattern" is a, so callers
 * that compare one string with many prepare the shorter one when they can.
 *
 * Four texts of a batch run interleaved when a fits one word: one text's
 * step is a chain of dependent operations, four chains fill the ALUs. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>
#include <string.h>

struct trawl_fuzzy_lev {
    size_t m, words;
    uint64_t *vp, *vn; /* words each: the blocked kernel's column */
    uint64_t peq[];    /* [256][words], then vp and vn */
};

static void build_peq(const uint8_t *a, size_t m, size_t words, uint64_t *peq)
{
    memset(peq, 0, 256 * words * sizeof(*peq));
    for (size_t i = 0; i < m; i++)
        peq[(size_t)a[i] * words + i / 64] |= 1ull << (i % 64);
}

trawl_status trawl_fuzzy_lev_new(const uint8_t *a, size_t na, trawl_fuzzy_lev **out,
                                 trawl_error *err)
{
    if (!out || (!a && na))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    size_t words = na ? (na + 63) / 64 : 1;
    if (words > (SIZE_MAX - sizeof(trawl_fuzzy_lev)) / (258 * sizeof(uint64_t)))
        return trawl__fail(err, TRAWL_ELIMIT, "string too long");
    trawl_fuzzy_lev *l = malloc(sizeof(*l) + 258 * words * sizeof(uint64_t));
    if (!l)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    l->m = na;
    l->words = words;
    l->vp = l->peq + 256 * words;
    l->vn = l->vp + words;
    build_peq(a, na, words, l->peq);
    *out = l;
    return TRAWL_OK;
}

void trawl_fuzzy_lev_free(trawl_fuzzy_lev *l)
{
    free(l);
}

static uint64_t one_word(const uint64_t *peq, size_t m, const uint8_t *b, size_t nb)
{
    const uint64_t hb = 1ull << (m - 1);
    uint64_t vp = ~0ull, vn = 0, score = m;
    for (size_t j = 0; j < nb; j++) {
        uint64_t eq = peq[b[j]];
        uint64_t xv = eq | vn;
        uint64_t xh = (((eq & vp) + vp) ^ vp) | eq;
        uint64_t ph = vn | ~(xh | vp);
        uint64_t mh = vp & xh;
        score += ((ph & hb) != 0) - ((mh & hb) != 0);
        ph = (ph << 1) | 1;
        mh <<= 1;
        vp = mh | ~(xv | ph);
        vn = ph & xv;
    }
    return score;
}

static uint64_t blocked(const uint64_t *peq, size_t m, size_t words, const uint8_t *b, size_t nb,
                        uint64_t *vp, uint64_t *vn)
{
    const uint64_t top = 1ull << 63;
    const uint64_t last = 1ull << ((m - 1) % 64);
    for (size_t w = 0; w < words; w++) {
        vp[w] = ~0ull;
        vn[w] = 0;
    }
    uint64_t score = m;
    for (size_t j = 0; j < nb; j++) {
        const uint64_t *eq = peq + (size_t)b[j] * words;
        int h = 1;
        for (size_t w = 0; w + 1 < words; w++)
            h = trawl__fz_myers_block(eq[w], &vp[w], &vn[w], h, top);
        h = trawl__fz_myers_block(eq[words - 1], &vp[words - 1], &vn[words - 1], h, last);
        score = (uint64_t)((int64_t)score + h);
    }
    return score;
}

static uint64_t distance(trawl_fuzzy_lev *l, const uint8_t *b, size_t nb)
{
    if (l->m == 0)
        return nb;
    if (nb == 0)
        return l->m;
    if (l->words == 1)
        return one_word(l->peq, l->m, b, nb);
    return blocked(l->peq, l->m, l->words, b, nb, l->vp, l->vn);
}

uint64_t trawl_fuzzy_lev_distance(trawl_fuzzy_lev *l, const uint8_t *b, size_t nb)
{
    return distance(l, b, nb);
}

/* Four one-word texts side by side, each to its own length. */
static void four(const uint64_t *peq, size_t m, const trawl_span *t, uint64_t *d)
{
    const uint64_t hb = 1ull << (m - 1);
    uint64_t vp[4] = {~0ull, ~0ull, ~0ull, ~0ull}, vn[4] = {0}, s[4] = {m, m, m, m};
    size_t common = t[0].len;
    for (int l = 1; l < 4; l++)
        common = t[l].len < common ? t[l].len : common;
    for (size_t j = 0; j < common; j++) {
        for (int l = 0; l < 4; l++) {
            uint64_t eq = peq[t[l].ptr[j]];
            uint64_t xv = eq | vn[l];
            uint64_t xh = (((eq & vp[l]) + vp[l]) ^ vp[l]) | eq;
            uint64_t ph = vn[l] | ~(xh | vp[l]);
            uint64_t mh = vp[l] & xh;
            s[l] += ((ph & hb) != 0) - ((mh & hb) != 0);
            ph = (ph << 1) | 1;
            mh <<= 1;
            vp[l] = mh | ~(xv | ph);
            vn[l] = ph & xv;
        }
    }
    /* the rest of each text alone */
    for (int l = 0; l < 4; l++) {
        for (size_t j = common; j < t[l].len; j++) {
            uint64_t eq = peq[t[l].ptr[j]];
            uint64_t xv = eq | vn[l];
            uint64_t xh = (((eq & vp[l]) + vp[l]) ^ vp[l]) | eq;
            uint64_t ph = vn[l] | ~(xh | vp[l]);
            uint64_t mh = vp[l] & xh;
            s[l] += ((ph & hb) != 0) - ((mh & hb) != 0);
            ph = (ph << 1) | 1;
            mh <<= 1;
            vp[l] = mh | ~(xv | ph);
            vn[l] = ph & xv;
        }
        d[l] = s[l];
    }
}

void trawl_fuzzy_lev_distances(trawl_fuzzy_lev *l, const trawl_span *b, size_t n, uint64_t *d)
{
    size_t i = 0;
    if (l->m > 0 && l->words == 1) {
        for (; i + 4 <= n; i += 4) {
            bool empty = !b[i].len || !b[i + 1].len || !b[i + 2].len || !b[i + 3].len;
            if (empty)
                break;
            four(l->peq, l->m, b + i, d + i);
        }
    }
    for (; i < n; i++)
        d[i] = distance(l, b[i].ptr, b[i].len);
}

trawl_status trawl_fuzzy_distance(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                  uint64_t *d, trawl_error *err)
{
    if (!d || (!a && na) || (!b && nb))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (na > nb) { /* the shorter string is the pattern: fewer blocks per byte */
        const uint8_t *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    if (na == 0 || nb == 0) {
        *d = na + nb;
        return TRAWL_OK;
    }
    if (na <= 64) {
        uint64_t peq[256];
        build_peq(a, na, 1, peq);
        *d = one_word(peq, na, b, nb);
        return TRAWL_OK;
    }
    trawl_fuzzy_lev *l;
    trawl_status st = trawl_fuzzy_lev_new(a, na, &l, err);
    if (st)
        return st;
    *d = distance(l, b, nb);
    trawl_fuzzy_lev_free(l);
    return TRAWL_OK;
}
