/* consensus.c -- what the messages of a cluster have in common, position by
 * position: the column statistics (mode byte and entropy at each offset),
 * and a YARA hex pattern over the offsets every member has, with the byte
 * where all members agree and ?? where they vary. `trawl scan -e` accepts
 * the pattern as it is. */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

trawl_status trawl_analyze_consensus(const trawl_span *msgs, size_t n, const size_t *members,
                                     size_t nmembers, trawl_analyze_consensus_result *out,
                                     trawl_error *err)
{
    if (!out || (!msgs && n) || (!members && nmembers && n == 0))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    memset(out, 0, sizeof(*out));
    size_t m = members ? nmembers : n;
    trawl_span *sel = malloc((m ? m : 1) * sizeof(*sel));
    if (!sel)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t longest = 0, shortest = SIZE_MAX;
    for (size_t i = 0; i < m; i++) {
        size_t idx = members ? members[i] : i;
        if (idx >= n) {
            free(sel);
            return trawl__fail_at(err, TRAWL_EINVAL, -1, (int64_t)i, "member %zu: item %zu of %zu",
                                  i, idx, n);
        }
        sel[i] = msgs[idx];
        longest = sel[i].len > longest ? sel[i].len : longest;
        shortest = sel[i].len < shortest ? sel[i].len : shortest;
    }
    if (m == 0)
        shortest = 0;
    out->members = m;
    out->len = longest;
    out->common = shortest;
    out->columns = calloc(longest ? longest : 1, sizeof(*out->columns));
    /* "{ " + "XX " per position + "}" */
    out->pattern = malloc(3 * shortest + 4);
    if (!out->columns || !out->pattern) {
        free(sel);
        trawl_analyze_consensus_free(out);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    trawl_status st = trawl_analyze_columns(sel, m, longest, out->columns, err);
    free(sel);
    if (st) {
        trawl_analyze_consensus_free(out);
        return st;
    }
    static const char hx[] = "0123456789ABCDEF";
    char *w = out->pattern;
    *w++ = '{';
    for (size_t i = 0; i < shortest; i++) {
        const trawl_analyze_column *c = &out->columns[i];
        *w++ = ' ';
        if (c->distinct == 1) {
            *w++ = hx[c->mode >> 4];
            *w++ = hx[c->mode & 15];
            out->fixed++;
        } else {
            *w++ = '?';
            *w++ = '?';
        }
    }
    *w++ = ' ';
    *w++ = '}';
    *w = 0;
    if (out->fixed == 0) { /* nothing to search for */
        free(out->pattern);
        out->pattern = NULL;
    }
    return TRAWL_OK;
}

void trawl_analyze_consensus_free(trawl_analyze_consensus_result *c)
{
    if (!c)
        return;
    free(c->columns);
    free(c->pattern);
    memset(c, 0, sizeof(*c));
}
