/* frame_testutil.h -- helpers shared by the tests/test_frame_*.c files: run
 * a framer over a buffer (iterator) or over random chunks (reader) and record
 * every unit and fault in order, checking on the way that each span really
 * is the input's bytes at the reported offset. */
#ifndef TRAWL_FRAME_TESTUTIL_H
#define TRAWL_FRAME_TESTUTIL_H

#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/frame.h>

typedef struct ft_event {
    int step; /* TRAWL_FRAME_UNIT or TRAWL_FRAME_FAULT */
    uint64_t index, offset, len, voff, vlen, type, skipped;
    uint32_t depth;
    bool container, terminated;
    int kind;
} ft_event;

typedef struct ft_events {
    ft_event *ev;
    size_t n, cap;
    size_t units, faults;
} ft_events;

static inline void ft_free(ft_events *e)
{
    free(e->ev);
    memset(e, 0, sizeof(*e));
}

static inline ft_event *ft_push(ft_events *e)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->ev = realloc(e->ev, e->cap * sizeof(ft_event));
        assert_non_null(e->ev);
    }
    ft_event *x = &e->ev[e->n++];
    memset(x, 0, sizeof(*x));
    return x;
}

/* Records one step; checks spans against the whole input in[0..n). */
static inline void ft_record(ft_events *e, int step, const trawl_frame_unit *u,
                             const trawl_frame_fault *f, const uint8_t *in, size_t n)
{
    ft_event *x = ft_push(e);
    x->step = step;
    if (step == TRAWL_FRAME_UNIT) {
        assert_true(u->offset <= n && u->data.len <= n - u->offset);
        assert_memory_equal(u->data.ptr, in + u->offset, u->data.len);
        assert_true(u->value.ptr >= u->data.ptr &&
                    u->value.ptr + u->value.len <= u->data.ptr + u->data.len);
        x->index = u->index;
        x->offset = u->offset;
        x->len = u->data.len;
        x->voff = (uint64_t)(u->value.ptr - u->data.ptr);
        x->vlen = u->value.len;
        x->type = u->type;
        x->depth = u->depth;
        x->container = u->container;
        x->terminated = u->terminated;
        e->units++;
    } else {
        assert_int_equal(step, TRAWL_FRAME_FAULT);
        x->index = f->index;
        x->offset = f->offset;
        x->skipped = f->skipped;
        x->kind = (int)f->kind;
        e->faults++;
    }
}

static inline void ft_iter(const trawl_framer *fr, unsigned flags, const uint8_t *p, size_t n,
                           ft_events *e)
{
    trawl_frame_iter *it;
    assert_int_equal(trawl_frame_iter_new(fr, flags, &it, NULL), TRAWL_OK);
    trawl_frame_iter_reset(it, p, n);
    trawl_frame_unit u;
    trawl_frame_fault f;
    int s;
    size_t guard = 0;
    while ((s = trawl_frame_iter_next(it, &u, &f)) != TRAWL_FRAME_END) {
        ft_record(e, s, &u, &f, p, n);
        assert_true(++guard <= 2 * n + 2);
    }
    assert_int_equal(trawl_frame_iter_next(it, &u, &f), TRAWL_FRAME_END);
    trawl_frame_iter_free(it);
}

/* The same through trawl_frame_iter_next_batch with batches of 1..max. */
static inline void ft_iter_batch(const trawl_framer *fr, unsigned flags, const uint8_t *p, size_t n,
                                 size_t max, ft_events *e)
{
    trawl_frame_iter *it;
    assert_int_equal(trawl_frame_iter_new(fr, flags, &it, NULL), TRAWL_OK);
    trawl_frame_iter_reset(it, p, n);
    trawl_frame_unit u[32];
    trawl_frame_fault f;
    assert_true(max >= 1 && max <= 32);
    for (size_t round = 0;; round++) {
        size_t want = 1 + round % max;
        size_t k = trawl_frame_iter_next_batch(it, u, want);
        assert_true(k <= want);
        for (size_t i = 0; i < k; i++)
            ft_record(e, TRAWL_FRAME_UNIT, &u[i], NULL, p, n);
        if (k == want)
            continue;
        int s = trawl_frame_iter_next(it, &u[0], &f);
        if (s == TRAWL_FRAME_END)
            break;
        ft_record(e, s, &u[0], &f, p, n);
    }
    trawl_frame_iter_free(it);
}

/* A read callback serving p[0..n) in chunks: fixed size `chunk`, or random
 * sizes in [1, chunk] when rng is set. */
typedef struct ft_src {
    const uint8_t *p;
    size_t n, pos, chunk;
    tu_rng *rng;
} ft_src;

static inline ssize_t ft_src_read(void *ud, uint8_t *buf, size_t cap)
{
    ft_src *s = ud;
    size_t k = s->chunk;
    if (s->rng)
        k = 1 + tu_below(s->rng, (uint32_t)s->chunk);
    if (k > cap)
        k = cap;
    if (k > s->n - s->pos)
        k = s->n - s->pos;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static inline void ft_reader(const trawl_framer *fr, unsigned flags, const uint8_t *p, size_t n,
                             size_t chunk, tu_rng *rng, size_t window, ft_events *e)
{
    ft_src src = {p, n, 0, chunk, rng};
    trawl_frame_reader *r;
    assert_int_equal(trawl_frame_reader_new(fr, ft_src_read, &src, window, flags, &r, NULL),
                     TRAWL_OK);
    trawl_frame_unit u;
    trawl_frame_fault f;
    int s;
    while ((s = trawl_frame_reader_next(r, &u, &f)) != TRAWL_FRAME_END)
        ft_record(e, s, &u, &f, p, n);
    assert_int_equal(trawl_frame_reader_next(r, &u, &f), TRAWL_FRAME_END);
    trawl_frame_reader_free(r);
}

static inline void ft_assert_same(const ft_events *a, const ft_events *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_memory_equal(&a->ev[i], &b->ev[i], sizeof(ft_event));
}

/* The first fault, or NULL. */
static inline const ft_event *ft_fault(const ft_events *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->ev[i].step == TRAWL_FRAME_FAULT)
            return &e->ev[i];
    return NULL;
}

#define FT_UNHEX(buf, hex) tu_unhex((hex), (buf), sizeof(buf))

#endif
