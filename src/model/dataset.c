/* dataset.c -- rows to learn from: each text hashed once into its sorted
 * (bucket, weight) list, weight = occurrences / features of the text (the
 * mean pooling of infer.c), plus its dense features, label and tag. */
#include <stdlib.h>

#include "common/error.h"
#include "model/train_int.h"

trawl_status trawl_model_dataset_new(const trawl_model_feat_cfg *f, unsigned n_dense,
                                     const char *const *names, trawl_model_dataset **out,
                                     trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!f || f->buckets < 256 || f->buckets > (1u << 22) || (f->buckets & (f->buckets - 1)) ||
        f->char_min < 1 || f->char_max < f->char_min || f->char_max > 8 || f->word_max > 2 ||
        n_dense > TRAWL_MODEL_MAX_DENSE || (n_dense && !names))
        return trawl__fail(err, TRAWL_EINVAL, "invalid feature configuration");
    trawl_model_dataset *d = calloc(1, sizeof(*d));
    if (!d || !(d->names = calloc(n_dense ? n_dense : 1, sizeof(*d->names)))) {
        free(d);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    d->f = *f;
    d->nd = n_dense;
    for (unsigned j = 0; j < n_dense; j++) {
        if (!names[j] || !names[j][0] || strlen(names[j]) >= TRAWL_MODEL_FEAT_LEN) {
            trawl_model_dataset_free(d);
            return trawl__fail(err, TRAWL_EINVAL, "dense feature %u: name empty or over 63 bytes",
                               j);
        }
        memcpy(d->names[j], names[j], strlen(names[j]));
    }
    *out = d;
    return TRAWL_OK;
}

void trawl_model_dataset_free(trawl_model_dataset *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->r[i].b);
        free(d->r[i].w);
        free(d->r[i].text);
        free(d->r[i].dense);
        free(d->r[i].tag);
    }
    free(d->r);
    free(d->names);
    free(d->scratch);
    free(d);
}

#define EMIT_COLLECT(b, kind, pos, len)                                                            \
    do {                                                                                           \
        if (d->ns == d->scap) {                                                                    \
            size_t cap_ = d->scap ? d->scap * 2 : 4096;                                            \
            uint32_t *v_ = realloc(d->scratch, cap_ * sizeof(*v_));                                \
            if (!v_)                                                                               \
                return -1;                                                                         \
            d->scratch = v_;                                                                       \
            d->scap = cap_;                                                                        \
        }                                                                                          \
        d->scratch[d->ns++] = (b);                                                                 \
    } while (0)

static int collect(trawl_model_dataset *d, const uint8_t *t, size_t n)
{
    d->ns = 0;
    size_t words = 0;
    TM_FEATURE_WALK(&d->f, t, n, EMIT_COLLECT, words);
    d->words = words;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

trawl_status trawl_model_dataset_add(trawl_model_dataset *d, const uint8_t *t, size_t n,
                                     const float *dense, int label, const char *tag,
                                     trawl_error *err)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        tm_row *r = realloc(d->r, cap * sizeof(*r));
        if (!r)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        d->r = r;
        d->cap = cap;
    }
    tm_row *r = &d->r[d->n];
    memset(r, 0, sizeof(*r));
    if (collect(d, t, n))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    qsort(d->scratch, d->ns, sizeof(*d->scratch), cmp_u32);
    size_t uniq = 0;
    for (size_t i = 0; i < d->ns; i++)
        uniq += i == 0 || d->scratch[i] != d->scratch[i - 1];
    r->b = malloc((uniq ? uniq : 1) * sizeof(*r->b));
    r->w = malloc((uniq ? uniq : 1) * sizeof(*r->w));
    r->text = malloc(n + 1);
    r->dense = calloc(d->nd ? d->nd : 1, sizeof(float));
    r->tag = strdup(tag ? tag : "");
    if (!r->b || !r->w || !r->text || !r->dense || !r->tag) {
        free(r->b), free(r->w), free(r->text), free(r->dense), free(r->tag);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->ns;) {
        size_t j = i;
        while (j < d->ns && d->scratch[j] == d->scratch[i])
            j++;
        r->b[r->nf] = d->scratch[i];
        r->w[r->nf++] = (float)(j - i) / (float)d->ns;
        i = j;
    }
    memcpy(r->text, t, n);
    r->text[n] = 0;
    r->len = n;
    if (dense)
        memcpy(r->dense, dense, d->nd * sizeof(float));
    r->words = (uint32_t)d->words;
    r->label = label != 0;
    d->n++;
    return TRAWL_OK;
}

size_t trawl_model_dataset_count(const trawl_model_dataset *d)
{
    return d->n;
}

int trawl_model_dataset_label(const trawl_model_dataset *d, size_t i)
{
    return d->r[i].label;
}

const char *trawl_model_dataset_tag(const trawl_model_dataset *d, size_t i)
{
    return d->r[i].tag;
}

const uint8_t *trawl_model_dataset_text(const trawl_model_dataset *d, size_t i, size_t *len)
{
    *len = d->r[i].len;
    return d->r[i].text;
}

const float *trawl_model_dataset_dense(const trawl_model_dataset *d, size_t i)
{
    return d->r[i].dense;
}
