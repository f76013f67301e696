/* infer.c -- scoring with a loaded model once its text is pooled (pool.c):
 * the head, the calibration and the feature vector ONNX takes. */
#include "model/model_int.h"

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
