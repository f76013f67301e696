/* semantic.c -- fields recognised by what their values mean rather than by
 * how their bytes vary: length fields (value tracks the message length),
 * counters (constant step per flow and direction, with wrap), checksums
 * (trawl_check_locate at the ends, and header checksums at a fixed
 * offset), and the classification of any field into a kind. */
#include "infer/infer_int.h"
#include "infer/check_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_SAMPLE  24 /* messages given to checksum recovery */
#define COUNTER_MIN   4  /* forward steps (and pairs) a counter needs */
#define COUNTER_SHARE 0.8
#define ENUM_MAX      12
#define LENGTH_SHARE  0.9             /* messages a length field must fit */
#define TS_WINDOW     (86400.0 * 366) /* a timestamp is within a year of capture */

static const trawl_span *msg(const msg_set *s, size_t i)
{
    return &s->m[s->idx[i]].data;
}

static bool push(trawl_infer_field **out, size_t *n, const trawl_infer_field *f)
{
    trawl_infer_field *g = realloc(*out, (*n + 1) * sizeof(*g));
    if (!g)
        return false;
    g[*n] = *f;
    *out = g;
    (*n)++;
    return true;
}

static bool overlaps(const trawl_infer_field *a, size_t n, uint32_t off, uint32_t size)
{
    for (size_t i = 0; i < n; i++)
        if (off < a[i].offset + a[i].size && a[i].offset < off + size)
            return true;
    return false;
}

/* value = len - from + adjust for nearly every message (a capture without
 * reassembly holds a few segments that are not whole messages), lengths
 * varying among those that fit. */
static bool find_length(const msg_set *s, uint32_t o, unsigned w, bool be, trawl_infer_field *f)
{
    if (s->min_len == s->max_len || o + w > s->min_len || s->n < 2)
        return false;
    /* a majority vote on d = value - length, Boyer-Moore style */
    int64_t cand = 0;
    size_t votes = 0;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = msg(s, i);
        int64_t dd = (int64_t)ifr_read(d->ptr + o, w, be) - (int64_t)d->len;
        if (!votes) {
            cand = dd;
            votes = 1;
        } else {
            votes += dd == cand ? 1 : (size_t)-1;
        }
    }
    size_t fit = 0;
    uint32_t lmin = UINT32_MAX, lmax = 0;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = msg(s, i);
        if ((int64_t)ifr_read(d->ptr + o, w, be) - (int64_t)d->len != cand)
            continue;
        fit++;
        lmin = d->len < lmin ? (uint32_t)d->len : lmin;
        lmax = d->len > lmax ? (uint32_t)d->len : lmax;
    }
    if ((double)fit < LENGTH_SHARE * (double)s->n || lmin == lmax)
        return false;
    if (cand > 16 || cand < -(int64_t)s->min_len)
        return false;
    memset(f, 0, sizeof *f);
    f->offset = o;
    f->size = w;
    f->kind = TRAWL_FIELD_LENGTH;
    f->big_endian = be;
    f->confidence = (float)fit / (float)s->n;
    f->signals = TRAWL_SIG_LENGTH;
    f->len_from = (int32_t)(o + w);
    f->len_adjust = (int32_t)(cand + (int64_t)(o + w));
    return true;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* s's messages ordered by flow, then input order. */
static bool flow_order(const msg_set *s, uint32_t *ord)
{
    uint64_t *k = malloc((s->n ? s->n : 1) * sizeof(*k));
    if (!k)
        return false;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_infer_msg *m = &s->m[s->idx[i]];
        k[i] = (uint64_t)m->flow << 32 | s->idx[i];
    }
    qsort(k, s->n, sizeof(*k), cmp_u64);
    for (size_t i = 0; i < s->n; i++)
        ord[i] = (uint32_t)(k[i] & 0x7FFFFFFF);
    free(k);
    return true;
}

/* A counter: per flow, in input order (both directions: a reply often
 * echoes the request's number), the value never steps back by more than
 * it steps forward: small forward steps (1..16) in most consecutive pairs,
 * repeats allowed, wrap allowed. ord lists s's messages sorted by flow and
 * input order. */
static bool find_counter(const msg_set *s, const uint32_t *ord, uint32_t o, unsigned w, bool be,
                         trawl_infer_field *f)
{
    uint64_t mask = w >= 8 ? ~0ull : (1ull << (8 * w)) - 1;
    size_t pairs = 0, fwd = 0, same = 0;
    /* only flows of 3 or more messages show a count going on (a request
     * and its reply alone can step by one by chance) */
    size_t run = 0;
    for (size_t i = 0; i < s->n; i = run) {
        run = i + 1;
        while (run < s->n && s->m[ord[run]].flow == s->m[ord[i]].flow)
            run++;
        if (run - i < 3)
            continue;
        for (size_t k = i + 1; k < run; k++) {
            const trawl_infer_msg *a = &s->m[ord[k - 1]], *b = &s->m[ord[k]];
            uint64_t va = ifr_read(a->data.ptr + o, w, be), vb = ifr_read(b->data.ptr + o, w, be);
            uint64_t dlt = (vb - va) & mask;
            pairs++;
            fwd += dlt >= 1 && dlt <= 16;
            same += dlt == 0;
        }
    }
    if (pairs < COUNTER_MIN || fwd < COUNTER_MIN ||
        (double)(fwd + same) < COUNTER_SHARE * (double)pairs || 3 * fwd < pairs)
        return false;
    memset(f, 0, sizeof *f);
    f->offset = o;
    f->size = w;
    f->kind = TRAWL_FIELD_COUNTER;
    f->big_endian = be;
    f->confidence = (float)(fwd + same) / (float)pairs;
    f->signals = TRAWL_SIG_COUNTER;
    return true;
}

static bool find_checksum(const msg_set *s, trawl_infer_field *f)
{
    size_t k = s->n < CHECK_SAMPLE ? s->n : CHECK_SAMPLE;
    if (k < 4)
        return false;
    trawl_span *sp = malloc(k * sizeof(*sp));
    if (!sp)
        return false;
    for (size_t i = 0; i < k; i++)
        sp[i] = *msg(s, i * s->n / k);
    trawl_check_locate_opts o = {
        .sizes = 2 | 4, .max_skip = 4, .kinds = TRAWL_CHECK_ALL_KINDS | TRAWL_CHECK_NO_SEARCH};
    trawl_check_place pl;
    trawl_check_algo a;
    bool found = false;
    trawl_check_locate(sp, k, &o, &pl, &a, &found, NULL);
    free(sp);
    if (!found)
        return false;
    memset(f, 0, sizeof *f);
    f->kind = TRAWL_FIELD_CHECKSUM;
    f->size = pl.size;
    f->offset = pl.offset >= 0 ? (uint32_t)pl.offset : 0; /* trailing: per message */
    f->big_endian = pl.big_endian;
    f->confidence = 1.0f;
    f->signals = TRAWL_SIG_CHECKSUM;
    f->check = pl;
    f->algo = a;
    return pl.offset >= 0; /* a trailing checksum has no fixed offset: not a prefix field */
}

/* A checksum at a fixed offset o covering [from, o) (a header checksum). */
static bool find_header_check(const msg_set *s, uint32_t o, unsigned w, trawl_infer_field *f)
{
    size_t k = s->n < CHECK_SAMPLE ? s->n : CHECK_SAMPLE;
    if (k < 4 || o < 4)
        return false;
    trawl_check_sample *cs = malloc(k * sizeof(*cs));
    if (!cs)
        return false;
    bool found = false;
    for (int be = 1; be >= 0 && !found; be--)
        for (uint32_t from = 0; from + 2 <= o && from <= 4 && !found; from++) {
            for (size_t i = 0; i < k; i++) {
                const trawl_span *d = msg(s, i * s->n / k);
                cs[i].data = (trawl_span){d->ptr + from, o - from};
                cs[i].check = ifr_read(d->ptr + o, w, be);
            }
            trawl_check_algo a;
            trawl_check_recover(cs, k, 8 * w, TRAWL_CHECK_ALL_KINDS | TRAWL_CHECK_NO_SEARCH, &a,
                                &found, NULL);
            if (found) {
                memset(f, 0, sizeof *f);
                f->kind = TRAWL_FIELD_CHECKSUM;
                f->offset = o;
                f->size = w;
                f->big_endian = be;
                f->confidence = 1.0f;
                f->signals = TRAWL_SIG_CHECKSUM;
                f->check = (trawl_check_place){(int32_t)o, w, be, from, (int32_t)o};
                f->algo = a;
            }
        }
    free(cs);
    return found;
}

bool ifr_semantic(const msg_set *s, bool be_pref, unsigned what, trawl_infer_field **out, size_t *n)
{
    bool checksums = what & SEM_CHECKSUM;
    trawl_infer_field f;
    uint32_t pre = s->min_len;
    static const unsigned widths[] = {2, 4, 1};
    /* lengths: 2 and 1 bytes first, so that a 4-byte match whose high
     * bytes are zero yields to the 2-byte field it holds */
    static const unsigned lwidths[] = {2, 1, 4};
    /* aligned places first: with few messages a field's neighbours can
     * fit as well, one byte off */
    for (int wi = 0; wi < 3 && (what & SEM_LENGTH); wi++)
        for (int aligned = 1; aligned >= 0; aligned--)
            for (uint32_t o = 0; o < pre && o < 64; o++)
                for (int b = 0; b < (lwidths[wi] > 1 ? 2 : 1); b++) {
                    bool be = b == 0 ? be_pref : !be_pref;
                    if ((o % lwidths[wi] == 0) != aligned)
                        continue;
                    if (!overlaps(*out, *n, o, lwidths[wi]) &&
                        find_length(s, o, lwidths[wi], be, &f) && !push(out, n, &f))
                        return false;
                }
    if (!(what & (SEM_COUNTER | SEM_COUNTER1)))
        goto checks;
    /* counters */
    uint32_t *ord = malloc((s->n ? s->n : 1) * sizeof(*ord));
    if (!ord)
        return false;
    if (!flow_order(s, ord)) {
        free(ord);
        return false;
    }
    for (uint32_t o = 0; o < pre && o < 64; o++)
        for (int wi = 0; wi < 3; wi++)
            for (int b = 0; b < (widths[wi] > 1 ? 2 : 1); b++) {
                bool be = b == 0 ? be_pref : !be_pref;
                if (!(what & (widths[wi] == 1 ? SEM_COUNTER1 : SEM_COUNTER)))
                    continue;
                if (o + widths[wi] <= pre && !overlaps(*out, *n, o, widths[wi]) &&
                    find_counter(s, ord, o, widths[wi], be, &f) && !push(out, n, &f)) {
                    free(ord);
                    return false;
                }
            }
    free(ord);
checks:
    if (!checksums)
        return true;
    if (find_checksum(s, &f) && !overlaps(*out, *n, f.offset, f.size) && !push(out, n, &f))
        return false;
    /* header checksums: 2-byte columns whose values nearly all differ */
    col_stat *c = malloc((pre ? pre : 1) * sizeof(*c));
    if (!c)
        return false;
    if (!ifr_columns(s, pre, c)) {
        free(c);
        return false;
    }
    for (uint32_t o = 4; o + 2 <= pre && o < 64; o++) {
        if (c[o].distinct < 4 || c[o + 1].distinct < 4 || c[o].distinct * 8 < c[o].n ||
            c[o + 1].distinct * 8 < c[o + 1].n)
            continue;
        if (!overlaps(*out, *n, o, 2) && find_header_check(s, o, 2, &f) && !push(out, n, &f)) {
            free(c);
            return false;
        }
    }
    free(c);
    return true;
}

/* --- classification -------------------------------------------------------- */

static bool all_printable(const msg_set *s, uint32_t off, uint32_t size)
{
    size_t bad = 0, tot = 0;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = msg(s, i);
        for (uint32_t k = 0; k < size && off + k < d->len; k++, tot++)
            if (d->ptr[off + k] < 0x20 || d->ptr[off + k] >= 0x7F)
                bad++;
    }
    return tot > 0 && bad * 10 <= tot;
}

static bool plausible_float(uint64_t v, unsigned size)
{
    double x;
    if (size == 4) {
        uint32_t u = (uint32_t)v;
        float fl;
        memcpy(&fl, &u, 4);
        x = fl;
    } else {
        memcpy(&x, &v, 8);
    }
    if (x == 0.0)
        return true;
    if (!isfinite(x))
        return false;
    double a = fabs(x);
    return a >= 1e-6 && a <= 1e9;
}

void ifr_classify(const msg_set *s, trawl_infer_field *f)
{
    uint32_t size = f->size;
    size_t n = 0;
    uint64_t *v = malloc((s->n ? s->n : 1) * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = msg(s, i);
        if (size && f->offset + size <= d->len && size <= 8)
            v[n++] = ifr_read(d->ptr + f->offset, size, f->big_endian);
    }
    if (size == 0 || size > 8) {
        if (f->kind != TRAWL_FIELD_BYTES) {
            free(v);
            return;
        }
        f->kind = all_printable(s, f->offset, size ? size : 64) ? TRAWL_FIELD_TEXT
                  : size == 0                                   ? TRAWL_FIELD_PAYLOAD
                                                                : TRAWL_FIELD_BYTES;
        f->confidence = 0.5f;
        free(v);
        return;
    }
    qsort(v, n, sizeof(*v), cmp_u64);
    unsigned distinct = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        distinct += v[i] != v[i - 1];
    f->n_values = distinct > 65535 ? 65535 : distinct;
    if (f->kind != TRAWL_FIELD_BYTES) { /* found by meaning already */
        free(v);
        return;
    }
    if (distinct == 1 && n >= 2) {
        f->kind = TRAWL_FIELD_CONST;
        f->value = ifr_read(msg(s, 0)->ptr + f->offset, size, true);
        f->confidence = 1.0f;
    } else if (size >= 2 && all_printable(s, f->offset, size)) {
        f->kind = TRAWL_FIELD_TEXT;
        f->confidence = 0.8f;
    } else if ((size == 4 || size == 8) && n >= 2) {
        /* timestamps near the capture time, else floats, else ids */
        static const uint32_t units[] = {1, 1000, 1000000};
        for (int u = 0; u < 3 && f->kind == TRAWL_FIELD_BYTES; u++) {
            size_t near = 0, have = 0;
            for (size_t i = 0; i < s->n; i++) {
                const trawl_infer_msg *m = &s->m[s->idx[i]];
                if (m->ts <= 0 || f->offset + size > m->data.len)
                    continue;
                have++;
                double t =
                    (double)ifr_read(m->data.ptr + f->offset, size, f->big_endian) / units[u];
                near += fabs(t - m->ts) < TS_WINDOW;
            }
            if (have >= 2 && near == have) {
                f->kind = TRAWL_FIELD_TIMESTAMP;
                f->ts_unit = units[u];
                f->confidence = 0.9f;
            }
        }
        if (f->kind == TRAWL_FIELD_BYTES && distinct > 2) {
            size_t ok = 0;
            for (size_t i = 0; i < n; i++)
                ok += plausible_float(v[i], size) && v[i] > 0xFFFFFF;
            if (ok == n) {
                f->kind = TRAWL_FIELD_FLOAT;
                f->confidence = 0.6f;
            }
        }
    }
    if (f->kind == TRAWL_FIELD_BYTES) {
        if (distinct <= ENUM_MAX && n >= 2 * distinct) {
            f->kind = TRAWL_FIELD_ENUM;
            f->confidence = 0.7f;
        } else if (distinct == n && size >= 4 && n >= 4) {
            f->kind = TRAWL_FIELD_RANDOM;
            f->confidence = 0.5f;
        }
    }
    free(v);
}
