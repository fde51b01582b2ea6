/* Tests of the CSV reader (table.h): every accepted form, every error with
 * its exact line and column, and the parser fed in every chunk size. */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rng.h"
#include "table.h"
/* table_read_parts_with, to count the pieces a layout's read was cut
 * into (table.h's table_read_with does not say). */
#include "../src/table_reader.h"
#include "testutil.h"

/* Chunk sizes 1..TEST_MAX_CHUNK (and the default, 0) cover every way a
 * CRLF, a quote pair, a BOM or a number can straddle two csv_parse calls
 * in the small inputs used here. */
#define TEST_MAX_CHUNK 40

static int read_chunked(struct table *t, const char *text, size_t len,
                        bool header, size_t expected, size_t chunk,
                        struct bp_error *err)
{
    FILE *f = testutil_file(text, len);
    ck_assert_ptr_nonnull(f);
    int rc = table_read_chunked(t, f, "t.csv", header, expected, chunk, err);
    fclose(f);
    return rc;
}

static void assert_zeroed(const struct table *t)
{
    ck_assert_uint_eq(t->n_rows, 0);
    ck_assert_uint_eq(t->n_cols, 0);
    ck_assert_ptr_null(t->cells);
    ck_assert_ptr_null(t->row_line);
    ck_assert_ptr_null(t->header);
}

/* Reads `text` at every chunk size and checks each result against the
 * expected shape, values (bit for bit) and row lines. */
static void expect_table_len(const char *text, size_t len, bool header,
                             size_t rows, size_t cols, const float *cells,
                             const size_t *lines, size_t header_line)
{
    for (size_t chunk = 0; chunk <= TEST_MAX_CHUNK; chunk++) {
        struct table t;
        struct bp_error err = {0};
        int rc = read_chunked(&t, text, len, header, 0, chunk, &err);
        ck_assert_msg(rc == 0, "chunk %zu: %s", chunk, err.msg);
        ck_assert_uint_eq(t.n_rows, rows);
        ck_assert_uint_eq(t.n_cols, cols);
        ck_assert_uint_eq(t.header_line, header_line);
        ck_assert(header ? t.header != NULL : t.header == NULL);
        ck_assert_mem_eq(t.cells, cells, rows * cols * sizeof *cells);
        for (size_t r = 0; r < rows; r++)
            ck_assert_msg(t.row_line[r] == lines[r],
                          "chunk %zu row %zu: line %zu, expected %zu", chunk,
                          r, t.row_line[r], lines[r]);
        table_free(&t);
    }
}

static void expect_table(const char *text, bool header, size_t rows,
                         size_t cols, const float *cells,
                         const size_t *lines, size_t header_line)
{
    expect_table_len(text, strlen(text), header, rows, cols, cells, lines,
                     header_line);
}

/* Reads `text` at every chunk size; each must fail with exactly `msg`. */
static void expect_error_len(const char *text, size_t len, bool header,
                             size_t expected, const char *msg)
{
    for (size_t chunk = 0; chunk <= TEST_MAX_CHUNK; chunk++) {
        struct table t;
        struct bp_error err = {0};
        int rc = read_chunked(&t, text, len, header, expected, chunk, &err);
        ck_assert_msg(rc == -1, "chunk %zu: accepted", chunk);
        ck_assert_int_eq(err.code, BP_EINPUT);
        ck_assert_msg(strcmp(err.msg, msg) == 0,
                      "chunk %zu:\n got  %s\n want %s", chunk, err.msg, msg);
        assert_zeroed(&t);
    }
}

static void expect_error(const char *text, bool header, const char *msg)
{
    expect_error_len(text, strlen(text), header, 0, msg);
}

/* ---- accepted forms ---- */

START_TEST(lf_rows_fill_a_row_major_matrix)
{
    static const float cells[] = {1, 2, 3, 4.5f, -5, 6e3f};
    static const size_t lines[] = {2, 3};
    expect_table("a,b,c\n1,2,3\n4.5,-5,6e3\n", true, 2, 3, cells, lines, 1);

    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_chunked(&t, "a,b,c\n1,2,3\n", 12, true, 3, 0,
                                  &err), 0);
    ck_assert_str_eq(t.header[0], "a");
    ck_assert_str_eq(t.header[2], "c");
    table_free(&t);
}
END_TEST

START_TEST(crlf_and_lone_cr_count_lines)
{
    /* line 1 header CRLF, 2 CRLF, 3 lone CR, 4 LF, 5 blank CRLF, 6 CR CR
     * (a blank line 7), 8 without a final newline. */
    static const char text[] = "a,b\r\n1,2\r\n3,4\r5,6\n\r\n7,8\r\r9,10";
    static const float cells[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const size_t lines[] = {2, 3, 4, 6, 8};
    expect_table(text, true, 5, 2, cells, lines, 1);
    expect_error("1,2\r\n3,4\r\rx,5\n", false,
                 "t.csv:4:1: expected a number, got \"x\"");
    expect_error("1,2\n\n\r\n\r\r1,y\r\n", false,
                 "t.csv:6:2: expected a number, got \"y\"");
}
END_TEST

START_TEST(missing_final_newline_keeps_the_last_row)
{
    static const float cells[] = {1, 2, 3, 4};
    static const size_t lines[] = {1, 2};
    expect_table("1,2\n3,4", false, 2, 2, cells, lines, 0);
    expect_table("1,2\n\"3\",\"4\"", false, 2, 2, cells, lines, 0);
    static const size_t one[] = {1};
    static const float single[] = {7};
    expect_table("7", false, 1, 1, single, one, 0);
}
END_TEST

START_TEST(utf8_bom_is_stripped)
{
    static const char text[] = "\xEF\xBB\xBFx,y\n1,2\n";
    static const float cells[] = {1, 2};
    static const size_t lines[] = {2};
    expect_table(text, true, 1, 2, cells, lines, 1);

    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_chunked(&t, text, strlen(text), true, 0, 1, &err),
                     0);
    ck_assert_str_eq(t.header[0], "x");
    ck_assert_int_eq(table_column(&t, "x"), 0);
    table_free(&t);

    /* Without a header the BOM must not spoil the first number. */
    static const size_t line1[] = {1};
    expect_table("\xEF\xBB\xBF" "1.5,2\n", false, 1, 2,
                 (const float[]){1.5f, 2}, line1, 0);
}
END_TEST

START_TEST(blank_lines_are_skipped_but_counted)
{
    static const float cells[] = {1, 2, 3, 4};
    static const size_t lines[] = {5, 7};
    expect_table("\n\na,b\n\n1,2\n  \t \n3,4\n\n\n", true, 2, 2, cells,
                 lines, 3);
}
END_TEST

START_TEST(quoted_numbers_and_blanks_around_numbers_are_accepted)
{
    static const float cells[] = {1.5f, 2, 3, 4, -0.25f, 6};
    static const size_t lines[] = {1, 2};
    expect_table("\"1.5\", 2 ,\t3\t\n \"4\" ,\" -.25 \",\t\"6\"\t\n", false,
                 2, 3, cells, lines, 0);
}
END_TEST

START_TEST(quoted_header_names_keep_commas_quotes_and_newlines)
{
    static const char text[] = "\"a,b\",\"c\r\nd\",\"e\"\"f\"\n1,2,3\n";
    static const float cells[] = {1, 2, 3};
    static const size_t lines[] = {3};
    expect_table(text, true, 1, 3, cells, lines, 1);

    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_chunked(&t, text, strlen(text), true, 0, 0, &err),
                     0);
    ck_assert_str_eq(t.header[0], "a,b");
    ck_assert_str_eq(t.header[1], "c\r\nd");
    ck_assert_str_eq(t.header[2], "e\"f");
    ck_assert_int_eq(table_column(&t, "e\"f"), 2);
    ck_assert_int_eq(table_column(&t, "nope"), -1);
    table_free(&t);

    /* The header's count is the one rows must match. */
    expect_error("\"a,b\",\"c\r\nd\",\"e\"\"f\", g \n1,2,3\n", true,
                 "t.csv:3:4: expected 4 fields, found 3");
}
END_TEST

START_TEST(quoted_line_breaks_keep_line_numbers_physical)
{
    static const char text[] = "\"x\ny\",\"b\r\r\"\n1,2\n\"3\",4\n";
    static const float cells[] = {1, 2, 3, 4};
    static const size_t lines[] = {5, 6};
    expect_table(text, true, 2, 2, cells, lines, 1);
    expect_error("\"a\nb\",c\n1,\"2\"\nq,1\n", true,
                 "t.csv:4:1: expected a number, got \"q\"");
    expect_error("h\n\"1\n\",2\n", true,
                 "t.csv:2:1: expected a number, got \"1\\x0a\"");
}
END_TEST

START_TEST(every_chunk_size_gives_identical_tables)
{
    /* Everything at once: BOM, CRLF, CR, quotes, blanks, multi-line
     * header; expect_table reads it in chunks of 1..40 bytes. */
    static const char text[] =
        "\xEF\xBB\xBF\"a\r\nb\", c ,\"d\"\"\"\r\n"
        "\r\n"
        " 1.25 ,\"-2e-3\",3.\r"
        "\t.5\t,  6 ,\"7\"\n"
        "\n"
        "1e-45,3.4028235e38,-0";
    static const float cells[] = {1.25f, -2e-3f, 3.0f, 0.5f, 6, 7,
                                  1e-45f, FLT_MAX, -0.0f};
    static const size_t lines[] = {4, 5, 7};
    expect_table(text, true, 3, 3, cells, lines, 1);
}
END_TEST

START_TEST(ten_megabyte_lines_are_read)
{
    /* One data row of 5 million cells, and a header cell of 10 MB: libcsv
     * must grow its field buffer, and we the matrix, that far. */
    size_t n = 5u * 1000 * 1000;
    char *text = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < n; i++) {
        text[2 * i] = (char)('0' + i % 10);
        text[2 * i + 1] = ',';
    }
    text[2 * n - 1] = '\n';
    text[2 * n] = '\0';
    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_chunked(&t, text, 2 * n, false, 0, 0, &err), 0);
    ck_assert_uint_eq(t.n_rows, 1);
    ck_assert_uint_eq(t.n_cols, n);
    ck_assert_float_eq(t.cells[n - 1], 9.0f);
    ck_assert_float_eq(t.cells[12345], 5.0f);
    table_free(&t);

    size_t big = 10u * 1000 * 1000;
    char *head = malloc(big + 16);
    ck_assert_ptr_nonnull(head);
    head[0] = '"';
    memset(head + 1, 'h', big);
    memcpy(head + 1 + big, "\",y\n1,2\n", 8);
    ck_assert_int_eq(read_chunked(&t, head, big + 9, true, 0, 0, &err), 0);
    ck_assert_uint_eq(strlen(t.header[0]), big);
    ck_assert_str_eq(t.header[1], "y");
    ck_assert_float_eq(t.cells[1], 2.0f);
    table_free(&t);
    free(head);
    free(text);
}
END_TEST

START_TEST(expected_cols_accepts_a_match)
{
    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_chunked(&t, "a,b\n1,2\n", 8, true, 2, 0, &err), 0);
    ck_assert_uint_eq(t.n_cols, 2);
    table_free(&t);
    table_free(&t); /* a second free of a freed (zeroed) table is a no-op */
    table_free(NULL);
}
END_TEST

/* ---- errors ---- */

START_TEST(non_numeric_cell_names_line_and_column)
{
    expect_error("a,b,c\n1,2,3\n4,abc,6\n", true,
                 "t.csv:3:2: expected a number, got \"abc\"");
    expect_error("1,2\n3,0x10\n", false,
                 "t.csv:2:2: expected a number, got \"0x10\"");
    expect_error("1,2\n3,\"1 2\"\n", false,
                 "t.csv:2:2: expected a number, got \"1 2\"");
}
END_TEST

START_TEST(empty_cells_are_errors)
{
    expect_error("1,,3\n", false, "t.csv:1:2: empty cell");
    expect_error("1,2\n3,\n", false, "t.csv:2:2: empty cell");
    expect_error("a\n\"\"\n", true, "t.csv:2:1: empty cell");
    expect_error("1,2\n , \n", false, "t.csv:2:1: empty cell");
}
END_TEST

START_TEST(nan_and_inf_are_not_finite_numbers)
{
    expect_error("1,nan\n", false, "t.csv:1:2: not a finite number \"nan\"");
    expect_error("x\n-Inf\n", true, "t.csv:2:1: not a finite number \"-Inf\"");
    expect_error("x\n\"INFINITY\"\n", true,
                 "t.csv:2:1: not a finite number \"INFINITY\"");
}
END_TEST

START_TEST(numbers_beyond_float_range_are_errors)
{
    expect_error("1e39\n", false, "t.csv:1:1: \"1e39\" is out of float range");
    expect_error("0,-3.5e38\n", false,
                 "t.csv:1:2: \"-3.5e38\" is out of float range");
}
END_TEST

START_TEST(ragged_rows_name_the_first_missing_or_extra_field)
{
    expect_error("1,2,3\n4,5\n", false,
                 "t.csv:2:3: expected 3 fields, found 2");
    expect_error("a,b\n1,2\n\n3,4,5,6\n", true,
                 "t.csv:4:3: expected 2 fields, found 4");
    /* The extra cells are not parsed: the count is the error. */
    expect_error("a,b\n1,2,zz\n", true,
                 "t.csv:2:3: expected 2 fields, found 3");
    expect_error("1,2\r\n3\r\n", false,
                 "t.csv:2:2: expected 2 fields, found 1");
}
END_TEST

START_TEST(expected_cols_mismatch_is_an_error)
{
    static const char text[] = "1,2,3\n";
    expect_error_len(text, strlen(text), false, 2,
                     "t.csv:1:3: expected 2 fields, found 3");
    static const char head[] = "\na,b\n1,2\n";
    expect_error_len(head, strlen(head), true, 4,
                     "t.csv:2:3: expected 4 fields, found 2");
}
END_TEST

START_TEST(bad_quoting_is_malformed)
{
    expect_error("1,\"2\"x\n", false, "t.csv:1:2: malformed quoting");
    expect_error("1,2\n3,4\"5\n", false, "t.csv:2:2: malformed quoting");
    expect_error("1,2\n3,\"4\n5\n", false,
                 "t.csv:2:2: malformed quoting: a quoted field is never "
                 "closed");
}
END_TEST

START_TEST(files_without_data_rows_are_errors)
{
    expect_error("", false, "t.csv: no data rows (the file is empty)");
    expect_error("", true, "t.csv: no data rows (the file is empty)");
    expect_error("a,b\n", true, "t.csv: no data rows");
    expect_error("a,b\n\r\n \n", true, "t.csv: no data rows");
    expect_error("\n\n", false, "t.csv: no data rows");
    expect_error("\xEF\xBB\xBF", false, "t.csv: no data rows");
}
END_TEST

START_TEST(utf16_and_gzip_are_refused_with_a_hint)
{
    static const char le[] = "\xFF\xFEx\0,\0y\0";
    expect_error_len(le, sizeof le - 1, true, 0,
                     "t.csv:1:1: the file is UTF-16; save it as UTF-8");
    static const char be[] = "\xFE\xFF\0x";
    expect_error_len(be, sizeof be - 1, true, 0,
                     "t.csv:1:1: the file is UTF-16; save it as UTF-8");
    static const char gz[] = "\x1F\x8B\x08\0\0\0\0\0";
    expect_error_len(gz, sizeof gz - 1, false, 0,
                     "t.csv:1:1: the file is gzip-compressed; decompress it "
                     "first (zcat t.csv | backprop ... -)");

    /* Standard input has no name to hand to zcat. */
    FILE *f = testutil_file(gz, sizeof gz - 1);
    ck_assert_ptr_nonnull(f);
    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(table_read(&t, f, "<stdin>", false, 0, 2, &err), -1);
    fclose(f);
    ck_assert_str_eq(err.msg, "<stdin>:1:1: the file is gzip-compressed; "
                              "decompress it first (zcat FILE | backprop ... "
                              "-)");
}
END_TEST

START_TEST(nul_bytes_are_errors_at_their_field)
{
    static const char text[] = "a,b\n1,2\n3,\0\n";
    expect_error_len(text, sizeof text - 1, true, 0,
                     "t.csv:3:2: NUL byte in the data");
    static const char first[] = "\0";
    expect_error_len(first, 1, false, 0, "t.csv:1:1: NUL byte in the data");
    static const char late[] = "1,2\n\n4,5\0";
    expect_error_len(late, sizeof late - 1, false, 0,
                     "t.csv:3:2: NUL byte in the data");
}
END_TEST

START_TEST(semicolons_and_decimal_commas_get_a_hint)
{
    expect_error("1;2;3\n", false,
                 "t.csv:1:1: expected a number, got \"1;2;3\" "
                 "(semicolon-separated? backprop reads comma-separated "
                 "values)");
    expect_error("\"1,5\",2\n", false,
                 "t.csv:1:1: expected a number, got \"1,5\" "
                 "(decimal comma? use a decimal point)");
    expect_error("x,y\n0,\"-12,75\"\n", true,
                 "t.csv:2:2: expected a number, got \"-12,75\" "
                 "(decimal comma? use a decimal point)");
}
END_TEST

START_TEST(bad_cells_are_quoted_escaped_and_truncated)
{
    expect_error("\"a\tb\\\"\"\"\n", false,
                 "t.csv:1:1: expected a number, got \"a\\x09b\\\\\\\"\"");
    char text[128], want[256];
    memset(text, 'z', 100);
    memcpy(text + 100, "\n", 2);
    snprintf(want, sizeof want, "t.csv:1:1: expected a number, got \"%.40s\"...",
             text);
    expect_error(text, false, want);
    /* A cut never splits a UTF-8 sequence: 39 ASCII bytes, then an e with
     * an acute accent straddling the 40-byte limit. */
    memset(text, 'y', 39);
    memcpy(text + 39, "\xC3\xA9zzz\n", 7);
    snprintf(want, sizeof want, "t.csv:1:1: expected a number, got \"%.39s\"...",
             text);
    expect_error(text, false, want);
}
END_TEST

/* ---- reading in parts ---- */

/* Part counts 1..TEST_MAX_PARTS: on the short texts used here the larger
 * counts give most lines a piece of their own, so every cut a text allows
 * is tried. A team of one thread parses them one after another, which
 * tests the cutting and joining; what more threads change (who runs a
 * piece, and when) is tried on a few counts only, since every extra
 * thread's team costs milliseconds on a busy 2-core machine (libgomp's
 * idle threads spin), and `make tsan` looks for races. */
#define TEST_MAX_PARTS 12

static int test_threads(size_t parts, int round)
{
    static const int threads[][3] = {
        [2] = {2}, [3] = {2, 3}, [5] = {2}, [TEST_MAX_PARTS] = {3},
    };
    if (round == 0)
        return 1;
    return parts < sizeof threads / sizeof *threads && round < 4
               ? threads[parts][round - 1]
               : 0;
}

static int read_parts(struct table *t, const char *text, size_t len,
                      bool header, size_t expected, size_t parts,
                      int threads, size_t *pieces, struct bp_error *err)
{
    FILE *f = testutil_file(text, len);
    ck_assert_ptr_nonnull(f);
    int rc = table_read_parts(t, f, "t.csv", header, expected, parts, threads,
                              pieces, err);
    fclose(f);
    return rc;
}

static void assert_same_table(const struct table *t, const struct table *want,
                              size_t parts, int threads)
{
    ck_assert_msg(t->n_rows == want->n_rows && t->n_cols == want->n_cols &&
                      t->header_line == want->header_line,
                  "%zu parts, %d threads: %zux%zu (header line %zu), serial "
                  "%zux%zu (%zu)", parts, threads, t->n_rows, t->n_cols,
                  t->header_line, want->n_rows, want->n_cols,
                  want->header_line);
    ck_assert_mem_eq(t->cells, want->cells,
                     want->n_rows * want->n_cols * sizeof *want->cells);
    for (size_t r = 0; r < want->n_rows; r++)
        ck_assert_msg(t->row_line[r] == want->row_line[r],
                      "%zu parts, %d threads, row %zu: line %zu, serial %zu",
                      parts, threads, r, t->row_line[r], want->row_line[r]);
    ck_assert(!t->header == !want->header);
    for (size_t c = 0; want->header && c < want->n_cols; c++)
        ck_assert_str_eq(t->header[c], want->header[c]);
}

/* Reads `text` serially and in 1..TEST_MAX_PARTS parts (test_threads);
 * every read in parts must give what the serial one gives: the same table
 * bit for bit, or the same code and message. Returns the most pieces any
 * read was parsed in, so callers can make sure the parts were really
 * tried. */
static size_t expect_parts_agree(const char *text, size_t len, bool header,
                                 size_t expected)
{
    struct table want;
    struct bp_error want_err = {0};
    int want_rc = read_chunked(&want, text, len, header, expected, 0,
                               &want_err);
    size_t most = 0;
    for (size_t parts = 1; parts <= TEST_MAX_PARTS; parts++)
        for (int round = 0, threads; (threads = test_threads(parts, round));
             round++) {
            struct table t;
            struct bp_error err = {0};
            size_t pieces = 0;
            int rc = read_parts(&t, text, len, header, expected, parts,
                                threads, &pieces, &err);
            ck_assert_msg(rc == want_rc,
                          "%zu parts, %d threads: rc %d (%s), serial %d (%s)",
                          parts, threads, rc, err.msg, want_rc,
                          want_err.msg);
            ck_assert_uint_ge(pieces, 1);
            ck_assert_uint_le(pieces, parts);
            most = pieces > most ? pieces : most;
            if (rc == 0) {
                assert_same_table(&t, &want, parts, threads);
            } else {
                ck_assert_int_eq(err.code, want_err.code);
                ck_assert_msg(strcmp(err.msg, want_err.msg) == 0,
                              "%zu parts, %d threads:\n got  %s\n want %s",
                              parts, threads, err.msg, want_err.msg);
                assert_zeroed(&t);
            }
            table_free(&t);
        }
    table_free(&want);
    return most;
}

static size_t expect_parts_agree_str(const char *text, bool header)
{
    return expect_parts_agree(text, strlen(text), header, 0);
}

START_TEST(parts_match_the_serial_reader_on_every_line_end)
{
    /* The accepted forms above, read in parts. The first lines (up to the
     * header, or the first data row) are read before any cut, so each
     * text has several lines after them. */
    ck_assert_uint_gt(expect_parts_agree_str(
                          "a,b\r\n1,2\r\n3,4\r5,6\n\r\n7,8\r\r9,10\n11,12\r\n"
                          "13,14\n15,16", true), 1);
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\n\na,b\n\n1,2\n  \t \n3,4\n\n\n5,6\n\n", true), 1);
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\xEF\xBB\xBFx,y\n1,2\n3,4\n5,6\n", true), 1);
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\xEF\xBB\xBF" "1.5,2\n3,4\n5,6\n", false), 1);
    ck_assert_uint_gt(expect_parts_agree_str(
                          " 1.25 , -2e-3 ,3.\n\t.5\t,  6 ,7\n\n1e-45,"
                          "3.4028235e38,-0\n0,0,0", false), 1);
    /* CR, blanks, LF: libcsv skips the blanks, so the serial reader counts
     * one line end there (table_reader.c, on_record); so must the parts. */
    ck_assert_uint_gt(expect_parts_agree_str(
                          "a,b\n1,2\r \t\n3,4\n5,6\r  \n\n7,8\n9,10\n", true),
                      1);
    /* Long first lines: the first run of lines doubles past them. */
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\n\n\n\n\n\n\n\n\n\nlong_header_name,b\n\n\n\n\n"
                          "1,2\n3,4\n5,6\n7,8\n", true), 1);
    /* Only lone CRs: no LF to cut at, one piece. */
    ck_assert_uint_eq(expect_parts_agree_str("a,b\r1,2\r3,4\r5,6\r", true),
                      1);
    /* Fewer lines than parts, one line, nothing after the header. */
    expect_parts_agree_str("1,2\n3,4\n", false);
    expect_parts_agree_str("7", false);
    expect_parts_agree_str("a,b\n", true);
    expect_parts_agree_str("a,b\n\n\n \n", true);
    expect_parts_agree_str("\xEF\xBB\xBF", false);
    expect_parts_agree_str("\xEF\xBB", false);
}
END_TEST

START_TEST(quotes_after_the_first_lines_keep_the_read_serial)
{
    /* Quotes in the first lines are read before any cut: the rest still
     * goes in parts. */
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\"a,b\",\"c\r\nd\",\"e\"\"f\"\n1,2,3\n4,5,6\n7,8,9\n",
                          true), 1);
    ck_assert_uint_gt(expect_parts_agree_str(
                          "\"1\",\"2\"\n3,4\n5,6\n7,8\n", false), 1);
    /* A quote further on: an LF may lie inside quotes, so no cut. */
    ck_assert_uint_eq(expect_parts_agree_str(
                          "a,b\n1,2\n3,4\n5,\"6\"\n7,8\n", true), 1);
    ck_assert_uint_eq(expect_parts_agree_str(
                          "a,b\n1,2\n\"3\n\",4\n5,6\n7,8\n", true), 1);
    ck_assert_uint_eq(expect_parts_agree_str(
                          "a,b\n1,2\n3,4\n5,6\n7,8\n\"9,10\n", true), 1);
    /* A quoted field still open where the first lines end. */
    ck_assert_uint_eq(expect_parts_agree_str(
                          "1,2\n\"3\n4\n5\n6\n", false), 1);
    ck_assert_uint_eq(expect_parts_agree_str(
                          "1,2\r\"3\n4,4\n5,5\"\n6,6\n", false), 1);
    /* ... and never closed: the text after it holds no quote, yet its
     * LFs lie inside one. */
    ck_assert_uint_eq(expect_parts_agree_str(
                          "1,2\r\"3\n4,4\n5,5\n6,6\n", false), 1);
    ck_assert_uint_eq(expect_parts_agree_str(
                          "a\r\n1\r\"\n2\n3\n4\n", true), 1);
}
END_TEST

/* A text built piece by piece. */
struct text {
    char s[16384];
    size_t len;
};

static void put_len(struct text *t, const char *s, size_t len)
{
    ck_assert_uint_lt(t->len + len, sizeof t->s);
    memcpy(t->s + t->len, s, len);
    t->len += len;
    t->s[t->len] = '\0';
}

static void put(struct text *t, const char *s)
{
    put_len(t, s, strlen(s));
}

static const char *pick(struct rng *r, const char *const *words, size_t n)
{
    return words[rng_below(r, n)];
}

#define PICK(r, words) pick(r, words, sizeof words / sizeof *words)

/* Every row table_stream hands over, gathered. */
struct gathered {
    float *cells;
    size_t *lines;
    size_t n_rows, n_cols;
};

static int gather_block(void *ctx, const struct table *block)
{
    struct gathered *g = ctx;
    size_t rows = g->n_rows + block->n_rows, nc = block->n_cols;
    g->cells = realloc(g->cells, (rows * nc + 1) * sizeof *g->cells);
    g->lines = realloc(g->lines, (rows + 1) * sizeof *g->lines);
    ck_assert(g->cells && g->lines);
    memcpy(g->cells + g->n_rows * nc, block->cells,
           block->n_rows * nc * sizeof *g->cells);
    memcpy(g->lines + g->n_rows, block->row_line,
           block->n_rows * sizeof *g->lines);
    g->n_rows = rows;
    g->n_cols = nc;
    return 0;
}

/* Streams `text` in blocks of 1 and 3 rows: the rows must be the serial
 * reader's bit for bit, or the error its message. */
static void expect_stream_agrees(const char *text, size_t len, bool header,
                                 size_t expected)
{
    struct table want;
    struct bp_error want_err = {0};
    int want_rc = read_chunked(&want, text, len, header, expected, 0,
                               &want_err);
    static const size_t block_rows[] = {1, 3};
    for (size_t b = 0; b < 2; b++) {
        struct gathered g = {0};
        struct bp_error err = {0};
        struct table_options o = {.name = "t.csv", .header = header,
                                  .expected_cols = expected};
        FILE *f = testutil_file(text, len);
        ck_assert_ptr_nonnull(f);
        int rc = table_stream(f, &o, block_rows[b], gather_block, &g, &err);
        fclose(f);
        ck_assert_msg(rc == want_rc, "stream: rc %d (%s), serial %d (%s)",
                      rc, err.msg, want_rc, want_err.msg);
        if (rc == 0) {
            ck_assert_uint_eq(g.n_rows, want.n_rows);
            ck_assert_uint_eq(g.n_cols, want.n_cols);
            ck_assert_mem_eq(g.cells, want.cells,
                             want.n_rows * want.n_cols * sizeof *g.cells);
            ck_assert_mem_eq(g.lines, want.row_line,
                             want.n_rows * sizeof *g.lines);
        } else {
            ck_assert_msg(strcmp(err.msg, want_err.msg) == 0,
                          "stream:\n got  %s\n want %s", err.msg,
                          want_err.msg);
        }
        free(g.cells);
        free(g.lines);
    }
    table_free(&want);
}

START_TEST(lines_read_without_libcsv_match_the_serial_reader)
{
    /* A read in parts splits plain lines itself (whole numbers converted
     * on the way) and hands every other line to libcsv; each kind of line
     * below stops the plain reading at a different place, between plain
     * lines, and the table must not tell. */
    static const char *const rows[] = {
        "1,22,333,4444",     /* converted on the way */
        "1,22,333,44444",    /* five digits: the general parser */
        "0.5,-1,+2,1e3",     /* decimals and signs */
        "1,22,333,4444\r",   /* CRLF (the LF follows) */
        "1, 22,333,4444",    /* a blank at a field's start: libcsv's */
        "1,22 ,333,4444",    /* and at its end */
        "1,2 2,333,4444",    /* inside: an error, at its column */
        "1,22,333",          /* short */
        "1,22,333,4444,5",   /* long */
        "1,,333,4444",       /* an empty cell */
        "1,\"22\",333,4444",  /* quoted */
        "\"x\n9,8,7,6\ny\",2,3,4", /* a plain line inside quotes */
        "",                  /* blank */
        "\r",                /* blank, CRLF */
        "7,8,9,10\r7",       /* a lone CR: two records */
    };
    size_t n_rows = sizeof rows / sizeof *rows;
    for (size_t odd = 0; odd < n_rows; odd++) {
        struct text t = {.len = 0};
        put(&t, "a,b,c,d\n");
        for (int i = 0; i < 40; i++) {
            put(&t, i == 23 ? rows[odd] : "9,8,7,6");
            put(&t, "\n");
        }
        expect_stream_agrees(t.s, t.len, true, 0);
        size_t most = expect_parts_agree(t.s, t.len, true, 0);
        /* (A quote after the first lines keeps the whole read serial.) */
        if (!strchr(rows[odd], '"'))
            ck_assert_uint_gt(most, 1);
    }
    /* A header ended by a lone CR, then a quoted field across lines: the
     * first lines' reading must not take the line inside the quotes. */
    struct text t = {.len = 0};
    put(&t, "a,b,c,d\r\"x\n9,8,7,6\ny\",2,3,4\n");
    for (int i = 0; i < 40; i++)
        put(&t, "9,8,7,6\n");
    expect_stream_agrees(t.s, t.len, true, 0);
    expect_parts_agree(t.s, t.len, true, 0);
}
END_TEST

START_TEST(parts_match_the_serial_reader_on_random_texts)
{
    static const char *const cells[] = {
        "0", "7", "255", "-2.5", "1e3", " 3 ", "\t4", ".5", "6.", "+1",
        "0.0625", "12345678", "1e-45", "3.4028235e38", "-0",
    };
    static const char *const line_ends[] = {"\n", "\n", "\r\n", "\r",
                                            "\r \n"};
    static const char *const blanks[] = {"", " ", "\t", "  \t"};
    static const char *const bad[] = {
        "x", "", "nan", "1e39", "-Inf", "1;2", "0x10", "1 2",
    };
    struct rng r = rng_create(20241128, 1);
    size_t in_parts = 0;
    for (int trial = 0; trial < 150; trial++) {
        struct text t = {.len = 0};
        bool header = rng_below(&r, 2);
        size_t cols = 1 + (size_t)rng_below(&r, 4);
        size_t rows = (size_t)rng_below(&r, 25);
        bool flawed = rng_below(&r, 8) == 0;
        bool quoted = rng_below(&r, 8) == 0;
        if (rng_below(&r, 6) == 0)
            put(&t, "\xEF\xBB\xBF");
        for (size_t i = 0; i < rows + header; i++) {
            while (rng_below(&r, 6) == 0) {
                put(&t, PICK(&r, blanks));
                put(&t, PICK(&r, line_ends));
            }
            /* A ragged row now and then, when this text is flawed. */
            size_t n = cols;
            if (flawed && rng_below(&r, 20) == 0)
                n = 1 + (size_t)rng_below(&r, 5);
            for (size_t c = 0; c < n; c++) {
                if (c)
                    put(&t, ",");
                if (quoted && rng_below(&r, 10) == 0)
                    put(&t, header && i == 0 ? "\"x,\r\ny\"" : "\" 7 \"");
                else if (header && i == 0)
                    put(&t, c % 2 ? "h" : "name");
                else if (flawed && rng_below(&r, 40) == 0)
                    put(&t, PICK(&r, bad));
                else
                    put(&t, PICK(&r, cells));
            }
            if (i + 1 < rows + header || rng_below(&r, 3))
                put(&t, PICK(&r, line_ends));
        }
        if (flawed && rng_below(&r, 4) == 0)
            put_len(&t, "1,\0" "2\n", 4);
        size_t expected = rng_below(&r, 10) == 0 ? cols + rng_below(&r, 2)
                                                 : 0;
        in_parts += expect_parts_agree(t.s, t.len, header, expected) > 1;
        expect_stream_agrees(t.s, t.len, header, expected);
    }
    /* Most texts have lines enough to be cut and no quote after the first
     * lines. */
    ck_assert_uint_gt(in_parts, 75);
}
END_TEST

/* Bad cells and rows, each as the row it replaces. */
static const char *const bad_rows[] = {
    "1,2",          /* ragged: short */
    "1,2,3,zz",     /* ragged: long (the extra cell is not parsed) */
    "1,,3",         /* empty cell */
    "1,abc,3",      /* not a number */
    "1,nan,3",      /* NaN */
    "1,1e39,3",     /* overflow */
    "1,0x10,3",     /* hex */
};
#define N_BAD_ROWS (sizeof bad_rows / sizeof *bad_rows)
#define ERROR_TEST_ROWS 24

/* A header and ERROR_TEST_ROWS rows of three cells, with CRLF, lone CR and
 * blank lines so that a piece's relative line numbers differ from the
 * real ones; rows bad_at[k] (when < ERROR_TEST_ROWS) replaced by
 * bad_rows[kind[k]]. */
static void error_text(struct text *t, const size_t *bad_at,
                       const size_t *kind, size_t n_bad)
{
    t->len = 0;
    put(t, "a,b,c\r\n");
    for (size_t i = 0; i < ERROR_TEST_ROWS; i++) {
        const char *row = "10,20,30";
        for (size_t k = 0; k < n_bad; k++)
            if (bad_at[k] == i)
                row = bad_rows[kind[k]];
        put(t, row);
        put(t, i % 5 == 1 ? "\r\n" : i % 7 == 3 ? "\r" : "\n");
        if (i % 4 == 2)
            put(t, " \n");
    }
}

START_TEST(parts_report_the_serial_readers_first_error)
{
    /* One bad row at every place (so in the first piece, the last and
     * every one between, whatever the cuts), then two at once: every pair
     * of places some rows apart, so that for most part counts they lie in
     * different pieces, with different kinds of error. */
    struct text t;
    for (size_t kind = 0; kind < N_BAD_ROWS; kind++)
        for (size_t at = 0; at < ERROR_TEST_ROWS; at++) {
            error_text(&t, &at, &kind, 1);
            expect_stream_agrees(t.s, t.len, true, 0);
        size_t most = expect_parts_agree(t.s, t.len, true, 0);
            ck_assert_uint_gt(most, 1);
            expect_parts_agree(t.s, t.len, true, 3);
        }
    for (size_t kind = 0; kind < N_BAD_ROWS; kind++)
        for (size_t i = 0; i < ERROR_TEST_ROWS; i += 3)
            for (size_t j = i + 4; j < ERROR_TEST_ROWS; j += 5) {
                size_t at[] = {i, j};
                size_t kinds[] = {kind, (kind + 3) % N_BAD_ROWS};
                error_text(&t, at, kinds, 2);
                ck_assert_uint_gt(expect_parts_agree(t.s, t.len, true, 0), 1);
            }
    /* A header wider or narrower than expected_cols fails before any cut;
     * a matching one lets the rows be cut and checked as usual. */
    size_t none = ERROR_TEST_ROWS, zero = 0;
    error_text(&t, &none, &zero, 1);
    expect_parts_agree(t.s, t.len, true, 2);
    expect_parts_agree(t.s, t.len, true, 4);
    ck_assert_uint_gt(expect_parts_agree(t.s, t.len, true, 3), 1);
    /* Without a header the first row sets the count (and meets
     * expected_cols); a later one of another width is ragged. */
    ck_assert_uint_gt(expect_parts_agree_str("1,2,3\n4,5\n6,7,8\n9,1,2\n",
                                             false), 1);
    expect_parts_agree("1,2,3\n4,5,6\n7,8,9\n", 18, false, 2);
    /* A NUL byte, alone or after another error. */
    static const char nul[] = "a,b\n1,2\n3,4\n5,\0\n7,8\n";
    ck_assert_uint_gt(expect_parts_agree(nul, sizeof nul - 1, true, 0), 1);
    static const char both[] = "a,b\n1,2\n3,x\n5,6\n7,8\n9,\0\n";
    ck_assert_uint_gt(expect_parts_agree(both, sizeof both - 1, true, 0), 1);
}
END_TEST

START_TEST(a_large_file_is_read_in_parts_by_table_read)
{
    /* Over table_read's 4 MiB threshold: 2 threads read it in 2 pieces,
     * 1 thread streams it, and both give the same table. */
    size_t rows = 12000, cols = 100;
    struct text *row = malloc(sizeof *row);
    ck_assert_ptr_nonnull(row);
    size_t cap = (rows + 1) * cols * 5 + 16, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    struct rng r = rng_create(5, 5);
    len += (size_t)snprintf(text, cap, "label");
    for (size_t c = 1; c < cols; c++)
        len += (size_t)snprintf(text + len, cap - len, ",p%zu", c);
    text[len++] = '\n';
    for (size_t i = 0; i < rows; i++)
        for (size_t c = 0; c < cols; c++)
            len += (size_t)snprintf(text + len, cap - len, "%u%c",
                                    (unsigned)rng_below(&r, 256),
                                    c + 1 < cols ? ',' : '\n');
    ck_assert_uint_gt(len, (size_t)4 << 20);

    struct table one, two;
    struct bp_error err = {0};
    size_t pieces = 0;
    FILE *f = testutil_file(text, len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(table_read_parts(&one, f, "t.csv", true, cols, 0, 1,
                                      &pieces, &err), 0);
    ck_assert_uint_eq(pieces, 1);
    rewind(f);
    ck_assert_int_eq(table_read_parts(&two, f, "t.csv", true, cols, 0, 2,
                                      &pieces, &err), 0);
    ck_assert_uint_eq(pieces, 2);
    /* All of f is read. */
    ck_assert_int_eq(fgetc(f), EOF);
    rewind(f);
    struct table three;
    ck_assert_int_eq(table_read(&three, f, "t.csv", true, cols, 2, &err), 0);
    fclose(f);
    ck_assert_uint_eq(one.n_rows, rows);
    assert_same_table(&two, &one, 0, 2);
    assert_same_table(&three, &one, 0, 2);
    table_free(&one);
    table_free(&two);
    table_free(&three);
    free(text);
    free(row);
}
END_TEST

/* ---- layouts: text, skipped and missing cells ---- */

/* The columns of the layout tests: an id (text), a note nobody reads, a
 * number, a category (text), a number. */
static const unsigned char layout_kinds[] = {TABLE_TEXT, TABLE_SKIP,
                                             TABLE_NUMBER, TABLE_TEXT,
                                             TABLE_NUMBER};
#define LAYOUT_COLS (sizeof layout_kinds)

static const char *const test_na[] = {"", "NA", "?", "-999"};

struct layout_ctx {
    int calls;
    bool header_seen;
};

static int layout_decide(void *ctx, char *const *names, size_t n_cols,
                         size_t line, unsigned char *kind,
                         struct bp_error *err)
{
    struct layout_ctx *c = ctx;
    (void)line;
    c->calls++;
    c->header_seen = names != NULL;
    if (n_cols != LAYOUT_COLS)
        return bp_error_set(err, BP_EINPUT, "layout: %zu columns", n_cols);
    for (size_t i = 0; i < n_cols; i++)
        ck_assert_int_eq(kind[i], TABLE_NUMBER); /* the default on entry */
    memcpy(kind, layout_kinds, n_cols);
    return 0;
}

static struct table_layout test_layout(struct layout_ctx *ctx,
                                       bool missing_is_error)
{
    return (struct table_layout){
        .decide = layout_decide,
        .ctx = ctx,
        .na_values = test_na,
        .n_na_values = sizeof test_na / sizeof *test_na,
        .missing_is_error = missing_is_error,
    };
}

/* One read's cells as values a test can compare across reads: numbers
 * bit for bit (NaN when missing), texts as strings (NULL when missing),
 * skipped cells 0. Text ids are the table's own and may differ. */
static void assert_layout_cells(const struct table *t, const struct table *w,
                                const char *how, size_t n)
{
    ck_assert_msg(t->n_rows == w->n_rows && t->n_cols == w->n_cols,
                  "%s %zu: %zux%zu, expected %zux%zu", how, n, t->n_rows,
                  t->n_cols, w->n_rows, w->n_cols);
    ck_assert_ptr_nonnull(t->kind);
    ck_assert_mem_eq(t->kind, layout_kinds, LAYOUT_COLS);
    for (size_t r = 0; r < w->n_rows; r++) {
        ck_assert_msg(t->row_line[r] == w->row_line[r],
                      "%s %zu row %zu: line %zu, expected %zu", how, n, r,
                      t->row_line[r], w->row_line[r]);
        for (size_t c = 0; c < w->n_cols; c++) {
            if (layout_kinds[c] == TABLE_TEXT) {
                const char *a = table_text(t, r, c), *b = table_text(w, r, c);
                ck_assert_msg(a == b || (a && b && strcmp(a, b) == 0),
                              "%s %zu cell %zu,%zu: \"%s\", expected \"%s\"",
                              how, n, r, c, a ? a : "(missing)",
                              b ? b : "(missing)");
            } else {
                float a = t->cells[r * t->n_cols + c];
                float b = w->cells[r * w->n_cols + c];
                ck_assert_msg(memcmp(&a, &b, sizeof a) == 0 ||
                                  (isnan(a) && isnan(b)),
                              "%s %zu cell %zu,%zu: %g, expected %g", how, n,
                              r, c, (double)a, (double)b);
            }
        }
    }
}

static int read_layout(struct table *t, const char *text, size_t len,
                       bool header, size_t chunk, size_t parts, int threads,
                       bool missing_is_error, struct bp_error *err)
{
    struct layout_ctx ctx = {0};
    struct table_layout l = test_layout(&ctx, missing_is_error);
    struct table_options o = {.name = "t.csv", .header = header,
                              .threads = threads, .layout = &l,
                              .chunk_size = chunk, .parts = parts};
    FILE *f = testutil_file(text, len);
    ck_assert_ptr_nonnull(f);
    int rc = table_read_with(t, f, &o, err);
    fclose(f);
    if (rc == 0) {
        ck_assert_int_eq(ctx.calls, 1);
        ck_assert(ctx.header_seen == header);
    }
    return rc;
}

/* BOM, CRLF, a blank line, quoted fields with commas, doubled quotes and
 * a line end, spaces around a text, NA marks, a missing final newline. */
static const char layout_text[] =
    "\xEF\xBB\xBFid,note,x,color,y\r\n"
    "a1,\"free, text\",1.5,red,2\r\n"
    "\r\n"
    "a2,,NA,\"dark \"\"blue\"\"\",-3\r\n"
    "a1,\"multi\nline\",4, red ,?\n"
    "a3,x,-999,,6";

START_TEST(a_layout_reads_text_skipped_and_missing_cells)
{
    struct table t;
    struct bp_error err = {0};
    ck_assert_int_eq(read_layout(&t, layout_text, strlen(layout_text), true,
                                 0, 0, 1, false, &err), 0);
    ck_assert_uint_eq(t.n_rows, 4);
    ck_assert_uint_eq(t.n_cols, 5);
    static const size_t lines[] = {2, 4, 5, 7};
    static const char *const ids[] = {"a1", "a2", "a1", "a3"};
    static const char *const colors[] = {"red", "dark \"blue\"", "red",
                                         NULL};
    static const float x[] = {1.5f, NAN, 4, NAN}, y[] = {2, -3, NAN, 6};
    for (size_t r = 0; r < 4; r++) {
        ck_assert_uint_eq(t.row_line[r], lines[r]);
        ck_assert_str_eq(table_text(&t, r, 0), ids[r]);
        ck_assert_float_eq(t.cells[r * 5 + 1], 0.0f); /* skipped */
        if (colors[r])
            ck_assert_str_eq(table_text(&t, r, 3), colors[r]);
        else
            ck_assert_ptr_null(table_text(&t, r, 3));
        float got[2] = {t.cells[r * 5 + 2], t.cells[r * 5 + 4]};
        float want[2] = {x[r], y[r]};
        for (size_t k = 0; k < 2; k++)
            ck_assert_msg(isnan(want[k]) ? isnan(got[k]) : got[k] == want[k],
                          "row %zu: %g, expected %g", r, (double)got[k],
                          (double)want[k]);
    }
    /* Equal texts share an id: "a1" twice, " red " trimmed to "red". */
    ck_assert_uint_eq(t.n_text, 5);
    ck_assert_str_eq(t.header[2], "x");
    table_free(&t);
}
END_TEST

START_TEST(a_layout_gives_the_same_cells_at_every_chunk_size)
{
    struct table want;
    struct bp_error err = {0};
    size_t len = strlen(layout_text);
    ck_assert_int_eq(read_layout(&want, layout_text, len, true, 0, 0, 1,
                                 false, &err), 0);
    for (size_t chunk = 1; chunk <= TEST_MAX_CHUNK; chunk++) {
        struct table t;
        int rc = read_layout(&t, layout_text, len, true, chunk, 0, 1, false,
                             &err);
        ck_assert_msg(rc == 0, "chunk %zu: %s", chunk, err.msg);
        assert_layout_cells(&t, &want, "chunk", chunk);
        table_free(&t);
    }
    table_free(&want);
}
END_TEST

/* A text with no quote after its header (so it can be cut), NA marks
 * and repeated texts in every piece. */
static char *parts_text(size_t rows, size_t *len)
{
    size_t cap = 64 + rows * 64, o = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    static const char *const colors[] = {"red", "green", "NA", "blue", ""};
    o += (size_t)snprintf(s, cap, "\"id\",note,x,color,y\n");
    for (size_t r = 0; r < rows; r++) {
        char id[32] = "?";
        if (r % 7 != 3)
            snprintf(id, sizeof id, "id%zu", r % 5);
        o += (size_t)snprintf(s + o, cap - o, "%s,n%zu,%s,%s,%zu.5\n%s",
                              id, r,
                              r % 6 == 2 ? "NA" : r % 6 == 4 ? "-999" : "1e1",
                              colors[r % 5], r, r % 4 == 1 ? "\r\n" : "");
    }
    *len = o;
    return s;
}

/* Part counts 2..8 with 2 threads, against the serial reader. */
#define TEST_LAYOUT_MAX_PARTS 8

START_TEST(a_layout_gives_the_same_cells_in_parts)
{
    size_t len;
    char *text = parts_text(40, &len);
    struct table want;
    struct bp_error err = {0};
    ck_assert_int_eq(read_layout(&want, text, len, true, 0, 0, 1, false,
                                 &err), 0);
    ck_assert_uint_eq(want.n_rows, 40);
    for (size_t parts = 2; parts <= TEST_LAYOUT_MAX_PARTS; parts++) {
        struct table t;
        int rc = read_layout(&t, text, len, true, 0, parts, 2, false, &err);
        ck_assert_msg(rc == 0, "%zu parts: %s", parts, err.msg);
        assert_layout_cells(&t, &want, "parts", parts);
        table_free(&t);
    }
    /* The reads above were really cut: the same read, counting pieces. */
    struct layout_ctx ctx = {0};
    struct table_layout l = test_layout(&ctx, false);
    struct table_options o = {.name = "t.csv", .header = true, .threads = 2,
                              .layout = &l};
    FILE *f = testutil_file(text, len);
    ck_assert_ptr_nonnull(f);
    size_t pieces = 0;
    struct table t;
    ck_assert_int_eq(table_read_parts_with(&t, f, &o, 4, &pieces, &err), 0);
    fclose(f);
    ck_assert_uint_gt(pieces, 1);
    assert_layout_cells(&t, &want, "pieces", pieces);
    table_free(&t);
    table_free(&want);

    /* Missing cells refused: the first one's message, every way. */
    struct bp_error serial = {0};
    ck_assert_int_eq(read_layout(&want, text, len, true, 0, 0, 1, true,
                                 &serial), -1);
    ck_assert_str_eq(serial.msg, "t.csv:5:3: missing value in column "
                                 "\"x\"");
    for (size_t parts = 2; parts <= TEST_LAYOUT_MAX_PARTS; parts++) {
        ck_assert_int_eq(read_layout(&t, text, len, true, 0, parts, 2, true,
                                     &err), -1);
        ck_assert_str_eq(err.msg, serial.msg);
        assert_zeroed(&t);
    }
    free(text);
}
END_TEST

START_TEST(missing_is_error_names_the_column)
{
    struct table t;
    struct bp_error err = {0};
    static const char *const cases[][2] = {
        {"id,note,x,color,y\na,b,1,c,2\na,b,NA,c,2\n",
         "t.csv:3:3: missing value in column \"x\""},
        /* A number-looking mark, and in a text column. */
        {"id,note,x,color,y\na,b, -999 ,c,2\n",
         "t.csv:2:3: missing value in column \"x\""},
        {"id,note,x,color,y\n\na,b,1,\"\",2\n",
         "t.csv:3:4: missing value in column \"color\""},
        {"id,note,x,color,y\n?,b,1,c,2\n",
         "t.csv:2:1: missing value in column \"id\""},
        /* A name that needs escaping in a one-line message. */
        {"id,note,\"x\ny\",color,y\na,b,?,c,2\n",
         "t.csv:3:3: missing value in column \"x\\x0ay\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (size_t chunk = 1; chunk <= TEST_MAX_CHUNK; chunk++) {
            ck_assert_int_eq(read_layout(&t, cases[i][0],
                                         strlen(cases[i][0]), true, chunk, 0,
                                         1, true, &err), -1);
            ck_assert_int_eq(err.code, BP_EINPUT);
            ck_assert_msg(strcmp(err.msg, cases[i][1]) == 0,
                          "case %zu chunk %zu:\n got  %s\n want %s", i, chunk,
                          err.msg, cases[i][1]);
            assert_zeroed(&t);
        }
    /* Without a header: the column's number. */
    ck_assert_int_eq(read_layout(&t, "a,b,1,c,2\na,b,1,NA,2\n", 21, false, 0,
                                 0, 1, true, &err), -1);
    ck_assert_str_eq(err.msg, "t.csv:2:4: missing value in column 4");
    /* A skipped column may hold anything, even with missing refused. */
    ck_assert_int_eq(read_layout(&t, "a,NA,1,c,2\n", 11, false, 0, 0, 1,
                                 true, &err), 0);
    ck_assert_float_eq(t.cells[1], 0.0f);
    table_free(&t);
}
END_TEST

/* What table_stream handed over, kept as values. */
struct streamed {
    size_t block_rows;
    size_t n_rows, n_blocks;
    size_t lines[64];
    char *ids[64], *colors[64];
    bool color_missing[64];
    float x[64], y[64];
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int on_stream_block(void *ctx, const struct table *b)
{
    struct streamed *s = ctx;
    ck_assert_uint_ge(b->n_rows, 1);
    ck_assert_uint_le(b->n_rows, s->block_rows);
    ck_assert_uint_eq(b->n_cols, LAYOUT_COLS);
    ck_assert_ptr_nonnull(b->header);
    ck_assert_str_eq(b->header[3], "color");
    ck_assert_mem_eq(b->kind, layout_kinds, LAYOUT_COLS);
    for (size_t r = 0; r < b->n_rows; r++) {
        size_t i = s->n_rows++;
        ck_assert_uint_lt(i, 64);
        s->lines[i] = b->row_line[r];
        s->ids[i] = dup_or_null(table_text(b, r, 0));
        s->colors[i] = dup_or_null(table_text(b, r, 3));
        s->color_missing[i] = table_text(b, r, 3) == NULL;
        s->x[i] = b->cells[r * b->n_cols + 2];
        s->y[i] = b->cells[r * b->n_cols + 4];
    }
    s->n_blocks++;
    return 0;
}

START_TEST(table_stream_hands_over_every_row_in_order)
{
    size_t len;
    char *gen = parts_text(20, &len);
    const char *texts[] = {layout_text, gen};
    size_t lens[] = {strlen(layout_text), len};
    static const size_t block_rows[] = {1, 2, 7};
    for (size_t k = 0; k < 2; k++) {
        struct table want;
        struct bp_error err = {0};
        ck_assert_int_eq(read_layout(&want, texts[k], lens[k], true, 0, 0, 1,
                                     false, &err), 0);
        for (size_t b = 0; b < 3; b++) {
            struct streamed s = {.block_rows = block_rows[b]};
            struct layout_ctx ctx = {0};
            struct table_layout l = test_layout(&ctx, false);
            struct table_options o = {.name = "t.csv", .header = true,
                                      .layout = &l};
            FILE *f = testutil_file(texts[k], lens[k]);
            ck_assert_ptr_nonnull(f);
            int rc = table_stream(f, &o, block_rows[b], on_stream_block, &s,
                                  &err);
            fclose(f);
            ck_assert_msg(rc == 0, "%s", err.msg);
            ck_assert_int_eq(ctx.calls, 1);
            ck_assert_uint_eq(s.n_rows, want.n_rows);
            ck_assert_uint_ge(s.n_blocks, (want.n_rows + block_rows[b] - 1) /
                                              block_rows[b]);
            for (size_t r = 0; r < want.n_rows; r++) {
                ck_assert_uint_eq(s.lines[r], want.row_line[r]);
                const char *id = table_text(&want, r, 0);
                ck_assert(!s.ids[r] == !id);
                if (id)
                    ck_assert_str_eq(s.ids[r], id);
                const char *c = table_text(&want, r, 3);
                ck_assert(s.color_missing[r] == (c == NULL));
                if (c)
                    ck_assert_str_eq(s.colors[r], c);
                float wx = want.cells[r * 5 + 2], wy = want.cells[r * 5 + 4];
                ck_assert(memcmp(&s.x[r], &wx, sizeof wx) == 0 ||
                          (isnan(s.x[r]) && isnan(wx)));
                ck_assert(memcmp(&s.y[r], &wy, sizeof wy) == 0);
                free(s.ids[r]);
                free(s.colors[r]);
            }
        }
        table_free(&want);
    }
    free(gen);
}
END_TEST

/* A multi-line record: the first line of each row, and the line each of
 * its cells starts on (a quoted field's line ends count for the fields
 * after it, in any column, text or number, skipped or read). */
static const char wrap_text[] =
    "id,note,x,color,y\n"
    "\"a\nb\",\"n\r\n\r\nm\",1,\"r\ned\",2\n"
    "c,plain,3,blue,4\n"
    "\n"
    "d,\"q\nq\",5,\"g\",6";
static const size_t wrap_row_line[] = {2, 7, 9};
static const size_t wrap_cell_line[][LAYOUT_COLS] = {
    {2, 3, 5, 5, 6}, {7, 7, 7, 7, 7}, {9, 9, 10, 10, 10}};

static void assert_cell_lines(const struct table *t, size_t row0,
                              const char *how, size_t n)
{
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < LAYOUT_COLS; c++)
            ck_assert_msg(table_cell_line(t, r, c) ==
                              wrap_cell_line[row0 + r][c],
                          "%s %zu: cell %zu,%zu on line %zu, expected %zu",
                          how, n, row0 + r, c, table_cell_line(t, r, c),
                          wrap_cell_line[row0 + r][c]);
}

struct wrap_stream {
    size_t rows;
    size_t block;
};

static int on_wrap_block(void *ctx, const struct table *b)
{
    struct wrap_stream *s = ctx;
    assert_cell_lines(b, s->rows, "block rows", s->block);
    s->rows += b->n_rows;
    return 0;
}

START_TEST(cells_after_a_quoted_line_end_name_their_own_line)
{
    size_t len = strlen(wrap_text);
    for (size_t chunk = 0; chunk <= TEST_MAX_CHUNK; chunk++) {
        struct table t;
        struct bp_error err = {0};
        ck_assert_msg(read_layout(&t, wrap_text, len, true, chunk, 0, 1,
                                  false, &err) == 0, "%s", err.msg);
        ck_assert_uint_eq(t.n_rows, 3);
        for (size_t r = 0; r < 3; r++)
            ck_assert_uint_eq(t.row_line[r], wrap_row_line[r]);
        assert_cell_lines(&t, 0, "chunk", chunk);
        table_free(&t);
    }
    for (size_t block = 1; block <= 3; block++) {
        struct wrap_stream s = {.block = block};
        struct layout_ctx ctx = {0};
        struct table_layout l = test_layout(&ctx, false);
        struct table_options o = {.name = "t.csv", .header = true,
                                  .layout = &l};
        struct bp_error err = {0};
        FILE *f = testutil_file(wrap_text, len);
        ck_assert_ptr_nonnull(f);
        int rc = table_stream(f, &o, block, on_wrap_block, &s, &err);
        fclose(f);
        ck_assert_msg(rc == 0, "%s", err.msg);
        ck_assert_uint_eq(s.rows, 3);
    }
}
END_TEST

/* ---- table_parse_float ---- */

static float parse_ok(const char *s)
{
    float v = -12345.0f;
    const char *why = NULL;
    ck_assert_msg(table_parse_float(s, strlen(s), &v, &why) == 0,
                  "\"%s\" rejected: %s", s, why ? why : "?");
    return v;
}

static void parse_fails(const char *s, const char *want_why)
{
    float v = 0;
    const char *why = NULL;
    ck_assert_msg(table_parse_float(s, strlen(s), &v, &why) == -1,
                  "\"%s\" accepted as %g", s, (double)v);
    ck_assert_msg(why && strcmp(why, want_why) == 0, "\"%s\": %s, not %s", s,
                  why ? why : "(null)", want_why);
}

START_TEST(parse_float_reads_every_decimal_form)
{
    ck_assert_float_eq(parse_ok("1"), 1.0f);
    ck_assert_float_eq(parse_ok("-2.5"), -2.5f);
    ck_assert_float_eq(parse_ok("+.5"), 0.5f);
    ck_assert_float_eq(parse_ok("5."), 5.0f);
    ck_assert_float_eq(parse_ok("1e3"), 1000.0f);
    ck_assert_float_eq(parse_ok("1E-3"), 1e-3f);
    ck_assert_float_eq(parse_ok("2.5e+2"), 250.0f);
    ck_assert_float_eq(parse_ok("0007"), 7.0f);
    ck_assert_float_eq(parse_ok("0.1"), 0.1f);
    ck_assert_float_eq(parse_ok("3.4028235e38"), FLT_MAX);
    ck_assert_float_eq(parse_ok("-3.4028235e38"), -FLT_MAX);
    ck_assert_float_eq(parse_ok("1.17549435e-38"), FLT_MIN);
    /* Underflow is accepted, to a subnormal or to zero, as numpy does. */
    ck_assert_float_eq(parse_ok("1e-45"), 1e-45f);
    ck_assert(parse_ok("1e-45") > 0);
    ck_assert_float_eq(parse_ok("1e-50"), 0.0f);
    ck_assert(signbit(parse_ok("-0")));
    ck_assert(signbit(parse_ok("-1e-60")));
    ck_assert_float_eq(parse_ok("0e99999999999999999999"), 0.0f);
    /* The length bounds the cell; what follows is not read. */
    float v;
    const char *why;
    ck_assert_int_eq(table_parse_float("12abc", 2, &v, &why), 0);
    ck_assert_float_eq(v, 12.0f);
}
END_TEST

START_TEST(parse_float_rejects_everything_else)
{
    parse_fails("", "empty cell");
    static const char *not_numbers[] = {
        "0x10", "0X1p3", "1 2", " 1", "1 ", "1e", "1e+", ".", "-", "+",
        "e5", ".e5", "1.5.2", "1,5", "--1", "+-1", "1e5.5", "1d5", "abc",
        "1f", ("\xC2\xA0" "1"), "١", "nanx", "infinit", "in", "0b101", "1_000",
    };
    for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++)
        parse_fails(not_numbers[i], "expected a number");
    static const char *non_finite[] = {
        "nan", "NaN", "-nan", "+NAN", "inf", "-inf", "Inf", "INFINITY",
        "-Infinity", "nan(123)",
    };
    for (size_t i = 0; i < sizeof non_finite / sizeof *non_finite; i++)
        parse_fails(non_finite[i], "not a finite number");
    static const char *too_big[] = {
        "1e39", "-1e39", "3.4028236e38", "1e400", "99999999999999999999e30",
        "1e99999999999999999999",
    };
    for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++)
        parse_fails(too_big[i], "out of float range");
}
END_TEST

START_TEST(parse_float_reads_long_digit_strings)
{
    /* Longer than any stack buffer: 0.000...0001 with 600 zeros is an
     * underflow to zero; 1 followed by 30 zeros and 400 decimals is
     * 1e30. */
    char s[1024];
    memcpy(s, "0.", 2);
    memset(s + 2, '0', 600);
    memcpy(s + 602, "1", 2);
    ck_assert_float_eq(parse_ok(s), 0.0f);
    s[0] = '1';
    memset(s + 1, '0', 30);
    s[31] = '.';
    memset(s + 32, '0', 400);
    s[432] = '\0';
    ck_assert_float_eq(parse_ok(s), 1e30f);
}
END_TEST

/* What strtof says about s, when s is a plain decimal number: a string
 * strtof reads whole, with no leading blank, no hex and no letters besides
 * an exponent mark, to a finite float. */
static bool strtof_decimal(const char *s, float *out)
{
    if (!*s || strpbrk(s, "xXiInN \t\n\v\f\r"))
        return false;
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (*end != '\0' || isinf(v))
        return false;
    *out = v;
    return true;
}

START_TEST(parse_float_agrees_with_strtof_on_random_strings)
{
    static const char alphabet[] = "0123456789012345678901234567890.+-eE "
                                   "xnia.e";
    struct rng r = rng_create(20240601, 7);
    size_t accepted = 0;
    for (int trial = 0; trial < 200000; trial++) {
        char s[24];
        size_t len = (size_t)rng_below(&r, 16);
        for (size_t i = 0; i < len; i++)
            s[i] = alphabet[rng_below(&r, sizeof alphabet - 1)];
        s[len] = '\0';

        float ours = 0, theirs = 0;
        const char *why;
        bool ok = table_parse_float(s, len, &ours, &why) == 0;
        bool want = strtof_decimal(s, &theirs);
        ck_assert_msg(ok == want, "\"%s\": ours %s, strtof %s", s,
                      ok ? "accepts" : why, want ? "accepts" : "rejects");
        if (ok) {
            accepted++;
            ck_assert_msg(memcmp(&ours, &theirs, sizeof ours) == 0,
                          "\"%s\": %a vs %a", s, (double)ours,
                          (double)theirs);
        }
    }
    /* The alphabet is digit-heavy so that many strings are numbers: make
     * sure the comparison did not run on rejections only. */
    ck_assert_uint_gt(accepted, 10000);
}
END_TEST

START_TEST(parse_float_agrees_with_strtof_near_float_edges)
{
    /* Decimal renderings of random float bit patterns, and their
     * neighbours one digit off, round-trip exactly as strtof does. */
    struct rng r = rng_create(99, 3);
    for (int trial = 0; trial < 50000; trial++) {
        uint32_t bits = (uint32_t)rng_next(&r);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f))
            continue;
        char s[64];
        snprintf(s, sizeof s, trial % 2 ? "%.9g" : "%.17e", (double)f);
        float ours, theirs;
        ck_assert(strtof_decimal(s, &theirs));
        ck_assert_msg(table_parse_float(s, strlen(s), &ours, NULL) == 0,
                      "%s rejected", s);
        ck_assert_msg(memcmp(&ours, &theirs, sizeof ours) == 0, "%s", s);
        if (trial % 2)
            ck_assert_msg(memcmp(&ours, &f, sizeof f) == 0,
                          "%s does not round-trip", s);
    }
}
END_TEST

Suite *table_suite(void); /* called by check_main.c */

Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *ok = tcase_create("accepted");
    tcase_add_test(ok, lf_rows_fill_a_row_major_matrix);
    tcase_add_test(ok, crlf_and_lone_cr_count_lines);
    tcase_add_test(ok, missing_final_newline_keeps_the_last_row);
    tcase_add_test(ok, utf8_bom_is_stripped);
    tcase_add_test(ok, blank_lines_are_skipped_but_counted);
    tcase_add_test(ok, quoted_numbers_and_blanks_around_numbers_are_accepted);
    tcase_add_test(ok, quoted_header_names_keep_commas_quotes_and_newlines);
    tcase_add_test(ok, quoted_line_breaks_keep_line_numbers_physical);
    tcase_add_test(ok, cells_after_a_quoted_line_end_name_their_own_line);
    tcase_add_test(ok, every_chunk_size_gives_identical_tables);
    tcase_add_test(ok, expected_cols_accepts_a_match);
    suite_add_tcase(s, ok);

    /* 15 MB of text through the parser: seconds under ASan. */
    TCase *big = tcase_create("big");
    tcase_set_timeout(big, 120);
    tcase_add_test(big, ten_megabyte_lines_are_read);
    suite_add_tcase(s, big);

    TCase *bad = tcase_create("errors");
    tcase_add_test(bad, non_numeric_cell_names_line_and_column);
    tcase_add_test(bad, empty_cells_are_errors);
    tcase_add_test(bad, nan_and_inf_are_not_finite_numbers);
    tcase_add_test(bad, numbers_beyond_float_range_are_errors);
    tcase_add_test(bad, ragged_rows_name_the_first_missing_or_extra_field);
    tcase_add_test(bad, expected_cols_mismatch_is_an_error);
    tcase_add_test(bad, bad_quoting_is_malformed);
    tcase_add_test(bad, files_without_data_rows_are_errors);
    tcase_add_test(bad, utf16_and_gzip_are_refused_with_a_hint);
    tcase_add_test(bad, nul_bytes_are_errors_at_their_field);
    tcase_add_test(bad, semicolons_and_decimal_commas_get_a_hint);
    tcase_add_test(bad, bad_cells_are_quoted_escaped_and_truncated);
    suite_add_tcase(s, bad);

    /* Thousands of reads each, in forked children (so OpenMP teams are
     * safe here); seconds under ASan. */
    TCase *parts = tcase_create("parts");
    tcase_set_timeout(parts, 120);
    tcase_add_test(parts, parts_match_the_serial_reader_on_every_line_end);
    tcase_add_test(parts, quotes_after_the_first_lines_keep_the_read_serial);
    tcase_add_test(parts, parts_match_the_serial_reader_on_random_texts);
    tcase_add_test(parts, lines_read_without_libcsv_match_the_serial_reader);
    tcase_add_test(parts, parts_report_the_serial_readers_first_error);
    tcase_add_test(parts, a_large_file_is_read_in_parts_by_table_read);
    suite_add_tcase(s, parts);

    TCase *layout = tcase_create("layout");
    tcase_set_timeout(layout, 60);
    tcase_add_test(layout, a_layout_reads_text_skipped_and_missing_cells);
    tcase_add_test(layout, a_layout_gives_the_same_cells_at_every_chunk_size);
    tcase_add_test(layout, a_layout_gives_the_same_cells_in_parts);
    tcase_add_test(layout, missing_is_error_names_the_column);
    tcase_add_test(layout, table_stream_hands_over_every_row_in_order);
    suite_add_tcase(s, layout);

    TCase *num = tcase_create("parse_float");
    tcase_set_timeout(num, 60);
    tcase_add_test(num, parse_float_reads_every_decimal_form);
    tcase_add_test(num, parse_float_rejects_everything_else);
    tcase_add_test(num, parse_float_reads_long_digit_strings);
    tcase_add_test(num, parse_float_agrees_with_strtof_on_random_strings);
    tcase_add_test(num, parse_float_agrees_with_strtof_near_float_edges);
    suite_add_tcase(s, num);
    return s;
}
