/*
 * allreduce_bench [FLOATS] [REPS]: the time of one dist_allreduce_sum of
 * FLOATS floats (default 235212: the Fashion-MNIST network's gradient plus
 * a batch of 64 losses and 2 counters), the ranks lined up by a barrier
 * first (dist_min) so waiting for a late rank is not counted; median over
 * REPS (default 200). Run under mpirun; rank 0 prints one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dist.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 235212;
    int reps = argc > 2 ? atoi(argv[2]) : 200;
    dist_init();
    float *buf = calloc(n, sizeof *buf);
    float *scratch = calloc(dist_chunk_max(n) + 1, sizeof *scratch);
    double *t = calloc((size_t)reps, sizeof *t);
    if (!buf || !scratch || !t)
        return 1;
    for (int r = 0; r < reps; r++) {
        dist_min(0);
        double t0 = now();
        dist_allreduce_sum(buf, n, scratch);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, by_value);
    if (dist_rank() == 0)
        printf("ranks %d floats %zu bytes_sent %zu median_ms %.3f min_ms %.3f\n",
               dist_size(), n, dist_allreduce_bytes(n), 1e3 * t[reps / 2],
               1e3 * t[0]);
    free(buf);
    free(scratch);
    free(t);
    dist_finalize();
    return 0;
}
