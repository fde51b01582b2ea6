/*
 * kernels: see kernels.h for the contract.
 *
 * Why the dot product keeps eight separate partial sums: without
 * -ffast-math the compiler may not reorder a float sum, so a single
 * accumulator cannot be vectorised. Eight independent lanes, combined in a
 * fixed order at the end, can be (one AVX register), and the order of
 * every sum is still a property of the code, not of the thread count.
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

#define LANES 8

static inline float dot(const float *a, const float *b, size_t n)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += a[i + k] * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
              ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* y[i] += a * x[i] */
static inline void axpy(float *y, float a, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

void kernel_dense_forward(float *out, const float *in, const float *W,
                          const float *bias, size_t B, size_t IN, size_t OUT)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        const float *x = in + b * IN;
        float *y = out + b * OUT;
        for (size_t j = 0; j < OUT; j++)
            y[j] = bias[j] + dot(x, W + j * IN, IN);
    }
}

void kernel_dense_backward_input(float *din, const float *dout,
                                 const float *W, size_t B, size_t IN,
                                 size_t OUT)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        float *dx = din + b * IN;
        const float *dy = dout + b * OUT;
        memset(dx, 0, IN * sizeof *dx);
        for (size_t j = 0; j < OUT; j++)
            axpy(dx, dy[j], W + j * IN, IN);
    }
}

void kernel_dense_backward_weights(float *dW, float *db, const float *dout,
                                   const float *in, size_t B, size_t IN,
                                   size_t OUT)
{
#pragma omp for schedule(static)
    for (size_t j = 0; j < OUT; j++) {
        float *gw = dW + j * IN;
        float gb = 0.0f;
        memset(gw, 0, IN * sizeof *gw);
        for (size_t b = 0; b < B; b++) {
            float d = dout[b * OUT + j];
            gb += d;
            axpy(gw, d, in + b * IN, IN);
        }
        db[j] = gb;
    }
}

void kernel_sigmoid(float *y, const float *x, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = 1.0f / (1.0f + expf(-x[k]));
}

void kernel_tanh(float *y, const float *x, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = tanhf(x[k]);
}

void kernel_relu(float *y, const float *x, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = x[k] > 0.0f ? x[k] : 0.0f;
}

void kernel_copy(float *y, const float *x, size_t B, size_t N)
{
    if (y == x)
        return;
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        memcpy(y + b * N, x + b * N, N * sizeof *y);
}

void kernel_softmax(float *y, const float *x, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        const float *z = x + b * N;
        float *p = y + b * N;
        float max = z[0];
        for (size_t k = 1; k < N; k++)
            if (z[k] > max)
                max = z[k];
        float sum = 0.0f;
        for (size_t k = 0; k < N; k++) {
            p[k] = expf(z[k] - max);
            sum += p[k];
        }
        for (size_t k = 0; k < N; k++)
            p[k] /= sum;
    }
}

void kernel_sigmoid_backward(float *d, const float *y, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            d[k] *= y[k] * (1.0f - y[k]);
}

void kernel_tanh_backward(float *d, const float *y, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            d[k] *= 1.0f - y[k] * y[k];
}

void kernel_relu_backward(float *d, const float *y, size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            if (!(y[k] > 0.0f))
                d[k] = 0.0f;
}

void kernel_mse(float *loss, float *d, const float *y, const float *t,
                size_t B, size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        float sum = 0.0f;
        for (size_t k = b * N; k < (b + 1) * N; k++) {
            float diff = y[k] - t[k];
            d[k] = diff;
            sum += diff * diff;
        }
        loss[b] = 0.5f * sum;
    }
}

void kernel_softmax_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B,
                                  size_t N)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        const float *zb = z + b * N;
        float max = zb[0];
        for (size_t k = 1; k < N; k++)
            if (zb[k] > max)
                max = zb[k];
        float sum = 0.0f;
        for (size_t k = 0; k < N; k++)
            sum += expf(zb[k] - max);
        float log_sum = max + logf(sum);
        float l = 0.0f;
        for (size_t k = b * N; k < (b + 1) * N; k++) {
            if (t[k] != 0.0f)
                l -= t[k] * (z[k] - log_sum);
            d[k] = y[k] - t[k];
        }
        loss[b] = l;
    }
}

void kernel_sigmoid_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B)
{
#pragma omp for schedule(static)
    for (size_t b = 0; b < B; b++) {
        float zb = z[b];
        loss[b] = (zb > 0.0f ? zb : 0.0f) - zb * t[b] +
                  log1pf(expf(-fabsf(zb)));
        d[b] = y[b] - t[b];
    }
}

void kernel_scale(float *x, float s, size_t n)
{
#pragma omp for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] *= s;
}

void kernel_sgd_step(float *w, float *v, float *g, size_t n, float lr,
                     float momentum, float weight_decay, int nesterov,
                     int first)
{
#pragma omp for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float grad = g[i];
        if (weight_decay != 0.0f)
            grad += weight_decay * w[i];
        float step = grad;
        if (v) {
            v[i] = first ? grad : momentum * v[i] + grad;
            step = nesterov ? grad + momentum * v[i] : v[i];
        }
        w[i] -= lr * step;
        g[i] = grad;
    }
}
