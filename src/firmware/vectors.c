/* vectors.c -- finding a Cortex-M vector table in a raw image.
 *
 * Word 0 is the initial stack pointer: word-aligned, in SRAM (0x1FFE0000 to
 * 0x200FFFFF covers the families trawl knows) or in STM32's core-coupled
 * RAM (0x10000000 to 0x1000FFFF). Word 1 is the reset vector and words 2
 * and 3 the NMI and HardFault handlers: all odd (Thumb). Words 4 to 15 are
 * handlers or reserved: 0 or odd. Every handler lies within one image's
 * span of the reset vector. External interrupt vectors follow while they
 * keep those rules, up to 240. */
#include "firmware/fw_int.h"

#include <string.h>

#define CORE_WORDS 16u
#define MAX_WORDS  256u
#define SEARCH     65536u
#define ALIGN      128u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool sp_ok(uint32_t sp)
{
    if (sp & 3)
        return false;
    return (sp > 0x1FFE0000u && sp <= 0x20100000u) || (sp > 0x10000000u && sp <= 0x10010000u);
}

/* A handler word: odd, and within len of the reset vector. */
static bool handler_ok(uint32_t h, uint32_t reset, size_t len)
{
    if (!(h & 1))
        return false;
    uint64_t d = h > reset ? (uint64_t)h - reset : (uint64_t)reset - h;
    return d < len;
}

static bool core_ok(const uint8_t *t, size_t len)
{
    uint32_t reset = rd32(t + 4);
    if (!sp_ok(rd32(t)) || !(reset & 1) || reset < 3)
        return false;
    for (unsigned i = 2; i < CORE_WORDS; i++) {
        uint32_t h = rd32(t + 4 * i);
        if (i <= 3 ? !handler_ok(h, reset, len) : (h != 0 && !handler_ok(h, reset, len)))
            return false;
    }
    return true;
}

bool trawl__fw_find_vectors(const uint8_t *d, size_t len, trawl_fw_vectors *v, uint32_t *lo,
                            uint32_t *hi)
{
    memset(v, 0, sizeof(*v));
    for (size_t off = 0; off + 4 * CORE_WORDS <= len && off < SEARCH; off += ALIGN) {
        const uint8_t *t = d + off;
        if (!core_ok(t, len))
            continue;
        uint32_t reset = rd32(t + 4), mn = UINT32_MAX, mx = 0;
        uint32_t seen[MAX_WORDS], n_seen = 0;
        v->found = true;
        v->offset = off;
        v->initial_sp = rd32(t);
        v->reset = reset;
        unsigned i = 1;
        for (; i < MAX_WORDS && off + 4 * (i + 1) <= len; i++) {
            uint32_t h = rd32(t + 4 * i);
            if (i >= CORE_WORDS && h != 0 && !handler_ok(h, reset, len))
                break;
            if (h == 0)
                continue;
            uint32_t a = h & ~1u;
            if (a < mn || a > mx) {
                uint32_t nmn = a < mn ? a : mn, nmx = a > mx ? a : mx;
                if ((uint64_t)nmx - nmn >= len)
                    break; /* handlers cannot all lie in one image */
                mn = nmn;
                mx = nmx;
            }
            v->handlers++;
            bool dup = false;
            for (uint32_t k = 0; k < n_seen && !dup; k++)
                dup = seen[k] == a;
            if (!dup)
                seen[n_seen++] = a;
        }
        v->entries = i;
        v->distinct = n_seen;
        *lo = mn;
        *hi = mx;
        return true;
    }
    return false;
}
