/* align.c -- an optimal alignment of a pattern to a window, for --align and
 * for people reading a match. Off the scan path: a full (m+1) x (len+1)
 * table and a traceback. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdlib.h>

enum { BIG = 1 << 20 };

static int32_t *fill(const fz_pat *p, const uint8_t *w, size_t len)
{
    size_t cols = len + 1;
    int32_t *D = malloc((p->m + 1) * cols * sizeof(*D));
    if (!D)
        return NULL;
    int32_t ins = (p->ops & FZ_INS) ? 1 : BIG, del = (p->ops & FZ_DEL) ? 1 : BIG;
    int32_t sub = (p->ops & FZ_SUB) ? 1 : BIG;
    for (size_t t = 0; t <= len; t++)
        D[t] = t ? D[t - 1] + ins : 0;
    for (size_t i = 1; i <= p->m; i++) {
        int32_t *row = D + i * cols, *up = row - cols;
        row[0] = up[0] + del;
        for (size_t t = 1; t <= len; t++) {
            int32_t v = up[t - 1] + (((w[t - 1] & p->mask[i - 1]) == p->val[i - 1]) ? 0 : sub);
            if (up[t] + del < v)
                v = up[t] + del;
            if (row[t - 1] + ins < v)
                v = row[t - 1] + ins;
            row[t] = v < BIG ? v : BIG;
        }
    }
    return D;
}

trawl_status trawl_fuzzy_align(const trawl_fuzzy_db *db, size_t pi, const uint8_t *window,
                               size_t len, trawl_fuzzy_edit *edits, size_t cap, size_t *n,
                               unsigned *distance, trawl_error *err)
{
    if (!db || pi >= db->n || (!window && len) || !edits || !n)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    const fz_pat *p = &db->pats[pi];
    int32_t *D = fill(p, window, len);
    if (!D)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    size_t cols = len + 1, i = p->m, t = len;
    if (D[i * cols + t] >= BIG) {
        free(D);
        return trawl__fail(err, TRAWL_EINVAL, "the window cannot be aligned with these operations");
    }
    if (distance)
        *distance = (unsigned)D[i * cols + t];
    /* walk back, writing from the end of the edits array, then shift down */
    size_t need = 0;
    while (i > 0 || t > 0) {
        int32_t here = D[i * cols + t];
        trawl_fuzzy_edit e = {TRAWL_FUZZY_OP_MATCH, -1, -1, 0, 0, 0};
        bool same = i > 0 && t > 0 && (window[t - 1] & p->mask[i - 1]) == p->val[i - 1];
        int32_t diag = (i > 0 && t > 0) ? D[(i - 1) * cols + t - 1] : BIG;
        if (i > 0 && t > 0 && here == diag + (same ? 0 : ((p->ops & FZ_SUB) ? 1 : BIG))) {
            e.op = same ? TRAWL_FUZZY_OP_MATCH : TRAWL_FUZZY_OP_SUBSTITUTE;
            i--;
            t--;
            e.pattern_pos = (int32_t)i;
            e.data_pos = (int32_t)t;
        } else if (i > 0 && (p->ops & FZ_DEL) && here == D[(i - 1) * cols + t] + 1) {
            e.op = TRAWL_FUZZY_OP_DELETE;
            i--;
            e.pattern_pos = (int32_t)i;
        } else {
            e.op = TRAWL_FUZZY_OP_INSERT;
            t--;
            e.data_pos = (int32_t)t;
        }
        if (e.pattern_pos >= 0) {
            e.pattern_value = p->val[e.pattern_pos];
            e.pattern_mask = p->mask[e.pattern_pos];
        }
        if (e.data_pos >= 0)
            e.data_byte = window[e.data_pos];
        if (need < cap)
            edits[cap - 1 - need] = e;
        need++;
    }
    free(D);
    *n = need;
    if (need > cap)
        return trawl__fail(err, TRAWL_ELIMIT, "%zu edits do not fit in %zu", need, cap);
    for (size_t k = 0; k < need; k++)
        edits[k] = edits[cap - need + k];
    return TRAWL_OK;
}
