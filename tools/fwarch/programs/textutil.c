/* textutil.c -- number formatting and parsing, base64, a tiny printf, a
 * command-line tokenizer: the string handling firmware carries. Training
 * material for the architecture classifier. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t k = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[k++] = b64[v >> 18];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = b64[(v >> 6) & 63];
        out[k++] = b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[k++] = b64[v >> 18];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[k++] = '=';
    }
    out[k] = 0;
    return k;
}

static char *utoa_rev(char *end, unsigned long v, unsigned base, int upper)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    *--end = 0;
    do {
        *--end = dig[v % base];
        v /= base;
    } while (v);
    return end;
}

typedef void (*putc_fn)(char c, void *ud);

int tiny_vprintf(putc_fn put, void *ud, const char *fmt, va_list ap)
{
    char buf[24];
    int count = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(*fmt, ud);
            count++;
            continue;
        }
        int width = 0, zero = 0, lng = 0;
        fmt++;
        if (*fmt == '0') {
            zero = 1;
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'l') {
            lng = 1;
            fmt++;
        }
        const char *s = buf;
        switch (*fmt) {
        case 'd': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            char *p = utoa_rev(buf + sizeof(buf), (unsigned long)(v < 0 ? -v : v), 10, 0);
            if (v < 0)
                *--p = '-';
            s = p;
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            s = utoa_rev(buf + sizeof(buf), v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            break;
        }
        case 's':
            s = va_arg(ap, const char *);
            break;
        case 'c':
            buf[0] = (char)va_arg(ap, int);
            buf[1] = 0;
            break;
        default:
            buf[0] = *fmt;
            buf[1] = 0;
        }
        int len = 0;
        while (s[len])
            len++;
        for (; width > len; width--, count++)
            put(zero ? '0' : ' ', ud);
        for (; *s; s++, count++)
            put(*s, ud);
    }
    return count;
}

int parse_int(const char *s, long *out)
{
    long v = 0;
    int neg = 0, base = 10, any = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++, any = 1) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            break;
        v = v * base + d;
    }
    *out = neg ? -v : v;
    return any && *s == 0 ? 0 : -1;
}

int tokenize(char *line, char **argv, int max)
{
    int argc = 0;
    while (*line && argc < max) {
        while (*line == ' ')
            *line++ = 0;
        if (!*line)
            break;
        if (*line == '"') {
            argv[argc++] = ++line;
            while (*line && *line != '"')
                line++;
            if (*line)
                *line++ = 0;
        } else {
            argv[argc++] = line;
            while (*line && *line != ' ')
                line++;
        }
    }
    return argc;
}
