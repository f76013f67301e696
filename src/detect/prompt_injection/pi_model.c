/* pi_model.c -- the tier-2 prompt-injection classifier: features, model file
 * parser, int8 inference (one text and batches) and the float reference.
 *
 * The model file is untrusted input (a user may point a build at any
 * file): fields are read one by one, each checked before the next is used,
 * and each failure names its offset. The parsed model points into the
 * caller's bytes; nothing is copied. */
#include "detect/prompt_injection/pi_model.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/error.h"
#include "detect/prompt_injection/normalize.h"

#define TILE 16 /* rows of a batch multiplied together */

struct pi_model {
    pi_feat_cfg f;
    unsigned dim, hidden;
    float emb_scale, w1_scale, w2_scale, threshold;
    unsigned min_words;
    const int8_t *emb, *w1, *w2;
    float b1[PI_MODEL_MAX_DIM];
    float b2;
    char name[PI_MODEL_NAME_LEN + 1];
};

/* ---- features ------------------------------------------------------------ */

#define FNV_OFF   0x811c9dc5u
#define FNV_PRIME 0x01000193u
#define SEED_WORD 0x9e3779b9u
#define SEED_BI   0x85ebca6bu

static inline uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

static inline int word_byte(uint8_t c)
{
    return pi_is_word(c) || c >= 0x80;
}

size_t pi_model_words(const uint8_t *t, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += word_byte(t[i]) && (i == 0 || !word_byte(t[i - 1]));
    return w;
}

/* The feature walk, written once and expanded twice: with a callback
 * (pi_model_features, for the trainer) and with the int8 row sum inlined
 * (pi_model_pool, the hot path). EMIT(bucket) is called per feature. */
#define FEATURE_WALK(f, t, n, count, EMIT)                                                         \
    do {                                                                                           \
        uint32_t mask_ = (f)->buckets - 1;                                                         \
        size_t padded_ = (n) + 2;                                                                  \
        for (size_t i_ = 0; i_ + (f)->char_min <= padded_; i_++) {                                 \
            uint32_t h_ = FNV_OFF;                                                                 \
            for (size_t k_ = 0; k_ < (f)->char_max && i_ + k_ < padded_; k_++) {                   \
                size_t j_ = i_ + k_;                                                               \
                uint8_t c_ = j_ == 0 || j_ == padded_ - 1 ? ' ' : (t)[j_ - 1];                     \
                h_ = (h_ ^ c_) * FNV_PRIME;                                                        \
                if (k_ + 1 >= (f)->char_min) {                                                     \
                    EMIT(mix32(h_ + (uint32_t)k_) & mask_);                                        \
                    (count)++;                                                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        uint32_t prev_ = 0;                                                                        \
        int have_prev_ = 0;                                                                        \
        for (size_t i_ = 0; (f)->word_max && i_ < (n);) {                                          \
            if (!word_byte((t)[i_])) {                                                             \
                i_++;                                                                              \
                continue;                                                                          \
            }                                                                                      \
            uint32_t h_ = FNV_OFF ^ SEED_WORD;                                                     \
            for (; i_ < (n) && word_byte((t)[i_]); i_++)                                           \
                h_ = (h_ ^ (t)[i_]) * FNV_PRIME;                                                   \
            EMIT(mix32(h_) & mask_);                                                               \
            (count)++;                                                                             \
            if ((f)->word_max >= 2 && have_prev_) {                                                \
                EMIT(mix32(prev_ * 31u + h_ + SEED_BI) & mask_);                                   \
                (count)++;                                                                         \
            }                                                                                      \
            prev_ = h_;                                                                            \
            have_prev_ = 1;                                                                        \
        }                                                                                          \
    } while (0)

size_t pi_model_features(const pi_feat_cfg *f, const uint8_t *t, size_t n,
                         void (*fn)(uint32_t bucket, void *ud), void *ud)
{
    size_t count = 0;
#define EMIT_CB(b) fn((b), ud)
    FEATURE_WALK(f, t, n, count, EMIT_CB);
#undef EMIT_CB
    return count;
}

/* ---- the model file -------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}
static float rdf(const uint8_t *p)
{
    uint32_t u = rd32(p);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wrf(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    wr32(p, u);
}

static size_t payload_size(uint32_t buckets, unsigned d, unsigned h)
{
    return (size_t)buckets * d + (size_t)h * d + 4u * h + h + 4u;
}

static trawl_status bad(trawl_error *err, int64_t off, const char *what)
{
    return trawl__fail_at(err, TRAWL_EFORMAT, off, -1, "model file: %s at offset %lld", what,
                          (long long)off);
}

static int scale_ok(float s)
{
    return isfinite(s) && s > 0 && s < 1e6f;
}

static trawl_status parse_header(pi_model *m, const uint8_t *p, size_t n, size_t *payload,
                                 trawl_error *err)
{
    if (n < 4 || memcmp(p, PI_MODEL_MAGIC, 4))
        return bad(err, 0, "bad magic (expected \"TRPI\")");
    if (n < PI_MODEL_HEADER)
        return trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)n, -1,
                              "model file: truncated header: %zu of %d bytes at offset %zu", n,
                              PI_MODEL_HEADER, n);
    if (rd16(p + 4) != PI_MODEL_VERSION)
        return trawl__fail_at(err, TRAWL_EVERSION, 4, -1,
                              "model file: version %u at offset 4 (this build reads %d)",
                              rd16(p + 4), PI_MODEL_VERSION);
    if (rd16(p + 6) != PI_MODEL_HEADER)
        return bad(err, 6, "header size is not 64");
    m->f.buckets = rd32(p + 8);
    if (m->f.buckets < 256 || m->f.buckets > (1u << 22) || (m->f.buckets & (m->f.buckets - 1)))
        return bad(err, 8, "bucket count is not a power of two in 2^8..2^22");
    m->dim = rd16(p + 12);
    if (m->dim < 1 || m->dim > PI_MODEL_MAX_DIM)
        return bad(err, 12, "embedding dimension is not 1..64");
    m->hidden = rd16(p + 14);
    if (m->hidden < 1 || m->hidden > PI_MODEL_MAX_DIM)
        return bad(err, 14, "hidden size is not 1..64");
    m->f.char_min = p[16];
    m->f.char_max = p[17];
    if (m->f.char_min < 1 || m->f.char_max < m->f.char_min || m->f.char_max > 8)
        return bad(err, 16, "character n-gram range is not 1 <= min <= max <= 8");
    m->f.word_max = p[18];
    if (m->f.word_max > 2)
        return bad(err, 18, "word n-gram order is not 0..2");
    m->min_words = p[19];
    if (m->min_words > 64)
        return bad(err, 19, "minimum word count is not 0..64");
    static const char *const names[] = {"embedding scale", "W1 scale", "w2 scale"};
    float *sc[] = {&m->emb_scale, &m->w1_scale, &m->w2_scale};
    for (int i = 0; i < 3; i++) {
        *sc[i] = rdf(p + 20 + 4 * i);
        if (!scale_ok(*sc[i]))
            return bad(err, 20 + 4 * i, names[i]);
    }
    m->threshold = rdf(p + 32);
    if (!(m->threshold > 0 && m->threshold < 1))
        return bad(err, 32, "threshold is not in (0, 1)");
    *payload = rd32(p + 36);
    if (*payload != payload_size(m->f.buckets, m->dim, m->hidden))
        return bad(err, 36, "payload size does not match the dimensions");
    memcpy(m->name, p + 48, PI_MODEL_NAME_LEN);
    m->name[PI_MODEL_NAME_LEN] = 0;
    for (size_t i = 0; m->name[i]; i++)
        if ((uint8_t)m->name[i] < 0x20 || (uint8_t)m->name[i] >= 0x7f)
            return bad(err, 48 + (int64_t)i, "name is not printable ASCII");
    return TRAWL_OK;
}

trawl_status pi_model_load(const uint8_t *p, size_t n, pi_model **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    pi_model *m = calloc(1, sizeof(*m));
    if (!m)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t payload = 0;
    trawl_status st = parse_header(m, p ? p : (const uint8_t *)"", p ? n : 0, &payload, err);
    if (st == TRAWL_OK && n - PI_MODEL_HEADER < payload)
        st = trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)n, -1,
                            "model file: truncated payload: %zu of %zu bytes at offset %zu",
                            n - PI_MODEL_HEADER, payload, n);
    if (st == TRAWL_OK && n - PI_MODEL_HEADER > payload)
        st = bad(err, (int64_t)(PI_MODEL_HEADER + payload), "trailing bytes after the payload");
    if (st == TRAWL_OK && XXH3_64bits(p + PI_MODEL_HEADER, payload) != rd64(p + 40))
        st = bad(err, 40, "checksum does not match the payload");
    if (st != TRAWL_OK) {
        free(m);
        return st;
    }
    const uint8_t *q = p + PI_MODEL_HEADER;
    m->emb = (const int8_t *)q;
    q += (size_t)m->f.buckets * m->dim;
    m->w1 = (const int8_t *)q;
    q += (size_t)m->hidden * m->dim;
    for (unsigned k = 0; k < m->hidden; k++, q += 4) {
        m->b1[k] = rdf(q);
        if (!isfinite(m->b1[k]) || fabsf(m->b1[k]) > 1e6f) {
            free(m);
            return bad(err, q - p, "b1 is not a finite number");
        }
    }
    m->w2 = (const int8_t *)q;
    q += m->hidden;
    m->b2 = rdf(q);
    if (!isfinite(m->b2) || fabsf(m->b2) > 1e6f) {
        free(m);
        return bad(err, q - p, "b2 is not a finite number");
    }
    *out = m;
    return TRAWL_OK;
}

void pi_model_free(pi_model *m)
{
    free(m);
}

const char *pi_model_name(const pi_model *m)
{
    return m->name;
}

double pi_model_threshold(const pi_model *m)
{
    return m->threshold;
}

unsigned pi_model_dim(const pi_model *m)
{
    return m->dim;
}

unsigned pi_model_min_words(const pi_model *m)
{
    return m->min_words;
}

/* ---- int8 inference ------------------------------------------------------------ */

/* Rows are summed into int16 lanes (a 32-lane add the compiler
 * vectorises), folded into int64 every ROWS16 rows: 256 * 127 < 2^15. */
#define ROWS16 256

static void fold(int16_t *acc16, int64_t *acc, unsigned dim)
{
    for (unsigned d = 0; d < dim; d++) {
        acc[d] += acc16[d];
        acc16[d] = 0;
    }
}

static inline void add_row16(int16_t *restrict acc16, const int8_t *restrict row, unsigned dim)
{
    for (unsigned d = 0; d < dim; d++)
        acc16[d] = (int16_t)(acc16[d] + row[d]);
}

void pi_model_pool(const pi_model *m, const uint8_t *t, size_t n, int8_t *xq, float *xs)
{
    int16_t acc16[PI_MODEL_MAX_DIM] = {0};
    int64_t acc[PI_MODEL_MAX_DIM] = {0};
    const int8_t *emb = m->emb;
    const unsigned dim = m->dim;
    size_t count = 0;
    unsigned pending = 0;
#define EMIT_ROW(b)                                                                                \
    do {                                                                                           \
        if (dim == 32) /* the shipped model: a constant trip count */                              \
            add_row16(acc16, emb + (size_t)(b)*32, 32);                                            \
        else                                                                                       \
            add_row16(acc16, emb + (size_t)(b)*dim, dim);                                          \
        if (++pending == ROWS16) {                                                                 \
            fold(acc16, acc, dim);                                                                 \
            pending = 0;                                                                           \
        }                                                                                          \
    } while (0)
    FEATURE_WALK(&m->f, t, n, count, EMIT_ROW);
#undef EMIT_ROW
    fold(acc16, acc, dim);
    double sum[PI_MODEL_MAX_DIM];
    for (unsigned d = 0; d < dim; d++)
        sum[d] = (double)acc[d];
    double mx = 0;
    for (unsigned d = 0; d < m->dim; d++) {
        sum[d] = count ? sum[d] / (double)count : 0;
        if (fabs(sum[d]) > mx)
            mx = fabs(sum[d]);
    }
    /* the pooled mean in embedding units; its own int8 scale */
    float s = mx > 0 ? (float)(mx / 127.0) : 1.0f;
    for (unsigned d = 0; d < m->dim; d++)
        xq[d] = (int8_t)lrint(sum[d] / s);
    *xs = s * m->emb_scale;
}

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* One tile: H[r][k] = sum_d X[r][d] * W1[k][d], for rows r < nr. Each W1
 * row is loaded once per tile and meets all the tile's rows. */
static void tile_hidden(const pi_model *m, const int8_t *X, size_t nr,
                        int32_t out[TILE][PI_MODEL_MAX_DIM])
{
    unsigned D = m->dim;
    for (unsigned k = 0; k < m->hidden; k++) {
        const int8_t *w = m->w1 + (size_t)k * D;
        for (size_t r = 0; r < nr; r++) {
            const int8_t *x = X + r * D;
            int32_t acc = 0;
            for (unsigned d = 0; d < D; d++)
                acc += (int32_t)x[d] * w[d];
            out[r][k] = acc;
        }
    }
}

static double row_output(const pi_model *m, const int32_t *hid, float xs)
{
    float h[PI_MODEL_MAX_DIM];
    float mx = 0;
    for (unsigned k = 0; k < m->hidden; k++) {
        h[k] = (float)hid[k] * xs * m->w1_scale + m->b1[k];
        if (h[k] < 0)
            h[k] = 0;
        if (h[k] > mx)
            mx = h[k];
    }
    float hs = mx > 0 ? mx / 127.0f : 1.0f;
    int32_t acc = 0;
    for (unsigned k = 0; k < m->hidden; k++)
        acc += (int32_t)lrintf(h[k] / hs) * m->w2[k];
    return sigmoid((double)acc * hs * m->w2_scale + m->b2);
}

void pi_model_head(const pi_model *m, const int8_t *X, const float *xs, size_t n, double *p)
{
    int32_t hid[TILE][PI_MODEL_MAX_DIM];
    for (size_t r0 = 0; r0 < n; r0 += TILE) {
        size_t nr = n - r0 < TILE ? n - r0 : TILE;
        tile_hidden(m, X + r0 * m->dim, nr, hid);
        for (size_t r = 0; r < nr; r++)
            p[r0 + r] = row_output(m, hid[r], xs[r0 + r]);
    }
}

void pi_model_score_batch(const pi_model *m, const uint8_t *const *texts, const size_t *lens,
                          size_t n, double *p)
{
    int8_t X[TILE * PI_MODEL_MAX_DIM];
    float xs[TILE];
    for (size_t r0 = 0; r0 < n; r0 += TILE) {
        size_t nr = n - r0 < TILE ? n - r0 : TILE;
        bool abstain[TILE];
        for (size_t r = 0; r < nr; r++) {
            pi_model_pool(m, texts[r0 + r], lens[r0 + r], X + r * m->dim, &xs[r]);
            abstain[r] = pi_model_words(texts[r0 + r], lens[r0 + r]) < m->min_words;
        }
        pi_model_head(m, X, xs, nr, p + r0);
        for (size_t r = 0; r < nr; r++)
            if (abstain[r])
                p[r0 + r] = 0;
    }
}

double pi_model_score1(const pi_model *m, const uint8_t *t, size_t n)
{
    double p;
    pi_model_score_batch(m, &t, &n, 1, &p);
    return p;
}

/* ---- float reference, dequantise, serialise -------------------------------------- */

typedef struct float_acc {
    const float *emb;
    unsigned dim;
    double acc[PI_MODEL_MAX_DIM];
} float_acc;

static void add_row_f(uint32_t b, void *ud)
{
    float_acc *a = ud;
    const float *row = a->emb + (size_t)b * a->dim;
    for (unsigned d = 0; d < a->dim; d++)
        a->acc[d] += row[d];
}

double pi_model_score_float(const pi_model_float *f, const uint8_t *t, size_t n)
{
    if (pi_model_words(t, n) < f->min_words)
        return 0;
    float_acc a = {.emb = f->emb, .dim = f->dim};
    size_t c = pi_model_features(&f->f, t, n, add_row_f, &a);
    double z = f->b2;
    for (unsigned k = 0; k < f->hidden; k++) {
        double h = f->b1[k];
        for (unsigned d = 0; d < f->dim; d++)
            h += f->w1[k * f->dim + d] * (c ? a.acc[d] / (double)c : 0);
        z += f->w2[k] * (h > 0 ? h : 0);
    }
    return sigmoid(z);
}

void pi_model_float_free(pi_model_float *f)
{
    free(f->emb);
    free(f->w1);
    free(f->b1);
    free(f->w2);
    f->emb = f->w1 = f->b1 = f->w2 = NULL;
}

int pi_model_dequantize(const pi_model *m, pi_model_float *f)
{
    memset(f, 0, sizeof(*f));
    f->f = m->f;
    f->dim = m->dim;
    f->hidden = m->hidden;
    size_t ne = (size_t)m->f.buckets * m->dim;
    f->emb = malloc(ne * sizeof(float));
    f->w1 = malloc((size_t)m->hidden * m->dim * sizeof(float));
    f->b1 = malloc(m->hidden * sizeof(float));
    f->w2 = malloc(m->hidden * sizeof(float));
    if (!f->emb || !f->w1 || !f->b1 || !f->w2) {
        pi_model_float_free(f);
        return -1;
    }
    for (size_t i = 0; i < ne; i++)
        f->emb[i] = m->emb[i] * m->emb_scale;
    for (size_t i = 0; i < (size_t)m->hidden * m->dim; i++)
        f->w1[i] = m->w1[i] * m->w1_scale;
    for (unsigned k = 0; k < m->hidden; k++) {
        f->b1[k] = m->b1[k];
        f->w2[k] = m->w2[k] * m->w2_scale;
    }
    f->b2 = m->b2;
    f->threshold = m->threshold;
    f->min_words = m->min_words;
    memcpy(f->name, m->name, PI_MODEL_NAME_LEN);
    return 0;
}

/* Per-tensor symmetric scale: max |v| maps to 127. */
static float tensor_scale(const float *v, size_t n)
{
    float mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(v[i]) > mx)
            mx = fabsf(v[i]);
    return mx > 0 ? mx / 127.0f : 1.0f;
}

static void quantize(int8_t *q, const float *v, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) {
        long x = lrintf(v[i] / s);
        q[i] = (int8_t)(x > 127 ? 127 : x < -127 ? -127 : x);
    }
}

int pi_model_serialize(const pi_model_float *f, uint8_t **out, size_t *len)
{
    if (f->dim < 1 || f->dim > PI_MODEL_MAX_DIM || f->hidden < 1 || f->hidden > PI_MODEL_MAX_DIM ||
        f->f.buckets < 256 || (f->f.buckets & (f->f.buckets - 1)))
        return -1;
    size_t ne = (size_t)f->f.buckets * f->dim, nw = (size_t)f->hidden * f->dim;
    size_t pl = payload_size(f->f.buckets, f->dim, f->hidden);
    uint8_t *b = calloc(1, PI_MODEL_HEADER + pl);
    if (!b)
        return -1;
    float se = tensor_scale(f->emb, ne), s1 = tensor_scale(f->w1, nw),
          s2 = tensor_scale(f->w2, f->hidden);
    memcpy(b, PI_MODEL_MAGIC, 4);
    wr16(b + 4, PI_MODEL_VERSION);
    wr16(b + 6, PI_MODEL_HEADER);
    wr32(b + 8, f->f.buckets);
    wr16(b + 12, (uint16_t)f->dim);
    wr16(b + 14, (uint16_t)f->hidden);
    b[16] = f->f.char_min;
    b[17] = f->f.char_max;
    b[18] = f->f.word_max;
    b[19] = (uint8_t)(f->min_words > 64 ? 64 : f->min_words);
    wrf(b + 20, se);
    wrf(b + 24, s1);
    wrf(b + 28, s2);
    wrf(b + 32, f->threshold);
    wr32(b + 36, (uint32_t)pl);
    memcpy(b + 48, f->name, strnlen(f->name, PI_MODEL_NAME_LEN));
    uint8_t *q = b + PI_MODEL_HEADER;
    quantize((int8_t *)q, f->emb, ne, se);
    q += ne;
    quantize((int8_t *)q, f->w1, nw, s1);
    q += nw;
    for (unsigned k = 0; k < f->hidden; k++, q += 4)
        wrf(q, f->b1[k]);
    quantize((int8_t *)q, f->w2, f->hidden, s2);
    q += f->hidden;
    wrf(q, f->b2);
    uint64_t h = XXH3_64bits(b + PI_MODEL_HEADER, pl);
    wr32(b + 40, (uint32_t)h);
    wr32(b + 44, (uint32_t)(h >> 32));
    *out = b;
    *len = PI_MODEL_HEADER + pl;
    return 0;
}
