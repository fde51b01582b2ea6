/* vmath's exp, tanh and sigmoid against libm's float results (vmath.h's
 * promise: within 2 ulp, exp within 1), over the tails (overflow to inf,
 * subnormal results, underflow to 0, |x| tiny, +-0, NaN, +-inf) and a
 * dense sample of every binade; and the array forms against the scalar
 * forms, bit for bit, at every length and offset of the vectors' tails.
 * bench/vmath_sweep.c does the same over all 2^32 floats. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "vmath.h"

/* vmath.h's bounds. exp is glibc's own algorithm: 0 ulp from glibc's
 * expf where both fuse the same way, 1 where not (the portable build
 * against glibc's FMA variant; another libm's correctly rounded expf). */
#define EXP_MAX_ULP 1
/* tanh is (almost always) correctly rounded; glibc's tanhf is not, by up
 * to 2 ulp. sigmoid shares libm's float formula but for 1 ulp of exp,
 * which 1 + e^-x and the division can make 2. */
#define TANH_MAX_ULP 2
#define SIGMOID_MAX_ULP 2

/* Every 4099th float (a prime stride, so all low bit patterns occur):
 * about a million inputs, every binade of both signs. */
#define SAMPLE_STRIDE 4099u
/* Consecutive floats checked around each boundary below. */
#define RUN 4096

static float libm_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Which function, in both forms and libm's. */
enum fn { FN_EXP, FN_TANH, FN_SIGMOID };

static void array_form(enum fn f, float *y, const float *x, size_t n)
{
    if (f == FN_EXP)
        vmath_exp(y, x, n);
    else if (f == FN_TANH)
        vmath_tanh(y, x, n);
    else
        vmath_sigmoid(y, x, n);
}

static float scalar_form(enum fn f, float x)
{
    return f == FN_EXP ? vmath_expf(x)
           : f == FN_TANH ? vmath_tanhf(x) : vmath_sigmoidf(x);
}

static float libm_form(enum fn f, float x)
{
    return f == FN_EXP ? expf(x) : f == FN_TANH ? tanhf(x) : libm_sigmoid(x);
}

static int64_t max_ulp(enum fn f)
{
    return f == FN_EXP ? EXP_MAX_ULP
           : f == FN_TANH ? TANH_MAX_ULP : SIGMOID_MAX_ULP;
}

static const char *fn_name(enum fn f)
{
    return f == FN_EXP ? "exp" : f == FN_TANH ? "tanh" : "sigmoid";
}

/* Checks n inputs through the array form: each within the bound of libm
 * and equal to the scalar form. */
#define BLOCK 1024
static void check_block(enum fn f, const float *x, size_t n)
{
    float y[BLOCK];
    ck_assert_uint_le(n, BLOCK);
    array_form(f, y, x, n);
    for (size_t i = 0; i < n; i++) {
        float want = libm_form(f, x[i]);
        int64_t d = testutil_ulp_distance(y[i], want);
        ck_assert_msg(d <= max_ulp(f), "%s(%a) = %a, libm %a: %lld ulp",
                      fn_name(f), (double)x[i], (double)y[i], (double)want,
                      (long long)d);
        float s = scalar_form(f, x[i]);
        ck_assert_msg(isnan(s) ? isnan(y[i])
                               : vmath_bits32(s) == vmath_bits32(y[i]),
                      "%s(%a): array %a, scalar %a", fn_name(f),
                      (double)x[i], (double)y[i], (double)s);
    }
}

/* A run of RUN consecutive floats from x upwards, in blocks. */
static void check_run(enum fn f, float x0)
{
    float x[BLOCK];
    uint32_t b = vmath_bits32(x0);
    for (size_t done = 0; done < RUN; done += BLOCK) {
        for (size_t i = 0; i < BLOCK; i++)
            x[i] = testutil_float_of_bits(b + (uint32_t)(done + i));
        check_block(f, x, BLOCK);
    }
}

START_TEST(each_function_is_within_its_ulp_bound_of_libm_over_every_binade)
{
    enum fn f = (enum fn)_i;
    float x[BLOCK];
    size_t n = 0;
    for (uint64_t b = 0; b < (1ull << 32); b += SAMPLE_STRIDE) {
        x[n++] = testutil_float_of_bits((uint32_t)b);
        if (n == BLOCK) {
            check_block(f, x, n);
            n = 0;
        }
    }
    check_block(f, x, n);
}
END_TEST

START_TEST(each_function_is_within_its_ulp_bound_of_libm_at_the_tails)
{
    enum fn f = (enum fn)_i;
    /* Runs of consecutive floats starting at (just below) the places
     * where the result changes regime: exp's overflow, its subnormal
     * results and underflow, |x| around 1 and tiny; tanh's saturation;
     * sigmoid's 1 + e^-x ties (16.6 < -x < 17.3) and its tails. */
    static const float starts[] = {
        88.0f, 88.7f, -87.5f, -88.0f, -95.0f, -103.0f, -103.3f, -104.0f,
        0.9999f, -1.0f, 0.34f, 0x1p-24f, -0x1p-24f, 0x1p-126f, 0x1p-149f,
        -0x1p-149f, 0.0f, 9.0f, -9.01f, 0.55f, 16.6f, -16.6f, -17.0f, 17.2f,
        -103.97f, 103.97f, 1e-10f,
    };
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        check_run(f, starts[i]);
}
END_TEST

START_TEST(special_values_are_exact)
{
    ck_assert_float_eq(vmath_expf(0.0f), 1.0f);
    ck_assert_float_eq(vmath_expf(-0.0f), 1.0f);
    ck_assert(isinf(vmath_expf(INFINITY)) && vmath_expf(INFINITY) > 0);
    ck_assert_uint_eq(vmath_bits32(vmath_expf(-INFINITY)), 0);
    ck_assert(isnan(vmath_expf(NAN)));
    ck_assert(isinf(vmath_expf(89.0f)));
    ck_assert_uint_eq(vmath_bits32(vmath_expf(-104.0f)), 0);
    ck_assert_float_eq(vmath_expf(-103.5f), 0x1p-149f);
    /* A subnormal result, rounded once. */
    ck_assert(fpclassify(vmath_expf(-100.0f)) == FP_SUBNORMAL);

    ck_assert_uint_eq(vmath_bits32(vmath_tanhf(0.0f)), 0);
    ck_assert_uint_eq(vmath_bits32(vmath_tanhf(-0.0f)), 0x80000000u);
    ck_assert_float_eq(vmath_tanhf(INFINITY), 1.0f);
    ck_assert_float_eq(vmath_tanhf(-INFINITY), -1.0f);
    ck_assert_float_eq(vmath_tanhf(9.1f), 1.0f);
    ck_assert_float_eq(vmath_tanhf(-1e30f), -1.0f);
    ck_assert_float_eq(vmath_tanhf(0x1p-149f), 0x1p-149f);
    ck_assert_float_eq(vmath_tanhf(-0x1p-130f), -0x1p-130f);
    ck_assert_float_eq(vmath_tanhf(1e-10f), 1e-10f);
    ck_assert(isnan(vmath_tanhf(NAN)));

    ck_assert_float_eq(vmath_sigmoidf(0.0f), 0.5f);
    ck_assert_float_eq(vmath_sigmoidf(INFINITY), 1.0f);
    ck_assert_uint_eq(vmath_bits32(vmath_sigmoidf(-INFINITY)), 0);
    ck_assert_float_eq(vmath_sigmoidf(-89.0f), 0.0f);
    ck_assert(fpclassify(vmath_sigmoidf(-88.0f)) == FP_SUBNORMAL);
    ck_assert(isnan(vmath_sigmoidf(NAN)));

    /* The array forms on the same inputs (check_block compares). */
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN,
                              89.0f, -104.0f, -103.5f, -100.0f, 9.1f,
                              0x1p-149f, -0x1p-130f, 1e-10f, -88.0f};
    for (int f = FN_EXP; f <= FN_SIGMOID; f++)
        check_block((enum fn)f, specials, sizeof specials / sizeof *specials);
}
END_TEST

/* The kernels hand vmath a thread's rows at any offset and length: every
 * element must come out as the scalar form's, tail lanes included, in
 * place or not. */
START_TEST(array_forms_equal_scalar_forms_at_every_length_and_offset)
{
    enum { MAX_N = 40, MAX_OFFSET = 4 };
    float x[MAX_N + MAX_OFFSET], y[MAX_N + MAX_OFFSET + 1];
    for (size_t i = 0; i < MAX_N + MAX_OFFSET; i++)
        x[i] = (float)i * 0.37f - 7.0f + (i % 3 == 0 ? 50.0f : 0.0f);
    for (int f = FN_EXP; f <= FN_SIGMOID; f++)
        for (size_t off = 0; off < MAX_OFFSET; off++)
            for (size_t n = 0; n <= MAX_N; n++) {
                const float guard = 1234.5f;
                for (size_t i = 0; i < sizeof y / sizeof *y; i++)
                    y[i] = guard;
                array_form((enum fn)f, y + off, x + off, n);
                for (size_t i = 0; i < sizeof y / sizeof *y; i++) {
                    if (i < off || i >= off + n) {
                        ck_assert_float_eq(y[i], guard);
                        continue;
                    }
                    float s = scalar_form((enum fn)f, x[i]);
                    ck_assert_uint_eq(vmath_bits32(y[i]), vmath_bits32(s));
                }
                /* In place. */
                float z[MAX_N + MAX_OFFSET];
                memcpy(z, x, sizeof z);
                array_form((enum fn)f, z + off, z + off, n);
                for (size_t i = off; i < off + n; i++)
                    ck_assert_uint_eq(vmath_bits32(z[i]),
                                      vmath_bits32(y[i]));
            }
}
END_TEST

Suite *vmath_suite(void)
{
    Suite *s = suite_create("vmath");
    TCase *tc = tcase_create("vmath");
    /* About a million inputs per function; several seconds under ASan. */
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc,
        each_function_is_within_its_ulp_bound_of_libm_over_every_binade,
        FN_EXP, FN_SIGMOID + 1);
    tcase_add_loop_test(tc,
        each_function_is_within_its_ulp_bound_of_libm_at_the_tails, FN_EXP,
        FN_SIGMOID + 1);
    tcase_add_test(tc, special_values_are_exact);
    tcase_add_test(tc, array_forms_equal_scalar_forms_at_every_length_and_offset);
    suite_add_tcase(s, tc);
    return s;
}
