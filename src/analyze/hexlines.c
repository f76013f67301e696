/* hexlines.c -- messages written as hex, one per line: pairs of hex digits,
 * with blanks, ':' or '-' allowed between bytes ("0300 0021 02f0",
 * "03:00:00:21"), an optional 0x prefix per line, and '#' starting a
 * comment to the end of the line. Blank (or comment-only) lines carry no
 * message and are skipped. Errors name the line, the column (1-based, in
 * bytes) and the byte offset. */
#include "analyze/analyze_int.h"
#include "common/codec.h"

#include <stdlib.h>
#include <string.h>

static trawl_status fail_at(trawl_error *err, size_t off, unsigned line, unsigned col,
                            const char *what)
{
    trawl__fail_at(err, TRAWL_ESYNTAX, (int64_t)off, -1, "hex lines: line %u, column %u: %s", line,
                   col, what);
    if (err) {
        err->line = (int)line;
        err->column = (int)col;
    }
    return TRAWL_ESYNTAX;
}

trawl_status trawl_analyze_parse_hex_lines(const uint8_t *p, size_t n, trawl_analyze_messages *out,
                                           trawl_error *err)
{
    if (!out || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    /* at most n / 2 bytes and n / 2 + 1 messages */
    uint8_t *bytes = malloc(n / 2 + 1);
    size_t mcap = 64, nm = 0, used = 0;
    trawl_span *msgs = malloc(mcap * sizeof(*msgs));
    uint64_t *lines = malloc(mcap * sizeof(*lines));
    size_t *starts = malloc(mcap * sizeof(*starts));
    trawl_status st = TRAWL_OK;
    if (!bytes || !msgs || !lines || !starts) {
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        goto fail;
    }
    unsigned line = 0;
    for (size_t pos = 0; pos < n;) {
        const uint8_t *nl = memchr(p + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - p) : n, next = nl ? end + 1 : n;
        line++;
        size_t start = used, i = pos;
        while (i < end && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i + 1 < end && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X'))
            i += 2;
        while (i < end) {
            uint8_t c = p[i];
            if (c == '#')
                break;
            if (c == ' ' || c == '\t' || c == '\r' || c == ':' || c == '-') {
                i++;
                continue;
            }
            int hi = trawl__hexval(c);
            if (hi < 0) {
                st = fail_at(err, i, line, (unsigned)(i - pos + 1), "not a hex digit");
                goto fail;
            }
            if (i + 1 >= end || trawl__hexval(p[i + 1]) < 0) {
                st = fail_at(err, i, line, (unsigned)(i - pos + 1),
                             "a hex digit without its pair (bytes are two digits)");
                goto fail;
            }
            bytes[used++] = (uint8_t)(hi << 4 | trawl__hexval(p[i + 1]));
            i += 2;
        }
        if (used > start) {
            if (nm == mcap) {
                mcap *= 2;
                trawl_span *a = realloc(msgs, mcap * sizeof(*msgs));
                if (a)
                    msgs = a;
                uint64_t *b = realloc(lines, mcap * sizeof(*lines));
                if (b)
                    lines = b;
                size_t *c = realloc(starts, mcap * sizeof(*starts));
                if (c)
                    starts = c;
                if (!a || !b || !c) {
                    st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                    goto fail;
                }
            }
            starts[nm] = start;
            msgs[nm].len = used - start;
            lines[nm++] = line;
        }
        pos = next;
    }
    for (size_t k = 0; k < nm; k++)
        msgs[k].ptr = bytes + starts[k];
    free(starts);
    out->bytes = bytes;
    out->msgs = msgs;
    out->lines = lines;
    out->count = nm;
    return TRAWL_OK;
fail:
    free(bytes);
    free(msgs);
    free(lines);
    free(starts);
    return st;
}

void trawl_analyze_messages_free(trawl_analyze_messages *m)
{
    if (!m)
        return;
    free(m->bytes);
    free(m->msgs);
    free(m->lines);
    memset(m, 0, sizeof(*m));
}
