/* cache.h -- the compiled-database cache's entry format, shared by cache.c
 * and its fuzz target (fuzz/fuzz_pattern_cache.c). Internal to the pattern
 * module.
 *
 * An entry (little-endian):
 *   "TRAWLC01"  16-byte key  u64 payload length  u64 XXH3-64 of the payload
 *   payload: the database as trawl_pattern_db_serialize() writes it
 * The key is the digest that also names the file; it is checked again
 * inside, so a file renamed under another key is not taken for it. */
#ifndef TRAWL_PATTERN_CACHE_H
#define TRAWL_PATTERN_CACHE_H

#include <stdint.h>

#include "pattern/internal.h"

#define CACHE_KEY_LEN    16
#define CACHE_HEADER_LEN (8 + CACHE_KEY_LEN + 8 + 8)
#define CACHE_MAX_ENTRY  ((size_t)1 << 30) /* a larger file is not read */

/* The digest of what decides the compiled bytes of set under flags (see
 * trawl_pattern_compile_cached). O(size of the patterns). */
void pattern_cache_key(const trawl_pattern_set *set, unsigned flags, uint8_t key[CACHE_KEY_LEN]);

/* An entry for db under key: a malloc'd buffer (free() it). */
trawl_status pattern_cache_encode(const trawl_pattern_db *db, const uint8_t key[CACHE_KEY_LEN],
                                  uint8_t **out, size_t *len, trawl_error *err);

/* Checks an entry's bytes and loads its database: TRAWL_EFORMAT (damaged,
 * or not the entry for this key, set and flags) or TRAWL_EVERSION (another
 * format, Hyperscan version or CPU), *out NULL. The bytes are untrusted. */
trawl_status pattern_cache_decode(const uint8_t *buf, size_t len, const uint8_t key[CACHE_KEY_LEN],
                                  const trawl_pattern_set *set, unsigned flags,
                                  trawl_pattern_db **out, trawl_error *err);

#endif
