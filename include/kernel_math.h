/*
 * kernel_math: the kernels' per-element and per-row formulas, inline, so
 * that code outside kernels.c (small_net's fused step) computes values
 * bit-identical to the kernels'. Part of the kernels layer: it includes no
 * project header. Every kernel that applies one of these formulas calls it
 * from here; change a formula here and both change together.
 */
#ifndef KERNEL_MATH_H
#define KERNEL_MATH_H

#include <math.h>
#include <stddef.h>

#include "vmath.h"

/* The dense kernels' build: AVX-512 or AVX2 + FMA intrinsics, else
 * portable C (chosen by the compiler's target flags). */
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define KERNELS_SIMD 1
#endif

/* The dense kernels compute every product sum as one chain of kmath_madd
 * from zero, in index order, whatever the sizes, build or thread count:
 * forward out = bias + (((0 + x0 w0) + x1 w1) + ...); input gradients a
 * chain over the outputs j; weight gradients a chain over the samples;
 * bias gradients plain sums over the samples from 0. */

/* One multiply-add of the dense kernels: fused (one rounding) in the SIMD
 * builds, whose vector FMAs it must match; two roundings in portable C. */
static inline float kmath_madd(float a, float b, float c)
{
#ifdef KERNELS_SIMD
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

/* exp, tanh and sigmoid are vmath.h's (its header gives their accuracy):
 * the scalar forms here, for code that takes one value at a time, and
 * the kernels' array forms give the same bits. */
static inline float kmath_exp(float x)
{
    return vmath_expf(x);
}

/* 1 / (1 + e^-x) in float. */
static inline float kmath_sigmoid(float x)
{
    return vmath_sigmoidf(x);
}

static inline float kmath_tanh(float x)
{
    return vmath_tanhf(x);
}

static inline float kmath_relu(float x)
{
    return x > 0.0f ? x : 0.0f;
}

/* Back through an activation from its output y: d * f'(y). */
static inline float kmath_sigmoid_grad(float d, float y)
{
    return d * (y * (1.0f - y));
}

static inline float kmath_tanh_grad(float d, float y)
{
    return d * (1.0f - y * y);
}

static inline float kmath_relu_grad(float d, float y)
{
    return y > 0.0f ? d : 0.0f;
}

/* Softmax of one row z[0..n) into p (may equal z), shifted by the row
 * maximum for stability; the exps over the row at once (vmath_exp), the
 * sum in order. */
static inline void kmath_softmax_row(float *p, const float *z, size_t n)
{
    float max = z[0];
    for (size_t k = 1; k < n; k++)
        if (z[k] > max)
            max = z[k];
    for (size_t k = 0; k < n; k++)
        p[k] = z[k] - max;
    vmath_exp(p, p, n);
    float sum = 0.0f;
    for (size_t k = 0; k < n; k++)
        sum += p[k];
    for (size_t k = 0; k < n; k++)
        p[k] /= sum;
}

/* Half the squared error of one row; d = y - t. */
static inline float kmath_mse_row(float *d, const float *y, const float *t,
                                  size_t n)
{
    float sum = 0.0f;
    for (size_t k = 0; k < n; k++) {
        float diff = y[k] - t[k];
        d[k] = diff;
        sum += diff * diff;
    }
    return 0.5f * sum;
}

/* Softmax cross-entropy of one row from its logits z and softmax y, by
 * log-sum-exp; d = y - t. */
static inline float kmath_softmax_cross_entropy_row(float *d, const float *z,
                                                    const float *y,
                                                    const float *t, size_t n)
{
    float max = z[0];
    for (size_t k = 1; k < n; k++)
        if (z[k] > max)
            max = z[k];
    float sum = 0.0f;
    for (size_t k = 0; k < n; k++)
        sum += kmath_exp(z[k] - max);
    float log_sum = max + logf(sum);
    float l = 0.0f;
    for (size_t k = 0; k < n; k++) {
        if (t[k] != 0.0f)
            l -= t[k] * (z[k] - log_sum);
        d[k] = y[k] - t[k];
    }
    return l;
}

/* Binary cross-entropy of one sigmoid unit from its logit z, stably:
 * max(z, 0) - z t + log1p(exp(-|z|)). */
static inline float kmath_sigmoid_cross_entropy(float z, float t)
{
    return (z > 0.0f ? z : 0.0f) - z * t + log1pf(kmath_exp(-fabsf(z)));
}

/* The settings of one SGD step (SPEC section 7; kernels.h). */
struct kernel_sgd {
    float scale;        /* 1 / batch size: the gradient sums become means */
    float lr;
    float momentum;
    float weight_decay;
    int nesterov;
    int first;          /* the velocity's first step: v = g */
};

/* One parameter's SGD step from its summed gradient g (v NULL without
 * momentum):
 *   g  = g * scale + weight_decay * w
 *   v  = first ? g : momentum * v + g
 *   w -= lr * (nesterov ? g + momentum * v : v)
 * One operation per statement: C lets a compiler fuse a multiply and an
 * add only within one expression, so no build fuses any here, and the
 * vector code in kernels.c that mirrors it operation for operation gives
 * the same bits. */
static inline void kmath_sgd(float *w, float *v, float g,
                             const struct kernel_sgd *p)
{
    float grad = g * p->scale;
    if (p->weight_decay != 0.0f) {
        float decay = p->weight_decay * *w;
        grad = grad + decay;
    }
    float step = grad;
    if (v) {
        if (p->first) {
            *v = grad;
        } else {
            float kept = p->momentum * *v;
            *v = kept + grad;
        }
        if (p->nesterov) {
            float ahead = p->momentum * *v;
            step = grad + ahead;
        } else {
            step = *v;
        }
    }
    float change = p->lr * step;
    *w = *w - change;
}

#endif
