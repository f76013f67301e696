/* shadow_ai/capture.c -- the stream shadow_ai reads pcap files through: a
 * read-only FILE over a descriptor that keeps its own position. The frame
 * module asks ftell() for each record's file offset, and on a stdio file
 * glibc answers that with an lseek system call: one per packet, which was
 * most of the time spent on a 1000-packet capture. Here it is a field read.
 * Elsewhere than Linux (no fopencookie) it is plain fopen(). */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "detect/detector.h"
#include "detect/shadow_ai/shadow.h"

#ifdef __linux__
typedef struct capture_src {
    int fd;
    off64_t pos;
} capture_src;

static ssize_t capture_read(void *cookie, char *buf, size_t n)
{
    capture_src *c = cookie;
    ssize_t got;
    do
        got = read(c->fd, buf, n);
    while (got < 0 && errno == EINTR);
    if (got > 0)
        c->pos += got;
    return got;
}

static int capture_seek(void *cookie, off64_t *off, int whence)
{
    capture_src *c = cookie;
    if (whence == SEEK_CUR && *off == 0) {
        *off = c->pos;
        return 0;
    }
    off_t to = lseek(c->fd, (off_t)*off, whence);
    if (to < 0)
        return -1;
    c->pos = *off = to;
    return 0;
}

static int capture_close(void *cookie)
{
    capture_src *c = cookie;
    int r = close(c->fd);
    free(c);
    return r;
}

FILE *shadow_capture_open(const char *path, char *why, size_t cap)
{
    int fd = det_open_file(path, true, why, cap); /* never blocks: a FIFO without a writer ends */
    if (fd < 0)
        return NULL;
    capture_src *c = malloc(sizeof *c);
    FILE *f = NULL;
    if (c) {
        *c = (capture_src){fd, 0};
        cookie_io_functions_t io = {capture_read, NULL, capture_seek, capture_close};
        f = fopencookie(c, "rb", io);
    }
    if (!f) {
        close(fd);
        free(c);
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    return f;
}
#else
FILE *shadow_capture_open(const char *path, char *why, size_t cap)
{
    int fd = det_open_file(path, true, why, cap);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f && fd >= 0)
        close(fd);
    return f;
}
#endif
