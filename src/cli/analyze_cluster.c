/* analyze_cluster.c -- `trawl analyze cluster`: k-means, hierarchical
 * clustering (single, complete, average, weighted, ward) cut by k or by
 * distance, or DBSCAN, of messages (under a distance metric, or as feature
 * vectors) or of vectors read from .npy / CSV. Prints each cluster with its
 * consensus pattern and the silhouette; --json gives one object per item,
 * then the linkage rows as SciPy lays them out, then the clusters. */
#include "analyze.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char cluster_usage[] =
    "usage: trawl analyze cluster [OPTIONS] INPUT...\n"
    "\n"
    "Clusters messages, or feature vectors, and says what each cluster shares.\n"
    "\n"
    "  -m, --method M       kmeans, single, complete, average (upgma), weighted,\n"
    "                       ward, or dbscan (default average)\n"
    "  -k K                 number of clusters (k-means), or the largest number\n"
    "                       a hierarchical cut may leave\n"
    "  -d, --distance D     hierarchical: cut at height D instead\n"
    "      --eps E          DBSCAN: neighbourhood radius (default 0.5)\n"
    "      --min-samples N  DBSCAN: neighbours, itself included, of a core item (5)\n"
    "      --metric M       between messages: levenshtein (default), hamming,\n"
    "                       jaccard, align (Needleman-Wunsch, Netzob's scores);\n"
    "                       euclidean between vectors (the only one for them)\n"
    "      --ngram N        jaccard: n-gram size 1..8 (default 2)\n"
    "      --features SPEC  cluster feature vectors of the messages: length, hist,\n"
    "                       ngram:N:M, cols:N, comma-separated (k-means default:\n"
    "                       length,hist)\n"
    "      --input-format F inputs are vectors: npy or csv (one file)\n"
    "      --frames SPEC    messages are framed units, or pcap / pcap,flows payloads\n"
    "      --hex-lines      messages are lines of hex\n"
    "      --seed S         k-means++ seed (default 0)\n"
    "      --n-init N       k-means++ restarts, the best kept (default 1)\n"
    "      --max-iter N     k-means iterations at most (default 300)\n"
    "      --tol T          k-means tolerance x mean feature variance (default 1e-4)\n"
    "      --algorithm A    k-means: hamerly (default) or lloyd\n"
    "      --threads N      threads (default: every core)\n"
    "      --max-memory N   bound on the distance matrix, 8 n(n-1)/2 bytes (default 4G)\n"
    "      --items          text: list every item with its cluster\n"
    "      --svg FILE       hierarchical: write the dendrogram\n"
    "      --json           JSON Lines: items (index, cluster), merges, clusters\n"
    "      --max-input N    bytes read from a pipe at most (default 4G)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 clustered, 1 nothing to cluster, 2 error.\n";

enum { METHOD_KMEANS = 100, METHOD_DBSCAN = 101 };

typedef struct copts {
    int method; /* trawl_analyze_linkage_method, or METHOD_* */
    uint64_t k, min_samples, ngram, seed, n_init, max_iter, threads, max_memory;
    double dist, eps, tol;
    bool have_k, have_dist, json, items, have_metric;
    trawl_analyze_metric metric;
    trawl_analyze_kmeans_algorithm algo;
    const char *features, *input_format, *svg;
    an_load_opts ld;
} copts;

static int uerr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int uerr(const char *fmt, ...)
{
    va_list ap;
    fputs("trawl analyze cluster: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_ERROR;
}

static int parse_opts(int argc, char **argv, copts *o)
{
    static const struct option lo[] = {{"method", required_argument, NULL, 'm'},
                                       {"distance", required_argument, NULL, 'd'},
                                       {"eps", required_argument, NULL, 'E'},
                                       {"min-samples", required_argument, NULL, 'S'},
                                       {"metric", required_argument, NULL, 'M'},
                                       {"ngram", required_argument, NULL, 'n'},
                                       {"features", required_argument, NULL, 'F'},
                                       {"input-format", required_argument, NULL, 'I'},
                                       {"frames", required_argument, NULL, 'T'},
                                       {"hex-lines", no_argument, NULL, 'H'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"n-init", required_argument, NULL, 'N'},
                                       {"max-iter", required_argument, NULL, 'i'},
                                       {"tol", required_argument, NULL, 't'},
                                       {"algorithm", required_argument, NULL, 'A'},
                                       {"threads", required_argument, NULL, 'j'},
                                       {"max-memory", required_argument, NULL, 'X'},
                                       {"items", no_argument, NULL, 'L'},
                                       {"svg", required_argument, NULL, 'G'},
                                       {"json", no_argument, NULL, 'J'},
                                       {"max-input", required_argument, NULL, 'Y'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:k:d:h", lo, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'm': {
            trawl_analyze_linkage_method lm;
            if (!strcmp(optarg, "kmeans"))
                o->method = METHOD_KMEANS;
            else if (!strcmp(optarg, "dbscan"))
                o->method = METHOD_DBSCAN;
            else if (trawl_analyze_linkage_parse(optarg, &lm))
                o->method = (int)lm;
            else
                return uerr("unknown method '%s' (kmeans, single, complete, average, weighted, "
                            "ward, dbscan)",
                            optarg);
            break;
        }
        case 'k':
            ok = an_parse_u64(optarg, &o->k);
            if (ok && o->k == 0)
                return uerr("k must be at least 1, got 0");
            o->have_k = true;
            break;
        case 'd':
            ok = an_parse_double(optarg, &o->dist) && o->dist >= 0;
            o->have_dist = true;
            break;
        case 'E':
            ok = an_parse_double(optarg, &o->eps) && o->eps >= 0;
            break;
        case 'S':
            ok = an_parse_u64(optarg, &o->min_samples) && o->min_samples >= 1;
            break;
        case 'M':
            if (!trawl_analyze_metric_parse(optarg, &o->metric))
                return uerr("unknown metric '%s' (hamming, levenshtein, jaccard, align, "
                            "euclidean)",
                            optarg);
            o->have_metric = true;
            break;
        case 'n':
            ok = an_parse_u64(optarg, &o->ngram) && o->ngram >= 1 && o->ngram <= 8;
            break;
        case 'F':
            o->features = optarg;
            break;
        case 'I':
            if (strcmp(optarg, "npy") && strcmp(optarg, "csv"))
                return uerr("--input-format is npy or csv, not '%s'", optarg);
            o->input_format = optarg;
            break;
        case 'T':
            o->ld.frames = optarg;
            break;
        case 'H':
            o->ld.hex_lines = true;
            break;
        case 's':
            ok = an_parse_u64(optarg, &o->seed);
            break;
        case 'N':
            ok = an_parse_u64(optarg, &o->n_init) && o->n_init >= 1 && o->n_init <= 1000;
            break;
        case 'i':
            ok = an_parse_u64(optarg, &o->max_iter) && o->max_iter >= 1 && o->max_iter <= 1000000;
            break;
        case 't':
            ok = an_parse_double(optarg, &o->tol) && o->tol >= 0;
            break;
        case 'A':
            if (!strcmp(optarg, "lloyd"))
                o->algo = TRAWL_ANALYZE_KMEANS_LLOYD;
            else if (!strcmp(optarg, "hamerly"))
                o->algo = TRAWL_ANALYZE_KMEANS_HAMERLY;
            else
                return uerr("--algorithm is hamerly or lloyd, not '%s'", optarg);
            break;
        case 'j':
            ok = an_parse_u64(optarg, &o->threads) && o->threads <= 256;
            break;
        case 'X':
            ok = an_parse_u64(optarg, &o->max_memory);
            break;
        case 'L':
            o->items = true;
            break;
        case 'G':
            o->svg = optarg;
            break;
        case 'J':
            o->json = true;
            break;
        case 'Y':
            ok = an_parse_u64(optarg, &o->ld.max_input) && o->ld.max_input;
            break;
        case 'h':
            fputs(cluster_usage, stdout);
            return -1;
        default:
            fputs(cluster_usage, stderr);
            return CLI_ERROR;
        }
        if (!ok)
            return uerr("bad value '%s'", optarg);
    }
    bool hier = o->method <= TRAWL_ANALYZE_LINK_WARD;
    if (optind >= argc)
        return uerr("no input");
    if (o->method == METHOD_KMEANS && !o->have_k)
        return uerr("k-means needs -k");
    if (hier && o->have_k == o->have_dist)
        return uerr("a hierarchical method needs -k or --distance (one of them)");
    if (o->svg && !hier)
        return uerr("--svg draws a dendrogram: hierarchical methods only");
    if (o->input_format && (o->ld.frames || o->ld.hex_lines || o->features))
        return uerr("--input-format reads vectors; --frames, --hex-lines and --features "
                    "read messages");
    if (o->input_format && argc - optind != 1)
        return uerr("--input-format reads one file");
    bool vectors = o->input_format || o->features || o->method == METHOD_KMEANS;
    if (o->have_metric && vectors && o->metric != TRAWL_ANALYZE_EUCLIDEAN)
        return uerr("vectors are compared with the euclidean metric only");
    if (o->have_metric && !vectors && o->metric == TRAWL_ANALYZE_EUCLIDEAN)
        return uerr("euclidean compares vectors: use --features or --input-format");
    return 0;
}

/* ---- data --------------------------------------------------------------------------- */

typedef struct cdata {
    an_msgs msgs;
    bool have_msgs;
    trawl_analyze_matrix X; /* vectors, when clustering vectors */
    bool vectors;
    size_t n;
} cdata;

static int load(const copts *o, char **paths, size_t npaths, cdata *d)
{
    trawl_error err;
    trawl_error_clear(&err);
    if (o->input_format) {
        cli_input in;
        uint8_t *owned;
        if (an_read_whole("analyze cluster", paths[0], o->ld.max_input, &in, &owned) != 0)
            return CLI_ERROR;
        trawl_status st = !strcmp(o->input_format, "npy")
                              ? trawl_analyze_parse_npy(in.data, in.len, &d->X, &err)
                              : trawl_analyze_parse_csv(in.data, in.len, &d->X, &err);
        if (owned) {
            free(owned);
            in.data = NULL;
        }
        cli_input_close(&in);
        if (st != TRAWL_OK) {
            fprintf(stderr, "trawl analyze cluster: %s: %s\n", paths[0], err.message);
            return CLI_ERROR;
        }
        d->vectors = true;
        d->n = d->X.rows;
        return 0;
    }
    if (an_load("analyze cluster", paths, npaths, &o->ld, &d->msgs) != 0)
        return CLI_ERROR;
    d->have_msgs = true;
    d->n = d->msgs.n;
    if (o->features || o->method == METHOD_KMEANS) {
        const char *spec = o->features ? o->features : "length,hist";
        if (trawl_analyze_features(d->msgs.m, d->msgs.n, spec, &d->X, &err) != TRAWL_OK) {
            cli_report("analyze cluster", "--features", &err);
            return CLI_ERROR;
        }
        d->vectors = true;
    }
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static void print_items(const copts *o, const cdata *d, const int32_t *labels)
{
    for (size_t i = 0; i < d->n; i++) {
        if (o->json) {
            printf("{\"index\":%zu,\"cluster\":%d", i, labels[i]);
            if (d->have_msgs) {
                an_src_json(stdout, &d->msgs, i);
                printf(",\"length\":%zu", d->msgs.m[i].len);
            }
            fputs("}\n", stdout);
        } else if (o->items) {
            printf("%8zu %8d  ", i, labels[i]);
            if (d->have_msgs) {
                an_src_text(stdout, &d->msgs, i);
                printf("  %zu bytes", d->msgs.m[i].len);
            }
            fputc('\n', stdout);
        }
    }
}

static void print_merges(const copts *o, const double *Z, size_t n)
{
    for (size_t k = 0; o->json && k + 1 < n; k++)
        printf("{\"merge\":%zu,\"a\":%.0f,\"b\":%.0f,\"distance\":%.17g,\"size\":%.0f}\n", k,
               Z[4 * k], Z[4 * k + 1], Z[4 * k + 2], Z[4 * k + 3]);
}

/* Per cluster: size, and for messages the consensus pattern; for k-means
 * the center's first values. */
static int print_clusters(const copts *o, const cdata *d, const int32_t *labels, size_t nc,
                          const trawl_analyze_kmeans_result *km)
{
    size_t *members = malloc((d->n ? d->n : 1) * sizeof(*members));
    if (!members)
        return CLI_ERROR;
    size_t noise = 0;
    for (size_t i = 0; i < d->n; i++)
        noise += labels[i] < 0;
    if (!o->json)
        printf("%8s %8s  %s\n", "cluster", "size", d->have_msgs ? "consensus" : "center");
    for (int64_t c = noise ? -1 : 0; c < (int64_t)nc; c++) {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (labels[i] == c)
                members[m++] = i;
        if (!m)
            continue;
        trawl_analyze_consensus_result cs = {0};
        if (d->have_msgs &&
            trawl_analyze_consensus(d->msgs.m, d->msgs.n, members, m, &cs, NULL) != TRAWL_OK) {
            free(members);
            return CLI_ERROR;
        }
        if (o->json) {
            printf("{\"cluster\":%" PRId64 ",\"size\":%zu", c, m);
            if (d->have_msgs) {
                printf(",\"shortest\":%zu,\"longest\":%zu,\"pattern\":", cs.common, cs.len);
                if (cs.pattern)
                    cli_json_string(stdout, cs.pattern);
                else
                    fputs("null", stdout);
            }
            if (km && c >= 0) {
                fputs(",\"center\":[", stdout);
                for (size_t j = 0; j < km->d; j++)
                    printf("%s%.17g", j ? "," : "", km->centers[(size_t)c * km->d + j]);
                fputc(']', stdout);
            }
            fputs("}\n", stdout);
        } else {
            printf("%8" PRId64 " %8zu  ", c, m);
            if (d->have_msgs) {
                const char *p = cs.pattern ? cs.pattern : "(nothing in common)";
                printf("%.*s%s", 96, p, strlen(p) > 96 ? " ..." : "");
            } else if (km && c >= 0) {
                for (size_t j = 0; j < km->d && j < 8; j++)
                    printf("%s%.4g", j ? " " : "", km->centers[(size_t)c * km->d + j]);
                if (km->d > 8)
                    printf(" ...");
            } else if (c < 0) {
                printf("(noise)");
            }
            fputc('\n', stdout);
        }
        trawl_analyze_consensus_free(&cs);
    }
    free(members);
    return 0;
}

static int write_svg(const copts *o, const cdata *d, const double *Z, const int32_t *labels,
                     double cut)
{
    FILE *f = strcmp(o->svg, "-") ? fopen(o->svg, "w") : stdout;
    if (!f) {
        cli_errorf("analyze cluster", "%s: %s", o->svg, strerror(errno));
        return CLI_ERROR;
    }
    char **names = NULL;
    if (d->have_msgs && d->n <= 400) {
        names = calloc(d->n, sizeof(*names));
        for (size_t i = 0; names && i < d->n; i++) {
            names[i] = malloc(24);
            if (names[i]) /* first bytes of the message */
                for (size_t k = 0; k < 8 && k < d->msgs.m[i].len; k++)
                    snprintf(names[i] + 2 * k, 3, "%02x", d->msgs.m[i].ptr[k]);
            if (names[i] && !d->msgs.m[i].len)
                names[i][0] = 0;
        }
    }
    char title[128];
    snprintf(title, sizeof title, "%s linkage of %zu items", trawl_analyze_linkage_name(o->method),
             d->n);
    trawl_analyze_dendrogram_plot pl = {
        .title = title,
        .Z = Z,
        .n = d->n,
        .leaf_labels = (const char *const *)names,
        .clusters = labels,
        .cut = cut,
        .distance_label = d->vectors ? "euclidean distance" : trawl_analyze_metric_name(o->metric)};
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = trawl_analyze_svg_dendrogram(f, &pl, &err);
    if (f != stdout && fclose(f) != 0 && st == TRAWL_OK)
        st = TRAWL_EIO;
    for (size_t i = 0; names && i < d->n; i++)
        free(names[i]);
    free(names);
    if (st != TRAWL_OK) {
        cli_report("analyze cluster", o->svg, &err);
        return CLI_ERROR;
    }
    return 0;
}

/* ---- run --------------------------------------------------------------------------------- */

static int run(const copts *o, cdata *d)
{
    trawl_error err;
    trawl_error_clear(&err);
    const size_t n = d->n;
    int32_t *labels = malloc((n ? n : 1) * sizeof(*labels));
    double *D = NULL, *Z = NULL, cut = 0;
    size_t nc = 0;
    int rc = CLI_ERROR;
    trawl_analyze_kmeans_result km = {0};
    if (!labels)
        goto out;
    if (o->method == METHOD_KMEANS) {
        trawl_analyze_kmeans_opts ko = {.k = (size_t)o->k,
                                        .max_iter = (unsigned)o->max_iter,
                                        .tol = o->tol,
                                        .n_init = (unsigned)o->n_init,
                                        .seed = o->seed,
                                        .algorithm = o->algo,
                                        .threads = (unsigned)o->threads};
        if (trawl_analyze_kmeans(d->X.data, d->X.rows, d->X.cols, &ko, &km, &err) != TRAWL_OK) {
            cli_report("analyze cluster", NULL, &err);
            goto out;
        }
        memcpy(labels, km.labels, n * sizeof(*labels));
        nc = km.k;
    } else {
        uint64_t entries = trawl_analyze_condensed_size(n);
        if (o->max_memory && entries * 8 > o->max_memory) {
            cli_errorf("analyze cluster",
                       "%zu items need a %" PRIu64
                       "-byte distance matrix, over --max-memory %" PRIu64,
                       n, entries * 8, o->max_memory);
            goto out;
        }
        D = malloc((size_t)(entries ? entries : 1) * sizeof(*D));
        if (!D) {
            cli_errorf("analyze cluster", "out of memory for %" PRIu64 " distances", entries);
            goto out;
        }
        trawl_status st;
        if (d->vectors) {
            st = trawl_analyze_pdist(d->X.data, d->X.rows, d->X.cols, (unsigned)o->threads, 0, D,
                                     &err);
        } else {
            trawl_analyze_distance_opts dop = {
                .metric = o->metric, .ngram = (unsigned)o->ngram, .threads = (unsigned)o->threads};
            st = trawl_analyze_distance_matrix(d->msgs.m, n, &dop, D, &err);
        }
        if (st != TRAWL_OK) {
            cli_report("analyze cluster", NULL, &err);
            goto out;
        }
        if (o->method == METHOD_DBSCAN) {
            st = trawl_analyze_dbscan(D, n, o->eps, (size_t)o->min_samples, labels, &nc, &err);
        } else {
            Z = malloc((n > 1 ? n - 1 : 1) * 4 * sizeof(*Z));
            st = Z ? trawl_analyze_linkage(D, n, (trawl_analyze_linkage_method)o->method, Z, &err)
                   : TRAWL_ENOMEM;
            if (st == TRAWL_OK && o->have_k)
                st = trawl_analyze_cut_k(Z, n, (size_t)o->k, labels, &nc, &err);
            else if (st == TRAWL_OK) {
                st = trawl_analyze_cut_distance(Z, n, o->dist, labels, &nc, &err);
                cut = o->dist;
            }
        }
        if (st != TRAWL_OK) {
            cli_report("analyze cluster", NULL, &err);
            goto out;
        }
    }
    /* silhouette: from the matrix when there is one; from vectors up to
     * 20,000 items (it is O(n^2 d)) */
    double sil = NAN;
    size_t distinct = nc + 1;
    bool sil_ok = false;
    if (n >= 3) {
        trawl_status st = TRAWL_EINVAL;
        if (D)
            st = trawl_analyze_silhouette(D, n, labels, (unsigned)o->threads, &sil, NULL, NULL);
        else if (n <= 20000)
            st = trawl_analyze_silhouette_vectors(d->X.data, n, d->X.cols, labels,
                                                  (unsigned)o->threads, &sil, NULL, NULL);
        sil_ok = st == TRAWL_OK;
    }
    (void)distinct;
    print_items(o, d, labels);
    if (Z)
        print_merges(o, Z, n);
    if (print_clusters(o, d, labels, nc, o->method == METHOD_KMEANS ? &km : NULL) != 0)
        goto out;
    const char *mname = o->method == METHOD_KMEANS   ? "kmeans"
                        : o->method == METHOD_DBSCAN ? "dbscan"
                                                     : trawl_analyze_linkage_name(o->method);
    const char *metric = d->vectors ? "euclidean" : trawl_analyze_metric_name(o->metric);
    if (o->json) {
        printf("{\"items\":%zu,\"clusters\":%zu,\"method\":\"%s\",\"metric\":\"%s\"", n, nc, mname,
               metric);
        if (sil_ok)
            printf(",\"silhouette\":%.6f", sil);
        if (o->method == METHOD_KMEANS)
            printf(",\"inertia\":%.17g,\"iterations\":%u", km.inertia, km.iterations);
        fputs("}\n", stdout);
    } else {
        printf("%zu items, %zu clusters (%s, %s)", n, nc, mname, metric);
        if (sil_ok)
            printf(", silhouette %.4f", sil);
        if (o->method == METHOD_KMEANS)
            printf(", inertia %.6g after %u iterations", km.inertia, km.iterations);
        fputc('\n', stdout);
    }
    if (o->svg && write_svg(o, d, Z, labels, cut) != 0)
        goto out;
    rc = 0;
out:
    trawl_analyze_kmeans_result_free(&km);
    free(labels);
    free(D);
    free(Z);
    return rc;
}

int an_cluster(int argc, char **argv)
{
    copts o = {.method = TRAWL_ANALYZE_LINK_AVERAGE,
               .eps = 0.5,
               .min_samples = 5,
               .max_iter = 300,
               .tol = 1e-4,
               .n_init = 1,
               .max_memory = (uint64_t)4 << 30,
               .metric = TRAWL_ANALYZE_LEVENSHTEIN,
               .ld = {.max_input = (uint64_t)4 << 30}};
    int r = parse_opts(argc, argv, &o);
    if (r)
        return r < 0 ? 0 : r;
    cdata d = {0};
    int rc = load(&o, argv + optind, (size_t)(argc - optind), &d);
    if (rc == 0 && d.n == 0) {
        fprintf(stderr, "trawl analyze cluster: no items to cluster\n");
        rc = CLI_NONE;
    } else if (rc == 0) {
        rc = run(&o, &d);
    }
    if (d.have_msgs)
        an_free(&d.msgs);
    trawl_analyze_matrix_free(&d.X);
    return rc;
}
