/* table.c -- numeric series from CSV or JSON Lines.
 *
 * CSV: the first line names the columns; the separator (',', ';' or tab) is
 * the first of them found in that line; a cell may be double-quoted ("" is
 * a quote inside). JSON Lines: one object per line, through cJSON; a value
 * is a number or a string holding one. Either way an empty cell or an
 * absent key is a missing value, and anything else that is not a number is
 * an error naming its line and column. */
#include "anomaly/anom_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define MAX_ROWS 10000000u
#define MAX_COLS 256u

struct trawl_anom_table {
    size_t rows, cols, cap;
    char **names;
    double *times; /* rows */
    double *cells; /* rows x cols, NAN = missing */
};

static trawl_status fail_at(trawl_error *err, int line, int col, const char *what, const char *a)
{
    if (err) {
        err->line = line;
        err->column = col;
    }
    return trawl__fail(err, TRAWL_EFORMAT, "table: %s%s%s%s", what, a ? " '" : "", a ? a : "",
                       a ? "'" : "");
}

static bool number(const char *s, size_t n, double *out)
{
    char buf[64];
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (*e || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Column selection: time column index (-1: row number) and value columns. */
typedef struct sel {
    long time;
    long map[MAX_COLS]; /* source column -> table column, -1 = not kept */
} sel;

static trawl_status add_row(trawl_anom_table *t, trawl_error *err)
{
    if (t->rows >= MAX_ROWS)
        return trawl__fail(err, TRAWL_ELIMIT, "table: more than %u rows", MAX_ROWS);
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        double *tm = realloc(t->times, cap * sizeof(double));
        if (tm)
            t->times = tm;
        double *c = tm ? realloc(t->cells, cap * (t->cols ? t->cols : 1) * sizeof(double)) : NULL;
        if (!c)
            return trawl__fail(err, TRAWL_ENOMEM, "table: out of memory");
        t->cells = c;
        t->cap = cap;
    }
    t->times[t->rows] = (double)t->rows;
    for (size_t c = 0; c < t->cols; c++)
        t->cells[t->rows * t->cols + c] = NAN;
    t->rows++;
    return TRAWL_OK;
}

/* Picks the columns from the header names. */
static trawl_status select_cols(trawl_anom_table *t, char **hdr, size_t nh, const char *time_col,
                                const char *const *values, size_t nv, sel *s, trawl_error *err)
{
    s->time = -1;
    for (size_t i = 0; i < MAX_COLS; i++)
        s->map[i] = -1;
    if (time_col) {
        for (size_t i = 0; i < nh; i++)
            if (!strcmp(hdr[i], time_col))
                s->time = (long)i;
        if (s->time < 0)
            return fail_at(err, 1, 1, "no time column", time_col);
    }
    t->names = calloc(nh ? nh : 1, sizeof(char *));
    if (!t->names)
        return trawl__fail(err, TRAWL_ENOMEM, "table: out of memory");
    for (size_t k = 0; values && k < nv; k++) {
        long found = -1;
        for (size_t i = 0; i < nh; i++)
            if (!strcmp(hdr[i], values[k]))
                found = (long)i;
        if (found < 0)
            return fail_at(err, 1, 1, "no column", values[k]);
        if (s->map[found] < 0) {
            s->map[found] = (long)t->cols;
            t->names[t->cols++] = strdup(hdr[found]);
        }
    }
    for (size_t i = 0; !values && i < nh; i++)
        if ((long)i != s->time) {
            s->map[i] = (long)t->cols;
            t->names[t->cols++] = strdup(hdr[i]);
        }
    for (size_t c = 0; c < t->cols; c++)
        if (!t->names[c])
            return trawl__fail(err, TRAWL_ENOMEM, "table: out of memory");
    return TRAWL_OK;
}

/* Splits one CSV line into cells (pointers into a scratch copy). */
static size_t split_csv(const char *line, size_t n, char sep, char *scratch, char **cells,
                        size_t *cols, int *starts)
{
    size_t k = 0, o = 0, i = 0;
    while (i <= n && k < MAX_COLS) {
        cells[k] = scratch + o;
        starts[k] = (int)i + 1;
        if (i < n && line[i] == '"') {
            i++;
            while (i < n) {
                if (line[i] == '"' && i + 1 < n && line[i + 1] == '"') {
                    scratch[o++] = '"';
                    i += 2;
                } else if (line[i] == '"') {
                    i++;
                    break;
                } else {
                    scratch[o++] = line[i++];
                }
            }
        }
        while (i < n && line[i] != sep)
            scratch[o++] = line[i++];
        scratch[o++] = 0;
        k++;
        i++;
    }
    *cols = k;
    return k;
}

static trawl_status parse_csv(trawl_anom_table *t, const char *text, size_t len,
                              const char *time_col, const char *const *values, size_t nv,
                              trawl_error *err)
{
    char *scratch = malloc(len + 2), *cells[MAX_COLS];
    int starts[MAX_COLS];
    if (!scratch)
        return trawl__fail(err, TRAWL_ENOMEM, "table: out of memory");
    trawl_status s = TRAWL_OK;
    sel sl = {.time = -1};
    char sep = ',';
    size_t nh = 0;
    int line = 0;
    for (const char *p = text, *stop = text + len; s == TRAWL_OK && p < stop;) {
        const char *e = memchr(p, '\n', (size_t)(stop - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(stop - p);
        line++;
        if (line == 1) {
            /* the header is not NUL-terminated: look within the line */
            size_t c = 0;
            while (c < n && p[c] != ',' && p[c] != ';' && p[c] != '\t')
                c++;
            sep = c < n ? p[c] : ',';
            split_csv(p, n, sep, scratch, cells, &nh, starts);
            if (nh >= MAX_COLS) {
                s = trawl__fail(err, TRAWL_ELIMIT, "table: more than %u columns", MAX_COLS);
                if (err)
                    err->line = 1;
            } else
                s = select_cols(t, cells, nh, time_col, values, nv, &sl, err);
        } else if (!blank(p, n)) {
            size_t nc;
            split_csv(p, n, sep, scratch, cells, &nc, starts);
            s = add_row(t, err);
            for (size_t c = 0; s == TRAWL_OK && c < nh; c++) {
                if ((long)c != sl.time && sl.map[c] < 0)
                    continue;
                if (c >= nc) {
                    s = fail_at(err, line, (int)n + 1, "too few cells", NULL);
                    break;
                }
                double v;
                if (blank(cells[c], strlen(cells[c]))) {
                    if ((long)c == sl.time)
                        s = fail_at(err, line, starts[c], "empty time cell", NULL);
                    continue;
                }
                if (!number(cells[c], strlen(cells[c]), &v)) {
                    s = fail_at(err, line, starts[c], "not a number:", cells[c]);
                    break;
                }
                if ((long)c == sl.time)
                    t->times[t->rows - 1] = v;
                else
                    t->cells[(t->rows - 1) * t->cols + (size_t)sl.map[c]] = v;
            }
        }
        p = e ? e + 1 : stop;
    }
    if (s == TRAWL_OK && line == 0)
        s = fail_at(err, 1, 1, "empty input, no header", NULL);
    free(scratch);
    return s;
}

static trawl_status json_value(const cJSON *v, double *out, bool *present)
{
    *present = false;
    if (!v || cJSON_IsNull(v))
        return TRAWL_OK;
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        *out = v->valuedouble;
        *present = true;
        return TRAWL_OK;
    }
    if (cJSON_IsString(v) && v->valuestring) {
        if (blank(v->valuestring, strlen(v->valuestring)))
            return TRAWL_OK;
        if (number(v->valuestring, strlen(v->valuestring), out)) {
            *present = true;
            return TRAWL_OK;
        }
    }
    return TRAWL_EFORMAT;
}

static trawl_status parse_jsonl(trawl_anom_table *t, const char *text, size_t len,
                                const char *time_col, const char *const *values, size_t nv,
                                trawl_error *err)
{
    trawl_status s = TRAWL_OK;
    int line = 0;
    bool named = false;
    for (const char *p = text, *stop = text + len; s == TRAWL_OK && p < stop;) {
        const char *e = memchr(p, '\n', (size_t)(stop - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(stop - p);
        line++;
        if (!blank(p, n)) {
            cJSON *o = cJSON_ParseWithLength(p, n);
            if (!o || !cJSON_IsObject(o)) {
                const char *at = cJSON_GetErrorPtr();
                int col = at && at >= p && at <= p + n ? (int)(at - p) + 1 : 1;
                cJSON_Delete(o);
                return fail_at(err, line, col, "not a JSON object", NULL);
            }
            if (!named) {
                /* columns: the given ones, or the first object's keys */
                char *keys[MAX_COLS];
                size_t nk = 0;
                for (cJSON *k = o->child; k && nk < MAX_COLS; k = k->next)
                    keys[nk++] = k->string;
                sel sl = {.time = -1};
                s = select_cols(t, keys, nk, NULL, values, nv, &sl, err);
                if (s == TRAWL_OK && time_col && !cJSON_GetObjectItemCaseSensitive(o, time_col))
                    s = fail_at(err, line, 1, "no time key", time_col);
                for (size_t c = 0; s == TRAWL_OK && !values && c < t->cols; c++)
                    if (time_col && !strcmp(t->names[c], time_col)) {
                        free(t->names[c]);
                        memmove(t->names + c, t->names + c + 1, (t->cols - c - 1) * sizeof(char *));
                        t->cols--;
                        c--;
                    }
                named = true;
            }
            if (s == TRAWL_OK)
                s = add_row(t, err);
            double v;
            bool present;
            if (s == TRAWL_OK && time_col) {
                if (json_value(cJSON_GetObjectItemCaseSensitive(o, time_col), &v, &present) ||
                    !present)
                    s = fail_at(err, line, 1, "bad or missing time", time_col);
                else
                    t->times[t->rows - 1] = v;
            }
            for (size_t c = 0; s == TRAWL_OK && c < t->cols; c++) {
                if (json_value(cJSON_GetObjectItemCaseSensitive(o, t->names[c]), &v, &present))
                    s = fail_at(err, line, 1, "not a number in", t->names[c]);
                else if (present)
                    t->cells[(t->rows - 1) * t->cols + c] = v;
            }
            cJSON_Delete(o);
        }
        p = e ? e + 1 : stop;
    }
    if (s == TRAWL_OK && !named)
        s = fail_at(err, 1, 1, "no JSON object", NULL);
    return s;
}

trawl_status trawl_anom_table_parse(const char *text, size_t len, const char *time_col,
                                    const char *const *values, size_t n_values,
                                    trawl_anom_table **out, trawl_error *err)
{
    if (!out || (!text && len) || (!values && n_values) || n_values > MAX_COLS)
        return trawl__fail(err, TRAWL_EINVAL, "table: bad argument");
    *out = NULL;
    trawl_anom_table *t = calloc(1, sizeof(*t));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "table: out of memory");
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    trawl_status s =
        i < len && text[i] == '{'
            ? parse_jsonl(t, text, len, time_col, n_values ? values : NULL, n_values, err)
            : parse_csv(t, text, len, time_col, n_values ? values : NULL, n_values, err);
    if (s != TRAWL_OK) {
        trawl_anom_table_free(t);
        return s;
    }
    *out = t;
    return TRAWL_OK;
}

void trawl_anom_table_free(trawl_anom_table *t)
{
    if (!t)
        return;
    for (size_t c = 0; c < t->cols; c++)
        free(t->names[c]);
    free(t->names);
    free(t->times);
    free(t->cells);
    free(t);
}

size_t trawl_anom_table_rows(const trawl_anom_table *t)
{
    return t ? t->rows : 0;
}

size_t trawl_anom_table_columns(const trawl_anom_table *t)
{
    return t ? t->cols : 0;
}

const char *trawl_anom_table_column(const trawl_anom_table *t, size_t c)
{
    return t && c < t->cols ? t->names[c] : NULL;
}

bool trawl_anom_table_get(const trawl_anom_table *t, size_t r, size_t c, double *time,
                          double *value)
{
    if (!t || r >= t->rows || c >= t->cols)
        return false;
    *time = t->times[r];
    *value = t->cells[r * t->cols + c];
    return !isnan(*value);
}
