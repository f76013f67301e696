/* polymorphic/elf.c -- a bounded ELF reader: ELF32 and ELF64, little and big
 * endian. Reads the file header, the program headers, the section headers
 * and the section names from .shstrtab; nothing else.
 *
 * Input is hostile: every field read goes through rd*(), which returns 0
 * outside the buffer; table sizes are multiplied in 64 bits after the count
 * is capped; a table that does not fit is recorded as a problem and read as
 * far as it goes. */
#include <string.h>

#include "detect/polymorphic/poly.h"

typedef struct rd {
    const uint8_t *p;
    size_t n;
    bool be;
} rd;

static uint64_t rdn(const rd *r, uint64_t off, unsigned w)
{
    if (off > r->n || w > r->n - off)
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++) {
        unsigned sh = r->be ? 8 * (w - 1 - i) : 8 * i;
        v |= (uint64_t)r->p[off + i] << sh;
    }
    return v;
}

static void problem(poly_image *img, const char *what, uint64_t off)
{
    if (!img->problem) {
        img->problem = what;
        img->problem_offset = off;
    }
}

static uint64_t clip_len(uint64_t off, uint64_t len, size_t n)
{
    if (off >= n)
        return 0;
    return len > n - off ? n - off : len;
}

static void note_end(poly_image *img, uint64_t off, uint64_t len, size_t n)
{
    uint64_t l = clip_len(off, len, n);
    if (l && off + l > img->end)
        img->end = off + l;
}

static void copy_name(char *dst, const uint8_t *p, size_t n, uint64_t off)
{
    size_t k = 0;
    while (off < n && p[off] && k + 1 < POLY_NAME_MAX) {
        uint8_t c = p[off++];
        dst[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[k] = 0;
}

#define PT_LOAD       1
#define SHT_NOBITS    8
#define SHF_WRITE     1u
#define SHF_ALLOC     2u
#define SHF_EXECINSTR 4u

static void read_segments(const rd *r, poly_image *img, uint64_t phoff, unsigned phentsize,
                          unsigned phnum)
{
    bool w64 = img->bits == 64;
    img->n_segments_declared = phnum;
    if (!phnum)
        return;
    if (phentsize < (w64 ? 56u : 32u)) {
        problem(img, "e_phentsize too small", w64 ? 54 : 42);
        return;
    }
    for (unsigned i = 0; i < phnum && img->n_segments < POLY_MAX_SEGMENTS; i++) {
        uint64_t o = phoff + (uint64_t)i * phentsize;
        if (o < phoff || o > r->n || phentsize > r->n - o) {
            problem(img, "program header table past the end", o);
            break;
        }
        poly_segment *s = &img->segments[img->n_segments++];
        s->type = (uint32_t)rdn(r, o, 4);
        uint32_t flags = (uint32_t)(w64 ? rdn(r, o + 4, 4) : rdn(r, o + 24, 4));
        s->offset = w64 ? rdn(r, o + 8, 8) : rdn(r, o + 4, 4);
        s->vaddr = w64 ? rdn(r, o + 16, 8) : rdn(r, o + 8, 4);
        uint64_t filesz = w64 ? rdn(r, o + 32, 8) : rdn(r, o + 16, 4);
        s->memsz = w64 ? rdn(r, o + 40, 8) : rdn(r, o + 20, 4);
        s->x = flags & 1;
        s->w = flags & 2;
        s->r = flags & 4;
        s->filesz = clip_len(s->offset, filesz, r->n);
        if (s->filesz < filesz)
            problem(img, "segment extends past the end of the file", o);
        note_end(img, s->offset, filesz, r->n);
        note_end(img, o, phentsize, r->n);
    }
}

static void read_sections(const rd *r, poly_image *img, uint64_t shoff, unsigned shentsize,
                          unsigned shnum, unsigned shstrndx)
{
    bool w64 = img->bits == 64;
    img->n_sections_declared = shnum;
    if (!shnum)
        return;
    if (shentsize < (w64 ? 64u : 40u)) {
        problem(img, "e_shentsize too small", w64 ? 58 : 46);
        return;
    }
    uint64_t stroff = 0, strsz = 0;
    if (shstrndx < shnum) {
        uint64_t o = shoff + (uint64_t)shstrndx * shentsize;
        stroff = w64 ? rdn(r, o + 24, 8) : rdn(r, o + 16, 4);
        strsz = clip_len(stroff, w64 ? rdn(r, o + 32, 8) : rdn(r, o + 20, 4), r->n);
    }
    for (unsigned i = 0; i < shnum && img->n_sections < POLY_MAX_SECTIONS; i++) {
        uint64_t o = shoff + (uint64_t)i * shentsize;
        if (o < shoff || o > r->n || shentsize > r->n - o) {
            problem(img, "section header table past the end", o);
            break;
        }
        note_end(img, o, shentsize, r->n);
        if (i == 0)
            continue; /* SHN_UNDEF */
        poly_section *s = &img->sections[img->n_sections++];
        memset(s, 0, sizeof *s);
        uint32_t name = (uint32_t)rdn(r, o, 4);
        uint32_t type = (uint32_t)rdn(r, o + 4, 4);
        uint64_t flags = w64 ? rdn(r, o + 8, 8) : rdn(r, o + 8, 4);
        s->addr = w64 ? rdn(r, o + 16, 8) : rdn(r, o + 12, 4);
        s->offset = w64 ? rdn(r, o + 24, 8) : rdn(r, o + 16, 4);
        uint64_t size = w64 ? rdn(r, o + 32, 8) : rdn(r, o + 20, 4);
        s->vsize = size;
        s->exec = s->code = flags & SHF_EXECINSTR;
        s->write = flags & SHF_WRITE;
        s->alloc = flags & SHF_ALLOC;
        if (name < strsz)
            copy_name(s->name, r->p, (size_t)(stroff + strsz), stroff + name);
        if (type != SHT_NOBITS) {
            s->size = clip_len(s->offset, size, r->n);
            if (s->size < size)
                problem(img, "section extends past the end of the file", o);
            note_end(img, s->offset, size, r->n);
        }
    }
}

static void locate_entry(poly_image *img)
{
    img->entry_section = img->entry_segment = -1;
    if (!img->has_entry)
        return;
    for (size_t i = 0; i < img->n_segments; i++) {
        const poly_segment *s = &img->segments[i];
        if (s->type != PT_LOAD || img->entry < s->vaddr || img->entry - s->vaddr >= s->memsz)
            continue;
        img->entry_segment = (int)i;
        uint64_t d = img->entry - s->vaddr;
        if (d < s->filesz) {
            img->entry_mapped = true;
            img->entry_offset = s->offset + d;
        }
        break;
    }
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (s->alloc && img->entry >= s->addr && img->entry - s->addr < s->vsize) {
            img->entry_section = (int)i;
            break;
        }
    }
}

bool poly_elf_parse(const uint8_t *p, size_t n, poly_image *img)
{
    memset(img, 0, sizeof *img);
    img->entry_section = img->entry_segment = -1;
    if (n < 16 || memcmp(p,
                         "\x7f"
                         "ELF",
                         4) != 0)
        return false;
    if ((p[4] != 1 && p[4] != 2) || (p[5] != 1 && p[5] != 2))
        return false;
    rd r = {p, n, p[5] == 2};
    img->fmt = POLY_FMT_ELF;
    img->bits = p[4] == 2 ? 64 : 32;
    img->big_endian = r.be;
    bool w64 = img->bits == 64;
    size_t ehsize = w64 ? 64 : 52;
    if (n < ehsize) {
        problem(img, "file header truncated", n);
        img->end = n;
        return true;
    }
    img->type = (uint16_t)rdn(&r, 16, 2);
    img->machine = (uint16_t)rdn(&r, 18, 2);
    img->entry = w64 ? rdn(&r, 24, 8) : rdn(&r, 24, 4);
    img->has_entry = img->entry != 0;
    uint64_t phoff = w64 ? rdn(&r, 32, 8) : rdn(&r, 28, 4);
    uint64_t shoff = w64 ? rdn(&r, 40, 8) : rdn(&r, 32, 4);
    unsigned b = w64 ? 54 : 42; /* e_phentsize onwards */
    unsigned phentsize = (unsigned)rdn(&r, b, 2), phnum = (unsigned)rdn(&r, b + 2, 2);
    unsigned shentsize = (unsigned)rdn(&r, b + 4, 2), shnum = (unsigned)rdn(&r, b + 6, 2);
    unsigned shstrndx = (unsigned)rdn(&r, b + 8, 2);
    img->end = ehsize;
    if (phoff)
        read_segments(&r, img, phoff, phentsize, phnum);
    if (shoff)
        read_sections(&r, img, shoff, shentsize, shnum, shstrndx);
    locate_entry(img);
    return true;
}
