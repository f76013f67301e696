/* synthetic_media/judge.c -- what the image parsers found, judged. Each function takes
 * one piece of metadata (a PNG text chunk, an EXIF field, an IPTC source
 * type, a C2PA manifest store) and, when it says something about how the
 * image was made, adds a violation whose evidence names the chunk or marker,
 * its byte offset and an excerpt of the value. The confidences are fixed per
 * kind of evidence and explained in docs/detect-synthetic_media.md; nothing
 * here looks at pixels. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

/* ---- helpers ------------------------------------------------------------- */

const uint8_t *media_mem(const uint8_t *h, size_t n, const void *needle, size_t k)
{
    const uint8_t *nd = needle;
    if (k == 0)
        return h;
    for (size_t i = 0; i < n && n - i >= k;) {
        const uint8_t *q = memchr(h + i, nd[0], n - i - k + 1);
        if (!q)
            return NULL;
        if (!memcmp(q + 1, nd + 1, k - 1))
            return q;
        i = (size_t)(q - h) + 1;
    }
    return NULL;
}

long media_find(const uint8_t *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || k > n)
        return k == 0 ? 0 : -1;
    int a = tolower((unsigned char)needle[0]), b = toupper((unsigned char)needle[0]);
    for (size_t i = 0; i + k <= n; i++) {
        if (h[i] != a && h[i] != b)
            continue;
        size_t j = 1;
        while (j < k && tolower(h[i + j]) == tolower((unsigned char)needle[j]))
            j++;
        if (j == k)
            return (long)i;
    }
    return -1;
}

void media_excerpt(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t o = 0, limit = cap > 5 ? cap - 5 : 0;
    out[o++] = '"';
    size_t i = 0;
    for (; i < n && o < limit; i++)
        out[o++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : p[i] == '\n' ? ' ' : '.';
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = 0;
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Case-insensitive match of a name on word boundaries: "Imagen" is not found
 * in "Imagenomic", "GIMP" not in "GIMPY". */
static bool has_word(const uint8_t *p, size_t n, const char *name)
{
    size_t k = strlen(name), from = 0;
    while (from < n) {
        long at = media_find(p + from, n - from, name);
        if (at < 0)
            return false;
        size_t s = from + (size_t)at, e = s + k;
        if ((s == 0 || !is_alnum(p[s - 1])) && (e == n || !is_alnum(p[e])))
            return true;
        from = s + 1;
    }
    return false;
}

/* ---- findings ------------------------------------------------------------ */

static trawl_violation *finding(media_ctx *m, const char *category, double confidence,
                                const char *fmt, ...) TRAWL__PRINTF(4, 5);
static trawl_violation *finding(media_ctx *m, const char *category, double confidence,
                                const char *fmt, ...)
{
    if (m->findings >= MEDIA_MAX_FINDINGS) {
        m->suppressed++;
        return NULL;
    }
    char desc[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    trawl_violation *v = det_violation(m->out, category, confidence, "%s", desc);
    if (!v)
        m->oom = true;
    else
        m->findings++;
    return v;
}

static void evidence(media_ctx *m, trawl_violation *v, const char *fmt, ...) TRAWL__PRINTF(3, 4);
static void evidence(media_ctx *m, trawl_violation *v, const char *fmt, ...)
{
    if (!v)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (det_evidence(v, "%s: %s", m->source, buf) < 0)
        m->oom = true;
}

void media_anomaly(media_ctx *m, const char *fmt, ...)
{
    if (!m->st->report_anomalies)
        return;
    if (m->n_anomalies++ >= MEDIA_MAX_ANOMALIES)
        return;
    trawl_violation *v;
    if (m->anomaly_idx == SIZE_MAX) {
        v = det_violation(m->out, "container_anomaly", MEDIA_CONF_ANOMALY,
                          "%s container is malformed or truncated (a defect, not evidence of "
                          "synthesis)",
                          m->format);
        if (!v) {
            m->oom = true;
            return;
        }
        m->anomaly_idx = m->out->n_violations - 1;
    } else {
        v = &m->out->violations[m->anomaly_idx];
    }
    char buf[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (det_evidence(v, "%s: %s", m->source, buf) < 0)
        m->oom = true;
}

/* ---- names of tools -------------------------------------------------------- */

/* Products that generate images. A writing tool that names one of these in
 * Software / CreatorTool / a C2PA claim generator declares that it made the
 * image. Sources: docs/detect-synthetic_media.md. */
static const char *const generator_names[] = {
    "Stable Diffusion",
    "StableDiffusion",
    "stable-diffusion-webui",
    "AUTOMATIC1111",
    "ComfyUI",
    "InvokeAI",
    "NovelAI",
    "Fooocus",
    "SwarmUI",
    "Draw Things",
    "DreamStudio",
    "Stability AI",
    "Midjourney",
    "DALL-E",
    "DALL\u00B7E", /* DALL·E, the U+00B7 middle dot as UTF-8 */
    "DALLE",
    "OpenAI",
    "ChatGPT",
    "Adobe Firefly",
    "Firefly",
    "Imagen",
    "Microsoft Responsible AI",
    "Bing Image Creator",
    "Leonardo.Ai",
    "Ideogram",
};

/* Editors: they change images; they do not synthesise them. */
static const char *const editor_names[] = {
    "Adobe Photoshop", "Photoshop", "Lightroom", "GIMP",       "Affinity Photo", "Pixelmator",
    "paint.net",       "Krita",     "Photopea",  "Snapseed",   "Capture One",    "darktable",
    "RawTherapee",     "Luminar",   "Canva",     "PhotoScape",
};

static const char *match_names(const uint8_t *p, size_t n, const char *const *names, size_t k,
                               char *const *extra, size_t nextra)
{
    for (size_t i = 0; i < k; i++)
        if (has_word(p, n, names[i]))
            return names[i];
    for (size_t i = 0; i < nextra; i++)
        if (has_word(p, n, extra[i]))
            return extra[i];
    return NULL;
}

#define COUNT(a)       (sizeof(a) / sizeof((a)[0]))
#define MAX_NAME_FIELD 4096 /* bytes of a field searched for tool names */

static const char *generator_in(const media_state *st, const uint8_t *p, size_t n)
{
    return match_names(p, n, generator_names, COUNT(generator_names), st->generators,
                       st->n_generators);
}

static const char *editor_in(const media_state *st, const uint8_t *p, size_t n)
{
    return match_names(p, n, editor_names, COUNT(editor_names), st->editors, st->n_editors);
}

/* ---- generation parameters in free text -------------------------------------- */

/* The infotext AUTOMATIC1111's web UI (and Forge, SD.Next) writes: the prompt,
 * then "Negative prompt: ...", then "Steps: 20, Sampler: Euler a, CFG scale:
 * 7, Seed: 1, Size: 512x512, Model hash: ...". */
static const char *const a1111_keys[] = {
    "Steps: ", "Sampler: ", "CFG scale: ", "Seed: ", "Size: ", "Model hash: ", "Negative prompt: "};

static bool starts_json(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '{';
}

static bool has(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return k <= n && media_mem(p, n, s, k) != NULL;
}

/* "Job ID: " followed by a UUID (8-4-4-4-12 hex). */
static long job_id(const uint8_t *p, size_t n)
{
    static const char pat[] = "Job ID: ";
    for (size_t from = 0; from < n;) {
        const uint8_t *q = media_mem(p + from, n - from, pat, sizeof pat - 1);
        if (!q)
            return -1;
        size_t at = (size_t)(q - p), u = at + sizeof pat - 1;
        bool ok = n - u >= 36;
        for (size_t i = 0; ok && i < 36; i++) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            ok = dash ? p[u + i] == '-' : isxdigit(p[u + i]) != 0;
        }
        if (ok)
            return (long)at;
        from = at + 1;
    }
    return -1;
}

/* Judges a free-text value; true when it found generation parameters. */
static bool judge_text(media_ctx *m, const char *where, uint64_t off, const uint8_t *v, size_t n)
{
    char ex[120];
    media_excerpt(ex, sizeof ex, v, n);
    trawl_violation *f;
    if (has(v, n, "\"sui_image_params\"")) {
        f = finding(m, "generator_metadata", 0.95,
                    "SwarmUI generation parameters (sui_image_params) in %s", where);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        return true;
    }
    unsigned found = 0, nfound = 0;
    char keys[160] = "";
    for (size_t i = 0; i < COUNT(a1111_keys); i++) {
        if (!has(v, n, a1111_keys[i]))
            continue;
        found |= 1u << i;
        nfound++;
        size_t k = strlen(keys);
        snprintf(keys + k, sizeof keys - k, "%s'%.*s'", k ? ", " : "",
                 (int)strlen(a1111_keys[i]) - 2, a1111_keys[i]);
    }
    if ((found & 1) && nfound >= 3) {
        f = finding(m, "generator_metadata", 0.95,
                    "Stable Diffusion generation parameters (AUTOMATIC1111-style infotext) in %s",
                    where);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        evidence(m, f, "infotext fields present: %s", keys);
        return true;
    }
    if (starts_json(v, n) && has(v, n, "\"class_type\"")) {
        f = finding(m, "generator_metadata", 0.95,
                    "ComfyUI prompt graph (JSON nodes with \"class_type\") in %s", where);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        return true;
    }
    if (starts_json(v, n) && has(v, n, "\"nodes\"") && has(v, n, "\"links\"")) {
        f = finding(m, "generator_metadata", 0.9,
                    "ComfyUI workflow (JSON with \"nodes\" and \"links\") in %s", where);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        return true;
    }
    if (starts_json(v, n) && has(v, n, "\"steps\"") && has(v, n, "\"sampler\"")) {
        f = finding(m, "generator_metadata", 0.85,
                    "diffusion sampling parameters as JSON (\"steps\", \"sampler\"; the form "
                    "NovelAI writes in its Comment chunk) in %s",
                    where);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        return true;
    }
    long j = job_id(v, n);
    if (j >= 0) {
        f = finding(m, "generator_metadata", 0.6,
                    "\"Job ID: <uuid>\" in %s, the form Midjourney downloads carry (not a "
                    "published format)",
                    where);
        evidence(m, f, "%s at offset %llu, 'Job ID' at +%ld: %s", where, (unsigned long long)off, j,
                 ex);
        return true;
    }
    return false;
}

/* ---- PNG text chunks ----------------------------------------------------------- */

/* Keywords that image generators write. A keyword alone (compressed text, or a
 * value that does not look like the tool's format) is weaker evidence. */
static const struct {
    const char *key;
    double conf;
    const char *tool;
} gen_keys[] = {
    {"parameters", 0.6, "AUTOMATIC1111 / Forge / SD.Next / SwarmUI"},
    {"prompt", 0.5, "ComfyUI"},
    {"workflow", 0.6, "ComfyUI"},
    {"invokeai_metadata", 0.85, "InvokeAI 3+"},
    {"invokeai_graph", 0.85, "InvokeAI 3+"},
    {"invokeai_workflow", 0.85, "InvokeAI 3+"},
    {"sd-metadata", 0.85, "InvokeAI 2"},
    {"Dream", 0.7, "InvokeAI 2"},
    {"fooocus_scheme", 0.85, "Fooocus"},
};

void media_text_chunk(media_ctx *m, const char *where, uint64_t off, const char *key,
                      const uint8_t *val, size_t vlen, bool compressed)
{
    char loc[160];
    snprintf(loc, sizeof loc, "%s '%s'", where, key);
    if (!compressed && !strcmp(key, "XML:com.adobe.xmp")) {
        media_xmp(m, loc, off, val, vlen);
        return;
    }
    if (!compressed && (!strcmp(key, "Software") || !strcmp(key, "Source"))) {
        media_field_value(m, MEDIA_SOFTWARE, loc, off, val, vlen);
        return;
    }
    if (!compressed && judge_text(m, loc, off, val, vlen))
        return;
    for (size_t i = 0; i < COUNT(gen_keys); i++) {
        if (strcmp(key, gen_keys[i].key))
            continue;
        char ex[120];
        media_excerpt(ex, sizeof ex, val, compressed ? 0 : vlen);
        trawl_violation *f = finding(
            m, "generator_metadata", gen_keys[i].conf, "text chunk keyword '%s', which %s writes%s",
            key, gen_keys[i].tool,
            compressed ? " (text compressed, not inflated)" : " (value not in the tool's format)");
        evidence(m, f, "%s at offset %llu: %s", loc, (unsigned long long)off,
                 compressed ? "(compressed)" : ex);
        return;
    }
}

/* ---- short fields ----------------------------------------------------------------- */

void media_field_value(media_ctx *m, media_field field, const char *where, uint64_t off,
                       const uint8_t *val, size_t vlen)
{
    if (field == MEDIA_DESCRIPTION) {
        judge_text(m, where, off, val, vlen);
        return;
    }
    char ex[120];
    media_excerpt(ex, sizeof ex, val, vlen);
    if (vlen > MAX_NAME_FIELD) /* tool names come first; bounds the name search */
        vlen = MAX_NAME_FIELD;
    const char *g = generator_in(m->st, val, vlen);
    if (g) {
        trawl_violation *f =
            finding(m, "generator_metadata", 0.85, "%s names the image generator '%s'", where, g);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
        return;
    }
    if (field == MEDIA_ARTIST || !m->st->report_editing)
        return;
    const char *e = editor_in(m->st, val, vlen);
    if (e) {
        trawl_violation *f = finding(m, "editing_software", 0.2,
                                     "%s names the editor '%s' (edited, not evidence of "
                                     "synthesis)",
                                     where, e);
        evidence(m, f, "%s at offset %llu: %s", where, (unsigned long long)off, ex);
    }
}

/* ---- IPTC digital source type -------------------------------------------------------- */

/* https://cv.iptc.org/newscodes/digitalsourcetype/ -- the terms that declare
 * synthetic content. Capture terms (digitalCapture, negativeFilm, ...) and
 * unknown terms add nothing. */
static const struct {
    const char *term;
    double conf;
    const char *meaning;
} source_types[] = {
    {"trainedAlgorithmicMedia", 0.95,
     "created by a model trained on sampled content (generative AI)"},
    {"compositeWithTrainedAlgorithmicMedia", 0.85,
     "a composite that includes generative-AI elements (e.g. generative fill)"},
    {"compositeSynthetic", 0.75, "a composite that includes synthetic elements"},
    {"algorithmicMedia", 0.6, "created by an algorithm without sampled training data"},
};

void media_source_type(media_ctx *m, const char *where, uint64_t off, const uint8_t *term,
                       size_t tlen, bool in_property)
{
    for (size_t i = 0; i < COUNT(source_types); i++) {
        if (strlen(source_types[i].term) != tlen || memcmp(term, source_types[i].term, tlen))
            continue;
        double c = source_types[i].conf - (in_property ? 0 : 0.15);
        trawl_violation *f =
            finding(m, "declared_ai_source", c, "IPTC digital source type '%s': %s",
                    source_types[i].term, source_types[i].meaning);
        evidence(m, f, "%s at offset %llu: %sdigitalsourcetype/%s", where, (unsigned long long)off,
                 in_property ? "DigitalSourceType = " : "bare URL ", source_types[i].term);
        return;
    }
}

void media_c2pa(media_ctx *m, const char *where, uint64_t off, unsigned manifests)
{
    m->c2pa_seen++;
    if (!m->st->report_c2pa)
        return;
    trawl_violation *f = finding(m, "c2pa_manifest", 0.3,
                                 "C2PA manifest store present (%u manifest%s; provenance "
                                 "declared, signatures not verified)",
                                 manifests, manifests == 1 ? "" : "s");
    evidence(m, f, "%s at offset %llu: JUMBF superbox labelled 'c2pa'", where,
             (unsigned long long)off);
}
