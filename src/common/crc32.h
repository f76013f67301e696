/* crc32.h -- CRC-32 of ISO 3309 / ITU-T V.42 (the CRC of PNG, zlib, gzip,
 * Ethernet): polynomial 0x04C11DB7, bit-reflected, register preset to all
 * ones and inverted at the end. Same values as zlib's crc32().
 *
 * Two implementations behind one call, chosen once by trawl__crc32_init:
 *   - carry-less multiplication (PCLMULQDQ) folding, 64 bytes per step,
 *     on x86-64 CPUs that have the instruction (checked at run time);
 *   - slicing-by-16 tables everywhere else, and for short inputs and tails.
 * The folding constants are x^k mod P for the distances the folds span;
 * trawl__crc32_init computes them (and the tables) from the polynomial, so
 * there are no magic numbers to trust.
 *
 * The tables are read-only after init: one trawl__crc32_tables may be shared
 * by any number of threads. */
#ifndef TRAWL_SRC_COMMON_CRC32_H
#define TRAWL_SRC_COMMON_CRC32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct trawl__crc32_tables {
    uint32_t t[16][256]; /* t[k][b]: the register after byte b then k zero bytes */
    uint64_t fold[8];    /* folding multipliers, see crc32.c */
    bool clmul;          /* use the PCLMULQDQ path */
} trawl__crc32_tables;

/* Fills t (about 16 KiB). use_clmul false forces the portable path (tests
 * compare the two); true uses PCLMULQDQ when the CPU has it. O(1), no
 * allocation. */
void trawl__crc32_init(trawl__crc32_tables *t, bool use_clmul);

/* Continues a CRC: crc is a previous result (0 to start), the return value
 * the CRC of everything so far, as zlib's crc32(crc, p, n). p may be NULL
 * when n is 0. O(n). */
uint32_t trawl__crc32(const trawl__crc32_tables *t, uint32_t crc, const uint8_t *p, size_t n);

#endif
