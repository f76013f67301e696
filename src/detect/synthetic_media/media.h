/* media.h -- the synthetic_media detector's parts: container parsers (PNG,
 * JPEG, WebP), the metadata parsers they share (EXIF/TIFF, XMP, JUMBF/C2PA)
 * and the judge that turns what they find into violations. Internal to
 * src/detect/.
 *
 * The parsers read untrusted bytes: every length is checked against the
 * bytes that remain before it is used, every loop advances or stops, and
 * nothing is copied except into the per-thread buffers below, whose sizes are
 * capped. A parser never fails: what it cannot read it reports as an anomaly
 * (a defect of the container) and stops.
 *
 * Offsets in evidence are absolute byte offsets in the scanned image. */
#ifndef TRAWL_DETECT_MEDIA_H
#define TRAWL_DETECT_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crc32.h"
#include "detect/detector.h"

/* Immutable, shared by all threads. */
typedef struct media_state {
    bool report_editing;   /* editing-software signatures as low violations */
    bool report_c2pa;      /* C2PA presence alone as a low violation */
    bool report_anomalies; /* container defects as a low violation */
    bool check_data_crc;   /* verify the CRC of PNG image-data chunks too */
    size_t max_manifest;   /* JUMBF bytes reassembled per image */
    size_t max_file;       /* bytes read from each file named in the input */
    char **generators;     /* extra generator names (config) */
    size_t n_generators;
    char **editors; /* extra editor names (config) */
    size_t n_editors;
    trawl__crc32_tables crc; /* CRC-32 of PNG chunks (src/common/crc32.h) */
} media_state;

/* Per-thread buffers. */
typedef struct media_tls {
    uint8_t *jumbf; /* JPEG APP11 segments of one JUMBF box, reassembled */
    size_t jumbf_len, jumbf_cap;
    char *text; /* decoded UTF-16 EXIF UserComment */
} media_tls;

#define MEDIA_TEXT_CAP      65536 /* bytes of decoded UserComment kept */
#define MEDIA_MAX_FINDINGS  64    /* violations per image; more are counted */
#define MEDIA_MAX_ANOMALIES 8     /* evidence lines of the anomaly violation */
#define MEDIA_CONF_ANOMALY  0.1   /* a defect is not evidence of synthesis */

/* One scan of one image. */
typedef struct media_ctx {
    const media_state *st;
    media_tls *tls;
    trawl_detector_result *out;
    const char *source; /* "data" or a file path, prefixed to evidence */
    const char *format; /* "PNG", "JPEG", "WebP" */
    unsigned findings;
    unsigned suppressed;
    size_t anomaly_idx; /* the violation collecting this image's defects, or SIZE_MAX */
    unsigned n_anomalies;
    int c2pa_seen; /* manifest stores seen so far */
    bool oom;
} media_ctx;

/* ---- entry points ----------------------------------------------------- */

/* Scans one image in p[0..n) when it starts with a PNG, JPEG or WebP
 * signature. source names the input in evidence; violations go to out.
 * Returns 1 when scanned, 0 when p is not such an image (nothing added), -1
 * on out-of-memory. Never fails on malformed input. */
int media_scan(const media_state *st, media_tls *tls, const char *source, const uint8_t *p,
               size_t n, trawl_detector_result *out);
/* True when p starts with a signature media_scan understands. */
bool media_sniff(const uint8_t *p, size_t n);

/* ---- parsers ---------------------------------------------------------- */

void media_png(media_ctx *m, const uint8_t *p, size_t n);
void media_jpeg(media_ctx *m, const uint8_t *p, size_t n);
void media_webp(media_ctx *m, const uint8_t *p, size_t n);
/* TIFF-structured EXIF at t[0..n), found at absolute offset base. */
void media_exif(media_ctx *m, const char *where, uint64_t base, const uint8_t *t, size_t n);
/* An XMP packet (text). */
void media_xmp(media_ctx *m, const char *where, uint64_t base, const uint8_t *x, size_t n);
/* Every IPTC digital source type URL in p[0..n) (XMP, or C2PA assertions). */
void media_source_types(media_ctx *m, const char *where, uint64_t base, const uint8_t *p, size_t n);
/* A JUMBF box sequence (C2PA manifest store). base is the offset of the box in
 * the image, or of its first segment when reassembled. */
void media_jumbf(media_ctx *m, const char *where, uint64_t base, const uint8_t *j, size_t n);

/* ---- what the parsers report (synthetic_media/judge.c) -------------------------- */

/* A PNG text chunk: keyword and (when not compressed) its text. */
void media_text_chunk(media_ctx *m, const char *where, uint64_t off, const char *key,
                      const uint8_t *val, size_t vlen, bool compressed);

typedef enum media_field {
    MEDIA_SOFTWARE,    /* EXIF Software, XMP CreatorTool / softwareAgent */
    MEDIA_DESCRIPTION, /* EXIF ImageDescription, UserComment, JPEG COM */
    MEDIA_ARTIST,      /* EXIF Artist */
    MEDIA_CLAIM_GEN    /* C2PA claim generator */
} media_field;
/* A short text field that may name the tool that wrote the image. */
void media_field_value(media_ctx *m, media_field f, const char *where, uint64_t off,
                       const uint8_t *val, size_t vlen);
/* An IPTC digital source type term (the part after
 * .../digitalsourcetype/). in_property: found as the value of a
 * DigitalSourceType property rather than as a bare URL. */
void media_source_type(media_ctx *m, const char *where, uint64_t off, const uint8_t *term,
                       size_t tlen, bool in_property);
/* A C2PA manifest store. */
void media_c2pa(media_ctx *m, const char *where, uint64_t off, unsigned manifests);
/* A defect of the container (printf-style). */
void media_anomaly(media_ctx *m, const char *fmt, ...) TRAWL__PRINTF(2, 3);

/* ---- small helpers (synthetic_media/judge.c) ------------------------------------ */

/* memmem (a GNU extension, so not assumed): the first k-byte needle in
 * h[0..n), or NULL. O(n) for the needles used here. */
const uint8_t *media_mem(const uint8_t *h, size_t n, const void *needle, size_t k);
/* Case-insensitive search of needle in h[0..n): offset or -1. */
long media_find(const uint8_t *h, size_t n, const char *needle);
/* A printable, quoted, truncated excerpt of p[0..n) into out[cap]. */
void media_excerpt(char *out, size_t cap, const uint8_t *p, size_t n);

#endif
