/* trawl/pattern.h -- binary patterns: compile once, scan many times.
 *
 * A pattern set holds parsed patterns (regex-style byte syntax, YARA hex
 * strings, or plain literals). Compiling it gives an immutable pattern
 * database that any number of threads may scan with at once, each with its
 * own scratch. Matching is done by Hyperscan; trawl's own parser checks and
 * describes each pattern first, and a small verifier of its own finds exact
 * start offsets where a pattern's width varies.
 *
 * Semantics (docs/pattern-syntax.md has the whole story):
 *  - By default matches of each pattern are leftmost-longest and do not
 *    overlap one another (what `grep -o` does), independently per pattern:
 *    a match of one pattern never hides a match of another.
 *  - With TRAWL_SCAN_OVERLAP every start offset at which a match of a pattern
 *    begins is reported once, with the longest match from there.
 *  - Offsets are absolute within the input, across chunks when streaming.
 *  - For one pattern, matches come in increasing offset order. Matches of
 *    different patterns may interleave in any order.
 *
 * Ownership: sets, databases, scratch and streams are owned by the caller
 * from _new/_compile/_open until the matching _free. Strings passed in are
 * copied. _free(NULL) is harmless.
 */
#ifndef TRAWL_PATTERN_H
#define TRAWL_PATTERN_H

#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a pattern's text is read. */
typedef enum trawl_pattern_syntax {
    TRAWL_SYNTAX_AUTO = 0, /* YARA hex when the text starts with '{', else regex */
    TRAWL_SYNTAX_REGEX,    /* \xNN, ., ??, \x?A, [..], {n,m}, *, +, ?, ( | ), ^, $ */
    TRAWL_SYNTAX_HEX,      /* { AA ?? A? [2-4] ( FF | FE ) ~00 } */
    TRAWL_SYNTAX_LITERAL   /* the bytes exactly as given */
} trawl_pattern_syntax;

/* Pattern flags. */
enum {
    TRAWL_PATTERN_NOCASE = 1u << 0 /* ASCII letters match either case */
};

/* Scan flags. */
enum {
    TRAWL_SCAN_OVERLAP = 1u << 0 /* every start offset, longest match from each */
};

/* Limits (documented in docs/pattern-syntax.md). */
#define TRAWL_PATTERN_MAX_REPEAT 10000      /* n and m in {n,m} and [n-m] */
#define TRAWL_PATTERN_MAX_STATES 200000     /* verifier states after expansion */
#define TRAWL_PATTERN_MAX_LEN    (1u << 20) /* bytes of pattern text */

/* Complexity limits of a pattern set, checked as patterns are added, before
 * anything is compiled (Hyperscan's compile time and memory grow much faster
 * than the pattern: 400 ".*" in one pattern took 15 s, 1,000 over a minute;
 * 10,000 rules ".{0,50}xN.{0,50}" two minutes and 670 MB). A "wide
 * position" is one that matches more than one byte, counted after repeats
 * are expanded (a bounded repeat counts its maximum, an unbounded one its
 * minimum + 1): ".{0,50}" is 50, "[ab]+" 2, "abc" 0. A field of 0 means its
 * default. */
typedef struct trawl_pattern_limits {
    size_t max_unbounded; /* unbounded repeats per pattern (*, +, {n,}, [n-], [-]); 64 */
    size_t max_wide;      /* wide positions per pattern; 4096 */
    size_t max_set_wide;  /* wide positions over the whole set; 65536 */
    size_t max_rule_line; /* bytes per line of a rule file; 65536 */
} trawl_pattern_limits;
#define TRAWL_PATTERN_MAX_UNBOUNDED 64
#define TRAWL_PATTERN_MAX_WIDE      4096
#define TRAWL_PATTERN_MAX_SET_WIDE  65536
#define TRAWL_PATTERN_MAX_RULE_LINE 65536

typedef struct trawl_pattern_set trawl_pattern_set;
typedef struct trawl_pattern_db trawl_pattern_db;
typedef struct trawl_scratch trawl_scratch;
typedef struct trawl_stream trawl_stream;

/* What a compiled pattern is: filled by trawl_pattern_info(). */
typedef struct trawl_pattern_info {
    const char *name;       /* NULL when unnamed */
    const char *expression; /* the text as given */
    trawl_pattern_syntax syntax;
    unsigned flags;
    uint64_t min_width;
    uint64_t max_width; /* UINT64_MAX when unbounded */
    int anchored_start; /* 1 when every match must begin at offset 0 */
} trawl_pattern_info;

/* One match. For a block scan, data points into the caller's buffer; for a
 * stream, into the stream's window, valid only during the callback. */
typedef struct trawl_match {
    uint64_t offset;
    uint64_t length;
    uint32_t pattern; /* index in the set, in the order patterns were added */
    const uint8_t *data;
} trawl_match;

/* Called for each match. Return 0 to go on, non-zero to stop the scan (the
 * scan then returns TRAWL_ESTOPPED). */
typedef int (*trawl_match_fn)(const trawl_match *m, void *user);

/* ---- pattern sets ------------------------------------------------------ */

/* Creates an empty set. TRAWL_ENOMEM with *out = NULL on failure. */
TRAWL_API trawl_status trawl_pattern_set_new(trawl_pattern_set **out);
TRAWL_API void trawl_pattern_set_free(trawl_pattern_set *set);
/* Sets the set's complexity limits (copied; NULL = the defaults); they apply
 * to patterns added afterwards. A pattern past a limit is refused with
 * TRAWL_ELIMIT, the set unchanged, err->index naming it (err->line in a
 * rule file) and the message saying which limit and by how much. */
TRAWL_API trawl_status trawl_pattern_set_limits(trawl_pattern_set *set,
                                                const trawl_pattern_limits *limits);

/* Parses one pattern and adds it to the set. expr is len bytes (it need not
 * be NUL-terminated; literals may contain NUL). name may be NULL. On a syntax
 * error returns TRAWL_ESYNTAX (or TRAWL_EUNSUPPORTED / TRAWL_ELIMIT) with
 * err->index = the index the pattern would have had, err->column = 1-based
 * column of the offending character, and the set unchanged. O(len). */
TRAWL_API trawl_status trawl_pattern_set_add(trawl_pattern_set *set, const char *expr, size_t len,
                                             trawl_pattern_syntax syntax, unsigned flags,
                                             const char *name, trawl_error *err);

/* Parses a rule file's text and adds its patterns. One rule per line:
 *     name: pattern          (regex syntax, or YARA hex when it starts with '{')
 *     name/i: pattern        (ASCII case-insensitive)
 *     name/lit: text         (literal text, no escapes)
 * Blank lines and lines starting with '#' are skipped. On error nothing is
 * added and err->line / err->column name the place. O(len). */
TRAWL_API trawl_status trawl_pattern_set_add_rules(trawl_pattern_set *set, const char *text,
                                                   size_t len, trawl_error *err);

/* Number of patterns in the set. */
TRAWL_API size_t trawl_pattern_set_count(const trawl_pattern_set *set);

/* Compiles the set into a database. The set may be freed afterwards. An empty
 * set is TRAWL_EINVAL. Hyperscan's refusals come back as TRAWL_EENGINE with
 * err->index naming the pattern. Costs what Hyperscan's compiler costs. */
TRAWL_API trawl_status trawl_pattern_compile(const trawl_pattern_set *set, trawl_pattern_db **out,
                                             trawl_error *err);

/* trawl_pattern_compile_ex() flags. */
enum {
    /* Compile for block scans only: about half the compile time and memory.
     * trawl_stream_open() refuses such a database (TRAWL_EINVAL), and so
     * does trawl_scan() of one input over 4 GiB (TRAWL_ELIMIT); it saves
     * and loads as a block-only database. For rule packs scanned one
     * message at a time. */
    TRAWL_COMPILE_BLOCK_ONLY = 1u << 0
};

/* trawl_pattern_compile() with flags (TRAWL_COMPILE_*); unknown flags are
 * TRAWL_EINVAL. */
TRAWL_API trawl_status trawl_pattern_compile_ex(const trawl_pattern_set *set, unsigned flags,
                                                trawl_pattern_db **out, trawl_error *err);

/* Shortcut: one pattern, compiled. */
TRAWL_API trawl_status trawl_pattern_compile_one(const char *expr, trawl_pattern_syntax syntax,
                                                 unsigned flags, trawl_pattern_db **out,
                                                 trawl_error *err);

TRAWL_API void trawl_pattern_db_free(trawl_pattern_db *db);
TRAWL_API size_t trawl_pattern_db_count(const trawl_pattern_db *db);
/* Describes pattern i; TRAWL_EINVAL when i is out of range. Strings belong to
 * the database. */
TRAWL_API trawl_status trawl_pattern_info_get(const trawl_pattern_db *db, size_t i,
                                              trawl_pattern_info *info);

/* Serializes the database into a malloc'd buffer (*out, *len; free() it).
 * Contains the patterns' text and the compiled Hyperscan databases (the
 * block one, and the stream one unless compiled TRAWL_COMPILE_BLOCK_ONLY). */
TRAWL_API trawl_status trawl_pattern_db_serialize(const trawl_pattern_db *db, uint8_t **out,
                                                  size_t *len, trawl_error *err);
/* Loads a serialized database. TRAWL_EFORMAT for a damaged buffer,
 * TRAWL_EVERSION when it was made by another trawl format version or for a
 * CPU/platform this one is not. */
TRAWL_API trawl_status trawl_pattern_db_deserialize(const uint8_t *buf, size_t len,
                                                    trawl_pattern_db **out, trawl_error *err);

/* ---- the compiled-database cache ----------------------------------------- */

/* What trawl_pattern_compile_cached() did. */
typedef enum trawl_cache_outcome {
    TRAWL_CACHE_OFF = 0,   /* no cache directory: compiled */
    TRAWL_CACHE_HIT,       /* loaded from the cache, nothing compiled */
    TRAWL_CACHE_STORED,    /* compiled, and written to the cache */
    TRAWL_CACHE_SKIPPED,   /* compiled; too quick to compile to be worth a file */
    TRAWL_CACHE_UNWRITABLE /* compiled; the cache file could not be written */
} trawl_cache_outcome;

/* Compiles in under this many microseconds of the compiling thread's CPU
 * time are not stored: reading the
 * file back would cost about as much, and one-off patterns would fill the
 * directory. */
#define TRAWL_CACHE_MIN_COMPILE_US 5000

/* trawl_pattern_compile_ex() through a directory of compiled databases.
 * The entry's name is a digest (XXH3-128) of what decides the compiled
 * bytes: every pattern's text, syntax, flags and name, the compile flags,
 * trawl's translation of each pattern for the engine, the Hyperscan version
 * and this CPU's features. An entry is loaded only when its header, length
 * and checksum are right, its file is a regular file owned by this user and
 * writable by no one else, its patterns are exactly the set's, and
 * Hyperscan accepts its databases (its own CRC, version and platform
 * checks); anything else (stale, damaged, foreign) is ignored and the set
 * compiled and stored again, silently. Entries are written to a temporary
 * file and renamed into place, so readers never see half a file. dir is
 * created (mode 0700) when missing; NULL or "" compiles without a cache.
 * Cache trouble never fails the call: only compiling can (as
 * trawl_pattern_compile_ex). outcome may be NULL. */
TRAWL_API trawl_status trawl_pattern_compile_cached(const trawl_pattern_set *set, unsigned flags,
                                                    const char *dir, trawl_pattern_db **out,
                                                    trawl_cache_outcome *outcome, trawl_error *err);

/* ---- scanning ---------------------------------------------------------- */

/* Creates scratch for db, or grows *s so that it also serves db (like
 * hs_alloc_scratch). One scratch per thread; it may serve many databases. */
TRAWL_API trawl_status trawl_scratch_alloc(const trawl_pattern_db *db, trawl_scratch **s,
                                           trawl_error *err);
TRAWL_API void trawl_scratch_free(trawl_scratch *s);

/* Scans one block. Calls cb for every match (see semantics above). Returns
 * TRAWL_OK, TRAWL_ESTOPPED when cb asked to stop, TRAWL_ESTATE when scratch
 * is in use by another scan, TRAWL_EENGINE on an engine failure. Allocates
 * nothing. Blocks over 4 GiB are scanned as a stream internally. */
TRAWL_API trawl_status trawl_scan(const trawl_pattern_db *db, trawl_scratch *s, const uint8_t *data,
                                  size_t len, unsigned scan_flags, trawl_match_fn cb, void *user,
                                  trawl_error *err);

/* trawl_scan() that returns the matches instead of calling back: *out is a
 * malloc'd array of *n matches in the order trawl_scan reports them (free it
 * with trawl_matches_free), their data pointing into data. For callers to
 * whom a callback costs more than a match does (foreign-function bindings).
 * max > 0 stops the scan after max matches: TRAWL_ESTOPPED with those max
 * in *out. Other errors leave *out NULL and *n 0. O(matches) beyond
 * trawl_scan; allocates the array (doubling). */
TRAWL_API trawl_status trawl_scan_collect(const trawl_pattern_db *db, trawl_scratch *s,
                                          const uint8_t *data, size_t len, unsigned scan_flags,
                                          size_t max, trawl_match **out, size_t *n,
                                          trawl_error *err);
/* Frees an array from trawl_scan_collect. NULL is harmless. */
TRAWL_API void trawl_matches_free(trawl_match *m);

/* Streaming: feed chunks of any size with trawl_stream_write, then close.
 * Matches across chunk boundaries are found, offsets are absolute. Memory is
 * bounded: the stream keeps a window of recent bytes of at most window_max
 * bytes (0 = default, 8 MiB). A pattern of unbounded width whose match extent
 * cannot be decided within the window makes write return TRAWL_ELIMIT (never
 * a wrong or truncated match). */
TRAWL_API trawl_status trawl_stream_open(const trawl_pattern_db *db, unsigned scan_flags,
                                         size_t window_max, trawl_stream **out, trawl_error *err);
TRAWL_API trawl_status trawl_stream_write(trawl_stream *st, trawl_scratch *s, const uint8_t *data,
                                          size_t len, trawl_match_fn cb, void *user,
                                          trawl_error *err);
/* Ends the input: reports the matches that needed to see the end ($ and
 * pending longest matches). The stream cannot be written afterwards. */
TRAWL_API trawl_status trawl_stream_close(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb,
                                          void *user, trawl_error *err);
TRAWL_API void trawl_stream_free(trawl_stream *st);
/* Bytes written so far. */
TRAWL_API uint64_t trawl_stream_offset(const trawl_stream *st);

#ifdef __cplusplus
}
#endif
#endif
