/* trawl/analyze.h -- measuring bytes and messages: entropy and byte
 * histograms, per-offset (column) statistics across messages,
 * Needleman-Wunsch alignment, distances between messages and hierarchical
 * clustering with the linkage matrix SciPy produces.
 *
 * Messages are spans (trawl/common.h): the caller owns their bytes and keeps
 * them alive during a call. Nothing here keeps a pointer after it returns.
 *
 * Matrices. A distance matrix over n items is stored condensed, as SciPy's
 * pdist lays it out: the n (n - 1) / 2 entries above the diagonal, row by
 * row; trawl_analyze_condensed_index() gives the place of (i, j). It takes
 * 8 n (n - 1) / 2 bytes: 400 MB at n = 10,000, 4 GB at n = 31,623. The
 * functions that build or consume one say so and refuse (TRAWL_ELIMIT, with
 * the size in the message) above the caller's bound.
 *
 * Threads. Functions with a `threads` option run on that many POSIX threads
 * (0 = every online core). Results never depend on the thread count: every
 * entry is computed by the same code whichever thread computes it, and
 * reductions are done in a fixed order.
 *
 * Ownership follows trawl/common.h: the caller owns what it passes in; the
 * library owns what it returns until the matching _free(). No function here
 * prints, exits or keeps global state; all are safe to call from several
 * threads at once on different outputs.
 */
#ifndef TRAWL_ANALYZE_H
#define TRAWL_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- entropy and histograms -------------------------------------------- */

/* hist[b] = number of bytes of p[0..n) equal to b (hist is overwritten).
 * O(n), allocates nothing. */
TRAWL_API void trawl_analyze_histogram(const uint8_t *p, size_t n, uint64_t hist[256]);

/* Shannon entropy, in bits per byte (0..8), of a histogram of n bytes:
 * -sum q log2 q over the non-empty bins, q = hist[b] / n. 0 when n == 0.
 * *distinct (when not NULL) receives the number of non-empty bins. O(256). */
TRAWL_API double trawl_analyze_entropy_hist(const uint64_t hist[256], uint64_t n,
                                            unsigned *distinct);

/* Shannon entropy of p[0..n), bits per byte. O(n), allocates nothing. */
TRAWL_API double trawl_analyze_entropy(const uint8_t *p, size_t n, unsigned *distinct);

/* The Miller-Madow bias correction of a plug-in estimate h from n samples
 * with `distinct` non-empty bins: h + (distinct - 1) / (2 n ln 2), capped at
 * 8. Small samples of random bytes read low without it (4 KiB of random
 * bytes: about 7.95 raw, 8.0 corrected). h unchanged when n == 0 or
 * distinct < 2. */
TRAWL_API double trawl_analyze_entropy_corrected(double h, unsigned distinct, uint64_t n);

/* Pearson's chi-square statistic of a histogram of n bytes against the
 * uniform distribution (expected n / 256 per bin, 255 degrees of freedom):
 * sum (hist[b] - n/256)^2 / (n/256). 0 when n == 0. O(256). */
TRAWL_API double trawl_analyze_chi_square(const uint64_t hist[256], uint64_t n);

/* The probability that a chi-square variable with `dof` degrees of freedom
 * is at least x (the upper tail, the regularized gamma Q(dof/2, x/2)).
 * Uniform random bytes give values spread over (0, 1); compressed data is
 * usually far below 0.01. 1 when x <= 0. */
TRAWL_API double trawl_analyze_chi_square_p(double x, unsigned dof);

/* ---- entropy over sliding windows ---------------------------------------- */

/* Windows of `window` bytes start at 0, step, 2 step, ... while they fit;
 * when the last of them does not end at the input's end, one more window
 * ends flush with it (so every byte is in a window). An input no longer
 * than the window is one window of its own length. A scanner is immutable
 * once built (a table of c log2 c for c <= window) and may be shared by
 * threads. */
typedef struct trawl_analyze_entropy_scanner trawl_analyze_entropy_scanner;

/* window, step >= 1 (at most 2 GiB). When the step divides the window, is a
 * multiple of 8 in 64..32768 and window / step <= 64, each byte is counted
 * once (block histograms in a ring: about memory speed); otherwise the
 * window's histogram rolls byte by byte (about half that), or is recounted
 * when step >= window. TRAWL_EINVAL, TRAWL_ELIMIT, TRAWL_ENOMEM. Allocates
 * 8 (window + 1) bytes for windows up to 1 MiB. */
TRAWL_API trawl_status trawl_analyze_entropy_scanner_new(size_t window, size_t step,
                                                         trawl_analyze_entropy_scanner **out,
                                                         trawl_error *err);
TRAWL_API void trawl_analyze_entropy_scanner_free(trawl_analyze_entropy_scanner *s);
/* Number of windows an input of n bytes has. */
TRAWL_API uint64_t trawl_analyze_entropy_window_count(const trawl_analyze_entropy_scanner *s,
                                                      uint64_t n);

/* Start of window i of an input of n bytes (i < the window count), and in
 * *len (when not NULL) its length. */
TRAWL_API uint64_t trawl_analyze_entropy_window_offset(const trawl_analyze_entropy_scanner *s,
                                                       uint64_t n, uint64_t i, uint64_t *len);

/* A byte range whose histogram a scan fills on the way. */
typedef struct trawl_analyze_byte_range {
    uint64_t offset, len; /* inside the input */
    uint64_t hist[256];   /* output */
} trawl_analyze_byte_range;

/* What a scan should produce besides the summary. Zero-initialised: plain
 * entropies, no outputs, threshold 0 (every window counts as above). */
typedef struct trawl_analyze_entropy_request {
    bool corrected;   /* Miller-Madow-correct each window (trawl_analyze_entropy_corrected) */
    double threshold; /* windows at or above it are counted in the summary */
    double *values;   /* window i's entropy for i < cap (NULL: not wanted) */
    size_t cap;
    uint64_t *whole; /* 256 entries: the whole input's histogram (NULL: not wanted) */
    trawl_analyze_byte_range *ranges; /* histograms of these ranges, same pass */
    size_t nranges;
} trawl_analyze_entropy_request;

typedef struct trawl_analyze_window_stats {
    uint64_t count;       /* windows (also when more than cap) */
    double max;           /* highest window entropy (the first on ties) */
    uint64_t max_offset;  /* its start */
    uint64_t above;       /* windows at or above the threshold */
    uint64_t first_above; /* start of the first such window */
} trawl_analyze_window_stats;

/* One pass over p[0..n): window entropies, summary, and the requested
 * histograms. rq may be NULL (summary only, nothing counted as above).
 * TRAWL_EINVAL (a range past the input: err->index = the range, err->offset
 * = its start), TRAWL_ENOMEM. O(n + 256 windows + 256 ranges x blocks),
 * allocates 1 KiB per block of a window. */
TRAWL_API trawl_status trawl_analyze_entropy_scan(const trawl_analyze_entropy_scanner *s,
                                                  const uint8_t *p, size_t n,
                                                  const trawl_analyze_entropy_request *rq,
                                                  trawl_analyze_window_stats *stats,
                                                  trawl_error *err);

/* ---- regions: what kind of bytes, where ------------------------------------ */

typedef enum trawl_analyze_region_class {
    TRAWL_ANALYZE_PADDING = 0,     /* one byte value repeated */
    TRAWL_ANALYZE_TEXT = 1,        /* >= 95% printable ASCII */
    TRAWL_ANALYZE_LOW_ENTROPY = 2, /* < 3.0 bits/byte */
    TRAWL_ANALYZE_BINARY = 3,      /* 3.0 .. 5.0 bits/byte: structured data */
    TRAWL_ANALYZE_CODE = 4,        /* 5.0 .. 7.2 bits/byte: the band of machine code */
    TRAWL_ANALYZE_COMPRESSED = 5,  /* >= 7.2, chi-square rejects uniform bytes */
    TRAWL_ANALYZE_RANDOM = 6,      /* >= 7.2, chi-square does not: encrypted or random */
} trawl_analyze_region_class;

/* "padding", "text", "low-entropy", "binary", "code-like", "compressed",
 * "random"; "?" otherwise. */
TRAWL_API const char *trawl_analyze_region_name(trawl_analyze_region_class c);
/* The rule that puts bytes in class c, as a sentence. Never NULL. */
TRAWL_API const char *trawl_analyze_region_rule(trawl_analyze_region_class c);

typedef struct trawl_analyze_region {
    uint64_t offset, len;
    trawl_analyze_region_class cls;
    double entropy;    /* of the region's bytes, bits/byte (uncorrected) */
    double chi_square; /* of the region's bytes against uniform */
    double p_value;    /* its upper tail, 255 degrees of freedom */
    double printable;  /* fraction of printable ASCII bytes */
    uint8_t fill;      /* padding: the byte value */
    const char *rule;  /* trawl_analyze_region_rule(cls); static */
} trawl_analyze_region;

/* Cuts p[0..n) into regions that tile it. Windows of `window` bytes (0 =
 * 1024; the last window is measured flush with the end) are classified by
 * their Miller-Madow-corrected entropy and printable fraction (the rules
 * above, checked in the order padding, text, low, binary, code, high);
 * runs of one class (and one fill byte) merge. High-entropy windows whose
 * bytes fail chi-square's uniformity test at p < 1e-4 are compressed; a
 * run of the others is compressed when the test over all its bytes fails
 * at p < 0.01, random otherwise. *out (free with trawl_analyze_regions_free)
 * gets *count regions in offset order; none for an empty input.
 * TRAWL_EINVAL, TRAWL_ENOMEM. O(n), allocates one region per window at
 * most. */
TRAWL_API trawl_status trawl_analyze_regions(const uint8_t *p, size_t n, size_t window,
                                             trawl_analyze_region **out, size_t *count,
                                             trawl_error *err);
TRAWL_API void trawl_analyze_regions_free(trawl_analyze_region *r);

/* ---- columns: the same offset across messages --------------------------- */

/* Statistics of offset i over the messages that have a byte there. */
typedef struct trawl_analyze_column {
    uint64_t count;      /* messages longer than the offset */
    double entropy;      /* Shannon entropy of those bytes, bits (0 when count == 0) */
    unsigned distinct;   /* distinct byte values */
    uint8_t mode;        /* most frequent byte (the smallest value on ties) */
    uint64_t mode_count; /* how many messages have it */
    uint8_t min, max;    /* smallest and largest byte value (0 when count == 0) */
} trawl_analyze_column;

/* Fills out[0..ncols) with the statistics of offsets 0..ncols-1 across
 * msgs[0..n) (messages shorter than an offset do not count there). ncols is
 * the caller's choice, usually the longest message's length.
 * TRAWL_EINVAL on NULL with a non-zero count, TRAWL_ENOMEM.
 * O(sum of lengths + 256 ncols); allocates 2 KiB. */
TRAWL_API trawl_status trawl_analyze_columns(const trawl_span *msgs, size_t n, size_t ncols,
                                             trawl_analyze_column *out, trawl_error *err);

/* ---- n-grams ------------------------------------------------------------- */

typedef struct trawl_analyze_ngram {
    uint8_t bytes[16];
    unsigned n;
    uint64_t count;         /* occurrences, overlapping, over all messages */
    uint64_t messages;      /* messages it occurs in */
    uint64_t first_message; /* its first occurrence: message index */
    uint64_t first_offset;  /* and offset in that message */
} trawl_analyze_ngram;

typedef struct trawl_analyze_ngram_opts {
    unsigned n;         /* 1..16 */
    size_t top;         /* how many to return */
    uint64_t max_bytes; /* bound on the counting table (0 = none); ~48 bytes per distinct n-gram */
} trawl_analyze_ngram_opts;

typedef struct trawl_analyze_ngram_result {
    trawl_analyze_ngram *grams; /* count entries: most frequent first, ties by first occurrence */
    size_t count;
    uint64_t total;    /* n-grams counted (positions) */
    uint64_t distinct; /* distinct n-grams */
} trawl_analyze_ngram_result;

/* The top o->top n-grams of msgs[0..nmsgs) (an n-gram never spans two
 * messages), counted exactly. TRAWL_EINVAL, TRAWL_ELIMIT (more distinct
 * n-grams than o->max_bytes holds), TRAWL_ENOMEM; *res zeroed on failure.
 * O(total + distinct log top) time. Free with trawl_analyze_ngram_result_free. */
TRAWL_API trawl_status trawl_analyze_ngrams(const trawl_span *msgs, size_t nmsgs,
                                            const trawl_analyze_ngram_opts *o,
                                            trawl_analyze_ngram_result *res, trawl_error *err);
TRAWL_API void trawl_analyze_ngram_result_free(trawl_analyze_ngram_result *r);

/* ---- repeats (suffix array) --------------------------------------------------- */

typedef enum trawl_analyze_repeat_order {
    TRAWL_ANALYZE_BY_LENGTH = 0,   /* longest first, then most frequent */
    TRAWL_ANALYZE_BY_COUNT = 1,    /* most frequent first, then longest */
    TRAWL_ANALYZE_BY_COVERAGE = 2, /* length x count, then longest */
} trawl_analyze_repeat_order;

typedef struct trawl_analyze_repeat_opts {
    uint32_t min_length;              /* shortest repeat reported (0 = 4) */
    size_t top;                       /* how many repeats to return */
    trawl_analyze_repeat_order order; /* which ones; ties by first suffix */
    uint64_t max_period;              /* longest gap counted as a period (0 = 65536) */
    uint64_t max_bytes;               /* bound on memory, 12 bytes per input byte (0 = none) */
    bool keep_runs; /* also report repeats lying in a run of one byte value (padding); by
                       default they are left out (they are not counted in total either) */
} trawl_analyze_repeat_opts;

typedef struct trawl_analyze_repeat {
    uint32_t length;   /* the repeat is p[offsets[0] .. offsets[0] + length) */
    uint64_t count;    /* occurrences (overlapping ones included) */
    uint64_t *offsets; /* count of them, increasing */
} trawl_analyze_repeat;

/* A candidate record size or period: a gap between consecutive
 * occurrences of the 64 maximal repeats that cover the most bytes (length x
 * count), whatever order the caller asked for; gaps shorter than the
 * repeat (an occurrence overlapping the previous one) do not count. */
typedef struct trawl_analyze_period {
    uint64_t period;
    uint64_t support; /* sum over such gaps of the repeat's length */
    uint64_t aligned; /* of those repeats, how many have every occurrence at one offset
                         modulo the period */
} trawl_analyze_period;

#define TRAWL_ANALYZE_MAX_PERIODS 8

typedef struct trawl_analyze_repeat_result {
    trawl_analyze_repeat *repeats; /* count entries, best first under the order */
    size_t count;
    uint64_t total; /* maximal repeats of at least min_length in the input */
    trawl_analyze_period periods[TRAWL_ANALYZE_MAX_PERIODS]; /* most support first */
    size_t nperiods;
} trawl_analyze_repeat_result;

/* The maximal repeats of p[0..n) of at least o->min_length bytes: substrings
 * occurring twice or more that no one-byte extension on either side keeps
 * in all their places. The best o->top under o->order are returned with
 * every occurrence, and candidate periods (trawl_analyze_period).
 * Suffix array by libdivsufsort, LCP by Kasai, one pass over the LCP
 * intervals. TRAWL_EINVAL, TRAWL_ELIMIT (n >= 2 GiB, or 12 n > max_bytes),
 * TRAWL_ENOMEM; *res zeroed on failure. O(n) after the suffix sort
 * (O(n log n)). Free with trawl_analyze_repeat_result_free. */
TRAWL_API trawl_status trawl_analyze_repeats(const uint8_t *p, size_t n,
                                             const trawl_analyze_repeat_opts *o,
                                             trawl_analyze_repeat_result *res, trawl_error *err);
TRAWL_API void trawl_analyze_repeat_result_free(trawl_analyze_repeat_result *r);

/* ---- structure: delimiters and header signatures ------------------------------ */

/* A candidate delimiter of one buffer. */
typedef struct trawl_analyze_delimiter {
    uint8_t bytes[2];
    unsigned len;    /* 1 or 2 */
    uint64_t count;  /* occurrences, a run of overlapping ones counted once */
    uint64_t runs;   /* occurrences overlapping the previous one */
    double mean_gap; /* mean distance between consecutive occurrences */
    double cv;       /* its coefficient of variation */
    double score;    /* count x (1 - min(cv, 1)) x (share not in runs) */
} trawl_analyze_delimiter;

/* Bytes and byte pairs (at least 4 occurrences) that cut p[0..n) into
 * pieces of similar length, best score first; *count <= top. Candidates,
 * not findings (src/analyze/delimiters.c says why). Free with
 * trawl_analyze_delimiters_free. TRAWL_EINVAL, TRAWL_ENOMEM. O(n). */
TRAWL_API trawl_status trawl_analyze_delimiters(const uint8_t *p, size_t n, size_t top,
                                                trawl_analyze_delimiter **out, size_t *count,
                                                trawl_error *err);
TRAWL_API void trawl_analyze_delimiters_free(trawl_analyze_delimiter *d);

/* A prefix shared by a group of messages that no longer prefix is shared
 * by all of them. */
typedef struct trawl_analyze_prefix {
    const uint8_t *bytes; /* points into the message msgs[first] */
    size_t length;
    size_t support; /* messages that start with it */
    size_t first;   /* the lowest index among them */
} trawl_analyze_prefix;

/* Header signatures: every maximal shared prefix of at least min_length
 * bytes (0 = 1) among at least min_support messages (< 2 = 2), most
 * messages first, then longest. *out points into msgs (keep them alive);
 * free with trawl_analyze_prefixes_free. TRAWL_EINVAL, TRAWL_ENOMEM.
 * O(n log n comparisons). */
TRAWL_API trawl_status trawl_analyze_prefixes(const trawl_span *msgs, size_t n, size_t min_length,
                                              size_t min_support, trawl_analyze_prefix **out,
                                              size_t *count, trawl_error *err);
TRAWL_API void trawl_analyze_prefixes_free(trawl_analyze_prefix *p);

/* ---- Needleman-Wunsch alignment ------------------------------------------ */

/* Scores of a global alignment. The default (trawl_analyze_scoring_netzob,
 * or a NULL scoring argument) is Netzob's: match +10, mismatch -10, gap 0.
 * With gap 0 and a negative mismatch the best score is 10 times the length
 * of a longest common subsequence. */
typedef struct trawl_analyze_scoring {
    int match;    /* > 0 */
    int mismatch; /* score of aligning two different bytes */
    int gap;      /* score of a byte aligned to nothing (linear gaps); <= 0 */
} trawl_analyze_scoring;

TRAWL_API trawl_analyze_scoring trawl_analyze_scoring_netzob(void);

/* An alignment of a and b: `len` columns, column c pairs a[a_pos[c]] with
 * b[b_pos[c]]; -1 in one of them is a gap (a byte of the other message
 * aligned to nothing). Both positions increase along the columns. */
typedef struct trawl_analyze_alignment {
    int64_t score;     /* the optimal score under the scoring used */
    size_t len;        /* columns, max(na, nb) <= len <= na + nb */
    int32_t *a_pos;    /* len entries */
    int32_t *b_pos;    /* len entries */
    size_t matches;    /* columns with equal bytes */
    size_t mismatches; /* columns with two different bytes */
    size_t gaps;       /* columns with a -1 */
} trawl_analyze_alignment;

/* Largest na * nb the traceback accepts (one byte of direction per cell). */
#define TRAWL_ANALYZE_ALIGN_MAX_CELLS ((uint64_t)1 << 28)

/* Optimal global alignment of a[0..na) and b[0..nb) (Needleman-Wunsch,
 * linear gaps). Among optimal alignments the traceback from the end prefers
 * a diagonal step (match or mismatch), then a gap in b (consume a byte of
 * a), then a gap in a: so gaps move towards the start of the messages.
 * Fills *out; free its arrays with trawl_analyze_alignment_free.
 * Errors: TRAWL_EINVAL (bad scoring, NULL), TRAWL_ELIMIT (na or nb above
 * INT32_MAX, or na * nb above TRAWL_ANALYZE_ALIGN_MAX_CELLS), TRAWL_ENOMEM;
 * *out is zeroed on failure. O(na nb) time, na nb bytes + O(na + nb)
 * memory. */
TRAWL_API trawl_status trawl_analyze_align(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                           const trawl_analyze_scoring *scoring,
                                           trawl_analyze_alignment *out, trawl_error *err);
/* Frees the arrays of *al and zeroes it. NULL is harmless. */
TRAWL_API void trawl_analyze_alignment_free(trawl_analyze_alignment *al);

/* The optimal score only: O(na nb) time, O(min(na, nb)) memory, no size
 * limit but the time. TRAWL_EINVAL (bad scoring), TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_analyze_align_score(const uint8_t *a, size_t na, const uint8_t *b,
                                                 size_t nb, const trawl_analyze_scoring *scoring,
                                                 int64_t *score, trawl_error *err);

/* ---- distances between messages ----------------------------------------- */

typedef enum trawl_analyze_metric {
    /* differing positions over the common length, plus the difference in
     * length, divided by the longer length */
    TRAWL_ANALYZE_HAMMING = 0,
    /* edit distance (unit insert, delete, substitute) divided by the longer
     * length; Myers' bit-parallel algorithm (trawl_fuzzy_distance) */
    TRAWL_ANALYZE_LEVENSHTEIN = 1,
    /* 1 - |A & B| / |A | B| over the sets of distinct n-grams of the two
     * messages (a message shorter than n has the empty set) */
    TRAWL_ANALYZE_JACCARD = 2,
    /* 1 - max(0, NW score) / (match * longer length): 0 for equal
     * messages, 1 when nothing aligns (Netzob's scoring: 1 - LCS / longer) */
    TRAWL_ANALYZE_ALIGN = 3,
    /* Euclidean distance between feature vectors (trawl_analyze_pdist) */
    TRAWL_ANALYZE_EUCLIDEAN = 4,
} trawl_analyze_metric;

/* "hamming", "levenshtein", "jaccard", "align", "euclidean"; "?" otherwise. */
TRAWL_API const char *trawl_analyze_metric_name(trawl_analyze_metric m);
/* The metric named s; false when unknown. */
TRAWL_API bool trawl_analyze_metric_parse(const char *s, trawl_analyze_metric *m);

typedef struct trawl_analyze_distance_opts {
    trawl_analyze_metric metric;
    unsigned ngram;                       /* Jaccard: 1..8 (0 = 2) */
    const trawl_analyze_scoring *scoring; /* align: NULL = Netzob's */
    unsigned threads;                     /* matrices: 0 = every online core */
    uint64_t max_bytes;                   /* matrices: bound on the matrix, 0 = none */
} trawl_analyze_distance_opts;

/* Entries of a condensed matrix over n items: n (n - 1) / 2. */
static inline uint64_t trawl_analyze_condensed_size(size_t n)
{
    return n < 2 ? 0 : (uint64_t)n * (uint64_t)(n - 1) / 2;
}
/* Place of (i, j), i != j, in a condensed matrix over n items. */
static inline uint64_t trawl_analyze_condensed_index(size_t n, size_t i, size_t j)
{
    if (i > j) {
        size_t t = i;
        i = j;
        j = t;
    }
    return (uint64_t)n * i - (uint64_t)i * (i + 1) / 2 + (j - i - 1);
}

/* Two messages' distance in [0, 1] under o->metric (not EUCLIDEAN); two
 * empty messages are at 0. TRAWL_EINVAL (bad options), TRAWL_ELIMIT
 * (Levenshtein of messages of 4 GiB or more), TRAWL_ENOMEM. Cost: Hamming
 * O(n); Levenshtein O(ceil(m/64) n); Jaccard O(n log n); align O(m n). */
TRAWL_API trawl_status trawl_analyze_distance(const uint8_t *a, size_t na, const uint8_t *b,
                                              size_t nb, const trawl_analyze_distance_opts *o,
                                              double *d, trawl_error *err);

/* The condensed distance matrix of msgs[0..n) under o->metric (not
 * EUCLIDEAN) into out[0..trawl_analyze_condensed_size(n)). Runs on
 * o->threads threads; the entries are the same for any thread count.
 * TRAWL_ELIMIT when the matrix (8 n (n - 1) / 2 bytes) is larger than
 * o->max_bytes (when non-zero); TRAWL_EINVAL, TRAWL_ENOMEM. Memory beyond
 * out: Jaccard keeps every message's n-gram set (8 bytes per n-gram);
 * Levenshtein 2 KiB per 64 bytes of one message per thread; align O(longest)
 * per thread. */
TRAWL_API trawl_status trawl_analyze_distance_matrix(const trawl_span *msgs, size_t n,
                                                     const trawl_analyze_distance_opts *o,
                                                     double *out, trawl_error *err);

/* Euclidean distances between the rows of the row-major n x d matrix X,
 * condensed, into out (as SciPy's pdist(X)). threads as above; max_bytes
 * bounds the matrix (0 = none). TRAWL_EINVAL, TRAWL_ELIMIT, TRAWL_ENOMEM.
 * O(n^2 d) time. */
TRAWL_API trawl_status trawl_analyze_pdist(const double *X, size_t n, size_t d, unsigned threads,
                                           uint64_t max_bytes, double *out, trawl_error *err);

/* ---- hierarchical clustering -------------------------------------------- */

typedef enum trawl_analyze_linkage_method {
    TRAWL_ANALYZE_LINK_SINGLE = 0,   /* minimum spanning tree, O(n^2) */
    TRAWL_ANALYZE_LINK_COMPLETE = 1, /* nearest-neighbour chain, O(n^2) */
    TRAWL_ANALYZE_LINK_AVERAGE = 2,  /* UPGMA; nearest-neighbour chain */
    TRAWL_ANALYZE_LINK_WEIGHTED = 3, /* WPGMA; nearest-neighbour chain */
    TRAWL_ANALYZE_LINK_WARD = 4,     /* Ward (Lance-Williams); nearest-neighbour chain */
} trawl_analyze_linkage_method;

/* "single", "complete", "average", "weighted", "ward"; "?" otherwise. */
TRAWL_API const char *trawl_analyze_linkage_name(trawl_analyze_linkage_method m);
/* Also accepts "upgma" (average) and "wpgma" (weighted). */
TRAWL_API bool trawl_analyze_linkage_parse(const char *s, trawl_analyze_linkage_method *m);

/* Agglomerative clustering of n >= 1 items from their condensed distance
 * matrix D. Writes the linkage matrix Z, (n - 1) rows of 4 doubles, exactly
 * as scipy.cluster.hierarchy.linkage(D, method) lays it out: row k merges
 * clusters Z[4k] < Z[4k+1] (ids < n are items, id n + k is the cluster row k
 * made) at distance Z[4k+2] into a cluster of Z[4k+3] items; rows are sorted
 * by distance. SciPy's algorithms and tie-breaking are followed step by step
 * (src/analyze/linkage.c says how), so the same input gives the same rows.
 * Ward treats D as Euclidean distances.
 * Errors: TRAWL_EINVAL (NULL, n == 0, a NaN, infinite or negative
 * distance; err->index = the entry), TRAWL_ENOMEM. Time O(n^2); memory:
 * for every method but single a square working copy of D (8 n^2 bytes:
 * its rows are read contiguously, 2-3x faster at 10,000 items than the
 * condensed matrix's columns), or a condensed one (8 n (n - 1) / 2 bytes)
 * when the square cannot be allocated; plus O(n). */
TRAWL_API trawl_status trawl_analyze_linkage(const double *D, size_t n,
                                             trawl_analyze_linkage_method method, double *Z,
                                             trawl_error *err);
/* The same, using D itself as the working matrix (it is overwritten): no
 * copy, for matrices near the memory limit; slower on large n (column
 * reads). The rows equal trawl_analyze_linkage's to the bit. */
TRAWL_API trawl_status trawl_analyze_linkage_inplace(double *D, size_t n,
                                                     trawl_analyze_linkage_method method, double *Z,
                                                     trawl_error *err);
/* Linkage of the rows of the row-major n x d matrix X under Euclidean
 * distance (SciPy's linkage(X, method)): trawl_analyze_pdist on `threads`
 * threads into a square matrix (8 n^2 bytes) when max_bytes allows it (0 =
 * no bound), else condensed (8 n (n - 1) / 2, the bound's limit), then the
 * linkage. Single linkage needs no matrix: Prim computes each distance
 * when it needs it (O(n^2 d) time, O(n) memory). */
TRAWL_API trawl_status trawl_analyze_linkage_vectors(const double *X, size_t n, size_t d,
                                                     trawl_analyze_linkage_method method,
                                                     unsigned threads, uint64_t max_bytes,
                                                     double *Z, trawl_error *err);

/* Flat clusters from a linkage matrix of n items, as SciPy's fcluster but
 * numbered from 0: labels[i] = cluster of item i, clusters numbered in the
 * order a depth-first walk from the root (left child first) meets them.
 *   _cut_k: at most k clusters (criterion 'maxclust'): the lowest merge
 *     height at which cutting leaves no more than k clusters. Ties in height
 *     can leave fewer than k. k >= n gives every item its own cluster.
 *   _cut_distance: clusters whose every merge is at distance <= t
 *     (criterion 'distance').
 * *nclusters (when not NULL) receives the number of clusters. TRAWL_EINVAL
 * (NULL, n == 0, k == 0, a malformed Z: err->index = its row), TRAWL_ENOMEM.
 * O(n log n) for _cut_k, O(n) for _cut_distance; allocates O(n). */
TRAWL_API trawl_status trawl_analyze_cut_k(const double *Z, size_t n, size_t k, int32_t *labels,
                                           size_t *nclusters, trawl_error *err);
TRAWL_API trawl_status trawl_analyze_cut_distance(const double *Z, size_t n, double t,
                                                  int32_t *labels, size_t *nclusters,
                                                  trawl_error *err);

/* ---- k-means ------------------------------------------------------------------ */

typedef enum trawl_analyze_kmeans_algorithm {
    TRAWL_ANALYZE_KMEANS_AUTO = 0,    /* Hamerly when k > 1 */
    TRAWL_ANALYZE_KMEANS_LLOYD = 1,   /* every distance, every iteration: O(n k d) each */
    TRAWL_ANALYZE_KMEANS_HAMERLY = 2, /* one upper and one lower bound per point skip most */
} trawl_analyze_kmeans_algorithm;

typedef struct trawl_analyze_kmeans_opts {
    size_t k;           /* >= 1, <= n */
    unsigned max_iter;  /* 0 = 300 */
    double tol;         /* x mean feature variance; stop when squared shifts sum below (1e-4
                           is scikit-learn's default; 0: only on unchanged labels) */
    unsigned n_init;    /* k-means++ restarts, the lowest inertia wins (0 = 1) */
    uint64_t seed;      /* k-means++ draws; restart r uses seed + r */
    const double *init; /* k x d initial centers (then n_init is 1), or NULL: k-means++ */
    trawl_analyze_kmeans_algorithm algorithm;
    unsigned threads; /* 0 = every online core */
} trawl_analyze_kmeans_opts;

typedef struct trawl_analyze_kmeans_result {
    size_t n, d, k;
    double *centers;     /* k x d */
    int32_t *labels;     /* n, in 0..k-1 */
    double inertia;      /* sum of squared distances to the assigned centers */
    unsigned iterations; /* as scikit-learn's n_iter_ */
    bool converged;      /* stopped before max_iter */
    size_t relocated;    /* empty clusters given a new center along the way */
    unsigned best_init;  /* which restart won */
} trawl_analyze_kmeans_result;

/* k-means of the rows of the row-major n x d matrix X. From the same
 * initial centers it follows scikit-learn's KMeans(algorithm="lloyd")
 * iteration for iteration (src/analyze/kmeans.c says how, including empty
 * clusters), so labels, inertia and iteration count agree. Results do not
 * depend on the thread count. Errors (TRAWL_EINVAL, with Oscura's
 * validation): "k must be at least 1", "k (K) cannot exceed the number of
 * points (N)", d == 0 ("expected 2-D data"), a NaN or infinite value
 * (err->index = its row); TRAWL_ELIMIT, TRAWL_ENOMEM. *res is zeroed on
 * failure. Time O(n k d) per Lloyd iteration, far less with Hamerly once
 * the centers settle; memory O(n + chunks k d). Free with
 * trawl_analyze_kmeans_result_free. */
TRAWL_API trawl_status trawl_analyze_kmeans(const double *X, size_t n, size_t d,
                                            const trawl_analyze_kmeans_opts *o,
                                            trawl_analyze_kmeans_result *res, trawl_error *err);
TRAWL_API void trawl_analyze_kmeans_result_free(trawl_analyze_kmeans_result *r);

/* ---- other clusterings and their quality -------------------------------------- */

/* DBSCAN over a condensed distance matrix, as scikit-learn's
 * DBSCAN(eps, min_samples, metric="precomputed"): neighbours are within
 * eps (<=), an item with at least min_samples neighbours (itself counted)
 * is core; clusters grow depth first from the lowest-indexed unlabelled
 * core item; labels[i] is the cluster (0, 1, ... in order of discovery) or
 * -1 for noise. *nclusters (when not NULL) gets the count. TRAWL_EINVAL,
 * TRAWL_ENOMEM. O(n^2) time, O(n) memory besides D. */
TRAWL_API trawl_status trawl_analyze_dbscan(const double *D, size_t n, double eps,
                                            size_t min_samples, int32_t *labels, size_t *nclusters,
                                            trawl_error *err);

/* The mean silhouette coefficient of labels[0..n) over the condensed
 * distance matrix D, as scikit-learn's silhouette_score(metric=
 * "precomputed"): every label value is a cluster (-1 included); an item
 * alone in its cluster scores 0. per_item (when not NULL) gets each item's
 * coefficient. TRAWL_EINVAL unless there are 2 to n - 1 clusters,
 * TRAWL_ENOMEM. O(n^2) time on `threads` threads (same result for any
 * count), O(n threads) memory. */
TRAWL_API trawl_status trawl_analyze_silhouette(const double *D, size_t n, const int32_t *labels,
                                                unsigned threads, double *score, double *per_item,
                                                trawl_error *err);
/* The same over the Euclidean distances between the rows of the n x d
 * matrix X (scikit-learn's silhouette_score(X, labels)), computed on the
 * fly: O(n^2 d) time, no matrix. */
TRAWL_API trawl_status trawl_analyze_silhouette_vectors(const double *X, size_t n, size_t d,
                                                        const int32_t *labels, unsigned threads,
                                                        double *score, double *per_item,
                                                        trawl_error *err);

/* What the members of a cluster share, offset by offset. */
typedef struct trawl_analyze_consensus_result {
    size_t members;
    size_t len;                    /* the longest member's length */
    size_t common;                 /* the shortest member's: offsets every member has */
    trawl_analyze_column *columns; /* len entries (trawl_analyze_columns over the members) */
    char *pattern; /* YARA hex over the common offsets, "{ 03 00 ?? ?? 02 F0 }": the byte where
                      every member has it, ?? where they differ; NULL when none agree */
    size_t fixed;  /* offsets of the pattern that are not ?? */
} trawl_analyze_consensus_result;

/* The consensus of msgs[members[i]] for i < nmembers (members NULL: all n
 * messages). TRAWL_EINVAL (a member index >= n: err->index = its place),
 * TRAWL_ENOMEM. O(total length + 256 len). Free with
 * trawl_analyze_consensus_free. */
TRAWL_API trawl_status trawl_analyze_consensus(const trawl_span *msgs, size_t n,
                                               const size_t *members, size_t nmembers,
                                               trawl_analyze_consensus_result *out,
                                               trawl_error *err);
TRAWL_API void trawl_analyze_consensus_free(trawl_analyze_consensus_result *c);

/* ---- inputs: feature matrices and hex lines ---------------------------------- */

/* A row-major matrix of doubles. */
typedef struct trawl_analyze_matrix {
    double *data; /* rows x cols */
    size_t rows, cols;
} trawl_analyze_matrix;
TRAWL_API void trawl_analyze_matrix_free(trawl_analyze_matrix *m);

/* A NumPy .npy file (versions 1-3) holding a 2-D array of numbers (float
 * 32/64, integers of 1-8 bytes, bool; either byte order; C or Fortran
 * order). Errors carry err->offset: TRAWL_EFORMAT (not .npy, a malformed
 * or unsupported header), TRAWL_EINVAL ("expected 2-D data" for other
 * shapes, "holds no values" for (R, 0) and (0, C), at the shape's offset),
 * TRAWL_ETRUNCATED (data size differs from the shape's),
 * TRAWL_ELIMIT, TRAWL_ENOMEM. O(n); allocates the matrix. */
TRAWL_API trawl_status trawl_analyze_parse_npy(const uint8_t *p, size_t n,
                                               trawl_analyze_matrix *out, trawl_error *err);
/* Comma-separated numbers, a row per line (LF or CRLF); a first line that
 * is not all numbers is a header and skipped; blank lines skipped; every
 * row as wide as the first. TRAWL_EFORMAT with err->line, err->column and
 * err->offset (a field that is not a finite number, a row of another
 * width, no rows), TRAWL_ENOMEM. O(n). */
TRAWL_API trawl_status trawl_analyze_parse_csv(const uint8_t *p, size_t n,
                                               trawl_analyze_matrix *out, trawl_error *err);

/* Messages parsed from text: spans into one buffer owned by the struct. */
typedef struct trawl_analyze_messages {
    trawl_span *msgs;
    size_t count;
    uint64_t *lines; /* the input line of each message (1-based) */
    uint8_t *bytes;
} trawl_analyze_messages;
TRAWL_API void trawl_analyze_messages_free(trawl_analyze_messages *m);

/* One message per line in hex: digit pairs, blanks / ':' / '-' between
 * bytes allowed, an optional 0x prefix, '#' comments; blank lines skipped.
 * TRAWL_ESYNTAX with err->line, err->column and err->offset (a character
 * that is not a hex digit, an unpaired digit), TRAWL_ENOMEM. O(n). */
TRAWL_API trawl_status trawl_analyze_parse_hex_lines(const uint8_t *p, size_t n,
                                                     trawl_analyze_messages *out, trawl_error *err);

/* Feature vectors from messages, one row per message, the parts of `spec`
 * in order (comma-separated): "length" (1 value: length / longest),
 * "hist" (256 byte frequencies), "ngram:N:M" (frequencies of N-grams,
 * N = 1..8, hashed into M = 1..65536 buckets), "cols:N" (the first N
 * bytes / 255, -1 past the end). TRAWL_ESYNTAX (err->column), TRAWL_ELIMIT,
 * TRAWL_ENOMEM. O(total length + n x columns). */
TRAWL_API trawl_status trawl_analyze_features(const trawl_span *msgs, size_t n, const char *spec,
                                              trawl_analyze_matrix *out, trawl_error *err);

/* ---- pictures: SVG -------------------------------------------------------- */

/* An entropy-over-offset plot: the window entropies of a scan of n bytes
 * (values[i] for window i of `scanner`, drawn at the window's middle) over
 * the regions shaded by class, with a legend of the classes present. */
typedef struct trawl_analyze_entropy_plot {
    const char *title; /* NULL: none */
    uint64_t n;
    const trawl_analyze_entropy_scanner *scanner;
    const double *values;
    size_t nvalues;
    const trawl_analyze_region *regions;
    size_t nregions;
} trawl_analyze_entropy_plot;

/* Writes the plot as an SVG document (960 x 400) to out. TRAWL_EINVAL,
 * TRAWL_EIO (a write failed). O(nvalues + nregions), allocates nothing. */
TRAWL_API trawl_status trawl_analyze_svg_entropy(FILE *out, const trawl_analyze_entropy_plot *pl,
                                                 trawl_error *err);

/* A dendrogram of a linkage matrix of n items: leaves in SciPy's order
 * (depth first, left child first), merges at their heights, links coloured
 * by flat cluster where both sides agree, an optional dashed cut line. */
typedef struct trawl_analyze_dendrogram_plot {
    const char *title; /* NULL: none */
    const double *Z;   /* (n - 1) x 4, as trawl_analyze_linkage writes it */
    size_t n;
    const char *const *leaf_labels; /* n labels or NULL; drawn when n <= 400 */
    const int32_t *clusters;        /* n flat-cluster labels or NULL */
    double cut;                     /* > 0: a horizontal line at this height */
    const char *distance_label;     /* y axis; NULL: "distance" */
} trawl_analyze_dendrogram_plot;

/* Writes the dendrogram as an SVG document to out. TRAWL_EINVAL (a
 * malformed Z: err->index = the row), TRAWL_EIO, TRAWL_ENOMEM. O(n). */
TRAWL_API trawl_status trawl_analyze_svg_dendrogram(FILE *out,
                                                    const trawl_analyze_dendrogram_plot *pl,
                                                    trawl_error *err);

#ifdef __cplusplus
}
#endif
#endif
