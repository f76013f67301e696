/* trawl/firmware.h -- what a raw firmware image is: the architecture and
 * byte order of its code (per window, so the code regions of a mixed image
 * are found), and for ARM Cortex-M images the vector table, the load address
 * and the peripherals the code touches; and the SDKs, frameworks and RTOSes
 * it was built with.
 *
 * Architecture. A byte-statistics classifier of the cpu_rec / ISAdetect
 * family: one conditional byte-bigram model per architecture, trained on
 * code compiled with Debian's cross compilers (tools/fwarch, `make
 * fwmodel`; docs/firmware.md lists the corpus and the held-out accuracy).
 * A window is scored by its cross-entropy under each model (bits per byte);
 * the lowest wins, but only when that model predicts the window better than
 * the window's own byte frequencies do by the model's margin: otherwise the
 * window is Unknown (text, random or compressed bytes, fills, tables).
 *
 * Ownership: models and reports are the library's until their _free();
 * inputs are the caller's. A model is immutable once loaded and may be
 * shared by any number of threads; every other call keeps its state on the
 * stack or in what it returns. _free(NULL) is harmless.
 */
#ifndef TRAWL_FIRMWARE_H
#define TRAWL_FIRMWARE_H

#include <stdbool.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- architecture models ---------------------------------------------- */

#define TRAWL_FW_MAX_ARCH 16

typedef enum trawl_fw_endian {
    TRAWL_FW_ENDIAN_NONE = 0, /* byte-addressed code with no word order (AVR's are LE words) */
    TRAWL_FW_LITTLE = 1,
    TRAWL_FW_BIG = 2
} trawl_fw_endian;

typedef struct trawl_fw_arch_info {
    const char *name;        /* "arm-thumb", "mips", ... */
    const char *description; /* "ARM Thumb/Thumb-2 (Cortex-M)" */
    trawl_fw_endian endian;
    unsigned word_bits; /* 8, 16, 32 or 64 */
} trawl_fw_arch_info;

typedef struct trawl_fw_model trawl_fw_model;

/* Loads the model compiled into the library (models/firmware_arch.tmodel).
 * Errors: TRAWL_EFORMAT if it is damaged, TRAWL_ENOMEM. Allocates about
 * 1 MiB (the scoring table). */
TRAWL_API trawl_status trawl_fw_model_builtin(trawl_fw_model **out, trawl_error *err);
/* Loads a model file's bytes (untrusted: every size is checked). Errors:
 * TRAWL_EFORMAT with err->offset at the bad field, TRAWL_EVERSION for another
 * format version, TRAWL_ENOMEM. The buffer may be freed afterwards. */
TRAWL_API trawl_status trawl_fw_model_load(const uint8_t *buf, size_t len, trawl_fw_model **out,
                                           trawl_error *err);
TRAWL_API void trawl_fw_model_free(trawl_fw_model *m);
TRAWL_API size_t trawl_fw_model_arch_count(const trawl_fw_model *m);
/* Describes architecture i; false when i is out of range. Strings belong to
 * the model. */
TRAWL_API bool trawl_fw_model_arch(const trawl_fw_model *m, size_t i, trawl_fw_arch_info *info);
/* The index of the architecture called name, or -1. */
TRAWL_API int trawl_fw_model_arch_find(const trawl_fw_model *m, const char *name);

/* What a window that is not code looks like (for the report; the decision
 * "Unknown" is the model's, these only name the kind). */
typedef enum trawl_fw_kind {
    TRAWL_FW_CODE = 0,   /* code of architecture `arch` */
    TRAWL_FW_FILL = 1,   /* one byte value fills >= 90 % (erased flash, zeros) */
    TRAWL_FW_TEXT = 2,   /* >= 90 % printable ASCII or whitespace */
    TRAWL_FW_RANDOM = 3, /* >= 7.2 bits/byte: compressed, encrypted or random */
    TRAWL_FW_DATA = 4    /* anything else no model explains: tables, images ... */
} trawl_fw_kind;

/* "code", "fill", "text", "random", "data". */
TRAWL_API const char *trawl_fw_kind_name(trawl_fw_kind k);

typedef struct trawl_fw_window {
    uint64_t offset;
    uint32_t length;
    int arch;           /* index of the architecture; -1 when Unknown */
    int runner_up;      /* the second-best architecture */
    trawl_fw_kind kind; /* TRAWL_FW_CODE iff arch >= 0 */
    double bits;        /* cross-entropy under the best model, bits/byte */
    double runner_bits; /* the same under the runner-up */
    double entropy;     /* zero-order entropy of the window, bits/byte */
} trawl_fw_window;

typedef struct trawl_fw_arch_opts {
    uint32_t window; /* bytes per window; 0 = 4096; at least 256 */
    uint32_t step;   /* bytes between window starts; 0 = window; window % step == 0 */
} trawl_fw_arch_opts;

/* Called for each window, in offset order. Return non-zero to stop (the scan
 * then returns TRAWL_ESTOPPED). */
typedef int (*trawl_fw_window_fn)(const trawl_fw_window *w, void *user);

/* Classifies every window of data[0..len): windows start every `step` bytes;
 * the last one may be shorter than `window` (but at least 256 bytes, or the
 * whole input when it is shorter than that). Errors: TRAWL_EINVAL for bad
 * options, TRAWL_ENOMEM, TRAWL_ESTOPPED. O(len) (each byte is read once,
 * whatever the overlap); allocates O(window / step) at the start. */
TRAWL_API trawl_status trawl_fw_arch_scan(const trawl_fw_model *m, const uint8_t *data, size_t len,
                                          const trawl_fw_arch_opts *opts, trawl_fw_window_fn cb,
                                          void *user, trawl_error *err);

/* A run of adjacent windows given the same answer. */
typedef struct trawl_fw_region {
    uint64_t offset, length;
    int arch; /* -1 when not code */
    trawl_fw_kind kind;
    uint32_t windows;
} trawl_fw_region;

typedef struct trawl_fw_arch_report {
    int arch;              /* the architecture of most code windows; -1 when no code */
    double share;          /* that architecture's share of the code windows */
    uint64_t windows;      /* windows scored */
    uint64_t code_windows; /* windows some model explains */
    uint64_t votes[TRAWL_FW_MAX_ARCH];
    uint64_t kinds[5];        /* windows per trawl_fw_kind */
    double mean_bits;         /* mean cross-entropy of the winning windows, bits/byte */
    trawl_fw_region *regions; /* in offset order; adjacent regions differ */
    size_t n_regions;
} trawl_fw_arch_report;

/* Scans data (as trawl_fw_arch_scan) and sums the windows up: the answer, the
 * votes and the regions. On success *out is the caller's until
 * trawl_fw_arch_report_free. Errors as the scan. */
TRAWL_API trawl_status trawl_fw_arch_identify(const trawl_fw_model *m, const uint8_t *data,
                                              size_t len, const trawl_fw_arch_opts *opts,
                                              trawl_fw_arch_report **out, trawl_error *err);
TRAWL_API void trawl_fw_arch_report_free(trawl_fw_arch_report *r);

/* ---- ARM Cortex-M --------------------------------------------------------
 *
 * The vector table (initial stack pointer in RAM, a reset vector with the
 * Thumb bit set, exception handlers that are 0 or odd and lie within one
 * image's span), the load address, and the peripherals the code touches.
 * Peripheral addresses come only from instructions: the image is
 * disassembled in Thumb mode with Capstone, and register values are
 * followed through literal-pool loads (LDR Rd, [PC, #imm]), MOV/MOVW/MOVT,
 * shifts and small additions; a load or store through a register holding a
 * peripheral address is a read or a write of that register, and a
 * peripheral address loaded and never dereferenced nearby (typically passed
 * to a driver function) is a reference. Words of the image are never read as
 * addresses on their own. The addresses are then named with the map of the
 * family that explains most of them (STM32F0/F1/F4/L4, nRF52, RP2040,
 * SAM D21; trawl_fw_family_source() says where each map comes from), and the
 * Cortex-M core blocks (NVIC, SCB, SysTick ...) of every family. */

typedef struct trawl_fw_vectors {
    bool found;
    uint64_t offset;     /* file offset of the table */
    uint32_t initial_sp; /* word 0 */
    uint32_t reset;      /* word 1, Thumb bit included */
    uint32_t entries;    /* words of the table, core and external vectors */
    uint32_t handlers;   /* non-zero handler entries */
    uint32_t distinct;   /* distinct handler addresses (a shared default handler counts once) */
} trawl_fw_vectors;

enum {
    TRAWL_FW_READ = 1u << 0,  /* a load through the address */
    TRAWL_FW_WRITE = 1u << 1, /* a store */
    TRAWL_FW_REF = 1u << 2    /* loaded into a register, never dereferenced nearby */
};

/* One peripheral register (or block address) the code uses. */
typedef struct trawl_fw_access {
    uint32_t address; /* as the code uses it (bit-band aliases are translated) */
    unsigned kinds;   /* TRAWL_FW_READ | TRAWL_FW_WRITE | TRAWL_FW_REF */
    uint32_t count;   /* instructions */
    uint64_t first;   /* file offset of the first instruction */
    int periph;       /* index into the report's peripherals, -1 when unnamed */
    int bitband_bit;  /* bit number when reached through a bit-band alias, else -1 */
} trawl_fw_access;

typedef struct trawl_fw_periph {
    const char *name;   /* from the family's map (owned by the library) */
    const char *family; /* "cortex-m" for the core blocks, else the chosen family */
    uint32_t base;
    uint32_t reads, writes, refs; /* instructions */
    uint32_t registers;           /* distinct register addresses used */
    uint64_t first;               /* file offset of the first instruction */
} trawl_fw_periph;

typedef struct trawl_fw_family_score {
    const char *name;
    uint32_t named;   /* distinct peripheral addresses its map names */
    uint32_t unnamed; /* distinct peripheral-space addresses it does not */
} trawl_fw_family_score;

typedef struct trawl_fw_cortexm_opts {
    bool base_given; /* use `base` instead of estimating it */
    uint32_t base;
    const char *family; /* name a family instead of choosing one; NULL = choose */
    /* When set, only the 4 KiB windows this model calls arm-thumb are
     * disassembled, so that data (random words are peripheral addresses
     * one time in eight) cannot pass for code. NULL: the whole image. */
    const trawl_fw_model *model;
} trawl_fw_cortexm_opts;

typedef struct trawl_fw_cortexm_report {
    trawl_fw_vectors vectors;
    uint32_t base;        /* load address of byte 0 of the image */
    const char *base_how; /* "given", "vector table + code pointers", ... */
    uint32_t base_votes;  /* code pointers that land on a function entry at that base */
    const char *family;   /* the chosen family, NULL when no address is named */
    const char *family_source;
    bool family_ambiguous; /* another family names as many addresses */
    trawl_fw_family_score scores[16];
    size_t n_scores;
    uint64_t instructions;    /* decoded */
    uint64_t code_bytes;      /* bytes covered by decoded instructions */
    trawl_fw_periph *periphs; /* sorted by base */
    size_t n_periphs;
    trawl_fw_access *accesses; /* sorted by address */
    size_t n_accesses;
} trawl_fw_cortexm_report;

/* Analyses data[0..len) as a Cortex-M image. A missing vector table is not
 * an error (vectors.found is false, the base is estimated from code
 * pointers alone or taken as 0). Errors: TRAWL_EINVAL (unknown family name),
 * TRAWL_ENOMEM, TRAWL_EENGINE (Capstone failed to start). O(len): one linear
 * Thumb disassembly plus the base search (at most 1,024 candidates x the
 * image's code pointers). Allocates the report. */
TRAWL_API trawl_status trawl_fw_cortexm_analyze(const uint8_t *data, size_t len,
                                                const trawl_fw_cortexm_opts *opts,
                                                trawl_fw_cortexm_report **out, trawl_error *err);
TRAWL_API void trawl_fw_cortexm_report_free(trawl_fw_cortexm_report *r);

/* ---- SDKs, frameworks, RTOSes --------------------------------------------
 *
 * Signatures from rules/firmware.rules (compiled into the library) run
 * through the pattern engine. A rule is named SDK.EVIDENCE.WEIGHT; an SDK is
 * reported when the weights of its distinct matching rules add up to 2 or
 * more. When nothing adds up, the report has no SDK: there is no default. */

typedef struct trawl_fw_sdk_scanner trawl_fw_sdk_scanner;

typedef struct trawl_fw_evidence {
    const char *sdk;  /* "freertos" */
    const char *rule; /* "timer_task_name" */
    unsigned weight;
    uint64_t offset, length; /* of the first match */
    uint32_t matches;        /* of this rule in the image */
} trawl_fw_evidence;

typedef struct trawl_fw_sdk {
    const char *name; /* "arduino", "freertos", "stm32_hal", ... */
    unsigned weight;  /* of its distinct matching rules */
    uint32_t rules;   /* distinct rules that matched */
} trawl_fw_sdk;

typedef struct trawl_fw_sdk_report {
    trawl_fw_sdk *sdks; /* those reported (weight >= 2), heaviest first */
    size_t n_sdks;
    trawl_fw_evidence *evidence; /* every rule that matched, reported SDK or not */
    size_t n_evidence;
} trawl_fw_sdk_report;

/* Compiles the built-in rule pack (rules_text NULL) or the given rule text
 * in the same format. Errors: those of trawl_pattern_set_add_rules (line
 * and column in err), TRAWL_EFORMAT for a rule name not of the form
 * SDK.EVIDENCE.WEIGHT (err->line set), TRAWL_ENOMEM. Costs one Hyperscan
 * compile; the scanner is immutable and shareable across threads. */
TRAWL_API trawl_status trawl_fw_sdk_scanner_new(const char *rules_text, size_t len,
                                                trawl_fw_sdk_scanner **out, trawl_error *err);
TRAWL_API void trawl_fw_sdk_scanner_free(trawl_fw_sdk_scanner *s);
/* Describes rule i of the scanner, in rule-file order: its sdk, rule name
 * and weight (offset, length and matches are 0). false when i is out of
 * range. The strings belong to the scanner. O(1). */
TRAWL_API bool trawl_fw_sdk_rule(const trawl_fw_sdk_scanner *s, size_t i, trawl_fw_evidence *out);
/* Scans data once. Allocates scratch and the report; the report's strings
 * belong to the scanner (free the report first). O(len). */
TRAWL_API trawl_status trawl_fw_sdk_scan(const trawl_fw_sdk_scanner *s, const uint8_t *data,
                                         size_t len, trawl_fw_sdk_report **out, trawl_error *err);
TRAWL_API void trawl_fw_sdk_report_free(trawl_fw_sdk_report *r);

/* The families whose maps trawl has: names[i] for i < count, NULL past the
 * end. "cortex-m" (the core blocks) is not among them. */
TRAWL_API const char *trawl_fw_family_name(size_t i);
/* Where the family's address map comes from (header, version), or NULL. */
TRAWL_API const char *trawl_fw_family_source(const char *family);

#ifdef __cplusplus
}
#endif
#endif
