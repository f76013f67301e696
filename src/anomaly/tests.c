/* tests.c -- the tests a channel's sample goes through, by its role, and
 * the sentence each anomaly carries. */
#include "anomaly/anom_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct ctx {
    trawl_anom_model *m;
    chan *c;
    double time, x;
    uint64_t index;
    trawl_anomaly_fn cb;
    void *user;
} ctx;

static int emit(ctx *t, trawl_anom_method method, const char *what, double value, double base,
                double spread, double thr, double score, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static int emit(ctx *t, trawl_anom_method method, const char *what, double value, double base,
                double spread, double thr, double score, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->m->detail, sizeof(t->m->detail), fmt, ap);
    va_end(ap);
    trawl_anomaly a = {method, what,   t->c->name, t->time, t->index,    value,
                       base,   spread, thr,        score,   t->m->detail};
    return t->cb(&a, t->user);
}

static bool on(const trawl_anom_model *m, trawl_anom_method k)
{
    return (m->p.methods >> k) & 1u;
}

/* Robust scale: MAD / 0.6745, or 1.2533 x the mean absolute deviation when
 * more than half the samples equal the median (Iglewicz and Hoaglin). */
static double robust_scale(const chan *c)
{
    return c->mad > 0 ? c->mad / 0.6745 : 1.253314 * c->meanad;
}

static int mzscore(ctx *t, trawl_anom_method method, const char *hi, const char *lo,
                   const char *unit)
{
    const chan *c = t->c;
    double s = robust_scale(c), thr = t->m->p.mz;
    double d = t->x - c->median;
    if (d == 0)
        return 0;
    double mz = s > 0 ? d / s : (d > 0 ? INFINITY : -INFINITY);
    if (fabs(mz) <= thr)
        return 0;
    double bound = c->median + (d > 0 ? thr : -thr) * s;
    return emit(t, method, d > 0 ? hi : lo, t->x, c->median, c->mad, bound, mz,
                "%.6g%s vs median %.6g%s (MAD %.6g): modified z %.3g beyond %.3g (bound %.6g)",
                t->x, unit, c->median, unit, c->mad, mz, thr, bound);
}

static int zscore(ctx *t)
{
    const chan *c = t->c;
    double d = t->x - c->mean, thr = t->m->p.z;
    if (d == 0)
        return 0;
    double z = c->std > 0 ? d / c->std : (d > 0 ? INFINITY : -INFINITY);
    if (fabs(z) <= thr)
        return 0;
    double bound = c->mean + (d > 0 ? thr : -thr) * c->std;
    return emit(t, TRAWL_ANOM_ZSCORE, d > 0 ? "outlier-high" : "outlier-low", t->x, c->mean, c->std,
                bound, z, "%.6g vs mean %.6g (std %.6g): z %.3g beyond %.3g (bound %.6g)", t->x,
                c->mean, c->std, z, thr, bound);
}

/* IQR fences; floor is the smallest IQR used (counts: 1). */
static int fences(ctx *t, trawl_anom_method method, double floor, const char *hi, const char *lo)
{
    const chan *c = t->c;
    double iqr = c->q3 - c->q1, k = t->m->p.iqr_k;
    double w = iqr > floor ? iqr : floor;
    double up = c->q3 + k * w, down = c->q1 - k * w;
    if (t->x > up)
        return emit(t, method, hi, t->x, c->q3, iqr, up, w > 0 ? (t->x - c->q3) / w : INFINITY,
                    "%.6g above the upper fence %.6g = Q3 %.6g + %.3g x IQR %.6g", t->x, up, c->q3,
                    k, w);
    if (t->x < down)
        return emit(t, method, lo, t->x, c->q1, iqr, down, w > 0 ? (t->x - c->q1) / w : -INFINITY,
                    "%.6g below the lower fence %.6g = Q1 %.6g - %.3g x IQR %.6g", t->x, down,
                    c->q1, k, w);
    return 0;
}

static int ewma(ctx *t)
{
    chan *c = t->c;
    if (!(c->std > 0))
        return 0;
    double lam = t->m->p.ewma_lambda;
    if (!c->ewma_set) {
        c->ewma = c->mean;
        c->ewma_set = true;
    }
    c->ewma = lam * t->x + (1 - lam) * c->ewma;
    double limit = t->m->p.ewma_l * c->std * sqrt(lam / (2 - lam));
    double d = c->ewma - c->mean;
    bool out = fabs(d) > limit;
    bool was = c->ewma_out;
    c->ewma_out = out;
    if (!out || was)
        return 0;
    double bound = c->mean + (d > 0 ? limit : -limit);
    return emit(
        t, TRAWL_ANOM_EWMA, d > 0 ? "level-shift-up" : "level-shift-down", c->ewma, c->mean, c->std,
        bound, d / c->std,
        "EWMA (lambda %.3g) %.6g left mean %.6g +- %.6g (%.3g std x sqrt(lambda/(2-lambda)))", lam,
        c->ewma, c->mean, limit, t->m->p.ewma_l);
}

static int cusum(ctx *t)
{
    chan *c = t->c;
    if (!(c->std > 0))
        return 0;
    double u = (t->x - c->mean) / c->std, k = t->m->p.cusum_k, h = t->m->p.cusum_h;
    c->cpos = fmax(0, c->cpos + u - k);
    c->cneg = fmax(0, c->cneg - u - k);
    int rc = 0;
    if (c->cpos > h) {
        double s = c->cpos;
        c->cpos = 0;
        rc =
            emit(t, TRAWL_ANOM_CUSUM, "level-shift-up", t->x, c->mean, c->std, c->mean + h * c->std,
                 s, "CUSUM S+ %.3g std above h %.3g (slack %.3g std) over mean %.6g, std %.6g", s,
                 h, k, c->mean, c->std);
    }
    if (!rc && c->cneg > h) {
        double s = c->cneg;
        c->cneg = 0;
        rc = emit(t, TRAWL_ANOM_CUSUM, "level-shift-down", t->x, c->mean, c->std,
                  c->mean - h * c->std, -s,
                  "CUSUM S- %.3g std above h %.3g (slack %.3g std) under mean %.6g, std %.6g", s, h,
                  k, c->mean, c->std);
    }
    return rc;
}

static bool seen(const chan *c, double x)
{
    for (uint32_t i = 0; i < c->n_vals; i++)
        if (c->vals[i] == x)
            return true;
    return false;
}

static int unseen(ctx *t, trawl_anom_method method, const char *what, const char *noun)
{
    const chan *c = t->c;
    char list[96];
    size_t k = 0;
    list[0] = 0;
    for (uint32_t i = 0; i < c->n_vals && k + 24 < sizeof(list); i++)
        k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%.6g", i ? ", " : "", c->vals[i]);
    if (k + 24 >= sizeof(list))
        snprintf(list + k, sizeof(list) - k, ", ...");
    return emit(t, method, what, t->x, NAN, 0, NAN, 0,
                "%s %.6g never seen in %llu baseline samples (%u seen: %s)", noun, t->x,
                (unsigned long long)c->n, c->n_vals, list);
}

/* Channels measured from messages judge only what the baseline never
 * showed: a value inside the baseline's [min, max] was seen before (the
 * capture's own pauses, lengths and field values are normal by definition).
 * Numeric series keep the plain statistical tests. */
static bool beyond_seen(const chan *c, double x)
{
    return c->role == ROLE_SERIES || x > c->max || x < c->min;
}

int trawl__anom_test(trawl_anom_model *m, chan *c, double time, uint64_t index, double x,
                     trawl_anomaly_fn cb, void *user)
{
    if (c->n < m->p.min_samples || !c->done ||
        (c->overflow || c->role <= ROLE_RATE ? !beyond_seen(c, x) : false))
        return 0;
    ctx t = {m, c, time, x, index, cb, user};
    int rc = 0;
    switch (c->role) {
    case ROLE_SERIES:
        if (!rc && on(m, TRAWL_ANOM_ZSCORE))
            rc = zscore(&t);
        if (!rc && on(m, TRAWL_ANOM_MZSCORE))
            rc = mzscore(&t, TRAWL_ANOM_MZSCORE, "outlier-high", "outlier-low", "");
        if (!rc && on(m, TRAWL_ANOM_IQR))
            rc = fences(&t, TRAWL_ANOM_IQR, 0, "outlier-high", "outlier-low");
        if (!rc && on(m, TRAWL_ANOM_EWMA))
            rc = ewma(&t);
        if (!rc && on(m, TRAWL_ANOM_CUSUM))
            rc = cusum(&t);
        return rc;
    case ROLE_IAT:
        return on(m, TRAWL_ANOM_TIMING) ? mzscore(&t, TRAWL_ANOM_TIMING, "delay", "early", " s")
                                        : 0;
    case ROLE_TYPE_IAT:
        return on(m, TRAWL_ANOM_TIMING)
                   ? mzscore(&t, TRAWL_ANOM_TIMING, "jitter-late", "jitter-early", " s")
                   : 0;
    case ROLE_RATE:
        return on(m, TRAWL_ANOM_RATE) ? fences(&t, TRAWL_ANOM_RATE, 1, "burst", "gap") : 0;
    case ROLE_TYPES:
    case ROLE_TRANS:
    case ROLE_LENGTH:
        if (!on(m, TRAWL_ANOM_SEQUENCE))
            return 0;
        if (!c->overflow)
            return seen(c, x) ? 0
                              : unseen(&t, TRAWL_ANOM_SEQUENCE,
                                       c->role == ROLE_TYPES   ? "unseen-type"
                                       : c->role == ROLE_TRANS ? "unseen-transition"
                                                               : "unseen-length",
                                       c->role == ROLE_TYPES   ? "message type"
                                       : c->role == ROLE_TRANS ? "transition"
                                                               : "length");
        return c->role == ROLE_LENGTH
                   ? fences(&t, TRAWL_ANOM_SEQUENCE, 1, "length-outlier", "length-outlier")
                   : 0;
    case ROLE_FIELD:
        if (!on(m, TRAWL_ANOM_VALUE))
            return 0;
        if (!c->overflow)
            return seen(c, x) ? 0 : unseen(&t, TRAWL_ANOM_VALUE, "unseen-value", "value");
        rc = mzscore(&t, TRAWL_ANOM_VALUE, "outlier-high", "outlier-low", "");
        return rc ? rc : fences(&t, TRAWL_ANOM_VALUE, 0, "outlier-high", "outlier-low");
    default:
        return 0;
    }
}
