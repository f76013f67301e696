/* synthetic_media/exif.c -- EXIF: a TIFF structure ("II*\0" little-endian or "MM\0*"
 * big-endian, then the offset of IFD0). An IFD is a 2-byte entry count, 12-
 * byte entries (tag, type, count, value or offset) and the offset of the next
 * IFD. Offsets are relative to the TIFF header and come from the file, so
 * every one is checked against the block, IFDs are visited at most once
 * (loops in hostile files are common) and at most MAX_IFDS are visited.
 *
 * Read: ImageDescription 0x010E, Make 0x010F, Model 0x0110, Software 0x0131,
 * Artist 0x013B in IFD0, and UserComment 0x9286 in the Exif IFD (pointer tag
 * 0x8769), where AUTOMATIC1111's web UI puts its parameters in JPEG and WebP
 * files (as UTF-16, after the 8-byte code "UNICODE\0"). Make and Model are
 * parsed but never flagged: a camera name is not evidence of anything. */
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

#define MAX_IFDS    8
#define MAX_ENTRIES 1024
#define MAX_FIELDS  32 /* string fields judged per EXIF block */

typedef struct tiff {
    const uint8_t *t;
    size_t n;
    bool le;
} tiff;

static uint16_t u16(const tiff *x, size_t o)
{
    const uint8_t *p = x->t + o;
    return x->le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t u32(const tiff *x, size_t o)
{
    const uint8_t *p = x->t + o;
    return x->le
               ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
               : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *tag_name(uint16_t tag)
{
    switch (tag) {
    case 0x010E:
        return "ImageDescription (0x010E)";
    case 0x010F:
        return "Make (0x010F)";
    case 0x0110:
        return "Model (0x0110)";
    case 0x0131:
        return "Software (0x0131)";
    case 0x013B:
        return "Artist (0x013B)";
    case 0x9286:
        return "UserComment (0x9286)";
    default:
        return NULL;
    }
}

/* UTF-16 text to ASCII (others as '?') in the per-thread buffer. The byte
 * order is the one that puts the zero bytes of ASCII text where they belong;
 * piexif, which the Stable Diffusion UIs use, writes big-endian whatever the
 * TIFF order. */
static size_t utf16_to_ascii(media_ctx *m, const uint8_t *p, size_t n)
{
    size_t even = 0, odd = 0, probe = n < 256 ? n : 256;
    for (size_t i = 0; i + 1 < probe; i += 2) {
        even += p[i] == 0;
        odd += p[i + 1] == 0;
    }
    bool be = even > odd;
    size_t o = 0;
    for (size_t i = 0; i + 1 < n && o < MEDIA_TEXT_CAP; i += 2) {
        unsigned c = be ? (unsigned)(p[i] << 8 | p[i + 1]) : (unsigned)(p[i] | p[i + 1] << 8);
        if (c == 0)
            break;
        m->tls->text[o++] = c < 0x80 ? (char)c : '?';
    }
    return o;
}

static void field(media_ctx *m, const char *where, uint64_t base, const tiff *x, uint16_t tag,
                  size_t off, size_t len)
{
    const uint8_t *v = x->t + off;
    char loc[96];
    const char *name = tag_name(tag);
    snprintf(loc, sizeof loc, "%s %s", where, name ? name : "?");
    if (tag == 0x9286) {
        if (len < 8)
            return;
        if (!memcmp(v, "UNICODE\0", 8)) {
            size_t k = utf16_to_ascii(m, v + 8, len - 8);
            media_field_value(m, MEDIA_DESCRIPTION, loc, base + off, (const uint8_t *)m->tls->text,
                              k);
            return;
        }
        if (memcmp(v, "ASCII\0\0\0", 8) && memcmp(v, "\0\0\0\0\0\0\0\0", 8))
            return; /* JIS or unknown: not decoded */
        v += 8;
        len -= 8;
        off += 8;
    }
    while (len && (v[len - 1] == 0 || v[len - 1] == ' '))
        len--;
    if (tag == 0x010F || tag == 0x0110 || !len)
        return;
    media_field_value(m,
                      tag == 0x0131   ? MEDIA_SOFTWARE
                      : tag == 0x013B ? MEDIA_ARTIST
                                      : MEDIA_DESCRIPTION,
                      loc, base + off, v, len);
}

typedef struct ifd_queue {
    uint32_t off[MAX_IFDS];
    unsigned n, seen;
    unsigned fields; /* string fields judged so far */
} ifd_queue;

static void push(media_ctx *m, ifd_queue *q, uint32_t off)
{
    if (off == 0)
        return;
    for (unsigned i = 0; i < q->n; i++)
        if (q->off[i] == off) {
            media_anomaly(m, "EXIF IFD at %u is referenced twice (loop)", off);
            return;
        }
    if (q->n == MAX_IFDS) {
        media_anomaly(m, "more than %d EXIF IFDs; rest ignored", MAX_IFDS);
        return;
    }
    q->off[q->n++] = off;
}

static void ifd(media_ctx *m, const char *where, uint64_t base, const tiff *x, ifd_queue *q,
                size_t off)
{
    if (off > x->n || x->n - off < 2) {
        media_anomaly(m, "EXIF IFD offset %zu outside the %zu-byte block", off, x->n);
        return;
    }
    size_t count = u16(x, off), room = (x->n - off - 2) / 12;
    if (count > room || count > MAX_ENTRIES) {
        media_anomaly(m, "EXIF IFD at %zu declares %zu entries, %zu fit", off, count,
                      room < MAX_ENTRIES ? room : MAX_ENTRIES);
        count = room < MAX_ENTRIES ? room : MAX_ENTRIES;
    }
    for (size_t i = 0; i < count; i++) {
        size_t e = off + 2 + 12 * i;
        uint16_t tag = u16(x, e), type = u16(x, e + 2);
        uint32_t cnt = u32(x, e + 4);
        if (tag == 0x8769 && (type == 4 || type == 13)) {
            push(m, q, u32(x, e + 8));
            continue;
        }
        if (!tag_name(tag) || (type != 1 && type != 2 && type != 7))
            continue;
        size_t voff = cnt <= 4 ? e + 8 : u32(x, e + 8);
        if (voff > x->n || cnt > x->n - voff) {
            media_anomaly(m, "EXIF %s value (%u bytes at %zu) runs past the block", tag_name(tag),
                          cnt, voff);
            continue;
        }
        /* Offsets may point many entries at one large value: the work per
         * block is bounded by judging at most MAX_FIELDS values of at most
         * MEDIA_TEXT_CAP bytes each. */
        if (q->fields++ == MAX_FIELDS)
            media_anomaly(m, "more than %d EXIF text fields; rest ignored", MAX_FIELDS);
        if (q->fields > MAX_FIELDS)
            continue;
        field(m, where, base, x, tag, voff, cnt < MEDIA_TEXT_CAP ? cnt : MEDIA_TEXT_CAP);
    }
    size_t next = off + 2 + 12 * count;
    if (count == u16(x, off) && x->n - next >= 4)
        push(m, q, u32(x, next));
}

void media_exif(media_ctx *m, const char *where, uint64_t base, const uint8_t *t, size_t n)
{
    if (n < 8) {
        media_anomaly(m, "%s at offset %llu: %zu bytes, too short for a TIFF header", where,
                      (unsigned long long)base, n);
        return;
    }
    tiff x = {t, n, t[0] == 'I'};
    if (!((!memcmp(t, "II", 2) || !memcmp(t, "MM", 2)) && u16(&x, 2) == 42)) {
        media_anomaly(m, "%s at offset %llu has no TIFF header", where, (unsigned long long)base);
        return;
    }
    ifd_queue q = {{0}, 0, 0, 0};
    push(m, &q, u32(&x, 4));
    while (q.seen < q.n && !m->oom)
        ifd(m, where, base, &x, &q, q.off[q.seen++]);
}
