/* prefixes.c -- header signatures: the prefixes that groups of messages
 * share. Messages are sorted (byte-wise, shorter first on a common
 * prefix), the longest common prefix of each pair of neighbours is taken,
 * and the LCP intervals of that list (as for a suffix array) are exactly
 * the maximal groups: a prefix shared by messages i..j of the sorted list
 * that no longer prefix is shared by all of them. Those of at least
 * min_length bytes and min_support messages are kept, the most widely
 * shared first. O(total compared bytes + n log n). */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

/* qsort has no context argument: a merge sort of our own keeps the
 * function reentrant. */
static void msort(const trawl_span *m, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(m, a, tmp, h);
    msort(m, a + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        const trawl_span *x = &m[a[i]], *y = &m[a[j]];
        size_t k = x->len < y->len ? x->len : y->len;
        int c = k ? memcmp(x->ptr, y->ptr, k) : 0;
        bool take_right = c > 0 || (c == 0 && y->len < x->len);
        tmp[o++] = take_right ? a[j++] : a[i++];
    }
    while (i < h)
        tmp[o++] = a[i++];
    while (j < n)
        tmp[o++] = a[j++];
    memcpy(a, tmp, n * sizeof(*a));
}

static int by_support(const void *x, const void *y)
{
    const trawl_analyze_prefix *a = x, *b = y;
    if (a->support != b->support)
        return a->support > b->support ? -1 : 1;
    if (a->length != b->length)
        return a->length > b->length ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

trawl_status trawl_analyze_prefixes(const trawl_span *msgs, size_t n, size_t min_length,
                                    size_t min_support, trawl_analyze_prefix **out, size_t *count,
                                    trawl_error *err)
{
    if (!out || !count || (!msgs && n))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    *count = 0;
    if (min_length == 0)
        min_length = 1;
    if (min_support < 2)
        min_support = 2;
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx)), *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    size_t *lcp = malloc((n + 1) * sizeof(*lcp));
    typedef struct openp {
        size_t lcp, lb;
    } openp;
    openp *st = malloc((n + 1) * sizeof(*st));
    size_t cap = 16, nr = 0;
    trawl_analyze_prefix *r = malloc(cap * sizeof(*r));
    trawl_status status = TRAWL_OK;
    if (!idx || !tmp || !lcp || !st || !r) {
        status = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    msort(msgs, idx, tmp, n);
    lcp[0] = lcp[n] = 0;
    for (size_t i = 1; i < n; i++) {
        const trawl_span *a = &msgs[idx[i - 1]], *b = &msgs[idx[i]];
        size_t k = 0, m = a->len < b->len ? a->len : b->len;
        while (k < m && a->ptr[k] == b->ptr[k])
            k++;
        lcp[i] = k;
    }
    size_t top = 0;
    st[top++] = (openp){0, 0};
    for (size_t i = 1; i <= n; i++) {
        size_t l = lcp[i], lb = i - 1;
        while (l < st[top - 1].lcp) {
            openp iv = st[--top];
            size_t support = i - iv.lb;
            if (iv.lcp >= min_length && support >= min_support) {
                if (nr == cap) {
                    trawl_analyze_prefix *t = realloc(r, 2 * cap * sizeof(*r));
                    if (!t) {
                        status = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                        goto out;
                    }
                    r = t;
                    cap *= 2;
                }
                size_t first = SIZE_MAX;
                for (size_t k = iv.lb; k < i; k++)
                    first = idx[k] < first ? idx[k] : first;
                r[nr++] = (trawl_analyze_prefix){msgs[first].ptr, iv.lcp, support, first};
            }
            lb = iv.lb;
        }
        if (l > st[top - 1].lcp)
            st[top++] = (openp){l, lb};
    }
    qsort(r, nr, sizeof(*r), by_support);
    *out = r;
    *count = nr;
    r = NULL;
out:
    free(idx);
    free(tmp);
    free(lcp);
    free(st);
    free(r);
    return status;
}

void trawl_analyze_prefixes_free(trawl_analyze_prefix *p)
{
    free(p);
}
