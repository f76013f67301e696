/* eval.c -- ground truth (Wireshark's leaf fields as JSON lines) and the
 * boundary metrics of BinaryInferno (precision, recall, F1) with BinPRE's
 * perfection. The truth file is input like any other: every record is
 * checked (fields inside the payload, hex well formed) before it is used. */
#include "common/codec.h"
#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

#define MAX_RECORDS 10000000u

typedef struct truth_field {
    uint32_t off, size;
    uint32_t name; /* index into the name table */
} truth_field;

typedef struct truth_rec {
    uint64_t frame;
    uint8_t *payload;
    size_t len;
    truth_field *f;
    size_t nf;
} truth_rec;

struct trawl_infer_truth {
    truth_rec *r;
    size_t n, cap;
    char **names;
    size_t nnames, capnames;
};

void trawl_infer_truth_free(trawl_infer_truth *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->r[i].payload);
        free(t->r[i].f);
    }
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i]);
    free(t->names);
    free(t->r);
    free(t);
}

size_t trawl_infer_truth_count(const trawl_infer_truth *t)
{
    return t ? t->n : 0;
}

uint64_t trawl_infer_truth_frame(const trawl_infer_truth *t, size_t i, trawl_span *payload)
{
    if (!t || i >= t->n)
        return 0;
    if (payload)
        *payload = (trawl_span){t->r[i].payload, t->r[i].len};
    return t->r[i].frame;
}

bool trawl_infer_truth_field(const trawl_infer_truth *t, size_t i, size_t k, uint32_t *offset,
                             uint32_t *size, const char **name)
{
    if (!t || i >= t->n || k >= t->r[i].nf)
        return false;
    const truth_field *f = &t->r[i].f[k];
    if (offset)
        *offset = f->off;
    if (size)
        *size = f->size;
    if (name)
        *name = t->names[f->name];
    return true;
}

/* Index of name, added when new; -1 on ENOMEM. Linear: captures have a few
 * hundred field names. */
static long name_index(trawl_infer_truth *t, const char *s)
{
    for (size_t i = 0; i < t->nnames; i++)
        if (!strcmp(t->names[i], s))
            return (long)i;
    if (t->nnames == t->capnames) {
        size_t c = t->capnames ? 2 * t->capnames : 64;
        char **nn = realloc(t->names, c * sizeof(*nn));
        if (!nn)
            return -1;
        t->names = nn;
        t->capnames = c;
    }
    char *d = strdup(s);
    if (!d)
        return -1;
    t->names[t->nnames] = d;
    return (long)t->nnames++;
}

static bool json_uint(const cJSON *j, uint64_t max, uint64_t *out)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > (double)max ||
        j->valuedouble != (double)(uint64_t)j->valuedouble)
        return false;
    *out = (uint64_t)j->valuedouble;
    return true;
}

/* One line into rec; a message on failure. */
static const char *parse_record(trawl_infer_truth *t, const char *line, size_t n, truth_rec *rec)
{
    cJSON *j = cJSON_ParseWithLength(line, n);
    const char *why = NULL;
    memset(rec, 0, sizeof(*rec));
    if (!j || !cJSON_IsObject(j)) {
        why = "not a JSON object";
        goto out;
    }
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(j, "frame");
    const cJSON *hx = cJSON_GetObjectItemCaseSensitive(j, "payload_hex");
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(j, "fields");
    if (!json_uint(fr, UINT32_MAX, &rec->frame) || !cJSON_IsString(hx) || !cJSON_IsArray(fs)) {
        why = "expected \"frame\", \"payload_hex\" and \"fields\"";
        goto out;
    }
    size_t hl = strlen(hx->valuestring);
    if (hl % 2) {
        why = "payload_hex has an odd length";
        goto out;
    }
    rec->len = hl / 2;
    rec->payload = malloc(rec->len ? rec->len : 1);
    if (!rec->payload) {
        why = "out of memory";
        goto out;
    }
    for (size_t i = 0; i < rec->len; i++) {
        int hi = trawl__hexval(hx->valuestring[2 * i]),
            lo = trawl__hexval(hx->valuestring[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            why = "payload_hex is not hex";
            goto out;
        }
        rec->payload[i] = (uint8_t)(hi << 4 | lo);
    }
    size_t nf = (size_t)cJSON_GetArraySize(fs);
    rec->f = calloc(nf ? nf : 1, sizeof(*rec->f));
    if (!rec->f) {
        why = "out of memory";
        goto out;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, fs)
    {
        uint64_t off, size;
        const cJSON *name = cJSON_GetArrayItem(e, 2);
        if (!cJSON_IsArray(e) || !json_uint(cJSON_GetArrayItem(e, 0), UINT32_MAX, &off) ||
            !json_uint(cJSON_GetArrayItem(e, 1), UINT32_MAX, &size) || !cJSON_IsString(name)) {
            why = "a field is not [offset, size, name, bitmask]";
            goto out;
        }
        if (off + size > rec->len || size == 0) {
            why = "a field lies outside the payload";
            goto out;
        }
        long ni = name_index(t, name->valuestring);
        if (ni < 0) {
            why = "out of memory";
            goto out;
        }
        rec->f[rec->nf++] = (truth_field){(uint32_t)off, (uint32_t)size, (uint32_t)ni};
    }
out:
    cJSON_Delete(j);
    if (why) {
        free(rec->payload);
        free(rec->f);
        memset(rec, 0, sizeof(*rec));
    }
    return why;
}

trawl_status trawl_infer_truth_parse(const char *text, size_t len, trawl_infer_truth **out,
                                     trawl_error *err)
{
    if (!out || (!text && len))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    trawl_infer_truth *t = calloc(1, sizeof(*t));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        size_t a = pos;
        while (a < end && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
            a++;
        if (a < end) {
            if (t->n == MAX_RECORDS) {
                trawl_infer_truth_free(t);
                return trawl__fail_at(err, TRAWL_ELIMIT, (int64_t)pos, -1, "more than %u records",
                                      MAX_RECORDS);
            }
            if (t->n == t->cap) {
                size_t c = t->cap ? 2 * t->cap : 256;
                truth_rec *nr = realloc(t->r, c * sizeof(*nr));
                if (!nr) {
                    trawl_infer_truth_free(t);
                    return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                }
                t->r = nr;
                t->cap = c;
            }
            const char *why = parse_record(t, text + a, end - a, &t->r[t->n]);
            if (why) {
                trawl_infer_truth_free(t);
                trawl__fail_at(err, TRAWL_EFORMAT, (int64_t)pos, -1, "line %d: %s", line, why);
                if (err)
                    err->line = line;
                return TRAWL_EFORMAT;
            }
            t->n++;
        }
        pos = end + 1;
    }
    *out = t;
    return TRAWL_OK;
}

/* --- scoring ------------------------------------------------------------------- */

/* Names whose bytes are the same in every record they occur in (twice or more). */
static bool *constant_names(const trawl_infer_truth *t)
{
    bool *c = calloc(t->nnames ? t->nnames : 1, 1);
    const uint8_t **first = calloc(t->nnames ? t->nnames : 1, sizeof(*first));
    uint32_t *size = calloc(t->nnames ? t->nnames : 1, sizeof(*size));
    uint32_t *seen = calloc(t->nnames ? t->nnames : 1, sizeof(*seen));
    if (!c || !first || !size || !seen) {
        free(c);
        c = NULL;
        goto out;
    }
    for (size_t i = 0; i < t->nnames; i++)
        c[i] = true;
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < t->r[i].nf; k++) {
            const truth_field *f = &t->r[i].f[k];
            const uint8_t *p = t->r[i].payload + f->off;
            if (!seen[f->name]++) {
                first[f->name] = p;
                size[f->name] = f->size;
            } else if (size[f->name] != f->size || memcmp(first[f->name], p, f->size)) {
                c[f->name] = false;
            }
        }
    for (size_t i = 0; i < t->nnames; i++)
        if (seen[i] < 2)
            c[i] = false;
out:
    free(first);
    free(size);
    free(seen);
    return c;
}

typedef struct rec_marks {
    uint8_t *b;   /* 1: truth boundary at offset */
    uint8_t *cov; /* 1: byte covered by a truth field */
    uint8_t *st_var, *st_const, *en_var, *en_const;
} rec_marks;

static void score_record(const truth_rec *r, const bool *cnames, const uint32_t *ib, size_t nib,
                         rec_marks *m, trawl_infer_score *s)
{
    size_t L = r->len;
    memset(m->b, 0, L + 1);
    memset(m->cov, 0, L + 1);
    memset(m->st_var, 0, L + 1);
    memset(m->st_const, 0, L + 1);
    memset(m->en_var, 0, L + 1);
    memset(m->en_const, 0, L + 1);
    for (size_t k = 0; k < r->nf; k++) {
        const truth_field *f = &r->f[k];
        bool c = cnames[f->name];
        (c ? m->st_const : m->st_var)[f->off] = 1;
        (c ? m->en_const : m->en_var)[f->off + f->size] = 1;
        memset(m->cov + f->off, 1, f->size);
    }
    /* a boundary stands unless every field ending and starting there is constant */
    for (size_t x = 1; x < L; x++) {
        bool any = m->st_var[x] || m->st_const[x] || m->en_var[x] || m->en_const[x];
        bool merged = m->st_const[x] && m->en_const[x] && !m->st_var[x] && !m->en_var[x];
        m->b[x] = any && !merged;
    }
    uint8_t *inf = m->st_var; /* reuse: inferred boundary marks */
    memset(inf, 0, L + 1);
    for (size_t k = 0; k < nib; k++)
        if (ib[k] > 0 && ib[k] < L && (m->cov[ib[k] - 1] || m->cov[ib[k]]))
            inf[ib[k]] = 1;
    for (size_t x = 1; x < L; x++) {
        s->tp += m->b[x] && inf[x];
        s->fp += !m->b[x] && inf[x];
        s->fn += m->b[x] && !inf[x];
    }
    /* perfection over the merged truth fields: spans between consecutive
     * truth boundaries (0 and L included) that some field covers */
    size_t a = 0;
    for (size_t x = 1; x <= L; x++) {
        if (x < L && !m->b[x])
            continue;
        if (m->cov[a]) {
            bool ok = (a == 0 || inf[a]) && (x == L || inf[x]);
            for (size_t y = a + 1; y < x && ok; y++)
                ok = !inf[y];
            s->fields++;
            s->perfect += ok;
        }
        a = x;
    }
    s->messages++;
}

trawl_status trawl_infer_score_truth(const trawl_infer_truth *t, trawl_infer_bounds_fn bounds,
                                     void *ud, trawl_infer_score *out, trawl_error *err)
{
    if (!t || !bounds || !out)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    size_t maxl = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->r[i].len > maxl)
            maxl = t->r[i].len;
    bool *cn = constant_names(t);
    uint8_t *buf = malloc(6 * (maxl + 1));
    if (!cn || !buf) {
        free(cn);
        free(buf);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    rec_marks m = {buf,
                   buf + (maxl + 1),
                   buf + 2 * (maxl + 1),
                   buf + 3 * (maxl + 1),
                   buf + 4 * (maxl + 1),
                   buf + 5 * (maxl + 1)};
    for (size_t i = 0; i < t->n; i++) {
        if (!t->r[i].nf)
            continue;
        size_t nib = 0;
        const uint32_t *ib = bounds(ud, t->r[i].frame, &nib);
        score_record(&t->r[i], cn, ib, ib ? nib : 0, &m, out);
    }
    free(cn);
    free(buf);
    out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : 0;
    out->recall = out->tp + out->fn ? (double)out->tp / (double)(out->tp + out->fn) : 0;
    out->f1 = out->precision + out->recall > 0
                  ? 2 * out->precision * out->recall / (out->precision + out->recall)
                  : 0;
    out->perfection = out->fields ? (double)out->perfect / (double)out->fields : 0;
    return TRAWL_OK;
}
