/* script.h -- which writing systems a text is written in, for the learned
 * tier: a model that never saw a benign text in a script has learned the
 * script itself as a sign of injection, so it gives no opinion on a text
 * written mostly in such scripts (docs/model.md, "Scripts"). Internal to
 * src/detect/. */
#ifndef TRAWL_DETECT_PI_SCRIPT_H
#define TRAWL_DETECT_PI_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

/* The scripts counted, in the order of their signals ("script:cyrillic"...);
 * PI_SCRIPT_OTHER is every other letter outside Latin (Greek, Hebrew,
 * Armenian, Georgian, the Indic scripts not named, Ethiopic, ...). */
enum {
    PI_SCRIPT_CYRILLIC,
    PI_SCRIPT_ARABIC,
    PI_SCRIPT_DEVANAGARI,
    PI_SCRIPT_BENGALI,
    PI_SCRIPT_THAI,
    PI_SCRIPT_HAN,
    PI_SCRIPT_KANA,
    PI_SCRIPT_HANGUL,
    PI_SCRIPT_OTHER,
    PI_N_SCRIPTS
};

extern const char *const pi_script_names[PI_N_SCRIPTS];

/* Adds to counts[] the code points of t[0..n) (UTF-8; a byte that starts
 * no valid sequence is skipped) in each script, and to *letters every
 * letter or digit counted (ASCII alphanumerics, Latin beyond ASCII, and
 * the scripts); punctuation, symbols, emoji and white space count nowhere.
 * Linear, no allocation. */
void pi_script_count(const uint8_t *t, size_t n, uint32_t counts[PI_N_SCRIPTS], uint32_t *letters);

#endif
