/* metrics.c -- ROC-AUC, recall at 1 % false positives, log loss, and the
 * threshold for a target false-positive rate. */
#include <stdlib.h>

#include "common/error.h"
#include "model/model_int.h"

typedef struct sy {
    double s;
    int y;
} sy;

static int by_score(const void *a, const void *b)
{
    const sy *x = a, *y = b;
    return x->s < y->s ? -1 : x->s > y->s;
}

static int desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

trawl_status trawl_model_metrics_get(const double *s, const int *y, size_t n, double thr,
                                     trawl_model_metrics *out, trawl_error *err)
{
    trawl_error_clear(err);
    memset(out, 0, sizeof(*out));
    sy *v = malloc((n + 1) * sizeof(*v));
    double *neg = malloc((n + 1) * sizeof(double));
    if (!v || !neg) {
        free(v), free(neg);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (sy){s[i], y[i] != 0};
        if (y[i]) {
            out->pos++;
            out->tp += s[i] >= thr;
        } else {
            out->neg++;
            out->fp += s[i] >= thr;
            neg[nn++] = s[i];
        }
        double q = fmin(fmax(s[i], 1e-12), 1 - 1e-12);
        out->log_loss -= y[i] ? log(q) : log(1 - q);
    }
    out->log_loss /= n ? (double)n : 1;
    /* AUC: the rank-sum (Mann-Whitney) form, tied scores sharing their mean rank */
    qsort(v, n, sizeof(*v), by_score);
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s)
            j++;
        double mean_rank = (double)(i + j + 1) / 2.0; /* ranks are 1-based */
        for (size_t k = i; k < j; k++)
            if (v[k].y)
                rank_sum += mean_rank;
        i = j;
    }
    if (out->pos && out->neg)
        out->auc = (rank_sum - (double)out->pos * (double)(out->pos + 1) / 2.0) /
                   ((double)out->pos * (double)out->neg);
    /* recall when at most 1 % of negatives score strictly above the cut */
    qsort(neg, nn, sizeof(double), desc);
    size_t allowed = (size_t)floor(0.01 * (double)nn);
    if (out->pos) {
        double cut = allowed < nn ? neg[allowed] : -INFINITY;
        size_t tp = 0;
        for (size_t i = 0; i < n; i++)
            tp += y[i] && s[i] > cut;
        out->recall_at_1fpr = (double)tp / (double)out->pos;
    }
    free(v);
    free(neg);
    return TRAWL_OK;
}

double trawl_model_threshold_for_fpr(const double *s, const int *y, size_t n, double max_fpr,
                                     double floor_)
{
    double *neg = malloc((n + 1) * sizeof(double));
    if (!neg)
        return 1;
    size_t nn = 0;
    for (size_t i = 0; i < n; i++)
        if (!y[i])
            neg[nn++] = s[i];
    qsort(neg, nn, sizeof(double), desc);
    size_t allowed = (size_t)floor(max_fpr * (double)nn);
    double thr = allowed < nn ? nextafter(neg[allowed], INFINITY) : floor_;
    free(neg);
    if (thr < floor_)
        thr = floor_;
    return thr > 1 ? 1 : thr;
}
