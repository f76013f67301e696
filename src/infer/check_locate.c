/* check_locate.c -- find where messages carry a checksum and what it is:
 * try each place (end or start, size, byte order, first covered byte) and
 * recover an algorithm that fits every message at that place. */
#include "infer/check_int.h"
#include "common/error.h"

#include <stdlib.h>

static uint64_t read_uint(const uint8_t *p, unsigned size, bool be)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < size; k++)
        v |= (uint64_t)p[k] << (8 * (be ? size - 1 - k : k));
    return v;
}

/* Fills s[] for one place; false when a message is too short for it. */
static bool place_samples(const trawl_span *msgs, size_t n, const trawl_check_place *pl,
                          trawl_check_sample *s)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = msgs[i].len;
        if (len < (size_t)pl->size + pl->from + 1)
            return false;
        size_t at = pl->offset >= 0 ? (size_t)pl->offset : len - (size_t)-pl->offset;
        size_t lo = pl->from, hi;
        if (pl->offset < 0) /* trailing: coverage runs up to the checksum */
            hi = at;
        else { /* leading: coverage starts after it */
            lo = at + pl->size + pl->from;
            hi = len;
        }
        if (lo >= hi)
            return false;
        s[i].data = (trawl_span){msgs[i].ptr + lo, hi - lo};
        s[i].check = read_uint(msgs[i].ptr + at, pl->size, pl->big_endian);
    }
    return true;
}

trawl_status trawl_check_locate(const trawl_span *msgs, size_t n, const trawl_check_locate_opts *o,
                                trawl_check_place *place, trawl_check_algo *algo, bool *found,
                                trawl_error *err)
{
    if (!msgs || !place || !algo || !found)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *found = false;
    if (n < 2)
        return trawl__fail(err, TRAWL_EINVAL, "at least 2 messages are needed, got %zu", n);
    trawl_check_locate_opts d = {0};
    if (!o)
        o = &d;
    unsigned sizes = o->sizes ? o->sizes : 1 | 2 | 4;
    unsigned max_skip = o->max_skip ? o->max_skip : 8;
    trawl_check_sample *s = malloc(n * sizeof(*s));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    static const unsigned order[] = {8, 4, 2, 1};
    trawl_status st = TRAWL_OK;
    for (int lead = 0; lead < 2 && !*found; lead++) {
        if ((lead && o->trailing_only) || (!lead && o->leading_only))
            continue;
        for (unsigned si = 0; si < 4 && !*found; si++) {
            unsigned size = order[si];
            if (!(sizes & size))
                continue;
            for (int be = 1; be >= 0 && !*found; be--) {
                if (size == 1 && !be)
                    continue;
                for (unsigned skip = 0; skip <= max_skip && !*found; skip++) {
                    trawl_check_place pl = {lead ? 0 : -(int32_t)size, size, be, skip, 0};
                    if (!place_samples(msgs, n, &pl, s))
                        continue;
                    st = trawl_check_recover(s, n, 8 * size, o->kinds, algo, found, err);
                    if (st != TRAWL_OK)
                        goto out;
                    if (*found)
                        *place = pl;
                }
            }
        }
    }
out:
    free(s);
    return st;
}
