/* trawl/fuzzy.h -- approximate byte search: find windows of the input that
 * are within edit distance k of a byte pattern, reported exactly as the
 * brute-force definition below gives them, at memory speed.
 *
 * Definitions (docs/fuzzy.md says the same with examples):
 *
 *   A pattern is m >= 1 positions; each is a (value, mask) pair and matches a
 *   byte b when (b & mask) == value. A full wildcard (`??`) has mask 0 and
 *   matches every byte; a nibble wildcard (`A?`, `?A`) fixes one nibble.
 *
 *   d(P, W) is the least number of edits that turn P into the window W using
 *   the enabled operations, each costing 1: substitution (a pattern position
 *   aligned to a byte it does not match), insertion (a byte of W aligned to
 *   no pattern position) and deletion (a pattern position aligned to no byte
 *   of W). A pattern position aligned to a byte it matches costs 0, so
 *   wildcards never cost. Hamming mode enables only substitutions, so W has
 *   exactly m bytes. Disabling operations can only raise d; with substitution
 *   disabled a mismatch costs an insertion plus a deletion.
 *
 *   A candidate is a window data[i..j) with d <= k and similarity
 *   s = 1 - d / max(m, j - i) >= min_similarity (computed in double exactly as
 *   written). The reported matches are chosen greedily: repeatedly take the
 *   best remaining candidate -- highest similarity (compared exactly, as the
 *   fraction d / max(m, len)), then smallest offset, then greatest length --
 *   and discard every candidate that overlaps it. Selection is per pattern:
 *   matches of different patterns of a set may overlap.
 *
 * Objects: a trawl_fuzzy_db is compiled once, is immutable and may be shared
 * by any number of threads. A trawl_fuzzy_stream is the per-thread mutable
 * state (kernel registers, the few hundred bytes of history a match may
 * reach back into, pending candidates); it serves both streaming and
 * one-block scans. Offsets are absolute from the start of the stream.
 *
 * Kernels: the AVX2 eight-lane Myers kernel is used when the CPU has AVX2;
 * TRAWL_NO_AVX2=1 in the environment when a stream is opened selects the
 * portable one (results are identical; the knob exists for testing).
 *
 * Ownership follows trawl/common.h: the caller owns what it passes in; the
 * library owns what it returns until the matching _free(). Match records and
 * the bytes they point at are valid only during the callback.
 */
#ifndef TRAWL_FUZZY_H
#define TRAWL_FUZZY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest pattern accepted, in positions. */
#define TRAWL_FUZZY_MAX_PATTERN 4096
/* Largest k accepted (and k must also be < m). */
#define TRAWL_FUZZY_MAX_DISTANCE 64

typedef enum trawl_fuzzy_mode {
    TRAWL_FUZZY_LEVENSHTEIN = 0, /* substitutions, insertions, deletions */
    TRAWL_FUZZY_HAMMING = 1      /* substitutions only; windows of m bytes */
} trawl_fuzzy_mode;

/* Flags of a trawl_fuzzy_spec. */
enum {
    TRAWL_FUZZY_NO_SUBSTITUTE = 1u << 0,
    TRAWL_FUZZY_NO_INSERT = 1u << 1, /* no extra bytes in the window */
    TRAWL_FUZZY_NO_DELETE = 1u << 2, /* no pattern position left out */
    /* Kernel choice is automatic (docs/fuzzy.md, "Choosing the kernel");
     * these force one, for tests and benchmarks. Results never change. */
    TRAWL_FUZZY_FORCE_SCAN = 1u << 8, /* bit-parallel kernel over every byte */
    TRAWL_FUZZY_FORCE_SEED = 1u << 9  /* pigeonhole seeds, then the kernel, when every
                                         piece of the pattern has a fixed byte */
};

/* One pattern of a set. */
typedef struct trawl_fuzzy_spec {
    const char *name;    /* optional (NULL: "p<index>"); copied */
    const char *pattern; /* text syntax, see trawl_fuzzy_parse() */
    unsigned max_distance;
    trawl_fuzzy_mode mode;
    unsigned flags;        /* TRAWL_FUZZY_NO_* | TRAWL_FUZZY_FORCE_* */
    double min_similarity; /* 0 accepts every candidate with d <= k */
} trawl_fuzzy_spec;

typedef struct trawl_fuzzy_match {
    uint64_t offset; /* absolute, from the start of the stream */
    size_t length;
    unsigned distance;
    double similarity;    /* 1 - distance / max(m, length) */
    unsigned pattern;     /* index in the set */
    const char *name;     /* the pattern's name */
    const uint8_t *bytes; /* the matched window; valid during the callback */
} trawl_fuzzy_match;

/* Return non-zero to stop the scan (the scan then returns TRAWL_ESTOPPED). */
typedef int (*trawl_fuzzy_match_fn)(const trawl_fuzzy_match *match, void *ud);

typedef struct trawl_fuzzy_db trawl_fuzzy_db;
typedef struct trawl_fuzzy_stream trawl_fuzzy_stream;

/* Parses one pattern into values and masks. Three syntaxes, told apart by
 * the first non-blank character:
 *   `{`  YARA hex without jumps: `{ 4D 5A ?? ?0 }`. Jumps `[n-m]`,
 *        alternatives `( | )` and `~` are TRAWL_EUNSUPPORTED.
 *   `\`  escapes: `\xAA\x??\x?0`, `\\`, `\.`, `\?`; `.` is any byte;
 *        other printable characters stand for themselves (`\x7fELF`).
 *   else plain hex: `AABB??C?`, blanks between bytes allowed.
 * Writes up to cap positions to value/mask and their count to *m.
 * Errors: TRAWL_EINVAL (empty pattern, NULL argument), TRAWL_ESYNTAX with
 * err->column (1-based) at the offending character, TRAWL_ELIMIT when more
 * than cap positions. O(length), allocates nothing. */
TRAWL_API trawl_status trawl_fuzzy_parse(const char *text, uint8_t *value, uint8_t *mask,
                                         size_t cap, size_t *m, trawl_error *err);

/* Compiles n >= 1 patterns into a shareable database. Errors carry
 * err->index (the spec) and, for syntax errors, err->column:
 * TRAWL_EINVAL (k >= m, k > TRAWL_FUZZY_MAX_DISTANCE, min_similarity
 * outside [0,1], unknown mode or flag), TRAWL_ESYNTAX, TRAWL_EUNSUPPORTED,
 * TRAWL_ELIMIT (pattern too long), TRAWL_EENGINE (the seed database was
 * refused and TRAWL_FUZZY_FORCE_SEED was given; without it the kernels
 * simply run over every byte),
 * TRAWL_ENOMEM. On failure *out is unchanged. Allocates; O(sum of m * 256). */
TRAWL_API trawl_status trawl_fuzzy_compile(const trawl_fuzzy_spec *specs, size_t n,
                                           trawl_fuzzy_db **out, trawl_error *err);
TRAWL_API void trawl_fuzzy_db_free(trawl_fuzzy_db *db);
/* Number of patterns, and the length m of pattern i (0 if out of range). */
TRAWL_API size_t trawl_fuzzy_db_count(const trawl_fuzzy_db *db);
TRAWL_API size_t trawl_fuzzy_db_pattern_length(const trawl_fuzzy_db *db, size_t i);
/* How pattern i is scanned: "myers", "myers-blocked", "bitap",
 * "bitap-suffix", each optionally "+seed" (pigeonhole prefilter). */
TRAWL_API const char *trawl_fuzzy_db_kernel(const trawl_fuzzy_db *db, size_t i);

/* Allocates the per-thread state for db (which must outlive it).
 * TRAWL_ENOMEM / TRAWL_EENGINE; *out unchanged on failure. */
TRAWL_API trawl_status trawl_fuzzy_stream_open(const trawl_fuzzy_db *db, trawl_fuzzy_stream **out,
                                               trawl_error *err);
TRAWL_API void trawl_fuzzy_stream_free(trawl_fuzzy_stream *s);
/* Forgets everything: the next byte written is offset 0. */
TRAWL_API void trawl_fuzzy_stream_reset(trawl_fuzzy_stream *s);

/* Feeds the next n bytes. Matches that are final are reported now, in
 * increasing offset per pattern; a match is final once no candidate that
 * could beat it can still appear, so reports lag the input by a bounded
 * distance (at most about k(k+1)(m+k) + 2(m+k) bytes). O(n) amortised.
 * Allocates only when candidates are denser than before on this stream.
 * TRAWL_ESTOPPED when the callback asked to stop (the stream is then
 * unusable until reset), TRAWL_ENOMEM, TRAWL_EENGINE. */
TRAWL_API trawl_status trawl_fuzzy_stream_write(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                                                trawl_fuzzy_match_fn cb, void *ud,
                                                trawl_error *err);
/* Ends the input: reports the remaining matches. The stream must be reset
 * before it is written again. */
TRAWL_API trawl_status trawl_fuzzy_stream_finish(trawl_fuzzy_stream *s, trawl_fuzzy_match_fn cb,
                                                 void *ud, trawl_error *err);

/* One-block scan: reset + write + finish on s. Same results as any
 * chunking of the same bytes through a stream. */
TRAWL_API trawl_status trawl_fuzzy_scan(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                                        trawl_fuzzy_match_fn cb, void *ud, trawl_error *err);

/* One step of an optimal alignment of a pattern to a matched window. */
typedef enum trawl_fuzzy_op {
    TRAWL_FUZZY_OP_MATCH = 0,
    TRAWL_FUZZY_OP_SUBSTITUTE = 1,
    TRAWL_FUZZY_OP_INSERT = 2, /* a window byte with no pattern position */
    TRAWL_FUZZY_OP_DELETE = 3  /* a pattern position with no window byte */
} trawl_fuzzy_op;

typedef struct trawl_fuzzy_edit {
    trawl_fuzzy_op op;
    int32_t pattern_pos; /* -1 for an insertion */
    int32_t data_pos;    /* in the window; -1 for a deletion */
    uint8_t pattern_value, pattern_mask;
    uint8_t data_byte;
} trawl_fuzzy_edit;

/* Aligns pattern i of db to window[0..len) with the pattern's operations
 * and writes the edits (matches included, in window order) to edits; *n
 * receives the count (at most m + len) and *distance the distance, which
 * is the match's distance when window is a reported match. Ties prefer
 * substitution, then deletion, then insertion. TRAWL_EINVAL when the window
 * cannot be reached with the enabled operations, TRAWL_ELIMIT when cap is
 * too small, TRAWL_ENOMEM. Allocates O(m * len) temporarily. */
TRAWL_API trawl_status trawl_fuzzy_align(const trawl_fuzzy_db *db, size_t i, const uint8_t *window,
                                         size_t len, trawl_fuzzy_edit *edits, size_t cap, size_t *n,
                                         unsigned *distance, trawl_error *err);

/* A pair of similar windows found by trawl_fuzzy_similar(). */
typedef struct trawl_fuzzy_pair {
    uint64_t a, b; /* offsets of the two windows, a < b */
    unsigned distance;
} trawl_fuzzy_pair;

/* Return non-zero to stop (the call then returns TRAWL_ESTOPPED). */
typedef int (*trawl_fuzzy_pair_fn)(const trawl_fuzzy_pair *pair, void *ud);

/* Similar-sequence discovery: reports every pair of windows p[a..a+L) and
 * p[b..b+L), 0 <= a < b <= n - L (overlapping windows included), whose
 * distance (Levenshtein between the two L-byte windows, or Hamming) is at
 * most k, in increasing (a, b) order.
 * Cost: pigeonhole seeds of q = floor(L / (k + 1)) bytes, hashed once
 * (O(n) time: a radix sort; 12 bytes of memory per input byte), then a
 * banded DP of O(L k) per window pair that shares a
 * seed at a shift within k, the partners of a window enumerated in order
 * with O(k) memory and O(k log n) time. On data without long repeats that
 * is near O(n (k + 1)); repetitive data (padding, erased flash: zeros) has
 * quadratically many pairs and costs that much time -- never more memory.
 * Errors: TRAWL_EINVAL (L == 0, k >= L, k > TRAWL_FUZZY_MAX_DISTANCE, bad
 * mode, NULL), TRAWL_ELIMIT (n >= 4 GiB), TRAWL_ENOMEM, TRAWL_ESTOPPED. */
TRAWL_API trawl_status trawl_fuzzy_similar(const uint8_t *p, size_t n, size_t L, unsigned k,
                                           trawl_fuzzy_mode mode, trawl_fuzzy_pair_fn cb, void *ud,
                                           trawl_error *err);

/* Bounds on the work of trawl_fuzzy_similar_ex; 0 = none. */
typedef struct trawl_fuzzy_similar_limits {
    uint64_t max_pairs;  /* pairs reported */
    uint64_t max_checks; /* window pairs verified (reported or not) */
} trawl_fuzzy_similar_limits;

/* trawl_fuzzy_similar with limits (NULL = none): past one, the pairs so far
 * have been reported and the call returns TRAWL_ELIMIT, the message naming
 * the limit and the window reached. */
TRAWL_API trawl_status trawl_fuzzy_similar_ex(const uint8_t *p, size_t n, size_t L, unsigned k,
                                              trawl_fuzzy_mode mode,
                                              const trawl_fuzzy_similar_limits *limits,
                                              trawl_fuzzy_pair_fn cb, void *ud, trawl_error *err);

/* ---- distance between two whole byte strings ------------------------------ */

/* The Levenshtein distance between a[0..na) and b[0..nb): the least number
 * of single-byte insertions, deletions and substitutions turning one into
 * the other (exact bytes, no wildcards). The same bit-parallel step as the
 * search kernels, with the first row counting 0, 1, 2, ...: O(ceil(m / 64)
 * n) for m = the shorter length, n = the longer. TRAWL_EINVAL (NULL with a
 * non-zero length), TRAWL_ENOMEM (strings over 64 bytes allocate
 * 2 KiB per 64 bytes of the shorter). */
TRAWL_API trawl_status trawl_fuzzy_distance(const uint8_t *a, size_t na, const uint8_t *b,
                                            size_t nb, uint64_t *d, trawl_error *err);

/* One string prepared for its distance to many others (a distance-matrix
 * row): the match table is built once. The object holds scratch for
 * strings over 64 bytes: one thread at a time uses it. */
typedef struct trawl_fuzzy_lev trawl_fuzzy_lev;

/* Prepares a[0..na) (copied into the table; a need not outlive it).
 * TRAWL_EINVAL, TRAWL_ELIMIT, TRAWL_ENOMEM; allocates 2 KiB per 64 bytes. */
TRAWL_API trawl_status trawl_fuzzy_lev_new(const uint8_t *a, size_t na, trawl_fuzzy_lev **out,
                                           trawl_error *err);
TRAWL_API void trawl_fuzzy_lev_free(trawl_fuzzy_lev *l);
/* Distance from the prepared string to b[0..nb). O(ceil(na / 64) nb); never
 * fails, allocates nothing. */
TRAWL_API uint64_t trawl_fuzzy_lev_distance(trawl_fuzzy_lev *l, const uint8_t *b, size_t nb);
/* d[i] = distance to b[i] for i < n. Strings of up to 64 bytes run four at
 * a time, interleaved. Allocates nothing. */
TRAWL_API void trawl_fuzzy_lev_distances(trawl_fuzzy_lev *l, const trawl_span *b, size_t n,
                                         uint64_t *d);

#ifdef __cplusplus
}
#endif
#endif
