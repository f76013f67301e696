/* bench_detect_poly.c -- latency of the polymorphic detector per call, on
 * the inputs issue 5 names: a 1 MB binary. Three workloads, each run
 * POLY_CALLS times (default 200) through the public engine API:
 *   lib-1MB     the first 1 MiB of the largest shared library on the machine
 *               (a truncated ELF: headers, .text, part of .rodata)
 *   random-1MB  1 MiB of fixed-seed random bytes (the high-entropy path)
 *   behaviour   the syscall trace and two W+X regions of the tests
 * Prints median and p99 per call, the original Python target (50 ms) and
 * the ratio target / median. BENCH_ONLY names one workload to run (e.g.
 * under callgrind). */
#include "benchutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <trawl/trawl.h>

#define ORIGINAL_TARGET_MS 50.0

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The largest *.so* in dir, read up to cap bytes. */
static uint8_t *largest_lib(const char *dir, size_t cap, size_t *n, char *name, size_t namecap)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    off_t best = 0;
    char path[4096];
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".so"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best) {
            best = st.st_size;
            snprintf(name, namecap, "%s", path);
        }
    }
    closedir(d);
    if (!best)
        return NULL;
    FILE *f = fopen(name, "rb");
    if (!f)
        return NULL;
    uint8_t *p = malloc(cap);
    *n = p ? fread(p, 1, cap, f) : 0;
    fclose(f);
    return p;
}

static void run(const char *label, trawl_detect_engine *e, trawl_detect_ctx *c,
                const trawl_detect_input *in, int calls)
{
    const char *only = getenv("BENCH_ONLY");
    if (only && strcmp(only, label))
        return;
    double *t = malloc(sizeof(double) * (size_t)calls);
    double score = 0;
    if (!t)
        exit(1);
    for (int i = -3; i < calls; i++) { /* three warm-up calls */
        trawl_detect_report *r;
        trawl_error err;
        double t0 = bu_now();
        if (trawl_detect_run(e, c, in, TRAWL_DET_POLYMORPHIC, &r, &err) != TRAWL_OK) {
            fprintf(stderr, "bench_detect_poly: %s\n", err.message);
            exit(1);
        }
        double dt = bu_now() - t0;
        score = r->threat_score;
        trawl_detect_report_free(r);
        if (i >= 0)
            t[i] = dt * 1e3;
    }
    qsort(t, (size_t)calls, sizeof *t, cmp_d);
    double med = t[calls / 2];
    int k = (int)(0.99 * calls);
    double p99 = t[k >= calls ? calls - 1 : k];
    printf("%-12s median %8.3f ms  p99 %8.3f ms  original target %.0f ms  target/median "
           "%6.1fx  threat_score %.2f\n",
           label, med, p99, ORIGINAL_TARGET_MS, ORIGINAL_TARGET_MS / med, score);
    fflush(stdout);
    free(t);
}

int main(void)
{
    const char *s = getenv("POLY_CALLS");
    int calls = s ? atoi(s) : 200;
    if (calls < 10)
        calls = 10;
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    double t0 = bu_now();
    if (trawl_detect_engine_new(NULL, 0, &e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK) {
        fprintf(stderr, "bench_detect_poly: %s\n", err.message);
        return 1;
    }
    printf("engine setup (compiles rules/packers.rules): %.1f ms\n", (bu_now() - t0) * 1e3);

    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    char name[4096] = "";
    size_t n = 0;
    uint8_t *lib = largest_lib("/usr/lib/x86_64-linux-gnu", 1 << 20, &n, name, sizeof name);
    if (lib && n) {
        printf("lib-1MB = first %zu bytes of %s\n", n, name);
        in.data = lib;
        in.data_len = n;
        run("lib-1MB", e, c, &in, calls);
    } else {
        printf("lib-1MB: skipped, no shared library found\n");
    }
    uint8_t *rnd = bu_random_bytes(1 << 20, 42);
    in.data = rnd;
    in.data_len = 1 << 20;
    run("random-1MB", e, c, &in, calls);

    memset(&in, 0, sizeof in);
    char *sys[] = {"mprotect", "mmap", "execve", "ptrace", "fork"};
    trawl_memory_region mem[2] = {{0x400000, 4096, "rwx"}, {0x7f0000000000, 65536, "rwx"}};
    in.syscalls = sys;
    in.n_syscalls = 5;
    in.memory = mem;
    in.n_memory = 2;
    run("behaviour", e, c, &in, calls);

    free(lib);
    free(rnd);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return 0;
}
