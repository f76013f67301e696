/* synthetic_media/jpeg.c -- JPEG marker walk (ITU-T T.81). After SOI, each segment is
 * 0xFF, a marker byte (fill 0xFF bytes may precede it), and for all markers
 * but SOI/EOI/RSTn/TEM a 2-byte big-endian length that counts itself. After
 * SOS the entropy-coded data runs until the next 0xFF that is followed by
 * neither 0x00 (a stuffed byte) nor a restart marker; the walk skips it with
 * memchr, which keeps a 1 MB scan well under a millisecond, and continues,
 * so progressive files (several SOS) and segments after the scan are read.
 *
 * Read: APP1 "Exif\0\0" (EXIF), APP1 "http://ns.adobe.com/xap/1.0/\0" (XMP)
 * and ".../xmp/extension/\0" (extended XMP, each part on its own), APP11
 * "JP" JPEG XT boxes (JUMBF, i.e. C2PA; segments of one box instance are
 * reassembled up to max_manifest_bytes), COM comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

static const char xmp_sig[] = "http://ns.adobe.com/xap/1.0/";
static const char xmp_ext_sig[] = "http://ns.adobe.com/xmp/extension/";

typedef struct app11 {
    int instance; /* En of the box being reassembled, -1 for none */
    size_t first; /* offset of the box in its first segment */
    unsigned segments;
    bool dropped; /* over max_manifest_bytes: the rest of this box is ignored */
} app11;

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool tls_append(media_ctx *m, const uint8_t *p, size_t n)
{
    media_tls *t = m->tls;
    if (n > m->st->max_manifest - t->jumbf_len)
        return false;
    if (t->jumbf_len + n > t->jumbf_cap) {
        size_t cap = t->jumbf_cap ? t->jumbf_cap : 65536;
        while (cap < t->jumbf_len + n)
            cap *= 2;
        if (cap > m->st->max_manifest)
            cap = m->st->max_manifest;
        uint8_t *b = realloc(t->jumbf, cap);
        if (!b) {
            m->oom = true;
            return false;
        }
        t->jumbf = b;
        t->jumbf_cap = cap;
    }
    memcpy(t->jumbf + t->jumbf_len, p, n);
    t->jumbf_len += n;
    return true;
}

static void app11_flush(media_ctx *m, app11 *a)
{
    if (a->instance >= 0 && !a->dropped && m->tls->jumbf_len) {
        char where[128];
        if (a->segments == 1)
            snprintf(where, sizeof where, "JPEG APP11 JUMBF");
        else
            snprintf(where, sizeof where,
                     "JPEG APP11 JUMBF (%u segments reassembled; offsets count from the first)",
                     a->segments);
        media_jumbf(m, where, a->first, m->tls->jumbf, m->tls->jumbf_len);
    }
    a->instance = -1;
    a->segments = 0;
    a->dropped = false;
    m->tls->jumbf_len = 0;
}

/* JPEG XT box segment: "JP", En (2), Z (4), then LBox/TBox[/XLBox] and a
 * part of the box payload. Every segment repeats the box header; from the
 * second on only the payload is appended. */
static void app11_segment(media_ctx *m, app11 *a, size_t off, const uint8_t *s, size_t n)
{
    if (n < 16 || s[0] != 'J' || s[1] != 'P')
        return;
    int en = be16(s + 2);
    uint32_t z = (uint32_t)s[4] << 24 | (uint32_t)s[5] << 16 | (uint32_t)s[6] << 8 | s[7];
    size_t hdr = 8;
    if (s[8] == 0 && s[9] == 0 && s[10] == 0 && s[11] == 1) {
        if (n < 24)
            return;
        hdr = 16;
    }
    if (en != a->instance || z == 1)
        app11_flush(m, a);
    bool ok = true;
    if (a->instance < 0) {
        a->instance = en;
        a->first = off + 4 + 8; /* marker, length, "JP", En, Z: the box starts here */
        ok = tls_append(m, s + 8, n - 8);
    } else if (!a->dropped) {
        ok = tls_append(m, s + 8 + hdr, n - 8 - hdr);
    }
    if (!ok && !m->oom) {
        media_anomaly(m, "APP11 JUMBF box at offset %zu exceeds max_manifest_bytes; not read",
                      a->first);
        a->dropped = true;
    }
    a->segments++;
}

static void segment(media_ctx *m, app11 *a, uint8_t marker, size_t off, const uint8_t *s, size_t n)
{
    uint64_t pay = off + 4; /* offset of the payload */
    if (marker == 0xE1 && n >= 6 && !memcmp(s, "Exif\0\0", 6)) {
        media_exif(m, "JPEG APP1 Exif", pay + 6, s + 6, n - 6);
    } else if (marker == 0xE1 && n >= sizeof xmp_sig && !memcmp(s, xmp_sig, sizeof xmp_sig)) {
        media_xmp(m, "JPEG APP1 XMP", pay + sizeof xmp_sig, s + sizeof xmp_sig, n - sizeof xmp_sig);
    } else if (marker == 0xE1 && n >= sizeof xmp_ext_sig + 40 &&
               !memcmp(s, xmp_ext_sig, sizeof xmp_ext_sig)) {
        size_t h = sizeof xmp_ext_sig + 40; /* GUID (32), full length (4), offset (4) */
        media_xmp(m, "JPEG APP1 extended XMP", pay + h, s + h, n - h);
    } else if (marker == 0xEB) {
        app11_segment(m, a, off, s, n);
    } else if (marker == 0xFE) {
        media_field_value(m, MEDIA_DESCRIPTION, "JPEG COM comment", pay, s, n);
    }
}

/* Past the entropy-coded data that starts at pos: the offset of the next
 * real marker's 0xFF, or n. */
static size_t skip_scan(const uint8_t *p, size_t n, size_t pos)
{
    while (pos < n) {
        const uint8_t *q = memchr(p + pos, 0xFF, n - pos);
        if (!q)
            return n;
        size_t i = (size_t)(q - p);
        if (i + 1 >= n)
            return n;
        uint8_t c = p[i + 1];
        if (c != 0x00 && !(c >= 0xD0 && c <= 0xD7) && c != 0xFF)
            return i;
        pos = i + 1;
    }
    return n;
}

void media_jpeg(media_ctx *m, const uint8_t *p, size_t n)
{
    app11 a = {-1, 0, 0, false};
    m->tls->jumbf_len = 0;
    size_t pos = 2;
    bool eoi = false;
    while (pos < n && !m->oom) {
        if (p[pos] != 0xFF) {
            media_anomaly(m, "expected a marker at offset %zu, found 0x%02x", pos, p[pos]);
            break;
        }
        while (pos < n && p[pos] == 0xFF)
            pos++;
        if (pos >= n)
            break;
        uint8_t marker = p[pos++];
        size_t moff = pos - 2;
        if (marker == 0xD9) {
            eoi = true;
            break;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8) || marker == 0x00) {
            if (marker == 0xD8 || marker == 0x00)
                media_anomaly(m, "unexpected marker 0x%02x at offset %zu", marker, moff);
            continue;
        }
        if (n - pos < 2) {
            media_anomaly(m, "segment 0x%02x at offset %zu: length truncated", marker, moff);
            break;
        }
        size_t len = be16(p + pos);
        if (len < 2 || len > n - pos) {
            media_anomaly(m, "segment 0x%02x at offset %zu declares %zu bytes, %zu remain", marker,
                          moff, len, n - pos);
            break;
        }
        segment(m, &a, marker, moff, p + pos + 2, len - 2);
        pos += len;
        if (marker == 0xDA)
            pos = skip_scan(p, n, pos);
    }
    app11_flush(m, &a);
    if (!eoi)
        media_anomaly(m, "no EOI marker (file ends at offset %zu)", n);
}
