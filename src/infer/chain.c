/* chain.c -- records inside messages: the rest of a message, from a fixed
 * offset of its type, as a chain of length-prefixed records (a TLV list:
 * a header of `lo` bytes -- a tag, a type --, a length of `w` bytes, then
 * that many bytes of value, again and again to the message's end). A
 * single record is a count and the bytes it counts (a blob, an array).
 *
 * A chain is evidence only where chance cannot make it: the same start and
 * record layout in a quarter of the type's messages at least, of two
 * lengths or more, the records landing exactly on each message's end --
 * and three times as often there as on a place 1, 2 or 3 bytes before it
 * (records of small bytes land anywhere: the end is nothing special to
 * them), the first record's length not the same in all (records of fixed
 * place and size are a header's bytes read by chance). */
#include "infer/infer_int.h"

#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX_LO    8   /* header bytes before the length */
#define CHAIN_MAX_START 128 /* chains start in the first bytes */
#define CHAIN_SAMPLE    256 /* messages of the type looked at */
#define CHAIN_MIN_MSGS  3

/* A length of 1 or 2 bytes (ifr_read, inlined: this is the hot loop). */
static inline uint64_t read_len(const uint8_t *p, unsigned w, bool be)
{
    return w == 1 ? p[0] : be ? (uint64_t)p[0] << 8 | p[1] : (uint64_t)p[1] << 8 | p[0];
}

unsigned ifr_chain_parse(const uint8_t *p, size_t len, const ifr_chain *c)
{
    size_t q = c->start;
    unsigned k = 0;
    uint64_t sum = 0;
    if (q >= len)
        return 0;
    while (q < len) {
        if (q + c->lo + c->w > len)
            return 0;
        uint64_t v = read_len(p + q + c->lo, c->w, c->be);
        if (v > len)
            return 0;
        q += c->lo + c->w + (size_t)v;
        sum += v;
        k++;
    }
    return q == len && sum ? k : 0;
}

/* How well chain c fits the messages of s not yet taken. */
typedef struct chain_fit {
    size_t msgs, multi, records;
    uint32_t min_len, max_len;
    size_t shifted; /* messages it fits when they end 1, 2 or 3 bytes early, at most */
    uint64_t first; /* the first record's length in the first message it fits */
    bool varies;    /* ... and another in another message */
} chain_fit;

/* (shifts: count the early ends too, three parses more per message: only
 * for a chain that fits well enough otherwise) */
static chain_fit fit(const msg_set *s, size_t step, const uint8_t *taken, const ifr_chain *c,
                     uint32_t trail, bool shifts)
{
    chain_fit f = {0, 0, 0, UINT32_MAX, 0, 0, 0, false};
    size_t sh[3] = {0, 0, 0};
    for (size_t i = 0, j = 0; i < s->n; i += step, j++) {
        if (taken[j])
            continue;
        const trawl_span *d = &s->m[s->idx[i]].data;
        if (d->len <= trail)
            continue;
        size_t len = d->len - trail;
        for (size_t e = 1; shifts && e <= 3 && e < len; e++)
            sh[e - 1] += ifr_chain_parse(d->ptr, len - e, c) != 0;
        unsigned k = ifr_chain_parse(d->ptr, len, c);
        if (!k)
            continue;
        uint64_t v = ifr_read(d->ptr + c->start + c->lo, c->w, c->be);
        if (!f.msgs)
            f.first = v;
        f.varies |= v != f.first;
        f.msgs++;
        f.multi += k >= 2;
        f.records += k;
        if (d->len < f.min_len)
            f.min_len = (uint32_t)d->len;
        if (d->len > f.max_len)
            f.max_len = (uint32_t)d->len;
    }
    for (int e = 0; e < 3; e++)
        if (sh[e] > f.shifted)
            f.shifted = sh[e];
    return f;
}

static bool enough(const chain_fit *f, size_t n)
{
    return f->msgs >= CHAIN_MIN_MSGS && 4 * f->msgs >= n && f->min_len != f->max_len &&
           f->msgs >= 3 * f->shifted + 2 && f->varies && (f->multi >= 2 || 2 * f->msgs >= n);
}

/* The first record's length cuts a field found by meaning (the low byte
 * of a two-byte length read as a one-byte one). */
static bool cuts_known(const ifr_chain *c, const trawl_infer_field *sem, size_t nsem)
{
    uint32_t a = c->start + c->lo, b = a + c->w;
    for (size_t i = 0; i < nsem; i++) {
        uint32_t fa = sem[i].offset, fb = fa + sem[i].size;
        if (a < fb && fa < b && (a != fa || b != fb))
            return true;
    }
    return false;
}

size_t ifr_chains(const msg_set *s, const trawl_infer_field *sem, size_t nsem, uint32_t trail,
                  ifr_chain *out, size_t max)
{
    size_t step = s->n > CHAIN_SAMPLE ? s->n / CHAIN_SAMPLE : 1;
    size_t n = (s->n + step - 1) / step;
    uint8_t *taken = calloc(n ? n : 1, 1);
    size_t nc = 0;
    if (!taken)
        return 0;
    uint32_t smax = s->max_len < CHAIN_MAX_START ? s->max_len : CHAIN_MAX_START;
    while (nc < max) {
        ifr_chain best = {0};
        chain_fit bf = {0};
        for (uint32_t st = 0; st < smax; st++)
            for (uint8_t lo = 0; lo <= CHAIN_MAX_LO; lo++)
                for (uint8_t w = 1; w <= 2; w++)
                    for (int be = 1; be >= (w > 1 ? 0 : 1); be--) {
                        ifr_chain c = {st, lo, w, be != 0};
                        if (cuts_known(&c, sem, nsem))
                            continue;
                        chain_fit f = fit(s, step, taken, &c, trail, false);
                        if (!enough(&f, n) || f.records <= bf.records)
                            continue;
                        f = fit(s, step, taken, &c, trail, true);
                        if (enough(&f, n)) {
                            bf = f;
                            best = c;
                        }
                    }
        if (!bf.msgs)
            break;
        out[nc++] = best;
        for (size_t i = 0, j = 0; i < s->n; i += step, j++) {
            const trawl_span *d = &s->m[s->idx[i]].data;
            if (d->len > trail && ifr_chain_parse(d->ptr, d->len - trail, &best))
                taken[j] = 1;
        }
    }
    free(taken);
    return nc;
}
