/* gemm: the speed of the dense kernels, layer by layer, and of a whole
 * training step, on the shapes of issue 14, in GFLOP/s and % of the FMA
 * peak; Debian's OpenBLAS and BLIS sgemm on the same products when given.
 *
 *   gemm [--peak FILE] [--threads "1 2"] [--only TEXT] [--runs N]
 *        [--cpu-time] [--blas NAME=LIBRARY.so]...
 *
 * --peak: fma_peak's output; the peak is the widest FMA this build's
 *   kernels use (avx512_fma_gflops_T under -march=native on an AVX-512
 *   CPU, else avx2_fma_gflops_T), as bench/run.sh decides it.
 * --only: only the shapes whose name contains TEXT.
 * --blas: cblas_sgemm of LIBRARY, loaded with dlopen (so two BLAS
 *   libraries exporting the same names can be compared in one run), on
 *   each layer's three products; its thread count is set through
 *   openblas_set_num_threads or bli_thread_set_num_threads when exported.
 *
 * Each figure is the median of --runs (default 5) timed runs of a loop of
 * calls about 40 ms long, calibrated first. Kernels run the way the
 * trainer runs them: called by every thread of a team of T (or outside
 * any team for T = 1), each thread taking its share; a barrier after each
 * call keeps the threads in step (on the big shapes it costs under 1%).
 *
 * Rows:
 *   forward   kernel_dense_forward, with the weights' preparation it reads
 *             (network_forward's, once per step);
 *   delta     kernel_dense_backward_input;
 *   wgrad     kernel_dense_backward_weights (the gradient into a buffer);
 *   wsgd      kernel_dense_backward_sgd (the same sums fused with SGD +
 *             momentum: the trainer's default path);
 *   step      one training step as the trainer's fused SGD path runs it
 *             (network_forward, network_loss, network_backward_update, in
 *             a team only above the trainer's work threshold), with its
 *             FLOP count from network_flops. The trainer runs small
 *             networks through small_net instead: their step rows here
 *             are the general path's.
 * FLOP: a multiply-add counts 2; a product of B x IN by IN x OUT is
 * 2 B IN OUT.
 */
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "kernels.h"
#include "network.h"

#define MAX_LAYERS 8
#define TARGET_SECONDS 0.04
/* The trainer's threshold (trainer.c PARALLEL_MIN_FLOPS). */
#define PARALLEL_MIN_FLOPS 200000.0

struct shape {
    const char *name;
    size_t input;
    size_t units[MAX_LAYERS];
    enum activation act[MAX_LAYERS];
    size_t n_layers;
    size_t batch;
    int per_layer; /* print the kernels of each layer */
};

#define R ACT_RELU
#define T ACT_TANH
#define S ACT_SIGMOID
#define SM ACT_SOFTMAX
static const struct shape shapes[] = {
    {"10-32-2 b32", 10, {32, 2}, {R, SM}, 2, 32, 0},
    {"64-64-10 b32", 64, {64, 10}, {R, SM}, 2, 32, 0},
    {"784-256-128-10 b64", 784, {256, 128, 10}, {R, R, SM}, 3, 64, 1},
    {"784-1024-1024-10 b128", 784, {1024, 1024, 10}, {R, R, SM}, 3, 128, 1},
    {"256-6x256tanh-10 b64", 256, {256, 256, 256, 256, 256, 256, 10},
     {T, T, T, T, T, T, SM}, 7, 64, 0},
    {"784-128-10 b1", 784, {128, 10}, {R, SM}, 2, 1, 0},
    {"784-512-10 b1024", 784, {512, 10}, {R, SM}, 2, 1024, 1},
    {"16-64-64-1 b16", 16, {64, 64, 1}, {S, S, S}, 3, 16, 0},
    {"1-1-1 b1", 1, {1, 1}, {S, S}, 2, 1, 0},
};
#undef R
#undef T
#undef S
#undef SM

static int runs = 5;
/* --cpu-time: the process's CPU time instead of the wall clock, for
 * comparing code on one thread while other processes load the machine
 * (a descheduled thread costs wall time, not CPU time). */
static int cpu_time;

static double now(void)
{
    if (!cpu_time)
        return omp_get_wtime();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- timing ---- */

typedef void (*body_fn)(void *ctx);

/* Seconds of `reps` calls of body on a team of `threads` (none for 1). */
static double time_reps(body_fn body, void *ctx, int threads, long reps,
                        int team)
{
    double t0 = now();
    if (team) {
#pragma omp parallel num_threads(threads)
        for (long r = 0; r < reps; r++) {
            body(ctx);
            kernel_sync();
        }
    } else {
        for (long r = 0; r < reps; r++)
            body(ctx);
    }
    return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call. */
static double seconds_per_call(body_fn body, void *ctx, int threads,
                               int team)
{
    long reps = 1;
    double t;
    while ((t = time_reps(body, ctx, threads, reps, team)) < TARGET_SECONDS / 4)
        reps *= 2;
    reps = (long)((double)reps * TARGET_SECONDS / t) + 1;
    double per[32];
    int n = runs < 32 ? runs : 32;
    for (int k = 0; k < n; k++)
        per[k] = time_reps(body, ctx, threads, reps, team) / (double)reps;
    qsort(per, (size_t)n, sizeof *per, cmp_double);
    return per[n / 2];
}

/* ---- the peak ---- */

static double peak[3]; /* [threads], GFLOP/s; 0 unknown */

static void read_peak(const char *path)
{
#ifdef __AVX512F__
    const char *isa = "avx512";
#else
    const char *isa = "avx2";
#endif
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gemm: %s: cannot read; %% of peak left out\n", path);
        return;
    }
    char name[64];
    double v;
    while (fscanf(f, "%63s %lf", name, &v) == 2) {
        char want[64];
        for (int t = 1; t <= 2; t++) {
            snprintf(want, sizeof want, "%s_fma_gflops_%d", isa, t);
            if (strcmp(name, want) == 0)
                peak[t] = v;
        }
    }
    fclose(f);
}

static void print_row(const char *shape, const char *layer, const char *what,
                      int threads, double flops, double seconds,
                      const char *extra)
{
    double gflops = flops / seconds * 1e-9;
    char pct[16] = "";
    if (threads <= 2 && peak[threads] > 0)
        snprintf(pct, sizeof pct, "%.0f%%", 100.0 * gflops / peak[threads]);
    printf("| %s | %s | %s | %d | %.1f | %.1f | %s |%s\n", shape, layer, what,
           threads, seconds * 1e6, gflops, pct, extra ? extra : "");
}

/* ---- BLAS through dlopen ---- */

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int M, int N, int K,
                         float alpha, const float *A, int lda, const float *B,
                         int ldb, float beta, float *C, int ldc);
typedef void (*set_threads_fn)(int n);
typedef void (*set_threads_long_fn)(long n);

struct blas {
    const char *name;
    sgemm_fn sgemm;
    set_threads_fn openblas_threads;
    set_threads_long_fn blis_threads;
};

static struct blas blas[4];
static int n_blas;

static void load_blas(const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || n_blas == 4) {
        fprintf(stderr, "gemm: --blas NAME=LIBRARY, at most 4\n");
        exit(2);
    }
    void *h = dlopen(eq + 1, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "gemm: %s: %s (left out)\n", eq + 1, dlerror());
        return;
    }
    struct blas *b = &blas[n_blas];
    b->name = strndup(spec, (size_t)(eq - spec));
    *(void **)&b->sgemm = dlsym(h, "cblas_sgemm");
    *(void **)&b->openblas_threads = dlsym(h, "openblas_set_num_threads");
    *(void **)&b->blis_threads = dlsym(h, "bli_thread_set_num_threads");
    if (!b->sgemm) {
        fprintf(stderr, "gemm: %s has no cblas_sgemm (left out)\n", eq + 1);
        return;
    }
    n_blas++;
}

static void blas_threads(const struct blas *b, int threads)
{
    if (b->openblas_threads)
        b->openblas_threads(threads);
    if (b->blis_threads)
        b->blis_threads(threads);
}

/* ---- one layer's kernels ---- */

struct layer_ctx {
    size_t B, IN, OUT;
    float *in, *W, *Wt, *bias, *out, *dout, *din, *dW, *db, *vW, *vb;
    struct kernel_sgd sgd;
    const struct blas *blas;
};

static void run_forward(void *p)
{
    struct layer_ctx *c = p;
    kernel_transpose(c->Wt, c->W, c->OUT, c->IN);
    kernel_sync();
    kernel_dense_forward(c->out, c->in, c->Wt, c->bias, c->B, c->IN, c->OUT);
}

static void run_delta(void *p)
{
    struct layer_ctx *c = p;
    kernel_dense_backward_input(c->din, c->dout, c->W, c->B, c->IN, c->OUT);
}

static void run_wgrad(void *p)
{
    struct layer_ctx *c = p;
    kernel_dense_backward_weights(c->dW, c->db, c->dout, c->in, c->B, c->IN,
                                  c->OUT);
}

static void run_wsgd(void *p)
{
    struct layer_ctx *c = p;
    /* The same weights every call: the step is tiny (lr 1e-9), and what
     * is timed is the arithmetic, not the values. */
    kernel_dense_backward_sgd(c->W, c->bias, c->vW, c->vb, c->dout, c->in,
                              c->B, c->IN, c->OUT, &c->sgd);
}

static void blas_forward(void *p)
{
    struct layer_ctx *c = p;
    c->blas->sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)c->B,
                   (int)c->OUT, (int)c->IN, 1.0f, c->in, (int)c->IN, c->W,
                   (int)c->IN, 0.0f, c->out, (int)c->OUT);
}

static void blas_delta(void *p)
{
    struct layer_ctx *c = p;
    c->blas->sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c->B,
                   (int)c->IN, (int)c->OUT, 1.0f, c->dout, (int)c->OUT, c->W,
                   (int)c->IN, 0.0f, c->din, (int)c->IN);
}

static void blas_wgrad(void *p)
{
    struct layer_ctx *c = p;
    c->blas->sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c->OUT,
                   (int)c->IN, (int)c->B, 1.0f, c->dout, (int)c->OUT, c->in,
                   (int)c->IN, 0.0f, c->dW, (int)c->IN);
}

static float *random_floats(size_t n, unsigned seed)
{
    float *x = network_alloc_floats(n);
    if (!x) {
        fprintf(stderr, "gemm: out of memory\n");
        exit(1);
    }
    for (size_t k = 0; k < n; k++) {
        seed = seed * 1664525u + 1013904223u;
        x[k] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return x;
}

static void bench_layer(const struct shape *s, size_t l, size_t IN,
                        size_t OUT, const int *threads, int n_threads)
{
    size_t B = s->batch;
    struct layer_ctx c = {
        .B = B, .IN = IN, .OUT = OUT,
        .in = random_floats(B * IN, 1), .W = random_floats(OUT * IN, 2),
        .Wt = random_floats(OUT * IN, 3), .bias = random_floats(OUT, 4),
        .out = random_floats(B * OUT, 5), .dout = random_floats(B * OUT, 6),
        .din = random_floats(B * IN, 7), .dW = random_floats(OUT * IN, 8),
        .db = random_floats(OUT, 9), .vW = random_floats(OUT * IN, 10),
        .vb = random_floats(OUT, 11),
        .sgd = {.scale = 1.0f / (float)B, .lr = 1e-9f, .momentum = 0.9f},
    };
    char layer[64];
    snprintf(layer, sizeof layer, "%zu: %zu-%zu", l, IN, OUT);
    double flops = 2.0 * (double)B * (double)IN * (double)OUT;
    static const struct {
        const char *name;
        body_fn ours, theirs;
    } kernels[] = {{"forward", run_forward, blas_forward},
                   {"delta", run_delta, blas_delta},
                   {"wgrad", run_wgrad, blas_wgrad},
                   {"wsgd", run_wsgd, NULL}};
    for (int ti = 0; ti < n_threads; ti++) {
        int t = threads[ti];
        for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++) {
            double sec = seconds_per_call(kernels[k].ours, &c, t, t > 1);
            char extra[256] = "";
            size_t used = 0;
            for (int bi = 0; bi < n_blas && kernels[k].theirs; bi++) {
                c.blas = &blas[bi];
                blas_threads(&blas[bi], t);
                double bs = seconds_per_call(kernels[k].theirs, &c, 1, 0);
                double g = flops / bs * 1e-9;
                used += (size_t)snprintf(extra + used, sizeof extra - used,
                                         " %s %.1f", blas[bi].name, g);
                if (t <= 2 && peak[t] > 0)
                    used += (size_t)snprintf(extra + used, sizeof extra - used,
                                             " (%.0f%%)", 100.0 * g / peak[t]);
            }
            print_row(s->name, layer, kernels[k].name, t, flops, sec, extra);
        }
    }
    float *bufs[] = {c.in, c.W, c.Wt, c.bias, c.out, c.dout,
                     c.din, c.dW, c.db, c.vW, c.vb};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
        free(bufs[k]);
}

/* ---- a whole step ---- */

struct step_ctx {
    struct network net;
    struct workspace ws;
    float *velocity;
    struct kernel_sgd sgd;
    size_t n;
};

static void run_step(void *p)
{
    struct step_ctx *c = p;
    network_forward(&c->net, &c->ws, c->n);
    network_loss(&c->net, &c->ws, c->n);
    network_backward_update(&c->net, &c->ws, c->n, c->velocity, &c->sgd);
}

static void bench_step(const struct shape *s, const int *threads,
                       int n_threads)
{
    struct layer_config lc[MAX_LAYERS];
    memset(lc, 0, sizeof lc);
    for (size_t l = 0; l < s->n_layers; l++) {
        lc[l].units = s->units[l];
        lc[l].activation = s->act[l];
    }
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.input = s->input;
    cfg.n_layers = s->n_layers;
    cfg.layers = lc;
    cfg.loss = s->act[s->n_layers - 1] == ACT_SOFTMAX ? LOSS_CROSS_ENTROPY
                                                       : LOSS_MSE;
    cfg.init = INIT_HE;
    cfg.init_seed = 1;
    struct step_ctx c;
    memset(&c, 0, sizeof c);
    struct bp_error err;
    if (network_create(&c.net, &cfg, &err) < 0 ||
        workspace_create(&c.ws, &c.net, s->batch, &err) < 0) {
        fprintf(stderr, "gemm: %s: out of memory\n", s->name);
        exit(1);
    }
    c.n = s->batch;
    size_t outputs = network_outputs(&c.net);
    float *x = random_floats(s->batch * s->input, 12);
    memcpy(c.ws.x, x, s->batch * s->input * sizeof *x);
    free(x);
    for (size_t b = 0; b < s->batch; b++)
        for (size_t k = 0; k < outputs; k++)
            c.ws.t[b * outputs + k] =
                outputs == 1 ? 0.5f : (k == b % outputs ? 1.0f : 0.0f);
    c.velocity = random_floats(c.net.n_params, 13);
    memset(c.velocity, 0, c.net.n_params * sizeof *c.velocity);
    c.sgd = (struct kernel_sgd){.scale = 1.0f / (float)s->batch,
                                .lr = 1e-6f, .momentum = 0.9f};
    double forward, training;
    network_flops(&c.net, &forward, &training);
    double flops = training * (double)s->batch;
    for (int ti = 0; ti < n_threads; ti++) {
        int t = threads[ti];
        int team = t > 1 && flops >= PARALLEL_MIN_FLOPS;
        double sec = seconds_per_call(run_step, &c, t, team);
        print_row(s->name, "all", team || t == 1 ? "step" : "step (no team)",
                  t, flops, sec, NULL);
    }
    free(c.velocity);
    workspace_free(&c.ws, &c.net);
    network_free(&c.net);
}

int main(int argc, char **argv)
{
    int threads[8] = {1, 2}, n_threads = 2;
    const char *only = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--peak") == 0 && a + 1 < argc) {
            read_peak(argv[++a]);
        } else if (strcmp(argv[a], "--blas") == 0 && a + 1 < argc) {
            load_blas(argv[++a]);
        } else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
            only = argv[++a];
        } else if (strcmp(argv[a], "--cpu-time") == 0) {
            cpu_time = 1;
        } else if (strcmp(argv[a], "--runs") == 0 && a + 1 < argc) {
            runs = atoi(argv[++a]);
            if (runs < 1)
                runs = 1;
        } else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
            n_threads = 0;
            char *p = argv[++a], *end;
            while (n_threads < 8) {
                long v = strtol(p, &end, 10);
                if (end == p)
                    break;
                threads[n_threads++] = v < 1 ? 1 : (int)v;
                p = end;
            }
        } else {
            fprintf(stderr,
                    "usage: gemm [--peak FILE] [--threads \"1 2\"] "
                    "[--only TEXT] [--runs N] [--cpu-time] "
                    "[--blas NAME=LIB.so]...\n");
            return 2;
        }
    }
    printf("| shape | layer | kernel | threads | us/call | GFLOP/s | %% of "
           "peak | BLAS on the same product |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const struct shape *s = &shapes[k];
        if (only && !strstr(s->name, only))
            continue;
        if (s->per_layer)
            for (size_t l = 0; l < s->n_layers; l++)
                bench_layer(s, l, l == 0 ? s->input : s->units[l - 1],
                            s->units[l], threads, n_threads);
        bench_step(s, threads, n_threads);
        fflush(stdout);
    }
    return 0;
}
