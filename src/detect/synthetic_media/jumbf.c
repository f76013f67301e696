/* synthetic_media/jumbf.c -- JUMBF (ISO/IEC 19566-5) boxes, as C2PA embeds its
 * manifest store: a box is LBox (4, big-endian; 1 = an 8-byte XLBox follows,
 * 0 = to the end), TBox (4), payload. A 'jumb' superbox starts with a 'jumd'
 * description box: a 16-byte type UUID, a toggles byte, and when toggle 0x02
 * is set a NUL-terminated label. The C2PA manifest store is the superbox
 * labelled "c2pa" (type UUID 63327061-0011-0010-8000-00AA00389B71); each
 * child superbox is one manifest; a manifest's claim is the superbox labelled
 * "c2pa.claim" (or "c2pa.claim.v2") holding a 'cbor' box.
 *
 * What is reported: that a store is present and how many manifests it holds;
 * the claim generator (CBOR map key "claim_generator", or the "name" in
 * "claim_generator_info"); the IPTC digital source types the assertions
 * declare. Signatures and hash bindings are NOT verified: a manifest here is a
 * claim, not proof (use c2patool for that). */
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

#define MAX_DEPTH  8
#define MAX_BOXES  4096
#define MAX_CLAIMS 4

static const uint8_t c2pa_uuid[16] = {0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10,
                                      0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

typedef struct walk {
    media_ctx *m;
    const char *where;
    uint64_t base;      /* offset of the buffer in the image */
    const uint8_t *buf; /* the whole JUMBF buffer, for offsets */
    unsigned boxes, claims;
} walk;

typedef struct box {
    size_t off, hdr, len; /* len includes the header */
    uint32_t type;
} box;

#define FOURCC(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The box at p[pos..n); false when its header or length does not fit. */
static bool box_at(const uint8_t *p, size_t n, size_t pos, box *b)
{
    if (pos > n || n - pos < 8)
        return false;
    uint32_t l = be32(p + pos);
    b->off = pos;
    b->type = be32(p + pos + 4);
    b->hdr = 8;
    uint64_t len = l;
    if (l == 1) {
        if (n - pos < 16)
            return false;
        len = (uint64_t)be32(p + pos + 8) << 32 | be32(p + pos + 12);
        b->hdr = 16;
    } else if (l == 0) {
        len = n - pos;
    }
    if (len < b->hdr || len > n - pos)
        return false;
    b->len = (size_t)len;
    return true;
}

/* CBOR text string header at p[i..n): sets *s, *len; false otherwise. */
static bool cbor_text(const uint8_t *p, size_t n, size_t i, size_t *s, size_t *len)
{
    if (i >= n || p[i] >> 5 != 3)
        return false;
    unsigned ai = p[i] & 31;
    size_t l, h = 1;
    if (ai < 24) {
        l = ai;
    } else if (ai == 24 && n - i >= 2) {
        l = p[i + 1];
        h = 2;
    } else if (ai == 25 && n - i >= 3) {
        l = (size_t)p[i + 1] << 8 | p[i + 2];
        h = 3;
    } else {
        return false;
    }
    if (l > n - i - h)
        return false;
    *s = i + h;
    *len = l;
    return true;
}

static void report_generator(walk *w, const uint8_t *p, size_t s, size_t len, const char *key)
{
    char loc[160];
    snprintf(loc, sizeof loc, "%s C2PA claim %s", w->where, key);
    media_field_value(w->m, MEDIA_CLAIM_GEN, loc, w->base + (size_t)(p + s - w->buf), p + s, len);
}

/* claim_generator_info: [ {"name": text, "version": text, ...}, ... ] */
static void generator_info(walk *w, const uint8_t *p, size_t n, size_t i)
{
    if (i >= n || p[i] >> 5 != 4 || (p[i] & 31) == 0 || (p[i] & 31) >= 24)
        return;
    i++;
    if (i >= n || p[i] >> 5 != 5 || (p[i] & 31) >= 24)
        return;
    unsigned pairs = p[i++] & 31;
    for (unsigned k = 0; k < pairs; k++) {
        size_t ks, kl, vs, vl;
        if (!cbor_text(p, n, i, &ks, &kl) || !cbor_text(p, n, ks + kl, &vs, &vl))
            return; /* a value that is not text ends the walk: no general CBOR here */
        if (kl == 4 && !memcmp(p + ks, "name", 4)) {
            report_generator(w, p, vs, vl, "claim_generator_info.name");
            return;
        }
        i = vs + vl;
    }
}

static void claim(walk *w, const uint8_t *p, size_t n)
{
    static const uint8_t k1[] = "\x6F"
                                "claim_generator";
    static const uint8_t k2[] = "\x74"
                                "claim_generator_info";
    const uint8_t *q = media_mem(p, n, k1, sizeof k1 - 1);
    size_t s, len;
    if (q && cbor_text(p, n, (size_t)(q - p) + sizeof k1 - 1, &s, &len))
        report_generator(w, p, s, len, "claim_generator");
    q = media_mem(p, n, k2, sizeof k2 - 1);
    if (q)
        generator_info(w, p, n, (size_t)(q - p) + sizeof k2 - 1);
}

static void superbox(walk *w, const uint8_t *p, size_t n, const box *sb, int depth);

static void boxes(walk *w, const uint8_t *p, size_t n, size_t pos, size_t end, int depth,
                  unsigned *jumbs)
{
    while (pos < end) {
        box b;
        if (++w->boxes > MAX_BOXES) {
            media_anomaly(w->m, "%s: more than %d JUMBF boxes; rest ignored", w->where, MAX_BOXES);
            return;
        }
        if (!box_at(p, end, pos, &b)) {
            media_anomaly(w->m, "%s: JUMBF box at +%zu does not fit its container", w->where, pos);
            return;
        }
        if (b.type == FOURCC('j', 'u', 'm', 'b')) {
            if (jumbs)
                (*jumbs)++;
            if (depth < MAX_DEPTH)
                superbox(w, p, n, &b, depth + 1);
        }
        pos += b.len;
    }
}

static void superbox(walk *w, const uint8_t *p, size_t n, const box *sb, int depth)
{
    size_t pos = sb->off + sb->hdr, end = sb->off + sb->len;
    box d;
    if (!box_at(p, end, pos, &d) || d.type != FOURCC('j', 'u', 'm', 'd') || d.len - d.hdr < 17) {
        media_anomaly(w->m, "%s: JUMBF superbox at +%zu lacks its description box", w->where,
                      sb->off);
        return;
    }
    const uint8_t *dp = p + d.off + d.hdr;
    size_t dn = d.len - d.hdr;
    char label[64] = "";
    if (dp[16] & 0x02) {
        const uint8_t *z = memchr(dp + 17, 0, dn - 17);
        size_t l = z ? (size_t)(z - dp - 17) : dn - 17;
        snprintf(label, sizeof label, "%.*s", (int)(l < 63 ? l : 63), (const char *)dp + 17);
    }
    size_t kids = d.off + d.len;
    if (!strcmp(label, "c2pa") || !memcmp(dp, c2pa_uuid, 16)) {
        unsigned manifests = 0;
        boxes(w, p, n, kids, end, depth, &manifests);
        media_c2pa(w->m, w->where, w->base + sb->off, manifests);
        return;
    }
    if (!strncmp(label, "c2pa.claim", 10) && w->claims < MAX_CLAIMS) {
        box c;
        for (size_t q = kids; q < end && box_at(p, end, q, &c); q += c.len)
            if (c.type == FOURCC('c', 'b', 'o', 'r')) {
                w->claims++;
                claim(w, p + c.off + c.hdr, c.len - c.hdr);
                break;
            }
        return;
    }
    boxes(w, p, n, kids, end, depth, NULL);
}

void media_jumbf(media_ctx *m, const char *where, uint64_t base, const uint8_t *j, size_t n)
{
    walk w = {m, where, base, j, 0, 0};
    boxes(&w, j, n, 0, n, 0, NULL);
    /* The actions assertion declares how the asset was made, e.g.
     * "digitalSourceType": ".../digitalsourcetype/trainedAlgorithmicMedia". */
    char loc[160];
    snprintf(loc, sizeof loc, "%s C2PA assertion", where);
    media_source_types(m, loc, base, j, n);
}
