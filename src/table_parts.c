/*
 * table_parts: the read in parts of a large regular file (table.h,
 * table_read_parts). The rest of the file is mapped; libcsv stays the
 * only tokenizer, but with one parser per piece, the pieces cut at LFs of
 * a text with no quote after its first lines, where every LF ends a line.
 * The parallel loops are here rather than in kernels.c or trainer.c (the
 * other OpenMP users) because what they run is the table module's
 * callbacks (table_reader.c). Each piece counts lines from 1 and the rows
 * are renumbered when joined; a failed piece is parsed again from its
 * real first line for its message (read_parts). The pages of the mapping
 * are given back every few megabytes as they are parsed (feed_all), so
 * the peak is the matrix, not the matrix plus the file.
 *
 * What this file is not: it words no error itself but "out of memory"
 * (table_reader.c does), and it never prints.
 */
/* MAP_PRIVATE and friends are beyond _XOPEN_SOURCE's promises here. */
#define _DEFAULT_SOURCE

#include "table.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "table_reader.h"

/* table_read reads a smaller file serially: below a few megabytes the
 * mapping and the two parallel regions save nothing worth having. */
#define TABLE_PARALLEL_MIN ((size_t)4 << 20)

/* How much of the mapping is parsed between two releases of its pages:
 * large enough that madvise costs nothing next to the parsing, small
 * enough next to a file that is worth reading in parts. */
#define TABLE_RELEASE_SIZE ((size_t)4 << 20)

/* One piece of the text after the first lines: whole lines, every piece
 * but the last ending in LF, holding no quote. Its own libcsv parser (part
 * 0 continues the first lines' one) writes its rows into its own region
 * of the matrix, with line numbers counted from 1 (part 0: absolute). */
struct part {
    const unsigned char *s;
    size_t n;
    bool last;              /* holds the end of the text */
    bool has_quote;
    size_t bound;           /* most records its bytes can end */
    size_t row0;            /* its first row in the matrix */
    struct reader *r;       /* &own_r, or the first lines' reader */
    struct csv_parser *p;   /* &own_p, or the first lines' parser */
    struct reader own_r;
    struct csv_parser own_p;
    bool own_p_ready;
    int rc;
    struct bp_error err;
};

/* Drops the whole pages of the mapping inside [from, to) from the
 * process, so that a file read in parts does not stay resident beside the
 * matrix it fills (peak RSS was the matrix plus the whole file). The
 * mapping is private, read-only and never written: a page read again (a
 * failed part parsed once more for its message) faults back in from the
 * file unchanged. Returns the new start, page-aligned, the part of a page
 * kept for the next call. */
static const unsigned char *release_pages(const unsigned char *from,
                                          const unsigned char *to)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return from;
    uintptr_t mask = (uintptr_t)page - 1;
    uintptr_t start = ((uintptr_t)from + mask) & ~mask;
    uintptr_t end = (uintptr_t)to & ~mask;
    if (end <= start)
        return from;
    madvise((void *)start, end - start, MADV_DONTNEED); /* a hint */
    return (const unsigned char *)end;
}

/* Feeds n bytes of the mapping in chunks that sit in L2, a step at a time
 * (reader_feed_step; `boundary` says whether libcsv holds nothing at the
 * start). Gives
 * back the pages behind every TABLE_RELEASE_SIZE bytes (libcsv copies
 * what it keeps of a field, so nothing points into them afterwards). */
static int feed_all(struct reader *r, struct csv_parser *p,
                    const unsigned char *s, size_t n, bool boundary)
{
    const unsigned char *kept = s; /* pages before it are released */
    for (size_t at = 0; at < n;) {
        size_t k = n - at < TABLE_CHUNK_SIZE ? n - at : TABLE_CHUNK_SIZE;
        size_t took;
        if (reader_feed_step(r, p, s + at, k, k, &boundary, &took) != 0)
            return -1;
        at += took;
        if ((size_t)(s + at - kept) >= TABLE_RELEASE_SIZE || at == n)
            kept = release_pages(kept, s + at);
    }
    return 0;
}

/* Feeds s[*pos..n) in whole lines, one line and then runs that double,
 * until the column count is known (the header or the first data row has
 * ended) and the last byte fed was an LF outside quotes: from there on
 * the parser holds nothing, so the rest may be cut at any LF that is not
 * inside quotes. Advances *pos; at the end of the text it simply stops. */
static int read_first_lines(struct reader *r, struct csv_parser *p,
                            const unsigned char *s, size_t n, size_t *pos)
{
    size_t start = *pos, at = *pos;
    while (at < n) {
        size_t from = at + (at - start);
        const unsigned char *lf =
            from < n ? memchr(s + from, '\n', n - from) : NULL;
        if (!lf) {
            *pos = n;
            return feed_all(r, p, s + at, n - at, false);
        }
        /* The LF alone last: whether on_record saw it tells whether it
         * lay outside quotes. */
        size_t end = (size_t)(lf - s) + 1;
        if (feed_all(r, p, s + at, end - 1 - at, false) != 0)
            return -1;
        size_t seen = r->lf_ends;
        if (reader_feed(r, p, s + end - 1, 1) != 0)
            return -1;
        at = end;
        if (r->n_cols > 0 && r->lf_ends > seen)
            break;
    }
    *pos = at;
    return 0;
}

/* Cuts s[0..n) into at most `want` pieces of whole lines, each ending in
 * LF but the last; returns how many. */
static size_t split_lines(struct part *parts, size_t want,
                          const unsigned char *s, size_t n)
{
    size_t count = 0, at = 0;
    for (size_t k = 1; k <= want && at < n; k++) {
        size_t end = n;
        if (k < want) {
            size_t q = k * (n / want);
            if (q < at)
                q = at;
            const unsigned char *lf = memchr(s + q, '\n', n - q);
            end = lf ? (size_t)(lf - s) + 1 : n;
        }
        parts[count++] = (struct part){.s = s + at, .n = end - at};
        at = end;
    }
    parts[count - 1].last = true;
    return count;
}

/* Whether the part holds a quote (then an LF may sit inside a quoted
 * field and no cut is safe), and else how many records its bytes can
 * end: one per CR or LF, but for the LF of a CRLF (libcsv ends the record
 * at the CR and reports the LF as an empty one), plus the one csv_fini
 * ends at the end of the text. Blank lines are counted too: a bound.
 * Three memchr passes, a block at a time so that two of them read L2. */
static void count_part(struct part *pt)
{
    const unsigned char *s = pt->s;
    size_t ends = pt->last ? 1 : 0;
    for (size_t at = 0; at < pt->n; at += TABLE_CHUNK_SIZE) {
        const unsigned char *b = s + at;
        const unsigned char *end =
            pt->n - at < TABLE_CHUNK_SIZE ? s + pt->n : b + TABLE_CHUNK_SIZE;
        if (memchr(b, '"', (size_t)(end - b))) {
            pt->has_quote = true;
            return;
        }
        for (const unsigned char *c = b;
             (c = memchr(c, '\n', (size_t)(end - c))) != NULL; c++)
            ends += !(c > s && c[-1] == '\r');
        for (const unsigned char *c = b;
             (c = memchr(c, '\r', (size_t)(end - c))) != NULL; c++)
            ends++;
    }
    pt->bound = ends;
}

/* Feeds a whole part; the last one also ends the text. */
static int parse_part(struct part *pt)
{
    if (feed_all(pt->r, pt->p, pt->s, pt->n, true) != 0)
        return -1;
    return pt->last ? reader_end_text(pt->r, pt->p) : 0;
}

/* A part after the first as a fresh reader: past the header, the column
 * count known, its region of first's matrix, lines counted from `line`. */
static int start_part(struct part *pt, const struct reader *first,
                      size_t line, struct bp_error *err)
{
    size_t nc = first->n_cols;
    pt->own_r = (struct reader){
        .name = first->name,
        .err = err,
        .line = line,
        .header_done = true,
        .n_cols = nc,
        .cells = first->cells + pt->row0 * nc,
        .cells_cap = pt->bound * nc,
        .row_line = first->row_line + pt->row0,
        .rows_cap = pt->bound,
        .fixed = true,
        .layout = first->layout,
        .kind = first->kind,
        .na_numeric = first->na_numeric,
        .fast = first->fast,
        .header = first->header,
        .n_header = first->n_header,
    };
    pt->r = &pt->own_r;
    pt->p = &pt->own_p;
    if (pt->own_p_ready)
        csv_free(&pt->own_p);
    pt->own_p_ready = csv_init(&pt->own_p, TABLE_CSV_OPTIONS) == 0;
    if (!pt->own_p_ready) {
        reader_nomem(&pt->own_r);
        return -1;
    }
    return 0;
}

/* Makes first's matrix hold `rows` rows, for all the parts' regions. */
static int make_room(struct reader *first, size_t rows)
{
    size_t nc = first->n_cols;
    if (rows > SIZE_MAX / sizeof(float) / nc)
        return -1;
    if (first->cells_cap < rows * nc) {
        float *c = realloc(first->cells, rows * nc * sizeof *c);
        if (!c)
            return -1;
        first->cells = c;
        first->cells_cap = rows * nc;
    }
    if (first->rows_cap < rows) {
        size_t *l = realloc(first->row_line, rows * sizeof *l);
        if (!l)
            return -1;
        first->row_line = l;
        first->rows_cap = rows;
    }
    return 0;
}

/* Appends the parts' rows to part 0's, in order: closes the gaps their
 * bounds left (blank lines, the last line end) and makes their line
 * numbers absolute. */
static int join_parts(struct reader *first, struct part *parts, size_t n)
{
    size_t nc = first->n_cols, rows = first->n_rows, line = first->line;
    for (size_t i = 1; i < n; i++) {
        const struct reader *q = parts[i].r;
        assert(q->n_cells == q->n_rows * nc);
        /* A part's text holds no quote, so no field of it spans lines. */
        assert(q->n_wraps == 0);
        if (parts[i].row0 != rows) {
            memmove(first->cells + rows * nc, q->cells,
                    q->n_cells * sizeof *q->cells);
            memmove(first->row_line + rows, q->row_line,
                    q->n_rows * sizeof *q->row_line);
        }
        if (reader_adopt_texts(first, q, rows, q->n_rows) != 0)
            return -1;
        for (size_t k = 0; k < q->n_rows; k++)
            first->row_line[rows + k] += line - 1;
        rows += q->n_rows;
        line += q->line - 1;
    }
    first->n_rows = rows;
    first->n_cells = rows * nc;
    first->line = line;
    return 0;
}

/* The error of the earliest failed part, as the serial reader words it:
 * every part before it has succeeded, so it starts in the state the serial
 * reader would reach there; only its line numbers were relative. Parses
 * it once more from its real first line. */
static void report_part(struct part *parts, size_t failed,
                        const struct reader *first, struct bp_error *err)
{
    size_t line = first->line;
    for (size_t i = 1; i < failed; i++)
        line += parts[i].r->line - 1;
    struct part *pt = &parts[failed];
    text_pool_free(&pt->own_r.pool);
    if (start_part(pt, first, line, err) == 0 && parse_part(pt) == 0 && err)
        *err = pt->err; /* only memory can make the second run differ */
}

/* The text after the first lines, s[0..n): in parts at once when it
 * holds no quote, else serially. first and p are the first lines'. */
static int read_parts(struct reader *first, struct csv_parser *p,
                      const unsigned char *s, size_t n, size_t want,
                      int threads, size_t *pieces)
{
    struct part *parts = calloc(want, sizeof *parts);
    if (!parts) {
        reader_nomem(first);
        return -1;
    }
    size_t count = split_lines(parts, want, s, n);
    int team = (size_t)threads < count ? threads : (int)count;
    int rc = -1;

    if (count > 1) {
#pragma omp parallel for num_threads(team) schedule(dynamic, 1) if (team > 1)
        for (size_t i = 0; i < count; i++)
            count_part(&parts[i]);
    }
    bool quoted = false;
    size_t rows = first->n_rows;
    for (size_t i = 0; i < count; i++) {
        quoted = quoted || parts[i].has_quote;
        parts[i].row0 = i == 0 ? 0 : rows;
        if (parts[i].bound > SIZE_MAX - rows)
            quoted = true; /* cannot happen; read it serially */
        else
            rows += parts[i].bound;
    }
    if (count == 1 || quoted) {
        rc = feed_all(first, p, s, n, true);
        goto out;
    }
    *pieces = count;
    if (make_room(first, rows) != 0) {
        reader_nomem(first);
        goto out;
    }

    /* Part 0 goes on with the first lines' reader, confined to its
     * region; the others start fresh. */
    size_t cells_cap = first->cells_cap, rows_cap = first->rows_cap;
    first->rows_cap = first->n_rows + parts[0].bound;
    first->cells_cap = first->rows_cap * first->n_cols;
    first->fixed = true;
    parts[0].r = first;
    parts[0].p = p;
    bool ready = true;
    for (size_t i = 1; i < count; i++)
        ready = ready && start_part(&parts[i], first, 1, &parts[i].err) == 0;

    if (ready) {
#pragma omp parallel for num_threads(team) schedule(dynamic, 1) if (team > 1)
        for (size_t i = 0; i < count; i++)
            parts[i].rc = parse_part(&parts[i]);
    }
    first->fixed = false;
    first->cells_cap = cells_cap;
    first->rows_cap = rows_cap;

    if (!ready) {
        reader_nomem(first);
        goto out;
    }
    if (parts[0].rc != 0)
        goto out; /* its message is in first->err, lines absolute */
    for (size_t i = 1; i < count; i++)
        if (parts[i].rc != 0) {
            report_part(parts, i, first, first->err);
            goto out;
        }
    if (join_parts(first, parts, count) != 0) {
        reader_nomem(first);
        goto out;
    }
    rc = 0;

out:
    for (size_t i = 1; i < count; i++) {
        if (parts[i].own_p_ready)
            csv_free(&parts[i].own_p);
        text_pool_free(&parts[i].own_r.pool);
    }
    free(parts);
    return rc;
}

/* s[0..n), n > 0: the rest of a regular file. */
static int read_text(struct table *t, const unsigned char *s, size_t n,
                     const struct table_options *o, size_t parts,
                     int threads, size_t *pieces, struct bp_error *err)
{
    struct reader r = reader_start(o->name, o->header, o->expected_cols,
                                   o->layout, err);
    struct csv_parser p;
    bool parser_ready = false;
    size_t pos;

    memset(t, 0, sizeof *t);
    if (csv_init(&p, TABLE_CSV_OPTIONS) != 0) {
        reader_nomem(&r);
        goto fail;
    }
    parser_ready = true;
    reader_reserve_cells(&r, n);
    if (reader_check_head(&r, s, n < 3 ? n : 3, &pos) != 0 ||
        read_first_lines(&r, &p, s, n, &pos) != 0)
        goto fail;
    if (pos < n &&
        read_parts(&r, &p, s + pos, n - pos, parts, threads, pieces) != 0)
        goto fail;
    if (reader_finish(&r, &p, false, t) != 0)
        goto fail;
    csv_free(&p);
    return 0;

fail:
    if (parser_ready)
        csv_free(&p);
    reader_free(&r);
    memset(t, 0, sizeof *t);
    return -1;
}

/* Maps the rest of f when it is a regular file with at least min bytes
 * left; *s and *n are that rest, *map and *map_len what munmap takes. */
static bool map_rest(FILE *f, size_t min, void **map, size_t *map_len,
                     const unsigned char **s, size_t *n)
{
    int fd = fileno(f);
    uintmax_t size = reader_file_size(f);
    off_t at = ftello(f);
    if (fd < 0 || size == 0 || size > SIZE_MAX || at < 0 ||
        (uintmax_t)at >= size || size - (uintmax_t)at < min)
        return false;
    void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return false;
    *map = m;
    *map_len = (size_t)size;
    *s = (const unsigned char *)m + at;
    *n = (size_t)(size - (uintmax_t)at);
    return true;
}

/* table_read_parts with every option (table.c's front doors call it). */
int table_read_parts_with(struct table *t, FILE *f,
                          const struct table_options *o, size_t parts,
                          size_t *pieces, struct bp_error *err)
{
    int threads = o->threads;
    size_t ignored;
    if (!pieces)
        pieces = &ignored;
    *pieces = 1;
    if (threads < 1)
        threads = 1;
    size_t min = 1;
    if (parts == 0) {
        if (threads == 1)
            return table_read_chunked_with(t, f, o, 0, err);
        parts = (size_t)threads;
        min = TABLE_PARALLEL_MIN;
    }
    void *map;
    size_t map_len, n;
    const unsigned char *s;
    if (!map_rest(f, min, &map, &map_len, &s, &n))
        return table_read_chunked_with(t, f, o, 0, err);
    int rc = read_text(t, s, n, o, parts, threads, pieces, err);
    munmap(map, map_len);
    /* All of f is read, as the streaming reader leaves it. */
    fseeko(f, 0, SEEK_END);
    return rc;
}

int table_read_parts(struct table *t, FILE *f, const char *name,
                     bool header, size_t expected_cols, size_t parts,
                     int threads, size_t *pieces, struct bp_error *err)
{
    struct table_options o = {.name = name, .header = header,
                              .expected_cols = expected_cols,
                              .threads = threads};
    return table_read_parts_with(t, f, &o, parts, pieces, err);
}
