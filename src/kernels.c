/*
 * kernels: see kernels.h for the contract. The dense kernels come in three
 * builds, chosen at compile time: AVX-512 or AVX2 + FMA intrinsics (with
 * -march=native on such a machine, or -mavx2 -mfma) and portable C.
 */
#include "kernels.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <omp.h>

#include "kernel_math.h"

#include "gemm.h"

#ifdef KERNELS_SIMD
#include <immintrin.h>
#endif

/* Inlined at every call with constant tile sizes, so the tile's
 * accumulators live in registers and its loops unroll. */
#define TILE static inline __attribute__((always_inline))

/* The range [*lo, *hi) of n items that this thread of the enclosing team
 * takes (all of them outside a parallel region): equal contiguous shares,
 * the same split an `omp for schedule(static)` would make. */
static void thread_share(size_t n, size_t *lo, size_t *hi)
{
    size_t nt = (size_t)omp_get_num_threads();
    if (nt == 1) {
        *lo = 0;
        *hi = n;
        return;
    }
    size_t t = (size_t)omp_get_thread_num();
    size_t base = n / nt, extra = n % nt;
    *lo = t * base + (t < extra ? t : extra);
    *hi = *lo + base + (t < extra ? 1 : 0);
}

void kernel_share(size_t n, size_t *lo, size_t *hi)
{
    thread_share(n, lo, hi);
}

void kernel_sample_rows(size_t B, size_t *lo, size_t *hi)
{
    size_t t0, t1;
    thread_share((B + KERNEL_SAMPLE_TILE - 1) / KERNEL_SAMPLE_TILE, &t0, &t1);
    *lo = t0 * KERNEL_SAMPLE_TILE < B ? t0 * KERNEL_SAMPLE_TILE : B;
    *hi = t1 * KERNEL_SAMPLE_TILE < B ? t1 * KERNEL_SAMPLE_TILE : B;
}

/* Every thread of a team sees the same team size, so all or none of them
 * wait; alone, a thread skips the call (tiny networks step in about
 * 100 ns, and a team's barrier costs a microsecond or more). */
void kernel_sync(void)
{
    if (omp_get_num_threads() > 1) {
#pragma omp barrier
    }
}

/* The weight gradients of a thread's rows [lo, hi) through gemm (after
 * the two builds' sections); sgd_row is each build's SGD over a row. */
static void backward_weights_gemm(float *dW, float *db, float *vW, float *vb,
                                  const struct kernel_sgd *sgd,
                                  const float *dout, const float *in,
                                  size_t B, size_t IN, size_t OUT,
                                  size_t offset,
                                  const struct kernel_update *u, size_t lo,
                                  size_t hi);
static void sgd_row(float *w, float *v, const float *g, size_t n,
                    const struct kernel_sgd *p);

#ifdef KERNELS_SIMD

/* ---- SIMD kernels: AVX-512 or AVX2, both with FMA ----
 *
 * The vector type and its width are chosen at build time; the tiles are
 * written once over them. Every output element is one FMA chain from zero
 * over its sum's index, in order (kernel_math.h), whatever tile, tail or
 * thread computes it, so the tile shapes and the split never change a
 * bit:
 *   products (forward from W transposed; input gradients from W): tiles
 *             of PROD_MB samples x PROD_NV vectors of outputs, a
 *             broadcast input times a row of the matrix per step, the
 *             last vector masked when the width is not a multiple of VLEN;
 *   weight gradients: tiles of BWD_MJ output rows x BWD_NV vectors of
 *             inputs, one step per sample, scalar chains for the i tail.
 * kmath_madd (kernel_math.h) is fmaf here, the same fused operation. */

#if defined(__AVX512F__)
/* 32 registers: 24 accumulators and their operands fit. */
typedef __m512 vec;
typedef __mmask16 vmask;
#define VLEN 16
#define PROD_MB 6
#define PROD_NV 4
#define BWD_MJ 6
#define BWD_NV 4
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vadd(a, b) _mm512_add_ps(a, b)
#define vsub(a, b) _mm512_sub_ps(a, b)
#define vmul(a, b) _mm512_mul_ps(a, b)
#define vset1(x) _mm512_set1_ps(x)
#define vfmadd(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vbroadcast(p) _mm512_set1_ps(*(p))
/* The first n lanes (n < VLEN); loads leave the others zero, stores leave
 * their memory alone, and neither touches it (no fault past an end). */
#define vmask_first(n) ((__mmask16)((1u << (n)) - 1u))
#define vload_mask(p, m) _mm512_maskz_loadu_ps(m, p)
#define vstore_mask(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#else
/* 16 registers: tiles of 12 accumulators leave room for the operands. */
typedef __m256 vec;
typedef __m256i vmask;
#define VLEN 8
#define PROD_MB 4
#define PROD_NV 3
#define BWD_MJ 4
#define BWD_NV 3
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vadd(a, b) _mm256_add_ps(a, b)
#define vsub(a, b) _mm256_sub_ps(a, b)
#define vmul(a, b) _mm256_mul_ps(a, b)
#define vset1(x) _mm256_set1_ps(x)
#define vfmadd(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vbroadcast(p) _mm256_broadcast_ss(p)
#define vmask_first(n)                                                    \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)),                       \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define vload_mask(p, m) _mm256_maskload_ps(p, m)
#define vstore_mask(p, m, v) _mm256_maskstore_ps(p, m, v)
#endif

/* out[b0+r][n0 + VLEN v + l] = (bias[n0 + ...] +) sum_k a[b0+r][k] M[k][n0 + ...]
 * for r < MB, v < NV: a (B, K), M (K, N), out (B, N). With `masked`, NV
 * is 1 and only the lanes in `last` exist. */
TILE void product_tile(float *out, const float *a, const float *M,
                       const float *bias, size_t K, size_t N, size_t b0,
                       size_t n0, int MB, int NV, bool masked, vmask last)
{
    vec acc[PROD_MB][PROD_NV];
    for (int r = 0; r < MB; r++)
        for (int v = 0; v < NV; v++)
            acc[r][v] = vzero();
    for (size_t k = 0; k < K; k++) {
        vec m[PROD_NV];
        for (int v = 0; v < NV; v++)
            m[v] = masked ? vload_mask(M + k * N + n0, last)
                          : vload(M + k * N + n0 + VLEN * v);
        for (int r = 0; r < MB; r++) {
            vec x = vbroadcast(a + (b0 + r) * K + k);
            for (int v = 0; v < NV; v++)
                acc[r][v] = vfmadd(x, m[v], acc[r][v]);
        }
    }
    for (int r = 0; r < MB; r++)
        for (int v = 0; v < NV; v++) {
            float *o = out + (b0 + r) * N + n0 + VLEN * v;
            vec y = acc[r][v];
            if (masked) {
                if (bias)
                    y = vadd(vload_mask(bias + n0, last), y);
                vstore_mask(o, last, y);
            } else {
                if (bias)
                    y = vadd(vload(bias + n0 + VLEN * v), y);
                vstore(o, y);
            }
        }
}

/* Rows b0..b0+MB of out, columns [n_lo, n_hi): whole tiles, then single
 * vectors, then one masked vector. */
TILE void product_rows(float *out, const float *a, const float *M,
                       const float *bias, size_t K, size_t N, size_t b0,
                       size_t n_lo, size_t n_hi, int MB)
{
    vmask none = vmask_first(0); /* the unmasked tiles ignore it */
    size_t n = n_lo;
    for (; n + PROD_NV * VLEN <= n_hi; n += PROD_NV * VLEN)
        product_tile(out, a, M, bias, K, N, b0, n, MB, PROD_NV, false, none);
    for (; n + VLEN <= n_hi; n += VLEN)
        product_tile(out, a, M, bias, K, N, b0, n, MB, 1, false, none);
    if (n < n_hi)
        product_tile(out, a, M, bias, K, N, b0, n, MB, 1, true,
                     vmask_first(n_hi - n));
}

/* out = (bias +) a M, rows [b_lo, b_hi) and columns [n_lo, n_hi):
 * a (B, K), M (K, N). */
static void product(float *out, const float *a, const float *M,
                    const float *bias, size_t K, size_t N, size_t b_lo,
                    size_t b_hi, size_t n_lo, size_t n_hi)
{
    for (size_t b0 = b_lo; b0 < b_hi; b0 += PROD_MB) {
        switch (b_hi - b0 < PROD_MB ? b_hi - b0 : PROD_MB) {
#if PROD_MB > 4
        case 6: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 6); break;
        case 5: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 5); break;
#endif
        case 4: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 4); break;
        case 3: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 3); break;
        case 2: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 2); break;
        default: product_rows(out, a, M, bias, K, N, b0, n_lo, n_hi, 1); break;
        }
    }
}

/* The forward product, rows [b_lo, b_hi) and columns [j_lo, j_hi):
 * packed and cache-blocked (gemm.h) when big enough to repay the
 * packing, else the direct tiles; the same bits either way. */
static void forward_block(float *out, const float *in, const float *Wt,
                          const float *bias, size_t IN, size_t OUT,
                          size_t b_lo, size_t b_hi, size_t j_lo, size_t j_hi)
{
    if (b_hi <= b_lo || j_hi <= j_lo)
        return;
    if (gemm_worth_it(b_hi - b_lo, j_hi - j_lo, IN))
        gemm_product(out + b_lo * OUT + j_lo, OUT, in + b_lo * IN, IN, 1,
                     Wt + j_lo, OUT, bias + j_lo, b_hi - b_lo, j_hi - j_lo,
                     IN);
    else
        product(out, in, Wt, bias, IN, OUT, b_lo, b_hi, j_lo, j_hi);
}

/* The input gradients of rows [b_lo, b_hi), as forward_block. */
static void backward_input_block(float *din, const float *dout,
                                 const float *W, size_t IN, size_t OUT,
                                 size_t b_lo, size_t b_hi)
{
    if (b_hi <= b_lo)
        return;
    if (gemm_worth_it(b_hi - b_lo, IN, OUT))
        gemm_product(din + b_lo * IN, IN, dout + b_lo * OUT, OUT, 1, W, IN,
                     NULL, b_hi - b_lo, IN, OUT);
    else
        product(din, dout, W, NULL, OUT, IN, b_lo, b_hi, 0, IN);
}

/* dst[c][r] = src[r][c] for an 8 x 8 block: eight 8-float rows in, eight
 * out, through the usual unpack / shuffle / lane-swap network (AVX, so
 * in both builds). */
TILE void transpose8(float *dst, size_t ld_dst, const float *src,
                              size_t ld_src)
{
    __m256 r[8], t[8], u[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm256_loadu_ps(src + (size_t)k * ld_src);
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
        u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
        u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
        u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
        u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_ps(dst + (size_t)k * ld_dst,
                         _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps(dst + (size_t)(k + 4) * ld_dst,
                         _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
    }
}
#define TRANSPOSE_BLOCK 8

/* kmath_sgd on VLEN parameters at w (and v), operation for operation:
 * the same bits in every lane. With `masked`, only the lanes in m. */
TILE void sgd_vec(float *w, float *v, vec g, const struct kernel_sgd *p,
                  bool masked, vmask m)
{
    vec wv = masked ? vload_mask(w, m) : vload(w);
    vec grad = vmul(g, vset1(p->scale));
    if (p->weight_decay != 0.0f)
        grad = vadd(grad, vmul(vset1(p->weight_decay), wv));
    vec step = grad;
    if (v) {
        vec vv = grad;
        if (!p->first) {
            vec old = masked ? vload_mask(v, m) : vload(v);
            vv = vadd(vmul(vset1(p->momentum), old), grad);
        }
        if (masked)
            vstore_mask(v, m, vv);
        else
            vstore(v, vv);
        step = p->nesterov ? vadd(grad, vmul(vset1(p->momentum), vv)) : vv;
    }
    wv = vsub(wv, vmul(vset1(p->lr), step));
    if (masked)
        vstore_mask(w, m, wv);
    else
        vstore(w, wv);
}

/* The weight-gradient sums of rows j0..j0+MJ, columns i0 .. i0+VLEN*NV:
 * sum_b dout[b][j] in[b][i]. Stored into dW, or with `sgd`, applied to dW
 * (then the weights) and vW by the SGD step. */
TILE void backward_weights_tile(float *dW, float *vW,
                                const struct kernel_sgd *sgd,
                                const float *dout, const float *in,
                                size_t B, size_t IN, size_t OUT, size_t j0,
                                size_t i0, int MJ, int NV)
{
    vec acc[BWD_MJ][BWD_NV];
    for (int r = 0; r < MJ; r++)
        for (int v = 0; v < NV; v++)
            acc[r][v] = vzero();
    for (size_t b = 0; b < B; b++) {
        vec x[BWD_NV];
        for (int v = 0; v < NV; v++)
            x[v] = vload(in + b * IN + i0 + VLEN * v);
        for (int r = 0; r < MJ; r++) {
            vec d = vbroadcast(dout + b * OUT + j0 + r);
            for (int v = 0; v < NV; v++)
                acc[r][v] = vfmadd(d, x[v], acc[r][v]);
        }
    }
    vmask none = vmask_first(0);
    for (int r = 0; r < MJ; r++)
        for (int v = 0; v < NV; v++) {
            size_t at = (j0 + r) * IN + i0 + VLEN * v;
            if (sgd)
                sgd_vec(dW + at, vW ? vW + at : NULL, acc[r][v], sgd, false,
                        none);
            else
                vstore(dW + at, acc[r][v]);
        }
}

TILE void backward_weights_rows(float *dW, float *db, float *vW, float *vb,
                                const struct kernel_sgd *sgd,
                                const float *dout, const float *in, size_t B,
                                size_t IN, size_t OUT, size_t j0, int MJ)
{
    size_t i = 0;
    for (; i + BWD_NV * VLEN <= IN; i += BWD_NV * VLEN)
        backward_weights_tile(dW, vW, sgd, dout, in, B, IN, OUT, j0, i, MJ,
                              BWD_NV);
    for (; i + VLEN <= IN; i += VLEN)
        backward_weights_tile(dW, vW, sgd, dout, in, B, IN, OUT, j0, i, MJ,
                              1);
    for (int r = 0; r < MJ; r++) {
        size_t j = j0 + (size_t)r;
        for (size_t k = i; k < IN; k++) {
            float s = 0.0f;
            for (size_t b = 0; b < B; b++)
                s = kmath_madd(dout[b * OUT + j], in[b * IN + k], s);
            if (sgd)
                kmath_sgd(&dW[j * IN + k], vW ? &vW[j * IN + k] : NULL, s,
                          sgd);
            else
                dW[j * IN + k] = s;
        }
        float gb = 0.0f;
        for (size_t b = 0; b < B; b++)
            gb += dout[b * OUT + j];
        if (sgd)
            kmath_sgd(&db[j], vb ? &vb[j] : NULL, gb, sgd);
        else
            db[j] = gb;
    }
}

/* kmath_sgd on n parameters from their gradient sums g, in vectors. */
static void sgd_row(float *w, float *v, const float *g, size_t n,
                    const struct kernel_sgd *p)
{
    vmask none = vmask_first(0);
    size_t i = 0;
    for (; i + VLEN <= n; i += VLEN)
        sgd_vec(w + i, v ? v + i : NULL, vload(g + i), p, false, none);
    if (i < n) {
        vmask m = vmask_first(n - i);
        sgd_vec(w + i, v ? v + i : NULL, vload_mask(g + i, m), p, true, m);
    }
}

/* Both weight-gradient kernels: split by output rows as evenly as rows go
 * (whole tiles would leave one thread a tile of work more: 22 against 21
 * at 256 rows), then through gemm or in tiles of BWD_MJ. */
static void backward_weights(float *dW, float *db, float *vW, float *vb,
                             const struct kernel_sgd *sgd, const float *dout,
                             const float *in, size_t B, size_t IN, size_t OUT,
                             size_t offset, const struct kernel_update *u)
{
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    if (hi > lo && gemm_worth_it(hi - lo, IN, B)) {
        backward_weights_gemm(dW, db, vW, vb, sgd, dout, in, B, IN, OUT,
                              offset, u, lo, hi);
        return;
    }
    for (size_t j0 = lo; j0 < hi; j0 += BWD_MJ) {
        size_t rows = hi - j0 < BWD_MJ ? hi - j0 : BWD_MJ;
        switch (rows) {
#if BWD_MJ > 4
        case 6: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 6); break;
        case 5: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 5); break;
#endif
        case 4: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 4); break;
        case 3: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 3); break;
        case 2: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 2); break;
        default: backward_weights_rows(dW, db, vW, vb, sgd, dout, in, B, IN, OUT, j0, 1); break;
        }
        if (u) {
            u->apply(u, offset + j0 * IN, dW + j0 * IN, rows * IN);
            u->apply(u, offset + OUT * IN + j0, db + j0, rows);
        }
    }
}

void kernel_dense_backward_weights(float *dW, float *db, const float *dout,
                                   const float *in, size_t B, size_t IN,
                                   size_t OUT)
{
    backward_weights(dW, db, NULL, NULL, NULL, dout, in, B, IN, OUT, 0,
                     NULL);
}

void kernel_dense_backward_sgd(float *W, float *bias, float *vW, float *vb,
                               const float *dout, const float *in, size_t B,
                               size_t IN, size_t OUT,
                               const struct kernel_sgd *p)
{
    backward_weights(W, bias, vW, vb, p, dout, in, B, IN, OUT, 0, NULL);
}

void kernel_dense_backward_update(float *gW, float *gb, const float *dout,
                                  const float *in, size_t B, size_t IN,
                                  size_t OUT, size_t offset,
                                  const struct kernel_update *u)
{
    backward_weights(gW, gb, NULL, NULL, NULL, dout, in, B, IN, OUT, offset,
                     u);
}

void kernel_sgd_step(float *w, float *v, const float *g, size_t n,
                     const struct kernel_sgd *p)
{
    size_t lo, hi;
    thread_share(n, &lo, &hi);
    vmask none = vmask_first(0);
    size_t i = lo;
    for (; i + VLEN <= hi; i += VLEN)
        sgd_vec(w + i, v ? v + i : NULL, vload(g + i), p, false, none);
    /* The tail one by one: the same bits (kmath_sgd mirrors sgd_vec), and
     * for a small network's few parameters cheaper than a masked vector. */
    for (; i < hi; i++)
        kmath_sgd(&w[i], v ? &v[i] : NULL, g[i], p);
}

#else /* portable kernels */

/* Without AVX2, plain C that the compiler can vectorise: every product
 * is a row of axpys (y += a x, elements independent), so each output
 * element is one chain over its sum's index in order, as kernel_math.h
 * states, without -ffast-math. */

/* y[i] += a * x[i] */
static inline void axpy(float *y, float a, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = kmath_madd(a, x[i], y[i]);
}

/* A block of the transpose, copied element by element. */
TILE void transpose8(float *dst, size_t ld_dst, const float *src,
                              size_t ld_src)
{
    for (size_t c = 0; c < 8; c++)
        for (size_t r = 0; r < 8; r++)
            dst[c * ld_dst + r] = src[r * ld_src + c];
}
#define TRANSPOSE_BLOCK 8

static void sgd_row(float *w, float *v, const float *g, size_t n,
                    const struct kernel_sgd *p)
{
    for (size_t i = 0; i < n; i++)
        kmath_sgd(&w[i], v ? &v[i] : NULL, g[i], p);
}

/* Rows [b_lo, b_hi), columns [j_lo, j_hi) of the forward product: through
 * gemm when big enough (the same bits). */
static void forward_block(float *out, const float *in, const float *Wt,
                          const float *bias, size_t IN, size_t OUT,
                          size_t b_lo, size_t b_hi, size_t j_lo, size_t j_hi)
{
    if (b_hi > b_lo && j_hi > j_lo &&
        gemm_worth_it(b_hi - b_lo, j_hi - j_lo, IN)) {
        gemm_product(out + b_lo * OUT + j_lo, OUT, in + b_lo * IN, IN, 1,
                     Wt + j_lo, OUT, bias + j_lo, b_hi - b_lo, j_hi - j_lo,
                     IN);
        return;
    }
    size_t width = j_hi - j_lo;
    for (size_t b = b_lo; b < b_hi; b++) {
        const float *x = in + b * IN;
        float *y = out + b * OUT + j_lo;
        memset(y, 0, width * sizeof *y);
        for (size_t i = 0; i < IN; i++)
            axpy(y, x[i], Wt + i * OUT + j_lo, width);
        for (size_t j = 0; j < width; j++)
            y[j] = bias[j_lo + j] + y[j];
    }
}

static void backward_input_block(float *din, const float *dout,
                                 const float *W, size_t IN, size_t OUT,
                                 size_t lo, size_t hi)
{
    if (hi > lo && gemm_worth_it(hi - lo, IN, OUT)) {
        gemm_product(din + lo * IN, IN, dout + lo * OUT, OUT, 1, W, IN, NULL,
                     hi - lo, IN, OUT);
        return;
    }
    for (size_t b = lo; b < hi; b++) {
        float *dx = din + b * IN;
        const float *dy = dout + b * OUT;
        memset(dx, 0, IN * sizeof *dx);
        for (size_t j = 0; j < OUT; j++)
            axpy(dx, dy[j], W + j * IN, IN);
    }
}

/* Row j of the weight and bias gradients. */
static void backward_weights_row(float *dW, float *db, const float *dout,
                                 const float *in, size_t B, size_t IN,
                                 size_t OUT, size_t j)
{
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

void kernel_dense_backward_weights(float *dW, float *db, const float *dout,
                                   const float *in, size_t B, size_t IN,
                                   size_t OUT)
{
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    if (hi > lo && gemm_worth_it(hi - lo, IN, B)) {
        backward_weights_gemm(dW, db, NULL, NULL, NULL, dout, in, B, IN, OUT,
                              0, NULL, lo, hi);
        return;
    }
    for (size_t j = lo; j < hi; j++)
        backward_weights_row(dW, db, dout, in, B, IN, OUT, j);
}

void kernel_dense_backward_update(float *gW, float *gb, const float *dout,
                                  const float *in, size_t B, size_t IN,
                                  size_t OUT, size_t offset,
                                  const struct kernel_update *u)
{
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    if (hi > lo && gemm_worth_it(hi - lo, IN, B)) {
        backward_weights_gemm(gW, gb, NULL, NULL, NULL, dout, in, B, IN, OUT,
                              offset, u, lo, hi);
        return;
    }
    for (size_t j = lo; j < hi; j++) {
        backward_weights_row(gW, gb, dout, in, B, IN, OUT, j);
        u->apply(u, offset + j * IN, gW + j * IN, IN);
        u->apply(u, offset + OUT * IN + j, gb + j, 1);
    }
}

void kernel_dense_backward_sgd(float *W, float *bias, float *vW, float *vb,
                               const float *dout, const float *in, size_t B,
                               size_t IN, size_t OUT,
                               const struct kernel_sgd *p)
{
    /* A row of sums at a time, in a buffer on the stack while it fits. */
    float row[256];
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    if (hi > lo && gemm_worth_it(hi - lo, IN, B)) {
        backward_weights_gemm(W, bias, vW, vb, p, dout, in, B, IN, OUT, 0,
                              NULL, lo, hi);
        return;
    }
    for (size_t j = lo; j < hi; j++) {
        float gb = 0.0f;
        for (size_t i0 = 0; i0 < IN; i0 += 256) {
            size_t n = IN - i0 < 256 ? IN - i0 : 256;
            memset(row, 0, n * sizeof *row);
            for (size_t b = 0; b < B; b++)
                axpy(row, dout[b * OUT + j], in + b * IN + i0, n);
            for (size_t i = 0; i < n; i++)
                kmath_sgd(&W[j * IN + i0 + i],
                          vW ? &vW[j * IN + i0 + i] : NULL, row[i], p);
        }
        for (size_t b = 0; b < B; b++)
            gb += dout[b * OUT + j];
        kmath_sgd(&bias[j], vb ? &vb[j] : NULL, gb, p);
    }
}

void kernel_sgd_step(float *w, float *v, const float *g, size_t n,
                     const struct kernel_sgd *p)
{
    size_t lo, hi;
    thread_share(n, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        kmath_sgd(&w[i], v ? &v[i] : NULL, g[i], p);
}

#endif

/* ---- both builds: the weight gradients through gemm ---- */

/* gb[j - lo] = sum_b dout[b][j] for j in [lo, hi): plain sums from zero
 * in sample order, every j its own (so the loop over j vectorises). */
static void bias_sums(float *gb, const float *dout, size_t B, size_t OUT,
                      size_t lo, size_t hi)
{
    for (size_t j = lo; j < hi; j++)
        gb[j - lo] = 0.0f;
    for (size_t b = 0; b < B; b++)
        for (size_t j = lo; j < hi; j++)
            gb[j - lo] += dout[b * OUT + j];
}

/* The SGD step applied to a block of complete weight-gradient sums as
 * gemm_product_to hands them over (rows relative to `lo`). */
struct sgd_sink {
    struct gemm_sink base;
    float *W, *vW;
    size_t IN, lo;
    const struct kernel_sgd *p;
};

static void sgd_block(const struct gemm_sink *sink, size_t m0, size_t n0,
                      const float *sums, size_t ld, size_t rows, size_t cols)
{
    const struct sgd_sink *s = (const struct sgd_sink *)sink;
    for (size_t r = 0; r < rows; r++) {
        size_t at = (s->lo + m0 + r) * s->IN + n0;
        sgd_row(s->W + at, s->vW ? s->vW + at : NULL, sums + r * ld, cols,
                s->p);
    }
}

/* The weight gradients of rows [lo, hi) through gemm (their sums over the
 * batch, dout transposed as A): stored, handed to u in groups of GEMM_MC
 * rows, or applied by SGD as each block completes. */
static void backward_weights_gemm(float *dW, float *db, float *vW, float *vb,
                                  const struct kernel_sgd *sgd,
                                  const float *dout, const float *in,
                                  size_t B, size_t IN, size_t OUT,
                                  size_t offset,
                                  const struct kernel_update *u, size_t lo,
                                  size_t hi)
{
    if (sgd) {
        struct sgd_sink sink = {{sgd_block}, dW, vW, IN, lo, sgd};
        gemm_product_to(&sink.base, dout + lo, 1, OUT, in, IN, hi - lo, IN,
                        B);
        float gb[GEMM_MC];
        for (size_t j0 = lo; j0 < hi; j0 += GEMM_MC) {
            size_t rows = hi - j0 < GEMM_MC ? hi - j0 : GEMM_MC;
            bias_sums(gb, dout, B, OUT, j0, j0 + rows);
            for (size_t j = j0; j < j0 + rows; j++)
                kmath_sgd(&db[j], vb ? &vb[j] : NULL, gb[j - j0], sgd);
        }
        return;
    }
    for (size_t j0 = lo; j0 < hi; j0 += GEMM_MC) {
        size_t rows = hi - j0 < GEMM_MC ? hi - j0 : GEMM_MC;
        gemm_product(dW + j0 * IN, IN, dout + j0, 1, OUT, in, IN, NULL, rows,
                     IN, B);
        bias_sums(db + j0, dout, B, OUT, j0, j0 + rows);
        if (u) {
            u->apply(u, offset + j0 * IN, dW + j0 * IN, rows * IN);
            u->apply(u, offset + OUT * IN + j0, db + j0, rows);
        }
    }
}

/* The entry points of both builds: the thread's share, then the build's
 * block. */

void kernel_dense_forward(float *out, const float *in, const float *Wt,
                          const float *bias, size_t B, size_t IN, size_t OUT)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    forward_block(out, in, Wt, bias, IN, OUT, lo, hi, 0, OUT);
}

void kernel_dense_forward_by_column(float *out, const float *in,
                                    const float *Wt, const float *bias,
                                    size_t B, size_t IN, size_t OUT)
{
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    forward_block(out, in, Wt, bias, IN, OUT, 0, B, lo, hi);
}

void kernel_dense_backward_input(float *din, const float *dout,
                                 const float *W, size_t B, size_t IN,
                                 size_t OUT)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    backward_input_block(din, dout, W, IN, OUT, lo, hi);
}

/* dst[c][r] = src[r][c] for r in [r_lo, r_hi), c in [c_lo, c_hi): src
 * (ROWS, COLS), dst (COLS, ROWS). Row by row of dst in blocks of 8 (dst's
 * rows are a power of two apart more often than src's; written across,
 * they would fight over a few cache sets), ragged edges element by
 * element. */
static void transpose_part(float *dst, const float *src, size_t ROWS,
                           size_t COLS, size_t r_lo, size_t r_hi,
                           size_t c_lo, size_t c_hi)
{
    for (size_t c0 = c_lo; c0 < c_hi; c0 += TRANSPOSE_BLOCK) {
        size_t c1 = c0 + TRANSPOSE_BLOCK < c_hi ? c0 + TRANSPOSE_BLOCK : c_hi;
        size_t r0 = r_lo;
        if (c1 - c0 == TRANSPOSE_BLOCK)
            for (; r0 + TRANSPOSE_BLOCK <= r_hi; r0 += TRANSPOSE_BLOCK)
                transpose8(dst + c0 * ROWS + r0, ROWS, src + r0 * COLS + c0,
                           COLS);
        for (size_t c = c0; c < c1; c++)
            for (size_t r = r0; r < r_hi; r++)
                dst[c * ROWS + r] = src[r * COLS + c];
    }
}

void kernel_transpose_own_rows(float *dst, const float *src, size_t ROWS,
                               size_t COLS)
{
    size_t lo, hi;
    thread_share(ROWS, &lo, &hi);
    transpose_part(dst, src, ROWS, COLS, lo, hi, 0, COLS);
}

void kernel_transpose(float *dst, const float *src, size_t ROWS, size_t COLS)
{
    /* Split by dst rows in whole blocks. */
    size_t lo, hi;
    thread_share((COLS + TRANSPOSE_BLOCK - 1) / TRANSPOSE_BLOCK, &lo, &hi);
    size_t c_hi = hi * TRANSPOSE_BLOCK < COLS ? hi * TRANSPOSE_BLOCK : COLS;
    transpose_part(dst, src, ROWS, COLS, 0, ROWS, lo * TRANSPOSE_BLOCK, c_hi);
}

int kernel_team_size(void)
{
    return omp_get_num_threads();
}

/* sigmoid and tanh: this thread's rows in one call of vmath's array form,
 * which gives each element kmath_sigmoid's (kmath_tanh's) bits wherever
 * it sits in the block. */
void kernel_sigmoid(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    vmath_sigmoid(y + lo * N, x + lo * N, (hi - lo) * N);
}

void kernel_tanh(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    vmath_tanh(y + lo * N, x + lo * N, (hi - lo) * N);
}

void kernel_relu(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = kmath_relu(x[k]);
}

void kernel_copy(float *y, const float *x, size_t B, size_t N)
{
    if (y == x)
        return;
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        memcpy(y + b * N, x + b * N, N * sizeof *y);
}

void kernel_softmax(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        kmath_softmax_row(y + b * N, x + b * N, N);
}

void kernel_sigmoid_backward(float *d, const float *y, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            d[k] = kmath_sigmoid_grad(d[k], y[k]);
}

void kernel_tanh_backward(float *d, const float *y, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            d[k] = kmath_tanh_grad(d[k], y[k]);
}

void kernel_relu_backward(float *d, const float *y, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            d[k] = kmath_relu_grad(d[k], y[k]);
}

void kernel_mse(float *loss, float *d, const float *y, const float *t,
                size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        loss[b] = kmath_mse_row(d + b * N, y + b * N, t + b * N, N);
}

void kernel_softmax_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B,
                                  size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        loss[b] = kmath_softmax_cross_entropy_row(d + b * N, z + b * N,
                                                  y + b * N, t + b * N, N);
}

void kernel_sigmoid_cross_entropy(float *loss, float *d, const float *z,
                                  const float *y, const float *t, size_t B)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++) {
        loss[b] = kmath_sigmoid_cross_entropy(z[b], t[b]);
        d[b] = y[b] - t[b];
    }
}

void kernel_dropout(float *y, float *saved, const float *mask, size_t B,
                    size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t k = lo * N; k < hi * N; k++) {
        saved[k] = y[k];
        y[k] = y[k] * mask[k];
    }
}

void kernel_mul(float *d, const float *mask, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t k = lo * N; k < hi * N; k++)
        d[k] = d[k] * mask[k];
}
