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
 * distance; err->index = the entry), TRAWL_ENOMEM. Time O(n^2); memory: a
 * working copy of D (8 n (n - 1) / 2 bytes) for every method but single,
 * plus O(n). */
TRAWL_API trawl_status trawl_analyze_linkage(const double *D, size_t n,
                                             trawl_analyze_linkage_method method, double *Z,
                                             trawl_error *err);
/* The same, using D itself as the working matrix (it is overwritten): no
 * copy, for matrices near the memory limit. */
TRAWL_API trawl_status trawl_analyze_linkage_inplace(double *D, size_t n,
                                                     trawl_analyze_linkage_method method, double *Z,
                                                     trawl_error *err);
/* Linkage of the rows of the row-major n x d matrix X under Euclidean
 * distance (SciPy's linkage(X, method)): trawl_analyze_pdist on `threads`
 * threads, then the in-place linkage. max_bytes bounds the matrix (0 =
 * none). */
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

#ifdef __cplusplus
}
#endif
#endif
