/*
 * kernels: the arithmetic of a training step, as pure functions on raw
 * float arrays. Outputs first, then inputs, then sizes; shapes in the
 * comments, row-major. No allocation, I/O or error reporting here, and no
 * project header but kernel_math.h (its formulas) and the vmath.h it
 * includes (exp, tanh, sigmoid): this is the bottom of the include graph.
 *
 * Threads: every kernel shares its work out among the enclosing OpenMP
 * team by thread number, so called inside a `#pragma omp parallel` region
 * (as the trainer does) the team splits it, and called outside one it runs
 * on the calling thread. Kernels split by sample all take the same rows
 * (whole tiles of KERNEL_SAMPLE_TILE samples), so a thread may chain them
 * on its own samples; kernels do not wait for each other, and the caller
 * places kernel_sync() wherever a kernel reads what other threads wrote
 * (a barrier costs microseconds; a training step takes two or three).
 * Work is split by what a thread writes (output rows, or samples), and every
 * output element is summed by the same code in the same order whatever the
 * split, so results are bit-identical for any thread count (SPEC section 6):
 * each dense sum is one chain of multiply-adds from zero over its index in
 * order (kernel_math.h), the bias added last.
 *
 * The dense products (forward, input gradient, weight gradient and its
 * fused updates) run, above a few hundred thousand multiply-adds per
 * thread (gemm_worth_it), through gemm.h's packed, cache-blocked loop
 * nest, in every build; smaller ones through direct register tiles (the
 * portable build: rows of axpys). The summed dimension is blocked there too, but each block
 * continues the chains the last one stored, so both give the same bits,
 * and the split between threads is the same either way: by sample for
 * the forward and input-gradient products, by output row for the weight
 * gradients, never over the summed dimension. gemm keeps its packing
 * buffers on the calling thread's stack (about 200 KB).
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>

#include "kernel_math.h"

/* Samples per tile of the sample split. */
#define KERNEL_SAMPLE_TILE 4

/* The range [*lo, *hi) of n items that this thread of the enclosing team
 * takes in kernels split by item (equal contiguous shares; all of them
 * outside a team), e.g. an optimizer's update of a flat buffer. */
void kernel_share(size_t n, size_t *lo, size_t *hi);

/* A barrier for the enclosing team (nothing outside one). */
void kernel_sync(void);

/* The enclosing team's size (1 outside a parallel region). */
int kernel_team_size(void);

/* The rows [*lo, *hi) of a block of B samples that this thread of the
 * enclosing team takes in every kernel split by sample (all of them
 * outside a team), so a caller can prepare exactly those rows itself. */
void kernel_sample_rows(size_t B, size_t *lo, size_t *hi);

/* dst[c][r] = src[r][c]: src (ROWS, COLS), dst (COLS, ROWS). Split by
 * dst row; the caller syncs before reading dst on other threads. */
void kernel_transpose(float *dst, const float *src, size_t ROWS, size_t COLS);

/* The rows of src (ROWS, COLS) that this thread owns in kernels split by
 * output row (kernel_dense_backward_weights, kernel_dense_backward_sgd,
 * kernel_dense_forward_by_column) into the same columns of dst (COLS,
 * ROWS): no other thread need finish before this one reads them there. */
void kernel_transpose_own_rows(float *dst, const float *src, size_t ROWS,
                               size_t COLS);

/* out[b][j] = bias[j] + sum_i in[b][i] * Wt[i][j]         (split by sample)
 * in (B, IN), Wt (IN, OUT): the weights W (OUT, IN) transposed, so the
 * sums run along rows of Wt (broadcast input times a vector of outputs,
 * no horizontal sums); bias (OUT), out (B, OUT). */
void kernel_dense_forward(float *out, const float *in, const float *Wt,
                          const float *bias, size_t B, size_t IN, size_t OUT);

/* kernel_dense_forward split by output column instead (each thread its
 * columns of every sample, the columns of its rows of W, so with
 * kernel_transpose_own_rows it reads only what it wrote itself); the same
 * bits. Every sample's input must be complete. */
void kernel_dense_forward_by_column(float *out, const float *in,
                                    const float *Wt, const float *bias,
                                    size_t B, size_t IN, size_t OUT);

/* din[b][i] = sum_j dout[b][j] * W[j][i]   (overwrites din; by sample)
 * dout (B, OUT), W (OUT, IN), din (B, IN). */
void kernel_dense_backward_input(float *din, const float *dout,
                                 const float *W, size_t B, size_t IN,
                                 size_t OUT);

/* dW[j][i] = sum_b dout[b][j] * in[b][i],  db[j] = sum_b dout[b][j]
 * (overwrites; sums run over b = 0..B-1 in order; split by output row,
 * so it reads every sample's dout and in)
 * dout (B, OUT), in (B, IN), dW (OUT, IN), db (OUT). */
void kernel_dense_backward_weights(float *dW, float *db, const float *dout,
                                   const float *in, size_t B, size_t IN,
                                   size_t OUT);

/* Activations, y = f(x) elementwise over (B, N); y may equal x. These and
 * the losses below are split by sample. */
void kernel_sigmoid(float *y, const float *x, size_t B, size_t N);
void kernel_tanh(float *y, const float *x, size_t B, size_t N);
void kernel_relu(float *y, const float *x, size_t B, size_t N);
void kernel_copy(float *y, const float *x, size_t B, size_t N);
/* Row-wise softmax, shifted by the row maximum for stability. */
void kernel_softmax(float *y, const float *x, size_t B, size_t N);

/* Backward through an activation, from its output y: d *= f'(y).
 * (Softmax has no such kernel: it is only used fused with
 * cross-entropy, below.) */
void kernel_sigmoid_backward(float *d, const float *y, size_t B, size_t N);
void kernel_tanh_backward(float *d, const float *y, size_t B, size_t N);
void kernel_relu_backward(float *d, const float *y, size_t B, size_t N);

/* Squared error: loss[b] = 1/2 sum_k (t[b][k] - y[b][k])^2 and
 * d[b][k] = y[b][k] - t[b][k], the gradient with respect to y. */
void kernel_mse(float *loss, float *d, const float *y, const float *t,
                size_t B, size_t N);

/* Softmax cross-entropy from the logits z (B, N) and the softmax y:
 * loss[b] = -sum_k t[b][k] log softmax(z)_k (computed from z by
 * log-sum-exp), d[b][k] = y[b][k] - t[b][k], the gradient w.r.t. z. */
void kernel_softmax_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B,
                                  size_t N);

/* Binary cross-entropy of one sigmoid unit from its logit z (B):
 * loss[b] = -(t log s(z) + (1 - t) log(1 - s(z))), computed stably as
 * max(z, 0) - z t + log1p(exp(-|z|)); d[b] = y[b] - t[b] w.r.t. z. */
void kernel_sigmoid_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B);

/* One step of PyTorch's SGD (SPEC section 7) over n parameters, split by
 * parameter (all of g must be complete), from the gradient SUMS g:
 * kmath_sgd (kernel_math.h) on every element. v is NULL without momentum. */
void kernel_sgd_step(float *w, float *v, const float *g, size_t n,
                     const struct kernel_sgd *p);

/* kernel_dense_backward_weights and kernel_sgd_step in one pass: each
 * weight's and bias's gradient sum is applied to W (OUT, IN) and bias
 * (OUT), and their velocities vW, vb (NULL without momentum), as soon as
 * it is complete, and never stored; the same bits as the two kernels in
 * turn. Split by output row like kernel_dense_backward_weights: the
 * caller makes sure no thread still reads W (kernel_dense_backward_input)
 * while it runs. */
void kernel_dense_backward_sgd(float *W, float *bias, float *vW, float *vb,
                               const float *dout, const float *in, size_t B,
                               size_t IN, size_t OUT,
                               const struct kernel_sgd *p);

/* An update of parameters from complete gradient rows, which a backward
 * kernel calls as each group of rows completes, on the thread that owns
 * them (the optimizer's side: kernels know no rule). `offset` is the
 * index of g[0]'s parameter in the parameter buffer; g holds n gradient
 * SUMS over the batch. Calls for different rows may run at once. */
struct kernel_update {
    void (*apply)(const struct kernel_update *u, size_t offset,
                  const float *g, size_t n);
};

/* kernel_dense_backward_weights into the scratch rows gW (OUT, IN) and gb
 * (OUT), each group of complete rows handed to u at once (its weights'
 * rows, then their biases) while they are in cache: the weights of this
 * layer are at `offset` of the parameter buffer, its biases at offset +
 * OUT * IN. Split by output row; the caller makes sure no thread still
 * reads W while the updates run. */
void kernel_dense_backward_update(float *gW, float *gb, const float *dout,
                                  const float *in, size_t B, size_t IN,
                                  size_t OUT, size_t offset,
                                  const struct kernel_update *u);

/* Inverted dropout, by sample: saved = y, then y *= mask (B, N); mask
 * holds 0 for a dropped unit, 1 / (1 - p) for a kept one. */
void kernel_dropout(float *y, float *saved, const float *mask, size_t B,
                    size_t N);

/* d *= mask elementwise over (B, N), by sample: back through dropout. */
void kernel_mul(float *d, const float *mask, size_t B, size_t N);

#endif
