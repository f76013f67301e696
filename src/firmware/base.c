/* base.c -- the load address of a Cortex-M image.
 *
 * A candidate base is scored by the code pointers it explains: odd words of
 * the image (Thumb function addresses in literal pools, vector tables,
 * function-pointer tables) that, with this base, land on a function entry
 * (PUSH {..., LR}, 16-bit 0xB5xx or 32-bit STMDB SP!, {..., LR}) inside the
 * image. The right base makes many land; a wrong one almost none (the idea
 * of binbloom and of the base-address finders that followed it).
 *
 * With a vector table the candidates are the bases that put every handler
 * inside the image and the table on a 128-byte boundary (VTOR's alignment):
 * first those on a 1 KiB grid (flash pages and sectors are coarser still),
 * then, if none explains enough pointers, every 128 bytes (at most 16,384
 * candidates). Without a table: the usual flash addresses and the region
 * where the image's odd words cluster. */
#include "firmware/fw_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 16384u
#define MAX_POINTERS   65536u
#define MIN_VOTES      4u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool entry_at(const uint8_t *d, size_t len, uint64_t t)
{
    if (t + 2 > len || (t & 1))
        return false;
    if (d[t + 1] == 0xB5)
        return true; /* PUSH {..., LR} */
    return t + 4 <= len && d[t] == 0x2D && d[t + 1] == 0xE9 && (d[t + 3] & 0x40);
}

static uint32_t votes_for(const uint8_t *d, size_t len, const uint32_t *ptr, size_t n, uint32_t b)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = ptr[i] & ~1u;
        if (a >= b && (uint64_t)(a - b) < len && entry_at(d, len, a - b))
            v++;
    }
    return v;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Odd words below 0x20000000 (code lives in flash or ROM), or within the
 * handlers' span when a table gave one. */
static size_t pointers(const uint8_t *d, size_t len, uint64_t lo, uint64_t hi, uint32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i + 4 <= len && n < MAX_POINTERS; i += 4) {
        uint32_t w = rd32(d + i);
        if ((w & 1) && w >= lo && w < hi)
            out[n++] = w;
    }
    return n;
}

static void best_of(const uint8_t *d, size_t len, const uint32_t *ptr, size_t n, uint64_t from,
                    uint64_t to, uint64_t step, uint64_t phase, uint32_t *base, uint32_t *votes)
{
    if (to < from)
        return;
    uint64_t first = from + ((phase % step) + step - from % step) % step;
    unsigned k = 0;
    for (uint64_t b = first; b <= to && b <= UINT32_MAX && k < MAX_CANDIDATES; b += step, k++) {
        uint32_t v = votes_for(d, len, ptr, n, (uint32_t)b);
        if (v > *votes) {
            *votes = v;
            *base = (uint32_t)b;
        }
    }
}

static const uint32_t usual[] = {0x00000000u, 0x08000000u, 0x10000000u, 0x00400000u,
                                 0x00080000u, 0x1A000000u, 0x00001000u, 0x00026000u};

bool trawl__fw_estimate_base(const uint8_t *d, size_t len, const trawl_fw_vectors *v, uint32_t lo,
                             uint32_t hi, uint32_t *base, const char **how, uint32_t *votes)
{
    uint32_t *ptr = malloc(MAX_POINTERS * sizeof(*ptr));
    if (!ptr)
        return false;
    *base = 0;
    *votes = 0;
    if (v && v->found) {
        /* every handler inside [base + table end, base + len) */
        uint64_t table_end = v->offset + 4ull * v->entries;
        uint64_t from = hi + 1 > len ? hi + 1 - len : 0;
        uint64_t to = lo >= table_end ? lo - table_end : 0;
        size_t n = pointers(d, len, from, to + len, ptr);
        /* the table sits on a 128-byte boundary of the file, and VTOR
         * needs one in memory: the base is a multiple of 128 */
        best_of(d, len, ptr, n, from, to, 0x400, 0, base, votes);
        if (*votes < MIN_VOTES)
            best_of(d, len, ptr, n, from, to, 0x80, 0, base, votes);
        *how = "vector table + code pointers";
        if (*votes < MIN_VOTES) {
            /* too few pointers to tell: the lowest base the table allows,
             * rounded to the usual flash alignment */
            uint64_t b = (from + 0xFFF) & ~0xFFFull;
            *base = (uint32_t)(b <= to ? b : from);
            *how = "vector table";
        }
        free(ptr);
        return true;
    }
    size_t n = pointers(d, len, 0, 0x20000000u, ptr);
    for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
        uint32_t c = votes_for(d, len, ptr, n, usual[i]);
        if (c > *votes) {
            *votes = c;
            *base = usual[i];
        }
    }
    if (n) {
        uint32_t *s = malloc(n * sizeof(*s));
        if (!s) {
            free(ptr);
            return false;
        }
        memcpy(s, ptr, n * sizeof(*s));
        qsort(s, n, sizeof(*s), cmp_u32);
        uint64_t mid = s[n / 2] & ~0xFFFFull;
        free(s);
        best_of(d, len, ptr, n, mid > len ? mid - len : 0, mid + 0x10000, 0x400, 0, base, votes);
    }
    *how = "code pointers";
    if (*votes < MIN_VOTES) {
        *base = 0;
        *how = "unknown (0 assumed)";
    }
    free(ptr);
    return true;
}
