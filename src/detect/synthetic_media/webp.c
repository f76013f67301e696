/* synthetic_media/webp.c -- WebP (RIFF) chunk walk. "RIFF", a 4-byte little-endian
 * size of what follows, "WEBP", then chunks: FourCC, 4-byte little-endian
 * size, payload, one pad byte when the size is odd. The first chunk is VP8
 * (lossy), VP8L (lossless) or VP8X (extended; its flags byte announces ICC,
 * alpha, EXIF, XMP and animation). A RIFF size that disagrees with the file,
 * a bad first chunk, a bad VP8/VP8L signature and VP8X flags that announce a
 * chunk that is not there are anomalies.
 *
 * Read: "EXIF" (TIFF, sometimes behind an "Exif\0\0" prefix), "XMP ", and
 * "C2PA" (the C2PA manifest store as JUMBF). */
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

#define VP8X_EXIF 0x08
#define VP8X_XMP  0x04

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void first_chunk(media_ctx *m, const char *id, const uint8_t *d, size_t len, int *flags)
{
    if (!strcmp(id, "VP8X")) {
        if (len < 10)
            media_anomaly(m, "VP8X chunk is %zu bytes, expected 10", len);
        else
            *flags = d[0];
    } else if (!strcmp(id, "VP8 ")) {
        if (len < 10 || d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A)
            media_anomaly(m, "VP8 chunk at offset 12 lacks the key frame start code 9d 01 2a");
    } else if (!strcmp(id, "VP8L")) {
        if (len < 5 || d[0] != 0x2F)
            media_anomaly(m, "VP8L chunk at offset 12 lacks the signature byte 0x2f");
    } else {
        media_anomaly(m, "first chunk is '%s', not VP8, VP8L or VP8X", id);
    }
}

void media_webp(media_ctx *m, const uint8_t *p, size_t n)
{
    size_t end = (size_t)le32(p + 4);
    if (end > n - 8) {
        media_anomaly(m, "RIFF size %zu exceeds the %zu bytes present", end, n - 8);
        end = n;
    } else {
        end += 8;
        if (end < n)
            media_anomaly(m, "%zu bytes after the RIFF container at offset %zu", n - end, end);
    }
    size_t pos = 12;
    int flags = -1;
    bool seen_exif = false, seen_xmp = false;
    for (unsigned index = 0; pos < end && !m->oom; index++) {
        if (end - pos < 8) {
            media_anomaly(m, "truncated chunk header at offset %zu", pos);
            break;
        }
        char id[5] = {0};
        memcpy(id, p + pos, 4);
        size_t len = le32(p + pos + 4);
        if (len > end - pos - 8) {
            media_anomaly(m, "chunk '%s' at offset %zu declares %zu bytes, %zu remain", id, pos,
                          len, end - pos - 8);
            break;
        }
        const uint8_t *d = p + pos + 8;
        if (index == 0)
            first_chunk(m, id, d, len, &flags);
        if (!strcmp(id, "EXIF")) {
            seen_exif = true;
            size_t skip = len >= 6 && !memcmp(d, "Exif\0\0", 6) ? 6 : 0;
            media_exif(m, "WebP EXIF chunk", pos + 8 + skip, d + skip, len - skip);
        } else if (!strcmp(id, "XMP ")) {
            seen_xmp = true;
            media_xmp(m, "WebP XMP chunk", pos + 8, d, len);
        } else if (!strcmp(id, "C2PA")) {
            media_jumbf(m, "WebP C2PA chunk", pos + 8, d, len);
        }
        pos += 8 + len + (len & 1);
    }
    if (flags >= 0 && (flags & VP8X_EXIF) && !seen_exif)
        media_anomaly(m, "VP8X announces EXIF but there is no EXIF chunk");
    if (flags >= 0 && (flags & VP8X_XMP) && !seen_xmp)
        media_anomaly(m, "VP8X announces XMP but there is no XMP chunk");
}
