/*
 * libFuzzer target: the CSV reader (table_read_chunked, table_read_parts,
 * table_stream)
 * and the column mapping on top of it (dataset_load, dataset_split,
 * dataset_targets).
 *
 * Input: two control bytes, then the CSV bytes.
 *   byte 0: chunk size for libcsv, 1..255 (0: the 64 KiB default)
 *   byte 1: bit 0 header on/off; bits 1-2 expected column count (0: any,
 *           else the first pass's count + 0, -1 or +1); bits 3-5 how the
 *           config names its targets (below); bit 6 targets optional
 *           (predict); bit 7 validation split
 * Oracles:
 *   - no sanitizer report;
 *   - chunk size does not change anything (table.h promises it): the
 *     result, the message and every cell bit for bit are the same as with
 *     the default chunk size;
 *   - nor does reading in parts (table_read_parts, 1 + byte 0 % 8 parts,
 *     a team of one thread: the fuzzer looks for wrong cuts and joins,
 *     `make tsan` for races);
 *   - nor does streaming (table_stream, blocks of 1 + byte 0 % 5 rows):
 *     the same rows, or the same message;
 *   - a table has rows, columns, finite cells and row lines in order;
 *   - a failure leaves the table zeroed and sets a one-line message;
 *   - dataset_load agrees with the table it was built from: same rows,
 *     labels in 0..K-1, features equal to the non-target cells;
 *   - with a layout (text, skipped, raw and number columns, chosen by the
 *     control bytes), reading in chunks and in parts give the same cells
 *     and texts;
 *   - table_parse_float on the CSV bytes up to the first comma or line end
 *     (as one cell) returns exactly strtof's float when it accepts them
 *     (table.h: "exactly as strtof would"; table.c has a fast path).
 * dataset_load takes a path, so the bytes go to a memfd, opened again as
 * /proc/self/fd/N; table_read_parts needs a regular file to map, a memfd
 * too.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "fuzz_common.h"
#include "table.h"

#define NAME "fuzz.csv"

/* The table of size bytes at data (fmemopen rejects size 0 in some libcs;
 * an empty file is /dev/null then). */
static int read_table(struct table *t, const uint8_t *data, size_t size,
                      bool header, size_t expected, size_t chunk,
                      struct bp_error *err)
{
    FILE *f = size ? fmemopen((void *)data, size, "rb")
                   : fopen("/dev/null", "rb");
    if (!f)
        abort();
    memset(err, 0, sizeof *err);
    int rc = table_read_chunked(t, f, NAME, header, expected, chunk, err);
    fclose(f);
    return rc;
}

/* The same through table_read_parts, from a memfd (fmemopen gives no file
 * to map). */
static int read_parts(struct table *t, const uint8_t *data, size_t size,
                      bool header, size_t parts, struct bp_error *err)
{
    int fd = memfd_create("fuzz_csv_parts", 0);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    FILE *f = fdopen(fd, "rb");
    if (!f)
        abort();
    memset(err, 0, sizeof *err);
    int rc = table_read_parts(t, f, NAME, header, 0, parts, 1, NULL, err);
    fclose(f);
    return rc;
}

static void check_table(int rc, const struct table *t,
                        const struct bp_error *err, bool header)
{
    static const struct table zero;
    if (rc != 0) {
        FUZZ_CHECK(memcmp(t, &zero, sizeof *t) == 0, "failed table filled");
        fuzz_check_error(err);
        return;
    }
    FUZZ_CHECK(t->n_rows > 0 && t->n_cols > 0, "empty table");
    FUZZ_CHECK(!header == !t->header, "header presence");
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        FUZZ_CHECK(isfinite(t->cells[i]), "non-finite cell %zu", i);
    for (size_t r = 0; r < t->n_rows; r++) {
        FUZZ_CHECK(t->row_line[r] >= 1, "row line 0");
        FUZZ_CHECK(r == 0 ? t->row_line[0] > t->header_line
                          : t->row_line[r] > t->row_line[r - 1],
                   "row lines out of order");
    }
}

/* `what` (the chunk size, the parts) must change nothing. */
static void check_same_table(const char *what, int rc1, const struct table *a,
                             const struct bp_error *e1, int rc2,
                             const struct table *b,
                             const struct bp_error *e2)
{
    FUZZ_CHECK(rc1 == rc2, "%s changed the result: %d vs %d (%s)", what,
               rc1, rc2, rc1 ? e1->msg : e2->msg);
    if (rc1) {
        FUZZ_CHECK(e1->code == e2->code && strcmp(e1->msg, e2->msg) == 0,
                   "%s changed the message:\n  %s\n  %s", what, e1->msg,
                   e2->msg);
        return;
    }
    FUZZ_CHECK(a->n_rows == b->n_rows && a->n_cols == b->n_cols &&
                   a->header_line == b->header_line,
               "%s changed the shape", what);
    FUZZ_CHECK(memcmp(a->cells, b->cells,
                      a->n_rows * a->n_cols * sizeof *a->cells) == 0,
               "%s changed a cell", what);
    FUZZ_CHECK(memcmp(a->row_line, b->row_line,
                      a->n_rows * sizeof *a->row_line) == 0,
               "%s changed a row's line", what);
    for (size_t c = 0; a->header && c < a->n_cols; c++)
        FUZZ_CHECK(strcmp(a->header[c], b->header[c]) == 0,
                   "%s changed a header name", what);
}

/* ---- table_stream against the whole-table reading ---- */

struct gathered {
    float *cells;
    size_t *lines;
    size_t n_rows, n_cols;
};

static int gather_block(void *ctx, const struct table *block)
{
    struct gathered *g = ctx;
    size_t rows = g->n_rows + block->n_rows, nc = block->n_cols;
    float *c = realloc(g->cells, (rows * nc + 1) * sizeof *c);
    size_t *l = c ? realloc(g->lines, (rows + 1) * sizeof *l) : NULL;
    if (c)
        g->cells = c;
    if (!c || !l)
        abort(); /* the fuzzer's inputs are small */
    g->lines = l;
    memcpy(g->cells + g->n_rows * nc, block->cells,
           block->n_rows * nc * sizeof *c);
    memcpy(g->lines + g->n_rows, block->row_line,
           block->n_rows * sizeof *l);
    g->n_rows = rows;
    g->n_cols = nc;
    return 0;
}

/* Streaming in blocks of block_rows rows hands over the rows of the whole
 * reading, or fails with its message (the rows before the error may have
 * been handed over). The data is read by read(2), from a memfd. */
static void check_stream(const uint8_t *data, size_t size, bool header,
                         size_t block_rows, int rc_ref,
                         const struct table *ref,
                         const struct bp_error *e_ref)
{
    int fd = memfd_create("fuzz_csv_stream", 0);
    FUZZ_CHECK(fd >= 0, "memfd_create");
    FUZZ_CHECK(write(fd, data, size) == (ssize_t)size, "memfd write");
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "memfd seek");
    FILE *f = fdopen(fd, "rb");
    FUZZ_CHECK(f != NULL, "fdopen");
    struct gathered g = {0};
    struct bp_error e = {0};
    struct table_options o = {.name = NAME, .header = header};
    int rc = table_stream(f, &o, block_rows, gather_block, &g, &e);
    fclose(f);
    FUZZ_CHECK(rc == rc_ref, "streaming changed the result: %d vs %d (%s)",
               rc_ref, rc, rc ? e.msg : e_ref->msg);
    if (rc) {
        FUZZ_CHECK(e.code == e_ref->code && strcmp(e.msg, e_ref->msg) == 0,
                   "streaming changed the message:\n  %s\n  %s",
                   e_ref->msg, e.msg);
    } else {
        FUZZ_CHECK(g.n_rows == ref->n_rows && g.n_cols == ref->n_cols,
                   "streaming changed the shape");
        FUZZ_CHECK(memcmp(g.cells, ref->cells,
                          g.n_rows * g.n_cols * sizeof *g.cells) == 0,
                   "streaming changed a cell");
        FUZZ_CHECK(memcmp(g.lines, ref->row_line,
                          g.n_rows * sizeof *g.lines) == 0,
                   "streaming changed a row's line");
    }
    free(g.cells);
    free(g.lines);
}

/* ---- a config to map the columns with ---- */

struct buf {
    char s[4096];
    size_t n;
};

static void put(struct buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k < sizeof b->s) {
        memcpy(b->s + b->n, s, k + 1);
        b->n += k;
    }
}

/* s as a JSON string (at most 64 bytes of it; dropping bytes could cut a
 * UTF-8 sequence, which the config parser then rejects: fine). */
static void put_json_string(struct buf *b, const char *s)
{
    char tmp[8];
    put(b, "\"");
    for (size_t i = 0; s[i] && i < 64; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
        } else {
            tmp[0] = (char)c;
            tmp[1] = '\0';
        }
        put(b, tmp);
    }
    put(b, "\"");
}

/* A column reference: a header name when there is one and `by_name`,
 * else an index (possibly out of range). */
static void put_column(struct buf *b, const struct table *t, size_t col,
                       bool by_name)
{
    char tmp[32];
    if (by_name && t->header && col < t->n_cols) {
        put_json_string(b, t->header[col]);
    } else if (by_name) {
        put(b, "\"no such column\"");
    } else {
        snprintf(tmp, sizeof tmp, "%zu", col);
        put(b, tmp);
    }
}

/* Builds a config for table t: mode (0..7) picks classes or regression
 * and how the target columns are named. Returns 0 when it loads. */
static int make_config(struct config *cfg, const struct table *t,
                       unsigned mode, bool header, bool split)
{
    struct buf b = {{0}, 0};
    char tmp[160];
    size_t nc = t->n_cols;
    bool regression = mode >= 4;
    size_t n_out = regression ? (nc > 1 && (mode & 1) ? 2 : 1)
                              : (mode == 3 ? 1 : 3);
    size_t n_targets = regression ? n_out : 1;
    size_t input = nc > n_targets ? nc - n_targets : 1;
    if (mode == 2 && input > 1)
        input--; /* a count mismatch */
    const char *act = regression ? "linear" : mode == 3 ? "sigmoid"
                                                        : "softmax";
    snprintf(tmp, sizeof tmp,
             "{\"input\": %zu, \"layers\": [{\"units\": %zu, "
             "\"activation\": \"%s\"}], ",
             input, n_out, act);
    put(&b, tmp);
    put(&b, regression ? "\"loss\": \"mse\", " : "\"loss\": "
                                                 "\"cross_entropy\", ");
    snprintf(tmp, sizeof tmp, "\"data\": {\"header\": %s",
             header ? "true" : "false");
    put(&b, tmp);
    if (split)
        put(&b, ", \"validation_split\": 0.5");
    if (!regression && mode != 0) {
        /* label by name (mode 1), index 0 (2), last column by index (3) */
        put(&b, ", \"label\": ");
        put_column(&b, t, mode == 1 ? nc - 1 : mode == 2 ? 0 : nc - 1,
                   mode == 1);
        if (mode == 3)
            put(&b, ", \"classes\": [\"no\", \"yes\"]");
    } else if (regression && mode >= 6) {
        put(&b, ", \"targets\": [");
        for (size_t k = 0; k < n_targets; k++) {
            if (k)
                put(&b, ", ");
            /* names (6) or indexes from the front, the second one past
             * the end when there is no room (7) */
            put_column(&b, t, mode == 6 ? k : k * nc, mode == 6);
        }
        put(&b, "]");
    }
    put(&b, "}}");
    struct bp_error err = {0};
    int rc = config_parse_buffer(cfg, "fuzz.json", b.s, b.n, NULL, 0, &err);
    if (rc)
        fuzz_check_error(&err);
    return rc;
}

static void check_dataset(const struct dataset *ds, const struct table *t,
                          const struct config *cfg)
{
    FUZZ_CHECK(ds->n_rows == t->n_rows, "rows %zu vs %zu", ds->n_rows,
               t->n_rows);
    FUZZ_CHECK(ds->n_features == cfg->input, "features");
    size_t nf = ds->n_features;
    /* Features are the table's cells minus the target columns, in order:
     * each row's features appear in order within that table row. */
    for (size_t r = 0; r < ds->n_rows; r++) {
        const float *row = t->cells + r * t->n_cols;
        size_t c = 0;
        for (size_t k = 0; k < nf; k++) {
            while (c < t->n_cols &&
                   memcmp(&row[c], &ds->x[r * nf + k], sizeof(float)) != 0)
                c++;
            FUZZ_CHECK(c < t->n_cols, "feature %zu of row %zu not in the "
                       "table row", k, r);
            c++;
        }
    }
    if (ds->has_targets && ds->n_classes) {
        FUZZ_CHECK(ds->label != NULL, "labels missing");
        for (size_t r = 0; r < ds->n_rows; r++)
            FUZZ_CHECK(ds->label[r] < ds->n_classes, "label %u of %zu",
                       ds->label[r], ds->n_classes);
    }
    if (ds->has_targets && ds->n_rows) {
        size_t idx[2] = {0, ds->n_rows - 1};
        float *out = malloc(2 * ds->n_outputs * sizeof *out);
        if (!out)
            abort();
        dataset_targets(ds, idx, 2, out);
        for (size_t i = 0; i < 2 * ds->n_outputs; i++)
            FUZZ_CHECK(isfinite(out[i]), "target not finite");
        free(out);
    }
}

static void map_columns(const uint8_t *data, size_t size,
                        const struct table *t, unsigned flags, bool header)
{
    struct config cfg;
    if (make_config(&cfg, t, (flags >> 3) & 7, header, flags & 0x80))
        return;
    int fd = memfd_create("fuzz_csv", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    struct dataset ds, train, val;
    struct bp_error err = {0};
    int rc = dataset_load(&ds, path, &cfg, flags & 0x40, 1, &err);
    if (rc) {
        fuzz_check_error(&err);
    } else {
        check_dataset(&ds, t, &cfg);
        if (cfg.data.validation_split > 0) {
            memset(&err, 0, sizeof err);
            if (dataset_split(&ds, cfg.data.validation_split, 1, &train,
                              &val, &err) == 0) {
                FUZZ_CHECK(train.n_rows + val.n_rows == ds.n_rows, "split");
                dataset_free(&train);
                dataset_free(&val);
            } else {
                fuzz_check_error(&err);
            }
        }
        dataset_free(&ds);
    }
    close(fd);
    config_free(&cfg);
}

/* The first field of the bytes as a cell, against strtof. */
static void check_cell(const uint8_t *data, size_t size)
{
    char cell[80];
    size_t n = 0;
    while (n < size && n + 1 < sizeof cell && data[n] != ',' &&
           data[n] != '\n' && data[n] != '\r' && data[n] != '\0') {
        cell[n] = (char)data[n];
        n++;
    }
    cell[n] = '\0';
    float v;
    const char *why = NULL;
    if (table_parse_float(cell, n, &v, &why) != 0) {
        FUZZ_CHECK(why != NULL, "no reason for rejecting \"%s\"", cell);
        return;
    }
    char *end;
    float want = strtof(cell, &end);
    FUZZ_CHECK(end == cell + n, "accepted \"%s\", which strtof does not "
               "read whole", cell);
    FUZZ_CHECK(memcmp(&v, &want, sizeof v) == 0,
               "\"%s\": %.9g, strtof says %.9g", cell, (double)v,
               (double)want);
}

/* ---- a layout: text, skipped, raw and number columns ---- */

/* Column c's kind, from the pattern byte: two bits a column, cycling. */
static int fuzz_decide(void *ctx, char *const *names, size_t n_cols,
                       size_t line, unsigned char *kind, struct bp_error *err)
{
    unsigned pattern = *(const unsigned *)ctx;
    (void)names;
    (void)line;
    (void)err;
    for (size_t c = 0; c < n_cols; c++)
        kind[c] = (unsigned char)((pattern >> (2 * (c % 4))) & 3);
    return 0;
}

static int read_layout(struct table *t, const uint8_t *data, size_t size,
                       bool header, unsigned *pattern, size_t chunk,
                       size_t parts, struct bp_error *err)
{
    static const char *const na[] = {"", "NA", "?"};
    struct table_layout layout = {
        .decide = fuzz_decide,
        .ctx = pattern,
        .na_values = na,
        .n_na_values = 3,
        .missing_is_error = (*pattern & 0x100) != 0,
    };
    int fd = memfd_create("fuzz_csv_layout", 0);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    FILE *f = fdopen(fd, "rb");
    if (!f)
        abort();
    struct table_options o = {.name = NAME, .header = header, .threads = 1,
                              .layout = &layout, .chunk_size = chunk,
                              .parts = parts};
    memset(err, 0, sizeof *err);
    int rc = table_read_with(t, f, &o, err);
    fclose(f);
    return rc;
}

/* Chunked and in parts, a layout's tables agree cell by cell: numbers to
 * the bit, texts by their strings (ids are each read's own). */
static void check_layout(const uint8_t *data, size_t size, bool header,
                         unsigned pattern, size_t chunk)
{
    struct table a, b;
    struct bp_error ea, eb;
    int ra = read_layout(&a, data, size, header, &pattern, chunk ? chunk : 1,
                         0, &ea);
    int rb = read_layout(&b, data, size, header, &pattern, 0,
                         1 + chunk % 8, &eb);
    FUZZ_CHECK(ra == rb, "layout: parts changed the result (%s)",
               ra ? ea.msg : eb.msg);
    if (ra != 0) {
        FUZZ_CHECK(strcmp(ea.msg, eb.msg) == 0,
                   "layout: parts changed the message:\n  %s\n  %s", ea.msg,
                   eb.msg);
        fuzz_check_error(&ea);
        return;
    }
    FUZZ_CHECK(a.n_rows == b.n_rows && a.n_cols == b.n_cols,
               "layout: parts changed the shape");
    for (size_t r = 0; r < a.n_rows; r++)
        for (size_t c = 0; c < a.n_cols; c++) {
            size_t i = r * a.n_cols + c;
            if (a.kind[c] == TABLE_TEXT || a.kind[c] == TABLE_RAW) {
                const char *x = table_text(&a, r, c), *y = table_text(&b, r, c);
                FUZZ_CHECK((!x && !y) || (x && y && strcmp(x, y) == 0),
                           "layout: parts changed text (%zu, %zu)", r, c);
            } else {
                FUZZ_CHECK(memcmp(&a.cells[i], &b.cells[i], sizeof(float)) == 0,
                           "layout: parts changed cell (%zu, %zu)", r, c);
                FUZZ_CHECK(isfinite(a.cells[i]) ||
                               (isnan(a.cells[i]) && !(pattern & 0x100)),
                           "layout: a non-finite number (%zu, %zu)", r, c);
            }
        }
    table_free(&a);
    table_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t chunk = data[0];
    unsigned flags = data[1];
    bool header = flags & 1;
    data += 2;
    size -= 2;
    check_cell(data, size);

    struct table ref, t;
    struct bp_error e_ref, e;
    int rc_ref = read_table(&ref, data, size, header, 0, 0, &e_ref);
    check_table(rc_ref, &ref, &e_ref, header);
    if (chunk) {
        int rc = read_table(&t, data, size, header, 0, chunk, &e);
        check_same_table("chunk size", rc_ref, &ref, &e_ref, rc, &t, &e);
        table_free(&t);
    }
    int rc_parts = read_parts(&t, data, size, header, 1 + chunk % 8, &e);
    check_same_table("reading in parts", rc_ref, &ref, &e_ref, rc_parts, &t,
                     &e);
    table_free(&t);
    check_stream(data, size, header, 1 + chunk % 5, rc_ref, &ref, &e_ref);

    /* An expected column count near the real one. */
    unsigned want = (flags >> 1) & 3;
    if (rc_ref == 0 && want) {
        size_t expected = ref.n_cols + want - 2; /* -1, 0, +1 */
        if (expected > 0) {
            int rc = read_table(&t, data, size, header, expected,
                                chunk ? chunk : 7, &e);
            check_table(rc, &t, &e, header);
            FUZZ_CHECK((rc == 0) == (expected == ref.n_cols),
                       "expected_cols %zu with %zu columns: rc %d",
                       expected, ref.n_cols, rc);
            table_free(&t);
        }
    }

    if (rc_ref == 0)
        map_columns(data, size, &ref, flags, header);
    table_free(&ref);
    /* Kinds from the control bytes (and byte 1's top bit: missing cells
     * refused or kept). */
    check_layout(data, size, header,
                 (unsigned)chunk * 0x9Du + ((flags & 0x80u) << 1), chunk);
    return 0;
}
