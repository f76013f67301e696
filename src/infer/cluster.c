/* cluster.c -- message types by clustering, when no type field splits a
 * port: Hamming distances over a sample of the messages (trawl/analyze.h),
 * average linkage (UPGMA, as Netzob), clusters cut at a fixed distance;
 * the rest of the messages join the cluster of their nearest sampled one. */
#include "infer/infer_int.h"

#include <stdlib.h>
#include <trawl/analyze.h>

#define SAMPLE   256 /* messages clustered; O(SAMPLE^2) distances */
#define CUT      0.5 /* average Hamming distance (share of bytes) within a type */
#define MIN_MSGS 8

bool ifr_cluster(const msg_set *s, unsigned max_types, int32_t *labels, size_t *nclusters)
{
    if (s->n < MIN_MSGS)
        return false;
    size_t k = s->n < SAMPLE ? s->n : SAMPLE;
    trawl_span *sp = malloc(k * sizeof(*sp));
    size_t *pick = malloc(k * sizeof(*pick));
    double *D = malloc(trawl_analyze_condensed_size(k) * sizeof(double));
    double *Z = malloc(4 * (k - 1) * sizeof(double));
    int32_t *lab = malloc(k * sizeof(*lab));
    bool ok = false;
    if (!sp || !pick || !D || !Z || !lab)
        goto out;
    for (size_t i = 0; i < k; i++) {
        pick[i] = i * s->n / k;
        sp[i] = s->m[s->idx[pick[i]]].data;
    }
    trawl_analyze_distance_opts o = {.metric = TRAWL_ANALYZE_HAMMING, .threads = 1};
    size_t nc = 0;
    if (trawl_analyze_distance_matrix(sp, k, &o, D, NULL) != TRAWL_OK ||
        trawl_analyze_linkage(D, k, TRAWL_ANALYZE_LINK_AVERAGE, Z, NULL) != TRAWL_OK ||
        trawl_analyze_cut_distance(Z, k, CUT, lab, &nc, NULL) != TRAWL_OK)
        goto out;
    if (nc < 2 || nc > max_types)
        goto out;
    /* every message: its sampled self, or its nearest sampled message */
    size_t next = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (next < k && pick[next] == i) {
            labels[i] = lab[next++];
            continue;
        }
        const trawl_span *d = &s->m[s->idx[i]].data;
        double best = 2;
        for (size_t j = 0; j < k; j++) {
            double dist;
            if (trawl_analyze_distance(d->ptr, d->len, sp[j].ptr, sp[j].len, &o, &dist, NULL) ==
                    TRAWL_OK &&
                dist < best) {
                best = dist;
                labels[i] = lab[j];
            }
        }
    }
    *nclusters = nc;
    ok = true;
out:
    free(sp);
    free(pick);
    free(D);
    free(Z);
    free(lab);
    return ok;
}
