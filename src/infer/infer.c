/* infer.c -- format inference, end to end: messages are grouped by service
 * port, each port's messages are split into types by a type field when one
 * partitions them into structurally consistent groups, fields are found by
 * meaning (lengths, counters, checksums) and then by the boundary search
 * of each message (bounds.c), and the fields of each type's common prefix
 * are classified. */
#include "infer/infer_int.h"
#include "common/error.h"

#include <stdlib.h>
#include <string.h>

#define KEY_SCAN     32 /* the type field is looked for in the first bytes */
#define KEY_MIN_SIZE 2  /* messages per value, on average, for a type field */

struct trawl_infer_result {
    trawl_infer_type *types;
    trawl_infer_field **fields; /* per type, owned */
    size_t ntypes;
    int *msg_type;
    uint32_t **bounds, **sigs;
    size_t *nbounds;
    size_t nmsgs;
};

const char *trawl_field_kind_name(trawl_field_kind k)
{
    static const char *const names[] = {
#define TRAWL_FIELD_KIND_STR(name, str) str,
        TRAWL_FIELD_KIND_MAP(TRAWL_FIELD_KIND_STR)
#undef TRAWL_FIELD_KIND_STR
    };
    return (unsigned)k < TRAWL_FIELD_KIND_COUNT_ ? names[k] : "unknown";
}

/* --- service ports ---------------------------------------------------------- */

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The port of each message that more messages share (ties: the lower). */
static uint16_t *service_ports(const trawl_infer_msg *m, size_t n)
{
    uint32_t *cnt = calloc(65536, sizeof(uint32_t));
    uint16_t *sp = malloc((n ? n : 1) * sizeof(uint16_t));
    if (!cnt || !sp) {
        free(cnt);
        free(sp);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        cnt[m[i].src_port]++;
        cnt[m[i].dst_port]++;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t a = m[i].src_port, b = m[i].dst_port;
        if (cnt[a] != cnt[b])
            sp[i] = cnt[a] > cnt[b] ? a : b;
        else
            sp[i] = a < b ? a : b;
    }
    free(cnt);
    return sp;
}

/* --- sets ---------------------------------------------------------------------- */

static void set_lengths(msg_set *s)
{
    s->min_len = UINT32_MAX;
    s->max_len = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t l = (uint32_t)s->m[s->idx[i]].data.len;
        if (l < s->min_len)
            s->min_len = l;
        if (l > s->max_len)
            s->max_len = l;
    }
    if (!s->n)
        s->min_len = 0;
}

/* Byte order of a port's integers: even offsets where a mostly-zero byte
 * sits before (big endian) or after (little endian) a varying one; where
 * too few messages make a column, each message's own bytes vote: a zero
 * byte before or after a non-zero one. */
static bool big_endian_vote(const msg_set *s, const col_stat *P, size_t L)
{
    int be = 0, le = 0;
    for (size_t o = 0; o + 1 < L; o += 2) {
        if (P[o].n >= 3) {
            if (ifr_zeroish(&P[o]) && ifr_var(&P[o + 1]))
                be++;
            if (ifr_var(&P[o]) && ifr_zeroish(&P[o + 1]) && !ifr_zeroish(&P[o]))
                le++;
            continue;
        }
        for (size_t i = 0; i < s->n; i++) {
            const trawl_span *d = &s->m[s->idx[i]].data;
            if (o + 1 >= d->len)
                continue;
            be += d->ptr[o] == 0 && d->ptr[o + 1] != 0;
            le += d->ptr[o] != 0 && d->ptr[o + 1] == 0;
        }
    }
    return be >= le;
}

/* --- the type field ---------------------------------------------------------- */

/* Constant columns of s in [0, lim), not counting `skip`, and a bonus when
 * every message has one length: how much structure s shows. */
static double structure(const msg_set *s, size_t lim, long skip, col_stat *tmp)
{
    if (s->n < 2)
        return 0;
    size_t L = s->min_len < lim ? s->min_len : lim;
    if (!ifr_columns(s, L, tmp))
        return 0;
    double c = 0;
    for (size_t o = 0; o < L; o++)
        if ((long)o != skip && ifr_const(&tmp[o]))
            c++;
    if (s->min_len == s->max_len)
        c += 4;
    return c;
}

static bool in_fields(const trawl_infer_field *f, size_t n, uint32_t o)
{
    for (size_t i = 0; i < n; i++)
        if (!(f[i].signals & IFR_SIG_ALT) && o >= f[i].offset &&
            o < f[i].offset + (f[i].size ? f[i].size : 1))
            return true;
    return false;
}

/* Splits s by the byte at offset o into groups (a sorted copy of idx by
 * value); returns the number of groups, or 0 when a message is too short
 * or there are too many values. */
static size_t split_by(const msg_set *s, uint32_t o, unsigned max_types, uint32_t *tmp)
{
    uint32_t seen[256] = {0};
    size_t groups = 0;
    for (size_t i = 0; i < s->n; i++) {
        const trawl_span *d = &s->m[s->idx[i]].data;
        if (d->len <= o)
            return 0;
        if (!seen[d->ptr[o]]++)
            groups++;
    }
    if (groups < 2 || groups > max_types || s->n < KEY_MIN_SIZE * groups)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        tmp[i] = (uint32_t)s->m[s->idx[i]].data.ptr[o] << 24 | (uint32_t)i;
    qsort(tmp, s->n, sizeof(uint32_t), cmp_u32);
    return groups;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Whether the byte at o is one value throughout each flow, over two flows
 * or more of three messages or more: a session, an id, the high bytes of a
 * counter -- what the flow is, not what the message is (a request and its
 * reply alone share what one echoes of the other). by_flow: the messages
 * (input indexes) ordered by flow. */
static bool per_flow(const trawl_infer_msg *m, const uint32_t *by_flow, size_t n, uint32_t o)
{
    size_t flows = 0;
    for (size_t i = 0; i < n;) {
        const trawl_infer_msg *a = &m[by_flow[i]];
        size_t j = i + 1;
        for (; j < n && m[by_flow[j]].flow == a->flow; j++)
            if (m[by_flow[j]].data.ptr[o] != a->data.ptr[o])
                return false;
        flows += j - i >= 3;
        i = j;
    }
    return flows >= 2;
}

/* s's messages (input indexes) ordered by flow; NULL on ENOMEM. */
static uint32_t *order_by_flow(const msg_set *s)
{
    uint64_t *k = malloc((s->n ? s->n : 1) * sizeof(*k));
    uint32_t *o = malloc((s->n ? s->n : 1) * sizeof(*o));
    if (!k || !o) {
        free(k);
        free(o);
        return NULL;
    }
    for (size_t i = 0; i < s->n; i++)
        k[i] = (uint64_t)s->m[s->idx[i]].flow << 32 | s->idx[i];
    qsort(k, s->n, sizeof(*k), cmp_u64);
    for (size_t i = 0; i < s->n; i++)
        o[i] = (uint32_t)k[i];
    free(k);
    return o;
}

static int choose_key(const msg_set *s, const trawl_infer_field *sem, size_t nsem,
                      unsigned max_types, uint32_t *tmp, uint32_t *sub, col_stat *cols)
{
    if (s->n > 0xFFFFFF)
        return -1;
    uint32_t *by_flow = order_by_flow(s);
    if (!by_flow)
        return -1;
    double base = (double)s->n * structure(s, KEY_SCAN, -1, cols);
    double best = 0;
    int key = -1;
    for (uint32_t o = 0; o < KEY_SCAN && o < s->min_len; o++) {
        if (in_fields(sem, nsem, o))
            continue;
        size_t g = split_by(s, o, max_types, tmp);
        if (!g || per_flow(s->m, by_flow, s->n, o))
            continue;
        double sc = 0;
        size_t i = 0;
        while (i < s->n) {
            size_t j = i;
            while (j < s->n && tmp[j] >> 24 == tmp[i] >> 24)
                j++;
            for (size_t k = i; k < j; k++)
                sub[k - i] = s->idx[tmp[k] & 0xFFFFFF];
            msg_set gs = {s->m, sub, j - i, 0, 0};
            set_lengths(&gs);
            sc += (double)gs.n * structure(&gs, KEY_SCAN, o, cols);
            i = j;
        }
        sc -= base + 8.0 * (double)g;
        if (sc > best) {
            best = sc;
            key = (int)o;
        }
    }
    free(by_flow);
    return key;
}

/* --- result -------------------------------------------------------------------- */

void trawl_infer_result_free(trawl_infer_result *r)
{
    if (!r)
        return;
    for (size_t t = 0; t < r->ntypes; t++)
        free(r->fields[t]);
    free(r->fields);
    free(r->types);
    for (size_t i = 0; i < r->nmsgs; i++) {
        free(r->bounds[i]);
        free(r->sigs[i]);
    }
    free(r->bounds);
    free(r->sigs);
    free(r->nbounds);
    free(r->msg_type);
    free(r);
}

size_t trawl_infer_type_count(const trawl_infer_result *r)
{
    return r ? r->ntypes : 0;
}

const trawl_infer_type *trawl_infer_type_get(const trawl_infer_result *r, size_t i)
{
    return r && i < r->ntypes ? &r->types[i] : NULL;
}

int trawl_infer_msg_type(const trawl_infer_result *r, size_t i)
{
    return r && i < r->nmsgs ? r->msg_type[i] : -1;
}

const uint32_t *trawl_infer_msg_bounds(const trawl_infer_result *r, size_t i, size_t *nb,
                                       const uint32_t **sig)
{
    if (!r || i >= r->nmsgs) {
        if (nb)
            *nb = 0;
        return NULL;
    }
    if (nb)
        *nb = r->nbounds[i];
    if (sig)
        *sig = r->sigs[i];
    return r->bounds[i];
}

static bool add_type(trawl_infer_result *r, const trawl_infer_type *t, trawl_infer_field *f)
{
    trawl_infer_type *nt = realloc(r->types, (r->ntypes + 1) * sizeof(*nt));
    if (!nt)
        return false;
    r->types = nt;
    trawl_infer_field **nf = realloc(r->fields, (r->ntypes + 1) * sizeof(*nf));
    if (!nf)
        return false;
    r->fields = nf;
    r->types[r->ntypes] = *t;
    r->types[r->ntypes].id = (unsigned)r->ntypes;
    r->fields[r->ntypes] = f;
    r->ntypes++;
    return true;
}

/* --- one type -------------------------------------------------------------------- */

typedef struct ctx {
    const trawl_infer_opts *o;
    trawl_infer_result *r;
    const col_stat *P;
    bool be;
    const trawl_infer_field *psem;
    size_t npsem;
    uint32_t *sub;
    int32_t cluster;        /* the cluster do_type works on, -1 when none */
    const uint8_t *flowcol; /* per offset of the port's shortest length: one value per flow */
    uint32_t nflowcol;
} ctx;

/* Sorts s's messages by length, then input order. */
static bool sort_by_length(msg_set *s)
{
    uint64_t *k = malloc((s->n ? s->n : 1) * sizeof(*k));
    if (!k)
        return false;
    for (size_t i = 0; i < s->n; i++)
        k[i] = (uint64_t)s->m[s->idx[i]].data.len << 32 | s->idx[i];
    qsort(k, s->n, sizeof(*k), cmp_u64);
    for (size_t i = 0; i < s->n; i++)
        s->idx[i] = (uint32_t)k[i];
    free(k);
    return true;
}

/* Fields of the type from the boundaries of its messages: an offset of the
 * common prefix is a boundary when most messages have it there. */
static trawl_infer_field *type_fields(const msg_set *ts, const trawl_infer_result *r,
                                      const trawl_infer_field *sem, size_t nsem, size_t *nf)
{
    size_t L = ts->min_len;
    uint32_t *votes = calloc(L + 1, sizeof(uint32_t)), *vsig = calloc(L + 1, sizeof(uint32_t));
    trawl_infer_field *f = NULL;
    *nf = 0;
    if (!votes || !vsig)
        goto out;
    for (size_t i = 0; i < ts->n; i++) {
        uint32_t mi = ts->idx[i];
        for (size_t k = 0; k < r->nbounds[mi]; k++)
            if (r->bounds[mi][k] < L) {
                votes[r->bounds[mi][k]]++;
                vsig[r->bounds[mi][k]] |= r->sigs[mi][k];
            }
    }
    f = calloc(L + 2, sizeof(*f));
    if (!f)
        goto out;
    uint32_t start = 0, ssig = 0;
    for (uint32_t o = 1; o <= L; o++) {
        if (o < L && votes[o] * 2 <= ts->n)
            continue;
        trawl_infer_field *x = &f[(*nf)++];
        memset(x, 0, sizeof(*x));
        x->offset = start;
        x->size = o - start;
        x->signals = ssig;
        for (size_t k = 0; k < nsem; k++)
            if (sem[k].offset == start && sem[k].size == x->size) {
                uint32_t sg = x->signals;
                *x = sem[k];
                x->signals = sg | (sem[k].signals & ~IFR_SIG_ALT);
            }
        start = o;
        ssig = o < L ? vsig[o] : 0;
    }
    if (ts->max_len > L) {
        trawl_infer_field *x = &f[(*nf)++];
        memset(x, 0, sizeof(*x));
        x->offset = (uint32_t)L;
        x->size = 0;
        x->signals = TRAWL_SIG_TAIL;
    }
out:
    free(votes);
    free(vsig);
    return f;
}

static trawl_status do_type(ctx *c, msg_set *ts, uint16_t port, int key)
{
    const trawl_infer_opts *o = c->o;
    trawl_infer_result *r = c->r;
    set_lengths(ts);
    size_t L = ts->max_len < o->max_prefix ? ts->max_len : o->max_prefix;
    col_stat *T = calloc(L + 1, sizeof(col_stat)), *G = calloc(L + 1, sizeof(col_stat));
    trawl_infer_field *sem = NULL;
    size_t nsem = 0;
    trawl_status st = TRAWL_ENOMEM;
    if (!T || !G)
        goto out;
    if (!ifr_columns(ts, L, T))
        goto out;
    /* the port's semantic fields, then the type's own */
    for (size_t i = 0; i < c->npsem; i++) {
        trawl_infer_field *g = realloc(sem, (nsem + 1) * sizeof(*g));
        if (!g)
            goto out;
        sem = g;
        sem[nsem++] = c->psem[i];
    }
    if (!ifr_semantic(ts, c->be,
                      SEM_LENGTH | SEM_COUNTER | SEM_COUNTER1 |
                          (o->no_checksums ? 0 : SEM_CHECKSUM),
                      &sem, &nsem))
        goto out;
    /* records inside the messages (TLV lists, counted blobs) */
    ifr_chain chains[4];
    uint32_t trail = o->no_checksums ? 0 : ifr_trailing_check(ts);
    size_t nchains = ifr_chains(ts, sem, nsem, trail, chains, 4);
    /* length groups of the type, in order of length */
    if (!sort_by_length(ts))
        goto out;
    size_t i = 0;
    while (i < ts->n) {
        size_t j = i;
        size_t len = ts->m[ts->idx[i]].data.len;
        while (j < ts->n && ts->m[ts->idx[j]].data.len == len)
            j++;
        msg_set gs = {ts->m, ts->idx + i, j - i, 0, 0};
        size_t lim = len < L ? len : L;
        bool have_g = gs.n >= 3 && ifr_columns(&gs, lim, G);
        for (size_t k = i; k < j; k++) {
            uint32_t mi = ts->idx[k];
            const trawl_span *d = &ts->m[mi].data;
            size_t n = d->len < L ? d->len : L;
            r->bounds[mi] = malloc((d->len + 1) * sizeof(uint32_t));
            r->sigs[mi] = malloc((d->len + 1) * sizeof(uint32_t));
            if (!r->bounds[mi] || !r->sigs[mi])
                goto out;
            /* (a message cut at max_prefix has no trailing checksum here) */
            ifr_bctx bc = {have_g ? G : NULL,
                           T,
                           c->P,
                           c->be,
                           sem,
                           nsem,
                           key,
                           ts->min_len,
                           chains,
                           nchains,
                           n == d->len ? trail : 0,
                           c->flowcol,
                           c->nflowcol};
            size_t nb = ifr_bounds(d->ptr, n, &bc, r->bounds[mi], r->sigs[mi]);
            if (d->len > n) {
                r->bounds[mi][nb] = (uint32_t)n;
                r->sigs[mi][nb++] = TRAWL_SIG_TAIL;
            }
            r->nbounds[mi] = nb;
            r->msg_type[mi] = (int)r->ntypes;
        }
        i = j;
    }
    size_t nf = 0;
    trawl_infer_field *f = type_fields(ts, r, sem, nsem, &nf);
    if (!f)
        goto out;
    for (size_t k = 0; k < nf; k++) {
        if (f[k].kind == TRAWL_FIELD_BYTES && f[k].size > 1)
            f[k].big_endian = c->be;
        ifr_classify(ts, &f[k]);
    }
    trawl_infer_type t = {0};
    t.port = port;
    t.cluster = c->cluster;
    t.key_offset = key;
    t.key_size = key >= 0 ? 1 : 0;
    t.key_value = key >= 0 && ts->n ? ts->m[ts->idx[0]].data.ptr[key] : 0;
    t.n_msgs = ts->n;
    t.min_len = ts->min_len;
    t.max_len = ts->max_len;
    t.big_endian = c->be;
    t.n_fields = nf;
    t.fields = f;
    if (!add_type(r, &t, f)) {
        free(f);
        goto out;
    }
    st = TRAWL_OK;
out:
    free(T);
    free(G);
    free(sem);
    return st;
}

/* No type field: clusters as types when clustering finds several, else
 * one type. */
static trawl_status by_clusters(ctx *c, msg_set *ps, uint16_t port)
{
    int32_t *lab = malloc((ps->n + 1) * sizeof(*lab));
    uint64_t *key = malloc((ps->n + 1) * sizeof(*key));
    uint32_t *sub = malloc((ps->n + 1) * sizeof(*sub));
    size_t nc = 0;
    trawl_status st = TRAWL_ENOMEM;
    if (!lab || !key || !sub)
        goto out;
    if (!ifr_cluster(ps, c->o->max_types, lab, &nc)) {
        st = do_type(c, ps, port, -1);
        goto out;
    }
    for (size_t i = 0; i < ps->n; i++)
        key[i] = (uint64_t)(uint32_t)lab[i] << 32 | ps->idx[i];
    qsort(key, ps->n, sizeof(*key), cmp_u64);
    for (size_t i = 0; i < ps->n; i++)
        sub[i] = (uint32_t)key[i];
    st = TRAWL_OK;
    for (size_t i = 0; i < ps->n && st == TRAWL_OK;) {
        size_t j = i;
        while (j < ps->n && key[j] >> 32 == key[i] >> 32)
            j++;
        msg_set ts = {ps->m, sub + i, j - i, 0, 0};
        c->cluster = (int32_t)(key[i] >> 32);
        st = do_type(c, &ts, port, -1);
        c->cluster = -1;
        i = j;
    }
out:
    free(lab);
    free(key);
    free(sub);
    return st;
}

/* --- one port ---------------------------------------------------------------------- */

static trawl_status do_port(ctx *c, msg_set *ps, uint16_t port)
{
    set_lengths(ps);
    size_t L = ps->max_len < c->o->max_prefix ? ps->max_len : c->o->max_prefix;
    col_stat *P = calloc(L + 1, sizeof(col_stat));
    col_stat *tmpc = calloc(KEY_SCAN + 1, sizeof(col_stat));
    uint32_t *tmp = malloc((ps->n + 1) * sizeof(uint32_t));
    uint32_t *sub = malloc((ps->n + 1) * sizeof(uint32_t));
    trawl_infer_field *sem = NULL;
    size_t nsem = 0;
    uint32_t *by_flow = NULL;
    uint8_t *flowcol = NULL;
    trawl_status st = TRAWL_ENOMEM;
    if (!P || !tmpc || !tmp || !sub)
        goto out;
    if (!ifr_columns(ps, L, P))
        goto out;
    c->P = P;
    c->be = big_endian_vote(ps, P, L);
    /* columns that are one value throughout each flow, varying across
     * flows: ids, session handles */
    uint32_t nfc = ps->min_len < L ? ps->min_len : (uint32_t)L;
    by_flow = order_by_flow(ps);
    flowcol = calloc(nfc + 1, 1);
    if (!by_flow || !flowcol)
        goto out;
    for (uint32_t o = 0; o < nfc; o++)
        flowcol[o] = P[o].distinct >= 2 && per_flow(ps->m, by_flow, ps->n, o);
    c->flowcol = flowcol;
    c->nflowcol = nfc;
    if (!ifr_semantic(ps, c->be, SEM_LENGTH | SEM_COUNTER | (c->o->no_checksums ? 0 : SEM_CHECKSUM),
                      &sem, &nsem))
        goto out;
    c->psem = sem;
    c->npsem = nsem;
    int key = c->o->no_types ? -1 : choose_key(ps, sem, nsem, c->o->max_types, tmp, sub, tmpc);
    /* counters over the whole port (a type's messages are a sparse sample
     * of each flow), clear of the type field */
    if (key >= 0) {
        trawl_infer_field kf = {.offset = (uint32_t)key, .size = 1};
        trawl_infer_field *g = realloc(sem, (nsem + 1) * sizeof(*g));
        if (!g)
            goto out;
        sem = g;
        sem[nsem] = kf;
        size_t before = nsem + 1;
        nsem = before;
        if (!ifr_semantic(ps, c->be, SEM_COUNTER1, &sem, &nsem))
            goto out;
        /* drop the placeholder for the key */
        memmove(&sem[before - 1], &sem[before], (nsem - before) * sizeof(*sem));
        nsem--;
    } else if (!ifr_semantic(ps, c->be, SEM_COUNTER1, &sem, &nsem)) {
        goto out;
    }
    c->psem = sem;
    c->npsem = nsem;
    if (key < 0) {
        st = c->o->no_types ? do_type(c, ps, port, -1) : by_clusters(c, ps, port);
        goto out;
    }
    split_by(ps, (uint32_t)key, c->o->max_types, tmp);
    for (size_t k = 0; k < ps->n; k++)
        sub[k] = ps->idx[tmp[k] & 0xFFFFFF];
    size_t i = 0;
    while (i < ps->n) {
        size_t j = i;
        while (j < ps->n && tmp[j] >> 24 == tmp[i] >> 24)
            j++;
        msg_set ts = {ps->m, sub + i, j - i, 0, 0};
        st = do_type(c, &ts, port, key);
        if (st != TRAWL_OK)
            goto out;
        i = j;
    }
    st = TRAWL_OK;
out:
    c->flowcol = NULL;
    c->nflowcol = 0;
    free(by_flow);
    free(flowcol);
    free(P);
    free(tmpc);
    free(tmp);
    free(sub);
    free(sem);
    return st;
}

trawl_status trawl_infer_run(const trawl_infer_msg *m, size_t n, const trawl_infer_opts *o,
                             trawl_infer_result **out, trawl_error *err)
{
    if (!out || (!m && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    if (n > 0x7FFFFFFF)
        return trawl__fail(err, TRAWL_ELIMIT, "too many messages (%zu)", n);
    trawl_infer_opts opts = o ? *o : (trawl_infer_opts){0};
    if (!opts.max_types || opts.max_types > 255)
        opts.max_types = 32;
    if (!opts.max_prefix)
        opts.max_prefix = 1024;
    trawl_infer_result *r = calloc(1, sizeof(*r));
    uint16_t *sp = service_ports(m, n);
    uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t));
    trawl_status st = TRAWL_ENOMEM;
    if (!r || !sp || !idx)
        goto fail;
    r->nmsgs = n;
    r->msg_type = malloc((n ? n : 1) * sizeof(int));
    r->bounds = calloc(n ? n : 1, sizeof(uint32_t *));
    r->sigs = calloc(n ? n : 1, sizeof(uint32_t *));
    r->nbounds = calloc(n ? n : 1, sizeof(size_t));
    if (!r->msg_type || !r->bounds || !r->sigs || !r->nbounds)
        goto fail;
    /* ports, in order of port number; messages of a port in input order */
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    ctx c = {&opts, r, NULL, true, NULL, 0, NULL, -1, NULL, 0};
    size_t done = 0;
    bool *used = calloc(n ? n : 1, 1);
    if (!used)
        goto fail;
    while (done < n) {
        size_t first = 0;
        while (used[first])
            first++;
        uint16_t port = sp[first];
        size_t k = 0;
        for (size_t i = first; i < n; i++)
            if (!used[i] && sp[i] == port) {
                idx[k++] = (uint32_t)i;
                used[i] = true;
            }
        done += k;
        msg_set ps = {m, idx, k, 0, 0};
        st = do_port(&c, &ps, port);
        if (st != TRAWL_OK) {
            free(used);
            goto fail;
        }
    }
    free(used);
    free(sp);
    free(idx);
    *out = r;
    return TRAWL_OK;
fail:
    free(sp);
    free(idx);
    trawl_infer_result_free(r);
    return trawl__fail(err, st == TRAWL_OK ? TRAWL_ENOMEM : st, "out of memory");
}
