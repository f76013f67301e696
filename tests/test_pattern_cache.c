/* test_pattern_cache.c -- the compiled-database cache: a second compile is
 * a hit and scans exactly as a fresh compile; stale, damaged, foreign,
 * truncated or group-writable entries are never used and are replaced
 * silently; cache trouble never fails a compile. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trawl/trawl.h>

#include "testutil.h"

typedef struct fixture {
    char dir[256];
    trawl_pattern_set *set; /* slow enough to compile to be stored */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/trawl-cache-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    strcat(f->dir, "/sub/trawl"); /* created on first store */
    assert_int_equal(trawl_pattern_set_new(&f->set), TRAWL_OK);
    tu_rng r;
    tu_seed(&r, 18);
    for (int i = 0; i < 10; i++) {
        char p[128];
        int n = snprintf(p, sizeof p, "%c%c[a-z]{1,4}.{0,%u}%c", 'a' + tu_below(&r, 26),
                         'a' + tu_below(&r, 26), 1 + tu_below(&r, 6), 'a' + tu_below(&r, 26));
        char name[32];
        snprintf(name, sizeof name, "r%d", i);
        trawl_error err;
        assert_int_equal(trawl_pattern_set_add(f->set, p, (size_t)n, TRAWL_SYNTAX_REGEX,
                                               TRAWL_PATTERN_NOCASE, name, &err),
                         TRAWL_OK);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(f->dir) - strlen("/sub/trawl")),
             f->dir);
    assert_int_equal(system(cmd), 0);
    trawl_pattern_set_free(f->set);
    free(f);
    return 0;
}

/* The one entry in the directory (the test stores one key at a time). */
static void entry_path(const fixture *f, char *path, size_t cap)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tdb")) {
            snprintf(path, cap, "%s/%s", f->dir, e->d_name);
            found++;
        }
    closedir(d);
    assert_int_equal(found, 1);
}

static trawl_cache_outcome compile(const fixture *f, unsigned flags, trawl_pattern_db **db)
{
    trawl_cache_outcome oc = (trawl_cache_outcome)-1;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile_cached(f->set, flags, f->dir, db, &oc, &err), TRAWL_OK);
    return oc;
}

static int add(const trawl_match *m, void *user)
{
    uint64_t *h = user;
    *h = *h * 1000003u + m->offset * 31u + m->length * 7u + m->pattern;
    h[1]++;
    return 0;
}

/* A digest of every match over the same pseudo-random text. */
static void digest(const trawl_pattern_db *db, uint64_t out[2])
{
    static uint8_t text[1 << 16];
    tu_rng r;
    tu_seed(&r, 7);
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)(i % 50 ? 'a' + tu_below(&r, 26) : tu_below(&r, 256));
    trawl_scratch *s = NULL;
    trawl_error err;
    out[0] = out[1] = 0;
    assert_int_equal(trawl_scratch_alloc(db, &s, &err), TRAWL_OK);
    assert_int_equal(trawl_scan(db, s, text, sizeof text, 0, add, out, &err), TRAWL_OK);
    trawl_scratch_free(s);
}

static void expect_same(const trawl_pattern_db *a, const trawl_pattern_db *b)
{
    uint64_t da[2], db[2];
    digest(a, da);
    digest(b, db);
    assert_true(da[1] > 0);
    assert_int_equal(da[0], db[0]);
    assert_int_equal(da[1], db[1]);
}

static void test_store_then_hit(void **state)
{
    fixture *f = *state;
    trawl_pattern_db *fresh, *a, *b;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile(f->set, &fresh, &err), TRAWL_OK);
    assert_int_equal(compile(f, 0, &a), TRAWL_CACHE_STORED);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char path[512];
    entry_path(f, path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0);
    assert_int_equal(compile(f, 0, &b), TRAWL_CACHE_HIT);
    expect_same(fresh, a);
    expect_same(fresh, b);
    /* it streams too: the stream database came back */
    trawl_stream *s = NULL;
    assert_int_equal(trawl_stream_open(b, 0, 0, &s, &err), TRAWL_OK);
    trawl_stream_free(s);
    /* names and texts come back */
    trawl_pattern_info ia, ib;
    assert_int_equal(trawl_pattern_info_get(b, 9, &ib), TRAWL_OK);
    assert_int_equal(trawl_pattern_info_get(fresh, 9, &ia), TRAWL_OK);
    assert_string_equal(ia.name, ib.name);
    assert_string_equal(ia.expression, ib.expression);
    trawl_pattern_db_free(fresh);
    trawl_pattern_db_free(a);
    trawl_pattern_db_free(b);
}

/* Writes bytes at off of the entry (or truncates it to off when n == 0). */
static void damage(const char *path, long off, const void *bytes, size_t n)
{
    if (n == 0) {
        assert_int_equal(truncate(path, off), 0);
        return;
    }
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    if (off < 0)
        fseek(fp, off, SEEK_END);
    else
        fseek(fp, off, SEEK_SET);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    fclose(fp);
}

static void expect_recompiled(fixture *f)
{
    trawl_pattern_db *fresh, *db;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile(f->set, &fresh, &err), TRAWL_OK);
    assert_int_equal(compile(f, 0, &db), TRAWL_CACHE_STORED);
    expect_same(fresh, db);
    trawl_pattern_db_free(db);
    assert_int_equal(compile(f, 0, &db), TRAWL_CACHE_HIT); /* repaired */
    trawl_pattern_db_free(db);
    trawl_pattern_db_free(fresh);
}

static void test_damaged_entries_are_replaced(void **state)
{
    fixture *f = *state;
    trawl_pattern_db *db;
    char path[512];
    assert_int_equal(compile(f, 0, &db), TRAWL_CACHE_STORED);
    trawl_pattern_db_free(db);
    entry_path(f, path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* a flipped byte in the Hyperscan bytes, the checksum, the key, the magic */
    damage(path, -100, "\x5a", 1);
    expect_recompiled(f);
    damage(path, 8 + 16 + 8, "\0\0\0\0", 4);
    expect_recompiled(f);
    damage(path, 9, "\x01", 1);
    expect_recompiled(f);
    damage(path, 0, "XRAWL", 5);
    expect_recompiled(f);
    /* truncated, to the header and to nothing */
    damage(path, 40, NULL, 0);
    expect_recompiled(f);
    damage(path, 0, NULL, 0);
    expect_recompiled(f);
    /* a file others may write is not trusted */
    assert_int_equal(chmod(path, 0664), 0);
    expect_recompiled(f);
    /* a symbolic link in its place is not followed */
    char other[600];
    snprintf(other, sizeof other, "%s.real", path);
    assert_int_equal(rename(path, other), 0);
    assert_int_equal(symlink(other, path), 0);
    assert_int_equal(compile(f, 0, &db), TRAWL_CACHE_STORED);
    trawl_pattern_db_free(db);
    struct stat lst;
    assert_int_equal(lstat(path, &lst), 0);
    assert_true(S_ISREG(lst.st_mode)); /* replaced by a real entry */
    unlink(other);
}

/* Another set's entry under this set's name is not this set's database. */
static void test_foreign_entry(void **state)
{
    fixture *f = *state;
    trawl_pattern_db *db;
    char mine[512], theirs[512];
    assert_int_equal(compile(f, TRAWL_COMPILE_BLOCK_ONLY, &db), TRAWL_CACHE_STORED);
    trawl_pattern_db_free(db);
    entry_path(f, theirs, sizeof theirs); /* the block-only entry */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/../keep", f->dir);
    assert_int_equal(rename(theirs, tmp), 0);
    assert_int_equal(compile(f, 0, &db), TRAWL_CACHE_STORED); /* another key */
    trawl_pattern_db_free(db);
    entry_path(f, mine, sizeof mine);
    assert_string_not_equal(mine, theirs);
    assert_int_equal(rename(tmp, mine), 0); /* theirs, named as mine */
    trawl_pattern_db *back;
    assert_int_equal(compile(f, 0, &back), TRAWL_CACHE_STORED);
    trawl_stream *s = NULL;
    trawl_error err;
    assert_int_equal(trawl_stream_open(back, 0, 0, &s, &err), TRAWL_OK); /* not block-only */
    trawl_stream_free(s);
    trawl_pattern_db_free(back);
}

static void test_no_cache_and_unwritable(void **state)
{
    fixture *f = *state;
    trawl_pattern_db *db;
    trawl_cache_outcome oc;
    trawl_error err;
    assert_int_equal(trawl_pattern_compile_cached(f->set, 0, NULL, &db, &oc, &err), TRAWL_OK);
    assert_int_equal(oc, TRAWL_CACHE_OFF);
    trawl_pattern_db_free(db);
    assert_int_equal(trawl_pattern_compile_cached(f->set, 0, "", &db, &oc, &err), TRAWL_OK);
    assert_int_equal(oc, TRAWL_CACHE_OFF);
    trawl_pattern_db_free(db);
    /* a directory below a regular file cannot be made */
    assert_int_equal(trawl_pattern_compile_cached(f->set, 0, "/dev/null/trawl", &db, &oc, &err),
                     TRAWL_OK);
    assert_int_equal(oc, TRAWL_CACHE_UNWRITABLE);
    trawl_pattern_db_free(db);
    /* a quick compile is not worth a file */
    trawl_pattern_set *small;
    assert_int_equal(trawl_pattern_set_new(&small), TRAWL_OK);
    assert_int_equal(trawl_pattern_set_add(small, "ab", 2, TRAWL_SYNTAX_REGEX, 0, NULL, &err),
                     TRAWL_OK);
    assert_int_equal(trawl_pattern_compile_cached(small, 0, f->dir, &db, &oc, &err), TRAWL_OK);
    assert_int_equal(oc, TRAWL_CACHE_SKIPPED);
    trawl_pattern_db_free(db);
    trawl_pattern_set_free(small);
    /* compile errors are still errors */
    trawl_pattern_set *empty;
    assert_int_equal(trawl_pattern_set_new(&empty), TRAWL_OK);
    assert_int_equal(trawl_pattern_compile_cached(empty, 0, f->dir, &db, &oc, &err), TRAWL_EINVAL);
    assert_null(db);
    trawl_pattern_set_free(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_then_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entries_are_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_cache_and_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
