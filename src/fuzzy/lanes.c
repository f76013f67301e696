/* lanes.c -- the scan kernels over one long stretch of a slice, split into
 * equal parts that run as independent lanes in one loop, so that the
 * kernels' dependency chains overlap instead of queueing.
 *
 * Why a lane may start anywhere: a kernel state started fresh at x is exact
 * for every end >= x + lmax, because no candidate window is longer than
 * lmax = m + k (m for Hamming), so lane l > 0 warms up on the lmax bytes
 * before its part and reports only ends inside it. Ends verified out of
 * order are fine: selection sorts, and runs only after the slice. The last
 * lane's state carries on as the pattern's kernel state. */
#include "fuzzy/fuzzy_int.h"

/* One-word Myers: eight lanes in AVX2 registers when the CPU has them,
 * else four scalar ones. */
trawl_status trawl__fz_run_lanes(trawl_fuzzy_stream *s, size_t pi, uint64_t upto)
{
    const fz_pat *p = &s->db->pats[pi];
    fz_kstate *k = &s->ks[pi];
    const int nl = s->avx2 ? 8 : 4;
    size_t n = (size_t)(upto - k->pos), seg = n / (size_t)nl;
    const uint8_t *base = s->chunk + (k->pos - s->chunk_base);
    uint64_t start = k->pos;
    fz_lanes8 L8;
    fz_lanes L4;
    const uint8_t *b[8];
    for (int l = 0; l < nl; l++) {
        uint64_t vp = k->vp[0], vn = k->vn[0];
        unsigned score = k->score;
        b[l] = base + (size_t)l * seg;
        if (l > 0) { /* warm up on the lmax bytes before the segment */
            fz_kstate w = {.vp = &vp, .vn = &vn};
            trawl__fz_kernel_reset(p, &w);
            const uint8_t *wb = b[l] - p->lmax;
            size_t done = 0;
            while (done < p->lmax)
                done += trawl__fz_myers1(p, &w, wb + done, p->lmax - done) + 1;
            score = w.score;
        }
        if (nl == 8)
            L8.vp[l] = vp, L8.vn[l] = vn, L8.score[l] = score;
        else
            L4.vp[l] = vp, L4.vn[l] = vn, L4.score[l] = score;
    }
    for (size_t i = 0; i < seg;) {
        unsigned hits = 0;
        size_t r;
        if (nl == 8) {
            r = trawl__fz_myers1_x8(p, &L8, b, seg - i, &hits);
        } else {
            bool hit[4];
            r = trawl__fz_myers1_x4(p, &L4, b, seg - i, hit);
            hits = (unsigned)hit[0] | (unsigned)hit[1] << 1 | (unsigned)hit[2] << 2 |
                   (unsigned)hit[3] << 3;
        }
        if (r == seg - i)
            break;
        for (int l = 0; l < nl; l++) {
            b[l] += r + 1;
            if (!(hits >> l & 1))
                continue;
            trawl_status st = trawl__fz_verify(s, pi, start + (uint64_t)l * seg + i + r + 1);
            if (st)
                return st;
        }
        i += r + 1;
    }
    k->vp[0] = nl == 8 ? L8.vp[7] : L4.vp[3];
    k->vn[0] = nl == 8 ? L8.vn[7] : L4.vn[3];
    k->score = nl == 8 ? (unsigned)L8.score[7] : L4.score[3];
    k->pos = start + (uint64_t)nl * seg;
    return TRAWL_OK;
}

/* Bitap in four AVX2 lanes, k <= 3; as run_lanes, with the warm-up over
 * lmax = m bytes (the bitap state is a function of the last km <= m bytes). */
trawl_status trawl__fz_run_bitap_lanes(trawl_fuzzy_stream *s, size_t pi, uint64_t upto)
{
    const fz_pat *p = &s->db->pats[pi];
    fz_kstate *k = &s->ks[pi];
    size_t n = (size_t)(upto - k->pos), seg = n / 4;
    const uint8_t *base = s->chunk + (k->pos - s->chunk_base);
    uint64_t start = k->pos, r[4][4];
    const uint8_t *b[4];
    for (int l = 0; l < 4; l++) {
        uint64_t lv[TRAWL_FUZZY_MAX_DISTANCE + 1];
        b[l] = base + (size_t)l * seg;
        for (unsigned d = 0; d <= p->k; d++)
            lv[d] = k->vp[d];
        if (l > 0) {
            fz_kstate w = {.vp = lv};
            trawl__fz_kernel_reset(p, &w);
            const uint8_t *wb = b[l] - p->lmax;
            size_t done = 0;
            while (done < p->lmax)
                done += trawl__fz_bitap(p, &w, wb + done, p->lmax - done) + 1;
        }
        for (unsigned d = 0; d <= p->k; d++)
            r[d][l] = lv[d];
    }
    for (size_t i = 0; i < seg;) {
        unsigned hits = 0;
        size_t got = trawl__fz_bitap_x4(p, r, b, seg - i, &hits);
        if (got == seg - i)
            break;
        for (int l = 0; l < 4; l++) {
            b[l] += got + 1;
            if (!(hits >> l & 1))
                continue;
            trawl_status st = trawl__fz_verify(s, pi, start + (uint64_t)l * seg + i + got + 1);
            if (st)
                return st;
        }
        i += got + 1;
    }
    for (unsigned d = 0; d <= p->k; d++)
        k->vp[d] = r[d][3];
    k->pos = start + 4 * (uint64_t)seg;
    return TRAWL_OK;
}
