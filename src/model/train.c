/* train.c -- training: mini-batch Adam on the log loss (or the distillation
 * loss), several threads, the same bytes whatever their number.
 *
 * Why the result does not depend on the threads: a step has two parallel
 * phases. (1) Rows: each thread runs the forward pass of its share of the
 * batch's rows and keeps, per row, dz and dz/d(pre) in the row's own slot.
 * (2) Buckets: each thread owns a fixed range of the table's rows and, for
 * every row of the batch in batch order, adds that row's gradient to the
 * buckets of its range, then applies Adam to the buckets it touched. Each
 * bucket's gradient is summed in batch order by exactly one thread, so the
 * floating-point sums are the same for 1 or 64 threads. The small dense
 * parameters are reduced by the caller's thread in batch order.
 *
 * Adam on the table is lazy (only rows a batch touched move; each row has
 * its own step count), as in sparse embedding training. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "model/train_int.h"

void trawl_model_train_defaults(trawl_model_train_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->kind = TRAWL_MODEL_MLP;
    o->hidden = 16;
    o->epochs = 12;
    o->batch = 32;
    o->threads = 2;
    o->lr = 0.002;
    o->l2 = 1e-6;
    o->seed = 20261123u;
    o->min_words = 3;
    o->target_fpr = 0.005;
    o->temperature = 1;
    o->alpha = 1;
}

/* ---- threads ----------------------------------------------------------------- */

typedef struct par_arg {
    void (*fn)(void *, unsigned, unsigned);
    void *ctx;
    unsigned t, n;
} par_arg;

static void *par_main(void *a)
{
    par_arg *p = a;
    p->fn(p->ctx, p->t, p->n);
    return NULL;
}

void trawl__tm_parallel(void (*fn)(void *ctx, unsigned t, unsigned threads), void *ctx,
                        unsigned threads)
{
    pthread_t tid[64];
    par_arg arg[64];
    bool started[64] = {false};
    if (threads > 64)
        threads = 64;
    for (unsigned t = 1; t < threads; t++) {
        arg[t] = (par_arg){fn, ctx, t, threads};
        started[t] = pthread_create(&tid[t], NULL, par_main, &arg[t]) == 0;
    }
    fn(ctx, 0, threads ? threads : 1);
    for (unsigned t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(ctx, t, threads);
    }
}

/* ---- the trainer ---------------------------------------------------------------- */

typedef struct trainer {
    const trawl_model_dataset *d;
    const trawl_model_train_opts *o;
    tm_params p;
    unsigned h, nd;
    /* Adam */
    float *mE, *vE;
    uint32_t *tE;
    float *mD, *vD; /* the dense parameters, flattened: Wd, b1, w2, b2 */
    uint32_t tD;
    /* the batch */
    const size_t *rows;
    size_t nb;
    float *ga; /* nb x H: dz/d(pre) */
    float *hh; /* nb x H: hidden activations */
    float *gz; /* nb */
    double loss;
    /* phase 2 */
    float *G;
    uint32_t *stamp, step;
    unsigned threads;
} trainer;

static uint64_t rng_next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double urand(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Forward pass of one row with the float parameters: a[] pre-activations,
 * h[] activations; returns z. */
static double forward(const tm_params *p, const tm_row *r, float *a, float *hout)
{
    unsigned h = p->hidden;
    for (unsigned k = 0; k < h; k++)
        a[k] = p->b1[k];
    for (uint32_t i = 0; i < r->nf; i++) {
        const float *e = p->E + (size_t)r->b[i] * h;
        float w = r->w[i];
        for (unsigned k = 0; k < h; k++)
            a[k] += w * e[k];
    }
    for (unsigned j = 0; j < p->n_dense; j++)
        if (r->dense[j] != 0)
            for (unsigned k = 0; k < h; k++)
                a[k] += r->dense[j] * p->Wd[(size_t)j * h + k];
    if (p->kind == TRAWL_MODEL_LINEAR) {
        hout[0] = a[0];
        return a[0];
    }
    double z = p->b2;
    for (unsigned k = 0; k < h; k++) {
        hout[k] = a[k] > 0 ? a[k] : 0;
        z += (double)hout[k] * p->w2[k];
    }
    return z;
}

static void phase_rows(void *ctx, unsigned t, unsigned threads)
{
    trainer *tr = ctx;
    const trawl_model_train_opts *o = tr->o;
    unsigned h = tr->h;
    float a[TRAWL_MODEL_MAX_HIDDEN];
    for (size_t i = t; i < tr->nb; i += threads) {
        size_t ri = tr->rows[i];
        const tm_row *r = &tr->d->r[ri];
        double z = forward(&tr->p, r, a, tr->hh + i * h);
        double q = tm_sigmoid(z), g = q - r->label;
        if (o->teacher_logits) {
            double T = o->temperature;
            double soft = tm_sigmoid(o->teacher_logits[ri] / T);
            g = o->alpha * g + (1 - o->alpha) * T * (tm_sigmoid(z / T) - soft);
        }
        tr->gz[i] = (float)g;
        for (unsigned k = 0; k < h; k++)
            tr->ga[i * h + k] = tr->p.kind == TRAWL_MODEL_LINEAR ? (float)g
                                : a[k] > 0                       ? (float)g * tr->p.w2[k]
                                                                 : 0;
    }
}

static void adam(float *w, float *m, float *v, float g, uint32_t t, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    *m = (float)(b1 * *m + (1 - b1) * g);
    *v = (float)(b2 * *v + (1 - b2) * (double)g * g);
    double c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t);
    *w -= (float)(lr * (*m / c1) / (sqrt(*v / c2) + eps));
}

static void phase_buckets(void *ctx, unsigned t, unsigned threads)
{
    trainer *tr = ctx;
    unsigned h = tr->h;
    uint32_t B = tr->p.f.buckets;
    uint32_t lo = (uint32_t)((uint64_t)B * t / threads),
             hi = (uint32_t)((uint64_t)B * (t + 1) / threads);
    float inv = 1.0f / (float)tr->nb;
    for (size_t i = 0; i < tr->nb; i++) {
        const tm_row *r = &tr->d->r[tr->rows[i]];
        const float *ga = tr->ga + i * h;
        for (uint32_t f = 0; f < r->nf; f++) {
            uint32_t b = r->b[f];
            if (b < lo || b >= hi)
                continue;
            float *G = tr->G + (size_t)b * h;
            if (tr->stamp[b] != tr->step) {
                tr->stamp[b] = tr->step;
                memset(G, 0, h * sizeof(float));
            }
            for (unsigned k = 0; k < h; k++)
                G[k] += r->w[f] * ga[k];
        }
    }
    for (uint32_t b = lo; b < hi; b++) {
        if (tr->stamp[b] != tr->step)
            continue;
        uint32_t st = ++tr->tE[b];
        for (unsigned k = 0; k < h; k++) {
            size_t x = (size_t)b * h + k;
            float g = tr->G[x] * inv + (float)tr->o->l2 * tr->p.E[x];
            adam(&tr->p.E[x], &tr->mE[x], &tr->vE[x], g, st, tr->o->lr);
        }
    }
}

static void step_dense(trainer *tr)
{
    unsigned h = tr->h, nd = tr->nd;
    size_t nw = (size_t)nd * h, n = nw + 2u * h + 1;
    float *g = calloc(n, sizeof(float));
    if (!g)
        return;
    for (size_t i = 0; i < tr->nb; i++) {
        const tm_row *r = &tr->d->r[tr->rows[i]];
        const float *ga = tr->ga + i * h;
        for (unsigned j = 0; j < nd; j++)
            if (r->dense[j] != 0)
                for (unsigned k = 0; k < h; k++)
                    g[(size_t)j * h + k] += r->dense[j] * ga[k];
        for (unsigned k = 0; k < h; k++) {
            g[nw + k] += ga[k];
            g[nw + h + k] += tr->gz[i] * tr->hh[i * h + k];
        }
        g[nw + 2u * h] += tr->gz[i];
    }
    tr->tD++;
    float inv = 1.0f / (float)tr->nb;
    for (size_t x = 0; x < n; x++) {
        float *w = x < nw            ? &tr->p.Wd[x]
                   : x < nw + h      ? &tr->p.b1[x - nw]
                   : x < nw + 2u * h ? &tr->p.w2[x - nw - h]
                                     : &tr->p.b2;
        if (tr->p.kind == TRAWL_MODEL_LINEAR && x >= nw + h)
            continue; /* a linear model has no output layer */
        float gx = g[x] * inv + (x < nw ? (float)tr->o->l2 * *w : 0);
        adam(w, &tr->mD[x], &tr->vD[x], gx, tr->tD, tr->o->lr);
    }
    free(g);
}

/* ---- validation --------------------------------------------------------------- */

typedef struct val_ctx {
    const tm_params *p;
    const trawl_model_dataset *d;
    double *z;
} val_ctx;

static void val_rows(void *ctx, unsigned t, unsigned threads)
{
    val_ctx *v = ctx;
    float a[TRAWL_MODEL_MAX_HIDDEN], hh[TRAWL_MODEL_MAX_HIDDEN];
    for (size_t i = t; i < v->d->n; i += threads)
        v->z[i] = forward(v->p, &v->d->r[i], a, hh);
}

/* A dense feature that is >= 0.5 on some benign row of the training data
 * (fit or validation rows) gets TRAWL_MODEL_DENSE_BENIGN_SEEN, stored with
 * its name: a user of the model may trust a signal the data never showed
 * on benign text (the prompt detector keeps such rules' verdicts). */
static void mark_benign_seen(tm_params *p, const trawl_model_dataset *a,
                             const trawl_model_dataset *b)
{
    for (unsigned j = 0; j < p->n_dense; j++) {
        uint8_t fl = 0;
        for (int k = 0; k < 2; k++) {
            const trawl_model_dataset *d = k ? b : a;
            for (size_t i = 0; d && i < d->n && !fl; i++)
                if (!d->r[i].label && d->r[i].dense[j] >= 0.5f)
                    fl = TRAWL_MODEL_DENSE_BENIGN_SEEN;
        }
        p->flags[j] = fl;
    }
}

static double log_loss(const double *z, const trawl_model_dataset *d, unsigned min_words, double a,
                       double b)
{
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->r[i].words < min_words)
            continue;
        double q = tm_sigmoid(a * z[i] + b);
        s -= log(d->r[i].label ? fmax(q, 1e-12) : fmax(1 - q, 1e-12));
        n++;
    }
    return n ? s / (double)n : 0;
}

/* Platt scaling: a, b minimising the log loss of sigmoid(a z + b) against
 * Platt's smoothed targets, by Newton's method on the two parameters. */
static void platt(const double *z, const trawl_model_dataset *d, unsigned min_words, double *pa,
                  double *pb)
{
    size_t np = 0, nn = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->r[i].words >= min_words)
            d->r[i].label ? np++ : nn++;
    double tp = (np + 1.0) / (np + 2.0), tn = 1.0 / (nn + 2.0), a = 1, b = 0;
    for (int it = 0; it < 100; it++) {
        double g1 = 0, g2 = 0, h11 = 1e-9, h12 = 0, h22 = 1e-9;
        for (size_t i = 0; i < d->n; i++) {
            if (d->r[i].words < min_words)
                continue;
            double q = tm_sigmoid(a * z[i] + b), t = d->r[i].label ? tp : tn, w = q * (1 - q);
            g1 += (q - t) * z[i];
            g2 += q - t;
            h11 += w * z[i] * z[i];
            h12 += w * z[i];
            h22 += w;
        }
        double det = h11 * h22 - h12 * h12;
        if (!(fabs(det) > 1e-18))
            break;
        double da = (h22 * g1 - h12 * g2) / det, db = (h11 * g2 - h12 * g1) / det;
        a -= da;
        b -= db;
        if (a < 1e-3)
            a = 1e-3;
        if (fabs(da) < 1e-10 && fabs(db) < 1e-10)
            break;
    }
    *pa = a;
    *pb = b;
}

/* ---- the whole ----------------------------------------------------------------- */

static void trainer_free(trainer *tr)
{
    trawl__tm_params_free(&tr->p);
    free(tr->mE), free(tr->vE), free(tr->tE), free(tr->mD), free(tr->vD);
    free(tr->ga), free(tr->hh), free(tr->gz), free(tr->G), free(tr->stamp);
}

static int trainer_init(trainer *tr, const trawl_model_dataset *d, const trawl_model_train_opts *o)
{
    memset(tr, 0, sizeof(*tr));
    tr->d = d;
    tr->o = o;
    tr->h = o->kind == TRAWL_MODEL_LINEAR ? 1 : o->hidden;
    tr->nd = d->nd;
    tr->threads = o->threads < 1 ? 1 : o->threads > 64 ? 64 : o->threads;
    tm_params *p = &tr->p;
    p->f = d->f;
    p->kind = o->kind;
    p->hidden = tr->h;
    p->n_dense = d->nd;
    p->min_words = o->min_words;
    if (trawl__tm_params_alloc(p))
        return -1;
    memcpy(p->names, d->names, d->nd * sizeof(*p->names));
    size_t ne = (size_t)p->f.buckets * tr->h, nD = (size_t)d->nd * tr->h + 2u * tr->h + 1;
    tr->mE = calloc(ne, sizeof(float));
    tr->vE = calloc(ne, sizeof(float));
    tr->tE = calloc(p->f.buckets, sizeof(uint32_t));
    tr->mD = calloc(nD, sizeof(float));
    tr->vD = calloc(nD, sizeof(float));
    size_t bs = o->batch ? o->batch : 32;
    tr->ga = calloc(bs * tr->h, sizeof(float));
    tr->hh = calloc(bs * tr->h, sizeof(float));
    tr->gz = calloc(bs, sizeof(float));
    tr->G = calloc(ne, sizeof(float));
    tr->stamp = calloc(p->f.buckets, sizeof(uint32_t));
    if (!tr->mE || !tr->vE || !tr->tE || !tr->mD || !tr->vD || !tr->ga || !tr->hh || !tr->gz ||
        !tr->G || !tr->stamp)
        return -1;
    uint64_t s = o->seed;
    if (o->kind == TRAWL_MODEL_MLP) {
        for (size_t i = 0; i < ne; i++)
            p->E[i] = (float)((urand(&s) * 2 - 1) * 0.1);
        for (size_t i = 0; i < (size_t)d->nd * tr->h; i++)
            p->Wd[i] = (float)((urand(&s) * 2 - 1) * 0.1);
        for (unsigned k = 0; k < tr->h; k++) {
            p->b1[k] = 0.1f;
            p->w2[k] = (float)((urand(&s) * 2 - 1) * sqrt(6.0 / tr->h));
        }
    }
    return 0;
}

static void shuffle(size_t *v, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(urand(s) * (double)i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

trawl_status trawl_model_train(const trawl_model_dataset *train, const trawl_model_dataset *val,
                               const trawl_model_train_opts *o, uint8_t **file, size_t *len,
                               trawl_model_train_report *rep, trawl_error *err)
{
    trawl_error_clear(err);
    *file = NULL;
    *len = 0;
    if (!train || !val || !o || train->nd != val->nd ||
        memcmp(&train->f, &val->f, sizeof train->f) ||
        (o->kind == TRAWL_MODEL_MLP && (o->hidden < 1 || o->hidden > TRAWL_MODEL_MAX_HIDDEN)) ||
        !(o->lr > 0) || !(o->l2 >= 0) || !(o->target_fpr >= 0 && o->target_fpr < 1) ||
        (o->teacher_logits && !(o->temperature > 0 && o->alpha >= 0 && o->alpha <= 1)))
        return trawl__fail(err, TRAWL_EINVAL, "invalid training options");
    trainer tr;
    tm_params best = {0};
    size_t *order = malloc((train->n + 1) * sizeof(size_t));
    double *z = malloc((val->n + 1) * sizeof(double));
    best.f = train->f;
    best.hidden = o->kind == TRAWL_MODEL_LINEAR ? 1 : o->hidden;
    best.n_dense = train->nd;
    if (trainer_init(&tr, train, o) || !order || !z || trawl__tm_params_alloc(&best)) {
        trainer_free(&tr);
        trawl__tm_params_free(&best);
        free(order), free(z);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    size_t nfit = 0;
    for (size_t i = 0; i < train->n; i++)
        if (train->r[i].words >= o->min_words)
            order[nfit++] = i;
    uint64_t s = o->seed ^ 0x5851f42d4c957f2dull;
    double best_loss = INFINITY;
    unsigned best_ep = 0, bs = o->batch ? o->batch : 32;
    size_t ne = (size_t)train->f.buckets * tr.h;
    for (unsigned ep = 1; ep <= o->epochs; ep++) {
        shuffle(order, nfit, &s);
        for (size_t at = 0; at < nfit; at += bs) {
            tr.rows = order + at;
            tr.nb = nfit - at < bs ? nfit - at : bs;
            tr.step++;
            trawl__tm_parallel(phase_rows, &tr, tr.threads);
            trawl__tm_parallel(phase_buckets, &tr, tr.threads);
            step_dense(&tr);
        }
        val_ctx vc = {&tr.p, val, z};
        trawl__tm_parallel(val_rows, &vc, tr.threads);
        double l = log_loss(z, val, o->min_words, 1, 0);
        if (l < best_loss) {
            best_loss = l;
            best_ep = ep;
            memcpy(best.E, tr.p.E, ne * sizeof(float));
            memcpy(best.Wd, tr.p.Wd, (size_t)train->nd * tr.h * sizeof(float));
            memcpy(best.b1, tr.p.b1, tr.h * sizeof(float));
            memcpy(best.w2, tr.p.w2, tr.h * sizeof(float));
            best.b2 = tr.p.b2;
        }
    }
    best.kind = o->kind;
    best.min_words = o->min_words;
    memcpy(best.names, train->names, train->nd * sizeof(*best.names));
    mark_benign_seen(&best, train, val);
    snprintf(best.name, sizeof best.name, "%s", o->name ? o->name : "model");
    val_ctx vc = {&best, val, z};
    trawl__tm_parallel(val_rows, &vc, tr.threads);
    double a, b;
    platt(z, val, o->min_words, &a, &b);
    best.platt_a = (float)a;
    best.platt_b = (float)b;
    double *pv = malloc((val->n + 1) * sizeof(double));
    int *yv = malloc((val->n + 1) * sizeof(int));
    size_t nv = 0;
    for (size_t i = 0; pv && yv && i < val->n; i++) {
        pv[nv] = val->r[i].words < o->min_words ? 0 : tm_sigmoid(a * z[i] + b);
        yv[nv++] = val->r[i].label;
    }
    best.threshold =
        pv && yv ? (float)trawl_model_threshold_for_fpr(pv, yv, nv, o->target_fpr, 0.5) : 0.5f;
    if (rep) {
        rep->best_epoch = best_ep;
        rep->val_loss = best_loss;
        rep->val_loss_calibrated = log_loss(z, val, o->min_words, a, b);
    }
    int w = trawl__tm_write(&best, TRAWL_MODEL_F32, NULL, file, len);
    free(pv), free(yv);
    trainer_free(&tr);
    trawl__tm_params_free(&best);
    free(order), free(z);
    return w ? trawl__fail(err, TRAWL_ENOMEM, "out of memory") : TRAWL_OK;
}

/* ---- logits of a loaded model on a dataset -------------------------------------- */

typedef struct logit_ctx {
    const trawl_model *m;
    const trawl_model_dataset *d;
    double *z;
    bool *abstain;
} logit_ctx;

static void logit_rows(void *ctx, unsigned t, unsigned threads)
{
    logit_ctx *c = ctx;
    float pre[TRAWL_MODEL_MAX_HIDDEN];
    for (size_t i = t; i < c->d->n; i += threads) {
        const tm_row *r = &c->d->r[i];
        size_t words = trawl_model_pool(c->m, r->text, r->len, pre);
        bool ab = words < c->m->info.min_words;
        c->z[i] = ab ? 0 : trawl_model_logit(c->m, pre, r->dense);
        if (c->abstain)
            c->abstain[i] = ab;
    }
}

trawl_status trawl_model_logits(const trawl_model *m, const trawl_model_dataset *d,
                                unsigned threads, double *z, bool *abstain, trawl_error *err)
{
    trawl_error_clear(err);
    if (!m || !d || !z)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    if (d->nd != m->info.n_dense || memcmp(&d->f, &m->info.feat, sizeof d->f))
        return trawl__fail(err, TRAWL_EINVAL,
                           "the dataset's features do not match the model's (%u vs %u dense)",
                           d->nd, m->info.n_dense);
    logit_ctx c = {m, d, z, abstain};
    trawl__tm_parallel(logit_rows, &c, threads < 1 ? 1 : threads);
    return TRAWL_OK;
}
