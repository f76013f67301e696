/* model.c -- `trawl model`: train, evaluate, optimise and export the
 * classifiers of include/trawl/model.h (docs/model.md).
 *
 *   trawl model train   [OPTIONS] DATA.jsonl OUT.tmodel
 *   trawl model distill [OPTIONS] --teacher T.tmodel ... DATA.jsonl OUT.tmodel
 *   trawl model eval    [--per-source] [--threshold P] [--json] MODEL DATA.jsonl
 *   trawl model quantize --format int8|int4 IN OUT
 *   trawl model prune   --ratio R [--format f32|int8|int4] IN OUT
 *   trawl model export  [--features DATA.jsonl VEC.f32] IN OUT.onnx
 *   trawl model info    MODEL
 *
 * Data is JSON Lines {"text", "label", "source"}; every text is seen as the
 * prompt-injection detector sees it (its normaliser and its rule tier's
 * signals), so a model trained here is the detector's learned tier. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static const char usage_text[] =
    "usage: trawl model train   [OPTIONS] DATA.jsonl OUT.tmodel\n"
    "       trawl model distill [OPTIONS] --teacher T.tmodel [--teacher ...] DATA.jsonl "
    "OUT.tmodel\n"
    "       trawl model eval    [--per-source] [--threshold P] [--extra DATA.jsonl]\n"
    "                           [--scores OUT.tsv] MODEL DATA.jsonl\n"
    "       trawl model quantize --format int8|int4 IN.tmodel OUT.tmodel\n"
    "       trawl model prune   --ratio R [--format f32|int8|int4] IN.tmodel OUT.tmodel\n"
    "       trawl model export  [--features DATA.jsonl VEC.f32] IN.tmodel OUT.onnx\n"
    "       trawl model info    MODEL.tmodel\n"
    "\n"
    "Trains, evaluates, optimises and exports the prompt-injection detector's\n"
    "learned tier (docs/model.md). DATA is JSON Lines {\"text\", \"label\", \"source\"}.\n"
    "\n"
    "train and distill:\n"
    "  --kind mlp|linear     model (mlp)            --hidden H        MLP width (16)\n"
    "  --epochs N            epochs (12; the best on validation is kept)\n"
    "  --lr X --l2 X         Adam rate (0.002), L2 penalty (1e-6)\n"
    "  --batch N             rows per step (32)     --threads N       threads (2)\n"
    "  --seed N              initialisation and shuffling (20261123)\n"
    "  --buckets N           hashed rows, a power of two (16384)\n"
    "  --chars MIN-MAX       character n-grams (3-5)  --words N       0, 1 or 2 (2)\n"
    "  --min-words N         abstain under N words (3)\n"
    "  --target-fpr X        threshold: benign rows of validation flagged (0.005)\n"
    "  --val-every N         every N-th row is validation (5)\n"
    "  --drop-sources LIST   leave out rows of these sources, in DATA and every --extra\n"
    "                        (comma list)\n"
    "  --extra FILE          more rows (e.g. hard negatives), split the same way\n"
    "  --no-signals          hashed text features only (no rule-tier signals)\n"
    "  --name NAME           stored in the file (pi-mlp)\n"
    "  --teacher FILE        (distill) a teacher; several are averaged in logit space\n"
    "  --temperature T       (distill) 2           --alpha A     weight of the labels (0.5)\n"
    "\n"
    "eval:\n"
    "  --per-source          a line per source: rows, flagged, rate, AUC, recall\n"
    "  --threshold P         flag at calibrated p >= P (the model's own threshold)\n"
    "  --scores FILE         write p (17 digits), label and source of every row, tab separated\n"
    "\n"
    "Exit status: 0 done, 2 error.\n";

#define MAX_TEACHERS 8

typedef struct mopts {
    trawl_model_train_opts t;
    trawl_model_feat_cfg f;
    unsigned val_every;
    const char *drop, *extra[4], *scores;
    size_t n_extra;
    const char *teacher[MAX_TEACHERS];
    size_t n_teacher;
    bool no_signals, per_source;
    double threshold;
    trawl_model_format format;
    double ratio;
    const char *feat_data, *feat_out;
} mopts;

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "trawl model: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `trawl model --help`)\n");
    return CLI_ERROR;
}

/* ---- data --------------------------------------------------------------------- */

typedef struct loader {
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    size_t n_sig;
    const char *const *sig_names;
    bool no_signals;
    /* with a model: its dense features, gathered by name from the signals */
    size_t *from;
    const char **names;
    float *dense;
} loader;

/* Reads the signals a model was trained on (a subset of this build's, by
 * name) in the model's order. -1 when the build lacks one. */
static int loader_for_model(loader *l, const trawl_model *m)
{
    trawl_model_info in;
    trawl_model_get_info(m, &in);
    l->from = calloc(in.n_dense + 1, sizeof(size_t));
    l->names = calloc(in.n_dense + 1, sizeof(char *));
    l->dense = calloc(in.n_dense + 1, sizeof(float));
    if (!l->from || !l->names || !l->dense)
        return -1;
    for (unsigned j = 0; j < in.n_dense; j++) {
        const char *want = trawl_model_dense_name(m, j);
        size_t i = 0;
        while (i < l->n_sig && strcmp(l->sig_names[i], want))
            i++;
        if (i == l->n_sig) {
            cli_errorf("model",
                       "the model reads the signal '%s', which this build does not "
                       "compute (retrain it)",
                       want);
            return -1;
        }
        l->from[j] = i;
        l->names[j] = want;
    }
    l->n_sig = in.n_dense;
    l->sig_names = l->names;
    return 0;
}

static int loader_open(loader *l, bool no_signals)
{
    static const char cfg[] = "[prompt_injection]\nmodel = false\n";
    trawl_error err;
    memset(l, 0, sizeof(*l));
    l->no_signals = no_signals;
    if (trawl_detect_engine_new(cfg, sizeof cfg - 1, &l->e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(l->e, &l->c, &err) != TRAWL_OK) {
        cli_report("model", "detector", &err);
        return -1;
    }
    l->n_sig = no_signals ? 0 : trawl_detect_pi_signal_names(l->e, &l->sig_names);
    return 0;
}

static void loader_close(loader *l)
{
    free(l->from);
    free(l->names);
    free(l->dense);
    trawl_detect_ctx_free(l->c);
    trawl_detect_engine_free(l->e);
}

static bool dropped(const char *list, const char *src)
{
    size_t n = strlen(src);
    for (const char *p = list; p && *p;) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        if (k == n && !memcmp(p, src, n))
            return true;
        p = c ? c + 1 : NULL;
    }
    return false;
}

/* Reads path into tr (and every val_every-th row into va, when va is not
 * NULL). Returns rows read, or -1 (reason printed). */
static long load(loader *l, const char *path, const char *drop, unsigned val_every,
                 trawl_model_dataset *tr, trawl_model_dataset *va)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cli_errorf("model", "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, kept = 0;
    trawl_error err;
    while ((n = getline(&line, &cap, fp)) > 0) {
        lineno++;
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(o, "label");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "source");
        if (!cJSON_IsString(t) || !cJSON_IsNumber(y)) {
            cJSON_Delete(o);
            cli_errorf("model", "%s:%ld: expected {\"text\": string, \"label\": 0|1}", path,
                       lineno);
            fclose(fp);
            free(line);
            return -1;
        }
        const char *src = cJSON_IsString(s) ? s->valuestring : "";
        if (drop && dropped(drop, src)) {
            cJSON_Delete(o);
            continue;
        }
        const uint8_t *norm;
        size_t nlen;
        const float *sig;
        trawl_status st = trawl_detect_pi_features(
            l->e, l->c, t->valuestring, strlen(t->valuestring), &norm, &nlen, &sig, &err);
        trawl_model_dataset *d = va && val_every && kept % val_every == 0 ? va : tr;
        if (st == TRAWL_OK && l->from) {
            for (size_t j = 0; j < l->n_sig; j++)
                l->dense[j] = sig[l->from[j]];
            sig = l->dense;
        }
        if (st == TRAWL_OK)
            st = trawl_model_dataset_add(d, norm, nlen, l->no_signals ? NULL : sig,
                                         y->valueint != 0, src, &err);
        cJSON_Delete(o);
        if (st != TRAWL_OK) {
            cli_report("model", path, &err);
            fclose(fp);
            free(line);
            return -1;
        }
        kept++;
    }
    free(line);
    fclose(fp);
    return kept;
}

static trawl_model_dataset *new_set(const loader *l, const trawl_model_feat_cfg *f)
{
    trawl_model_dataset *d = NULL;
    trawl_error err;
    if (trawl_model_dataset_new(f, (unsigned)l->n_sig, l->sig_names, &d, &err) != TRAWL_OK) {
        cli_report("model", "dataset", &err);
        return NULL;
    }
    return d;
}

/* ---- files ---------------------------------------------------------------------- */

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp)) {
        cli_errorf("model", "%s: %s", path, strerror(errno));
        if (fp)
            fclose(fp);
        return -1;
    }
    return 0;
}

static trawl_model *open_model(const char *path)
{
    trawl_model *m = NULL;
    trawl_error err;
    if (trawl_model_open(path, &m, &err) != TRAWL_OK) {
        cli_report("model", path, &err);
        return NULL;
    }
    return m;
}

/* ---- train / distill ----------------------------------------------------------------- */

static void print_split(const trawl_model_dataset *d, const char *what)
{
    size_t pos = 0, n = trawl_model_dataset_count(d);
    for (size_t i = 0; i < n; i++)
        pos += trawl_model_dataset_label(d, i) != 0;
    printf("%s %zu rows (%zu benign, %zu injection)\n", what, n, n - pos, pos);
}

static int cmd_train(mopts *o, const char *data, const char *out)
{
    loader l;
    if (loader_open(&l, o->no_signals))
        return CLI_ERROR;
    int rc = CLI_ERROR;
    trawl_model_dataset *tr = new_set(&l, &o->f), *va = new_set(&l, &o->f);
    double *tz = NULL;
    uint8_t *file = NULL;
    size_t len = 0;
    trawl_model *teach[MAX_TEACHERS] = {0};
    if (!tr || !va || load(&l, data, o->drop, o->val_every, tr, va) < 0)
        goto done;
    for (size_t i = 0; i < o->n_extra; i++)
        if (load(&l, o->extra[i], o->drop, o->val_every, tr, va) < 0)
            goto done;
    print_split(tr, "fit");
    print_split(va, "validation");
    trawl_error err;
    if (o->n_teacher) {
        size_t n = trawl_model_dataset_count(tr);
        tz = calloc(n + 1, sizeof(double));
        double *z = calloc(n + 1, sizeof(double));
        for (size_t k = 0; tz && z && k < o->n_teacher; k++) {
            if (!(teach[k] = open_model(o->teacher[k])))
                break;
            if (trawl_model_logits(teach[k], tr, o->t.threads, z, NULL, &err) != TRAWL_OK) {
                cli_report("model", o->teacher[k], &err);
                break;
            }
            trawl_model_info ti;
            trawl_model_get_info(teach[k], &ti);
            for (size_t i = 0; i < n; i++) /* calibrated logits, averaged */
                tz[i] += (ti.platt_a * z[i] + ti.platt_b) / (double)o->n_teacher;
        }
        free(z);
        for (size_t k = 0; k < o->n_teacher; k++)
            if (!teach[k])
                goto done;
        o->t.teacher_logits = tz;
    }
    trawl_model_train_report rep;
    if (trawl_model_train(tr, va, &o->t, &file, &len, &rep, &err) != TRAWL_OK) {
        cli_report("model", "train", &err);
        goto done;
    }
    trawl_model *m = NULL;
    if (trawl_model_load(file, len, &m, &err) != TRAWL_OK) {
        cli_report("model", "train", &err);
        goto done;
    }
    trawl_model_info in;
    trawl_model_get_info(m, &in);
    trawl_model_free(m);
    printf("%s %s H=%u: best epoch %u of %u, validation log loss %.4f (calibrated %.4f), "
           "Platt a=%.3f b=%.3f, threshold %.4f for FPR <= %.3f, %zu bytes\n",
           in.name, in.kind == TRAWL_MODEL_MLP ? "mlp" : "linear", in.hidden, rep.best_epoch,
           o->t.epochs, rep.val_loss, rep.val_loss_calibrated, in.platt_a, in.platt_b, in.threshold,
           o->t.target_fpr, len);
    if (write_file(out, file, len) == 0) {
        printf("wrote %s\n", out);
        rc = 0;
    }
done:
    for (size_t k = 0; k < o->n_teacher; k++)
        trawl_model_free(teach[k]);
    free(tz);
    free(file);
    trawl_model_dataset_free(tr);
    trawl_model_dataset_free(va);
    loader_close(&l);
    return rc;
}

/* ---- eval ------------------------------------------------------------------------ */

typedef struct src_stat {
    char name[64];
    int label;
    size_t n, flagged, rules;
} src_stat;

/* --scores FILE: one line a row, "p<TAB>label<TAB>source", in input order. */
static int write_scores(const char *path, const trawl_model_dataset *d, const double *p)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    for (size_t i = 0; i < trawl_model_dataset_count(d); i++)
        fprintf(f, "%.17g\t%d\t%s\n", p[i], trawl_model_dataset_label(d, i),
                trawl_model_dataset_tag(d, i));
    if (fclose(f))
        return fail("%s: %s", path, strerror(errno));
    return 0;
}

static int cmd_eval(mopts *o, const char *mpath, const char *data)
{
    trawl_model *m = open_model(mpath);
    if (!m)
        return CLI_ERROR;
    trawl_model_info in;
    trawl_model_get_info(m, &in);
    loader l;
    if (loader_open(&l, in.n_dense == 0) || loader_for_model(&l, m)) {
        loader_close(&l);
        trawl_model_free(m);
        return CLI_ERROR;
    }
    int rc = CLI_ERROR;
    trawl_model_dataset *d = new_set(&l, &in.feat);
    size_t n = 0;
    double *z = NULL, *p = NULL;
    int *y = NULL;
    bool *ab = NULL;
    src_stat *ss = NULL;
    size_t nss = 0;
    trawl_error err;
    if (!d || load(&l, data, o->drop, 0, d, NULL) < 0)
        goto done;
    for (size_t i = 0; i < o->n_extra; i++)
        if (load(&l, o->extra[i], NULL, 0, d, NULL) < 0)
            goto done;
    n = trawl_model_dataset_count(d);
    z = calloc(n + 1, sizeof(double));
    p = calloc(n + 1, sizeof(double));
    y = calloc(n + 1, sizeof(int));
    ab = calloc(n + 1, sizeof(bool));
    ss = calloc(n + 1, sizeof(src_stat));
    if (!z || !p || !y || !ab || !ss)
        goto done;
    if (trawl_model_logits(m, d, o->t.threads, z, ab, &err) != TRAWL_OK) {
        cli_report("model", mpath, &err);
        goto done;
    }
    double thr = o->threshold > 0 ? o->threshold : in.threshold;
    /* the rule tier alone, for comparison: a rule-tier violation >= 0.5 */
    for (size_t i = 0; i < n; i++) {
        p[i] = ab[i] ? 0 : trawl_model_prob(m, z[i]);
        y[i] = trawl_model_dataset_label(d, i);
        const char *tag = trawl_model_dataset_tag(d, i);
        size_t k = 0;
        while (k < nss && (strcmp(ss[k].name, tag) || ss[k].label != y[i]))
            k++;
        if (k == nss) {
            snprintf(ss[k].name, sizeof ss[k].name, "%s", tag);
            ss[k].label = y[i];
            nss++;
        }
        ss[k].n++;
        ss[k].flagged += p[i] >= thr;
    }
    if (o->scores && write_scores(o->scores, d, p) < 0)
        goto done;
    trawl_model_metrics mt;
    if (trawl_model_metrics_get(p, y, n, thr, &mt, &err) != TRAWL_OK)
        goto done;
    printf("%s on %s: %zu rows; threshold %.4f\n", in.name, data, n, thr);
    printf("  benign flagged %zu/%zu = %.2f%%  injections flagged %zu/%zu = %.2f%%  "
           "ROC-AUC %.4f  recall at 1%% FPR %.2f%%  log loss %.4f\n",
           mt.fp, mt.neg, mt.neg ? 100.0 * (double)mt.fp / (double)mt.neg : 0, mt.tp, mt.pos,
           mt.pos ? 100.0 * (double)mt.tp / (double)mt.pos : 0, mt.auc, 100 * mt.recall_at_1fpr,
           mt.log_loss);
    if (o->per_source) {
        printf("  %-44s %5s %9s %8s %8s %10s\n", "source", "rows", "flagged", "rate", "AUC",
               "R@1%FPR");
        double *sp = calloc(n + 1, sizeof(double));
        int *sy = calloc(n + 1, sizeof(int));
        for (size_t k = 0; sp && sy && k < nss; k++) {
            /* a source of injections against every benign row: its AUC and
             * recall at 1 % FPR; a benign source: its rate alone */
            size_t m2 = 0;
            for (size_t i = 0; i < n; i++) {
                const char *tag = trawl_model_dataset_tag(d, i);
                if (!y[i] || (ss[k].label && !strcmp(tag, ss[k].name))) {
                    sp[m2] = p[i];
                    sy[m2++] = y[i];
                }
            }
            trawl_model_metrics sm = {0};
            if (ss[k].label)
                trawl_model_metrics_get(sp, sy, m2, thr, &sm, &err);
            char auc[16] = "-", rec[16] = "-";
            if (ss[k].label) {
                snprintf(auc, sizeof auc, "%.4f", sm.auc);
                snprintf(rec, sizeof rec, "%.1f%%", 100 * sm.recall_at_1fpr);
            }
            printf("  %-44s %5zu %4zu %-4s %7.2f%% %8s %10s\n", ss[k].name, ss[k].n, ss[k].flagged,
                   ss[k].label ? "inj" : "ben", 100.0 * (double)ss[k].flagged / (double)ss[k].n,
                   auc, rec);
        }
        free(sp);
        free(sy);
    }
    rc = 0;
done:
    free(z), free(p), free(y), free(ab), free(ss);
    trawl_model_dataset_free(d);
    loader_close(&l);
    trawl_model_free(m);
    return rc;
}

/* ---- convert, export, info -------------------------------------------------------- */

static int cmd_convert(const mopts *o, const char *in, const char *out, double prune)
{
    trawl_model *m = open_model(in);
    if (!m)
        return CLI_ERROR;
    trawl_model_convert_opts co = {.format = o->format, .prune = prune};
    uint8_t *file = NULL;
    size_t len = 0;
    trawl_error err;
    int rc = CLI_ERROR;
    if (trawl_model_convert(m, &co, &file, &len, &err) != TRAWL_OK)
        cli_report("model", in, &err);
    else if (write_file(out, file, len) == 0) {
        trawl_model_info a;
        trawl_model_get_info(m, &a);
        printf("%s: %zu -> %zu bytes, wrote %s\n", in, a.file_bytes, len, out);
        rc = 0;
    }
    free(file);
    trawl_model_free(m);
    return rc;
}

static const char *format_name(trawl_model_format f)
{
    return f == TRAWL_MODEL_F32 ? "f32" : f == TRAWL_MODEL_INT8 ? "int8" : "int4";
}

static int cmd_info(const char *path)
{
    trawl_model *m = open_model(path);
    if (!m)
        return CLI_ERROR;
    trawl_model_info i;
    trawl_model_get_info(m, &i);
    printf("%s: model file version %u, %zu bytes, checksum %016llx (XXH3-64, verified)\n", path,
           i.version, i.file_bytes, (unsigned long long)i.checksum);
    printf("  name        %s\n", i.name);
    printf("  model       %s, H = %u\n", i.kind == TRAWL_MODEL_MLP ? "mlp" : "linear", i.hidden);
    printf("  table       %u buckets x %u, %s%s, %u rows stored\n", i.feat.buckets, i.hidden,
           format_name(i.format), i.sparse ? ", row-pruned (bitmap + rank)" : "", i.nnz_rows);
    unsigned seen = 0;
    for (unsigned j = 0; j < i.n_dense; j++)
        seen += (trawl_model_dense_flags(m, j) & TRAWL_MODEL_DENSE_BENIGN_SEEN) != 0;
    printf("  features    characters %u-%u, words up to %u-grams, %u dense signals",
           i.feat.char_min, i.feat.char_max, i.feat.word_max, i.n_dense);
    if (i.version >= 3)
        printf(" (%u seen on benign training rows)", seen);
    printf("\n");
    printf("  calibration p = sigmoid(%.4f z %+.4f); threshold %.4f; abstains under %u words\n",
           i.platt_a, i.platt_b, i.threshold, i.min_words);
    trawl_model_free(m);
    return 0;
}

static int cmd_export(const mopts *o, const char *in, const char *out)
{
    trawl_model *m = open_model(in);
    if (!m)
        return CLI_ERROR;
    uint8_t *buf = NULL;
    size_t len = 0;
    trawl_error err;
    int rc = CLI_ERROR;
    if (trawl_model_export_onnx(m, &buf, &len, &err) != TRAWL_OK)
        cli_report("model", in, &err);
    else if (write_file(out, buf, len) == 0)
        rc = 0;
    free(buf);
    if (rc == 0 && o->feat_data) {
        /* the feature vectors of DATA as the graph takes them, float32 rows,
         * then each row's p by trawl, float64: for the round-trip test */
        trawl_model_info i;
        trawl_model_get_info(m, &i);
        loader l;
        trawl_model_dataset *d = NULL;
        rc = CLI_ERROR;
        int lo = loader_open(&l, i.n_dense == 0);
        if (lo == 0 && loader_for_model(&l, m) == 0) {
            d = new_set(&l, &i.feat);
            size_t dim = i.feat.buckets + i.n_dense;
            float *x = malloc(dim * sizeof(float));
            FILE *fp = fopen(o->feat_out, "wb");
            if (d && x && fp && load(&l, o->feat_data, NULL, 0, d, NULL) >= 0) {
                size_t n = trawl_model_dataset_count(d);
                bool ok = true;
                for (size_t r = 0; r < n && ok; r++) {
                    size_t tl;
                    const uint8_t *t = trawl_model_dataset_text(d, r, &tl);
                    trawl_model_feature_vector(m, t, tl, trawl_model_dataset_dense(d, r), x);
                    ok = fwrite(x, sizeof(float), dim, fp) == dim;
                }
                for (size_t r = 0; r < n && ok; r++) {
                    size_t tl;
                    const uint8_t *t = trawl_model_dataset_text(d, r, &tl);
                    float pre[TRAWL_MODEL_MAX_HIDDEN];
                    trawl_model_pool(m, t, tl, pre);
                    double p = trawl_model_prob(
                        m, trawl_model_logit(m, pre, trawl_model_dataset_dense(d, r)));
                    ok = fwrite(&p, sizeof p, 1, fp) == 1;
                }
                rc = ok ? 0 : CLI_ERROR;
                printf("wrote %zu feature vectors of %zu values and their p to %s\n", n, dim,
                       o->feat_out);
            }
            if (fp && fclose(fp))
                rc = CLI_ERROR;
            free(x);
            trawl_model_dataset_free(d);
        }
        if (lo == 0)
            loader_close(&l);
    }
    trawl_model_free(m);
    return rc;
}

/* ---- options ------------------------------------------------------------------------ */

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, mopts *o, int *first)
{
    int i = 2;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
#define NEEDV()                                                                                    \
    do {                                                                                           \
        if (!v)                                                                                    \
            return fail("%s needs a value", a);                                                    \
        i++;                                                                                       \
    } while (0)
#define NUM(lo, hi)                                                                                \
    do {                                                                                           \
        NEEDV();                                                                                   \
        if (!num(v, lo, hi, &x))                                                                   \
            return fail("bad value for %s", a);                                                    \
    } while (0)
        if (!strcmp(a, "--kind")) {
            NEEDV();
            if (!strcmp(v, "mlp"))
                o->t.kind = TRAWL_MODEL_MLP;
            else if (!strcmp(v, "linear"))
                o->t.kind = TRAWL_MODEL_LINEAR;
            else
                return fail("--kind: %s is not mlp or linear", v);
        } else if (!strcmp(a, "--hidden")) {
            NUM(1, TRAWL_MODEL_MAX_HIDDEN);
            o->t.hidden = (unsigned)x;
        } else if (!strcmp(a, "--epochs")) {
            NUM(1, 1000);
            o->t.epochs = (unsigned)x;
        } else if (!strcmp(a, "--lr")) {
            NUM(1e-6, 10);
            o->t.lr = x;
        } else if (!strcmp(a, "--l2")) {
            NUM(0, 10);
            o->t.l2 = x;
        } else if (!strcmp(a, "--batch")) {
            NUM(1, 65536);
            o->t.batch = (unsigned)x;
        } else if (!strcmp(a, "--threads")) {
            NUM(1, 64);
            o->t.threads = (unsigned)x;
        } else if (!strcmp(a, "--seed")) {
            NUM(0, 1e15);
            o->t.seed = (uint64_t)x;
        } else if (!strcmp(a, "--buckets")) {
            NUM(256, 1 << 22);
            o->f.buckets = (uint32_t)x;
        } else if (!strcmp(a, "--chars")) {
            NEEDV();
            unsigned lo, hi;
            if (sscanf(v, "%u-%u", &lo, &hi) != 2 || lo < 1 || hi < lo || hi > 8)
                return fail("--chars: %s is not MIN-MAX within 1-8", v);
            o->f.char_min = (uint8_t)lo;
            o->f.char_max = (uint8_t)hi;
        } else if (!strcmp(a, "--words")) {
            NUM(0, 2);
            o->f.word_max = (uint8_t)x;
        } else if (!strcmp(a, "--min-words")) {
            NUM(0, 64);
            o->t.min_words = (unsigned)x;
        } else if (!strcmp(a, "--target-fpr")) {
            NUM(0, 0.5);
            o->t.target_fpr = x;
        } else if (!strcmp(a, "--val-every")) {
            NUM(2, 1000);
            o->val_every = (unsigned)x;
        } else if (!strcmp(a, "--drop-sources")) {
            NEEDV();
            o->drop = v;
        } else if (!strcmp(a, "--extra")) {
            NEEDV();
            if (o->n_extra == 4)
                return fail("%s: at most 4", a);
            o->extra[o->n_extra++] = v;
        } else if (!strcmp(a, "--no-signals")) {
            o->no_signals = true;
        } else if (!strcmp(a, "--name")) {
            NEEDV();
            o->t.name = v;
        } else if (!strcmp(a, "--teacher")) {
            NEEDV();
            if (o->n_teacher == MAX_TEACHERS)
                return fail("%s: at most 8", a);
            o->teacher[o->n_teacher++] = v;
        } else if (!strcmp(a, "--temperature")) {
            NUM(0.01, 100);
            o->t.temperature = x;
        } else if (!strcmp(a, "--alpha")) {
            NUM(0, 1);
            o->t.alpha = x;
        } else if (!strcmp(a, "--per-source")) {
            o->per_source = true;
        } else if (!strcmp(a, "--scores")) {
            NEEDV();
            o->scores = v;
        } else if (!strcmp(a, "--threshold")) {
            NUM(1e-9, 1);
            o->threshold = x;
        } else if (!strcmp(a, "--format")) {
            NEEDV();
            if (!strcmp(v, "f32"))
                o->format = TRAWL_MODEL_F32;
            else if (!strcmp(v, "int8"))
                o->format = TRAWL_MODEL_INT8;
            else if (!strcmp(v, "int4"))
                o->format = TRAWL_MODEL_INT4;
            else
                return fail("--format: %s is not f32, int8 or int4", v);
        } else if (!strcmp(a, "--ratio")) {
            NUM(0, 0.99);
            o->ratio = x;
        } else if (!strcmp(a, "--features")) {
            if (i + 2 >= argc)
                return fail("%s needs DATA and OUT", a);
            o->feat_data = argv[++i];
            o->feat_out = argv[++i];
        } else {
            return fail("unknown option %s", a);
        }
    }
    *first = i;
    return 0;
}

int cli_model(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_ERROR : 0;
    }
    const char *cmd = argv[1];
    mopts o;
    memset(&o, 0, sizeof o);
    trawl_model_train_defaults(&o.t);
    o.t.name = "pi-mlp";
    o.t.temperature = 2;
    o.t.alpha = 0.5;
    o.f = (trawl_model_feat_cfg){.buckets = 1u << 14, .char_min = 3, .char_max = 5, .word_max = 2};
    o.val_every = 5;
    int first = 2;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (parse(argc, argv, &o, &first))
        return CLI_ERROR;
    int rest = argc - first;
    char **a = argv + first;
    if (!strcmp(cmd, "train") || !strcmp(cmd, "distill")) {
        if (rest != 2)
            return fail("%s takes DATA.jsonl OUT.tmodel", cmd);
        if (!strcmp(cmd, "distill") && !o.n_teacher)
            return fail("%s needs --teacher", cmd);
        if (!strcmp(cmd, "train"))
            o.n_teacher = 0;
        return cmd_train(&o, a[0], a[1]);
    }
    if (!strcmp(cmd, "eval"))
        return rest == 2 ? cmd_eval(&o, a[0], a[1]) : fail("%s takes MODEL DATA.jsonl", cmd);
    if (!strcmp(cmd, "quantize")) {
        if (o.format == TRAWL_MODEL_F32)
            return fail("%s needs --format int8 or int4", cmd);
        return rest == 2 ? cmd_convert(&o, a[0], a[1], 0) : fail("%s takes IN OUT", cmd);
    }
    if (!strcmp(cmd, "prune"))
        return rest == 2 ? cmd_convert(&o, a[0], a[1], o.ratio) : fail("%s takes IN OUT", cmd);
    if (!strcmp(cmd, "export"))
        return rest == 2 ? cmd_export(&o, a[0], a[1]) : fail("%s takes IN OUT.onnx", cmd);
    if (!strcmp(cmd, "info"))
        return rest == 1 ? cmd_info(a[0]) : fail("%s takes MODEL", cmd);
    return fail("unknown action '%s'", cmd);
}
