/* util.c -- input opening, error printing and output formatting shared by
 * the subcommands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_input_open(const char *path, cli_input *in)
{
    memset(in, 0, sizeof(*in));
    in->name = path;
    in->fd = -1;
    if (!strcmp(path, "-")) {
        in->fd = STDIN_FILENO;
        return 0;
    }
    /* Non-blocking: opening a FIFO that no writer has open would otherwise
     * wait for one forever (and a device could act on the open). The type is
     * checked on the descriptor; a FIFO or device is then read blocking: a
     * FIFO waits for a writer that has it open, and ends at once when none
     * has. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "trawl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "trawl: %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "trawl: %s: is a directory\n", path);
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        fprintf(stderr, "trawl: %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        in->fd = fd; /* fifo, device, socket: stream it */
        return 0;
    }
    if (st.st_size == 0) {
        close(fd);
        in->data = (const uint8_t *)"";
        return 0;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        in->fd = fd; /* some filesystems cannot map: stream instead */
        return 0;
    }
    close(fd);
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    in->data = p;
    in->len = (size_t)st.st_size;
    in->mapped = true;
    return 0;
}

int cli_read_all(const char *cmd, const char *path, size_t max, const char *flag, char **text,
                 size_t *len)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    const char *name = strcmp(path, "-") ? path : "(stdin)";
    if (in.data && in.len > max) {
        cli_errorf(cmd, "%s: larger than the limit of %zu bytes (%s)", name, max, flag);
        cli_input_close(&in);
        return -1;
    }
    size_t cap = in.data ? in.len + 1 : 65536, n = 0;
    char *buf = malloc(cap);
    if (buf && in.data) {
        memcpy(buf, in.data, in.len);
        n = in.len;
    }
    while (buf && !in.data) {
        if (n + 1 >= cap) { /* n <= max here: room to see one byte past it */
            cap = cap * 2 < max + 2 ? cap * 2 : max + 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
        ssize_t r = read(in.fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cli_errorf(cmd, "%s: %s", name, strerror(errno));
            free(buf);
            cli_input_close(&in);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            cli_errorf(cmd, "%s: larger than the limit of %zu bytes (%s)", name, max, flag);
            free(buf);
            cli_input_close(&in);
            return -1;
        }
    }
    cli_input_close(&in);
    if (!buf) {
        cli_errorf(cmd, "%s: out of memory reading it", name);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

void cli_input_close(cli_input *in)
{
    if (in->mapped)
        munmap((void *)in->data, in->len);
    if (in->fd > STDIN_FILENO)
        close(in->fd);
    memset(in, 0, sizeof(*in));
    in->fd = -1;
}

uint8_t *cli_input_read_all(cli_input *in, size_t max, size_t *n, bool *owned)
{
    *owned = false;
    if (in->data) {
        *n = in->len;
        return (uint8_t *)in->data;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            errno = ENOMEM;
            return NULL;
        }
        if (len == cap) {
            uint8_t *g = cap < max ? realloc(buf, cap * 2) : NULL;
            if (!g) {
                free(buf);
                errno = cap < max ? ENOMEM : EFBIG;
                return NULL;
            }
            buf = g;
            cap *= 2;
        }
        ssize_t r = read(in->fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            free(buf);
            errno = EFBIG;
            return NULL;
        }
    }
    *n = len;
    *owned = true;
    return buf;
}

void cli_errorf(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "trawl %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_report(const char *cmd, const char *what, const trawl_error *err)
{
    fprintf(stderr, "trawl %s: %s", cmd, what ? what : "");
    if (err->line > 0)
        fprintf(stderr, "%sline %d", what ? ", " : "", err->line);
    if (err->index >= 0 && err->line == 0)
        fprintf(stderr, "%spattern %lld", what ? ", " : "", (long long)err->index);
    if (err->column > 0)
        fprintf(stderr, ", column %d", err->column);
    if (err->offset >= 0)
        fprintf(stderr, ", offset %lld", (long long)err->offset);
    fprintf(stderr, ": %s\n", err->message[0] ? err->message : trawl_status_message(err->status));
}

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void cli_hex(FILE *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char buf[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = digits[p[i] >> 4];
        buf[k++] = digits[p[i] & 15];
        if (k == sizeof(buf)) {
            fwrite(buf, 1, k, out);
            k = 0;
        }
    }
    fwrite(buf, 1, k, out);
}

const char *cli_cache_dir(bool off)
{
    static char dir[4096];
    const char *no = getenv("TRAWL_NO_CACHE");
    if (off || (no && *no && strcmp(no, "0")))
        return NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int w;
    if (xdg && xdg[0] == '/')
        w = snprintf(dir, sizeof dir, "%s/trawl", xdg);
    else if (home && home[0] == '/')
        w = snprintf(dir, sizeof dir, "%s/.cache/trawl", home);
    else
        return NULL;
    return w > 0 && (size_t)w < sizeof dir ? dir : NULL;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    switch (*s) {
    case 0:
        break;
    case 'k':
    case 'K':
        shift = 10;
        s++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        s++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        s++;
        break;
    default:
        return false;
    }
    if (*s || (shift && v > (UINT64_MAX >> shift)))
        return false;
    *out = v << shift;
    return true;
}
