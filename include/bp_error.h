/*
 * bp_error: how every fallible function in backprop reports failure.
 *
 * A function that can fail takes a `struct bp_error *err` as its last
 * argument, and on failure fills it with a code and a one-line
 * "WHERE: WHAT" message and returns -1 (or NULL). It never prints.
 * Only main() prints "backprop: <msg>" and maps the code to an exit status:
 * BP_EUSAGE and BP_EINPUT exit 2, everything else exits 1. BP_EPIPE is
 * not printed, as a tool killed by SIGPIPE says nothing.
 *
 * `err` may be NULL when the caller does not care about the message.
 * The struct holds no pointers; copy it freely.
 */
#ifndef BP_ERROR_H
#define BP_ERROR_H

enum bp_error_code {
    BP_OK = 0,
    BP_EUSAGE,    /* bad command line */
    BP_EINPUT,    /* bad config, CSV or weights file */
    BP_EIO,       /* reading or writing failed */
    BP_ENUMERIC,  /* training diverged to NaN/Inf */
    BP_ENOMEM,    /* out of memory */
    BP_EINTERRUPTED, /* a signal stopped the run */
    BP_EPIPE,     /* stdout's reader went away (`| head`): exit 1, no message */
    BP_EINTERNAL  /* a bug: an invariant did not hold */
};

#define BP_ERROR_MAX 768

struct bp_error {
    enum bp_error_code code;
    char msg[BP_ERROR_MAX];
};

/* Fills err (when non-NULL) with code and a printf-formatted message.
 * Always returns -1 so callers can `return bp_error_set(...)`. */
int bp_error_set(struct bp_error *err, enum bp_error_code code,
                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an already-set message (for adding a file name
 * or a config key as the error travels up). Returns -1. */
int bp_error_prefix(struct bp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit status main() uses for this error: 2 for usage and input
 * errors, 1 for everything else, 0 for BP_OK. */
int bp_error_exit_status(const struct bp_error *err);

#endif
