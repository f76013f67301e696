/* pdist.c -- Euclidean distances between the rows of a matrix, condensed
 * (SciPy's pdist(X)): the square root of the sum of squared differences,
 * summed in dimension order so that a row pair gives the same double
 * whichever thread computes it. One task is a row. */
#include "analyze/analyze_int.h"

#include <math.h>

typedef struct pctx {
    const double *X;
    size_t n, d;
    double *out;
} pctx;

static void row_task(void *p, size_t i, unsigned w)
{
    (void)w;
    const pctx *c = p;
    const size_t n = c->n, d = c->d;
    const double *x = c->X + i * d;
    double *o = c->out + trawl_analyze_condensed_index(n, i, i + 1);
    for (size_t j = i + 1; j < n; j++) {
        const double *y = c->X + j * d;
        double s = 0;
        for (size_t k = 0; k < d; k++) {
            double t = x[k] - y[k];
            s += t * t;
        }
        o[j - i - 1] = sqrt(s);
    }
}

trawl_status trawl_analyze_pdist(const double *X, size_t n, size_t d, unsigned threads,
                                 uint64_t max_bytes, double *out, trawl_error *err)
{
    if ((!X && n && d) || (!out && n > 1))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    if (d == 0)
        return trawl__fail(err, TRAWL_EINVAL, "vectors of dimension 0");
    trawl_status st = trawl__an_check_matrix(trawl_analyze_condensed_size(n), max_bytes, err);
    if (st)
        return st;
    if (n < 2)
        return TRAWL_OK;
    pctx c = {X, n, d, out};
    trawl__an_parallel(threads, n - 1, row_task, &c);
    return TRAWL_OK;
}
