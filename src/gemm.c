/*
 * gemm: see gemm.h for the contract. The loop nest is BLIS's five loops
 * around a micro-kernel (Van Zee and van de Geijn, "BLIS: A Framework for
 * Rapidly Instantiating BLAS Functionality", 2015), in the order
 *
 *   ic: rows of C in blocks of MC        (the thread's samples or rows)
 *    jc: columns in blocks of NC
 *     pc: the summed dimension in blocks of KC, in order
 *          pack A[ic, pc] into panels of MR rows    (MC x KC: L2)
 *          pack B[pc, jc] into panels of NR columns (KC x NC: L2)
 *      jr: panels of B   (KC x NR, streamed from L2)
 *       ir: panels of A  (KC x MR, held in L1 across jr... and ir inner:
 *                         B's panel stays in L1 across the row panels)
 *            micro-kernel: MR x NR sums in registers over the KC block
 *
 * With pc inside ic and jc, a block of C (MC x NC) takes its KC blocks one
 * after the other while it is in L2: the micro-kernel loads its partial
 * sums, continues each chain, and stores them back. B is packed again for
 * each row block, which costs a copy of B per MC rows (about 2 / MC of
 * the arithmetic); A again for each column block (2 / NC).
 */
#include "gemm.h"

#ifdef KERNELS_SIMD

#include <stdbool.h>
#include <string.h>

#include <immintrin.h>

#define TILE static inline __attribute__((always_inline))

/* The vector type of the build, as in kernels.c (kept here so that this
 * module stands alone). Register block MR x NV vectors: AVX-512 has 32
 * registers (24 accumulators, 4 of B, a broadcast), AVX2 16 (12, 2, 1:
 * BLIS's 6 x 16 Haswell kernel). Cache blocks for 32-48 KB of L1 and
 * 0.5-2 MB of L2 per core: a B panel KC x NR (64 KB for AVX-512) streams
 * from L2, an A panel KC x MR (6 KB) stays in L1, the packed blocks
 * (MC x KC, KC x NC) and the block of C (MC x NC) fit together in L2. */
#if defined(__AVX512F__)
typedef __m512 vec;
typedef __mmask16 vmask;
#define VLEN 16
#define MR 6
#define NV 4
#define KC 256
#define NC 128
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_load_ps(p)
#define vloadu(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_store_ps(p, v)
#define vadd(a, b) _mm512_add_ps(a, b)
#define vset1(x) _mm512_set1_ps(x)
#define vfmadd(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vmask_first(n) ((__mmask16)((1u << (n)) - 1u))
#define vmask_all() ((__mmask16)0xFFFF)
#define vload_mask(p, m) _mm512_maskz_loadu_ps(m, p)
#define vstore_mask(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#else
typedef __m256 vec;
typedef __m256i vmask;
#define VLEN 8
#define MR 6
#define NV 2
#define KC 256
#define NC 128
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_load_ps(p)
#define vloadu(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_store_ps(p, v)
#define vadd(a, b) _mm256_add_ps(a, b)
#define vset1(x) _mm256_set1_ps(x)
#define vfmadd(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vmask_first(n)                                                    \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)),                       \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define vmask_all() _mm256_set1_epi32(-1)
#define vload_mask(p, m) _mm256_maskload_ps(p, m)
#define vstore_mask(p, m, v) _mm256_maskstore_ps(p, m, v)
#endif

#define NR (NV * VLEN)
#define MC GEMM_MC
#define ALIGNED __attribute__((aligned(64)))

/* The packing buffers of one call (on its stack: every thread its own). */
struct packs {
    float a[MC * KC] ALIGNED;   /* MC / MR panels, each [KC][MR] */
    float b[KC * NC] ALIGNED;   /* NC / NR panels, each [KC][NR] */
};

/* Rows [m0, m0 + rows) and k in [k0, k0 + kc) of A into panels of MR
 * rows: panel q holds ap[k * MR + r] = A[m0 + MR q + r][k0 + k]. A short
 * last panel leaves its missing rows unwritten (never read). */
static void pack_a(float *ap, const float *a, size_t a_rs, size_t a_cs,
                   size_t m0, size_t rows, size_t k0, size_t kc)
{
    for (size_t q = 0; q * MR < rows; q++) {
        size_t r_n = rows - q * MR < MR ? rows - q * MR : MR;
        float *dst = ap + q * MR * kc;
        const float *src = a + (m0 + q * MR) * a_rs + k0 * a_cs;
        if (a_cs == 1) {
            /* Rows of A are contiguous: read each along k. */
            for (size_t r = 0; r < r_n; r++)
                for (size_t k = 0; k < kc; k++)
                    dst[k * MR + r] = src[r * a_rs + k];
        } else {
            for (size_t k = 0; k < kc; k++)
                for (size_t r = 0; r < r_n; r++)
                    dst[k * MR + r] = src[k * a_cs + r * a_rs];
        }
    }
}

/* Rows [k0, k0 + kc) and columns [n0, n0 + cols) of B into panels of NR
 * columns: panel p holds bp[k * NR + c] = B[k0 + k][n0 + NR p + c], its
 * last vector padded with zeros (the micro-kernel's lanes past the edge
 * compute sums that are never stored). */
static void pack_b(float *bp, const float *B, size_t ldb, size_t k0,
                   size_t kc, size_t n0, size_t cols)
{
    for (size_t p = 0; p * NR < cols; p++) {
        size_t c_n = cols - p * NR < NR ? cols - p * NR : NR;
        float *dst = bp + p * NR * kc;
        const float *src = B + k0 * ldb + n0 + p * NR;
        size_t full = c_n / VLEN, rest = c_n % VLEN;
        vmask last = vmask_first(rest);
        for (size_t k = 0; k < kc; k++) {
            for (size_t v = 0; v < full; v++)
                vstore(dst + k * NR + v * VLEN,
                       vloadu(src + k * ldb + v * VLEN));
            if (rest)
                vstore(dst + k * NR + full * VLEN,
                       vload_mask(src + k * ldb + full * VLEN, last));
        }
    }
}

/* The lanes of vector v that hold columns below cols. */
TILE vmask lanes(size_t cols, int v)
{
    size_t first = (size_t)v * VLEN;
    return cols >= first + VLEN ? vmask_all() : vmask_first(cols - first);
}

/* An MRr x NVv block of sums over kc: acc = (first ? 0 : part) + the
 * chain of ap x bp; then either back to part (more blocks to come) or to
 * out with the bias added (the last block). part and out are row-major
 * (ldp, ldo); only `cols` columns of them exist. */
TILE void micro_kernel(int MRr, int NVv, size_t kc, const float *ap,
                       const float *bp, float *part, size_t ldp, bool first,
                       bool last, float *out, size_t ldo, const float *bias,
                       size_t cols)
{
    vec acc[MR][NV];
    for (int r = 0; r < MRr; r++)
        for (int v = 0; v < NVv; v++)
            acc[r][v] = first ? vzero()
                              : vload_mask(part + (size_t)r * ldp + v * VLEN,
                                           lanes(cols, v));
    for (size_t k = 0; k < kc; k++) {
        vec b[NV];
        for (int v = 0; v < NVv; v++)
            b[v] = vload(bp + k * NR + v * VLEN);
        for (int r = 0; r < MRr; r++) {
            vec x = vset1(ap[k * MR + r]);
            for (int v = 0; v < NVv; v++)
                acc[r][v] = vfmadd(x, b[v], acc[r][v]);
        }
    }
    float *dst = last ? out : part;
    size_t ld = last ? ldo : ldp;
    for (int v = 0; v < NVv; v++) {
        vmask m = lanes(cols, v);
        vec bv = vzero();
        if (last && bias)
            bv = vload_mask(bias + v * VLEN, m);
        for (int r = 0; r < MRr; r++) {
            vec y = acc[r][v];
            if (last && bias)
                y = vadd(bv, y);
            vstore_mask(dst + (size_t)r * ld + v * VLEN, m, y);
        }
    }
}

/* One MRr-row panel against one panel of B whose first cols columns
 * exist: the micro-kernel of just enough vectors. */
TILE void micro_rows(int MRr, size_t kc, const float *ap, const float *bp,
                     float *part, size_t ldp, bool first, bool last,
                     float *out, size_t ldo, const float *bias, size_t cols)
{
    switch ((cols + VLEN - 1) / VLEN) {
#if NV > 2
    case 4: micro_kernel(MRr, 4, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    case 3: micro_kernel(MRr, 3, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
#endif
    case 2: micro_kernel(MRr, 2, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    default: micro_kernel(MRr, 1, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    }
}

static void micro(size_t rows, size_t kc, const float *ap, const float *bp,
                  float *part, size_t ldp, bool first, bool last, float *out,
                  size_t ldo, const float *bias, size_t cols)
{
    switch (rows) {
    case 6: micro_rows(6, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    case 5: micro_rows(5, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    case 4: micro_rows(4, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    case 3: micro_rows(3, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    case 2: micro_rows(2, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    default: micro_rows(1, kc, ap, bp, part, ldp, first, last, out, ldo, bias, cols); break;
    }
}

/* The product, rows [0, M): partial sums in part (row stride ldp), the
 * complete block's sums either to out (+ bias) or, when sink is set, to
 * part then the sink. */
static void product(float *part, size_t ldp, const struct gemm_sink *sink,
                    const float *a, size_t a_rs, size_t a_cs, const float *B,
                    size_t ldb, const float *bias, size_t M, size_t N,
                    size_t K, struct packs *pk, size_t sink_m0)
{
    for (size_t ic = 0; ic < M; ic += MC) {
        size_t mc = M - ic < MC ? M - ic : MC;
        for (size_t jc = 0; jc < N; jc += NC) {
            size_t nc = N - jc < NC ? N - jc : NC;
            for (size_t pc = 0; pc < K || pc == 0; pc += KC) {
                size_t kc = K - pc < KC ? K - pc : KC;
                bool first = pc == 0, last = pc + kc >= K;
                pack_a(pk->a, a, a_rs, a_cs, ic, mc, pc, kc);
                pack_b(pk->b, B, ldb, pc, kc, jc, nc);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t cols = nc - jr < NR ? nc - jr : NR;
                    const float *bp = pk->b + jr * kc;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        size_t rows = mc - ir < MR ? mc - ir : MR;
                        float *pt = sink ? part + ir * ldp + jr
                                         : part + (ic + ir) * ldp + jc + jr;
                        micro(rows, kc, pk->a + ir * kc, bp, pt, ldp, first,
                              last && !sink, pt, ldp,
                              bias ? bias + jc + jr : NULL, cols);
                    }
                }
                if (kc == 0)
                    break;
            }
            if (sink)
                sink->done(sink, sink_m0 + ic, jc, part, ldp, mc, nc);
        }
    }
}

void gemm_product(float *C, size_t ldc, const float *a, size_t a_rs,
                  size_t a_cs, const float *B, size_t ldb, const float *bias,
                  size_t M, size_t N, size_t K)
{
    struct packs pk;
    product(C, ldc, NULL, a, a_rs, a_cs, B, ldb, bias, M, N, K, &pk, 0);
}

void gemm_product_to(const struct gemm_sink *sink, const float *a,
                     size_t a_rs, size_t a_cs, const float *B, size_t ldb,
                     size_t M, size_t N, size_t K)
{
    struct packs pk;
    float block[MC * NC] ALIGNED;
    /* One row block at a time, so the block of sums is MC x NC. */
    for (size_t ic = 0; ic < M; ic += MC) {
        size_t mc = M - ic < MC ? M - ic : MC;
        product(block, NC, sink, a + ic * a_rs, a_rs, a_cs, B, ldb, NULL,
                mc, N, K, &pk, ic);
    }
}

#endif
