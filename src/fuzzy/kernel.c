/* kernel.c -- the bit-parallel kernels that find end positions.
 *
 * Myers (1999): the column of the edit-distance table is kept as vertical
 * deltas in two words (VP: +1, VN: -1), 64 pattern positions per word; one
 * text byte costs ~17 word operations and yields D[m][j] = the least distance
 * of the pattern to any window ending at j. Longer patterns chain blocks,
 * passing the horizontal delta of the block's last row to the next block.
 *
 * Bitap with errors (Baeza-Yates/Gonnet, Wu/Manber): R[d] bit i is set when
 * P[0..i] matches the text ending here with at most d substitutions.
 *
 * Every kernel stops at the first end whose distance is <= k and returns its
 * index, so the caller verifies it and resumes; the loop itself calls
 * nothing and allocates nothing. */
#include "fuzzy/fuzzy_int.h"

void trawl__fz_kernel_reset(const fz_pat *p, fz_kstate *k)
{
    if (p->kernel == FZ_MYERS1 || p->kernel == FZ_MYERSB) {
        for (size_t w = 0; w < p->words; w++) {
            k->vp[w] = ~0ull;
            k->vn[w] = 0;
        }
        k->score = (unsigned)p->m;
    } else {
        for (unsigned d = 0; d <= p->k; d++)
            k->vp[d] = 0;
    }
}

size_t trawl__fz_myers1(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n)
{
    const uint64_t *peq = p->peq;
    const uint64_t hb = 1ull << (p->m - 1);
    uint64_t vp = k->vp[0], vn = k->vn[0];
    unsigned score = k->score;
    const unsigned kk = p->k;
    size_t i = 0;
    while (i < n) {
        uint64_t eq = peq[b[i++]];
        uint64_t xv = eq | vn;
        uint64_t xh = (((eq & vp) + vp) ^ vp) | eq;
        uint64_t ph = vn | ~(xh | vp);
        uint64_t mh = vp & xh;
        score += (unsigned)((ph & hb) != 0) - (unsigned)((mh & hb) != 0);
        ph <<= 1;
        mh <<= 1;
        vp = mh | ~(xv | ph);
        vn = ph & xv;
        if (score <= kk)
            break;
    }
    k->vp[0] = vp;
    k->vn[0] = vn;
    k->score = score;
    k->pos += i;
    return score <= kk && i > 0 ? i - 1 : n;
}

size_t trawl__fz_myersb(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n)
{
    const size_t words = p->words;
    const uint64_t top = 1ull << 63;
    const uint64_t last = 1ull << ((p->m - 1) % 64);
    unsigned score = k->score;
    size_t i = 0;
    while (i < n) {
        const uint64_t *eq = p->peq + (size_t)b[i++] * words;
        int h = 0;
        for (size_t w = 0; w + 1 < words; w++)
            h = trawl__fz_myers_block(eq[w], &k->vp[w], &k->vn[w], h, top);
        h = trawl__fz_myers_block(eq[words - 1], &k->vp[words - 1], &k->vn[words - 1], h, last);
        score = (unsigned)((int)score + h);
        if (score <= p->k)
            break;
    }
    k->score = score;
    k->pos += i;
    return score <= p->k && i > 0 ? i - 1 : n;
}

size_t trawl__fz_bitap(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n)
{
    const uint64_t *peq = p->peq;
    const uint64_t hb = 1ull << (p->km - 1);
    const unsigned kk = p->k;
    uint64_t *r = k->vp;
    size_t i = 0;
    if (kk == 0) {
        uint64_t r0 = r[0];
        while (i < n) {
            r0 = ((r0 << 1) | 1) & peq[b[i++]];
            if (r0 & hb)
                break;
        }
        r[0] = r0;
        k->pos += i;
        return (r0 & hb) && i > 0 ? i - 1 : n;
    }
    bool hit = false;
    while (i < n) {
        uint64_t eq = peq[b[i++]];
        uint64_t prev = r[0];
        r[0] = ((prev << 1) | 1) & eq;
        for (unsigned d = 1; d <= kk; d++) {
            uint64_t old = r[d];
            r[d] = (((old << 1) | 1) & eq) | ((prev << 1) | 1);
            prev = old;
        }
        if (r[kk] & hb) {
            hit = true;
            break;
        }
    }
    k->pos += i;
    return hit ? i - 1 : n;
}

/* Four independent lanes of the one-word Myers kernel in one loop: a single
 * lane is a chain of dependent operations (latency-bound); four chains keep
 * the core's ALUs busy. Each lane has its own state and bytes b[l][0..n).
 * Stops after the first byte where any lane's distance is <= k, returning
 * its index (hit[l] set for each lane at <= k there), or n. */
size_t trawl__fz_myers1_x4(const fz_pat *p, fz_lanes *L, const uint8_t *const b[4], size_t n,
                           bool hit[4])
{
    const uint64_t *peq = p->peq;
    const uint64_t hb = 1ull << (p->m - 1);
    const unsigned kk = p->k;
    uint64_t vp0 = L->vp[0], vp1 = L->vp[1], vp2 = L->vp[2], vp3 = L->vp[3];
    uint64_t vn0 = L->vn[0], vn1 = L->vn[1], vn2 = L->vn[2], vn3 = L->vn[3];
    unsigned s0 = L->score[0], s1 = L->score[1], s2 = L->score[2], s3 = L->score[3];
    const uint8_t *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    size_t i = 0;
#define MYERS_STEP(vp, vn, s, c)                                                                   \
    do {                                                                                           \
        uint64_t eq = peq[c];                                                                      \
        uint64_t xv = eq | vn;                                                                     \
        uint64_t xh = (((eq & vp) + vp) ^ vp) | eq;                                                \
        uint64_t ph = vn | ~(xh | vp);                                                             \
        uint64_t mh = vp & xh;                                                                     \
        s += (unsigned)((ph & hb) != 0) - (unsigned)((mh & hb) != 0);                              \
        ph <<= 1;                                                                                  \
        mh <<= 1;                                                                                  \
        vp = mh | ~(xv | ph);                                                                      \
        vn = ph & xv;                                                                              \
    } while (0)
    bool any = false;
    while (i < n) {
        MYERS_STEP(vp0, vn0, s0, b0[i]);
        MYERS_STEP(vp1, vn1, s1, b1[i]);
        MYERS_STEP(vp2, vn2, s2, b2[i]);
        MYERS_STEP(vp3, vn3, s3, b3[i]);
        i++;
        if ((s0 <= kk) | (s1 <= kk) | (s2 <= kk) | (s3 <= kk)) {
            any = true;
            break;
        }
    }
#undef MYERS_STEP
    L->vp[0] = vp0, L->vp[1] = vp1, L->vp[2] = vp2, L->vp[3] = vp3;
    L->vn[0] = vn0, L->vn[1] = vn1, L->vn[2] = vn2, L->vn[3] = vn3;
    L->score[0] = s0, L->score[1] = s1, L->score[2] = s2, L->score[3] = s3;
    hit[0] = any && s0 <= kk;
    hit[1] = any && s1 <= kk;
    hit[2] = any && s2 <= kk;
    hit[3] = any && s3 <= kk;
    return any ? i - 1 : n;
}
