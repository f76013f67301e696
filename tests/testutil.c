/* testutil.c -- see testutil.h. */
#include "testutil.h"

#include <stdlib.h>
#include <sys/stat.h>

void tu_seed(tu_rng *r, uint64_t seed)
{
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint64_t tu_next(tu_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint32_t tu_below(tu_rng *r, uint32_t n)
{
    return (uint32_t)((tu_next(r) >> 32) % n);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long tu_unhex(const char *hex, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        int hi = hexval(hex[0]);
        int lo = hi < 0 ? -1 : hexval(hex[1]);
        if (lo < 0 || n == cap)
            return -1;
        buf[n++] = (uint8_t)(hi << 4 | lo);
        hex += 2;
    }
    return (long)n;
}

const char *tu_shared_data(void)
{
    const char *d = getenv("TRAWL_SHARED_DATA");
    struct stat st;
    if (d && stat(d, &st) == 0 && S_ISDIR(st.st_mode))
        return d;
    return NULL;
}
