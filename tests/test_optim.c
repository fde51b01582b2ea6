/* The optimizers against a reference written here from SPEC section 7a's
 * formulas (torch.optim's), in double; clipping, label smoothing, dropout
 * masks and the plateau schedule against their definitions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "nets.h"
#include "optim.h"
#include "trainer.h"

#define ROWS 24
#define STEPS 6

/* Float arithmetic against double: each float operation rounds by 2^-24
 * relative, a step is some tens of them, and STEPS steps compound them
 * through the gradient (evaluated at weights that already differ by that
 * much). The largest difference seen over every case is 1.8e-7 on weights
 * of size about 1 (a few float ulps); 1e-6 absolute plus 1e-5 relative
 * leaves a margin of 5 or more, while a wrong rule moves the weights by
 * about the learning rate (1e-2) in one step. */
#define RULE_ATOL 1e-6
#define RULE_RTOL 1e-5

struct ref {
    double *w, *m, *v, *vmax, *s, *a, *b;
    size_t n;
    size_t t;
};

static double *zeros(size_t n, double start)
{
    double *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = start;
    return p;
}

/* One step of SPEC 7a's formulas (PyTorch's) in double, from the batch's
 * mean gradient g (clipped already). */
static void ref_step(struct ref *r, const struct training_config *tc,
                     const double *g_in, double lr)
{
    r->t++;
    double t = (double)r->t;
    for (size_t i = 0; i < r->n; i++) {
        double g = g_in[i], w = r->w[i];
        switch (tc->optimizer) {
        case OPTIMIZER_SGD:
            g += tc->weight_decay * w;
            r->v[i] = r->t == 1 ? g : tc->momentum * r->v[i] + g;
            w -= lr * (tc->nesterov ? g + tc->momentum * r->v[i] : r->v[i]);
            break;
        case OPTIMIZER_ADAM:
        case OPTIMIZER_ADAMW: {
            if (tc->optimizer == OPTIMIZER_ADAMW)
                w *= 1.0 - lr * tc->weight_decay;
            else
                g += tc->weight_decay * w;
            r->m[i] = tc->beta1 * r->m[i] + (1 - tc->beta1) * g;
            r->v[i] = tc->beta2 * r->v[i] + (1 - tc->beta2) * g * g;
            double v = r->v[i];
            if (tc->amsgrad) {
                r->vmax[i] = fmax(r->vmax[i], v);
                v = r->vmax[i];
            }
            double mhat = r->m[i] / (1 - pow(tc->beta1, t));
            double vhat = v / (1 - pow(tc->beta2, t));
            w -= lr * mhat / (sqrt(vhat) + tc->eps);
            break;
        }
        case OPTIMIZER_RMSPROP: {
            g += tc->weight_decay * w;
            r->s[i] = tc->alpha * r->s[i] + (1 - tc->alpha) * g * g;
            double d;
            if (tc->centered) {
                r->a[i] = tc->alpha * r->a[i] + (1 - tc->alpha) * g;
                d = sqrt(r->s[i] - r->a[i] * r->a[i]) + tc->eps;
            } else {
                d = sqrt(r->s[i]) + tc->eps;
            }
            if (tc->momentum > 0) {
                r->b[i] = tc->momentum * r->b[i] + g / d;
                w -= lr * r->b[i];
            } else {
                w -= lr * g / d;
            }
            break;
        }
        case OPTIMIZER_ADAGRAD:
            g += tc->weight_decay * w;
            r->s[i] += g * g;
            w -= lr / (1 + (t - 1) * tc->lr_decay) * g /
                 (sqrt(r->s[i]) + tc->eps);
            break;
        }
        r->w[i] = w;
    }
}

/* The mean gradient of the whole data set at the reference's weights
 * (rounded to float), computed by the network's own backward pass (tested
 * against finite differences elsewhere), then clipped in double. */
static void ref_gradient(double *g, const struct ref *r,
                         const struct config *cfg, const struct dataset *ds)
{
    struct network net;
    struct workspace ws;
    ck_assert_int_eq(network_create(&net, cfg, NULL), 0);
    ck_assert_int_eq(workspace_create(&ws, &net, ds->n_rows, NULL), 0);
    for (size_t i = 0; i < r->n; i++)
        net.params[i] = (float)r->w[i];
    memcpy(ws.x, ds->x, ds->n_rows * ds->n_features * sizeof *ws.x);
    size_t K = ds->n_outputs;
    memset(ws.t, 0, ds->n_rows * K * sizeof *ws.t);
    for (size_t k = 0; k < ds->n_rows; k++)
        ws.t[k * K + ds->label[k]] = 1.0f;
    float *sum = malloc(r->n * sizeof *sum);
    network_forward(&net, &ws, ds->n_rows);
    network_loss(&net, &ws, ds->n_rows);
    network_backward(&net, &ws, ds->n_rows, sum);
    double norm = 0;
    for (size_t i = 0; i < r->n; i++) {
        g[i] = (double)sum[i] / (double)ds->n_rows;
        norm += g[i] * g[i];
    }
    norm = sqrt(norm);
    const struct training_config *tc = &cfg->training;
    for (size_t i = 0; i < r->n; i++) {
        if (tc->clip_grad_norm > 0 && tc->clip_grad_norm / (norm + 1e-6) < 1)
            g[i] *= tc->clip_grad_norm / (norm + 1e-6);
        if (tc->clip_grad_value > 0)
            g[i] = fmin(fmax(g[i], -tc->clip_grad_value),
                        tc->clip_grad_value);
    }
    free(sum);
    workspace_free(&ws, &net);
    network_free(&net);
}

static void make_dataset(struct dataset *ds, size_t features, size_t K)
{
    memset(ds, 0, sizeof *ds);
    ds->n_rows = ROWS;
    ds->n_features = features;
    ds->n_outputs = K;
    ds->n_classes = K;
    ds->has_targets = true;
    ds->x = malloc(ROWS * features * sizeof *ds->x);
    ds->label = malloc(ROWS * sizeof *ds->label);
    nets_random(ds->x, ROWS * features, 5);
    for (size_t r = 0; r < ROWS; r++)
        ds->label[r] = (uint32_t)(r % K);
}

/* Settings of each case: the optimizer and its keys as a user sets them. */
static void set_case(struct training_config *tc, int c)
{
    tc->beta1 = 0.9;
    tc->beta2 = 0.999;
    tc->eps = 1e-8;
    tc->alpha = 0.99;
    tc->learning_rate = 0.01;
    switch (c) {
    case 0:
        tc->optimizer = OPTIMIZER_SGD;
        tc->momentum = 0.9;
        tc->nesterov = true;
        tc->weight_decay = 1e-2;
        tc->learning_rate = 0.1;
        tc->clip_grad_value = 0.05;
        break;
    case 1:
        tc->optimizer = OPTIMIZER_ADAM;
        break;
    case 2:
        tc->optimizer = OPTIMIZER_ADAM;
        tc->amsgrad = true;
        tc->weight_decay = 1e-2;
        tc->beta1 = 0.3; /* lerp's other branch */
        tc->clip_grad_norm = 0.1;
        break;
    case 3:
        tc->optimizer = OPTIMIZER_ADAMW;
        tc->weight_decay = 0.01;
        break;
    case 4:
        tc->optimizer = OPTIMIZER_RMSPROP;
        break;
    case 5:
        tc->optimizer = OPTIMIZER_RMSPROP;
        tc->centered = true;
        tc->momentum = 0.5;
        tc->weight_decay = 1e-3;
        tc->alpha = 0.9;
        break;
    case 6:
        tc->optimizer = OPTIMIZER_ADAGRAD;
        tc->eps = 1e-10;
        tc->lr_decay = 0.1;
        tc->initial_accumulator_value = 0.1;
        tc->weight_decay = 1e-3;
        tc->learning_rate = 0.05;
        break;
    }
}
#define CASES 7

/* Trains `cfg` for STEPS full-batch steps with the trainer and the
 * reference; returns the largest excess over the tolerance (<= 0 passes). */
static double compare_case(struct config *cfg, const struct dataset *ds,
                           int threads)
{
    struct network net;
    struct train_state state = {0};
    ck_assert_int_eq(network_create(&net, cfg, NULL), 0);
    size_t n = net.n_params;
    struct ref r = {.n = n};
    r.w = zeros(n, 0);
    for (size_t i = 0; i < n; i++)
        r.w[i] = net.params[i];
    r.m = zeros(n, 0);
    r.v = zeros(n, 0);
    r.vmax = zeros(n, 0);
    r.s = zeros(n, cfg->training.optimizer == OPTIMIZER_ADAGRAD
                       ? (double)(float)cfg->training.initial_accumulator_value
                       : 0);
    r.a = zeros(n, 0);
    r.b = zeros(n, 0);
    double *g = zeros(n, 0);

    struct trainer *tr;
    ck_assert_int_eq(trainer_create(&tr, &net, &cfg->training, &state, ds,
                                    NULL, threads, NULL),
                     0);
    double worst = -INFINITY;
    for (size_t e = 0; e < STEPS; e++) {
        struct epoch_report rep;
        ref_gradient(g, &r, cfg, ds);
        ref_step(&r, &cfg->training, g, cfg->training.learning_rate);
        ck_assert_int_eq(trainer_epoch(tr, &rep, NULL), 0);
    }
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)net.params[i] - r.w[i]);
        double excess = d - (RULE_ATOL + RULE_RTOL * fabs(r.w[i]));
        worst = excess > worst ? excess : worst;
    }
    ck_assert_uint_eq(state.t, STEPS);
    trainer_destroy(tr);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(state.buffer[b]);
    free(r.w);
    free(r.m);
    free(r.v);
    free(r.vmax);
    free(r.s);
    free(r.a);
    free(r.b);
    free(g);
    network_free(&net);
    return worst;
}

/* Each case on a small network (the fused scalar pass, then the rule over
 * the flat gradient) and a wider one (the rule applied row by row inside
 * the backward kernels). */
START_TEST(every_optimizer_matches_the_formulas_step_by_step)
{
    for (int wide = 0; wide < 2; wide++) {
        size_t features = wide ? 12 : 5, K = 3;
        size_t units[2] = {wide ? 16 : 4, K};
        enum activation acts[2] = {ACT_TANH, ACT_SOFTMAX};
        struct dataset ds;
        make_dataset(&ds, features, K);
        for (int c = 0; c < CASES; c++) {
            struct config cfg;
            nets_config(&cfg, features, 2, units, acts, LOSS_CROSS_ENTROPY,
                        11);
            cfg.training.batch_size = ROWS;
            cfg.training.shuffle = false;
            cfg.training.epochs = STEPS;
            set_case(&cfg.training, c);
            double worst = compare_case(&cfg, &ds, 1);
            ck_assert_msg(worst <= 0, "case %d (%s), %s net: a weight is "
                          "%g beyond the tolerance", c,
                          optimizer_name(cfg.training.optimizer),
                          wide ? "wide" : "small", worst);
            config_free(&cfg);
        }
        dataset_free(&ds);
    }
}
END_TEST

/* The reference must be able to fail: Adam run with the wrong beta2 by
 * the reference is far outside the tolerance. */
START_TEST(a_wrong_rule_is_caught)
{
    size_t units[2] = {4, 3};
    enum activation acts[2] = {ACT_TANH, ACT_SOFTMAX};
    struct dataset ds;
    make_dataset(&ds, 5, 3);
    struct config cfg;
    nets_config(&cfg, 5, 2, units, acts, LOSS_CROSS_ENTROPY, 11);
    cfg.training.batch_size = ROWS;
    cfg.training.shuffle = false;
    set_case(&cfg.training, 1);
    /* The trainer runs beta2 = 0.99, the reference 0.999. */
    struct config wrong = cfg;
    wrong.training.beta2 = 0.99;
    struct network net;
    struct train_state state = {0};
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    struct trainer *tr;
    ck_assert_int_eq(trainer_create(&tr, &net, &wrong.training, &state, &ds,
                                    NULL, 1, NULL),
                     0);
    size_t n = net.n_params;
    struct ref r = {.n = n};
    r.w = zeros(n, 0);
    for (size_t i = 0; i < n; i++)
        r.w[i] = net.params[i];
    r.m = zeros(n, 0);
    r.v = zeros(n, 0);
    double *g = zeros(n, 0);
    double worst = -INFINITY;
    for (size_t e = 0; e < 3; e++) {
        struct epoch_report rep;
        ref_gradient(g, &r, &cfg, &ds);
        ref_step(&r, &cfg.training, g, cfg.training.learning_rate);
        ck_assert_int_eq(trainer_epoch(tr, &rep, NULL), 0);
    }
    for (size_t i = 0; i < n; i++) {
        double excess = fabs((double)net.params[i] - r.w[i]) -
                        (RULE_ATOL + RULE_RTOL * fabs(r.w[i]));
        worst = excess > worst ? excess : worst;
    }
    ck_assert_msg(worst > 0, "a wrong beta2 went unnoticed");
    trainer_destroy(tr);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(state.buffer[b]);
    free(r.w);
    free(r.m);
    free(r.v);
    free(g);
    network_free(&net);
    config_free(&cfg);
    dataset_free(&ds);
}
END_TEST

/* CrossEntropyLoss(label_smoothing=e): (1 - e) * nll + e * mean_k(-log p_k),
 * as the first epoch's training loss (each batch's loss is taken before
 * its update). */
START_TEST(label_smoothing_gives_pytorchs_loss)
{
    size_t units[2] = {4, 3};
    enum activation acts[2] = {ACT_TANH, ACT_SOFTMAX};
    struct dataset ds;
    make_dataset(&ds, 5, 3);
    struct config cfg;
    nets_config(&cfg, 5, 2, units, acts, LOSS_CROSS_ENTROPY, 11);
    cfg.training.batch_size = ROWS;
    cfg.training.shuffle = false;
    cfg.training.label_smoothing = 0.2;
    struct network net;
    struct workspace ws;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_int_eq(workspace_create(&ws, &net, ROWS, NULL), 0);
    memcpy(ws.x, ds.x, ROWS * 5 * sizeof *ws.x);
    network_forward(&net, &ws, ROWS);
    double expected = 0;
    for (size_t r = 0; r < ROWS; r++) {
        const float *z = ws.logits + r * 3;
        double lse = log(exp(z[0]) + exp(z[1]) + exp(z[2]));
        double nll = lse - z[ds.label[r]], smooth = 0;
        for (int k = 0; k < 3; k++)
            smooth += (lse - z[k]) / 3.0;
        expected += 0.8 * nll + 0.2 * smooth;
    }
    expected /= ROWS;

    struct train_state state = {0};
    struct trainer *tr;
    ck_assert_int_eq(trainer_create(&tr, &net, &cfg.training, &state, &ds,
                                    NULL, 1, NULL),
                     0);
    struct epoch_report rep;
    ck_assert_int_eq(trainer_epoch(tr, &rep, NULL), 0);
    ck_assert_double_eq_tol(rep.train_loss, expected, 1e-6);
    trainer_destroy(tr);
    workspace_free(&ws, &net);
    network_free(&net);
    config_free(&cfg);
    dataset_free(&ds);
}
END_TEST

/* Dropout's masks: about p of the units dropped, the rest scaled by
 * 1 / (1 - p), and a sample's mask a function of its row alone (not of
 * its place in the block), never applied without a dropout batch. */
START_TEST(dropout_masks_depend_on_the_row_alone)
{
    size_t units[2] = {100, 3};
    enum activation acts[2] = {ACT_RELU, ACT_SOFTMAX};
    struct config cfg;
    nets_config(&cfg, 5, 2, units, acts, LOSS_CROSS_ENTROPY, 11);
    cfg.layers[0].dropout = 0.5;
    struct network net;
    struct workspace ws;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_int_eq(workspace_create(&ws, &net, 64, NULL), 0);
    nets_random(ws.x, 64 * 5, 3);
    size_t rows[64];
    for (size_t k = 0; k < 64; k++)
        rows[k] = 1000 + k;
    struct dropout_batch drop = {network_dropout_key(7, 2), rows};
    ws.drop = &drop;
    network_forward(&net, &ws, 64);
    size_t dropped = 0;
    for (size_t k = 0; k < 64 * 100; k++) {
        if (ws.mask[0][k] == 0.0f) {
            dropped++;
            ck_assert_float_eq(ws.out[0][k], 0.0f);
        } else {
            ck_assert_float_eq(ws.mask[0][k], 2.0f);
            ck_assert_float_eq(ws.out[0][k], ws.kept[0][k] * 2.0f);
        }
    }
    /* 6400 draws of p = 0.5: 3200 +- 40 (one standard deviation). */
    ck_assert_uint_gt(dropped, 3000);
    ck_assert_uint_lt(dropped, 3400);

    float mask9[100];
    memcpy(mask9, ws.mask[0] + 9 * 100, sizeof mask9);
    memcpy(ws.x, ws.x + 9 * 5, 5 * sizeof *ws.x);
    struct dropout_batch one = {network_dropout_key(7, 2), rows + 9};
    ws.drop = &one;
    network_forward(&net, &ws, 1);
    ck_assert_mem_eq(ws.mask[0], mask9, sizeof mask9);
    /* Another epoch draws another mask. */
    struct dropout_batch later = {network_dropout_key(7, 3), rows + 9};
    ws.drop = &later;
    network_forward(&net, &ws, 1);
    ck_assert(memcmp(ws.mask[0], mask9, sizeof mask9) != 0);

    workspace_free(&ws, &net);
    network_free(&net);
    config_free(&cfg);
}
END_TEST

/* ReduceLROnPlateau(factor=0.5, patience=1, threshold=0.1, min_lr=0.3)
 * on a made-up metric, worked by hand. */
START_TEST(plateau_follows_reduce_lr_on_plateau)
{
    struct training_config tc = {0};
    tc.learning_rate = 1.0;
    tc.schedule = SCHEDULE_PLATEAU;
    tc.plateau_factor = 0.5;
    tc.plateau_patience = 1;
    tc.plateau_threshold = 0.1;
    tc.plateau_min_lr = 0.3;
    tc.warmup_epochs = 2;
    struct plateau_progress p = {0};
    /* warmup: (e + 1) / 3 of the plateau's rate */
    ck_assert_double_eq_tol(optim_learning_rate(&tc, 0, &p), 1.0 / 3, 1e-15);
    double metric[] = {10, 9.5, 9.2, 8.0, 7.5, 7.4, 7.3, 7.2, 7.25};
    /* 10 best; 9.5 not < 9 (bad 1); 9.2 bad 2 > 1: rate 0.5; 8.0 best;
     * 7.5 not < 7.2 (bad 1); 7.4 bad 2: 0.3 (min_lr); 7.3 bad 1; 7.2 bad
     * 2: max(0.15, 0.3) = 0.3 is no change; 7.25 bad 1. */
    double rate[] = {1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3};
    for (int e = 0; e < 9; e++) {
        optim_plateau_step(&tc, &p, metric[e]);
        ck_assert_double_eq_tol(p.learning_rate, rate[e], 1e-15);
    }
    ck_assert_uint_eq(p.bad_epochs, 1);
    ck_assert_double_eq(p.best, 8.0);
    ck_assert_double_eq(optim_learning_rate(&tc, 9, &p), 0.3);
    /* exponential */
    tc.schedule = SCHEDULE_EXPONENTIAL;
    tc.schedule_gamma = 0.5;
    tc.warmup_epochs = 0;
    ck_assert_double_eq(optim_learning_rate(&tc, 3, NULL), 0.125);
}
END_TEST

Suite *optim_suite(void)
{
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_optimizer_matches_the_formulas_step_by_step);
    tcase_add_test(tc, a_wrong_rule_is_caught);
    tcase_add_test(tc, label_smoothing_gives_pytorchs_loss);
    tcase_add_test(tc, dropout_masks_depend_on_the_row_alone);
    tcase_add_test(tc, plateau_follows_reduce_lr_on_plateau);
    suite_add_tcase(s, tc);
    return s;
}
