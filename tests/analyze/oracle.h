/* oracle.h -- running SciPy and scikit-learn (tests/analyze/oracle.py,
 * with Debian's /usr/bin/python3) as oracles: a test writes its inputs and
 * a manifest of jobs into a temporary directory, runs the script once, and
 * reads the answers back. Header-only: each test file includes it. */
#ifndef TRAWL_TESTS_ANALYZE_ORACLE_H
#define TRAWL_TESTS_ANALYZE_ORACLE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct oracle {
    char dir[64];
    FILE *manifest;
    int jobs;
} oracle;

static inline void oracle_open(oracle *o)
{
    snprintf(o->dir, sizeof o->dir, "/tmp/trawl-oracle-XXXXXX");
    if (!mkdtemp(o->dir))
        abort();
    char p[128];
    snprintf(p, sizeof p, "%s/manifest", o->dir);
    o->manifest = fopen(p, "w");
    if (!o->manifest)
        abort();
    o->jobs = 0;
}

static inline void oracle_path(const oracle *o, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", o->dir, name);
}

static inline void oracle_write(const oracle *o, const char *name, const void *p, size_t n)
{
    char path[160];
    oracle_path(o, name, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

/* Reads exactly n bytes; returns 0, or -1 when the file is missing/short. */
static inline int oracle_read(const oracle *o, const char *name, void *p, size_t n)
{
    char path[160];
    oracle_path(o, name, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t got = fread(p, 1, n, f);
    fclose(f);
    return got == n ? 0 : -1;
}

static inline void oracle_job(oracle *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void oracle_job(oracle *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->manifest, fmt, ap);
    va_end(ap);
    fputc('\n', o->manifest);
    o->jobs++;
}

/* Runs the jobs. Returns 0, 3 when SciPy/scikit-learn are not installed
 * (the caller skips, saying so), other values on failure. */
static inline int oracle_run(oracle *o)
{
    fclose(o->manifest);
    o->manifest = NULL;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/analyze/oracle.py %s", o->dir);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return 1;
    return WEXITSTATUS(rc);
}

static inline void oracle_close(oracle *o)
{
    if (o->manifest)
        fclose(o->manifest);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", o->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", o->dir);
}

#endif
