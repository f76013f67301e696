/* test_serve_ring.c -- the event ring behind Last-Event-ID replay: ids grow
 * by one, a replay returns exactly the events after the given id that the
 * filter takes, oldest first; overwritten events and events cut for room
 * are named by a gap record with the exact id range; a record too long for
 * a slot is neither kept nor numbered. Checked against a list model of the
 * same pushes. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/internal.h"

static uint64_t push(srv_ring *r, unsigned bit, const char *data)
{
    char rec[SRV_EVENT_MAX];
    size_t n;
    return trawl__serve_ring_push(r, "k", bit, 0, data, rec, sizeof(rec), &n);
}

/* The ids of the "id: N" records in text, and the gap range if any. */
static size_t ids_of(const char *text, uint64_t *ids, size_t cap, uint64_t gap[2])
{
    size_t n = 0;
    gap[0] = gap[1] = 0;
    const char *g = strstr(text, "event: gap\ndata: {\"from\":");
    if (g)
        assert_int_equal(
            sscanf(g, "event: gap\ndata: {\"from\":%" SCNu64 ",\"to\":%" SCNu64, &gap[0], &gap[1]),
            2);
    for (const char *p = text; (p = strstr(p, "id: ")) && n < cap; p += 4)
        ids[n++] = strtoull(p + 4, NULL, 10);
    return n;
}

static void test_replay_after_id(void **state)
{
    (void)state;
    srv_ring *r = trawl__serve_ring_new(8);
    assert_non_null(r);
    assert_int_equal(trawl__serve_ring_last(r), 0);
    for (unsigned i = 1; i <= 5; i++)
        assert_int_equal(push(r, 1, "{\"x\":1}"), i);
    char out[8192];
    uint64_t last, ids[16], gap[2];
    size_t w = trawl__serve_ring_replay(r, 2, NULL, NULL, out, sizeof(out) - 1, &last);
    out[w] = '\0';
    size_t n = ids_of(out, ids, 16, gap);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[2], 5);
    assert_int_equal(last, 5);
    assert_int_equal(gap[0], 0); /* nothing lost */
    /* nothing newer: empty, last unchanged */
    assert_int_equal(trawl__serve_ring_replay(r, 5, NULL, NULL, out, sizeof(out), &last), 0);
    assert_int_equal(last, 5);
    assert_int_equal(trawl__serve_ring_replay(r, 99, NULL, NULL, out, sizeof(out), &last), 0);
    trawl__serve_ring_free(r);
}

static void test_overwritten_events_are_named(void **state)
{
    (void)state;
    srv_ring *r = trawl__serve_ring_new(4);
    for (unsigned i = 1; i <= 10; i++)
        push(r, 1, "{}");
    char out[8192];
    uint64_t last, ids[16], gap[2];
    size_t w = trawl__serve_ring_replay(r, 2, NULL, NULL, out, sizeof(out) - 1, &last);
    out[w] = '\0';
    size_t n = ids_of(out, ids, 16, gap);
    /* ids 7..10 kept; 3..6 are gone */
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 7);
    assert_int_equal(gap[0], 3);
    assert_int_equal(gap[1], 6);
    assert_true(strstr(out, "event: gap") < strstr(out, "id: 7")); /* the gap comes first */
    trawl__serve_ring_free(r);
}

static bool only_bit2(void *ud, const srv_event *e)
{
    (void)ud;
    return e->bit == 2;
}

static void test_filter_and_room(void **state)
{
    (void)state;
    srv_ring *r = trawl__serve_ring_new(64);
    for (unsigned i = 1; i <= 40; i++)
        push(r, i % 2 ? 1 : 2, "{\"padding\":\"................................\"}");
    char out[8192];
    uint64_t last, ids[64], gap[2];
    size_t w = trawl__serve_ring_replay(r, 0, only_bit2, NULL, out, sizeof(out) - 1, &last);
    out[w] = '\0';
    size_t n = ids_of(out, ids, 64, gap);
    assert_int_equal(n, 20);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], 2 * (i + 1));
    assert_int_equal(gap[0], 0);
    /* room for only a few: the newest that fit, and a gap naming the rest */
    size_t cap = 64 + 3 * 80;
    w = trawl__serve_ring_replay(r, 10, only_bit2, NULL, out, cap, &last);
    assert_true(w <= cap);
    out[w < sizeof(out) ? w : sizeof(out) - 1] = '\0';
    n = ids_of(out, ids, 64, gap);
    assert_true(n >= 1 && n <= 3);
    assert_int_equal(ids[n - 1], 40);
    assert_int_equal(last, 40);
    assert_int_equal(gap[0], 11);
    assert_int_equal(gap[1], ids[0] - 1);
    trawl__serve_ring_free(r);
}

static void test_bounds(void **state)
{
    (void)state;
    assert_null(trawl__serve_ring_new(0));
    assert_null(trawl__serve_ring_new(SRV_RING_MAX + 1));
    srv_ring *r = trawl__serve_ring_new(2);
    char big[SRV_EVENT_MAX + 10];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(push(r, 1, big), 0); /* too long: not kept, no id used */
    assert_int_equal(push(r, 1, "{}"), 1);
    char rec[SRV_EVENT_MAX];
    size_t n;
    uint64_t id = trawl__serve_ring_push(r, NULL, 1, 3, "{\"a\":2}", rec, sizeof(rec), &n);
    assert_int_equal(id, 2);
    assert_int_equal(n, strlen("id: 2\nevent: threat\ndata: {\"a\":2}\n\n"));
    assert_memory_equal(rec, "id: 2\nevent: threat\ndata: {\"a\":2}\n\n", n);
    trawl__serve_ring_free(r);
    trawl__serve_ring_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_after_id),
        cmocka_unit_test(test_overwritten_events_are_named),
        cmocka_unit_test(test_filter_and_room),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
