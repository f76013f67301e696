/* fuzz_url.c -- the shadow_ai URL/host parser and the ai_endpoints rule
 * file parser on hostile bytes. The first byte picks the mode: URL parse
 * (then match the host against the shipped rule pack and an allowlist),
 * bare host normalisation, or the rule file parser. Parsed hosts must obey
 * what the parser promises: lowercase host bytes only, no empty label, at
 * most 253 bytes, a port in range. */
#include <stdlib.h>
#include <string.h>

#include "common/embedded.h"
#include "detect/shadow_ai/shadow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static shadow_rules rules;
static int rules_ready;

static void check_host(const char *h, bool ipv6)
{
    size_t n = strlen(h);
    if (n > 253 || (n && h[n - 1] == '.'))
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.' || (ipv6 && c == ':');
        if (!ok || (c == '.' && (i == 0 || h[i - 1] == '.')))
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rules_ready) {
        const emb_rule_pack *p = emb_rules_find("ai_endpoints");
        if (!p || shadow_rules_parse(p->text, p->len, &rules, NULL) != TRAWL_OK)
            __builtin_trap();
        rules_ready = 1;
    }
    if (size < 1)
        return 0;
    unsigned mode = data[0] % 3;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    if (mode == 0) {
        shadow_url u;
        shadow_url_error e;
        if (!shadow_url_parse(s, n, &u, &e)) {
            if (!e.reason || e.offset > n)
                __builtin_trap();
            return 0;
        }
        check_host(u.host, u.ipv6);
        if (u.port < -1 || u.port > 65535 || strlen(u.path) >= SHADOW_PATH_MAX)
            __builtin_trap();
        shadow_match m;
        if (shadow_rules_match(&rules, u.host, u.path[0] ? u.path : NULL, &m) && !m.ep)
            __builtin_trap();
        char *items[] = {".openai.com", "api.anthropic.com"};
        shadow_allow a = {items, 2};
        (void)shadow_allow_match(&a, u.host, NULL);
    } else if (mode == 1) {
        char out[SHADOW_HOST_MAX];
        shadow_url_error e;
        if (shadow_host_normalise(s, n, out, &e))
            check_host(out, false);
    } else {
        shadow_rules r;
        if (shadow_rules_parse(s, n, &r, NULL) == TRAWL_OK) {
            shadow_match m;
            (void)shadow_rules_match(&r, "api.example.com", "/v1/x", &m);
            shadow_rules_free(&r);
        }
    }
    return 0;
}
