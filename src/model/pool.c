/* pool.c -- pooling the hashed features of a text: the learned tier's
 * per-text cost, one row of E added per feature (a 1 KB prompt has ~3,400).
 *
 * Pooling sums rows in float whatever the stored format: an int8 or int4
 * row is widened and multiplied by its own scale (per-row quantisation
 * needs that; one scale per tensor would let the sum stay integer, at the
 * cost of accuracy on rows of small weights). The sums are made in the walk's
 * order, one rounded product and one rounded addition per lane, so every
 * path gives the same bits: the portable loop (the oracle the tests compare
 * with), SSE2 (baseline on x86-64) and AVX2 (chosen at run time). None may
 * contract a product and a sum into one fused operation: AVX2 is enabled
 * without FMA, and the paths are compiled with -ffp-contract=off
 * (CMakeLists.txt). A pruned row costs one bit test of a bitmap that stays
 * in cache and no load of the table. Nothing is allocated. */
#include "model/model_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TM_X86 1
#endif

size_t trawl__tm_words(const uint8_t *t, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        if (!tm_word_byte(t[i])) {
            i++;
            continue;
        }
        size_t wide = 0;
        for (; i < n && tm_word_byte(t[i]); i++)
            wide += t[i] >= 0xe0;
        w += 1 + wide / 2;
    }
    return w;
}

static inline int nib(uint8_t byte, unsigned hi)
{
    int v = hi ? byte >> 4 : byte & 15;
    return v >= 8 ? v - 16 : v;
}

/* ---- the portable loops: every format and width ----------------------------------- */

#define POOL_LOOP(ADD)                                                                             \
    do {                                                                                           \
        size_t count = 0;                                                                          \
        float acc[TRAWL_MODEL_MAX_HIDDEN] = {0};                                                   \
        const uint8_t *tab = m->table;                                                             \
        const size_t rb = m->row_bytes;                                                            \
        (void)rb;                                                                                  \
        TM_FEATURE_WALK(&m->info.feat, t, n, ADD, words);                                          \
        float inv = count ? 1.0f / (float)count : 0;                                               \
        for (unsigned k = 0; k < h; k++)                                                           \
            pre[k] = acc[k] * inv;                                                                 \
    } while (0)

/* Counts the feature; its stored row r_, or out of the do-while for a
 * pruned one. */
#define ROW_OR_SKIP(b)                                                                             \
    count++;                                                                                       \
    long r_ = tm_row_of(m, (b));                                                                   \
    if (r_ < 0)                                                                                    \
    break

#define ADD_I8(b, kind, pos, len)                                                                  \
    do {                                                                                           \
        ROW_OR_SKIP(b);                                                                            \
        const int8_t *q_ = (const int8_t *)tab + (size_t)r_ * h;                                   \
        float s_ = tm_rdf(m->scales + 4u * (size_t)r_);                                            \
        for (unsigned u_ = 0; u_ < h; u_++)                                                        \
            acc[u_] += (float)q_[u_] * s_;                                                         \
    } while (0)

#define ADD_F32(b, kind, pos, len)                                                                 \
    do {                                                                                           \
        ROW_OR_SKIP(b);                                                                            \
        float row_[TRAWL_MODEL_MAX_HIDDEN];                                                        \
        memcpy(row_, tab + (size_t)r_ * rb, 4u * h);                                               \
        for (unsigned u_ = 0; u_ < h; u_++)                                                        \
            acc[u_] += row_[u_];                                                                   \
    } while (0)

#define ADD_I4(b, kind, pos, len)                                                                  \
    do {                                                                                           \
        ROW_OR_SKIP(b);                                                                            \
        const uint8_t *q_ = tab + (size_t)r_ * rb;                                                 \
        float s_ = tm_rdf(m->scales + 4u * (size_t)r_);                                            \
        for (unsigned u_ = 0; u_ < h; u_++)                                                        \
            acc[u_] += (float)nib(q_[u_ / 2], u_ & 1) * s_;                                        \
    } while (0)

static inline __attribute__((always_inline)) size_t
pool_portable(const trawl_model *m, const uint8_t *t, size_t n, float *pre, unsigned h)
{
    size_t words = 0;
    switch (m->info.format) {
    case TRAWL_MODEL_INT8:
        POOL_LOOP(ADD_I8);
        break;
    case TRAWL_MODEL_F32:
        POOL_LOOP(ADD_F32);
        break;
    case TRAWL_MODEL_INT4:
        POOL_LOOP(ADD_I4);
        break;
    }
    return words;
}

static size_t pool_scalar(const trawl_model *m, const uint8_t *t, size_t n, float *pre)
{
    if (m->info.hidden == 16) /* the shipped width: a constant trip count */
        return pool_portable(m, t, n, pre, 16);
    return pool_portable(m, t, n, pre, m->info.hidden);
}

/* ---- int8, H = 16 (the shipped form) in vector registers ------------------------------ */

#ifdef TM_X86
/* The row of bucket b: its bytes (16 int8, or 16 int4 in 8 bytes: FMT 1)
 * and its scale, or a pruned row (out of the do-while). SPARSE and FMT are
 * constants where this is inlined, so a dense table tests nothing. */
#define Q_ROW(b, SPARSE, FMT)                                                                      \
    count++;                                                                                       \
    size_t r_;                                                                                     \
    if (SPARSE) {                                                                                  \
        long rr_ = tm_row_of(m, (b));                                                              \
        if (rr_ < 0)                                                                               \
            break;                                                                                 \
        r_ = (size_t)rr_;                                                                          \
    } else {                                                                                       \
        r_ = (b);                                                                                  \
    }                                                                                              \
    const uint8_t *q_ = tab + r_ * ((FMT) ? 8 : 16);                                               \
    float sc_ = tm_rdf(scales + 4u * r_)

/* The row's 16 weights as signed bytes. int4: low nibble first, so the
 * low and high nibbles interleave by one unpack; (v ^ 8) - 8 extends the
 * sign of a 4-bit value. */
static inline __attribute__((always_inline)) __m128i q_row16(const uint8_t *q, int fmt)
{
    if (!fmt)
        return _mm_loadu_si128((const __m128i *)q);
    __m128i x = _mm_loadl_epi64((const __m128i *)q), f = _mm_set1_epi8(0x0f);
    __m128i v = _mm_unpacklo_epi8(_mm_and_si128(x, f), _mm_and_si128(_mm_srli_epi16(x, 4), f));
    __m128i eight = _mm_set1_epi8(8);
    return _mm_sub_epi8(_mm_xor_si128(v, eight), eight);
}

/* SSE2: each byte spread over a 32-bit lane by two unpacks with itself,
 * then an arithmetic shift by 24 gives the sign-extended value. */
#define ADD_SSE2(b, SPARSE, FMT)                                                                   \
    do {                                                                                           \
        Q_ROW(b, SPARSE, FMT);                                                                     \
        __m128i q = q_row16(q_, FMT);                                                              \
        __m128 s = _mm_set1_ps(sc_);                                                               \
        __m128i lo = _mm_unpacklo_epi8(q, q), hi = _mm_unpackhi_epi8(q, q);                        \
        a0 = _mm_add_ps(                                                                           \
            a0, _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 24)), s));   \
        a1 = _mm_add_ps(                                                                           \
            a1, _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 24)), s));   \
        a2 = _mm_add_ps(                                                                           \
            a2, _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 24)), s));   \
        a3 = _mm_add_ps(                                                                           \
            a3, _mm_mul_ps(_mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 24)), s));   \
    } while (0)
#define ADD_SSE2_I8(b, kind, pos, len)    ADD_SSE2(b, 0, 0)
#define ADD_SSE2_I8_SP(b, kind, pos, len) ADD_SSE2(b, 1, 0)
#define ADD_SSE2_I4(b, kind, pos, len)    ADD_SSE2(b, 0, 1)
#define ADD_SSE2_I4_SP(b, kind, pos, len) ADD_SSE2(b, 1, 1)

#define SSE2_BODY(ADD)                                                                             \
    size_t count = 0, words = 0;                                                                   \
    const uint8_t *tab = m->table, *scales = m->scales;                                            \
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                       \
    TM_FEATURE_WALK_FAST(&m->info.feat, t, n, ADD, words);                                         \
    __m128 inv = _mm_set1_ps(count ? 1.0f / (float)count : 0);                                     \
    _mm_storeu_ps(pre, _mm_mul_ps(a0, inv));                                                       \
    _mm_storeu_ps(pre + 4, _mm_mul_ps(a1, inv));                                                   \
    _mm_storeu_ps(pre + 8, _mm_mul_ps(a2, inv));                                                   \
    _mm_storeu_ps(pre + 12, _mm_mul_ps(a3, inv));                                                  \
    return words

/* AVX2: eight bytes sign-extended to eight 32-bit lanes in one instruction,
 * two halves of the row. */
#define ADD_AVX2(b, SPARSE, FMT)                                                                   \
    do {                                                                                           \
        Q_ROW(b, SPARSE, FMT);                                                                     \
        __m256 s = _mm256_set1_ps(sc_);                                                            \
        __m128i q0, q1;                                                                            \
        if (FMT) {                                                                                 \
            q0 = q_row16(q_, 1);                                                                   \
            q1 = _mm_srli_si128(q0, 8);                                                            \
        } else {                                                                                   \
            q0 = _mm_loadl_epi64((const __m128i *)q_);                                             \
            q1 = _mm_loadl_epi64((const __m128i *)(q_ + 8));                                       \
        }                                                                                          \
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0)), s));    \
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1)), s));    \
    } while (0)
#define ADD_AVX2_I8(b, kind, pos, len)    ADD_AVX2(b, 0, 0)
#define ADD_AVX2_I8_SP(b, kind, pos, len) ADD_AVX2(b, 1, 0)
#define ADD_AVX2_I4(b, kind, pos, len)    ADD_AVX2(b, 0, 1)
#define ADD_AVX2_I4_SP(b, kind, pos, len) ADD_AVX2(b, 1, 1)

#define AVX2_BODY(ADD)                                                                             \
    size_t count = 0, words = 0;                                                                   \
    const uint8_t *tab = m->table, *scales = m->scales;                                            \
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;                                                      \
    TM_FEATURE_WALK_FAST(&m->info.feat, t, n, ADD, words);                                         \
    __m256 inv = _mm256_set1_ps(count ? 1.0f / (float)count : 0);                                  \
    _mm256_storeu_ps(pre, _mm256_mul_ps(a0, inv));                                                 \
    _mm256_storeu_ps(pre + 8, _mm256_mul_ps(a1, inv));                                             \
    return words

typedef size_t (*pool_fn)(const trawl_model *m, const uint8_t *t, size_t n, float *pre);

/* A row-pruned table counts bits for every feature: with the POPCNT
 * instruction that is one instruction instead of a library call. No "fma"
 * with AVX2: a fused multiply-add would round once where the other paths
 * round twice. */
#define POOL_FN(NAME, TARGET, BODY, ADD)                                                           \
    __attribute__((target(TARGET))) static size_t NAME(const trawl_model *m, const uint8_t *t,     \
                                                       size_t n, float *pre)                       \
    {                                                                                              \
        BODY(ADD);                                                                                 \
    }
POOL_FN(pool_sse2_i8, "sse2", SSE2_BODY, ADD_SSE2_I8)
POOL_FN(pool_sse2_i8_sp, "popcnt", SSE2_BODY, ADD_SSE2_I8_SP)
POOL_FN(pool_sse2_i4, "sse2", SSE2_BODY, ADD_SSE2_I4)
POOL_FN(pool_sse2_i4_sp, "popcnt", SSE2_BODY, ADD_SSE2_I4_SP)
POOL_FN(pool_avx2_i8, "avx2", AVX2_BODY, ADD_AVX2_I8)
POOL_FN(pool_avx2_i8_sp, "avx2,popcnt", AVX2_BODY, ADD_AVX2_I8_SP)
POOL_FN(pool_avx2_i4, "avx2", AVX2_BODY, ADD_AVX2_I4)
POOL_FN(pool_avx2_i4_sp, "avx2,popcnt", AVX2_BODY, ADD_AVX2_I4_SP)

/* The vector path for m on this CPU ([int4][sparse]), or NULL. */
static pool_fn vector_path(const trawl_model *m, tm_pool_path path)
{
    static const pool_fn sse2[2][2] = {{pool_sse2_i8, pool_sse2_i8_sp},
                                       {pool_sse2_i4, pool_sse2_i4_sp}};
    static const pool_fn avx2[2][2] = {{pool_avx2_i8, pool_avx2_i8_sp},
                                       {pool_avx2_i4, pool_avx2_i4_sp}};
    if (m->info.hidden != 16 || m->info.format == TRAWL_MODEL_F32)
        return NULL;
    int i4 = m->info.format == TRAWL_MODEL_INT4, sp = m->bitmap != NULL;
    bool popcnt = __builtin_cpu_supports("popcnt");
    if (path == TM_POOL_AVX2)
        return __builtin_cpu_supports("avx2") && popcnt ? avx2[i4][sp] : NULL;
    if (path == TM_POOL_SSE2)
        return !sp || popcnt ? sse2[i4][sp] : NULL;
    return NULL;
}
#endif

/* ---- choosing a path ------------------------------------------------------------------- */

size_t trawl__tm_pool_path(const trawl_model *m, const uint8_t *t, size_t n, float *pre,
                           tm_pool_path path)
{
    if (path == TM_POOL_PORTABLE)
        return pool_scalar(m, t, n, pre);
#ifdef TM_X86
    pool_fn f = vector_path(m, path);
    if (f)
        return f(m, t, n, pre);
#endif
    return SIZE_MAX;
}

size_t trawl_model_pool(const trawl_model *m, const uint8_t *t, size_t n, float *pre)
{
#ifdef TM_X86
    pool_fn f = vector_path(m, TM_POOL_AVX2);
    if (!f)
        f = vector_path(m, TM_POOL_SSE2);
    if (f)
        return f(m, t, n, pre);
#endif
    return pool_scalar(m, t, n, pre);
}
