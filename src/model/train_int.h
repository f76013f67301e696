/* train_int.h -- the dataset's rows and the thread helper, shared by
 * dataset.c, train.c and calib.c. Internal. */
#ifndef TRAWL_SRC_MODEL_TRAIN_INT_H
#define TRAWL_SRC_MODEL_TRAIN_INT_H

#include "model/model_int.h"

typedef struct tm_row {
    uint32_t *b; /* buckets, ascending, unique */
    float *w;    /* occurrences / features of the text */
    uint32_t nf, words;
    int label;
    uint8_t *text;
    size_t len;
    float *dense;
    char *tag;
} tm_row;

struct trawl_model_dataset {
    trawl_model_feat_cfg f;
    unsigned nd;
    char (*names)[TRAWL_MODEL_FEAT_LEN];
    tm_row *r;
    size_t n, cap;
    uint32_t *scratch; /* the feature walk's buckets of the row being added */
    size_t ns, scap;
    size_t words; /* of the row being added */
};

/* Runs fn(ctx, t, threads) for t = 0..threads-1, t > 0 on new threads, t = 0
 * on the caller's; returns when all are done. Falls back to running them
 * one after another when a thread cannot be started (same result). */
void trawl__tm_parallel(void (*fn)(void *ctx, unsigned t, unsigned threads), void *ctx,
                        unsigned threads);

#endif
