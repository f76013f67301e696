/* benchutil.c -- see benchutil.h. */
#include "benchutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double bu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bu_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint8_t *bu_random_bytes(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return NULL;
    uint64_t x = seed | 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] = (uint8_t)(i * 131u);
    return p;
}

static size_t append_file(uint8_t *dst, size_t off, size_t cap, const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return off;
    while (off < cap) {
        ssize_t r = read(fd, dst + off, cap - off);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    return off;
}

static int is_shared_lib(const char *name)
{
    return strstr(name, ".so") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

uint8_t *bu_shared_lib_corpus(size_t n)
{
    static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib"};
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return NULL;
    size_t off = 0;
    for (size_t d = 0; d < 2 && off < n; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir)
            continue;
        char **names = NULL;
        size_t count = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (!is_shared_lib(e->d_name))
                continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                char **nn = realloc(names, cap * sizeof(*names));
                if (!nn)
                    break;
                names = nn;
            }
            names[count++] = strdup(e->d_name);
        }
        closedir(dir);
        /* sorted, so the corpus is the same bytes every run on one machine */
        qsort(names, count, sizeof(*names), cmp_str);
        for (size_t i = 0; i < count; i++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
            struct stat st;
            if (off < n && stat(path, &st) == 0 && S_ISREG(st.st_mode))
                off = append_file(p, off, n, path);
            free(names[i]);
        }
        free(names);
    }
    if (off == 0) { /* no libraries at all: fall back to random bytes */
        free(p);
        return bu_random_bytes(n, 42);
    }
    for (size_t have = off; off < n;) { /* repeat to fill */
        size_t k = n - off < have ? n - off : have;
        memcpy(p + off, p, k);
        off += k;
    }
    return p;
}

void bu_report(const char *workload, const char *engine, double mbps, double ref_mbps,
               const char *note)
{
    char ratio[32] = "";
    if (ref_mbps > 0 && mbps > 0)
        snprintf(ratio, sizeof(ratio), "trawl/peer %.2fx", ref_mbps / mbps);
    printf("%-10s %-22s %10.1f MB/s  peak %7.1f MiB  %-18s %s\n", workload, engine, mbps,
           bu_peak_rss_mib(), ratio, note ? note : "");
    fflush(stdout);
}

int bu_runs(void)
{
    const char *s = getenv("BENCH_RUNS");
    int n = s ? atoi(s) : 5;
    return n > 0 && n < 1000 ? n : 5;
}

size_t bu_corpus_bytes(size_t def_mib)
{
    const char *s = getenv("BENCH_MIB");
    long n = s ? atol(s) : (long)def_mib;
    if (n <= 0)
        n = (long)def_mib;
    return (size_t)n << 20;
}
