/* The kernels against naive double-precision versions of the same sums,
 * and bit-identical whatever the thread count. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_math.h"
#include "kernels.h"
#include "nets.h"

/* float32 sums of up to ~100 terms of size ~1 round to within ~1e-5 of
 * the exact value; 1e-4 leaves room and still catches any wrong index. */
#define KERNEL_TOLERANCE 1e-4

/* Sizes that are not multiples of the kernel's 8 lanes, and some that are. */
static const size_t sizes[][3] = {
    {1, 1, 1}, {3, 7, 5}, {5, 8, 9}, {13, 17, 3}, {16, 64, 32}, {7, 100, 11},
    {8, 33, 70}};

START_TEST(dense_forward_matches_naive_sums)
{
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t B = sizes[s][0], IN = sizes[s][1], OUT = sizes[s][2];
        float *in = malloc(B * IN * sizeof *in), *W = malloc(OUT * IN * 4),
              *Wt = malloc(OUT * IN * 4), *bias = malloc(OUT * 4),
              *out = malloc(B * OUT * 4);
        nets_random(in, B * IN, 1);
        nets_random(W, OUT * IN, 2);
        nets_random(bias, OUT, 3);
        kernel_transpose(Wt, W, OUT, IN);
        for (size_t j = 0; j < OUT; j++)
            for (size_t i = 0; i < IN; i++)
                ck_assert_float_eq(Wt[i * OUT + j], W[j * IN + i]);
        kernel_dense_forward(out, in, Wt, bias, B, IN, OUT);
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < OUT; j++) {
                double sum = bias[j];
                for (size_t i = 0; i < IN; i++)
                    sum += (double)in[b * IN + i] * W[j * IN + i];
                ck_assert_double_eq_tol(out[b * OUT + j], sum,
                                        KERNEL_TOLERANCE);
            }
        free(in), free(W), free(Wt), free(bias), free(out);
    }
}
END_TEST

START_TEST(dense_backward_matches_naive_sums)
{
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t B = sizes[s][0], IN = sizes[s][1], OUT = sizes[s][2];
        float *in = malloc(B * IN * 4), *W = malloc(OUT * IN * 4),
              *dout = malloc(B * OUT * 4), *din = malloc(B * IN * 4),
              *dW = malloc(OUT * IN * 4), *db = malloc(OUT * 4);
        nets_random(in, B * IN, 4);
        nets_random(W, OUT * IN, 5);
        nets_random(dout, B * OUT, 6);
        kernel_dense_backward_input(din, dout, W, B, IN, OUT);
        kernel_dense_backward_weights(dW, db, dout, in, B, IN, OUT);
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < IN; i++) {
                double sum = 0;
                for (size_t j = 0; j < OUT; j++)
                    sum += (double)dout[b * OUT + j] * W[j * IN + i];
                ck_assert_double_eq_tol(din[b * IN + i], sum,
                                        KERNEL_TOLERANCE);
            }
        for (size_t j = 0; j < OUT; j++) {
            double gb = 0;
            for (size_t b = 0; b < B; b++)
                gb += dout[b * OUT + j];
            ck_assert_double_eq_tol(db[j], gb, KERNEL_TOLERANCE);
            for (size_t i = 0; i < IN; i++) {
                double sum = 0;
                for (size_t b = 0; b < B; b++)
                    sum += (double)dout[b * OUT + j] * in[b * IN + i];
                ck_assert_double_eq_tol(dW[j * IN + i], sum,
                                        KERNEL_TOLERANCE);
            }
        }
        free(in), free(W), free(dout), free(din), free(dW), free(db);
    }
}
END_TEST

/* kernel_math.h's promise, bit for bit: every dense sum is one chain of
 * kmath_madd from zero in index order (the bias added last), whatever the
 * tile or tail an element falls in. */
START_TEST(dense_sums_are_chains_in_index_order)
{
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t B = sizes[s][0], IN = sizes[s][1], OUT = sizes[s][2];
        float *in = malloc(B * IN * 4), *W = malloc(OUT * IN * 4),
              *Wt = malloc(OUT * IN * 4), *bias = malloc(OUT * 4),
              *out = malloc(B * OUT * 4), *dout = malloc(B * OUT * 4),
              *din = malloc(B * IN * 4), *dW = malloc(OUT * IN * 4),
              *db = malloc(OUT * 4);
        nets_random(in, B * IN, 21);
        nets_random(W, OUT * IN, 22);
        nets_random(bias, OUT, 23);
        nets_random(dout, B * OUT, 24);
        kernel_transpose(Wt, W, OUT, IN);
        kernel_dense_forward(out, in, Wt, bias, B, IN, OUT);
        kernel_dense_backward_input(din, dout, W, B, IN, OUT);
        kernel_dense_backward_weights(dW, db, dout, in, B, IN, OUT);
        for (size_t b = 0; b < B; b++) {
            for (size_t j = 0; j < OUT; j++) {
                float chain = 0.0f;
                for (size_t i = 0; i < IN; i++)
                    chain = kmath_madd(in[b * IN + i], W[j * IN + i], chain);
                ck_assert_msg(out[b * OUT + j] == bias[j] + chain,
                              "forward %zu x %zu x %zu [%zu][%zu]", B, IN,
                              OUT, b, j);
            }
            for (size_t i = 0; i < IN; i++) {
                float chain = 0.0f;
                for (size_t j = 0; j < OUT; j++)
                    chain = kmath_madd(dout[b * OUT + j], W[j * IN + i],
                                       chain);
                ck_assert_msg(din[b * IN + i] == chain, "input gradient");
            }
        }
        for (size_t j = 0; j < OUT; j++) {
            float gb = 0.0f;
            for (size_t b = 0; b < B; b++)
                gb += dout[b * OUT + j];
            ck_assert(db[j] == gb);
            for (size_t i = 0; i < IN; i++) {
                float chain = 0.0f;
                for (size_t b = 0; b < B; b++)
                    chain = kmath_madd(dout[b * OUT + j], in[b * IN + i],
                                       chain);
                ck_assert_msg(dW[j * IN + i] == chain, "weight gradient");
            }
        }
        free(in), free(W), free(Wt), free(bias), free(out), free(dout);
        free(din), free(dW), free(db);
    }
}
END_TEST

START_TEST(activations_match_their_definitions)
{
    float x[6] = {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 40.0f}, y[6];
    kernel_sigmoid(y, x, 2, 3);
    for (int k = 0; k < 6; k++)
        ck_assert_double_eq_tol(y[k], 1.0 / (1.0 + exp(-x[k])), 1e-7);
    kernel_tanh(y, x, 2, 3);
    for (int k = 0; k < 6; k++)
        ck_assert_double_eq_tol(y[k], tanh(x[k]), 1e-7);
    kernel_relu(y, x, 2, 3);
    for (int k = 0; k < 6; k++)
        ck_assert_float_eq(y[k], x[k] > 0 ? x[k] : 0.0f);
    kernel_softmax(y, x, 2, 3);
    for (int b = 0; b < 2; b++) {
        double sum = 0;
        for (int k = 0; k < 3; k++)
            sum += exp(x[b * 3 + k]);
        for (int k = 0; k < 3; k++)
            ck_assert_double_eq_tol(y[b * 3 + k], exp(x[b * 3 + k]) / sum,
                                    1e-7);
    }
}
END_TEST

START_TEST(softmax_cross_entropy_is_stable_for_large_logits)
{
    float z[3] = {1000.0f, 0.0f, -1000.0f}, y[3], t[3] = {0, 1, 0}, d[3], loss;
    kernel_softmax(y, z, 1, 3);
    kernel_softmax_cross_entropy(&loss, d, z, y, t, 1, 3);
    ck_assert(isfinite(loss));
    ck_assert_double_eq_tol(loss, 1000.0, 1e-3);
    ck_assert_double_eq_tol(d[0], 1.0, 1e-7);
    ck_assert_double_eq_tol(d[1], -1.0, 1e-7);
}
END_TEST

/* kernel_sgd_step on one parameter. */
static void sgd1(float *w, float *v, float g, float momentum, int nesterov,
                 int first)
{
    struct kernel_sgd p = {.scale = 1.0f, .lr = 0.1f, .momentum = momentum,
                           .weight_decay = momentum != 0.0f ? 0.01f : 0.0f,
                           .nesterov = nesterov, .first = first};
    kernel_sgd_step(w, v, &g, 1, &p);
}

START_TEST(sgd_step_follows_pytorch)
{
    /* Worked by hand from torch.optim.SGD's update rule (SPEC section 7):
     * w=1, g=0.5, lr=0.1, momentum=0.9, weight_decay=0.01. */
    float w = 1.0f, v = 0.0f;
    sgd1(&w, &v, 0.5f, 0.9f, 0, 1);
    ck_assert_double_eq_tol(v, 0.51, 1e-7);
    ck_assert_double_eq_tol(w, 0.949, 1e-7);
    sgd1(&w, &v, 0.5f, 0.9f, 0, 0);
    ck_assert_double_eq_tol(v, 0.9 * 0.51 + 0.5 + 0.01 * 0.949, 1e-6);
    ck_assert_double_eq_tol(w, 0.949 - 0.1 * (0.9 * 0.51 + 0.50949), 1e-6);

    float wn = 1.0f, vn = 0.0f;
    sgd1(&wn, &vn, 0.5f, 0.9f, 1, 1);
    ck_assert_double_eq_tol(wn, 1.0 - 0.1 * (0.51 + 0.9 * 0.51), 1e-7);

    float wp = 1.0f;
    sgd1(&wp, NULL, 0.5f, 0.0f, 0, 1);
    ck_assert_float_eq(wp, 0.95f);
}
END_TEST

/* The fused weight-gradient + SGD kernel against the two kernels in turn,
 * bit for bit: every optimizer setting, sizes across the tiles and vector
 * tails, inside teams of 1 to 3 threads. */
START_TEST(fused_sgd_equals_gradient_then_step)
{
    static const struct kernel_sgd settings[] = {
        {.scale = 0.125f, .lr = 0.05f},
        {.scale = 0.125f, .lr = 0.05f, .momentum = 0.9f, .first = 1},
        {.scale = 0.125f, .lr = 0.05f, .momentum = 0.9f},
        {.scale = 0.2f, .lr = 0.3f, .momentum = 0.5f, .nesterov = 1,
         .weight_decay = 0.01f},
        {.scale = 1.0f, .lr = 0.01f, .weight_decay = 0.1f},
    };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t k = 0; k < sizeof settings / sizeof *settings; k++)
            for (int threads = 1; threads <= 3; threads++) {
                const struct kernel_sgd *p = &settings[k];
                size_t B = sizes[s][0], IN = sizes[s][1], OUT = sizes[s][2];
                size_t np = OUT * (IN + 1);
                bool momentum = p->momentum != 0.0f;
                float *in = malloc(B * IN * 4), *dout = malloc(B * OUT * 4),
                      *w1 = malloc(np * 4), *w2 = malloc(np * 4),
                      *v1 = malloc(np * 4), *v2 = malloc(np * 4),
                      *g = malloc(np * 4);
                nets_random(in, B * IN, 31);
                nets_random(dout, B * OUT, 32);
                nets_random(w1, np, 33);
                nets_random(v1, np, 34);
                memcpy(w2, w1, np * 4);
                memcpy(v2, v1, np * 4);
                float *v1p = momentum ? v1 : NULL, *v2p = momentum ? v2 : NULL;
#pragma omp parallel num_threads(threads)
                {
                    kernel_dense_backward_weights(g, g + OUT * IN, dout, in,
                                                  B, IN, OUT);
                    kernel_sync();
                    kernel_sgd_step(w1, v1p, g, np, p);
                    kernel_dense_backward_sgd(w2, w2 + OUT * IN, v2p,
                                              v2p ? v2p + OUT * IN : NULL,
                                              dout, in, B, IN, OUT, p);
                }
                ck_assert_msg(memcmp(w1, w2, np * 4) == 0,
                              "weights: size %zu, setting %zu, %d threads",
                              s, k, threads);
                ck_assert_msg(memcmp(v1, v2, np * 4) == 0,
                              "velocity: size %zu, setting %zu", s, k);
                free(in), free(dout), free(w1), free(w2), free(v1), free(v2);
                free(g);
            }
}
END_TEST

/* Runs the dense kernels inside a team of `threads` (Wt: scratch for W
 * transposed). */
static void run_dense(int threads, float *out, float *din, float *dW,
                      float *db, const float *in, const float *W, float *Wt,
                      const float *bias, const float *dout, size_t B,
                      size_t IN, size_t OUT)
{
#pragma omp parallel num_threads(threads)
    {
        kernel_transpose(Wt, W, OUT, IN);
        kernel_sync();
        kernel_dense_forward(out, in, Wt, bias, B, IN, OUT);
        kernel_dense_backward_input(din, dout, W, B, IN, OUT);
        kernel_dense_backward_weights(dW, db, dout, in, B, IN, OUT);
    }
}

/* The forward pass split by output column, each thread reading only the
 * columns of the rows it transposed itself, inside a team of `threads`. */
static void run_forward_by_column(int threads, float *out, const float *in,
                                  const float *W, float *Wt,
                                  const float *bias, size_t B, size_t IN,
                                  size_t OUT)
{
    memset(Wt, 0, OUT * IN * 4); /* a column left out would show */
#pragma omp parallel num_threads(threads)
    {
        kernel_transpose_own_rows(Wt, W, OUT, IN);
        kernel_dense_forward_by_column(out, in, Wt, bias, B, IN, OUT);
    }
}

START_TEST(kernels_are_bit_identical_across_thread_counts)
{
    size_t B = 29, IN = 37, OUT = 19;
    float *in = malloc(B * IN * 4), *W = malloc(OUT * IN * 4),
          *Wt = malloc(OUT * IN * 4), *bias = malloc(OUT * 4),
          *dout = malloc(B * OUT * 4);
    nets_random(in, B * IN, 7);
    nets_random(W, OUT * IN, 8);
    nets_random(bias, OUT, 9);
    nets_random(dout, B * OUT, 10);
    float *ref[4] = {malloc(B * OUT * 4), malloc(B * IN * 4),
                     malloc(OUT * IN * 4), malloc(OUT * 4)};
    run_dense(1, ref[0], ref[1], ref[2], ref[3], in, W, Wt, bias, dout, B,
              IN, OUT);
    int counts[] = {2, 3, 7};
    for (int c = 0; c < 3; c++) {
        float *got[4] = {malloc(B * OUT * 4), malloc(B * IN * 4),
                         malloc(OUT * IN * 4), malloc(OUT * 4)};
        run_dense(counts[c], got[0], got[1], got[2], got[3], in, W, Wt,
                  bias, dout, B, IN, OUT);
        ck_assert_mem_eq(got[0], ref[0], B * OUT * 4);
        ck_assert_mem_eq(got[1], ref[1], B * IN * 4);
        ck_assert_mem_eq(got[2], ref[2], OUT * IN * 4);
        ck_assert_mem_eq(got[3], ref[3], OUT * 4);
        run_forward_by_column(counts[c], got[0], in, W, Wt, bias, B, IN, OUT);
        ck_assert_mem_eq(got[0], ref[0], B * OUT * 4);
        for (int k = 0; k < 4; k++)
            free(got[k]);
    }
    for (int k = 0; k < 4; k++)
        free(ref[k]);
    free(in), free(W), free(Wt), free(bias), free(dout);
}
END_TEST

/* Sizes for the packed, cache-blocked products (gemm.h) that cross every
 * block: rows past GEMM_MC (72) and past GEMM_PACK_ROWS (96, B packed) or
 * below it (B read in place), sums past KC (256) in one, two and three
 * blocks, columns past NC (128), and every edge off the register block
 * (6 rows, 64 or 16 columns, 16 or 8 lanes). {B, IN, OUT}; with threads,
 * each thread's share crosses them too or falls back to the direct tiles. */
static const size_t big_sizes[][3] = {
    {100, 300, 200}, {40, 530, 77}, {300, 50, 260}, {17, 33, 1030},
    {150, 257, 129}};

/* Sums of up to 530 products of numbers in [-1, 1): float32's rounding
 * over such a chain stays below ~1e-4 in practice; 1e-3 still catches any
 * wrong index or lost block (an error of a whole term, ~0.1 or more). */
#define BIG_TOLERANCE 1e-3

/* The forward, input-gradient and weight-gradient kernels on a team of
 * `threads`, then each element checked against its one chain of
 * kmath_madd from zero in index order (bit for bit) and, every 7th, a
 * naive double sum. */
static void check_products(size_t B, size_t IN, size_t OUT, int threads)
{
    float *in = malloc(B * IN * 4), *W = malloc(OUT * IN * 4),
          *Wt = malloc(OUT * IN * 4), *bias = malloc(OUT * 4),
          *out = malloc(B * OUT * 4), *dout = malloc(B * OUT * 4),
          *din = malloc(B * IN * 4), *dW = malloc(OUT * IN * 4),
          *db = malloc(OUT * 4);
    nets_random(in, B * IN, 41);
    nets_random(W, OUT * IN, 42);
    nets_random(bias, OUT, 43);
    nets_random(dout, B * OUT, 44);
    run_dense(threads, out, din, dW, db, in, W, Wt, bias, dout, B, IN, OUT);
    for (size_t b = 0; b < B; b++) {
        for (size_t j = 0; j < OUT; j++) {
            float chain = 0.0f;
            double sum = bias[j];
            for (size_t i = 0; i < IN; i++) {
                chain = kmath_madd(in[b * IN + i], W[j * IN + i], chain);
                sum += (double)in[b * IN + i] * W[j * IN + i];
            }
            ck_assert_msg(out[b * OUT + j] == bias[j] + chain,
                          "forward %zu x %zu x %zu, %d threads: [%zu][%zu]",
                          B, IN, OUT, threads, b, j);
            if ((b + j) % 7 == 0)
                ck_assert_double_eq_tol(out[b * OUT + j], sum, BIG_TOLERANCE);
        }
        for (size_t i = 0; i < IN; i++) {
            float chain = 0.0f;
            double sum = 0;
            for (size_t j = 0; j < OUT; j++) {
                chain = kmath_madd(dout[b * OUT + j], W[j * IN + i], chain);
                sum += (double)dout[b * OUT + j] * W[j * IN + i];
            }
            ck_assert_msg(din[b * IN + i] == chain,
                          "input gradient %zu x %zu x %zu, %d threads: "
                          "[%zu][%zu]", B, IN, OUT, threads, b, i);
            if ((b + i) % 7 == 0)
                ck_assert_double_eq_tol(din[b * IN + i], sum, BIG_TOLERANCE);
        }
    }
    for (size_t j = 0; j < OUT; j++) {
        float gb = 0.0f;
        for (size_t b = 0; b < B; b++)
            gb += dout[b * OUT + j];
        ck_assert(db[j] == gb);
        for (size_t i = 0; i < IN; i++) {
            float chain = 0.0f;
            double sum = 0;
            for (size_t b = 0; b < B; b++) {
                chain = kmath_madd(dout[b * OUT + j], in[b * IN + i], chain);
                sum += (double)dout[b * OUT + j] * in[b * IN + i];
            }
            ck_assert_msg(dW[j * IN + i] == chain,
                          "weight gradient %zu x %zu x %zu, %d threads: "
                          "[%zu][%zu]", B, IN, OUT, threads, j, i);
            if ((j + i) % 7 == 0)
                ck_assert_double_eq_tol(dW[j * IN + i], sum, BIG_TOLERANCE);
        }
    }
    free(in), free(W), free(Wt), free(bias), free(out), free(dout);
    free(din), free(dW), free(db);
}

START_TEST(blocked_products_are_chains_across_every_block)
{
    for (size_t s = 0; s < sizeof big_sizes / sizeof *big_sizes; s++)
        for (int threads = 1; threads <= 3; threads += 2)
            check_products(big_sizes[s][0], big_sizes[s][1], big_sizes[s][2],
                           threads);
}
END_TEST

/* An update that records, for each parameter, the gradient it was handed
 * and how many times. */
struct recording_update {
    struct kernel_update base;
    float *seen;
    int *calls;
};

static void record(const struct kernel_update *u, size_t offset,
                   const float *g, size_t n)
{
    const struct recording_update *r = (const struct recording_update *)u;
    for (size_t k = 0; k < n; k++) {
        r->seen[offset + k] = g[k];
#pragma omp atomic
        r->calls[offset + k]++;
    }
}

/* The fused SGD and the per-row update through the blocked products, bit
 * for bit against the weight gradient then kernel_sgd_step: every
 * parameter handed over exactly once, with its complete sum. */
START_TEST(blocked_weight_updates_equal_gradient_then_step)
{
    const struct kernel_sgd p = {.scale = 0.01f, .lr = 0.05f,
                                 .momentum = 0.9f, .weight_decay = 0.01f};
    for (size_t s = 0; s < sizeof big_sizes / sizeof *big_sizes; s++)
        for (int threads = 1; threads <= 3; threads += 2) {
            size_t B = big_sizes[s][0], IN = big_sizes[s][1],
                   OUT = big_sizes[s][2], np = OUT * (IN + 1);
            float *in = malloc(B * IN * 4), *dout = malloc(B * OUT * 4),
                  *w1 = malloc(np * 4), *w2 = malloc(np * 4),
                  *v1 = malloc(np * 4), *v2 = malloc(np * 4),
                  *g = malloc(np * 4), *g2 = malloc(np * 4),
                  *seen = malloc(np * 4);
            int *calls = calloc(np, sizeof *calls);
            nets_random(in, B * IN, 51);
            nets_random(dout, B * OUT, 52);
            nets_random(w1, np, 53);
            nets_random(v1, np, 54);
            memcpy(w2, w1, np * 4);
            memcpy(v2, v1, np * 4);
            struct recording_update u = {{record}, seen, calls};
#pragma omp parallel num_threads(threads)
            {
                kernel_dense_backward_weights(g, g + OUT * IN, dout, in, B,
                                              IN, OUT);
                kernel_sync();
                kernel_sgd_step(w1, v1, g, np, &p);
                kernel_dense_backward_sgd(w2, w2 + OUT * IN, v2,
                                          v2 + OUT * IN, dout, in, B, IN,
                                          OUT, &p);
                kernel_dense_backward_update(g2, g2 + OUT * IN, dout, in, B,
                                             IN, OUT, 0, &u.base);
            }
            ck_assert_msg(memcmp(w1, w2, np * 4) == 0,
                          "fused SGD weights %zu x %zu x %zu, %d threads", B,
                          IN, OUT, threads);
            ck_assert_msg(memcmp(v1, v2, np * 4) == 0, "fused SGD velocity");
            ck_assert_msg(memcmp(g, seen, np * 4) == 0, "updated gradients");
            for (size_t k = 0; k < np; k++)
                ck_assert_int_eq(calls[k], 1);
            free(in), free(dout), free(w1), free(w2), free(v1), free(v2);
            free(g), free(g2), free(seen), free(calls);
        }
}
END_TEST

Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_add_test(tc, dense_forward_matches_naive_sums);
    tcase_add_test(tc, dense_backward_matches_naive_sums);
    tcase_add_test(tc, dense_sums_are_chains_in_index_order);
    tcase_add_test(tc, activations_match_their_definitions);
    tcase_add_test(tc, softmax_cross_entropy_is_stable_for_large_logits);
    tcase_add_test(tc, sgd_step_follows_pytorch);
    tcase_add_test(tc, fused_sgd_equals_gradient_then_step);
    tcase_add_test(tc, kernels_are_bit_identical_across_thread_counts);
    tcase_add_test(tc, blocked_products_are_chains_across_every_block);
    tcase_add_test(tc, blocked_weight_updates_equal_gradient_then_step);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
