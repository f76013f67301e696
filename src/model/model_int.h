/* model_int.h -- what the files of src/model/ share: the loaded model, the
 * float parameters the trainer and the converters work on, the feature
 * walk, and little-endian helpers. Internal (trawl__ tier). */
#ifndef TRAWL_SRC_MODEL_INT_H
#define TRAWL_SRC_MODEL_INT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <trawl/model.h>

#define TM_MAGIC   "TRMD"
#define TM_VERSION 3 /* reads 2 (no dense flags) and 3 */
#define TM_HEADER  128

/* The model file (little-endian; offsets in bytes):
 *
 *   0  magic "TRMD"      4  u16 version (2)      6  u16 header size (128)
 *   8  u8 kind           9  u8 format           10  u8 sparse (0/1)
 *  11  u8 min_words     12  u32 buckets         16  u16 hidden H
 *  18  u16 n_dense      20  u8 char_min         21  u8 char_max
 *  22  u8 word_max      23  u8 0                24  u32 nnz_rows
 *  28  f32 platt_a      32  f32 platt_b         36  f32 threshold
 *  40  u64 payload size 48  u64 XXH3-64 of the payload
 *  56  name, 32 bytes NUL padded                88..127 zero
 * 128  payload:
 *      dense names      n_dense x 64 bytes, NUL padded
 *      (v3) flags       u8 [n_dense] (TRAWL_MODEL_DENSE_*), zero padded to 4
 *      Wd               f32 [n_dense][H]
 *      b1, w2           f32 [H] each;   b2 f32
 *      (sparse) bitmap  u64 [buckets / 64], rank u32 [buckets / 64]
 *      (int8/int4) scales  f32 [nnz_rows]
 *      E                nnz_rows rows of H f32 | H int8 | ceil(H/2) bytes
 *                       (int4: low nibble first, two's complement)
 */

/* Float parameters: what training makes and converters read. */
typedef struct tm_params {
    trawl_model_feat_cfg f;
    trawl_model_kind kind;
    unsigned hidden, n_dense, min_words;
    char (*names)[TRAWL_MODEL_FEAT_LEN]; /* n_dense */
    uint8_t *flags;                      /* n_dense: TRAWL_MODEL_DENSE_* */
    float *E;                            /* buckets x H */
    float *Wd;                           /* n_dense x H */
    float *b1, *w2;                      /* H */
    float b2;
    float platt_a, platt_b, threshold;
    char name[TRAWL_MODEL_NAME_LEN + 1];
} tm_params;

struct trawl_model {
    trawl_model_info info;
    const uint8_t *names, *flags; /* flags: NULL in a version 2 file */
    float *Wd, *b1, *w2;          /* small: copied out (one allocation) */
    float b2;
    const uint8_t *bitmap, *rank, *scales, *table;
    size_t row_bytes;
    void *map; /* trawl_model_open's mapping */
    size_t map_len;
};

int trawl__tm_params_alloc(tm_params *p);
void trawl__tm_params_free(tm_params *p);
/* The dequantised parameters of m (pruned rows are zero). -1 on OOM. */
int trawl__tm_params_from(const trawl_model *m, tm_params *p);
/* Writes p as a model file: table stored in format, sparse when keep is
 * not NULL (keep[b] says whether row b is stored). -1 on OOM or bad
 * dimensions. */
int trawl__tm_write(const tm_params *p, trawl_model_format format, const uint8_t *keep,
                    uint8_t **out, size_t *len);

/* Row b of E dequantised into row[0..H); false when pruned (row zero). */
bool trawl__tm_row(const trawl_model *m, uint32_t b, float *row);

/* ---- the feature walk -------------------------------------------------------
 * Character n-grams of the text padded with one space each side, then words
 * (runs of [a-z0-9_] and bytes >= 0x80) and pairs of adjacent words. The
 * walk keeps the last eight bytes in a 64-bit window, so an n-gram is the
 * window's low n bytes and costs one multiply to hash (multiply-shift: the
 * top bits of (key + n K2) K1 name the bucket); a word's hash grows by one
 * multiply a byte. EMIT(b, kind, pos, len) is called per feature: kind 0
 * chars (pos in the padded text), 1 word, 2 word pair (pos, len in the
 * text). WORDS counts the words: a run counts one, and one more for every
 * two characters of three or four UTF-8 bytes in it (Chinese, Japanese,
 * Korean and Thai write no spaces between words, so a sentence of them is
 * one run; about two characters make a word). */
#define TM_K1 0x9e3779b97f4a7c15ull
#define TM_K2 0xc2b2ae3d27d4eb4full
#define TM_KW 0x100000001b3ull

static inline unsigned tm_log2(uint32_t b)
{
    unsigned l = 0;
    while ((1u << l) < b)
        l++;
    return l;
}

static inline uint32_t tm_bucket(uint64_t key, unsigned shift)
{
    return (uint32_t)((key * TM_K1) >> shift);
}

static inline uint64_t tm_fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* [a-zA-Z0-9_] and bytes >= 0x80, one bit each: two loads and a shift
 * instead of a chain of comparisons, twice a byte on the walk. */
static inline int tm_word_byte(uint8_t c)
{
    static const uint64_t bits[4] = {0x03ff000000000000ull, 0x07fffffe87fffffeull, ~0ull, ~0ull};
    return (int)(bits[c >> 6] >> (c & 63) & 1);
}

#define TM_FEATURE_WALK(f, t, n, EMIT, WORDS)                                                      \
    TM_FEATURE_WALK_C(f, t, n, EMIT, WORDS, (f)->char_min, (f)->char_max)

/* The walk with the n-gram range given (a constant lets the compiler unroll
 * the per-byte loop over n-gram lengths). The first CMAX - 1 bytes of the
 * padded text (where the longer n-grams do not fit yet) and its closing
 * space are walked apart, so the loop over the text's own bytes tests
 * neither; the features come in the same order either way. */
#define TM_FEATURE_WALK_C(f, t, n, EMIT, WORDS, CMIN, CMAX)                                        \
    do {                                                                                           \
        const unsigned shift_ = 64 - tm_log2((f)->buckets);                                        \
        const unsigned cmin_ = (CMIN), cmax_ = (CMAX);                                             \
        const size_t padded_ = (n) + 2;                                                            \
        const size_t head_ = cmax_ > 2 ? cmax_ - 1 : 1; /* >= 1: j = 0 is the opening space */     \
        uint64_t win_ = 0;                                                                         \
        for (size_t j_ = 0; j_ < padded_; j_++) {                                                  \
            if (j_ == head_ && padded_ - 1 > head_) {                                              \
                for (; j_ < padded_ - 1; j_++) {                                                   \
                    win_ = win_ << 8 | (t)[j_ - 1];                                                \
                    for (unsigned g_ = cmin_; g_ <= cmax_; g_++) {                                 \
                        uint64_t key_ =                                                            \
                            (g_ == 8 ? win_ : win_ & ((1ull << (8 * g_)) - 1)) + g_ * TM_K2;       \
                        EMIT(tm_bucket(key_, shift_), 0, j_ + 1 - g_, g_);                         \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            uint8_t c_ = j_ == 0 || j_ == padded_ - 1 ? ' ' : (t)[j_ - 1];                         \
            win_ = win_ << 8 | c_;                                                                 \
            for (unsigned g_ = cmin_; g_ <= cmax_ && g_ <= j_ + 1; g_++) {                         \
                uint64_t key_ = (g_ == 8 ? win_ : win_ & ((1ull << (8 * g_)) - 1)) + g_ * TM_K2;   \
                EMIT(tm_bucket(key_, shift_), 0, j_ + 1 - g_, g_);                                 \
            }                                                                                      \
        }                                                                                          \
        uint64_t prev_ = 0;                                                                        \
        size_t prev_at_ = 0;                                                                       \
        int have_prev_ = 0;                                                                        \
        for (size_t i_ = 0; i_ < (n);) {                                                           \
            if (!tm_word_byte((t)[i_])) {                                                          \
                i_++;                                                                              \
                continue;                                                                          \
            }                                                                                      \
            size_t at_ = i_, wide_ = 0;                                                            \
            uint64_t h_ = 0xcbf29ce484222325ull;                                                   \
            for (; i_ < (n) && tm_word_byte((t)[i_]); i_++) {                                      \
                h_ = (h_ ^ (t)[i_]) * TM_KW;                                                       \
                wide_ += (t)[i_] >= 0xe0;                                                          \
            }                                                                                      \
            (WORDS) += 1 + wide_ / 2;                                                              \
            if (!(f)->word_max)                                                                    \
                continue;                                                                          \
            h_ = tm_fmix64(h_);                                                                    \
            EMIT(tm_bucket(h_ ^ 0x5bd1e995ull, shift_), 1, at_, i_ - at_);                         \
            if ((f)->word_max >= 2 && have_prev_)                                                  \
                EMIT(tm_bucket(prev_ * 31 + h_ + TM_K2, shift_), 2, prev_at_, i_ - prev_at_);      \
            prev_ = h_;                                                                            \
            prev_at_ = at_;                                                                        \
            have_prev_ = 1;                                                                        \
        }                                                                                          \
        (void)prev_at_;                                                                            \
    } while (0)

/* The walk, unrolled for the shipped model's character 3- to 5-grams. */
#define TM_FEATURE_WALK_FAST(f, t, n, EMIT, WORDS)                                                 \
    do {                                                                                           \
        if ((f)->char_min == 3 && (f)->char_max == 5)                                              \
            TM_FEATURE_WALK_C(f, t, n, EMIT, WORDS, 3, 5);                                         \
        else                                                                                       \
            TM_FEATURE_WALK(f, t, n, EMIT, WORDS);                                                 \
    } while (0)

/* Words of t as the walk sees them. */
size_t trawl__tm_words(const uint8_t *t, size_t n);

/* ---- little-endian fields -------------------------------------------------------- */

static inline uint16_t tm_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t tm_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t tm_rd64(const uint8_t *p)
{
    return (uint64_t)tm_rd32(p) | (uint64_t)tm_rd32(p + 4) << 32;
}
static inline float tm_rdf(const uint8_t *p)
{
    float v;
    memcpy(&v, p, sizeof v); /* the file is little-endian, as every target trawl builds for */
    return v;
}
static inline void tm_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void tm_wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tm_wr64(uint8_t *p, uint64_t v)
{
    tm_wr32(p, (uint32_t)v);
    tm_wr32(p + 4, (uint32_t)(v >> 32));
}
static inline void tm_wrf(uint8_t *p, float v)
{
    memcpy(p, &v, sizeof v);
}

static inline double tm_sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* ---- rows and pooling ------------------------------------------------------------ */

/* The stored row index of bucket b, or -1 when pruned. */
static inline long tm_row_of(const trawl_model *m, uint32_t b)
{
    if (!m->bitmap)
        return (long)b;
    uint64_t w = tm_rd64(m->bitmap + 8u * (b >> 6));
    if (!(w >> (b & 63) & 1))
        return -1;
    return (long)(tm_rd32(m->rank + 4u * (b >> 6)) +
                  (uint32_t)__builtin_popcountll(w & ((1ull << (b & 63)) - 1)));
}

/* trawl_model_pool by a chosen path (pool.c), for the tests that hold the
 * paths to the same bits: the portable loop (every model), SSE2 and AVX2
 * (int8, H = 16, on a CPU that has them). SIZE_MAX when the path does not
 * apply to m or to this CPU. */
typedef enum tm_pool_path { TM_POOL_PORTABLE, TM_POOL_SSE2, TM_POOL_AVX2 } tm_pool_path;
size_t trawl__tm_pool_path(const trawl_model *m, const uint8_t *t, size_t n, float *pre,
                           tm_pool_path path);

#endif
