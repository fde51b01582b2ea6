/*
 * table_reader: PRIVATE to the table module (table.c, table_parts.c,
 * table_reader.c); nothing else includes it. table.h is the public
 * contract.
 *
 * A struct reader is the libcsv callback context of one text (a whole
 * file, or one part of a read in parts): it turns fields into cells of a
 * row-major float matrix, counts lines itself (libcsv 3.0.3 reports no
 * positions) and words every error as "NAME:LINE:COL: WHAT" in *err.
 *
 * Call order: reader_start, csv_init(p, TABLE_CSV_OPTIONS), optionally
 * reader_reserve_cells, reader_check_head on the first bytes (skipping
 * the BOM it reports), reader_feed for the rest in any chunks, then
 * reader_finish (or reader_end_text for a part that hands no table over),
 * csv_free(p) and reader_free. After an error (-1) feed nothing more.
 * Ownership: the reader owns cells, row_line, wraps and header until
 * reader_finish hands them to a struct table, except a `fixed` reader's
 * cells and row_line, which are borrowed (table_parts.c).
 */
#ifndef TABLE_READER_H
#define TABLE_READER_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bp_error.h"
#include "table.h"

/* Long enough that a file of ordinary rows costs few csv_parse calls,
 * short enough to sit in L2. */
#define TABLE_CHUNK_SIZE ((size_t)64 * 1024)

#define TABLE_CSV_OPTIONS \
    (CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL)

/* The distinct texts of TABLE_TEXT cells, each with its id (its index in
 * str), found again by hash. */
struct text_pool {
    char **str;             /* [n] NUL-terminated copies */
    size_t n, cap;
    uint32_t *slot;         /* [n_slots] ids, UINT32_MAX empty; a power
                             * of two, at most half full */
    size_t n_slots;
};

/* Sets *id to the id of s[0..len), adding it when new. 0, or -1 when out
 * of memory (or past 2^32 - 2 texts). */
int text_pool_intern(struct text_pool *p, const char *s, size_t len,
                     uint32_t *id);
void text_pool_free(struct text_pool *p);

/* The callback context: what has been read so far and where we are. */
struct reader {
    const char *name;
    bool want_header;
    size_t expected_cols;   /* 0: any */
    struct bp_error *err;
    bool failed;            /* an error is set; ignore further callbacks */

    size_t line;            /* 1-based line the parser has reached */
    size_t field;           /* fields seen so far in the current record */
    size_t record_line;     /* line the current record starts on */
    bool prev_was_cr_end;   /* the last callback was a record end by CR */

    bool header_done;
    char **header;          /* [n_header], names */
    size_t n_header, header_cap;
    size_t header_line;

    size_t n_cols;          /* 0 until the first record ends */
    float *cells;           /* [n_cells], row-major */
    size_t n_cells, cells_cap;
    size_t *row_line;       /* [n_rows] */
    size_t n_rows, rows_cap;
    struct table_wrap *wraps; /* [n_wraps] quoted fields of data rows
                               * that span lines (table_cell_line) */
    size_t n_wraps, wraps_cap;

    /* In a parallel read: cells and row_line are a borrowed region of the
     * shared matrix, sized to fit (count_part), which must never move. */
    bool fixed;
    size_t lf_ends;         /* unquoted LFs reported so far */

    /* With a layout (table.h): the columns' kinds, decided when the
     * column count is known (owned by the first reader, borrowed by the
     * parts), and the texts of TABLE_TEXT cells. Without a header, the
     * first record's fields wait in `first` until the kinds are known. */
    const struct table_layout *layout;
    unsigned char *kind;    /* [n_cols], or NULL: every column a number */
    bool own_kind;
    bool na_numeric;        /* an NA value reads as a number: test first */
    unsigned char *fast;    /* [n_cols] 1: on_field's fast path may take a
                             * small whole number (set with n_cols; owned
                             * like kind) */
    bool own_fast;
    struct text_pool pool;
    char **first;           /* [n_first] the first record, no header */
    size_t n_first, first_cap;
    size_t *first_line;     /* [n_first] the line each field starts on */
};

/* A reader at the start of a text: line 1, nothing read yet. `name`
 * (NULL: "<input>") and `err` are borrowed for the reader's life. */
struct reader reader_start(const char *name, bool header,
                           size_t expected_cols,
                           const struct table_layout *layout,
                           struct bp_error *err);

/* Frees what the reader owns. Not for a fixed reader (table_parts.c),
 * whose cells and row_line are borrowed. */
void reader_free(struct reader *r);

/* Marks the reader failed with "NAME: out of memory" (BP_ENOMEM). */
void reader_nomem(struct reader *r);

/* Reserves the matrix for a regular file of `bytes` (0: nothing, it grows
 * as it goes); a failed reservation is no error. */
void reader_reserve_cells(struct reader *r, uintmax_t bytes);

/* Size of f when it is a non-empty regular file, else 0. */
uintmax_t reader_file_size(FILE *f);

/* The first n (at most 3) bytes of the text: -1 for UTF-16 or gzip, which
 * are plainly not CSV text; else 0 with *skip the length of a UTF-8 BOM
 * (3) or 0. Feeds nothing. */
int reader_check_head(struct reader *r, const unsigned char *head,
                      size_t n, size_t *skip);

/* Feeds s[0..n) to p; a NUL byte is an error at its field. 0 or -1. */
int reader_feed(struct reader *r, struct csv_parser *p,
                const unsigned char *s, size_t n);

/* Reads the whole lines at the start of s[0..n) that libcsv would split
 * into fields exactly as they stand in the text (no quote, NUL or lone
 * CR, no blank at a field's ends), each ended by an LF or a CRLF, n_cols
 * fields each: the bulk of a large table. It makes libcsv's callbacks
 * itself, with the
 * same bytes, so cells, texts, line numbers and errors are the same; only
 * libcsv's byte-by-byte copy of every field (most of a load) is saved.
 * Only where the parser holds nothing: after the header or the first
 * record, or right after an LF outside quotes (the parser's state is then
 * the same after these lines as if it had read them). Sets *taken to the
 * bytes read (it stops at the first line that is anything else, which the
 * caller hands to libcsv). 0, or -1 when a cell was an error. */
int reader_take_plain_lines(struct reader *r, const unsigned char *s,
                            size_t n, size_t *taken);

/* One step through s[0..n), which continues the text fed so far: where
 * *boundary says libcsv holds nothing, the plain lines at its start
 * (reader_take_plain_lines); when there are none, one line through libcsv
 * (up to and with its LF, within the first line_max bytes; or all of
 * those). Sets *taken to the bytes read (at least one when n > 0), and
 * *boundary to whether libcsv holds nothing after them: true when it has
 * just reported the LF it was fed last, which then lay outside quotes.
 * 0, or -1 when the text is in error. */
int reader_feed_step(struct reader *r, struct csv_parser *p,
                     const unsigned char *s, size_t n, size_t line_max,
                     bool *boundary, size_t *taken);

/* The end of the text: csv_fini ends the record in progress (an open
 * quote is an error). 0, or -1 when it or anything before it failed. */
int reader_end_text(struct reader *r, struct csv_parser *p);

/* reader_end_text, then: no data rows is an error (`empty`: the text had
 * no byte at all, which the message says); else hands the matrix, row
 * lines and header over to *t (the reader keeps nothing). 0 or -1. */
int reader_finish(struct reader *r, struct csv_parser *p, bool empty,
                  struct table *t);

/* Hands the rows read so far to *t as a view (nothing is copied or given
 * away: valid until the next feed), for table_stream. */
void reader_view(const struct reader *r, struct table *t);

/* Forgets the whole rows read so far, keeping the record in progress
 * (moved to the front) and the header, kinds and line count; the texts
 * are forgotten too. After reader_view's block has been used. */
void reader_drop_rows(struct reader *r);

/* Renumbers the text ids of rows [row0, row0 + n) read by `part` into
 * first's pool (a part of a read in parts has its own pool). 0 or -1. */
int reader_adopt_texts(struct reader *first, const struct reader *part,
                       size_t row0, size_t n);

/* The readers behind table.h's front doors, with every option. */
int table_read_chunked_with(struct table *t, FILE *f,
                            const struct table_options *o, size_t chunk_size,
                            struct bp_error *err);
int table_read_parts_with(struct table *t, FILE *f,
                          const struct table_options *o, size_t parts,
                          size_t *pieces, struct bp_error *err);

#endif
