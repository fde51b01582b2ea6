/* The training loop: bit-identical across thread counts, exactly
 * resumable, and actually learning. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "nets.h"
#include "trainer.h"

#define ROWS 53
#define FEATURES 20
#define CLASSES 5

/* A dataset whose class is the index of the largest of the first CLASSES
 * features: learnable, so the loss must fall. */
static void make_dataset(struct dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    ds->n_rows = ROWS;
    ds->n_features = FEATURES;
    ds->n_outputs = CLASSES;
    ds->n_classes = CLASSES;
    ds->has_targets = true;
    ds->x = malloc(ROWS * FEATURES * sizeof *ds->x);
    ds->label = malloc(ROWS * sizeof *ds->label);
    nets_random(ds->x, ROWS * FEATURES, 77);
    for (size_t r = 0; r < ROWS; r++) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < CLASSES; k++)
            if (ds->x[r * FEATURES + k] > ds->x[r * FEATURES + best])
                best = k;
        ds->label[r] = best;
    }
}

/* 20-96-48-5 trains with 2 * (20*96*2 + 96*48*3 + 48*5*3) = 36,768 FLOPs
 * per sample, 367,680 per batch of 10: above team.h's floor, so that a
 * trainer left to choose probes both ways; the last batch of 3 leaves 7
 * threads with nothing to do. */
static void make_config(struct config *cfg)
{
    size_t units[3] = {96, 48, CLASSES};
    enum activation acts[3] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    nets_config(cfg, FEATURES, 3, units, acts, LOSS_CROSS_ENTROPY, 3);
    cfg->training.batch_size = 10; /* 53 rows: a remainder batch of 3 */
    cfg->training.momentum = 0.9;
    cfg->training.nesterov = true;
    cfg->training.weight_decay = 1e-3;
    cfg->training.learning_rate = 0.05;
    cfg->training.schedule = SCHEDULE_COSINE;
    cfg->training.epochs = 4;
}

/* Trains from the config's initial weights for epochs [from, to) with
 * `threads`, starting from *state; leaves the parameters in net. With
 * more than one thread every step runs on the team: the tests compare the
 * team's kernels with the lone thread's, whatever their speed. */
static void train_choosing(struct network *net, struct train_state *state,
                           const struct config *cfg, const struct dataset *ds,
                           size_t to, int threads, enum team_policy policy)
{
    struct trainer *tr;
    ck_assert_int_eq(trainer_create(&tr, net, &cfg->training, state, ds, NULL,
                                    threads, NULL),
                     0);
    trainer_set_team(tr, policy);
    struct epoch_report rep;
    while (state->epoch < to)
        ck_assert_int_eq(trainer_epoch(tr, &rep, NULL), 0);
    trainer_destroy(tr);
}

static void train(struct network *net, struct train_state *state,
                  const struct config *cfg, const struct dataset *ds,
                  size_t to, int threads)
{
    train_choosing(net, state, cfg, ds, to, threads, TEAM_ALWAYS);
}

START_TEST(weights_are_bit_identical_for_1_2_and_7_threads)
{
    struct config cfg;
    struct dataset ds;
    make_config(&cfg);
    make_dataset(&ds);
    float *reference = NULL;
    int counts[] = {1, 2, 7};
    for (int c = 0; c < 3; c++) {
        struct network net;
        struct train_state state = {0};
        ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
        train(&net, &state, &cfg, &ds, 4, counts[c]);
        if (!reference) {
            reference = malloc(net.n_params * sizeof *reference);
            memcpy(reference, net.params, net.n_params * sizeof *reference);
        } else {
            ck_assert_mem_eq(net.params, reference,
                             net.n_params * sizeof *reference);
        }
        free(state.buffer[STATE_VELOCITY]);
        network_free(&net);
    }
    free(reference);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(steps_switching_between_team_and_lone_thread_change_nothing)
{
    /* Left to choose, a trainer probes: its first full steps run on the
     * team and alone in turn (team.h), so one run mixes both ways. */
    struct config cfg;
    struct dataset ds;
    make_config(&cfg);
    cfg.training.epochs = 6;
    make_dataset(&ds);
    struct network alone, mixed;
    struct train_state s1 = {0}, s2 = {0};
    ck_assert_int_eq(network_create(&alone, &cfg, NULL), 0);
    ck_assert_int_eq(network_create(&mixed, &cfg, NULL), 0);
    train_choosing(&alone, &s1, &cfg, &ds, 6, 1, TEAM_AUTO);
    train_choosing(&mixed, &s2, &cfg, &ds, 6, 2, TEAM_AUTO);
    ck_assert_mem_eq(alone.params, mixed.params,
                     alone.n_params * sizeof(float));
    free(s1.buffer[STATE_VELOCITY]);
    free(s2.buffer[STATE_VELOCITY]);
    network_free(&alone);
    network_free(&mixed);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(resumed_training_equals_one_uninterrupted_run)
{
    struct config cfg;
    struct dataset ds;
    make_config(&cfg);
    make_dataset(&ds);

    struct network whole, split;
    struct train_state s1 = {0}, s2 = {0};
    ck_assert_int_eq(network_create(&whole, &cfg, NULL), 0);
    ck_assert_int_eq(network_create(&split, &cfg, NULL), 0);
    train(&whole, &s1, &cfg, &ds, 4, 2);
    train(&split, &s2, &cfg, &ds, 2, 2);
    /* A fresh trainer, as after reading the state back from a file. */
    train(&split, &s2, &cfg, &ds, 4, 2);
    ck_assert_uint_eq(s1.step, s2.step);
    ck_assert_mem_eq(whole.params, split.params,
                     whole.n_params * sizeof(float));
    ck_assert_mem_eq(s1.buffer[STATE_VELOCITY], s2.buffer[STATE_VELOCITY], whole.n_params * sizeof(float));
    free(s1.buffer[STATE_VELOCITY]);
    free(s2.buffer[STATE_VELOCITY]);
    network_free(&whole);
    network_free(&split);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(training_lowers_the_loss_and_counts_steps)
{
    struct config cfg;
    struct dataset ds;
    make_config(&cfg);
    make_dataset(&ds);
    cfg.training.epochs = 30;
    cfg.training.schedule = SCHEDULE_CONSTANT;
    struct network net;
    struct train_state state = {0};
    struct trainer *tr;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_int_eq(trainer_create(&tr, &net, &cfg.training, &state, &ds,
                                    &ds, 2, NULL),
                     0);
    struct epoch_report first, last;
    ck_assert_int_eq(trainer_epoch(tr, &first, NULL), 0);
    ck_assert_uint_eq(first.steps, 6); /* ceil(53 / 10) */
    while (state.epoch < 30)
        ck_assert_int_eq(trainer_epoch(tr, &last, NULL), 0);
    ck_assert_uint_eq(last.steps, 180);
    ck_assert(last.train_loss < 0.5 * first.train_loss);
    ck_assert(last.validation_accuracy > 0.8);
    trainer_destroy(tr);
    free(state.buffer[STATE_VELOCITY]);
    network_free(&net);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

START_TEST(divergence_stops_with_a_numeric_error)
{
    struct config cfg;
    struct dataset ds;
    make_config(&cfg);
    make_dataset(&ds);
    cfg.training.learning_rate = 1e30;
    cfg.training.schedule = SCHEDULE_CONSTANT;
    struct network net;
    struct train_state state = {0};
    struct trainer *tr;
    struct bp_error err = {0};
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_int_eq(trainer_create(&tr, &net, &cfg.training, &state, &ds,
                                    NULL, 1, NULL),
                     0);
    struct epoch_report rep;
    int rc = 0;
    for (int e = 0; e < 4 && rc == 0; e++)
        rc = trainer_epoch(tr, &rep, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err.code, BP_ENUMERIC);
    ck_assert_ptr_nonnull(strstr(err.msg, "diverged"));
    ck_assert_ptr_nonnull(strstr(err.msg, "learning rate"));
    trainer_destroy(tr);
    free(state.buffer[STATE_VELOCITY]);
    network_free(&net);
    dataset_free(&ds);
    config_free(&cfg);
}
END_TEST

/* The new rules, dropout, clipping, label smoothing and the plateau, in
 * combinations (make_config's SGD is case 0 of the tests above). */
static void set_variant(struct config *cfg, int v)
{
    struct training_config *t = &cfg->training;
    t->momentum = 0;
    t->nesterov = false;
    t->weight_decay = 0;
    t->beta1 = 0.9;
    t->beta2 = 0.999;
    t->eps = 1e-8;
    t->alpha = 0.99;
    t->learning_rate = 0.01;
    cfg->layers[0].dropout = 0.5;
    switch (v) {
    case 0:
        t->optimizer = OPTIMIZER_ADAM;
        t->amsgrad = true;
        t->clip_grad_norm = 0.5;
        break;
    case 1:
        t->optimizer = OPTIMIZER_ADAMW;
        t->weight_decay = 0.01;
        t->label_smoothing = 0.1;
        cfg->layers[1].dropout = 0.2;
        t->schedule = SCHEDULE_PLATEAU;
        t->plateau_factor = 0.5;
        t->plateau_patience = 0;
        t->plateau_threshold = 0.5;
        break;
    case 2:
        t->optimizer = OPTIMIZER_RMSPROP;
        t->centered = true;
        t->momentum = 0.5;
        t->clip_grad_value = 0.01;
        break;
    case 3:
        t->optimizer = OPTIMIZER_ADAGRAD;
        t->eps = 1e-10;
        t->lr_decay = 0.01;
        t->weight_decay = 1e-3;
        t->warmup_epochs = 2;
        break;
    }
}
#define VARIANTS 4

static void free_buffers(struct train_state *s)
{
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(s->buffer[b]);
}

START_TEST(every_rule_with_dropout_is_bit_identical_across_threads)
{
    struct dataset ds;
    make_dataset(&ds);
    for (int v = 0; v < VARIANTS; v++) {
        struct config cfg;
        make_config(&cfg);
        set_variant(&cfg, v);
        float *reference = NULL;
        int counts[] = {1, 2, 7};
        for (int c = 0; c < 3; c++) {
            struct network net;
            struct train_state state = {0};
            ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
            train(&net, &state, &cfg, &ds, 4, counts[c]);
            if (!reference) {
                reference = malloc(net.n_params * sizeof *reference);
                memcpy(reference, net.params,
                       net.n_params * sizeof *reference);
            } else {
                ck_assert_msg(memcmp(net.params, reference,
                                     net.n_params * sizeof *reference) == 0,
                              "variant %d: %d threads differ from 1", v,
                              counts[c]);
            }
            free_buffers(&state);
            network_free(&net);
        }
        free(reference);
        config_free(&cfg);
    }
    dataset_free(&ds);
}
END_TEST

START_TEST(every_rule_resumes_exactly)
{
    struct dataset ds;
    make_dataset(&ds);
    for (int v = 0; v < VARIANTS; v++) {
        struct config cfg;
        make_config(&cfg);
        set_variant(&cfg, v);
        struct network whole, split;
        struct train_state s1 = {0}, s2 = {0};
        ck_assert_int_eq(network_create(&whole, &cfg, NULL), 0);
        ck_assert_int_eq(network_create(&split, &cfg, NULL), 0);
        train(&whole, &s1, &cfg, &ds, 4, 2);
        train(&split, &s2, &cfg, &ds, 2, 1);
        train(&split, &s2, &cfg, &ds, 4, 2);
        ck_assert_uint_eq(s1.t, s2.t);
        ck_assert_msg(memcmp(whole.params, split.params,
                             whole.n_params * sizeof(float)) == 0,
                      "variant %d: the resumed run differs", v);
        for (int b = 0; b < STATE_BUFFERS; b++) {
            ck_assert((s1.buffer[b] == NULL) == (s2.buffer[b] == NULL));
            if (s1.buffer[b])
                ck_assert_mem_eq(s1.buffer[b], s2.buffer[b],
                                 whole.n_params * sizeof(float));
        }
        ck_assert(s1.plateau.learning_rate == s2.plateau.learning_rate);
        free_buffers(&s1);
        free_buffers(&s2);
        network_free(&whole);
        network_free(&split);
        config_free(&cfg);
    }
    dataset_free(&ds);
}
END_TEST

Suite *trainer_suite(void)
{
    Suite *s = suite_create("trainer");
    TCase *tc = tcase_create("trainer");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, weights_are_bit_identical_for_1_2_and_7_threads);
    tcase_add_test(tc, steps_switching_between_team_and_lone_thread_change_nothing);
    tcase_add_test(tc, resumed_training_equals_one_uninterrupted_run);
    tcase_add_test(tc, training_lowers_the_loss_and_counts_steps);
    tcase_add_test(tc, divergence_stops_with_a_numeric_error);
    tcase_add_test(tc, every_rule_with_dropout_is_bit_identical_across_threads);
    tcase_add_test(tc, every_rule_resumes_exactly);
    suite_add_tcase(s, tc);
    return s;
}
