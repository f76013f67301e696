/* report.c -- sums the windows of an image up: the architecture most code
 * windows vote for, the counts, and the regions (runs of windows with the
 * same answer). With overlapping windows each window owns the bytes from
 * its start to the next window's start (the last one to its end), so the
 * regions tile the input without overlap. */
#include "firmware/fw_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

typedef struct acc {
    trawl_fw_arch_report *r;
    size_t cap;
    bool have; /* pending holds a window */
    trawl_fw_window pending;
    uint64_t covered; /* end of the bytes owned so far */
    double bits_sum;
    bool failed;
} acc;

static bool own(acc *a, const trawl_fw_window *w, uint64_t end)
{
    trawl_fw_arch_report *r = a->r;
    uint64_t start = w->offset > a->covered ? w->offset : a->covered;
    if (end <= start)
        return true;
    a->covered = end;
    trawl_fw_region *last = r->n_regions ? &r->regions[r->n_regions - 1] : NULL;
    if (last && last->arch == w->arch && last->kind == w->kind &&
        last->offset + last->length == start) {
        last->length = end - last->offset;
        last->windows++;
        return true;
    }
    if (r->n_regions == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        trawl_fw_region *g = realloc(r->regions, cap * sizeof(*g));
        if (!g)
            return false;
        r->regions = g;
        a->cap = cap;
    }
    r->regions[r->n_regions++] = (trawl_fw_region){start, end - start, w->arch, w->kind, 1};
    return true;
}

static int on_window(const trawl_fw_window *w, void *ud)
{
    acc *a = ud;
    trawl_fw_arch_report *r = a->r;
    r->windows++;
    r->kinds[w->kind]++;
    if (w->arch >= 0) {
        r->code_windows++;
        r->votes[w->arch]++;
        a->bits_sum += w->bits;
    }
    if (a->have && !own(a, &a->pending, w->offset)) {
        a->failed = true;
        return 1;
    }
    a->pending = *w;
    a->have = true;
    return 0;
}

trawl_status trawl_fw_arch_identify(const trawl_fw_model *m, const uint8_t *data, size_t len,
                                    const trawl_fw_arch_opts *opts, trawl_fw_arch_report **out,
                                    trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "firmware: NULL argument");
    *out = NULL;
    acc a = {0};
    a.r = calloc(1, sizeof(*a.r));
    if (!a.r)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    trawl_status s = trawl_fw_arch_scan(m, data, len, opts, on_window, &a, err);
    if (a.failed)
        s = trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    if (s == TRAWL_OK && a.have && !own(&a, &a.pending, a.pending.offset + a.pending.length))
        s = trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    if (s != TRAWL_OK) {
        trawl_fw_arch_report_free(a.r);
        return s;
    }
    trawl_fw_arch_report *r = a.r;
    r->arch = -1;
    for (unsigned i = 0; i < m->n_arch; i++)
        if (r->votes[i] && (r->arch < 0 || r->votes[i] > r->votes[r->arch]))
            r->arch = (int)i;
    if (r->code_windows) {
        r->share = (double)r->votes[r->arch] / (double)r->code_windows;
        r->mean_bits = a.bits_sum / (double)r->code_windows;
    }
    *out = r;
    return TRAWL_OK;
}

void trawl_fw_arch_report_free(trawl_fw_arch_report *r)
{
    if (!r)
        return;
    free(r->regions);
    free(r);
}
