/* synthetic_media/png.c -- PNG chunk walk (ISO/IEC 15948). Each chunk is length (4,
 * big-endian, at most 2^31-1), type (4 ASCII letters), data, CRC-32 of type
 * and data. Lengths are checked against what remains before any data is
 * touched; CRC mismatches, a first chunk that is not IHDR, a missing IEND and
 * bytes after IEND are reported as anomalies, and the chunk is still read
 * (its metadata says what it says, whoever damaged the file).
 *
 * Chunks read: tEXt, zTXt, iTXt (keyword + text; compressed text is judged
 * by keyword only, as there is no inflater here), eXIf (EXIF), caBX (C2PA
 * JUMBF). */
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

static uint32_t rd32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool is_letter(uint8_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* keyword\0 at d[0..n): copies it to key[80]; returns its length + 1, or 0
 * when there is no terminator within 80 bytes or the keyword is empty. */
static size_t keyword(const uint8_t *d, size_t n, char key[80])
{
    size_t lim = n < 80 ? n : 80;
    const uint8_t *z = memchr(d, 0, lim);
    if (!z || z == d)
        return 0;
    size_t k = (size_t)(z - d);
    memcpy(key, d, k);
    key[k] = 0;
    return k + 1;
}

static void text_chunk(media_ctx *m, const char *type, uint64_t off, const uint8_t *d, size_t n)
{
    char key[80], where[32];
    snprintf(where, sizeof where, "PNG %s chunk", type);
    size_t k = keyword(d, n, key);
    if (!k) {
        media_anomaly(m, "%s at offset %llu has no keyword terminator", where,
                      (unsigned long long)off);
        return;
    }
    d += k;
    n -= k;
    if (!strcmp(type, "tEXt")) {
        media_text_chunk(m, where, off, key, d, n, false);
    } else if (!strcmp(type, "zTXt")) {
        media_text_chunk(m, where, off, key, d, 0, true);
    } else { /* iTXt: compression flag, method, language\0, translated keyword\0, text */
        if (n < 2) {
            media_anomaly(m, "%s at offset %llu is truncated after its keyword", where,
                          (unsigned long long)off);
            return;
        }
        bool compressed = d[0] != 0;
        size_t i = 2;
        for (int field = 0; field < 2; field++) {
            const uint8_t *z = i < n ? memchr(d + i, 0, n - i) : NULL;
            if (!z) {
                media_anomaly(m, "%s at offset %llu lacks its language/translation fields", where,
                              (unsigned long long)off);
                return;
            }
            i = (size_t)(z - d) + 1;
        }
        media_text_chunk(m, where, off, key, d + i, compressed ? 0 : n - i, compressed);
    }
}

void media_png(media_ctx *m, const uint8_t *p, size_t n)
{
    size_t pos = 8;
    unsigned index = 0;
    bool iend = false;
    while (pos < n) {
        if (n - pos < 12) {
            media_anomaly(m, "truncated chunk header at offset %zu (%zu bytes left)", pos, n - pos);
            return;
        }
        uint32_t len = rd32be(p + pos);
        const uint8_t *type = p + pos + 4;
        char name[5] = {0};
        memcpy(name, type, 4);
        if (!is_letter(type[0]) || !is_letter(type[1]) || !is_letter(type[2]) ||
            !is_letter(type[3])) {
            media_anomaly(m, "invalid chunk type at offset %zu", pos);
            return;
        }
        if (len > 0x7FFFFFFFu || len > n - pos - 12) {
            media_anomaly(m, "chunk '%s' at offset %zu declares %u bytes, %zu remain", name, pos,
                          len, n - pos - 12);
            return;
        }
        if (index == 0 && strcmp(name, "IHDR"))
            media_anomaly(m, "first chunk is '%s', not IHDR", name);
        /* Image data is most of the file; its CRC can be left unchecked
         * (check_data_crc = false) to save ~25 us per MB (PCLMULQDQ) or
         * ~0.2 ms per MB (tables). */
        bool data = !strcmp(name, "IDAT") || !strcmp(name, "fdAT");
        uint32_t stored = rd32be(p + pos + 8 + len), computed = stored;
        if (m->st->check_data_crc || !data)
            computed = trawl__crc32(&m->st->crc, 0, type, 4 + (size_t)len);
        if (stored != computed)
            media_anomaly(m,
                          "CRC mismatch in chunk '%s' at offset %zu (stored %08x, computed %08x)",
                          name, pos, stored, computed);
        const uint8_t *d = p + pos + 8;
        if (!strcmp(name, "tEXt") || !strcmp(name, "zTXt") || !strcmp(name, "iTXt"))
            text_chunk(m, name, pos, d, len);
        else if (!strcmp(name, "eXIf"))
            media_exif(m, "PNG eXIf chunk", pos + 8, d, len);
        else if (!strcmp(name, "caBX"))
            media_jumbf(m, "PNG caBX chunk", pos + 8, d, len);
        pos += 12 + (size_t)len;
        index++;
        if (!strcmp(name, "IEND")) {
            iend = true;
            break;
        }
        if (m->oom)
            return;
    }
    if (!iend)
        media_anomaly(m, "no IEND chunk (file ends at offset %zu)", n);
    else if (pos < n)
        media_anomaly(m, "%zu bytes after IEND at offset %zu", n - pos, pos);
}
