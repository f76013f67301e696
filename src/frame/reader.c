/* reader.c -- the streaming reader: a cursor over a window that slides over
 * the input. The window is allocated once at creation and never grows, so
 * memory is constant in the input size; a unit larger than the window is a
 * fault, not a reallocation.
 *
 * When the decoder needs more bytes the unconsumed tail is moved to the front
 * of the window (it is at most one unit) and the window is refilled. */
#include "common/error.h"
#include "frame/framer.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_WINDOW ((size_t)1 << 20)
#define READER_MAGIC   0x44525246u /* debug builds catch use after free and stray pointers */

struct trawl_frame_reader {
    unsigned magic;
    frame_cursor c;
    trawl_frame_read_fn read_fn;
    void *ud;
    int fd;
    uint8_t *buf;
    size_t cap;
};

static ssize_t fd_read(void *ud, uint8_t *buf, size_t cap)
{
    const trawl_frame_reader *r = ud;
    ssize_t n;
    do
        n = read(r->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    return n;
}

trawl_status trawl_frame_reader_new(const trawl_framer *f, trawl_frame_read_fn read_fn, void *ud,
                                    size_t window, unsigned flags, trawl_frame_reader **out,
                                    trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!f || !read_fn || !out)
        return trawl__fail(err, TRAWL_EINVAL, "frame reader: NULL argument");
    if (flags & ~TRAWL_FRAME_RESYNC)
        return trawl__fail(err, TRAWL_EINVAL, "frame reader: unknown flags 0x%x", flags);
    if (window == 0)
        window = DEFAULT_WINDOW;
    if (window < f->min_window)
        window = f->min_window;
    trawl_frame_reader *r = calloc(1, sizeof(*r));
    uint8_t *buf = malloc(window);
    if (!r || !buf) {
        free(r);
        free(buf);
        return trawl__fail(err, TRAWL_ENOMEM, "frame reader: cannot allocate %zu bytes", window);
    }
    trawl__cursor_init(&r->c, f, flags);
    r->c.buf = buf;
    r->c.cap = window;
    r->read_fn = read_fn;
    r->ud = ud;
    r->fd = -1;
    r->magic = READER_MAGIC;
    r->buf = buf;
    r->cap = window;
    *out = r;
    return TRAWL_OK;
}

trawl_status trawl_frame_reader_new_fd(const trawl_framer *f, int fd, size_t window, unsigned flags,
                                       trawl_frame_reader **out, trawl_error *err)
{
    if (fd < 0) {
        if (out)
            *out = NULL;
        return trawl__fail(err, TRAWL_EINVAL, "frame reader: bad file descriptor");
    }
    trawl_status s = trawl_frame_reader_new(f, fd_read, NULL, window, flags, out, err);
    if (s == TRAWL_OK) {
        (*out)->ud = *out;
        (*out)->fd = fd;
    }
    return s;
}

/* Slides the window to the cursor and reads once. Returns 1 when bytes came,
 * 0 at end of input, -1 on a read error (errno kept). */
static int refill(trawl_frame_reader *r)
{
    frame_cursor *c = &r->c;
    if (c->pos > 0) {
        memmove(r->buf, r->buf + c->pos, c->len - c->pos);
        c->base += c->pos;
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == r->cap)
        return 2; /* full: the unit does not fit */
    ssize_t n = r->read_fn(r->ud, r->buf + c->len, r->cap - c->len);
    if (n < 0)
        return -1;
    if (n == 0) {
        c->eof = true;
        return 0;
    }
    c->len += (size_t)n;
    return 1;
}

trawl_frame_step trawl_frame_reader_next(trawl_frame_reader *r, trawl_frame_unit *unit,
                                         trawl_frame_fault *fault)
{
    assert(r && r->magic == READER_MAGIC && unit && fault);
    frame_cursor *c = &r->c;
    int s = trawl__cursor_step(c, unit, fault);
    while (s == CURSOR_NEED) {
        int got = refill(r);
        if (got == 2) {
            s = trawl__cursor_fault(c, c->f->too_large, unit, fault);
        } else if (got < 0) {
            int e = errno;
            memset(fault, 0, sizeof(*fault));
            fault->kind = TRAWL_FRAME_IO;
            fault->offset = c->base + c->len;
            fault->index = c->index;
            fault->sys_errno = e;
            c->stopped = true;
            c->n_faults++;
            return TRAWL_FRAME_FAULT;
        } else {
            s = trawl__cursor_step(c, unit, fault);
        }
    }
    return (trawl_frame_step)s;
}

void trawl_frame_reader_counts(const trawl_frame_reader *r, uint64_t *units, uint64_t *faults,
                               uint64_t *skipped)
{
    if (units)
        *units = r->c.n_units;
    if (faults)
        *faults = r->c.n_faults;
    if (skipped)
        *skipped = r->c.n_skipped;
}

void trawl_frame_reader_free(trawl_frame_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}
