/* fuzz_serve_headers.c -- the header rules `trawl serve` applies before a
 * handler runs, on hostile header text: the trusted-proxy list parser,
 * address parsing, the Forwarded / X-Forwarded-For walk, and the framing
 * verdict. Input: a proxy list line, then header lines "Name: value".
 * Checks what the server promises: no crash, hang or leak on any text; an
 * address the walk returns prints and parses back to itself (what the
 * access log and the limits see agree); the framing verdict refuses every
 * request with two length headers. */
#include <stdlib.h>
#include <string.h>

#include "serve/conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    srv_proxies *p = NULL;
    trawl__serve_proxies_parse(text, &p, NULL);
    const char *values[16];
    size_t n = 0;
    srv_framing f = {0};
    unsigned lengths = 0;
    for (char *line = nl ? nl + 1 : NULL, *next; line && n < 16; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        trawl__serve_framing_add(&f, line, colon + 1);
        lengths += !strcmp(line, "Content-Length") || !strcmp(line, "Transfer-Encoding");
        values[n++] = colon + 1;
    }
    if (lengths > 1 && !trawl__serve_framing_verdict(&f, false))
        __builtin_trap();
    srv_addr peer, a;
    trawl__serve_addr_parse("127.0.0.1", 9, &peer);
    a = peer;
    bool fwd = size && (data[0] & 1);
    if (trawl__serve_forwarded_client(p, values, n, fwd, &a)) {
        char s[SRV_ADDR_STRLEN];
        trawl__serve_addr_str(&a, s);
        srv_addr b;
        if (!trawl__serve_addr_parse(s, strlen(s), &b) || memcmp(&a, &b, sizeof(a)))
            __builtin_trap();
    }
    trawl__serve_proxies_free(p);
    free(text);
    return 0;
}
