/*
 * vmath: e^x, tanh x and the logistic sigmoid 1 / (1 + e^-x) of floats,
 * one value at a time (inline, for scalar code such as small_net's fused
 * step) or over arrays with the widest vectors the build has (AVX-512,
 * AVX2 + FMA, or portable C one element at a time). Part of the kernels
 * layer: it includes no project header.
 *
 * Every array function gives, element for element, the bits of its scalar
 * function, whatever the array's length, alignment or position of the
 * element (the tails go through the same vector code under a mask), so
 * the kernels that call them and the scalar code that calls the scalar
 * forms agree bit for bit, on any thread count.
 *
 * The values, measured over every float (bench/vmath_sweep.c) and held by
 * tests/test_vmath.c over tails and dense samples:
 *   vmath_expf     glibc 2.36's expf algorithm (ARM's optimized-routines:
 *                  2^(k/32) from a table times a cubic in double, rounded
 *                  once to float), operation for operation, fused as
 *                  glibc's FMA build fuses it in the SIMD builds and
 *                  unfused as its SSE2 build in the portable one: the same
 *                  bits as the expf that glibc picks on the machines each
 *                  build runs on (at most 0.502 ulp from e^x), overflow to
 *                  inf, subnormal results, underflow to 0 and NaN included.
 *   vmath_sigmoidf 1 / (1 + vmath_expf(-x)) in float: the formula the
 *                  kernels always used on libm's expf, so the same bits.
 *   vmath_tanhf    evaluated in double (expm1(2|x|) / (expm1(2|x|) + 2)
 *                  on the same table) and rounded once: the correctly
 *                  rounded tanh but within 2^-40 relative of a rounding
 *                  boundary; within 2 ulp of glibc's tanhf (whose own
 *                  error reaches 2 ulp). Odd: tanh(-0) = -0, and +-1 from
 *                  |x| >= 9.01 on, NaN to NaN.
 * Results do not depend on the rounding mode being other than the
 * default, nor on errno; no function sets errno or traps.
 */
#ifndef VMATH_H
#define VMATH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The builds whose kernels fuse multiply-adds (kernel_math.h decides the
 * same way): there glibc's expf runs its FMA variant, which this one
 * mirrors. */
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define VMATH_FUSED 1
#endif

/* y[i] = f(x[i]) for i < n; y may equal x (in place), or not overlap it. */
void vmath_exp(float *y, const float *x, size_t n);
void vmath_tanh(float *y, const float *x, size_t n);
void vmath_sigmoid(float *y, const float *x, size_t n);

/* ---- The scalar forms; vmath.c's vectors mirror them lane for lane ---- */

/* exp's range limits, as glibc's expf has them: above OVERFLOW the result
 * is inf, below UNDERFLOW 0, and below TINY (where e^x < 2^-149) the
 * smallest subnormal. In between, the table and the cubic. */
#define VMATH_EXP_OVERFLOW 0x1.62e42ep6f    /* ~ log(2^128) */
#define VMATH_EXP_UNDERFLOW -0x1.9fe368p6f  /* ~ log(2^-150) */
#define VMATH_EXP_TINY -0x1.9d1d9ep6f       /* ~ log(2^-149) */
#define VMATH_EXP_SMALLEST 0x1p-149f
/* |x| >= 88 (the top 12 bits of the float at least these): check the
 * limits above; below, no lane needs them. */
#define VMATH_EXP_BIG_TOP 0x42b

/* 32 / ln 2, and the shifter that rounds z to an integer in its low bits
 * (1.5 * 2^52). */
#define VMATH_INV_LN2_32 0x1.71547652b82fep+5
#define VMATH_SHIFT 0x1.8p+52
/* 2^(r/32) ~ 1 + r (C2 + r (C1 + r C0)) for |r| <= 1/2 (glibc's minimax
 * coefficients, scaled for N = 32: its relative error is 1.69 * 2^-34). */
#define VMATH_EXP_C0 0x1.c6af84b912394p-20
#define VMATH_EXP_C1 0x1.ebfce50fac4f3p-13
#define VMATH_EXP_C2 0x1.62e42ff0c52d6p-6

/* tanh: 64 / ln 2 (e^(2a) = 2^(k/32) e^r), ln 2 / 32, and the |x| past
 * which tanh rounds to 1 in float (9.01), rounded up. */
#define VMATH_INV_LN2_64 0x1.71547652b82fep+6
#define VMATH_LN2_32 0x1.62e42fefa39efp-6
#define VMATH_TANH_SATURATED 10.0

/* The bits of 2^(i/32) for i < 32, correctly rounded to double, less
 * i << 47: then adding k << 47 (k = 32 q + i) both cancels i and adds q
 * to the exponent, one shift and one add (glibc's arrangement). */
static inline const uint64_t *vmath_exp2_table(void)
{
    static const uint64_t table[32] = {
        0x3ff0000000000000u, 0x3fefd9b0d3158574u, 0x3fefb5586cf9890fu,
        0x3fef9301d0125b51u, 0x3fef72b83c7d517bu, 0x3fef54873168b9aau,
        0x3fef387a6e756238u, 0x3fef1e9df51fdee1u, 0x3fef06fe0a31b715u,
        0x3feef1a7373aa9cbu, 0x3feedea64c123422u, 0x3feece086061892du,
        0x3feebfdad5362a27u, 0x3feeb42b569d4f82u, 0x3feeab07dd485429u,
        0x3feea47eb03a5585u, 0x3feea09e667f3bcdu, 0x3fee9f75e8ec5f74u,
        0x3feea11473eb0187u, 0x3feea589994cce13u, 0x3feeace5422aa0dbu,
        0x3feeb737b0cdc5e5u, 0x3feec49182a3f090u, 0x3feed503b23e255du,
        0x3feee89f995ad3adu, 0x3feeff76f2fb5e47u, 0x3fef199bdd85529cu,
        0x3fef3720dcef9069u, 0x3fef5818dcfba487u, 0x3fef7c97337b9b5fu,
        0x3fefa4afa2a490dau, 0x3fefd0765b6e4540u,
    };
    return table;
}

static inline uint64_t vmath_bits64(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double vmath_from_bits64(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint32_t vmath_bits32(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* a * b + c: one rounding in the fused builds, two in portable C (the
 * Makefile's -std=c11 keeps the compiler from fusing anything itself). */
static inline double vmath_madd(double a, double b, double c)
{
#ifdef VMATH_FUSED
    return fma(a, b, c);
#else
    return a * b + c;
#endif
}

/* 2^(k/32) from k's bits in the low bits of `shifted` (a double holding
 * VMATH_SHIFT + k): the table's 2^(i/32), i = k mod 32, with k div 32
 * added to its exponent (the shift drops all but k's low 17 bits, and the
 * sum wraps modulo 2^12 in the exponent field, which is what a negative k
 * needs). */
static inline double vmath_exp2_k32(uint64_t shifted_bits)
{
    uint64_t t = vmath_exp2_table()[shifted_bits & 31];
    return vmath_from_bits64(t + (shifted_bits << 47));
}

/* e^x for |x| < 88 (and on to the limits above): x 32 / ln 2 = k + r,
 * e^x = 2^(k/32) 2^(r/32). In the fused builds z = x 32 / ln 2 is never
 * rounded (both uses fuse it); in portable C it is, once. */
static inline double vmath_exp_core(double xd)
{
#ifdef VMATH_FUSED
    double shifted = fma(VMATH_INV_LN2_32, xd, VMATH_SHIFT);
    double kd = shifted - VMATH_SHIFT;
    double r = fma(VMATH_INV_LN2_32, xd, -kd);
#else
    double z = xd * VMATH_INV_LN2_32;
    double shifted = z + VMATH_SHIFT;
    double kd = shifted - VMATH_SHIFT;
    double r = z - kd;
#endif
    double s = vmath_exp2_k32(vmath_bits64(shifted));
    double p = vmath_madd(VMATH_EXP_C0, r, VMATH_EXP_C1);
    double r2 = r * r;
    double q = vmath_madd(VMATH_EXP_C2, r, 1.0);
    q = vmath_madd(p, r2, q);
    return q * s;
}

static inline float vmath_exp_big(float x)
{
    if (x > VMATH_EXP_OVERFLOW)
        return INFINITY;
    if (x < VMATH_EXP_UNDERFLOW)
        return 0.0f;
    if (x < VMATH_EXP_TINY)
        return VMATH_EXP_SMALLEST;
    if (x != x)
        return x + x;
    return (float)vmath_exp_core(x);
}

static inline float vmath_expf(float x)
{
    if (((vmath_bits32(x) >> 20) & 0x7ff) >= VMATH_EXP_BIG_TOP)
        return vmath_exp_big(x);
    return (float)vmath_exp_core(x);
}

static inline float vmath_sigmoidf(float x)
{
    return 1.0f / (1.0f + vmath_expf(-x));
}

/* tanh a for a = |x| in double, a <= VMATH_TANH_SATURATED or NaN:
 * e^(2a) - 1 = s (e^r - 1) + (s - 1) with s = 2^(k/32), |r| <= ln 2 / 64,
 * e^r - 1 by its Taylor polynomial to r^5 (relative error 2^-42); no
 * cancellation near 0 (k = 0 there, s - 1 = 0), so t / (t + 2) keeps
 * tiny and subnormal x exactly. */
static inline double vmath_tanh_core(double a)
{
    double shifted = vmath_madd(a, VMATH_INV_LN2_64, VMATH_SHIFT);
    double kd = shifted - VMATH_SHIFT;
    double r = vmath_madd(kd, -VMATH_LN2_32, a + a);
    double s = vmath_exp2_k32(vmath_bits64(shifted));
    double p = vmath_madd(r, 1.0 / 120.0, 1.0 / 24.0);
    p = vmath_madd(p, r, 1.0 / 6.0);
    p = vmath_madd(p, r, 0.5);
    double r2 = r * r;
    double em1 = vmath_madd(p, r2, r);
    double t = vmath_madd(s, em1, s - 1.0);
    return t / (t + 2.0);
}

static inline float vmath_tanhf(float x)
{
    double a = fabs((double)x);
    /* Written so that NaN stays NaN (as the vectors' min does). */
    a = VMATH_TANH_SATURATED < a ? VMATH_TANH_SATURATED : a;
    return copysignf((float)vmath_tanh_core(a), x);
}

#endif
