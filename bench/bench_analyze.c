/* bench_analyze.c -- trawl analyze against its peers, same data, same run
 * (issue 13):
 *
 *   kmeans     20,000 x 10, k = 10 and 200,000 x 32, k = 64: trawl (Lloyd,
 *              Hamerly) against scikit-learn's KMeans (lloyd, elkan) from
 *              the same initial centers for the same iterations (tol 0,
 *              max_iter fixed), on 1 thread and on all; time, inertia,
 *              iterations. Target: >= 2x scikit-learn's speed, same inertia.
 *   linkage    2,000 and 10,000 points (8 dimensions) with average, ward,
 *              single: trawl_analyze_linkage_vectors against SciPy's
 *              linkage(X, method), both from the vectors; the rows are
 *              compared. Target: >= 1x at 10,000.
 *   entropy    sliding-window entropy of 256 MiB (the machine's shared
 *              libraries): GB/s in-process; the whole `trawl analyze
 *              entropy` process against `binwalk -E -N -q` on the same file
 *              with the same 1 KiB blocks (binwalk once: it is slow).
 *   levenshtein  the distance matrix of 5,000 messages of 64 bytes:
 *              pairs/s, against python-Levenshtein's C distance in a Python
 *              loop over the first 1,000.
 *
 * Peers run with Debian's /usr/bin/python3; a missing peer is reported as
 * skipped. BENCH_RUNS (default 5; 3 for the big cases) repetitions, medians.
 * BENCH_QUICK=1 shrinks everything for a smoke run; BENCH_ONLY=kmeans,
 * linkage, entropy or levenshtein runs one part. */
#include "benchutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <trawl/analyze.h>
#include <unistd.h>

static char dir[64];
static bool quick;

static void wfile(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

/* Runs a Python script (text) with /usr/bin/python3 in dir; its stdout into
 * out. Returns 0, or -1 when Python or the module is missing. */
static int python(const char *script, const char *env, char *out, size_t cap)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return -1;
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/peer.py", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && %s /usr/bin/python3 peer.py 2>/dev/null", dir,
             env ? env : "");
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    return rc == 0 && n ? 0 : -1;
}

static double unit(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}

static double gauss(uint64_t *s)
{
    double u = unit(s) + 1e-300, v = unit(s);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* n points around 2k random centers. */
static double *blobs(size_t n, size_t d, size_t k, uint64_t seed)
{
    uint64_t s = seed | 1;
    double *c = malloc(2 * k * d * sizeof(double)), *X = malloc(n * d * sizeof(double));
    for (size_t i = 0; i < 2 * k * d; i++)
        c[i] = unit(&s) * 20 - 10;
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)(unit(&s) * (double)(2 * k));
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = c[b * d + j] + 1.5 * gauss(&s);
    }
    free(c);
    return X;
}

/* ---- k-means ----------------------------------------------------------------------- */

static void kmeans_case(size_t n, size_t d, size_t k, unsigned iters, int runs)
{
    double *X = blobs(n, d, k, 7 + n);
    double *C = malloc(k * d * sizeof(double));
    uint64_t s = 99;
    for (size_t i = 0; i < k; i++)
        memcpy(C + i * d, X + (size_t)(unit(&s) * (double)n) * d, d * sizeof(double));
    wfile("X", X, n * d * sizeof(double));
    wfile("C", C, k * d * sizeof(double));
    char work[96];
    snprintf(work, sizeof work, "kmeans %zux%zu k=%zu", n, d, k);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double best_trawl[2] = {INFINITY, INFINITY}, inertia = 0;
    printf("%-26s %-22s %10s %14s %6s %8s\n", "workload", "engine", "median s", "inertia", "iters",
           "ratio");
    for (int t = 0; t < 2; t++) {
        for (int a = 0; a < 2; a++) {
            trawl_analyze_kmeans_opts o = {.k = k,
                                           .max_iter = iters,
                                           .tol = 0,
                                           .init = C,
                                           .algorithm = a ? TRAWL_ANALYZE_KMEANS_HAMERLY
                                                          : TRAWL_ANALYZE_KMEANS_LLOYD,
                                           .threads = t ? 0 : 1};
            double tm[16];
            trawl_analyze_kmeans_result r = {0};
            for (int i = 0; i < runs; i++) {
                trawl_analyze_kmeans_result_free(&r);
                double t0 = bu_now();
                if (trawl_analyze_kmeans(X, n, d, &o, &r, NULL) != TRAWL_OK)
                    exit(2);
                tm[i] = bu_now() - t0;
            }
            double med = bu_median(tm, runs);
            best_trawl[t] = med < best_trawl[t] ? med : best_trawl[t];
            inertia = r.inertia;
            char eng[48];
            snprintf(eng, sizeof eng, "trawl %s %s", a ? "hamerly" : "lloyd",
                     t ? "all" : "1 thread");
            printf("%-26s %-22s %10.4f %14.6f %6u %8s\n", work, eng, med, r.inertia, r.iterations,
                   "");
            trawl_analyze_kmeans_result_free(&r);
        }
    }
    char script[2048], out[4096];
    snprintf(
        script, sizeof script,
        "import numpy as np, time\n"
        "from sklearn.cluster import KMeans\n"
        "X = np.fromfile('X', dtype='<f8').reshape(%zu, %zu)\n"
        "C = np.fromfile('C', dtype='<f8').reshape(%zu, %zu)\n"
        "for algo in ('lloyd', 'elkan'):\n"
        "    ts = []\n"
        "    for r in range(%d):\n"
        "        t = time.perf_counter()\n"
        "        km = KMeans(%zu, init=C, n_init=1, max_iter=%u, tol=0, algorithm=algo).fit(X)\n"
        "        ts.append(time.perf_counter() - t)\n"
        "    print(algo, sorted(ts)[len(ts) // 2], repr(km.inertia_), km.n_iter_)\n",
        n, d, k, d, runs, k, iters);
    for (int t = 0; t < 2; t++) {
        char env[64];
        snprintf(env, sizeof env, "OMP_NUM_THREADS=%ld OPENBLAS_NUM_THREADS=1", t ? cores : 1L);
        if (python(script, env, out, sizeof out) != 0) {
            printf("%-26s %-22s skipped: scikit-learn not found\n", work, "scikit-learn");
            break;
        }
        double best = INFINITY;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            char algo[16];
            double sec, in;
            unsigned it;
            if (sscanf(line, "%15s %lf %lf %u", algo, &sec, &in, &it) != 4)
                continue;
            best = sec < best ? sec : best;
            char eng[48];
            snprintf(eng, sizeof eng, "sklearn %s %s", algo, t ? "all" : "1 thread");
            printf("%-26s %-22s %10.4f %14.6f %6u %8s  inertia rel. diff %.1e\n", work, eng, sec,
                   in, it, "", fabs(in - inertia) / in);
        }
        printf("%-26s %-22s trawl is %.2fx scikit-learn's best (target >= 2x)\n", work,
               t ? "all threads" : "1 thread", best / best_trawl[t]);
    }
    free(X);
    free(C);
}

/* ---- linkage ------------------------------------------------------------------------- */

static void linkage_case(size_t n, int runs)
{
    const size_t d = 8;
    double *X = blobs(n, d, 20, 3 + n);
    wfile("L", X, n * d * sizeof(double));
    static const trawl_analyze_linkage_method ms[] = {
        TRAWL_ANALYZE_LINK_AVERAGE, TRAWL_ANALYZE_LINK_WARD, TRAWL_ANALYZE_LINK_SINGLE};
    double *Z = malloc((n - 1) * 4 * sizeof(double));
    double mine[3];
    char work[64];
    for (int m = 0; m < 3; m++) {
        double tm[16];
        for (int i = 0; i < runs; i++) {
            double t0 = bu_now();
            if (trawl_analyze_linkage_vectors(X, n, d, ms[m], 0, 0, Z, NULL) != TRAWL_OK)
                exit(2);
            tm[i] = bu_now() - t0;
        }
        mine[m] = bu_median(tm, runs);
        char zn[8];
        snprintf(zn, sizeof zn, "Z%d", m);
        wfile(zn, Z, (n - 1) * 4 * sizeof(double));
        snprintf(work, sizeof work, "linkage %zu %s", n, trawl_analyze_linkage_name(ms[m]));
        printf("%-26s %-22s %10.4f\n", work, "trawl (all threads)", mine[m]);
    }
    char script[2048], out[4096];
    snprintf(
        script, sizeof script,
        "import numpy as np, time\n"
        "from scipy.cluster.hierarchy import linkage\n"
        "X = np.fromfile('L', dtype='<f8').reshape(%zu, %zu)\n"
        "for i, m in enumerate(('average', 'ward', 'single')):\n"
        "    ts = []\n"
        "    for r in range(%d):\n"
        "        t = time.perf_counter(); Z = linkage(X, m); ts.append(time.perf_counter() - t)\n"
        "    T = np.fromfile('Z%%d' %% i, dtype='<f8').reshape(-1, 4)\n"
        "    same = (T[:, [0, 1, 3]] == Z[:, [0, 1, 3]]).all() and "
        "np.abs(T[:, 2] - Z[:, 2]).max() <= 1e-9\n"
        "    print(m, sorted(ts)[len(ts) // 2], int(same))\n",
        n, d, runs);
    if (python(script, NULL, out, sizeof out) != 0) {
        printf("%-26s %-22s skipped: SciPy not found\n", "linkage", "scipy");
    } else {
        int m = 0;
        for (char *line = strtok(out, "\n"); line && m < 3; line = strtok(NULL, "\n"), m++) {
            char name[16];
            double sec;
            int same;
            if (sscanf(line, "%15s %lf %d", name, &sec, &same) != 3)
                continue;
            snprintf(work, sizeof work, "linkage %zu %s", n, name);
            printf("%-26s %-22s %10.4f %14s %6s %7.2fx  %s\n", work, "scipy linkage", sec, "", "",
                   sec / mine[m], same ? "same rows" : "ROWS DIFFER");
        }
    }
    free(X);
    free(Z);
}

/* ---- entropy ---------------------------------------------------------------------------- */

static double run_process(char *const argv[])
{
    double t0 = bu_now();
    pid_t pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0) {
            dup2(nul, STDOUT_FILENO);
            dup2(nul, STDERR_FILENO);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return bu_now() - t0;
}

static void entropy_case(size_t bytes, int runs, const char *trawl_bin)
{
    uint8_t *p = bu_shared_lib_corpus(bytes);
    static const size_t geom[][2] = {{1024, 1024}, {4096, 1024}, {1000, 100}};
    for (int g = 0; g < 3; g++) {
        trawl_analyze_entropy_scanner *s;
        trawl_analyze_entropy_scanner_new(geom[g][0], geom[g][1], &s, NULL);
        uint64_t nw = trawl_analyze_entropy_window_count(s, bytes);
        double *v = malloc(nw * sizeof(double)), tm[16];
        for (int i = 0; i < runs; i++) {
            trawl_analyze_entropy_request rq = {.values = v, .cap = nw};
            trawl_analyze_window_stats w;
            double t0 = bu_now();
            trawl_analyze_entropy_scan(s, p, bytes, &rq, &w, NULL);
            tm[i] = bu_now() - t0;
        }
        char work[64], eng[64];
        snprintf(work, sizeof work, "entropy %zu MiB", bytes >> 20);
        snprintf(eng, sizeof eng, "trawl w%zu s%zu", geom[g][0], geom[g][1]);
        printf("%-26s %-22s %10.4f %10.2f GB/s\n", work, eng, bu_median(tm, runs),
               (double)bytes / bu_median(tm, runs) / 1e9);
        free(v);
        trawl_analyze_entropy_scanner_free(s);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/corpus.bin", dir);
    wfile("corpus.bin", p, bytes);
    free(p);
    char *targv[] = {(char *)trawl_bin, "analyze", "entropy", "-w", "1024", path, NULL};
    double tm[16];
    for (int i = 0; i < runs; i++)
        tm[i] = run_process(targv);
    double mine = bu_median(tm, runs);
    char work[64];
    snprintf(work, sizeof work, "entropy %zu MiB process", bytes >> 20);
    printf("%-26s %-22s %10.4f\n", work, "trawl analyze entropy", mine);
    char *bargv[] = {"binwalk", "-E", "-N", "-q", "-K", "1024", path, NULL};
    double b = access("/usr/bin/binwalk", X_OK) == 0 ? run_process(bargv) : -1;
    if (b < 0)
        printf("%-26s %-22s skipped: binwalk not found or failed\n", work, "binwalk -E");
    else
        printf("%-26s %-22s %10.4f %14s %6s %7.1fx  one run\n", work, "binwalk -E -N -K 1024", b,
               "", "", b / mine);
}

/* ---- levenshtein ------------------------------------------------------------------------ */

static void levenshtein_case(size_t n, int runs)
{
    const size_t L = 64;
    uint8_t *buf = malloc(n * L);
    uint64_t s = 5;
    trawl_span *m = malloc(n * sizeof(*m));
    for (size_t i = 0; i < n; i++) { /* 20 templates, a quarter of the bytes changed */
        size_t t = (size_t)(unit(&s) * 20);
        for (size_t j = 0; j < L; j++)
            buf[i * L + j] =
                unit(&s) < 0.25 ? (uint8_t)(unit(&s) * 256) : (uint8_t)(t * 31 + j * 7);
        m[i] = (trawl_span){buf + i * L, L};
    }
    wfile("M", buf, n * L);
    size_t e = (size_t)trawl_analyze_condensed_size(n);
    double *D = malloc(e * sizeof(double));
    double mine[2];
    char work[64];
    snprintf(work, sizeof work, "levenshtein %zu x %zu B", n, L);
    for (int t = 0; t < 2; t++) {
        trawl_analyze_distance_opts o = {.metric = TRAWL_ANALYZE_LEVENSHTEIN, .threads = t ? 0 : 1};
        double tm[16];
        for (int i = 0; i < runs; i++) {
            double t0 = bu_now();
            trawl_analyze_distance_matrix(m, n, &o, D, NULL);
            tm[i] = bu_now() - t0;
        }
        mine[t] = (double)e / bu_median(tm, runs);
        printf("%-26s %-22s %10.4f %10.3g pairs/s\n", work,
               t ? "trawl all threads" : "trawl 1 thread", bu_median(tm, runs), mine[t]);
    }
    char script[1024], out[1024];
    snprintf(script, sizeof script,
             "import time, Levenshtein\n"
             "b = open('M', 'rb').read()\n"
             "m = [b[i * %zu:(i + 1) * %zu] for i in range(1000)]\n"
             "t = time.perf_counter()\n"
             "for i in range(1000):\n"
             "    x = m[i]\n"
             "    for j in range(i + 1, 1000):\n"
             "        Levenshtein.distance(x, m[j])\n"
             "print(499500 / (time.perf_counter() - t))\n",
             L, L);
    if (python(script, NULL, out, sizeof out) != 0) {
        printf("%-26s %-22s skipped: python3-levenshtein not found\n", work, "python-Levenshtein");
    } else {
        double pr = atof(out);
        printf("%-26s %-22s %10s %10.3g pairs/s %7.1fx (1 thread)  first 1,000 messages\n", work,
               "python-Levenshtein", "", pr, mine[0] / pr);
    }
    free(D);
    free(m);
    free(buf);
}

int main(int argc, char **argv)
{
    (void)argc;
    quick = getenv("BENCH_QUICK") != NULL;
    snprintf(dir, sizeof dir, "/tmp/trawl-bench-XXXXXX");
    if (!mkdtemp(dir))
        return 2;
    /* the trawl binary sits next to build/bench: ../bin/trawl */
    char trawl_bin[4096];
    snprintf(trawl_bin, sizeof trawl_bin, "%s", argv[0]);
    char *slash = strrchr(trawl_bin, '/');
    if (slash)
        snprintf(slash, sizeof trawl_bin - (size_t)(slash - trawl_bin), "/../bin/trawl");
    int runs = bu_runs(), big = runs < 3 ? runs : 3;
    const char *only = getenv("BENCH_ONLY");
#define PART(name) (!only || !strcmp(only, name))
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (quick) {
        kmeans_case(2000, 10, 10, 20, 1);
        linkage_case(500, 1);
        entropy_case((size_t)16 << 20, 1, trawl_bin);
        levenshtein_case(1000, 1);
    } else {
        if (PART("kmeans")) {
            kmeans_case(20000, 10, 10, 50, runs);
            kmeans_case(200000, 32, 64, 10, big);
        }
        if (PART("linkage")) {
            linkage_case(2000, runs);
            linkage_case(10000, big);
        }
        if (PART("entropy"))
            entropy_case(bu_corpus_bytes(256), big, trawl_bin);
        if (PART("levenshtein"))
            levenshtein_case(5000, big);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
