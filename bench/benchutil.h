/* benchutil.h -- what every benchmark program shares: a clock, peak memory,
 * medians, the corpora (random bytes, the machine's shared libraries) and one
 * line of output per measurement, so that trawl and its peers are printed the
 * same way in the same run. */
#ifndef TRAWL_BENCHUTIL_H
#define TRAWL_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic seconds. */
double bu_now(void);
/* Peak resident set of this process so far, in MiB (getrusage). */
double bu_peak_rss_mib(void);
/* Median of v[0..n) (sorts v in place). */
double bu_median(double *v, int n);

/* n random bytes from a fixed seed (same data every run). Caller frees. */
uint8_t *bu_random_bytes(size_t n, uint64_t seed);
/* The machine's shared libraries (/usr/lib/x86_64-linux-gnu/ *.so*, then
 * /usr/lib) concatenated and repeated up to n bytes. Caller frees. */
uint8_t *bu_shared_lib_corpus(size_t n);

/* Prints one aligned result line:
 *   workload  engine  MB/s  peak MiB  ratio-to-reference  note
 * ratio is trawl/peer throughput when ref_mbps > 0. */
void bu_report(const char *workload, const char *engine, double mbps, double ref_mbps,
               const char *note);
/* Number of timed repetitions: BENCH_RUNS from the environment, default 5. */
int bu_runs(void);
/* Corpus size in bytes: BENCH_MIB from the environment (MiB), default def_mib. */
size_t bu_corpus_bytes(size_t def_mib);

#endif
