/* bench_pattern.c -- the pattern engine against its peers: same run, same
 * data, median of bu_runs() repetitions, ratio to each peer.
 *
 *   W1  \xAA\x55.{10}\xFF\xFE over random bytes (fixed seed)
 *   W2  \x48\x8B.{2}\xE8 over the machine's shared libraries
 *   W3  every YARA hex string of ../shared/data/yara_hex_patterns.txt as one
 *       set over the shared libraries
 *
 * Peers: raw Hyperscan (block mode, HS_FLAG_DOTALL), PCRE2-JIT (W1, W2),
 * libyara (W3) and Python's re (W1, when /usr/bin/python3 exists). trawl's
 * streaming mode is measured on W1 in a child process, for throughput and to
 * show that its peak memory does not grow with the input. bench/README.md
 * explains every line of the output. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "benchutil.h"

#include <trawl/trawl.h>

#include <hs/hs.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yara.h>

#define MAX_RUNS     1000
#define MIB          ((size_t)1 << 20)
#define W1_SEED      0x7261776C31ull /* "trawl1" */
#define STREAM_CHUNK MIB
#define PYTHON       "/usr/bin/python3"

static const char W1_REGEX[] = "\\xAA\\x55.{10}\\xFF\\xFE";
static const uint64_t W1_WIDTH = 14;
static const char W2_REGEX[] = "\\x48\\x8B.{2}\\xE8";
static const uint64_t W2_WIDTH = 5;

static double mbps_of(size_t bytes, double secs)
{
    return secs > 0 ? (double)bytes / 1e6 / secs : 0;
}

/* Everything the final "targets" table needs. 0 = not measured. */
typedef struct summary {
    double w1_trawl, w1_vs, w1_pcre, w1_py, w1_stream;
    double w2_trawl, w2_vs, w2_pcre;
    double w3_trawl, w3_vs, w3_yara, w3_compile_ms;
    size_t w3_npat;
    int mismatches;
} summary;

/* ---- timing -------------------------------------------------------------- */

/* One scan of the whole buffer; sets *count; 0 on success. */
typedef int (*scan_fn)(void *engine, const uint8_t *data, size_t len, uint64_t *count);

/* Median MB/s of bu_runs() scans; -1 when a scan failed. *count is the
 * count of the first run; a run that disagrees is reported. */
static double measure(scan_fn fn, void *engine, const char *what, const uint8_t *data, size_t len,
                      uint64_t *count)
{
    double v[MAX_RUNS];
    int runs = bu_runs();
    for (int i = 0; i < runs; i++) {
        uint64_t c = 0;
        double t0 = bu_now();
        if (fn(engine, data, len, &c) != 0)
            return -1;
        v[i] = mbps_of(len, bu_now() - t0);
        if (i == 0)
            *count = c;
        else if (c != *count)
            printf("!!! %s: run %d counted %" PRIu64 " matches, run 1 counted %" PRIu64 "\n", what,
                   i + 1, c, *count);
    }
    return bu_median(v, runs);
}

/* ---- trawl --------------------------------------------------------------- */

typedef struct trawl_eng {
    trawl_pattern_db *db;
    trawl_scratch *s;
} trawl_eng;

static int on_trawl_match(const trawl_match *m, void *user)
{
    (void)m;
    ++*(uint64_t *)user;
    return 0;
}

/* Builds one set from expr[0..n), compiles it and allocates scratch. On
 * failure returns the status, *bad = index of the refused pattern (-1 when
 * none is named) and msg. *secs covers set building and compiling. */
static trawl_status trawl_build(const char *const *expr, const char *const *name, size_t n,
                                trawl_eng *e, double *secs, long *bad, char *msg, size_t msgcap)
{
    trawl_error err;
    trawl_pattern_set *set = NULL;
    double t0 = bu_now();
    *bad = -1;
    trawl_error_clear(&err);
    trawl_status st = trawl_pattern_set_new(&set);
    for (size_t i = 0; st == TRAWL_OK && i < n; i++) {
        st = trawl_pattern_set_add(set, expr[i], strlen(expr[i]), TRAWL_SYNTAX_AUTO, 0,
                                   name ? name[i] : NULL, &err);
        if (st != TRAWL_OK)
            *bad = (long)i;
    }
    if (st == TRAWL_OK) {
        st = trawl_pattern_compile(set, &e->db, &err);
        if (st != TRAWL_OK)
            *bad = (long)err.index;
    }
    trawl_pattern_set_free(set);
    *secs = bu_now() - t0;
    if (st == TRAWL_OK)
        st = trawl_scratch_alloc(e->db, &e->s, &err);
    if (st != TRAWL_OK)
        snprintf(msg, msgcap, "%s: %.200s", trawl_status_name(st), err.message);
    return st;
}

static void trawl_free(trawl_eng *e)
{
    trawl_scratch_free(e->s);
    trawl_pattern_db_free(e->db);
    e->s = NULL;
    e->db = NULL;
}

static int trawl_run(void *engine, const uint8_t *data, size_t len, uint64_t *count)
{
    trawl_eng *e = engine;
    trawl_error err;
    trawl_status st = trawl_scan(e->db, e->s, data, len, 0, on_trawl_match, count, &err);
    if (st != TRAWL_OK) {
        printf("!!! trawl_scan failed: %s: %s\n", trawl_status_name(st), err.message);
        return -1;
    }
    return 0;
}

/* ---- raw Hyperscan ------------------------------------------------------ */

typedef struct vs_eng {
    hs_database_t *db;
    hs_scratch_t *s;
    uint64_t width; /* fixed width of the only pattern, 0 for a set */
    /* per scan */
    uint64_t events;     /* reports from the engine: one per match end */
    uint64_t nonoverlap; /* for a fixed width: leftmost non-overlapping */
    uint64_t next_start;
} vs_eng;

/* Hyperscan reports every end offset of every pattern. For one pattern of
 * fixed width w a report at `to` is the match [to - w, to); keeping those
 * that start at or after the end of the last kept one gives the leftmost
 * non-overlapping matches, which is what trawl, PCRE2 and Python count. */
static int on_vs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                       void *ctx)
{
    vs_eng *e = ctx;
    (void)id;
    (void)from;
    (void)flags;
    e->events++;
    if (e->width && to >= e->width && to - e->width >= e->next_start) {
        e->nonoverlap++;
        e->next_start = to;
    }
    return 0;
}

static int vs_build(const char *const *expr, size_t n, uint64_t width, vs_eng *e, double *secs,
                    long *bad, char *msg, size_t msgcap)
{
    unsigned *flags = malloc(n * sizeof(*flags));
    unsigned *ids = malloc(n * sizeof(*ids));
    int rc = -1;
    *bad = -1;
    e->width = width;
    if (!flags || !ids) {
        snprintf(msg, msgcap, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        flags[i] = HS_FLAG_DOTALL;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    double t0 = bu_now();
    hs_error_t r =
        hs_compile_multi(expr, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &e->db, &ce);
    *secs = bu_now() - t0;
    if (r != HS_SUCCESS) {
        *bad = ce ? ce->expression : -1;
        snprintf(msg, msgcap, "%s", ce && ce->message ? ce->message : "hs_compile_multi failed");
        hs_free_compile_error(ce);
        e->db = NULL;
        goto out;
    }
    if (hs_alloc_scratch(e->db, &e->s) != HS_SUCCESS) {
        snprintf(msg, msgcap, "hs_alloc_scratch failed");
        hs_free_database(e->db);
        e->db = NULL;
        goto out;
    }
    rc = 0;
out:
    free(flags);
    free(ids);
    return rc;
}

static void vs_free(vs_eng *e)
{
    hs_free_scratch(e->s);
    hs_free_database(e->db);
    e->s = NULL;
    e->db = NULL;
}

static int vs_run(void *engine, const uint8_t *data, size_t len, uint64_t *count)
{
    vs_eng *e = engine;
    e->events = e->nonoverlap = e->next_start = 0;
    hs_error_t r = hs_scan(e->db, (const char *)data, (unsigned)len, 0, e->s, on_vs_match, e);
    if (r != HS_SUCCESS) {
        printf("!!! hs_scan failed: error %d\n", r);
        return -1;
    }
    *count = e->width ? e->nonoverlap : e->events;
    return 0;
}

/* ---- PCRE2-JIT ----------------------------------------------------------- */

typedef struct pcre_eng {
    pcre2_code *re;
    pcre2_match_data *md;
} pcre_eng;

static int pcre_build(const char *regex, pcre_eng *e, char *msg, size_t msgcap)
{
    int ec;
    PCRE2_SIZE eo;
    e->re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_DOTALL, &ec, &eo, NULL);
    if (!e->re) {
        PCRE2_UCHAR buf[160];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        snprintf(msg, msgcap, "pcre2_compile: %s at %zu", (const char *)buf, (size_t)eo);
        return -1;
    }
    if ((ec = pcre2_jit_compile(e->re, PCRE2_JIT_COMPLETE)) != 0) {
        PCRE2_UCHAR buf[160];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        snprintf(msg, msgcap, "pcre2_jit_compile: %s", (const char *)buf);
        pcre2_code_free(e->re);
        e->re = NULL;
        return -1;
    }
    e->md = pcre2_match_data_create_from_pattern(e->re, NULL);
    return e->md ? 0 : -1;
}

static void pcre_free(pcre_eng *e)
{
    pcre2_match_data_free(e->md);
    pcre2_code_free(e->re);
}

/* Leftmost-first, non-overlapping: each search resumes at the end of the
 * previous match. */
static int pcre_run(void *engine, const uint8_t *data, size_t len, uint64_t *count)
{
    pcre_eng *e = engine;
    PCRE2_SIZE off = 0;
    uint64_t c = 0;
    while (off <= len) {
        int rc = pcre2_jit_match(e->re, data, len, off, 0, e->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            printf("!!! pcre2_jit_match failed: error %d\n", rc);
            return -1;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        c++;
        off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    *count = c;
    return 0;
}

/* ---- libyara ------------------------------------------------------------- */

typedef struct yara_diag {
    int errors, warnings;
    char msg[320];
} yara_diag;

static void on_yara_compile(int level, const char *file, int line, const YR_RULE *rule,
                            const char *message, void *user)
{
    yara_diag *d = user;
    (void)file;
    (void)line;
    (void)rule;
    if (level == YARA_ERROR_LEVEL_ERROR) {
        if (!d->errors)
            snprintf(d->msg, sizeof(d->msg), "%s", message);
        d->errors++;
    } else {
        d->warnings++;
    }
}

static int yara_build(const char *src, YR_RULES **out, yara_diag *d)
{
    YR_COMPILER *c = NULL;
    memset(d, 0, sizeof(*d));
    if (yr_compiler_create(&c) != ERROR_SUCCESS) {
        snprintf(d->msg, sizeof(d->msg), "yr_compiler_create failed");
        return -1;
    }
    yr_compiler_set_callback(c, on_yara_compile, d);
    int rc = -1;
    if (yr_compiler_add_string(c, src, NULL) == 0 && yr_compiler_get_rules(c, out) == ERROR_SUCCESS)
        rc = 0;
    yr_compiler_destroy(c);
    return rc;
}

typedef struct yara_eng {
    YR_RULES *rules;
    uint64_t rules_matched, string_matches, too_many;
} yara_eng;

static int on_yara_scan(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
    yara_eng *e = user;
    if (message == CALLBACK_MSG_RULE_MATCHING) {
        YR_RULE *rule = data;
        YR_STRING *s;
        e->rules_matched++;
        yr_rule_strings_foreach(rule, s)
        {
            e->string_matches += (uint64_t)ctx->matches[s->idx].count;
        }
    } else if (message == CALLBACK_MSG_TOO_MANY_MATCHES) {
        e->too_many++;
    }
    return CALLBACK_CONTINUE;
}

static int yara_run(void *engine, const uint8_t *data, size_t len, uint64_t *count)
{
    yara_eng *e = engine;
    e->rules_matched = e->string_matches = e->too_many = 0;
    int r = yr_rules_scan_mem(e->rules, data, len, 0, on_yara_scan, e, 0);
    if (r != ERROR_SUCCESS) {
        printf("!!! yr_rules_scan_mem failed: error %d\n", r);
        return -1;
    }
    *count = e->rules_matched;
    return 0;
}

/* ---- child processes ----------------------------------------------------- */

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* The same generator as bu_random_bytes, chunk by chunk: for n a multiple
 * of 8 the bytes are those of bu_random_bytes(total, seed). */
static void fill_random(uint8_t *p, size_t n, uint64_t *state)
{
    uint64_t x = *state;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(p + i, &v, 8);
    }
    *state = x;
}

typedef struct stream_res {
    int ok;
    size_t total;
    uint64_t count;
    double mbps;
    double base_mib;  /* child's peak RSS just before the first stream opened */
    double peak_mib;  /* child's peak RSS at exit (wait4) */
    double delta_mib; /* peak_mib - base_mib: what streaming added */
    char msg[160];
} stream_res;

/* In the child: compile W1, then stream `total` bytes of W1's random data in
 * 1 MiB chunks, bu_runs() times. Only write/close are timed. The input is
 * generated chunk by chunk into one reused buffer, never held whole. */
static void stream_child(int fd, size_t total)
{
    stream_res r;
    memset(&r, 0, sizeof(r));
    r.total = total;
    trawl_eng e = {0};
    double secs;
    long bad;
    const char *expr = W1_REGEX;
    uint8_t *chunk = malloc(STREAM_CHUNK);
    if (!chunk || trawl_build(&expr, NULL, 1, &e, &secs, &bad, r.msg, sizeof(r.msg)) != TRAWL_OK)
        goto done;
    memset(chunk, 0, STREAM_CHUNK);
    r.base_mib = bu_peak_rss_mib();
    double v[MAX_RUNS];
    int runs = bu_runs();
    for (int i = 0; i < runs; i++) {
        trawl_error err;
        trawl_stream *st = NULL;
        uint64_t count = 0, state = W1_SEED | 1;
        double t = 0, t0;
        if (trawl_stream_open(e.db, 0, 0, &st, &err) != TRAWL_OK) {
            snprintf(r.msg, sizeof(r.msg), "trawl_stream_open: %.100s", err.message);
            goto done;
        }
        for (size_t off = 0; off < total; off += STREAM_CHUNK) {
            size_t n = total - off < STREAM_CHUNK ? total - off : STREAM_CHUNK;
            fill_random(chunk, n, &state);
            t0 = bu_now();
            trawl_status s = trawl_stream_write(st, e.s, chunk, n, on_trawl_match, &count, &err);
            t += bu_now() - t0;
            if (s != TRAWL_OK) {
                snprintf(r.msg, sizeof(r.msg), "trawl_stream_write: %.100s", err.message);
                trawl_stream_free(st);
                goto done;
            }
        }
        t0 = bu_now();
        trawl_status s = trawl_stream_close(st, e.s, on_trawl_match, &count, &err);
        t += bu_now() - t0;
        trawl_stream_free(st);
        if (s != TRAWL_OK) {
            snprintf(r.msg, sizeof(r.msg), "trawl_stream_close: %.100s", err.message);
            goto done;
        }
        v[i] = mbps_of(total, t);
        r.count = count;
    }
    r.mbps = bu_median(v, runs);
    r.ok = 1;
done:
    if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(1);
    _exit(0);
}

static stream_res run_stream(size_t total)
{
    stream_res r;
    memset(&r, 0, sizeof(r));
    r.total = total;
    int p[2];
    fflush(stdout);
    if (pipe(p) != 0) {
        snprintf(r.msg, sizeof(r.msg), "pipe failed");
        return r;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        snprintf(r.msg, sizeof(r.msg), "fork failed");
        return r;
    }
    if (pid == 0) {
        close(p[0]);
        stream_child(p[1], total);
    }
    close(p[1]);
    int got = read_full(p[0], &r, sizeof(r));
    close(p[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    wait4(pid, &status, 0, &ru);
    if (got != 0) {
        memset(&r, 0, sizeof(r));
        r.total = total;
        snprintf(r.msg, sizeof(r.msg), "streaming child died (status %d)", status);
        return r;
    }
    r.peak_mib = (double)ru.ru_maxrss / 1024.0;
    r.delta_mib = r.peak_mib - r.base_mib;
    return r;
}

/* Python's re on W1: the data goes to a temporary file, python3 reads it,
 * times bu_runs() findall calls itself and prints "count MB/s". */
static const char PY_SCRIPT[] =
    "import re, sys, time\n"
    "d = open(sys.argv[1], 'rb').read()\n"
    "p = re.compile(rb'\\xAA\\x55.{10}\\xFF\\xFE', re.S)\n"
    "v = []\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    t = time.perf_counter()\n"
    "    n = len(p.findall(d))\n"
    "    v.append(len(d) / 1e6 / (time.perf_counter() - t))\n"
    "v.sort()\n"
    "k = len(v)\n"
    "print(n, v[k // 2] if k % 2 else (v[k // 2 - 1] + v[k // 2]) / 2)\n";

static int run_python(const uint8_t *data, size_t len, uint64_t *count, double *mbps,
                      double *peak_mib, char *msg, size_t msgcap)
{
    char path[] = "/tmp/trawl-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(msg, msgcap, "mkstemp failed");
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    int rc = -1;
    int p[2] = {-1, -1};
    if (off != len) {
        snprintf(msg, msgcap, "could not write %s", path);
        goto out;
    }
    if (pipe(p) != 0) {
        snprintf(msg, msgcap, "pipe failed");
        goto out;
    }
    char runs[16];
    snprintf(runs, sizeof(runs), "%d", bu_runs());
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(PYTHON, "python3", "-c", PY_SCRIPT, path, runs, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char out[256];
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof(out) && (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(p[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    if (pid > 0)
        wait4(pid, &status, 0, &ru);
    unsigned long long c;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(out, "%llu %lf", &c, mbps) != 2) {
        snprintf(msg, msgcap, "python3 failed (status %d)", status);
        goto out;
    }
    *count = c;
    *peak_mib = (double)ru.ru_maxrss / 1024.0;
    rc = 0;
out:
    unlink(path);
    return rc;
}

/* ---- W1 and W2: one pattern ---------------------------------------------- */

static void check_count(summary *sm, const char *wl, const char *peer, uint64_t trawl_c,
                        uint64_t peer_c)
{
    if (trawl_c == peer_c)
        return;
    sm->mismatches++;
    printf("!!! MISMATCH %s: trawl counted %" PRIu64 " matches, %s counted %" PRIu64
           " -- counts must agree !!!\n",
           wl, trawl_c, peer, peer_c);
}

/* Runs trawl, raw Hyperscan, PCRE2-JIT (and Python when asked) on one
 * fixed-width pattern; fills the MB/s slots; returns trawl's count. */
static uint64_t one_pattern(summary *sm, const char *wl, const char *regex, uint64_t width,
                            const uint8_t *data, size_t len, double *mt, double *mv, double *mp,
                            double *my)
{
    char note[256], msg[320];
    uint64_t ct = 0, cv = 0, cp = 0, cy = 0;
    double secs;
    long bad;

    trawl_eng te = {0};
    if (trawl_build(&regex, NULL, 1, &te, &secs, &bad, msg, sizeof(msg)) != TRAWL_OK) {
        printf("%-10s trawl refused the pattern: %s\n", wl, msg);
        return 0;
    }
    *mt = measure(trawl_run, &te, "trawl", data, len, &ct);
    trawl_free(&te);
    snprintf(note, sizeof(note), "%" PRIu64 " matches", ct);
    bu_report(wl, "trawl", *mt, 0, note);

    vs_eng ve = {0};
    if (vs_build(&regex, 1, width, &ve, &secs, &bad, msg, sizeof(msg)) != 0) {
        printf("%-10s hyperscan refused the pattern: %s\n", wl, msg);
    } else {
        *mv = measure(vs_run, &ve, "hyperscan", data, len, &cv);
        snprintf(note, sizeof(note),
                 "%" PRIu64 " matches (%" PRIu64 " engine reports, non-overlapping kept)", cv,
                 ve.events);
        vs_free(&ve);
        bu_report(wl, "hyperscan (raw)", *mv, *mt, note);
        check_count(sm, wl, "raw hyperscan", ct, cv);
    }

    pcre_eng pe = {0};
    if (pcre_build(regex, &pe, msg, sizeof(msg)) != 0) {
        printf("%-10s pcre2-jit unavailable: %s\n", wl, msg);
    } else {
        *mp = measure(pcre_run, &pe, "pcre2-jit", data, len, &cp);
        pcre_free(&pe);
        snprintf(note, sizeof(note), "%" PRIu64 " matches", cp);
        bu_report(wl, "pcre2-jit", *mp, *mt, note);
        check_count(sm, wl, "pcre2-jit", ct, cp);
    }

    if (my) {
        double peak = 0;
        if (access(PYTHON, X_OK) != 0) {
            printf("%-10s python3 re: skipped (%s not found)\n", wl, PYTHON);
        } else if (run_python(data, len, &cy, my, &peak, msg, sizeof(msg)) != 0) {
            printf("%-10s python3 re: %s\n", wl, msg);
            *my = 0;
        } else {
            snprintf(note, sizeof(note),
                     "%" PRIu64 " matches (python3 timed itself; its own peak %.1f MiB)", cy, peak);
            bu_report(wl, "python3 re", *my, *mt, note);
            check_count(sm, wl, "python3 re", ct, cy);
        }
    }
    return ct;
}

static void run_w1(summary *sm, size_t len, const stream_res *st, int nst)
{
    printf("\n== W1  %s  over %zu MiB of random bytes (seed 0x%llx)\n", W1_REGEX, len / MIB,
           (unsigned long long)W1_SEED);
    uint8_t *data = bu_random_bytes(len, W1_SEED);
    if (!data) {
        printf("W1 skipped: out of memory\n");
        return;
    }
    uint64_t ct = one_pattern(sm, "W1", W1_REGEX, W1_WIDTH, data, len, &sm->w1_trawl, &sm->w1_vs,
                              &sm->w1_pcre, &sm->w1_py);
    free(data);

    char note[256];
    for (int i = 0; i < nst; i++) {
        char engine[40];
        snprintf(engine, sizeof(engine), "trawl stream %zuM", st[i].total / MIB);
        if (!st[i].ok) {
            printf("%-10s %s failed: %s\n", "W1", engine, st[i].msg);
            continue;
        }
        snprintf(note, sizeof(note),
                 "%" PRIu64 " matches, 1 MiB chunks, %.2fx of block scan; child peak RSS %.1f "
                 "MiB, +%.1f MiB during streaming",
                 st[i].count, sm->w1_trawl > 0 ? st[i].mbps / sm->w1_trawl : 0, st[i].peak_mib,
                 st[i].delta_mib);
        bu_report("W1", engine, st[i].mbps, 0, note);
        if (st[i].total == len)
            check_count(sm, "W1 stream vs block", "trawl stream", ct, st[i].count);
        if (st[i].total == 256 * MIB)
            sm->w1_stream = st[i].mbps;
    }
    if (nst == 2 && st[0].ok && st[1].ok)
        printf("W1         streaming peak RSS delta: %.1f MiB at %zu MiB input, %.1f MiB at %zu "
               "MiB input (%s)\n",
               st[0].delta_mib, st[0].total / MIB, st[1].delta_mib, st[1].total / MIB,
               st[1].delta_mib <= st[0].delta_mib + 1.0 ? "does not grow with input"
                                                        : "GROWS with input");
}

static void run_w2(summary *sm, const uint8_t *lib, size_t len)
{
    printf("\n== W2  %s  over %zu MiB of shared libraries\n", W2_REGEX, len / MIB);
    one_pattern(sm, "W2", W2_REGEX, W2_WIDTH, lib, len, &sm->w2_trawl, &sm->w2_vs, &sm->w2_pcre,
                NULL);
}

/* ---- W3: the YARA hex set ------------------------------------------------ */

enum { BY_TRAWL, BY_VS, BY_YARA, N_ENGINES };
static const char *const ENGINE_NAME[N_ENGINES] = {"trawl", "hyperscan", "libyara"};

typedef struct w3pat {
    int line;
    char *hex;  /* the YARA hex string, as trawl and libyara get it */
    char *name; /* rule name */
    char *vs;   /* translated to Hyperscan syntax, NULL if untranslatable */
    int refused[N_ENGINES];
    char why[N_ENGINES][200];
} w3pat;

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* One byte token (two nibbles, each a hex digit or '?'), optionally negated
 * by a preceding '~'. */
static int emit_byte(sbuf *o, int hi, int lo, int neg)
{
    char t[128];
    if (hi < 0 && lo < 0) {
        if (neg) /* ~?? matches nothing YARA accepts */
            return -1;
        return sb_put(o, ".");
    }
    if (hi >= 0 && lo >= 0) {
        snprintf(t, sizeof(t), neg ? "[^\\x%02X]" : "\\x%02X", hi << 4 | lo);
        return sb_put(o, t);
    }
    if (lo < 0) { /* X? : a range */
        snprintf(t, sizeof(t), "[%s\\x%02X-\\x%02X]", neg ? "^" : "", hi << 4, hi << 4 | 15);
        return sb_put(o, t);
    }
    /* ?Y : the 16 bytes ending in nibble Y */
    if (sb_put(o, neg ? "[^" : "[") != 0)
        return -1;
    for (int h = 0; h < 16; h++) {
        snprintf(t, sizeof(t), "\\x%02X", h << 4 | lo);
        if (sb_put(o, t) != 0)
            return -1;
    }
    return sb_put(o, "]");
}

static const char *parse_uint(const char *p, long *v)
{
    if (*p < '0' || *p > '9')
        return NULL;
    char *end;
    *v = strtol(p, &end, 10);
    return end;
}

/* Translates a YARA hex string into a Hyperscan regex (compiled with
 * HS_FLAG_DOTALL): bytes -> \xNN, ?? -> ., nibble wildcards -> classes,
 * ~XX -> [^\xXX], [n] -> .{n}, [n-m] -> .{n,m}, [n-] -> .{n,}, [-] -> .*,
 * (a|b) -> (?:a|b). Returns a malloc'd string, or NULL on a construct it
 * does not know. */
static char *yara_hex_to_vs(const char *hex)
{
    sbuf o = {0};
    int depth = 0;
    const char *p = skip_ws(hex);
    if (*p++ != '{')
        return NULL;
    if (sb_put(&o, "") != 0)
        return NULL;
    for (;;) {
        p = skip_ws(p);
        int c = (unsigned char)*p;
        int err = 0;
        if (c == '}') {
            if (depth || *skip_ws(p + 1))
                break;
            return o.p;
        } else if (c == '(') {
            depth++;
            err = sb_put(&o, "(?:");
            p++;
        } else if (c == '|' || c == ')') {
            if (!depth)
                break;
            depth -= c == ')';
            err = sb_put(&o, c == ')' ? ")" : "|");
            p++;
        } else if (c == '[') {
            long lo = 0, hi = -1;
            int range = 0;
            const char *q = skip_ws(p + 1);
            if (*q != '-') {
                if (!(q = parse_uint(q, &lo)))
                    break;
                q = skip_ws(q);
                hi = lo;
            }
            if (*q == '-') {
                range = 1;
                hi = -1;
                q = skip_ws(q + 1);
                if (*q >= '0' && *q <= '9') {
                    q = parse_uint(q, &hi);
                    q = skip_ws(q);
                }
            }
            if (*q != ']' || (hi >= 0 && hi < lo))
                break;
            p = q + 1;
            char t[64];
            if (!range)
                snprintf(t, sizeof(t), ".{%ld}", lo);
            else if (hi < 0)
                snprintf(t, sizeof(t), ".{%ld,}", lo);
            else
                snprintf(t, sizeof(t), ".{%ld,%ld}", lo, hi);
            err = sb_put(&o, t);
        } else {
            int neg = 0;
            if (c == '~') {
                neg = 1;
                p = skip_ws(p + 1);
            }
            int a = (unsigned char)p[0], b = a ? (unsigned char)p[1] : 0;
            int ha = a == '?' ? -1 : hexval(a), hb = b == '?' ? -1 : hexval(b);
            if ((a != '?' && ha < 0) || (b != '?' && hb < 0))
                break;
            err = emit_byte(&o, ha, hb, neg);
            p += 2;
        }
        if (err)
            break;
    }
    free(o.p);
    return NULL;
}

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Reads the pattern file: first tab-separated field = hex, second = rule. */
static w3pat *load_patterns(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    w3pat *v = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t r;
    int lineno = 0;
    while ((r = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
            line[--r] = 0;
        if (r == 0 || line[0] == '#')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 512;
            w3pat *nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        char *tab = strchr(line, '\t');
        size_t hl = tab ? (size_t)(tab - line) : (size_t)r;
        const char *nm = tab ? tab + 1 : "";
        size_t nl = strcspn(nm, "\t");
        w3pat *w = &v[n];
        memset(w, 0, sizeof(*w));
        w->line = lineno;
        w->hex = dup_range(line, hl);
        w->name = dup_range(nm, nl);
        if (!w->hex || !w->name)
            break;
        n++;
    }
    free(line);
    fclose(f);
    *count = n;
    return v;
}

static void free_patterns(w3pat *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].hex);
        free(v[i].name);
        free(v[i].vs);
    }
    free(v);
}

static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* env TRAWL_SHARED_DATA, else ../shared/data next to the repository (found
 * from this source file's path, then from the working directory). */
static int find_pattern_file(char *out, size_t cap)
{
    const char *env = getenv("TRAWL_SHARED_DATA");
    if (env && *env) {
        snprintf(out, cap, "%s/yara_hex_patterns.txt", env);
        return file_exists(out) ? 0 : -1;
    }
    char root[4096];
    snprintf(root, sizeof(root), "%s", __FILE__);
    char *slash = strrchr(root, '/'); /* .../bench/bench_pattern.c */
    if (slash) {
        *slash = 0;
        slash = strrchr(root, '/');
    }
    if (slash && root[0] == '/') {
        *slash = 0;
        snprintf(out, cap, "%s/../shared/data/yara_hex_patterns.txt", root);
        if (file_exists(out))
            return 0;
    }
    snprintf(out, cap, "../shared/data/yara_hex_patterns.txt");
    return file_exists(out) ? 0 : -1;
}

static int accepted(const w3pat *w)
{
    return !w->refused[BY_TRAWL] && !w->refused[BY_VS] && !w->refused[BY_YARA];
}

static void refuse(w3pat *w, int engine, const char *why)
{
    w->refused[engine] = 1;
    size_t k = strlen(why);
    if (k >= sizeof(w->why[engine]))
        k = sizeof(w->why[engine]) - 1;
    memcpy(w->why[engine], why, k);
    w->why[engine][k] = 0;
}

static char *yara_rules_source(const w3pat *v, const size_t *idx, size_t n)
{
    sbuf b = {0};
    char head[64];
    if (sb_put(&b, "") != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        snprintf(head, sizeof(head), "rule r%zu { strings: $a = ", idx[i]);
        if (sb_put(&b, head) || sb_put(&b, v[idx[i]].hex) || sb_put(&b, " condition: $a }\n")) {
            free(b.p);
            return NULL;
        }
    }
    return b.p;
}

/* Per pattern: does each engine take it alone? */
static void check_each(w3pat *v, size_t n)
{
    trawl_pattern_set *set = NULL;
    trawl_pattern_set_new(&set);
    char msg[320];
    for (size_t i = 0; i < n; i++) {
        w3pat *w = &v[i];
        trawl_error err;
        trawl_status st =
            trawl_pattern_set_add(set, w->hex, strlen(w->hex), TRAWL_SYNTAX_AUTO, 0, w->name, &err);
        if (st != TRAWL_OK) {
            snprintf(msg, sizeof(msg), "%s: %.200s", trawl_status_name(st), err.message);
            refuse(w, BY_TRAWL, msg);
        }

        w->vs = yara_hex_to_vs(w->hex);
        if (!w->vs) {
            refuse(w, BY_VS, "bench translator: construct not understood");
        } else {
            hs_database_t *db = NULL;
            hs_compile_error_t *ce = NULL;
            if (hs_compile(w->vs, HS_FLAG_DOTALL, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
                refuse(w, BY_VS, ce && ce->message ? ce->message : "hs_compile failed");
                hs_free_compile_error(ce);
            }
            hs_free_database(db);
        }

        sbuf src = {0};
        if (sb_put(&src, "rule r { strings: $a = ") || sb_put(&src, w->hex) ||
            sb_put(&src, " condition: $a }")) {
            refuse(w, BY_YARA, "out of memory");
        } else {
            YR_RULES *rules = NULL;
            yara_diag d;
            if (yara_build(src.p, &rules, &d) != 0)
                refuse(w, BY_YARA, d.msg[0] ? d.msg : "yara compile failed");
            if (rules)
                yr_rules_destroy(rules);
        }
        free(src.p);
    }
    trawl_pattern_set_free(set);
}

static void run_w3(summary *sm, const uint8_t *lib, size_t len)
{
    char path[4200], note[256], msg[320];
    if (find_pattern_file(path, sizeof(path)) != 0) {
        printf("\nW3 skipped: ../shared/data not found\n");
        return;
    }
    size_t n = 0;
    w3pat *v = load_patterns(path, &n);
    printf("\n== W3  %zu YARA hex strings as one set  over %zu MiB of shared libraries\n", n,
           len / MIB);
    printf("W3         patterns: %s\n", path);
    if (!v || n == 0) {
        printf("W3 skipped: no patterns read from %s\n", path);
        free_patterns(v, n);
        return;
    }

    check_each(v, n);

    size_t *idx = malloc(n * sizeof(*idx));
    const char **tex = malloc(n * sizeof(*tex));
    const char **vex = malloc(n * sizeof(*vex));
    const char **nam = malloc(n * sizeof(*nam));
    size_t m = 0;
    trawl_eng te = {0};
    vs_eng ve = {0};
    double t_trawl = 0, t_vs = 0;
    int built = 0;
    if (!idx || !tex || !vex || !nam)
        goto out;
    /* Compile the common subset as one set in each engine; a pattern refused
     * only in a set is dropped for everyone and the sets are rebuilt. */
    for (int round = 0; round < 64 && !built; round++) {
        m = 0;
        for (size_t i = 0; i < n; i++)
            if (accepted(&v[i])) {
                idx[m] = i;
                tex[m] = v[i].hex;
                vex[m] = v[i].vs;
                nam[m] = v[i].name;
                m++;
            }
        if (m == 0)
            break;
        long bad;
        trawl_free(&te);
        vs_free(&ve);
        if (trawl_build(tex, nam, m, &te, &t_trawl, &bad, msg, sizeof(msg)) != TRAWL_OK) {
            if (bad < 0 || (size_t)bad >= m) {
                printf("W3 skipped: trawl could not compile the set: %s\n", msg);
                goto out;
            }
            refuse(&v[idx[bad]], BY_TRAWL, msg);
            continue;
        }
        if (vs_build(vex, m, 0, &ve, &t_vs, &bad, msg, sizeof(msg)) != 0) {
            if (bad < 0 || (size_t)bad >= m) {
                printf("W3 skipped: hyperscan could not compile the set: %s\n", msg);
                goto out;
            }
            refuse(&v[idx[bad]], BY_VS, msg);
            continue;
        }
        built = 1;
    }
    if (!built) {
        printf("W3 skipped: no common set of patterns compiled\n");
        goto out;
    }

    int refused[N_ENGINES] = {0};
    for (size_t i = 0; i < n; i++)
        for (int e = 0; e < N_ENGINES; e++)
            refused[e] += v[i].refused[e];
    printf("W3         %zu patterns read; refused by trawl %d, by hyperscan %d, by libyara %d; "
           "%zu accepted by all are used for every engine\n",
           n, refused[BY_TRAWL], refused[BY_VS], refused[BY_YARA], m);
    for (int e = 0; e < N_ENGINES; e++) {
        int shown = 0;
        for (size_t i = 0; i < n && shown < 5; i++)
            if (v[i].refused[e]) {
                printf("W3           refused by %s: line %d (%s): %s\n", ENGINE_NAME[e], v[i].line,
                       v[i].name, v[i].why[e]);
                shown++;
            }
        if (refused[e] > shown)
            printf("W3           ... and %d more refused by %s\n", refused[e] - shown,
                   ENGINE_NAME[e]);
    }

    char *src = yara_rules_source(v, idx, m);
    yara_eng ye = {0};
    yara_diag yd;
    memset(&yd, 0, sizeof(yd));
    double t0 = bu_now();
    int yok = src && yara_build(src, &ye.rules, &yd) == 0;
    double t_yara = bu_now() - t0;
    free(src);

    sm->w3_compile_ms = t_trawl * 1e3;
    sm->w3_npat = m;
    printf("W3         compile time for %zu patterns: trawl %.1f ms, hyperscan %.1f ms, libyara "
           "%.1f ms (%d warnings)\n",
           m, t_trawl * 1e3, t_vs * 1e3, t_yara * 1e3, yd.warnings);

    uint64_t ct = 0, cv = 0, cy = 0;
    sm->w3_trawl = measure(trawl_run, &te, "trawl", lib, len, &ct);
    trawl_free(&te);
    snprintf(note, sizeof(note), "%" PRIu64 " matches (leftmost-longest, non-overlapping)", ct);
    bu_report("W3", "trawl", sm->w3_trawl, 0, note);

    sm->w3_vs = measure(vs_run, &ve, "hyperscan", lib, len, &cv);
    vs_free(&ve);
    snprintf(note, sizeof(note),
             "%" PRIu64 " engine reports (every match end; not trawl's semantics)", cv);
    bu_report("W3", "hyperscan (raw)", sm->w3_vs, sm->w3_trawl, note);

    if (!yok) {
        printf("W3         libyara could not compile the common set: %s\n", yd.msg);
    } else {
        sm->w3_yara = measure(yara_run, &ye, "libyara", lib, len, &cy);
        snprintf(note, sizeof(note),
                 "%" PRIu64 " rules matched, %" PRIu64 " string matches, %" PRIu64
                 " strings hit the per-string cap (yara: per rule, capped; not comparable)",
                 cy, ye.string_matches, ye.too_many);
        yr_rules_destroy(ye.rules);
        bu_report("W3", "libyara", sm->w3_yara, sm->w3_trawl, note);
    }
out:
    trawl_free(&te);
    vs_free(&ve);
    free(idx);
    free(tex);
    free(vex);
    free(nam);
    free_patterns(v, n);
}

/* ---- targets ------------------------------------------------------------- */

static void target_line(const char *what, double trawl, double peer, double need,
                        const char *peer_name)
{
    if (trawl <= 0 || peer <= 0) {
        printf("  %-44s not measured\n", what);
        return;
    }
    double r = trawl / peer;
    printf("  %-44s trawl/%s %.2fx (needs >= %.2fx)  %s\n", what, peer_name, r, need,
           r >= need ? "MET" : "NOT MET");
}

static void print_targets(const summary *sm)
{
    printf("\n== Targets (from the issue): trawl within 10%% of raw Hyperscan on W1 and W2; "
           "W3 at least 5x libyara\n");
    target_line("W1 trawl within 10% of raw Hyperscan", sm->w1_trawl, sm->w1_vs, 0.90, "hyperscan");
    target_line("W2 trawl within 10% of raw Hyperscan", sm->w2_trawl, sm->w2_vs, 0.90, "hyperscan");
    target_line("W3 trawl at least 5x libyara", sm->w3_trawl, sm->w3_yara, 5.0, "libyara");
    if (sm->w3_npat)
        printf("  %-44s %.1f ms for %zu patterns\n", "W3 trawl compile time", sm->w3_compile_ms,
               sm->w3_npat);
    if (sm->w1_stream > 0)
        printf("  %-44s %.1f MB/s (block %.1f MB/s)\n", "W1 trawl streaming, 256 MiB, 1 MiB chunks",
               sm->w1_stream, sm->w1_trawl);
    printf("  %-44s %s\n", "match counts (trawl vs peers, W1/W2)",
           sm->mismatches ? "MISMATCH (see !!! lines above)" : "agree");
}

int main(void)
{
    size_t len = bu_corpus_bytes(256);
    char pver[64] = "?", hver[64];
    pcre2_config(PCRE2_CONFIG_VERSION, pver);
    snprintf(hver, sizeof(hver), "%s", hs_version());
    for (size_t k = strlen(hver); k > 0 && hver[k - 1] == ' '; k--)
        hver[k - 1] = 0;
    printf("bench_pattern: trawl %s, Hyperscan %s, PCRE2 %s, libyara %s\n", trawl_version(), hver,
           pver, YR_VERSION);
    printf("runs %d (median), corpus %zu MiB, MB/s = 1e6 bytes/s, peak = process-wide peak "
           "RSS so far\n",
           bu_runs(), len / MIB);
    if (yr_initialize() != ERROR_SUCCESS) {
        printf("yr_initialize failed\n");
        return 1;
    }
    summary sm;
    memset(&sm, 0, sizeof(sm));

    /* Streaming first, while this process is small; children report their
     * own peak, measured around the streaming scan. */
    stream_res st[2];
    st[0] = run_stream(64 * MIB);
    st[1] = run_stream(256 * MIB);

    run_w1(&sm, len, st, 2);

    uint8_t *lib = bu_shared_lib_corpus(len);
    if (!lib) {
        printf("W2/W3 skipped: out of memory\n");
    } else {
        run_w2(&sm, lib, len);
        run_w3(&sm, lib, len);
        free(lib);
    }
    print_targets(&sm);
    yr_finalize();
    return 0;
}
