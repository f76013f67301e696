/* fw_int.h -- internals of the firmware module shared across its files. */
#ifndef TRAWL_SRC_FIRMWARE_FW_INT_H
#define TRAWL_SRC_FIRMWARE_FW_INT_H

#include <stdint.h>
#include <trawl/firmware.h>

/* Model file format, version 1 (little-endian):
 *   0  "TFWARCH\0"
 *   8  u32 version = 1
 *  12  u32 n_arch (1..16)
 *  16  u32 scale: table units per bit (1..64)
 *  20  u32 min_margin: thousandths of a bit per byte by which the best
 *          model must beat the runner-up for the window to be code
 *  24  u32 max_bits: thousandths of a bit per byte; a window whose best
 *          cross-entropy is above it is not code
 *  28  u32 reserved (0)
 *  32  n_arch descriptors of 64 bytes: name[16] (NUL-terminated, [a-z0-9_-]),
 *      description[40] (NUL-terminated), u8 endian (0..2), u8 word_bits
 *      (8/16/32/64), 6 bytes 0
 *  then n_arch tables of 65536 bytes: entry prev * 256 + cur is
 *      -log2 P(cur | prev) * scale, rounded, capped at 255.
 * Nothing may follow. */
#define FW_MODEL_MAGIC   "TFWARCH"
#define FW_MODEL_VERSION 1u
#define FW_MODEL_HEADER  32u
#define FW_MODEL_DESC    64u
#define FW_TABLE         65536u
#define FW_LANES         16u

struct trawl_fw_model {
    unsigned n_arch;
    unsigned scale;
    double min_margin; /* bits/byte */
    double max_bits;   /* bits/byte */
    char name[TRAWL_FW_MAX_ARCH][16];
    char desc[TRAWL_FW_MAX_ARCH][40];
    trawl_fw_endian endian[TRAWL_FW_MAX_ARCH];
    unsigned word_bits[TRAWL_FW_MAX_ARCH];
    /* (prev * 256 + cur) * 16 + arch: all architectures' costs of one byte
     * pair in one 16-byte row, read with one vector load */
    uint8_t *lanes;
    void *lanes_alloc;
};

/* Adds to sums[a] the cost under every model of the byte pairs that end in
 * p[0..n): (prev, p[0]) when prev >= 0, then (p[i-1], p[i]). O(n). */
void trawl__fw_pair_costs(const trawl_fw_model *m, int prev, const uint8_t *p, size_t n,
                          uint32_t sums[FW_LANES]);

/* ---- Cortex-M internals (vectors.c, base.c, thumb.c, cortexm.c) ---- */

/* Finds the vector table (vectors.c): the first offset on a 128-byte
 * boundary in the first 64 KiB whose 16 core words are plausible. On
 * success fills *v and the lowest and highest handler address (Thumb bit
 * cleared) and returns true. O(64 KiB / 128 * 16). */
bool trawl__fw_find_vectors(const uint8_t *d, size_t len, trawl_fw_vectors *v, uint32_t *lo,
                            uint32_t *hi);

/* Estimates the load address (base.c). v may be NULL (no table found).
 * Returns the base, sets *how and *votes. Allocates scratch (returns
 * false on ENOMEM). */
bool trawl__fw_estimate_base(const uint8_t *d, size_t len, const trawl_fw_vectors *v, uint32_t lo,
                             uint32_t hi, uint32_t *base, const char **how, uint32_t *votes);

/* An address use found by the disassembler (thumb.c). */
typedef struct fw_use {
    uint32_t addr;
    uint8_t kind; /* TRAWL_FW_READ / _WRITE / _REF */
    uint64_t off; /* file offset of the instruction */
} fw_use;

typedef struct fw_uses {
    fw_use *u;
    size_t n, cap;
    uint64_t instructions, code_bytes;
} fw_uses;

/* Byte ranges [lo, hi) of an image, sorted, not overlapping. */
typedef struct fw_range {
    uint64_t lo, hi;
} fw_range;

/* Disassembles the ranges of d[0..len) (all of it when n_ranges is 0) as
 * Thumb code loaded at base, skipping the vector table [skip_lo, skip_hi),
 * and appends every peripheral-space address use. TRAWL_ENOMEM or
 * TRAWL_EENGINE on failure. */
trawl_status trawl__fw_thumb_uses(const uint8_t *d, size_t len, uint32_t base, uint64_t skip_lo,
                                  uint64_t skip_hi, const fw_range *ranges, size_t n_ranges,
                                  fw_uses *out, trawl_error *err);

#endif
