/* csv.c -- comma-separated numbers, one row per line, read into a matrix of
 * doubles. A first line with a field that is not a number is a header and
 * is skipped; blank lines are skipped; LF or CRLF ends a line; blanks
 * around a field are ignored. Every data row must have as many fields as
 * the first. Errors name the line and the column (1-based, in bytes) and
 * the byte offset. Quoted fields are not numbers and are refused outside
 * the header. */
#include "analyze/analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static trawl_status fail_at(trawl_error *err, trawl_status s, size_t off, unsigned line,
                            unsigned col, const char *what)
{
    trawl__fail_at(err, s, (int64_t)off, -1, "csv: line %u, column %u: %s", line, col, what);
    if (err) {
        err->line = (int)line;
        err->column = (int)col;
    }
    return s;
}

static bool blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Parses p[a..b) (blanks trimmed) as a finite double. */
static bool number(const uint8_t *p, size_t a, size_t b, double *v)
{
    while (a < b && blank(p[a]))
        a++;
    while (b > a && blank(p[b - 1]))
        b--;
    if (a == b || b - a > 63)
        return false;
    char buf[64];
    memcpy(buf, p + a, b - a);
    buf[b - a] = 0;
    char *end;
    *v = strtod(buf, &end);
    return *end == 0 && isfinite(*v);
}

trawl_status trawl_analyze_parse_csv(const uint8_t *p, size_t n, trawl_analyze_matrix *out,
                                     trawl_error *err)
{
    if (!out || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    size_t cap = 0, used = 0, cols = 0, rows = 0;
    double *data = NULL;
    unsigned line = 0;
    bool first = true;
    for (size_t pos = 0; pos < n;) {
        const uint8_t *nl = memchr(p + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - p) : n, next = nl ? end + 1 : n;
        line++;
        size_t a = pos;
        while (a < end && blank(p[a]))
            a++;
        if (a == end) { /* blank line */
            pos = next;
            continue;
        }
        /* one pass to see whether every field is a number (header check) */
        size_t fields = 0, f0 = pos;
        bool numeric = true;
        for (size_t i = pos; i <= end; i++) {
            if (i < end && p[i] != ',')
                continue;
            double v;
            numeric = numeric && number(p, f0, i, &v);
            fields++;
            f0 = i + 1;
        }
        if (first && !numeric) { /* a header line */
            first = false;
            pos = next;
            continue;
        }
        first = false;
        if (rows == 0)
            cols = fields;
        if (fields != cols) {
            free(data);
            return fail_at(err, TRAWL_EFORMAT, pos, line, 1,
                           fields < cols ? "fewer fields than the first row"
                                         : "more fields than the first row");
        }
        if (used + cols > cap) {
            size_t nc = cap ? cap * 2 : 1024;
            while (nc < used + cols)
                nc *= 2;
            double *t = realloc(data, nc * sizeof(*t));
            if (!t) {
                free(data);
                return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            }
            data = t;
            cap = nc;
        }
        f0 = pos;
        for (size_t i = pos; i <= end; i++) {
            if (i < end && p[i] != ',')
                continue;
            if (!number(p, f0, i, &data[used])) {
                free(data);
                return fail_at(err, TRAWL_EFORMAT, f0, line, (unsigned)(f0 - pos + 1),
                               "not a finite number");
            }
            used++;
            f0 = i + 1;
        }
        rows++;
        pos = next;
    }
    if (rows == 0) {
        free(data);
        return trawl__fail(err, TRAWL_EFORMAT, "csv: no data rows");
    }
    out->data = data;
    out->rows = rows;
    out->cols = cols;
    return TRAWL_OK;
}
