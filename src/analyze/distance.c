/* distance.c -- distances between messages, one pair or a whole condensed
 * matrix on several threads.
 *
 * Every metric is normalised to [0, 1] by the longer message so that one
 * threshold means the same thing for short and long messages. The matrix
 * computes row i (the pairs (i, j), j > i) as one task: the row's message
 * is prepared once (Levenshtein: Myers' match table, trawl_fuzzy_lev;
 * align with Netzob's scores: the bit-parallel LCS table) and compared
 * with every later message. Each entry is written by exactly one task with
 * the same arithmetic whatever thread runs it, so the matrix does not
 * depend on the thread count. */
#include "analyze/analyze_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/fuzzy.h>

static const char *const metric_names[] = {"hamming", "levenshtein", "jaccard", "align",
                                           "euclidean"};

const char *trawl_analyze_metric_name(trawl_analyze_metric m)
{
    return (unsigned)m < 5 ? metric_names[m] : "?";
}

bool trawl_analyze_metric_parse(const char *s, trawl_analyze_metric *m)
{
    for (unsigned i = 0; s && i < 5; i++)
        if (!strcmp(s, metric_names[i])) {
            *m = (trawl_analyze_metric)i;
            return true;
        }
    return false;
}

static double over_longer(uint64_t d, size_t na, size_t nb)
{
    size_t L = na > nb ? na : nb;
    return L ? (double)d / (double)L : 0.0;
}

static uint64_t hamming_count(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t m = na < nb ? na : nb;
    uint64_t d = (uint64_t)(na > nb ? na - nb : nb - na);
    for (size_t i = 0; i < m; i++)
        d += a[i] != b[i];
    return d;
}

/* ---- n-gram sets ------------------------------------------------------------- */

/* n <= 8 bytes fit one uint64_t exactly: sets hold the grams themselves. */
typedef struct gram_set {
    uint64_t *g;
    size_t n;
} gram_set;

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static trawl_status grams(const uint8_t *p, size_t len, unsigned n, gram_set *s)
{
    s->g = NULL;
    s->n = 0;
    if (len < n)
        return TRAWL_OK;
    size_t k = len - n + 1;
    s->g = malloc(k * sizeof(*s->g));
    if (!s->g)
        return TRAWL_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        uint64_t v = 0;
        for (unsigned j = 0; j < n; j++)
            v = v << 8 | p[i + j];
        s->g[i] = v;
    }
    qsort(s->g, k, sizeof(*s->g), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || s->g[u - 1] != s->g[i])
            s->g[u++] = s->g[i];
    s->n = u;
    return TRAWL_OK;
}

static double jaccard(const gram_set *a, const gram_set *b)
{
    if (a->n == 0 && b->n == 0)
        return 0.0;
    size_t i = 0, j = 0, both = 0;
    while (i < a->n && j < b->n) {
        if (a->g[i] == b->g[j]) {
            both++;
            i++;
            j++;
        } else if (a->g[i] < b->g[j]) {
            i++;
        } else {
            j++;
        }
    }
    size_t uni = a->n + b->n - both;
    return 1.0 - (double)both / (double)uni;
}

/* ---- options ----------------------------------------------------------------- */

typedef struct resolved {
    trawl_analyze_metric metric;
    unsigned ngram;
    trawl_analyze_scoring scoring;
    bool lcs; /* align through the LCS */
} resolved;

static trawl_status resolve(const trawl_analyze_distance_opts *o, resolved *r, trawl_error *err)
{
    if (!o)
        return trawl__fail(err, TRAWL_EINVAL, "NULL options");
    r->metric = o->metric;
    if ((unsigned)o->metric > TRAWL_ANALYZE_ALIGN)
        return trawl__fail(err, TRAWL_EINVAL, "metric %d does not apply to messages",
                           (int)o->metric);
    r->ngram = o->ngram ? o->ngram : 2;
    if (r->ngram > 8)
        return trawl__fail(err, TRAWL_EINVAL, "n-gram size %u outside 1..8", r->ngram);
    r->scoring = o->scoring ? *o->scoring : trawl_analyze_scoring_netzob();
    trawl_status st = trawl__an_check_scoring(&r->scoring, err);
    if (st)
        return st;
    r->lcs = trawl__an_scoring_is_lcs(&r->scoring);
    return TRAWL_OK;
}

static double align_distance(const resolved *r, int64_t score, size_t na, size_t nb)
{
    size_t L = na > nb ? na : nb;
    if (L == 0)
        return 0.0;
    double s = score > 0 ? (double)score : 0.0;
    double d = 1.0 - s / ((double)r->scoring.match * (double)L);
    return d < 0 ? 0 : d;
}

trawl_status trawl_analyze_distance(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                    const trawl_analyze_distance_opts *o, double *d,
                                    trawl_error *err)
{
    if (!d || (!a && na) || (!b && nb))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    resolved r;
    trawl_status st = resolve(o, &r, err);
    if (st)
        return st;
    switch (r.metric) {
    case TRAWL_ANALYZE_HAMMING:
        *d = over_longer(hamming_count(a, na, b, nb), na, nb);
        return TRAWL_OK;
    case TRAWL_ANALYZE_LEVENSHTEIN: {
        uint64_t e;
        st = trawl_fuzzy_distance(a, na, b, nb, &e, err);
        if (!st)
            *d = over_longer(e, na, nb);
        return st;
    }
    case TRAWL_ANALYZE_JACCARD: {
        gram_set x, y;
        if (grams(a, na, r.ngram, &x))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        if (grams(b, nb, r.ngram, &y)) {
            free(x.g);
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        }
        *d = jaccard(&x, &y);
        free(x.g);
        free(y.g);
        return TRAWL_OK;
    }
    default: {
        int64_t score;
        st = trawl_analyze_align_score(a, na, b, nb, &r.scoring, &score, err);
        if (!st)
            *d = align_distance(&r, score, na, nb);
        return st;
    }
    }
}

/* ---- the matrix ----------------------------------------------------------------- */

typedef struct mctx {
    const trawl_span *m;
    size_t n;
    resolved r;
    double *out;
    gram_set *sets;    /* Jaccard */
    int64_t **rows;    /* align DP: a row per worker */
    uint64_t **tmp;    /* Levenshtein: n distances per worker */
    atomic_int failed; /* a task ran out of memory */
} mctx;

static void row_task(void *p, size_t i, unsigned w)
{
    mctx *c = p;
    const trawl_span *m = c->m;
    const size_t n = c->n;
    double *o = c->out + trawl_analyze_condensed_index(n, i, i + 1);
    const trawl_span *a = &m[i];
    switch (c->r.metric) {
    case TRAWL_ANALYZE_HAMMING:
        for (size_t j = i + 1; j < n; j++)
            o[j - i - 1] =
                over_longer(hamming_count(a->ptr, a->len, m[j].ptr, m[j].len), a->len, m[j].len);
        break;
    case TRAWL_ANALYZE_LEVENSHTEIN: {
        trawl_fuzzy_lev *l;
        if (trawl_fuzzy_lev_new(a->ptr, a->len, &l, NULL)) {
            atomic_store(&c->failed, 1);
            return;
        }
        uint64_t *t = c->tmp[w];
        trawl_fuzzy_lev_distances(l, m + i + 1, n - i - 1, t);
        for (size_t j = i + 1; j < n; j++)
            o[j - i - 1] = over_longer(t[j - i - 1], a->len, m[j].len);
        trawl_fuzzy_lev_free(l);
        break;
    }
    case TRAWL_ANALYZE_JACCARD:
        for (size_t j = i + 1; j < n; j++)
            o[j - i - 1] = jaccard(&c->sets[i], &c->sets[j]);
        break;
    default:
        if (c->r.lcs) {
            trawl__an_lcs_table l;
            if (trawl__an_lcs_init(&l, a->ptr, a->len)) {
                atomic_store(&c->failed, 1);
                return;
            }
            for (size_t j = i + 1; j < n; j++) {
                uint64_t L = trawl__an_lcs(&l, m[j].ptr, m[j].len);
                int64_t s = trawl__an_lcs_to_score(&c->r.scoring, L, a->len, m[j].len);
                o[j - i - 1] = align_distance(&c->r, s, a->len, m[j].len);
            }
            trawl__an_lcs_free(&l);
        } else {
            for (size_t j = i + 1; j < n; j++) {
                int64_t s = trawl__an_align_score_row(a->ptr, a->len, m[j].ptr, m[j].len,
                                                      &c->r.scoring, c->rows[w]);
                o[j - i - 1] = align_distance(&c->r, s, a->len, m[j].len);
            }
        }
    }
}

static void free_ctx(mctx *c, unsigned workers)
{
    if (c->sets)
        for (size_t i = 0; i < c->n; i++)
            free(c->sets[i].g);
    free(c->sets);
    for (unsigned w = 0; c->rows && w < workers; w++)
        free(c->rows[w]);
    free(c->rows);
    for (unsigned w = 0; c->tmp && w < workers; w++)
        free(c->tmp[w]);
    free(c->tmp);
}

trawl_status trawl_analyze_distance_matrix(const trawl_span *msgs, size_t n,
                                           const trawl_analyze_distance_opts *o, double *out,
                                           trawl_error *err)
{
    if ((!msgs && n) || (!out && n > 1))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    mctx c = {.m = msgs, .n = n, .out = out};
    trawl_status st = resolve(o, &c.r, err);
    if (st)
        return st;
    st = trawl__an_check_matrix(trawl_analyze_condensed_size(n), o->max_bytes, err);
    if (st)
        return st;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].ptr && msgs[i].len)
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)i, "message %zu is NULL", i);
        longest = msgs[i].len > longest ? msgs[i].len : longest;
    }
    if (n < 2)
        return TRAWL_OK;
    unsigned workers = trawl__an_threads(o->threads, n - 1);
    atomic_init(&c.failed, 0);
    bool oom = false;
    if (c.r.metric == TRAWL_ANALYZE_JACCARD) {
        c.sets = calloc(n, sizeof(*c.sets));
        oom = !c.sets;
        for (size_t i = 0; !oom && i < n; i++)
            oom = grams(msgs[i].ptr, msgs[i].len, c.r.ngram, &c.sets[i]) != TRAWL_OK;
    } else if (c.r.metric == TRAWL_ANALYZE_LEVENSHTEIN) {
        c.tmp = calloc(workers, sizeof(*c.tmp));
        oom = !c.tmp;
        for (unsigned w = 0; !oom && w < workers; w++)
            oom = !(c.tmp[w] = malloc(n * sizeof(uint64_t)));
    } else if (c.r.metric == TRAWL_ANALYZE_ALIGN && !c.r.lcs) {
        c.rows = calloc(workers, sizeof(*c.rows));
        oom = !c.rows;
        for (unsigned w = 0; !oom && w < workers; w++)
            oom = !(c.rows[w] = malloc((longest + 1) * sizeof(int64_t)));
    }
    if (!oom) {
        trawl__an_parallel(workers, n - 1, row_task, &c);
        oom = atomic_load(&c.failed) != 0;
    }
    free_ctx(&c, workers);
    return oom ? trawl__fail(err, TRAWL_ENOMEM, "out of memory") : TRAWL_OK;
}
