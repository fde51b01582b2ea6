/*
 * gemm: the packed, cache-blocked matrix product under the dense kernels
 * (kernels.h), in BLIS's manner: blocks of the operands are copied
 * ("packed") into contiguous panels sized for the caches, and a
 * register-blocked micro-kernel multiplies a panel of MR rows of A by a
 * panel of NR columns of B. Part of the kernels layer: it includes no
 * project header but kernel_math.h, and it knows nothing of threads (the
 * caller gives each thread its rows or columns of C).
 *
 * The bits (kernel_math.h): each element of C is one chain of kmath_madd
 * from zero over k = 0..K-1 in order, whatever the block sizes, edges or
 * build. When the summed dimension K is cut into blocks, the micro-kernel
 * stores the block's partial sums and the next block loads them back and
 * continues the chain (a float stored and loaded is the same float), so
 * no block ever starts from zero and no partial sums are added together.
 * The bias is added last, bias + chain, as the unblocked kernels add it.
 *
 * Operands: A (M x K) is read as A[m][k] = a[m * a_rs + k * a_cs] (row-
 * or column-major, so dout transposed needs no copy); B (K x N) is
 * row-major with row stride ldb; C (M x N) is row-major with row stride
 * ldc. Packing buffers live on the caller's stack (about 200 KB at most);
 * no allocation, no I/O.
 *
 * Every build has it: AVX-512 or AVX2 + FMA intrinsics, or portable C on
 * GCC's generic vectors (kernel_math.h's KERNELS_SIMD decides).
 */
#ifndef GEMM_H
#define GEMM_H

#include <stddef.h>

#include "kernel_math.h"

/* Whether a product of M x K by K x N goes through gemm: packing B costs
 * a copy of it per call, repaid only when each packed element serves
 * enough rows, and a block of sums loaded and stored around a short sum
 * costs more than it saves; below these sizes the kernels use their
 * direct tiles (the same bits). */
#define GEMM_MIN_ROWS 16
#define GEMM_MIN_COLUMNS 32
#define GEMM_MIN_SUM 32
#define GEMM_MIN_MACS 262144.0

/* From this many rows on, B is packed (a copy per call, about 2 / M of
 * the arithmetic) for contiguous panels; with fewer, the micro-kernels
 * read it where it lies. */
#define GEMM_PACK_ROWS 96

static inline int gemm_worth_it(size_t M, size_t N, size_t K)
{
    return M >= GEMM_MIN_ROWS && N >= GEMM_MIN_COLUMNS && K >= GEMM_MIN_SUM &&
           (double)M * (double)N * (double)K >= GEMM_MIN_MACS;
}

/* Rows of C per block of the row loop: gemm_product_to hands the sums of
 * GEMM_MC rows at a time, and a caller that wants rows complete in small
 * groups (to update them while in cache) calls gemm_product on this many
 * rows at a time. */
#define GEMM_MC 72

/* C = (bias +) A B; bias (N) may be NULL. */
void gemm_product(float *C, size_t ldc, const float *a, size_t a_rs,
                  size_t a_cs, const float *B, size_t ldb, const float *bias,
                  size_t M, size_t N, size_t K);

/* Where gemm_product_to hands complete sums: a block of them, rows
 * [m0, m0 + rows) and columns [n0, n0 + cols) of the product, at sums
 * (row stride ld, a scratch block the callee may not keep). Blocks come
 * row block by row block: when the call for the last columns of a row
 * block returns, no later call touches those rows. */
struct gemm_sink {
    void (*done)(const struct gemm_sink *sink, size_t m0, size_t n0,
                 const float *sums, size_t ld, size_t rows, size_t cols);
};

/* The sums of A B, handed to sink block by block (an SGD step applies
 * them to the weights without ever storing the gradient). */
void gemm_product_to(const struct gemm_sink *sink, const float *a,
                     size_t a_rs, size_t a_cs, const float *B, size_t ldb,
                     size_t M, size_t N, size_t K);

#endif
