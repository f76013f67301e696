/* fuzz_dns_sni.c -- the shadow_ai packet payload parsers on hostile bytes:
 * DNS question names (compression pointers), the TLS ClientHello SNI and
 * the HTTP/1.x request Host. Every name they return must be a normalised
 * host name (lowercase host bytes, no empty label, at most 253 bytes). */
#include <string.h>

#include "detect/shadow_ai/shadow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_host(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.' || c == ':';
        if (!ok)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char names[SHADOW_DNS_MAX_QUESTIONS][SHADOW_HOST_MAX];
    bool q;
    size_t k = shadow_dns_questions(data, size, names, SHADOW_DNS_MAX_QUESTIONS, &q);
    if (k > SHADOW_DNS_MAX_QUESTIONS)
        __builtin_trap();
    for (size_t i = 0; i < k; i++)
        check_host(names[i]);
    char host[SHADOW_HOST_MAX], path[64];
    if (shadow_tls_sni(data, size, host))
        check_host(host);
    if (shadow_http_host(data, size, host, path, sizeof(path))) {
        check_host(host);
        if (strlen(path) >= sizeof(path))
            __builtin_trap();
    }
    return 0;
}
