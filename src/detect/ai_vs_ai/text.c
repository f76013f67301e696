/* ai_vs_ai/text.c -- one pass over a prompt for the signals of machine-made
 * attacks on models that hide in the characters themselves.
 *
 * Invisible characters are judged in context, because several have honest
 * uses: a zero-width joiner inside an emoji sequence, ZWJ/ZWNJ in Arabic and
 * Indic scripts, a zero-width space between Thai words, a byte-order mark at
 * offset 0, and tag characters that spell a subdivision flag after U+1F3F4
 * (the Scotland flag) are not reported. */
#include "detect/ai_vs_ai/text.h"

#include <stdio.h>
#include <string.h>

#include "detect/ai_vs_ai/utf8.h"
#include "detect/detector.h"

/* ---- character classes -------------------------------------------------- */

static bool is_zero_width(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
           (cp >= 0x2061 && cp <= 0x2064) || cp == 0x180E;
}

static bool is_bidi(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool is_tag(uint32_t cp)
{
    return cp >= 0xE0000 && cp <= 0xE007F;
}

static bool is_pictographic(uint32_t cp)
{
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2300 && cp <= 0x23FF) ||
           (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0xFE0F ||
           cp == 0x20E3;
}

/* Scripts in which ZWJ/ZWNJ shape letters (Arabic, Syriac, Indic, Myanmar,
 * Khmer) or ZWSP marks word breaks (Thai, Lao, Khmer, Myanmar). */
static bool is_joining_script(uint32_t cp)
{
    return (cp >= 0x0600 && cp <= 0x08FF) || (cp >= 0x0900 && cp <= 0x0DFF) ||
           (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x1000 && cp <= 0x109F) ||
           (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
           (cp >= 0xFE70 && cp <= 0xFEFE);
}

static bool zero_width_benign(uint32_t cp, uint32_t before, uint32_t after, size_t off)
{
    if (cp == 0xFEFF && off == 0)
        return true; /* byte-order mark */
    if (cp == 0x200D && is_pictographic(before) && is_pictographic(after))
        return true; /* emoji ZWJ sequence */
    if ((cp == 0x200B || cp == 0x200C || cp == 0x200D) &&
        (is_joining_script(before) || is_joining_script(after)))
        return true;
    return false;
}

static const char *char_name(uint32_t cp)
{
    switch (cp) {
    case 0x200B:
        return "ZERO WIDTH SPACE";
    case 0x200C:
        return "ZERO WIDTH NON-JOINER";
    case 0x200D:
        return "ZERO WIDTH JOINER";
    case 0x2060:
        return "WORD JOINER";
    case 0xFEFF:
        return "ZERO WIDTH NO-BREAK SPACE";
    case 0x2061:
        return "FUNCTION APPLICATION";
    case 0x2062:
        return "INVISIBLE TIMES";
    case 0x2063:
        return "INVISIBLE SEPARATOR";
    case 0x2064:
        return "INVISIBLE PLUS";
    case 0x180E:
        return "MONGOLIAN VOWEL SEPARATOR";
    case 0x202A:
        return "LEFT-TO-RIGHT EMBEDDING";
    case 0x202B:
        return "RIGHT-TO-LEFT EMBEDDING";
    case 0x202C:
        return "POP DIRECTIONAL FORMATTING";
    case 0x202D:
        return "LEFT-TO-RIGHT OVERRIDE";
    case 0x202E:
        return "RIGHT-TO-LEFT OVERRIDE";
    case 0x2066:
        return "LEFT-TO-RIGHT ISOLATE";
    case 0x2067:
        return "RIGHT-TO-LEFT ISOLATE";
    case 0x2068:
        return "FIRST STRONG ISOLATE";
    case 0x2069:
        return "POP DIRECTIONAL ISOLATE";
    default:
        return "";
    }
}

static unsigned script_of(uint32_t cp)
{
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
        return AIVA_SCRIPT_LATIN;
    if ((cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x1E00 && cp <= 0x1EFF))
        return AIVA_SCRIPT_LATIN;
    if (cp >= 0x0400 && cp <= 0x052F)
        return AIVA_SCRIPT_CYRILLIC;
    if ((cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x1F00 && cp <= 0x1FFF))
        return AIVA_SCRIPT_GREEK;
    if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A))
        return AIVA_SCRIPT_FULLWIDTH;
    return 0;
}

/* Cyrillic and Greek letters that render like a Latin letter in common
 * fonts (after the Unicode confusables data, restricted to clear cases). */
static const struct {
    uint16_t cp;
    char latin;
} lookalikes[] = {
    {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'}, {0x0399, 'I'},
    {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'}, {0x03A1, 'P'}, {0x03A4, 'T'},
    {0x03A5, 'Y'}, {0x03A7, 'X'}, {0x03B1, 'a'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'},
    {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x0405, 'S'}, {0x0406, 'I'},
    {0x0408, 'J'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'}, {0x041C, 'M'},
    {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0425, 'X'},
    {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
    {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04AE, 'Y'}, {0x04AF, 'y'},
    {0x04BB, 'h'}, {0x04CF, 'l'}, {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'},
};

static char latin_twin(uint32_t cp)
{
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return (char)('A' + (cp - 0xFF21));
    if (cp >= 0xFF41 && cp <= 0xFF5A)
        return (char)('a' + (cp - 0xFF41));
    size_t lo = 0, hi = sizeof(lookalikes) / sizeof(lookalikes[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lookalikes[mid].cp == cp)
            return lookalikes[mid].latin;
        if (lookalikes[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static bool continues_word(uint32_t cp)
{
    return script_of(cp) || (cp >= '0' && cp <= '9') || (cp >= 0x0300 && cp <= 0x036F) ||
           is_zero_width(cp);
}

/* ---- the pass ------------------------------------------------------------ */

typedef struct scan {
    aiva_text_findings *f;
    const uint8_t *p; /* the text, for the skeleton of a word kept */
    /* current word */
    bool in_word;
    aiva_word w;
    /* current tag run */
    bool in_tags, tags_after_flag, tags_flag_shape, tags_cancelled;
    size_t tags_len, tags_text_start, tags_start, tags_end;
} scan;

static void word_start(scan *s, size_t off)
{
    s->in_word = true;
    s->w.off = off;
    s->w.len = 0;
    s->w.scripts = s->w.lookalikes = s->w.foreign = 0;
    s->w.first_cp = 0;
    s->w.skeleton[0] = 0;
}

/* A letter of another script: counted, and its Latin twin noted. ASCII
 * needs none of this (its script bit is set by the caller). */
static void word_add(scan *s, uint32_t cp)
{
    aiva_word *w = &s->w;
    unsigned sc = script_of(cp);
    w->scripts |= sc;
    if (cp < 0x80 || !sc || sc == AIVA_SCRIPT_LATIN)
        return;
    w->foreign++;
    if (latin_twin(cp)) {
        if (!w->lookalikes)
            w->first_cp = cp;
        w->lookalikes++;
    }
}

/* The word with lookalikes replaced by their Latin twins and zero-width
 * characters dropped; a piece that does not fit the room left is left out.
 * Built only for the words kept, from their bytes (every code point inside
 * a word is well-formed: U+FFFD does not continue one). */
static void word_skeleton(aiva_word *w, const uint8_t *p)
{
    size_t len = 0;
    for (size_t i = w->off; i < w->off + w->len;) {
        uint32_t cp;
        bool valid;
        size_t nb = aiva_utf8_next(p + i, w->off + w->len - i, &cp, &valid);
        const uint8_t *bytes = p + i;
        i += nb;
        unsigned sc = script_of(cp);
        char twin = cp >= 0x80 && sc && sc != AIVA_SCRIPT_LATIN ? latin_twin(cp) : 0;
        if (cp >= 0x80 && is_zero_width(cp))
            continue;
        if (twin) {
            bytes = (const uint8_t *)&twin;
            nb = 1;
        }
        if (len + nb < sizeof(w->skeleton)) {
            memcpy(w->skeleton + len, bytes, nb);
            len += nb;
        }
    }
    w->skeleton[len] = 0;
}

static void word_end(scan *s, size_t end)
{
    if (!s->in_word)
        return;
    s->in_word = false;
    aiva_word *w = &s->w;
    w->len = end - w->off;
    if (!(w->scripts & AIVA_SCRIPT_LATIN) || !(w->scripts & ~(unsigned)AIVA_SCRIPT_LATIN) ||
        !w->lookalikes)
        return;
    if (s->f->n_words < AIVA_TEXT_KEEP) {
        word_skeleton(w, s->p);
        s->f->words[s->f->n_words] = *w;
    }
    s->f->n_words++;
}

static void tags_end(scan *s)
{
    if (!s->in_tags)
        return;
    s->in_tags = false;
    aiva_text_findings *f = s->f;
    /* Subdivision flags: U+1F3F4, 2..7 tag letters/digits, U+E007F. */
    if (s->tags_after_flag && s->tags_flag_shape && s->tags_cancelled && s->tags_len >= 3 &&
        s->tags_len <= 8) {
        f->tag_text_len = s->tags_text_start;
        f->tag_text[f->tag_text_len] = 0;
        return;
    }
    if (!f->n_tag)
        f->tag_first = s->tags_start;
    f->tag_last = s->tags_end;
    f->n_tag += s->tags_len;
}

static void tag_add(scan *s, uint32_t cp, size_t off, size_t end, uint32_t before)
{
    aiva_text_findings *f = s->f;
    if (!s->in_tags) {
        s->in_tags = true;
        s->tags_after_flag = before == 0x1F3F4;
        s->tags_flag_shape = true;
        s->tags_cancelled = false;
        s->tags_len = 0;
        s->tags_start = off;
        if (f->tag_text_len && f->tag_text_len < AIVA_TAG_KEEP) {
            f->tag_text[f->tag_text_len++] = ' '; /* between runs */
            f->tag_text[f->tag_text_len] = 0;
        }
        s->tags_text_start = f->tag_text_len;
    }
    s->tags_len++;
    s->tags_end = end;
    uint32_t ascii = cp - 0xE0000;
    if (s->tags_cancelled ||
        !((ascii >= '0' && ascii <= '9') || (ascii >= 'a' && ascii <= 'z') || ascii == 0x7F))
        s->tags_flag_shape = false;
    if (ascii == 0x7F)
        s->tags_cancelled = true;
    if (ascii >= 0x20 && ascii <= 0x7E) {
        if (f->tag_text_len < AIVA_TAG_KEEP) {
            f->tag_text[f->tag_text_len++] = (char)ascii;
            f->tag_text[f->tag_text_len] = 0;
        } else {
            f->tag_text_dropped++;
        }
    }
}

static void mark(aiva_mark *keep, size_t n, size_t off, uint32_t cp, uint32_t before,
                 uint32_t after)
{
    if (n < AIVA_TEXT_KEEP)
        keep[n] = (aiva_mark){off, cp, before, after};
}

static void step(scan *s, aiva_gib *gib, const aiva_text_cfg *cfg, size_t off, size_t len,
                 uint32_t cp, uint32_t before, uint32_t after)
{
    aiva_text_findings *f = s->f;
    if (cfg->invisible && cp < 0x80) { /* no ASCII character is a tag, zero-width or bidi */
        tags_end(s);
    } else if (cfg->invisible) {
        if (is_tag(cp))
            tag_add(s, cp, off, off + len, before);
        else
            tags_end(s);
        if (is_zero_width(cp) && !zero_width_benign(cp, before, after, off)) {
            mark(f->zw, f->n_zw, off, cp, before, after);
            f->n_zw++;
        }
        if (is_bidi(cp)) {
            mark(f->bidi, f->n_bidi, off, cp, before, after);
            f->n_bidi++;
            f->n_override += cp == 0x202D || cp == 0x202E;
            if (cp == 0x202C || cp == 0x2069) {
                if (f->bidi_open)
                    f->bidi_open--;
            } else {
                f->bidi_open++;
            }
        }
    }
    if (cfg->homoglyphs) {
        if (continues_word(cp) && (s->in_word || script_of(cp))) {
            if (!s->in_word)
                word_start(s, off);
            word_add(s, cp);
        } else {
            word_end(s, off);
        }
    }
    if (cfg->gibberish)
        aiva_gib_push(gib, cp, off, off + len);
}

/* For the word tracker, an ASCII byte is a letter (starts or continues a
 * word), a digit (continues one) or neither (ends one). */
static bool ascii_letter(uint8_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool ascii_wordish(uint8_t c)
{
    return ascii_letter(c) || (c >= '0' && c <= '9');
}

/* What step() does for each byte of the ASCII run p[from..to), at a cost
 * that hardly depends on its length: no ASCII byte is invisible (a tag run
 * ends), and a word made of ASCII alone mixes no scripts, so of the words
 * in the run only the one open when it starts and the one still open at its
 * end can matter. */
static void ascii_run(scan *s, const aiva_text_cfg *cfg, size_t from, size_t to)
{
    if (cfg->invisible)
        tags_end(s);
    if (!cfg->homoglyphs || from == to)
        return;
    const uint8_t *p = s->p;
    size_t k = from;
    if (s->in_word) {
        while (k < to && ascii_wordish(p[k]))
            s->w.scripts |= ascii_letter(p[k++]) ? AIVA_SCRIPT_LATIN : 0;
        if (k == to)
            return;
        word_end(s, k);
    }
    size_t j = to;
    while (j > k && ascii_wordish(p[j - 1]))
        j--;
    while (j < to && !ascii_letter(p[j]))
        j++; /* digits start no word */
    if (j < to) {
        word_start(s, j);
        s->w.scripts = AIVA_SCRIPT_LATIN;
    }
}

static size_t ascii_end(const uint8_t *p, size_t i, size_t n)
{
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

static void measure(const aiva_lm *lm, const aiva_text_cfg *cfg, const uint8_t *p, size_t n,
                    aiva_text_findings *f, bool ascii_runs)
{
    memset(f, 0, offsetof(aiva_text_findings, gib));
    aiva_gib_init(&f->gib, lm, cfg->gibberish_window);
    aiva_gib *gib = &f->gib;
    scan s = {.f = f, .p = p};
    uint32_t before = 0, cur = 0, next = 0;
    size_t cur_off = 0, cur_len = 0, i = 0;
    bool valid;
    if (n) {
        cur_len = aiva_utf8_next(p, n, &cur, &valid);
        f->n_invalid += !valid;
    }
    while (cur_len) {
        if (ascii_runs && cur < 0x80) {
            size_t end =
                cfg->gibberish ? aiva_gib_push_ascii(gib, p, cur_off, n) : ascii_end(p, cur_off, n);
            ascii_run(&s, cfg, cur_off, end);
            before = p[end - 1];
            cur_off = end;
            cur_len = 0;
            if (end < n) {
                cur_len = aiva_utf8_next(p + end, n - end, &cur, &valid);
                f->n_invalid += !valid;
            }
            continue;
        }
        i = cur_off + cur_len;
        size_t next_len = 0;
        next = 0;
        if (i < n && p[i] < 0x80) { /* ASCII, decoded inline */
            next = p[i];
            next_len = 1;
        } else if (i < n) {
            next_len = aiva_utf8_next(p + i, n - i, &next, &valid);
            f->n_invalid += !valid;
        }
        step(&s, gib, cfg, cur_off, cur_len, cur, before, next);
        before = cur;
        cur = next;
        cur_off = i;
        cur_len = next_len;
    }
    tags_end(&s);
    word_end(&s, n);
    if (cfg->gibberish)
        aiva_gib_finish(gib, n);
}

void aiva_text_measure(const aiva_lm *lm, const aiva_text_cfg *cfg, const uint8_t *p, size_t n,
                       aiva_text_findings *f)
{
    measure(lm, cfg, p, n, f, true);
}

void aiva_text_measure_each(const aiva_lm *lm, const aiva_text_cfg *cfg, const uint8_t *p, size_t n,
                            aiva_text_findings *f)
{
    measure(lm, cfg, p, n, f, false);
}

/* ---- evidence ------------------------------------------------------------ */

char *aiva_escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        bool valid;
        size_t k = aiva_utf8_next(p + i, n - i, &cp, &valid);
        char tmp[16];
        size_t t;
        if (!valid) {
            t = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02X", p[i]);
            k = 1;
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || is_zero_width(cp) ||
                   is_bidi(cp) || is_tag(cp)) {
            t = (size_t)snprintf(tmp, sizeof(tmp), "\\u{%04X}", (unsigned)cp);
        } else {
            memcpy(tmp, p + i, k);
            t = k;
        }
        if (o + t + 4 > cap) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, tmp, t);
        o += t;
        i += k;
    }
    out[o] = 0;
    return out;
}

static void describe_cp(uint32_t cp, char *buf, size_t cap)
{
    if (cp == 0)
        snprintf(buf, cap, "the %s", "text's edge");
    else if (cp >= 0x20 && cp < 0x7F)
        snprintf(buf, cap, "'%c'", (char)cp);
    else
        snprintf(buf, cap, "U+%04X", (unsigned)cp);
}

static double invisible_confidence(size_t n)
{
    return n >= 4 ? 0.9 : n >= 2 ? 0.8 : 0.7;
}

static trawl_status report_marks(trawl_violation *v, const aiva_mark *m, size_t n)
{
    for (size_t i = 0; i < n && i < AIVA_TEXT_KEEP; i++) {
        char b[24], a[24];
        describe_cp(m[i].before, b, sizeof(b));
        describe_cp(m[i].after, a, sizeof(a));
        if (det_evidence(v, "U+%04X %s at byte %zu, between %s and %s", (unsigned)m[i].cp,
                         char_name(m[i].cp), m[i].off, b, a))
            return TRAWL_ENOMEM;
    }
    if (n > AIVA_TEXT_KEEP && det_evidence(v, "%zu more not listed", n - AIVA_TEXT_KEEP))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

static trawl_status report_words(const char *field, const uint8_t *p, const aiva_text_findings *f,
                                 trawl_detector_result *out)
{
    bool all = true;
    for (size_t i = 0; i < f->n_words && i < AIVA_TEXT_KEEP; i++)
        all = all && f->words[i].lookalikes == f->words[i].foreign;
    trawl_violation *v = det_violation(
        out, "homoglyph_mixing", all ? 0.85 : 0.6,
        "adversarial input: %zu word(s) in the %s mix Latin with lookalike letters of another "
        "script",
        f->n_words, field);
    if (!v)
        return TRAWL_ENOMEM;
    for (size_t i = 0; i < f->n_words && i < AIVA_TEXT_KEEP; i++) {
        const aiva_word *w = &f->words[i];
        char word[160];
        aiva_escape(p + w->off, w->len, word, sizeof(word));
        const unsigned sc = w->scripts;
        if (det_evidence(
                v,
                "word \"%s\" at byte %zu mixes Latin+%s%s%s: %u of its %u non-Latin "
                "letters look Latin (first U+%04X); reads as \"%s\"",
                word, w->off, (sc & AIVA_SCRIPT_CYRILLIC) ? "Cyrillic" : "",
                (sc & AIVA_SCRIPT_GREEK) ? ((sc & AIVA_SCRIPT_CYRILLIC) ? "+Greek" : "Greek") : "",
                (sc & AIVA_SCRIPT_FULLWIDTH) ? "+Fullwidth" : "", w->lookalikes, w->foreign,
                (unsigned)w->first_cp, w->skeleton))
            return TRAWL_ENOMEM;
    }
    if (f->n_words > AIVA_TEXT_KEEP &&
        det_evidence(v, "%zu more words not listed", f->n_words - AIVA_TEXT_KEEP))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

static trawl_status report_gibberish(const aiva_text_cfg *cfg, const char *field, const uint8_t *p,
                                     const aiva_gib *g, trawl_detector_result *out)
{
    double over = g->best - cfg->gibberish_threshold;
    double conf = 0.5 + 0.2 * over;
    if (conf > 0.9)
        conf = 0.9;
    trawl_violation *v = det_violation(
        out, "adversarial_suffix", conf,
        "adversarial input: a stretch of the %s reads as token soup (%.2f bits/char, threshold "
        "%.2f)",
        field, g->best, cfg->gibberish_threshold);
    if (!v)
        return TRAWL_ENOMEM;
    char text[200];
    aiva_escape(p + g->best_start, g->best_end - g->best_start, text, sizeof(text));
    if (det_evidence(v,
                     "bytes %zu..%zu: mean surprise %.2f bits/char under the character-trigram "
                     "model of benign prompts (benign English prompts: median 3.6)",
                     g->best_start, g->best_end, g->best) ||
        det_evidence(v, "text: \"%s\"", text))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

trawl_status aiva_text_report(const aiva_text_cfg *cfg, const char *field, const uint8_t *p,
                              size_t n, const aiva_text_findings *f, trawl_detector_result *out)
{
    (void)n;
    trawl_violation *v;
    if (f->n_tag) {
        char text[AIVA_TAG_KEEP * 6 + 8];
        aiva_escape((const uint8_t *)f->tag_text, f->tag_text_len, text, sizeof(text));
        v = det_violation(out, "ascii_smuggling", 0.95,
                          "adversarial input: %zu invisible Unicode tag characters in the %s "
                          "carry hidden ASCII",
                          f->n_tag, field);
        if (!v ||
            det_evidence(v, "tag characters U+E0000..U+E007F at bytes %zu..%zu", f->tag_first,
                         f->tag_last) ||
            det_evidence(v, "decoded: \"%s\"%s", text, f->tag_text_dropped ? " (cut)" : ""))
            return TRAWL_ENOMEM;
    }
    if (f->n_zw) {
        v = det_violation(out, "invisible_characters", invisible_confidence(f->n_zw),
                          "adversarial input: %zu invisible zero-width character(s) in the %s",
                          f->n_zw, field);
        if (!v || report_marks(v, f->zw, f->n_zw) != TRAWL_OK)
            return TRAWL_ENOMEM;
    }
    if (f->n_bidi) {
        v = det_violation(out, "bidi_control", f->n_override ? 0.8 : 0.6,
                          "adversarial input: %zu bidirectional control character(s) in the %s%s",
                          f->n_bidi, field, f->n_override ? ", including direction overrides" : "");
        if (!v || report_marks(v, f->bidi, f->n_bidi) != TRAWL_OK)
            return TRAWL_ENOMEM;
        if (f->bidi_open &&
            det_evidence(v, "%zu embedding/override/isolate left open at the end", f->bidi_open))
            return TRAWL_ENOMEM;
    }
    if (f->n_words && report_words(field, p, f, out) != TRAWL_OK)
        return TRAWL_ENOMEM;
    if (cfg->gibberish && f->gib.scored && f->gib.best >= cfg->gibberish_threshold &&
        report_gibberish(cfg, field, p, &f->gib, out) != TRAWL_OK)
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}
