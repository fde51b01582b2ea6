/*
 * table_reader: the libcsv callbacks of the CSV reader (see table.h for
 * the contract, table_reader.h for this file's private one). Fields
 * become cells of one row-major float matrix, records become rows, and
 * every error is worded here with its line and column.
 *
 * libcsv 3.0.3 splits the bytes into fields and records but reports no
 * positions, so the callback context counts lines itself: with
 * CSV_REPALL_NL every unquoted CR and LF reaches the record callback, and
 * line ends inside quoted fields are counted from the field's bytes. It
 * does not strip a byte-order mark either; reader_check_head finds it
 * before the first byte reaches libcsv.
 *
 * What this file is not: it reads no file (table.c streams one,
 * table_parts.c maps one), it converts no number itself (decimal.h), it
 * knows nothing about labels or features (dataset.c maps columns), and it
 * never prints.
 */
/* madvise(MADV_HUGEPAGE) is a Linux extension beyond _XOPEN_SOURCE. */
#define _DEFAULT_SOURCE

#include "table_reader.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "decimal.h"

/* Smallest increment of libcsv's field buffer; see feed_parser. */
#define TABLE_MIN_FIELD_BLOCK ((size_t)4096)

/* How much of a bad cell an error message quotes. */
#define TABLE_QUOTE_MAX 40

/* ---- growing arrays ---- */

/* Makes room for one more element of `size` bytes in *arr (capacity
 * *cap), doubling so that n appends cost O(n) copying in total. */
static int grow(void **arr, size_t *cap, size_t used, size_t size,
                size_t first)
{
    if (used < *cap)
        return 0;
    size_t n = *cap ? *cap : first;
    if (*cap) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (n > SIZE_MAX / size)
        return -1;
    void *p = realloc(*arr, n * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

/* ---- the texts of TABLE_TEXT cells ---- */

static uint64_t text_hash(const char *s, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h ^ (h >> 29);
}

static int pool_rehash(struct text_pool *p, size_t n_slots)
{
    uint32_t *slot = malloc(n_slots * sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < n_slots; i++)
        slot[i] = UINT32_MAX;
    for (size_t id = 0; id < p->n; id++) {
        size_t i = text_hash(p->str[id], strlen(p->str[id])) & (n_slots - 1);
        while (slot[i] != UINT32_MAX)
            i = (i + 1) & (n_slots - 1);
        slot[i] = (uint32_t)id;
    }
    free(p->slot);
    p->slot = slot;
    p->n_slots = n_slots;
    return 0;
}

int text_pool_intern(struct text_pool *p, const char *s, size_t len,
                     uint32_t *id)
{
    if (p->n_slots == 0 && pool_rehash(p, 64) != 0)
        return -1;
    size_t mask = p->n_slots - 1;
    size_t i = text_hash(s, len) & mask;
    for (; p->slot[i] != UINT32_MAX; i = (i + 1) & mask) {
        const char *t = p->str[p->slot[i]];
        if (strncmp(t, s, len) == 0 && t[len] == '\0' &&
            memchr(s, '\0', len) == NULL) {
            *id = p->slot[i];
            return 0;
        }
    }
    if (p->n >= UINT32_MAX - 1 ||
        grow((void **)&p->str, &p->cap, p->n, sizeof *p->str, 64) != 0)
        return -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *id = (uint32_t)p->n;
    p->str[p->n++] = copy;
    p->slot[i] = *id;
    if (2 * p->n > p->n_slots && pool_rehash(p, 2 * p->n_slots) != 0)
        return -1;
    return 0;
}

void text_pool_free(struct text_pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->str[i]);
    free(p->str);
    free(p->slot);
    memset(p, 0, sizeof *p);
}

/* Whether a trimmed cell is one of the layout's missing-value marks. */
static bool is_na(const struct reader *r, const char *s, size_t len)
{
    const struct table_layout *l = r->layout;
    if (!l)
        return false;
    for (size_t i = 0; i < l->n_na_values; i++)
        if (strlen(l->na_values[i]) == len &&
            memcmp(l->na_values[i], s, len) == 0)
            return true;
    return false;
}

/* ---- messages ---- */

/* Writes `s` as a C-ish quoted string into dst: printable ASCII and UTF-8
 * bytes as they are, '"' and '\\' escaped, other bytes as \xHH, at most
 * TABLE_QUOTE_MAX source bytes (never cutting a UTF-8 sequence) and "..."
 * when cut short. */
static void quote_cell(char *dst, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t keep = len;
    bool cut = false;
    if (keep > TABLE_QUOTE_MAX) {
        keep = TABLE_QUOTE_MAX;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
        cut = true;
    }
    size_t o = 0;
    assert(cap >= 8);
    dst[o++] = '"';
    for (size_t i = 0; i < keep && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o++] = '"';
    if (cut && o + 4 <= cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* "1,5" and "-12,25": a number written with a decimal comma. */
static bool looks_like_decimal_comma(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i >= len || s[i] != ',')
        return false;
    i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, frac_digits++;
    return i == len && int_digits > 0 && frac_digits > 0;
}

static const char *cell_hint(const char *s, size_t len)
{
    if (memchr(s, ';', len))
        return " (semicolon-separated? backprop reads comma-separated "
               "values)";
    if (looks_like_decimal_comma(s, len))
        return " (decimal comma? use a decimal point)";
    return "";
}

static void cell_error(struct reader *r, size_t line, size_t col,
                       const char *s, size_t len, enum decimal_error why)
{
    char q[4 * TABLE_QUOTE_MAX + 16];
    quote_cell(q, sizeof q, s, len);
    r->failed = true;
    if (why == DECIMAL_EMPTY)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: empty cell", r->name,
                     line, col);
    else if (why == DECIMAL_NOT_FINITE)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: not a finite number %s",
                     r->name, line, col, q);
    else if (why == DECIMAL_RANGE)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: %s is out of float range",
                     r->name, line, col, q);
    else if (why == DECIMAL_NOMEM)
        bp_error_set(r->err, BP_ENOMEM, "%s:%zu:%zu: out of memory",
                     r->name, line, col);
    else
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: expected a number, got "
                     "%s%s", r->name, line, col, q, cell_hint(s, len));
}

void reader_nomem(struct reader *r)
{
    r->failed = true;
    bp_error_set(r->err, BP_ENOMEM, "%s: out of memory", r->name);
}

/* ---- callbacks ---- */

/* Line ends inside a field's bytes: CRLF once, lone CR and LF once each. */
static size_t count_line_ends(const unsigned char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            n++;
        } else if (s[i] == '\r') {
            n++;
            if (i + 1 < len && s[i + 1] == '\n')
                i++;
        }
    }
    return n;
}

/* Makes room for one more cell or row. A borrowed region cannot grow:
 * running out of it would be a bug in count_part's bound. */
static int room(struct reader *r, void **arr, size_t *cap, size_t used,
                size_t size, size_t first)
{
    if (used < *cap)
        return 0;
    if (r->fixed) {
        assert(!"a part's rows overflowed their bound");
        r->failed = true;
        bp_error_set(r->err, BP_EINTERNAL, "%s:%zu: the rows of a part "
                     "overflowed their bound", r->name, r->line);
        return -1;
    }
    if (grow(arr, cap, used, size, first) != 0) {
        reader_nomem(r);
        return -1;
    }
    return 0;
}

static void add_header_name(struct reader *r, const char *s, size_t len)
{
    if (grow((void **)&r->header, &r->header_cap, r->n_header,
             sizeof *r->header, 16) != 0) {
        reader_nomem(r);
        return;
    }
    char *name = malloc(len + 1);
    if (!name) {
        reader_nomem(r);
        return;
    }
    memcpy(name, s, len);
    name[len] = '\0';
    r->header[r->n_header++] = name;
}

/* A missing cell where the layout refuses them: sets the error, 1. */
static int missing_error(struct reader *r, size_t line, size_t col)
{
    if (!r->layout->missing_is_error)
        return 0;
    r->failed = true;
    if (r->header && col <= r->n_header) {
        char q[4 * TABLE_QUOTE_MAX + 16];
        const char *name = r->header[col - 1];
        quote_cell(q, sizeof q, name, strlen(name));
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: missing value in "
                     "column %s", r->name, line, col, q);
    } else {
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: missing value in "
                     "column %zu", r->name, line, col, col);
    }
    return 1;
}

/* Keeps a field of the first record of a file without a header until the
 * layout has decided the kinds (end_record). */
static void keep_first_field(struct reader *r, const char *s, size_t len,
                             size_t line)
{
    if (grow((void **)&r->first_line, &r->first_cap, r->n_first,
             sizeof *r->first_line, 16) != 0) {
        reader_nomem(r);
        return;
    }
    /* first grows with first_line, to first_cap. */
    char **names = realloc(r->first, r->first_cap * sizeof *names);
    if (!names) {
        reader_nomem(r);
        return;
    }
    r->first = names;
    char *copy = malloc(len + 1);
    if (!copy) {
        reader_nomem(r);
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    r->first[r->n_first] = copy;
    r->first_line[r->n_first++] = line;
}

static void add_cell(struct reader *r, const char *s, size_t len,
                     size_t line, size_t col)
{
    /* Unquoted fields arrive trimmed; a quoted " 1.5 " is trimmed here
     * too, as float(" 1.5 ") would be in Python. */
    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;

    float v = 0.0f;
    enum table_kind kind = r->kind ? (enum table_kind)r->kind[col - 1]
                                   : TABLE_NUMBER;
    enum decimal_error why;
    if (kind == TABLE_SKIP) {
        v = 0.0f;
    } else if ((kind == TABLE_TEXT || (kind == TABLE_NUMBER && r->na_numeric)) &&
               is_na(r, s, len)) {
        if (missing_error(r, line, col))
            return;
        if (kind == TABLE_TEXT) {
            uint32_t none = TABLE_NO_TEXT;
            memcpy(&v, &none, sizeof v);
        } else {
            v = TABLE_MISSING;
        }
    } else if (kind == TABLE_TEXT || kind == TABLE_RAW) {
        uint32_t id;
        if (text_pool_intern(&r->pool, s, len, &id) != 0) {
            reader_nomem(r);
            return;
        }
        memcpy(&v, &id, sizeof v);
    } else if (decimal_to_float(s, len, &v, &why) != 0) {
        if (!is_na(r, s, len)) {
            cell_error(r, line, col, s, len, why);
            return;
        }
        if (missing_error(r, line, col))
            return;
        v = TABLE_MISSING;
    }
    if (room(r, (void **)&r->cells, &r->cells_cap, r->n_cells,
             sizeof *r->cells, 1024) != 0)
        return;
    r->cells[r->n_cells++] = v;
}

/* A data row's field `col` held `lines` line ends: the cells after it
 * start further down (table_cell_line). */
static void add_wrap(struct reader *r, size_t col, size_t lines)
{
    if (grow((void **)&r->wraps, &r->wraps_cap, r->n_wraps,
             sizeof *r->wraps, 16) != 0) {
        reader_nomem(r);
        return;
    }
    r->wraps[r->n_wraps++] =
        (struct table_wrap){.line = r->record_line, .col = col,
                            .lines = lines};
}

/* Every field but a short whole number in a data row: header names,
 * quoted line ends, the general number parser, long rows. Kept out of
 * on_field so that the common case saves no registers (about a third of
 * its instructions). */
static __attribute__((noinline)) void on_other_field(struct reader *r,
                                                     void *data, size_t len)
{
    if (r->failed)
        return;
    r->prev_was_cr_end = false;
    if (r->field == 0)
        r->record_line = r->line;
    r->field++;
    size_t line = r->line, col = r->field;
    /* A quoted field may span lines; keep the count physical. */
    size_t ends = count_line_ends(data, len);
    r->line += ends;
    if (ends && !(r->want_header && !r->header_done))
        add_wrap(r, col, ends);

    if (r->want_header && !r->header_done)
        add_header_name(r, data, len);
    else if (r->layout && r->n_cols == 0)
        keep_first_field(r, data, len, line);
    else if (r->n_cols == 0 || col <= r->n_cols)
        add_cell(r, data, len, line, col);
    /* else: a long row; counted here, reported when the record ends */
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct reader *r = ctx;
    /* The common case: a short whole number in a data row (n_cols is 0
     * until the header or the first row has ended), which needs neither
     * line counting nor the general parser. */
    float whole = decimal_small_whole(data, len);
    if (whole >= 0.0f && r->field < r->n_cols && r->n_cells < r->cells_cap &&
        !r->failed && r->fast[r->field]) {
        r->prev_was_cr_end = false;
        if (r->field == 0)
            r->record_line = r->line;
        r->field++;
        r->cells[r->n_cells++] = whole;
        return;
    }
    on_other_field(r, data, len);
}

/* COL of a count mismatch: the first field missing, or the first extra. */
static size_t mismatch_col(size_t found, size_t expected)
{
    return (found < expected ? found : expected) + 1;
}

static void record_count_error(struct reader *r, size_t expected)
{
    r->failed = true;
    bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: expected %zu fields, found "
                 "%zu", r->name, r->record_line,
                 mismatch_col(r->field, expected), expected, r->field);
}

/* Asks the layout for the kinds of the n_cols columns. 0 or -1. */
static int decide_kinds(struct reader *r)
{
    const struct table_layout *l = r->layout;
    if (!l)
        return 0;
    r->kind = calloc(r->n_cols ? r->n_cols : 1, sizeof *r->kind);
    if (!r->kind) {
        reader_nomem(r);
        return -1;
    }
    r->own_kind = true;
    if (l->decide &&
        l->decide(l->ctx, r->want_header ? r->header : NULL, r->n_cols,
                  r->record_line, r->kind, r->err) != 0) {
        r->failed = true;
        return -1;
    }
    /* An NA mark that reads as a number ("-999") must be tested before
     * the number is parsed, which the fast path of on_field skips. */
    for (size_t i = 0; i < l->n_na_values; i++) {
        float v;
        const char *na = l->na_values[i];
        if (decimal_to_float(na, strlen(na), &v, NULL) == 0)
            r->na_numeric = true;
    }
    return 0;
}

/* The first record of a file without a header, kept until the kinds were
 * known, now read as the first row. */
static void replay_first(struct reader *r)
{
    for (size_t i = 0; i < r->n_first && !r->failed; i++)
        add_cell(r, r->first[i], strlen(r->first[i]), r->first_line[i],
                 i + 1);
    for (size_t i = 0; i < r->n_first; i++)
        free(r->first[i]);
    r->n_first = 0;
}

/* Which columns on_field's fast path may take: numbers, unless an NA
 * mark reads as one. Known once the kinds are. 0 or -1. */
static int mark_fast(struct reader *r)
{
    r->fast = malloc(r->n_cols ? r->n_cols : 1);
    if (!r->fast) {
        reader_nomem(r);
        return -1;
    }
    r->own_fast = true;
    for (size_t c = 0; c < r->n_cols; c++)
        r->fast[c] = !r->na_numeric &&
                     (!r->kind || r->kind[c] == TABLE_NUMBER);
    return 0;
}

static void end_record(struct reader *r)
{
    if (r->want_header && !r->header_done) {
        r->header_done = true;
        r->header_line = r->record_line;
        r->n_cols = r->field;
        if (r->expected_cols && r->n_cols != r->expected_cols)
            record_count_error(r, r->expected_cols);
        else if (decide_kinds(r) == 0)
            mark_fast(r);
        return;
    }
    if (r->n_cols == 0) {
        r->n_cols = r->field;
        if (r->expected_cols && r->n_cols != r->expected_cols) {
            record_count_error(r, r->expected_cols);
            return;
        }
        if (r->layout && decide_kinds(r) != 0)
            return;
        if (mark_fast(r) != 0)
            return;
        if (r->layout) {
            replay_first(r);
            if (r->failed)
                return;
        }
    } else if (r->field != r->n_cols) {
        record_count_error(r, r->n_cols);
        return;
    }
    if (room(r, (void **)&r->row_line, &r->rows_cap, r->n_rows,
             sizeof *r->row_line, 256) != 0)
        return;
    r->row_line[r->n_rows++] = r->record_line;
    assert(r->n_cells == r->n_rows * r->n_cols);
}

/* c is the CR or LF that ended the record, or -1 from csv_fini. */
static void on_record(int c, void *ctx)
{
    struct reader *r = ctx;
    if (r->failed)
        return;
    if (c == '\n')
        r->lf_ends++;
    if (c == '\n' && r->prev_was_cr_end) {
        /* The LF of a CRLF: libcsv reports it as an empty record of its
         * own. (A CR, then spaces or tabs, then LF looks the same, since
         * libcsv skips the blanks silently; such a file is counted one
         * line short after that point.) */
        r->prev_was_cr_end = false;
        return;
    }
    r->prev_was_cr_end = c == '\r';
    if (c == '\r' || c == '\n')
        r->line++;
    if (r->field == 0)
        return; /* a blank line */
    end_record(r);
    r->field = 0;
}

/* ---- driving libcsv ---- */

static int quoting_error(struct reader *r, const char *detail)
{
    /* r->line is where the field being parsed starts: the lines of the
     * fields before it are counted already, its own are not. */
    return bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: malformed quoting%s",
                        r->name, r->line, r->field + 1, detail);
}

static int parser_error(struct reader *r, struct csv_parser *p)
{
    int status = csv_error(p);
    if (status == CSV_EPARSE)
        return quoting_error(r, "");
    return bp_error_set(r->err, BP_ENOMEM, "%s:%zu: %s", r->name, r->line,
                        csv_strerror(status));
}

/* Feeds n bytes holding no NUL to libcsv. */
static int feed_parser(struct reader *r, struct csv_parser *p,
                       const unsigned char *s, size_t n)
{
    /* libcsv grows its field buffer by a fixed block; making the block as
     * large as the buffer before each call turns that into doubling, so a
     * 10 MB field costs a few reallocs, not 80000. */
    size_t block = csv_get_buffer_size(p);
    csv_set_blk_size(p, block > TABLE_MIN_FIELD_BLOCK ? block
                                                      : TABLE_MIN_FIELD_BLOCK);
    size_t done = csv_parse(p, s, n, on_field, on_record, r);
    if (r->failed)
        return -1;
    if (done != n)
        return parser_error(r, p);
    return 0;
}

int reader_feed(struct reader *r, struct csv_parser *p,
                const unsigned char *s, size_t n)
{
    const unsigned char *nul = memchr(s, '\0', n);
    size_t clean = nul ? (size_t)(nul - s) : n;
    if (clean > 0 && feed_parser(r, p, s, clean) != 0)
        return -1;
    if (nul) {
        /* Everything before it is parsed, so the position is exact to the
         * field (a NUL inside a quoted field reports the field's start). */
        return bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: NUL byte in the "
                            "data", r->name, r->line, r->field + 1);
    }
    return 0;
}

/* Whether a field of an unquoted line would reach the callbacks exactly
 * as it stands in the text: libcsv trims blanks off an unquoted field's
 * ends, which lines with such fields leave to libcsv. */
static bool field_as_written(const unsigned char *f, size_t len)
{
    return len == 0 || (f[0] != ' ' && f[0] != '\t' && f[len - 1] != ' ' &&
                        f[len - 1] != '\t');
}

int reader_take_plain_lines(struct reader *r, const unsigned char *s,
                            size_t n, size_t *taken)
{
    *taken = 0;
    size_t nc = r->n_cols;
    if (r->failed || nc == 0 || nc > UINT32_MAX - 1 || r->field != 0 ||
        r->prev_was_cr_end || (r->want_header && !r->header_done))
        return 0;
    /* Where each field of a line starts, and one more: the line's end
     * plus one, as if a separator followed it; and which fields are
     * already converted (below). */
    uint32_t *start = malloc((nc + 1) * sizeof *start);
    unsigned char *converted = malloc(nc);
    int rc = 0;
    if (!start || !converted)
        goto out; /* libcsv reads it all instead */
    const unsigned char *end = s + n;
    while (*taken < n) {
        const unsigned char *line = s + *taken;
        const unsigned char *lf = memchr(line, '\n', (size_t)(end - line));
        if (!lf || lf == line || (lf == line + 1 && *line == '\r') ||
            lf - line >= (ptrdiff_t)UINT32_MAX - 1)
            break; /* cut off (libcsv reads it with what follows), blank
                    * (no record at all) or absurdly long */
        /* Split the line, checking that libcsv would hand every field
         * over as written: no quote, NUL or CR (but a CRLF's) anywhere,
         * no blank at a field's ends, as many fields as the header. A
         * short whole number in a column on_field's fast path takes is
         * converted on the way, into the cell it will fill: the cells past
         * n_cells are nobody's yet. */
        bool room = r->cells && r->cells_cap - r->n_cells >= nc;
        float *cell = room ? r->cells + r->n_cells : NULL;
        const unsigned char *q = line;
        size_t c = 0;
        bool crlf = false;
        for (;;) {
            if (c == nc)
                goto out;
            const unsigned char *f = q;
            unsigned v = 0, d;
            while ((d = (unsigned)*q - '0') < 10u) /* the LF stops it */
                v = v * 10 + d, q++;
            converted[c] = 0;
            if ((*q == ',' || *q == '\n') && q - f <= 4 && q > f && room &&
                r->fast[c]) {
                cell[c] = (float)v; /* decimal_small_whole's value */
                converted[c] = 1;
            } else {
                while (*q != ',' && *q != '\n') {
                    if (*q == '\r' && q[1] == '\n')
                        break;
                    if (*q == '"' || *q == '\r' || *q == '\0')
                        goto out;
                    q++;
                }
                if (!field_as_written(f, (size_t)(q - f)))
                    goto out;
            }
            start[c] = (uint32_t)(f - line);
            c++;
            if (*q == '\r')
                crlf = true, q++;
            if (*q++ == '\n')
                break;
        }
        if (c != nc)
            break; /* a count error: libcsv's reading words it */
        start[nc] = (uint32_t)(q - line);
        /* What libcsv's callbacks would do with the same bytes: on_field's
         * fast path for a converted field, on_field itself otherwise. */
        for (size_t k = 0; k < nc && !r->failed; k++) {
            if (converted[k]) {
                if (k == 0)
                    r->record_line = r->line;
                r->field++;
                r->n_cells++;
            } else {
                r->prev_was_cr_end = false;
                size_t len = start[k + 1] - 1 - start[k];
                on_field((void *)(line + start[k]),
                         len - (crlf && k + 1 == nc), r);
            }
        }
        r->prev_was_cr_end = false;
        if (crlf)
            on_record('\r', r); /* then the LF, as libcsv reports it */
        on_record('\n', r);
        if (r->failed) {
            rc = -1;
            break;
        }
        *taken = (size_t)(q - s);
    }
out:
    free(start);
    free(converted);
    return rc;
}

int reader_feed_step(struct reader *r, struct csv_parser *p,
                     const unsigned char *s, size_t n, size_t line_max,
                     bool *boundary, size_t *taken)
{
    *taken = 0;
    if (*boundary && reader_take_plain_lines(r, s, n, taken) != 0)
        return -1;
    if (*taken > 0)
        return 0;
    size_t k = n < line_max ? n : line_max;
    const unsigned char *lf = memchr(s, '\n', k);
    *taken = lf ? (size_t)(lf + 1 - s) : k;
    size_t seen = r->lf_ends;
    if (reader_feed(r, p, s, *taken) != 0)
        return -1;
    *boundary = lf && r->lf_ends > seen;
    return 0;
}

/* Refuses what is plainly not CSV text before libcsv turns it into a
 * confusing number error. */
int reader_check_head(struct reader *r, const unsigned char *head,
                      size_t n, size_t *skip)
{
    *skip = 0;
    if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) ||
                   (head[0] == 0xFE && head[1] == 0xFF)))
        return bp_error_set(r->err, BP_EINPUT, "%s:1:1: the file is UTF-16; "
                            "save it as UTF-8", r->name);
    if (n >= 2 && head[0] == 0x1F && head[1] == 0x8B) {
        /* "<stdin>" is no file name to hand to zcat. */
        const char *file = r->name[0] == '<' ? "FILE" : r->name;
        return bp_error_set(r->err, BP_EINPUT, "%s:1:1: the file is "
                            "gzip-compressed; decompress it first (zcat %s | "
                            "backprop ... -)", r->name, file);
    }
    if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
        *skip = 3;
    return 0;
}

void reader_free(struct reader *r)
{
    if (r->own_kind)
        free(r->kind);
    r->kind = NULL;
    if (r->own_fast)
        free(r->fast);
    r->fast = NULL;
    text_pool_free(&r->pool);
    for (size_t i = 0; i < r->n_first; i++)
        free(r->first[i]);
    free(r->first);
    free(r->first_line);
    r->first = NULL;
    r->first_line = NULL;
    r->n_first = 0;
    for (size_t i = 0; i < r->n_header; i++)
        free(r->header[i]);
    free(r->header);
    free(r->cells);
    free(r->row_line);
    free(r->wraps);
}

/* For a regular file of `bytes`, reserves room for as many cells as it
 * could hold (a digit and a comma each): growing by doubling would copy a
 * large matrix several times over, and untouched pages of the reservation
 * cost nothing. A pipe grows as it goes. */
void reader_reserve_cells(struct reader *r, uintmax_t bytes)
{
    if (bytes == 0 || bytes / 2 + 1 > SIZE_MAX / sizeof *r->cells)
        return;
    size_t cells = (size_t)(bytes / 2) + 1;
    float *p = malloc(cells * sizeof *p);
    if (!p)
        return; /* too big to reserve: grow as it goes */
#ifdef MADV_HUGEPAGE
    /* Large pages: a 200 MB matrix faults in 100 times instead of 50,000
     * (a hint; where the kernel has none, nothing changes). */
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + cells * sizeof *p) & ~(huge - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
    r->cells = p;
    r->cells_cap = cells;
}

uintmax_t reader_file_size(FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return 0;
    return (uintmax_t)st.st_size;
}

int reader_end_text(struct reader *r, struct csv_parser *p)
{
    if (csv_fini(p, on_field, on_record, r) != 0) {
        if (!r->failed)
            quoting_error(r, ": a quoted field is never closed");
        return -1;
    }
    return r->failed ? -1 : 0;
}

int reader_finish(struct reader *r, struct csv_parser *p, bool empty,
                  struct table *t)
{
    if (reader_end_text(r, p) != 0)
        return -1;
    if (r->n_rows == 0)
        return bp_error_set(r->err, BP_EINPUT, "%s: no data rows%s", r->name,
                            empty ? " (the file is empty)" : "");

    /* Give back the slack of the reservation; a failed shrink is
     * harmless. */
    float *cells = realloc(r->cells, r->n_cells * sizeof *cells);
    if (cells)
        r->cells = cells;

    reader_view(r, t); /* what the reader owned is the table's now */
    r->kind = NULL;
    r->own_kind = false;
    if (r->own_fast)
        free(r->fast);
    r->fast = NULL;
    r->own_fast = false;
    r->pool.str = NULL;
    r->pool.n = 0;
    text_pool_free(&r->pool);
    r->cells = NULL;
    r->row_line = NULL;
    r->wraps = NULL;
    r->n_wraps = 0;
    r->header = NULL;
    r->n_header = 0;
    /* The first row of a file without a header, kept for the layout and
     * replayed (its strings freed by replay_first). */
    free(r->first);
    free(r->first_line);
    r->first = NULL;
    r->first_line = NULL;
    return 0;
}

void reader_view(const struct reader *r, struct table *t)
{
    memset(t, 0, sizeof *t);
    t->n_rows = r->n_rows;
    t->n_cols = r->n_cols;
    t->cells = r->cells;
    t->row_line = r->row_line;
    t->wraps = r->wraps;
    t->n_wraps = r->n_wraps;
    t->header = r->header;
    t->header_line = r->header_line;
    t->kind = r->kind;
    t->text = r->pool.str;
    t->n_text = r->pool.n;
}

void reader_drop_rows(struct reader *r)
{
    size_t done = r->n_rows * r->n_cols;
    assert(done <= r->n_cells);
    /* The wraps of the rows handed over go with them; those of the
     * record in progress stay. */
    size_t gone = 0;
    while (r->n_rows && gone < r->n_wraps &&
           r->wraps[gone].line <= r->row_line[r->n_rows - 1])
        gone++;
    if (gone) {
        memmove(r->wraps, r->wraps + gone,
                (r->n_wraps - gone) * sizeof *r->wraps);
        r->n_wraps -= gone;
    }
    memmove(r->cells, r->cells + done, (r->n_cells - done) * sizeof *r->cells);
    r->n_cells -= done;
    r->n_rows = 0;
    if (!r->kind || r->pool.n == 0)
        return;
    /* The record in progress may hold text ids: a fresh pool keeps just
     * its texts, so a stream of distinct ids (predict --keep id) holds a
     * block's worth of texts at a time, not the file's. */
    struct text_pool fresh = {0};
    for (size_t k = 0; k < r->n_cells; k++) {
        if (r->kind[k] != TABLE_TEXT && r->kind[k] != TABLE_RAW)
            continue;
        uint32_t id;
        memcpy(&id, &r->cells[k], sizeof id);
        if (id == TABLE_NO_TEXT)
            continue;
        const char *text = r->pool.str[id];
        if (text_pool_intern(&fresh, text, strlen(text), &id) != 0) {
            text_pool_free(&fresh);
            reader_nomem(r);
            return;
        }
        memcpy(&r->cells[k], &id, sizeof id);
    }
    text_pool_free(&r->pool);
    r->pool = fresh;
}

int reader_adopt_texts(struct reader *first, const struct reader *part,
                       size_t row0, size_t n)
{
    if (!first->kind || part->pool.n == 0)
        return 0;
    uint32_t *map = malloc(part->pool.n * sizeof *map);
    if (!map)
        return -1;
    for (size_t i = 0; i < part->pool.n; i++)
        if (text_pool_intern(&first->pool, part->pool.str[i],
                             strlen(part->pool.str[i]), &map[i]) != 0) {
            free(map);
            return -1;
        }
    size_t nc = first->n_cols;
    for (size_t c = 0; c < nc; c++) {
        if (first->kind[c] != TABLE_TEXT && first->kind[c] != TABLE_RAW)
            continue;
        for (size_t k = 0; k < n; k++) {
            float *cell = first->cells + (row0 + k) * nc + c;
            uint32_t id;
            memcpy(&id, cell, sizeof id);
            if (id != TABLE_NO_TEXT) {
                id = map[id];
                memcpy(cell, &id, sizeof id);
            }
        }
    }
    free(map);
    return 0;
}

struct reader reader_start(const char *name, bool header,
                           size_t expected_cols,
                           const struct table_layout *layout,
                           struct bp_error *err)
{
    struct reader r = {
        .name = name ? name : "<input>",
        .want_header = header,
        .expected_cols = expected_cols,
        .layout = layout,
        .err = err,
        .line = 1,
    };
    return r;
}
