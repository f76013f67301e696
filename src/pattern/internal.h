/* internal.h -- the pattern module's private structures, shared by its
 * files (set.c, db.c, scan.c, stream.c) and by nothing else. */
#ifndef TRAWL_PATTERN_INTERNAL_H
#define TRAWL_PATTERN_INTERNAL_H

#include <hs/hs.h>

#include "pattern/prog.h"

#define DB_MAGIC      0x7472646bu /* "trdk" */
#define SCRATCH_MAGIC 0x74727363u /* "trsc" */

/* One parsed, checked pattern. */
typedef struct tpat {
    char *expr; /* the text as given, NUL-terminated copy (may hold NULs) */
    size_t len;
    char *name; /* NULL when unnamed */
    trawl_pattern_syntax syntax;
    unsigned flags;
    uint64_t wmin, wmax; /* wmax == PAT_INF when unbounded */
    bool anchored;
    char *hs_expr; /* Hyperscan expression */
    vprog *prog;   /* verifier; NULL for fixed-width patterns */
    uint64_t wide; /* wide positions (trawl_pattern_limits) */
    uint64_t unbounded;
} tpat;

struct trawl_pattern_set {
    tpat *pats;
    size_t n, cap;
    trawl_pattern_limits lim; /* every field set (defaults filled in) */
    uint64_t wide;            /* sum over pats */
};

struct trawl_pattern_db {
    uint32_t magic;
    tpat *pats;
    size_t n;
    hs_database_t *block;  /* HS_MODE_BLOCK */
    hs_database_t *stream; /* HS_MODE_STREAM: streams, and blocks over 4 GiB;
                            * NULL when compiled TRAWL_COMPILE_BLOCK_ONLY */
    uint32_t max_prog;     /* largest verifier program */
    uint64_t max_bounded;  /* largest finite max width */
    bool any_unbounded;
};

/* Parses and checks one pattern into *t (zeroed on failure). */
trawl_status tpat_build(tpat *t, const char *expr, size_t len, trawl_pattern_syntax syntax,
                        unsigned flags, const char *name, trawl_error *err);
void tpat_clear(tpat *t);
/* Deep copy. */
trawl_status tpat_copy(tpat *dst, const tpat *src);

/* Compiles pats[0..n) into the Hyperscan databases of db (the stream one
 * unless block_only). */
trawl_status db_compile_hs(trawl_pattern_db *db, bool block_only, trawl_error *err);
/* trawl_pattern_db_deserialize(); with expect, the patterns must be
 * expect's, in order, and are copied from it instead of parsed again. */
trawl_status db_deserialize(const uint8_t *buf, size_t len, const trawl_pattern_set *expect,
                            trawl_pattern_db **out, trawl_error *err);
/* Fills the summary fields (max_prog, max_bounded, any_unbounded). */
void db_summarize(trawl_pattern_db *db);

struct trawl_scratch {
    uint32_t magic;
    int busy;
    hs_scratch_t *hs;
    vm_mem vm;
    struct pstate *ps; /* per-pattern state for block scans */
    size_t ps_cap;
    uint64_t gen; /* block scans so far: a pstate of another gen is stale */
};

/* Per-pattern matching state: where the next match may start, which start
 * offsets are still to be checked by the verifier. */
typedef struct pstate {
    uint64_t next_start; /* no match may start before this (non-overlap) */
    uint64_t next_check; /* starts below this have been decided */
    uint64_t last_end;   /* last end offset reported by the engine + 1 */
    uint64_t pend_lo;    /* pending start range [pend_lo, pend_hi) */
    uint64_t pend_hi;
    uint64_t gen; /* the block scan this state belongs to (0 in streams) */
} pstate;

/* A scan's view of the data and its reporting target. */
typedef struct scan_ctx {
    const trawl_pattern_db *db;
    pstate *ps;
    uint64_t gen; /* a pstate of another gen is reset on first use */
    vm_mem *vm;
    unsigned flags;
    const uint8_t *buf; /* bytes [base, base + len) */
    uint64_t base;
    size_t len;
    bool eof;
    trawl_match_fn cb;
    void *user;
    bool stopped;
} scan_ctx;

/* The Hyperscan callback: a match of pattern id ends at `to`. */
int scan_on_engine_match(unsigned id, unsigned long long from, unsigned long long to,
                         unsigned flags, void *ctx);
/* Runs the verifier over pending starts of pattern id as far as the data in
 * view allows. Returns false when the callback asked to stop. */
bool scan_drain(scan_ctx *c, uint32_t id);

#endif
