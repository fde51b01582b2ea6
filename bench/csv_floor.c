/* csv_floor: how fast libcsv alone gets through a CSV file, the ceiling
 * for any loader built on it.
 *
 *   csv_floor FILE [RUNS]      (default 5)
 *
 * The file is mapped and faulted in before timing (it is in the page
 * cache), split at line ends into one part per thread, and each thread
 * runs csv_parse over its part with callbacks that only count the fields:
 * no number conversion, no storage, no page faults. What is timed is
 * libcsv's own scan, with the options backprop's reader uses
 * (TABLE_CSV_OPTIONS in src/table_reader.h). For 1 and 2 OpenMP threads it
 * prints the median of RUNS runs:
 *
 *   libcsv_seconds_1 <seconds>
 *   libcsv_seconds_2 <seconds>
 *   libcsv_fields <fields seen in each run>
 *
 * A loader that parses with libcsv can be no faster than this on the same
 * threads, whatever it does with the fields.
 *
 * Build: cc -std=c11 -O2 -fopenmp csv_floor.c -lcsv
 */
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include <csv.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL)

enum { MAX_RUNS = 101 };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void count_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    ++*(size_t *)data;
}

static void end_record(int c, void *data)
{
    (void)c;
    (void)data;
}

/* The first byte after the line end at or after text + at, or n. */
static size_t next_line(const char *text, size_t n, size_t at)
{
    const char *lf = at < n ? memchr(text + at, '\n', n - at) : NULL;
    return lf ? (size_t)(lf - text) + 1 : n;
}

/* Parses text[0..n) in `threads` parts; returns the fields seen, or 0 when
 * a parser fails. */
static size_t parse(const char *text, size_t n, int threads)
{
    size_t fields = 0;
    int failed = 0;
#pragma omp parallel num_threads(threads) reduction(+ : fields, failed)
    {
        size_t k = (size_t)omp_get_thread_num();
        size_t parts = (size_t)omp_get_num_threads();
        size_t lo = k == 0 ? 0 : next_line(text, n, n / parts * k);
        size_t hi = k + 1 == parts ? n : next_line(text, n, n / parts * (k + 1));
        struct csv_parser p;
        if (csv_init(&p, OPTIONS) != 0) {
            failed = 1;
        } else {
            if (hi > lo &&
                csv_parse(&p, text + lo, hi - lo, count_field, end_record,
                          &fields) != hi - lo)
                failed = 1;
            if (csv_fini(&p, count_field, end_record, &fields) != 0)
                failed = 1;
            csv_free(&p);
        }
    }
    return failed ? 0 : fields;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: csv_floor FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "csv_floor: RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        fprintf(stderr, "csv_floor: cannot read %s\n", argv[1]);
        return 1;
    }
    size_t n = (size_t)st.st_size;
    const char *text = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED) {
        fprintf(stderr, "csv_floor: cannot map %s\n", argv[1]);
        return 1;
    }

    size_t fields = parse(text, n, 1); /* warm-up, and the reference count */
    if (fields == 0) {
        fprintf(stderr, "csv_floor: libcsv rejects %s\n", argv[1]);
        return 1;
    }
    for (int threads = 1; threads <= 2; threads++) {
        double seconds[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            double t0 = now_seconds();
            size_t seen = parse(text, n, threads);
            seconds[r] = now_seconds() - t0;
            if (seen != fields) {
                fprintf(stderr, "csv_floor: %zu fields in parts, %zu whole\n",
                        seen, fields);
                return 1;
            }
        }
        qsort(seconds, (size_t)runs, sizeof *seconds, cmp_double);
        printf("libcsv_seconds_%d %.6f\n", threads, seconds[runs / 2]);
    }
    printf("libcsv_fields %zu\n", fields);
    munmap((void *)text, n);
    return 0;
}
