/* json.h -- a strict JSON reader for request bodies (internal, trawl__ tier).
 *
 * Why not cJSON for what clients send: cJSON keeps the first of two equal
 * member names (Python, JavaScript and Go keep the last, so the application
 * behind a screening gateway would read the other value), cuts strings at
 * an escaped NUL, and stops at the end of the first value when asked for
 * the end pointer. A screening gateway must read a body exactly as the
 * application behind it will, or refuse it. This reader refuses:
 *   - anything but whitespace after the one top-level value;
 *   - two members of one object with equal names (compared after escapes
 *     are decoded: "a" and "\u0061" are one name);
 *   - invalid UTF-8, escaped lone surrogates, raw control characters in
 *     strings, NaN/Infinity, numbers that overflow a double, leading zeros;
 *   - nesting deeper than TJ_MAX_DEPTH.
 * Every string keeps its full decoded length (an escaped NUL is a byte like
 * any other); each is also NUL-terminated for convenience.
 *
 * Ownership: the document owns every value, name and string in it; they live
 * until trawl__json_free(). Cost: O(n) time; memory about 48 bytes per value
 * plus the decoded strings (never more than the input's length), in blocks. */
#ifndef TRAWL_SRC_COMMON_JSON_H
#define TRAWL_SRC_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <trawl/common.h>

#define TJ_MAX_DEPTH 128

typedef enum tj_type {
    TJ_NULL,
    TJ_FALSE,
    TJ_TRUE,
    TJ_NUMBER,
    TJ_STRING,
    TJ_ARRAY,
    TJ_OBJECT
} tj_type;

typedef struct tj_value tj_value;
struct tj_value {
    tj_type type;
    uint32_t n;      /* elements of an array, members of an object */
    size_t off;      /* byte offset of the value in the document */
    const char *key; /* member name (decoded) when the value is an object member */
    size_t key_len;  /* ... and its length; the name may hold NULs */
    const char *str; /* a string's decoded bytes, NUL-terminated */
    size_t len;      /* its length, NULs included */
    double num;      /* a number's value */
    tj_value *child; /* first element or member */
    tj_value *next;  /* next sibling */
};

typedef struct tj_doc tj_doc;

/* Parses json[0..len) as exactly one JSON value. On error TRAWL_EFORMAT
 * (or TRAWL_ELIMIT for depth and max_values, TRAWL_ENOMEM) with err->offset
 * at the byte where the document stopped being acceptable. max_values
 * bounds the number of values (0: no bound). *out is NULL on error. */
trawl_status trawl__json_parse(const char *json, size_t len, size_t max_values, tj_doc **out,
                               trawl_error *err);
const tj_value *trawl__json_root(const tj_doc *d);
void trawl__json_free(tj_doc *d);

/* The member of obj named key (a C string), or NULL. O(members). */
const tj_value *trawl__json_get(const tj_value *obj, const char *key);
/* Whether a value holds a name equal to the C string s. */
bool trawl__json_key_is(const tj_value *v, const char *s);
/* The length of the longest well-formed UTF-8 prefix of p[0..n) by the
 * reader's rule (RFC 3629): n when all of it is. */
size_t trawl__json_utf8_prefix(const char *p, size_t n);

#endif
