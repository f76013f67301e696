/* trawl/common.h -- what every trawl module shares: status codes, the error
 * detail record, byte spans and the version.
 *
 * Ownership, once for the whole library: the caller owns what it passes in;
 * the library owns what it returns until the matching _free(). Spans handed
 * out by iterators and scanners point into the caller's buffer and live as
 * long as it does. _free(NULL) is always harmless.
 *
 * Every fallible function returns a trawl_status and, when given a non-NULL
 * trawl_error *, fills it with a message and, where it applies, the byte
 * offset in the input, the index of the pattern/record, and the line and
 * column in the pattern or rule file. The library never prints, never exits.
 */
#ifndef TRAWL_COMMON_H
#define TRAWL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TRAWL_BUILDING) && defined(__GNUC__)
#define TRAWL_API __attribute__((visibility("default")))
#else
#define TRAWL_API
#endif

#define TRAWL_VERSION_MAJOR  0
#define TRAWL_VERSION_MINOR  1
#define TRAWL_VERSION_PATCH  0
#define TRAWL_VERSION_STRING "0.1.0"

/* The one error space. Append only: a code, once released, keeps its number
 * and its meaning. X(NAME, message). */
#define TRAWL_STATUS_MAP(X)                                                                        \
    X(OK, "ok")                                                                                    \
    X(ENOMEM, "out of memory")                                                                     \
    X(EINVAL, "invalid argument")                                                                  \
    X(ESYNTAX, "syntax error")                                                                     \
    X(EUNSUPPORTED, "unsupported construct")                                                       \
    X(ELIMIT, "limit exceeded")                                                                    \
    X(EIO, "input/output error")                                                                   \
    X(EFORMAT, "malformed input")                                                                  \
    X(EVERSION, "version or platform mismatch")                                                    \
    X(EENGINE, "pattern engine error")                                                             \
    X(ETRUNCATED, "truncated input")                                                               \
    X(ESTOPPED, "stopped by callback")                                                             \
    X(ESTATE, "object used in the wrong state")

typedef enum trawl_status {
#define TRAWL_STATUS_ENUM(name, msg) TRAWL_##name,
    TRAWL_STATUS_MAP(TRAWL_STATUS_ENUM)
#undef TRAWL_STATUS_ENUM
        TRAWL_STATUS_COUNT_
} trawl_status;

/* Detail of a failure. Fields that do not apply are -1 (offset, index) or 0
 * (line, column). line and column are 1-based. */
typedef struct trawl_error {
    trawl_status status;
    int64_t offset; /* byte offset in the input data */
    int64_t index;  /* pattern index, record index */
    int line;       /* line in a rule file */
    int column;     /* column in a pattern or rule line */
    char message[256];
} trawl_error;

/* A view of bytes owned by someone else. */
typedef struct trawl_span {
    const uint8_t *ptr;
    size_t len;
} trawl_span;

/* "TRAWL_ESYNTAX" for TRAWL_ESYNTAX; "TRAWL_E?" for an unknown code. */
TRAWL_API const char *trawl_status_name(trawl_status s);
/* "syntax error" for TRAWL_ESYNTAX. Never NULL. */
TRAWL_API const char *trawl_status_message(trawl_status s);
/* Resets *err to "no error" (status OK, offset/index -1, empty message). */
TRAWL_API void trawl_error_clear(trawl_error *err);
/* The library's version string, e.g. "0.1.0". */
TRAWL_API const char *trawl_version(void);

#ifdef __cplusplus
}
#endif
#endif
