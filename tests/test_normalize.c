/* Tests of feature normalization (normalize.h): the statistics of each
 * kind, in the float values the weights file stores, and their use. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "normalize.h"

/* A dataset viewing a caller's [rows][cols] array (not freed). */
static struct dataset view(float *x, size_t rows, size_t cols)
{
    struct dataset ds = {0};
    ds.n_rows = rows;
    ds.n_features = cols;
    ds.x = x;
    return ds;
}

START_TEST(standard_uses_mean_and_population_std)
{
    float x[] = {1, 5, 10,
                 2, 5, 20,
                 3, 5, 30,
                 4, 5, 40};
    struct dataset ds = view(x, 4, 3);
    struct normalization nz;
    struct bp_error err = {0};
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_STANDARD, 0, &ds,
                                           &err), 0);
    ck_assert_uint_eq(nz.n, 3);
    ck_assert_float_eq(nz.mean[0], 2.5f);
    ck_assert_float_eq(nz.std[0], (float)sqrt(1.25));  /* divides by n */
    ck_assert_float_eq(nz.mean[1], 5.0f);
    ck_assert_float_eq(nz.std[1], 1.0f);               /* constant */
    ck_assert_float_eq(nz.mean[2], 25.0f);
    ck_assert_float_eq(nz.std[2], (float)sqrt(125.0));
    normalization_free(&nz);
}
END_TEST

START_TEST(standard_is_exact_for_large_means)
{
    /* A small spread around a large mean: the two-pass sum (mean first,
     * then squared deviations) gets it to the last float bit. */
    float x[] = {1e7f, 1e7f + 1, 1e7f + 2};
    struct dataset ds = view(x, 3, 1);
    struct normalization nz;
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_STANDARD, 0, &ds,
                                           NULL), 0);
    ck_assert_float_eq(nz.mean[0], 1e7f + 1);
    ck_assert_float_eq(nz.std[0], (float)sqrt(2.0 / 3.0));
    normalization_free(&nz);
}
END_TEST

START_TEST(minmax_maps_to_min_and_range)
{
    float x[] = {3, 7, -1,
                 -2, 7, 4,
                 8, 7, 0};
    struct dataset ds = view(x, 3, 3);
    struct normalization nz;
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_MINMAX, 0, &ds,
                                           NULL), 0);
    ck_assert_float_eq(nz.mean[0], -2.0f);
    ck_assert_float_eq(nz.std[0], 10.0f);
    ck_assert_float_eq(nz.mean[1], 7.0f);
    ck_assert_float_eq(nz.std[1], 1.0f);
    ck_assert_float_eq(nz.mean[2], -1.0f);
    ck_assert_float_eq(nz.std[2], 5.0f);
    ck_assert_int_eq(
        normalization_apply(&nz, NORMALIZE_MINMAX, &ds, NULL), 0);
    ck_assert_float_eq(x[0], 0.5f);
    ck_assert_float_eq(x[3], 0.0f);
    ck_assert_float_eq(x[6], 1.0f);
    ck_assert_float_eq(x[4], 0.0f);
    ck_assert_float_eq(x[5], 1.0f);
    normalization_free(&nz);
}
END_TEST

START_TEST(minmax_wider_than_float_is_an_error)
{
    float x[] = {-3e38f, 3e38f};
    struct dataset ds = view(x, 2, 1);
    struct normalization nz;
    struct bp_error err = {0};
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_MINMAX, 0, &ds,
                                           &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "data.normalize"));
    /* The hint points at what takes the values: not at "standard", which
     * can fail the same way. */
    ck_assert_ptr_nonnull(strstr(err.msg, "use \"none\""));
    ck_assert_uint_eq(nz.n, 0);
    ck_assert_ptr_null(nz.mean);
}
END_TEST

START_TEST(scale_divides_by_the_float_reciprocal)
{
    float x[] = {255, 0, 51, 102};
    struct dataset ds = view(x, 2, 2);
    struct normalization nz;
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_SCALE, 255.0, &ds,
                                           NULL), 0);
    ck_assert_uint_eq(nz.n, 2);
    ck_assert_float_eq(nz.mean[1], 0.0f);
    ck_assert_float_eq(nz.std[0], (float)(1.0 / 255.0));
    ck_assert_float_eq(nz.std[1], (float)(1.0 / 255.0));
    ck_assert_int_eq(
        normalization_apply(&nz, NORMALIZE_SCALE, &ds, NULL), 0);
    /* Applied in float: (x - 0) / (float)(1/255). */
    ck_assert_float_eq(x[0], 255.0f / (float)(1.0 / 255.0));
    ck_assert_float_eq(x[2], 51.0f / (float)(1.0 / 255.0));
    normalization_free(&nz);
}
END_TEST

START_TEST(apply_computes_x_minus_mean_over_std_in_float)
{
    float x[] = {0.1f, 0.7f, 0.3f, 1.9f, 2.2f, -0.4f};
    float orig[6];
    memcpy(orig, x, sizeof x);
    struct dataset ds = view(x, 3, 2);
    struct normalization nz;
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_STANDARD, 0, &ds,
                                           NULL), 0);
    ck_assert_int_eq(
        normalization_apply(&nz, NORMALIZE_STANDARD, &ds, NULL), 0);
    for (size_t i = 0; i < 6; i++) {
        float want = (orig[i] - nz.mean[i % 2]) / nz.std[i % 2];
        ck_assert(memcmp(&x[i], &want, sizeof want) == 0);
    }
    /* Standardized training data has mean 0 and std 1, to float
     * rounding of three values (a few ulps of 1). */
    double m = (x[0] + x[2] + x[4]) / 3.0;
    ck_assert_double_eq_tol(m, 0.0, 1e-6);
    double v = (x[0] * x[0] + x[2] * x[2] + x[4] * x[4]) / 3.0 - m * m;
    ck_assert_double_eq_tol(v, 1.0, 1e-5);
    normalization_free(&nz);
}
END_TEST

START_TEST(a_value_normalised_out_of_float_range_is_bad_input_at_its_cell)
{
    /* (x - mean) overflows for -3e38: mean 1.13e38. */
    float x[] = {3e38f, 2, -3e38f, 4, 3.4e38f, 6};
    struct dataset ds = view(x, 3, 2);
    struct normalization nz;
    struct bp_error err = {0};
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_STANDARD, 0, &ds,
                                           NULL), 0);
    ck_assert_int_eq(normalization_apply(&nz, NORMALIZE_STANDARD, &ds, &err),
                     -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    /* Rows made in code have no file: line 0, the input's number. */
    ck_assert_str_eq(err.msg, "data:0:1: -3e+38 is too far from the "
                              "column's mean for float after standard "
                              "normalization (data.normalize \"none\" keeps "
                              "it)");
    /* Every other value is what it would have been. */
    float want = (4.0f - nz.mean[1]) / nz.std[1];
    ck_assert(memcmp(&x[3], &want, sizeof want) == 0);
    /* normalization_rows says where: the first bad value, as it was. */
    float y[] = {3e38f, 2, -3e38f, 4, 3.4e38f, 6}, bad = 0;
    ck_assert_uint_eq(normalization_rows(&nz, y, 3, &bad), 2);
    ck_assert_float_eq(bad, -3e38f);
    float fine[] = {1, 2};
    ck_assert_uint_eq(normalization_rows(&nz, fine, 1, &bad), SIZE_MAX);
    normalization_free(&nz);
}
END_TEST

START_TEST(none_has_no_statistics_and_applies_nothing)
{
    float x[] = {3, 4};
    struct dataset ds = view(x, 1, 2);
    struct normalization nz;
    ck_assert_int_eq(normalization_compute(&nz, NORMALIZE_NONE, 0, &ds,
                                           NULL), 0);
    ck_assert_uint_eq(nz.n, 0);
    ck_assert_ptr_null(nz.mean);
    ck_assert_int_eq(
        normalization_apply(&nz, NORMALIZE_NONE, &ds, NULL), 0);
    ck_assert_float_eq(x[0], 3.0f);
    ck_assert_float_eq(x[1], 4.0f);
    normalization_free(&nz);
}
END_TEST

START_TEST(copy_is_deep_and_free_accepts_null)
{
    float x[] = {1, 2, 3, 5};
    struct dataset ds = view(x, 2, 2);
    struct normalization a, b;
    ck_assert_int_eq(normalization_compute(&a, NORMALIZE_STANDARD, 0, &ds,
                                           NULL), 0);
    ck_assert_int_eq(normalization_copy(&b, &a, NULL), 0);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_ptr_ne(b.mean, a.mean);
    ck_assert_ptr_ne(b.std, a.std);
    ck_assert_mem_eq(b.mean, a.mean, 2 * sizeof *a.mean);
    ck_assert_mem_eq(b.std, a.std, 2 * sizeof *a.std);
    normalization_free(&a);
    ck_assert_float_eq(b.mean[1], 3.5f);
    ck_assert_float_eq(b.std[1], 1.5f);
    normalization_free(&b);
    normalization_free(&b);
    normalization_free(NULL);

    struct normalization none = {0}, c;
    ck_assert_int_eq(normalization_copy(&c, &none, NULL), 0);
    ck_assert_uint_eq(c.n, 0);
    ck_assert_ptr_null(c.mean);
}
END_TEST

Suite *normalize_suite(void); /* called by check_main.c */

Suite *normalize_suite(void)
{
    Suite *s = suite_create("normalize");
    TCase *tc = tcase_create("normalize");
    tcase_add_test(tc, standard_uses_mean_and_population_std);
    tcase_add_test(tc, standard_is_exact_for_large_means);
    tcase_add_test(tc, minmax_maps_to_min_and_range);
    tcase_add_test(tc, minmax_wider_than_float_is_an_error);
    tcase_add_test(tc, scale_divides_by_the_float_reciprocal);
    tcase_add_test(tc, apply_computes_x_minus_mean_over_std_in_float);
    tcase_add_test(
        tc, a_value_normalised_out_of_float_range_is_bad_input_at_its_cell);
    tcase_add_test(tc, none_has_no_statistics_and_applies_nothing);
    tcase_add_test(tc, copy_is_deep_and_free_accepts_null);
    suite_add_tcase(s, tc);
    return s;
}
