/* Tests of real-world tables (SPEC section 5a) through the dataset layer:
 * class names, column selection, one-hot categories, missing cells, and
 * later files read by name. Configs go through config_parse_buffer so
 * every default is filled as for a real config file; each rule and each
 * message of section 5a is checked, messages as whole strings. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "normalize.h"
#include "testutil.h"

/* Means of a few small decimals, summed in double and rounded to float
 * once: within one float rounding (2^-23 relative) of the exact mean. */
#define MEAN_TOLERANCE 1e-6

static struct config cfg;
static struct bp_error err;
/* The training file's path and a later file's (validation, eval). */
static char train_path[512], other_path[512];

static void teardown(void)
{
    config_free(&cfg);
    if (train_path[0])
        unlink(train_path);
    if (other_path[0])
        unlink(other_path);
}

/* Parses json as the config "cfg.json"; it must be valid. */
static void config(const char *json)
{
    memset(&err, 0, sizeof err);
    int rc = config_parse_buffer(&cfg, "cfg.json", json, strlen(json), NULL,
                                 0, &err);
    ck_assert_msg(rc == 0, "config: %s", err.msg);
}

static const char *write_csv(char *dst, const char *which, const char *text)
{
    char name[64];
    snprintf(name, sizeof name, "test_columns_%s_%ld.csv", which,
             (long)getpid());
    const char *p = testutil_write(name, text);
    ck_assert_ptr_nonnull(p);
    snprintf(dst, 512, "%s", p);
    return dst;
}

/* Trains on `text`: dataset_load_training against cfg. */
static int train(struct dataset *ds, const char *text)
{
    memset(&err, 0, sizeof err);
    write_csv(train_path, "train", text);
    return dataset_load_training(ds, train_path, &cfg, 1, &err);
}

/* Reads `text` as a later file (validation or eval; targets_optional as
 * for predict) against cfg as training left it. */
static int later(struct dataset *ds, const char *text, bool optional)
{
    memset(&err, 0, sizeof err);
    write_csv(other_path, "other", text);
    return dataset_load(ds, other_path, &cfg, optional, 1, &err);
}

/* fmt with every "%T" replaced by the training file's path and "%O" by
 * the later file's. */
static const char *expand(const char *fmt)
{
    static char out[BP_ERROR_MAX];
    size_t o = 0;
    for (const char *p = fmt; *p && o + 1 < sizeof out;) {
        if (p[0] == '%' && (p[1] == 'T' || p[1] == 'O')) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s",
                                  p[1] == 'T' ? train_path : other_path);
            p += 2;
        } else {
            out[o++] = *p++;
        }
    }
    out[o < sizeof out ? o : sizeof out - 1] = '\0';
    return out;
}

static void expect_train_error(const char *text, const char *fmt)
{
    struct dataset ds;
    ck_assert_int_eq(train(&ds, text), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg, expand(fmt));
    ck_assert_ptr_null(ds.x);
    ck_assert_uint_eq(ds.n_rows, 0);
}

static void expect_later_error(const char *text, bool optional,
                               const char *fmt)
{
    struct dataset ds;
    ck_assert_int_eq(later(&ds, text, optional), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg, expand(fmt));
    ck_assert_ptr_null(ds.x);
}

static void expect_train_ok(struct dataset *ds, const char *text)
{
    int rc = train(ds, text);
    ck_assert_msg(rc == 0, "train: %s", err.msg);
}

static void expect_later_ok(struct dataset *ds, const char *text,
                            bool optional)
{
    int rc = later(ds, text, optional);
    ck_assert_msg(rc == 0, "later file: %s", err.msg);
}

static void assert_floats(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i] ||
                          (isnan(got[i]) && isnan(want[i])),
                      "[%zu]: %g, expected %g", i, (double)got[i],
                      (double)want[i]);
}

static void assert_labels(const uint32_t *got, const uint32_t *want,
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "label[%zu]: %u, expected %u", i,
                      got[i], want[i]);
}

static void assert_names(char *const *got, size_t n_got,
                         const char *const *want, size_t n_want)
{
    ck_assert_uint_eq(n_got, n_want);
    for (size_t i = 0; i < n_want; i++)
        ck_assert_str_eq(got[i], want[i]);
}

static void assert_categories(const char *column, const char *const *want,
                              size_t n)
{
    const struct category_set *set = config_categories(&cfg, column);
    ck_assert_msg(set != NULL, "no categories for %s", column);
    assert_names(set->values, set->n, want, n);
}

/* A softmax classifier of `classes` units on 2 inputs, plus `data`. */
#define CLASSIFIER(classes, data)                                          \
    "{\"input\": 2, \"layers\": [{\"units\": 4, \"activation\": "          \
    "\"relu\"}, {\"units\": " #classes ", \"activation\": \"softmax\"}], " \
    "\"data\": " data "}"

/* ---- class names ---- */

START_TEST(class_names_are_learned_in_byte_order_and_saved)
{
    config(CLASSIFIER(3, "{\"label\": \"species\"}"));
    struct dataset ds;
    /* Byte order, as LabelEncoder: capitals before small letters. */
    expect_train_ok(&ds, "a,b,species\n1,2,setosa\n3,4,Virginica\n"
                         "5,6,versicolor\n7,8,setosa\n");
    static const char *const want[] = {"Virginica", "setosa", "versicolor"};
    assert_names(cfg.data.classes, cfg.data.n_classes, want, 3);
    ck_assert_uint_eq(ds.n_classes, 3);
    assert_labels(ds.label, (const uint32_t[]){1, 0, 2, 1}, 4);
    assert_floats(ds.x, (const float[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
    dataset_free(&ds);

    /* A later file is read against the saved names. */
    expect_later_ok(&ds, "a,b,species\n0,0,versicolor\n0,0,Virginica\n",
                    false);
    assert_labels(ds.label, (const uint32_t[]){2, 0}, 2);
    dataset_free(&ds);
}
END_TEST

START_TEST(given_class_names_fix_the_order)
{
    config(CLASSIFIER(3, "{\"label\": \"species\", \"classes\": "
                         "[\"versicolor\", \"setosa\", \"Virginica\"]}"));
    struct dataset ds;
    expect_train_ok(&ds, "a,b,species\n1,2,setosa\n3,4,Virginica\n"
                         "5,6,versicolor\n");
    static const char *const want[] = {"versicolor", "setosa", "Virginica"};
    assert_names(cfg.data.classes, cfg.data.n_classes, want, 3);
    assert_labels(ds.label, (const uint32_t[]){1, 2, 0}, 3);
    dataset_free(&ds);

    /* Training data need not hold every class. */
    expect_train_ok(&ds, "a,b,species\n1,2,Virginica\n");
    assert_labels(ds.label, (const uint32_t[]){2}, 1);
    dataset_free(&ds);
}
END_TEST

START_TEST(unknown_class_names_its_cell_and_the_classes)
{
    config(CLASSIFIER(3, "{\"label\": \"species\", \"classes\": "
                         "[\"versicolor\", \"setosa\", \"Virginica\"]}"));
    expect_train_error("a,b,species\n1,2,setosa\n\n3,4,virginica\n",
                       "%T:4:3: unknown class \"virginica\" (expected one "
                       "of: \"versicolor\", \"setosa\", \"Virginica\")");
    config_free(&cfg);

    /* Learned names: a validation file's new name is refused the same
     * way. */
    config(CLASSIFIER(2, "{\"label\": 0}"));
    struct dataset ds;
    expect_train_ok(&ds, "k,a,b\nno,1,2\nyes,3,4\n");
    dataset_free(&ds);
    expect_later_error("k,a,b\nyes,1,2\nmaybe,3,4\n", false,
                       "%O:3:1: unknown class \"maybe\" (expected one of: "
                       "\"no\", \"yes\")");
}
END_TEST

START_TEST(learned_class_names_must_match_the_last_layer)
{
    config(CLASSIFIER(3, "{\"label\": \"k\"}"));
    expect_train_error("a,b,k\n1,2,cat\n3,4,dog\n5,6,cat\n",
                       "cfg.json: data.label: %T holds 2 class names "
                       "(\"cat\", \"dog\"; the first cell that is not a "
                       "number: %T:2:3), but the last layer has 3 "
                       "classes; give data.classes, or size the last layer");
    expect_train_error("a,b,k\n1,2,a\n3,4,b\n5,6,c\n7,8,d\n",
                       "cfg.json: data.label: %T holds 4 class names "
                       "(\"a\", \"b\", \"c\", \"d\"; the first cell that is "
                       "not a number: %T:2:3), but the last layer has "
                       "3 classes; give data.classes, or size the last "
                       "layer");
    ck_assert_uint_eq(cfg.data.n_classes, 0);
}
END_TEST

START_TEST(one_sigmoid_unit_takes_exactly_two_names)
{
    static const char json[] =
        "{\"input\": 2, \"layers\": [{\"units\": 1, \"activation\": "
        "\"sigmoid\"}], \"loss\": \"cross_entropy\", \"data\": "
        "{\"label\": \"k\"}}";
    config(json);
    expect_train_error("a,b,k\n1,2,cat\n3,4,dog\n5,6,eel\n",
                       "cfg.json: data.label: %T holds 3 class names "
                       "(\"cat\", \"dog\", \"eel\"; the first cell that is "
                       "not a number: %T:2:3), but the last layer has "
                       "2 classes (one sigmoid unit: two names); give "
                       "data.classes, or size the last layer");
    expect_train_error("a,b,k\n1,2,cat\n3,4,cat\n",
                       "cfg.json: data.label: %T holds 1 class name "
                       "(\"cat\"; the first cell that is not a number: "
                       "%T:2:3), but the last layer has 2 classes (one "
                       "sigmoid unit: two names); give data.classes, or "
                       "size the last layer");
    struct dataset ds;
    expect_train_ok(&ds, "a,b,k\n1,2,dog\n3,4,cat\n");
    static const char *const want[] = {"cat", "dog"};
    assert_names(cfg.data.classes, cfg.data.n_classes, want, 2);
    /* The single unit's target is the label itself: dog is 1. */
    float t[2];
    dataset_targets(&ds, (const size_t[]){0, 1}, 2, t);
    assert_floats(t, (const float[]){1, 0}, 2);
    dataset_free(&ds);
    config_free(&cfg);

    /* Three given names for one sigmoid unit: a config error. */
    static const char three[] =
        "{\"input\": 2, \"layers\": [{\"units\": 1, \"activation\": "
        "\"sigmoid\"}], \"loss\": \"cross_entropy\", \"data\": "
        "{\"label\": \"k\", \"classes\": [\"a\", \"b\", \"c\"]}}";
    ck_assert_int_eq(config_parse_buffer(&cfg, "cfg.json", three,
                                         strlen(three), NULL, 0, &err), -1);
    ck_assert_str_eq(err.msg, "cfg.json: data.classes: expected 2 class "
                              "names (one per class), got 3");
}
END_TEST

START_TEST(numeric_labels_are_still_class_indices_with_the_old_errors)
{
    config(CLASSIFIER(3, "{\"label\": \"k\"}"));
    struct dataset ds;
    expect_train_ok(&ds, "a,b,k\n1,2,2\n3,4,0\n5,6, 1 \n");
    ck_assert_uint_eq(cfg.data.n_classes, 0); /* no names learned */
    assert_labels(ds.label, (const uint32_t[]){2, 0, 1}, 3);
    dataset_free(&ds);
    expect_train_error("a,b,k\n1,2,2\n3,4,1.5\n",
                       "%T:3:3: label 1.5 is not a whole number");
    expect_train_error("a,b,k\n1,2,2\n3,4,3\n",
                       "%T:3:3: label 3 is out of range 0..2 (the last "
                       "layer has 3 classes)");
    expect_train_error("a,b,k\n1,2,-1\n",
                       "%T:2:3: label -1 is out of range 0..2 (the last "
                       "layer has 3 classes)");
    /* Given names do not change how numbers read: indices. */
    config_free(&cfg);
    config(CLASSIFIER(3, "{\"label\": \"k\", \"classes\": [\"x\", \"y\", "
                         "\"z\"]}"));
    expect_train_ok(&ds, "a,b,k\n1,2,2\n3,4,0\n");
    assert_labels(ds.label, (const uint32_t[]){2, 0}, 2);
    dataset_free(&ds);
}
END_TEST

START_TEST(a_label_column_of_numbers_but_one_name_says_where_the_name_is)
{
    /* A typo among 0/1/2: names, as SPEC 5a says, but a mismatch with
     * the last layer names the first cell that is not a number. */
    config(CLASSIFIER(3, "{\"label\": \"k\"}"));
    expect_train_error("a,b,k\n1,2,0\n3,4,1\n5,6,\"x\"\n7,8,abc\n9,9,2\n",
                       "cfg.json: data.label: %T holds 5 class names "
                       "(\"0\", \"1\", \"2\", \"abc\", \"x\"; the first cell "
                       "that is not a number: %T:4:3), but the last layer "
                       "has 3 classes; give data.classes, or size the last "
                       "layer");
    /* When the count matches, a warning names it. */
    struct dataset ds;
    expect_train_ok(&ds, "a,b,k\n1,2,0\n3,4,2\n5,6,abc\n");
    ck_assert_ptr_nonnull(ds.note);
    ck_assert_str_eq(ds.note, expand("%T:4:3: label \"abc\" is not a "
                                     "number, so the label column is read "
                                     "as class names, not class indices (its "
                                     "other cells are whole numbers)"));
    static const char *const want[] = {"0", "2", "abc"};
    assert_names(cfg.data.classes, cfg.data.n_classes, want, 3);
    dataset_free(&ds);

    /* A later file of numbers only: "2" is the class named "2" (index
     * 1), not index 2. */
    expect_later_ok(&ds, "a,b,k\n0,0,2\n0,0,0\n", false);
    assert_labels(ds.label, (const uint32_t[]){1, 0}, 2);
    ck_assert_ptr_null(ds.note);
    dataset_free(&ds);
    expect_later_error("a,b,k\n0,0,1\n", false,
                       "%O:2:3: unknown class \"1\" (expected one of: "
                       "\"0\", \"2\", \"abc\")");
    config_free(&cfg);

    /* Names only: no warning. */
    config(CLASSIFIER(2, "{\"label\": \"k\"}"));
    expect_train_ok(&ds, "a,b,k\n1,2,cat\n3,4,dog\n");
    ck_assert_ptr_null(ds.note);
    dataset_free(&ds);
}
END_TEST

/* ---- column selection ---- */

START_TEST(features_by_name_and_index_in_the_given_order)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"features\": [\"c\", 1]}"));
    struct dataset ds;
    expect_train_ok(&ds, "id,a,b,c,k\nx1,1,2,3,0\nx2,4,5,6,1\n");
    /* c then a; id and b are not read at all (id is text). */
    assert_floats(ds.x, (const float[]){3, 1, 6, 4}, 4);
    assert_labels(ds.label, (const uint32_t[]){0, 1}, 2);
    dataset_free(&ds);

    /* A later file: "c" is found by name wherever it is; a feature the
     * config gave by index stays that index (the weights keep what the
     * config said). */
    expect_later_ok(&ds, "k,a,c,b\n1,10,30,oops\n", false);
    assert_floats(ds.x, (const float[]){30, 10}, 2);
    dataset_free(&ds);
}
END_TEST

START_TEST(ignored_columns_are_never_read)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"ignore\": [\"id\", "
                         "\"note\"]}"));
    struct dataset ds;
    expect_train_ok(&ds, "id,a,note,b,k\nA-7,1,\"free, text\",2,0\n"
                         ",3,,4,1\n");
    assert_floats(ds.x, (const float[]){1, 2, 3, 4}, 4);
    ck_assert_uint_eq(ds.n_dropped, 0);
    /* The features were saved by name, in file order. */
    ck_assert_uint_eq(cfg.data.n_features, 2);
    ck_assert_str_eq(cfg.data.features[0].name, "a");
    ck_assert_str_eq(cfg.data.features[1].name, "b");
    dataset_free(&ds);
    /* A later file need not carry the ignored columns. */
    expect_later_ok(&ds, "b,a,k\n20,10,1\n", false);
    assert_floats(ds.x, (const float[]){10, 20}, 2);
    dataset_free(&ds);
}
END_TEST

START_TEST(unknown_column_lists_the_header_with_a_did_you_mean)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"features\": "
                         "[\"petal_lenght\", \"b\"]}"));
    expect_train_error("petal_length,b,k\n1,2,0\n",
                       "cfg.json: data.features[0]: no column named "
                       "\"petal_lenght\" in %T (did you mean "
                       "\"petal_length\"?); its columns: \"petal_length\", "
                       "\"b\", \"k\"");
    config_free(&cfg);
    /* Nothing close: the list alone. */
    config(CLASSIFIER(2, "{\"label\": \"k\", \"ignore\": [\"zzzzzzzz\"]}"));
    expect_train_error("a,b,k\n1,2,0\n",
                       "cfg.json: data.ignore[0]: no column named "
                       "\"zzzzzzzz\" in %T; its columns: \"a\", \"b\", "
                       "\"k\"");
    config_free(&cfg);
    /* A later file without a column training read by name. */
    config(CLASSIFIER(2, "{\"label\": \"k\"}"));
    struct dataset ds;
    expect_train_ok(&ds, "alpha,beta,k\n1,2,0\n");
    dataset_free(&ds);
    expect_later_error("alpha,betta,k\n1,2,0\n", false,
                       "%O:1:1: no column named \"beta\" (data.features[1] "
                       "of cfg.json) (did you mean \"betta\"?); its "
                       "columns: \"alpha\", \"betta\", \"k\"");
}
END_TEST

START_TEST(selecting_by_name_needs_a_header)
{
    config(CLASSIFIER(2, "{\"label\": 2, \"header\": false, \"features\": "
                         "[\"a\", 1]}"));
    expect_train_error("1,2,0\n",
                       "cfg.json: data.features[0]: a column name (\"a\") "
                       "needs data.header true; give a 0-based index");
}
END_TEST

START_TEST(a_duplicate_header_name_is_an_error_only_when_used)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"features\": [\"a\", "
                         "\"b\"]}"));
    struct dataset ds;
    expect_train_ok(&ds, "x,a,x,b,k\n9,1,9,2,0\n");
    ck_assert_ptr_nonnull(ds.note);
    ck_assert_str_eq(ds.note, expand("%T: columns 1 and 3 are both named "
                                     "\"x\""));
    assert_floats(ds.x, (const float[]){1, 2}, 2);
    dataset_free(&ds);
    expect_train_error("a,b,a,k\n1,2,3,0\n",
                       "cfg.json: data.features[0]: %T has two columns "
                       "named \"a\" (columns 1 and 3); rename one");
    config_free(&cfg);

    /* The label too is a use. */
    config(CLASSIFIER(2, "{\"label\": \"k\", \"features\": [\"a\", "
                         "\"b\"]}"));
    expect_train_error("k,a,b,k\n0,1,2,0\n",
                       "cfg.json: data.label: %T has two columns named "
                       "\"k\" (columns 1 and 4); rename one");
    config_free(&cfg);

    /* Without data.features every other column is a feature: a
     * duplicate among them is used. */
    config(CLASSIFIER(2, "{\"label\": \"k\"}"));
    expect_train_error("k,a,b,a\n0,1,2,3\n",
                       "cfg.json: data.features: %T has two columns named "
                       "\"a\" (columns 2 and 4); rename one");
    config_free(&cfg);
    /* ...and unused when one is the label and the other ignored. */
    config(CLASSIFIER(2, "{\"label\": 0, \"ignore\": [2]}"));
    expect_train_ok(&ds, "a,b,a,c\n0,1,2,3\n");
    ck_assert_str_eq(ds.note, expand("%T: columns 1 and 3 are both named "
                                     "\"a\""));
    assert_floats(ds.x, (const float[]){1, 3}, 2);
    dataset_free(&ds);
}
END_TEST

/* ---- categorical columns ---- */

/* Two numbers, color (3 values) and size (2) one-hot, and the label. */
static const char colors[] =
    "n,color,size,k\n"
    "1,red,S,0\n"
    "2,blue,M,1\n"
    "3,Red,S,0\n"
    "4,blue,S,1\n";

START_TEST(categorical_columns_are_one_hot_in_byte_order)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"color\", "
           "\"size\"]}}");
    ck_assert_uint_eq(cfg.input, 0); /* from the data */
    struct dataset ds;
    expect_train_ok(&ds, colors);
    /* 1 number + 3 colors + 2 sizes. */
    ck_assert_uint_eq(cfg.input, 6);
    ck_assert_uint_eq(ds.n_features, 6);
    static const char *const color_values[] = {"Red", "blue", "red"};
    static const char *const size_values[] = {"M", "S"};
    assert_categories("color", color_values, 3);
    assert_categories("size", size_values, 2);
    assert_floats(ds.x, (const float[]){1, 0, 0, 1, 0, 1,
                                        2, 0, 1, 0, 1, 0,
                                        3, 1, 0, 0, 0, 1,
                                        4, 0, 1, 0, 0, 1}, 24);
    ck_assert_ptr_nonnull(ds.onehot);
    static const bool mask[] = {false, true, true, true, true, true};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(ds.onehot[i] == mask[i], "onehot[%zu]", i);
    dataset_free(&ds);

    /* A later file in another order, with an extra column, reads the
     * same inputs. */
    expect_later_ok(&ds, "size,extra,k,color,n\nM,zz,1,red,5\n", false);
    assert_floats(ds.x, (const float[]){5, 0, 0, 1, 1, 0}, 6);
    dataset_free(&ds);
}
END_TEST

START_TEST(given_categories_fix_the_one_hot_order)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"color\"], "
           "\"categories\": {\"color\": [\"red\", \"blue\", \"Red\", "
           "\"green\"]}, \"ignore\": [\"size\"]}}");
    struct dataset ds;
    expect_train_ok(&ds, colors);
    ck_assert_uint_eq(cfg.input, 5);
    assert_floats(ds.x, (const float[]){1, 1, 0, 0, 0,
                                        2, 0, 1, 0, 0,
                                        3, 0, 0, 1, 0,
                                        4, 0, 1, 0, 0}, 20);
    dataset_free(&ds);
}
END_TEST

START_TEST(a_wrong_input_says_how_the_width_was_counted)
{
    config("{\"input\": 5, \"layers\": [{\"units\": 2, \"activation\": "
           "\"softmax\"}], \"data\": {\"label\": \"k\", \"categorical\": "
           "[\"color\", \"size\"]}}");
    expect_train_error(colors, "cfg.json: input: 5, but %T gives 6 inputs "
                               "(1 numeric column + color: 3 categories + "
                               "size: 2 categories)");
    config_free(&cfg);
    config("{\"input\": 6, \"layers\": [{\"units\": 2, \"activation\": "
           "\"softmax\"}], \"data\": {\"label\": \"k\", \"categorical\": "
           "[\"color\", \"size\"]}}");
    struct dataset ds;
    expect_train_ok(&ds, colors);
    dataset_free(&ds);
    config_free(&cfg);
    /* Chosen numeric features: counted the same way. */
    config("{\"input\": 3, \"layers\": [{\"units\": 2, \"activation\": "
           "\"softmax\"}], \"data\": {\"label\": \"k\", \"features\": "
           "[\"b\", 0]}}");
    expect_train_error("a,b,c,k\n1,2,3,0\n", "cfg.json: input: 3, but %T "
                                          "gives 2 inputs (2 numeric "
                                          "columns)");
    config_free(&cfg);
    /* A plain numeric file keeps its old message. */
    config(CLASSIFIER(2, "{\"label\": \"k\"}"));
    expect_train_error("a,k\n1,0\n", "%T:1:3: expected 3 columns (2 "
                                      "features + label \"k\"), found 2");
}
END_TEST

START_TEST(an_unseen_category_in_a_later_file_names_its_cell)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"color\", "
           "\"size\"]}}");
    struct dataset ds;
    expect_train_ok(&ds, colors);
    dataset_free(&ds);
    expect_later_error("n,color,size,k\n1,red,S,0\n\n2,purple,M,1\n", false,
                       "%O:4:2: unknown value \"purple\" in column "
                       "\"color\" (expected one of: \"Red\", \"blue\", "
                       "\"red\")");
    /* Also for prediction input (no label). */
    expect_later_error("size,n,color\nL,1,red\n", true,
                       "%O:2:1: unknown value \"L\" in column \"size\" "
                       "(expected one of: \"M\", \"S\")");
}
END_TEST

START_TEST(too_many_categories_name_the_column_and_its_count)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"color\", "
           "\"size\"], \"max_categories\": 2}}");
    expect_train_error(colors, "cfg.json: data.categorical: column "
                               "\"color\" of %T has 3 distinct values, more "
                               "than data.max_categories (2); is it an id? "
                               "Put it in data.ignore");
    config_free(&cfg);
    /* The default bound: 1000. */
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"id\"]}}");
    ck_assert_uint_eq(cfg.data.max_categories, 1000);
    static char text[16 * 1100];
    size_t o = (size_t)snprintf(text, sizeof text, "id,k\n");
    for (int i = 0; i < 1001; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "u%d,%d\n", i,
                              i % 2);
    expect_train_error(text, "cfg.json: data.categorical: column \"id\" of "
                             "%T has 1001 distinct values, more than "
                             "data.max_categories (1000); is it an id? Put "
                             "it in data.ignore");
}
END_TEST

/* ---- missing cells ---- */

START_TEST(missing_cells_are_errors_by_default)
{
    config(CLASSIFIER(2, "{\"label\": \"k\"}"));
    ck_assert_int_eq(cfg.data.missing, MISSING_ERROR);
    expect_train_error("a,b,k\n1,2,0\n3,NA,1\n",
                       "%T:3:2: missing value in column \"b\"");
    expect_train_error("a,b,k\n1,2,0\n , 2,1\n",
                       "%T:3:1: missing value in column \"a\"");
    expect_train_error("a,b,k\n1,2,0\n3,4,?\n",
                       "%T:3:3: missing value in column \"k\"");
    /* A column nobody reads may hold anything. */
    config_free(&cfg);
    config(CLASSIFIER(2, "{\"label\": \"k\", \"ignore\": [\"c\"]}"));
    struct dataset ds;
    expect_train_ok(&ds, "a,b,c,k\n1,2,,0\n3,4,NA,1\n");
    dataset_free(&ds);
}
END_TEST

START_TEST(drop_leaves_out_rows_with_a_missing_used_cell)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"missing\": \"drop\", "
                         "\"ignore\": [\"note\"]}"));
    struct dataset ds;
    expect_train_ok(&ds, "a,b,note,k\n"
                         "1,2,,0\n"      /* kept: note is not used */
                         "3,NA,x,1\n"    /* dropped: a feature */
                         "5,6,x,\n"      /* dropped: the label */
                         "7,8,NA,1\n"
                         "null,N/A,x,0\n");
    ck_assert_uint_eq(ds.n_rows, 2);
    ck_assert_uint_eq(ds.n_dropped, 3);
    assert_floats(ds.x, (const float[]){1, 2, 7, 8}, 4);
    assert_labels(ds.label, (const uint32_t[]){0, 1}, 2);
    dataset_free(&ds);
    /* A later (validation) file drops the same way. */
    expect_later_ok(&ds, "k,a,b\n1,,2\n0,3,4\n", false);
    ck_assert_uint_eq(ds.n_rows, 1);
    ck_assert_uint_eq(ds.n_dropped, 1);
    assert_floats(ds.x, (const float[]){3, 4}, 2);
    dataset_free(&ds);
    /* Nothing left is an error. */
    expect_train_error("a,b,note,k\nNA,1,x,0\n",
                       "%T: no rows left: all 1 have missing cells "
                       "(data.missing \"drop\")");
}
END_TEST

START_TEST(mean_leaves_missing_numbers_for_imputation)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"missing\": \"mean\"}"));
    struct dataset ds;
    expect_train_ok(&ds, "a,b,k\n1,NA,0\n,4,1\n3,8,0\n5,6,NA\n");
    /* The last row's label is missing: dropped, never imputed. */
    ck_assert_uint_eq(ds.n_rows, 3);
    ck_assert_uint_eq(ds.n_dropped, 1);
    assert_floats(ds.x, (const float[]){1, NAN, NAN, 4, 3, 8}, 6);
    struct imputation im = {0};
    ck_assert_int_eq(imputation_compute(&im, &ds, &err), 0);
    ck_assert_uint_eq(im.n, 2);
    /* Over the kept rows that have the value: (1+3)/2 and (4+8)/2. */
    ck_assert_double_eq_tol(im.mean[0], 2.0, MEAN_TOLERANCE);
    ck_assert_double_eq_tol(im.mean[1], 6.0, MEAN_TOLERANCE);
    imputation_apply(&im, ds.x, ds.n_rows);
    assert_floats(ds.x, (const float[]){1, 6, 2, 4, 3, 8}, 6);
    imputation_free(&im);
    dataset_free(&ds);
}
END_TEST

START_TEST(mean_makes_missing_a_category_of_its_own)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"k\", \"categorical\": [\"color\", "
           "\"size\"], \"missing\": \"mean\"}}");
    struct dataset ds;
    expect_train_ok(&ds, "n,color,size,k\n1,red,S,0\n2,NA,M,1\n"
                         "3,blue,S,0\n");
    /* "" sorts first; size had nothing missing, so no "" there. */
    static const char *const color_values[] = {"", "blue", "red"};
    static const char *const size_values[] = {"M", "S"};
    assert_categories("color", color_values, 3);
    assert_categories("size", size_values, 2);
    assert_floats(ds.x, (const float[]){1, 0, 0, 1, 0, 1,
                                        2, 1, 0, 0, 1, 0,
                                        3, 0, 1, 0, 0, 1}, 18);
    /* The one-hot inputs get no mean. */
    struct imputation im = {0};
    ck_assert_int_eq(imputation_compute(&im, &ds, &err), 0);
    ck_assert_double_eq_tol(im.mean[0], 2.0, MEAN_TOLERANCE);
    for (size_t i = 1; i < 6; i++)
        ck_assert_msg(isnan(im.mean[i]), "mean[%zu] is not NaN", i);
    imputation_free(&im);
    dataset_free(&ds);
    /* A later file's missing color is the "" category; a missing size
     * had no category in training. */
    expect_later_ok(&ds, "n,color,size,k\n4,,M,1\n", false);
    assert_floats(ds.x, (const float[]){4, 1, 0, 0, 1, 0}, 6);
    dataset_free(&ds);
    expect_later_error("n,color,size,k\n4,red,NA,1\n", false,
                       "%O:2:3: missing value in column \"size\", which had "
                       "none in training");
}
END_TEST

START_TEST(na_values_replace_the_default_list)
{
    config(CLASSIFIER(2, "{\"label\": \"k\", \"missing\": \"drop\", "
                         "\"na_values\": [\"-999\", \"missing\"]}"));
    struct dataset ds;
    /* A number-looking NA mark, also in a short whole-number form the
     * reader parses quickly: " -999 " trimmed. */
    expect_train_ok(&ds, "a,b,k\n1,-999,0\n2,3,1\n missing ,4,0\n"
                         "-999.0,5,1\n6, -999 ,0\n");
    ck_assert_uint_eq(ds.n_dropped, 3);
    /* "-999.0" is not the mark "-999": a number. */
    assert_floats(ds.x, (const float[]){2, 3, -999, 5}, 4);
    dataset_free(&ds);
    /* "NA" is no longer missing, so it is a bad number. */
    expect_train_error("a,b,k\n1,NA,0\n",
                       "%T:2:2: expected a number, got \"NA\"");
    config_free(&cfg);

    /* Every default mark. */
    config(CLASSIFIER(2, "{\"label\": \"k\", \"missing\": \"drop\"}"));
    expect_train_ok(&ds, "a,b,k\n1,,0\n1,NA,0\n1,N/A,0\n1,NaN,0\n1,nan,0\n"
                         "1,null,0\n1,NULL,0\n1,?,0\n1,2,1\n");
    ck_assert_uint_eq(ds.n_rows, 1);
    ck_assert_uint_eq(ds.n_dropped, 8);
    dataset_free(&ds);
}
END_TEST

/* ---- headerless files, later files, the CSV forms ---- */

START_TEST(a_headerless_file_is_selected_by_index)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"header\": false, \"label\": 0, \"features\": "
           "[3, 1], \"categorical\": [3], \"ignore\": [2]}}");
    struct dataset ds;
    expect_train_ok(&ds, "no,1.5,junk,b\nyes,2.5,junk,a\n");
    ck_assert_uint_eq(cfg.input, 3);
    static const char *const classes[] = {"no", "yes"};
    assert_names(cfg.data.classes, cfg.data.n_classes, classes, 2);
    /* Keyed by the index in decimal. */
    static const char *const values[] = {"a", "b"};
    assert_categories("3", values, 2);
    assert_floats(ds.x, (const float[]){0, 1, 1.5f, 1, 0, 2.5f}, 6);
    assert_labels(ds.label, (const uint32_t[]){0, 1}, 2);
    dataset_free(&ds);
    expect_later_ok(&ds, "yes,7,x,a\n", false);
    assert_floats(ds.x, (const float[]){1, 0, 7}, 3);
    assert_labels(ds.label, (const uint32_t[]){1}, 1);
    dataset_free(&ds);
}
END_TEST

START_TEST(a_later_file_is_read_by_name_in_any_column_order)
{
    config("{\"layers\": [{\"units\": 3, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"species\", \"categorical\": "
           "[\"island\"], \"ignore\": [\"id\"]}}");
    struct dataset ds;
    expect_train_ok(&ds, "id,island,bill,species,mass\n"
                         "1,Dream,39.5,Adelie,3800\n"
                         "2,Biscoe,46.1,Gentoo,4500\n"
                         "3,Dream,49.0,Chinstrap,3700\n");
    /* Training wrote down what it read, by name. */
    ck_assert_uint_eq(cfg.data.n_features, 3);
    ck_assert_str_eq(cfg.data.features[0].name, "island");
    ck_assert_str_eq(cfg.data.features[1].name, "bill");
    ck_assert_str_eq(cfg.data.features[2].name, "mass");
    ck_assert_str_eq(cfg.data.label.name, "species");
    float want[2 * 4];
    memcpy(want, ds.x + 4, sizeof want); /* rows 2 and 3 */
    dataset_free(&ds);

    expect_later_ok(&ds, "mass,comment,species,bill,island\n"
                         "4500,\"x, y\",Gentoo,46.1,Biscoe\n"
                         "3700,,Chinstrap,49.0,Dream\n", false);
    ck_assert_uint_eq(ds.n_rows, 2);
    assert_floats(ds.x, want, 8);
    assert_labels(ds.label, (const uint32_t[]){2, 1}, 2);
    dataset_free(&ds);
    /* Prediction input without the label. */
    expect_later_ok(&ds, "bill,island,mass\n46.1,Biscoe,4500\n", true);
    ck_assert(!ds.has_targets);
    assert_floats(ds.x, want, 4);
    dataset_free(&ds);
    /* A column training read is missing: an error naming it. */
    expect_later_error("bill,island,species\n46.1,Biscoe,Gentoo\n", false,
                       "%O:1:1: no column named \"mass\" (data.features[2] "
                       "of cfg.json); its columns: \"bill\", \"island\", "
                       "\"species\"");
}
END_TEST

START_TEST(crlf_bom_quotes_and_names_with_spaces_and_parentheses)
{
    config("{\"layers\": [{\"units\": 2, \"activation\": \"softmax\"}], "
           "\"data\": {\"label\": \"Species\", \"features\": [\"Culmen "
           "Length (mm)\", \"Stage\"], \"categorical\": [\"Stage\"]}}");
    struct dataset ds;
    expect_train_ok(&ds,
                    "\xEF\xBB\xBF" "Individual ID,\"Culmen Length (mm)\","
                    "Stage,Species\r\n"
                    "N1A1,39.1,\"Adult, 1 Egg Stage\","
                    "Adelie Penguin (Pygoscelis adeliae)\r\n"
                    "N2A2,\" 46.5 \",\"Adult, 2 Eggs\","
                    "\"Gentoo penguin (Pygoscelis papua)\"\r\n");
    static const char *const stages[] = {"Adult, 1 Egg Stage",
                                         "Adult, 2 Eggs"};
    assert_categories("Stage", stages, 2);
    static const char *const classes[] = {
        "Adelie Penguin (Pygoscelis adeliae)",
        "Gentoo penguin (Pygoscelis papua)"};
    assert_names(cfg.data.classes, cfg.data.n_classes, classes, 2);
    assert_floats(ds.x, (const float[]){39.1f, 1, 0, 46.5f, 0, 1}, 6);
    assert_labels(ds.label, (const uint32_t[]){0, 1}, 2);
    dataset_free(&ds);
    expect_train_error("Individual ID,\"Culmen Length (mm)\",Stage,Species\n"
                       "N1A1,NA,\"Adult, 1 Egg Stage\",x\n",
                       "%T:2:2: missing value in column \"Culmen Length "
                       "(mm)\"");
}
END_TEST

Suite *columns_suite(void); /* called by check_main.c */

Suite *columns_suite(void)
{
    Suite *s = suite_create("columns");
    TCase *classes = tcase_create("classes");
    tcase_add_checked_fixture(classes, NULL, teardown);
    tcase_add_test(classes, class_names_are_learned_in_byte_order_and_saved);
    tcase_add_test(classes, given_class_names_fix_the_order);
    tcase_add_test(classes, unknown_class_names_its_cell_and_the_classes);
    tcase_add_test(classes, learned_class_names_must_match_the_last_layer);
    tcase_add_test(classes, one_sigmoid_unit_takes_exactly_two_names);
    tcase_add_test(classes,
                   numeric_labels_are_still_class_indices_with_the_old_errors);
    tcase_add_test(
        classes, a_label_column_of_numbers_but_one_name_says_where_the_name_is);
    suite_add_tcase(s, classes);

    TCase *select = tcase_create("selection");
    tcase_add_checked_fixture(select, NULL, teardown);
    tcase_add_test(select, features_by_name_and_index_in_the_given_order);
    tcase_add_test(select, ignored_columns_are_never_read);
    tcase_add_test(select,
                   unknown_column_lists_the_header_with_a_did_you_mean);
    tcase_add_test(select, selecting_by_name_needs_a_header);
    tcase_add_test(select, a_duplicate_header_name_is_an_error_only_when_used);
    suite_add_tcase(s, select);

    TCase *cat = tcase_create("categorical");
    tcase_add_checked_fixture(cat, NULL, teardown);
    tcase_add_test(cat, categorical_columns_are_one_hot_in_byte_order);
    tcase_add_test(cat, given_categories_fix_the_one_hot_order);
    tcase_add_test(cat, a_wrong_input_says_how_the_width_was_counted);
    tcase_add_test(cat, an_unseen_category_in_a_later_file_names_its_cell);
    tcase_add_test(cat, too_many_categories_name_the_column_and_its_count);
    suite_add_tcase(s, cat);

    TCase *missing = tcase_create("missing");
    tcase_add_checked_fixture(missing, NULL, teardown);
    tcase_add_test(missing, missing_cells_are_errors_by_default);
    tcase_add_test(missing, drop_leaves_out_rows_with_a_missing_used_cell);
    tcase_add_test(missing, mean_leaves_missing_numbers_for_imputation);
    tcase_add_test(missing, mean_makes_missing_a_category_of_its_own);
    tcase_add_test(missing, na_values_replace_the_default_list);
    suite_add_tcase(s, missing);

    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, NULL, teardown);
    tcase_add_test(files, a_headerless_file_is_selected_by_index);
    tcase_add_test(files, a_later_file_is_read_by_name_in_any_column_order);
    tcase_add_test(files,
                   crlf_bom_quotes_and_names_with_spaces_and_parentheses);
    suite_add_tcase(s, files);
    return s;
}
