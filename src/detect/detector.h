/* detector.h -- what a detector implements, and the helpers every detector
 * uses to build its result. Internal to src/detect/.
 *
 * A detector is a table of functions. create() builds its immutable state
 * from the configuration (compiling rule packs, reading lists); thread_new()
 * builds per-thread scratch; run() fills a trawl_detector_result. run() may
 * be called from many threads at once with distinct thread states; state
 * that must be shared and mutable (per-client history) is the detector's to
 * lock. */
#ifndef TRAWL_DETECT_DETECTOR_H
#define TRAWL_DETECT_DETECTOR_H

#include <stdbool.h>
#include <string.h>
#include <trawl/detect.h>

#include "common/error.h"
#include "detect/config.h"

typedef struct detector_ops {
    const char *name;
    unsigned bit;
    trawl_status (*create)(const det_config *cfg, void **state, trawl_error *err);
    void (*destroy)(void *state);
    trawl_status (*thread_new)(void *state, void **tstate, trawl_error *err); /* may be NULL */
    void (*thread_free)(void *tstate);                                        /* may be NULL */
    trawl_status (*run)(void *state, void *tstate, const trawl_detect_input *in,
                        trawl_detector_result *out, trawl_error *err);
} detector_ops;

/* The five detectors, in bit order. A detector not built yet is NULL. */
extern const detector_ops *const det_all[TRAWL_DET_COUNT];
extern const detector_ops det_prompt_injection_ops;
extern const detector_ops det_shadow_ai_ops;
extern const detector_ops det_synthetic_media_ops;
extern const detector_ops det_ai_vs_ai_ops;
extern const detector_ops det_polymorphic_ops;

/* Opens a file named in an input, for reading, without ever blocking: the
 * path is stat'ed first and must be a regular file (or, with allow_fifo, a
 * FIFO), then opened non-blocking (O_NOCTTY) and checked again on the open
 * descriptor (it may have been swapped in between). A FIFO is then set to
 * blocking reads: they wait for a writer that has the FIFO open and end at
 * once when none has. A FIFO is never reopened after another reader has
 * drained it (opening it with a blocking open would wait forever); devices
 * are never opened (opening one can have effects). Returns the descriptor,
 * or -1 with the reason in why (files.c). */
int det_open_file(const char *path, bool allow_fifo, char *why, size_t cap);

/* Adds a violation; confidence is clamped to [0,1] and the severity derived
 * from it. description is printf-style. Returns the violation (to add
 * evidence to) or NULL on out-of-memory. */
trawl_violation *det_violation(trawl_detector_result *r, const char *category, double confidence,
                               const char *fmt, ...) TRAWL__PRINTF(4, 5);
/* Adds one evidence string (printf-style). -1 on out-of-memory. */
int det_evidence(trawl_violation *v, const char *fmt, ...) TRAWL__PRINTF(2, 3);
/* An evidence line built piece by piece, for the hot paths where
 * vsnprintf is the cost (the prompt detector writes a line per rule hit).
 * The pieces print exactly as the printf conversions named. Out-of-memory
 * is remembered and reported by det_evidence_line. */
typedef struct det_line {
    char *s;
    size_t len, cap;
    int failed;
} det_line;
void det_line_str(det_line *l, const char *s); /* %s */
void det_line_u64(det_line *l, uint64_t x);    /* %llu */
void det_line_fixed2(det_line *l, double x);   /* %.2f */
/* Adds the line as one evidence string (ownership passes to v; l is reset
 * either way). -1 on out-of-memory. */
int det_evidence_line(trawl_violation *v, det_line *l);
/* Frees the violations of r and resets it. */
void det_result_clear(trawl_detector_result *r);

/* The lengths of the query and of history[i]: the parser sets them (the
 * texts may hold NULs); an input built by hand may leave them 0 / NULL, and
 * then the C string's length is meant. */
static inline size_t det_query_len(const trawl_detect_input *in)
{
    return in->query_len ? in->query_len : strlen(in->query);
}
static inline size_t det_history_len(const trawl_detect_input *in, size_t i)
{
    return in->history_len && in->history_len[i] ? in->history_len[i] : strlen(in->history[i]);
}

#endif
