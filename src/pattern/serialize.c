/* serialize.c -- save and load compiled databases.
 *
 * Layout (little-endian):
 *   "TRAWLDB\0"  u32 format version  u32 pattern count
 *   version 2 only: u32 flags (bit 0: block only, no stream database)
 *   per pattern: u8 syntax, u8 flags, u16 0, u32 name length (0xffffffff =
 *                no name), name bytes, u32 expression length, expression bytes
 *   the Hyperscan databases, block then (unless block only) stream, each as
 *   u64 length + bytes
 * Version 1 (always both databases) is still read.
 * Patterns are kept as text and parsed again on load (cheap, and it rebuilds
 * the verifier); the Hyperscan databases are kept compiled (expensive to
 * rebuild) and Hyperscan itself checks that they suit this CPU. */
#include "common/error.h"
#include "pattern/internal.h"

#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION 2u
#define SER_BLOCK_ONLY 1u
static const char magic[8] = "TRAWLDB";

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} wbuf;

static void wput(wbuf *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void w32(wbuf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    wput(b, t, 4);
}

static void w64(wbuf *b, uint64_t v)
{
    w32(b, (uint32_t)v);
    w32(b, (uint32_t)(v >> 32));
}

static trawl_status put_hs(wbuf *b, const hs_database_t *hs, trawl_error *err)
{
    char *bytes = NULL;
    size_t n = 0;
    if (hs_serialize_database(hs, &bytes, &n) != HS_SUCCESS)
        return trawl__fail(err, TRAWL_EENGINE, "Hyperscan could not serialize the database");
    w64(b, n);
    wput(b, bytes, n);
    free(bytes);
    return TRAWL_OK;
}

trawl_status trawl_pattern_db_serialize(const trawl_pattern_db *db, uint8_t **out, size_t *len,
                                        trawl_error *err)
{
    trawl_error_clear(err);
    if (!db || db->magic != DB_MAGIC || !out || !len)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    *out = NULL;
    *len = 0;
    wbuf b = {0};
    wput(&b, magic, 8);
    w32(&b, FORMAT_VERSION);
    w32(&b, (uint32_t)db->n);
    w32(&b, db->stream ? 0 : SER_BLOCK_ONLY);
    for (size_t i = 0; i < db->n; i++) {
        const tpat *t = &db->pats[i];
        uint8_t hdr[4] = {(uint8_t)t->syntax, (uint8_t)t->flags, 0, 0};
        wput(&b, hdr, 4);
        if (t->name) {
            w32(&b, (uint32_t)strlen(t->name));
            wput(&b, t->name, strlen(t->name));
        } else {
            w32(&b, UINT32_MAX);
        }
        w32(&b, (uint32_t)t->len);
        wput(&b, t->expr, t->len);
    }
    trawl_status st = put_hs(&b, db->block, err);
    if (st == TRAWL_OK && db->stream)
        st = put_hs(&b, db->stream, err);
    if (st == TRAWL_OK && b.failed)
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (st != TRAWL_OK) {
        free(b.p);
        return st;
    }
    *out = b.p;
    *len = b.len;
    return TRAWL_OK;
}

typedef struct rbuf {
    const uint8_t *p;
    size_t len, pos;
} rbuf;

static bool r32(rbuf *r, uint32_t *v)
{
    if (r->len - r->pos < 4)
        return false;
    const uint8_t *q = r->p + r->pos;
    *v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    r->pos += 4;
    return true;
}

static bool r64(rbuf *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (!r32(r, &lo) || !r32(r, &hi))
        return false;
    *v = (uint64_t)hi << 32 | lo;
    return true;
}

static trawl_status damaged(trawl_error *err, const rbuf *r, const char *what)
{
    return trawl__fail_at(err, TRAWL_EFORMAT, (int64_t)r->pos, -1, "damaged database: %s", what);
}

/* Hyperscan checks its own header and CRC; the mode it was compiled for is
 * checked here, so that a block database never stands in for a stream one. */
static bool hs_mode_is(const hs_database_t *db, const char *mode)
{
    char *info = NULL;
    if (hs_database_info(db, &info) != HS_SUCCESS || !info)
        return false;
    const char *m = strstr(info, "Mode: ");
    bool ok = m && !strcmp(m + 6, mode);
    free(info);
    return ok;
}

static trawl_status get_hs(rbuf *r, hs_database_t **out, const char *mode, trawl_error *err)
{
    uint64_t n;
    if (!r64(r, &n) || n > r->len - r->pos)
        return damaged(err, r, "truncated Hyperscan database");
    hs_error_t e = hs_deserialize_database((const char *)r->p + r->pos, (size_t)n, out);
    if (e == HS_DB_VERSION_ERROR || e == HS_DB_PLATFORM_ERROR)
        return trawl__fail(err, TRAWL_EVERSION,
                           "database was compiled by another Hyperscan version or for another CPU");
    if (e != HS_SUCCESS)
        return damaged(err, r, "Hyperscan refused the database bytes");
    if (!hs_mode_is(*out, mode))
        return damaged(err, r, "Hyperscan database of the wrong mode");
    r->pos += (size_t)n;
    return TRAWL_OK;
}

/* Reads one pattern record. With expect (the cache, which holds the set
 * the entry must be for), the record must equal it and the parsed pattern is
 * copied from it rather than parsed again; otherwise it is parsed. */
static trawl_status get_pattern(rbuf *r, tpat *t, const tpat *expect, trawl_error *err)
{
    if (r->len - r->pos < 4)
        return damaged(err, r, "truncated pattern header");
    const uint8_t *h = r->p + r->pos;
    r->pos += 4;
    uint32_t nl, el;
    char name[256];
    bool has_name = false;
    if (!r32(r, &nl))
        return damaged(err, r, "truncated name length");
    if (nl != UINT32_MAX) {
        if (nl >= sizeof(name) || nl > r->len - r->pos)
            return damaged(err, r, "bad name length");
        memcpy(name, r->p + r->pos, nl);
        name[nl] = 0;
        r->pos += nl;
        has_name = true;
    }
    if (!r32(r, &el) || el > r->len - r->pos)
        return damaged(err, r, "bad expression length");
    const char *expr = (const char *)r->p + r->pos;
    trawl_status st;
    if (expect) {
        if (h[0] != (uint8_t)expect->syntax || h[1] != (uint8_t)expect->flags ||
            el != expect->len || memcmp(expr, expect->expr, el) != 0 ||
            has_name != (expect->name != NULL) || (has_name && strcmp(name, expect->name)))
            return damaged(err, r, "not the expected pattern");
        st = tpat_copy(t, expect);
    } else {
        st = tpat_build(t, expr, el, (trawl_pattern_syntax)h[0], h[1], has_name ? name : NULL, err);
    }
    if (st != TRAWL_OK)
        return st == TRAWL_ENOMEM ? st : damaged(err, r, "pattern does not parse");
    r->pos += el;
    return TRAWL_OK;
}

trawl_status trawl_pattern_db_deserialize(const uint8_t *buf, size_t len, trawl_pattern_db **out,
                                          trawl_error *err)
{
    return db_deserialize(buf, len, NULL, out, err);
}

trawl_status db_deserialize(const uint8_t *buf, size_t len, const trawl_pattern_set *expect,
                            trawl_pattern_db **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    rbuf r = {buf, buf ? len : 0, 0};
    uint32_t version, count, flags = 0;
    if (r.len < 16 || memcmp(buf, magic, 8) != 0)
        return trawl__fail_at(err, TRAWL_EFORMAT, 0, -1, "not a trawl database");
    r.pos = 8;
    r32(&r, &version);
    r32(&r, &count);
    if (version != 1 && version != FORMAT_VERSION)
        return trawl__fail(err, TRAWL_EVERSION, "database format version %u, expected %u", version,
                           FORMAT_VERSION);
    if (version == 2 && (!r32(&r, &flags) || (flags & ~SER_BLOCK_ONLY)))
        return damaged(err, &r, "bad flags");
    if (count == 0 || count > (r.len - r.pos) / 12 || (expect && count != expect->n))
        return damaged(err, &r, "bad pattern count");
    trawl_pattern_db *db = calloc(1, sizeof(*db));
    if (!db || !(db->pats = calloc(count, sizeof(*db->pats)))) {
        free(db);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    db->magic = DB_MAGIC;
    trawl_status st = TRAWL_OK;
    for (uint32_t i = 0; i < count && st == TRAWL_OK; i++) {
        st = get_pattern(&r, &db->pats[i], expect ? &expect->pats[i] : NULL, err);
        if (st == TRAWL_OK)
            db->n++;
    }
    if (st == TRAWL_OK)
        st = get_hs(&r, &db->block, "BLOCK", err);
    if (st == TRAWL_OK && !(flags & SER_BLOCK_ONLY))
        st = get_hs(&r, &db->stream, "STREAM", err);
    if (st == TRAWL_OK && r.pos != r.len)
        st = damaged(err, &r, "trailing bytes");
    if (st == TRAWL_OK) {
        /* the Hyperscan databases must be for exactly these patterns */
        size_t sz;
        if (hs_database_size(db->block, &sz) != HS_SUCCESS ||
            (db->stream && hs_database_size(db->stream, &sz) != HS_SUCCESS))
            st = damaged(err, &r, "unusable Hyperscan database");
    }
    if (st != TRAWL_OK) {
        trawl_pattern_db_free(db);
        return st;
    }
    db_summarize(db);
    *out = db;
    return TRAWL_OK;
}
