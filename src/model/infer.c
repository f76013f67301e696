/* infer.c -- scoring with a loaded model once its text is pooled (pool.c):
 * the head, the calibration, the feature vector ONNX takes, and the
 * explanation of a score. */
#include <stdio.h>
#include <stdlib.h>

#include "model/model_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

double trawl_model_logit(const trawl_model *m, const float *pre, const float *dense)
{
    unsigned h = m->info.hidden, nd = m->info.n_dense;
    double a[TRAWL_MODEL_MAX_HIDDEN];
    for (unsigned k = 0; k < h; k++)
        a[k] = (double)pre[k] + m->b1[k];
    for (unsigned j = 0; dense && j < nd; j++)
        if (dense[j] != 0)
            for (unsigned k = 0; k < h; k++)
                a[k] += (double)dense[j] * m->Wd[(size_t)j * h + k];
    if (m->info.kind == TRAWL_MODEL_LINEAR)
        return a[0];
    double z = m->b2;
    for (unsigned k = 0; k < h; k++)
        z += a[k] > 0 ? a[k] * m->w2[k] : 0;
    return z;
}

double trawl_model_prob(const trawl_model *m, double z)
{
    return tm_sigmoid(m->info.platt_a * z + m->info.platt_b);
}

double trawl_model_score(const trawl_model *m, const uint8_t *t, size_t n, const float *dense)
{
    float pre[TRAWL_MODEL_MAX_HIDDEN];
    if (trawl_model_pool(m, t, n, pre) < m->info.min_words)
        return 0;
    return trawl_model_prob(m, trawl_model_logit(m, pre, dense));
}

/* ---- the ONNX feature vector -------------------------------------------------- */

#define EMIT_VEC(b, kind, pos, len)                                                                \
    do {                                                                                           \
        x[(b)] += 1;                                                                               \
        count++;                                                                                   \
    } while (0)

void trawl_model_feature_vector(const trawl_model *m, const uint8_t *t, size_t n,
                                const float *dense, float *x)
{
    uint32_t B = m->info.feat.buckets;
    size_t count = 0;
    memset(x, 0, sizeof(float) * (B + m->info.n_dense));
    size_t words = 0;
    TM_FEATURE_WALK(&m->info.feat, t, n, EMIT_VEC, words);
    for (uint32_t b = 0; count && b < B; b++)
        x[b] /= (float)count;
    for (unsigned j = 0; dense && j < m->info.n_dense; j++)
        x[B + j] = dense[j];
}

/* ---- explanations -------------------------------------------------------------- */

/* One entry per bucket the text reads: its occurrences and the place of the
 * first (which names it). */
typedef struct ex_feat {
    uint32_t b, n;
    uint32_t pos, len;
    uint8_t kind;
} ex_feat;

typedef struct ex_ctx {
    ex_feat *f;     /* unique buckets, in order of first occurrence */
    uint32_t *slot; /* open addressing over f, cap slots */
    size_t nu, cap, total;
} ex_ctx;

static inline void ex_add(ex_ctx *c, uint32_t b, uint8_t kind, size_t pos, size_t len)
{
    c->total++;
    size_t at = (b * 2654435761u) & (c->cap - 1);
    while (c->slot[at] != UINT32_MAX) {
        ex_feat *e = &c->f[c->slot[at]];
        if (e->b == b) {
            e->n++;
            return;
        }
        at = (at + 1) & (c->cap - 1);
    }
    c->slot[at] = (uint32_t)c->nu;
    c->f[c->nu++] = (ex_feat){b, 1, (uint32_t)pos, (uint32_t)len, kind};
}

#define EMIT_EX(b, kind, pos, len) ex_add(&c, (b), (uint8_t)(kind), (pos), (len))

static void quote(char *out, size_t cap, const char *what, const uint8_t *t, size_t n, size_t pos,
                  size_t len, bool padded)
{
    size_t o = (size_t)snprintf(out, cap, "%s '", what);
    for (size_t i = 0; i < len && o + 3 < cap; i++) {
        size_t j = padded ? pos + i : pos + i + 1;
        uint8_t c = j == 0 || j == n + 1 ? ' ' : t[j - 1];
        out[o++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '.';
    }
    out[o++] = '\'';
    out[o] = 0;
}

/* Keeps the k terms of largest |value| in out (descending); text is
 * formatted by the caller only for the terms that stay (fmt), so a text of
 * thousands of features formats k strings, not thousands. Returns the slot
 * the term took, or -1. */
static long keep_top(trawl_model_contrib *out, size_t k, size_t *have, double v)
{
    size_t i = *have;
    if (i == k) {
        if (fabs(v) <= fabs(out[k - 1].value))
            return -1;
        i = k - 1;
    } else {
        (*have)++;
    }
    while (i > 0 && fabs(out[i - 1].value) < fabs(v)) {
        out[i] = out[i - 1];
        i--;
    }
    out[i].value = v;
    out[i].text[0] = 0;
    return (long)i;
}

/* row b . g without building the row (int8: the bytes times g, then the
 * scale once); 0 for a pruned row. */
static inline float row_dot(const trawl_model *m, uint32_t b, const float *g, unsigned h)
{
    long r = tm_row_of(m, b);
    if (r < 0)
        return 0;
    float v = 0;
#ifdef __SSE2__
    if (h == 16 && m->info.format == TRAWL_MODEL_INT8) { /* the shipped form, as pooling reads it */
        __m128i q = _mm_loadu_si128((const __m128i *)((const uint8_t *)m->table + (size_t)r * 16));
        __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(q, q), 8);
        __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(q, q), 8);
        __m128 d = _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16)),
                              _mm_loadu_ps(g));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16)),
                                  _mm_loadu_ps(g + 4)));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16)),
                                  _mm_loadu_ps(g + 8)));
        d = _mm_add_ps(d,
                       _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16)),
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

size_t trawl_model_explain(const trawl_model *m, const uint8_t *t, size_t n, const float *dense,
                           trawl_model_contrib *out, size_t k, double *base)
{
    return trawl_model_explain_pooled(m, t, n, NULL, 0, dense, out, k, base);
}

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
    double b0 = m->info.kind == TRAWL_MODEL_LINEAR ? m->b1[0] : m->b2;
    for (unsigned kk = 0; kk < h; kk++) {
        double act = (double)pre[kk] + m->b1[kk];
        for (unsigned j = 0; dense && j < nd; j++)
            act += (double)dense[j] * m->Wd[(size_t)j * h + kk];
        g[kk] = m->info.kind == TRAWL_MODEL_LINEAR ? 1 : act > 0 ? m->w2[kk] : 0;
        gf[kk] = (float)g[kk];
        if (m->info.kind == TRAWL_MODEL_MLP)
            b0 += g[kk] * m->b1[kk];
    }
    *base += a * b0;
    size_t have = 0;
    for (unsigned j = 0; dense && j < nd; j++) {
        if (dense[j] == 0)
            continue;
        double v = 0;
        for (unsigned kk = 0; kk < h; kk++)
            v += g[kk] * m->Wd[(size_t)j * h + kk];
        long at = keep_top(out, k, &have, a * v * dense[j]);
        if (at >= 0)
            snprintf(out[at].text, sizeof out[at].text, "%s", trawl_model_dense_name(m, j));
    }
    /* every feature of the text at most: its character n-grams, its words
     * and its word pairs (at most one of each a byte) */
    const trawl_model_feat_cfg *fc = &m->info.feat;
    size_t bound = (n + 2) * (size_t)(fc->char_max - fc->char_min + 1) + 2 * n + 2;
    if (bound > fc->buckets)
        bound = fc->buckets; /* entries are unique buckets */
    ex_ctx c = {0};
    c.cap = 16; /* load factor at most 2/3: the table is cleared on every call */
    while (c.cap < bound + bound / 2)
        c.cap <<= 1;
    c.f = malloc(bound * sizeof(*c.f));
    c.slot = malloc(c.cap * sizeof(*c.slot));
    if (!c.f || !c.slot) {
        free(c.f);
        free(c.slot);
        return have;
    }
    memset(c.slot, 0xff, c.cap * sizeof(*c.slot));
    size_t nw = 0;
    if (fc->char_min == 3 && fc->char_max == 5) /* the shipped model's */
        TM_FEATURE_WALK_C(fc, t, n, EMIT_EX, nw, 3, 5);
    else
        TM_FEATURE_WALK(fc, t, n, EMIT_EX, nw);
    free(c.slot);
    static const char *const kinds[] = {"chars", "word", "words"};
    double scale = c.total ? a / (double)c.total : 0;
    for (size_t i = 0; i < c.nu; i++) {
        const ex_feat *e = &c.f[i];
        double v = (double)row_dot(m, e->b, gf, h) * e->n * scale;
        if (v == 0 || (have == k && fabs(v) <= fabs(out[k - 1].value)))
            continue;
        long at = keep_top(out, k, &have, v);
        if (at >= 0)
            quote(out[at].text, sizeof out[at].text, kinds[e->kind], t, n, e->pos, e->len,
                  e->kind == 0);
    }
    free(c.f);
    return have;
}
