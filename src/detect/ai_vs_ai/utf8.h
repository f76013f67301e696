/* aiva_utf8.h -- a strict UTF-8 decoder for text of unknown origin.
 *
 * Invalid input never stops decoding: each ill-formed sequence becomes one
 * U+FFFD covering its "maximal subpart" (Unicode 15, section 3.9, U+FFFD
 * substitution), so offsets stay exact and the decoder always makes
 * progress. Overlong forms, surrogates (U+D800..U+DFFF) and code points above
 * U+10FFFF are ill-formed. */
#ifndef TRAWL_DETECT_AIVA_UTF8_H
#define TRAWL_DETECT_AIVA_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIVA_REPLACEMENT 0xFFFDu

/* Decodes the code point at p[0..n), n > 0. Stores it in *cp (U+FFFD for an
 * ill-formed sequence, with *valid false) and returns the bytes consumed,
 * 1..4, never more than n. O(1), allocates nothing. */
size_t aiva_utf8_next(const uint8_t *p, size_t n, uint32_t *cp, bool *valid);

#endif
