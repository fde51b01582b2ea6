/* fma_peak: the machine's FP32 fused-multiply-add peak, in GFLOP/s.
 *
 *   fma_peak [RUNS]      (default 7)
 *
 * Each thread runs a loop of _mm256_fmadd_ps on ACC independent
 * accumulators. An FMA's result is ready only after its latency (4 cycles
 * on current AMD and Intel cores) and two FMA pipes are common, so at
 * least 4 x 2 = 8 chains must be in flight to keep every pipe busy; 12
 * leaves headroom and, with the two constants, fits in the 16 ymm
 * registers without spilling. One FMA on 8 floats counts 16 FLOP.
 *
 * For 1 and 2 OpenMP threads it times RUNS runs (all threads start
 * together after a barrier; the time is from before that barrier to after
 * the closing one) and prints the median:
 *
 *   avx2_fma_gflops_1 <GFLOP/s>
 *   avx2_fma_gflops_2 <GFLOP/s>
 *
 * When the CPU has AVX-512F it also prints avx512_fma_gflops_1/2 (16
 * chains in the 32 zmm registers). bench/run.sh divides by the peak of the
 * widest FMA the backprop build's kernels use (`make kernel-isa`): AVX-512's
 * for a -march=native build on such a CPU, AVX2's otherwise.
 *
 * Build: cc -std=c11 -O2 -mavx2 -mfma -fopenmp fma_peak.c
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

enum { ACC = 12, ACC512 = 16 };

static const long ITERS = 40L * 1000 * 1000; /* ~0.2 s at 100 GFLOP/s */

static volatile float sink;

static float fma_loop_avx2(long iters)
{
    __m256 acc[ACC];
    for (int k = 0; k < ACC; k++)
        acc[k] = _mm256_set1_ps(1.0f + 0.001f * (float)k);
    /* a < 1 and b small keep every value near 1e-1..1: no overflow and
     * no denormals, whose slow path would distort the figure. */
    const __m256 a = _mm256_set1_ps(0.9999999f);
    const __m256 b = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iters; i++) {
        /* The compiler must not merge or reorder these: each is a
         * separate dependency chain. */
        acc[0] = _mm256_fmadd_ps(acc[0], a, b);
        acc[1] = _mm256_fmadd_ps(acc[1], a, b);
        acc[2] = _mm256_fmadd_ps(acc[2], a, b);
        acc[3] = _mm256_fmadd_ps(acc[3], a, b);
        acc[4] = _mm256_fmadd_ps(acc[4], a, b);
        acc[5] = _mm256_fmadd_ps(acc[5], a, b);
        acc[6] = _mm256_fmadd_ps(acc[6], a, b);
        acc[7] = _mm256_fmadd_ps(acc[7], a, b);
        acc[8] = _mm256_fmadd_ps(acc[8], a, b);
        acc[9] = _mm256_fmadd_ps(acc[9], a, b);
        acc[10] = _mm256_fmadd_ps(acc[10], a, b);
        acc[11] = _mm256_fmadd_ps(acc[11], a, b);
    }
    __m256 s = acc[0];
    for (int k = 1; k < ACC; k++)
        s = _mm256_add_ps(s, acc[k]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}

__attribute__((target("avx512f"))) static float fma_loop_avx512(long iters)
{
    __m512 acc[ACC512];
    for (int k = 0; k < ACC512; k++)
        acc[k] = _mm512_set1_ps(1.0f + 0.001f * (float)k);
    const __m512 a = _mm512_set1_ps(0.9999999f);
    const __m512 b = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < iters; i++) {
        /* Written out so that gcc keeps acc[] in registers. */
#define FMA512(k) acc[k] = _mm512_fmadd_ps(acc[k], a, b)
        FMA512(0); FMA512(1); FMA512(2); FMA512(3);
        FMA512(4); FMA512(5); FMA512(6); FMA512(7);
        FMA512(8); FMA512(9); FMA512(10); FMA512(11);
        FMA512(12); FMA512(13); FMA512(14); FMA512(15);
#undef FMA512
    }
    __m512 s = acc[0];
    for (int k = 1; k < ACC512; k++)
        s = _mm512_add_ps(s, acc[k]);
    return _mm512_reduce_add_ps(s);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* GFLOP/s of one run on `threads` threads, all running the same loop. */
static double run_once(int threads, int avx512)
{
    double flop_per_iter = avx512 ? ACC512 * 16.0 * 2.0 : ACC * 8.0 * 2.0;
    long iters = avx512 ? ITERS / 2 : ITERS;
    double started = 0.0, elapsed = 0.0;
#pragma omp parallel num_threads(threads)
    {
#pragma omp barrier
#pragma omp master
        started = omp_get_wtime();
        float r = avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
#pragma omp critical
        sink += r;
#pragma omp barrier
#pragma omp master
        elapsed = omp_get_wtime() - started;
    }
    return flop_per_iter * (double)iters * threads / elapsed / 1e9;
}

static double median_gflops(int threads, int avx512, int runs)
{
    double *g = malloc((size_t)runs * sizeof *g);
    if (!g) {
        fprintf(stderr, "fma_peak: out of memory\n");
        exit(1);
    }
    run_once(threads, avx512); /* warm-up: clocks up, threads started */
    for (int i = 0; i < runs; i++)
        g[i] = run_once(threads, avx512);
    qsort(g, (size_t)runs, sizeof *g, cmp_double);
    double m = runs % 2 ? g[runs / 2] : (g[runs / 2 - 1] + g[runs / 2]) / 2;
    free(g);
    return m;
}

int main(int argc, char **argv)
{
    int runs = 7;
    if (argc > 1) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*end || v < 1 || v > 1000) {
            fprintf(stderr, "usage: fma_peak [RUNS]   (1..1000, default 7)\n");
            return 2;
        }
        runs = (int)v;
    }
    for (int t = 1; t <= 2; t++)
        printf("avx2_fma_gflops_%d %.1f\n", t, median_gflops(t, 0, runs));
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        for (int t = 1; t <= 2; t++)
            printf("avx512_fma_gflops_%d %.1f\n", t, median_gflops(t, 1, runs));
    return 0;
}
