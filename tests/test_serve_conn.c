/* test_serve_conn.c -- the connection-level rules of the server that need
 * no socket: request framing verdicts (framing.c). The same rules over real
 * connections: tests/cli/serve_attack_*.sh. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
