/* trawl/anomaly.h -- anomalies in numeric series and in message traffic,
 * each one explained: the value, the baseline statistic it was compared
 * with, the threshold it crossed, the method, the time, the channel (flow,
 * field, column) and the index of the message or sample.
 *
 * Channels. Every test runs on a channel: a named series of (time, value).
 * Numeric series feed their channels directly. Messages are turned into
 * channels per flow direction ("10.0.0.5:2578>10.0.0.3:502"): the
 * inter-arrival time (timing), the inter-arrival time per message type
 * (poll jitter), the message count per window (rate), the message type
 * transitions and lengths (sequence) and the values of fields (per field
 * that trawl_infer_run found, or per byte column).
 *
 * Methods (all on by default; a mask selects):
 *   z-score         |x - mean| / std > z                      (default 3)
 *   modified z      0.6745 |x - median| / MAD > mz            (Iglewicz and Hoaglin, default 3.5)
 *   IQR fences      x < Q1 - k IQR or x > Q3 + k IQR          (default k 1.5; ADTK uses 3)
 *   EWMA            EWMA of x leaves mean +- L std sqrt(lambda / (2 - lambda))
 *   CUSUM           S+ or S- (slack 0.5 std) above h std      (a level shift)
 *   rate            a window's message count is an IQR / modified-z outlier (burst, gap)
 *   timing          inter-arrival per flow and per type is a modified-z outlier (delay, jitter)
 *   sequence        a type, a type transition or a length never seen in the baseline
 *   value           a field value never seen (fields with few values) or a
 *                   modified-z / IQR outlier (numeric fields)
 *
 * Modes. Batch: learn a baseline (trawl_anom_learn_*), trawl_anom_finish,
 * save it (trawl_anom_save) or detect with it (trawl_anom_detect_*); the
 * baseline does not change while detecting. Online: create with
 * params.online; every sample is first tested against what came before on
 * its channel, then learned; the first `warmup` samples of a channel are
 * only learned. Memory is bounded: per channel O(reservoir) samples for the
 * quantiles (reservoir sampling with a fixed seed once a channel holds more)
 * and at most max_distinct values, max_lengths lengths and max_transitions
 * transitions; past max_channels new channels are not created (counted in
 * trawl_anom_stats).
 *
 * Ownership: models are the caller's from _new/_load until _free. Anomaly
 * records passed to callbacks live for the callback only. A model is not
 * thread-safe: one thread at a time.
 */
#ifndef TRAWL_ANOMALY_H
#define TRAWL_ANOMALY_H

#include <stdbool.h>
#include <stdio.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, "name"); append only. */
#define TRAWL_ANOM_METHOD_MAP(X)                                                                   \
    X(ZSCORE, "zscore")                                                                            \
    X(MZSCORE, "mzscore")                                                                          \
    X(IQR, "iqr")                                                                                  \
    X(EWMA, "ewma")                                                                                \
    X(CUSUM, "cusum")                                                                              \
    X(RATE, "rate")                                                                                \
    X(TIMING, "timing")                                                                            \
    X(SEQUENCE, "sequence")                                                                        \
    X(VALUE, "value")

typedef enum trawl_anom_method {
#define TRAWL_ANOM_METHOD_ENUM(name, str) TRAWL_ANOM_##name,
    TRAWL_ANOM_METHOD_MAP(TRAWL_ANOM_METHOD_ENUM)
#undef TRAWL_ANOM_METHOD_ENUM
        TRAWL_ANOM_METHOD_COUNT_
} trawl_anom_method;

#define TRAWL_ANOM_ALL ((1u << TRAWL_ANOM_METHOD_COUNT_) - 1)

/* "zscore" for TRAWL_ANOM_ZSCORE; "unknown" otherwise. */
TRAWL_API const char *trawl_anom_method_name(trawl_anom_method m);
/* Parses "zscore,iqr" (or "all") into a mask. TRAWL_EINVAL with err->column
 * at the unknown name. */
TRAWL_API trawl_status trawl_anom_methods_parse(const char *list, unsigned *mask, trawl_error *err);

typedef struct trawl_anom_params {
    unsigned methods;      /* mask of 1u << method; 0 = all */
    double z;              /* z-score threshold; 0 = 3 */
    double mz;             /* modified z-score threshold; 0 = 3.5 */
    double iqr_k;          /* fence multiplier; 0 = 1.5 */
    double ewma_lambda;    /* 0 = 0.2 */
    double ewma_l;         /* control limit in std; 0 = 3 */
    double cusum_k;        /* slack in std; 0 = 0.5 */
    double cusum_h;        /* decision interval in std; 0 = 5 */
    double rate_window;    /* seconds per rate window; 0 = 1 */
    unsigned min_samples;  /* a channel needs this many baseline samples to judge; 0 = 8 */
    bool online;           /* learn while detecting (see above) */
    unsigned warmup;       /* online: samples only learned per channel; 0 = 30 */
    unsigned reservoir;    /* samples kept per channel for quantiles; 0 = 4096 */
    unsigned max_distinct; /* values a field may take to be categorical; 0 = 16 */
    unsigned max_channels; /* 0 = 65536 */
    bool columns;          /* messages: per byte column, not per inferred field */
    unsigned max_columns;  /* byte columns examined per message; 0 = 64 */
} trawl_anom_params;

typedef struct trawl_anomaly {
    trawl_anom_method method;
    const char
        *what; /* "outlier-high", "burst", "gap", "delay", "level-shift-up", "unseen-value", ... */
    const char *channel; /* "series temp", "10.0.0.5:2578>10.0.0.3:502 iat", ... */
    double time;         /* seconds (or the sample index when the input has no time) */
    uint64_t index;      /* message or sample index in the input (window: its first message) */
    double value;        /* what was observed */
    double baseline;     /* the statistic it was compared with (mean, median, Q3, ...) */
    double spread;       /* std, MAD or IQR of the baseline; 0 when not applicable */
    double threshold;    /* the bound that was crossed, in the value's unit */
    double score;        /* z, modified z, (x - fence) / IQR, ...; 0 when not applicable */
    const char *detail;  /* one sentence saying all of it */
} trawl_anomaly;

/* Return non-zero to stop (the call then returns TRAWL_ESTOPPED). */
typedef int (*trawl_anomaly_fn)(const trawl_anomaly *a, void *user);

typedef struct trawl_anom_model trawl_anom_model;

/* params may be NULL (defaults). TRAWL_EINVAL for negative or absurd
 * parameters (err->message names it), TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_anom_new(const trawl_anom_params *params, trawl_anom_model **out,
                                      trawl_error *err);
TRAWL_API void trawl_anom_free(trawl_anom_model *m);

/* ---- numeric series --------------------------------------------------------- */

/* Learns one sample of channel `name` (copied). Non-finite values are
 * TRAWL_EINVAL. O(1) amortised (O(log reservoir) when sampling). */
TRAWL_API trawl_status trawl_anom_learn_value(trawl_anom_model *m, const char *name, double time,
                                              double value, trawl_error *err);
/* Tests one sample (and, online, learns it). Calls cb for each anomaly. */
TRAWL_API trawl_status trawl_anom_detect_value(trawl_anom_model *m, const char *name, double time,
                                               uint64_t index, double value, trawl_anomaly_fn cb,
                                               void *user, trawl_error *err);

/* ---- messages ------------------------------------------------------------------- */

typedef struct trawl_anom_msg {
    trawl_span data;
    const char *flow; /* the direction's name, e.g. "a:1>b:2"; NULL = "stream" */
    uint16_t src_port, dst_port;
    double time;    /* seconds; the message index when there are no times */
    uint64_t index; /* in the input */
} trawl_anom_msg;

/* Learns a batch of baseline messages: types and fields come from
 * trawl_infer_run over all of them (unless params.columns), then every
 * channel learns. Can be called once per model (TRAWL_ESTATE after).
 * TRAWL_ENOMEM, TRAWL_EINVAL. Cost: format inference plus O(messages x
 * fields). */
TRAWL_API trawl_status trawl_anom_learn_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs,
                                             size_t n, trawl_error *err);
/* Tests messages in order (call with any batch sizes: the result is the
 * same as one call with all of them; rate windows close as time passes and
 * at trawl_anom_flush). */
TRAWL_API trawl_status trawl_anom_detect_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs,
                                              size_t n, trawl_anomaly_fn cb, void *user,
                                              trawl_error *err);
/* Closes open rate windows (end of input). */
TRAWL_API trawl_status trawl_anom_flush(trawl_anom_model *m, trawl_anomaly_fn cb, void *user,
                                        trawl_error *err);

/* Computes the baseline statistics after learning (batch mode); required
 * before detecting or saving. TRAWL_ESTATE when already finished. */
TRAWL_API trawl_status trawl_anom_finish(trawl_anom_model *m, trawl_error *err);

/* ---- baselines on disk ---------------------------------------------------------- */

/* Writes the finished baseline as text (docs/anomaly.md has the format).
 * TRAWL_ESTATE before trawl_anom_finish, TRAWL_EIO on a write error. */
TRAWL_API trawl_status trawl_anom_save(const trawl_anom_model *m, FILE *out, trawl_error *err);
/* Reads a baseline written by trawl_anom_save (untrusted: every field is
 * checked). params, when not NULL, replace the thresholds stored in the
 * file (methods, z, mz, ...), not the statistics. TRAWL_EFORMAT with
 * err->line and err->column, TRAWL_EVERSION, TRAWL_ELIMIT, TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_anom_load(const char *text, size_t len,
                                       const trawl_anom_params *params, trawl_anom_model **out,
                                       trawl_error *err);

typedef struct trawl_anom_stats {
    size_t channels;
    uint64_t learned, tested;
    uint64_t dropped_channels; /* samples of channels not created (max_channels) */
} trawl_anom_stats;
TRAWL_API void trawl_anom_get_stats(const trawl_anom_model *m, trawl_anom_stats *s);

/* Describes channel i (for reports): its name, samples learned, and the
 * baseline mean, std, median, MAD, Q1, Q3 (NaN when not numeric or not
 * finished). false when i is out of range. */
typedef struct trawl_anom_channel_info {
    const char *name;
    uint64_t n;
    double mean, std, median, mad, q1, q3;
    unsigned distinct; /* categorical values kept (0 when numeric) */
} trawl_anom_channel_info;
TRAWL_API bool trawl_anom_channel(const trawl_anom_model *m, size_t i,
                                  trawl_anom_channel_info *info);

/* ---- numeric series from text --------------------------------------------------- */

/* A table read from CSV (a header line naming the columns; separator ',',
 * ';' or tab, guessed from the header; fields may be double-quoted) or
 * from JSON Lines (one object per line; numbers or numeric strings). */
typedef struct trawl_anom_table trawl_anom_table;

/* Parses text[0..len) (JSON Lines when the first non-blank byte is '{').
 * time_col names the time column (NULL: the row number is the time);
 * values lists the value columns (NULL: every other numeric column).
 * Errors: TRAWL_EFORMAT with err->line and err->column (a cell that is not
 * a number, a row with too few cells, a missing column: err->line 1),
 * TRAWL_ELIMIT (more than 10 million rows or 256 columns), TRAWL_ENOMEM.
 * Empty cells are skipped (missing values), not errors. O(len). */
TRAWL_API trawl_status trawl_anom_table_parse(const char *text, size_t len, const char *time_col,
                                              const char *const *values, size_t n_values,
                                              trawl_anom_table **out, trawl_error *err);
TRAWL_API void trawl_anom_table_free(trawl_anom_table *t);
TRAWL_API size_t trawl_anom_table_rows(const trawl_anom_table *t);
TRAWL_API size_t trawl_anom_table_columns(const trawl_anom_table *t);
/* Column c's name (owned by t). */
TRAWL_API const char *trawl_anom_table_column(const trawl_anom_table *t, size_t c);
/* Row r: its time and column c's value; false when the cell is empty. */
TRAWL_API bool trawl_anom_table_get(const trawl_anom_table *t, size_t r, size_t c, double *time,
                                    double *value);

#ifdef __cplusplus
}
#endif
#endif
