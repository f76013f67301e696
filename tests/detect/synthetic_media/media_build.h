/* media_build.h -- builders for the image containers the synthetic_media
 * tests and fuzz seeds need: PNG chunks (with their own bitwise CRC-32, not
 * the library's), JPEG segments, TIFF/EXIF blocks, WebP chunks, JUMBF boxes.
 * Header-only, for tests/ and bench/. Every builder appends to a mb_buf. */
#ifndef TRAWL_MEDIA_BUILD_H
#define TRAWL_MEDIA_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mb_buf {
    uint8_t *p;
    size_t n, cap;
} mb_buf;

static inline void mb_put(mb_buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            abort();
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static inline void mb_str(mb_buf *b, const char *s)
{
    mb_put(b, s, strlen(s));
}

static inline void mb_u8(mb_buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    mb_put(b, &c, 1);
}

static inline void mb_be16(mb_buf *b, unsigned v)
{
    mb_u8(b, v >> 8);
    mb_u8(b, v);
}

static inline void mb_be32(mb_buf *b, uint32_t v)
{
    mb_be16(b, v >> 16);
    mb_be16(b, v & 0xFFFF);
}

static inline void mb_le32(mb_buf *b, uint32_t v)
{
    mb_u8(b, v);
    mb_u8(b, v >> 8);
    mb_u8(b, v >> 16);
    mb_u8(b, v >> 24);
}

static inline void mb_free(mb_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- PNG ------------------------------------------------------------------ */

static inline uint32_t mb_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static inline void mb_png_chunk(mb_buf *b, const char *type, const void *data, size_t n)
{
    mb_be32(b, (uint32_t)n);
    size_t at = b->n;
    mb_put(b, type, 4);
    mb_put(b, data, n);
    mb_be32(b, mb_crc32(b->p + at, 4 + n));
}

/* Signature and the IHDR of a 1x1 RGB image: 33 bytes. */
static inline void mb_png_start(mb_buf *b)
{
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
    mb_put(b, "\x89PNG\r\n\x1a\n", 8);
    mb_png_chunk(b, "IHDR", ihdr, 13);
}

/* IDAT (one zlib stored block holding filter byte 0 and one black pixel) and
 * IEND. */
static inline void mb_png_end(mb_buf *b)
{
    static const uint8_t idat[] = {0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01};
    mb_png_chunk(b, "IDAT", idat, sizeof idat);
    mb_png_chunk(b, "IEND", NULL, 0);
}

static inline void mb_png_text(mb_buf *b, const char *key, const char *text)
{
    mb_buf d = {0};
    mb_put(&d, key, strlen(key) + 1);
    mb_str(&d, text);
    mb_png_chunk(b, "tEXt", d.p, d.n);
    mb_free(&d);
}

/* ---- JPEG ----------------------------------------------------------------- */

static inline void mb_jpeg_seg(mb_buf *b, unsigned marker, const void *p, size_t n)
{
    mb_u8(b, 0xFF);
    mb_u8(b, marker);
    mb_be16(b, (unsigned)n + 2);
    mb_put(b, p, n);
}

/* APP1 XMP: signature (with its NUL) and the packet. */
static inline void mb_jpeg_xmp(mb_buf *b, const char *packet)
{
    mb_buf d = {0};
    mb_put(&d, "http://ns.adobe.com/xap/1.0/", 29);
    mb_str(&d, packet);
    mb_jpeg_seg(b, 0xE1, d.p, d.n);
    mb_free(&d);
}

/* DQT, SOF0 (8x8, one component), DHT-less SOS and a scan of scan_len bytes
 * (stuffed 0xFF 0x00 pairs and restart markers included), EOI. */
static inline void mb_jpeg_image(mb_buf *b, size_t scan_len, uint64_t seed)
{
    uint8_t dqt[65] = {0};
    for (int i = 1; i < 65; i++)
        dqt[i] = 1;
    mb_jpeg_seg(b, 0xDB, dqt, sizeof dqt);
    static const uint8_t sof[] = {8, 0, 8, 0, 8, 1, 1, 0x11, 0};
    mb_jpeg_seg(b, 0xC0, sof, sizeof sof);
    static const uint8_t sos[] = {1, 1, 0, 0, 63, 0};
    mb_jpeg_seg(b, 0xDA, sos, sizeof sos);
    uint64_t x = seed | 1;
    unsigned rst = 0;
    for (size_t i = 0; i < scan_len; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint8_t c = (uint8_t)((x * 0x2545F4914F6CDD1Dull) >> 56);
        mb_u8(b, c);
        if (c == 0xFF)
            mb_u8(b, 0x00);
        if (i % 4096 == 4095) {
            mb_u8(b, 0xFF);
            mb_u8(b, 0xD0 + (rst++ & 7));
        }
    }
    mb_u8(b, 0xFF);
    mb_u8(b, 0xD9);
}

/* ---- TIFF / EXIF ------------------------------------------------------------ */

typedef struct mb_tag {
    uint16_t tag, type; /* type 2 = ASCII, 7 = UNDEFINED */
    const void *v;
    uint32_t len;
} mb_tag;

static inline void mb_tiff_u16(mb_buf *b, bool le, unsigned v)
{
    if (le) {
        mb_u8(b, v);
        mb_u8(b, v >> 8);
    } else {
        mb_be16(b, v);
    }
}

static inline void mb_tiff_u32(mb_buf *b, bool le, uint32_t v)
{
    if (le)
        mb_le32(b, v);
    else
        mb_be32(b, v);
}

/* A TIFF block: IFD0 with tags0 (and, when n1 > 0, an Exif IFD pointer), the
 * Exif IFD with tags1, then the values. Tags must be sorted. */
static inline void mb_tiff(mb_buf *b, bool le, const mb_tag *t0, int n0, const mb_tag *t1, int n1)
{
    size_t start = b->n;
    mb_put(b, le ? "II" : "MM", 2);
    mb_tiff_u16(b, le, 42);
    mb_tiff_u32(b, le, 8);
    int e0 = n0 + (n1 > 0);
    uint32_t ifd1 = 8 + 2 + 12 * (uint32_t)e0 + 4;
    uint32_t data = ifd1 + (n1 > 0 ? 2 + 12 * (uint32_t)n1 + 4 : 0);
    for (int pass = 0; pass < 2; pass++) {
        const mb_tag *t = pass ? t1 : t0;
        int n = pass ? n1 : n0;
        if (pass && !n1)
            break;
        mb_tiff_u16(b, le, (unsigned)(n + (!pass && n1 > 0)));
        for (int i = 0; i < n; i++) {
            mb_tiff_u16(b, le, t[i].tag);
            mb_tiff_u16(b, le, t[i].type);
            mb_tiff_u32(b, le, t[i].len);
            if (t[i].len <= 4) {
                uint8_t v[4] = {0};
                memcpy(v, t[i].v, t[i].len);
                mb_put(b, v, 4);
            } else {
                mb_tiff_u32(b, le, data);
                data += t[i].len;
            }
        }
        if (!pass && n1 > 0) {
            mb_tiff_u16(b, le, 0x8769);
            mb_tiff_u16(b, le, 4);
            mb_tiff_u32(b, le, 1);
            mb_tiff_u32(b, le, ifd1);
        }
        mb_tiff_u32(b, le, 0);
    }
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < (pass ? n1 : n0); i++) {
            const mb_tag *t = pass ? &t1[i] : &t0[i];
            if (t->len > 4)
                mb_put(b, t->v, t->len);
        }
    (void)start;
}

static inline void mb_jpeg_exif(mb_buf *b, bool le, const mb_tag *t0, int n0, const mb_tag *t1,
                                int n1)
{
    mb_buf d = {0};
    mb_put(&d, "Exif\0\0", 6);
    mb_tiff(&d, le, t0, n0, t1, n1);
    mb_jpeg_seg(b, 0xE1, d.p, d.n);
    mb_free(&d);
}

/* ---- WebP ----------------------------------------------------------------- */

static inline void mb_webp_chunk(mb_buf *b, const char *id, const void *p, size_t n)
{
    mb_put(b, id, 4);
    mb_le32(b, (uint32_t)n);
    mb_put(b, p, n);
    if (n & 1)
        mb_u8(b, 0);
}

/* RIFF/WEBP with VP8X (flags), a 1x1 VP8L bitstream, then xmp when given. */
static inline void mb_webp(mb_buf *b, const char *xmp)
{
    mb_buf c = {0};
    uint8_t vp8x[10] = {xmp ? 0x04 : 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    mb_webp_chunk(&c, "VP8X", vp8x, sizeof vp8x);
    static const uint8_t vp8l[] = {0x2F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    mb_webp_chunk(&c, "VP8L", vp8l, sizeof vp8l);
    if (xmp)
        mb_webp_chunk(&c, "XMP ", xmp, strlen(xmp));
    mb_str(b, "RIFF");
    mb_le32(b, (uint32_t)(4 + c.n));
    mb_str(b, "WEBP");
    mb_put(b, c.p, c.n);
    mb_free(&c);
}

/* ---- JUMBF / C2PA -------------------------------------------------------------- */

static inline void mb_box(mb_buf *b, const char *type, const void *p, size_t n)
{
    mb_be32(b, (uint32_t)(8 + n));
    mb_put(b, type, 4);
    mb_put(b, p, n);
}

/* A 'jumb' superbox: description (uuid, label) and the given content boxes. */
static inline void mb_jumb(mb_buf *b, const uint8_t uuid[16], const char *label,
                           const mb_buf *content)
{
    mb_buf d = {0}, s = {0};
    mb_put(&d, uuid, 16);
    mb_u8(&d, 0x03);
    mb_put(&d, label, strlen(label) + 1);
    mb_box(&s, "jumd", d.p, d.n);
    if (content)
        mb_put(&s, content->p, content->n);
    mb_box(b, "jumb", s.p, s.n);
    mb_free(&d);
    mb_free(&s);
}

static inline void mb_cbor_text(mb_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n < 24) {
        mb_u8(b, 0x60 + (unsigned)n);
    } else {
        mb_u8(b, 0x78);
        mb_u8(b, (unsigned)n);
    }
    mb_str(b, s);
}

/* A C2PA manifest store with one manifest: a claim naming generator and an
 * actions assertion with the given IPTC digital source type term. */
static inline void mb_c2pa_store(mb_buf *b, const char *generator, const char *source_type)
{
    static const uint8_t u_store[16] = {0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10,
                                        0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    static const uint8_t u_other[16] = {0x63, 0x32, 0x6D, 0x61, 0x00, 0x11, 0x00, 0x10,
                                        0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    mb_buf cbor = {0}, box = {0}, assertions = {0}, claim = {0}, manifest = {0};
    char url[128];
    snprintf(url, sizeof url, "http://cv.iptc.org/newscodes/digitalsourcetype/%s", source_type);
    mb_u8(&cbor, 0xA1);
    mb_cbor_text(&cbor, "actions");
    mb_u8(&cbor, 0x81);
    mb_u8(&cbor, 0xA2);
    mb_cbor_text(&cbor, "action");
    mb_cbor_text(&cbor, "c2pa.created");
    mb_cbor_text(&cbor, "digitalSourceType");
    mb_cbor_text(&cbor, url);
    mb_box(&box, "cbor", cbor.p, cbor.n);
    mb_buf act = {0};
    mb_jumb(&act, u_other, "c2pa.actions", &box);
    mb_jumb(&assertions, u_other, "c2pa.assertions", &act);
    mb_free(&cbor);
    mb_free(&box);
    mb_u8(&cbor, 0xA2);
    mb_cbor_text(&cbor, "claim_generator");
    mb_cbor_text(&cbor, generator);
    mb_cbor_text(&cbor, "dc:title");
    mb_cbor_text(&cbor, "image.jpg");
    mb_box(&box, "cbor", cbor.p, cbor.n);
    mb_jumb(&claim, u_other, "c2pa.claim", &box);
    mb_put(&assertions, claim.p, claim.n);
    mb_jumb(&manifest, u_other, "urn:uuid:4a1f0e2c-0000-4000-8000-000000000001", &assertions);
    mb_jumb(b, u_store, "c2pa", &manifest);
    mb_free(&cbor);
    mb_free(&box);
    mb_free(&act);
    mb_free(&assertions);
    mb_free(&claim);
    mb_free(&manifest);
}

/* The JUMBF box j as JPEG APP11 segments of at most seg payload bytes each. */
static inline void mb_jpeg_app11(mb_buf *b, const mb_buf *j, size_t seg)
{
    size_t pos = 0;
    uint32_t z = 1;
    while (pos < j->n) {
        mb_buf d = {0};
        mb_put(&d, "JP\x00\x01", 4);
        mb_be32(&d, z);
        if (z > 1)
            mb_put(&d, j->p, 8); /* the box header, repeated */
        size_t take = j->n - pos < seg ? j->n - pos : seg;
        if (z == 1 && take < 8)
            take = j->n < 8 ? j->n : 8;
        mb_put(&d, j->p + pos, take);
        mb_jpeg_seg(b, 0xEB, d.p, d.n);
        mb_free(&d);
        pos += take;
        z++;
    }
}

#endif
