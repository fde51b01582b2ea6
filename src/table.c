/*
 * table: a CSV file of numbers read into one row-major float matrix.
 * See table.h. This is the only file that includes libcsv.
 *
 * libcsv 3.0.3 splits the bytes into fields and records but reports no
 * positions, so the callback context counts lines itself: with
 * CSV_REPALL_NL every unquoted CR and LF reaches the record callback, and
 * line ends inside quoted fields are counted from the field's bytes. It
 * does not strip a byte-order mark either; that happens here, before the
 * first byte reaches it.
 *
 * A large regular file is read in parts (table.h): libcsv stays the only
 * tokenizer, but one parser per piece, the pieces cut at LFs of a text
 * with no quote after its first lines, where every LF ends a line. The
 * parallel loops are here rather than in kernels.c or trainer.c (the
 * other OpenMP users) because what they run is this file's callbacks.
 * Each piece counts lines from 1 and the rows are renumbered when joined;
 * a failed piece is parsed again from its real first line for its message
 * (read_parts).
 *
 * What this module is not: it knows nothing about labels or features
 * (dataset.c maps columns), and it never prints.
 */
/* madvise(MADV_HUGEPAGE) is a Linux extension beyond _XOPEN_SOURCE. */
#define _DEFAULT_SOURCE

#include "table.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Long enough that a file of ordinary rows costs few csv_parse calls,
 * short enough to sit in L2. */
#define TABLE_CHUNK_SIZE ((size_t)64 * 1024)

/* Smallest increment of libcsv's field buffer; see feed_parser. */
#define TABLE_MIN_FIELD_BLOCK ((size_t)4096)

/* How much of a bad cell an error message quotes. */
#define TABLE_QUOTE_MAX 40

/* Cells that fit here are converted without a heap copy. */
#define TABLE_NUMBER_STACK 128

#define TABLE_CSV_OPTIONS \
    (CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL)

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

    /* In a parallel read: cells and row_line are a borrowed region of the
     * shared matrix, sized to fit (count_part), which must never move. */
    bool fixed;
    size_t lf_ends;         /* unquoted LFs reported so far */
};

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

static const char WHY_EMPTY[] = "empty cell";
static const char WHY_NOT_NUMBER[] = "expected a number";
static const char WHY_NOT_FINITE[] = "not a finite number";
static const char WHY_RANGE[] = "out of float range";
static const char WHY_NOMEM[] = "out of memory";

static void cell_error(struct reader *r, size_t line, size_t col,
                       const char *s, size_t len, const char *why)
{
    char q[4 * TABLE_QUOTE_MAX + 16];
    quote_cell(q, sizeof q, s, len);
    r->failed = true;
    if (why == WHY_EMPTY)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: empty cell", r->name,
                     line, col);
    else if (why == WHY_NOT_FINITE)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: not a finite number %s",
                     r->name, line, col, q);
    else if (why == WHY_RANGE)
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: %s is out of float range",
                     r->name, line, col, q);
    else if (why == WHY_NOMEM)
        bp_error_set(r->err, BP_ENOMEM, "%s:%zu:%zu: out of memory",
                     r->name, line, col);
    else
        bp_error_set(r->err, BP_EINPUT, "%s:%zu:%zu: expected a number, got "
                     "%s%s", r->name, line, col, q, cell_hint(s, len));
}

static void nomem(struct reader *r)
{
    r->failed = true;
    bp_error_set(r->err, BP_ENOMEM, "%s: out of memory", r->name);
}

/* ---- numbers ---- */

static size_t skip_digits(const char *s, size_t i, size_t len)
{
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* [+-]digits[.digits][(e|E)[+-]digits], with digits on at least one side
 * of the point: the subset of strtof's grammar that is plainly decimal
 * (no hex, no inf/nan, no leading space, no trailing garbage). */
static bool decimal_syntax(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t start = i;
    i = skip_digits(s, i, len);
    size_t mantissa_digits = i - start;
    if (i < len && s[i] == '.') {
        size_t frac = ++i;
        i = skip_digits(s, i, len);
        mantissa_digits += i - frac;
    }
    if (mantissa_digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = i;
        i = skip_digits(s, i, len);
        if (i == exp)
            return false;
    }
    return i == len;
}

static bool equals_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* nan, inf, infinity in any case, signed, and nan(...): what strtof would
 * read as a non-finite value. */
static bool non_finite_word(const char *s, size_t len)
{
    if (len > 0 && (s[0] == '+' || s[0] == '-'))
        s++, len--;
    if (len >= 5 && equals_nocase(s, 4, "nan(") && s[len - 1] == ')')
        return true;
    return equals_nocase(s, len, "nan") || equals_nocase(s, len, "inf") ||
           equals_nocase(s, len, "infinity");
}

/* The exact fast path (Clinger 1990): a decimal whose digits, read as an
 * integer M, are at most 2^24, with a power of ten |e| <= 10, is M * 10^e
 * where both factors are exact floats, so one float multiplication or
 * division rounds it correctly: the float strtof returns. That covers
 * pixel values, counts and short decimals ("5.1", "0.0625"); anything else
 * (more digits, larger exponents) returns false for the strtof path. */
static bool parse_short_decimal(const char *s, size_t len, float *out)
{
    static const float pow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                  1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    const uint32_t max_mantissa = (uint32_t)1 << 24;
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    uint32_t m = 0;
    size_t digits = 0;
    int exponent = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        if ((m = m * 10 + (uint32_t)(s[i] - '0')) > max_mantissa)
            return false;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if ((m = m * 10 + (uint32_t)(s[i] - '0')) > max_mantissa)
                return false;
            exponent--;
        }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool exp_negative = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            exp_negative = s[i++] == '-';
        int e = 0;
        size_t exp_digits = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9' && e < 100;
             i++, exp_digits++)
            e = e * 10 + (s[i] - '0');
        if (exp_digits == 0)
            return false;
        exponent += exp_negative ? -e : e;
    }
    if (i != len || exponent < -10 || exponent > 10)
        return false;
    float v = (float)m;
    v = exponent >= 0 ? v * pow10[exponent] : v / pow10[-exponent];
    *out = negative ? -v : v;
    return true;
}

int table_parse_float(const char *s, size_t len, float *out,
                      const char **why)
{
    const char *reason = NULL;
    if (parse_short_decimal(s, len, out))
        return 0;
    if (len == 0) {
        reason = WHY_EMPTY;
        goto fail;
    }
    if (!decimal_syntax(s, len)) {
        reason = non_finite_word(s, len) ? WHY_NOT_FINITE : WHY_NOT_NUMBER;
        goto fail;
    }

    /* strtof needs a terminated string; cells are not promised to be. */
    char small[TABLE_NUMBER_STACK];
    char *buf = small;
    if (len >= sizeof small) {
        buf = malloc(len + 1);
        if (!buf) {
            reason = WHY_NOMEM;
            goto fail;
        }
    }
    memcpy(buf, s, len);
    buf[len] = '\0';

    /* backprop never calls setlocale(), so strtof runs in the C locale
     * and reads a decimal point whatever the user's LC_NUMERIC says. */
    char *end;
    errno = 0;
    float v = strtof(buf, &end);
    int saved = errno;
    bool whole = end == buf + len;
    if (buf != small)
        free(buf);
    assert(whole);
    (void)whole;

    /* ERANGE also flags underflow (a subnormal or zero result): accepted,
     * as numpy and pandas accept it. Only overflow is an error. */
    if (saved == ERANGE && isinf(v)) {
        reason = WHY_RANGE;
        goto fail;
    }
    *out = v;
    return 0;

fail:
    if (why)
        *why = reason;
    return -1;
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
        nomem(r);
        return -1;
    }
    return 0;
}

static void add_header_name(struct reader *r, const char *s, size_t len)
{
    if (grow((void **)&r->header, &r->header_cap, r->n_header,
             sizeof *r->header, 16) != 0) {
        nomem(r);
        return;
    }
    char *name = malloc(len + 1);
    if (!name) {
        nomem(r);
        return;
    }
    memcpy(name, s, len);
    name[len] = '\0';
    r->header[r->n_header++] = name;
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

    float v;
    const char *why;
    if (table_parse_float(s, len, &v, &why) != 0) {
        cell_error(r, line, col, s, len, why);
        return;
    }
    if (room(r, (void **)&r->cells, &r->cells_cap, r->n_cells,
             sizeof *r->cells, 1024) != 0)
        return;
    r->cells[r->n_cells++] = v;
}

/* A cell of one to four plain digits (pixel values, counts, labels: most
 * cells of large files) as its exact float, or -1. */
static inline float small_whole_number(const unsigned char *s, size_t len)
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
    r->line += count_line_ends(data, len);

    if (r->want_header && !r->header_done)
        add_header_name(r, data, len);
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
    float whole = small_whole_number(data, len);
    if (whole >= 0.0f && r->field < r->n_cols && r->n_cells < r->cells_cap &&
        !r->failed) {
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

static void end_record(struct reader *r)
{
    if (r->want_header && !r->header_done) {
        r->header_done = true;
        r->header_line = r->record_line;
        r->n_cols = r->field;
        if (r->expected_cols && r->n_cols != r->expected_cols)
            record_count_error(r, r->expected_cols);
        return;
    }
    if (r->n_cols == 0) {
        r->n_cols = r->field;
        if (r->expected_cols && r->n_cols != r->expected_cols) {
            record_count_error(r, r->expected_cols);
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

static int feed(struct reader *r, struct csv_parser *p,
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

static int read_error(struct reader *r)
{
    return bp_error_set(r->err, BP_EIO, "%s: read error: %s", r->name,
                        strerror(errno));
}

/* The first n (at most 3) bytes: refuses what is plainly not CSV text
 * before libcsv turns it into a confusing number error, and sets *skip to
 * the length of a UTF-8 BOM (3) or 0. */
static int check_head(struct reader *r, const unsigned char *head, size_t n,
                      size_t *skip)
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

static int feed_start(struct reader *r, struct csv_parser *p, FILE *f,
                      bool *empty)
{
    unsigned char head[3];
    size_t n = fread(head, 1, sizeof head, f);
    if (n < sizeof head && ferror(f))
        return read_error(r);
    *empty = n == 0;
    size_t skip;
    if (check_head(r, head, n, &skip) != 0)
        return -1;
    return feed(r, p, head + skip, n - skip);
}

static void reader_free(struct reader *r)
{
    for (size_t i = 0; i < r->n_header; i++)
        free(r->header[i]);
    free(r->header);
    free(r->cells);
    free(r->row_line);
}

/* For a regular file of `bytes`, reserves room for as many cells as it
 * could hold (a digit and a comma each): growing by doubling would copy a
 * large matrix several times over, and untouched pages of the reservation
 * cost nothing. A pipe grows as it goes. */
static void reserve_cells(struct reader *r, uintmax_t bytes)
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

static uintmax_t file_size(FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return 0;
    return (uintmax_t)st.st_size;
}

/* After the last byte: ends the record in progress, checks that there are
 * rows, and hands the matrix over to t. */
static int finish(struct reader *r, struct csv_parser *p, bool empty,
                  struct table *t)
{
    if (csv_fini(p, on_field, on_record, r) != 0) {
        if (!r->failed)
            quoting_error(r, ": a quoted field is never closed");
        return -1;
    }
    if (r->failed)
        return -1;
    if (r->n_rows == 0)
        return bp_error_set(r->err, BP_EINPUT, "%s: no data rows%s", r->name,
                            empty ? " (the file is empty)" : "");

    /* Give back the slack of the reservation; a failed shrink is
     * harmless. */
    float *cells = realloc(r->cells, r->n_cells * sizeof *cells);
    if (cells)
        r->cells = cells;

    t->n_rows = r->n_rows;
    t->n_cols = r->n_cols;
    t->cells = r->cells;
    t->row_line = r->row_line;
    t->header = r->header;
    t->header_line = r->header_line;
    r->cells = NULL;
    r->row_line = NULL;
    r->header = NULL;
    r->n_header = 0;
    return 0;
}

/* A reader at the start of a text: line 1, nothing read yet. */
static struct reader reader_start(const char *name, bool header,
                                  size_t expected_cols, struct bp_error *err)
{
    struct reader r = {
        .name = name ? name : "<input>",
        .want_header = header,
        .expected_cols = expected_cols,
        .err = err,
        .line = 1,
    };
    return r;
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
        nomem(&r);
        goto fail;
    }
    parser_ready = true;
    buf = malloc(chunk_size);
    if (!buf) {
        nomem(&r);
        goto fail;
    }
    reserve_cells(&r, file_size(f));

    if (feed_start(&r, &p, f, &empty) != 0)
        goto fail;
    for (;;) {
        size_t n = fread(buf, 1, chunk_size, f);
        if (n > 0 && feed(&r, &p, buf, n) != 0)
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
    if (finish(&r, &p, empty, t) != 0)
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

/* ---- a mapped file, read in parts ---- */

/* table_read reads a smaller file serially: below a few megabytes the
 * mapping and the two parallel regions save nothing worth having. */
#define TABLE_PARALLEL_MIN ((size_t)4 << 20)

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

/* Feeds n bytes in chunks that sit in L2. */
static int feed_all(struct reader *r, struct csv_parser *p,
                    const unsigned char *s, size_t n)
{
    for (size_t at = 0; at < n;) {
        size_t k = n - at < TABLE_CHUNK_SIZE ? n - at : TABLE_CHUNK_SIZE;
        if (feed(r, p, s + at, k) != 0)
            return -1;
        at += k;
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
            return feed_all(r, p, s + at, n - at);
        }
        /* The LF alone last: whether on_record saw it tells whether it
         * lay outside quotes. */
        size_t end = (size_t)(lf - s) + 1;
        if (feed_all(r, p, s + at, end - 1 - at) != 0)
            return -1;
        size_t seen = r->lf_ends;
        if (feed(r, p, s + end - 1, 1) != 0)
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
    if (feed_all(pt->r, pt->p, pt->s, pt->n) != 0)
        return -1;
    if (!pt->last)
        return 0;
    if (csv_fini(pt->p, on_field, on_record, pt->r) != 0) {
        if (!pt->r->failed)
            quoting_error(pt->r, ": a quoted field is never closed");
        return -1;
    }
    return pt->r->failed ? -1 : 0;
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
    };
    pt->r = &pt->own_r;
    pt->p = &pt->own_p;
    if (pt->own_p_ready)
        csv_free(&pt->own_p);
    pt->own_p_ready = csv_init(&pt->own_p, TABLE_CSV_OPTIONS) == 0;
    if (!pt->own_p_ready) {
        nomem(&pt->own_r);
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
static void join_parts(struct reader *first, struct part *parts, size_t n)
{
    size_t nc = first->n_cols, rows = first->n_rows, line = first->line;
    for (size_t i = 1; i < n; i++) {
        const struct reader *q = parts[i].r;
        assert(q->n_cells == q->n_rows * nc);
        if (parts[i].row0 != rows) {
            memmove(first->cells + rows * nc, q->cells,
                    q->n_cells * sizeof *q->cells);
            memmove(first->row_line + rows, q->row_line,
                    q->n_rows * sizeof *q->row_line);
        }
        for (size_t k = 0; k < q->n_rows; k++)
            first->row_line[rows + k] += line - 1;
        rows += q->n_rows;
        line += q->line - 1;
    }
    first->n_rows = rows;
    first->n_cells = rows * nc;
    first->line = line;
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
        nomem(first);
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
        rc = feed_all(first, p, s, n);
        goto out;
    }
    *pieces = count;
    if (make_room(first, rows) != 0) {
        nomem(first);
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
        nomem(first);
        goto out;
    }
    if (parts[0].rc != 0)
        goto out; /* its message is in first->err, lines absolute */
    for (size_t i = 1; i < count; i++)
        if (parts[i].rc != 0) {
            report_part(parts, i, first, first->err);
            goto out;
        }
    join_parts(first, parts, count);
    rc = 0;

out:
    for (size_t i = 1; i < count; i++)
        if (parts[i].own_p_ready)
            csv_free(&parts[i].own_p);
    free(parts);
    return rc;
}

/* s[0..n), n > 0: the rest of a regular file. */
static int read_text(struct table *t, const unsigned char *s, size_t n,
                     const char *name, bool header, size_t expected_cols,
                     size_t parts, int threads, size_t *pieces,
                     struct bp_error *err)
{
    struct reader r = reader_start(name, header, expected_cols, err);
    struct csv_parser p;
    bool parser_ready = false;
    size_t pos;

    memset(t, 0, sizeof *t);
    if (csv_init(&p, TABLE_CSV_OPTIONS) != 0) {
        nomem(&r);
        goto fail;
    }
    parser_ready = true;
    reserve_cells(&r, n);
    if (check_head(&r, s, n < 3 ? n : 3, &pos) != 0 ||
        read_first_lines(&r, &p, s, n, &pos) != 0)
        goto fail;
    if (pos < n &&
        read_parts(&r, &p, s + pos, n - pos, parts, threads, pieces) != 0)
        goto fail;
    if (finish(&r, &p, false, t) != 0)
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
    uintmax_t size = file_size(f);
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

int table_read_parts(struct table *t, FILE *f, const char *name,
                     bool header, size_t expected_cols, size_t parts,
                     int threads, size_t *pieces, struct bp_error *err)
{
    size_t ignored;
    if (!pieces)
        pieces = &ignored;
    *pieces = 1;
    if (threads < 1)
        threads = 1;
    size_t min = 1;
    if (parts == 0) {
        if (threads == 1)
            return table_read_chunked(t, f, name, header, expected_cols, 0,
                                      err);
        parts = (size_t)threads;
        min = TABLE_PARALLEL_MIN;
    }
    void *map;
    size_t map_len, n;
    const unsigned char *s;
    if (!map_rest(f, min, &map, &map_len, &s, &n))
        return table_read_chunked(t, f, name, header, expected_cols, 0, err);
    int rc = read_text(t, s, n, name, header, expected_cols, parts, threads,
                       pieces, err);
    munmap(map, map_len);
    /* All of f is read, as the streaming reader leaves it. */
    fseeko(f, 0, SEEK_END);
    return rc;
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
