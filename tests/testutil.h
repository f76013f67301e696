/* testutil.h -- small helpers shared by the tests: a seeded PRNG and hex
 * decoding. Tests include cmocka through this header. */
#ifndef TRAWL_TESTUTIL_H
#define TRAWL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* xorshift64*: deterministic across platforms. Seed must be non-zero. */
typedef struct {
    uint64_t s;
} tu_rng;
void tu_seed(tu_rng *r, uint64_t seed);
uint64_t tu_next(tu_rng *r);
/* Uniform in [0, n). n > 0. */
uint32_t tu_below(tu_rng *r, uint32_t n);

/* Decodes "aa 55 ff" or "aa55ff" into buf; returns the byte count or -1. */
long tu_unhex(const char *hex, uint8_t *buf, size_t cap);

/* Directory of ../shared/data, or NULL when it is absent (the caller skips
 * and says so). */
const char *tu_shared_data(void);

#endif
