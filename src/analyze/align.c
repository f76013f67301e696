/* align.c -- Needleman-Wunsch global alignment of two messages with linear
 * gaps, Netzob's scores by default (match +10, mismatch -10, gap 0; read
 * from Netzob's libNeedleman, written anew here).
 *
 * The full alignment keeps one byte per cell: the set of predecessors that
 * reach the cell's optimum. The traceback from the last cell takes the
 * first of diagonal, up (a byte of a against a gap), left (a byte of b
 * against a gap) that is in the set, so among optimal alignments it returns
 * the one whose gaps sit as early as possible.
 *
 * The score alone needs one row. When a mismatch is worth no more than two
 * gaps (mismatch <= 2 gap, Netzob's case), an optimal alignment never
 * aligns two different bytes, and its score is L (match - 2 gap) +
 * (na + nb) gap for L = the length of a longest common subsequence; L comes
 * from the bit-parallel LCS recurrence (Allison-Dix, Hyyro), 64 cells per
 * word operation instead of one. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

enum { DIAG = 1, UP = 2, LEFT = 4 };

trawl_analyze_scoring trawl_analyze_scoring_netzob(void)
{
    return (trawl_analyze_scoring){.match = 10, .mismatch = -10, .gap = 0};
}

static trawl_status check_scoring(const trawl_analyze_scoring *s, trawl_error *err)
{
    if (s->match <= 0 || s->gap > 0 || s->mismatch > s->match || s->match > 1000000 ||
        s->mismatch < -1000000 || s->gap < -1000000)
        return trawl__fail(err, TRAWL_EINVAL,
                           "scoring needs 0 < match <= 1e6, -1e6 <= mismatch <= match, "
                           "-1e6 <= gap <= 0 (got %d, %d, %d)",
                           s->match, s->mismatch, s->gap);
    return TRAWL_OK;
}

static inline int64_t max3(int64_t a, int64_t b, int64_t c)
{
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

trawl_status trawl_analyze_align(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                 const trawl_analyze_scoring *scoring, trawl_analyze_alignment *out,
                                 trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    if ((!a && na) || (!b && nb))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    trawl_analyze_scoring s = scoring ? *scoring : trawl_analyze_scoring_netzob();
    trawl_status st = check_scoring(&s, err);
    if (st)
        return st;
    if (na > INT32_MAX || nb > INT32_MAX ||
        (na && nb && (uint64_t)na * nb > TRAWL_ANALYZE_ALIGN_MAX_CELLS))
        return trawl__fail(err, TRAWL_ELIMIT,
                           "alignment of %zu x %zu bytes is over the %llu-cell limit", na, nb,
                           (unsigned long long)TRAWL_ANALYZE_ALIGN_MAX_CELLS);
    size_t W = nb + 1;
    uint8_t *dir = malloc((na + 1) * W);
    int64_t *row = malloc(2 * W * sizeof(*row));
    int32_t *ap = malloc((na + nb + 1) * sizeof(*ap));
    int32_t *bp = malloc((na + nb + 1) * sizeof(*bp));
    if (!dir || !row || !ap || !bp) {
        free(dir);
        free(row);
        free(ap);
        free(bp);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    int64_t *prev = row, *cur = row + W;
    prev[0] = 0;
    dir[0] = 0;
    for (size_t j = 1; j <= nb; j++) {
        prev[j] = prev[j - 1] + s.gap;
        dir[j] = LEFT;
    }
    for (size_t i = 1; i <= na; i++) {
        uint8_t *d = dir + i * W;
        cur[0] = prev[0] + s.gap;
        d[0] = UP;
        const uint8_t ai = a[i - 1];
        for (size_t j = 1; j <= nb; j++) {
            int64_t dg = prev[j - 1] + (ai == b[j - 1] ? s.match : s.mismatch);
            int64_t up = prev[j] + s.gap, lf = cur[j - 1] + s.gap;
            int64_t m = max3(dg, up, lf);
            cur[j] = m;
            d[j] = (uint8_t)((dg == m ? DIAG : 0) | (up == m ? UP : 0) | (lf == m ? LEFT : 0));
        }
        int64_t *t = prev;
        prev = cur;
        cur = t;
    }
    out->score = prev[nb];
    /* traceback, columns written from the end */
    size_t k = na + nb + 1, i = na, j = nb;
    while (i > 0 || j > 0) {
        uint8_t d = dir[i * W + j];
        k--;
        if ((d & DIAG) && i > 0 && j > 0) {
            ap[k] = (int32_t)--i;
            bp[k] = (int32_t)--j;
            if (a[i] == b[j])
                out->matches++;
            else
                out->mismatches++;
        } else if ((d & UP) && i > 0) {
            ap[k] = (int32_t)--i;
            bp[k] = -1;
            out->gaps++;
        } else {
            ap[k] = -1;
            bp[k] = (int32_t)--j;
            out->gaps++;
        }
    }
    out->len = na + nb + 1 - k;
    memmove(ap, ap + k, out->len * sizeof(*ap));
    memmove(bp, bp + k, out->len * sizeof(*bp));
    out->a_pos = ap;
    out->b_pos = bp;
    free(dir);
    free(row);
    return TRAWL_OK;
}

void trawl_analyze_alignment_free(trawl_analyze_alignment *al)
{
    if (!al)
        return;
    free(al->a_pos);
    free(al->b_pos);
    memset(al, 0, sizeof(*al));
}

/* ---- the score alone ------------------------------------------------------ */

/* One-row DP over the shorter message (the score is symmetric). row holds
 * min(na, nb) + 1 cells. */
static int64_t score_dp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                        const trawl_analyze_scoring *s, int64_t *row)
{
    if (nb > na) {
        const uint8_t *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int64_t)j * s->gap;
    for (size_t i = 1; i <= na; i++) {
        int64_t diag = row[0];
        row[0] = (int64_t)i * s->gap;
        const uint8_t ai = a[i - 1];
        for (size_t j = 1; j <= nb; j++) {
            int64_t dg = diag + (ai == b[j - 1] ? s->match : s->mismatch);
            diag = row[j];
            row[j] = max3(dg, row[j] + s->gap, row[j - 1] + s->gap);
        }
    }
    return row[nb];
}

bool trawl__an_scoring_is_lcs(const trawl_analyze_scoring *s)
{
    return (int64_t)s->mismatch <= 2 * (int64_t)s->gap;
}

int64_t trawl__an_lcs_to_score(const trawl_analyze_scoring *s, uint64_t lcs, size_t na, size_t nb)
{
    return (int64_t)lcs * (s->match - 2 * (int64_t)s->gap) + (int64_t)(na + nb) * s->gap;
}

trawl_status trawl__an_lcs_init(trawl__an_lcs_table *l, const uint8_t *a, size_t m)
{
    l->m = m;
    l->words = m ? (m + 63) / 64 : 1;
    l->peq = calloc(257 * l->words, sizeof(uint64_t));
    if (!l->peq)
        return TRAWL_ENOMEM;
    l->v = l->peq + 256 * l->words;
    for (size_t i = 0; i < m; i++)
        l->peq[(size_t)a[i] * l->words + i / 64] |= 1ull << (i % 64);
    return TRAWL_OK;
}

void trawl__an_lcs_free(trawl__an_lcs_table *l)
{
    free(l->peq);
    l->peq = l->v = NULL;
}

/* V starts all ones; for each byte c of b, U = V & Peq[c] and
 * V = (V + U) | (V - U), with the addition's carry running across words.
 * The LCS is the number of zero bits among the m positions. */
uint64_t trawl__an_lcs(trawl__an_lcs_table *l, const uint8_t *b, size_t n)
{
    const size_t W = l->words, m = l->m;
    if (m == 0 || n == 0)
        return 0;
    if (W == 1) {
        uint64_t v = ~0ull;
        for (size_t j = 0; j < n; j++) {
            uint64_t u = v & l->peq[b[j]];
            v = (v + u) | (v - u);
        }
        uint64_t mask = m == 64 ? ~0ull : (1ull << m) - 1;
        return (uint64_t)__builtin_popcountll(~v & mask);
    }
    uint64_t *v = l->v;
    for (size_t w = 0; w < W; w++)
        v[w] = ~0ull;
    for (size_t j = 0; j < n; j++) {
        const uint64_t *eq = l->peq + (size_t)b[j] * W;
        unsigned carry = 0;
        for (size_t w = 0; w < W; w++) {
            uint64_t x = v[w], u = x & eq[w];
            uint64_t sum = x + u;
            unsigned c1 = sum < x;
            uint64_t sum2 = sum + carry;
            c1 |= sum2 < sum;
            v[w] = sum2 | (x - u);
            carry = c1;
        }
    }
    uint64_t zeros = 0;
    for (size_t w = 0; w < W; w++) {
        uint64_t x = ~v[w];
        if (w == W - 1 && m % 64)
            x &= (1ull << (m % 64)) - 1;
        zeros += (uint64_t)__builtin_popcountll(x);
    }
    return zeros;
}

int64_t trawl__an_align_score_row(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                  const trawl_analyze_scoring *s, int64_t *row)
{
    return score_dp(a, na, b, nb, s, row);
}

trawl_status trawl_analyze_align_score(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                       const trawl_analyze_scoring *scoring, int64_t *score,
                                       trawl_error *err)
{
    if (!score || (!a && na) || (!b && nb))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    trawl_analyze_scoring s = scoring ? *scoring : trawl_analyze_scoring_netzob();
    trawl_status st = check_scoring(&s, err);
    if (st)
        return st;
    if (trawl__an_scoring_is_lcs(&s)) {
        /* the shorter message is the bit vector */
        const uint8_t *x = na <= nb ? a : b, *y = na <= nb ? b : a;
        size_t nx = na <= nb ? na : nb, ny = na <= nb ? nb : na;
        trawl__an_lcs_table l;
        if (trawl__an_lcs_init(&l, x, nx))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        *score = trawl__an_lcs_to_score(&s, trawl__an_lcs(&l, y, ny), na, nb);
        trawl__an_lcs_free(&l);
        return TRAWL_OK;
    }
    size_t shorter = na < nb ? na : nb;
    int64_t *row = malloc((shorter + 1) * sizeof(*row));
    if (!row)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    *score = score_dp(a, na, b, nb, &s, row);
    free(row);
    return TRAWL_OK;
}

trawl_status trawl__an_check_scoring(const trawl_analyze_scoring *s, trawl_error *err)
{
    return check_scoring(s, err);
}
