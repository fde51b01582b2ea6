/*
 * kernels: see kernels.h for the contract. The dense kernels come in three
 * builds, chosen at compile time: AVX-512 or AVX2 + FMA intrinsics (with
 * -march=native on such a machine, or -mavx2 -mfma) and portable C.
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

#include <omp.h>

#include "kernel_math.h"

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

#ifdef KERNELS_SIMD

/* ---- SIMD kernels: AVX-512 or AVX2, both with FMA ----
 *
 * The vector type and its width are chosen at build time; the tiles are
 * written once over them. Register tiles of up to 4 x FWD_NB outputs
 * (forward: dot products along i) or 4 x BWD_NV vectors (backward: rows
 * along i). Each output element is still computed by one fixed sequence
 * of operations whatever tile (or tail) it falls in and whichever thread
 * computes it:
 *   forward   VLEN lanes of FMA partial sums over i (i mod VLEN picks the
 *             lane), a fixed horizontal sum, then the i % VLEN tail by
 *             scalar fmaf, then the bias;
 *   backward  one FMA chain over j (input gradients) or over b (weight
 *             gradients), in order, from zero.
 * kmath_madd (kernel_math.h) is fmaf here, which compiles to the same
 * fused instruction the vector code uses. */

#if defined(__AVX512F__)
/* 32 registers: 16 accumulators and their operands fit. */
typedef __m512 vec;
#define VLEN 16
#define FWD_MB 6
#define FWD_NB 4
#define BWD_MJ 6
#define BWD_MB 6
#define BWD_NV 4
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vfmadd(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vbroadcast(p) _mm512_set1_ps(*(p))

/* Lanes summed as halves, then quarters, ... (a fixed tree). */
static inline float hsum(__m512 v)
{
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h),
                          _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
#else
/* 16 registers: tiles of 12 accumulators leave room for the operands. */
typedef __m256 vec;
#define VLEN 8
#define FWD_MB 4
#define FWD_NB 3
#define BWD_MJ 4
#define BWD_MB 4
#define BWD_NV 3
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vfmadd(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vbroadcast(p) _mm256_broadcast_ss(p)

/* Lanes summed as ((0+4) + (2+6)) + ((1+5) + (3+7)). */
static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
#endif

/* out[b0+r][j0+c] for r < MB, c < NB. The tile's rows need not match
 * the sample split's tiles: an element's arithmetic is the same in any. */
TILE void forward_tile(float *out, const float *in, const float *W,
                       const float *bias, size_t IN, size_t OUT, size_t b0,
                       size_t j0, int MB, int NB)
{
    vec acc[FWD_MB][FWD_NB];
    for (int r = 0; r < MB; r++)
        for (int c = 0; c < NB; c++)
            acc[r][c] = vzero();
    size_t i = 0;
    for (; i + VLEN <= IN; i += VLEN) {
        vec w[FWD_NB];
        for (int c = 0; c < NB; c++)
            w[c] = vload(W + (j0 + c) * IN + i);
        for (int r = 0; r < MB; r++) {
            vec x = vload(in + (b0 + r) * IN + i);
            for (int c = 0; c < NB; c++)
                acc[r][c] = vfmadd(x, w[c], acc[r][c]);
        }
    }
    for (int r = 0; r < MB; r++)
        for (int c = 0; c < NB; c++) {
            const float *x = in + (b0 + r) * IN, *wr = W + (j0 + c) * IN;
            float s = hsum(acc[r][c]);
            for (size_t k = i; k < IN; k++)
                s = kmath_madd(x[k], wr[k], s);
            out[(b0 + r) * OUT + j0 + c] = bias[j0 + c] + s;
        }
}

/* Rows b0..b0+MB of out, over output rows [j_lo, j_hi). */
TILE void forward_rows(float *out, const float *in, const float *W,
                       const float *bias, size_t IN, size_t OUT, size_t b0,
                       size_t j_lo, size_t j_hi, int MB)
{
    size_t j = j_lo;
    for (; j + FWD_NB <= j_hi; j += FWD_NB)
        forward_tile(out, in, W, bias, IN, OUT, b0, j, MB, FWD_NB);
    for (; j < j_hi; j++)
        forward_tile(out, in, W, bias, IN, OUT, b0, j, MB, 1);
}

/* Output rows per cache block: 48 rows of W (150 KB at IN = 784) stay in
 * L2 while the thread's samples stream past them. */
#define FORWARD_J_BLOCK 48

void kernel_dense_forward(float *out, const float *in, const float *W,
                          const float *bias, size_t B, size_t IN, size_t OUT)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t jb = 0; jb < OUT; jb += FORWARD_J_BLOCK) {
        size_t je = jb + FORWARD_J_BLOCK < OUT ? jb + FORWARD_J_BLOCK : OUT;
        for (size_t b0 = lo; b0 < hi; b0 += FWD_MB) {
            switch (hi - b0 < FWD_MB ? hi - b0 : FWD_MB) {
#if FWD_MB > 4
            case 6: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 6); break;
            case 5: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 5); break;
#endif
            case 4: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 4); break;
            case 3: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 3); break;
            case 2: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 2); break;
            default: forward_rows(out, in, W, bias, IN, OUT, b0, jb, je, 1); break;
            }
        }
    }
}

/* din[b0+r][i0 .. i0+VLEN*NV) = sum_j dout[b0+r][j] W[j][i0 ..], r < MB. */
TILE void backward_input_tile(float *din, const float *dout, const float *W,
                              size_t IN, size_t OUT, size_t b0, size_t i0,
                              int MB, int NV)
{
    vec acc[BWD_MB][BWD_NV];
    for (int r = 0; r < MB; r++)
        for (int v = 0; v < NV; v++)
            acc[r][v] = vzero();
    for (size_t j = 0; j < OUT; j++) {
        vec w[BWD_NV];
        for (int v = 0; v < NV; v++)
            w[v] = vload(W + j * IN + i0 + VLEN * v);
        for (int r = 0; r < MB; r++) {
            vec d = vbroadcast(dout + (b0 + r) * OUT + j);
            for (int v = 0; v < NV; v++)
                acc[r][v] = vfmadd(d, w[v], acc[r][v]);
        }
    }
    for (int r = 0; r < MB; r++)
        for (int v = 0; v < NV; v++)
            vstore(din + (b0 + r) * IN + i0 + VLEN * v, acc[r][v]);
}

TILE void backward_input_rows(float *din, const float *dout, const float *W,
                              size_t IN, size_t OUT, size_t b0, int MB)
{
    size_t i = 0;
    for (; i + BWD_NV * VLEN <= IN; i += BWD_NV * VLEN)
        backward_input_tile(din, dout, W, IN, OUT, b0, i, MB, BWD_NV);
    for (; i + VLEN <= IN; i += VLEN)
        backward_input_tile(din, dout, W, IN, OUT, b0, i, MB, 1);
    for (; i < IN; i++)
        for (int r = 0; r < MB; r++) {
            const float *d = dout + (b0 + r) * OUT;
            float s = 0.0f;
            for (size_t j = 0; j < OUT; j++)
                s = kmath_madd(d[j], W[j * IN + i], s);
            din[(b0 + r) * IN + i] = s;
        }
}

void kernel_dense_backward_input(float *din, const float *dout,
                                 const float *W, size_t B, size_t IN,
                                 size_t OUT)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b0 = lo; b0 < hi; b0 += BWD_MB) {
        switch (hi - b0 < BWD_MB ? hi - b0 : BWD_MB) {
#if BWD_MB > 4
        case 6: backward_input_rows(din, dout, W, IN, OUT, b0, 6); break;
        case 5: backward_input_rows(din, dout, W, IN, OUT, b0, 5); break;
#endif
        case 4: backward_input_rows(din, dout, W, IN, OUT, b0, 4); break;
        case 3: backward_input_rows(din, dout, W, IN, OUT, b0, 3); break;
        case 2: backward_input_rows(din, dout, W, IN, OUT, b0, 2); break;
        default: backward_input_rows(din, dout, W, IN, OUT, b0, 1); break;
        }
    }
}

/* dW[j0+r][i0 .. i0+VLEN*NV) = sum_b dout[b][j0+r] in[b][i0 ..], r < MJ. */
TILE void backward_weights_tile(float *dW, const float *dout, const float *in,
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
    for (int r = 0; r < MJ; r++)
        for (int v = 0; v < NV; v++)
            vstore(dW + (j0 + r) * IN + i0 + VLEN * v, acc[r][v]);
}

TILE void backward_weights_rows(float *dW, float *db, const float *dout,
                                const float *in, size_t B, size_t IN,
                                size_t OUT, size_t j0, int MJ)
{
    size_t i = 0;
    for (; i + BWD_NV * VLEN <= IN; i += BWD_NV * VLEN)
        backward_weights_tile(dW, dout, in, B, IN, OUT, j0, i, MJ, BWD_NV);
    for (; i + VLEN <= IN; i += VLEN)
        backward_weights_tile(dW, dout, in, B, IN, OUT, j0, i, MJ, 1);
    for (int r = 0; r < MJ; r++) {
        size_t j = j0 + (size_t)r;
        for (size_t k = i; k < IN; k++) {
            float s = 0.0f;
            for (size_t b = 0; b < B; b++)
                s = kmath_madd(dout[b * OUT + j], in[b * IN + k], s);
            dW[j * IN + k] = s;
        }
        float gb = 0.0f;
        for (size_t b = 0; b < B; b++)
            gb += dout[b * OUT + j];
        db[j] = gb;
    }
}

void kernel_dense_backward_weights(float *dW, float *db, const float *dout,
                                   const float *in, size_t B, size_t IN,
                                   size_t OUT)
{
    /* Split by output rows, in tiles of BWD_MJ. */
    size_t lo, hi;
    thread_share((OUT + BWD_MJ - 1) / BWD_MJ, &lo, &hi);
    for (size_t t = lo; t < hi; t++) {
        size_t j0 = BWD_MJ * t;
        switch (OUT - j0 < BWD_MJ ? OUT - j0 : BWD_MJ) {
#if BWD_MJ > 4
        case 6: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 6); break;
        case 5: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 5); break;
#endif
        case 4: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 4); break;
        case 3: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 3); break;
        case 2: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 2); break;
        default: backward_weights_rows(dW, db, dout, in, B, IN, OUT, j0, 1); break;
        }
    }
}

#else /* portable kernels */

/* Without AVX2, plain C that the compiler can vectorise: the forward dot
 * product keeps eight separate partial sums (a single accumulator cannot
 * be vectorised without -ffast-math, which would let the compiler reorder
 * the sum), combined in a fixed order; the backward loops are axpys, whose
 * elements are independent. */

#define LANES 8

static inline float dot(const float *a, const float *b, size_t n)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] = kmath_madd(a[i + k], b[i + k], acc[k]);
    float s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) +
              ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    for (; i < n; i++)
        s = kmath_madd(a[i], b[i], s);
    return s;
}

/* y[i] += a * x[i] */
static inline void axpy(float *y, float a, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = kmath_madd(a, x[i], y[i]);
}

void kernel_dense_forward(float *out, const float *in, const float *W,
                          const float *bias, size_t B, size_t IN, size_t OUT)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++) {
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
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++) {
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
    size_t lo, hi;
    thread_share(OUT, &lo, &hi);
    for (size_t j = lo; j < hi; j++) {
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

#endif

void kernel_sigmoid(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = kmath_sigmoid(x[k]);
}

void kernel_tanh(float *y, const float *x, size_t B, size_t N)
{
    size_t lo, hi;
    kernel_sample_rows(B, &lo, &hi);
    for (size_t b = lo; b < hi; b++)
        for (size_t k = b * N; k < (b + 1) * N; k++)
            y[k] = kmath_tanh(x[k]);
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

void kernel_sgd_step(float *w, float *v, float *g, size_t n, float scale,
                     float lr, float momentum, float weight_decay,
                     int nesterov, int first)
{
    size_t lo, hi;
    thread_share(n, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        float grad = g[i] * scale;
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
