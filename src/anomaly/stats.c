/* stats.c -- per-channel statistics: Welford's running mean and variance,
 * a bounded reservoir of samples for the median, MAD and quartiles
 * (Vitter's algorithm R with a fixed seed once it is full, so a rerun gives
 * the same baseline), and the first few distinct values for categorical
 * channels. */
#include "anomaly/anom_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double trawl__anom_quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Inserts x into the sorted reservoir (online mode keeps it sorted). */
static void insert_sorted(chan *c, double x)
{
    size_t lo = 0, hi = c->res_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->res[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(c->res + lo + 1, c->res + lo, (c->res_n - lo) * sizeof(double));
    c->res[lo] = x;
    c->res_n++;
}

static void remove_sorted(chan *c, size_t i)
{
    memmove(c->res + i, c->res + i + 1, (c->res_n - i - 1) * sizeof(double));
    c->res_n--;
}

bool trawl__anom_chan_add(const trawl_anom_model *m, chan *c, double x)
{
    unsigned cap = m->p.reservoir;
    if (!c->res) {
        c->res = malloc(cap * sizeof(double));
        if (!c->res)
            return false;
        c->rng = 0x9E3779B97F4A7C15ull;
        c->sorted = m->p.online;
    }
    c->n++;
    double d = x - c->mean;
    c->mean += d / (double)c->n;
    c->m2 += d * (x - c->mean);
    c->min = c->n == 1 || x < c->min ? x : c->min;
    c->max = c->n == 1 || x > c->max ? x : c->max;
    if (c->res_n < cap) {
        if (c->sorted)
            insert_sorted(c, x);
        else
            c->res[c->res_n++] = x;
    } else {
        uint64_t j = next(&c->rng) % c->n;
        if (j < cap) {
            if (c->sorted) {
                remove_sorted(c, (size_t)j);
                insert_sorted(c, x);
            } else {
                c->res[j] = x;
            }
        }
    }
    if (!c->overflow) {
        bool seen = false;
        for (uint32_t i = 0; i < c->n_vals && !seen; i++)
            seen = c->vals[i] == x;
        if (!seen) {
            if (c->n_vals >= m->p.max_distinct) {
                c->overflow = true;
            } else {
                if (!c->vals && !(c->vals = malloc(m->p.max_distinct * sizeof(double))))
                    return false;
                c->vals[c->n_vals++] = x;
            }
        }
    }
    return true;
}

bool trawl__anom_chan_finish(chan *c)
{
    size_t n = c->res_n;
    if (!c->sorted && n)
        qsort(c->res, n, sizeof(double), cmp_double);
    c->std = c->n > 1 ? sqrt(c->m2 / (double)(c->n - 1)) : 0;
    c->median = trawl__anom_quantile(c->res, n, 0.5);
    c->q1 = trawl__anom_quantile(c->res, n, 0.25);
    c->q3 = trawl__anom_quantile(c->res, n, 0.75);
    double *dev = malloc((n ? n : 1) * sizeof(double));
    if (!dev)
        return false;
    /* the deviations below and above the median are each sorted already:
     * merge them (O(n)) instead of sorting */
    size_t s = 0, k = 0;
    while (s < n && c->res[s] < c->median)
        s++;
    size_t i = s, j = s;
    double sum = 0;
    while (k < n) {
        double a = i > 0 ? c->median - c->res[i - 1] : INFINITY;
        double b = j < n ? c->res[j] - c->median : INFINITY;
        if (a <= b) {
            dev[k++] = a;
            i--;
        } else {
            dev[k++] = b;
            j++;
        }
        sum += dev[k - 1];
    }
    c->mad = trawl__anom_quantile(dev, n, 0.5);
    c->meanad = n ? sum / (double)n : 0;
    free(dev);
    c->done = true;
    return true;
}
