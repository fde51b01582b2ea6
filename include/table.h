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
 * Two ways to the same result (same cells bit for bit, row lines, header,
 * message and code on failure):
 *  - Streaming, for standard input, pipes, small files and one thread:
 *    fixed-size chunks of `f` go to one libcsv parser, which writes each
 *    cell straight into the matrix, never holding the whole text.
 *  - In parts, for a regular file of at least 4 MiB read with threads > 1:
 *    the rest of the file is mapped (mmap; a file truncated by another
 *    process while it is read raises SIGBUS). The first lines go through
 *    one parser until the column count is known (header, or first data
 *    row). If the text after them holds no '"' byte, every LF in it ends a
 *    line, so it is cut at LFs into one piece per thread, and each piece
 *    has its own libcsv parser in an OpenMP team writing its own region
 *    of the matrix (each thread first-touches its own pages). Otherwise
 *    that parser reads on serially. When pieces fail, the earliest one's
 *    error is the one reported, worded with the real line numbers, as the
 *    streaming reader would have stopped there.
 */
#ifndef TABLE_H
#define TABLE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bp_error.h"

/* How a column's cells are read (struct table_layout). */
enum table_kind {
    TABLE_NUMBER, /* a float; a missing cell is TABLE_MISSING */
    TABLE_TEXT,   /* any text, kept as an id into the table's `text` */
    TABLE_SKIP,   /* not looked at: any bytes, stored as 0 */
    TABLE_RAW,    /* text as written, no missing marks (predict --keep) */
};

/* A missing number: the only NaN a table holds (NaN text is refused). */
#define TABLE_MISSING NAN
/* The text id of a missing cell in a TABLE_TEXT column. */
#define TABLE_NO_TEXT UINT32_MAX

/* How to read the columns of a real-world table (SPEC section 5a); NULL
 * reads every column as a number, as plain numeric files always were. */
struct table_layout {
    /* Called once, when the column count is known: after the header
     * (names: the header's n_cols names) or, without one, after the first
     * row (names NULL); `line` is that record's. Fills kind[0..n_cols) with enum table_kind values
     * (all TABLE_NUMBER on entry). Returns 0, or -1 with err filled: the
     * read stops with that error. */
    int (*decide)(void *ctx, char *const *names, size_t n_cols,
                  size_t line, unsigned char *kind, struct bp_error *err);
    void *ctx;
    /* A cell that, trimmed of spaces and tabs, is one of these is missing
     * (in TABLE_NUMBER and TABLE_TEXT columns). */
    const char *const *na_values;
    size_t n_na_values;
    /* Missing cells are refused: "NAME:LINE:COL: missing value in column
     * \"COLNAME\"" (or "column N" without a header). */
    bool missing_is_error;
};

/* A record whose quoted field holds line ends: the fields after field
 * `col` (1-based) of the record that starts on `line` start `lines`
 * lines further down. */
struct table_wrap {
    size_t line;
    size_t col;
    size_t lines;
};

struct table {
    size_t n_rows;
    size_t n_cols;
    float *cells;      /* [n_rows][n_cols], row-major; a TABLE_TEXT cell
                        * holds its uint32_t text id's bits (table_text) */
    size_t *row_line;  /* [n_rows]: the line each row starts on */
    char **header;     /* [n_cols] column names, or NULL without a header */
    size_t header_line; /* line of the header (0 without one) */
    unsigned char *kind; /* [n_cols] enum table_kind, or NULL: all numbers */
    char **text;       /* [n_text] distinct texts of TABLE_TEXT cells */
    size_t n_text;
    /* [n_wraps] the quoted fields that span lines, in file order (none
     * in most files): what table_cell_line adds to a row's line. */
    struct table_wrap *wraps;
    size_t n_wraps;
};

/* Reads all of `f` (not closed here), from its position to the end.
 * `name` is used in messages. With `header`, the first non-blank record
 * holds column names (any text). `threads` (the user's --threads) bounds
 * the OpenMP team of a read in parts; with 1 the read streams and starts
 * no OpenMP region. On failure returns -1, fills err and leaves *t zeroed.
 */
int table_read(struct table *t, FILE *f, const char *name, bool header,
               size_t expected_cols, int threads, struct bp_error *err);

/* The streaming reader with libcsv fed `chunk_size` bytes at a time (0:
 * the default, 64 KiB). Results never depend on it; tests feed every size
 * to prove that. */
int table_read_chunked(struct table *t, FILE *f, const char *name,
                       bool header, size_t expected_cols, size_t chunk_size,
                       struct bp_error *err);

/* The read in parts with the text after the first lines cut into at most
 * `parts` pieces whatever the file's size (fewer when it has fewer
 * lines), parsed by at most `threads` threads; parts 0 is table_read's
 * choice. `f` must be a regular file, or this is the streaming reader.
 * *pieces (when not NULL) is set to how many pieces were parsed at once,
 * 1 when the read was serial (streaming, a quote after the first lines,
 * one line left). Results never depend on parts or threads; tests try
 * many of both to prove that, and check *pieces to know they did. */
int table_read_parts(struct table *t, FILE *f, const char *name,
                     bool header, size_t expected_cols, size_t parts,
                     int threads, size_t *pieces, struct bp_error *err);

/* The options of table_read_with; zero-initialised fields take the
 * defaults shown. */
struct table_options {
    const char *name;       /* for messages ("<input>") */
    bool header;            /* the first record holds names */
    size_t expected_cols;   /* 0: any */
    int threads;            /* as table_read's; < 1 means 1 */
    const struct table_layout *layout; /* NULL: all numbers */
    /* For tests, which prove results never depend on them: a streaming
     * read fed chunk_size bytes at a time (table_read_chunked), or a
     * read in `parts` pieces (table_read_parts); 0: table_read's way. */
    size_t chunk_size;
    size_t parts;
};

/* table_read with a layout: the same reader, both ways (streaming or in
 * parts), the same messages. */
int table_read_with(struct table *t, FILE *f, const struct table_options *o,
                    struct bp_error *err);

/* Reads f (not closed here) as a stream of row blocks, for predict and
 * eval, whose memory must not grow with the file: `on_block` is called
 * with a table of at most `block_rows` rows (header, kinds and text ids
 * valid during the call only; row_line absolute), in order, and also as
 * soon as a read of the input returns with whole rows pending, so a row
 * from a pipe is handed over as soon as it has arrived. on_block returns
 * 0 or -1 (err filled) to stop. A file with no data rows is the same
 * error as for table_read. Text ids are numbered afresh in every block. */
int table_stream(FILE *f, const struct table_options *o, size_t block_rows,
                 int (*on_block)(void *ctx, const struct table *block),
                 void *ctx, struct bp_error *err);

/* The text of a TABLE_TEXT cell, or NULL when it is missing. */
const char *table_text(const struct table *t, size_t row, size_t col);

/* The line cell (row, col) (0-based col) starts on, for messages: its
 * row's line plus the line ends of the quoted fields before it in its
 * record. */
size_t table_cell_line(const struct table *t, size_t row, size_t col);

/* The same from a row's line and the wraps of its table, for callers
 * that keep them past the table (dataset.h). */
size_t table_wrap_line(const struct table_wrap *wraps, size_t n_wraps,
                       size_t line, size_t col);

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
