/* pi_model.h -- tier 2 of the prompt-injection detector: a small trained,
 * int8-quantised text classifier, and its model file. Internal to src/detect/
 * (and tools/train_pi_model.c, which trains and writes it).
 *
 * The classifier (docs/detect-prompt_injection.md, "Tier 2"):
 *
 *   features  hashed character n-grams (char_min..char_max bytes) of the
 *             normalised text padded with one space each side, plus hashed
 *             word unigrams and bigrams (word_max = 2); each feature names
 *             one of `buckets` rows of a learned embedding table;
 *   pool      the mean of the feature rows (D values);
 *   hidden    h = relu(W1 x + b1), H units;
 *   output    p = sigmoid(w2 . h + b2).
 *
 * The model abstains (p = 0, no opinion) on a text of fewer than min_words
 * words: the training data's short English rows are mostly injections
 * (TensorTrust passwords such as "access granted"), so on a lone word the
 * network had learned text length, not intent.
 *
 * Every number that decides p is a learned weight; the hash only says which
 * learned row a feature reads (a "hashing trick" vocabulary), so two texts
 * with the same n-grams get the same p whatever their hash values are.
 *
 * Quantisation: the embedding table, W1 and w2 are int8 with one scale per
 * tensor; biases are float. Inference sums int8 rows in int32, quantises the
 * pooled vector to int8 with its own scale, multiplies int8 by int8 into
 * int32, and uses float only to apply scales, biases and the activations.
 *
 * The model file (little-endian; all offsets in bytes):
 *
 *   0  magic "TRPI"          4  u16 version (1)    6  u16 header size (64)
 *   8  u32 buckets (2^8..2^22)                    12  u16 D (1..64)
 *  14  u16 H (1..64)         16  u8 char_min       17  u8 char_max (<= 8)
 *  18  u8 word_max (0..2)    19  u8 min_words (0..64)
 *  20  f32 embedding scale   24  f32 W1 scale      28  f32 w2 scale
 *  32  f32 threshold (0..1)  36  u32 payload size
 *  40  u64 XXH3-64 of the payload                  48  name, 16 bytes, NUL padded
 *  64  payload: int8 E[buckets][D], int8 W1[H][D], f32 b1[H], int8 w2[H], f32 b2
 *
 * A loaded model is immutable and may be shared by any number of threads. */
#ifndef TRAWL_DETECT_PI_MODEL_H
#define TRAWL_DETECT_PI_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>

#define PI_MODEL_MAGIC    "TRPI"
#define PI_MODEL_VERSION  1
#define PI_MODEL_HEADER   64
#define PI_MODEL_MAX_DIM  64
#define PI_MODEL_NAME_LEN 16

/* What the features are; part of the model file. */
typedef struct pi_feat_cfg {
    uint32_t buckets; /* a power of two */
    uint8_t char_min, char_max, word_max;
} pi_feat_cfg;

/* The dequantised parameters, for the trainer and the float reference. */
typedef struct pi_model_float {
    pi_feat_cfg f;
    unsigned dim, hidden;
    float *emb; /* [buckets][dim] */
    float *w1;  /* [hidden][dim] */
    float *b1;  /* [hidden] */
    float *w2;  /* [hidden] */
    float b2;
    float threshold;
    unsigned min_words;
    char name[PI_MODEL_NAME_LEN];
} pi_model_float;

typedef struct pi_model pi_model;

/* Calls fn(bucket, ud) for every feature of the normalised text t[0..n),
 * in a fixed order. Returns the number of features. O(n), allocates
 * nothing. */
size_t pi_model_features(const pi_feat_cfg *f, const uint8_t *t, size_t n,
                         void (*fn)(uint32_t bucket, void *ud), void *ud);

/* Parses a model file held in p[0..n) (untrusted bytes: every field is
 * checked). The model points into p, which must outlive it. Errors:
 * TRAWL_EFORMAT (bad magic, version, dims, scales, threshold, checksum,
 * non-finite bias) and TRAWL_ETRUNCATED, with err->offset at the field. */
trawl_status pi_model_load(const uint8_t *p, size_t n, pi_model **out, trawl_error *err);
void pi_model_free(pi_model *m);

const char *pi_model_name(const pi_model *m);
double pi_model_threshold(const pi_model *m);
unsigned pi_model_dim(const pi_model *m);
unsigned pi_model_min_words(const pi_model *m);

/* Words of a normalised text as the features see them (runs of [a-z0-9_]
 * and non-ASCII bytes). O(n). */
size_t pi_model_words(const uint8_t *t, size_t n);

/* Step 1, one text: the pooled features of t[0..n) quantised to int8,
 * xq[0..dim) with scale *xs. O(n), allocates nothing. */
void pi_model_pool(const pi_model *m, const uint8_t *t, size_t n, int8_t *xq, float *xs);

/* Step 2, a batch: p[i] for the n pooled rows X[i*dim..), scales xs[i]. The
 * hidden layer is one int8 matrix-matrix product, X (n x D) by W1^T
 * (D x H), in tiles; each row's arithmetic is the same whatever the batch,
 * so a batch gives exactly the scores of its rows one by one. Allocates
 * nothing. */
void pi_model_head(const pi_model *m, const int8_t *X, const float *xs, size_t n, double *p);

/* pool + head for n texts: pooled in tiles of 16 rows on the stack, each
 * tile's hidden layer one matrix-matrix product; p = 0 for a text under
 * min_words. Allocates nothing. */
void pi_model_score_batch(const pi_model *m, const uint8_t *const *texts, const size_t *lens,
                          size_t n, double *p);

/* pi_model_score_batch for one text. */
double pi_model_score1(const pi_model *m, const uint8_t *t, size_t n);

/* The same computation in float on the dequantised weights (no activation
 * quantisation): the reference the tests hold the int8 path to. */
double pi_model_score_float(const pi_model_float *f, const uint8_t *t, size_t n);

/* Dequantises a loaded model into f (malloc'd arrays; free with
 * pi_model_float_free). -1 on out-of-memory. */
int pi_model_dequantize(const pi_model *m, pi_model_float *f);
void pi_model_float_free(pi_model_float *f);

/* Quantises f and writes a model file into a malloc'd buffer (*out, *len).
 * -1 on out-of-memory or invalid dimensions. */
int pi_model_serialize(const pi_model_float *f, uint8_t **out, size_t *len);

#endif
