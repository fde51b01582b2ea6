/* Tests of a sweep's definition (sweep.h): axes from the command line, the
 * points they span, the runs and their overrides, and the summary table's
 * order. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

/* Draws per --range in the bounds tests: enough that int:A:B meets both
 * ends with near certainty (each end has probability 1/3 per draw). */
#define TEST_DRAWS 300

static void def_init(struct sweep_def *d)
{
    memset(d, 0, sizeof *d);
    d->repeat = 1;
}

START_TEST(grid_values_split_at_top_level_commas_only)
{
    struct sweep_def d;
    struct bp_error err = {0};
    def_init(&d);
    ck_assert_int_eq(sweep_add_grid(&d, "training.betas=[0.9,0.99],[0.8,0.9]",
                                    &err), 0);
    ck_assert_int_eq(sweep_add_grid(&d, "data.label=species,\"a,b\",x y", &err),
                     0);
    ck_assert_str_eq(d.axes[0].key, "training.betas");
    ck_assert_uint_eq(d.axes[0].n_values, 2);
    ck_assert_str_eq(d.axes[0].values[0], "[0.9,0.99]");
    ck_assert_str_eq(d.axes[0].values[1], "[0.8,0.9]");
    /* Words that are not JSON become JSON strings, as --set takes them. */
    ck_assert_uint_eq(d.axes[1].n_values, 3);
    ck_assert_str_eq(d.axes[1].values[0], "\"species\"");
    ck_assert_str_eq(d.axes[1].values[1], "\"a,b\"");
    ck_assert_str_eq(d.axes[1].values[2], "\"x y\"");
    sweep_def_free(&d);
}
END_TEST

START_TEST(grid_and_range_mistakes_name_the_option)
{
    struct sweep_def d;
    struct bp_error err = {0};
    def_init(&d);
    ck_assert_int_eq(sweep_add_grid(&d, "nokey", &err), -1);
    ck_assert_str_eq(err.msg, "--grid: expected KEY=V1,V2,..., got \"nokey\"");
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,,2", &err), -1);
    ck_assert_str_eq(err.msg, "--grid: an empty value in \"1,,2\"");
    ck_assert_int_eq(sweep_add_range(&d, "lr=normal:0:1", &err), -1);
    ck_assert_str_eq(err.msg, "--range lr: expected uniform:A:B, "
                              "loguniform:A:B, int:A:B or choice:V1,V2,..., "
                              "got \"normal:0:1\"");
    ck_assert_int_eq(sweep_add_range(&d, "lr=uniform:2:1", &err), -1);
    ck_assert_str_eq(err.msg, "--range lr: uniform:A:B needs A <= B, got "
                              "\"uniform:2:1\"");
    ck_assert_int_eq(sweep_add_range(&d, "lr=loguniform:0:1", &err), -1);
    ck_assert_str_eq(err.msg, "--range lr: loguniform:A:B needs A > 0, got "
                              "\"loguniform:0:1\"");
    ck_assert_int_eq(sweep_add_range(&d, "u=int:1.5:4", &err), -1);
    ck_assert_str_eq(err.msg, "--range u: int:A:B needs whole numbers, got "
                              "\"int:1.5:4\"");
    sweep_def_free(&d);

    def_init(&d);
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,2", &err), 0);
    ck_assert_int_eq(sweep_add_grid(&d, "a=3", &err), 0);
    ck_assert_int_eq(sweep_check(&d, &err), -1);
    ck_assert_str_eq(err.msg, "a is swept twice (one --grid or --range each)");
    sweep_def_free(&d);
    def_init(&d);
    ck_assert_int_eq(sweep_add_range(&d, "a=uniform:0:1", &err), 0);
    ck_assert_int_eq(sweep_check(&d, &err), -1);
    ck_assert_str_eq(err.msg, "--range: needs --random N, the number of "
                              "points to draw");
    sweep_def_free(&d);
}
END_TEST

START_TEST(points_are_the_grid_product_last_grid_fastest)
{
    struct sweep_def d;
    struct sweep_points p;
    struct bp_error err = {0};
    def_init(&d);
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,2", &err), 0);
    ck_assert_int_eq(sweep_add_grid(&d, "b=x,y,z", &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 1, &p, &err), 0);
    ck_assert_uint_eq(p.n_points, 6);
    static const char *const want[6][2] = {
        {"1", "\"x\""}, {"1", "\"y\""}, {"1", "\"z\""},
        {"2", "\"x\""}, {"2", "\"y\""}, {"2", "\"z\""}};
    for (size_t i = 0; i < 6; i++)
        for (size_t k = 0; k < 2; k++)
            ck_assert_str_eq(p.value[i * 2 + k], want[i][k]);
    sweep_points_free(&p);
    sweep_def_free(&d);
}
END_TEST

START_TEST(random_draws_stay_in_range_and_follow_the_seed)
{
    struct sweep_def d;
    struct sweep_points p, q, other;
    struct bp_error err = {0};
    def_init(&d);
    d.random = TEST_DRAWS;
    ck_assert_int_eq(sweep_add_range(&d, "lr=loguniform:0.001:0.1", &err), 0);
    ck_assert_int_eq(sweep_add_range(&d, "u=int:4:6", &err), 0);
    ck_assert_int_eq(sweep_add_range(&d, "m=choice:0,0.9", &err), 0);
    ck_assert_int_eq(sweep_add_range(&d, "w=uniform:-1:1", &err), 0);
    ck_assert_int_eq(sweep_check(&d, &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 7, &p, &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 7, &q, &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 8, &other, &err), 0);
    ck_assert_uint_eq(p.n_points, TEST_DRAWS);
    bool seen4 = false, seen6 = false, differ = false;
    for (size_t i = 0; i < p.n_points; i++) {
        double lr = atof(p.value[i * 4]), w = atof(p.value[i * 4 + 3]);
        int u = atoi(p.value[i * 4 + 1]);
        ck_assert(lr >= 0.001 && lr <= 0.1);
        ck_assert(u >= 4 && u <= 6);
        ck_assert(w >= -1 && w < 1);
        ck_assert(strcmp(p.value[i * 4 + 2], "0") == 0 ||
                  strcmp(p.value[i * 4 + 2], "0.9") == 0);
        seen4 = seen4 || u == 4;
        seen6 = seen6 || u == 6; /* int:A:B includes B */
        for (size_t k = 0; k < 4; k++)
            ck_assert_str_eq(p.value[i * 4 + k], q.value[i * 4 + k]);
        differ = differ || strcmp(p.value[i * 4], other.value[i * 4]) != 0;
    }
    ck_assert(seen4 && seen6);
    ck_assert(differ);
    sweep_points_free(&p);
    sweep_points_free(&q);
    sweep_points_free(&other);
    sweep_def_free(&d);
}
END_TEST

START_TEST(runs_are_points_times_repeats_times_folds_with_their_overrides)
{
    struct sweep_def d;
    struct sweep_points p;
    struct bp_error err = {0};
    struct config base;
    memset(&base, 0, sizeof base);
    base.init_seed = 5;
    base.training.seed = 9;
    def_init(&d);
    d.repeat = 2;
    d.folds = 3;
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,2", &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 1, &p, &err), 0);
    ck_assert_uint_eq(sweep_run_count(&d, &p), 12);
    size_t point, repeat, fold;
    sweep_run_position(&d, 11, &point, &repeat, &fold);
    ck_assert_uint_eq(point, 1);
    ck_assert_uint_eq(repeat, 1);
    ck_assert_uint_eq(fold, 2);
    char name[64];
    sweep_run_name(&d, 7, name, sizeof name);
    ck_assert_str_eq(name, "p001-r0-f1");
    struct config_override *ov;
    size_t n;
    ck_assert_int_eq(sweep_run_overrides(&d, &p, 10, &base, &ov, &n, &err), 0);
    static const char *const want[][2] = {
        {"a", "2"},
        {"init.seed", "6"},
        {"training.seed", "10"},
        {"data.validation", "null"},
        {"data.validation_split", "0"},
        {"data.cross_validation", "{\"folds\": 3, \"fold\": 1}"}};
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(ov[i].key, want[i][0]);
        ck_assert_str_eq(ov[i].json, want[i][1]);
    }
    sweep_overrides_free(ov, n);
    /* Repeat 0 keeps the config's seeds, and without folds the run names
     * carry only what varies. */
    d.repeat = 1;
    d.folds = 0;
    ck_assert_int_eq(sweep_run_overrides(&d, &p, 1, &base, &ov, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    sweep_overrides_free(ov, n);
    sweep_run_name(&d, 1, name, sizeof name);
    ck_assert_str_eq(name, "p001");
    sweep_points_free(&p);
    sweep_def_free(&d);
}
END_TEST

START_TEST(summary_averages_folds_and_ranks_best_first)
{
    struct sweep_def d;
    struct sweep_points p;
    struct bp_error err = {0};
    def_init(&d);
    d.folds = 2;
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,2,3", &err), 0);
    ck_assert_int_eq(sweep_make_points(&d, 1, &p, &err), 0);
    struct sweep_result res[6];
    memset(res, 0, sizeof res);
    const double loss[6] = {0.3, 0.5, 0.1, 0.2, NAN, NAN};
    const double acc[6] = {0.8, 0.6, 0.9, 0.95, NAN, NAN};
    for (size_t r = 0; r < 6; r++) {
        res[r].done = r < 4; /* point 2 has no finished run */
        res[r].best[SWEEP_VALIDATION_LOSS] = loss[r];
        res[r].final[SWEEP_VALIDATION_LOSS] = loss[r] + 0.01;
        res[r].best[SWEEP_VALIDATION_ACCURACY] = acc[r];
        res[r].final[SWEEP_TRAIN_LOSS] = NAN;
        res[r].best[SWEEP_TRAIN_LOSS] = NAN;
        res[r].final[SWEEP_VALIDATION_ACCURACY] = acc[r];
    }
    struct sweep_summary *s;
    size_t n;
    ck_assert_int_eq(sweep_summarize(&d, &p, res, SWEEP_VALIDATION_LOSS, &s,
                                     &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(s[0].point, 1); /* mean 0.15 */
    ck_assert_uint_eq(s[1].point, 0); /* mean 0.4 */
    ck_assert_uint_eq(s[2].point, 2); /* nothing finished: last */
    ck_assert(fabs(s[0].mean - 0.15) < 1e-12);
    ck_assert(fabs(s[0].std - 0.05) < 1e-12); /* population std */
    ck_assert(fabs(s[0].final_mean - 0.16) < 1e-12);
    ck_assert_uint_eq(s[0].runs, 2);
    ck_assert_uint_eq(s[2].runs, 0);
    free(s);
    ck_assert_int_eq(sweep_summarize(&d, &p, res, SWEEP_VALIDATION_ACCURACY,
                                     &s, &n, &err), 0);
    ck_assert_uint_eq(s[0].point, 1); /* accuracy: highest first */
    ck_assert(fabs(s[0].mean - 0.925) < 1e-12);
    free(s);
    sweep_points_free(&p);
    sweep_def_free(&d);
}
END_TEST

START_TEST(the_definition_text_changes_with_every_part)
{
    struct sweep_def d;
    struct bp_error err = {0};
    def_init(&d);
    ck_assert_int_eq(sweep_add_grid(&d, "a=1,2", &err), 0);
    char *one = sweep_definition(&d, "{}", 2, &err);
    char *same = sweep_definition(&d, "{}", 2, &err);
    char *config = sweep_definition(&d, "{ }", 3, &err);
    d.folds = 3;
    char *folds = sweep_definition(&d, "{}", 2, &err);
    ck_assert_ptr_nonnull(one);
    ck_assert_str_eq(one, same);
    ck_assert_str_ne(one, config);
    ck_assert_str_ne(one, folds);
    free(one);
    free(same);
    free(config);
    free(folds);
    sweep_def_free(&d);
}
END_TEST

Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("definition");
    tcase_add_test(tc, grid_values_split_at_top_level_commas_only);
    tcase_add_test(tc, grid_and_range_mistakes_name_the_option);
    tcase_add_test(tc, points_are_the_grid_product_last_grid_fastest);
    tcase_add_test(tc, random_draws_stay_in_range_and_follow_the_seed);
    tcase_add_test(tc,
                   runs_are_points_times_repeats_times_folds_with_their_overrides);
    tcase_add_test(tc, summary_averages_folds_and_ranks_best_first);
    tcase_add_test(tc, the_definition_text_changes_with_every_part);
    suite_add_tcase(s, tc);
    return s;
}
