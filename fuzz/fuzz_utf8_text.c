/* fuzz_utf8_text.c -- the ai_vs_ai detector's UTF-8 decoder and text
 * signals on arbitrary bytes.
 *
 * Checks: the decoder always makes progress and consumes exactly the input;
 * every code point it calls valid re-encodes to the very bytes it consumed
 * (so no overlong form, surrogate or out-of-range value is accepted); every
 * offset the text pass reports lies inside the input; escaped evidence is
 * well-formed UTF-8; and the whole detector (text and per-client signals,
 * with a small LRU) runs without error on the bytes as a query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/ai_vs_ai/ai_vs_ai.h"
#include "detect/ai_vs_ai/utf8.h"
#include "detect/config.h"
#include "detect/detector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static void check_decoder(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        bool valid;
        size_t k = aiva_utf8_next(p + i, n - i, &cp, &valid);
        if (k < 1 || k > 4 || k > n - i)
            abort();
        if (valid) {
            uint8_t b[4];
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || encode(cp, b) != k ||
                memcmp(b, p + i, k) != 0)
                abort();
        } else if (cp != AIVA_REPLACEMENT) {
            abort();
        }
        i += k;
    }
}

static void check_well_formed(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        bool valid;
        i += aiva_utf8_next((const uint8_t *)s + i, n - i, &cp, &valid);
        if (!valid)
            abort();
    }
}

static void *state, *tstate;

static void setup(void)
{
    const char *cfg_text = "[ai_vs_ai]\nmax_clients = 16\nhistory_size = 8\nrate_limit = 5\n"
                           "extraction_min_queries = 4\nprobing_min_queries = 4\n"
                           "probing_min_types = 2\nmembership_min_repeats = 2\n";
    det_config *cfg;
    trawl_error err;
    if (det_config_parse(cfg_text, strlen(cfg_text), &cfg, &err) != TRAWL_OK ||
        det_ai_vs_ai_ops.create(cfg, &state, &err) != TRAWL_OK ||
        det_ai_vs_ai_ops.thread_new(state, &tstate, &err) != TRAWL_OK)
        abort();
    det_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!state)
        setup();
    check_decoder(data, size);

    aiva_state *s = state;
    static aiva_text_findings f;
    aiva_text_measure(s->lm, &s->cfg.text, data, size, &f);
    if (f.gib.scored && (f.gib.best_start > f.gib.best_end || f.gib.best_end > size))
        abort();
    for (size_t i = 0; i < f.n_words && i < AIVA_TEXT_KEEP; i++)
        if (f.words[i].off + f.words[i].len > size)
            abort();
    for (size_t i = 0; i < f.n_zw && i < AIVA_TEXT_KEEP; i++)
        if (f.zw[i].off >= size)
            abort();
    if (f.n_tag && (f.tag_first >= f.tag_last || f.tag_last > size))
        abort();

    trawl_detector_result r = {.detector = "ai_vs_ai"};
    if (aiva_text_report(&s->cfg.text, "prompt", data, size, &f, &r) != TRAWL_OK)
        abort();
    for (size_t i = 0; i < r.n_violations; i++)
        for (size_t k = 0; k < r.violations[i].n_evidence; k++)
            check_well_formed(r.violations[i].evidence[k]);
    det_result_clear(&r);

    /* the whole detector, with the bytes as a NUL-terminated query */
    char *q = malloc(size + 1);
    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = 0;
    char id[2] = {(char)('a' + (size ? data[0] % 20 : 0)), 0};
    trawl_detect_input in;
    memset(&in, 0, sizeof(in));
    in.client_id = id;
    in.query = q;
    in.prompt = q;
    in.prompt_len = size;
    in.timestamp_ms = size;
    char *hist[2] = {q, q};
    in.history = hist;
    in.n_history = size % 3 ? 2 : 0;
    trawl_error err;
    r = (trawl_detector_result){.detector = "ai_vs_ai"};
    if (det_ai_vs_ai_ops.run(state, tstate, &in, &r, &err) != TRAWL_OK)
        abort();
    for (size_t i = 0; i < r.n_violations; i++)
        for (size_t k = 0; k < r.violations[i].n_evidence; k++)
            check_well_formed(r.violations[i].evidence[k]);
    det_result_clear(&r);
    free(q);
    return 0;
}
