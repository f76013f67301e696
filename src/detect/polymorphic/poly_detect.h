/* poly_detect.h -- the polymorphic detector's shared state and the split
 * between its files: polymorphic/polymorphic.c (ops, configuration, rule pack),
 * polymorphic/static.c (judging bytes), polymorphic/behavior.c (judging behaviour). */
#ifndef TRAWL_DETECT_POLY_DETECT_H
#define TRAWL_DETECT_POLY_DETECT_H

#include <trawl/analyze.h>
#include <trawl/pattern.h>

#include "detect/detector.h"
#include "detect/polymorphic/poly.h"

/* Where a rule's match counts (the prefix of its name in packers.rules). */
typedef enum poly_kind { POLY_K_SEC, POLY_K_EP, POLY_K_SIG, POLY_K_SC } poly_kind;

/* Shellcode idioms the static pass knows by label. */
typedef enum poly_idiom {
    POLY_SC_OTHER,
    POLY_SC_GETPC_CALL,
    POLY_SC_GETPC_FNSTENV,
    POLY_SC_GETPC_JCP,
    POLY_SC_XOR,
    POLY_SC_XOR_X64,
    POLY_SC_NOP,
    POLY_SC_NOP_POLY
} poly_idiom;

typedef struct poly_config {
    double entropy_threshold;         /* whole input, bias-corrected bits/byte */
    double window_entropy_threshold;  /* one 4 KiB window */
    double section_entropy_threshold; /* an executable section or segment */
    double min_entropy_bytes;         /* below this the whole-input test is skipped */
    double overlay_min_bytes;
    double max_file_bytes; /* files named in the input are read up to this size */
} poly_config;

typedef struct poly_state {
    poly_config cfg;
    trawl_pattern_db *db;
    size_t npat;        /* the database's patterns, then the loop forms */
    uint32_t loop_pat;  /* sc.xor_loop_* form f is pattern loop_pat + f (poly_loop_form) */
    uint8_t *kind;      /* poly_kind per pattern */
    uint8_t *idiom;     /* poly_idiom per pattern */
    const char **label; /* per pattern: the name after the kind prefix */
    trawl_analyze_entropy_scanner *scanner; /* POLY_WINDOW windows every POLY_STRIDE */
} poly_state;

#define POLY_MAX_HITS   64
#define POLY_MAX_RANGES 8

typedef struct poly_hit {
    uint32_t pattern;
    uint64_t offset, length;
    size_t aux; /* XOR decoders: the loop instruction's offset */
} poly_hit;

typedef struct poly_tstate {
    trawl_scratch *scratch;
    poly_image img;
    poly_hit hits[POLY_MAX_HITS];
    size_t n_hits;
    uint64_t sled_end[2]; /* end of the last sled seen: [1] plain 0x90, [0] NOP equivalents */
    trawl_analyze_byte_range
        ranges[POLY_MAX_RANGES]; /* executable sections, histogrammed in the scan */
    size_t n_ranges;
    uint64_t chance; /* idioms dropped as chance matches amid random bytes */
    uint64_t *count; /* matches per pattern (verified ones for sc.*) */
} poly_tstate;

/* Judges bytes (the input's data, or a file's content): entropy, structure,
 * packer signatures, shellcode idioms, XOR-encoded executables. where names
 * the bytes in evidence ("data" or a path). cut says p[0..n) is only the
 * start of a longer file (max_file_bytes): what lies past n is then not
 * missing, only unread, so headers that point past it are not malformed
 * and nothing is an overlay. 0, or -1 on out-of-memory / engine failure
 * (err set). */
int poly_static(const poly_state *st, poly_tstate *ts, const uint8_t *p, size_t n, bool cut,
                const char *where, trawl_detector_result *out, trawl_error *err);

/* Judges behaviour events, syscalls and memory regions. -1 on OOM. */
int poly_behavior(const trawl_detect_input *in, trawl_detector_result *out);

#endif
