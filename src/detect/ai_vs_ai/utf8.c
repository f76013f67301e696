/* aiva_utf8.c -- strict UTF-8 decoding with U+FFFD for ill-formed
 * sequences. The second byte's allowed range depends on the lead byte
 * (Unicode table 3-7); checking it there rejects overlongs, surrogates and
 * values above U+10FFFF without decoding them first. */
#include "detect/ai_vs_ai/utf8.h"

size_t aiva_utf8_next(const uint8_t *p, size_t n, uint32_t *cp, bool *valid)
{
    uint8_t b0 = p[0];
    if (b0 < 0x80) {
        *cp = b0;
        *valid = true;
        return 1;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        v = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        v = b0 & 0x0Fu;
        if (b0 == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (b0 == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        v = b0 & 0x07u;
        if (b0 == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = AIVA_REPLACEMENT; /* 80..C1 and F5..FF never start a character */
        *valid = false;
        return 1;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *cp = AIVA_REPLACEMENT; /* truncated: the maximal subpart is p[0..i) */
            *valid = false;
            return i;
        }
        v = v << 6 | (p[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    *valid = true;
    return i;
}
