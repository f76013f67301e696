/* proxy.c -- client addresses, trusted proxies, X-Forwarded-For and
 * Forwarded (RFC 7239).
 *
 * Behind nginx every connection comes from the proxy; the client is named
 * in a header the proxy appends to. Such a header is believed only when the
 * peer is a configured trusted proxy, and only as far as the chain of
 * trusted proxies goes: walking the list from the right (the entry the
 * nearest proxy wrote), each trusted hop hands over to the address it
 * reported, and the first untrusted address is the client. Anything a
 * client wrote itself sits to the left of that and is never reached, so a
 * client cannot choose its own address. Header bytes are hostile: every
 * entry is bounded and checked before it is used. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "serve/conn.h"

typedef struct srv_cidr {
    srv_addr net;
    unsigned bits; /* 0..128, over the IPv4-mapped form */
} srv_cidr;

struct srv_proxies {
    size_t n;
    srv_cidr v[];
};

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4(const srv_addr *a)
{
    return !memcmp(a->b, v4_prefix, 12);
}

void trawl__serve_addr_str(const srv_addr *a, char out[SRV_ADDR_STRLEN])
{
    if (is_v4(a))
        inet_ntop(AF_INET, a->b + 12, out, SRV_ADDR_STRLEN);
    else
        inet_ntop(AF_INET6, a->b, out, SRV_ADDR_STRLEN);
}

bool trawl__serve_addr_from_sockaddr(const struct sockaddr *sa, srv_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out->b, v4_prefix, 12);
        memcpy(out->b + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return true;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

static bool all_digits(const char *s, size_t n, size_t max)
{
    if (!n || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool trawl__serve_addr_parse(const char *s, size_t n, srv_addr *out)
{
    char buf[SRV_ADDR_STRLEN];
    if (n && s[0] == '[') { /* [v6] or [v6]:port */
        const char *close = memchr(s, ']', n);
        if (!close)
            return false;
        size_t rest = n - (size_t)(close + 1 - s);
        if (rest && (close[1] != ':' || !all_digits(close + 2, rest - 1, 5)))
            return false;
        s++;
        n = (size_t)(close - s);
        if (n >= sizeof(buf))
            return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return inet_pton(AF_INET6, buf, out->b) == 1;
    }
    const char *colon = memchr(s, ':', n);
    if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) { /* bare v6 */
        if (n >= sizeof(buf))
            return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return inet_pton(AF_INET6, buf, out->b) == 1;
    }
    if (colon) { /* v4:port */
        if (!all_digits(colon + 1, n - (size_t)(colon + 1 - s), 5))
            return false;
        n = (size_t)(colon - s);
    }
    if (n >= 16)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memcpy(out->b, v4_prefix, 12);
    return inet_pton(AF_INET, buf, out->b + 12) == 1;
}

static bool cidr_parse(const char *s, size_t n, srv_cidr *c)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    char buf[SRV_ADDR_STRLEN];
    if (!an || an >= sizeof(buf))
        return false;
    memcpy(buf, s, an);
    buf[an] = '\0';
    unsigned max;
    if (memchr(buf, ':', an)) { /* IPv6, no brackets, no port */
        if (inet_pton(AF_INET6, buf, c->net.b) != 1)
            return false;
        max = 128;
    } else {
        memcpy(c->net.b, v4_prefix, 12);
        if (inet_pton(AF_INET, buf, c->net.b + 12) != 1)
            return false;
        max = 32;
    }
    unsigned bits = max;
    if (slash) {
        if (!all_digits(slash + 1, n - an - 1, 3))
            return false;
        bits = (unsigned)atoi(slash + 1);
        if (bits > max)
            return false;
    }
    c->bits = bits + 128 - max;
    for (unsigned i = c->bits; i < 128; i++) /* host bits off */
        c->net.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return true;
}

trawl_status trawl__serve_proxies_parse(const char *list, srv_proxies **out, trawl_error *err)
{
    *out = NULL;
    if (!list)
        return TRAWL_OK;
    size_t cap = 1;
    for (const char *p = list; *p; p++) /* entries <= separators + 1 */
        cap += *p == ',' || *p == ' ' || *p == '\t';
    srv_proxies *t = calloc(1, sizeof(*t) + cap * sizeof(t->v[0]));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        if (!n)
            break;
        if (!cidr_parse(p, n, &t->v[t->n])) {
            free(t);
            return trawl__fail(err, TRAWL_EINVAL,
                               "trusted proxies: '%.*s' is not an address or network "
                               "(a.b.c.d[/bits] or an IPv6 address[/bits])",
                               (int)(n > 64 ? 64 : n), p);
        }
        t->n++;
        p += n;
    }
    if (!t->n) {
        free(t);
        return TRAWL_OK;
    }
    *out = t;
    return TRAWL_OK;
}

void trawl__serve_proxies_free(srv_proxies *p)
{
    free(p);
}

bool trawl__serve_proxies_match(const srv_proxies *p, const srv_addr *a)
{
    for (size_t i = 0; p && i < p->n; i++) {
        const srv_cidr *c = &p->v[i];
        unsigned full = c->bits / 8, rem = c->bits % 8;
        if (memcmp(a->b, c->net.b, full))
            continue;
        if (rem && ((a->b[full] ^ c->net.b[full]) & (uint8_t)(0xffu << (8 - rem))))
            continue;
        return true;
    }
    return false;
}

/* ---- the header lists ----------------------------------------------------- */

#define MAX_HOPS 64

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Keeps the rightmost MAX_HOPS entries. */
typedef struct hops {
    span v[MAX_HOPS];
    size_t n, first; /* ring: v[(first + i) % MAX_HOPS] */
} hops;

static void hops_push(hops *h, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (h->n < MAX_HOPS) {
        h->v[(h->first + h->n++) % MAX_HOPS] = (span){p, n};
    } else {
        h->v[h->first] = (span){p, n};
        h->first = (h->first + 1) % MAX_HOPS;
    }
}

/* Splits at commas outside quoted strings. */
static void split_list(hops *h, const char *s)
{
    const char *start = s;
    bool quoted = false;
    for (const char *p = s;; p++) {
        if (!*p || (*p == ',' && !quoted)) {
            hops_push(h, start, (size_t)(p - start));
            if (!*p)
                return;
            start = p + 1;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if (*p == '\\' && quoted && p[1]) {
            p++;
        }
    }
}

/* The for= value of one Forwarded element (quotes removed), or n = 0. */
static span forwarded_for(span e)
{
    const char *p = e.p, *end = e.p + e.n;
    while (p < end) {
        const char *semi = p;
        bool quoted = false;
        while (semi < end && (*semi != ';' || quoted)) {
            if (*semi == '"')
                quoted = !quoted;
            semi++;
        }
        const char *q = p;
        while (q < semi && (*q == ' ' || *q == '\t'))
            q++;
        if (semi - q > 4 && !strncasecmp(q, "for=", 4)) {
            span v = {q + 4, (size_t)(semi - q - 4)};
            while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
                v.n--;
            if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
                v.p++;
                v.n -= 2;
            }
            if (memchr(v.p, '"', v.n) || memchr(v.p, '\\', v.n))
                return (span){NULL, 0};
            return v;
        }
        p = semi + 1;
    }
    return (span){NULL, 0};
}

bool trawl__serve_forwarded_client(const srv_proxies *p, const char *const *values, size_t n,
                                   bool rfc7239, srv_addr *client)
{
    hops h = {.n = 0};
    for (size_t i = 0; i < n; i++)
        if (values[i])
            split_list(&h, values[i]);
    srv_addr cur = *client;
    bool changed = false;
    for (size_t k = h.n; k-- > 0;) {
        if (!trawl__serve_proxies_match(p, &cur))
            break; /* cur is not a proxy: it is the client */
        span e = h.v[(h.first + k) % MAX_HOPS];
        if (rfc7239)
            e = forwarded_for(e);
        srv_addr a;
        if (!e.n || !trawl__serve_addr_parse(e.p, e.n, &a))
            break;
        cur = a;
        changed = true;
    }
    *client = cur;
    return changed;
}
