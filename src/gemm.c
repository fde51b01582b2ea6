/*
 * gemm: see gemm.h for the contract. The loop nest is BLIS's loops around
 * a micro-kernel (Van Zee and van de Geijn, "BLIS: A Framework for
 * Rapidly Instantiating BLAS Functionality", ACM TOMS 2015):
 *
 *   jc: columns of C in blocks of NC
 *    pc: the summed dimension in blocks of KC, in order
 *         pack B[pc, jc] into panels of NR columns (KC x NC: L2)
 *     ic: rows in blocks of MC
 *      ir: panels of MR rows of A, read where they lie (L1)
 *       jr: panels of B, streamed from L2 past A's rows
 *            micro-kernel: MR x NR sums in registers over the KC block
 *
 * C holds the partial sums between summed blocks: the micro-kernel loads
 * them, continues each chain and stores them back. B is packed only when
 * at least GEMM_PACK_ROWS rows use each packed element (the copy costs
 * about 2 / M of the arithmetic); a thread's share of a small batch reads
 * it in place, its KC x NC block still reused from L2 by every row.
 * gemm_product_to, whose sums go to a sink and not to C, runs pc inside
 * ic so that each MC x NC block of sums completes in a scratch block on
 * the stack.
 */
#include "gemm.h"

#include <stdbool.h>
#include <string.h>

#ifdef KERNELS_SIMD
#include <immintrin.h>
#endif

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
#elif defined(KERNELS_SIMD)
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
#else
/* Portable C: GCC's generic vectors of 4 floats (SSE2 registers on any
 * x86-64, NEON elsewhere), 12 accumulators in 16 registers. A
 * multiply-add is a * b + c, rounded twice as kmath_madd is here (ISO C
 * mode: the compiler does not contract it); a mask is a lane count. */
typedef float vec __attribute__((vector_size(16)));
typedef size_t vmask;
#define VLEN 4
#define MR 6
#define NV 2
#define KC 256
#define NC 128
static inline vec vloadu(const float *p)
{
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vstore(float *p, vec v)
{
    memcpy(p, &v, sizeof v);
}
static inline vec vload_mask(const float *p, vmask n)
{
    vec v = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n; i++)
        v[i] = p[i];
    return v;
}
static inline void vstore_mask(float *p, vmask n, vec v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = v[i];
}
#define vzero() ((vec){0.0f, 0.0f, 0.0f, 0.0f})
#define vload(p) vloadu(p)
#define vadd(a, b) ((a) + (b))
#define vset1(x) (vzero() + (x))
#define vfmadd(a, b, c) ((a) * (b) + (c))
#define vmask_first(n) ((vmask)(n))
#define vmask_all() ((vmask)VLEN)
#endif

#define NR (NV * VLEN)
#define MC GEMM_MC
#define ALIGNED __attribute__((aligned(64)))

/* The packed block of B of one call (on its stack: every thread its own):
 * NC / NR panels, each [KC][NR]. */
struct pack {
    float b[KC * NC] ALIGNED;
};

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

/* One element of A, row r and summed index k: rows contiguous along k
 * (a_rows: the samples of the forward and input-gradient products) or
 * columns contiguous (dout transposed, in the weight gradients). A is
 * read where it lies, not packed: the MR rows of a block (6 KB at most)
 * stay in L1 while every panel of B goes past them, and packing them
 * cost more than it saved (a scalar copy per element, against 1/16 of a
 * vector FMA per element and output vector). */
TILE float a_at(bool a_rows, const float *a, size_t a_rs, size_t a_cs,
                int r, size_t k)
{
    return a_rows ? a[(size_t)r * a_rs + k] : a[k * a_cs + (size_t)r];
}

/* An MRr x NVv block of sums over kc: acc = (first ? 0 : part) + the
 * chain of A's rows x B's rows (at bp, row stride ldbp: a packed panel or
 * B where it lies); then either back to part (more blocks to come) or,
 * the last block, with the bias added. part is row-major (ldp); only
 * `cols` of its columns exist, and with `edge` only those of B's rows
 * (the last vector's load is masked: never past the end of B). */
TILE void micro_kernel(bool a_rows, int MRr, int NVv, bool edge, size_t kc,
                       const float *a, size_t a_rs, size_t a_cs,
                       const float *bp, size_t ldbp, float *part, size_t ldp,
                       bool first, bool last, const float *bias, size_t cols)
{
    vmask edge_lanes = lanes(cols, NVv - 1);
    vec acc[MR][NV];
    for (int r = 0; r < MRr; r++)
        for (int v = 0; v < NVv; v++)
            acc[r][v] = first ? vzero()
                              : vload_mask(part + (size_t)r * ldp + v * VLEN,
                                           lanes(cols, v));
    for (size_t k = 0; k < kc; k++) {
        vec b[NV];
        for (int v = 0; v < NVv; v++)
            b[v] = edge && v == NVv - 1
                       ? vload_mask(bp + k * ldbp + v * VLEN, edge_lanes)
                       : vloadu(bp + k * ldbp + v * VLEN);
        for (int r = 0; r < MRr; r++) {
            vec x = vset1(a_at(a_rows, a, a_rs, a_cs, r, k));
            for (int v = 0; v < NVv; v++)
                acc[r][v] = vfmadd(x, b[v], acc[r][v]);
        }
    }
    for (int v = 0; v < NVv; v++) {
        vmask m = lanes(cols, v);
        vec bv = vzero();
        if (last && bias)
            bv = vload_mask(bias + v * VLEN, m);
        for (int r = 0; r < MRr; r++) {
            vec y = acc[r][v];
            if (last && bias)
                y = vadd(bv, y);
            vstore_mask(part + (size_t)r * ldp + v * VLEN, m, y);
        }
    }
}

/* The operands of one call and where its sums go. */
struct job {
    const float *a;
    size_t a_rs, a_cs;
    const float *B;
    size_t ldb;
    const float *bias;
    size_t M, N, K;
};

/* Rows [m0, m0 + mc) against the packed columns [n0, n0 + nc) over the
 * summed block [k0, k0 + kc): micro-kernels row panel by row panel, each
 * panel's rows of A staying in L1 while the panels of B stream past from
 * L2. Sums go to part (row stride ldp; its row 0 is row m0, column 0
 * column n0). */
TILE void block(bool a_rows, const struct job *jb, const float *bp,
                size_t m0, size_t mc, size_t n0, size_t nc, size_t k0,
                size_t kc, float *part, size_t ldp, bool first, bool last,
                bool with_bias)
{
    /* bp NULL: B read where it lies. */
    size_t ldbp = bp ? NR : jb->ldb;
    for (size_t ir = 0; ir < mc; ir += MR) {
        size_t rows = mc - ir < MR ? mc - ir : MR;
        const float *a = jb->a + (m0 + ir) * jb->a_rs + k0 * jb->a_cs;
        for (size_t jr = 0; jr < nc; jr += NR) {
            size_t cols = nc - jr < NR ? nc - jr : NR;
            const float *pb = bp ? bp + jr * kc
                                 : jb->B + k0 * jb->ldb + n0 + jr;
            bool edge = !bp && cols % VLEN != 0;
            float *pt = part + ir * ldp + jr;
            const float *bias = with_bias && jb->bias ? jb->bias + n0 + jr
                                                      : NULL;
            int nv = (int)((cols + VLEN - 1) / VLEN);
#define MICRO_EDGE(R, V, E)                                               \
    micro_kernel(a_rows, R, V, E, kc, a, jb->a_rs, jb->a_cs, pb, ldbp,    \
                 pt, ldp, first, last, bias, cols)
#define MICRO(R, V)                                                       \
    do {                                                                  \
        if (edge) MICRO_EDGE(R, V, true);                                 \
        else MICRO_EDGE(R, V, false);                                     \
    } while (0)
#define MICRO_ROWS(R)                                                     \
    do {                                                                  \
        if (nv >= NV) MICRO(R, NV);                                       \
        else if (NV > 2 && nv == 3) MICRO(R, (NV > 2 ? 3 : 1));           \
        else if (nv == 2) MICRO(R, 2);                                    \
        else MICRO(R, 1);                                                 \
    } while (0)
            switch (rows) {
            case 6: MICRO_ROWS(6); break;
            case 5: MICRO_ROWS(5); break;
            case 4: MICRO_ROWS(4); break;
            case 3: MICRO_ROWS(3); break;
            case 2: MICRO_ROWS(2); break;
            default: MICRO_ROWS(1); break;
            }
#undef MICRO_ROWS
#undef MICRO
#undef MICRO_EDGE
        }
    }
}

static void block_rows(const struct job *jb, const float *bp, size_t m0,
                       size_t mc, size_t n0, size_t nc, size_t k0, size_t kc,
                       float *part, size_t ldp, bool first, bool last,
                       bool with_bias)
{
    block(true, jb, bp, m0, mc, n0, nc, k0, kc, part, ldp, first, last,
          with_bias);
}

static void block_columns(const struct job *jb, const float *bp, size_t m0,
                          size_t mc, size_t n0, size_t nc, size_t k0,
                          size_t kc, float *part, size_t ldp, bool first,
                          bool last, bool with_bias)
{
    block(false, jb, bp, m0, mc, n0, nc, k0, kc, part, ldp, first, last,
          with_bias);
}

static void run_block(const struct job *jb, const float *bp, size_t m0,
                      size_t mc, size_t n0, size_t nc, size_t k0, size_t kc,
                      float *part, size_t ldp, bool first, bool last,
                      bool with_bias)
{
    if (jb->a_cs == 1)
        block_rows(jb, bp, m0, mc, n0, nc, k0, kc, part, ldp, first, last,
                   with_bias);
    else
        block_columns(jb, bp, m0, mc, n0, nc, k0, kc, part, ldp, first, last,
                      with_bias);
}

void gemm_product(float *C, size_t ldc, const float *a, size_t a_rs,
                  size_t a_cs, const float *B, size_t ldb, const float *bias,
                  size_t M, size_t N, size_t K)
{
    struct pack pk;
    struct job jb = {a, a_rs, a_cs, B, ldb, bias, M, N, K};
    bool packed = M >= GEMM_PACK_ROWS;
    /* BLIS's order: each block of B packed once and used by every row;
     * C holds the partial sums between the summed blocks. */
    for (size_t jc = 0; jc < N; jc += NC) {
        size_t nc = N - jc < NC ? N - jc : NC;
        for (size_t pc = 0; pc < K || pc == 0; pc += KC) {
            size_t kc = K - pc < KC ? K - pc : KC;
            if (packed)
                pack_b(pk.b, B, ldb, pc, kc, jc, nc);
            for (size_t ic = 0; ic < M; ic += MC) {
                size_t mc = M - ic < MC ? M - ic : MC;
                run_block(&jb, packed ? pk.b : NULL, ic, mc, jc, nc, pc, kc,
                          C + ic * ldc + jc, ldc, pc == 0, pc + kc >= K,
                          true);
            }
            if (kc == 0)
                break;
        }
    }
}

void gemm_product_to(const struct gemm_sink *sink, const float *a,
                     size_t a_rs, size_t a_cs, const float *B, size_t ldb,
                     size_t M, size_t N, size_t K)
{
    struct pack pk;
    float sums[MC * NC] ALIGNED;
    struct job jb = {a, a_rs, a_cs, B, ldb, NULL, M, N, K};
    /* The summed blocks innermost, so that a block of sums completes in
     * the MC x NC scratch; B's block is packed once per column block when
     * the whole sum is one block (batches up to KC). */
    /* Packing again for every row block would copy B M / MC times, so
     * with several summed blocks B is read where it lies. */
    bool one_block = K <= KC, packed = M >= GEMM_PACK_ROWS && one_block;
    for (size_t jc = 0; jc < N; jc += NC) {
        size_t nc = N - jc < NC ? N - jc : NC;
        if (packed && one_block)
            pack_b(pk.b, B, ldb, 0, K, jc, nc);
        for (size_t ic = 0; ic < M; ic += MC) {
            size_t mc = M - ic < MC ? M - ic : MC;
            for (size_t pc = 0; pc < K || pc == 0; pc += KC) {
                size_t kc = K - pc < KC ? K - pc : KC;
                run_block(&jb, packed ? pk.b : NULL, ic, mc, jc, nc, pc, kc,
                          sums, NC, pc == 0, pc + kc >= K, false);
                if (kc == 0)
                    break;
            }
            sink->done(sink, ic, jc, sums, NC, mc, nc);
        }
    }
}

