/* bp_error: filling and prefixing the error record. See bp_error.h. */
#include "bp_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bp_error_set(struct bp_error *err, enum bp_error_code code,
                 const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int bp_error_prefix(struct bp_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[BP_ERROR_MAX];
    char old[BP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return -1;
}

int bp_error_exit_status(const struct bp_error *err)
{
    switch (err->code) {
    case BP_OK:
        return 0;
    case BP_EUSAGE:
    case BP_EINPUT:
        return 2;
    default:
        return 1;
    }
}
