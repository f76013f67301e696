/* trawl/model.h -- a small learning toolkit for the classifiers trawl ships
 * (the prompt-injection detector's learned tier first): hashed text
 * features, logistic regression and one-hidden-layer networks trained
 * deterministically on several threads, Platt calibration, thresholds for a
 * target false-positive rate, INT8/INT4 quantisation, magnitude pruning,
 * distillation, ONNX export, and a versioned, checksummed model file that
 * loads in place (mmap, no copy).
 *
 * The model (docs/model.md):
 *
 *   x     the input: hashed features of a normalised text (character
 *         n-grams, words, word bigrams; each names one of `buckets` rows)
 *         mean-pooled, plus n_dense named dense features that the caller
 *         computes (the detector: its rule hits and obfuscation signals);
 *   pre   = mean over the text's features of E[feature]   (H values)
 *   linear  z = pre[0] + Wd . dense + b1[0]
 *   mlp     h = relu(pre + Wd^T dense + b1);  z = w2 . h + b2
 *   p     = sigmoid(platt_a * z + platt_b)                 (calibrated)
 *
 * A text of fewer than min_words words gets no opinion (p = 0).
 *
 * Ownership: a loaded model points into the caller's bytes (or its own
 * mapping, for trawl_model_open) and is immutable: any number of threads
 * may score with it at once. Functions that write a model file return a
 * malloc'd buffer the caller frees. */
#ifndef TRAWL_MODEL_H
#define TRAWL_MODEL_H

#include <stdbool.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRAWL_MODEL_MAX_HIDDEN 256
#define TRAWL_MODEL_MAX_DENSE  1024
#define TRAWL_MODEL_NAME_LEN   32 /* bytes of a model name, NUL padded */
#define TRAWL_MODEL_FEAT_LEN   64 /* bytes of a dense feature name */

typedef enum trawl_model_kind { TRAWL_MODEL_LINEAR = 0, TRAWL_MODEL_MLP = 1 } trawl_model_kind;

/* How the table E is stored. */
typedef enum trawl_model_format {
    TRAWL_MODEL_F32 = 0,  /* float rows */
    TRAWL_MODEL_INT8 = 1, /* int8 rows, one symmetric float scale per row */
    TRAWL_MODEL_INT4 = 2  /* two 4-bit weights a byte, one scale per row */
} trawl_model_format;

/* Which hashed features a text gives. */
typedef struct trawl_model_feat_cfg {
    uint32_t buckets;           /* a power of two, 2^8 .. 2^22 */
    uint8_t char_min, char_max; /* character n-grams, 1 <= min <= max <= 8 */
    uint8_t word_max;           /* 0 none, 1 words, 2 words and word bigrams */
} trawl_model_feat_cfg;

typedef struct trawl_model trawl_model;

typedef struct trawl_model_info {
    char name[TRAWL_MODEL_NAME_LEN + 1];
    unsigned version;
    trawl_model_kind kind;
    trawl_model_format format;
    bool sparse;       /* row-pruned: only nnz_rows rows stored, a bitmap says which */
    uint32_t nnz_rows; /* rows of E stored (all buckets when !sparse) */
    trawl_model_feat_cfg feat;
    unsigned hidden; /* H (1 for linear) */
    unsigned n_dense;
    unsigned min_words;
    float platt_a, platt_b, threshold;
    uint64_t checksum; /* XXH3-64 of the payload */
    size_t file_bytes;
} trawl_model_info;

/* ---- loading ---------------------------------------------------------------- */

/* Parses a model file held in p[0..n) without copying it (the model points
 * into p, which must outlive it and stay unchanged). The bytes are
 * untrusted: every field is checked before it is used, the checksum
 * before any weight is read, every float for finiteness. Errors:
 * TRAWL_EFORMAT (bad magic, dimensions, sizes, checksum, values),
 * TRAWL_EVERSION, TRAWL_ETRUNCATED, TRAWL_ENOMEM; err->offset names the
 * field. O(n). */
TRAWL_API trawl_status trawl_model_load(const uint8_t *p, size_t n, trawl_model **out,
                                        trawl_error *err);
/* Maps the file at path read-only and loads it in place; the mapping is
 * the model's. TRAWL_EIO when the file cannot be opened or mapped. */
TRAWL_API trawl_status trawl_model_open(const char *path, trawl_model **out, trawl_error *err);
TRAWL_API void trawl_model_free(trawl_model *m);

TRAWL_API void trawl_model_get_info(const trawl_model *m, trawl_model_info *info);
/* The name of dense feature j (< n_dense). */
TRAWL_API const char *trawl_model_dense_name(const trawl_model *m, unsigned j);
/* Flags of dense feature j: TRAWL_MODEL_DENSE_BENIGN_SEEN when the
 * feature was >= 0.5 on at least one benign row the model was trained on
 * (0 for files of version 2, which do not record it). */
#define TRAWL_MODEL_DENSE_BENIGN_SEEN 1u
TRAWL_API unsigned trawl_model_dense_flags(const trawl_model *m, unsigned j);

/* ---- scoring ---------------------------------------------------------------- */

/* Step 1 (the per-text cost): pre[0..H) = the mean of E over the hashed
 * features of the normalised text t[0..n). Returns the number of words in
 * t (the model abstains under min_words). O(n), allocates nothing. */
TRAWL_API size_t trawl_model_pool(const trawl_model *m, const uint8_t *t, size_t n, float *pre);
/* Step 2: the logit z for pooled pre and dense[0..n_dense) (NULL: zeros). */
TRAWL_API double trawl_model_logit(const trawl_model *m, const float *pre, const float *dense);
/* The calibrated probability of logit z: sigmoid(a z + b). */
TRAWL_API double trawl_model_prob(const trawl_model *m, double z);
/* pool + logit + prob for one text; 0 under min_words. */
TRAWL_API double trawl_model_score(const trawl_model *m, const uint8_t *t, size_t n,
                                   const float *dense);

/* One term of the logit, for explanations. */
typedef struct trawl_model_contrib {
    double value;  /* its share of z (positive: towards injection) */
    char text[72]; /* "word 'ignore'", "chars 'nstru'", "rule:...": what it is */
} trawl_model_contrib;

/* Splits z into additive terms at this input: for an MLP, with the hidden
 * units that are active at this input held active (the network is linear
 * there), each hashed feature's row and each dense feature contributes
 * exactly its share; the rest (biases) is *base. Feature occurrences that
 * share a bucket and a text are merged. Writes the k terms of largest
 * |value| (the earlier first when ties) into out; returns how many. O(n +
 * F k) at worst, about one more pooling in practice (rows that cannot
 * enter the top k are not read); allocates, for the call, 4 bytes a bucket
 * of the table, a bit a bucket (cleared) and 20 bytes a feature of the
 * text. */
TRAWL_API size_t trawl_model_explain(const trawl_model *m, const uint8_t *t, size_t n,
                                     const float *dense, trawl_model_contrib *out, size_t k,
                                     double *base);
/* The same with the text's pooled features already at hand (pre[0..H) and
 * words, as trawl_model_pool gave them for t), so t is walked once, not
 * twice; pre NULL pools t here. */
TRAWL_API size_t trawl_model_explain_pooled(const trawl_model *m, const uint8_t *t, size_t n,
                                            const float *pre, size_t words, const float *dense,
                                            trawl_model_contrib *out, size_t k, double *base);

/* ---- training ---------------------------------------------------------------- */

typedef struct trawl_model_dataset trawl_model_dataset;

/* A dataset of rows with n_dense named dense features (names copied;
 * NULL names allowed when n_dense is 0). */
TRAWL_API trawl_status trawl_model_dataset_new(const trawl_model_feat_cfg *f, unsigned n_dense,
                                               const char *const *names, trawl_model_dataset **out,
                                               trawl_error *err);
TRAWL_API void trawl_model_dataset_free(trawl_model_dataset *d);
/* Adds one row: the normalised text (hashed now; the text is copied for
 * explanations and export), dense[0..n_dense) (NULL: zeros), its label
 * (0/1) and a tag (the source name, for per-source reports; may be NULL). */
TRAWL_API trawl_status trawl_model_dataset_add(trawl_model_dataset *d, const uint8_t *t, size_t n,
                                               const float *dense, int label, const char *tag,
                                               trawl_error *err);
TRAWL_API size_t trawl_model_dataset_count(const trawl_model_dataset *d);
TRAWL_API int trawl_model_dataset_label(const trawl_model_dataset *d, size_t i);
TRAWL_API const char *trawl_model_dataset_tag(const trawl_model_dataset *d, size_t i);
TRAWL_API const uint8_t *trawl_model_dataset_text(const trawl_model_dataset *d, size_t i,
                                                  size_t *len);
TRAWL_API const float *trawl_model_dataset_dense(const trawl_model_dataset *d, size_t i);

typedef struct trawl_model_train_opts {
    trawl_model_kind kind;
    unsigned hidden;  /* MLP width (ignored for linear) */
    unsigned epochs;  /* the best epoch on validation is kept */
    unsigned batch;   /* rows per step */
    unsigned threads; /* 1..64; the result does not depend on it */
    double lr, l2;    /* Adam learning rate, L2 penalty */
    uint64_t seed;
    unsigned min_words; /* abstain under it (rows under it are not learned) */
    double target_fpr;  /* threshold: at most this share of validation benign rows flagged */
    const char *name;
    /* Distillation: when teacher is set, the loss is
     * alpha * CE(label) + (1 - alpha) * T^2 * CE(sigmoid(z_teacher / T)) on
     * z_student / T. teacher_logits[i] for row i of the training set. */
    const double *teacher_logits;
    double temperature, alpha;
} trawl_model_train_opts;

/* Fills o with the defaults (MLP, H 16, 12 epochs, batch 32, 2 threads,
 * lr 0.002, l2 1e-6, min_words 3, target FPR 0.005). */
TRAWL_API void trawl_model_train_defaults(trawl_model_train_opts *o);

typedef struct trawl_model_train_report {
    unsigned best_epoch;
    double val_loss; /* log loss of the chosen epoch, uncalibrated */
    double val_loss_calibrated;
} trawl_model_train_report;

/* Trains on the rows of train (fit) and picks the epoch, fits Platt
 * scaling and picks the threshold on val (a split of the training data,
 * never the data reported on). Writes an F32 model file into *file.
 * Deterministic: the same rows and options give the same bytes, whatever
 * the number of threads. Cost: epochs x features x H. */
TRAWL_API trawl_status trawl_model_train(const trawl_model_dataset *train,
                                         const trawl_model_dataset *val,
                                         const trawl_model_train_opts *o, uint8_t **file,
                                         size_t *len, trawl_model_train_report *rep,
                                         trawl_error *err);

/* Logits of m on every row of d (z before calibration; 0 under min_words,
 * with abstain[i] set when abstain is not NULL). threads as above. */
TRAWL_API trawl_status trawl_model_logits(const trawl_model *m, const trawl_model_dataset *d,
                                          unsigned threads, double *z, bool *abstain,
                                          trawl_error *err);

/* ---- optimisation ------------------------------------------------------------ */

typedef struct trawl_model_convert_opts {
    trawl_model_format format;
    double prune;     /* share of rows of E to zero by L2 norm (0 .. 0.99); stored sparse */
    const char *name; /* NULL: keep */
} trawl_model_convert_opts;

/* Writes m as a new model file: rows pruned by magnitude (the rows of E
 * with the smallest L2 norm are dropped and the table is stored sparse: a
 * bitmap and a rank index, so a pruned feature costs one bit test and no
 * row load), then quantised (per row, symmetric: max |w| of the row maps to
 * 127 or 7). Calibration and threshold are kept. */
TRAWL_API trawl_status trawl_model_convert(const trawl_model *m, const trawl_model_convert_opts *o,
                                           uint8_t **file, size_t *len, trawl_error *err);

/* Rewrites the calibration and threshold of a model file in place and
 * reseals its checksum. */
TRAWL_API trawl_status trawl_model_set_calibration(uint8_t *file, size_t len, float a, float b,
                                                   float threshold, trawl_error *err);

/* ONNX: the model as an ONNX graph (opset 13) whose input "x" is the
 * feature vector [N, buckets + n_dense] (pooled hashed features, then the
 * dense features) and whose output "p" is [N, 1], the calibrated
 * probability. F32 models export as MatMul graphs; INT8 models keep their
 * int8 table and per-row scales (DequantizeLinear, axis 0). Hand-encoded
 * protobuf; sparse or INT4 models are refused (TRAWL_EUNSUPPORTED). */
TRAWL_API trawl_status trawl_model_export_onnx(const trawl_model *m, uint8_t **out, size_t *len,
                                               trawl_error *err);
/* The feature vector of one text as the ONNX graph takes it:
 * x[0..buckets + n_dense). */
TRAWL_API void trawl_model_feature_vector(const trawl_model *m, const uint8_t *t, size_t n,
                                          const float *dense, float *x);

/* ---- evaluation ----------------------------------------------------------------- */

typedef struct trawl_model_metrics {
    size_t pos, neg, tp, fp;
    double auc;            /* ROC-AUC (ties count one half) */
    double recall_at_1fpr; /* recall at the highest threshold flagging <= 1 % of negatives */
    double log_loss;
} trawl_model_metrics;

/* Metrics of scores s[i] for labels y[i] at threshold thr (flagged: s >=
 * thr). Allocates a sorted copy. */
TRAWL_API trawl_status trawl_model_metrics_get(const double *s, const int *y, size_t n, double thr,
                                               trawl_model_metrics *out, trawl_error *err);

/* The lowest threshold at which at most max_fpr of the negatives score at
 * or above it (never below floor). */
TRAWL_API double trawl_model_threshold_for_fpr(const double *s, const int *y, size_t n,
                                               double max_fpr, double floor);

#ifdef __cplusplus
}
#endif
#endif
