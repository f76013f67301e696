/* infer_eval.c -- `trawl infer --eval DIR`: infer each DIR/NAME.pcap and
 * score its boundaries against DIR/NAME.fields.jsonl (Wireshark's leaf
 * fields), printed beside the published figures of the trace-only tools. */
#include "infer_cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct frame_map {
    const trawl_infer_result *r;
    size_t *by_frame; /* frame number -> message index + 1 (0: none) */
    uint64_t max_frame;
} frame_map;

static const uint32_t *bounds_of(void *ud, uint64_t frame, size_t *nb)
{
    frame_map *fm = ud;
    if (frame > fm->max_frame || !fm->by_frame[frame])
        return NULL;
    return trawl_infer_msg_bounds(fm->r, fm->by_frame[frame] - 1, nb, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap)
            break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return b;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One message of truth record i: before each byte '|' where truth and
 * inference agree on a boundary, '!' for a truth boundary missed, '+' for
 * an inferred one the truth lacks (truth here: every field start and end,
 * before the merging of constant fields). */
static void show_message(const trawl_infer_truth *t, size_t i, const uint32_t *ib, size_t nib)
{
    trawl_span p;
    trawl_infer_truth_frame(t, i, &p);
    uint8_t *tb = calloc(p.len + 1, 1);
    if (!tb)
        return;
    uint32_t off, size;
    for (size_t k = 0; trawl_infer_truth_field(t, i, k, &off, &size, NULL); k++) {
        tb[off] = 1;
        tb[off + size] = 1;
    }
    printf("    ");
    size_t k = 0;
    for (size_t o = 0; o < p.len && o < 96; o++) {
        while (k < nib && ib[k] < o)
            k++;
        bool inf = k < nib && ib[k] == o;
        const char *sep = o == 0 ? "" : inf && tb[o] ? "|" : tb[o] ? "!" : inf ? "+" : " ";
        printf("%s%02x", sep, p.ptr[o]);
    }
    printf("%s\n", p.len > 96 ? "..." : "");
    free(tb);
}

/* Field kinds, for truth fields named "trawl.KIND.N" (the generator's): the
 * inferred field of the message's type with the same offset and size must
 * have that kind (a type field, an enum in the truth, is constant within
 * its type). Returns false when the truth names no kinds. */
static bool kind_accuracy(const trawl_infer_truth *t, const frame_map *fm, uint64_t *ok,
                          uint64_t *total)
{
    bool any = false;
    for (size_t i = 0; i < trawl_infer_truth_count(t); i++) {
        uint64_t fr = trawl_infer_truth_frame(t, i, NULL);
        if (fr > fm->max_frame || !fm->by_frame[fr])
            continue;
        const trawl_infer_type *ty =
            trawl_infer_type_get(fm->r, (size_t)trawl_infer_msg_type(fm->r, fm->by_frame[fr] - 1));
        uint32_t off, size;
        const char *name;
        for (size_t k = 0; trawl_infer_truth_field(t, i, k, &off, &size, &name); k++) {
            if (strncmp(name, "trawl.", 6))
                continue;
            any = true;
            (*total)++;
            for (size_t f = 0; ty && f < ty->n_fields; f++) {
                const trawl_infer_field *x = &ty->fields[f];
                if (x->offset != off || x->size != size)
                    continue;
                const char *kn = trawl_field_kind_name(x->kind);
                size_t kl = strcspn(name + 6, ".");
                bool same = strlen(kn) == kl && !strncmp(kn, name + 6, kl);
                *ok += same || (!strncmp(name + 6, "enum.", 5) && x->kind == TRAWL_FIELD_CONST);
            }
        }
    }
    return any;
}

static int eval_one(const char *dir, const char *name, const trawl_infer_opts *o, bool verbose,
                    trawl_infer_score *sum, double *fsum, int *count)
{
    char path[4096], tpath[4096];
    snprintf(path, sizeof path, "%s/%s.pcap", dir, name);
    snprintf(tpath, sizeof tpath, "%s/%s.fields.jsonl", dir, name);
    size_t tlen;
    char *text = read_file(tpath, &tlen);
    if (!text)
        return 0; /* no truth beside it: not part of the evaluation */
    trawl_infer_truth *t;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_infer_truth_parse(text, tlen, &t, &err) != TRAWL_OK) {
        free(text);
        cli_errorf("infer", "%s: %s", tpath, err.message);
        return CLI_ERROR;
    }
    free(text);
    infer_msgs m;
    if (infer_load("infer", path, NULL, &m) != 0) {
        trawl_infer_truth_free(t);
        return CLI_ERROR;
    }
    double t0 = now();
    trawl_infer_result *r = NULL;
    if (m.n && trawl_infer_run(m.m, m.n, o, &r, &err) != TRAWL_OK) {
        cli_report("infer", path, &err);
        infer_msgs_free(&m);
        trawl_infer_truth_free(t);
        return CLI_ERROR;
    }
    double dt = now() - t0;
    frame_map fm = {r, NULL, 0};
    for (size_t i = 0; i < m.n; i++)
        if (m.frame[i] > fm.max_frame)
            fm.max_frame = m.frame[i];
    fm.by_frame = calloc(fm.max_frame + 1, sizeof(size_t));
    if (!fm.by_frame) {
        trawl_infer_result_free(r);
        infer_msgs_free(&m);
        trawl_infer_truth_free(t);
        return CLI_ERROR;
    }
    for (size_t i = 0; i < m.n; i++)
        fm.by_frame[m.frame[i]] = i + 1;
    trawl_infer_score s;
    trawl_infer_score_truth(t, bounds_of, &fm, &s, NULL);
    uint64_t kok = 0, ktot = 0;
    printf("%-30s %6zu %6zu %5.2f %5.2f %5.2f %5.2f %7.3f", name, m.n, trawl_infer_type_count(r),
           s.precision, s.recall, s.f1, s.perfection, dt);
    if (kind_accuracy(t, &fm, &kok, &ktot)) {
        printf("  kinds %.2f", ktot ? (double)kok / (double)ktot : 0);
        fsum[5] += ktot ? (double)kok / (double)ktot : 0;
        fsum[6] += 1;
    }
    printf("\n");
    if (verbose) {
        for (size_t i = 0; i < trawl_infer_truth_count(t) && i < 40; i++) {
            trawl_span p;
            uint64_t fr = trawl_infer_truth_frame(t, i, &p);
            size_t nb = 0;
            const uint32_t *b = bounds_of(&fm, fr, &nb);
            show_message(t, i, b, b ? nb : 0);
        }
    }
    sum->tp += s.tp;
    sum->fp += s.fp;
    sum->fn += s.fn;
    sum->fields += s.fields;
    sum->perfect += s.perfect;
    fsum[0] += s.precision;
    fsum[1] += s.recall;
    fsum[2] += s.f1;
    fsum[3] += s.perfection;
    fsum[4] = dt > fsum[4] ? dt : fsum[4];
    (*count)++;
    free(fm.by_frame);
    trawl_infer_result_free(r);
    infer_msgs_free(&m);
    trawl_infer_truth_free(t);
    return 0;
}

int cli_infer_eval(const char *dir, const trawl_infer_opts *o, bool verbose)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_errorf("infer", "%s: cannot open the directory", dir);
        return CLI_ERROR;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".pcap"))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*nn));
        if (!nn)
            break;
        names = nn;
        names[n] = strndup(e->d_name, l - 5);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    printf("%-30s %6s %6s %5s %5s %5s %5s %7s\n", "capture", "msgs", "types", "P", "R", "F1",
           "perf", "time/s");
    trawl_infer_score sum = {0};
    double fsum[7] = {0};
    int count = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = eval_one(dir, names[i], o, verbose, &sum, fsum, &count);
        free(names[i]);
    }
    free(names);
    if (rc != 0)
        return rc;
    if (!count) {
        cli_errorf("infer", "%s: no NAME.pcap with a NAME.fields.jsonl beside it", dir);
        return CLI_NONE;
    }
    printf("%-30s %6s %6s %5.2f %5.2f %5.2f %5.2f %7.3f  (max)", "mean of captures", "", "",
           fsum[0] / count, fsum[1] / count, fsum[2] / count, fsum[3] / count, fsum[4]);
    if (fsum[6] > 0)
        printf("  kinds %.2f", fsum[5] / fsum[6]);
    printf("\n");
    double p = sum.tp + sum.fp ? (double)sum.tp / (double)(sum.tp + sum.fp) : 0;
    double r = sum.tp + sum.fn ? (double)sum.tp / (double)(sum.tp + sum.fn) : 0;
    printf("%-30s %6s %6s %5.2f %5.2f %5.2f %5.2f\n", "all boundaries pooled", "", "", p, r,
           p + r > 0 ? 2 * p * r / (p + r) : 0,
           sum.fields ? (double)sum.perfect / (double)sum.fields : 0);
    printf("target: mean F1 >= 0.80 (%.4f: %s), at most 5 s per capture (%s)\n", fsum[2] / count,
           fsum[2] / count >= 0.80 ? "met" : "not met", fsum[4] <= 5.0 ? "met" : "not met");
    printf("\npublished, trace-only, BinaryInferno (NDSS 2023) Table V, 1,000 messages each:\n"
           "  %-14s %-16s %-16s\n"
           "  %-14s %-16s %-16s\n"
           "  %-14s %-16s %-16s\n"
           "  %-14s %-16s %-16s\n"
           "  %-14s %-16s %-16s\n"
           "  %-14s %-16s %-16s\n",
           "tool", "Modbus P/R (F1)", "DNP3 P/R (F1)", "BinaryInferno", ".60/.60 (.60)",
           ".61/.31 (.41)", "FieldHunter", ".76/.60 (.67)", "none found", "NEMESYS",
           ".54/.59 (.56)", ".34/.54 (.42)", "Netzob", ".60/.60 (.60)", ".64/.40 (.49)", "NetPlier",
           ".23/.80 (.36)", ".23/1.00 (.37)");
    return 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        if (f)
            fclose(f);
        cli_errorf("infer", "%s: cannot write", path);
        return CLI_ERROR;
    }
    if (fclose(f) != 0) {
        cli_errorf("infer", "%s: cannot write", path);
        return CLI_ERROR;
    }
    return 0;
}

int infer_generate(const char *dir, uint64_t seed, uint64_t count, unsigned msgs)
{
    for (uint64_t i = 0; i < count; i++) {
        uint8_t *pcap;
        char *truth;
        size_t pl, tl;
        trawl_error err;
        trawl_error_clear(&err);
        if (trawl_infer_generate(seed + i, msgs, &pcap, &pl, &truth, &tl, &err) != TRAWL_OK) {
            cli_report("infer", "generate", &err);
            return CLI_ERROR;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/gen-%llu.pcap", dir, (unsigned long long)(seed + i));
        int rc = write_file(path, pcap, pl);
        snprintf(path, sizeof path, "%s/gen-%llu.fields.jsonl", dir,
                 (unsigned long long)(seed + i));
        if (rc == 0)
            rc = write_file(path, truth, tl);
        free(pcap);
        free(truth);
        if (rc)
            return rc;
    }
    return 0;
}
