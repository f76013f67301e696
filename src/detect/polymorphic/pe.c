/* polymorphic/pe.c -- a bounded PE reader: the DOS header, e_lfanew, the COFF file
 * header, the optional header (PE32 or PE32+), the certificate data
 * directory, and the section table. Nothing else (no imports, no
 * resources).
 *
 * Input is hostile: each read is checked against the buffer, e_lfanew must
 * leave room for the headers, the section count is capped at 96 (the
 * loader's own limit) and POLY_MAX_SECTIONS. */
#include <string.h>

#include "detect/polymorphic/poly.h"

static uint64_t le(const uint8_t *p, size_t n, uint64_t off, unsigned w)
{
    if (off > n || w > n - off)
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)p[off + i] << (8 * i);
    return v;
}

static void problem(poly_image *img, const char *what, uint64_t off)
{
    if (!img->problem) {
        img->problem = what;
        img->problem_offset = off;
    }
}

#define SCN_CNT_CODE    0x00000020u
#define SCN_MEM_EXECUTE 0x20000000u
#define SCN_MEM_WRITE   0x80000000u
#define PE_MAX_SECTIONS 96

static void read_section(const uint8_t *p, size_t n, uint64_t o, poly_image *img)
{
    poly_section *s = &img->sections[img->n_sections++];
    memset(s, 0, sizeof *s);
    size_t k = 0;
    for (size_t i = 0; i < 8 && p[o + i]; i++) {
        uint8_t c = p[o + i];
        s->name[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    s->name[k] = 0;
    s->vsize = le(p, n, o + 8, 4);
    s->addr = le(p, n, o + 12, 4);
    uint64_t raw = le(p, n, o + 16, 4);
    s->offset = le(p, n, o + 20, 4);
    uint32_t ch = (uint32_t)le(p, n, o + 36, 4);
    s->exec = (ch & (SCN_MEM_EXECUTE | SCN_CNT_CODE)) != 0;
    s->write = (ch & SCN_MEM_WRITE) != 0;
    s->code = (ch & SCN_CNT_CODE) != 0;
    s->alloc = true;
    if (s->vsize == 0)
        s->vsize = raw; /* the loader maps SizeOfRawData when VirtualSize is 0 */
    if (raw && s->offset < n) {
        s->size = raw > n - s->offset ? n - s->offset : raw;
        if (s->size < raw)
            problem(img, "section raw data past the end of the file", o);
        if (s->offset + s->size > img->end)
            img->end = s->offset + s->size;
    } else if (raw) {
        problem(img, "section raw data starts past the end of the file", o);
    }
}

static void locate_entry(poly_image *img, size_t n)
{
    img->entry_section = img->entry_segment = -1;
    if (!img->has_entry)
        return;
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (img->entry < s->addr || img->entry - s->addr >= s->vsize)
            continue;
        img->entry_section = (int)i;
        uint64_t d = img->entry - s->addr;
        if (d < s->size && s->offset + d < n) {
            img->entry_mapped = true;
            img->entry_offset = s->offset + d;
        }
        return;
    }
}

bool poly_pe_parse(const uint8_t *p, size_t n, poly_image *img)
{
    memset(img, 0, sizeof *img);
    img->entry_section = img->entry_segment = -1;
    if (n < 0x40 || p[0] != 'M' || p[1] != 'Z')
        return false;
    uint64_t lfanew = le(p, n, 0x3c, 4);
    if (lfanew < 4 || lfanew > n || n - lfanew < 24 || memcmp(p + lfanew, "PE\0\0", 4) != 0)
        return false;
    img->fmt = POLY_FMT_PE;
    uint64_t coff = lfanew + 4;
    img->machine = (uint16_t)le(p, n, coff, 2);
    unsigned nsec = (unsigned)le(p, n, coff + 2, 2);
    unsigned optsz = (unsigned)le(p, n, coff + 16, 2);
    unsigned chars = (unsigned)le(p, n, coff + 18, 2);
    img->type = (chars & 0x2000) ? 1 : 0;
    uint64_t opt = coff + 20;
    img->end = opt;
    unsigned magic = (unsigned)le(p, n, opt, 2);
    if (optsz >= 28 && opt + 28 <= n && (magic == 0x10b || magic == 0x20b)) {
        img->bits = magic == 0x20b ? 64 : 32;
        img->entry = le(p, n, opt + 16, 4);
        img->has_entry = img->entry != 0;
        /* Data directory 4 (certificates) holds a file offset, not an RVA. */
        uint64_t dd = opt + (magic == 0x20b ? 112 : 96);
        uint64_t ndd = le(p, n, dd - 4, 4);
        if (ndd > 4 && dd + 5 * 8 <= opt + optsz) {
            img->cert_offset = le(p, n, dd + 32, 4);
            img->cert_size = le(p, n, dd + 36, 4);
        }
    } else {
        problem(img, "optional header missing or of unknown magic", opt);
    }
    if (nsec > PE_MAX_SECTIONS) {
        problem(img, "more than 96 sections", coff + 2);
        nsec = PE_MAX_SECTIONS;
    }
    img->n_sections_declared = nsec;
    uint64_t st = opt + optsz;
    for (unsigned i = 0; i < nsec && img->n_sections < POLY_MAX_SECTIONS; i++) {
        uint64_t o = st + 40ull * i;
        if (o > n || n - o < 40) {
            problem(img, "section table past the end of the file", o);
            break;
        }
        if (o + 40 > img->end)
            img->end = o + 40;
        read_section(p, n, o, img);
    }
    locate_entry(img, n);
    return true;
}
