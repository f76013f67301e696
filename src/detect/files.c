/* files.c -- opening the paths an input names (files, pcaps), safely: see
 * det_open_file in detector.h. Such a path may come from an untrusted
 * input object ({"files": ["/dev/watchdog"]}) or name a FIFO that the
 * command line has already read: a blocking open() or fopen() of either
 * can hang forever or act on a device. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/detector.h"

static bool wanted(const struct stat *st, bool allow_fifo)
{
    return S_ISREG(st->st_mode) || (allow_fifo && S_ISFIFO(st->st_mode));
}

int det_open_file(const char *path, bool allow_fifo, char *why, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return -1;
    }
    const char *kind = allow_fifo ? "not a regular file or FIFO" : "not a regular file";
    if (!wanted(&st, allow_fifo)) {
        snprintf(why, cap, "%s", kind);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return -1;
    }
    int fl;
    if (fstat(fd, &st) != 0 || !wanted(&st, allow_fifo) || (fl = fcntl(fd, F_GETFL)) < 0 ||
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        snprintf(why, cap, "%s", kind);
        close(fd);
        return -1;
    }
    return fd;
}
