/* frame_fuzz.h -- shared by the framing fuzz targets: run a framer over the
 * input with the buffer iterator and with the streaming reader (chunk sizes
 * taken from the input), in stop and resync mode, touch every byte of every
 * span (so ASan sees any out-of-bounds span), and trap when the two
 * disagree (and when the batch API disagrees with one-at-a-time). */
#ifndef TRAWL_FRAME_FUZZ_H
#define TRAWL_FRAME_FUZZ_H

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <trawl/frame.h>

#define FF_MAX_EVENTS 4096
#define FF_WINDOW     512 /* framers are built with max sizes below this */

typedef struct ff_event {
    int step;
    uint64_t index, offset, len, vlen, type, skipped;
    int kind;
    uint32_t sum;
} ff_event;

static uint32_t ff_touch(trawl_span s)
{
    uint32_t h = 0;
    for (size_t i = 0; i < s.len; i++)
        h = h * 31 + s.ptr[i];
    return h;
}

static size_t ff_record(ff_event *ev, size_t n, int step, const trawl_frame_unit *u,
                        const trawl_frame_fault *f)
{
    if (n == FF_MAX_EVENTS)
        return n;
    ff_event *x = &ev[n];
    memset(x, 0, sizeof(*x));
    x->step = step;
    if (step == TRAWL_FRAME_UNIT) {
        x->index = u->index;
        x->offset = u->offset;
        x->len = u->data.len;
        x->vlen = u->value.len;
        x->type = u->type;
        x->sum = ff_touch(u->data) ^ ff_touch(u->value);
    } else {
        x->index = f->index;
        x->offset = f->offset;
        x->skipped = f->skipped;
        x->kind = (int)f->kind;
    }
    return n + 1;
}

typedef struct ff_src {
    const uint8_t *p;
    size_t n, pos;
    uint8_t seed;
} ff_src;

static ssize_t ff_read(void *ud, uint8_t *buf, size_t cap)
{
    ff_src *s = ud;
    size_t k = 1 + (size_t)((s->seed = (uint8_t)(s->seed * 73 + 41)) % 37);
    if (k > cap)
        k = cap;
    if (k > s->n - s->pos)
        k = s->n - s->pos;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static void ff_run(const trawl_framer *f, const uint8_t *p, size_t n, uint8_t seed)
{
    static ff_event a[FF_MAX_EVENTS], b[FF_MAX_EVENTS];
    for (unsigned flags = 0; flags <= TRAWL_FRAME_RESYNC; flags++) {
        trawl_frame_iter *it;
        trawl_frame_reader *r;
        ff_src src = {p, n, 0, seed};
        if (trawl_frame_iter_new(f, flags, &it, NULL) != TRAWL_OK)
            abort();
        if (trawl_frame_reader_new(f, ff_read, &src, FF_WINDOW, flags, &r, NULL) != TRAWL_OK)
            abort();
        trawl_frame_iter_reset(it, p, n);
        trawl_frame_unit u;
        trawl_frame_fault flt;
        int s;
        size_t na = 0, nb = 0;
        while ((s = trawl_frame_iter_next(it, &u, &flt)) != TRAWL_FRAME_END)
            na = ff_record(a, na, s, &u, &flt);
        while ((s = trawl_frame_reader_next(r, &u, &flt)) != TRAWL_FRAME_END)
            nb = ff_record(b, nb, s, &u, &flt);
        if (na != nb || memcmp(a, b, na * sizeof(ff_event)) != 0)
            __builtin_trap(); /* streaming must equal buffer parsing */
        static trawl_frame_unit batch[64];
        trawl_frame_iter_reset(it, p, n);
        nb = 0;
        for (size_t want = 1 + seed % 64;; want = 1 + (want * 7 + 3) % 64) {
            size_t k = trawl_frame_iter_next_batch(it, batch, want);
            for (size_t i = 0; i < k; i++)
                nb = ff_record(b, nb, TRAWL_FRAME_UNIT, &batch[i], NULL);
            if (k == want)
                continue;
            if ((s = trawl_frame_iter_next(it, &u, &flt)) == TRAWL_FRAME_END)
                break;
            nb = ff_record(b, nb, s, &u, &flt);
        }
        if (na != nb || memcmp(a, b, na * sizeof(ff_event)) != 0)
            __builtin_trap(); /* batches must equal one unit at a time */
        trawl_frame_iter_free(it);
        trawl_frame_reader_free(r);
    }
}

#endif
