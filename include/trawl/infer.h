/* trawl/infer.h -- format inference: from a pile of captured messages to
 * where each field starts and ends and what it holds (constant, enum,
 * counter, length, checksum, timestamp, float, text, identifier, random),
 * grouped into message types; and, on its own, checksum recovery (CRC
 * parameters, sums, XOR, Fletcher, Adler) from message/checksum pairs.
 *
 * Ownership: the caller owns the messages it passes in and must keep them
 * alive only for the duration of the call; results (trawl_infer_result) are
 * owned by the library until trawl_infer_result_free. Nothing here keeps
 * global state: every call may run on any thread.
 */
#ifndef TRAWL_INFER_H
#define TRAWL_INFER_H

#include <stdbool.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- checksums ------------------------------------------------------------ */

/* A CRC in the Rocksoft / RevEng model: `width` bits (1..64); `poly` the
 * generator without its x^width term, in normal (MSB-first) notation;
 * `init` the register preset, also in normal notation; refin: each input
 * byte is taken least significant bit first; refout: the final register is
 * bit-reversed before xorout is applied. The RevEng catalogue lists every
 * known CRC with these six values. */
typedef struct trawl_crc_params {
    unsigned width;
    uint64_t poly, init;
    bool refin, refout;
    uint64_t xorout;
} trawl_crc_params;

/* The CRC of p[0..n) (p may be NULL when n is 0). Parameters are not
 * checked: width outside 1..64 returns 0. Bitwise, O(8n); allocates
 * nothing. */
TRAWL_API uint64_t trawl_crc_compute(const trawl_crc_params *c, const uint8_t *p, size_t n);

/* Checksum families that recovery knows. */
typedef enum trawl_check_kind {
    TRAWL_CHECK_CRC = 0,  /* crc holds the parameters */
    TRAWL_CHECK_SUM,      /* sum of words mod 2^width, then +init or init-sum */
    TRAWL_CHECK_ONES_SUM, /* 16-bit ones'-complement sum (RFC 1071), maybe inverted */
    TRAWL_CHECK_XOR,      /* XOR of words, XORed with init */
    TRAWL_CHECK_FLETCHER, /* Fletcher-16 (bytes mod 255) or -32 (16-bit words mod 65535) */
    TRAWL_CHECK_ADLER,    /* Adler-32 (bytes mod 65521, sums start at 1 and 0) */
} trawl_check_kind;

#define TRAWL_CHECK_KIND_COUNT 6
/* Bit (1u << kind) for each kind in trawl_check_recover's `kinds`. */
#define TRAWL_CHECK_ALL_KINDS 0x3Fu

/* One recovered checksum algorithm. The value it computes is `width` bits. */
typedef struct trawl_check_algo {
    trawl_check_kind kind;
    unsigned width;       /* bits of the checksum value: 8, 16, 32 (CRC: 1..64) */
    trawl_crc_params crc; /* kind CRC */
    unsigned word;        /* SUM, XOR, FLETCHER: bytes per summed word (1, 2, 4) */
    bool word_le;         /* words are read little endian (word > 1) */
    bool negate;          /* SUM: value = init - sum; ONES_SUM: value = ~(sum +' init) */
    bool swap;            /* FLETCHER, ADLER: the two halves in the other order */
    uint64_t init;        /* SUM, ONES_SUM, XOR: the constant (see kind) */
} trawl_check_algo;

/* The checksum of p[0..n) under a. O(n); allocates nothing. */
TRAWL_API uint64_t trawl_check_compute(const trawl_check_algo *a, const uint8_t *p, size_t n);

/* "crc", "sum", "ones-sum", "xor", "fletcher", "adler"; "unknown" otherwise. */
TRAWL_API const char *trawl_check_kind_name(trawl_check_kind k);

/* Writes a one-line description of a into buf (at most cap bytes, always
 * NUL-terminated when cap > 0), e.g. "crc width=16 poly=0x1021 init=0xffff
 * refin=false refout=false xorout=0x0000" in the catalogue's own notation.
 * Returns the length it needed, as snprintf. */
TRAWL_API int trawl_check_describe(const trawl_check_algo *a, char *buf, size_t cap);

/* A message and the checksum it carries, as a number (the caller has already
 * read it with the right byte order). */
typedef struct trawl_check_sample {
    trawl_span data;
    uint64_t check;
} trawl_check_sample;

/* Recovers an algorithm of the families in `kinds` (a mask of 1u << kind;
 * 0 means all) whose `width`-bit value is s[i].check for every sample.
 *
 * CRC: the polynomial comes from the greatest common divisor of
 * D(x) = (a XOR b)(x)·x^width + (crc(a) XOR crc(b))(x) over pairs of
 * samples of equal length (for each of the four reflection settings), init
 * and xorout from a linear system over GF(2) on all samples; with no
 * equal-length pair and width <= 16, every polynomial is tried instead. At
 * least two samples of one length and two distinct lengths pin init and
 * xorout apart; when several (init, xorout) pairs give the same value for
 * every length, the one with xorout (then init) 0 or all ones is reported.
 * Sums, XOR, Fletcher and Adler are checked in closed form.
 *
 * Returns TRAWL_OK with *found true and *out set when an algorithm matches
 * every sample, TRAWL_OK with *found false when none does, TRAWL_EINVAL
 * (NULL argument, n < 2, width not 1..64). Samples with fewer than 2
 * distinct values cannot tell algorithms apart: found is then false.
 * Cost: O(total bytes) per family, plus for CRC the GCD of the shortest
 * equal-length pairs (O(L^2 / 64) for L-bit messages; pairs longer than 8
 * KiB are not used) or, without pairs, 2^(width-1) candidate polynomials;
 * allocates O(L) temporarily. */
TRAWL_API trawl_status trawl_check_recover(const trawl_check_sample *s, size_t n, unsigned width,
                                           unsigned kinds, trawl_check_algo *out, bool *found,
                                           trawl_error *err);

/* Where a checksum sits in messages that carry one, and what it covers. */
typedef struct trawl_check_place {
    int32_t offset;  /* first byte of the checksum: >= 0 from the start, < 0 from the end */
    unsigned size;   /* bytes: 1, 2, 4 (8 for a 64-bit CRC) */
    bool big_endian; /* byte order of the stored value */
    uint32_t from;   /* coverage starts this many bytes into the message */
    int32_t to;      /* coverage ends before this offset (< 0 from the end; 0 = at the checksum) */
} trawl_check_place;

/* Options for trawl_check_locate; zeros mean the defaults. */
typedef struct trawl_check_locate_opts {
    unsigned sizes;    /* mask of checksum sizes to try: 1 = 1 byte, 2, 4, 8; 0 = 1|2|4 */
    unsigned kinds;    /* as trawl_check_recover; 0 = all */
    unsigned max_skip; /* coverage may start up to this many bytes in; default 8 */
    bool leading_only, trailing_only;
} trawl_check_locate_opts;

/* Finds a checksum at the end of every message (then at the start), of the
 * sizes and byte orders allowed, covering the bytes between `from` and the
 * checksum, and recovers its algorithm (trawl_check_recover). The first
 * place (trailing before leading, larger sizes first, big endian first,
 * smaller skips first) whose algorithm fits every message wins. Messages
 * shorter than the checksum plus the skip are not covered: then that place
 * is not tried. Returns TRAWL_OK with *found, *place and *algo, or
 * TRAWL_EINVAL. Cost: a recovery per place tried. */
TRAWL_API trawl_status trawl_check_locate(const trawl_span *msgs, size_t n,
                                          const trawl_check_locate_opts *o,
                                          trawl_check_place *place, trawl_check_algo *algo,
                                          bool *found, trawl_error *err);

#ifdef __cplusplus
}
#endif
#endif
