/* framing.c -- where a request ends must be beyond doubt (conn.h says why).
 *
 * Accepted: no body header; one Content-Length (libmicrohttpd has checked
 * it is all digits); one Transfer-Encoding whose value is exactly
 * "chunked" (any case) in HTTP/1.1. Refused: two Content-Length headers
 * (even equal: RFC 9112 allows merging them, a proxy may not), two
 * Transfer-Encoding headers, Content-Length with Transfer-Encoding, any
 * other coding or list ("gzip", "gzip, chunked", "chunked " -- trailing
 * space kept by libmicrohttpd), Transfer-Encoding in HTTP/1.0, and header
 * names that are not RFC 9110 tokens ("Transfer-Encoding : chunked", which
 * libmicrohttpd files under another name while a proxy may not).
 *
 * Folded header lines (obs-fold, a line starting with white space) are
 * appended by libmicrohttpd 0.9.75 to the previous header's *name*:
 * "Content-Length: 2
 0" arrives as a header "Content-Length0" with
 * the value "2", no Content-Length at all, and the body becomes the next
 * request. The raw lines are not visible here, so two rules catch what
 * folding can do to framing: a name that is not a token (a folded line
 * with a space or colon in it), and a name that begins with
 * "Content-Length" or "Transfer-Encoding" without being it. */
#include <string.h>
#include <strings.h>

#include "serve/conn.h"

/* RFC 9110 token: 1*tchar. */
static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c && strchr(extra, c))))
            return false;
    }
    return true;
}

void trawl__serve_framing_add(srv_framing *f, const char *name, const char *value)
{
    bool cl = !strncasecmp(name, "Content-Length", 14);
    bool te = !strncasecmp(name, "Transfer-Encoding", 17);
    if (!is_token(name) || (cl && name[14]) || (te && name[17]))
        f->bad_name = true;
    if (cl) {
        f->n_cl++;
    } else if (te) {
        f->n_te++;
        f->te_chunked = value && !strcasecmp(value, "chunked");
    }
}

const char *trawl__serve_framing_verdict(const srv_framing *f, bool http10)
{
    if (f->bad_name)
        return "a header name that is not a token, or a folded framing header";
    if (f->n_cl > 1)
        return "more than one Content-Length header";
    if (f->n_te > 1)
        return "more than one Transfer-Encoding header";
    if (f->n_te && f->n_cl)
        return "both Content-Length and Transfer-Encoding";
    if (f->n_te && http10)
        return "Transfer-Encoding in an HTTP/1.0 request";
    if (f->n_te && !f->te_chunked)
        return "a Transfer-Encoding other than 'chunked'";
    return NULL;
}

static enum MHD_Result add(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    if (key)
        trawl__serve_framing_add(cls, key, value);
    return MHD_YES;
}

const char *trawl__serve_framing_check(struct MHD_Connection *c, const char *version)
{
    srv_framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, add, &f);
    return trawl__serve_framing_verdict(&f, version && !strcmp(version, MHD_HTTP_VERSION_1_0));
}
