/* test_serve_auth.c -- SHA-256 against the FIPS 180-4 examples, API key
 * files (parse errors name the line), constant-time lookup, token buckets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/internal.h"
#include "testutil.h"

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha(const char *msg, size_t n, const char *want)
{
    uint8_t d[32];
    char h[65];
    trawl__sha256(msg, n, d);
    hex(d, h);
    assert_string_equal(h, want);
}

static void test_sha256_vectors(void **st)
{
    (void)st;
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    check_sha(m2, strlen(m2), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    check_sha(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static char *write_keys(const char *text)
{
    char *path = strdup("/tmp/trawl-keys-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* sha256("alpha") and sha256("beta") */
#define ALPHA "8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8"
#define BETA  "f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf2753"

static void test_keys_file(void **st)
{
    (void)st;
    char *p = write_keys("# keys\n\nops sha256:" ALPHA "   # comment\nci sha256:" BETA " 2 3\n");
    srv_keys *t;
    trawl_error e;
    assert_int_equal(trawl__serve_keys_load(p, &t, &e), TRAWL_OK);
    srv_key *k = trawl__serve_keys_find(t, "alpha", 5);
    assert_non_null(k);
    assert_string_equal(trawl__serve_key_name(k), "ops");
    assert_null(trawl__serve_keys_find(t, "alphb", 5));
    k = trawl__serve_keys_find(t, "beta", 4); /* the last entry is found too */
    assert_non_null(k);
    assert_string_equal(trawl__serve_key_name(k), "ci");
    k = trawl__serve_keys_find(t, "alpha", 5);
    assert_null(trawl__serve_keys_find(t, "", 0));
    /* unlimited key: never waits */
    for (int i = 0; i < 100; i++)
        assert_true(trawl__serve_key_take(k) == 0);
    trawl__serve_keys_free(t);
    unlink(p);
    free(p);

    p = write_keys("ops sha256:" ALPHA "\nbad sha256:12zz\n");
    assert_int_equal(trawl__serve_keys_load(p, &t, &e), TRAWL_ESYNTAX);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.message, "the digest must be sha256: and 64 hex digits");
    unlink(p);
    free(p);
    p = write_keys("ops sha256:" ALPHA " fast\n");
    assert_int_equal(trawl__serve_keys_load(p, &t, &e), TRAWL_ESYNTAX);
    assert_string_equal(e.message, "expected NAME sha256:HEX [RATE [BURST]] [admin]");
    unlink(p);
    free(p);
    assert_int_equal(trawl__serve_keys_load("/nonexistent/keys", &t, &e), TRAWL_EIO);
    /* admin keys; tenants differ per key, never 0 */
    p = write_keys("root sha256:" ALPHA " admin\nci sha256:" BETA " 5 admin\n");
    assert_int_equal(trawl__serve_keys_load(p, &t, &e), TRAWL_OK);
    srv_key *ka = trawl__serve_keys_find(t, "alpha", 5), *kb = trawl__serve_keys_find(t, "beta", 4);
    assert_true(trawl__serve_key_admin(ka) && trawl__serve_key_admin(kb));
    assert_true(trawl__serve_key_rate(kb) == 5);
    assert_true(trawl__serve_key_tenant(ka) &&
                trawl__serve_key_tenant(ka) != trawl__serve_key_tenant(kb));
    trawl__serve_keys_free(t);
    unlink(p);
    free(p);
    p = write_keys("ops sha256:" ALPHA "\n");
    assert_int_equal(trawl__serve_keys_load(p, &t, &e), TRAWL_OK);
    assert_false(trawl__serve_key_admin(trawl__serve_keys_find(t, "alpha", 5)));
    trawl__serve_keys_free(t);
    unlink(p);
    free(p);
}

static void test_rate_bucket(void **st)
{
    (void)st;
    char *p = write_keys("lim sha256:" ALPHA " 20 2\n");
    srv_keys *t;
    assert_int_equal(trawl__serve_keys_load(p, &t, NULL), TRAWL_OK);
    srv_key *k = trawl__serve_keys_find(t, "alpha", 5);
    assert_true(trawl__serve_key_take(k) == 0); /* burst of 2 */
    assert_true(trawl__serve_key_take(k) == 0);
    double w = trawl__serve_key_take(k);
    assert_true(w > 0 && w <= 0.05 + 1e-9); /* one token per 50 ms */
    usleep(60000);
    assert_true(trawl__serve_key_take(k) == 0);
    /* a reload keeps the bucket of an unchanged key */
    srv_keys *t2;
    assert_int_equal(trawl__serve_keys_load(p, &t2, NULL), TRAWL_OK);
    trawl__serve_keys_carry(t2, t);
    trawl__serve_keys_retire(t2, t);
    assert_true(trawl__serve_key_take(trawl__serve_keys_find(t2, "alpha", 5)) > 0);
    trawl__serve_keys_free(t2);
    unlink(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_keys_file),
        cmocka_unit_test(test_rate_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
