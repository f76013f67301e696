/* error.h -- internal helpers for filling a trawl_error. Internal across
 * files: the trawl__ prefix, never exported. */
#ifndef TRAWL_SRC_COMMON_ERROR_H
#define TRAWL_SRC_COMMON_ERROR_H

#include <trawl/common.h>

#if defined(__GNUC__)
#define TRAWL__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TRAWL__PRINTF(a, b)
#endif

/* Sets err->status and err->message (when err is not NULL); returns s so a
 * caller can write `return trawl__fail(err, TRAWL_EINVAL, "...")`. Leaves the
 * position fields as they were. */
trawl_status trawl__fail(trawl_error *err, trawl_status s, const char *fmt, ...)
    TRAWL__PRINTF(3, 4);
/* The same, and sets the byte offset and the record/pattern index. */
trawl_status trawl__fail_at(trawl_error *err, trawl_status s, int64_t offset, int64_t index,
                            const char *fmt, ...) TRAWL__PRINTF(5, 6);

#endif
