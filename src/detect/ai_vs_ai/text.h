/* ai_vs_ai/text.h -- the ai_vs_ai detector's text signals: invisible characters
 * (zero-width, bidi controls, Unicode tag "ASCII smuggling"), homoglyph
 * mixing inside words, and the adversarial-suffix surprise score. One pass
 * over the UTF-8 text; ill-formed bytes are decoded as U+FFFD. */
#ifndef TRAWL_DETECT_AIVA_TEXT_H
#define TRAWL_DETECT_AIVA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <trawl/detect.h>

#include "detect/ai_vs_ai/trigram.h"

typedef struct aiva_text_cfg {
    bool invisible;             /* zero-width, bidi and tag characters */
    bool homoglyphs;            /* Latin mixed with Cyrillic/Greek/fullwidth lookalikes */
    bool gibberish;             /* adversarial-suffix score */
    double gibberish_threshold; /* bits per symbol */
    unsigned gibberish_window;  /* symbols */
} aiva_text_cfg;

/* What one pass found; filled by aiva_text_measure, turned into violations
 * by aiva_text_report. Bounded: only the first few occurrences are kept. */
#define AIVA_TEXT_KEEP 8
#define AIVA_TAG_KEEP  256

typedef struct aiva_mark {
    size_t off;
    uint32_t cp;
    uint32_t before, after; /* neighbouring code points, 0 at the ends */
} aiva_mark;

typedef struct aiva_word {
    size_t off, len;     /* bytes */
    unsigned scripts;    /* AIVA_SCRIPT_* bits */
    unsigned lookalikes; /* non-Latin letters that look like Latin ones */
    unsigned foreign;    /* non-Latin letters in all */
    char skeleton[64];   /* the word with lookalikes replaced by their Latin twins */
    uint32_t first_cp;   /* first lookalike, for the evidence */
} aiva_word;

enum {
    AIVA_SCRIPT_LATIN = 1,
    AIVA_SCRIPT_CYRILLIC = 2,
    AIVA_SCRIPT_GREEK = 4,
    AIVA_SCRIPT_FULLWIDTH = 8
};

typedef struct aiva_text_findings {
    size_t n_zw;
    aiva_mark zw[AIVA_TEXT_KEEP];
    size_t n_bidi, n_override, bidi_open;
    aiva_mark bidi[AIVA_TEXT_KEEP];
    size_t n_tag;                     /* tag characters outside emoji flag sequences */
    size_t tag_first, tag_last;       /* byte range */
    char tag_text[AIVA_TAG_KEEP + 1]; /* the smuggled ASCII, NUL-terminated */
    size_t tag_text_len, tag_text_dropped;
    size_t n_words;
    aiva_word words[AIVA_TEXT_KEEP];
    size_t n_invalid; /* ill-formed UTF-8 sequences */
    aiva_gib gib;
} aiva_text_findings;

/* Measures text p[0..n). O(n), allocates nothing. Runs of ASCII take a
 * shorter path (no ASCII byte is invisible or a lookalike). */
void aiva_text_measure(const aiva_lm *lm, const aiva_text_cfg *cfg, const uint8_t *p, size_t n,
                       aiva_text_findings *f);
/* The same measure taken one code point at a time, the definition the
 * shorter path is tested against; the same findings, slower. */
void aiva_text_measure_each(const aiva_lm *lm, const aiva_text_cfg *cfg, const uint8_t *p, size_t n,
                            aiva_text_findings *f);
/* Adds the violations f supports to out; field names the input field
 * ("prompt", "query") in descriptions. TRAWL_ENOMEM on out-of-memory. */
trawl_status aiva_text_report(const aiva_text_cfg *cfg, const char *field, const uint8_t *p,
                              size_t n, const aiva_text_findings *f, trawl_detector_result *out);

/* Writes p[0..n) to out (cap bytes, cap >= 8, NUL-terminated) as readable
 * text: valid printable UTF-8 as is, controls, invisible and ill-formed
 * bytes as \u{XXXX} / \xNN, a trailing "..." when cut. Returns out. */
char *aiva_escape(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
