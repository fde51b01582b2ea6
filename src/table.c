/*
 * table: a CSV file of numbers read into one row-major float matrix
 * (table.h). This file is the front door: the streaming read, fixed-size
 * chunks of a FILE* fed to one libcsv parser, and the small public
 * helpers. The callbacks that turn fields into cells are table_reader.c's
 * (shared with the read in parts, table_parts.c), the conversion of a
 * cell to a float is decimal.c's.
 *
 * What this module is not: it knows nothing about labels or features
 * (dataset.c maps columns), and it never prints.
 */
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decimal.h"
#include "table_reader.h"

static int read_error(struct reader *r)
{
    int e = errno;
    /* A folder opens but cannot be read: bad input, as in file_text.c. */
    return bp_error_set(r->err, e == EISDIR ? BP_EINPUT : BP_EIO,
                        "%s: cannot read: %s", r->name, strerror(e));
}

static int feed_start(struct reader *r, struct csv_parser *p, FILE *f,
                      bool *empty)
{
    unsigned char head[3];
    size_t n = fread(head, 1, sizeof head, f);
    if (n < sizeof head && ferror(f))
        return read_error(r);
    *empty = n == 0;
    size_t skip;
    if (reader_check_head(r, head, n, &skip) != 0)
        return -1;
    return reader_feed(r, p, head + skip, n - skip);
}

int table_read_chunked_with(struct table *t, FILE *f,
                            const struct table_options *o, size_t chunk_size,
                            struct bp_error *err)
{
    struct reader r = reader_start(o->name, o->header, o->expected_cols,
                                   o->layout, err);
    struct csv_parser p;
    bool parser_ready = false;
    unsigned char *buf = NULL;
    bool empty = false;

    memset(t, 0, sizeof *t);
    if (chunk_size == 0)
        chunk_size = TABLE_CHUNK_SIZE;
    if (csv_init(&p, TABLE_CSV_OPTIONS) != 0) {
        reader_nomem(&r);
        goto fail;
    }
    parser_ready = true;
    buf = malloc(chunk_size);
    if (!buf) {
        reader_nomem(&r);
        goto fail;
    }
    reader_reserve_cells(&r, reader_file_size(f));

    if (feed_start(&r, &p, f, &empty) != 0)
        goto fail;
    for (;;) {
        size_t n = fread(buf, 1, chunk_size, f);
        if (n > 0 && reader_feed(&r, &p, buf, n) != 0)
            goto fail;
        if (n < chunk_size) {
            if (ferror(f)) {
                read_error(&r);
                goto fail;
            }
            if (feof(f))
                break;
        }
    }
    if (reader_finish(&r, &p, empty, t) != 0)
        goto fail;
    csv_free(&p);
    free(buf);
    return 0;

fail:
    if (parser_ready)
        csv_free(&p);
    free(buf);
    reader_free(&r);
    memset(t, 0, sizeof *t);
    return -1;
}

int table_read_chunked(struct table *t, FILE *f, const char *name,
                       bool header, size_t expected_cols, size_t chunk_size,
                       struct bp_error *err)
{
    struct table_options o = {.name = name, .header = header,
                              .expected_cols = expected_cols};
    return table_read_chunked_with(t, f, &o, chunk_size, err);
}

int table_read(struct table *t, FILE *f, const char *name, bool header,
               size_t expected_cols, int threads, struct bp_error *err)
{
    struct table_options o = {.name = name, .header = header,
                              .expected_cols = expected_cols,
                              .threads = threads};
    return table_read_parts_with(t, f, &o, 0, NULL, err);
}

int table_read_with(struct table *t, FILE *f, const struct table_options *o,
                    struct bp_error *err)
{
    if (o->chunk_size)
        return table_read_chunked_with(t, f, o, o->chunk_size, err);
    return table_read_parts_with(t, f, o, o->parts, NULL, err);
}

/* Reads what the descriptor has, up to n bytes: as soon as any has
 * arrived, not when n have (fread would wait for a pipe to fill the
 * buffer, holding back rows that are already there). */
static ssize_t read_some(int fd, unsigned char *buf, size_t n)
{
    for (;;) {
        ssize_t got = read(fd, buf, n);
        if (got >= 0 || errno != EINTR)
            return got;
    }
}

/* Hands the whole rows read so far to on_block, at most block_rows at a
 * time (one feed may end many rows), and forgets them. */
static int flush_rows(struct reader *r, size_t block_rows,
                      int (*on_block)(void *ctx, const struct table *block),
                      void *ctx)
{
    if (r->n_rows == 0)
        return 0;
    struct table view;
    reader_view(r, &view);
    for (size_t at = 0; at < view.n_rows; at += block_rows) {
        struct table part = view;
        part.n_rows = view.n_rows - at < block_rows ? view.n_rows - at
                                                    : block_rows;
        part.cells = view.cells + at * view.n_cols;
        part.row_line = view.row_line + at;
        if (on_block(ctx, &part) != 0) {
            r->failed = true;
            return -1;
        }
    }
    reader_drop_rows(r);
    return r->failed ? -1 : 0;
}

int table_stream(FILE *f, const struct table_options *o, size_t block_rows,
                 int (*on_block)(void *ctx, const struct table *block),
                 void *ctx, struct bp_error *err)
{
    struct reader r = reader_start(o->name, o->header, o->expected_cols,
                                   o->layout, err);
    struct csv_parser p;
    bool parser_ready = false, head_done = false, any = false, rows = false;
    bool boundary = false; /* libcsv holds nothing of a record */
    unsigned char *buf = NULL;
    unsigned char head[3];
    size_t n_head = 0;
    int fd = fileno(f);
    int rc = -1;

    if (block_rows == 0)
        block_rows = 1;
    if (csv_init(&p, TABLE_CSV_OPTIONS) != 0) {
        reader_nomem(&r);
        goto out;
    }
    parser_ready = true;
    buf = malloc(TABLE_CHUNK_SIZE);
    if (!buf) {
        reader_nomem(&r);
        goto out;
    }
    for (;;) {
        ssize_t got = read_some(fd, buf, TABLE_CHUNK_SIZE);
        if (got < 0) {
            read_error(&r);
            goto out;
        }
        size_t n = (size_t)got, at = 0;
        any = any || n > 0;
        /* The first three bytes decide BOM, UTF-16 or gzip, however
         * slowly they arrive. */
        while (!head_done && at < n && n_head < sizeof head)
            head[n_head++] = buf[at++];
        if (!head_done && (n_head == sizeof head || n == 0)) {
            size_t skip;
            head_done = true;
            if (reader_check_head(&r, head, n_head, &skip) != 0 ||
                reader_feed(&r, &p, head + skip, n_head - skip) != 0)
                goto out;
        }
        if (n == 0)
            break;
        /* A block at a time, so memory stays bounded whatever the
         * chunk holds (reader_feed_step). */
        while (at < n) {
            size_t took;
            if (reader_feed_step(&r, &p, buf + at, n - at, 4096, &boundary,
                                 &took) != 0)
                goto out;
            at += took;
            if (r.n_rows >= block_rows) {
                rows = true;
                if (flush_rows(&r, block_rows, on_block, ctx) != 0)
                    goto out;
            }
        }
        rows = rows || r.n_rows > 0;
        if (flush_rows(&r, block_rows, on_block, ctx) != 0)
            goto out;
    }
    if (reader_end_text(&r, &p) != 0)
        goto out;
    rows = rows || r.n_rows > 0;
    if (!rows) {
        bp_error_set(err, BP_EINPUT, "%s: no data rows%s", r.name,
                     any ? "" : " (the file is empty)");
        goto out;
    }
    if (flush_rows(&r, block_rows, on_block, ctx) != 0)
        goto out;
    rc = 0;
out:
    if (parser_ready)
        csv_free(&p);
    free(buf);
    reader_free(&r);
    return rc;
}

const char *table_text(const struct table *t, size_t row, size_t col)
{
    uint32_t id;
    memcpy(&id, &t->cells[row * t->n_cols + col], sizeof id);
    return id == TABLE_NO_TEXT || id >= t->n_text ? NULL : t->text[id];
}

size_t table_wrap_line(const struct table_wrap *wraps, size_t n_wraps,
                       size_t line, size_t col)
{
    /* The first wrap of the record (wraps are sorted by line), then the
     * record's wraps before col. */
    size_t lo = 0, hi = n_wraps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (wraps[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t at = line;
    for (size_t i = lo; i < n_wraps && wraps[i].line == line; i++)
        if (wraps[i].col <= col)
            at += wraps[i].lines;
    return at;
}

size_t table_cell_line(const struct table *t, size_t row, size_t col)
{
    return table_wrap_line(t->wraps, t->n_wraps, t->row_line[row], col);
}

long table_column(const struct table *t, const char *name)
{
    if (!t->header)
        return -1;
    for (size_t i = 0; i < t->n_cols; i++)
        if (strcmp(t->header[i], name) == 0)
            return (long)i;
    return -1;
}

int table_parse_float(const char *s, size_t len, float *out,
                      const char **why)
{
    enum decimal_error reason;
    if (decimal_to_float(s, len, out, &reason) == 0)
        return 0;
    if (why)
        *why = decimal_error_text(reason);
    return -1;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    if (t->header)
        for (size_t i = 0; i < t->n_cols; i++)
            free(t->header[i]);
    free(t->header);
    free(t->cells);
    free(t->row_line);
    free(t->wraps);
    free(t->kind);
    for (size_t i = 0; i < t->n_text; i++)
        free(t->text[i]);
    free(t->text);
    memset(t, 0, sizeof *t);
}
