/* script.c -- code points by writing system (script.h). The ranges are the
 * Unicode blocks of each script; what no block names and is not
 * punctuation or a symbol counts as PI_SCRIPT_OTHER. */
#include "detect/prompt_injection/script.h"

const char *const pi_script_names[PI_N_SCRIPTS] = {
    "script:cyrillic", "script:arabic", "script:devanagari", "script:bengali", "script:thai",
    "script:han",      "script:kana",   "script:hangul",     "script:other",
};

/* The script of code point c, PI_N_SCRIPTS for Latin and digits, -1 for
 * what is no letter (punctuation, symbols, marks of no script, emoji). */
static int script_of(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? PI_N_SCRIPTS
                                                                                  : -1;
    if (c < 0x370) /* Latin-1, Latin Extended, IPA, spacing and combining marks */
        return c < 0xc0 || c == 0xd7 || c == 0xf7 ? -1 : PI_N_SCRIPTS;
    if (c >= 0x400 && c < 0x530)
        return PI_SCRIPT_CYRILLIC;
    if ((c >= 0x600 && c < 0x700) || (c >= 0x750 && c < 0x780) || (c >= 0xfb50 && c < 0xfe00) ||
        (c >= 0xfe70 && c < 0xff00))
        return PI_SCRIPT_ARABIC;
    if (c >= 0x900 && c < 0x980)
        return PI_SCRIPT_DEVANAGARI;
    if (c >= 0x980 && c < 0xa00)
        return PI_SCRIPT_BENGALI;
    if (c >= 0xe00 && c < 0xe80)
        return PI_SCRIPT_THAI;
    if ((c >= 0x3400 && c < 0x4dc0) || (c >= 0x4e00 && c < 0xa000) || (c >= 0xf900 && c < 0xfb00) ||
        (c >= 0x20000 && c < 0x32000))
        return PI_SCRIPT_HAN;
    if ((c >= 0x3040 && c < 0x3100) || (c >= 0x31f0 && c < 0x3200) || (c >= 0xff66 && c < 0xffa0))
        return PI_SCRIPT_KANA;
    if ((c >= 0x1100 && c < 0x1200) || (c >= 0x3130 && c < 0x3190) || (c >= 0xac00 && c < 0xd7b0))
        return PI_SCRIPT_HANGUL;
    if (c >= 0x1e00 && c < 0x1f00) /* Latin Extended Additional (Vietnamese) */
        return PI_N_SCRIPTS;
    if ((c >= 0x2000 && c < 0x2c00) || (c >= 0x3000 && c < 0x3040) || (c >= 0xe000 && c < 0xf900) ||
        (c >= 0xfe00 && c < 0xfe70) || c >= 0xff00 || c >= 0x1f000)
        return -1; /* punctuation, symbols, private use, full-width forms, emoji */
    return PI_SCRIPT_OTHER;
}

void pi_script_count(const uint8_t *t, size_t n, uint32_t counts[PI_N_SCRIPTS], uint32_t *letters)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = t[i];
        uint32_t c;
        size_t len;
        if (b < 0x80) {
            c = b, len = 1;
        } else if (b >= 0xc2 && b < 0xe0) {
            c = b & 0x1f, len = 2;
        } else if (b >= 0xe0 && b < 0xf0) {
            c = b & 0x0f, len = 3;
        } else if (b >= 0xf0 && b < 0xf5) {
            c = b & 0x07, len = 4;
        } else {
            i++;
            continue;
        }
        if (i + len > n) {
            i++;
            continue;
        }
        size_t k = 1;
        for (; k < len && (t[i + k] & 0xc0) == 0x80; k++)
            c = c << 6 | (t[i + k] & 0x3f);
        if (k < len) {
            i++;
            continue;
        }
        i += len;
        int s = script_of(c);
        if (s < 0)
            continue;
        ++*letters;
        if (s < PI_N_SCRIPTS)
            counts[s]++;
    }
}
