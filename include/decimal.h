/*
 * decimal: the text of one CSV cell to the float strtof would give in the
 * C locale, accepting only decimal notation
 * ([+-]digits[.digits][(e|E)[+-]digits], also ".5" and "5."): no hex, no
 * inf or nan, no surrounding space, no trailing garbage.
 *
 * Pure functions: no I/O, no global state; decimal_to_float allocates only
 * for a cell longer than 127 bytes, and frees it before returning. Cells
 * are not promised to be NUL-terminated: `len` is the cell's length.
 * The CSV reader (table.h) is the caller; it words the messages.
 */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stddef.h>

/* Why a cell is not a float; decimal_error_text names each. */
enum decimal_error {
    DECIMAL_EMPTY = 1,   /* "empty cell" */
    DECIMAL_NOT_NUMBER,  /* "expected a number" */
    DECIMAL_NOT_FINITE,  /* "not a finite number": nan, inf, infinity */
    DECIMAL_RANGE,       /* "out of float range": overflow (underflow to
                          * a subnormal or zero is accepted, as numpy
                          * accepts it) */
    DECIMAL_NOMEM,       /* "out of memory" copying a long cell */
};

/* Returns 0 and sets *out, or -1 and sets *why (when not NULL). */
int decimal_to_float(const char *s, size_t len, float *out,
                     enum decimal_error *why);

/* The reason's words, as listed above: a static string. */
const char *decimal_error_text(enum decimal_error e);

/* A cell of one to four plain digits (pixel values, counts, labels: most
 * cells of large files) as its exact float, or -1. Inline, because the
 * CSV reader calls it on nearly every cell before anything else. */
static inline float decimal_small_whole(const unsigned char *s, size_t len)
{
    if (len == 0 || len > 4)
        return -1.0f;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)s[i] - '0';
        if (d > 9)
            return -1.0f;
        v = v * 10 + d;
    }
    return (float)v;
}

#endif
