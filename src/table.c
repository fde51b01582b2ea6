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

int table_read_chunked(struct table *t, FILE *f, const char *name,
                       bool header, size_t expected_cols, size_t chunk_size,
                       struct bp_error *err)
{
    struct reader r = reader_start(name, header, expected_cols, err);
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

int table_read(struct table *t, FILE *f, const char *name, bool header,
               size_t expected_cols, int threads, struct bp_error *err)
{
    return table_read_parts(t, f, name, header, expected_cols, 0, threads,
                            NULL, err);
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
    memset(t, 0, sizeof *t);
}
