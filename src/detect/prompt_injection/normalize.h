/* normalize.h -- text views for the prompt-injection detector. Internal to
 * src/detect/.
 *
 * The rules are written against one canonical form of text, so before any
 * matching a prompt is normalised into a buffer owned by the calling thread:
 *
 *   - UTF-8 is decoded leniently (an invalid byte is copied as it is);
 *   - ASCII letters are folded to lower case;
 *   - confusables are folded to the ASCII letter they imitate: fullwidth
 *     ASCII, common Cyrillic and Greek lookalikes, Latin-1 letters with
 *     diacritics, mathematical alphanumerics, circled letters;
 *   - zero-width characters, bidi controls, Unicode tag characters and
 *     combining marks are removed (and counted: their presence is evidence);
 *     the ASCII that tag characters smuggle is collected on the side;
 *   - every run of white space (ASCII and Unicode spaces) becomes one ' '.
 *
 * Each output byte remembers the byte offset in the input that produced it
 * (map[]) and whether obfuscation was undone there (fl[]), so that a match
 * can be reported with its place in the original and with what was hidden.
 *
 * Buffers grow on demand up to a cap given by the caller; nothing else is
 * allocated. All functions are O(n). */
#ifndef TRAWL_DETECT_NORMALIZE_H
#define TRAWL_DETECT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Per-byte flags of a normalised text. */
enum {
    PI_FL_INVISIBLE = 1u << 0,  /* an invisible character was removed just before this byte */
    PI_FL_CONFUSABLE = 1u << 1, /* folded from a non-ASCII lookalike */
    PI_FL_LEET = 1u << 2        /* a leetspeak digit or symbol was read as a letter */
};

/* A growable text view. s is NUL-terminated for convenience (not counted). */
typedef struct pi_text {
    uint8_t *s;
    uint32_t *map; /* map[i] = offset in the source of byte i */
    uint8_t *fl;   /* PI_FL_* */
    size_t len;
    size_t cap;
} pi_text;

/* What normalisation removed or folded. */
typedef struct pi_norm_stats {
    size_t zero_width;       /* U+200B..200D, 2060..2064, FEFF, 00AD, 180E */
    size_t bidi;             /* U+200E/F, 202A..202E, 2066..2069, 061C */
    size_t tags;             /* U+E0000..E007F */
    size_t combining;        /* U+0300..036F and other combining marks */
    size_t confusable;       /* fullwidth, Cyrillic/Greek lookalikes, math letters, ... */
    size_t invalid;          /* bytes that are not valid UTF-8 */
    int64_t first_invisible; /* source offset of the first removed invisible, -1 */
} pi_norm_stats;

/* Ensures room for n bytes (plus the NUL). -1 when n exceeds max or on
 * out-of-memory. */
int pi_text_reserve(pi_text *t, size_t n, size_t max);
void pi_text_free(pi_text *t);

/* Normalises src[0..n) into out (replacing its content). When tags is not
 * NULL, the ASCII carried by tag characters is appended to it (raw, then
 * normalised by the caller). base is added to every map[] entry. At most
 * max bytes are written to out; the output of a normalisation never exceeds
 * its input, so max >= n always suffices. Returns 0, or -1 on
 * out-of-memory. */
int pi_normalize(pi_text *out, const uint8_t *src, size_t n, uint32_t base, pi_text *tags,
                 pi_norm_stats *st, size_t max);

/* pi_normalize without its sixteen-bytes-at-a-time path for plain ASCII:
 * the same output, byte by byte. For tests (the differential oracle). */
int pi__normalize_bytewise(pi_text *out, const uint8_t *src, size_t n, uint32_t base, pi_text *tags,
                           pi_norm_stats *st, size_t max);

/* The leetspeak view of a normalised text: in every word that contains an
 * ASCII letter, 0->o 1->(one) 3->e 4->a 5->s 7->t @->a $->s (and '|' -> l,
 * '!' -> i inside words). one is 'i' or 'l'. Returns the number of bytes
 * substituted (0 means the view equals the input and need not be scanned;
 * out is then left empty),
 * or -1 on out-of-memory. */
long pi_leet(pi_text *out, const pi_text *in, uint8_t one, size_t max);

/* The rot13 view of a normalised text (ASCII letters rotated). -1 on OOM. */
int pi_rot13(pi_text *out, const pi_text *in, size_t max);

/* True when c is a word byte for boundary checks: [a-z0-9_] (after
 * normalisation, upper case is gone). Bytes >= 0x80 are not word bytes, so
 * a rule word next to CJK text still counts as a word. */
static inline int pi_is_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (c >= 'A' && c <= 'Z');
}

#endif
