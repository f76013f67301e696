/* train_pi_model.c -- trains the tier-2 prompt-injection classifier
 * (src/detect/prompt_injection/pi_model.h) and writes models/prompt_injection.tmodel.
 *
 *   train_pi_model TRAIN.jsonl DEV.jsonl OUT.tmodel
 *
 * Rows are {"text": ..., "label": 0|1}. Every text goes through the
 * detector's own normaliser (normalize.h), so training sees exactly the
 * bytes inference sees. One row in ten of TRAIN is held out (validation):
 * it picks the epoch and the threshold; DEV is only reported, never used to
 * choose anything. A logistic regression over the same features is trained
 * too, as the baseline the network has to beat on validation.
 *
 * Deterministic: a fixed seed drives initialisation and shuffling, and the
 * arithmetic is single-threaded, so a rerun writes the same bytes.
 *
 * Not part of the library or of `make check`: `make model` runs it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <trawl/detect.h>

#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/pi_model.h"

#define BUCKETS (1u << 14)
#define DIM     32
#define HIDDEN  16
#define EPOCHS  12
/* Learning rates and L2 penalties, each picked among a few by validation
 * log loss (docs/detect-prompt_injection.md lists the runs). */
#define LR        0.001
#define L2        1e-4
#define LR_LINEAR 0.05
#define L2_LINEAR 1e-6
#define SEED      20261123u
#define VAL_EVERY 10
#define MIN_WORDS 4    /* the model abstains under it (pi_model.h says why) */
#define MAX_FPR   0.01 /* benign rows of validation flagged at the threshold */

typedef struct feat {
    uint32_t b;
    float w; /* occurrences / features in the text */
} feat;

typedef struct row {
    feat *f;
    uint32_t nf;
    int label;
    char *text; /* raw, for the tier-1 comparison */
    size_t len;
    uint8_t *norm;
    size_t nlen;
} row;

typedef struct set {
    row *r;
    size_t n, cap;
} set;

static uint64_t rng = SEED;
static double urand(void) /* xorshift64*, in [0, 1) */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

/* ---- data ----------------------------------------------------------------- */

typedef struct collect {
    uint32_t *v;
    size_t n, cap;
} collect;

static void on_feat(uint32_t b, void *ud)
{
    collect *c = ud;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = realloc(c->v, c->cap * sizeof(*c->v));
        if (!c->v) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
    c->v[c->n++] = b;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static const pi_feat_cfg FEATS = {.buckets = BUCKETS, .char_min = 3, .char_max = 5, .word_max = 2};

static void featurize(row *r, pi_text *norm, collect *c)
{
    pi_norm_stats st = {.first_invisible = -1};
    if (pi_normalize(norm, (const uint8_t *)r->text, r->len, 0, NULL, &st, r->len) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    r->nlen = norm->len;
    r->norm = malloc(norm->len + 1);
    memcpy(r->norm, norm->s, norm->len);
    c->n = 0;
    size_t total = pi_model_features(&FEATS, norm->s, norm->len, on_feat, c);
    qsort(c->v, c->n, sizeof(*c->v), cmp_u32);
    r->f = malloc((c->n + 1) * sizeof(*r->f));
    r->nf = 0;
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        while (j < c->n && c->v[j] == c->v[i])
            j++;
        r->f[r->nf++] = (feat){c->v[i], (float)(j - i) / (float)total};
        i = j;
    }
}

static void load(const char *path, set *s, pi_text *norm, collect *c)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        exit(2);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, fp)) > 0) {
        lineno++;
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "label");
        if (!cJSON_IsString(t) || !cJSON_IsNumber(l)) {
            fprintf(stderr, "%s:%ld: expected {\"text\": string, \"label\": 0|1}\n", path, lineno);
            exit(2);
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->r = realloc(s->r, s->cap * sizeof(*s->r));
        }
        row *r = &s->r[s->n++];
        memset(r, 0, sizeof(*r));
        r->label = l->valueint != 0;
        r->len = strlen(t->valuestring);
        r->text = strdup(t->valuestring);
        featurize(r, norm, c);
        cJSON_Delete(o);
    }
    free(line);
    fclose(fp);
}

/* ---- Adam ------------------------------------------------------------------- */

typedef struct adam {
    double lr, l2;
    float *m, *v;
    uint32_t *t; /* per row (lazy updates) or one step count */
} adam;

static void adam_init(adam *a, size_t n, size_t rows, double lr, double l2)
{
    a->lr = lr;
    a->l2 = l2;
    a->m = calloc(n, sizeof(float));
    a->v = calloc(n, sizeof(float));
    a->t = calloc(rows, sizeof(uint32_t));
}

static void adam_step(adam *a, float *w, const float *g, size_t off, size_t n, size_t slot)
{
    uint32_t t = ++a->t[slot];
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + (float)a->l2 * w[off + i];
        a->m[off + i] = (float)(b1 * a->m[off + i] + (1 - b1) * gi);
        a->v[off + i] = (float)(b2 * a->v[off + i] + (1 - b2) * gi * gi);
        w[off + i] -= (float)(a->lr * (a->m[off + i] / c1) / (sqrt(a->v[off + i] / c2) + eps));
    }
}

/* ---- the network -------------------------------------------------------------- */

typedef struct net {
    pi_model_float p;
    adam ae, a1, ab1, a2, ab2;
} net;

static void net_init(net *n)
{
    pi_model_float *p = &n->p;
    memset(n, 0, sizeof(*n));
    p->f = FEATS;
    p->dim = DIM;
    p->hidden = HIDDEN;
    p->emb = malloc((size_t)BUCKETS * DIM * sizeof(float));
    p->w1 = malloc(HIDDEN * DIM * sizeof(float));
    p->b1 = calloc(HIDDEN, sizeof(float));
    p->w2 = malloc(HIDDEN * sizeof(float));
    for (size_t i = 0; i < (size_t)BUCKETS * DIM; i++)
        p->emb[i] = (float)((urand() * 2 - 1) * 0.1);
    for (size_t i = 0; i < HIDDEN * DIM; i++)
        p->w1[i] = (float)((urand() * 2 - 1) * sqrt(6.0 / DIM));
    for (size_t i = 0; i < HIDDEN; i++)
        p->w2[i] = (float)((urand() * 2 - 1) * sqrt(6.0 / HIDDEN));
    adam_init(&n->ae, (size_t)BUCKETS * DIM, BUCKETS, LR, L2);
    adam_init(&n->a1, HIDDEN * DIM, 1, LR, L2);
    adam_init(&n->ab1, HIDDEN, 1, LR, L2);
    adam_init(&n->a2, HIDDEN, 1, LR, L2);
    adam_init(&n->ab2, 1, 1, LR, L2);
}

static double forward(const pi_model_float *p, const row *r, float *x, float *h)
{
    memset(x, 0, DIM * sizeof(float));
    for (uint32_t i = 0; i < r->nf; i++) {
        const float *e = p->emb + (size_t)r->f[i].b * DIM;
        for (int d = 0; d < DIM; d++)
            x[d] += r->f[i].w * e[d];
    }
    double z = p->b2;
    for (int k = 0; k < HIDDEN; k++) {
        double a = p->b1[k];
        for (int d = 0; d < DIM; d++)
            a += p->w1[k * DIM + d] * x[d];
        h[k] = a > 0 ? (float)a : 0;
        z += p->w2[k] * h[k];
    }
    return 1 / (1 + exp(-z));
}

static void train_step(net *n, const row *r)
{
    pi_model_float *p = &n->p;
    float x[DIM], h[HIDDEN], gx[DIM] = {0}, gw1[HIDDEN * DIM], gb1[HIDDEN], gw2[HIDDEN];
    double prob = forward(p, r, x, h);
    float gz = (float)(prob - r->label); /* d(log loss)/dz */
    for (int k = 0; k < HIDDEN; k++) {
        gw2[k] = gz * h[k];
        float gh = h[k] > 0 ? gz * p->w2[k] : 0;
        gb1[k] = gh;
        for (int d = 0; d < DIM; d++) {
            gw1[k * DIM + d] = gh * x[d];
            gx[d] += gh * p->w1[k * DIM + d];
        }
    }
    float ge[DIM];
    for (uint32_t i = 0; i < r->nf; i++) {
        for (int d = 0; d < DIM; d++)
            ge[d] = r->f[i].w * gx[d];
        adam_step(&n->ae, p->emb, ge, (size_t)r->f[i].b * DIM, DIM, r->f[i].b);
    }
    adam_step(&n->a1, p->w1, gw1, 0, HIDDEN * DIM, 0);
    adam_step(&n->ab1, p->b1, gb1, 0, HIDDEN, 0);
    adam_step(&n->a2, p->w2, gw2, 0, HIDDEN, 0);
    adam_step(&n->ab2, &p->b2, &gz, 0, 1, 0);
}

/* ---- logistic regression baseline (same features, mean-pooled) ------------------- */

typedef struct lr {
    float *w, b;
    adam aw, ab;
} lr;

static double lr_prob(const lr *m, const row *r)
{
    double z = m->b;
    for (uint32_t i = 0; i < r->nf; i++)
        z += r->f[i].w * m->w[r->f[i].b];
    return 1 / (1 + exp(-z));
}

static void lr_step(lr *m, const row *r)
{
    float gz = (float)(lr_prob(m, r) - r->label);
    for (uint32_t i = 0; i < r->nf; i++) {
        float g = gz * r->f[i].w;
        adam_step(&m->aw, m->w, &g, r->f[i].b, 1, r->f[i].b);
    }
    adam_step(&m->ab, &m->b, &gz, 0, 1, 0);
}

/* ---- evaluation ----------------------------------------------------------------- */

typedef struct rates {
    size_t tp, fp, pos, neg;
    double loss;
} rates;

static rates measure(const double *p, const set *s, const size_t *idx, size_t n, double thr)
{
    rates r = {0};
    for (size_t i = 0; i < n; i++) {
        const row *w = &s->r[idx ? idx[i] : i];
        double q = p[idx ? idx[i] : i];
        r.loss -= log(w->label ? fmax(q, 1e-12) : fmax(1 - q, 1e-12));
        if (w->label) {
            r.pos++;
            r.tp += q >= thr;
        } else {
            r.neg++;
            r.fp += q >= thr;
        }
    }
    r.loss /= (double)(n ? n : 1);
    return r;
}

static void print_rates(const char *what, rates r)
{
    double prec = r.tp + r.fp ? (double)r.tp / (double)(r.tp + r.fp) : 0;
    printf("  %-34s benign flagged %zu/%zu = %.2f%%  recall %zu/%zu = %.1f%%  precision %.1f%%\n",
           what, r.fp, r.neg, 100.0 * (double)r.fp / (double)r.neg, r.tp, r.pos,
           100.0 * (double)r.tp / (double)r.pos, 100 * prec);
}

/* The lowest threshold >= 0.5 at which at most MAX_FPR of the benign rows
 * of validation are flagged (0.5: a model violation must be able to flag,
 * which the detector counts from 0.5). */
static double pick_threshold(const double *p, const set *s, const size_t *idx, size_t n)
{
    double *neg = malloc(n * sizeof(double));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!s->r[idx[i]].label)
            neg[k++] = p[idx[i]];
    for (size_t i = 1; i < k; i++) /* insertion sort, descending: k is small */
        for (size_t j = i; j > 0 && neg[j] > neg[j - 1]; j--) {
            double t = neg[j];
            neg[j] = neg[j - 1];
            neg[j - 1] = t;
        }
    size_t allowed = (size_t)floor(MAX_FPR * (double)k);
    double thr = allowed < k ? neg[allowed] + 1e-6 : 0.5;
    free(neg);
    return thr < 0.5 ? 0.5 : thr > 0.99 ? 0.99 : thr;
}

static void shuffle(size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(urand() * (double)i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static double *tier1_scores(const set *s)
{
    static const char cfg[] = "[prompt_injection]\nmodel = false\n";
    trawl_detect_engine *e = NULL;
    trawl_detect_ctx *c = NULL;
    trawl_error err;
    if (trawl_detect_engine_new(cfg, sizeof cfg - 1, &e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK) {
        fprintf(stderr, "tier 1: %s\n", err.message);
        exit(2);
    }
    double *out = calloc(s->n, sizeof(double));
    for (size_t i = 0; i < s->n; i++) {
        trawl_detect_input in = {.prompt = s->r[i].text, .prompt_len = s->r[i].len};
        trawl_detect_report *rep = NULL;
        if (trawl_detect_run(e, c, &in, TRAWL_DET_PROMPT_INJECTION, &rep, &err) != TRAWL_OK) {
            fprintf(stderr, "tier 1: %s\n", err.message);
            exit(2);
        }
        out[i] = rep->threat_score;
        trawl_detect_report_free(rep);
    }
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: train_pi_model TRAIN.jsonl DEV.jsonl OUT.tmodel\n");
        return 2;
    }
    set tr = {0}, dev = {0};
    pi_text norm = {0};
    collect c = {0};
    load(argv[1], &tr, &norm, &c);
    load(argv[2], &dev, &norm, &c);
    size_t *fit = malloc(tr.n * sizeof(size_t)), *val = malloc(tr.n * sizeof(size_t));
    size_t nfit = 0, nval = 0;
    for (size_t i = 0; i < tr.n; i++) {
        if (pi_model_words(tr.r[i].norm, tr.r[i].nlen) < MIN_WORDS)
            continue; /* the model abstains there: nothing to learn */
        if (i % VAL_EVERY == 0)
            val[nval++] = i;
        else
            fit[nfit++] = i;
    }
    printf("train %zu rows (fit %zu, validation %zu, %zu under %d words left out), dev %zu rows; "
           "%u buckets, D=%d, H=%d\n",
           tr.n, nfit, nval, tr.n - nfit - nval, MIN_WORDS, dev.n, BUCKETS, DIM, HIDDEN);
    double *ptr = malloc(tr.n * sizeof(double)), *pdev = malloc(dev.n * sizeof(double));
    float x[DIM], h[HIDDEN];

    /* baseline: logistic regression, best epoch by validation log loss */
    lr m = {.w = calloc(BUCKETS, sizeof(float))};
    adam_init(&m.aw, BUCKETS, BUCKETS, LR_LINEAR, L2_LINEAR);
    adam_init(&m.ab, 1, 1, LR_LINEAR, L2_LINEAR);
    double best_lr = INFINITY;
    rates lr_val = {0}, lr_dev = {0};
    double lr_thr = 0.5;
    for (int ep = 1; ep <= EPOCHS; ep++) {
        shuffle(fit, nfit);
        for (size_t i = 0; i < nfit; i++)
            lr_step(&m, &tr.r[fit[i]]);
        for (size_t i = 0; i < nval; i++)
            ptr[val[i]] = lr_prob(&m, &tr.r[val[i]]);
        rates v = measure(ptr, &tr, val, nval, 0.5);
        if (v.loss < best_lr) {
            best_lr = v.loss;
            lr_thr = pick_threshold(ptr, &tr, val, nval);
            lr_val = measure(ptr, &tr, val, nval, lr_thr);
            for (size_t i = 0; i < dev.n; i++) /* abstaining as the network does */
                pdev[i] = pi_model_words(dev.r[i].norm, dev.r[i].nlen) < MIN_WORDS
                              ? 0
                              : lr_prob(&m, &dev.r[i]);
            lr_dev = measure(pdev, &dev, NULL, dev.n, lr_thr);
        }
    }

    /* the network: best epoch by validation log loss, kept as a copy */
    net n;
    net_init(&n);
    size_t ne = (size_t)BUCKETS * DIM;
    pi_model_float best = n.p;
    best.emb = malloc(ne * sizeof(float));
    best.w1 = malloc(HIDDEN * DIM * sizeof(float));
    best.b1 = malloc(HIDDEN * sizeof(float));
    best.w2 = malloc(HIDDEN * sizeof(float));
    double best_loss = INFINITY;
    int best_ep = 0;
    for (int ep = 1; ep <= EPOCHS; ep++) {
        shuffle(fit, nfit);
        for (size_t i = 0; i < nfit; i++)
            train_step(&n, &tr.r[fit[i]]);
        for (size_t i = 0; i < nval; i++)
            ptr[val[i]] = forward(&n.p, &tr.r[val[i]], x, h);
        rates v = measure(ptr, &tr, val, nval, 0.5);
        printf("  epoch %2d: validation log loss %.4f\n", ep, v.loss);
        if (v.loss < best_loss) {
            best_loss = v.loss;
            best_ep = ep;
            memcpy(best.emb, n.p.emb, ne * sizeof(float));
            memcpy(best.w1, n.p.w1, HIDDEN * DIM * sizeof(float));
            memcpy(best.b1, n.p.b1, HIDDEN * sizeof(float));
            memcpy(best.w2, n.p.w2, HIDDEN * sizeof(float));
            best.b2 = n.p.b2;
        }
    }

    /* quantise, reload through the real parser, pick the threshold on the
     * int8 model's validation scores */
    snprintf(best.name, sizeof best.name, "pi-mlp-v1");
    best.threshold = 0.5f;
    best.min_words = MIN_WORDS;
    uint8_t *file;
    size_t flen;
    pi_model *q = NULL;
    trawl_error err;
    if (pi_model_serialize(&best, &file, &flen) ||
        pi_model_load(file, flen, &q, &err) != TRAWL_OK) {
        fprintf(stderr, "cannot serialise the model\n");
        return 2;
    }
    for (size_t i = 0; i < nval; i++)
        ptr[val[i]] = pi_model_score1(q, tr.r[val[i]].norm, tr.r[val[i]].nlen);
    double thr = pick_threshold(ptr, &tr, val, nval);
    pi_model_free(q);
    free(file);
    best.threshold = (float)thr;
    if (pi_model_serialize(&best, &file, &flen) ||
        pi_model_load(file, flen, &q, &err) != TRAWL_OK) {
        fprintf(stderr, "cannot serialise the model\n");
        return 2;
    }
    rates mv = measure(ptr, &tr, val, nval, thr);
    for (size_t i = 0; i < dev.n; i++)
        pdev[i] = pi_model_score1(q, dev.r[i].norm, dev.r[i].nlen);
    rates md = measure(pdev, &dev, NULL, dev.n, thr);

    /* tier 1, and tier 1 or the model, on dev */
    double *t1 = tier1_scores(&dev), *comb = malloc(dev.n * sizeof(double));
    for (size_t i = 0; i < dev.n; i++)
        comb[i] = t1[i] >= 0.5 || pdev[i] >= thr ? 1 : 0;
    rates td = measure(t1, &dev, NULL, dev.n, 0.5), cd = measure(comb, &dev, NULL, dev.n, 0.5);

    printf("logistic regression (baseline): validation log loss %.4f, threshold %.3f\n", best_lr,
           lr_thr);
    print_rates("validation", lr_val);
    print_rates("dev", lr_dev);
    printf("network %s (epoch %d): validation log loss %.4f, threshold %.3f, %zu bytes\n",
           best.name, best_ep, best_loss, thr, flen);
    print_rates("validation (int8)", mv);
    print_rates("dev (int8)", md);
    print_rates("dev: tier 1 alone", td);
    print_rates("dev: tier 1 or model", cd);
    printf("validation: network %s the baseline on log loss (%.4f vs %.4f) and recall at the "
           "threshold (%zu vs %zu of %zu)\n",
           best_loss < best_lr && mv.tp >= lr_val.tp ? "beats" : "does NOT beat", best_loss,
           best_lr, mv.tp, lr_val.tp, mv.pos);
    FILE *fp = fopen(argv[3], "wb");
    if (!fp || fwrite(file, 1, flen, fp) != flen || fclose(fp)) {
        perror(argv[3]);
        return 2;
    }
    printf("wrote %s\n", argv[3]);
    pi_model_free(q);
    free(file);
    return 0;
}
