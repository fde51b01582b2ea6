/* The weights file: canonical text, bit-exact round trips through
 * config_load, paths rewritten for the file's folder, atomic writes. */
#include <check.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json_writer.h"
#include "nets.h"
#include "testutil.h"
#include "weights.h"

static char scratch_dir[256];

static void remove_scratch(void)
{
    testutil_remove_tree(scratch_dir);
}

/* A scratch folder for this test process: a new one (no earlier run's
 * files in it), removed when the process exits. */
static const char *scratch(void)
{
    if (!scratch_dir[0]) {
        ck_assert_ptr_nonnull(testutil_new_folder(
            scratch_dir, sizeof scratch_dir, "bp_weights"));
        atexit(remove_scratch);
    }
    return scratch_dir;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

/* Saves a weights file named `name` in the scratch folder (its path into
 * path[512]) and loads it back into *back; returns the text written
 * (caller frees). */
static char *save_and_load(const struct config *cfg,
                           const struct network *net,
                           const struct normalization *nz,
                           const struct train_state *state,
                           const struct train_metrics *metrics,
                           const char *name, char path[512],
                           struct config *back)
{
    snprintf(path, 512, "%s/%s", scratch(), name);
    struct bp_error err = {0};
    ck_assert_msg(weights_save(cfg, net, nz, state, metrics, path, &err) == 0,
                  "%s", err.msg);
    char *text = slurp(path);
    ck_assert_msg(config_load(back, path, NULL, 0, &err) == 0, "%s",
                  err.msg);
    return text;
}

/* Writes back (loaded by save_and_load, its network net) to path again:
 * the text must be `first`, byte for byte. */
static void assert_rewritten_the_same(const struct config *back,
                                      const struct network *net,
                                      const char *path, const char *first)
{
    struct bp_error err = {0};
    ck_assert_msg(weights_save(back, net, &back->normalization, &back->state,
                               &back->metrics, path, &err) == 0,
                  "%s", err.msg);
    char *second = slurp(path);
    ck_assert_str_eq(first, second);
    free(second);
}

/* Writes a trained-looking 3-5-2 net with momentum state, reads it back
 * with config_load, writes it again: the bytes must agree. */
START_TEST(weights_file_round_trips_byte_for_byte)
{
    struct config cfg;
    struct network net;
    size_t units[2] = {5, 2};
    enum activation acts[2] = {ACT_TANH, ACT_SOFTMAX};
    nets_config(&cfg, 3, 2, units, acts, LOSS_CROSS_ENTROPY, 7);
    cfg.data.has_label = true;
    cfg.data.label.index = 3;
    cfg.training.momentum = 0.9;
    cfg.training.schedule = SCHEDULE_STEP;
    cfg.training.schedule_every = 3;
    cfg.training.schedule_gamma = 0.1;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    /* Awkward values: subnormal, negative zero, large, many digits. */
    net.params[0] = 1e-40f;
    net.params[1] = -0.0f;
    net.params[2] = 3.4e38f;
    net.params[3] = 0.1f;
    float mean[3] = {1.5f, -2.25f, 1e-3f}, std[3] = {0.3f, 1.0f, 7.0f};
    struct normalization nz = {3, mean, std};
    float *velocity = calloc(net.n_params, sizeof *velocity);
    nets_random(velocity, net.n_params, 3);
    struct train_state state = {
        .epoch = 4, .step = 17, .buffer = {[STATE_VELOCITY] = velocity},
        .has_learning_rate = true, .learning_rate = 0.01, .stopping = NULL};
    struct train_metrics metrics = {0.25, NAN, 0.875};

    char path[512];
    struct config back;
    char *first = save_and_load(&cfg, &net, &nz, &state, &metrics,
                                "a.weights.json", path, &back);
    ck_assert(back.is_weights);
    struct network net2;
    ck_assert_int_eq(network_create(&net2, &back, NULL), 0);
    ck_assert_mem_eq(net2.params, net.params, net.n_params * sizeof(float));
    ck_assert_mem_eq(back.state.buffer[STATE_VELOCITY], velocity,
                     net.n_params * sizeof(float));
    ck_assert_uint_eq(back.state.epoch, 4);
    ck_assert_uint_eq(back.state.step, 17);
    ck_assert_double_eq(back.metrics.validation_accuracy, 0.875);
    ck_assert(isnan(back.metrics.validation_loss));

    assert_rewritten_the_same(&back, &net2, path, first);

    free(first);
    free(velocity);
    network_free(&net);
    network_free(&net2);
    config_free(&cfg);
    config_free(&back);
}
END_TEST

/* An early-stopping record whose best epoch is not the last: its
 * parameters, state and metrics are written, read back bit for bit, and
 * written again to the same bytes. */
START_TEST(early_stopping_record_round_trips_byte_for_byte)
{
    struct config cfg;
    struct network net;
    size_t units[2] = {4, 1};
    enum activation acts[2] = {ACT_RELU, ACT_SIGMOID};
    nets_config(&cfg, 2, 2, units, acts, LOSS_MSE, 5);
    cfg.training.momentum = 0.5;
    cfg.training.early_stopping_patience = 4;
    cfg.training.early_stopping_metric = STOP_TRAIN_LOSS;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    size_t n = net.n_params;
    float *velocity = calloc(n, sizeof *velocity);
    float *best_params = calloc(n, sizeof *best_params);
    float *best_velocity = calloc(n, sizeof *best_velocity);
    nets_random(velocity, n, 1);
    nets_random(best_params, n, 2);
    nets_random(best_velocity, n, 3);
    struct stop_progress p = {
        .metric = STOP_TRAIN_LOSS,
        .best = 0.1234567890123,
        .best_epoch = 2,
        .params = best_params,
        .state = {.epoch = 3, .step = 30,
                  .buffer = {[STATE_VELOCITY] = best_velocity},
                  .has_learning_rate = true, .learning_rate = 0.05,
                  .stopping = NULL},
        .metrics = {0.1234567890123, NAN, NAN},
    };
    struct train_state state = {
        .epoch = 6, .step = 60, .buffer = {[STATE_VELOCITY] = velocity},
        .has_learning_rate = true, .learning_rate = 0.05, .stopping = &p};
    struct train_metrics metrics = {0.2, NAN, NAN};
    struct normalization nz = {0};

    char path[512];
    struct config back;
    char *first = save_and_load(&cfg, &net, &nz, &state, &metrics,
                                "es.weights.json", path, &back);
    const struct stop_progress *q = back.state.stopping;
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(q->metric, STOP_TRAIN_LOSS);
    ck_assert(q->best == p.best);
    ck_assert_uint_eq(q->best_epoch, 2);
    ck_assert_mem_eq(q->params, best_params, n * sizeof(float));
    ck_assert_mem_eq(q->state.buffer[STATE_VELOCITY], best_velocity, n * sizeof(float));
    ck_assert_uint_eq(q->state.epoch, 3);
    ck_assert_uint_eq(q->state.step, 30);
    ck_assert(q->metrics.train_loss == p.metrics.train_loss);

    struct network net2;
    ck_assert_int_eq(network_create(&net2, &back, NULL), 0);
    assert_rewritten_the_same(&back, &net2, path, first);

    free(first);
    free(velocity);
    free(best_params);
    free(best_velocity);
    network_free(&net);
    network_free(&net2);
    config_free(&cfg);
    config_free(&back);
}
END_TEST

/* The weights text of a 1-1 linear net whose data.train is `train`,
 * written as if to `out` (caller frees). */
static char *text_with_train_path(const char *train, const char *out)
{
    struct config cfg;
    struct network net;
    size_t units[1] = {1};
    enum activation acts[1] = {ACT_LINEAR};
    nets_config(&cfg, 1, 1, units, acts, LOSS_MSE, 1);
    cfg.data.train = strdup(train);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    struct normalization nz = {0};
    struct train_state st = {0};
    struct train_metrics m = {NAN, NAN, NAN};
    size_t len;
    char *text = weights_to_json(&cfg, &net, &nz, &st, &m, out, &len, NULL);
    ck_assert_ptr_nonnull(text);
    network_free(&net);
    config_free(&cfg);
    return text;
}

START_TEST(data_paths_are_rewritten_for_the_files_folder)
{
    const char *dir = scratch();
    char sub[512], data[600], out[600];
    snprintf(sub, sizeof sub, "%s/models", dir);
    mkdir(sub, 0755);
    snprintf(data, sizeof data, "%s/train.csv", dir);
    FILE *f = fopen(data, "w");
    fputs("x,y\n1,2\n", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/m.json", sub);
    char *text = text_with_train_path(data, out);
    ck_assert_ptr_nonnull(strstr(text, "\"train\": \"../train.csv\""));
    free(text);
}
END_TEST

/* Found by tests/fuzz/fuzz_weights: a path naming the output folder
 * itself ("train": ".") was written as "", which config_load rejects, so
 * the file did not read back. */
START_TEST(a_path_to_the_output_folder_is_written_as_dot)
{
    const char *dir = scratch();
    char out[600];
    snprintf(out, sizeof out, "%s/m.json", dir);
    char *text = text_with_train_path(dir, out);
    ck_assert_ptr_nonnull(strstr(text, "\"train\": \".\""));
    free(text);
}
END_TEST

START_TEST(json_writer_formats_numbers_exactly)
{
    struct json_writer w;
    json_writer_init(&w, true);
    json_begin_object(&w);
    json_key(&w, "f");
    json_float(&w, 0.1f);
    json_key(&w, "d");
    json_double(&w, 0.1);
    json_key(&w, "nan");
    json_double(&w, NAN);
    json_key(&w, "s");
    json_string(&w, "a\"b\\\n\x01");
    json_key(&w, "a");
    json_begin_array(&w, false);
    json_size(&w, 3);
    json_bool(&w, false);
    json_null(&w);
    json_end_array(&w);
    json_end_object(&w);
    size_t len;
    char *text = json_writer_finish(&w, &len, NULL);
    ck_assert_str_eq(text, "{\"f\":0.100000001,\"d\":0.1,\"nan\":null,"
                           "\"s\":\"a\\\"b\\\\\\n\\u0001\",\"a\":[3,false,"
                           "null]}\n");
    ck_assert_uint_eq(len, strlen(text));
    free(text);
}
END_TEST

/* json_format_double's digits: the fewest of 15, 16 and 17 that read
 * back, as a plain loop over the three finds them. */
START_TEST(doubles_take_the_fewest_digits_that_read_back)
{
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        double x;
        switch (i % 4) {
        case 0: { /* any bits */
            uint64_t bits = state ^ (state >> 29);
            memcpy(&x, &bits, sizeof x);
            if (!isfinite(x))
                continue;
            break;
        }
        case 1: /* a float's value, as the metrics are */
            x = (double)(float)((double)(state >> 11) * 0x1p-53 * 10.0);
            break;
        case 2: /* a short decimal */
            x = (double)(state % 100000) / 1000.0;
            break;
        default: /* seconds-like sums */
            x = (double)(state >> 11) * 0x1p-53 * 1e-3 * (double)(i % 97);
            break;
        }
        char want[40], got[40];
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(want, sizeof want, "%.*g", digits, x);
            if (strtod(want, NULL) == x)
                break;
        }
        json_format_double(got, sizeof got, x);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

START_TEST(atomic_write_replaces_and_keeps_the_mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/atomic.txt", scratch());
    FILE *f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    chmod(path, 0640);
    ck_assert_int_eq(atomic_write_file(path, "new!", 4, NULL), 0);
    char *text = slurp(path);
    ck_assert_str_eq(text, "new!");
    free(text);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
}
END_TEST

START_TEST(atomic_write_failure_leaves_the_target_untouched)
{
    struct bp_error err = {0};
    ck_assert_int_eq(atomic_write_file("/nonexistent-folder/x.json", "x", 1,
                                       &err),
                     -1);
    ck_assert_int_eq(err.code, BP_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-folder/x.json: "));
    ck_assert_int_eq(atomic_check_writable("/nonexistent-folder/x.json",
                                           &err),
                     -1);
    ck_assert_int_eq(atomic_check_writable(scratch(), &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "is a folder"));
    ck_assert_int_eq(atomic_check_writable("-", &err), 0);
}
END_TEST

/* What a signal handler does on a second Ctrl-C during a save. */
static void abandon_and_exit(int sig)
{
    (void)sig;
    atomic_file_abandon();
    _exit(0);
}

/* Whether folder holds a file whose name starts with prefix. */
static bool holds(const char *folder, const char *prefix)
{
    DIR *d = opendir(folder);
    ck_assert_ptr_nonnull(d);
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d)) != NULL;)
        found = strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return found;
}

/* A child writes 64 MB over a file and is signalled while the temporary
 * file is there; its handler's atomic_file_abandon removes it, and the
 * target keeps its old bytes. Tried until the signal lands mid-write (it
 * may come after the rename, when the new bytes must be there in full). */
START_TEST(a_signal_during_a_write_leaves_no_temporary_file)
{
    char dir[512], target[600];
    snprintf(dir, sizeof dir, "%s/abandon", scratch());
    mkdir(dir, 0755);
    snprintf(target, sizeof target, "%s/w.json", dir);
    size_t len = (size_t)64 << 20;
    bool landed = false;
    for (int attempt = 0; attempt < 8 && !landed; attempt++) {
        FILE *f = fopen(target, "w");
        ck_assert_ptr_nonnull(f);
        fputs("previous", f);
        fclose(f);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            signal(SIGUSR1, abandon_and_exit);
            char *buf = malloc(len);
            if (!buf)
                _exit(2);
            memset(buf, 'x', len);
            _exit(atomic_write_file(target, buf, len, NULL) == 0 ? 3 : 4);
        }
        int status;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (holds(dir, ".w.json.")) {
                /* Well inside the write, past the file's creation. */
                struct timespec ms = {0, 1000000};
                nanosleep(&ms, NULL);
                kill(pid, SIGUSR1);
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                break;
            }
        }
        ck_assert(WIFEXITED(status));
        ck_assert_msg(!holds(dir, ".w.json."), "a temporary file is left");
        /* The old bytes, or (the signal came after the rename, or never)
         * the new ones in full. */
        struct stat st;
        ck_assert_int_eq(stat(target, &st), 0);
        ck_assert_int_ne(WEXITSTATUS(status), 4);
        if ((size_t)st.st_size != len) {
            char *text = slurp(target);
            ck_assert_str_eq(text, "previous");
            free(text);
            landed = true;
        }
    }
    ck_assert_msg(landed, "the signal never landed during the write");
}
END_TEST

/* Every optimizer buffer, the step count, the optimizer's name, the
 * plateau's progress (its best still +inf, written null) and the new
 * keys of training and layers come back as written, and the text again
 * byte for byte. */
START_TEST(optimizer_state_round_trips_byte_for_byte)
{
    struct config cfg;
    struct network net;
    size_t units[2] = {5, 3};
    enum activation acts[2] = {ACT_RELU, ACT_SOFTMAX};
    for (int round = 0; round < 2; round++) {
        nets_config(&cfg, 3, 2, units, acts, LOSS_CROSS_ENTROPY, 7);
        cfg.layers[0].dropout = 0.25;
        cfg.training.optimizer = round ? OPTIMIZER_RMSPROP : OPTIMIZER_ADAMW;
        cfg.training.beta1 = 0.8;
        cfg.training.beta2 = 0.99;
        cfg.training.eps = 1e-7;
        cfg.training.amsgrad = true;
        cfg.training.alpha = 0.9;
        cfg.training.centered = true;
        cfg.training.momentum = round ? 0.5 : 0;
        cfg.training.weight_decay = 0.01;
        cfg.training.clip_grad_norm = 2.5;
        cfg.training.label_smoothing = 0.1;
        cfg.training.warmup_epochs = 3;
        cfg.training.schedule = SCHEDULE_PLATEAU;
        cfg.training.plateau_factor = 0.5;
        cfg.training.plateau_patience = 0;
        cfg.training.plateau_threshold = 0.01;
        cfg.training.plateau_min_lr = 1e-5;
        cfg.training.plateau_metric = PLATEAU_TRAIN_LOSS;
        ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
        size_t n = net.n_params;
        struct train_state state = {
            .epoch = 5, .step = 40, .t = 37, .has_optimizer = true,
            .optimizer = cfg.training.optimizer, .has_learning_rate = true,
            .learning_rate = 0.005,
            .plateau = {true, 0.005, round ? 0.125 : INFINITY, 2}};
        int kept[2][3] = {{STATE_M, STATE_V, STATE_VMAX},
                          {STATE_S, STATE_A, STATE_B}};
        for (int k = 0; k < 3; k++) {
            int b = kept[round][k];
            state.buffer[b] = calloc(n, sizeof(float));
            nets_random(state.buffer[b], n, 10 + (uint64_t)b);
        }
        struct train_metrics metrics = {0.5, NAN, NAN};
        struct normalization nz = {0};
        char path[512];
        struct config back;
        char *first = save_and_load(&cfg, &net, &nz, &state, &metrics,
                                    "opt.weights.json", path, &back);
        const struct train_state *b2 = &back.state;
        for (int k = 0; k < 3; k++) {
            int b = kept[round][k];
            ck_assert_ptr_nonnull(b2->buffer[b]);
            ck_assert_mem_eq(b2->buffer[b], state.buffer[b], n * sizeof(float));
        }
        ck_assert_ptr_null(b2->buffer[STATE_VELOCITY]);
        ck_assert_uint_eq(b2->t, 37);
        ck_assert(b2->has_optimizer);
        ck_assert_int_eq(b2->optimizer, cfg.training.optimizer);
        ck_assert(b2->plateau.active);
        ck_assert(b2->plateau.best == state.plateau.best);
        ck_assert_uint_eq(b2->plateau.bad_epochs, 2);
        ck_assert_double_eq(back.layers[0].dropout, 0.25);
        ck_assert_int_eq(back.training.plateau_metric, PLATEAU_TRAIN_LOSS);
        ck_assert_double_eq(back.training.clip_grad_norm, 2.5);
        ck_assert_uint_eq(back.training.warmup_epochs, 3);
        struct network net2;
        ck_assert_int_eq(network_create(&net2, &back, NULL), 0);
        assert_rewritten_the_same(&back, &net2, path, first);
        free(first);
        for (int b = 0; b < STATE_BUFFERS; b++)
            free(state.buffer[b]);
        network_free(&net);
        network_free(&net2);
        config_free(&back);
        config_free(&cfg);
    }
}
END_TEST

/* ---- the parameter rows read straight from the text (json_floats.h) ---- */

/* A 2-2-2 weights file whose first layer holds `rows` and `bias`. */
static int load_small(struct config *cfg, const char *rows, const char *bias,
                      const struct config_override *ov, size_t n_ov,
                      struct bp_error *err)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"format\": \"backprop.weights/1\", \"input\": 2, \"layers\": "
             "[{\"units\": 2, \"activation\": \"relu\", \"weights\": %s, "
             "\"bias\": %s}, {\"units\": 2, \"activation\": \"softmax\"}], "
             "\"loss\": \"cross_entropy\"}",
             rows, bias);
    return config_parse_buffer(cfg, "w.json", text, strlen(text), ov, n_ov,
                               err);
}

static void assert_load_fails(const char *rows, const char *bias,
                              const char *message)
{
    struct config cfg;
    struct bp_error err = {0};
    ck_assert_int_eq(load_small(&cfg, rows, bias, NULL, 0, &err), -1);
    ck_assert_str_eq(err.msg, message);
}

/* Bad rows are left to the tree reader, whose messages name the element
 * (the messages the reader gave before rows were lifted). */
START_TEST(bad_parameter_rows_name_the_element)
{
    assert_load_fails("[[1, \"x\"], [3, 4]]", "[0, 0]",
                      "w.json: layers[0].weights[0][1]: expected a number, "
                      "got \"x\"");
    assert_load_fails("[[1, 2], [3, 1e39]]", "[0, 0]",
                      "w.json: layers[0].weights[1][1]: out of float range "
                      "(at most 3.40282347e+38 in magnitude), got 1e+39");
    assert_load_fails("[[1, 2, 3], [3, 4]]", "[0, 0]",
                      "w.json: layers[0].weights[0]: expected 2 numbers (one "
                      "per input of the layer), got 3");
    assert_load_fails("[[1, 2], []]", "[0, 0]",
                      "w.json: layers[0].weights[1]: expected 2 numbers (one "
                      "per input of the layer), got 0");
    assert_load_fails("[[1, 2], [3, 4]]", "[0, null]",
                      "w.json: layers[0].bias[1]: expected a number, got "
                      "null");
    assert_load_fails("[[1, 2], [3, 4]]", "[0]",
                      "w.json: layers[0].bias: expected 2 numbers (one per "
                      "unit), got 1");
}
END_TEST

/* FLT_MAX's own text (above FLT_MAX as a decimal, rounding to it) and
 * the other extremes read back bit for bit; the first number beyond the
 * rounding range is refused. */
START_TEST(extreme_floats_read_back_exactly)
{
    struct config cfg;
    struct bp_error err = {0};
    ck_assert_msg(load_small(&cfg, "[[3.40282347e+38, -3.4028235e38], "
                                   "[1.40129846e-45, -0]]",
                             "[1.17549435e-38, 1e-50]", NULL, 0, &err) == 0,
                  "%s", err.msg);
    ck_assert(cfg.layers[0].weights[0] == FLT_MAX);
    ck_assert(cfg.layers[0].weights[1] == -FLT_MAX);
    ck_assert(cfg.layers[0].weights[2] == nextafterf(0, 1));
    ck_assert(cfg.layers[0].weights[3] == 0 &&
              signbit(cfg.layers[0].weights[3]));
    ck_assert(cfg.layers[0].bias[0] == FLT_MIN);
    ck_assert(cfg.layers[0].bias[1] == 0 && !signbit(cfg.layers[0].bias[1]));
    config_free(&cfg);
    assert_load_fails("[[1, 2], [3, 3.4028236e38]]", "[0, 0]",
                      "w.json: layers[0].weights[1][1]: out of float range "
                      "(at most 3.40282347e+38 in magnitude), got "
                      "3.4028236e+38");
}
END_TEST

/* The same numbers through both readers: lifted, and through cJSON (a
 * key written with an escape makes the loader lift nothing). Random
 * decimals of every length: the lifted reader is strtof, the tree reader
 * rounds through a double, and for these they agree. */
START_TEST(lifted_rows_read_as_the_tree_reader_reads_them)
{
    char rows[512], bias[128];
    uint64_t s = 99;
    for (int round = 0; round < 200; round++) {
        double v[6];
        for (int i = 0; i < 6; i++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            v[i] = ((double)(s >> 11) / 9007199254740992.0 - 0.5) *
                   pow(10.0, (int)(s % 40) - 30);
        }
        snprintf(rows, sizeof rows, "[[%.*g, %.*g], [%.*g, %.*g]]",
                 1 + round % 17, v[0], 1 + round % 9, v[1], 17, v[2], 9,
                 v[3]);
        snprintf(bias, sizeof bias, "[%.*g, %.*g]", 1 + round % 12, v[4], 6,
                 v[5]);
        struct config lifted, tree;
        struct bp_error err = {0};
        ck_assert_msg(load_small(&lifted, rows, bias, NULL, 0, &err) == 0,
                      "%s", err.msg);
        char escaped[700];
        snprintf(escaped, sizeof escaped, "%s, \"bi\\u0061s\": %s", rows,
                 bias);
        /* "bias" twice would be a duplicate: the escaped one replaces it */
        char text[1024 + 700];
        snprintf(text, sizeof text,
                 "{\"format\": \"backprop.weights/1\", \"input\": 2, "
                 "\"layers\": [{\"units\": 2, \"activation\": \"relu\", "
                 "\"weights\": %s}, {\"units\": 2, \"activation\": "
                 "\"softmax\"}], \"loss\": \"cross_entropy\"}",
                 escaped);
        ck_assert_msg(config_parse_buffer(&tree, "w.json", text, strlen(text),
                                          NULL, 0, &err) == 0,
                      "%s", err.msg);
        ck_assert_mem_eq(lifted.layers[0].weights, tree.layers[0].weights,
                         4 * sizeof(float));
        ck_assert_mem_eq(lifted.layers[0].bias, tree.layers[0].bias,
                         2 * sizeof(float));
        config_free(&lifted);
        config_free(&tree);
    }
}
END_TEST

/* --set reaches into a parameter row of a weights file as into any
 * array (the rows are then not lifted). */
START_TEST(overrides_reach_into_parameter_rows)
{
    struct config cfg;
    struct bp_error err = {0};
    struct config_override ov[] = {{"layers.0.bias.1", "0.25", NULL},
                                   {"layers[0].weights[1][0]", "-2", NULL}};
    ck_assert_msg(load_small(&cfg, "[[1, 2], [3, 4]]", "[0.5, 0.75]", ov, 2,
                             &err) == 0,
                  "%s", err.msg);
    ck_assert(cfg.layers[0].bias[0] == 0.5f);
    ck_assert(cfg.layers[0].bias[1] == 0.25f);
    ck_assert(cfg.layers[0].weights[2] == -2.0f);
    ck_assert(cfg.layers[0].weights[3] == 4.0f);
    config_free(&cfg);
}
END_TEST

/* A duplicate "bias" is still found when both are lifted. */
START_TEST(duplicate_parameter_keys_are_still_refused)
{
    assert_load_fails("[[1, 2], [3, 4]], \"bias\": [1, 1]", "[0, 0]",
                      "w.json: layers[0].bias: duplicate key");
}
END_TEST

Suite *weights_suite(void)
{
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("weights");
    tcase_add_test(tc, weights_file_round_trips_byte_for_byte);
    tcase_add_test(tc, bad_parameter_rows_name_the_element);
    tcase_add_test(tc, extreme_floats_read_back_exactly);
    tcase_add_test(tc, lifted_rows_read_as_the_tree_reader_reads_them);
    tcase_add_test(tc, overrides_reach_into_parameter_rows);
    tcase_add_test(tc, duplicate_parameter_keys_are_still_refused);
    tcase_add_test(tc, early_stopping_record_round_trips_byte_for_byte);
    tcase_add_test(tc, optimizer_state_round_trips_byte_for_byte);
    tcase_add_test(tc, data_paths_are_rewritten_for_the_files_folder);
    tcase_add_test(tc, a_path_to_the_output_folder_is_written_as_dot);
    tcase_add_test(tc, json_writer_formats_numbers_exactly);
    tcase_add_test(tc, doubles_take_the_fewest_digits_that_read_back);
    tcase_add_test(tc, atomic_write_replaces_and_keeps_the_mode);
    tcase_add_test(tc, atomic_write_failure_leaves_the_target_untouched);
    tcase_add_test(tc, a_signal_during_a_write_leaves_no_temporary_file);
    suite_add_tcase(s, tc);
    return s;
}
