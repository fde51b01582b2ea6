/*
 * vmath: see vmath.h for the contract. Each vector function is its scalar
 * form in vmath.h, operation for operation, on 8 (AVX-512) or 4 (AVX2)
 * doubles per register, so every lane gives the scalar bits; the last
 * partial vector runs the same code on a masked or copied block. The
 * portable build loops over the scalar forms.
 */
#include "vmath.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#if defined(__AVX512F__)

/* ---- AVX-512: 16 floats a step, as two halves of 8 doubles ---- */

/* The table in four registers of 8 entries: a lane's entry by two
 * two-register permutes (bits 0-3 of the index) and a choice by bit 4. */
struct table512 {
    __m512i lo0, lo1, hi0, hi1;
};

static inline struct table512 table512_load(void)
{
    const uint64_t *t = vmath_exp2_table();
    struct table512 tb = {
        _mm512_loadu_si512(t),
        _mm512_loadu_si512(t + 8),
        _mm512_loadu_si512(t + 16),
        _mm512_loadu_si512(t + 24),
    };
    return tb;
}

/* vmath_exp2_k32 on 8 lanes. */
static inline __m512d exp2_k32_512(__m512i shifted, const struct table512 *tb)
{
    __m512i lo = _mm512_permutex2var_epi64(tb->lo0, shifted, tb->lo1);
    __m512i hi = _mm512_permutex2var_epi64(tb->hi0, shifted, tb->hi1);
    __mmask8 upper = _mm512_test_epi64_mask(shifted, _mm512_set1_epi64(16));
    __m512i t = _mm512_mask_blend_epi64(upper, lo, hi);
    __m512i e = _mm512_slli_epi64(shifted, 47);
    return _mm512_castsi512_pd(_mm512_add_epi64(t, e));
}

/* vmath_exp_core on 8 lanes. */
static inline __m512d exp_core_512(__m512d xd, const struct table512 *tb)
{
    const __m512d inv = _mm512_set1_pd(VMATH_INV_LN2_32);
    const __m512d shift = _mm512_set1_pd(VMATH_SHIFT);
    __m512d shifted = _mm512_fmadd_pd(xd, inv, shift);
    __m512d kd = _mm512_sub_pd(shifted, shift);
    __m512d r = _mm512_fmsub_pd(inv, xd, kd);
    __m512d s = exp2_k32_512(_mm512_castpd_si512(shifted), tb);
    __m512d p = _mm512_fmadd_pd(r, _mm512_set1_pd(VMATH_EXP_C0),
                                _mm512_set1_pd(VMATH_EXP_C1));
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d q = _mm512_fmadd_pd(r, _mm512_set1_pd(VMATH_EXP_C2),
                                _mm512_set1_pd(1.0));
    q = _mm512_fmadd_pd(p, r2, q);
    return _mm512_mul_pd(q, s);
}

static inline __m256 low_half(__m512 x)
{
    return _mm512_castps512_ps256(x);
}

static inline __m256 high_half(__m512 x)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
}

static inline __m512 join_halves(__m256 lo, __m256 hi)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi),
        1));
}

/* vmath_expf on 16 lanes: the core everywhere, then vmath_exp_big's
 * limits where they apply (no lane below |x| = 88 meets any of them). */
static inline __m512 exp_512(__m512 x, const struct table512 *tb)
{
    __m256 lo = _mm512_cvtpd_ps(exp_core_512(_mm512_cvtps_pd(low_half(x)), tb));
    __m256 hi = _mm512_cvtpd_ps(exp_core_512(_mm512_cvtps_pd(high_half(x)), tb));
    __m512 y = join_halves(lo, hi);
    __mmask16 over = _mm512_cmp_ps_mask(x, _mm512_set1_ps(VMATH_EXP_OVERFLOW),
                                        _CMP_GT_OQ);
    __mmask16 under = _mm512_cmp_ps_mask(
        x, _mm512_set1_ps(VMATH_EXP_UNDERFLOW), _CMP_LT_OQ);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(VMATH_EXP_TINY),
                                        _CMP_LT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    y = _mm512_mask_mov_ps(y, over, _mm512_set1_ps(INFINITY));
    y = _mm512_mask_mov_ps(y, tiny & ~under,
                           _mm512_set1_ps(VMATH_EXP_SMALLEST));
    y = _mm512_mask_mov_ps(y, under, _mm512_setzero_ps());
    return _mm512_mask_add_ps(y, nan, x, x);
}

static inline __m512 sigmoid_512(__m512 x, const struct table512 *tb)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __m512 minus_x = _mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(x), sign));
    __m512 e = exp_512(minus_x, tb);
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

/* vmath_tanh_core on 8 lanes. */
static inline __m512d tanh_core_512(__m512d a, const struct table512 *tb)
{
    const __m512d shift = _mm512_set1_pd(VMATH_SHIFT);
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d shifted = _mm512_fmadd_pd(a, _mm512_set1_pd(VMATH_INV_LN2_64),
                                      shift);
    __m512d kd = _mm512_sub_pd(shifted, shift);
    __m512d r = _mm512_fmadd_pd(kd, _mm512_set1_pd(-VMATH_LN2_32),
                                _mm512_add_pd(a, a));
    __m512d s = exp2_k32_512(_mm512_castpd_si512(shifted), tb);
    __m512d p = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 120.0),
                                _mm512_set1_pd(1.0 / 24.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 6.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d em1 = _mm512_fmadd_pd(p, r2, r);
    __m512d t = _mm512_fmadd_pd(s, em1, _mm512_sub_pd(s, one));
    return _mm512_div_pd(t, _mm512_add_pd(t, _mm512_set1_pd(2.0)));
}

static inline __m256 tanh_half_512(__m256 x, const struct table512 *tb)
{
    __m512d a = _mm512_abs_pd(_mm512_cvtps_pd(x));
    a = _mm512_min_pd(_mm512_set1_pd(VMATH_TANH_SATURATED), a);
    return _mm512_cvtpd_ps(tanh_core_512(a, tb));
}

static inline __m512 tanh_512(__m512 x, const struct table512 *tb)
{
    __m512 y = join_halves(tanh_half_512(low_half(x), tb),
                           tanh_half_512(high_half(x), tb));
    /* copysignf: x's sign bit, the magnitude's other bits (0xca selects
     * the second operand where the first is set, else the third). */
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        sign, _mm512_castps_si512(x), _mm512_castps_si512(y), 0xca));
}

/* f over the array, 16 at a time, the tail under a mask (masked loads
 * read nothing past the end; the lanes they leave zero are not stored). */
#define VMATH_ARRAY_512(f)                                                   \
    do {                                                                     \
        struct table512 tb = table512_load();                                \
        size_t i = 0;                                                        \
        for (; i + 16 <= n; i += 16)                                         \
            _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i), &tb));         \
        if (i < n) {                                                         \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                 \
            _mm512_mask_storeu_ps(y + i, m,                                  \
                                  f(_mm512_maskz_loadu_ps(m, x + i), &tb));  \
        }                                                                    \
    } while (0)

void vmath_exp(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_512(exp_512);
}

void vmath_tanh(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_512(tanh_512);
}

void vmath_sigmoid(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_512(sigmoid_512);
}

#elif defined(__AVX2__) && defined(__FMA__)

/* ---- AVX2 + FMA: 8 floats a step, as two halves of 4 doubles ---- */

/* vmath_exp2_k32 on 4 lanes: the table by a gather. */
static inline __m256d exp2_k32_256(__m256i shifted)
{
    __m256i i = _mm256_and_si256(shifted, _mm256_set1_epi64x(31));
    __m256i t = _mm256_i64gather_epi64(
        (const long long *)(const void *)vmath_exp2_table(), i, 8);
    __m256i e = _mm256_slli_epi64(shifted, 47);
    return _mm256_castsi256_pd(_mm256_add_epi64(t, e));
}

static inline __m256d exp_core_256(__m256d xd)
{
    const __m256d inv = _mm256_set1_pd(VMATH_INV_LN2_32);
    const __m256d shift = _mm256_set1_pd(VMATH_SHIFT);
    __m256d shifted = _mm256_fmadd_pd(xd, inv, shift);
    __m256d kd = _mm256_sub_pd(shifted, shift);
    __m256d r = _mm256_fmsub_pd(inv, xd, kd);
    __m256d s = exp2_k32_256(_mm256_castpd_si256(shifted));
    __m256d p = _mm256_fmadd_pd(r, _mm256_set1_pd(VMATH_EXP_C0),
                                _mm256_set1_pd(VMATH_EXP_C1));
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d q = _mm256_fmadd_pd(r, _mm256_set1_pd(VMATH_EXP_C2),
                                _mm256_set1_pd(1.0));
    q = _mm256_fmadd_pd(p, r2, q);
    return _mm256_mul_pd(q, s);
}

static inline __m256 join_halves(__m128 lo, __m128 hi)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

static inline __m256 exp_256(__m256 x)
{
    __m128 lo = _mm256_cvtpd_ps(
        exp_core_256(_mm256_cvtps_pd(_mm256_castps256_ps128(x))));
    __m128 hi = _mm256_cvtpd_ps(
        exp_core_256(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))));
    __m256 y = join_halves(lo, hi);
    __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(VMATH_EXP_OVERFLOW),
                                _CMP_GT_OQ);
    __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(VMATH_EXP_UNDERFLOW),
                                 _CMP_LT_OQ);
    __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(VMATH_EXP_TINY),
                                _CMP_LT_OQ);
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(VMATH_EXP_SMALLEST), tiny);
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), under);
    return _mm256_blendv_ps(y, _mm256_add_ps(x, x), nan);
}

static inline __m256 sigmoid_256(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = exp_256(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f)));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

static inline __m256d tanh_core_256(__m256d a)
{
    const __m256d shift = _mm256_set1_pd(VMATH_SHIFT);
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d shifted = _mm256_fmadd_pd(a, _mm256_set1_pd(VMATH_INV_LN2_64),
                                      shift);
    __m256d kd = _mm256_sub_pd(shifted, shift);
    __m256d r = _mm256_fmadd_pd(kd, _mm256_set1_pd(-VMATH_LN2_32),
                                _mm256_add_pd(a, a));
    __m256d s = exp2_k32_256(_mm256_castpd_si256(shifted));
    __m256d p = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 120.0),
                                _mm256_set1_pd(1.0 / 24.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 6.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d em1 = _mm256_fmadd_pd(p, r2, r);
    __m256d t = _mm256_fmadd_pd(s, em1, _mm256_sub_pd(s, one));
    return _mm256_div_pd(t, _mm256_add_pd(t, _mm256_set1_pd(2.0)));
}

static inline __m128 tanh_half_256(__m128 x)
{
    const __m256d abs_mask = _mm256_castsi256_pd(
        _mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256d a = _mm256_and_pd(_mm256_cvtps_pd(x), abs_mask);
    a = _mm256_min_pd(_mm256_set1_pd(VMATH_TANH_SATURATED), a);
    return _mm256_cvtpd_ps(tanh_core_256(a));
}

static inline __m256 tanh_256(__m256 x)
{
    __m256 y = join_halves(tanh_half_256(_mm256_castps256_ps128(x)),
                           tanh_half_256(_mm256_extractf128_ps(x, 1)));
    const __m256 sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, y), _mm256_and_ps(sign, x));
}

/* f over the array, 8 at a time; the tail copied through a block of 8
 * (its unused lanes zero) so it runs the same code. */
#define VMATH_ARRAY_256(f)                                                   \
    do {                                                                     \
        size_t i = 0;                                                        \
        for (; i + 8 <= n; i += 8)                                           \
            _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));              \
        if (i < n) {                                                         \
            float block[8] = {0};                                            \
            memcpy(block, x + i, (n - i) * sizeof *x);                       \
            _mm256_storeu_ps(block, f(_mm256_loadu_ps(block)));              \
            memcpy(y + i, block, (n - i) * sizeof *y);                       \
        }                                                                    \
    } while (0)

void vmath_exp(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_256(exp_256);
}

void vmath_tanh(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_256(tanh_256);
}

void vmath_sigmoid(float *y, const float *x, size_t n)
{
    VMATH_ARRAY_256(sigmoid_256);
}

#else

/* ---- Portable C: the scalar forms one element at a time ---- */

void vmath_exp(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = vmath_expf(x[i]);
}

void vmath_tanh(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = vmath_tanhf(x[i]);
}

void vmath_sigmoid(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = vmath_sigmoidf(x[i]);
}

#endif
