/* shadow_ai/url.c -- what host does this string name? A URL parser for the
 * shadow_ai detector.
 *
 * The question is adversarial: someone hiding traffic to an AI API writes
 * the URL the way a browser or HTTP client still accepts but a naive check
 * does not ("https://x@API.OpenAI.com.:443/", percent-encoded dots, tabs in
 * the middle, fullwidth dots). So the host is taken the way clients take it
 * (userinfo dropped, case folded, percent-decoded, tab/CR/LF removed, the
 * NFKC forms of '.' and of fullwidth ASCII mapped to ASCII, one trailing
 * dot dropped), and whatever still is not a host name is refused with the
 * reason and the byte offset, so that the caller can report it rather than
 * wave it through. Full IDNA (punycode) is not done: other non-ASCII hosts
 * are refused. */
#include <string.h>

#include "detect/shadow_ai/shadow.h"
#include "common/codec.h"

typedef struct cur {
    const unsigned char *s;
    size_t n, i;
} cur;

/* Browsers remove ASCII tab, LF and CR anywhere in a URL. */
static bool skippable(unsigned char c)
{
    return c == '\t' || c == '\n' || c == '\r';
}

static int peek(cur *c)
{
    while (c->i < c->n && skippable(c->s[c->i]))
        c->i++;
    return c->i < c->n ? c->s[c->i] : -1;
}

static bool fail(shadow_url_error *e, const char *reason, size_t offset)
{
    if (e) { /* no_host is set by the one caller it applies to, before this */
        e->reason = reason;
        e->offset = offset;
    }
    return false;
}

static bool host_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool is_end_of_authority(int c)
{
    return c < 0 || c == '/' || c == '?' || c == '#' || c == '\\';
}

/* Reads one host byte at c (after percent-decoding and the NFKC mappings),
 * advancing past it. -1 with *e filled when the bytes are not a host byte. */
static int host_byte(cur *c, shadow_url_error *e)
{
    size_t at = c->i;
    int ch = peek(c);
    c->i++;
    if (ch == '%') {
        int h = peek(c) >= 0 ? trawl__hexval(c->s[c->i]) : -1;
        c->i++;
        int l = peek(c) >= 0 ? trawl__hexval(c->s[c->i]) : -1;
        c->i++;
        if (h < 0 || l < 0)
            return fail(e, "bad percent-encoding in host", at), -1;
        ch = h * 16 + l;
        if (ch >= 0x80)
            return fail(e, "percent-encoded non-ASCII byte in host", at), -1;
    } else if (ch == 0xE3 || ch == 0xEF) {
        /* U+3002 ideographic full stop (E3 80 82), U+FF0E fullwidth full
         * stop (EF BC 8E), U+FF61 halfwidth ideographic full stop (EF BD
         * A1) are '.' to IDNA; U+FF01..U+FF5E fullwidth ASCII is ASCII. */
        if (c->i + 2 > c->n)
            return fail(e, "non-ASCII byte in host", at), -1;
        unsigned b1 = c->s[c->i], b2 = c->s[c->i + 1];
        c->i += 2;
        if (ch == 0xE3 && b1 == 0x80 && b2 == 0x82)
            ch = '.';
        else if (ch == 0xEF && b1 == 0xBD && b2 == 0xA1)
            ch = '.';
        else if (ch == 0xEF && b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF)
            ch = (int)(b2 - 0x81 + 0x21);
        else if (ch == 0xEF && b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E)
            ch = (int)(b2 - 0x80 + 0x60);
        else
            return fail(e, "non-ASCII host (IDNA is not supported)", at), -1;
    } else if (ch >= 0x80) {
        return fail(e, "non-ASCII host (IDNA is not supported)", at), -1;
    }
    if (ch >= 'A' && ch <= 'Z')
        ch += 'a' - 'A';
    if (!host_char(ch))
        return fail(e,
                    ch < 0x20 || ch == 0x7f ? "control character in host"
                                            : "invalid character in host",
                    at),
               -1;
    return ch;
}

/* Checks label lengths and drops one trailing dot. */
static bool host_check(char *h, size_t *len, size_t start, shadow_url_error *e)
{
    if (*len && h[*len - 1] == '.')
        h[--*len] = 0;
    if (*len == 0)
        return fail(e, "empty host", start);
    if (*len > 253)
        return fail(e, "host longer than 253 bytes", start);
    size_t label = 0;
    for (size_t i = 0; i <= *len; i++) {
        if (i == *len || h[i] == '.') {
            if (label == 0)
                return fail(e, "empty label in host", start);
            if (label > 63)
                return fail(e, "label longer than 63 bytes in host", start);
            label = 0;
        } else {
            label++;
        }
    }
    return true;
}

/* A registered name up to the end of the authority or ':' (or, for a bare
 * host, the end of the input). */
static bool reg_name(cur *c, char *out, shadow_url_error *e, bool bare)
{
    size_t start = c->i, len = 0;
    for (;;) {
        /* Fast path: plain host bytes need no decoding. */
        while (c->i < c->n && len < SHADOW_HOST_MAX - 2) {
            unsigned char b = c->s[c->i];
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b + 32);
            else if (!host_char(b))
                break;
            out[len++] = (char)b;
            c->i++;
        }
        int ch = peek(c);
        if (ch < 0 || (!bare && (ch == ':' || is_end_of_authority(ch))))
            break;
        int b = host_byte(c, e);
        if (b < 0)
            return false;
        if (len >= SHADOW_HOST_MAX - 2)
            return fail(e, "host longer than 253 bytes", start);
        out[len++] = (char)b;
    }
    out[len] = 0;
    return host_check(out, &len, start, e);
}

/* A dotted-quad IPv4 address (the tail of an IPv6 literal). */
static bool ipv4_ok(const char *s, size_t n)
{
    unsigned parts = 0, digits = 0, v = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || digits > 3 || v > 255 || ++parts > 4)
                return false;
            digits = v = 0;
        } else if (s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            return false;
        }
    }
    return parts == 4;
}

/* RFC 4291 2.2 text forms: eight groups of 1-4 hex digits, one "::" for a
 * run of zero groups, an IPv4 dotted quad for the last two groups. */
static bool ipv6_ok(const char *s, size_t n)
{
    size_t groups = 0, i = 0;
    bool gap = false;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
    } else if (n && s[0] == ':') {
        return false;
    }
    while (i < n) {
        size_t j = i;
        while (j < n && trawl__hexval(s[j]) >= 0 && j - i < 5)
            j++;
        if (j < n && s[j] == '.') {
            if (!ipv4_ok(s + i, n - i))
                return false;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4)
            return false;
        groups++;
        if (j == n)
            break;
        if (s[j] != ':' || j + 1 == n)
            return false;
        if (s[j + 1] == ':') {
            if (gap)
                return false;
            gap = true;
            i = j + 2;
        } else {
            i = j + 1;
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

static bool ipv6_literal(cur *c, shadow_url *u, shadow_url_error *e)
{
    size_t start = c->i;
    c->i++; /* '[' */
    size_t len = 0;
    for (;;) {
        int ch = peek(c);
        if (ch < 0 || is_end_of_authority(ch))
            return fail(e, "unterminated IPv6 literal", start);
        c->i++;
        if (ch == ']')
            break;
        if (ch >= 'A' && ch <= 'F')
            ch += 'a' - 'A';
        if (ch == '%')
            return fail(e, "zone identifier in IPv6 literal", c->i - 1);
        if (!(trawl__hexval(ch) >= 0 || ch == ':' || ch == '.'))
            return fail(e, "invalid character in IPv6 literal", c->i - 1);
        if (len >= 45)
            return fail(e, "IPv6 literal longer than 45 bytes", start);
        u->host[len++] = (char)ch;
    }
    u->host[len] = 0;
    if (!ipv6_ok(u->host, len))
        return fail(e, "malformed IPv6 literal", start);
    u->ipv6 = true;
    return true;
}

static bool port_part(cur *c, shadow_url *u, shadow_url_error *e)
{
    size_t start = c->i;
    long v = 0;
    size_t digits = 0;
    for (int ch; (ch = peek(c)) >= 0 && !is_end_of_authority(ch); c->i++) {
        if (ch < '0' || ch > '9')
            return fail(e, "non-digit in port", c->i);
        v = v * 10 + (ch - '0');
        if (v > 65535)
            return fail(e, "port above 65535", start);
        digits++;
    }
    u->port = digits ? (int)v : -1; /* "host:/" has no port, as browsers read it */
    return true;
}

static void path_part(cur *c, shadow_url *u)
{
    size_t len = 0;
    for (; c->i < c->n; c->i++) {
        unsigned char ch = c->s[c->i];
        if (ch == '?' || ch == '#')
            break;
        if (skippable(ch))
            continue;
        if (len + 1 >= SHADOW_PATH_MAX) {
            u->path_truncated = true;
            break;
        }
        u->path[len++] = ch == '\\' ? '/' : (char)ch;
    }
    u->path[len] = 0;
}

static bool scheme_char(unsigned char c, bool first)
{
    bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    return alpha || (!first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

/* The length of "scheme" when the input starts with "scheme:"; 0 otherwise. */
static size_t scheme_len(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n && scheme_char(s[i], i == 0))
        i++;
    return i > 0 && i < n && s[i] == ':' ? i : 0;
}

static bool slash(int ch)
{
    return ch == '/' || ch == '\\';
}

bool shadow_url_parse(const char *s, size_t len, shadow_url *u, shadow_url_error *e)
{
    memset(u, 0, sizeof(*u));
    if (e)
        e->no_host = false;
    u->port = -1;
    /* Leading and trailing C0 controls and spaces are stripped, as browsers do. */
    size_t a = 0;
    while (a < len && (unsigned char)s[a] <= 0x20)
        a++;
    while (len > a && (unsigned char)s[len - 1] <= 0x20)
        len--;
    cur c = {(const unsigned char *)s, len, a};
    if (a == len)
        return fail(e, "empty URL", a);
    size_t sl = scheme_len(c.s + a, len - a);
    if (sl) {
        cur after = {c.s, len, a + sl + 1};
        int c1 = peek(&after);
        after.i++;
        int c2 = peek(&after);
        if (slash(c1) && slash(c2)) {
            if (sl >= sizeof(u->scheme))
                return fail(e, "scheme longer than 15 bytes", a);
            for (size_t i = 0; i < sl; i++)
                u->scheme[i] = (char)(c.s[a + i] | 0x20);
            c.i = after.i + 1;
        } else if (!(c1 >= '0' && c1 <= '9')) {
            /* "mailto:x", "data:..." -- no authority; "host:8080" falls through. */
            if (e)
                e->no_host = true;
            return fail(e, "scheme without '//' names no host", a);
        }
    } else if (slash(peek(&c))) {
        cur after = c;
        after.i++;
        if (!slash(peek(&after)))
            return fail(e, "a path, not a URL", a);
        c.i = after.i + 1;
    }
    /* userinfo: everything up to the last '@' of the authority */
    size_t auth = c.i, at = (size_t)-1;
    for (size_t i = auth; i < len && !is_end_of_authority(c.s[i]); i++)
        if (c.s[i] == '@')
            at = i;
    if (at != (size_t)-1) {
        u->has_userinfo = true;
        c.i = at + 1;
    }
    if (peek(&c) == '[') {
        if (!ipv6_literal(&c, u, e))
            return false;
    } else if (!strcmp(u->scheme, "file") && is_end_of_authority(peek(&c))) {
        u->host[0] = 0; /* file:///path: a local file, no host */
    } else if (!reg_name(&c, u->host, e, false)) {
        return false;
    }
    int ch = peek(&c);
    if (ch == ':') {
        c.i++;
        if (!port_part(&c, u, e))
            return false;
    } else if (!is_end_of_authority(ch)) {
        return fail(e, "unexpected character after host", c.i);
    }
    if (slash(peek(&c)))
        path_part(&c, u);
    return true;
}

bool shadow_host_normalise(const char *s, size_t len, char *out, shadow_url_error *e)
{
    cur c = {(const unsigned char *)s, len, 0};
    return reg_name(&c, out, e, true);
}
