/* explain.c -- the terms of a score: at the input being explained an MLP
 * is linear (its active hidden units held active), so each hashed
 * feature's row, each dense feature and the biases contribute an exact
 * share of the logit.
 *
 * It runs on every flagged input, so it costs about one more pooling: one
 * walk of the text lists the buckets it reads in order of first occurrence
 * with their counts (a table indexed by bucket finds an entry; a bitset of
 * B bits says which entries are live, so only B / 8 bytes are cleared);
 * a bucket's term is its row dotted with the gradient of the logit, times
 * its count, and a row whose bound (from its scale) cannot enter the top k
 * is not read. The k largest are kept by insertion into a list of k, and
 * only those k are turned into text,
 * without printf. */
#include <stdlib.h>

#include "model/model_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* row b . g without building the row (int8: the bytes times g, then the
 * scale once); 0 for a pruned row. */
static inline float row_dot(const trawl_model *m, uint32_t b, const float *g, unsigned h)
{
    long r = tm_row_of(m, b);
    if (r < 0)
        return 0;
    float v = 0;
#ifdef __SSE2__
    if (h == 16 && m->info.format == TRAWL_MODEL_INT8) { /* the shipped form */
        __m128i q = _mm_loadu_si128((const __m128i *)((const uint8_t *)m->table + (size_t)r * 16));
        __m128i lo = _mm_unpacklo_epi8(q, q), hi = _mm_unpackhi_epi8(q, q);
        __m128 d = _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 24)),
                              _mm_loadu_ps(g));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 24)),
                                  _mm_loadu_ps(g + 4)));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 24)),
                                  _mm_loadu_ps(g + 8)));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 24)),
                                  _mm_loadu_ps(g + 12)));
        d = _mm_add_ps(d, _mm_movehl_ps(d, d));
        d = _mm_add_ss(d, _mm_shuffle_ps(d, d, 1));
        return _mm_cvtss_f32(d) * tm_rdf(m->scales + 4u * (size_t)r);
    }
#endif
    if (m->info.format == TRAWL_MODEL_INT8) {
        const int8_t *q = (const int8_t *)m->table + (size_t)r * h;
        for (unsigned k = 0; k < h; k++)
            v += (float)q[k] * g[k];
        return v * tm_rdf(m->scales + 4u * (size_t)r);
    }
    float row[TRAWL_MODEL_MAX_HIDDEN];
    trawl__tm_row(m, b, row);
    for (unsigned k = 0; k < h; k++)
        v += row[k] * g[k];
    return v;
}

/* A kept term, named only once it survives: a dense feature (kind 3, its
 * index in pos) or a hashed one (kind 0 chars, 1 word, 2 word pair). */
typedef struct term {
    double value;
    uint32_t pos, len;
    uint8_t kind;
} term;

/* Inserts v among the k terms of largest |value| (descending; an equal one
 * stays behind those before it). The slot it took, or -1. */
static long keep_top(term *top, size_t k, size_t *have, double v)
{
    size_t i = *have;
    if (i == k) {
        if (fabs(v) <= fabs(top[k - 1].value))
            return -1;
        i = k - 1;
    } else {
        (*have)++;
    }
    while (i > 0 && fabs(top[i - 1].value) < fabs(v)) {
        top[i] = top[i - 1];
        i--;
    }
    top[i].value = v;
    return (long)i;
}

static void keep(term *top, size_t k, size_t *have, double v, uint8_t kind, size_t pos, size_t len)
{
    long at = keep_top(top, k, have, v);
    if (at >= 0) {
        top[at].kind = kind;
        top[at].pos = (uint32_t)pos;
        top[at].len = (uint32_t)len;
    }
}

/* "chars 'gno'", "word 'ignore'", "words 'ignore all'": bytes outside
 * printable ASCII (and the quote) as '.'; cut to fit. */
static void name_term(char *out, size_t cap, const term *e, const uint8_t *t, size_t n)
{
    static const char *const kinds[] = {"chars '", "word '", "words '"};
    const char *what = kinds[e->kind];
    size_t o = strlen(what);
    memcpy(out, what, o);
    for (size_t i = 0; i < e->len && o + 3 < cap; i++) {
        size_t j = e->kind == 0 ? e->pos + i : e->pos + i + 1; /* chars: the padded text */
        uint8_t c = j == 0 || j == n + 1 ? ' ' : t[j - 1];
        out[o++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '.';
    }
    out[o++] = '\'';
    out[o] = 0;
}

size_t trawl_model_explain(const trawl_model *m, const uint8_t *t, size_t n, const float *dense,
                           trawl_model_contrib *out, size_t k, double *base)
{
    return trawl_model_explain_pooled(m, t, n, NULL, 0, dense, out, k, base);
}

/* One entry per bucket the text reads, in order of first occurrence: its
 * occurrences and the place of the first (which names it). */
typedef struct ex_feat {
    uint32_t b, n, pos, len;
    uint8_t kind;
} ex_feat;

#define EX_COUNT(b, kind, pos, len)                                                                \
    do {                                                                                           \
        uint32_t b_ = (b);                                                                         \
        uint64_t bit_ = 1ull << (b_ & 63);                                                         \
        if (live[b_ >> 6] & bit_) {                                                                \
            f[slot[b_]].n++;                                                                       \
        } else {                                                                                   \
            live[b_ >> 6] |= bit_;                                                                 \
            slot[b_] = (uint32_t)nu;                                                               \
            f[nu++] = (ex_feat){b_, 1, (uint32_t)(pos), (uint32_t)(len), (uint8_t)(kind)};         \
        }                                                                                          \
        total++;                                                                                   \
    } while (0)

size_t trawl_model_explain_pooled(const trawl_model *m, const uint8_t *t, size_t n,
                                  const float *pre_in, size_t words, const float *dense,
                                  trawl_model_contrib *out, size_t k, double *base)
{
    unsigned h = m->info.hidden, nd = m->info.n_dense;
    float pre[TRAWL_MODEL_MAX_HIDDEN];
    double g[TRAWL_MODEL_MAX_HIDDEN]; /* dz / d pre at this input */
    float gf[TRAWL_MODEL_MAX_HIDDEN];
    if (pre_in)
        memcpy(pre, pre_in, h * sizeof(float));
    else
        words = trawl_model_pool(m, t, n, pre);
    double a = m->info.platt_a;
    *base = m->info.platt_b;
    if (words < m->info.min_words || !k)
        return 0;
    /* the dense features that are not zero (most rule signals are): adding
     * a zero term would leave each sum as it is */
    unsigned nz[TRAWL_MODEL_MAX_DENSE], nnz = 0;
    for (unsigned j = 0; dense && j < nd; j++)
        if (dense[j] != 0)
            nz[nnz++] = j;
    double b0 = m->info.kind == TRAWL_MODEL_LINEAR ? m->b1[0] : m->b2, gsum = 0;
    for (unsigned kk = 0; kk < h; kk++) {
        double act = (double)pre[kk] + m->b1[kk];
        for (unsigned i = 0; i < nnz; i++)
            act += (double)dense[nz[i]] * m->Wd[(size_t)nz[i] * h + kk];
        g[kk] = m->info.kind == TRAWL_MODEL_LINEAR ? 1 : act > 0 ? m->w2[kk] : 0;
        gf[kk] = (float)g[kk];
        gsum += fabs((double)gf[kk]);
        if (m->info.kind == TRAWL_MODEL_MLP)
            b0 += g[kk] * m->b1[kk];
    }
    *base += a * b0;
    term *top = malloc(k * sizeof(*top));
    if (!top)
        return 0;
    size_t have = 0;
    for (unsigned i = 0; i < nnz; i++) {
        unsigned j = nz[i];
        double v = 0;
        for (unsigned kk = 0; kk < h; kk++)
            v += g[kk] * m->Wd[(size_t)j * h + kk];
        keep(top, k, &have, a * v * dense[j], 3, j, 0);
    }
    /* every feature of the text at most: its character n-grams, its words
     * and its word pairs (at most one of each a byte), and at most one
     * entry a bucket */
    const trawl_model_feat_cfg *fc = &m->info.feat;
    size_t bound = (n + 2) * (size_t)(fc->char_max - fc->char_min + 1) + 2 * n + 2;
    if (bound > fc->buckets)
        bound = fc->buckets;
    size_t nwords = (fc->buckets + 63) / 64;
    uint64_t *live = malloc(nwords * sizeof(uint64_t) + (size_t)fc->buckets * sizeof(uint32_t) +
                            bound * sizeof(ex_feat));
    if (live) {
        uint32_t *slot = (uint32_t *)(live + nwords); /* read only where live */
        ex_feat *f = (ex_feat *)(slot + fc->buckets);
        memset(live, 0, nwords * sizeof(uint64_t));
        size_t total = 0, nu = 0, nw = 0;
        TM_FEATURE_WALK_FAST(fc, t, n, EX_COUNT, nw);
        double scale = total ? a / (double)total : 0;
        /* Once k terms are kept, a quantised row whose bound cannot beat the
         * smallest of them is not read: its weights are at most 128 (int8)
         * or 8 (int4) times its scale, so its term is at most count x scale
         * x per_scale (with 1 + 1e-4 of room, more than float rounding
         * adds). That skips most rows of a long text, whose terms are each
         * a few thousandths of the logit. */
        double per_scale =
            m->info.format == TRAWL_MODEL_F32
                ? 0 /* no bound: read every row */
                : (m->info.format == TRAWL_MODEL_INT8 ? 128 : 8) * gsum * fabs(scale) * (1 + 1e-4);
        for (size_t i = 0; i < nu; i++) {
            const ex_feat *e = &f[i];
            if (have == k && per_scale > 0) {
                long r = tm_row_of(m, e->b);
                if (r < 0 || e->n * (double)tm_rdf(m->scales + 4u * (size_t)r) * per_scale <=
                                 fabs(top[k - 1].value))
                    continue;
            }
            double v = (double)row_dot(m, e->b, gf, h) * e->n * scale;
            if (v == 0 || (have == k && fabs(v) <= fabs(top[k - 1].value)))
                continue;
            keep(top, k, &have, v, e->kind, e->pos, e->len);
        }
        free(live);
    }
    for (size_t i = 0; i < have; i++) {
        out[i].value = top[i].value;
        if (top[i].kind == 3) {
            const char *name = trawl_model_dense_name(m, top[i].pos);
            size_t l = strnlen(name, sizeof out[i].text - 1);
            memcpy(out[i].text, name, l);
            out[i].text[l] = 0;
        } else {
            name_term(out[i].text, sizeof out[i].text, &top[i], t, n);
        }
    }
    free(top);
    return have;
}
