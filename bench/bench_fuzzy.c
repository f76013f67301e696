/* bench_fuzzy.c -- trawl fuzzy search against libtre (tre_regawnexec, same
 * costs) and Vectorscan's own approximate mode (HS_EXT_FLAG_EDIT_DISTANCE /
 * HAMMING_DISTANCE), in the same run, on random bytes and on the machine's
 * shared libraries; m = 8, 16, 32, 64, k = 1, 2, 3, Levenshtein and Hamming.
 *
 * What is compared: trawl reports the exact non-overlapping matches with
 * starts, lengths and distances; TRE finds one best match per call (the
 * loop resumes after it); Vectorscan reports only end offsets of every
 * match, which is less work. TRE is timed on the first BENCH_TRE_MIB MiB
 * (default 2) of the corpus, at most 20 s, because it is slow; throughput
 * is per byte scanned. At k = 2 the kernel alone (seeds off) is also timed.
 * Environment: BENCH_MIB (corpus, default 256), BENCH_RUNS (default 5),
 * BENCH_FILTER (run only workloads whose name contains it, e.g. "L16k2"). */
#include "benchutil.h"

#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tre/tre.h>
#include <wchar.h>

#include <trawl/fuzzy.h>

typedef struct corpus {
    const char *name;
    uint8_t *data;
    size_t n;
    wchar_t *wide; /* first tre_n bytes, one wchar_t each, for TRE */
    size_t tre_n;
} corpus;

static int count_fuzzy(const trawl_fuzzy_match *m, void *ud)
{
    (void)m;
    (*(uint64_t *)ud)++;
    return 0;
}

static int count_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
    (void)id, (void)from, (void)to, (void)flags;
    (*(uint64_t *)ud)++;
    return 0;
}

/* A pattern taken from the corpus, so that there is something to find; on
 * real data avoid runs of one byte (they would match everywhere). */
static void pick_pattern(const corpus *c, size_t m, unsigned salt, uint8_t *out)
{
    size_t off = (size_t)((salt * 2654435761u) % (c->n - m));
    for (int tries = 0; tries < 100000; tries++, off = (off + 4099) % (c->n - m)) {
        int seen[256] = {0}, distinct = 0;
        for (size_t i = 0; i < m; i++)
            distinct += !seen[c->data[off + i]]++;
        if ((size_t)distinct >= (m < 12 ? m - 2 : 10))
            break;
    }
    memcpy(out, c->data + off, m);
}

static double run_trawl(const corpus *c, const uint8_t *pat, size_t m, unsigned k, bool ham,
                        unsigned flags, uint64_t *matches, const char **kernel)
{
    char text[3 * 64 + 1];
    for (size_t i = 0; i < m; i++)
        sprintf(text + 2 * i, "%02x", pat[i]);
    trawl_fuzzy_spec sp = {NULL,  text, k, ham ? TRAWL_FUZZY_HAMMING : TRAWL_FUZZY_LEVENSHTEIN,
                           flags, 0};
    trawl_fuzzy_db *db = NULL;
    trawl_fuzzy_stream *s = NULL;
    trawl_error err;
    if (trawl_fuzzy_compile(&sp, 1, &db, &err) || trawl_fuzzy_stream_open(db, &s, &err)) {
        fprintf(stderr, "trawl: %s\n", err.message);
        exit(1);
    }
    *kernel = trawl_fuzzy_db_kernel(db, 0);
    int runs = bu_runs();
    double t[64];
    for (int r = 0; r < runs && r < 64; r++) {
        *matches = 0;
        double t0 = bu_now();
        trawl_fuzzy_scan(s, c->data, c->n, count_fuzzy, matches, NULL);
        t[r] = bu_now() - t0;
    }
    trawl_fuzzy_stream_free(s);
    trawl_fuzzy_db_free(db);
    return (double)c->n / 1e6 / bu_median(t, runs < 64 ? runs : 64);
}

static double run_tre(const corpus *c, const uint8_t *pat, size_t m, unsigned k, bool ham,
                      uint64_t *matches, size_t *scanned)
{
    wchar_t wpat[64 * 8 + 1];
    size_t w = 0;
    for (size_t i = 0; i < m; i++)
        w += (size_t)swprintf(wpat + w, 9, L"\\x{%02x}", pat[i]);
    regex_t re;
    if (tre_regwncomp(&re, wpat, w, REG_EXTENDED) != 0)
        return -1;
    regaparams_t p;
    tre_regaparams_default(&p);
    p.cost_ins = p.cost_del = p.cost_subst = 1;
    p.max_cost = p.max_err = (int)k;
    p.max_subst = (int)k;
    p.max_ins = p.max_del = ham ? 0 : (int)k;
    regmatch_t pm[1];
    *matches = 0;
    double t0 = bu_now();
    size_t at = 0;
    while (at < c->tre_n && bu_now() - t0 < 20.0) { /* cap: TRE can crawl */
        regamatch_t am = {1, pm, 0, 0, 0, 0};
        if (tre_regawnexec(&re, c->wide + at, c->tre_n - at, &am, p, 0) != 0)
            break;
        (*matches)++;
        at += (size_t)(pm[0].rm_eo > pm[0].rm_so ? pm[0].rm_eo : pm[0].rm_so + 1);
    }
    double dt = bu_now() - t0;
    tre_regfree(&re);
    *scanned = at < c->tre_n && dt >= 20.0 ? at : c->tre_n;
    return (double)*scanned / 1e6 / dt;
}

static double run_hs(const corpus *c, const uint8_t *pat, size_t m, unsigned k, bool ham,
                     uint64_t *matches, char *why, size_t whylen)
{
    char expr[4 * 64 + 1];
    for (size_t i = 0; i < m; i++)
        sprintf(expr + 4 * i, "\\x%02x", pat[i]);
    hs_expr_ext_t ext;
    memset(&ext, 0, sizeof(ext));
    ext.flags = ham ? HS_EXT_FLAG_HAMMING_DISTANCE : HS_EXT_FLAG_EDIT_DISTANCE;
    ext.edit_distance = k;
    ext.hamming_distance = k;
    const char *exprs[1] = {expr};
    const hs_expr_ext_t *exts[1] = {&ext};
    unsigned flags[1] = {HS_FLAG_DOTALL}, ids[1] = {0};
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    double t0 = bu_now();
    if (hs_compile_ext_multi(exprs, flags, ids, exts, 1, HS_MODE_BLOCK, NULL, &db, &ce) !=
        HS_SUCCESS) {
        snprintf(why, whylen, "refused: %s", ce ? ce->message : "?");
        hs_free_compile_error(ce);
        return -1;
    }
    double tc = bu_now() - t0;
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db, &scratch);
    int runs = bu_runs();
    double t[64];
    for (int r = 0; r < runs && r < 64; r++) {
        *matches = 0;
        double t1 = bu_now();
        hs_scan(db, (const char *)c->data, (unsigned)c->n, 0, scratch, count_hs, matches);
        t[r] = bu_now() - t1;
    }
    hs_free_scratch(scratch);
    hs_free_database(db);
    snprintf(why, whylen, "compile %.2fs, %llu ends", tc, (unsigned long long)*matches);
    return (double)c->n / 1e6 / bu_median(t, runs < 64 ? runs : 64);
}

static void bench_one(const corpus *c, size_t m, unsigned k, bool ham)
{
    uint8_t pat[64];
    pick_pattern(c, m, (unsigned)(m * 31 + k), pat);
    char work[32], note[160], why[128];
    snprintf(work, sizeof(work), "%s/%c%zuk%u", c->name, ham ? 'H' : 'L', m, k);
    const char *only = getenv("BENCH_FILTER");
    if (only && !strstr(work, only))
        return;
    uint64_t nt = 0, ntre = 0, nhs = 0;
    const char *kernel = "";
    double t = run_trawl(c, pat, m, k, ham, 0, &nt, &kernel);
    bool target = !ham && m == 16 && k == 2;
    char hex[2 * 8 + 3];
    for (size_t i = 0; i < 8; i++)
        sprintf(hex + 2 * i, "%02x", pat[i]);
    if (m > 8)
        strcat(hex, "..");
    snprintf(note, sizeof(note), "%s, %llu matches, pattern %s%s", kernel, (unsigned long long)nt,
             hex, target ? "; target >= 1000 MB/s" : "");
    bu_report(work, "trawl", t, 0, note);
    if (k == 2) { /* what the kernel alone does, when seeds do not pay */
        uint64_t ns = 0;
        double ts = run_trawl(c, pat, m, k, ham, TRAWL_FUZZY_FORCE_SCAN, &ns, &kernel);
        snprintf(note, sizeof(note), "%s forced, %llu matches", kernel, (unsigned long long)ns);
        bu_report(work, "trawl (kernel only)", ts, 0, note);
    }
    size_t scanned = 0;
    double tre = run_tre(c, pat, m, k, ham, &ntre, &scanned);
    snprintf(note, sizeof(note), "%llu matches in first %.1f MiB; target trawl/peer >= 100x",
             (unsigned long long)ntre, (double)scanned / (1 << 20));
    if (tre > 0)
        bu_report(work, "libtre regawnexec", tre, t, note);
    else
        bu_report(work, "libtre regawnexec", 0, 0, "compile failed");
    double hs = run_hs(c, pat, m, k, ham, &nhs, why, sizeof(why));
    bu_report(work, "vectorscan approx", hs > 0 ? hs : 0, hs > 0 ? t : 0, why);
}

static void load_wide(corpus *c, size_t tre_n)
{
    c->tre_n = tre_n < c->n ? tre_n : c->n;
    c->wide = malloc(c->tre_n * sizeof(wchar_t));
    for (size_t i = 0; i < c->tre_n; i++)
        c->wide[i] = c->data[i];
}

int main(void)
{
    size_t n = bu_corpus_bytes(256);
    const char *te = getenv("BENCH_TRE_MIB");
    size_t tre_n = (size_t)(te ? atoi(te) : 2) << 20;
    corpus cs[2] = {{"rand", bu_random_bytes(n, 0xF022), n, NULL, 0},
                    {"solib", bu_shared_lib_corpus(n), n, NULL, 0}};
    printf("fuzzy search, %zu MiB per corpus, median of %d runs (TRE: one run, <= %zu MiB)\n",
           n >> 20, bu_runs(), tre_n >> 20);
    static const size_t ms[] = {8, 16, 32, 64};
    for (int ci = 0; ci < 2; ci++) {
        load_wide(&cs[ci], tre_n);
        for (int ham = 0; ham < 2; ham++)
            for (size_t mi = 0; mi < 4; mi++)
                for (unsigned k = 1; k <= 3; k++)
                    bench_one(&cs[ci], ms[mi], k, ham);
        free(cs[ci].wide);
        free(cs[ci].data);
    }
    return 0;
}
