/* shadow_ai/net.c -- the names a packet payload asks for: DNS question names,
 * the TLS ClientHello server_name, the HTTP/1.x Host.
 *
 * Payloads come from captures and are hostile. Each parser reads lengths in
 * the order the format defines them and checks each against the bytes that
 * are there (and against the enclosing length) before using it; DNS
 * compression pointers may only point backwards and are followed a bounded
 * number of times. Nothing allocates. */
#include <string.h>

#include "detect/shadow_ai/shadow.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* ---- DNS (RFC 1035 4.1) ------------------------------------------------- */

#define DNS_HEADER    12
#define DNS_MAX_JUMPS 16

static bool dns_label_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Reads the name at *pos into out; *pos moves past the name as it appears
 * at *pos (a pointer counts 2 bytes). */
static bool dns_name(const uint8_t *p, size_t n, size_t *pos, char *out)
{
    size_t i = *pos, len = 0, end = 0;
    unsigned jumps = 0;
    bool jumped = false;
    for (;;) {
        if (i >= n)
            return false;
        uint8_t l = p[i];
        if ((l & 0xC0) == 0xC0) {
            if (i + 1 >= n)
                return false;
            size_t target = (size_t)(l & 0x3F) << 8 | p[i + 1];
            /* Backwards only: a pointer to itself or forward could loop. */
            if (target >= i || target < DNS_HEADER || ++jumps > DNS_MAX_JUMPS)
                return false;
            if (!jumped) {
                end = i + 2;
                jumped = true;
            }
            i = target;
            continue;
        }
        if (l & 0xC0)
            return false; /* 0x40 / 0x80: extended and reserved label types */
        if (l == 0) {
            if (!jumped)
                end = i + 1;
            break;
        }
        if (i + 1 + l > n || len + l + 1 > 253)
            return false;
        if (len)
            out[len++] = '.';
        for (size_t k = 0; k < l; k++) {
            uint8_t c = p[i + 1 + k];
            if (!dns_label_char(c))
                return false;
            out[len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        i += 1 + (size_t)l;
    }
    if (len == 0)
        return false; /* the root: names nothing */
    out[len] = 0;
    *pos = end;
    return true;
}

size_t shadow_dns_questions(const uint8_t *p, size_t n, char (*names)[SHADOW_HOST_MAX], size_t max,
                            bool *is_query)
{
    if (n < DNS_HEADER)
        return 0;
    uint16_t flags = be16(p + 2), qd = be16(p + 4);
    if (((flags >> 11) & 0xF) != 0)
        return 0; /* opcode: only standard queries carry names to check */
    *is_query = !(flags & 0x8000);
    size_t pos = DNS_HEADER, got = 0;
    for (uint16_t q = 0; q < qd && got < max; q++) {
        if (!dns_name(p, n, &pos, names[got]))
            break;
        if (pos + 4 > n)
            break; /* qtype and qclass must be there */
        pos += 4;
        got++;
    }
    return got;
}

/* ---- TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3) --------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
} rd;

static bool need(const rd *r, size_t k)
{
    return r->n - r->i >= k;
}

static bool skip_vec(rd *r, unsigned lenbytes)
{
    if (!need(r, lenbytes))
        return false;
    size_t l = lenbytes == 1 ? r->p[r->i] : be16(r->p + r->i);
    r->i += lenbytes;
    if (!need(r, l))
        return false;
    r->i += l;
    return true;
}

static bool sni_extension(const uint8_t *p, size_t n, char *out)
{
    if (n < 2)
        return false;
    size_t list = be16(p);
    if (list > n - 2)
        return false;
    rd r = {p + 2, list, 0};
    while (need(&r, 3)) {
        uint8_t type = r.p[r.i];
        size_t l = be16(r.p + r.i + 1);
        r.i += 3;
        if (!need(&r, l))
            return false;
        if (type == 0) { /* host_name */
            shadow_url_error e;
            return shadow_host_normalise((const char *)r.p + r.i, l, out, &e);
        }
        r.i += l;
    }
    return false;
}

bool shadow_tls_sni(const uint8_t *p, size_t n, char *out)
{
    if (n < 5 + 4 || p[0] != 0x16 || p[1] != 0x03 || p[2] > 0x04)
        return false;
    size_t rec = be16(p + 3);
    if (rec < 4 || rec > (1u << 14) + 2048)
        return false;
    if (rec > n - 5)
        rec = n - 5; /* cut short by the capture: read what is there */
    const uint8_t *h = p + 5;
    if (h[0] != 0x01)
        return false; /* not a ClientHello */
    size_t hl = be24(h + 1);
    rd r = {h + 4, hl < rec - 4 ? hl : rec - 4, 0};
    if (!need(&r, 2 + 32))
        return false;
    if (r.p[0] != 0x03)
        return false;
    r.i = 2 + 32;
    if (!skip_vec(&r, 1) || !skip_vec(&r, 2) || !skip_vec(&r, 1))
        return false; /* session_id, cipher_suites, compression_methods */
    if (!need(&r, 2))
        return false;
    size_t ext = be16(r.p + r.i);
    r.i += 2;
    if (ext > r.n - r.i)
        ext = r.n - r.i;
    rd x = {r.p + r.i, ext, 0};
    while (need(&x, 4)) {
        uint16_t type = be16(x.p + x.i);
        size_t l = be16(x.p + x.i + 2);
        x.i += 4;
        if (!need(&x, l))
            return false;
        if (type == 0)
            return sni_extension(x.p + x.i, l, out);
        x.i += l;
    }
    return false;
}

/* ---- HTTP/1.x request (RFC 9112 3, 3.2) -------------------------------------- */

static const char *const methods[] = {"GET",     "POST",  "PUT",   "DELETE", "HEAD",
                                      "OPTIONS", "PATCH", "TRACE", "CONNECT"};

static size_t line_end(const uint8_t *p, size_t n, size_t from, size_t *next)
{
    const uint8_t *nl = memchr(p + from, '\n', n - from);
    if (!nl)
        return (size_t)-1;
    size_t e = (size_t)(nl - p);
    *next = e + 1;
    return e > from && p[e - 1] == '\r' ? e - 1 : e;
}

static bool ieq_prefix(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if ((p[i] | 0x20) != (s[i] | 0x20))
            return false;
    return true;
}

static bool authority_host(const uint8_t *p, size_t n, char *host)
{
    shadow_url u;
    shadow_url_error e;
    if (n == 0 || !shadow_url_parse((const char *)p, n, &u, &e) || u.scheme[0] || !u.host[0] ||
        u.path[0])
        return false;
    memcpy(host, u.host, sizeof(u.host));
    return true;
}

bool shadow_http_host(const uint8_t *p, size_t n, char *host, char *path, size_t path_cap)
{
    size_t next = 0, e = line_end(p, n, 0, &next);
    if (e == (size_t)-1 || e > 8192)
        return false;
    size_t m = 0;
    const char *method = NULL;
    for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]) && !method; k++) {
        size_t ml = strlen(methods[k]);
        if (e > ml && !memcmp(p, methods[k], ml) && p[ml] == ' ') {
            method = methods[k];
            m = ml + 1;
        }
    }
    if (!method)
        return false;
    const uint8_t *sp = memchr(p + m, ' ', e - m);
    if (!sp || sp == p + m)
        return false;
    size_t tl = (size_t)(sp - p) - m, vs = (size_t)(sp - p) + 1;
    if (e - vs != 8 || memcmp(p + vs, "HTTP/1.", 7) || p[vs + 7] < '0' || p[vs + 7] > '9')
        return false;
    const uint8_t *target = p + m;
    host[0] = 0;
    if (path_cap)
        path[0] = 0;
    if (!strcmp(method, "CONNECT")) {
        if (!authority_host(target, tl, host))
            return false;
    } else if (target[0] != '/') {
        shadow_url u; /* absolute-form: its host wins over Host (RFC 9112 3.2.2) */
        shadow_url_error ue;
        if (!shadow_url_parse((const char *)target, tl, &u, &ue) || !u.scheme[0] || !u.host[0])
            return false;
        memcpy(host, u.host, sizeof(u.host));
        if (path_cap) {
            size_t pl = strlen(u.path) < path_cap - 1 ? strlen(u.path) : path_cap - 1;
            memcpy(path, u.path, pl);
            path[pl] = 0;
        }
        return true;
    } else if (path_cap) {
        size_t pl = 0;
        while (pl < tl && pl < path_cap - 1 && target[pl] != '?' && target[pl] != '#')
            pl++;
        memcpy(path, target, pl);
        path[pl] = 0;
    }
    if (host[0])
        return true;
    for (size_t i = next; i < n;) {
        size_t nx, le = line_end(p, n, i, &nx);
        if (le == (size_t)-1)
            le = nx = n; /* the capture cut the last header line: use what is there */
        if (le == i)
            break; /* blank line: end of headers */
        if (ieq_prefix(p + i, le - i, "host:")) {
            size_t a = i + 5, b = le;
            while (a < b && (p[a] == ' ' || p[a] == '\t'))
                a++;
            while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
                b--;
            return authority_host(p + a, b - a, host);
        }
        i = nx;
    }
    return false;
}
