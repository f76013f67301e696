/* npy.c -- NumPy .npy files (format versions 1.0, 2.0, 3.0) holding a 2-D
 * array of numbers, read into a matrix of doubles.
 *
 * Input is hostile: the magic, the header length, the header dictionary
 * ('descr', 'fortran_order', 'shape') and the data size are each checked
 * before use, and every failure names its byte offset. Supported element
 * types: little- or big-endian float32/float64, signed and unsigned
 * integers of 1, 2, 4, 8 bytes, bool. Object arrays, structured dtypes and
 * arrays of other than two dimensions are refused. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

static trawl_status bad(trawl_error *err, size_t off, const char *what)
{
    return trawl__fail_at(err, TRAWL_EFORMAT, (int64_t)off, -1, "npy: %s", what);
}

/* The value after 'key': in the header h[0..hl), or NULL. */
static const char *find_key(const char *h, size_t hl, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= hl; i++) {
        if ((h[i] == '\'' || h[i] == '"') && !memcmp(h + i + 1, key, kl) && h[i + 1 + kl] == h[i]) {
            size_t j = i + kl + 2;
            while (j < hl && (h[j] == ' ' || h[j] == ':'))
                j++;
            return j < hl ? h + j : NULL;
        }
    }
    return NULL;
}

typedef struct dtype {
    char kind; /* f, i, u, b */
    unsigned size;
    bool big;
} dtype;

static bool parse_descr(const char *v, const char *end, dtype *t)
{
    if (v >= end || (*v != '\'' && *v != '"'))
        return false;
    char q = *v++;
    const char *e = memchr(v, q, (size_t)(end - v));
    if (!e || e - v < 3 || e - v > 4)
        return false;
    char order = v[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return false;
    t->big = order == '>';
    t->kind = v[1];
    unsigned sz = 0;
    for (const char *c = v + 2; c < e; c++) {
        if (*c < '0' || *c > '9')
            return false;
        sz = sz * 10 + (unsigned)(*c - '0');
    }
    t->size = sz;
    switch (t->kind) {
    case 'f':
        return sz == 4 || sz == 8;
    case 'i':
    case 'u':
        return sz == 1 || sz == 2 || sz == 4 || sz == 8;
    case 'b':
        return sz == 1;
    default:
        return false;
    }
}

/* "(a, b)" with exactly two non-negative integers; *dims = how many. */
static bool parse_shape(const char *v, const char *end, uint64_t dim[2], int *dims)
{
    if (v >= end || *v != '(')
        return false;
    v++;
    *dims = 0;
    for (;;) {
        while (v < end && *v == ' ')
            v++;
        if (v < end && *v == ')')
            return true;
        if (v >= end || *v < '0' || *v > '9')
            return false;
        uint64_t x = 0;
        while (v < end && *v >= '0' && *v <= '9') {
            if (x > (UINT64_MAX - 9) / 10)
                return false;
            x = x * 10 + (uint64_t)(*v++ - '0');
        }
        if (*dims < 2)
            dim[*dims] = x;
        (*dims)++;
        if (*dims > 8)
            return false;
        while (v < end && *v == ' ')
            v++;
        if (v < end && *v == ',')
            v++;
    }
}

static double element(const uint8_t *p, const dtype *t)
{
    uint8_t b[8];
    for (unsigned i = 0; i < t->size; i++)
        b[i] = t->big ? p[t->size - 1 - i] : p[i];
    switch (t->kind) {
    case 'f':
        if (t->size == 4) {
            float f;
            memcpy(&f, b, 4);
            return f;
        } else {
            double d;
            memcpy(&d, b, 8);
            return d;
        }
    case 'b':
        return b[0] != 0;
    default: {
        uint64_t u = 0;
        for (unsigned i = 0; i < t->size; i++)
            u |= (uint64_t)b[i] << (8 * i);
        if (t->kind == 'u')
            return (double)u;
        unsigned sh = 64 - 8 * t->size;
        return (double)((int64_t)(u << sh) >> sh);
    }
    }
}

trawl_status trawl_analyze_parse_npy(const uint8_t *p, size_t n, trawl_analyze_matrix *out,
                                     trawl_error *err)
{
    if (!out || (!p && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    if (n < 10 || memcmp(p, "\x93NUMPY", 6))
        return bad(err, 0, "not a .npy file (no \\x93NUMPY magic)");
    unsigned major = p[6];
    size_t hl, hs;
    if (major == 1) {
        hl = (size_t)p[8] | (size_t)p[9] << 8;
        hs = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12)
            return bad(err, 8, "truncated header length");
        hl = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        hs = 12;
    } else {
        return bad(err, 6, "unsupported format version");
    }
    if (hl > n - hs)
        return bad(err, 8, "header longer than the file");
    const char *h = (const char *)p + hs, *he = h + hl;
    dtype t;
    const char *v = find_key(h, hl, "descr");
    if (!v || !parse_descr(v, he, &t))
        return bad(err, v ? (size_t)(v - (const char *)p) : hs,
                   "unsupported or missing 'descr' (numbers only: f4 f8 i1-i8 u1-u8 b1)");
    v = find_key(h, hl, "fortran_order");
    if (!v)
        return bad(err, hs, "missing 'fortran_order'");
    bool fortran;
    if ((size_t)(he - v) >= 4 && !memcmp(v, "True", 4))
        fortran = true;
    else if ((size_t)(he - v) >= 5 && !memcmp(v, "False", 5))
        fortran = false;
    else
        return bad(err, (size_t)(v - (const char *)p), "'fortran_order' is neither True nor False");
    v = find_key(h, hl, "shape");
    uint64_t dim[2] = {0, 0};
    int dims = 0;
    if (!v || !parse_shape(v, he, dim, &dims))
        return bad(err, v ? (size_t)(v - (const char *)p) : hs, "missing or malformed 'shape'");
    if (dims != 2)
        return trawl__fail_at(err, TRAWL_EINVAL, (int64_t)(v - (const char *)p), -1,
                              "npy: expected 2-D data, got %d dimension%s", dims,
                              dims == 1 ? "" : "s");
    uint64_t rows = dim[0], cols = dim[1];
    size_t data = hs + hl;
    /* An empty shape holds nothing to analyse, and its other dimension is
     * not bounded by the file's size: (4444444444444, 0) would be a
     * matrix of trillions of empty rows for every caller to walk. */
    if (!rows || !cols)
        return trawl__fail_at(err, TRAWL_EINVAL, (int64_t)(v - (const char *)p), -1,
                              "npy: shape (%llu, %llu) holds no values", (unsigned long long)rows,
                              (unsigned long long)cols);
    if (rows > (UINT64_MAX / cols) / t.size)
        return bad(err, (size_t)(v - (const char *)p), "shape too large");
    uint64_t need = rows * cols * t.size;
    if (need != n - data)
        return trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)data, -1,
                              "npy: shape (%llu, %llu) of %u-byte values needs %llu data bytes, "
                              "the file has %zu",
                              (unsigned long long)rows, (unsigned long long)cols, t.size,
                              (unsigned long long)need, n - data);
    if (rows * cols > SIZE_MAX / sizeof(double))
        return trawl__fail(err, TRAWL_ELIMIT, "npy: too many values");
    out->data = malloc((size_t)(rows * cols) * sizeof(double));
    if (!out->data)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    out->rows = (size_t)rows;
    out->cols = (size_t)cols;
    const uint8_t *q = p + data;
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++) {
            uint64_t src = fortran ? c * rows + r : r * cols + c;
            out->data[r * cols + c] = element(q + src * t.size, &t);
        }
    return TRAWL_OK;
}

void trawl_analyze_matrix_free(trawl_analyze_matrix *m)
{
    if (!m)
        return;
    free(m->data);
    memset(m, 0, sizeof(*m));
}
