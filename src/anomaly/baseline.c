/* baseline.c -- baselines on disk: a line-based text format (docs/anomaly.md)
 *
 *   trawl-anomaly-baseline 1
 *   params METHODS Z MZ IQR_K EWMA_LAMBDA EWMA_L CUSUM_K CUSUM_H RATE_WINDOW MIN_SAMPLES
 *          MAX_DISTINCT COLUMNS MAX_COLUMNS                                (one line)
 *   type PORT KEY_OFFSET KEY_VALUE N_FIELDS [OFFSET:SIZE:BIG_ENDIAN]...
 *   chan ROLE N MEAN M2 MIN MAX STD MEDIAN MAD MEANAD Q1 Q3 OVERFLOW N_VALS [VALUE]... NAME
 *
 * NAME runs to the end of the line, bytes below 0x20 and '%' written as
 * %XX. Numbers are printed with 17 significant digits, so a baseline read
 * back tests exactly as the one written. The file is untrusted when read:
 * every count is bounded, every number checked, and an error names the line
 * and the column. A loaded baseline is fixed (it keeps statistics, not
 * samples): it detects, it does not learn. */
#include "anomaly/anom_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define MAGIC     "trawl-anomaly-baseline"
#define VERSION   1
#define MAX_LINE  (1u << 16)
#define MAX_TYPES 65536u

static void put_name(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == '%' || *p == 0x7f)
            fprintf(out, "%%%02X", *p);
        else
            fputc(*p, out);
    }
}

trawl_status trawl_anom_save(const trawl_anom_model *m, FILE *out, trawl_error *err)
{
    if (!m || !out)
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    if (!m->finished)
        return trawl__fail(err, TRAWL_ESTATE, "anomaly: finish the baseline before saving it");
    const trawl_anom_params *p = &m->p;
    fprintf(out, "%s %d\nparams %u %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %u %u %d %u\n",
            MAGIC, VERSION, p->methods, p->z, p->mz, p->iqr_k, p->ewma_lambda, p->ewma_l,
            p->cusum_k, p->cusum_h, p->rate_window, p->min_samples, p->max_distinct,
            p->columns ? 1 : 0, p->max_columns);
    for (size_t i = 0; i < m->n_types; i++) {
        const anom_type *t = &m->types[i];
        fprintf(out, "type %u %d %llu %u", t->port, t->key_offset, (unsigned long long)t->key_value,
                t->n_fields);
        for (unsigned k = 0; k < t->n_fields; k++)
            fprintf(out, " %u:%u:%d", t->fields[k].offset, t->fields[k].size,
                    t->fields[k].big_endian ? 1 : 0);
        fputc('\n', out);
    }
    for (size_t i = 0; i < m->n_chans; i++) {
        const chan *c = m->chans[i];
        fprintf(out,
                "chan %d %llu %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d %u",
                (int)c->role, (unsigned long long)c->n, c->mean, c->m2, c->min, c->max, c->std,
                c->median, c->mad, c->meanad, c->q1, c->q3, c->overflow ? 1 : 0, c->n_vals);
        for (uint32_t k = 0; k < c->n_vals; k++)
            fprintf(out, " %.17g", c->vals[k]);
        fputc(' ', out);
        put_name(out, c->name);
        fputc('\n', out);
    }
    if (fflush(out) != 0 || ferror(out))
        return trawl__fail(err, TRAWL_EIO, "anomaly: cannot write the baseline: %s",
                           strerror(errno));
    return TRAWL_OK;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct rd {
    const char *p, *line, *end; /* cursor, start of the line, end of the line */
    int lineno;
    trawl_error *err;
} rd;

static trawl_status bad(rd *r, const char *what)
{
    if (r->err) {
        r->err->line = r->lineno;
        r->err->column = (int)(r->p - r->line) + 1;
    }
    return trawl__fail(r->err, TRAWL_EFORMAT, "anomaly baseline: %s", what);
}

static bool word(rd *r, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) || (r->p + n < r->end && r->p[n] != ' '))
        return false;
    r->p += n;
    return true;
}

static bool space(rd *r)
{
    if (r->p >= r->end || *r->p != ' ')
        return false;
    r->p++;
    return true;
}

/* A number of the line (no leading space): strtod on a bounded copy. */
static bool num(rd *r, double *out)
{
    char buf[64];
    size_t n = 0;
    while (r->p + n < r->end && r->p[n] != ' ' && r->p[n] != ':' && n < sizeof(buf) - 1)
        n++;
    if (n == 0 || n == sizeof(buf) - 1)
        return false;
    memcpy(buf, r->p, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (*e || errno == ERANGE || isnan(v))
        return false;
    *out = v;
    r->p += n;
    return true;
}

static bool unum(rd *r, double max, double *out)
{
    return num(r, out) && *out >= 0 && *out <= max && *out == floor(*out);
}

static bool finite_field(rd *r, double *out)
{
    return space(r) && num(r, out) && isfinite(*out);
}

static trawl_status parse_params(rd *r, trawl_anom_params *p)
{
    double v[13];
    if (!word(r, "params"))
        return bad(r, "expected 'params'");
    for (int i = 0; i < 13; i++)
        if (!space(r) || !num(r, &v[i]) || !isfinite(v[i]))
            return bad(r, "bad parameter");
    if (r->p != r->end)
        return bad(r, "trailing text");
    if (v[0] < 1 || v[0] > TRAWL_ANOM_ALL || v[0] != floor(v[0]) || v[9] < 2 || v[9] > 1e6 ||
        v[10] < 1 || v[10] > 4096 || (v[11] != 0 && v[11] != 1) || v[12] < 1 || v[12] > 4096)
        return bad(r, "parameter out of range");
    *p = (trawl_anom_params){(unsigned)v[0],
                             v[1],
                             v[2],
                             v[3],
                             v[4],
                             v[5],
                             v[6],
                             v[7],
                             v[8],
                             (unsigned)v[9],
                             false,
                             0,
                             0,
                             (unsigned)v[10],
                             0,
                             v[11] == 1,
                             (unsigned)v[12]};
    return TRAWL_OK;
}

static trawl_status parse_type(rd *r, trawl_anom_model *m)
{
    double port, koff, kval, nf;
    if (!space(r) || !unum(r, 65535, &port) || !space(r) || !num(r, &koff) || koff < -1 ||
        koff > 65535 || koff != floor(koff) || !space(r) || !unum(r, 255, &kval) || !space(r) ||
        !unum(r, 4096, &nf))
        return bad(r, "bad type header");
    if (m->n_types >= MAX_TYPES)
        return trawl__fail(r->err, TRAWL_ELIMIT, "anomaly baseline: more than %u types", MAX_TYPES);
    anom_type *g = realloc(m->types, (m->n_types + 1) * sizeof(*g));
    if (!g)
        return trawl__fail(r->err, TRAWL_ENOMEM, "anomaly: out of memory");
    m->types = g;
    anom_type *t = &m->types[m->n_types++];
    *t = (anom_type){(uint16_t)port, (int32_t)koff, (uint64_t)kval, 0, NULL};
    t->fields = calloc(nf > 0 ? (size_t)nf : 1, sizeof(*t->fields));
    if (!t->fields)
        return trawl__fail(r->err, TRAWL_ENOMEM, "anomaly: out of memory");
    for (unsigned k = 0; k < (unsigned)nf; k++) {
        double off, size, be;
        if (!space(r) || !unum(r, 65535, &off) || r->p >= r->end || *r->p++ != ':' ||
            !unum(r, 8, &size) || size < 1 || r->p >= r->end || *r->p++ != ':' || !unum(r, 1, &be))
            return bad(r, "bad field (OFFSET:SIZE:BIG_ENDIAN)");
        t->fields[t->n_fields++] = (trawl_infer_field){.offset = (uint32_t)off,
                                                       .size = (uint32_t)size,
                                                       .kind = TRAWL_FIELD_BYTES,
                                                       .big_endian = be == 1};
    }
    return r->p == r->end ? TRAWL_OK : bad(r, "trailing text");
}

static trawl_status parse_chan(rd *r, trawl_anom_model *m)
{
    double role, n, v[10], ovf, nv;
    if (!space(r) || !unum(r, ROLE_COUNT_ - 1, &role) || !space(r) || !unum(r, 1e18, &n))
        return bad(r, "bad channel role or count");
    for (int i = 0; i < 10; i++)
        if (!finite_field(r, &v[i]))
            return bad(r, "bad channel statistic");
    if (v[1] < 0 || v[4] < 0 || v[6] < 0 || v[7] < 0)
        return bad(r, "negative spread");
    if (!space(r) || !unum(r, 1, &ovf) || !space(r) || !unum(r, m->p.max_distinct, &nv))
        return bad(r, "bad value count");
    double vals[4096];
    for (unsigned k = 0; k < (unsigned)nv; k++)
        if (!finite_field(r, &vals[k]))
            return bad(r, "bad value");
    if (!space(r) || r->p >= r->end)
        return bad(r, "missing channel name");
    char name[1024];
    size_t k = 0;
    for (; r->p < r->end; r->p++) {
        char ch = *r->p;
        if (ch == '%') {
            unsigned x;
            if (r->end - r->p < 3 || sscanf(r->p + 1, "%2X", &x) != 1)
                return bad(r, "bad %XX escape in the name");
            ch = (char)x;
            r->p += 2;
        }
        if (k + 1 >= sizeof(name) || ch == 0)
            return bad(r, "name too long or holding NUL");
        name[k++] = ch;
    }
    name[k] = 0;
    bool nomem;
    if (trawl__anom_chan(m, name, (chan_role)role, false, &nomem))
        return bad(r, "duplicate channel");
    chan *c = trawl__anom_chan(m, name, (chan_role)role, true, &nomem);
    if (!c)
        return nomem ? trawl__fail(r->err, TRAWL_ENOMEM, "anomaly: out of memory")
                     : trawl__fail(r->err, TRAWL_ELIMIT, "anomaly baseline: too many channels");
    c->n = (uint64_t)n;
    c->mean = v[0];
    c->m2 = v[1];
    c->min = v[2];
    c->max = v[3];
    c->std = v[4];
    c->median = v[5];
    c->mad = v[6];
    c->meanad = v[7];
    c->q1 = v[8];
    c->q3 = v[9];
    c->overflow = ovf == 1;
    if (nv > 0) {
        c->vals = malloc(m->p.max_distinct * sizeof(double));
        if (!c->vals)
            return trawl__fail(r->err, TRAWL_ENOMEM, "anomaly: out of memory");
        memcpy(c->vals, vals, (size_t)nv * sizeof(double));
        c->n_vals = (uint32_t)nv;
    }
    c->done = true;
    return TRAWL_OK;
}

static trawl_status parse(const char *text, size_t len, trawl_anom_model *m, trawl_error *err)
{
    rd r = {text, text, text, 0, err};
    const char *stop = text + len;
    trawl_status s = TRAWL_OK;
    while (s == TRAWL_OK && r.p < stop) {
        r.line = r.p;
        r.lineno++;
        r.end = memchr(r.p, '\n', (size_t)(stop - r.p));
        if (!r.end)
            r.end = stop;
        if ((size_t)(r.end - r.line) > MAX_LINE)
            return bad(&r, "line longer than 64 KiB");
        if (r.lineno == 1) {
            double v;
            if (!word(&r, MAGIC) || !space(&r) || !num(&r, &v) || r.p != r.end)
                return bad(&r, "not a trawl anomaly baseline");
            if (v != VERSION)
                return trawl__fail(err, TRAWL_EVERSION, "anomaly baseline: version %g, want %d", v,
                                   VERSION);
        } else if (r.lineno == 2) {
            s = parse_params(&r, &m->p);
            if (s == TRAWL_OK) {
                trawl_anom_params q = m->p;
                s = trawl__anom_params_fix(&q, err);
                if (s != TRAWL_OK && err)
                    err->line = r.lineno;
                if (s != TRAWL_OK)
                    s = TRAWL_EFORMAT;
                m->p = q;
            }
        } else if (word(&r, "type")) {
            s = parse_type(&r, m);
        } else if (word(&r, "chan")) {
            s = parse_chan(&r, m);
        } else if (r.p != r.end) {
            return bad(&r, "expected 'type' or 'chan'");
        }
        r.p = r.end + (r.end < stop);
    }
    if (s == TRAWL_OK && r.lineno < 2)
        return bad(&r, "missing header or params line");
    return s;
}

trawl_status trawl_anom_load(const char *text, size_t len, const trawl_anom_params *params,
                             trawl_anom_model **out, trawl_error *err)
{
    if (!out || (!text && len))
        return trawl__fail(err, TRAWL_EINVAL, "anomaly: NULL argument");
    *out = NULL;
    trawl_anom_model *m;
    trawl_status s = trawl_anom_new(NULL, &m, err);
    if (s != TRAWL_OK)
        return s;
    s = parse(text, len, m, err);
    if (s == TRAWL_OK && params) {
        trawl_anom_params p = *params;
        p.min_samples = p.min_samples ? p.min_samples : m->p.min_samples;
        p.max_distinct = m->p.max_distinct;
        p.columns = m->p.columns;
        p.max_columns = m->p.max_columns;
        p.rate_window = m->p.rate_window;
        s = trawl__anom_params_fix(&p, err);
        m->p = p;
    }
    if (s == TRAWL_OK)
        s = trawl__anom_params_fix(&m->p, err);
    if (s != TRAWL_OK) {
        trawl_anom_free(m);
        return s;
    }
    m->p.online = false; /* statistics without samples cannot learn on */
    m->finished = true;
    m->learned_msgs = true;
    *out = m;
    return TRAWL_OK;
}
