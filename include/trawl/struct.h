/* trawl/struct.h -- a small struct-format language for reading fixed-layout
 * binary headers, in the spirit of Python's `struct` module.
 *
 * Grammar: an optional byte-order prefix, then items, spaces ignored.
 *
 *   prefix  '<' little endian   '>' or '!' big endian   '=' or '@' native
 *           (no prefix = native; there is never any alignment padding)
 *   item    [count] code
 *   code    x  pad byte (no value)      b/B  int8 / uint8
 *           h/H  int16 / uint16         i/I  int32 / uint32
 *           q/Q  int64 / uint64         s    byte string of `count` bytes
 *
 * A count repeats the code (`3H` = three uint16 values), except for `s`,
 * where it is the string length (`4s` = one 4-byte string; `0s` is allowed
 * and yields an empty span). Examples: `>H`, `<IHH`, `>HxxB4s`.
 *
 * A compiled trawl_struct is immutable and may be shared across threads.
 * Values of `s` fields are spans into the caller's buffer (zero-copy).
 */
#ifndef TRAWL_STRUCT_H
#define TRAWL_STRUCT_H

#include <stdbool.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits that keep a hostile format string from costing much. */
#define TRAWL_STRUCT_MAX_FIELDS 256   /* values a format may produce */
#define TRAWL_STRUCT_MAX_SIZE   65536 /* bytes a format may describe */

typedef struct trawl_struct trawl_struct;

/* One unpacked value. code is the format character ('B', 'h', 's', ...). */
typedef struct trawl_struct_value {
    char code;
    uint32_t offset; /* byte offset of the field inside the header */
    uint32_t size;   /* bytes it occupies */
    union {
        int64_t i;    /* signed codes b h i q */
        uint64_t u;   /* unsigned codes B H I Q */
        trawl_span s; /* code s: points into the unpacked buffer */
    } v;
} trawl_struct_value;

/* Compiles fmt into *out. Errors: TRAWL_EINVAL (NULL argument),
 * TRAWL_ESYNTAX (err->column is the 1-based column of the offending
 * character), TRAWL_ELIMIT (more than TRAWL_STRUCT_MAX_FIELDS values or
 * TRAWL_STRUCT_MAX_SIZE bytes), TRAWL_ENOMEM. On failure *out is NULL.
 * O(len(fmt) + fields); allocates one block, freed by trawl_struct_free. */
TRAWL_API trawl_status trawl_struct_compile(const char *fmt, trawl_struct **out, trawl_error *err);
/* Frees a compiled format. NULL is harmless. */
TRAWL_API void trawl_struct_free(trawl_struct *s);

/* Bytes the layout occupies (sum of all items, pads included). O(1). */
TRAWL_API size_t trawl_struct_size(const trawl_struct *s);
/* Number of values unpack produces (pads produce none). O(1). */
TRAWL_API size_t trawl_struct_count(const trawl_struct *s);
/* The code of value i ('H', 's', ...) or 0 when i is out of range. O(1). */
TRAWL_API char trawl_struct_code(const trawl_struct *s, size_t i);

/* Unpacks the first trawl_struct_size(s) bytes of p[0..n) into
 * vals[0..trawl_struct_count(s)). Errors: TRAWL_EINVAL (NULL argument or
 * nvals too small), TRAWL_ETRUNCATED (n shorter than the layout; err->offset
 * is n, the first missing byte). Allocates nothing; O(fields). */
TRAWL_API trawl_status trawl_struct_unpack(const trawl_struct *s, const uint8_t *p, size_t n,
                                           trawl_struct_value *vals, size_t nvals,
                                           trawl_error *err);

/* Reads value i alone (no need to unpack the others): true and *out set, or
 * false when i is out of range or n is shorter than the layout. Allocates
 * nothing; O(1). */
TRAWL_API bool trawl_struct_get(const trawl_struct *s, size_t i, const uint8_t *p, size_t n,
                                trawl_struct_value *out);

#ifdef __cplusplus
}
#endif
#endif
