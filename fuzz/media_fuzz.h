/* media_fuzz.h -- what the image-container fuzz targets share: one engine
 * with only synthetic_media, created on first use, and a run on the bytes.
 * Each run also checks the result's invariants (confidences in [0,1], every
 * violation explained by evidence). */
#ifndef TRAWL_MEDIA_FUZZ_H
#define TRAWL_MEDIA_FUZZ_H

#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

static void mf_run(const uint8_t *p, size_t n)
{
    static trawl_detect_engine *e;
    static trawl_detect_ctx *c;
    if (!e) {
        /* anomalies on, and a small manifest cap so the cap path is reached */
        static const char cfg[] = "[synthetic_media]\nmax_manifest_bytes = 4096\n";
        if (trawl_detect_engine_new(cfg, sizeof cfg - 1, &e, NULL) != TRAWL_OK ||
            trawl_detect_ctx_new(e, &c, NULL) != TRAWL_OK)
            abort();
    }
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = (uint8_t *)p;
    in.data_len = n;
    trawl_detect_report *r;
    if (trawl_detect_run(e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, NULL) != TRAWL_OK)
        abort();
    const trawl_detector_result *d = &r->results[3];
    for (size_t i = 0; i < d->n_violations; i++)
        if (!(d->violations[i].confidence >= 0 && d->violations[i].confidence <= 1) ||
            d->violations[i].n_evidence == 0)
            abort();
    if (d->n_violations > 65)
        abort();
    trawl_detect_report_free(r);
}

/* prefix + data in a fresh heap buffer (so ASan sees reads past the end). */
static void mf_run_prefixed(const uint8_t *pre, size_t k, const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(k + n + 1);
    if (!b)
        return;
    if (k)
        memcpy(b, pre, k);
    if (n)
        memcpy(b + k, p, n);
    mf_run(b, k + n);
    free(b);
}

#endif
