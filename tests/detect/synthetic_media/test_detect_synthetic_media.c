/* test_detect_media.c -- the synthetic_media detector on PNG, JPEG and WebP
 * files written byte by byte here (media_build.h beside this file): generator metadata
 * flagged with evidence naming the chunk or marker and its offset, the same
 * images without it clean, camera EXIF clean, truncated and corrupted
 * containers harmless, the configuration keys honoured. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/detector.h"
#include "media_build.h"

/* Findings are capped at 64 per image; the anomaly violation comes on top. */
#define MEDIA_TEST_MAX 65

#define SD_PARAMS                                                                                  \
    "a photo of a cat on a sofa\nNegative prompt: blurry, lowres\nSteps: 20, Sampler: Euler a, "   \
    "CFG scale: 7, Seed: 1234567, Size: 512x512, Model hash: 6ce0161689, Model: v1-5"

#define XMP_DST(term)                                                                              \
    "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"                           \
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "                                              \
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" "   \
    "xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\" "                           \
    "Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/" term "\"/>"  \
    "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"

/* ---- harness ------------------------------------------------------------- */

/* Engines here run synthetic_media only: building the other detectors (rule
 * packs compiled by Hyperscan) for every case costs seconds and tests nothing. */
#define ONLY_MEDIA                                                                                 \
    "[prompt_injection]\nenabled = false\n[shadow_ai]\nenabled = false\n"                          \
    "[polymorphic]\nenabled = false\n[ai_vs_ai]\nenabled = false\n"

static trawl_detect_report *run_cfg(const char *cfg, const uint8_t *p, size_t n)
{
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    char text[4096];
    snprintf(text, sizeof text, "%s%s", ONLY_MEDIA, cfg ? cfg : "");
    assert_int_equal(trawl_detect_engine_new(text, strlen(text), &e, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_ctx_new(e, &c, &err), TRAWL_OK);
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = (uint8_t *)p;
    in.data_len = n;
    trawl_detect_report *r;
    assert_int_equal(trawl_detect_run(e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, &err), TRAWL_OK);
    assert_true(r->ran & TRAWL_DET_SYNTHETIC_MEDIA);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return r;
}

static trawl_detect_report *run(const mb_buf *b)
{
    return run_cfg(NULL, b->p, b->n);
}

static const trawl_detector_result *res(const trawl_detect_report *r)
{
    return &r->results[3];
}

/* The first violation of category, or NULL. */
static const trawl_violation *find(const trawl_detect_report *r, const char *category)
{
    const trawl_detector_result *d = res(r);
    for (size_t i = 0; i < d->n_violations; i++)
        if (!strcmp(d->violations[i].category, category))
            return &d->violations[i];
    return NULL;
}

static void dump(const trawl_detect_report *r)
{
    char *s = trawl_detect_report_json(r);
    print_message("%s\n", s);
    free(s);
}

/* Fails unless some evidence string of v contains sub. */
static void expect_evidence(const trawl_detect_report *r, const trawl_violation *v, const char *sub)
{
    if (!v) {
        dump(r);
        fail_msg("no violation to hold evidence '%s'", sub);
    }
    for (size_t i = 0; i < v->n_evidence; i++)
        if (strstr(v->evidence[i], sub))
            return;
    dump(r);
    fail_msg("no evidence contains '%s'", sub);
}

static void expect_clean(const trawl_detect_report *r)
{
    if (res(r)->n_violations) {
        dump(r);
        fail_msg("expected clean, got %zu violations", res(r)->n_violations);
    }
    assert_true(res(r)->threat_score == 0);
}

static void sd_png(mb_buf *b, bool with_params)
{
    mb_png_start(b);
    if (with_params)
        mb_png_text(b, "parameters", SD_PARAMS);
    mb_png_end(b);
}

/* ---- PNG ------------------------------------------------------------------- */

static void test_png_stable_diffusion(void **state)
{
    (void)state;
    mb_buf b = {0};
    sd_png(&b, true);
    trawl_detect_report *r = run(&b);
    const trawl_violation *v = find(r, "generator_metadata");
    assert_non_null(v);
    assert_true(v->confidence >= 0.95);
    assert_int_equal(v->severity, TRAWL_SEVERITY_CRITICAL);
    assert_non_null(strstr(v->description, "Stable Diffusion"));
    expect_evidence(r, v, "data: PNG tEXt chunk 'parameters' at offset 33: \"a photo of a cat");
    expect_evidence(r, v,
                    "'Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model hash', "
                    "'Negative prompt'");
    assert_null(find(r, "container_anomaly"));
    assert_true(res(r)->threat_score >= 0.95 && r->threat_score >= 0.95);
    trawl_detect_report_free(r);

    mb_free(&b);
    sd_png(&b, false);
    r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_png_comfyui_and_keys(void **state)
{
    (void)state;
    mb_buf b = {0};
    mb_png_start(&b);
    mb_png_text(
        &b, "prompt",
        "{\"3\": {\"inputs\": {\"seed\": 1, \"steps\": 20}, \"class_type\": \"KSampler\"}}");
    mb_png_text(&b, "workflow", "{\"last_node_id\": 9, \"nodes\": [], \"links\": []}");
    mb_png_end(&b);
    trawl_detect_report *r = run(&b);
    assert_int_equal(res(r)->n_violations, 2);
    assert_non_null(strstr(res(r)->violations[0].description, "ComfyUI prompt graph"));
    assert_true(res(r)->violations[0].confidence >= 0.95);
    assert_non_null(strstr(res(r)->violations[1].description, "ComfyUI workflow"));
    expect_evidence(r, &res(r)->violations[1], "PNG tEXt chunk 'workflow' at offset ");
    trawl_detect_report_free(r);
    mb_free(&b);

    /* A 'parameters' chunk that is not infotext: the keyword alone, medium. */
    mb_png_start(&b);
    mb_png_text(&b, "parameters", "hello");
    mb_png_end(&b);
    r = run(&b);
    const trawl_violation *v = find(r, "generator_metadata");
    assert_non_null(v);
    assert_true(v->confidence > 0.55 && v->confidence < 0.65);
    assert_non_null(strstr(v->description, "value not in the tool's format"));
    trawl_detect_report_free(r);
    mb_free(&b);

    /* zTXt: judged by keyword only, and says so. */
    mb_png_start(&b);
    static const uint8_t z[] = "invokeai_metadata\0\0\x78\x9c\x03\x00\x00\x00\x00\x01";
    mb_png_chunk(&b, "zTXt", z, sizeof z - 1);
    mb_png_end(&b);
    r = run(&b);
    v = find(r, "generator_metadata");
    assert_non_null(v);
    assert_non_null(strstr(v->description, "InvokeAI"));
    assert_non_null(strstr(v->description, "compressed, not inflated"));
    trawl_detect_report_free(r);
    mb_free(&b);

    /* iTXt with a Software keyword naming NovelAI. */
    mb_png_start(&b);
    static const uint8_t it[] = "Software\0\0\0en\0\0NovelAI";
    mb_png_chunk(&b, "iTXt", it, sizeof it - 1);
    mb_png_end(&b);
    r = run(&b);
    v = find(r, "generator_metadata");
    assert_non_null(v);
    assert_non_null(strstr(v->description, "'NovelAI'"));
    expect_evidence(r, v, "PNG iTXt chunk 'Software' at offset 33");
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_png_editor_is_low(void **state)
{
    (void)state;
    mb_buf b = {0};
    mb_png_start(&b);
    mb_png_text(&b, "Software", "GIMP 2.10.34");
    mb_png_end(&b);
    trawl_detect_report *r = run(&b);
    assert_int_equal(res(r)->n_violations, 1);
    const trawl_violation *v = find(r, "editing_software");
    assert_non_null(v);
    assert_true(v->confidence < 0.3);
    assert_int_equal(v->severity, TRAWL_SEVERITY_LOW);
    assert_non_null(strstr(v->description, "not evidence of synthesis"));
    trawl_detect_report_free(r);

    r = run_cfg("[synthetic_media]\nreport_editing = false\n", b.p, b.n);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&b);

    /* Word boundaries: "Imagenomic" is not "Imagen"; "Description" text that
     * mentions Midjourney is a prompt, not a tool name. */
    mb_png_start(&b);
    mb_png_text(&b, "Software", "Imagenomic Portraiture 3");
    mb_png_text(&b, "Description", "a painting in the style of midjourney and DALL-E");
    mb_png_end(&b);
    r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_png_crc_and_structure(void **state)
{
    (void)state;
    mb_buf b = {0};
    sd_png(&b, true);
    b.p[60] ^= 0x20; /* a byte of the tEXt text: its CRC no longer matches */
    trawl_detect_report *r = run(&b);
    const trawl_violation *a = find(r, "container_anomaly");
    expect_evidence(r, a, "CRC mismatch in chunk 'tEXt' at offset 33");
    assert_true(a->confidence <= 0.1);
    /* The metadata still says what it says. */
    assert_non_null(find(r, "generator_metadata"));
    trawl_detect_report_free(r);

    /* A damaged IDAT: reported, unless check_data_crc = false. */
    mb_buf d = {0};
    sd_png(&d, false);
    d.p[45] ^= 1;
    r = run(&d);
    expect_evidence(r, find(r, "container_anomaly"), "CRC mismatch in chunk 'IDAT' at offset 33");
    trawl_detect_report_free(r);
    r = run_cfg("[synthetic_media]\ncheck_data_crc = false\n", d.p, d.n);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&d);

    /* Data after IEND. */
    mb_buf c = {0};
    sd_png(&c, false);
    mb_str(&c, "PK\x03\x04 appended");
    r = run(&c);
    expect_evidence(r, find(r, "container_anomaly"), "bytes after IEND");
    assert_true(res(r)->threat_score <= 0.1);
    trawl_detect_report_free(r);
    mb_free(&c);

    /* A chunk length past the end. */
    mb_png_start(&c);
    mb_be32(&c, 0x7FFFFFF0u);
    mb_str(&c, "tEXtparameters");
    r = run(&c);
    expect_evidence(r, find(r, "container_anomaly"), "chunk 'tEXt' at offset 33 declares");
    assert_null(find(r, "generator_metadata"));
    trawl_detect_report_free(r);
    mb_free(&c);
    mb_free(&b);
}

/* Every prefix of the SD PNG: no crash; before the tEXt chunk is whole there
 * is nothing but (low) anomalies; afterwards the finding. Prefixes shorter
 * than the signature are not images at all. */
static void test_png_truncated(void **state)
{
    (void)state;
    mb_buf b = {0};
    sd_png(&b, true);
    size_t text_end = 33 + 12 + strlen("parameters") + 1 + strlen(SD_PARAMS);
    for (size_t len = 0; len < b.n; len++) {
        trawl_detect_report *r = run_cfg(NULL, b.p, len);
        if (len < 8) {
            expect_clean(r);
        } else {
            expect_evidence(r, find(r, "container_anomaly"), "");
            if (len < text_end)
                assert_true(res(r)->threat_score <= 0.1);
            else
                assert_non_null(find(r, "generator_metadata"));
        }
        trawl_detect_report_free(r);
    }
    mb_free(&b);
}

/* ---- JPEG ------------------------------------------------------------------ */

static void test_jpeg_xmp_source_type(void **state)
{
    (void)state;
    static const char *const terms[] = {"trainedAlgorithmicMedia", "compositeSynthetic",
                                        "compositeWithTrainedAlgorithmicMedia"};
    static const double conf[] = {0.95, 0.75, 0.85};
    for (int i = 0; i < 3; i++) {
        char xmp[1024];
        snprintf(xmp, sizeof xmp, XMP_DST("%s"), terms[i]);
        mb_buf b = {0};
        mb_str(&b, "\xFF\xD8");
        mb_jpeg_xmp(&b, xmp);
        mb_str(&b, "\xFF\xD9");
        trawl_detect_report *r = run(&b);
        const trawl_violation *v = find(r, "declared_ai_source");
        assert_non_null(v);
        assert_true(v->confidence > conf[i] - 0.001 && v->confidence < conf[i] + 0.001);
        char want[160];
        size_t off = 2 + 4 + 29 + (size_t)(strstr(xmp, "digitalsourcetype/") - xmp);
        snprintf(want, sizeof want,
                 "data: JPEG APP1 XMP at offset %zu: DigitalSourceType = "
                 "digitalsourcetype/%s",
                 off, terms[i]);
        expect_evidence(r, v, want);
        assert_int_equal(res(r)->n_violations, 1);
        trawl_detect_report_free(r);
        mb_free(&b);
    }
    /* A camera capture declares digitalCapture: clean. */
    mb_buf b = {0};
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_xmp(&b, XMP_DST("digitalCapture"));
    mb_str(&b, "\xFF\xD9");
    trawl_detect_report *r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&b);

    /* CreatorTool in element form. */
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_xmp(&b, "<x:xmpmeta><rdf:RDF><rdf:Description><xmp:CreatorTool>Adobe Firefly"
                    "</xmp:CreatorTool></rdf:Description></rdf:RDF></x:xmpmeta>");
    mb_str(&b, "\xFF\xD9");
    r = run(&b);
    const trawl_violation *v = find(r, "generator_metadata");
    assert_non_null(v);
    expect_evidence(r, v, "JPEG APP1 XMP xmp:CreatorTool at offset");
    assert_non_null(strstr(v->description, "'Adobe Firefly'"));
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_jpeg_exif_software(void **state)
{
    (void)state;
    for (int le = 0; le < 2; le++) {
        const char *sw = le ? "ComfyUI" : "Midjourney v6";
        mb_tag t[] = {{0x010F, 2, "Canon", 6}, {0x0131, 2, sw, (uint32_t)strlen(sw) + 1}};
        mb_buf b = {0};
        mb_str(&b, "\xFF\xD8");
        mb_jpeg_exif(&b, le, t, 2, NULL, 0);
        mb_jpeg_image(&b, 100, 7);
        trawl_detect_report *r = run(&b);
        const trawl_violation *v = find(r, "generator_metadata");
        assert_non_null(v);
        assert_true(v->confidence > 0.84 && v->confidence < 0.86);
        /* TIFF at 12; IFD0 (2 entries) ends at 12+8+2+24+4; Make's 6 bytes
         * come first in the value area. */
        char want[128];
        snprintf(want, sizeof want, "JPEG APP1 Exif Software (0x0131) at offset %d: \"%s\"",
                 12 + 38 + 6, sw);
        expect_evidence(r, v, want);
        assert_int_equal(res(r)->n_violations, 1);
        trawl_detect_report_free(r);
        mb_free(&b);
    }
}

static void test_jpeg_camera_clean(void **state)
{
    (void)state;
    mb_tag t[] = {{0x010F, 2, "Canon", 6}, {0x0110, 2, "Canon EOS R5", 13}};
    mb_tag x[] = {{0x9286, 7, "ASCII\0\0\0hello", 13}};
    mb_buf b = {0};
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_exif(&b, false, t, 2, x, 1);
    mb_jpeg_seg(&b, 0xFE, "taken on holiday", 16);
    mb_jpeg_image(&b, 20000, 3);
    trawl_detect_report *r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_jpeg_usercomment_unicode(void **state)
{
    (void)state;
    /* AUTOMATIC1111 writes its infotext for JPEG as UTF-16 big-endian after
     * "UNICODE\0", in the Exif IFD. */
    const char *s = SD_PARAMS;
    size_t k = strlen(s);
    uint8_t *uc = malloc(8 + 2 * k);
    memcpy(uc, "UNICODE\0", 8);
    for (size_t i = 0; i < k; i++) {
        uc[8 + 2 * i] = 0;
        uc[9 + 2 * i] = (uint8_t)s[i];
    }
    mb_tag x[] = {{0x9286, 7, uc, (uint32_t)(8 + 2 * k)}};
    mb_buf b = {0};
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_exif(&b, true, NULL, 0, x, 1);
    mb_jpeg_image(&b, 100, 9);
    trawl_detect_report *r = run(&b);
    const trawl_violation *v = find(r, "generator_metadata");
    assert_non_null(v);
    assert_true(v->confidence >= 0.95);
    expect_evidence(r, v, "JPEG APP1 Exif UserComment (0x9286) at offset");
    trawl_detect_report_free(r);
    free(uc);
    mb_free(&b);
}

static void test_jpeg_exif_loop(void **state)
{
    (void)state;
    /* IFD0 whose Exif pointer and next-IFD link both point back at itself. */
    static const uint8_t tiff[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x87, 0x69, 0,
                                   4,   0,   0, 0,  1, 0, 0, 0, 8, 0, 0,    0,    8};
    mb_buf d = {0}, b = {0};
    mb_put(&d, "Exif\0\0", 6);
    mb_put(&d, tiff, sizeof tiff);
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_seg(&b, 0xE1, d.p, d.n);
    mb_str(&b, "\xFF\xD9");
    trawl_detect_report *r = run(&b);
    expect_evidence(r, find(r, "container_anomaly"), "referenced twice (loop)");
    assert_true(res(r)->threat_score <= 0.1);
    trawl_detect_report_free(r);
    mb_free(&d);
    mb_free(&b);

    /* 200 ImageDescription entries all pointing at one 20 KB value: at most
     * 32 are judged, and the rest is reported as a defect. */
    mb_put(&d, "Exif\0\0MM\0\x2a\0\0\0\x08", 14);
    mb_be16(&d, 200);
    uint32_t value = 8 + 2 + 200 * 12 + 4;
    for (int i = 0; i < 200; i++) {
        mb_be16(&d, 0x010E);
        mb_be16(&d, 2);
        mb_be32(&d, 20000);
        mb_be32(&d, value);
    }
    mb_be32(&d, 0);
    for (int i = 0; i < 2000; i++)
        mb_str(&d, "Steps: 20 ");
    mb_str(&b, "\xFF\xD8");
    mb_put(&b, "\xFF\xE1", 2);
    mb_be16(&b, (unsigned)d.n + 2);
    mb_put(&b, d.p, d.n);
    mb_str(&b, "\xFF\xD9");
    r = run(&b);
    expect_evidence(r, find(r, "container_anomaly"), "more than 32 EXIF text fields");
    assert_true(res(r)->threat_score <= 0.1);
    trawl_detect_report_free(r);
    mb_free(&d);
    mb_free(&b);
}

static void test_jpeg_comment_and_truncation(void **state)
{
    (void)state;
    mb_buf b = {0};
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_seg(&b, 0xFE, SD_PARAMS, strlen(SD_PARAMS));
    mb_jpeg_xmp(&b, XMP_DST("trainedAlgorithmicMedia"));
    mb_jpeg_image(&b, 300, 5);
    trawl_detect_report *r = run(&b);
    expect_evidence(r, find(r, "generator_metadata"), "JPEG COM comment at offset 6");
    assert_non_null(find(r, "declared_ai_source"));
    trawl_detect_report_free(r);
    /* Every prefix: no crash, and once the file is cut before the COM
     * segment ends only a low anomaly remains. */
    size_t com_end = 2 + 4 + strlen(SD_PARAMS);
    for (size_t len = 3; len < b.n; len++) {
        r = run_cfg(NULL, b.p, len);
        expect_evidence(r, find(r, "container_anomaly"), "");
        if (len < com_end)
            assert_true(res(r)->threat_score <= 0.1);
        trawl_detect_report_free(r);
    }
    mb_free(&b);
}

/* ---- C2PA -------------------------------------------------------------------- */

static size_t find_bytes(const mb_buf *b, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= b->n; i++)
        if (!memcmp(b->p + i, s, k))
            return i;
    fail_msg("'%s' not in the image", s);
    return 0;
}

static void check_c2pa(const trawl_detect_report *r, const char *where)
{
    const trawl_violation *c = find(r, "c2pa_manifest");
    expect_evidence(r, c, where);
    assert_non_null(strstr(c->description, "1 manifest;"));
    assert_true(c->confidence > 0.29 && c->confidence < 0.31);
    const trawl_violation *g = find(r, "generator_metadata");
    expect_evidence(r, g, "C2PA claim claim_generator at offset");
    assert_non_null(strstr(g->description, "'Adobe Firefly'"));
    const trawl_violation *d = find(r, "declared_ai_source");
    expect_evidence(r, d, "C2PA assertion");
    assert_true(d->confidence >= 0.95);
    assert_null(find(r, "container_anomaly"));
}

static void test_c2pa(void **state)
{
    (void)state;
    mb_buf j = {0}, b = {0};
    mb_c2pa_store(&j, "Adobe Firefly 1.0 c2pa-rs/0.30", "trainedAlgorithmicMedia");

    mb_png_start(&b);
    mb_png_chunk(&b, "caBX", j.p, j.n);
    mb_png_end(&b);
    trawl_detect_report *r = run(&b);
    check_c2pa(r, "PNG caBX chunk at offset 41");
    /* Offsets inside the manifest are offsets in the file. */
    char want[96];
    snprintf(want, sizeof want,
             "claim_generator at offset %zu:", find_bytes(&b, "Adobe Firefly 1.0"));
    expect_evidence(r, find(r, "generator_metadata"), want);
    trawl_detect_report_free(r);
    mb_free(&b);

    /* JPEG APP11, in one segment and split over four. */
    static const size_t segs[] = {65000, 100};
    for (int i = 0; i < 2; i++) {
        size_t seg = segs[i];
        mb_str(&b, "\xFF\xD8");
        mb_jpeg_app11(&b, &j, seg);
        mb_jpeg_image(&b, 50, 1);
        r = run(&b);
        check_c2pa(r, seg > 100 ? "JPEG APP11 JUMBF at offset 14" : "segments reassembled");
        if (seg > 100) {
            snprintf(want, sizeof want,
                     "assertion at offset %zu:", find_bytes(&b, "digitalsourcetype/"));
            expect_evidence(r, find(r, "declared_ai_source"), want);
        }
        trawl_detect_report_free(r);
        mb_free(&b);
    }

    /* Over max_manifest_bytes: not read, and said so. */
    static const uint8_t zero[2048], u[16] = {1};
    mb_buf content = {0}, big = {0};
    mb_put(&content, j.p, j.n);
    mb_box(&content, "free", zero, sizeof zero);
    mb_jumb(&big, u, "wrapper", &content);
    mb_str(&b, "\xFF\xD8");
    mb_jpeg_app11(&b, &big, 100);
    mb_jpeg_image(&b, 50, 1);
    r = run(&b);
    check_c2pa(r, "segments reassembled"); /* found inside the wrapper */
    trawl_detect_report_free(r);
    mb_free(&content);
    mb_free(&big);
    r = run_cfg("[synthetic_media]\nmax_manifest_bytes = 1024\n", b.p, b.n);
    assert_int_equal(res(r)->n_violations, 1);
    expect_evidence(r, find(r, "container_anomaly"),
                    "APP11 JUMBF box at offset 14 exceeds max_manifest_bytes; not read");
    trawl_detect_report_free(r);
    mb_free(&b);

    /* A camera's manifest: presence only, low. */
    mb_free(&j);
    mb_c2pa_store(&j, "Leica M11-P lc_c2pa/1.6", "digitalCapture");
    mb_png_start(&b);
    mb_png_chunk(&b, "caBX", j.p, j.n);
    mb_png_end(&b);
    r = run(&b);
    assert_int_equal(res(r)->n_violations, 1);
    assert_non_null(find(r, "c2pa_manifest"));
    assert_true(res(r)->threat_score < 0.5);
    trawl_detect_report_free(r);
    r = run_cfg("[synthetic_media]\nreport_c2pa = no\n", b.p, b.n);
    expect_clean(r);
    trawl_detect_report_free(r);
    /* Every prefix of the JUMBF box inside a well-formed chunk. */
    for (size_t len = 0; len < j.n; len++) {
        mb_buf c = {0};
        mb_png_start(&c);
        mb_png_chunk(&c, "caBX", j.p, len);
        mb_png_end(&c);
        r = run(&c);
        assert_true(res(r)->threat_score < 0.5);
        trawl_detect_report_free(r);
        mb_free(&c);
    }
    mb_free(&b);
    mb_free(&j);
}

/* ---- WebP -------------------------------------------------------------------- */

static void test_webp(void **state)
{
    (void)state;
    const char *xmp = XMP_DST("trainedAlgorithmicMedia");
    mb_buf b = {0};
    mb_webp(&b, xmp);
    trawl_detect_report *r = run(&b);
    const trawl_violation *v = find(r, "declared_ai_source");
    assert_non_null(v);
    /* RIFF header 12, VP8X 18, VP8L 8+7+1, XMP header 8. */
    char want[96];
    snprintf(want, sizeof want, "WebP XMP chunk at offset %zu",
             (size_t)(12 + 18 + 16 + 8) + (size_t)(strstr(xmp, "digitalsourcetype/") - xmp));
    expect_evidence(r, v, want);
    assert_int_equal(res(r)->n_violations, 1);
    trawl_detect_report_free(r);
    mb_free(&b);

    mb_webp(&b, NULL);
    r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);

    /* VP8X announcing XMP that is absent; RIFF size too large. */
    b.p[20] = 0x04;
    b.p[4] += 100;
    r = run(&b);
    const trawl_violation *a = find(r, "container_anomaly");
    expect_evidence(r, a, "VP8X announces XMP");
    expect_evidence(r, a, "exceeds the");
    trawl_detect_report_free(r);
    mb_free(&b);

    /* EXIF chunk with the "Exif\0\0" prefix some writers add. */
    mb_buf c = {0};
    mb_webp(&c, NULL);
    mb_tag t[] = {{0x0131, 2,
                   "DALL\xC2\xB7"
                   "E 3",
                   9}};
    mb_put(&b, "Exif\0\0", 6);
    mb_tiff(&b, true, t, 1, NULL, 0);
    mb_webp_chunk(&c, "EXIF", b.p, b.n);
    uint32_t riff = (uint32_t)c.n - 8;
    memcpy(c.p + 4, &riff, 4); /* little-endian host assumed by the test */
    r = run(&c);
    v = find(r, "generator_metadata");
    assert_non_null(v);
    expect_evidence(r, v, "WebP EXIF chunk Software (0x0131)");
    trawl_detect_report_free(r);
    mb_free(&b);
    mb_free(&c);
}

/* ---- hostile and miscellaneous ------------------------------------------------ */

static void test_random_corruption(void **state)
{
    (void)state;
    tu_rng g;
    tu_seed(&g, 0x5EED);
    mb_buf imgs[4] = {{0}};
    sd_png(&imgs[0], true);
    mb_str(&imgs[1], "\xFF\xD8");
    mb_jpeg_xmp(&imgs[1], XMP_DST("trainedAlgorithmicMedia"));
    mb_jpeg_image(&imgs[1], 200, 2);
    mb_webp(&imgs[2], XMP_DST("compositeSynthetic"));
    mb_c2pa_store(&imgs[3], "ChatGPT", "trainedAlgorithmicMedia");
    mb_buf jp = {0};
    mb_str(&jp, "\xFF\xD8");
    mb_jpeg_app11(&jp, &imgs[3], 64);
    mb_str(&jp, "\xFF\xD9");
    mb_free(&imgs[3]);
    imgs[3] = jp;
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    assert_int_equal(trawl_detect_engine_new(ONLY_MEDIA, strlen(ONLY_MEDIA), &e, NULL), TRAWL_OK);
    assert_int_equal(trawl_detect_ctx_new(e, &c, NULL), TRAWL_OK);
    for (int round = 0; round < 4000; round++) {
        const mb_buf *src = &imgs[round % 4];
        uint8_t *p = malloc(src->n);
        memcpy(p, src->p, src->n);
        unsigned flips = 1 + tu_below(&g, 8);
        for (unsigned k = 0; k < flips; k++)
            p[4 + tu_below(&g, (uint32_t)src->n - 4)] = (uint8_t)tu_next(&g);
        trawl_detect_input in;
        memset(&in, 0, sizeof in);
        in.data = p;
        in.data_len = src->n;
        trawl_detect_report *r;
        assert_int_equal(trawl_detect_run(e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, NULL),
                         TRAWL_OK);
        assert_true(res(r)->n_violations <= MEDIA_TEST_MAX);
        trawl_detect_report_free(r);
        free(p);
    }
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    for (int i = 0; i < 4; i++)
        mb_free(&imgs[i]);
}

static void test_findings_capped(void **state)
{
    (void)state;
    mb_buf b = {0};
    mb_png_start(&b);
    for (int i = 0; i < 1000; i++)
        mb_png_text(&b, "Software", "Stable Diffusion");
    mb_png_end(&b);
    trawl_detect_report *r = run(&b);
    assert_int_equal(res(r)->n_violations, 64);
    expect_evidence(r, &res(r)->violations[0], "936 further findings not listed (cap 64)");
    trawl_detect_report_free(r);
    mb_free(&b);
}

static void test_config_and_files(void **state)
{
    (void)state;
    trawl_detect_engine *e;
    trawl_error err;
    assert_int_equal(
        trawl_detect_engine_new("[synthetic_media]\nreport_c2pa = maybe\n", 38, &e, &err),
        TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "report_c2pa"));
    const char *bad = "[synthetic_media]\nmax_manifest_bytes = 12\n";
    assert_int_equal(trawl_detect_engine_new(bad, strlen(bad), &e, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "max_manifest_bytes"));

    mb_buf b = {0};
    mb_png_start(&b);
    mb_png_text(&b, "Software", "HouseGen 2.1");
    mb_png_end(&b);
    trawl_detect_report *r = run(&b);
    expect_clean(r);
    trawl_detect_report_free(r);
    r = run_cfg("[synthetic_media]\ngenerators = HouseGen, Other\n", b.p, b.n);
    assert_non_null(strstr(find(r, "generator_metadata")->description, "'HouseGen'"));
    trawl_detect_report_free(r);

    /* A file named in the input is read when it is an image. */
    char path[] = "/tmp/trawl_media_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    mb_free(&b);
    sd_png(&b, true);
    assert_int_equal(write(fd, b.p, b.n), (ssize_t)b.n);
    close(fd);
    char fifo[] = "/tmp/trawl_media_fifo_XXXXXX";
    int ffd = mkstemp(fifo);
    assert_true(ffd >= 0);
    close(ffd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0); /* opening it would block: skipped */
    char *files[4] = {fifo, path, "/nonexistent/x.png", "/tmp"};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.files = files;
    in.n_files = 4;
    trawl_detect_ctx *c;
    assert_int_equal(trawl_detect_engine_new(ONLY_MEDIA, strlen(ONLY_MEDIA), &e, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_ctx_new(e, &c, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_run(e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, &err), TRAWL_OK);
    char want[96];
    snprintf(want, sizeof want, "%s: PNG tEXt chunk 'parameters' at offset 33", path);
    expect_evidence(r, find(r, "generator_metadata"), want);
    trawl_detect_report_free(r);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    unlink(path);
    unlink(fifo);
    mb_free(&b);

    /* Not an image: nothing to say. */
    r = run_cfg(NULL, (const uint8_t *)"parameters Steps: 20, Sampler: x, Seed: 1", 41);
    expect_clean(r);
    trawl_detect_report_free(r);
}

/* ---- threads ---------------------------------------------------------------- */

typedef struct thread_job {
    trawl_detect_engine *e;
    const mb_buf *imgs;
    int n_imgs;
    const char *const *want; /* the reports' violation lists, run alone */
    int failures;
} thread_job;

/* A report's violations as one string (the latency varies, so not the JSON
 * of the whole report). */
static char *violations_text(const trawl_detect_report *r)
{
    mb_buf t = {0};
    const trawl_detector_result *d = res(r);
    for (size_t i = 0; i < d->n_violations; i++) {
        mb_str(&t, d->violations[i].category);
        mb_str(&t, d->violations[i].description);
        for (size_t k = 0; k < d->violations[i].n_evidence; k++)
            mb_str(&t, d->violations[i].evidence[k]);
    }
    mb_u8(&t, 0);
    return (char *)t.p;
}

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    trawl_detect_ctx *c;
    if (trawl_detect_ctx_new(job->e, &c, NULL) != TRAWL_OK) {
        job->failures++;
        return NULL;
    }
    for (int round = 0; round < 300; round++) {
        const mb_buf *img = &job->imgs[round % job->n_imgs];
        trawl_detect_input in;
        memset(&in, 0, sizeof in);
        in.data = img->p;
        in.data_len = img->n;
        trawl_detect_report *r;
        if (trawl_detect_run(job->e, c, &in, TRAWL_DET_SYNTHETIC_MEDIA, &r, NULL) != TRAWL_OK) {
            job->failures++;
            continue;
        }
        char *got = violations_text(r);
        job->failures += strcmp(got, job->want[round % job->n_imgs]) != 0;
        free(got);
        trawl_detect_report_free(r);
    }
    trawl_detect_ctx_free(c);
    return NULL;
}

/* One engine, four threads with their own contexts, the same answers as one
 * thread alone (the JUMBF buffer and the UTF-16 buffer are per thread). */
static void test_threads(void **state)
{
    (void)state;
    mb_buf imgs[4] = {{0}}, j = {0};
    sd_png(&imgs[0], true);
    mb_c2pa_store(&j, "Adobe Firefly", "trainedAlgorithmicMedia");
    mb_str(&imgs[1], "\xFF\xD8");
    mb_jpeg_app11(&imgs[1], &j, 100);
    mb_jpeg_image(&imgs[1], 5000, 1);
    mb_webp(&imgs[2], XMP_DST("compositeSynthetic"));
    const char *s = SD_PARAMS;
    size_t k = strlen(s);
    uint8_t *uc = malloc(8 + 2 * k);
    memcpy(uc, "UNICODE\0", 8);
    for (size_t i = 0; i < k; i++) {
        uc[8 + 2 * i] = (uint8_t)s[i];
        uc[9 + 2 * i] = 0; /* little-endian this time */
    }
    mb_tag x[] = {{0x9286, 7, uc, (uint32_t)(8 + 2 * k)}};
    mb_str(&imgs[3], "\xFF\xD8");
    mb_jpeg_exif(&imgs[3], true, NULL, 0, x, 1);
    mb_jpeg_image(&imgs[3], 100, 2);
    char *want[4];
    for (int i = 0; i < 4; i++) {
        trawl_detect_report *r = run(&imgs[i]);
        assert_true(res(r)->threat_score >= 0.75);
        want[i] = violations_text(r);
        trawl_detect_report_free(r);
    }
    trawl_detect_engine *e;
    assert_int_equal(trawl_detect_engine_new(ONLY_MEDIA, strlen(ONLY_MEDIA), &e, NULL), TRAWL_OK);
    thread_job jobs[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (thread_job){e, imgs, 4, (const char *const *)want, 0};
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].failures, 0);
    }
    trawl_detect_engine_free(e);
    for (int i = 0; i < 4; i++) {
        free(want[i]);
        mb_free(&imgs[i]);
    }
    mb_free(&j);
    free(uc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_stable_diffusion),
        cmocka_unit_test(test_png_comfyui_and_keys),
        cmocka_unit_test(test_png_editor_is_low),
        cmocka_unit_test(test_png_crc_and_structure),
        cmocka_unit_test(test_png_truncated),
        cmocka_unit_test(test_jpeg_xmp_source_type),
        cmocka_unit_test(test_jpeg_exif_software),
        cmocka_unit_test(test_jpeg_camera_clean),
        cmocka_unit_test(test_jpeg_usercomment_unicode),
        cmocka_unit_test(test_jpeg_exif_loop),
        cmocka_unit_test(test_jpeg_comment_and_truncation),
        cmocka_unit_test(test_c2pa),
        cmocka_unit_test(test_webp),
        cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_findings_capped),
        cmocka_unit_test(test_config_and_files),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
