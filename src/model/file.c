/* file.c -- the model file: parse (untrusted bytes, in place), map, write.
 *
 * Fields are read one by one, each checked before the next is used, and
 * each failure names its offset. The checksum is checked before any weight
 * is read. The parsed model points into the caller's bytes (or its own
 * mapping); only the small dense-layer arrays are copied out. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include <xxhash.h>

#include "common/error.h"
#include "model/model_int.h"

static trawl_status bad(trawl_error *err, int64_t off, const char *what)
{
    return trawl__fail_at(err, TRAWL_EFORMAT, off, -1, "model file: %s at offset %lld", what,
                          (long long)off);
}

static size_t row_bytes(trawl_model_format f, unsigned h)
{
    return f == TRAWL_MODEL_F32 ? 4u * h : f == TRAWL_MODEL_INT8 ? h : (h + 1) / 2;
}

/* Payload layout for given dimensions; offsets relative to the payload. */
typedef struct layout {
    size_t names, flags, wd, b1, w2, b2, bitmap, rank, scales, table, end;
} layout;

static layout plan(unsigned version, unsigned nd, unsigned h, uint32_t buckets,
                   trawl_model_format f, bool sparse, uint32_t nnz)
{
    layout l;
    l.names = 0;
    l.flags = l.names + (size_t)nd * TRAWL_MODEL_FEAT_LEN;
    l.wd = l.flags + (version >= 3 ? ((size_t)nd + 3) & ~(size_t)3 : 0);
    l.b1 = l.wd + 4u * (size_t)nd * h;
    l.w2 = l.b1 + 4u * h;
    l.b2 = l.w2 + 4u * h;
    l.bitmap = (l.b2 + 4 + 7) & ~(size_t)7;
    l.rank = l.bitmap + (sparse ? 8u * (buckets / 64) : 0);
    l.scales = l.rank + (sparse ? 4u * (buckets / 64) : 0);
    l.table = l.scales + (f == TRAWL_MODEL_F32 ? 0 : 4u * (size_t)nnz);
    l.end = l.table + (size_t)nnz * row_bytes(f, h);
    return l;
}

static trawl_status parse_header(trawl_model_info *in, const uint8_t *p, size_t n, trawl_error *err)
{
    if (n < 4 || memcmp(p, TM_MAGIC, 4))
        return bad(err, 0, "bad magic (expected \"TRMD\")");
    if (n < TM_HEADER)
        return trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)n, -1,
                              "model file: truncated header: %zu of %d bytes at offset %zu", n,
                              TM_HEADER, n);
    in->version = tm_rd16(p + 4);
    if (in->version != TM_VERSION && in->version != 2)
        return trawl__fail_at(err, TRAWL_EVERSION, 4, -1,
                              "model file: version %u at offset 4 (this build reads %d)",
                              in->version, TM_VERSION);
    if (tm_rd16(p + 6) != TM_HEADER)
        return bad(err, 6, "header size is not 128");
    if (p[8] > TRAWL_MODEL_MLP)
        return bad(err, 8, "unknown model kind");
    in->kind = (trawl_model_kind)p[8];
    if (p[9] > TRAWL_MODEL_INT4)
        return bad(err, 9, "unknown weight format");
    in->format = (trawl_model_format)p[9];
    if (p[10] > 1)
        return bad(err, 10, "sparse flag is not 0 or 1");
    in->sparse = p[10];
    in->min_words = p[11];
    if (in->min_words > 64)
        return bad(err, 11, "minimum word count is not 0..64");
    in->feat.buckets = tm_rd32(p + 12);
    uint32_t b = in->feat.buckets;
    if (b < 256 || b > (1u << 22) || (b & (b - 1)))
        return bad(err, 12, "bucket count is not a power of two in 2^8..2^22");
    in->hidden = tm_rd16(p + 16);
    if (in->hidden < 1 || in->hidden > TRAWL_MODEL_MAX_HIDDEN ||
        (in->kind == TRAWL_MODEL_LINEAR && in->hidden != 1))
        return bad(err, 16, "hidden size is not 1..256 (1 for a linear model)");
    in->n_dense = tm_rd16(p + 18);
    if (in->n_dense > TRAWL_MODEL_MAX_DENSE)
        return bad(err, 18, "dense feature count is over 1024");
    in->feat.char_min = p[20];
    in->feat.char_max = p[21];
    if (in->feat.char_min < 1 || in->feat.char_max < in->feat.char_min || in->feat.char_max > 8)
        return bad(err, 20, "character n-gram range is not 1 <= min <= max <= 8");
    in->feat.word_max = p[22];
    if (in->feat.word_max > 2)
        return bad(err, 22, "word n-gram order is not 0..2");
    if (p[23])
        return bad(err, 23, "reserved byte is not zero");
    in->nnz_rows = tm_rd32(p + 24);
    if (in->nnz_rows > b || (!in->sparse && in->nnz_rows != b))
        return bad(err, 24, "stored row count does not match the buckets");
    in->platt_a = tm_rdf(p + 28);
    if (!isfinite(in->platt_a) || in->platt_a <= 0 || in->platt_a > 1e3f)
        return bad(err, 28, "calibration slope is not in (0, 1000]");
    in->platt_b = tm_rdf(p + 32);
    if (!isfinite(in->platt_b) || fabsf(in->platt_b) > 1e3f)
        return bad(err, 32, "calibration offset is not finite");
    in->threshold = tm_rdf(p + 36);
    if (!(in->threshold > 0 && in->threshold <= 1))
        return bad(err, 36, "threshold is not in (0, 1]");
    memcpy(in->name, p + 56, TRAWL_MODEL_NAME_LEN);
    in->name[TRAWL_MODEL_NAME_LEN] = 0;
    for (size_t i = 0; in->name[i]; i++)
        if ((uint8_t)in->name[i] < 0x20 || (uint8_t)in->name[i] >= 0x7f)
            return bad(err, 56 + (int64_t)i, "name is not printable ASCII");
    for (size_t i = 56 + strlen(in->name); i < TM_HEADER; i++)
        if (p[i])
            return bad(err, (int64_t)i, "reserved bytes are not zero");
    in->checksum = tm_rd64(p + 48);
    return TRAWL_OK;
}

static bool finite_all(const uint8_t *p, size_t count, size_t *bad_at)
{
    for (size_t i = 0; i < count; i++) {
        float v = tm_rdf(p + 4 * i);
        if (!isfinite(v) || fabsf(v) > 1e6f) {
            *bad_at = 4 * i;
            return false;
        }
    }
    return true;
}

static trawl_status parse_payload(trawl_model *m, const uint8_t *p, size_t n, trawl_error *err)
{
    trawl_model_info *in = &m->info;
    unsigned h = in->hidden, nd = in->n_dense;
    layout l = plan(in->version, nd, h, in->feat.buckets, in->format, in->sparse, in->nnz_rows);
    uint64_t declared = tm_rd64(p + 40);
    if (declared != l.end)
        return bad(err, 40, "payload size does not match the dimensions");
    if (n - TM_HEADER < l.end)
        return trawl__fail_at(err, TRAWL_ETRUNCATED, (int64_t)n, -1,
                              "model file: truncated payload: %zu of %zu bytes at offset %zu",
                              n - TM_HEADER, l.end, n);
    if (n - TM_HEADER > l.end)
        return bad(err, (int64_t)(TM_HEADER + l.end), "trailing bytes after the payload");
    const uint8_t *q = p + TM_HEADER;
    if (XXH3_64bits(q, l.end) != in->checksum)
        return bad(err, 48, "checksum does not match the payload");
    for (unsigned j = 0; j < nd; j++) {
        const uint8_t *s = q + l.names + (size_t)j * TRAWL_MODEL_FEAT_LEN;
        if (!s[0] || memchr(s, 0, TRAWL_MODEL_FEAT_LEN) == NULL)
            return bad(err, TM_HEADER + (int64_t)(s - q),
                       "dense feature name is empty or unterminated");
        if (in->version >= 3 && q[l.flags + j] & ~TRAWL_MODEL_DENSE_BENIGN_SEEN)
            return bad(err, TM_HEADER + (int64_t)(l.flags + j), "unknown dense feature flags");
    }
    size_t at;
    if (!finite_all(q + l.wd, (l.b2 + 4 - l.wd) / 4, &at))
        return bad(err, TM_HEADER + (int64_t)(l.wd + at), "a dense weight is not a finite number");
    if (in->sparse) {
        uint32_t words = in->feat.buckets / 64, count = 0;
        for (uint32_t w = 0; w < words; w++) {
            if (tm_rd32(q + l.rank + 4u * w) != count)
                return bad(err, TM_HEADER + (int64_t)(l.rank + 4u * w),
                           "rank index does not match the bitmap");
            count += (uint32_t)__builtin_popcountll(tm_rd64(q + l.bitmap + 8u * w));
        }
        if (count != in->nnz_rows)
            return bad(err, 24, "stored row count does not match the bitmap");
    }
    if (in->format != TRAWL_MODEL_F32) {
        /* |weight| <= 1e6 in every format, so a converted model loads too */
        float lim = 1e6f / (in->format == TRAWL_MODEL_INT8 ? 127 : 7);
        for (uint32_t r = 0; r < in->nnz_rows; r++) {
            float s = tm_rdf(q + l.scales + 4u * r);
            if (!isfinite(s) || s < 0 || s > lim)
                return bad(err, TM_HEADER + (int64_t)(l.scales + 4u * r),
                           "a row scale is not a finite number in [0, 1e6 / 127] (int8) or [0, 1e6 "
                           "/ 7] (int4)");
        }
    } else if (!finite_all(q + l.table, (size_t)in->nnz_rows * h, &at)) {
        return bad(err, TM_HEADER + (int64_t)(l.table + at), "a weight is not a finite number");
    }
    m->Wd = malloc(((size_t)nd * h + 2u * h) * sizeof(float) + 1);
    if (!m->Wd)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    memcpy(m->Wd, q + l.wd, 4u * ((size_t)nd * h + 2u * h));
    m->b1 = m->Wd + (size_t)nd * h;
    m->w2 = m->b1 + h;
    m->b2 = tm_rdf(q + l.b2);
    m->names = q + l.names;
    m->flags = in->version >= 3 ? q + l.flags : NULL;
    m->bitmap = in->sparse ? q + l.bitmap : NULL;
    m->rank = in->sparse ? q + l.rank : NULL;
    m->scales = in->format != TRAWL_MODEL_F32 ? q + l.scales : NULL;
    m->table = q + l.table;
    m->row_bytes = row_bytes(in->format, h);
    in->file_bytes = n;
    return TRAWL_OK;
}

trawl_status trawl_model_load(const uint8_t *p, size_t n, trawl_model **out, trawl_error *err)
{
    trawl_error_clear(err);
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    *out = NULL;
    trawl_model *m = calloc(1, sizeof(*m));
    if (!m)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (!p)
        p = (const uint8_t *)"", n = 0;
    trawl_status st = parse_header(&m->info, p, n, err);
    if (st == TRAWL_OK)
        st = parse_payload(m, p, n, err);
    if (st != TRAWL_OK) {
        trawl_model_free(m);
        return st;
    }
    *out = m;
    return TRAWL_OK;
}

trawl_status trawl_model_open(const char *path, trawl_model **out, trawl_error *err)
{
    trawl_error_clear(err);
    if (!out || !path)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return trawl__fail(err, TRAWL_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0) {
        close(fd);
        return trawl__fail(err, TRAWL_EIO, "%s: not a regular, non-empty file", path);
    }
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return trawl__fail(err, TRAWL_EIO, "%s: cannot map: %s", path, strerror(errno));
    trawl_status st = trawl_model_load(map, len, out, err);
    if (st != TRAWL_OK) {
        munmap(map, len);
        return st;
    }
    (*out)->map = map;
    (*out)->map_len = len;
    return TRAWL_OK;
}

void trawl_model_free(trawl_model *m)
{
    if (!m)
        return;
    free(m->Wd);
    if (m->map)
        munmap(m->map, m->map_len);
    free(m);
}

void trawl_model_get_info(const trawl_model *m, trawl_model_info *info)
{
    *info = m->info;
}

const char *trawl_model_dense_name(const trawl_model *m, unsigned j)
{
    return j < m->info.n_dense ? (const char *)m->names + (size_t)j * TRAWL_MODEL_FEAT_LEN : NULL;
}

unsigned trawl_model_dense_flags(const trawl_model *m, unsigned j)
{
    return j < m->info.n_dense && m->flags ? m->flags[j] : 0;
}

/* ---- rows -------------------------------------------------------------------- */

bool trawl__tm_row(const trawl_model *m, uint32_t b, float *row)
{
    unsigned h = m->info.hidden;
    uint32_t r = b;
    if (m->bitmap) {
        uint64_t w = tm_rd64(m->bitmap + 8u * (b >> 6));
        if (!(w >> (b & 63) & 1)) {
            memset(row, 0, h * sizeof(float));
            return false;
        }
        r = tm_rd32(m->rank + 4u * (b >> 6)) +
            (uint32_t)__builtin_popcountll(w & ((1ull << (b & 63)) - 1));
    }
    const uint8_t *q = m->table + (size_t)r * m->row_bytes;
    switch (m->info.format) {
    case TRAWL_MODEL_F32:
        memcpy(row, q, 4u * h);
        break;
    case TRAWL_MODEL_INT8: {
        float s = tm_rdf(m->scales + 4u * r);
        for (unsigned k = 0; k < h; k++)
            row[k] = (float)(int8_t)q[k] * s;
        break;
    }
    case TRAWL_MODEL_INT4: {
        float s = tm_rdf(m->scales + 4u * r);
        for (unsigned k = 0; k < h; k++) {
            int v = k & 1 ? q[k / 2] >> 4 : q[k / 2] & 15;
            row[k] = (float)(v >= 8 ? v - 16 : v) * s;
        }
        break;
    }
    }
    return true;
}

/* ---- float parameters --------------------------------------------------------- */

int trawl__tm_params_alloc(tm_params *p)
{
    size_t h = p->hidden, nd = p->n_dense;
    p->names = calloc(nd ? nd : 1, sizeof(*p->names));
    p->flags = calloc(nd ? nd : 1, 1);
    p->E = calloc((size_t)p->f.buckets * h, sizeof(float));
    p->Wd = calloc(nd * h + 1, sizeof(float));
    p->b1 = calloc(h, sizeof(float));
    p->w2 = calloc(h, sizeof(float));
    if (!p->names || !p->flags || !p->E || !p->Wd || !p->b1 || !p->w2) {
        trawl__tm_params_free(p);
        return -1;
    }
    return 0;
}

void trawl__tm_params_free(tm_params *p)
{
    free(p->names);
    free(p->flags);
    free(p->E);
    free(p->Wd);
    free(p->b1);
    free(p->w2);
    p->names = NULL;
    p->flags = NULL;
    p->E = p->Wd = p->b1 = p->w2 = NULL;
}

int trawl__tm_params_from(const trawl_model *m, tm_params *p)
{
    const trawl_model_info *in = &m->info;
    memset(p, 0, sizeof(*p));
    p->f = in->feat;
    p->kind = in->kind;
    p->hidden = in->hidden;
    p->n_dense = in->n_dense;
    p->min_words = in->min_words;
    if (trawl__tm_params_alloc(p))
        return -1;
    for (unsigned j = 0; j < in->n_dense; j++) {
        memcpy(p->names[j], trawl_model_dense_name(m, j), TRAWL_MODEL_FEAT_LEN);
        p->flags[j] = (uint8_t)trawl_model_dense_flags(m, j);
    }
    for (uint32_t b = 0; b < in->feat.buckets; b++)
        trawl__tm_row(m, b, p->E + (size_t)b * in->hidden);
    memcpy(p->Wd, m->Wd, sizeof(float) * in->n_dense * in->hidden);
    memcpy(p->b1, m->b1, sizeof(float) * in->hidden);
    memcpy(p->w2, m->w2, sizeof(float) * in->hidden);
    p->b2 = m->b2;
    p->platt_a = in->platt_a;
    p->platt_b = in->platt_b;
    p->threshold = in->threshold;
    memcpy(p->name, in->name, sizeof p->name);
    return 0;
}

/* ---- writing ------------------------------------------------------------------ */

static void quantize_row(const float *w, unsigned h, trawl_model_format f, uint8_t *q, float *scale)
{
    float mx = 0;
    for (unsigned k = 0; k < h; k++)
        mx = fabsf(w[k]) > mx ? fabsf(w[k]) : mx;
    int lim = f == TRAWL_MODEL_INT8 ? 127 : 7;
    float s = mx > 0 ? mx / (float)lim : 0;
    *scale = s;
    if (f == TRAWL_MODEL_INT4)
        memset(q, 0, (h + 1) / 2);
    for (unsigned k = 0; k < h; k++) {
        long v = s > 0 ? lrintf(w[k] / s) : 0;
        v = v > lim ? lim : v < -lim ? -lim : v;
        if (f == TRAWL_MODEL_INT8)
            q[k] = (uint8_t)(int8_t)v;
        else
            q[k / 2] |= (uint8_t)((v & 15) << (k & 1 ? 4 : 0));
    }
}

int trawl__tm_write(const tm_params *p, trawl_model_format format, const uint8_t *keep,
                    uint8_t **out, size_t *len)
{
    unsigned h = p->hidden, nd = p->n_dense;
    uint32_t B = p->f.buckets;
    if (h < 1 || h > TRAWL_MODEL_MAX_HIDDEN || nd > TRAWL_MODEL_MAX_DENSE || B < 256 ||
        (B & (B - 1)) || (p->kind == TRAWL_MODEL_LINEAR && h != 1))
        return -1;
    uint32_t nnz = B;
    if (keep) {
        nnz = 0;
        for (uint32_t b = 0; b < B; b++)
            nnz += keep[b] != 0;
    }
    layout l = plan(TM_VERSION, nd, h, B, format, keep != NULL, nnz);
    uint8_t *f = calloc(1, TM_HEADER + l.end);
    if (!f)
        return -1;
    memcpy(f, TM_MAGIC, 4);
    tm_wr16(f + 4, TM_VERSION);
    tm_wr16(f + 6, TM_HEADER);
    f[8] = (uint8_t)p->kind;
    f[9] = (uint8_t)format;
    f[10] = keep != NULL;
    f[11] = (uint8_t)(p->min_words > 64 ? 64 : p->min_words);
    tm_wr32(f + 12, B);
    tm_wr16(f + 16, (uint16_t)h);
    tm_wr16(f + 18, (uint16_t)nd);
    f[20] = p->f.char_min;
    f[21] = p->f.char_max;
    f[22] = p->f.word_max;
    tm_wr32(f + 24, nnz);
    tm_wrf(f + 28, p->platt_a);
    tm_wrf(f + 32, p->platt_b);
    tm_wrf(f + 36, p->threshold);
    tm_wr64(f + 40, l.end);
    memcpy(f + 56, p->name, strnlen(p->name, TRAWL_MODEL_NAME_LEN));
    uint8_t *q = f + TM_HEADER;
    for (unsigned j = 0; j < nd; j++) {
        memcpy(q + l.names + (size_t)j * TRAWL_MODEL_FEAT_LEN, p->names[j],
               strnlen(p->names[j], TRAWL_MODEL_FEAT_LEN - 1));
        q[l.flags + j] = p->flags[j];
    }
    memcpy(q + l.wd, p->Wd, 4u * (size_t)nd * h);
    memcpy(q + l.b1, p->b1, 4u * h);
    memcpy(q + l.w2, p->w2, 4u * h);
    tm_wrf(q + l.b2, p->b2);
    if (keep) {
        uint32_t count = 0;
        for (uint32_t w = 0; w < B / 64; w++) {
            uint64_t bits = 0;
            for (unsigned i = 0; i < 64; i++)
                bits |= (uint64_t)(keep[w * 64 + i] != 0) << i;
            tm_wr64(q + l.bitmap + 8u * w, bits);
            tm_wr32(q + l.rank + 4u * w, count);
            count += (uint32_t)__builtin_popcountll(bits);
        }
    }
    size_t rb = row_bytes(format, h);
    for (uint32_t b = 0, r = 0; b < B; b++) {
        if (keep && !keep[b])
            continue;
        const float *w = p->E + (size_t)b * h;
        if (format == TRAWL_MODEL_F32) {
            memcpy(q + l.table + (size_t)r * rb, w, 4u * h);
        } else {
            float s;
            quantize_row(w, h, format, q + l.table + (size_t)r * rb, &s);
            tm_wrf(q + l.scales + 4u * r, s);
        }
        r++;
    }
    tm_wr64(f + 48, XXH3_64bits(q, l.end));
    *out = f;
    *len = TM_HEADER + l.end;
    return 0;
}

trawl_status trawl_model_set_calibration(uint8_t *file, size_t len, float a, float b,
                                         float threshold, trawl_error *err)
{
    trawl_model *m = NULL;
    trawl_status st = trawl_model_load(file, len, &m, err);
    if (st != TRAWL_OK)
        return st;
    trawl_model_free(m);
    if (!(isfinite(a) && a > 0 && a <= 1e3f && isfinite(b) && fabsf(b) <= 1e3f && threshold > 0 &&
          threshold <= 1))
        return trawl__fail(err, TRAWL_EINVAL, "calibration out of range");
    tm_wrf(file + 28, a);
    tm_wrf(file + 32, b);
    tm_wrf(file + 36, threshold);
    return TRAWL_OK; /* the header is not under the checksum */
}
