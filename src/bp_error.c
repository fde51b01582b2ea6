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
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    size_t plen = strlen(prefix);
    memcpy(prefix + plen, ": ", 3);
    plen += 2;
    /* Shift the old message right, truncating its tail if need be. */
    size_t old_len = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + old_len > sizeof err->msg - 1)
        old_len = sizeof err->msg - 1 - plen;
    memmove(err->msg + plen, err->msg, old_len);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + old_len] = '\0';
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
