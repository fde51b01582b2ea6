/* Tests of the dataset layer (dataset.h): which column is what, label
 * checks with their positions, features-only input, targets, the split. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "dataset.h"
#include "testutil.h"

/* A config as config_load would leave it: `input` features, one hidden
 * layer of 4 units, and an output layer of `outputs` units. */
static void make_config(struct config *cfg, size_t input, size_t outputs,
                        enum activation out_act, enum loss_kind loss)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = strdup("cfg.json");
    cfg->input = input;
    cfg->n_layers = 2;
    cfg->layers = calloc(2, sizeof *cfg->layers);
    ck_assert_ptr_nonnull(cfg->layers);
    cfg->layers[0].units = 4;
    cfg->layers[0].activation = ACT_RELU;
    cfg->layers[1].units = outputs;
    cfg->layers[1].activation = out_act;
    cfg->loss = loss;
    cfg->data.header = true;
}

static void classifier(struct config *cfg, size_t input, size_t classes)
{
    make_config(cfg, input, classes, ACT_SOFTMAX, LOSS_CROSS_ENTROPY);
}

static void regressor(struct config *cfg, size_t input, size_t outputs)
{
    make_config(cfg, input, outputs, ACT_LINEAR, LOSS_MSE);
}

static void set_label_name(struct config *cfg, const char *name)
{
    cfg->data.has_label = true;
    cfg->data.label.name = strdup(name);
}

static void set_label_index(struct config *cfg, size_t index)
{
    cfg->data.has_label = true;
    cfg->data.label.index = index;
}

/* Loads `text` from a temporary file; the path is kept for messages. */
static char path[512];

static int load(struct dataset *ds, const char *text,
                const struct config *cfg, bool optional, struct bp_error *err)
{
    const char *p = testutil_write("backprop_test_dataset.csv", text);
    ck_assert_ptr_nonnull(p);
    snprintf(path, sizeof path, "%s", p);
    return dataset_load(ds, path, cfg, optional, 2, err);
}

/* Loads `text`, which must fail with the message fmt, "%s" being the
 * file's path. */
static void expect_error(const char *text, const struct config *cfg,
                         bool optional, const char *fmt)
{
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, text, cfg, optional, &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    /* Every "%s" of fmt stands for the path (a format from a variable
     * would defeat -Wformat-nonliteral). */
    char want[BP_ERROR_MAX];
    size_t o = 0;
    for (const char *p = fmt; *p && o + 1 < sizeof want;) {
        if (p[0] == '%' && p[1] == 's') {
            o += (size_t)snprintf(want + o, sizeof want - o, "%s", path);
            p += 2;
        } else {
            want[o++] = *p++;
        }
    }
    want[o < sizeof want ? o : sizeof want - 1] = '\0';
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(ds.x);
    ck_assert_ptr_null(ds.label);
    ck_assert_uint_eq(ds.n_rows, 0);
}

static void assert_floats(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "[%zu]: %g, expected %g", i,
                      (double)got[i], (double)want[i]);
}

START_TEST(label_by_name_leaves_the_other_columns_as_features)
{
    struct config cfg;
    classifier(&cfg, 3, 3);
    set_label_name(&cfg, "species");
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "a,species,b,c\n1,0,2,3\n4,2,5,6\n", &cfg,
                          false, &err), 0);
    ck_assert_uint_eq(ds.n_rows, 2);
    ck_assert_uint_eq(ds.n_features, 3);
    ck_assert_uint_eq(ds.n_classes, 3);
    ck_assert_uint_eq(ds.n_outputs, 3);
    ck_assert(ds.has_targets);
    ck_assert_ptr_null(ds.y);
    assert_floats(ds.x, (const float[]){1, 2, 3, 4, 5, 6}, 6);
    ck_assert_uint_eq(ds.label[0], 0);
    ck_assert_uint_eq(ds.label[1], 2);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(label_by_index_works_without_a_header)
{
    struct config cfg;
    classifier(&cfg, 2, 2);
    cfg.data.header = false;
    set_label_index(&cfg, 0);
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "1,7,8\n0,9,10\n1,11,12\n", &cfg, false,
                          &err), 0);
    ck_assert_uint_eq(ds.n_rows, 3);
    assert_floats(ds.x, (const float[]){7, 8, 9, 10, 11, 12}, 6);
    ck_assert_uint_eq(ds.label[0], 1);
    ck_assert_uint_eq(ds.label[1], 0);
    ck_assert_uint_eq(ds.label[2], 1);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(classifier_label_defaults_to_the_last_column)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "x,y,k\n0.5,1.5,2\n2.5,3.5,1\n", &cfg, false,
                          &err), 0);
    assert_floats(ds.x, (const float[]){0.5f, 1.5f, 2.5f, 3.5f}, 4);
    ck_assert_uint_eq(ds.label[0], 2);
    ck_assert_uint_eq(ds.label[1], 1);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(targets_by_name_and_index_for_regression)
{
    struct config cfg;
    regressor(&cfg, 2, 2);
    cfg.data.n_targets = 2;
    cfg.data.targets = calloc(2, sizeof *cfg.data.targets);
    cfg.data.targets[0].name = strdup("t2");
    cfg.data.targets[1].index = 0;  /* t1, by index */
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "t1,f1,t2,f2\n1,2,3,4\n5,6,7,8\n", &cfg,
                          false, &err), 0);
    ck_assert_uint_eq(ds.n_classes, 0);
    ck_assert_ptr_null(ds.label);
    assert_floats(ds.x, (const float[]){2, 4, 6, 8}, 4);
    /* y follows the order of data.targets, not of the file. */
    assert_floats(ds.y, (const float[]){3, 1, 7, 5}, 4);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(regression_targets_default_to_the_last_columns)
{
    struct config cfg;
    regressor(&cfg, 1, 2);
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "f,a,b\n1,2,3\n4,5,6\n", &cfg, false, &err),
                     0);
    assert_floats(ds.x, (const float[]){1, 4}, 2);
    assert_floats(ds.y, (const float[]){2, 3, 5, 6}, 4);

    size_t idx[] = {1, 0};
    float out[4];
    dataset_targets(&ds, idx, 2, out);
    assert_floats(out, (const float[]){5, 6, 2, 3}, 4);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(targets_are_one_hot_or_the_label_itself)
{
    struct config cfg;
    classifier(&cfg, 1, 3);
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "f,k\n9,2\n8,0\n", &cfg, false, &err), 0);
    size_t idx[] = {1, 0};
    float out[6];
    dataset_targets(&ds, idx, 2, out);
    assert_floats(out, (const float[]){1, 0, 0, 0, 0, 1}, 6);
    dataset_free(&ds);
    config_free(&cfg);

    /* One sigmoid unit: K = 2, and the target is the 0/1 label. */
    make_config(&cfg, 1, 1, ACT_SIGMOID, LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(load(&ds, "f,k\n9,1\n8,0\n", &cfg, false, &err), 0);
    ck_assert_uint_eq(ds.n_classes, 2);
    float one[2];
    dataset_targets(&ds, (const size_t[]){0, 1}, 2, one);
    assert_floats(one, (const float[]){1, 0}, 2);
    dataset_free(&ds);
    expect_error("f,k\n9,1\n8,2\n", &cfg, false,
                 "%s:3:2: label 2 is out of range 0..1 (the last layer has "
                 "one unit: labels 0 and 1)");
    config_free(&cfg);
}
END_TEST

START_TEST(missing_named_column_lists_the_columns)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    set_label_name(&cfg, "x");
    expect_error("a,b,c\n1,2,0\n", &cfg, false,
                 "%s:1:1: no column named \"x\" (data.label of cfg.json); "
                 "its columns: \"a\", \"b\", \"c\"");
    config_free(&cfg);

    regressor(&cfg, 2, 1);
    cfg.data.n_targets = 1;
    cfg.data.targets = calloc(1, sizeof *cfg.data.targets);
    cfg.data.targets[0].name = strdup("price");
    expect_error("a,b,cost\n1,2,0\n", &cfg, false,
                 "%s:1:1: no column named \"price\" (data.targets[0] of "
                 "cfg.json); its columns: \"a\", "
                 "\"b\", \"cost\"");
    config_free(&cfg);
}
END_TEST

/* Found by tests/fuzz/fuzz_csv: header names (any bytes, a quoted field
 * may hold a line end) and names from the config went into messages raw,
 * splitting the one-line message (SPEC section 2). */
START_TEST(column_names_in_messages_show_control_characters_escaped)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    set_label_name(&cfg, "x\ny");
    expect_error("\"a\nb\",\"c\rd\",e\n1,2,0\n", &cfg, false,
                 "%s:1:1: no column named \"x\\x0ay\" (data.label of "
                 "cfg.json); its columns: \"a\\x0ab\", \"c\\x0dd\", \"e\"");
    config_free(&cfg);

    classifier(&cfg, 4, 3);
    set_label_name(&cfg, "sp\r\necies");
    expect_error("a,b,\"sp\r\necies\"\n1,2,0\n", &cfg, false,
                 "%s:1:4: expected 5 columns (4 features + label "
                 "\"sp\\x0d\\x0aecies\"), found 3");
    config_free(&cfg);
}
END_TEST

START_TEST(label_name_needs_a_header)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    cfg.data.header = false;
    set_label_name(&cfg, "species");
    expect_error("1,2,0\n", &cfg, false,
                 "cfg.json: data.label: a column name (\"species\") needs "
                 "data.header true; give a 0-based index");
    config_free(&cfg);
}
END_TEST

START_TEST(wrong_column_count_names_the_expected_layout)
{
    struct config cfg;
    classifier(&cfg, 4, 3);
    set_label_name(&cfg, "species");
    expect_error("a,b,species,c\n1,2,0,3\n", &cfg, false,
                 "%s:1:5: expected 5 columns (4 features + label "
                 "\"species\"), found 4");
    expect_error("\na,b,species,c,d,e\n1,2,0,3,4,5\n", &cfg, false,
                 "%s:2:6: expected 5 columns (4 features + label "
                 "\"species\"), found 6");
    config_free(&cfg);

    regressor(&cfg, 1, 2);
    cfg.data.header = false;
    expect_error("\n\n1,2\n", &cfg, false,
                 "%s:3:3: expected 3 columns (1 feature + 2 targets), "
                 "found 2");
    config_free(&cfg);
}
END_TEST

START_TEST(labels_must_be_whole_and_in_range)
{
    struct config cfg;
    classifier(&cfg, 4, 3);
    set_label_name(&cfg, "species");
    expect_error("a,b,c,d,species\n1,2,3,4,0\n1,2,3,4,3\n", &cfg, false,
                 "%s:3:5: label 3 is out of range 0..2 (the last layer has 3 "
                 "classes)");
    expect_error("a,b,c,d,species\n1,2,3,4,1.5\n", &cfg, false,
                 "%s:2:5: label 1.5 is not a whole number");
    expect_error("a,b,c,d,species\n\n1,2,3,4,-1\n", &cfg, false,
                 "%s:3:5: label -1 is out of range 0..2 (the last layer has 3 "
                 "classes)");
    config_free(&cfg);
}
END_TEST

START_TEST(csv_errors_carry_the_file_name)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    expect_error("a,b,c\n1,x,0\n", &cfg, false,
                 "%s:2:2: expected a number, got \"x\"");
    config_free(&cfg);
}
END_TEST

START_TEST(features_only_file_is_prediction_input)
{
    struct config cfg;
    classifier(&cfg, 3, 3);
    set_label_name(&cfg, "species");
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(load(&ds, "a,b,c\n1,2,3\n4,5,6\n", &cfg, true, &err),
                     0);
    ck_assert(!ds.has_targets);
    ck_assert_ptr_null(ds.label);
    ck_assert_ptr_null(ds.y);
    ck_assert_uint_eq(ds.n_classes, 3);
    assert_floats(ds.x, (const float[]){1, 2, 3, 4, 5, 6}, 6);
    dataset_free(&ds);

    /* With targets present, they are still split off. */
    ck_assert_int_eq(load(&ds, "a,b,c,species\n1,2,3,1\n", &cfg, true, &err),
                     0);
    ck_assert(ds.has_targets);
    ck_assert_uint_eq(ds.label[0], 1);
    dataset_free(&ds);

    /* Without targets_optional the label column is required. */
    expect_error("a,b,c\n1,2,3\n", &cfg, false,
                 "%s:1:1: no column named \"species\" (data.label of "
                 "cfg.json); its columns: \"a\", \"b\", \"c\"");
    config_free(&cfg);

    regressor(&cfg, 2, 1);
    expect_error("a,b\n1,2\n", &cfg, false,
                 "%s:1:3: expected 3 columns (2 features + 1 target), found "
                 "2");
    config_free(&cfg);
}
END_TEST

START_TEST(missing_file_is_bad_input)
{
    struct config cfg;
    classifier(&cfg, 2, 3);
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(dataset_load(&ds, "/nonexistent/backprop.csv", &cfg,
                                  false, 2, &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/backprop.csv: "));
    config_free(&cfg);
}
END_TEST

START_TEST(dash_reads_standard_input)
{
    /* Check runs each test in its own child, so replacing stdin here
     * touches no other test. */
    struct config cfg;
    classifier(&cfg, 1, 2);
    const char *p = testutil_write("backprop_test_stdin.csv", "x,k\n3,1\n");
    ck_assert_ptr_nonnull(freopen(p, "rb", stdin));
    struct dataset ds;
    struct bp_error err = {0};
    ck_assert_int_eq(dataset_load(&ds, "-", &cfg, false, 2, &err), 0);
    ck_assert_float_eq(ds.x[0], 3.0f);
    ck_assert_uint_eq(ds.label[0], 1);
    dataset_free(&ds);

    ck_assert_ptr_nonnull(freopen(p, "rb", stdin));
    cfg.data.header = false;
    ck_assert_int_eq(dataset_load(&ds, "-", &cfg, false, 2, &err), -1);
    ck_assert_str_eq(err.msg, "<stdin>:1:1: expected a number, got \"x\"");
    config_free(&cfg);
}
END_TEST

/* 10 rows whose only feature is the row number. */
static void ten_rows(struct dataset *ds, struct config *cfg)
{
    classifier(cfg, 1, 2);
    struct bp_error err = {0};
    ck_assert_int_eq(load(ds, "f,k\n0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n7,1\n"
                              "8,0\n9,1\n", cfg, false, &err), 0);
}

START_TEST(split_holds_out_a_rounded_fraction_in_file_order)
{
    struct config cfg;
    struct dataset all, train, val;
    ten_rows(&all, &cfg);
    struct bp_error err = {0};
    ck_assert_int_eq(dataset_split(&all, 0.25, 7, &train, &val, &err), 0);
    ck_assert_uint_eq(val.n_rows, 3);  /* round(2.5) */
    ck_assert_uint_eq(train.n_rows, 7);
    bool seen[10] = {false};
    for (size_t i = 0; i < train.n_rows; i++) {
        size_t r = (size_t)train.x[i];
        ck_assert(!seen[r]);
        seen[r] = true;
        ck_assert_uint_eq(train.label[i], r % 2);
        if (i)
            ck_assert(train.x[i] > train.x[i - 1]);
    }
    for (size_t i = 0; i < val.n_rows; i++) {
        size_t r = (size_t)val.x[i];
        ck_assert(!seen[r]);
        seen[r] = true;
        ck_assert_uint_eq(val.label[i], r % 2);
        if (i)
            ck_assert(val.x[i] > val.x[i - 1]);
    }
    ck_assert_uint_eq(train.n_features, 1);
    ck_assert_uint_eq(val.n_classes, 2);
    /* `all` is left intact. */
    ck_assert_uint_eq(all.n_rows, 10);
    ck_assert_float_eq(all.x[9], 9.0f);
    dataset_free(&train);
    dataset_free(&val);
    dataset_free(&all);
    config_free(&cfg);
}
END_TEST

START_TEST(split_is_determined_by_the_seed)
{
    struct config cfg;
    struct dataset all, a_train, a_val, b_train, b_val;
    ten_rows(&all, &cfg);
    ck_assert_int_eq(dataset_split(&all, 0.5, 42, &a_train, &a_val, NULL), 0);
    ck_assert_int_eq(dataset_split(&all, 0.5, 42, &b_train, &b_val, NULL), 0);
    ck_assert_mem_eq(a_val.x, b_val.x, 5 * sizeof(float));
    ck_assert_mem_eq(a_train.x, b_train.x, 5 * sizeof(float));
    dataset_free(&b_train);
    dataset_free(&b_val);

    /* Some other seed draws another set (252 ways to choose 5 of 10). */
    bool differs = false;
    for (uint64_t seed = 1; seed <= 8 && !differs; seed++) {
        ck_assert_int_eq(dataset_split(&all, 0.5, seed, &b_train, &b_val,
                                       NULL), 0);
        differs = memcmp(a_val.x, b_val.x, 5 * sizeof(float)) != 0;
        dataset_free(&b_train);
        dataset_free(&b_val);
    }
    ck_assert(differs);
    dataset_free(&a_train);
    dataset_free(&a_val);
    dataset_free(&all);
    config_free(&cfg);
}
END_TEST

START_TEST(split_needs_rows_on_both_sides)
{
    struct config cfg;
    struct dataset all, train, val;
    ten_rows(&all, &cfg);
    struct bp_error err = {0};
    ck_assert_int_eq(dataset_split(&all, 0.04, 1, &train, &val, &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "data.validation_split"));
    ck_assert_ptr_null(train.x);
    ck_assert_ptr_null(val.x);
    ck_assert_int_eq(dataset_split(&all, 0.96, 1, &train, &val, &err), -1);
    ck_assert_int_eq(dataset_split(&all, 0.0, 1, &train, &val, &err), -1);
    ck_assert_int_eq(dataset_split(&all, 0.05, 1, &train, &val, &err), 0);
    ck_assert_uint_eq(val.n_rows, 1);  /* round(0.5) is 1 */
    dataset_free(&train);
    dataset_free(&val);
    dataset_free(&all);
    dataset_free(&all);
    dataset_free(NULL);
    config_free(&cfg);
}
END_TEST

Suite *dataset_suite(void); /* called by check_main.c */

Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *map = tcase_create("columns");
    tcase_add_test(map, label_by_name_leaves_the_other_columns_as_features);
    tcase_add_test(map, label_by_index_works_without_a_header);
    tcase_add_test(map, classifier_label_defaults_to_the_last_column);
    tcase_add_test(map, targets_by_name_and_index_for_regression);
    tcase_add_test(map, regression_targets_default_to_the_last_columns);
    tcase_add_test(map, targets_are_one_hot_or_the_label_itself);
    tcase_add_test(map, features_only_file_is_prediction_input);
    tcase_add_test(map, dash_reads_standard_input);
    suite_add_tcase(s, map);

    TCase *bad = tcase_create("errors");
    tcase_add_test(bad, missing_named_column_lists_the_columns);
    tcase_add_test(bad, column_names_in_messages_show_control_characters_escaped);
    tcase_add_test(bad, label_name_needs_a_header);
    tcase_add_test(bad, wrong_column_count_names_the_expected_layout);
    tcase_add_test(bad, labels_must_be_whole_and_in_range);
    tcase_add_test(bad, csv_errors_carry_the_file_name);
    tcase_add_test(bad, missing_file_is_bad_input);
    suite_add_tcase(s, bad);

    TCase *split = tcase_create("split");
    tcase_add_test(split, split_holds_out_a_rounded_fraction_in_file_order);
    tcase_add_test(split, split_is_determined_by_the_seed);
    tcase_add_test(split, split_needs_rows_on_both_sides);
    suite_add_tcase(s, split);
    return s;
}
