/*
 * weights_io: how fast backprop reads and writes a weights file, and
 * that what it writes reads back bit-exactly.
 *
 *   weights_io WEIGHTS.json OUT.json [RUNS]
 *
 * Each of RUNS rounds (default 5) times, in this order:
 *   read    config_load(WEIGHTS): what `info`, `predict` and a resume do
 *           (read the file, check the syntax, parse, validate every key);
 *   text    weights_to_json: the text of the file, in memory;
 *   write   weights_save(OUT): the text and its atomic write (temporary
 *           file, fsync, rename, fsync of the folder), as a checkpoint.
 * and prints the medians as MB/s of the file's size (MB = 10^6 bytes),
 * by the wall clock and by this process's CPU time (the disk's waits
 * left out; on a shared machine, what the code itself costs),
 * then checks, once: OUT reads back to the same parameters and optimizer
 * buffers, bit for bit, and OUT's bytes equal WEIGHTS' when both sit in
 * the same folder (the text is canonical: weights.h).
 *
 * Output, one line for bench/weights.sh to parse:
 *   bytes=N params=P read_mbs=R text_mbs=T write_mbs=W read_cpu_mbs=RC
 *   write_cpu_mbs=WC exact=yes|NO
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "network.h"
#include "weights.h"

#define MAX_RUNS 64

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall-clock seconds: what a user waits. */
static double now(void) { return clock_s(CLOCK_MONOTONIC); }

/* CPU seconds of this process: on a machine shared with other work, what
 * the code costs (waiting for the disk is not in it). */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what, const struct bp_error *err)
{
    fprintf(stderr, "weights_io: %s: %s\n", what, err->msg);
    exit(1);
}

/* The bytes of a file, or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Whether two configs hold the same parameters and optimizer buffers,
 * bit for bit. */
static int same_numbers(const struct config *a, const struct config *b)
{
    if (a->n_layers != b->n_layers)
        return 0;
    for (size_t l = 0; l < a->n_layers; l++) {
        size_t n = a->layers[l].units * config_fan_in(a, l);
        if (!a->layers[l].weights || !b->layers[l].weights ||
            memcmp(a->layers[l].weights, b->layers[l].weights,
                   n * sizeof(float)) ||
            memcmp(a->layers[l].bias, b->layers[l].bias,
                   a->layers[l].units * sizeof(float)))
            return 0;
    }
    size_t np = config_param_count(a);
    for (int s = 0; s < STATE_BUFFERS; s++) {
        const float *x = a->state.buffer[s], *y = b->state.buffer[s];
        if (!x != !y || (x && memcmp(x, y, np * sizeof(float))))
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: weights_io WEIGHTS.json OUT.json [RUNS]\n");
        return 2;
    }
    const char *in = argv[1], *out = argv[2];
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    if (runs < 1 || runs > MAX_RUNS)
        runs = 5;
    struct bp_error err;
    struct config cfg;
    struct network net;
    double t_read[MAX_RUNS], t_text[MAX_RUNS], t_write[MAX_RUNS];
    double c_read[MAX_RUNS], c_write[MAX_RUNS];
    size_t bytes = 0, text_len = 0;
    char *original = slurp(in, &bytes);
    if (!original) {
        fprintf(stderr, "weights_io: %s: cannot read\n", in);
        return 1;
    }

    for (int r = 0; r < runs; r++) {
        double t0 = now(), c0 = cpu();
        if (config_load(&cfg, in, NULL, 0, &err))
            die("read", &err);
        t_read[r] = now() - t0;
        c_read[r] = cpu() - c0;
        if (network_create(&net, &cfg, &err))
            die("network", &err);
        t0 = now();
        char *text = weights_to_json(&cfg, &net, &cfg.normalization,
                                     &cfg.state, &cfg.metrics, out,
                                     &text_len, &err);
        t_text[r] = now() - t0;
        if (!text)
            die("text", &err);
        free(text);
        t0 = now();
        c0 = cpu();
        if (weights_save(&cfg, &net, &cfg.normalization, &cfg.state,
                         &cfg.metrics, out, &err))
            die("write", &err);
        t_write[r] = now() - t0;
        c_write[r] = cpu() - c0;
        network_free(&net);
        if (r + 1 < runs)
            config_free(&cfg);
    }

    struct config back;
    if (config_load(&back, out, NULL, 0, &err))
        die("read back", &err);
    size_t out_len = 0;
    char *written = slurp(out, &out_len);
    int exact = same_numbers(&cfg, &back) && written &&
                out_len == bytes && memcmp(written, original, bytes) == 0;
    double mb = (double)bytes / 1e6;
    printf("bytes=%zu params=%zu read_mbs=%.0f text_mbs=%.0f "
           "write_mbs=%.0f read_cpu_mbs=%.0f write_cpu_mbs=%.0f exact=%s\n",
           bytes, config_param_count(&cfg), mb / median(t_read, runs),
           mb / median(t_text, runs), mb / median(t_write, runs),
           mb / median(c_read, runs), mb / median(c_write, runs),
           exact ? "yes" : "NO");
    config_free(&back);
    config_free(&cfg);
    free(written);
    free(original);
    return exact ? 0 : 1;
}
