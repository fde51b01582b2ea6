/*
 * Helpers shared by the libFuzzer targets (see README.md in this folder).
 * Header-only so that each target stays one translation unit.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_error.h"

/* An oracle failed: say what and abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...)                                              \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz check failed: %s (%s:%d): ", #cond,     \
                    __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* What every failure must look like (bp_error.h, SPEC section 2): a code,
 * and a non-empty message on one line. */
static inline void fuzz_check_error(const struct bp_error *err)
{
    FUZZ_CHECK(err->code != BP_OK, "failure without an error code");
    FUZZ_CHECK(err->code != BP_EINTERNAL, "internal error: %s", err->msg);
    FUZZ_CHECK(err->msg[0] != '\0', "failure with an empty message");
    FUZZ_CHECK(strpbrk(err->msg, "\n\r") == NULL,
               "message is not one line: %s", err->msg);
}

#endif
