/*
 * Tests of config_load: the config file and the weights file (SPEC
 * sections 3 and 4), the overrides, and every class of error with its
 * exact message. Also the did-you-mean helper (suggest.h).
 *
 * Each test writes its JSON to a file named after this process (Check runs
 * every test in its own child) and compares the message after the file
 * name, so the expectations read as "FILE" + what follows.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "suggest.h"
#include "testutil.h"

/* Config values are stored as given, or as float for parameters; a float
 * round trip of a literal is exact, so parameters compare with ==. */

static struct config cfg;
static struct bp_error err;
static char path[512];

static void teardown(void)
{
    config_free(&cfg);
    if (path[0])
        unlink(path);
}

/* Writes json to this test's file; the path is in `path`. */
static void write_config(const char *json)
{
    char name[64];
    snprintf(name, sizeof name, "test_config_%ld.json", (long)getpid());
    const char *p = testutil_write(name, json);
    ck_assert_ptr_nonnull(p);
    snprintf(path, sizeof path, "%s", p);
}

static bool cfg_is_zeroed(void)
{
    static const struct config zero;
    return memcmp(&cfg, &zero, sizeof cfg) == 0;
}

static int load_with(const char *json, const struct config_override *ov,
                     size_t n)
{
    write_config(json);
    memset(&err, 0, sizeof err);
    int rc = config_load(&cfg, path, ov, n, &err);
    if (rc)
        ck_assert_msg(cfg_is_zeroed(), "a failed load left *cfg filled");
    return rc;
}

static int load(const char *json) { return load_with(json, NULL, 0); }

/* Loads json, which must fail with BP_EINPUT; returns the message after
 * the file name. */
static const char *input_error(const char *json)
{
    ck_assert_int_eq(load(json), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    size_t n = strlen(path);
    ck_assert_msg(strncmp(err.msg, path, n) == 0, "message \"%s\" does not "
                  "start with the file name", err.msg);
    return err.msg + n;
}

#define ASSERT_INPUT_ERROR(json, expected) \
    ck_assert_str_eq(input_error(json), expected)

/* A valid network for tests that only vary other keys. */
#define NET "\"input\": 2, \"layers\": [{\"units\": 3, \"activation\": " \
            "\"relu\"}, {\"units\": 1, \"activation\": \"sigmoid\"}]"

static const char spec_example[] =
    "{\n"
    "  \"input\": 4,\n"
    "  \"layers\": [\n"
    "    {\"units\": 16, \"activation\": \"relu\"},\n"
    "    {\"units\": 3, \"activation\": \"softmax\"}\n"
    "  ],\n"
    "  \"loss\": \"cross_entropy\",\n"
    "  \"init\": {\"method\": \"he\", \"seed\": 1},\n"
    "  \"training\": {\n"
    "    \"optimizer\": \"sgd\",\n"
    "    \"learning_rate\": 0.05,\n"
    "    \"momentum\": 0.9,\n"
    "    \"nesterov\": false,\n"
    "    \"weight_decay\": 0.0,\n"
    "    \"batch_size\": 32,\n"
    "    \"epochs\": 50,\n"
    "    \"shuffle\": true,\n"
    "    \"seed\": 1,\n"
    "    \"schedule\": {\"type\": \"step\", \"every\": 20, \"gamma\": 0.5}\n"
    "  },\n"
    "  \"data\": {\n"
    "    \"train\": \"../datasets/iris.csv\",\n"
    "    \"validation_split\": 0.2,\n"
    "    \"header\": true,\n"
    "    \"label\": \"species\",\n"
    "    \"normalize\": \"standard\"\n"
    "  },\n"
    "  \"output\": \"iris.weights.json\"\n"
    "}\n";

/* The folder of `path`, where relative paths of the file resolve. */
static const char *tmp_dir(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    return dir;
}

/* ===================== valid files ===================== */

START_TEST(spec_example_parses_to_its_values)
{
    ck_assert_int_eq(load(spec_example), 0);
    ck_assert_str_eq(cfg.path, path);
    ck_assert_str_eq(cfg.name, path);
    ck_assert_str_eq(cfg.dir, tmp_dir());
    ck_assert(!cfg.is_weights);
    ck_assert_uint_eq(cfg.input, 4);
    ck_assert_uint_eq(cfg.n_layers, 2);
    ck_assert_uint_eq(cfg.layers[0].units, 16);
    ck_assert_int_eq(cfg.layers[0].activation, ACT_RELU);
    ck_assert_ptr_null(cfg.layers[0].weights);
    ck_assert_ptr_null(cfg.layers[0].bias);
    ck_assert_uint_eq(cfg.layers[1].units, 3);
    ck_assert_int_eq(cfg.layers[1].activation, ACT_SOFTMAX);
    ck_assert_int_eq(cfg.loss, LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(cfg.init, INIT_HE);
    ck_assert_uint_eq(cfg.init_seed, 1);
    ck_assert(cfg.training.learning_rate == 0.05);
    ck_assert(cfg.training.momentum == 0.9);
    ck_assert(!cfg.training.nesterov);
    ck_assert(cfg.training.weight_decay == 0.0);
    ck_assert_uint_eq(cfg.training.batch_size, 32);
    ck_assert_uint_eq(cfg.training.epochs, 50);
    ck_assert(cfg.training.shuffle);
    ck_assert_uint_eq(cfg.training.seed, 1);
    ck_assert_int_eq(cfg.training.schedule, SCHEDULE_STEP);
    ck_assert_uint_eq(cfg.training.schedule_every, 20);
    ck_assert(cfg.training.schedule_gamma == 0.5);
    char expect[600];
    snprintf(expect, sizeof expect, "%s/../datasets/iris.csv", tmp_dir());
    ck_assert_str_eq(cfg.data.train, expect);
    ck_assert_ptr_null(cfg.data.validation);
    ck_assert(cfg.data.validation_split == 0.2);
    ck_assert(cfg.data.header);
    ck_assert(cfg.data.has_label);
    ck_assert_str_eq(cfg.data.label.name, "species");
    ck_assert_uint_eq(cfg.data.n_targets, 0);
    ck_assert_int_eq(cfg.data.normalize, NORMALIZE_STANDARD);
    ck_assert_uint_eq(cfg.data.n_classes, 0);
    snprintf(expect, sizeof expect, "%s/iris.weights.json", tmp_dir());
    ck_assert_str_eq(cfg.output, expect);
    ck_assert_uint_eq(cfg.normalization.n, 0);
    ck_assert_ptr_null(cfg.state.buffer[STATE_VELOCITY]);
    ck_assert_uint_eq(config_param_count(&cfg), 16 * 5 + 3 * 17);
    ck_assert_uint_eq(config_class_count(&cfg), 3);
}
END_TEST

START_TEST(minimal_config_gets_the_documented_defaults)
{
    ck_assert_int_eq(load("{\"input\": 2, \"layers\": [{\"units\": 1, "
                          "\"activation\": \"sigmoid\"}]}"), 0);
    ck_assert_int_eq(cfg.loss, LOSS_MSE);
    ck_assert_int_eq(cfg.init, INIT_XAVIER);
    ck_assert_uint_eq(cfg.init_seed, 1);
    ck_assert(cfg.training.learning_rate == 0.01);
    ck_assert(cfg.training.momentum == 0);
    ck_assert(!cfg.training.nesterov);
    ck_assert(cfg.training.weight_decay == 0);
    ck_assert_uint_eq(cfg.training.batch_size, 32);
    ck_assert_uint_eq(cfg.training.epochs, 10);
    ck_assert(cfg.training.shuffle);
    ck_assert_uint_eq(cfg.training.seed, 1);
    ck_assert_int_eq(cfg.training.schedule, SCHEDULE_CONSTANT);
    ck_assert_ptr_null(cfg.data.train);
    ck_assert_ptr_null(cfg.data.validation);
    ck_assert(cfg.data.validation_split == 0);
    ck_assert(cfg.data.header);
    ck_assert(!cfg.data.has_label);
    ck_assert_int_eq(cfg.data.normalize, NORMALIZE_NONE);
    ck_assert_ptr_null(cfg.output);
    ck_assert(!cfg.is_weights);
    ck_assert_uint_eq(cfg.normalization.n, 0);
    ck_assert_uint_eq(cfg.state.epoch, 0);
    ck_assert_uint_eq(cfg.state.step, 0);
    ck_assert(!cfg.state.has_learning_rate);
    ck_assert_uint_eq(config_class_count(&cfg), 0);
}
END_TEST

START_TEST(loss_defaults_to_cross_entropy_after_softmax)
{
    ck_assert_int_eq(load("{\"input\": 2, \"layers\": [{\"units\": 2, "
                          "\"activation\": \"softmax\"}]}"), 0);
    ck_assert_int_eq(cfg.loss, LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(cfg.init, INIT_XAVIER); /* no hidden layer */
    ck_assert_uint_eq(config_class_count(&cfg), 2);
}
END_TEST

START_TEST(init_defaults_to_he_only_when_every_hidden_layer_is_relu)
{
    ck_assert_int_eq(load("{" NET "}"), 0);
    ck_assert_int_eq(cfg.init, INIT_HE);
    config_free(&cfg);
    ck_assert_int_eq(load("{\"input\": 2, \"layers\": ["
                          "{\"units\": 3, \"activation\": \"relu\"},"
                          "{\"units\": 3, \"activation\": \"tanh\"},"
                          "{\"units\": 1, \"activation\": \"linear\"}]}"),
                     0);
    ck_assert_int_eq(cfg.init, INIT_XAVIER);
    config_free(&cfg);
    ck_assert_int_eq(load("{\"input\": 2, \"layers\": [{\"units\": 1, "
                          "\"activation\": \"relu\"}]}"), 0);
    ck_assert_int_eq(cfg.init, INIT_XAVIER);
}
END_TEST

START_TEST(explicit_weights_are_stored_row_major_as_float)
{
    ck_assert_int_eq(load("{\"input\": 3, \"layers\": [{\"units\": 2, "
                          "\"activation\": \"tanh\", "
                          "\"weights\": [[1, 2, 3], [4, 5, -6.5]], "
                          "\"bias\": [0.25, -1e-3]}]}"), 0);
    const float w[] = {1, 2, 3, 4, 5, -6.5f};
    for (size_t i = 0; i < 6; i++)
        ck_assert_float_eq(cfg.layers[0].weights[i], w[i]);
    ck_assert_float_eq(cfg.layers[0].bias[0], 0.25f);
    ck_assert_float_eq(cfg.layers[0].bias[1], (float)-1e-3);
}
END_TEST

/* The weights file of SPEC section 4, with state filled in. */
static const char weights_file[] =
    "{\"format\": \"backprop.weights/1\", \"input\": 1,\n"
    " \"layers\": [\n"
    "  {\"units\": 2, \"activation\": \"sigmoid\", \"weights\": [[0.2], "
    "[0.4]], \"bias\": [0.1, 0.3]},\n"
    "  {\"units\": 1, \"activation\": \"sigmoid\", \"weights\": [[0.3, 0.5]],"
    " \"bias\": [0.1]}],\n"
    " \"loss\": \"mse\",\n"
    " \"normalization\": {\"mean\": [1.5], \"std\": [0.5]},\n"
    " \"state\": {\"epoch\": 3, \"step\": 12, \"learning_rate\": 0.025,\n"
    "   \"velocity\": [{\"weights\": [[1], [2]], \"bias\": [3, 4]},\n"
    "                {\"weights\": [[5, 6]], \"bias\": [7]}]},\n"
    " \"metrics\": {\"train_loss\": 0.5, \"validation_loss\": null}}\n";

START_TEST(weights_file_fills_normalization_and_state)
{
    ck_assert_int_eq(load(weights_file), 0);
    ck_assert(cfg.is_weights);
    ck_assert_float_eq(cfg.layers[0].weights[1], 0.4f);
    ck_assert_float_eq(cfg.layers[1].weights[1], 0.5f);
    ck_assert_uint_eq(cfg.normalization.n, 1);
    ck_assert_float_eq(cfg.normalization.mean[0], 1.5f);
    ck_assert_float_eq(cfg.normalization.std[0], 0.5f);
    ck_assert_uint_eq(cfg.state.epoch, 3);
    ck_assert_uint_eq(cfg.state.step, 12);
    ck_assert(cfg.state.has_learning_rate);
    ck_assert(cfg.state.learning_rate == 0.025);
    /* parameter layout: layer 0 weights, layer 0 bias, layer 1 weights,
     * layer 1 bias */
    ck_assert_uint_eq(config_param_count(&cfg), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_float_eq(cfg.state.buffer[STATE_VELOCITY][i], (float)(i + 1));
}
END_TEST

START_TEST(empty_normalization_and_null_state_mean_none)
{
    ck_assert_int_eq(load("{" NET ", \"normalization\": {\"mean\": [], "
                          "\"std\": []}, \"state\": {\"epoch\": 0, "
                          "\"step\": 0, \"velocity\": null, "
                          "\"learning_rate\": null}}"), 0);
    ck_assert_uint_eq(cfg.normalization.n, 0);
    ck_assert_ptr_null(cfg.normalization.mean);
    ck_assert_ptr_null(cfg.state.buffer[STATE_VELOCITY]);
    ck_assert(!cfg.state.has_learning_rate);
}
END_TEST

START_TEST(null_counts_as_an_absent_key)
{
    ck_assert_int_eq(load("{" NET ", \"output\": null, \"loss\": null, "
                          "\"training\": {\"schedule\": null, \"epochs\": "
                          "null}, \"data\": {\"validation\": null}}"), 0);
    ck_assert_ptr_null(cfg.output);
    ck_assert_int_eq(cfg.loss, LOSS_MSE);
    ck_assert_int_eq(cfg.training.schedule, SCHEDULE_CONSTANT);
    ck_assert_uint_eq(cfg.training.epochs, 10);
    ck_assert_ptr_null(cfg.data.validation);
}
END_TEST

START_TEST(data_columns_normalize_scale_and_classes)
{
    ck_assert_int_eq(load("{\"input\": 2, \"layers\": [{\"units\": 2, "
                          "\"activation\": \"linear\"}], \"data\": {"
                          "\"targets\": [\"y1\", 3], \"header\": false, "
                          "\"normalize\": {\"scale\": 0.5}}}"), 0);
    ck_assert_uint_eq(cfg.data.n_targets, 2);
    ck_assert_str_eq(cfg.data.targets[0].name, "y1");
    ck_assert_ptr_null(cfg.data.targets[1].name);
    ck_assert_uint_eq(cfg.data.targets[1].index, 3);
    ck_assert(!cfg.data.header);
    ck_assert_int_eq(cfg.data.normalize, NORMALIZE_SCALE);
    ck_assert(cfg.data.normalize_scale == 0.5);
    ck_assert_uint_eq(config_class_count(&cfg), 0);
    config_free(&cfg);

    ck_assert_int_eq(load("{\"input\": 2, \"layers\": [{\"units\": 1, "
                          "\"activation\": \"sigmoid\"}], \"loss\": "
                          "\"cross_entropy\", \"data\": {\"label\": 0, "
                          "\"classes\": [\"no\", \"yes\"], "
                          "\"normalize\": \"minmax\"}}"), 0);
    ck_assert(cfg.data.has_label);
    ck_assert_ptr_null(cfg.data.label.name);
    ck_assert_uint_eq(cfg.data.label.index, 0);
    ck_assert_int_eq(cfg.data.normalize, NORMALIZE_MINMAX);
    ck_assert_uint_eq(cfg.data.n_classes, 2);
    ck_assert_str_eq(cfg.data.classes[0], "no");
    ck_assert_str_eq(cfg.data.classes[1], "yes");
}
END_TEST

START_TEST(byte_order_mark_is_accepted)
{
    ck_assert_int_eq(load("\xEF\xBB\xBF{" NET "}"), 0);
    ck_assert_uint_eq(cfg.input, 2);
}
END_TEST

/* ===================== paths ===================== */

START_TEST(relative_paths_resolve_against_the_config_folder)
{
    ck_assert_int_eq(load("{" NET ", \"data\": {\"train\": \"d/t.csv\", "
                          "\"validation\": \"/abs/v.csv\"}, "
                          "\"output\": \"-\"}"), 0);
    char expect[600];
    snprintf(expect, sizeof expect, "%s/d/t.csv", tmp_dir());
    ck_assert_str_eq(cfg.data.train, expect);
    ck_assert_str_eq(cfg.data.validation, "/abs/v.csv");
    ck_assert_str_eq(cfg.output, "-");
}
END_TEST

START_TEST(a_file_in_the_current_folder_adds_no_dot_prefix)
{
    write_config("{" NET ", \"data\": {\"train\": \"t.csv\"}}");
    ck_assert_int_eq(chdir(tmp_dir()), 0);
    const char *base = strrchr(path, '/') + 1;
    ck_assert_int_eq(config_load(&cfg, base, NULL, 0, &err), 0);
    ck_assert_str_eq(cfg.path, base);
    ck_assert_str_eq(cfg.dir, ".");
    ck_assert_str_eq(cfg.data.train, "t.csv");
}
END_TEST

START_TEST(stdin_is_named_stdin_and_resolves_against_the_current_folder)
{
    write_config("{" NET ", \"data\": {\"train\": \"t.csv\"}, "
                 "\"training\": {\"epochs\": \"x\"}}");
    ck_assert_ptr_nonnull(freopen(path, "rb", stdin));
    ck_assert_int_eq(config_load(&cfg, "-", NULL, 0, &err), -1);
    ck_assert_str_eq(err.msg, "<stdin>: training.epochs: expected a whole "
                              "number, got \"x\"");
    write_config("{" NET ", \"data\": {\"train\": \"t.csv\"}}");
    ck_assert_ptr_nonnull(freopen(path, "rb", stdin));
    ck_assert_int_eq(config_load(&cfg, "-", NULL, 0, &err), 0);
    ck_assert_str_eq(cfg.path, "-");
    ck_assert_str_eq(cfg.name, "<stdin>");
    ck_assert_str_eq(cfg.dir, ".");
    ck_assert_str_eq(cfg.data.train, "t.csv");
}
END_TEST

START_TEST(paths_set_on_the_command_line_resolve_against_the_current_folder)
{
    const struct config_override ov[] = {{"data.train", "mine.csv", NULL}};
    ck_assert_int_eq(load_with("{" NET ", \"data\": {\"train\": \"t.csv\", "
                               "\"validation\": \"v.csv\"}}", ov, 1), 0);
    ck_assert_str_eq(cfg.data.train, "mine.csv");
    char expect[600];
    snprintf(expect, sizeof expect, "%s/v.csv", tmp_dir());
    ck_assert_str_eq(cfg.data.validation, expect);
}
END_TEST

START_TEST(a_missing_file_is_bad_input_naming_the_cause)
{
    ck_assert_int_eq(config_load(&cfg, "no/such/config.json", NULL, 0, &err),
                     -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg, "no/such/config.json: cannot open: No such "
                              "file or directory");
    ck_assert(cfg_is_zeroed());
}
END_TEST

START_TEST(a_folder_is_bad_input)
{
    ck_assert_int_eq(config_load(&cfg, "/", NULL, 0, &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg, "/: cannot read: Is a directory");
}
END_TEST

/* ===================== JSON syntax ===================== */

START_TEST(syntax_error_gives_line_and_column)
{
    ASSERT_INPUT_ERROR("{\n  \"input\": 4,\n  \"layers\": [1,}\n}",
                       ":3:16: invalid JSON: unexpected \"}\" (expected a "
                       "value)");
    ASSERT_INPUT_ERROR("{\"input\": 4 \"layers\": []}",
                       ":1:13: invalid JSON: unexpected \"\\\"\" (expected "
                       "\",\" or \"}\")");
    ASSERT_INPUT_ERROR("{\"a\": True}",
                       ":1:7: invalid JSON: unexpected \"True\" (expected "
                       "a value)");
    /* columns count characters: "é" is one */
    ASSERT_INPUT_ERROR("{\"\xC3\xA9\": x}",
                       ":1:7: invalid JSON: unexpected \"x\" (expected a "
                       "value)");
    /* CRLF and lone CR end lines too */
    ASSERT_INPUT_ERROR("{\r\n\"a\":\r1,\r\n ]",
                       ":4:2: invalid JSON: unexpected \"]\" (expected a "
                       "key in double quotes)");
}
END_TEST

START_TEST(unexpected_end_of_file_points_at_the_end)
{
    ASSERT_INPUT_ERROR("{\"input\": 4,\n \"layers\": [",
                       ":2:13: invalid JSON: unexpected end of file "
                       "(expected a value)");
    ASSERT_INPUT_ERROR("{\"input\": \"4",
                       ":1:13: invalid JSON: unexpected end of file in the "
                       "string opened at 1:11");
}
END_TEST

START_TEST(trailing_garbage_is_rejected)
{
    ASSERT_INPUT_ERROR("{" NET "}\n\n  {}",
                       ":3:3: invalid JSON: trailing garbage after the "
                       "top-level value");
}
END_TEST

START_TEST(what_cjson_would_accept_but_json_forbids_is_rejected)
{
    ASSERT_INPUT_ERROR("{\"a\": +1}", ":1:7: invalid JSON: unexpected \"+\" "
                                      "(expected a value)");
    ASSERT_INPUT_ERROR("{\"a\": 01}",
                       ":1:7: invalid JSON: invalid number (leading zero)");
    ASSERT_INPUT_ERROR("{\"a\": .5}", ":1:7: invalid JSON: unexpected \".\" "
                                      "(expected a value)");
    ASSERT_INPUT_ERROR("{\"a\": \"\\u0000\"}",
                       ":1:8: invalid JSON: \\u0000 is not allowed in a "
                       "string");
    ASSERT_INPUT_ERROR("{\"a\": \"\xFF\"}",
                       ":1:8: invalid JSON: invalid UTF-8 byte 0xff");
    ASSERT_INPUT_ERROR("{\"a\":\x01 1}",
                       ":1:6: invalid JSON: unexpected byte 0x01 (expected "
                       "a value)");
    ASSERT_INPUT_ERROR("{\"a\": \"\\ud800\"}",
                       ":1:8: invalid JSON: invalid \\u escape (unpaired "
                       "surrogate)");
}
END_TEST

START_TEST(nul_byte_is_rejected_with_its_position)
{
    write_config("");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite("{\n \"a\": \0}", 1, 10, f);
    fclose(f);
    ck_assert_int_eq(config_load(&cfg, path, NULL, 0, &err), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg + strlen(path), ":2:7: NUL byte");
}
END_TEST

START_TEST(empty_file_is_rejected)
{
    ASSERT_INPUT_ERROR("", ":1:1: empty file, expected a JSON object");
    ASSERT_INPUT_ERROR(" \n\t\n", ":1:1: empty file, expected a JSON object");
}
END_TEST

START_TEST(top_level_must_be_an_object)
{
    ASSERT_INPUT_ERROR("\n  [1, 2]",
                       ":2:3: expected a JSON object, got [1,2]");
    ASSERT_INPUT_ERROR("\"input\"",
                       ":1:1: expected a JSON object, got \"input\"");
}
END_TEST

START_TEST(duplicate_keys_are_rejected_at_any_depth)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"epochs\": 5, \"seed\": 2, "
                       "\"epochs\": 6}}",
                       ": training.epochs: duplicate key");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"relu\"}, {\"units\": 1, "
                       "\"units\": 2}]}",
                       ": layers[1].units: duplicate key");
    ASSERT_INPUT_ERROR("{\"input\": 1, " NET "}", ": input: duplicate key");
}
END_TEST

START_TEST(duplicate_keys_are_found_in_large_objects)
{
    char json[4096] = "{\"metrics\": {";
    for (int i = 0; i < 100; i++)
        snprintf(json + strlen(json), sizeof json - strlen(json),
                 "\"m%d\": %d, ", i, i);
    strcat(json, "\"m42\": 1, \"m7\": 2}, " NET "}");
    ASSERT_INPUT_ERROR(json, ": metrics.m42: duplicate key");
}
END_TEST

/* ===================== keys ===================== */

START_TEST(unknown_key_suggests_the_close_name)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"learning_rat\": 0.1}}",
                       ": training.learning_rat: unknown key (did you mean "
                       "\"learning_rate\"?)");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"unit\": 1, "
                       "\"activation\": \"relu\"}]}",
                       ": layers[0].unit: unknown key (did you mean "
                       "\"units\"?)");
    ASSERT_INPUT_ERROR("{" NET ", \"trainig\": {}}",
                       ": trainig: unknown key (did you mean \"training\"?)");
}
END_TEST

START_TEST(unknown_key_far_from_all_lists_the_allowed_keys)
{
    ASSERT_INPUT_ERROR("{" NET ", \"optimizer\": \"sgd\"}",
                       ": optimizer: unknown key (expected one of: format, "
                       "input, layers, loss, init, training, data, output, "
                       "normalization, imputation, state, metrics)");
    ASSERT_INPUT_ERROR("{" NET ", \"init\": {\"kind\": \"he\"}}",
                       ": init.kind: unknown key (expected one of: method, "
                       "seed)");
}
END_TEST

START_TEST(required_keys_are_named_when_missing)
{
    ASSERT_INPUT_ERROR("{\"layers\": []}", ": input: missing required key");
    ASSERT_INPUT_ERROR("{\"input\": 3}", ": layers: missing required key");
    ASSERT_INPUT_ERROR("{\"input\": 3, \"layers\": [{\"units\": 2}]}",
                       ": layers[0].activation: missing required key");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"step\", \"gamma\": 0.5}}}",
                       ": training.schedule.every: missing required key");
}
END_TEST

/* ===================== values ===================== */

START_TEST(wrong_types_show_what_was_there)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"epochs\": \"ten\"}}",
                       ": training.epochs: expected a whole number, got "
                       "\"ten\"");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"shuffle\": \"yes\"}}",
                       ": training.shuffle: expected true or false, got "
                       "\"yes\"");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"momentum\": [0.9]}}",
                       ": training.momentum: expected a number, got [0.9]");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"train\": {\"path\": 1}}}",
                       ": data.train: expected a file path, got "
                       "{\"path\":1}");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": 5}",
                       ": training: expected an object, got 5");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"label\": true}}",
                       ": data.label: expected a column name or a 0-based "
                       "column index, got true");
}
END_TEST

START_TEST(long_values_are_cut_in_messages)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"epochs\": [1000000, "
                       "1000001, 1000002, 1000003, 1000004, 1000005, 1000006, "
                       "1000007, 1000008, 1000009, 1000010, 1000011]}}",
                       ": training.epochs: expected a whole number, got "
                       "[1000000,1000001,1000002,1000003,1000004,1000005,"
                       "1000006,1000007,1000008,...");
    ASSERT_INPUT_ERROR("{" NET ", \"loss\": \"a\\nbcdefghijklmnopqrstuvwxyz"
                       "abcdefghijklmnopqrstuvwxyz\"}",
                       ": loss: unknown loss \"a\\u000abcdefghijklmnopqrstu"
                       "vwxyzabcdefghijklmnopqrstu...\" (expected one of: "
                       "mse, cross_entropy)");
}
END_TEST

START_TEST(fractions_are_rejected_where_whole_numbers_are_needed)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"epochs\": 2.5}}",
                       ": training.epochs: expected a whole number, got 2.5");
    ASSERT_INPUT_ERROR("{\"input\": 1.000001, \"layers\": []}",
                       ": input: expected a whole number, got 1.000001");
}
END_TEST

START_TEST(non_finite_numbers_are_rejected)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"learning_rate\": 1e999}}",
                       ": training.learning_rate: must be a finite number, "
                       "got infinity");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"epochs\": -1e999}}",
                       ": training.epochs: must be at least 0, got "
                       "-infinity");
}
END_TEST

START_TEST(out_of_range_numbers_name_the_range)
{
    ASSERT_INPUT_ERROR("{\"input\": 0, \"layers\": []}",
                       ": input: must be from 1 to 16777216, got 0");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": -3, "
                       "\"activation\": \"relu\"}]}",
                       ": layers[0].units: must be from 1 to 16777216, "
                       "got -3");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"momentum\": 1}}",
                       ": training.momentum: must be in [0, 1), got 1");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"learning_rate\": 0}}",
                       ": training.learning_rate: must be > 0, got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"weight_decay\": -0.1}}",
                       ": training.weight_decay: must be >= 0, got -0.1");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"batch_size\": 0}}",
                       ": training.batch_size: must be at least 1, got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"seed\": 1e16}}",
                       ": training.seed: must be from 0 to 9007199254740992,"
                       " got 10000000000000000");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"validation_split\": 1}}",
                       ": data.validation_split: must be in [0, 1), got 1");
}
END_TEST

START_TEST(absurd_unit_counts_are_rejected_before_allocation)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1e12, "
                       "\"activation\": \"relu\"}]}",
                       ": layers[0].units: must be from 1 to 16777216, "
                       "got 1000000000000");
    /* each within bounds, together 2^48 + 2^24 parameters */
    ASSERT_INPUT_ERROR("{\"input\": 16777216, \"layers\": [{\"units\": "
                       "16777216, \"activation\": \"relu\"}]}",
                       ": layers: 281474993487872 parameters, more than the "
                       "limit of 1073741824");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": []}",
                       ": layers: expected at least one layer, got []");
}
END_TEST

START_TEST(enum_values_list_the_choices)
{
    ASSERT_INPUT_ERROR("{\"input\": 4, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"relu\"}, {\"units\": 3, "
                       "\"activation\": \"relux\"}]}",
                       ": layers[1].activation: unknown activation \"relux\" "
                       "(expected one of: sigmoid, tanh, relu, linear, "
                       "softmax)");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": \"adamax\"}}",
                       ": training.optimizer: unknown optimizer \"adamax\" "
                       "(expected one of: sgd, adam, adamw, rmsprop, "
                       "adagrad)");
    ASSERT_INPUT_ERROR("{" NET ", \"init\": {\"method\": 1}}",
                       ": init.method: expected a string (one of: xavier, he, "
                       "uniform), got 1");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"normalize\": \"scale\"}}",
                       ": data.normalize: unknown normalization \"scale\" "
                       "(expected one of: none, standard, minmax, or "
                       "{\"scale\": X})");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"normalize\": {\"scale\": 0}}}",
                       ": data.normalize.scale: must be non-zero, got 0");
}
END_TEST

START_TEST(format_must_name_this_weights_format)
{
    ASSERT_INPUT_ERROR("{\"format\": \"backprop.weights/2\", " NET "}",
                       ": format: expected \"backprop.weights/1\", got "
                       "\"backprop.weights/2\"");
}
END_TEST

START_TEST(schedule_keys_follow_the_schedule_type)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"cosine\", \"every\": 10}}}",
                       ": training.schedule.every: not used by a cosine "
                       "schedule");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"exponential\", \"every\": 10}}}",
                       ": training.schedule.every: not used by an "
                       "exponential schedule");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"step\", \"every\": 10, \"gamma\": 0}}}",
                       ": training.schedule.gamma: must be > 0, got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": \"step\"}}",
                       ": training.schedule: expected an object, got "
                       "\"step\"");
}
END_TEST

START_TEST(nesterov_needs_momentum)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"nesterov\": true}}",
                       ": training.nesterov: needs training.momentum > 0");
    ck_assert_int_eq(load("{" NET ", \"training\": {\"nesterov\": true, "
                          "\"momentum\": 0.5}}"), 0);
    ck_assert(cfg.training.nesterov);
}
END_TEST

START_TEST(optimizer_defaults_follow_pytorch)
{
    ck_assert_int_eq(load("{" NET ", \"training\": {\"optimizer\": "
                          "\"adamw\"}}"), 0);
    ck_assert_int_eq(cfg.training.optimizer, OPTIMIZER_ADAMW);
    ck_assert_double_eq(cfg.training.weight_decay, 0.01);
    ck_assert_double_eq(cfg.training.beta1, 0.9);
    ck_assert_double_eq(cfg.training.beta2, 0.999);
    ck_assert_double_eq(cfg.training.eps, 1e-8);
    ck_assert(!cfg.training.amsgrad);
    config_free(&cfg);
    ck_assert_int_eq(load("{" NET ", \"training\": {\"optimizer\": "
                          "\"adagrad\"}}"), 0);
    ck_assert_double_eq(cfg.training.eps, 1e-10);
    ck_assert_double_eq(cfg.training.weight_decay, 0);
    ck_assert_double_eq(cfg.training.initial_accumulator_value, 0);
    config_free(&cfg);
    ck_assert_int_eq(load("{" NET ", \"training\": {\"optimizer\": "
                          "\"rmsprop\", \"betas\": null}}"), 0);
    ck_assert_double_eq(cfg.training.alpha, 0.99);
    ck_assert_double_eq(cfg.training.eps, 1e-8);
    ck_assert(!cfg.training.centered);
    ck_assert_double_eq(cfg.training.momentum, 0);
    config_free(&cfg);
    ck_assert_int_eq(load("{" NET ", \"training\": {\"optimizer\": "
                          "\"adam\", \"betas\": [0.5, 0.75], \"eps\": "
                          "1e-6, \"amsgrad\": true}}"), 0);
    ck_assert_double_eq(cfg.training.beta1, 0.5);
    ck_assert_double_eq(cfg.training.beta2, 0.75);
    ck_assert_double_eq(cfg.training.eps, 1e-6);
    ck_assert(cfg.training.amsgrad);
}
END_TEST

START_TEST(optimizer_keys_belong_to_their_optimizer)
{
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"betas\": [0.9, 0.99]}}",
                       ": training.betas: not used by the sgd optimizer");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": \"adam\", "
                       "\"nesterov\": false}}",
                       ": training.nesterov: not used by the adam optimizer");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": "
                       "\"adagrad\", \"alpha\": 0.9}}",
                       ": training.alpha: not used by the adagrad optimizer");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": \"adam\", "
                       "\"betas\": [0.9]}}",
                       ": training.betas: expected [beta1, beta2], got "
                       "[0.9]");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": \"adam\", "
                       "\"betas\": [-0.1, 0.9]}}",
                       ": training.betas[0]: must be in [0, 1), got -0.1");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"optimizer\": "
                       "\"rmsprop\", \"alpha\": 1.5}}",
                       ": training.alpha: must be in [0, 1], got 1.5");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"clip_grad_norm\": 0}}",
                       ": training.clip_grad_norm: must be > 0, got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"label_smoothing\": 0.1}}",
                       ": training.label_smoothing: needs a softmax last "
                       "layer with the cross_entropy loss");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"relu\"}, {\"units\": 1, "
                       "\"activation\": \"sigmoid\", \"dropout\": 0.5}]}",
                       ": layers[1].dropout: only allowed on a hidden layer, "
                       "not the last (output) layer");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"plateau\", \"factor\": 1}}}",
                       ": training.schedule.factor: must be < 1, got 1");
    ASSERT_INPUT_ERROR("{" NET ", \"training\": {\"schedule\": {\"type\": "
                       "\"exponential\"}}}",
                       ": training.schedule.gamma: missing required key");
}
END_TEST

/* ===================== rules across keys ===================== */

START_TEST(softmax_only_on_the_last_layer_with_two_units)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}, {\"units\": 2, "
                       "\"activation\": \"softmax\"}]}",
                       ": layers[0].activation: softmax is only allowed on "
                       "the last layer");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"softmax\"}]}",
                       ": layers[0].activation: softmax needs at least 2 "
                       "units, got 1");
}
END_TEST

START_TEST(loss_must_fit_the_last_layer)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"linear\"}], \"loss\": "
                       "\"cross_entropy\"}",
                       ": loss: cross_entropy needs a softmax last layer or a "
                       "single sigmoid unit, but the last layer has 3 linear "
                       "units");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}], \"loss\": \"mse\"}",
                       ": loss: mse cannot follow a softmax last layer (use "
                       "cross_entropy)");
}
END_TEST

START_TEST(exclusive_data_keys_are_rejected_together)
{
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"label\": 2, \"targets\": "
                       "[2]}}",
                       ": data.targets: cannot be used together with "
                       "data.label");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"validation\": \"v.csv\", "
                       "\"validation_split\": 0.1}}",
                       ": data.validation_split: cannot be used together "
                       "with data.validation");
}
END_TEST

START_TEST(targets_match_the_output_units)
{
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"targets\": [\"a\", \"b\"]}}",
                       ": data.targets: expected 1 column (one per output "
                       "unit), got 2");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"targets\": []}}",
                       ": data.targets: expected a non-empty array of "
                       "columns, got []");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 2, "
                       "\"activation\": \"linear\"}], \"data\": "
                       "{\"targets\": [4, 4]}}",
                       ": data.targets[1]: the same column as targets[0]");
}
END_TEST

START_TEST(classes_match_the_class_count)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}], \"data\": "
                       "{\"classes\": [\"a\", \"b\"]}}",
                       ": data.classes: expected 3 class names (one per "
                       "class), got 2");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}], \"data\": "
                       "{\"classes\": [\"a\", \"b\", \"a\"]}}",
                       ": data.classes[2]: duplicate class name \"a\"");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}], \"data\": "
                       "{\"classes\": [\"a\", \"\", \"c\"]}}",
                       ": data.classes[1]: expected a non-empty string, got "
                       "\"\"");
    ASSERT_INPUT_ERROR("{" NET ", \"data\": {\"classes\": [\"a\"]}}",
                       ": data.classes: class names need class targets "
                       "(data.label, or a cross_entropy loss), but the "
                       "targets are real-valued");
}
END_TEST

START_TEST(weights_must_have_the_layer_shape)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 2, "
                       "\"activation\": \"relu\", \"weights\": [[1, 2]], "
                       "\"bias\": [0, 0]}]}",
                       ": layers[0].weights: expected 2 rows (one per unit), "
                       "got 1");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 2, "
                       "\"activation\": \"relu\", \"weights\": [[1, 2], "
                       "[3]], \"bias\": [0, 0]}]}",
                       ": layers[0].weights[1]: expected 2 numbers (one per "
                       "input of the layer), got 1");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"relu\", \"weights\": [[1, 2]], "
                       "\"bias\": [0, 0]}]}",
                       ": layers[0].bias: expected 1 number (one per unit), "
                       "got 2");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"relu\", \"weights\": [[1, 2]]}]}",
                       ": layers[0].bias: missing (a layer's weights and bias "
                       "come together)");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"relu\", \"weights\": [[1, 1e39]], "
                       "\"bias\": [0]}]}",
                       ": layers[0].weights[0][1]: out of float range (at "
                       "most 3.40282347e+38 in magnitude), got 1e+39");
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 1, "
                       "\"activation\": \"relu\", \"weights\": [[1, \"2\"]], "
                       "\"bias\": [0]}]}",
                       ": layers[0].weights[0][1]: expected a number, got "
                       "\"2\"");
}
END_TEST

START_TEST(velocity_must_have_the_layer_shapes)
{
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"velocity\": [{\"weights\": "
                       "[[0, 0], [0, 0], [0, 0]], \"bias\": [0, 0, 0]}]}}",
                       ": state.velocity: expected 2 entries (one per "
                       "layer), got 1");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"velocity\": [{\"weights\": "
                       "[[0, 0], [0, 0], [0, 0]], \"bias\": [0, 0, 0]}, "
                       "{\"weights\": [[0, 0]], \"bias\": [0]}]}}",
                       ": state.velocity[1].weights[0]: expected 3 numbers "
                       "(one per input of the layer), got 2");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"velocity\": [{\"weights\": "
                       "[[0, 0], [0, 0], [0, 0]]}, {}]}}",
                       ": state.velocity[0].bias: missing required key");
}
END_TEST

/* NET's parameters in the {"weights", "bias"} layout, all `v`. */
#define NET_PARAMS(v)                                                    \
    "[{\"weights\": [[" v ", " v "], [" v ", " v "], [" v ", " v "]], "  \
    "\"bias\": [" v ", " v ", " v "]}, {\"weights\": [[" v ", " v ", " v \
    "]], \"bias\": [" v "]}]"

START_TEST(early_stopping_record_is_read_with_its_best_epoch)
{
    ck_assert_int_eq(
        load("{" NET ", \"state\": {\"epoch\": 5, \"step\": 20, "
             "\"early_stopping\": {\"metric\": \"validation_accuracy\", "
             "\"best\": 0.875, \"best_epoch\": 2, \"restore\": {"
             "\"parameters\": " NET_PARAMS("0.5") ", \"state\": {\"epoch\": "
             "3, \"step\": 12, \"velocity\": " NET_PARAMS("-1") ", "
             "\"learning_rate\": 0.1}, \"metrics\": {\"train_loss\": 0.25, "
             "\"validation_accuracy\": 0.875}}}}}"),
        0);
    const struct stop_progress *p = cfg.state.stopping;
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->metric, STOP_VALIDATION_ACCURACY);
    ck_assert(p->best == 0.875);
    ck_assert_uint_eq(p->best_epoch, 2);
    ck_assert_uint_eq(p->state.epoch, 3);
    ck_assert_uint_eq(p->state.step, 12);
    ck_assert(p->state.learning_rate == 0.1);
    ck_assert_ptr_null(p->state.stopping);
    for (size_t i = 0; i < config_param_count(&cfg); i++) {
        ck_assert_float_eq(p->params[i], 0.5f);
        ck_assert_float_eq(p->state.buffer[STATE_VELOCITY][i], -1.0f);
    }
    ck_assert(p->metrics.train_loss == 0.25);
    ck_assert(isnan(p->metrics.validation_loss));
    config_free(&cfg);

    /* The best epoch is the last one done: the state is the best's. */
    ck_assert_int_eq(
        load("{" NET ", \"state\": {\"epoch\": 3, \"early_stopping\": "
             "{\"metric\": \"train_loss\", \"best\": 0.5, \"best_epoch\": 2}}}"),
        0);
    ck_assert_ptr_nonnull(cfg.state.stopping);
    ck_assert_ptr_null(cfg.state.stopping->params);
}
END_TEST

START_TEST(early_stopping_record_must_fit_the_state)
{
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 3}}}",
                       ": state.early_stopping.best_epoch: expected an "
                       "epoch before the 3 done (state.epoch), got 3");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 0}}}",
                       ": state.early_stopping.restore: missing required "
                       "key");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 2, \"restore\": {}}}}",
                       ": state.early_stopping.restore: unexpected: the best "
                       "epoch (2) is the last one done");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 0, \"restore\": {"
                       "\"parameters\": " NET_PARAMS("0") ", \"state\": "
                       "{\"epoch\": 2}}}}}",
                       ": state.early_stopping.restore.state.epoch: "
                       "expected 1 (the epochs done after the best), got 2");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 0, \"restore\": {"
                       "\"parameters\": " NET_PARAMS("0") ", \"state\": "
                       "{\"epoch\": 1, \"early_stopping\": {}}}}}}",
                       ": state.early_stopping.restore.state.early_stopping: "
                       "not allowed inside an early-stopping record");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"train_loss\", "
                       "\"best\": 0.5, \"best_epoch\": 0, \"restore\": {"
                       "\"parameters\": [], \"state\": {\"epoch\": 1}}}}}",
                       ": state.early_stopping.restore.parameters: expected "
                       "2 entries (one per layer), got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"state\": {\"epoch\": 3, "
                       "\"early_stopping\": {\"metric\": \"loss\", "
                       "\"best_epoch\": 2}}}",
                       ": state.early_stopping.metric: unknown metric "
                       "\"loss\" (expected one of: validation_loss, "
                       "validation_accuracy, train_loss)");
}
END_TEST

START_TEST(normalization_must_match_the_input)
{
    ASSERT_INPUT_ERROR("{" NET ", \"normalization\": {\"mean\": [0], "
                       "\"std\": [1]}}",
                       ": normalization.mean: expected 2 numbers (one per "
                       "input), got 1");
    ASSERT_INPUT_ERROR("{" NET ", \"normalization\": {\"mean\": [0, 0], "
                       "\"std\": [1, 0]}}",
                       ": normalization.std[1]: must be non-zero, got 0");
    ASSERT_INPUT_ERROR("{" NET ", \"metrics\": {\"loss\": \"low\"}}",
                       ": metrics.loss: expected a number or null, got "
                       "\"low\"");
}
END_TEST

/* Found by tests/fuzz/fuzz_config: 63 rows of 2^24 inputs are 4 GiB of
 * floats, and the loader allocated them before seeing that the file holds
 * none. Under a 2 GiB address-space limit that allocation fails, so the
 * file is rejected for its shape only if nothing was allocated first.
 * (Not under AddressSanitizer, which reserves terabytes of address space.) */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void assert_shape_error_within_2gib(const char *json,
                                           const char *expected)
{
#ifndef UNDER_ASAN
    write_config(json);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit lim = {(rlim_t)2 << 30, (rlim_t)2 << 30};
        struct config c;
        struct bp_error e = {0};
        if (setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(3);
        int rc = config_load(&c, path, NULL, 0, &e);
        _exit(rc == -1 && e.code == BP_EINPUT ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s: not rejected as bad input within 2 GiB", expected);
#endif
    ASSERT_INPUT_ERROR(json, expected);
}

START_TEST(shapes_are_checked_before_parameters_are_allocated)
{
    assert_shape_error_within_2gib(
        "{\"input\": 16777216, \"layers\": [{\"units\": 63, "
        "\"activation\": \"relu\", \"weights\": [], \"bias\": []}]}",
        ": layers[0].weights: expected 63 rows (one per unit), got 0");
    assert_shape_error_within_2gib(
        "{\"input\": 16777216, \"layers\": [{\"units\": 63, "
        "\"activation\": \"relu\"}], \"state\": {\"velocity\": "
        "[{\"weights\": [], \"bias\": []}]}}",
        ": state.velocity[0].weights: expected 63 rows (one per unit), "
        "got 0");
}
END_TEST

/* Found by tests/fuzz/fuzz_config: names from the file or the command
 * line went into messages raw, so a "\n" in them split the one-line
 * message (SPEC section 2). */
START_TEST(names_with_control_characters_keep_messages_on_one_line)
{
    ASSERT_INPUT_ERROR("{\"input\": 2, \"layers\": [{\"units\": 3, "
                       "\"activation\": \"softmax\"}], \"data\": "
                       "{\"classes\": [\"a\\nb\", \"c\", \"a\\nb\"]}}",
                       ": data.classes[2]: duplicate class name "
                       "\"a\\u000ab\"");
    const struct config_override key = {"x\n[0]", "1", NULL};
    ck_assert_int_eq(load_with("{" NET "}", &key, 1), -1);
    ck_assert_int_eq(err.code, BP_EUSAGE);
    ck_assert_str_eq(err.msg, "--set x?[0]: x? does not exist (an index "
                              "needs an existing array)");
}
END_TEST

/* ===================== overrides ===================== */

START_TEST(overrides_set_numbers_and_strings)
{
    const struct config_override ov[] = {
        {"training.momentum", "0.9", NULL},
        {"training.epochs", "3", NULL},
        {"data.label", "species", NULL},
        {"init.method", "\"uniform\"", NULL},
    };
    ck_assert_int_eq(load_with(spec_example, ov, 4), 0);
    ck_assert(cfg.training.momentum == 0.9);
    ck_assert_uint_eq(cfg.training.epochs, 3);
    ck_assert_str_eq(cfg.data.label.name, "species");
    ck_assert_int_eq(cfg.init, INIT_UNIFORM);
}
END_TEST

START_TEST(overrides_create_missing_objects)
{
    const struct config_override ov[] = {
        {"training.schedule.type", "cosine", NULL},
        {"data.normalize.scale", "2", NULL},
    };
    ck_assert_int_eq(load_with("{" NET "}", ov, 2), 0);
    ck_assert_int_eq(cfg.training.schedule, SCHEDULE_COSINE);
    ck_assert_int_eq(cfg.data.normalize, NORMALIZE_SCALE);
    ck_assert(cfg.data.normalize_scale == 2);
}
END_TEST

START_TEST(overrides_take_array_indices_in_both_spellings)
{
    const struct config_override ov[] = {
        {"layers.0.units", "7", NULL},
        {"layers[1].activation", "linear", NULL},
    };
    ck_assert_int_eq(load_with("{" NET "}", ov, 2), 0);
    ck_assert_uint_eq(cfg.layers[0].units, 7);
    ck_assert_int_eq(cfg.layers[1].activation, ACT_LINEAR);
}
END_TEST

START_TEST(overrides_replace_whole_values_and_null_removes)
{
    const struct config_override ov[] = {
        {"training", "{\"epochs\": 1}", NULL},
        {"output", "null", NULL},
    };
    ck_assert_int_eq(load_with(spec_example, ov, 2), 0);
    ck_assert_uint_eq(cfg.training.epochs, 1);
    ck_assert(cfg.training.momentum == 0); /* the old object is gone */
    ck_assert_ptr_null(cfg.output);
}
END_TEST

static void assert_usage_error(const struct config_override *ov,
                               const char *expected)
{
    ck_assert_int_eq(load_with("{" NET "}", ov, 1), -1);
    ck_assert_int_eq(err.code, BP_EUSAGE);
    ck_assert_str_eq(err.msg, expected);
}

START_TEST(bad_override_paths_are_usage_errors)
{
    const struct config_override out_of_range = {"layers[2].units", "1", NULL};
    assert_usage_error(&out_of_range, "--set layers[2].units: index 2 out of "
                                      "range (layers has 2 elements)");
    const struct config_override through = {"input.size", "1", NULL};
    assert_usage_error(&through, "--set input.size: input is not an object");
    const struct config_override empty = {"training..epochs", "1", NULL};
    assert_usage_error(&empty, "--set training..epochs: empty part in the "
                               "key");
    const struct config_override bad_index = {"layers[x].units", "1", NULL};
    assert_usage_error(&bad_index, "--set layers[x].units: bad index \"[x\" "
                                   "(expected [N])");
    const struct config_override not_array = {"input[0]", "1", NULL};
    assert_usage_error(&not_array, "--set input[0]: input is not an array");
    const struct config_override object = {"layers[0][0]", "1", NULL};
    assert_usage_error(&object, "--set layers[0][0]: layers[0] is not an "
                                "array");
    const struct config_override missing = {"data.targets[0]", "1", NULL};
    assert_usage_error(&missing, "--set data.targets[0]: data.targets does "
                                 "not exist (an index needs an existing "
                                 "array)");
    const struct config_override top = {"[0]", "1", NULL};
    assert_usage_error(&top, "--set [0]: the top level is not an array");
    const struct config_override name_in_array = {"layers.first.units", "1",
                                                  NULL};
    assert_usage_error(&name_in_array, "--set layers.first.units: layers is "
                                       "an array: expected an index, got "
                                       "\"first\"");
    const struct config_override dup = {"training",
                                        "{\"a\": 1, \"a\": 2}", NULL};
    assert_usage_error(&dup, "--set training: duplicate key a in the value");
}
END_TEST

START_TEST(overridden_values_are_validated_under_their_key)
{
    /* Under their key, and named by the option they came from. */
    const struct config_override ov[] = {{"training.epochs", "ten", NULL}};
    ck_assert_int_eq(load_with("{" NET "}", ov, 1), -1);
    ck_assert_int_eq(err.code, BP_EINPUT);
    ck_assert_str_eq(err.msg, "--set training.epochs: expected a whole "
                              "number, got \"ten\"");
    const struct config_override typo[] = {{"training.epoch", "3", NULL}};
    ck_assert_int_eq(load_with("{" NET "}", typo, 1), -1);
    ck_assert_str_eq(err.msg, "--set training.epoch: unknown key (did you "
                              "mean \"epochs\"?)");
    /* An index as the option wrote it, the object holding the key, and
     * the latest override of the key. */
    const struct config_override deep[] = {
        {"layers.0", "{\"units\": 3, \"activation\": \"relux\"}", "--grid"},
        {"training.learning_rate", "0.1", "--learning-rate"},
        {"training.learning_rate", "-2", "--range"}};
    ck_assert_int_eq(load_with("{" NET "}", deep, 1), -1);
    ck_assert_str_eq(err.msg, "--grid layers[0].activation: unknown "
                              "activation \"relux\" (expected one of: "
                              "sigmoid, tanh, relu, linear, softmax)");
    ck_assert_int_eq(load_with("{" NET "}", deep + 1, 2), -1);
    ck_assert_str_eq(err.msg, "--range training.learning_rate: must be > 0, "
                              "got -2");
    /* A key the override did not set still names the file. */
    const struct config_override other[] = {{"training.momentum", "0.5",
                                             NULL}};
    ck_assert_int_eq(load_with("{" NET ", \"training\": {\"epochs\": -1}}",
                               other, 1), -1);
    ck_assert_str_eq(err.msg + strlen(path), ": training.epochs: must be at "
                                             "least 0, got -1");
}
END_TEST

START_TEST(duplicate_keys_are_caught_before_overrides_replace_them)
{
    const struct config_override ov[] = {{"training.epochs", "3", NULL}};
    ck_assert_int_eq(load_with("{" NET ", \"training\": {\"epochs\": 1, "
                               "\"epochs\": 2}}", ov, 1), -1);
    ck_assert_str_eq(err.msg + strlen(path),
                     ": training.epochs: duplicate key");
}
END_TEST

/* ===================== did-you-mean ===================== */

START_TEST(edit_distance_counts_swaps_as_one)
{
    ck_assert_uint_eq(suggest_distance("epochs", "epochs"), 0);
    ck_assert_uint_eq(suggest_distance("epcohs", "epochs"), 1);
    ck_assert_uint_eq(suggest_distance("learning_rat", "learning_rate"), 1);
    ck_assert_uint_eq(suggest_distance("", "abc"), 3);
    ck_assert_uint_eq(suggest_distance("kitten", "sitting"), 3);
}
END_TEST

START_TEST(closest_name_is_suggested_only_when_close)
{
    static const char *const names[] = {"units", "activation", "weights",
                                        "bias", NULL};
    ck_assert_str_eq(suggest_closest("activaton", names), "activation");
    ck_assert_str_eq(suggest_closest("weigths", names), "weights");
    ck_assert_ptr_null(suggest_closest("size", names));
    ck_assert_ptr_null(suggest_closest("b", names)); /* "bias": 3 edits */
}
END_TEST

Suite *config_suite(void);

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    struct {
        const char *name;
        const TTest *tests[24];
    } groups[] = {
        {"valid", {spec_example_parses_to_its_values,
                   minimal_config_gets_the_documented_defaults,
                   loss_defaults_to_cross_entropy_after_softmax,
                   init_defaults_to_he_only_when_every_hidden_layer_is_relu,
                   explicit_weights_are_stored_row_major_as_float,
                   weights_file_fills_normalization_and_state,
                   empty_normalization_and_null_state_mean_none,
                   null_counts_as_an_absent_key,
                   data_columns_normalize_scale_and_classes,
                   byte_order_mark_is_accepted, NULL}},
        {"paths", {relative_paths_resolve_against_the_config_folder,
                   a_file_in_the_current_folder_adds_no_dot_prefix,
                   stdin_is_named_stdin_and_resolves_against_the_current_folder,
                   paths_set_on_the_command_line_resolve_against_the_current_folder,
                   a_missing_file_is_bad_input_naming_the_cause,
                   a_folder_is_bad_input, NULL}},
        {"syntax", {syntax_error_gives_line_and_column,
                    unexpected_end_of_file_points_at_the_end,
                    trailing_garbage_is_rejected,
                    what_cjson_would_accept_but_json_forbids_is_rejected,
                    nul_byte_is_rejected_with_its_position,
                    empty_file_is_rejected, top_level_must_be_an_object,
                    duplicate_keys_are_rejected_at_any_depth,
                    duplicate_keys_are_found_in_large_objects, NULL}},
        {"keys", {unknown_key_suggests_the_close_name,
                  unknown_key_far_from_all_lists_the_allowed_keys,
                  required_keys_are_named_when_missing, NULL}},
        {"values", {wrong_types_show_what_was_there,
                    long_values_are_cut_in_messages,
                    fractions_are_rejected_where_whole_numbers_are_needed,
                    non_finite_numbers_are_rejected,
                    out_of_range_numbers_name_the_range,
                    absurd_unit_counts_are_rejected_before_allocation,
                    enum_values_list_the_choices,
                    format_must_name_this_weights_format,
                    schedule_keys_follow_the_schedule_type,
                    nesterov_needs_momentum,
                    optimizer_defaults_follow_pytorch,
                    optimizer_keys_belong_to_their_optimizer, NULL}},
        {"rules", {softmax_only_on_the_last_layer_with_two_units,
                   loss_must_fit_the_last_layer,
                   exclusive_data_keys_are_rejected_together,
                   targets_match_the_output_units,
                   classes_match_the_class_count,
                   weights_must_have_the_layer_shape,
                   velocity_must_have_the_layer_shapes,
                   early_stopping_record_is_read_with_its_best_epoch,
                   early_stopping_record_must_fit_the_state,
                   normalization_must_match_the_input,
                   shapes_are_checked_before_parameters_are_allocated,
                   names_with_control_characters_keep_messages_on_one_line,
                   NULL}},
        {"overrides", {overrides_set_numbers_and_strings,
                       overrides_create_missing_objects,
                       overrides_take_array_indices_in_both_spellings,
                       overrides_replace_whole_values_and_null_removes,
                       bad_override_paths_are_usage_errors,
                       overridden_values_are_validated_under_their_key,
                       duplicate_keys_are_caught_before_overrides_replace_them,
                       NULL}},
        {"suggest", {edit_distance_counts_swaps_as_one,
                     closest_name_is_suggested_only_when_close, NULL}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        TCase *tc = tcase_create(groups[g].name);
        tcase_add_checked_fixture(tc, NULL, teardown);
        for (size_t t = 0; groups[g].tests[t]; t++)
            tcase_add_test(tc, groups[g].tests[t]);
        suite_add_tcase(s, tc);
    }
    return s;
}
