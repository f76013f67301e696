/* bench_detect_media.c -- latency of one synthetic_media call (the unified
 * trawl_detect_run restricted to the detector) on the realistic
 * input, a ~1 MB JPEG, and on two neighbours:
 *
 *   jpeg-1mb-ai      SOI, APP1 EXIF (Make, Model, Software), APP1 XMP with
 *                    DigitalSourceType trainedAlgorithmicMedia and a
 *                    CreatorTool, DQT, SOF0, SOS, ~1 MB of entropy-coded
 *                    data (stuffed 0xFF 0x00, restart markers), EOI
 *   jpeg-1mb-camera  the same without generator metadata (Make/Model only)
 *   png-1mb          a PNG with an A1111 'parameters' chunk and ~1 MB of
 *                    IDAT, whose CRC-32 is checked (the costliest path)
 *   png-1mb-nocrc    the same with check_data_crc = false
 *
 * Each call is timed alone (BENCH_CALLS calls, default 2000, after 50 warm-up
 * calls); median and p99 are printed with the original Python service's
 * target (30 ms per image) and the ratio target/measured. Images are built in
 * memory (tests/detect/synthetic_media/media_build.h), so no file is needed. BENCH_ONLY names one
 * workload to run (e.g. under callgrind). */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

#include "../tests/detect/synthetic_media/media_build.h"

#define ORIGINAL_TARGET_MS 30.0

#define XMP_AI                                                                                     \
    "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" \
    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description "         \
    "rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" "                                   \
    "xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\" "                           \
    "xmp:CreatorTool=\"Adobe Firefly\" "                                                           \
    "Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/"              \
    "trainedAlgorithmicMedia\"/></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const char *name, const mb_buf *img, trawl_detect_engine *e,
                    trawl_detect_ctx *c, int calls)
{
    const char *only = getenv("BENCH_ONLY");
    if (only && strcmp(only, name))
        return;
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = img->p;
    in.data_len = img->n;
    double *t = malloc((size_t)calls * sizeof *t);
    size_t violations = 0;
    double score = 0;
    for (int i = -50; i < calls; i++) {
        trawl_detect_report *r;
        double t0 = bu_now();
        if (trawl_detect_run(e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, NULL) != TRAWL_OK) {
            fprintf(stderr, "bench_detect_media: run failed\n");
            exit(1);
        }
        double dt = bu_now() - t0;
        violations = r->results[3].n_violations;
        score = r->threat_score;
        trawl_detect_report_free(r);
        if (i >= 0)
            t[i] = dt;
    }
    qsort(t, (size_t)calls, sizeof *t, cmp);
    double med = t[calls / 2] * 1e6, p99 = t[(size_t)(calls * 0.99)] * 1e6;
    printf("%-16s %8.2f MB  median %8.1f us  p99 %8.1f us  %6.0f MB/s  original target %.0f ms "
           "-> %6.0fx under (p99 %5.0fx)  [%zu violations, score %.2f]\n",
           name, img->n / 1e6, med, p99, img->n / med, ORIGINAL_TARGET_MS,
           ORIGINAL_TARGET_MS * 1e3 / med, ORIGINAL_TARGET_MS * 1e3 / p99, violations, score);
    free(t);
}

int main(void)
{
    const char *env = getenv("BENCH_CALLS");
    int calls = env ? atoi(env) : 2000;
    if (calls < 10)
        calls = 10;
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    if (trawl_detect_engine_new(NULL, 0, &e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK) {
        fprintf(stderr, "bench_detect_media: %s\n", err.message);
        return 1;
    }
    mb_tag cam[] = {{0x010F, 2, "Canon", 6}, {0x0110, 2, "Canon EOS R5", 13}};
    mb_tag ai[] = {{0x010F, 2, "Canon", 6},
                   {0x0110, 2, "Canon EOS R5", 13},
                   {0x0131, 2, "Adobe Firefly 2.0", 18}};
    const size_t scan = 1000 * 1000;

    mb_buf j1 = {0}, j2 = {0}, png = {0};
    mb_str(&j1, "\xFF\xD8");
    mb_jpeg_exif(&j1, false, ai, 3, NULL, 0);
    mb_jpeg_xmp(&j1, XMP_AI);
    mb_jpeg_image(&j1, scan, 11);

    mb_str(&j2, "\xFF\xD8");
    mb_jpeg_exif(&j2, false, cam, 2, NULL, 0);
    mb_jpeg_image(&j2, scan, 11);

    mb_png_start(&png);
    mb_png_text(&png, "parameters",
                "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512");
    uint8_t *idat = bu_random_bytes(scan, 42);
    mb_png_chunk(&png, "IDAT", idat, scan);
    mb_png_chunk(&png, "IEND", NULL, 0);
    free(idat);

    printf("synthetic_media: one trawl_detect_run per call, %d calls each\n", calls);
    measure("jpeg-1mb-ai", &j1, e, c, calls);
    measure("jpeg-1mb-camera", &j2, e, c, calls);
    measure("png-1mb", &png, e, c, calls);
    trawl_detect_engine *e2;
    trawl_detect_ctx *c2;
    static const char nocrc[] = "[synthetic_media]\ncheck_data_crc = false\n";
    if (trawl_detect_engine_new(nocrc, sizeof nocrc - 1, &e2, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(e2, &c2, &err) != TRAWL_OK) {
        fprintf(stderr, "bench_detect_media: %s\n", err.message);
        return 1;
    }
    measure("png-1mb-nocrc", &png, e2, c2, calls);
    trawl_detect_ctx_free(c2);
    trawl_detect_engine_free(e2);
    printf("peak RSS %.1f MiB\n", bu_peak_rss_mib());

    mb_free(&j1);
    mb_free(&j2);
    mb_free(&png);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return 0;
}
