/* fuzz_pattern_cache.c -- the compiled-database cache's loader, and the
 * saved-database reader under it, on hostile bytes. A cache file is
 * whatever is on disk: it may be truncated, damaged, from another version,
 * or made to lie. The first byte picks how the rest is used:
 *   0  a whole cache entry, as read from the file;
 *   1  the payload of an entry whose header is right (magic, key, length
 *      and checksum recomputed), so that mutations reach the database
 *      reader with the set it must match;
 *   2  a saved database (trawl scan --save) for trawl_pattern_db_deserialize;
 *   3  a patch to a real entry made at start-up: u32 offset, then bytes
 *      written there, checksum recomputed when the next byte is odd.
 * Nothing may crash or leak; whatever loads must scan a buffer without
 * reading outside it, and a loaded entry must describe the set's patterns. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "pattern/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exprs[] = {"\\xAA\\x55.{2,6}\\xFF", "{ 4D 5A ?? ?? [0-8] 50 45 }", "ab+c"};
static trawl_pattern_set *set;
static uint8_t key[CACHE_KEY_LEN];
static uint8_t *entry;
static size_t entry_len;

static void setup(void)
{
    trawl_error err;
    trawl_pattern_db *db = NULL;
    if (trawl_pattern_set_new(&set) != TRAWL_OK)
        abort();
    for (size_t i = 0; i < 3; i++)
        if (trawl_pattern_set_add(set, exprs[i], strlen(exprs[i]), TRAWL_SYNTAX_AUTO, 0,
                                  i == 1 ? "mz" : NULL, &err) != TRAWL_OK)
            abort();
    pattern_cache_key(set, 0, key);
    if (trawl_pattern_compile(set, &db, &err) != TRAWL_OK ||
        pattern_cache_encode(db, key, &entry, &entry_len, &err) != TRAWL_OK)
        abort();
    trawl_pattern_db_free(db);
}

static int count(const trawl_match *m, void *user)
{
    (void)m;
    ++*(size_t *)user;
    return 0;
}

/* A database that loaded must scan in bounds (ASan watches the buffer). */
static void exercise(trawl_pattern_db *db)
{
    static const uint8_t text[] = "xx\xAA\x55\x01\x02\xFF MZ\x90\x00PE abbbc";
    trawl_scratch *s = NULL;
    trawl_error err;
    size_t n = 0;
    uint8_t *buf = malloc(sizeof text - 1);
    memcpy(buf, text, sizeof text - 1);
    if (trawl_scratch_alloc(db, &s, &err) == TRAWL_OK)
        trawl_scan(db, s, buf, sizeof text - 1, 0, count, &n, &err);
    trawl_scratch_free(s);
    free(buf);
    trawl_pattern_db_free(db);
}

static void load_entry(const uint8_t *p, size_t n)
{
    trawl_pattern_db *db = NULL;
    trawl_error err;
    if (pattern_cache_decode(p, n, key, set, 0, &db, &err) != TRAWL_OK) {
        if (db || err.status == TRAWL_OK)
            __builtin_trap();
        return;
    }
    if (trawl_pattern_db_count(db) != 3)
        __builtin_trap();
    for (size_t i = 0; i < 3; i++) {
        trawl_pattern_info info;
        if (trawl_pattern_info_get(db, i, &info) != TRAWL_OK || strcmp(info.expression, exprs[i]))
            __builtin_trap();
    }
    exercise(db);
}

static void with_header(uint8_t *e, size_t n)
{
    memcpy(e, entry, 8);
    memcpy(e + 8, key, CACHE_KEY_LEN);
    uint64_t len = n - CACHE_HEADER_LEN, sum = XXH3_64bits(e + CACHE_HEADER_LEN, (size_t)len);
    for (int i = 0; i < 8; i++) {
        e[8 + CACHE_KEY_LEN + i] = (uint8_t)(len >> (8 * i));
        e[16 + CACHE_KEY_LEN + i] = (uint8_t)(sum >> (8 * i));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set)
        setup();
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (data[0] == 0) {
        load_entry(p, n);
    } else if (data[0] == 1) {
        uint8_t *e = malloc(CACHE_HEADER_LEN + n);
        memcpy(e + CACHE_HEADER_LEN, p, n);
        with_header(e, CACHE_HEADER_LEN + n);
        load_entry(e, CACHE_HEADER_LEN + n);
        free(e);
    } else if (data[0] == 2) {
        trawl_pattern_db *db = NULL;
        trawl_error err;
        if (trawl_pattern_db_deserialize(p, n, &db, &err) == TRAWL_OK)
            exercise(db);
        else if (db)
            __builtin_trap();
    } else if (data[0] == 3 && n >= 5) {
        uint8_t *e = malloc(entry_len);
        memcpy(e, entry, entry_len);
        size_t off = (size_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) % entry_len;
        size_t k = n - 5 < entry_len - off ? n - 5 : entry_len - off;
        memcpy(e + off, p + 5, k);
        if (p[4] & 1)
            with_header(e, entry_len);
        load_entry(e, entry_len);
        free(e);
    }
    return 0;
}
