/*
 * table: a CSV file of numbers read into one contiguous float matrix
 * (SPEC section 5). This is the only module that uses libcsv.
 *
 * Accepted: RFC 4180 quoting, LF / CRLF / lone CR line ends, a missing final
 * newline, a UTF-8 byte-order mark, blank lines (skipped), spaces or tabs
 * around a number (quoted or not). Numbers are read in the C locale's format
 * (decimal point) whatever the process locale.
 *
 * Rejected with BP_EINPUT and "NAME:LINE:COL: WHAT" (1-based; COL is the
 * field's number): ragged rows, empty cells, anything that is not a
 * decimal number (including hex floats), NaN and Inf, numbers that
 * overflow float, bad quoting, a file with no data rows, and (when
 * expected_cols is non-zero) a column count other than expected_cols.
 *
 * The reader streams: it feeds fixed-size chunks of `f` to libcsv and
 * writes each cell straight into the matrix, never holding the whole text.
 */
#ifndef TABLE_H
#define TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bp_error.h"

struct table {
    size_t n_rows;
    size_t n_cols;
    float *cells;      /* [n_rows][n_cols], row-major */
    size_t *row_line;  /* [n_rows]: the line each row starts on */
    char **header;     /* [n_cols] column names, or NULL without a header */
    size_t header_line; /* line of the header (0 without one) */
};

/* Reads all of `f` (not closed here). `name` is used in messages.
 * With `header`, the first non-blank record holds column names (any text).
 * On failure returns -1, fills err and leaves *t zeroed. */
int table_read(struct table *t, FILE *f, const char *name, bool header,
               size_t expected_cols, struct bp_error *err);

/* table_read with libcsv fed `chunk_size` bytes at a time (0: the
 * default, 64 KiB). Results never depend on it; tests feed every size to
 * prove that. */
int table_read_chunked(struct table *t, FILE *f, const char *name,
                       bool header, size_t expected_cols, size_t chunk_size,
                       struct bp_error *err);

/* Index of the column named `name`, or -1 (also without a header). */
long table_column(const struct table *t, const char *name);

/* Parses one CSV cell as a float exactly as strtof would in the C locale,
 * accepting only decimal notation ([+-]digits[.digits][(e|E)[+-]digits],
 * also ".5" and "5."). Returns 0 and sets *out, or -1 with a reason
 * ("empty cell", "expected a number", "not a finite number",
 * "out of float range") in *why. `len` excludes any terminator. */
int table_parse_float(const char *s, size_t len, float *out,
                      const char **why);

void table_free(struct table *t);

#endif
