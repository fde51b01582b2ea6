/* The seed's worked example (SPEC section 8), value by value, and the
 * parameter layout. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "nets.h"
#include "network.h"
#include "optim.h"

/* The SPEC's table gives nine significant digits; float32 carries about
 * seven, and every quantity here is below 1, so 1e-7 absolute is two
 * units in the float's last place. */
#define SEED_TOLERANCE 1e-7
/* Losses, deltas and gradients are below 0.04: float32 resolves them to
 * about 2e-9, so 1e-8 is a few units in the last place. */
#define SMALL_TOLERANCE 1e-8

/* The 1-1-1 sigmoid network of the seed with its initial weights. */
static void seed_network(struct network *net, struct config *cfg)
{
    size_t units[2] = {1, 1};
    enum activation acts[2] = {ACT_SIGMOID, ACT_SIGMOID};
    nets_config(cfg, 1, 2, units, acts, LOSS_MSE, 1);
    ck_assert_int_eq(network_create(net, cfg, NULL), 0);
    network_weights(net, 0)[0] = 0.2f; /* w21 */
    network_bias(net, 0)[0] = 0.1f;    /* w20 */
    network_weights(net, 1)[0] = 0.3f; /* w32 */
    network_bias(net, 1)[0] = 0.1f;    /* w30 */
}

START_TEST(seed_example_intermediate_values)
{
    struct config cfg;
    struct network net;
    struct workspace ws;
    seed_network(&net, &cfg);
    ck_assert_int_eq(workspace_create(&ws, &net, 1, NULL), 0);
    ws.x[0] = 0.2f;
    ws.t[0] = 0.7f;
    float grad[4];
    network_forward(&net, &ws, 1);
    network_loss(&net, &ws, 1);
    network_backward(&net, &ws, 1, grad);

    ck_assert_double_eq_tol(ws.out[0][0], 0.534942945, SEED_TOLERANCE);
    ck_assert_double_eq_tol(ws.out[1][0], 0.564754992, SEED_TOLERANCE);
    ck_assert_double_eq_tol(ws.loss[0], 0.00914560615, SMALL_TOLERANCE);
    ck_assert_double_eq_tol(ws.delta[1][0], -0.0332441415, SMALL_TOLERANCE);
    ck_assert_double_eq_tol(ws.delta[0][0], -0.00248113319, SMALL_TOLERANCE);
    /* Layout: layer 0 {w21, w20}, layer 1 {w32, w30}. The SPEC's signs:
     * dE/dw = +delta * o, unlike the article. */
    ck_assert_double_eq_tol(grad[2], -0.0177837190, SMALL_TOLERANCE);  /* dE/dw32 */
    ck_assert_double_eq_tol(grad[3], -0.0332441415, SMALL_TOLERANCE);  /* dE/dw30 */
    ck_assert_double_eq_tol(grad[0], -0.000496226638, SMALL_TOLERANCE); /* dE/dw21 */
    ck_assert_double_eq_tol(grad[1], -0.00248113319, SMALL_TOLERANCE);  /* dE/dw20 */

    struct optim_step step;
    optim_step_init(&step, &cfg.training, 0.1, 1, 1, true);
    struct optim_rows rows;
    float *none[STATE_BUFFERS] = {0};
    optim_rows_init(&rows, &step, net.params, none);
    optim_apply(&rows, grad, net.n_params);
    ck_assert_double_eq_tol(network_weights(&net, 1)[0], 0.301778372,
                            SEED_TOLERANCE);
    ck_assert_double_eq_tol(network_bias(&net, 1)[0], 0.103324414,
                            SEED_TOLERANCE);
    ck_assert_double_eq_tol(network_weights(&net, 0)[0], 0.200049623,
                            SEED_TOLERANCE);
    ck_assert_double_eq_tol(network_bias(&net, 0)[0], 0.100248113,
                            SEED_TOLERANCE);

    network_forward(&net, &ws, 1);
    network_loss(&net, &ws, 1);
    ck_assert_double_eq_tol(ws.loss[0], 0.00900341571, SMALL_TOLERANCE);
    /* The article's sign slip would have raised the error instead. */
    ck_assert(ws.loss[0] < 0.00914560615);

    workspace_free(&ws, &net);
    network_free(&net);
    config_free(&cfg);
}
END_TEST

START_TEST(parameters_are_one_buffer_layer_by_layer)
{
    struct config cfg;
    struct network net;
    size_t units[3] = {5, 4, 3};
    enum activation acts[3] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    nets_config(&cfg, 7, 3, units, acts, LOSS_CROSS_ENTROPY, 1);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_uint_eq(net.n_params, 5 * 8 + 4 * 6 + 3 * 5);
    ck_assert_uint_eq(net.n_params, config_param_count(&cfg));
    ck_assert_ptr_eq(network_weights(&net, 1), network_bias(&net, 0) + 5);
    ck_assert_ptr_eq(network_weights(&net, 2), network_bias(&net, 1) + 4);
    ck_assert_ptr_eq(network_bias(&net, 2) + 3, net.params + net.n_params);
    network_free(&net);
    config_free(&cfg);
}
END_TEST

START_TEST(initialisation_is_seeded_and_bounded)
{
    struct config cfg;
    struct network a, b, c;
    size_t units[2] = {32, 4};
    enum activation acts[2] = {ACT_RELU, ACT_SOFTMAX};
    nets_config(&cfg, 16, 2, units, acts, LOSS_CROSS_ENTROPY, 42);
    cfg.init = INIT_HE;
    ck_assert_int_eq(network_create(&a, &cfg, NULL), 0);
    ck_assert_int_eq(network_create(&b, &cfg, NULL), 0);
    cfg.init_seed = 43;
    ck_assert_int_eq(network_create(&c, &cfg, NULL), 0);
    ck_assert_mem_eq(a.params, b.params, a.n_params * sizeof(float));
    ck_assert(memcmp(a.params, c.params, a.n_params * sizeof(float)) != 0);
    double limit = sqrt(6.0 / 16.0), max = 0;
    for (size_t k = 0; k < 32 * 16; k++)
        max = fmax(max, fabs(network_weights(&a, 0)[k]));
    ck_assert(max <= limit);
    ck_assert(max > 0.9 * limit); /* 512 draws reach near the bound */
    for (size_t j = 0; j < 32; j++)
        ck_assert_float_eq(network_bias(&a, 0)[j], 0.0f);
    network_free(&a);
    network_free(&b);
    network_free(&c);
    config_free(&cfg);
}
END_TEST

START_TEST(schedules_follow_their_formulas)
{
    struct training_config tc = {0};
    tc.learning_rate = 0.1;
    tc.epochs = 10;
    tc.schedule = SCHEDULE_STEP;
    tc.schedule_every = 2;
    tc.schedule_gamma = 0.5;
    ck_assert_double_eq(optim_learning_rate(&tc, 0, NULL), 0.1);
    ck_assert_double_eq(optim_learning_rate(&tc, 1, NULL), 0.1);
    ck_assert_double_eq(optim_learning_rate(&tc, 2, NULL), 0.05);
    ck_assert_double_eq(optim_learning_rate(&tc, 5, NULL), 0.025);
    tc.schedule = SCHEDULE_COSINE;
    ck_assert_double_eq_tol(optim_learning_rate(&tc, 0, NULL), 0.1, 1e-15);
    ck_assert_double_eq_tol(optim_learning_rate(&tc, 5, NULL), 0.05, 1e-15);
    ck_assert_double_eq_tol(optim_learning_rate(&tc, 10, NULL), 0.0, 1e-15);
    tc.schedule = SCHEDULE_CONSTANT;
    ck_assert_double_eq(optim_learning_rate(&tc, 7, NULL), 0.1);
}
END_TEST

Suite *network_suite(void)
{
    Suite *s = suite_create("network");
    TCase *tc = tcase_create("network");
    tcase_add_test(tc, seed_example_intermediate_values);
    tcase_add_test(tc, parameters_are_one_buffer_layer_by_layer);
    tcase_add_test(tc, initialisation_is_seeded_and_bounded);
    tcase_add_test(tc, schedules_follow_their_formulas);
    suite_add_tcase(s, tc);
    return s;
}
