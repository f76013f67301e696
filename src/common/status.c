/* status.c -- names and messages of status codes, generated from the one
 * table in common.h so that they cannot drift apart. */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define NAME(name, msg) "TRAWL_" #name,
    TRAWL_STATUS_MAP(NAME)
#undef NAME
};

static const char *const status_messages[] = {
#define MSG(name, msg) msg,
    TRAWL_STATUS_MAP(MSG)
#undef MSG
};

const char *trawl_status_name(trawl_status s)
{
    if ((unsigned)s >= TRAWL_STATUS_COUNT_)
        return "TRAWL_E?";
    return status_names[s];
}

const char *trawl_status_message(trawl_status s)
{
    if ((unsigned)s >= TRAWL_STATUS_COUNT_)
        return "unknown status";
    return status_messages[s];
}

void trawl_error_clear(trawl_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    err->offset = -1;
    err->index = -1;
}

const char *trawl_version(void)
{
    return TRAWL_VERSION_STRING;
}

trawl_status trawl__fail(trawl_error *err, trawl_status s, const char *fmt, ...)
{
    if (!err)
        return s;
    err->status = s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return s;
}

trawl_status trawl__fail_at(trawl_error *err, trawl_status s, int64_t offset, int64_t index,
                            const char *fmt, ...)
{
    if (!err)
        return s;
    err->status = s;
    err->offset = offset;
    err->index = index;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return s;
}
