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
#define TS_DRIFT      2.0             /* seconds a timestamp may drift per message */

static const trawl_span *msg(const msg_set *s, size_t i)
{
    return &s->m[s->idx[i]].data;
}

/* *f becomes a field found by meaning: [o, o + w) of the kind, byte order,
 * confidence and signal given, everything else zero. */
static void found(trawl_infer_field *f, uint32_t o, unsigned w, trawl_field_kind kind, bool be,
                  float confidence, uint32_t signal)
{
    memset(f, 0, sizeof *f);
    f->offset = o;
    f->size = w;
    f->kind = kind;
    f->big_endian = be;
    f->confidence = confidence;
    f->signals = signal;
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

/* Whether [off, off + size) overlaps a field of a that is not a counter,
 * or is a counter already. */
static bool overlaps_noncounter(const trawl_infer_field *a, size_t n, uint32_t off, uint32_t size)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind == TRAWL_FIELD_COUNTER && a[i].offset == off && a[i].size == size)
            return true;
        if (a[i].kind != TRAWL_FIELD_COUNTER && off < a[i].offset + a[i].size &&
            a[i].offset < off + size)
            return true;
    }
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
    found(f, o, w, TRAWL_FIELD_LENGTH, be, (float)fit / (float)s->n, TRAWL_SIG_LENGTH);
    f->len_from = (int32_t)(o + w);
    f->len_adjust = (int32_t)(cand + (int64_t)(o + w));
    return true;
}

/* Two lengths of sections (the later-span lengths of a header: S7-like
 * parameter and data lengths): [o1, o1+w) and [o2, o2+w) whose values
 * add up to the message length less a header that ends 0 to SECT_SLACK
 * bytes after the second, in LENGTH_SHARE of the messages, each value
 * varying (else one of them is a plain length). */
#define SECT_SLACK 8
static bool find_sections(const msg_set *s, uint32_t o1, uint32_t o2, unsigned w, bool be,
                          trawl_infer_field *f1, trawl_infer_field *f2)
{
    if (s->min_len == s->max_len || o2 + w > s->min_len || s->n < 4)
        return false;
    size_t fit = 0, miss = 0, most = s->n - (size_t)(LENGTH_SHARE * (double)s->n);
    uint64_t a0 = 0, b0 = 0;
    bool va = false, vb = false;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = msg(s, i);
        uint64_t a = ifr_read(d->ptr + o1, w, be), b = ifr_read(d->ptr + o2, w, be);
        /* the first section has bytes; the second may be empty */
        uint64_t c = a + b > d->len || !a ? 0 : d->len - a - b;
        if (c < o2 + w || c > o2 + w + SECT_SLACK) {
            if (++miss > most) /* (no longer LENGTH_SHARE of them) */
                return false;
            continue;
        }
        if (!fit) {
            a0 = a;
            b0 = b;
        }
        va |= a != a0;
        vb |= b != b0;
        fit++;
    }
    if ((double)fit < LENGTH_SHARE * (double)s->n || !va || !vb)
        return false;
    found(f1, o1, w, TRAWL_FIELD_LENGTH, be, (float)fit / (float)s->n, TRAWL_SIG_LENGTH);
    *f2 = *f1;
    f2->offset = o2;
    f1->len_from = f2->len_from = (int32_t)(o2 + w);
    f1->sect_with = o2;
    f2->sect_with = o1;
    f1->sect_size = f2->sect_size = w;
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
    /* four bytes whose high half is mostly one non-zero value are a field
     * of their own before a 2-byte counter (a zero high half is the
     * counter's own: a count that has not grown yet) */
    if (w == 4 && s->n) {
        uint32_t ho = be ? o : o + 2;
        uint64_t cand = 0;
        size_t votes = 0, agree = 0;
        for (size_t i = 0; i < s->n; i++) {
            uint64_t h = ifr_read(s->m[s->idx[i]].data.ptr + ho, 2, be);
            if (!votes)
                cand = h;
            votes += h == cand ? 1 : (size_t)-1;
        }
        for (size_t i = 0; i < s->n; i++)
            agree += ifr_read(s->m[s->idx[i]].data.ptr + ho, 2, be) == cand;
        if (cand != 0 && 5 * agree >= 4 * s->n)
            return false;
    }
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
    found(f, o, w, TRAWL_FIELD_COUNTER, be, (float)(fwd + same) / (float)pairs, TRAWL_SIG_COUNTER);
    return true;
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

/* An id: the same value throughout each flow, two or more values across
 * flows (an address, a session, a unit number); 2 or 4 bytes, seen in at
 * least two flows of two or more messages. ord: s's messages by flow. */
static bool find_id(const msg_set *s, const uint32_t *ord, uint32_t o, unsigned w, bool be,
                    trawl_infer_field *f)
{
    size_t flows = 0;
    uint64_t first = 0;
    bool differs = false;
    size_t run;
    if (o + w > s->min_len)
        return false;
    for (size_t i = 0; i < s->n; i = run) {
        run = i + 1;
        while (run < s->n && s->m[ord[run]].flow == s->m[ord[i]].flow)
            run++;
        uint64_t v = ifr_read(s->m[ord[i]].data.ptr + o, w, be);
        for (size_t k = i + 1; k < run; k++)
            if (ifr_read(s->m[ord[k]].data.ptr + o, w, be) != v)
                return false;
        if (run - i < 2)
            continue;
        if (!flows)
            first = v;
        differs |= v != first;
        flows++;
    }
    if (flows < 2 || !differs)
        return false;
    found(f, o, w, TRAWL_FIELD_ID, be, 0.7f, TRAWL_SIG_VALUES);
    return true;
}

/* A timestamp: 4 bytes of seconds, or 8 of seconds, milliseconds or
 * microseconds, within TS_WINDOW of the capture time in every message that
 * has one (at least 3), not the same in all of them, and moving with the
 * capture clock: between consecutive messages the field advances by what
 * the capture time does, within TS_DRIFT seconds, in 4 pairs of 5 (bytes
 * that only happen to fall in the window move at random). */
static bool find_timestamp(const msg_set *s, uint32_t o, unsigned w, bool be, trawl_infer_field *f)
{
    static const uint32_t units[] = {1, 1000, 1000000};
    for (int u = 0; u < (w == 8 ? 3 : 1); u++) {
        size_t have = 0, near = 0, pairs = 0, steady = 0;
        double pv = 0, pt = 0;
        bool varies = false;
        for (size_t i = 0; i < s->n; i++) {
            const trawl_infer_msg *m = &s->m[s->idx[i]];
            if (m->ts <= 0 || o + w > m->data.len)
                continue;
            double v = (double)ifr_read(m->data.ptr + o, w, be) / units[u];
            if (have) {
                varies |= v != pv;
                pairs++;
                steady += fabs((v - pv) - (m->ts - pt)) <= TS_DRIFT;
            }
            pv = v;
            pt = m->ts;
            have++;
            near += fabs(v - m->ts) < TS_WINDOW;
        }
        if (have >= 3 && near == have && varies && 5 * steady >= 4 * pairs) {
            found(f, o, w, TRAWL_FIELD_TIMESTAMP, be, (float)steady / (float)pairs,
                  TRAWL_SIG_VALUES);
            f->ts_unit = units[u];
            return true;
        }
    }
    return false;
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
    bool ok = false;
    trawl_check_locate(sp, k, &o, &pl, &a, &ok, NULL);
    free(sp);
    if (!ok)
        return false;
    /* a trailing checksum has no fixed offset: 0 here, and not kept */
    found(f, pl.offset >= 0 ? (uint32_t)pl.offset : 0, pl.size, TRAWL_FIELD_CHECKSUM, pl.big_endian,
          1.0f, TRAWL_SIG_CHECKSUM);
    f->check = pl;
    f->algo = a;
    return pl.offset >= 0; /* a trailing checksum has no fixed offset: not a prefix field */
}

uint32_t ifr_trailing_check(const msg_set *s)
{
    size_t k = s->n < CHECK_SAMPLE ? s->n : CHECK_SAMPLE;
    if (k < 4)
        return 0;
    trawl_span *sp = malloc(k * sizeof(*sp));
    if (!sp)
        return 0;
    for (size_t i = 0; i < k; i++)
        sp[i] = *msg(s, i * s->n / k);
    /* one-byte sums fit a few messages by chance */
    trawl_check_locate_opts o = {.sizes = (k >= 12 ? 1u : 0u) | 2 | 4,
                                 .max_skip = 4,
                                 .kinds = TRAWL_CHECK_ALL_KINDS | TRAWL_CHECK_NO_SEARCH,
                                 .trailing_only = true};
    trawl_check_place pl;
    trawl_check_algo a;
    bool ok = false;
    trawl_check_locate(sp, k, &o, &pl, &a, &ok, NULL);
    free(sp);
    return ok && pl.offset < 0 ? pl.size : 0;
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
    bool ok = false;
    for (int be = 1; be >= 0 && !ok; be--)
        for (uint32_t from = 0; from + 2 <= o && from <= 4 && !ok; from++) {
            for (size_t i = 0; i < k; i++) {
                const trawl_span *d = msg(s, i * s->n / k);
                cs[i].data = (trawl_span){d->ptr + from, o - from};
                cs[i].check = ifr_read(d->ptr + o, w, be);
            }
            trawl_check_algo a;
            trawl_check_recover(cs, k, 8 * w, TRAWL_CHECK_ALL_KINDS | TRAWL_CHECK_NO_SEARCH, &a,
                                &ok, NULL);
            if (ok) {
                found(f, o, w, TRAWL_FIELD_CHECKSUM, be, 1.0f, TRAWL_SIG_CHECKSUM);
                f->check = (trawl_check_place){(int32_t)o, w, be, from, (int32_t)o};
                f->algo = a;
            }
        }
    free(cs);
    return ok;
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
    /* lengths of two sections */
    for (int b = 0; b < 2 && (what & SEM_LENGTH); b++) /* the port's byte order first */
        for (int wi = 0; wi < 2 && (b == 0 || lwidths[wi] > 1); wi++)
            for (uint32_t o1 = 0; o1 < pre && o1 < 64; o1++)
                for (uint32_t o2 = o1 + lwidths[wi]; o2 <= o1 + 8 && o2 + lwidths[wi] <= pre;
                     o2++) {
                    bool be = b == 0 ? be_pref : !be_pref;
                    trawl_infer_field f2;
                    if (!overlaps(*out, *n, o1, lwidths[wi]) &&
                        !overlaps(*out, *n, o2, lwidths[wi]) &&
                        find_sections(s, o1, o2, lwidths[wi], be, &f, &f2) &&
                        (!push(out, n, &f) || !push(out, n, &f2)))
                        return false;
                }
    /* timestamps */
    static const unsigned twidths[] = {
        4, 8}; /* 4 first: an id before a 4-byte time reads as microseconds */
    for (int wi = 0; wi < 2 && (what & SEM_LENGTH); wi++)
        for (uint32_t o = 0; o + twidths[wi] <= pre && o < 64; o++)
            for (int b = 0; b < 2; b++) {
                bool be = b == 0 ? be_pref : !be_pref;
                if (!overlaps(*out, *n, o, twidths[wi]) &&
                    find_timestamp(s, o, twidths[wi], be, &f) && !push(out, n, &f))
                    return false;
            }
    if (!(what & (SEM_COUNTER | SEM_COUNTER1)))
        goto checks;
    size_t first = *n;
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
    /* other readings of each multi-byte counter: the same counting byte in
     * the other byte order or width (a zero byte beside a counting one
     * reads as a counter both ways, one byte apart); the boundary search
     * chooses by the fields around them */
    for (size_t k = first; k < *n; k++) {
        trawl_infer_field c = (*out)[k];
        if (c.kind != TRAWL_FIELD_COUNTER || c.size < 2 || (c.signals & IFR_SIG_ALT))
            continue;
        uint32_t st = c.big_endian ? c.offset + c.size - 1 : c.offset;
        for (unsigned w = 2; w <= 2; w += 2)
            for (int be = 0; be < 2; be++) {
                if (be ? st + 1 < w : st + w > pre)
                    continue;
                uint32_t o = be ? st + 1 - w : st;
                if (o + w > pre || overlaps_noncounter(*out, *n, o, w) ||
                    !find_counter(s, ord, o, w, be, &f))
                    continue;
                f.signals |= IFR_SIG_ALT;
                if (!push(out, n, &f)) {
                    free(ord);
                    return false;
                }
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
        /* timestamps near the capture time, else floats */
        trawl_infer_field t;
        if (find_timestamp(s, f->offset, size, f->big_endian, &t)) {
            f->kind = TRAWL_FIELD_TIMESTAMP;
            f->ts_unit = t.ts_unit;
            f->confidence = t.confidence;
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
    if (f->kind == TRAWL_FIELD_BYTES && size <= 4 && distinct >= 2) {
        uint32_t *ord = malloc(s->n * sizeof(*ord));
        trawl_infer_field t;
        if (ord && flow_order(s, ord) && find_id(s, ord, f->offset, size, f->big_endian, &t)) {
            f->kind = TRAWL_FIELD_ID;
            f->confidence = t.confidence;
        }
        free(ord);
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
