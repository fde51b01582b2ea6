/* Back-propagation against finite differences on random networks that
 * cover every activation and both losses. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "nets.h"

struct net_case {
    size_t n_layers;
    size_t units[3];
    enum activation acts[3];
    enum loss_kind loss;
};

static const struct net_case cases[] = {
    {3, {6, 5, 4}, {ACT_SIGMOID, ACT_TANH, ACT_SOFTMAX}, LOSS_CROSS_ENTROPY},
    {3, {7, 5, 3}, {ACT_RELU, ACT_LINEAR, ACT_SOFTMAX}, LOSS_CROSS_ENTROPY},
    {2, {5, 1}, {ACT_TANH, ACT_SIGMOID}, LOSS_CROSS_ENTROPY},
    {2, {5, 3}, {ACT_RELU, ACT_LINEAR}, LOSS_MSE},
    {2, {4, 2}, {ACT_LINEAR, ACT_SIGMOID}, LOSS_MSE},
    {2, {4, 2}, {ACT_SIGMOID, ACT_TANH}, LOSS_MSE},
    {2, {6, 3}, {ACT_TANH, ACT_RELU}, LOSS_MSE},
};

/* Random targets the output can reach: one-hot for softmax, 0/1 for
 * binary cross-entropy, values in [0, 1) otherwise. */
static void targets(float *t, const struct net_case *c, size_t n)
{
    size_t outputs = c->units[c->n_layers - 1];
    struct rng r = rng_create(5, 6);
    for (size_t s = 0; s < n; s++)
        for (size_t k = 0; k < outputs; k++) {
            float u = rng_uniform(&r);
            if (c->acts[c->n_layers - 1] == ACT_SOFTMAX)
                t[s * outputs + k] = k == s % outputs ? 1.0f : 0.0f;
            else if (c->loss == LOSS_CROSS_ENTROPY)
                t[s * outputs + k] = u < 0.5f ? 0.0f : 1.0f;
            else
                t[s * outputs + k] = u;
        }
}

START_TEST(backprop_matches_central_differences)
{
    const struct net_case *c = &cases[_i];
    struct config cfg;
    struct network net;
    size_t input = 5, n = 6;
    nets_config(&cfg, input, c->n_layers, c->units, c->acts, c->loss,
                (uint64_t)_i + 1);
    /* Biases start at zero with xavier; draw them too, so they are
     * checked away from that special point. */
    cfg.init = INIT_UNIFORM;
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    float *x = malloc(n * input * sizeof *x);
    float *t = malloc(n * c->units[c->n_layers - 1] * sizeof *t);
    nets_random(x, n * input, 100 + (uint64_t)_i);
    targets(t, c, n);

    struct gradcheck_result res;
    ck_assert_int_eq(gradcheck_run(&net, x, t, n, 1, &res, NULL), 0);
    ck_assert_uint_eq(res.checked, net.n_params);
    /* An all-zero gradient would pass vacuously. */
    ck_assert(res.largest_numeric > 1e-3);
    ck_assert_msg(res.worst_score <= 1.0,
                  "case %d: worst score %g (analytic %g, numeric %g)", _i,
                  res.worst_score, res.worst_analytic, res.worst_numeric);
    free(x);
    free(t);
    network_free(&net);
    config_free(&cfg);
}
END_TEST

START_TEST(reference_loss_agrees_with_the_float_pass)
{
    const struct net_case *c = &cases[0];
    struct config cfg;
    struct network net;
    struct workspace ws;
    size_t n = 4;
    nets_config(&cfg, 5, c->n_layers, c->units, c->acts, c->loss, 9);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert_int_eq(workspace_create(&ws, &net, n, NULL), 0);
    nets_random(ws.x, n * 5, 11);
    targets(ws.t, c, n);
    network_forward(&net, &ws, n);
    network_loss(&net, &ws, n);
    double mean = 0;
    for (size_t s = 0; s < n; s++)
        mean += ws.loss[s];
    mean /= (double)n;
    double *p = malloc(net.n_params * sizeof *p);
    for (size_t k = 0; k < net.n_params; k++)
        p[k] = net.params[k];
    double ref = gradcheck_reference_loss(&net, p, ws.x, ws.t, n);
    ck_assert_double_eq_tol(mean, ref, 1e-5 * fabs(ref));
    free(p);
    workspace_free(&ws, &net);
    network_free(&net);
    config_free(&cfg);
}
END_TEST

Suite *gradcheck_suite(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("gradcheck");
    tcase_add_loop_test(tc, backprop_matches_central_differences, 0,
                        (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, reference_loss_agrees_with_the_float_pass);
    suite_add_tcase(s, tc);
    return s;
}
