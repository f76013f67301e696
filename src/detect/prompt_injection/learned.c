/* learned.c -- the learned tier of the prompt-injection detector: maps the
 * detector's signals onto a model's dense features, scores and explains.
 * learned.h says what it is. */
#include "detect/prompt_injection/learned.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"

struct pi_learned {
    trawl_model *m;
    trawl_model_info info;
    size_t *from; /* model dense feature j reads signal from[j] */
    size_t n_sig;
    bool *vouch;    /* [n_sig]: the training data never showed signal i on benign text */
    size_t *unseen; /* signals of the scripts it never saw a benign text in */
    size_t n_unseen;
};

/* The model gives no opinion on a text with at least this share of its
 * letters in scripts it never saw a benign text in. */
#define ABSTAIN_SHARE 0.3f

trawl_status pi_learned_new(trawl_model *m, const char *const *names, size_t n, pi_learned **out,
                            trawl_error *err)
{
    *out = NULL;
    pi_learned *l = calloc(1, sizeof(*l));
    if (!l) {
        trawl_model_free(m);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    l->m = m;
    trawl_model_get_info(m, &l->info);
    l->n_sig = n;
    l->from = calloc(l->info.n_dense + 1, sizeof(size_t));
    l->unseen = calloc(l->info.n_dense + 1, sizeof(size_t));
    l->vouch = malloc(n + 1);
    if (!l->from || !l->unseen || !l->vouch) {
        pi_learned_free(l);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (unsigned j = 0; j < l->info.n_dense; j++) {
        const char *want = trawl_model_dense_name(m, j);
        size_t i = 0;
        while (i < n && strcmp(names[i], want))
            i++;
        if (i == n) {
            trawl_status st = trawl__fail(err, TRAWL_EFORMAT,
                                          "[prompt_injection] model %s reads the signal '%s', "
                                          "which this build does not compute (retrain: make model)",
                                          l->info.name, want);
            pi_learned_free(l);
            return st;
        }
        l->from[j] = i;
    }
    memset(l->vouch, 1, n + 1);
    for (unsigned j = 0; j < l->info.n_dense; j++) {
        bool seen = trawl_model_dense_flags(m, j) & TRAWL_MODEL_DENSE_BENIGN_SEEN;
        if (seen)
            l->vouch[l->from[j]] = false;
        else if (!strncmp(trawl_model_dense_name(m, j), "script:", 7))
            l->unseen[l->n_unseen++] = l->from[j];
    }
    *out = l;
    return TRAWL_OK;
}

void pi_learned_free(pi_learned *l)
{
    if (!l)
        return;
    trawl_model_free(l->m);
    free(l->from);
    free(l->unseen);
    free(l->vouch);
    free(l);
}

const trawl_model *pi_learned_model(const pi_learned *l)
{
    return l->m;
}

unsigned pi_learned_hidden(const pi_learned *l)
{
    return l->info.hidden;
}

double pi_learned_threshold(const pi_learned *l)
{
    return l->info.threshold;
}

bool pi_learned_vouches(const pi_learned *l, size_t sig)
{
    return sig < l->n_sig && l->vouch[sig];
}

bool pi_learned_abstains(const pi_learned *l, const float *sig)
{
    float share = 0;
    for (size_t i = 0; i < l->n_unseen; i++)
        share += sig[l->unseen[i]];
    return share >= ABSTAIN_SHARE;
}

static void gather(const pi_learned *l, const float *sig, float *dense)
{
    for (unsigned j = 0; j < l->info.n_dense; j++)
        dense[j] = sig[l->from[j]];
}

double pi_learned_prob(const pi_learned *l, const float *pre, size_t words, const float *sig)
{
    if (words < l->info.min_words)
        return 0;
    float dense[TRAWL_MODEL_MAX_DENSE];
    gather(l, sig, dense);
    return trawl_model_prob(l->m, trawl_model_logit(l->m, pre, dense));
}

/* printf's "%+.2f": the sign "%.2f" leaves out, then "%.2f". */
static void signed_fixed2(det_line *l, double x)
{
    if (!signbit(x))
        det_line_str(l, "+");
    det_line_fixed2(l, x);
}

int pi_learned_explain(const pi_learned *l, const uint8_t *t, size_t n, const float *pre,
                       size_t words, const float *sig, trawl_violation *v, size_t k)
{
    float dense[TRAWL_MODEL_MAX_DENSE];
    gather(l, sig, dense);
    trawl_model_contrib top[16];
    if (k > 16)
        k = 16;
    double base = 0;
    size_t got = trawl_model_explain_pooled(l->m, t, n, pre, words, dense, top, k, &base);
    det_line line = {0};
    for (size_t i = 0; i < got; i++) { /* "%+.2f %s", without printf */
        signed_fixed2(&line, top[i].value);
        det_line_str(&line, " ");
        det_line_str(&line, top[i].text);
        if (det_evidence_line(v, &line))
            return -1;
    }
    det_line_str(&line, "(the largest terms of the logit at this input; bias ");
    signed_fixed2(&line, base);
    det_line_str(&line, "; p = sigmoid of the bias and all terms)");
    return det_evidence_line(v, &line);
}
