/* test_serve_conn.c -- the connection-level rules of the server that need
 * no socket: request framing verdicts (framing.c); addresses, trusted
 * proxy lists and the Forwarded / X-Forwarded-For walk (proxy.c). The same
 * rules over real connections: tests/cli/serve_attack_*.sh and
 * tests/cli/serve_proxy.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/conn.h"
#include "testutil.h"

/* The verdict over "Name: value" lines separated by '|'. */
static const char *verdict(const char *headers, bool http10)
{
    static char buf[512];
    srv_framing f = {0};
    snprintf(buf, sizeof(buf), "%s", headers);
    for (char *save = NULL, *h = strtok_r(buf, "|", &save); h; h = strtok_r(NULL, "|", &save)) {
        char *colon = strchr(h, ':');
        assert_non_null(colon);
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        trawl__serve_framing_add(&f, h, v);
    }
    return trawl__serve_framing_verdict(&f, http10);
}

static void test_framing(void **st)
{
    (void)st;
    /* unambiguous */
    assert_null(verdict("Host: x", false));
    assert_null(verdict("Host: x|Content-Length: 12", false));
    assert_null(verdict("Transfer-Encoding: chunked", false));
    assert_null(verdict("transfer-encoding: CHUNKED|Content-Type: a", false));
    assert_null(verdict("Content-Length: 0", true));
    assert_null(verdict("Content-Location: /x|Content-Language: en|Content-Length: 1", false));
    /* refused, with the reason */
    assert_string_equal(verdict("Content-Length: 0|Content-Length: 30", false),
                        "more than one Content-Length header");
    assert_string_equal(verdict("Content-Length: 2|content-length: 2", false),
                        "more than one Content-Length header");
    assert_string_equal(verdict("Transfer-Encoding: chunked|Transfer-Encoding: identity", false),
                        "more than one Transfer-Encoding header");
    assert_string_equal(verdict("Content-Length: 5|Transfer-Encoding: chunked", false),
                        "both Content-Length and Transfer-Encoding");
    assert_string_equal(verdict("Transfer-Encoding: gzip", false),
                        "a Transfer-Encoding other than 'chunked'");
    assert_string_equal(verdict("Transfer-Encoding: chunked ", false),
                        "a Transfer-Encoding other than 'chunked'");
    assert_string_equal(verdict("Transfer-Encoding: gzip, chunked", false),
                        "a Transfer-Encoding other than 'chunked'");
    assert_string_equal(verdict("Transfer-Encoding: chunked", true),
                        "Transfer-Encoding in an HTTP/1.0 request");
    const char *bad = "a header name that is not a token, or a folded framing header";
    assert_string_equal(verdict("Transfer-Encoding : chunked", false), bad);
    assert_string_equal(verdict("X-A\tB: 1", false), bad);
    /* what libmicrohttpd makes of folded lines: the continuation joins the name */
    assert_string_equal(verdict("Content-Length0: 2", false), bad);
    assert_string_equal(verdict("Transfer-Encodingchunked: gzip,", false), bad);
    assert_string_equal(verdict("X-FooTransfer-Encoding;chunked: a", false), bad);
}

static const char *addr_text(const srv_addr *a)
{
    static char buf[SRV_ADDR_STRLEN];
    trawl__serve_addr_str(a, buf);
    return buf;
}

static const char *parsed(const char *s)
{
    srv_addr a;
    if (!trawl__serve_addr_parse(s, strlen(s), &a))
        return "no";
    return addr_text(&a);
}

static void test_addresses(void **st)
{
    (void)st;
    assert_string_equal(parsed("192.0.2.1"), "192.0.2.1");
    assert_string_equal(parsed("192.0.2.1:8080"), "192.0.2.1");
    assert_string_equal(parsed("2001:db8::1"), "2001:db8::1");
    assert_string_equal(parsed("[2001:db8::1]"), "2001:db8::1");
    assert_string_equal(parsed("[2001:db8::1]:443"), "2001:db8::1");
    assert_string_equal(parsed("::ffff:192.0.2.1"), "192.0.2.1"); /* one form for IPv4 */
    const char *bad[] = {"",
                         "192.0.2",
                         "192.0.2.1:",
                         "192.0.2.1:123456",
                         "192.0.2.1:x",
                         "[2001:db8::1",
                         "[::1]x",
                         "unknown",
                         "_hidden",
                         "1.2.3.4 ",
                         "01.2.3.4.5",
                         "[1.2.3.4]",
                         "::1::2",
                         "256.0.0.1",
                         "1.2.3.4:80:80",
                         "[::1]:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        srv_addr a;
        assert_false(trawl__serve_addr_parse(bad[i], strlen(bad[i]), &a));
    }
}

static bool trusted(const srv_proxies *p, const char *addr)
{
    srv_addr a;
    assert_true(trawl__serve_addr_parse(addr, strlen(addr), &a));
    return trawl__serve_proxies_match(p, &a);
}

static void test_proxy_lists(void **st)
{
    (void)st;
    srv_proxies *p;
    trawl_error e;
    assert_int_equal(trawl__serve_proxies_parse("10.0.0.0/8, 192.168.1.1 ,2001:db8::/32", &p, &e),
                     TRAWL_OK);
    assert_true(trusted(p, "10.255.1.2"));
    assert_false(trusted(p, "11.0.0.1"));
    assert_true(trusted(p, "192.168.1.1"));
    assert_false(trusted(p, "192.168.1.2"));
    assert_true(trusted(p, "2001:db8:ffff::5"));
    assert_false(trusted(p, "2001:db9::5"));
    assert_false(trusted(p, "::ffff:11.0.0.1"));
    trawl__serve_proxies_free(p);
    /* host bits of a network are ignored; /0 is everything */
    assert_int_equal(trawl__serve_proxies_parse("10.1.2.3/8 ::/0", &p, &e), TRAWL_OK);
    assert_true(trusted(p, "10.9.9.9") && trusted(p, "2001:db8::1"));
    trawl__serve_proxies_free(p);
    assert_int_equal(trawl__serve_proxies_parse("0.0.0.0/0", &p, &e), TRAWL_OK);
    assert_true(trusted(p, "203.0.113.1") && !trusted(p, "2001:db8::1"));
    trawl__serve_proxies_free(p);
    /* tabs separate too (the fuzzer found a list that outgrew its array) */
    assert_int_equal(trawl__serve_proxies_parse("10.0.0.1\t10.0.0.2\t::1\t10.0.0.4", &p, &e),
                     TRAWL_OK);
    assert_true(trusted(p, "10.0.0.4") && trusted(p, "::1"));
    trawl__serve_proxies_free(p);
    assert_int_equal(trawl__serve_proxies_parse(" , ", &p, &e), TRAWL_OK);
    assert_null(p);
    assert_int_equal(trawl__serve_proxies_parse(NULL, &p, &e), TRAWL_OK);
    assert_null(p);
    const char *bad[] = {"10.0.0.0/33", "10.0.0.1:80", "[::1]",       "::1/129",
                         "10.0.0.0/",   "x",           "10.0.0.0/8/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(trawl__serve_proxies_parse(bad[i], &p, &e), TRAWL_EINVAL);
        assert_non_null(strstr(e.message, bad[i]));
    }
}

/* The client for a peer and header values ('|' between headers). */
static const char *client(const char *proxies, const char *peer, const char *headers, bool fwd)
{
    srv_proxies *p;
    assert_int_equal(trawl__serve_proxies_parse(proxies, &p, NULL), TRAWL_OK);
    srv_addr a;
    assert_true(trawl__serve_addr_parse(peer, strlen(peer), &a));
    char buf[4096];
    const char *v[16];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", headers);
    for (char *save = NULL, *h = strtok_r(buf, "|", &save); h && n < 16;
         h = strtok_r(NULL, "|", &save))
        v[n++] = h;
    trawl__serve_forwarded_client(p, v, n, fwd, &a);
    trawl__serve_proxies_free(p);
    return addr_text(&a);
}

static void test_forwarded_walk(void **st)
{
    (void)st;
    const char *P = "127.0.0.1, 10.0.0.0/8";
    assert_string_equal(client(P, "127.0.0.1", "203.0.113.7", false), "203.0.113.7");
    /* what the client wrote itself is left of the first untrusted hop */
    assert_string_equal(client(P, "127.0.0.1", "1.1.1.1, 203.0.113.7", false), "203.0.113.7");
    assert_string_equal(client(P, "127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5", false),
                        "203.0.113.7");
    assert_string_equal(client(P, "127.0.0.1", "1.1.1.1|203.0.113.7, 10.0.0.5", false),
                        "203.0.113.7");
    /* every hop trusted: the leftmost */
    assert_string_equal(client(P, "127.0.0.1", "10.0.0.9, 10.0.0.5", false), "10.0.0.9");
    /* garbage or unknown ends the walk: the hop to its right stands */
    assert_string_equal(client(P, "127.0.0.1", "203.0.113.7, nonsense", false), "127.0.0.1");
    assert_string_equal(client(P, "127.0.0.1", "203.0.113.7, 10.0.0.5, ", false), "127.0.0.1");
    assert_string_equal(client(P, "127.0.0.1", "203.0.113.7, junk, 10.0.0.5", false), "10.0.0.5");
    assert_string_equal(client(P, "127.0.0.1", "  203.0.113.7 ", false), "203.0.113.7");
    /* an untrusted peer: nothing is believed */
    assert_string_equal(client(P, "192.0.2.1", "203.0.113.7", false), "192.0.2.1");
    /* Forwarded */
    assert_string_equal(client(P, "127.0.0.1", "for=203.0.113.7", true), "203.0.113.7");
    assert_string_equal(client(P, "127.0.0.1", "For=\"[2001:db8::1]:80\";proto=https", true),
                        "2001:db8::1");
    assert_string_equal(
        client(P, "127.0.0.1", "for=1.1.1.1;by=x, proto=http;for=203.0.113.8", true),
        "203.0.113.8");
    assert_string_equal(client(P, "127.0.0.1", "for=unknown", true), "127.0.0.1");
    assert_string_equal(client(P, "127.0.0.1", "for=_hidden, for=10.0.0.3", true), "10.0.0.3");
    assert_string_equal(client(P, "127.0.0.1", "proto=https", true), "127.0.0.1");
    assert_string_equal(client(P, "127.0.0.1", "for=\"1.2.3.4, for=5.6.7.8\"", true), "127.0.0.1");
    /* more than 64 entries: the rightmost 64 are walked */
    char many[4096] = "203.0.113.1";
    for (int i = 0; i < 100; i++)
        strcat(many, ", 10.0.0.1");
    assert_string_equal(client(P, "127.0.0.1", many, false), "10.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_proxy_lists),
        cmocka_unit_test(test_forwarded_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
