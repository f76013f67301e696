/* cache.c -- a directory of compiled databases, so that a rule pack is
 * compiled once per machine instead of once per process.
 *
 * Compiling is Hyperscan's expensive step (the prompt-injection pack takes
 * a third of a second, a 400-pattern YARA set seconds); loading the
 * serialized result is a copy and a CRC. The cache is keyed by everything
 * that decides those bytes, so an entry is either exactly what compiling
 * would give or not used. Its files are untrusted input all the same: a
 * damaged, truncated, foreign or hostile file is recognised and replaced,
 * never trusted (cache.h has the format; fuzz/fuzz_pattern_cache.c feeds
 * the loader hostile bytes). */
#define _GNU_SOURCE /* O_NOFOLLOW, mkstemp */
#include "pattern/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "common/error.h"

static const char entry_magic[8] = {'T', 'R', 'A', 'W', 'L', 'C', '0', '1'};

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Length-prefixed, so that no two different field lists hash the same. */
static void feed(XXH3_state_t *h, const void *p, size_t n)
{
    uint64_t len = n;
    XXH3_128bits_update(h, &len, sizeof len);
    if (n)
        XXH3_128bits_update(h, p, n);
}

void pattern_cache_key(const trawl_pattern_set *set, unsigned flags, uint8_t key[CACHE_KEY_LEN])
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    static const char what[] = "trawl compiled-database cache, entry format 1";
    feed(&h, what, sizeof what);
    const char *hv = hs_version();
    feed(&h, hv, strlen(hv));
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    hs_populate_platform(&plat);
    uint64_t cpu[2] = {plat.tune, plat.cpu_features};
    feed(&h, cpu, sizeof cpu);
    uint64_t f = flags;
    feed(&h, &f, sizeof f);
    for (size_t i = 0; i < set->n; i++) {
        const tpat *t = &set->pats[i];
        uint64_t sf[2] = {(uint64_t)t->syntax, t->flags};
        feed(&h, sf, sizeof sf);
        if (t->name)
            feed(&h, t->name, strlen(t->name) + 1); /* the NUL tells "" from no name */
        else
            feed(&h, NULL, 0);
        feed(&h, t->expr, t->len);
        feed(&h, t->hs_expr, strlen(t->hs_expr));
    }
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(&h));
    memcpy(key, c.digest, CACHE_KEY_LEN);
}

trawl_status pattern_cache_encode(const trawl_pattern_db *db, const uint8_t key[CACHE_KEY_LEN],
                                  uint8_t **out, size_t *len, trawl_error *err)
{
    uint8_t *payload;
    size_t n;
    *out = NULL;
    trawl_status st = trawl_pattern_db_serialize(db, &payload, &n, err);
    if (st != TRAWL_OK)
        return st;
    uint8_t *buf = malloc(CACHE_HEADER_LEN + n);
    if (!buf) {
        free(payload);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    memcpy(buf, entry_magic, 8);
    memcpy(buf + 8, key, CACHE_KEY_LEN);
    put_le64(buf + 8 + CACHE_KEY_LEN, n);
    put_le64(buf + 16 + CACHE_KEY_LEN, XXH3_64bits(payload, n));
    memcpy(buf + CACHE_HEADER_LEN, payload, n);
    free(payload);
    *out = buf;
    *len = CACHE_HEADER_LEN + n;
    return TRAWL_OK;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The loaded patterns must be the set's, one for one: the key says so
 * already unless the file lies. */
static bool same_patterns(const trawl_pattern_db *db, const trawl_pattern_set *set)
{
    if (db->n != set->n)
        return false;
    for (size_t i = 0; i < set->n; i++) {
        const tpat *a = &db->pats[i], *b = &set->pats[i];
        if (a->syntax != b->syntax || a->flags != b->flags || a->len != b->len ||
            memcmp(a->expr, b->expr, a->len) != 0 || !same_text(a->name, b->name) ||
            strcmp(a->hs_expr, b->hs_expr) != 0)
            return false;
    }
    return true;
}

trawl_status pattern_cache_decode(const uint8_t *buf, size_t len, const uint8_t key[CACHE_KEY_LEN],
                                  const trawl_pattern_set *set, unsigned flags,
                                  trawl_pattern_db **out, trawl_error *err)
{
    *out = NULL;
    if (len < CACHE_HEADER_LEN || memcmp(buf, entry_magic, 8) != 0)
        return trawl__fail_at(err, TRAWL_EFORMAT, 0, -1, "not a cache entry");
    if (memcmp(buf + 8, key, CACHE_KEY_LEN) != 0)
        return trawl__fail_at(err, TRAWL_EFORMAT, 8, -1, "cache entry for another key");
    uint64_t n = get_le64(buf + 8 + CACHE_KEY_LEN);
    if (n != len - CACHE_HEADER_LEN)
        return trawl__fail_at(err, TRAWL_EFORMAT, 8 + CACHE_KEY_LEN, -1,
                              "cache entry of the wrong length");
    const uint8_t *payload = buf + CACHE_HEADER_LEN;
    if (get_le64(buf + 16 + CACHE_KEY_LEN) != XXH3_64bits(payload, (size_t)n))
        return trawl__fail_at(err, TRAWL_EFORMAT, 16 + CACHE_KEY_LEN, -1,
                              "cache entry checksum mismatch");
    trawl_pattern_db *db;
    trawl_status st = db_deserialize(payload, (size_t)n, set, &db, err);
    if (st != TRAWL_OK)
        return st;
    bool block_only = flags & TRAWL_COMPILE_BLOCK_ONLY;
    if (!same_patterns(db, set) || block_only != (db->stream == NULL)) {
        trawl_pattern_db_free(db);
        return trawl__fail(err, TRAWL_EFORMAT, "cache entry holds other patterns");
    }
    *out = db;
    return TRAWL_OK;
}

/* ---- files ---------------------------------------------------------------- */

/* dir/<32 hex digits>.tdb; false when it does not fit. */
static bool entry_path(const char *dir, const uint8_t key[CACHE_KEY_LEN], char *path, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    char name[2 * CACHE_KEY_LEN + 1];
    for (int i = 0; i < CACHE_KEY_LEN; i++) {
        name[2 * i] = hx[key[i] >> 4];
        name[2 * i + 1] = hx[key[i] & 15];
    }
    name[2 * CACHE_KEY_LEN] = 0;
    int w = snprintf(path, cap, "%s/%s.tdb", dir, name);
    return w > 0 && (size_t)w < cap;
}

/* Maps an entry we may trust to be ours: a regular file, owned by this
 * user, writable by nobody else, of a sane size. NULL otherwise; unmap
 * with munmap(p, *len). Mapped, not read: Hyperscan copies the bytes it
 * keeps, and a read would copy all of them once more. */
static uint8_t *map_entry(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        !(st.st_mode & (S_IWGRP | S_IWOTH)) && st.st_size >= CACHE_HEADER_LEN &&
        (uint64_t)st.st_size <= CACHE_MAX_ENTRY) {
        *len = (size_t)st.st_size;
        p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* mkdir -p with mode 0700 for what it creates. */
static bool make_dirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p)
        return false;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return false;
        p[i] = c;
    }
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Writes the entry beside its final name, then renames it into place: a
 * reader sees the old file, the new one, or none, never half of one. */
static bool store_entry(const char *dir, const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4096];
    if (!make_dirs(dir) || snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir) >= (int)sizeof tmp)
        return false;
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return false;
    size_t put = 0;
    while (put < len) {
        ssize_t w = write(fd, buf + put, len - put);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        put += (size_t)w;
    }
    bool ok = close(fd) == 0 && put == len && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok;
}

/* The compiling thread's CPU time: what the compile cost, whatever else the
 * machine is doing (wall time on a loaded machine stored one-pattern sets). */
static uint64_t cpu_us(void)
{
    struct timespec ts = {0}; /* a clock that fails reads 0: "too quick", not stored */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

trawl_status trawl_pattern_compile_cached(const trawl_pattern_set *set, unsigned flags,
                                          const char *dir, trawl_pattern_db **out,
                                          trawl_cache_outcome *outcome, trawl_error *err)
{
    trawl_cache_outcome dummy;
    outcome = outcome ? outcome : &dummy;
    *outcome = TRAWL_CACHE_OFF;
    char path[4096];
    uint8_t key[CACHE_KEY_LEN];
    bool cached = dir && *dir && set && set->n && out;
    if (cached) {
        pattern_cache_key(set, flags, key);
        cached = entry_path(dir, key, path, sizeof path);
    }
    if (cached) {
        size_t len = 0;
        uint8_t *buf = map_entry(path, &len);
        trawl_error ignored;
        trawl_status st =
            buf ? pattern_cache_decode(buf, len, key, set, flags, out, &ignored) : TRAWL_EFORMAT;
        if (buf)
            munmap(buf, len);
        if (st == TRAWL_OK) {
            trawl_error_clear(err);
            *outcome = TRAWL_CACHE_HIT;
            return TRAWL_OK;
        }
    }
    uint64_t t0 = cpu_us();
    trawl_status st = trawl_pattern_compile_ex(set, flags, out, err);
    if (st != TRAWL_OK || !cached)
        return st;
    if (cpu_us() - t0 < TRAWL_CACHE_MIN_COMPILE_US) {
        *outcome = TRAWL_CACHE_SKIPPED;
        return TRAWL_OK;
    }
    uint8_t *entry;
    size_t len;
    trawl_error ignored;
    *outcome = TRAWL_CACHE_UNWRITABLE;
    if (pattern_cache_encode(*out, key, &entry, &len, &ignored) == TRAWL_OK) {
        if (store_entry(dir, path, entry, len))
            *outcome = TRAWL_CACHE_STORED;
        free(entry);
    }
    return TRAWL_OK;
}
