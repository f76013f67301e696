/* prompt_injection/decode.h -- finding and decoding encoded runs inside a
 * prompt (base64, hex, \xNN escapes, URL percent-encoding), so that the
 * prompt-injection rules can be run over what was hidden. Internal to
 * src/detect/.
 *
 * Everything is bounded by the caller: at most max_runs runs are reported,
 * a decoded run is cut at the output capacity, and nothing is allocated. */
#ifndef TRAWL_DETECT_PI_DECODE_H
#define TRAWL_DETECT_PI_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum pi_enc {
    PI_ENC_NONE = 0,
    PI_ENC_BASE64, /* [A-Za-z0-9+/] (or -_), optional '=' padding, >= 12 symbols */
    PI_ENC_HEX,    /* [0-9A-Fa-f], even count, >= 16 digits; base64 is tried when not text */
    PI_ENC_ESCHEX, /* \xNN escapes, >= 8 of them in one token */
    PI_ENC_URL     /* a token with >= 3 %XX escapes */
} pi_enc;

typedef struct pi_run {
    pi_enc kind;
    size_t off; /* in the searched text */
    size_t len;
} pi_run;

/* "base64", "hex", "hex-escape", "url", "none". */
const char *pi_enc_name(pi_enc e);

/* Finds candidate runs in s[0..n), left to right, non-overlapping. Writes at
 * most max_runs into runs; returns how many were written. O(n). */
size_t pi_find_runs(const uint8_t *s, size_t n, pi_run *runs, size_t max_runs);

/* Decodes run r of s as kind into out[0..cap). Returns the decoded length
 * (cut at cap). O(r.len). */
size_t pi_decode_run(const uint8_t *s, const pi_run *r, pi_enc kind, uint8_t *out, size_t cap);

/* True when p[0..n) reads as text: valid UTF-8 (a sequence cut at the end is
 * allowed), no control bytes but \t \n \r, and at least 4 ASCII letters
 * making up at least half of the bytes that are ASCII. */
int pi_is_text(const uint8_t *p, size_t n);

#endif
