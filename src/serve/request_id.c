/* request_id.c -- the id of a request (X-Request-Id), for replies, the
 * access log and events, so one request can be followed through a fleet.
 *
 * A client's (or a proxy's) X-Request-Id is kept when it is 1..64 bytes of
 * [A-Za-z0-9._:-]; anything else could inject into logs and is replaced. A
 * generated id is 32 hex digits from a per-thread generator seeded from
 * getrandom(): unique enough to correlate, cheap (no syscall per request),
 * not a secret. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "serve/internal.h"

static bool well_formed(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return n > 0;
}

static uint64_t next(void)
{
    static _Thread_local uint64_t x;
    if (!x) {
        if (getrandom(&x, sizeof x, 0) != (ssize_t)sizeof x || !x) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&x;
            x |= 1;
        }
    }
    x ^= x >> 12; /* xorshift64* */
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1DULL;
}

void trawl__serve_request_id(const char *given, char out[65])
{
    if (given && well_formed(given)) {
        strcpy(out, given);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (int w = 0; w < 2; w++) {
        uint64_t v = next();
        for (int i = 0; i < 16; i++)
            out[w * 16 + i] = hex[(v >> (4 * i)) & 15];
    }
    out[32] = 0;
}
