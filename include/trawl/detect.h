/* trawl/detect.h -- threat detectors with one result shape.
 *
 * A detection engine holds the configured detectors (prompt_injection,
 * shadow_ai, polymorphic, synthetic_media, ai_vs_ai) and their compiled rule
 * packs. It is created once and shared by all threads; each thread runs it
 * with its own trawl_detect_ctx (scratch for the pattern databases, buffers).
 * Detectors that keep per-client history (ai_vs_ai) lock it internally.
 *
 * Every confidence is explained by evidence: a violation lists what matched
 * and where. No score is derived from a hash of the input.
 *
 * Ownership: inputs are the caller's; reports are the library's until
 * trawl_detect_report_free(). Strings inside a report live as long as it.
 */
#ifndef TRAWL_DETECT_H
#define TRAWL_DETECT_H

#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trawl_severity {
    TRAWL_SEVERITY_LOW,     /* confidence < 0.5 */
    TRAWL_SEVERITY_MEDIUM,  /* 0.5 <= c < 0.7 */
    TRAWL_SEVERITY_HIGH,    /* 0.7 <= c < 0.9 */
    TRAWL_SEVERITY_CRITICAL /* c >= 0.9 */
} trawl_severity;

TRAWL_API trawl_severity trawl_severity_from_confidence(double confidence);
/* "low", "medium", "high", "critical". */
TRAWL_API const char *trawl_severity_name(trawl_severity s);

/* The detectors, as bits for selecting a subset. */
enum {
    TRAWL_DET_PROMPT_INJECTION = 1u << 0,
    TRAWL_DET_SHADOW_AI = 1u << 1,
    TRAWL_DET_POLYMORPHIC = 1u << 2,
    TRAWL_DET_SYNTHETIC_MEDIA = 1u << 3,
    TRAWL_DET_AI_VS_AI = 1u << 4,
    TRAWL_DET_ALL = (1u << 5) - 1
};
#define TRAWL_DET_COUNT 5

/* "prompt_injection" for TRAWL_DET_PROMPT_INJECTION, ...; NULL otherwise. */
TRAWL_API const char *trawl_detector_name(unsigned bit);
/* Parses "prompt_injection,shadow_ai" into a mask. TRAWL_EINVAL with
 * err->column at the unknown name. */
TRAWL_API trawl_status trawl_detector_mask_parse(const char *list, unsigned *mask,
                                                 trawl_error *err);

/* ---- input --------------------------------------------------------------- */

typedef struct trawl_connection {
    char *host;
    int port; /* -1 when absent */
} trawl_connection;

typedef struct trawl_process {
    char *name;
    int64_t pid;               /* -1 when absent */
    double gpu_memory_percent; /* -1 when absent */
} trawl_process;

typedef struct trawl_memory_region {
    uint64_t address;
    uint64_t size;
    char perms[8]; /* e.g. "rwx", "r-x" */
} trawl_memory_region;

/* One text of a chat conversation (the "messages" array of an OpenAI or
 * Anthropic request, and Anthropic's top-level "system"): the content of a
 * message, one of its text parts, a tool call's arguments or a tool result.
 * where names it in the request ("messages[2].content[1]",
 * "messages[3].tool_calls[0].function.arguments.query", "system"); role is
 * the message's role ("system", "user", "assistant", "tool", ...). */
typedef struct trawl_chat_text {
    char *text; /* may hold NULs: use len */
    size_t len;
    char *role;
    char *where;
    uint32_t message; /* index in "messages"; UINT32_MAX for "system" */
} trawl_chat_text;

/* Per-client counts kept outside this process, for several engines at once
 * (the instances of a fleet; trawl serve implements it on Redis). The
 * ai_vs_ai detector, given one in trawl_detect_input.counter, counts a
 * client's requests in its rate and extraction windows there instead of in
 * its own memory alone, so a client spreading its requests over the fleet
 * meets one count. count() adds one request of client (client_len bytes,
 * any bytes) at t_ms (0: the store's own clock) to each of the n sliding
 * windows names[i] of window_ms[i] milliseconds (60 buckets each, as the
 * detector's own windows) and writes each window's count, this request
 * included, to counts[i]. It returns 0, or -1 when the store failed: the
 * detector then uses its own memory's counts for that request (which it
 * keeps either way). Called concurrently from every thread that runs the
 * engine; it should bound its own time. */
typedef struct trawl_detect_counter {
    int (*count)(void *user, const char *client, size_t client_len, uint64_t t_ms, size_t n,
                 const char *const *names, const uint64_t *window_ms, uint64_t *counts);
    void *user;
} trawl_detect_counter;

/* The unified input object (see docs/detect.md for the JSON form). Absent
 * fields are NULL / 0. Strings are UTF-8 as received and NUL-terminated; the
 * texts that are screened (prompt, query, history, chat) may also hold NULs
 * and carry their lengths, every other string is refused by the parser when
 * it holds a NUL. */
typedef struct trawl_detect_input {
    char *prompt;
    size_t prompt_len;
    char **urls;
    size_t n_urls;
    char **hosts;
    size_t n_hosts;
    trawl_connection *connections;
    size_t n_connections;
    trawl_process *processes;
    size_t n_processes;
    char **files; /* paths, checked by name and (when readable) content */
    size_t n_files;
    char **pcaps; /* capture files whose DNS, TLS SNI and HTTP Host are checked */
    size_t n_pcaps;
    uint8_t *data; /* decoded from data_base64 */
    size_t data_len;
    char **behavior; /* behaviour event types, e.g. "write_then_execute" */
    size_t n_behavior;
    char **syscalls;
    size_t n_syscalls;
    trawl_memory_region *memory;
    size_t n_memory;
    char *client_id;
    char *query;
    size_t query_len; /* 0: strlen(query) (an input built by hand) */
    char **history;
    size_t *history_len; /* NULL or 0: strlen(history[i]) */
    size_t n_history;
    trawl_chat_text *chat; /* from "messages" and "system", in request order */
    size_t n_chat;
    uint64_t timestamp_ms; /* when the request arrived; 0 = now */
    /* Not from the JSON: a shared per-client counter the caller attaches
     * (above); NULL = this process's memory only. Not owned. */
    const trawl_detect_counter *counter;
} trawl_detect_input;

/* Flags of trawl_detect_input_parse_opts. */
enum {
    /* Ignore keys the input object does not define (by default they are
     * TRAWL_EFORMAT naming the key: "promt" or "text" must not pass as an
     * empty, clean request). */
    TRAWL_INPUT_ALLOW_UNKNOWN_KEYS = 1u << 0
};

/* Parses the JSON input object (docs/detect.md), strictly: the body must be
 * exactly one JSON object (anything after it, a duplicate key, invalid
 * UTF-8 or an unknown key is TRAWL_EFORMAT); a known key of the wrong type
 * is TRAWL_EFORMAT naming the field; err->offset is the byte offset where
 * known. Bounded: at most 100000 array elements in all, nesting 128 deep.
 * O(len). */
TRAWL_API trawl_status trawl_detect_input_parse(const char *json, size_t len,
                                                trawl_detect_input **out, trawl_error *err);
/* The same with TRAWL_INPUT_* flags. */
TRAWL_API trawl_status trawl_detect_input_parse_opts(const char *json, size_t len, unsigned flags,
                                                     trawl_detect_input **out, trawl_error *err);
TRAWL_API void trawl_detect_input_free(trawl_detect_input *in);

/* ---- results ------------------------------------------------------------- */

typedef struct trawl_violation {
    const char *detector; /* static */
    const char *category; /* static, e.g. "instruction_override" */
    double confidence;    /* 0..1 */
    trawl_severity severity;
    char *description;
    char **evidence; /* what matched, where */
    size_t n_evidence;
} trawl_violation;

typedef struct trawl_detector_result {
    const char *detector; /* static */
    double threat_score;  /* max confidence, 0 when clean */
    trawl_violation *violations;
    size_t n_violations;
    size_t cap_;
    uint64_t latency_ns; /* how long this detector ran; 0 when it did not */
} trawl_detector_result;

typedef struct trawl_detect_report {
    double threat_score;                            /* max over detectors */
    unsigned ran;                                   /* mask of the detectors that ran */
    trawl_detector_result results[TRAWL_DET_COUNT]; /* index = bit position */
    uint64_t latency_us;                            /* the whole run */
} trawl_detect_report;

TRAWL_API void trawl_detect_report_free(trawl_detect_report *r);
/* The report as JSON: {"threat_score","detectors":{name:{"threat_score",
 * "violations":[...]}},"latency_us"}. malloc'd; free() it. NULL on OOM. */
TRAWL_API char *trawl_detect_report_json(const trawl_detect_report *r);

/* ---- the engine ------------------------------------------------------------ */

typedef struct trawl_detect_engine trawl_detect_engine;
typedef struct trawl_detect_ctx trawl_detect_ctx;

/* Creates an engine. config is the text of a config file (docs/detect.md;
 * NULL or "" for defaults). Errors name the config line. Compiles every rule
 * pack: costs milliseconds to a second. */
TRAWL_API trawl_status trawl_detect_engine_new(const char *config, size_t config_len,
                                               trawl_detect_engine **out, trawl_error *err);
/* The same, with the rule packs' compiled databases cached in cache_dir
 * (trawl_pattern_compile_cached in trawl/pattern.h; NULL or "" = no cache):
 * once a pack is cached, creating an engine costs milliseconds. */
TRAWL_API trawl_status trawl_detect_engine_new_cached(const char *config, size_t config_len,
                                                      const char *cache_dir,
                                                      trawl_detect_engine **out, trawl_error *err);
TRAWL_API void trawl_detect_engine_free(trawl_detect_engine *e);
/* Mask of the detectors enabled by the configuration. */
TRAWL_API unsigned trawl_detect_engine_enabled(const trawl_detect_engine *e);

/* Per-thread context for running the engine. */
TRAWL_API trawl_status trawl_detect_ctx_new(const trawl_detect_engine *e, trawl_detect_ctx **out,
                                            trawl_error *err);
TRAWL_API void trawl_detect_ctx_free(trawl_detect_ctx *c);

/* Runs the enabled detectors selected by mask (TRAWL_DET_ALL for all) on in.
 * *out is a new report; each detector that ran has its own latency_ns (two
 * clock reads per detector). */
TRAWL_API trawl_status trawl_detect_run(trawl_detect_engine *e, trawl_detect_ctx *c,
                                        const trawl_detect_input *in, unsigned mask,
                                        trawl_detect_report **out, trawl_error *err);

/* Runs the detectors on n inputs as one batch: out[i] is in[i]'s report,
 * exactly what trawl_detect_run would give for it. The batch exists for the
 * prompt-injection model tier (docs/detect-prompt_injection.md), which
 * scores the texts of all n inputs in one call, its hidden layer one int8
 * matrix-matrix product; the other detectors run input by input. All or
 * nothing: on error every out[i] is NULL. Allocates the batch's normalised
 * texts for the duration of the call. */
TRAWL_API trawl_status trawl_detect_run_batch(trawl_detect_engine *e, trawl_detect_ctx *c,
                                              const trawl_detect_input *const *in, size_t n,
                                              unsigned mask, trawl_detect_report **out,
                                              trawl_error *err);

/* ---- the prompt-injection learned tier (docs/model.md) ----------------------- */

/* The signals prompt_injection computes for its learned tier, by name
 * ("rule:instruction_override.ignore_the_above", "obf:invisible", ...):
 * *names[0..n) with n returned (0 when prompt_injection is off). They live
 * as long as e. */
TRAWL_API size_t trawl_detect_pi_signal_names(const trawl_detect_engine *e,
                                              const char *const **names);
/* Runs the prompt-injection rule tier on one text, as a prompt, for
 * training the learned tier: *norm is the normalised text (the bytes the
 * model hashes), *signals the signals in the order of
 * trawl_detect_pi_signal_names. Both live in c until its next use.
 * TRAWL_ESTATE when prompt_injection is off. */
TRAWL_API trawl_status trawl_detect_pi_features(trawl_detect_engine *e, trawl_detect_ctx *c,
                                                const char *text, size_t len, const uint8_t **norm,
                                                size_t *norm_len, const float **signals,
                                                trawl_error *err);

#ifdef __cplusplus
}
#endif
#endif
