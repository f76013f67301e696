/* synthetic_media/synthetic_media.c -- the synthetic_media detector: provenance metadata of
 * images. The bytes of the input's data_base64, and of each file it names
 * that starts with an image signature, are parsed as PNG, JPEG or WebP; the
 * parsers (synthetic_media/png.c, synthetic_media/jpeg.c, synthetic_media/webp.c, with
 * synthetic_media/exif.c, synthetic_media/xmp.c, synthetic_media/jumbf.c) report what they find to
 * synthetic_media/judge.c.
 *
 * What this detector does not do: look at pixels. No image-statistical score
 * is computed (see docs/detect-synthetic_media.md, "Limits"); an image without
 * generator metadata is clean, which proves nothing about how it was made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/synthetic_media/media.h"

#define SECTION "synthetic_media"

bool media_sniff(const uint8_t *p, size_t n)
{
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return true;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return true;
    return n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4);
}

int media_scan(const media_state *st, media_tls *tls, const char *source, const uint8_t *p,
               size_t n, trawl_detector_result *out)
{
    if (!media_sniff(p, n))
        return 0;
    media_ctx m = {0};
    m.st = st;
    m.tls = tls;
    m.out = out;
    m.source = source;
    m.anomaly_idx = SIZE_MAX;
    size_t first = out->n_violations;
    if (p[0] == 0x89) {
        m.format = "PNG";
        media_png(&m, p, n);
    } else if (p[0] == 0xFF) {
        m.format = "JPEG";
        media_jpeg(&m, p, n);
    } else {
        m.format = "WebP";
        media_webp(&m, p, n);
    }
    if (m.n_anomalies > MEDIA_MAX_ANOMALIES && m.anomaly_idx != SIZE_MAX &&
        det_evidence(&out->violations[m.anomaly_idx], "%s: %u further defects not listed", source,
                     m.n_anomalies - MEDIA_MAX_ANOMALIES) < 0)
        m.oom = true;
    if (m.suppressed && out->n_violations > first &&
        det_evidence(&out->violations[first], "%s: %u further findings not listed (cap %d)", source,
                     m.suppressed, MEDIA_MAX_FINDINGS) < 0)
        m.oom = true;
    return m.oom ? -1 : 1;
}

/* ---- files named in the input ---------------------------------------------- */

/* Reads the file when it starts with an image signature; up to max bytes.
 * NULL when it is not a regular file, cannot be read or is not an image
 * (not an error: the other detectors look at files too). */
static uint8_t *read_image_file(const char *path, size_t max, size_t *n, bool *cut)
{
    char why[128]; /* a FIFO or device could block or never end */
    int fd = det_open_file(path, false, why, sizeof(why));
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    uint8_t head[12];
    size_t h = fread(head, 1, sizeof head, f);
    uint8_t *buf = NULL;
    if (media_sniff(head, h) && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        size_t want = size < 0 ? 0 : (size_t)size;
        *cut = want > max;
        if (*cut)
            want = max;
        buf = want ? malloc(want) : NULL;
        if (buf && (fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, want, f) != want)) {
            free(buf);
            buf = NULL;
        }
        *n = want;
    }
    fclose(f);
    return buf;
}

/* ---- the detector ------------------------------------------------------------ */

static void media_destroy(void *state)
{
    media_state *st = state;
    if (!st)
        return;
    det_config_list_free(st->generators, st->n_generators);
    det_config_list_free(st->editors, st->n_editors);
    free(st);
}

static trawl_status read_size(const det_config *cfg, const char *key, double def, size_t *out,
                              trawl_error *err)
{
    double d;
    trawl_status s = det_config_double(cfg, SECTION, key, def, &d, err);
    if (s != TRAWL_OK)
        return s;
    if (!(d >= 1024 && d <= 1073741824.0))
        return trawl__fail(err, TRAWL_EINVAL, "%s.%s: must be between 1024 and 1073741824", SECTION,
                           key);
    *out = (size_t)d;
    return TRAWL_OK;
}

static trawl_status media_create(const det_config *cfg, void **state, trawl_error *err)
{
    media_state *st = calloc(1, sizeof(*st));
    if (!st)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status s =
        det_config_bool(cfg, SECTION, "report_editing", true, &st->report_editing, err);
    if (s == TRAWL_OK)
        s = det_config_bool(cfg, SECTION, "report_c2pa", true, &st->report_c2pa, err);
    if (s == TRAWL_OK)
        s = det_config_bool(cfg, SECTION, "report_anomalies", true, &st->report_anomalies, err);
    if (s == TRAWL_OK)
        s = det_config_bool(cfg, SECTION, "check_data_crc", true, &st->check_data_crc, err);
    if (s == TRAWL_OK)
        s = read_size(cfg, "max_manifest_bytes", 16.0 * 1024 * 1024, &st->max_manifest, err);
    if (s == TRAWL_OK)
        s = read_size(cfg, "max_file_bytes", 256.0 * 1024 * 1024, &st->max_file, err);
    if (s == TRAWL_OK)
        s = det_config_list(cfg, SECTION, "generators", &st->generators, &st->n_generators, err);
    if (s == TRAWL_OK)
        s = det_config_list(cfg, SECTION, "editors", &st->editors, &st->n_editors, err);
    if (s != TRAWL_OK) {
        media_destroy(st);
        return s;
    }
    trawl__crc32_init(&st->crc, true);
    *state = st;
    return TRAWL_OK;
}

static void media_thread_free(void *tstate)
{
    media_tls *t = tstate;
    if (!t)
        return;
    free(t->jumbf);
    free(t->text);
    free(t);
}

static trawl_status media_thread_new(void *state, void **tstate, trawl_error *err)
{
    (void)state;
    media_tls *t = calloc(1, sizeof(*t));
    if (t)
        t->text = malloc(MEDIA_TEXT_CAP);
    if (!t || !t->text) {
        media_thread_free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *tstate = t;
    return TRAWL_OK;
}

static trawl_status media_run(void *state, void *tstate, const trawl_detect_input *in,
                              trawl_detector_result *out, trawl_error *err)
{
    const media_state *st = state;
    media_tls *t = tstate;
    if (in->data && in->data_len && media_scan(st, t, "data", in->data, in->data_len, out) < 0)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_files; i++) {
        size_t n = 0;
        bool cut = false;
        uint8_t *buf = read_image_file(in->files[i], st->max_file, &n, &cut);
        if (!buf)
            continue;
        size_t before = out->n_violations;
        int r = media_scan(st, t, in->files[i], buf, n, out);
        free(buf);
        if (r < 0)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        if (cut && out->n_violations > before &&
            det_evidence(&out->violations[before],
                         "%s: only the first %zu bytes were read "
                         "(max_file_bytes)",
                         in->files[i], n) < 0)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    return TRAWL_OK;
}

const detector_ops det_synthetic_media_ops = {
    .name = "synthetic_media",
    .bit = TRAWL_DET_SYNTHETIC_MEDIA,
    .create = media_create,
    .destroy = media_destroy,
    .thread_new = media_thread_new,
    .thread_free = media_thread_free,
    .run = media_run,
};
