/* bounds.c -- field boundaries of one message: the best segmentation of
 * its bytes into fields, by dynamic programming over a DAG whose edges are
 * candidate fields (the approach of BinaryInferno, with other detectors).
 *
 * Edges and their scores:
 *   - a single byte: 0 (the neutral choice);
 *   - two bytes read as one integer: positive when the columns show byte
 *     significance across messages -- a mostly-zero high byte next to a
 *     varying low byte, in the byte order the port mostly uses -- plus a
 *     bonus at even offsets (natural alignment); with too few messages to
 *     have columns, the message's own zero bytes are the (weaker) evidence;
 *   - four bytes that read as an IEEE float where the columns show a
 *     sign-and-exponent byte of few values and a full-range mantissa, at
 *     any offset;
 *   - two or four columns that are each one value throughout each flow,
 *     varying across flows (an id, a session handle);
 *   - a run of columns constant in the message's group and in its port: a
 *     small score per byte (the truth of every evaluation merges adjacent
 *     constant fields, and a constant run has no inner boundary to show);
 *   - spans fixed beforehand: fields found by meaning (lengths, counters,
 *     timestamps, checksums), the type field, and text runs of this message
 *     (printable bytes, or two-byte characters: a zero and a printable).
 * The path of highest total score gives the fields; each boundary keeps the
 * signals of the edge that starts there. */
#include "infer/infer_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scores, fixed after tuning on the shared captures and the generator. */
#define SC_PAIR_STRONG  1.0
#define SC_PAIR_OTHER   -0.3
#define SC_PAIR_MESSAGE 0.4
#define SC_PAIR_CONST   0.6 /* two constant bytes: a zero high byte beside a non-zero one */
#define SC_PAIR_NONE    -1.0
#define SC_ALIGN_EVEN   0.3
#define SC_ALIGN_ODD    -0.4
#define SC_CONST_PER    0.05
#define SC_FIXED        2.0
#define SC_QUAD         1.2   /* four bytes whose entropy rises toward the low byte */
#define SC_RANDOM       0.8   /* four bytes that differ in nearly every message */
#define SC_COUNTER_PER  0.1   /* per byte after the first: the widest counter that fits */
#define SC_FIELD        0.01  /* what every field costs */
#define SC_ALT          0.005 /* another reading of a counter: the first found wins ties */
#define SC_BLOB         0.5   /* per byte after the first of a run of full-range columns */
#define SIG_GAP         1.0   /* bits between a field's high and low byte */
#define SIG_SLACK       0.25
#define TEXT_MIN        4
#define SC_FLOAT        3.0 /* a float, at any offset: more than an aligned quad and a blob */
#define SC_ID2          1.5 /* two columns that are one value per flow: an id */
#define SC_ID4          3.2 /* four such columns: more than two ids of two */
#define SC_REC_CUT      2.0 /* a boundary where a record, its length or its value begins */
#define SC_REC_FIELD    1.0 /* a record's length, or its value of up to 4 bytes */

static bool printable(uint8_t b)
{
    return b >= 0x20 && b < 0x7F;
}

/* Whether the entropy of the columns [o, o+w) rises from the most to the
 * least significant byte (big endian: left to right) by at least SIG_GAP
 * bits overall, never falling by more than SIG_SLACK on the way. */
static bool significance(const col_stat *P, size_t o, unsigned w, bool be)
{
    float first = P[be ? o : o + w - 1].entropy, last = P[be ? o + w - 1 : o].entropy;
    if (last - first < SIG_GAP)
        return false;
    for (unsigned k = 1; k < w; k++) {
        float a = P[be ? o + k - 1 : o + w - k].entropy, b = P[be ? o + k : o + w - 1 - k].entropy;
        if (b < a - SIG_SLACK)
            return false;
    }
    return true;
}

/* A 16-bit word with a zero high byte and a non-zero low one at p + o. */
static bool word_at(const uint8_t *p, size_t o, size_t len, bool be)
{
    return o + 1 < len && (be ? p[o] == 0 && p[o + 1] != 0 : p[o] != 0 && p[o + 1] == 0);
}

static double pair_score(const uint8_t *p, size_t len, size_t o, const col_stat *P, bool be_pref,
                         uint32_t *sig)
{
    const col_stat *a = &P[o], *b = &P[o + 1];
    double s = SC_PAIR_NONE;
    *sig = TRAWL_SIG_INT_BYTES;
    if (a->n >= 3 && ifr_const(a) && ifr_const(b)) {
        /* constant columns: this message's bytes, as with few messages, when
         * such words come two in a row (a run of 16-bit integers) */
        *sig = TRAWL_SIG_MESSAGE;
        if (word_at(p, o, len, be_pref) &&
            ((o >= 2 && word_at(p, o - 2, len, be_pref)) || word_at(p, o + 2, len, be_pref)))
            s = SC_PAIR_CONST;
    } else if (a->n >= 3) {
        if (ifr_zeroish(a) && ifr_var(b))
            s = be_pref ? SC_PAIR_STRONG : SC_PAIR_OTHER;
        else if (ifr_var(a) && ifr_zeroish(b) && (!ifr_zeroish(a) || b->share > a->share))
            s = be_pref ? SC_PAIR_OTHER : SC_PAIR_STRONG;
    } else {
        *sig = TRAWL_SIG_MESSAGE;
        if (be_pref && p[o] == 0 && p[o + 1] != 0)
            s = SC_PAIR_MESSAGE;
        else if (!be_pref && p[o] != 0 && p[o + 1] == 0)
            s = SC_PAIR_MESSAGE;
    }
    if (o % 2 == 0) {
        s += SC_ALIGN_EVEN;
        *sig |= TRAWL_SIG_ALIGN;
    } else {
        s += SC_ALIGN_ODD;
    }
    return s;
}

/* Four bytes as one integer or float, or four nearly-unique bytes (a
 * nonce, a hash); natural alignment as for pairs. */
static double quad_score(size_t o, const col_stat *P, bool be_pref, uint32_t *sig)
{
    *sig = TRAWL_SIG_INT_BYTES;
    if (P[o].n < 8)
        return -1;
    double sc = -1;
    if (significance(P, o, 4, be_pref)) {
        sc = SC_QUAD;
    } else {
        bool unique = true;
        for (unsigned k = 0; k < 4; k++)
            unique &= P[o + k].distinct * 10 >= P[o + k].n * 9;
        if (unique) {
            sc = SC_RANDOM;
            *sig = TRAWL_SIG_VALUES;
        }
    }
    if (sc < 0 || o % 4)
        return -1;
    *sig |= TRAWL_SIG_ALIGN;
    return sc + SC_ALIGN_EVEN;
}

/* An IEEE binary32 at p + o in the port's byte order: the columns C show
 * a sign-and-exponent byte of few values and two low mantissa bytes of
 * many values (a quarter of the messages) over half the range or more, and
 * this message's value is a float of plausible magnitude that is no small
 * integer. */
static bool float_at(const uint8_t *p, size_t o, const col_stat *C, bool be)
{
    const col_stat *e = &C[be ? o : o + 3], *m1 = &C[be ? o + 2 : o + 1], *m0 = &C[be ? o + 3 : o];
    if (e->n < 8 || e->distinct > 8 || 4 * m1->distinct < m1->n || 4 * m0->distinct < m0->n ||
        m1->max - m1->min < 128 || m0->max - m0->min < 128)
        return false;
    uint32_t u = (uint32_t)ifr_read(p + o, 4, be);
    float x;
    memcpy(&x, &u, 4);
    return u > 0xFFFFFF && isfinite(x) && fabsf(x) >= 1e-6f && fabsf(x) <= 1e9f;
}

/* Marks fixed spans: [start, end) with signals; later spans that overlap
 * earlier ones are dropped. */
typedef struct fixed_map {
    uint32_t *end; /* end[i] > i: a fixed span starts at i */
    uint32_t *sig;
    uint8_t *covered;
    uint8_t *meant;              /* inside a field found by meaning: no text run here */
    uint8_t *cut;                /* a boundary is known to be here (sections): no field spans it */
    uint32_t *rec_end, *rec_sig; /* a field of a record starts here: where it ends */
    double *bonus;               /* for a boundary here: a record begins, or its length, value */
} fixed_map;

static void add_fixed(fixed_map *fm, size_t len, size_t a, size_t b, uint32_t sig)
{
    if (b > len)
        b = len;
    if (a >= b)
        return;
    for (size_t i = a; i < b; i++)
        if (fm->covered[i] || fm->meant[i] || (i > a && fm->cut[i]))
            return;
    memset(fm->covered + a, 1, b - a);
    fm->end[a] = (uint32_t)b;
    fm->sig[a] = sig;
}

static bool blocked(const fixed_map *fm, size_t i)
{
    return fm->covered[i] || fm->meant[i];
}

static uint32_t sem_signal(trawl_field_kind k)
{
    switch (k) {
    case TRAWL_FIELD_LENGTH:
        return TRAWL_SIG_LENGTH;
    case TRAWL_FIELD_CHECKSUM:
        return TRAWL_SIG_CHECKSUM;
    case TRAWL_FIELD_COUNTER:
        return TRAWL_SIG_COUNTER;
    default:
        return TRAWL_SIG_VALUES;
    }
}

/* A known boundary at x, unless a fixed span goes across it. */
static void add_cut(fixed_map *fm, size_t len, size_t x)
{
    if (x == 0 || x >= len || (fm->covered[x - 1] && fm->covered[x] && !fm->end[x]))
        return;
    fm->cut[x] = 1;
}

/* The records of the first of the type's chains that fits this message:
 * a boundary where each record, its length, its value and what follows
 * begin scores SC_REC_CUT, and the length and a value of up to 4 bytes (an
 * integer) are fields of SC_REC_FIELD; the tag before the length is left
 * to the other signals (a tag field as one scored worse on both the
 * captures and the generator). Evidence, not fixed: a chain can read one
 * byte of a wider length. With one record only the length and the value
 * are known (a count before what it counts: where the chain starts is
 * not). */
static void rec_field(fixed_map *fm, size_t len, size_t a, size_t b, uint32_t sig)
{
    if (a < b && b <= len && !fm->rec_end[a])
        fm->rec_end[a] = (uint32_t)b, fm->rec_sig[a] = sig;
}

static void rec_cut(fixed_map *fm, size_t len, size_t x)
{
    if (x > 0 && x < len)
        fm->bonus[x] = SC_REC_CUT;
}

static void records(const uint8_t *p, size_t len, const ifr_bctx *c, fixed_map *fm)
{
    if (len <= c->trail)
        return;
    len -= c->trail;
    for (size_t i = 0; i < c->nchains; i++) {
        const ifr_chain *ch = &c->chains[i];
        unsigned k = ifr_chain_parse(p, len, ch);
        if (!k)
            continue;
        for (size_t q = ch->start; q < len;) {
            size_t l = q + ch->lo, vs = l + ch->w;
            size_t ve = vs + (size_t)ifr_read(p + l, ch->w, ch->be);
            if (k >= 2)
                rec_cut(fm, len, q);
            rec_cut(fm, len, l);
            rec_cut(fm, len, vs);
            rec_cut(fm, len, ve);
            rec_field(fm, len, l, vs, TRAWL_SIG_LENGTH | TRAWL_SIG_RECORD);
            if (ve - vs <= 4)
                rec_field(fm, len, vs, ve, TRAWL_SIG_RECORD);
            q = ve;
        }
        return;
    }
}

/* Sections counted by two lengths of the header (semantic.c): where the
 * first and the second begin in this message. */
static void sections(const uint8_t *p, size_t len, const ifr_bctx *c, fixed_map *fm)
{
    for (size_t i = 0; i < c->nsem; i++) {
        const trawl_infer_field *f = &c->sem[i];
        if (f->kind != TRAWL_FIELD_LENGTH || !f->sect_size || f->sect_with < f->offset ||
            f->sect_with + f->sect_size > len)
            continue;
        uint64_t a = ifr_read(p + f->offset, f->sect_size, f->big_endian);
        uint64_t b = ifr_read(p + f->sect_with, f->sect_size, f->big_endian);
        if (a + b > len || len - a - b < (uint64_t)f->len_from ||
            len - a - b > (uint64_t)f->len_from + 8)
            continue;
        add_cut(fm, len, len - a - b);
        add_cut(fm, len, len - b);
    }
}

/* Text in two bytes per character (UTF-16 / UCS-2 of ASCII): a zero byte
 * and a printable one, in the same order, TEXT_MIN times or more. */
static void wide_text_runs(const uint8_t *p, size_t len, fixed_map *fm)
{
    for (size_t o = 0; o + 1 < len;) {
        bool be = p[o] == 0 && printable(p[o + 1]), le = printable(p[o]) && p[o + 1] == 0;
        if (!be && !le) {
            o++;
            continue;
        }
        size_t e = o;
        while (e + 1 < len &&
               (be ? p[e] == 0 && printable(p[e + 1]) : printable(p[e]) && !p[e + 1]))
            e += 2;
        if ((e - o) / 2 >= TEXT_MIN) {
            add_fixed(fm, len, o, e, TRAWL_SIG_TEXT);
            o = e;
        } else {
            o++;
        }
    }
}

static void text_runs(const uint8_t *p, size_t len, fixed_map *fm)
{
    size_t o = 0;
    while (o < len) {
        if (!printable(p[o])) {
            o++;
            continue;
        }
        size_t e = o;
        /* a small byte between printable ones (a label length, a
         * separator) stays inside the run */
        while (e < len && (printable(p[e]) || (p[e] < 0x40 && e > o && e + 1 < len &&
                                               printable(p[e - 1]) && printable(p[e + 1]))))
            e++;
        if (e - o >= TEXT_MIN)
            add_fixed(fm, len, o, e, TRAWL_SIG_TEXT);
        o = e + 1;
    }
}

/* The best path so far to every offset: its score, the edge that ends it
 * (where the edge starts) and that edge's signals. */
typedef struct dp {
    double *best;
    uint32_t *from, *sig;
    const uint32_t *next_cut; /* the first known boundary after each offset */
    const double *bonus;      /* for a boundary at each offset */
} dp;

/* The edge [i, j) with score sc: every field also costs SC_FIELD, so that
 * a boundary needs evidence to be placed. */
static void relax(dp *d, size_t i, size_t j, double sc, uint32_t sig)
{
    if (j > d->next_cut[i])
        return;
    double v = d->best[i] + sc - SC_FIELD + d->bonus[i];
    if (v > d->best[j]) {
        d->best[j] = v;
        d->from[j] = (uint32_t)i;
        d->sig[j] = sig | (d->bonus[i] > 0 ? TRAWL_SIG_RECORD : 0);
    }
}

/* Bytes i..k of a message too few others share columns with are all zero:
 * a zero run, which the message shows as one field (padding, a reserved or
 * zero value). */
static bool zero_run(const uint8_t *p, const col_stat *T, size_t i, size_t k)
{
    return T[k].n < 3 && p[i] == 0 && p[k] == 0;
}

/* Columns of text: printable (or zero: padding) in nine messages of ten,
 * printable in half of them at least. */
static bool text_col(const col_stat *c)
{
    uint32_t zeros = c->mode == 0 ? (uint32_t)(c->share * (float)c->n + 0.5f) : 0;
    return c->n >= 3 && 10 * (c->printable + zeros) >= 9 * c->n;
}

static bool text_col_strong(const col_stat *c)
{
    return text_col(c) && 2 * c->printable >= c->n && c->distinct >= 2;
}

/* Text fields the columns show (C: the group's or the type's): runs of
 * text columns that begin with TEXT_MIN varying printable ones (a fixed
 * field of text, padded with zeros or not), where this message's bytes are
 * printable or zero too. */
static void text_columns(const uint8_t *p, size_t len, const col_stat *C, fixed_map *fm)
{
    for (size_t o = 0; o < len;) {
        if (!text_col_strong(&C[o])) {
            o++;
            continue;
        }
        size_t e = o, strong = 0;
        while (e < len && text_col(&C[e]) && (p[e] == 0 || printable(p[e]))) {
            strong += text_col_strong(&C[e]);
            e++;
        }
        while (e > o && C[e - 1].distinct == 1) /* constant padding is a field of its own */
            e--;
        if (strong >= TEXT_MIN)
            add_fixed(fm, len, o, e, TRAWL_SIG_TEXT);
        o = e > o ? e : o + 1;
    }
}

/* A column constant in the message's group and in its port (a field the
 * metric merges with its constant neighbours), or zero in every message
 * of its group (reserved bytes, padding: one field however the port's
 * other types fill those offsets). */
static bool is_const(const col_stat *G, const col_stat *T, const col_stat *P, size_t o)
{
    const col_stat *g = G ? &G[o] : &T[o];
    return ifr_const(g) && (g->mode == 0 || ifr_const(&P[o]));
}

size_t ifr_bounds(const uint8_t *p, size_t len, const ifr_bctx *c, uint32_t *bounds, uint32_t *sigs)
{
    if (len < 2)
        return 0;
    const col_stat *G = c->G, *T = c->T, *P = c->P;
    const trawl_infer_field *sem = c->sem;
    size_t nsem = c->nsem;
    bool be_pref = c->be;
    int key_offset = c->key_offset;
    double *best = malloc((len + 1) * sizeof(double));
    uint32_t *from = malloc((len + 1) * sizeof(uint32_t));
    uint32_t *esig = calloc(len + 1, sizeof(uint32_t));
    fixed_map fm = {calloc(len, sizeof(uint32_t)),
                    calloc(len, sizeof(uint32_t)),
                    calloc(len, 1),
                    calloc(len, 1),
                    calloc(len + 1, 1),
                    calloc(len + 1, sizeof(uint32_t)),
                    calloc(len + 1, sizeof(uint32_t)),
                    calloc(len + 1, sizeof(double))};
    uint32_t *next_cut = malloc((len + 1) * sizeof(uint32_t));
    size_t nb = 0;
    if (!best || !from || !esig || !fm.end || !fm.sig || !fm.covered || !fm.meant || !fm.cut ||
        !next_cut || !fm.rec_end || !fm.rec_sig || !fm.bonus) {
        /* without memory every byte is a field: still an answer */
        for (size_t o = 1; o < len; o++) {
            bounds[nb] = (uint32_t)o;
            sigs[nb++] = TRAWL_SIG_MESSAGE;
        }
        goto out;
    }
    /* fields found by meaning are fixed, but counters, which may overlap
     * (a zero byte beside a counting one reads as a counter in both byte
     * orders, one byte apart): they are edges of their own that the path
     * chooses among, and other multi-byte edges and text runs keep off
     * them */
    for (size_t i = 0; i < nsem; i++) {
        const trawl_infer_field *f = &sem[i];
        if (f->kind != TRAWL_FIELD_COUNTER && f->offset < len)
            add_fixed(&fm, len, f->offset, f->offset + (f->size ? f->size : len - f->offset),
                      sem_signal(f->kind));
    }
    if (key_offset >= 0 && (size_t)key_offset < len)
        add_fixed(&fm, len, (size_t)key_offset, (size_t)key_offset + 1, TRAWL_SIG_TYPE_KEY);
    if (c->trail && len > c->trail)
        add_fixed(&fm, len, len - c->trail, len, TRAWL_SIG_CHECKSUM);
    for (size_t i = 0; i < nsem; i++) {
        const trawl_infer_field *f = &sem[i];
        size_t b = f->offset + f->size;
        if (f->kind == TRAWL_FIELD_COUNTER && b <= len &&
            !memchr(fm.covered + f->offset, 1, f->size))
            memset(fm.meant + f->offset, 1, f->size);
    }
    sections(p, len, c, &fm);
    records(p, len, c, &fm);
    next_cut[len] = (uint32_t)len;
    for (size_t i = len; i-- > 0;)
        next_cut[i] = fm.cut[i + 1] ? (uint32_t)(i + 1) : next_cut[i + 1];
    wide_text_runs(p, len, &fm);
    text_columns(p, len, G ? G : T, &fm);
    text_runs(p, len, &fm);

    for (size_t i = 0; i <= len; i++)
        best[i] = -1e300;
    best[0] = 0;
    dp d = {best, from, esig, next_cut, fm.bonus};
    for (size_t i = 0; i < len; i++) {
        if (best[i] <= -1e299)
            continue;
        if (fm.end[i]) {
            relax(&d, i, fm.end[i], SC_FIXED, fm.sig[i]);
            continue;
        }
        if (fm.covered[i])
            continue;
        for (size_t k = 0; k < nsem; k++) {
            const trawl_infer_field *f = &sem[k];
            size_t b = f->offset + f->size;
            if (f->kind != TRAWL_FIELD_COUNTER || f->offset != i || b > len ||
                memchr(fm.covered + i, 1, b - i))
                continue;
            double sc = SC_FIXED + SC_COUNTER_PER * (double)(f->size - 1);
            relax(&d, i, b, (f->signals & IFR_SIG_ALT) ? sc - SC_ALT : sc, TRAWL_SIG_COUNTER);
        }
        relax(&d, i, i + 1, 0, TRAWL_SIG_VALUES);
        if (fm.rec_end[i])
            relax(&d, i, fm.rec_end[i], SC_REC_FIELD, fm.rec_sig[i]);
        if (fm.meant[i]) /* multi-byte edges keep off counters */
            continue;
        uint32_t sg;
        if (i + 1 < len && !blocked(&fm, i + 1)) {
            double sc = pair_score(p, len, i, P, be_pref, &sg);
            if (sc <= 0) {
                /* the port says nothing: the message's group of one length */
                uint32_t sg2;
                double s2 = pair_score(p, len, i, G ? G : T, be_pref, &sg2);
                if (s2 > sc) {
                    sc = s2;
                    sg = sg2;
                }
            }
            if (sc > 0)
                relax(&d, i, i + 2, sc, sg);
        }
        if (i + 3 < len && !blocked(&fm, i + 1) && !blocked(&fm, i + 2) && !blocked(&fm, i + 3)) {
            double sc = quad_score(i, P, be_pref, &sg);
            if (sc > 0)
                relax(&d, i, i + 4, sc, sg);
        }
        if (i + 3 < len && !blocked(&fm, i + 1) && !blocked(&fm, i + 2) && !blocked(&fm, i + 3) &&
            (float_at(p, i, T, be_pref) || (G && float_at(p, i, G, be_pref))))
            relax(&d, i, i + 4, SC_FLOAT, TRAWL_SIG_VALUES);
        /* two or four columns that are one value per flow: an id */
        for (size_t w = 2; w <= 4; w += 2) {
            bool ok = i + w <= c->nflowcol;
            for (size_t k = i; ok && k < i + w; k++)
                ok = c->flowcol[k] && !blocked(&fm, k);
            if (ok)
                relax(&d, i, i + w, w == 2 ? SC_ID2 : SC_ID4, TRAWL_SIG_VALUES);
        }
        /* a run of full-range columns varies like one value */
        const col_stat *C = G ? G : T;
        for (size_t k = i; k < len && !blocked(&fm, k) && ifr_full(&C[k]); k++)
            if (k > i)
                relax(&d, i, k + 1, SC_BLOB * (double)(k - i), TRAWL_SIG_VALUES);
        for (size_t k = i;
             k < len && !blocked(&fm, k) && (is_const(G, T, P, k) || zero_run(p, T, i, k)); k++)
            if (k > i)
                relax(&d, i, k + 1, SC_CONST_PER * (double)(k - i), TRAWL_SIG_CONST_RUN);
    }
    /* walk back: the starts of the edges on the path, but 0, are the
     * boundaries, each with the signals of the edge it starts */
    for (size_t i = len; i > 0; i = from[i])
        if (from[i] > 0)
            nb++;
    size_t k = nb;
    for (size_t i = len; i > 0 && k > 0; i = from[i])
        if (from[i] > 0) {
            k--;
            bounds[k] = from[i];
            sigs[k] = esig[i];
        }
out:
    free(best);
    free(from);
    free(esig);
    free(fm.end);
    free(fm.sig);
    free(fm.covered);
    free(fm.meant);
    free(fm.cut);
    free(fm.rec_end);
    free(fm.rec_sig);
    free(fm.bonus);
    free(next_cut);
    return nb;
}
