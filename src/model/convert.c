/* convert.c -- optimisation: magnitude pruning of the table's rows and
 * per-row quantisation, written as a new model file.
 *
 * Pruning works on whole rows (a row is one hashed feature's weights): the
 * rows with the smallest L2 norm are dropped. That is what makes a pruned
 * model cheaper here: a dropped feature costs one bit test of a bitmap that
 * stays in cache and no load of its row, and the table shrinks with the
 * ratio. Zeroing single weights inside rows of 16 would save neither. */
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "model/model_int.h"

typedef struct norm_idx {
    double norm;
    uint32_t b;
} norm_idx;

static int by_norm(const void *a, const void *b)
{
    const norm_idx *x = a, *y = b;
    if (x->norm != y->norm)
        return x->norm < y->norm ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b; /* ties: by bucket, for the same bytes every run */
}

trawl_status trawl_model_convert(const trawl_model *m, const trawl_model_convert_opts *o,
                                 uint8_t **file, size_t *len, trawl_error *err)
{
    trawl_error_clear(err);
    *file = NULL;
    *len = 0;
    if (!m || !o || o->format > TRAWL_MODEL_INT4 || !(o->prune >= 0 && o->prune < 1))
        return trawl__fail(err, TRAWL_EINVAL, "invalid conversion options");
    tm_params p;
    if (trawl__tm_params_from(m, &p))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (o->name)
        snprintf(p.name, sizeof p.name, "%s", o->name);
    uint32_t B = p.f.buckets;
    unsigned h = p.hidden;
    uint8_t *keep = NULL;
    norm_idx *v = NULL;
    trawl_status st = TRAWL_OK;
    if (o->prune > 0 || m->bitmap) {
        keep = malloc(B);
        v = malloc(B * sizeof(*v));
        if (!keep || !v) {
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            goto done;
        }
        for (uint32_t b = 0; b < B; b++) {
            double s = 0;
            for (unsigned k = 0; k < h; k++)
                s += (double)p.E[(size_t)b * h + k] * p.E[(size_t)b * h + k];
            v[b] = (norm_idx){s, b};
            keep[b] = s > 0;
        }
        qsort(v, B, sizeof(*v), by_norm);
        size_t drop = (size_t)floor(o->prune * (double)B);
        for (size_t i = 0; i < drop; i++)
            keep[v[i].b] = 0;
    }
    if (trawl__tm_write(&p, o->format, keep, file, len))
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
done:
    free(keep);
    free(v);
    trawl__tm_params_free(&p);
    return st;
}
