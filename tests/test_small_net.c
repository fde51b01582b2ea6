/* The fused small-network pass against the kernel pass it stands in for:
 * bit-identical outputs, deltas, losses and gradients, for every
 * activation and loss, batch sizes across the kernels' tile sizes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nets.h"
#include "small_net.h"

struct small_case {
    size_t input;
    size_t n_layers;
    size_t units[3];
    enum activation acts[3];
    enum loss_kind loss;
};

/* Small networks, and some wider than small_net_fits takes (the pass is
 * exact for any): widths below, at and across the kernels' vectors. */
static const struct small_case cases[] = {
    {1, 2, {1, 1}, {ACT_SIGMOID, ACT_SIGMOID}, LOSS_MSE},
    {2, 2, {2, 1}, {ACT_TANH, ACT_SIGMOID}, LOSS_CROSS_ENTROPY},
    {7, 3, {7, 5, 20}, {ACT_RELU, ACT_TANH, ACT_SOFTMAX}, LOSS_CROSS_ENTROPY},
    {3, 3, {6, 7, 3}, {ACT_SIGMOID, ACT_LINEAR, ACT_SOFTMAX},
     LOSS_CROSS_ENTROPY},
    {5, 2, {4, 17}, {ACT_RELU, ACT_LINEAR}, LOSS_MSE},
    {4, 2, {3, 2}, {ACT_LINEAR, ACT_TANH}, LOSS_MSE},
    {6, 2, {5, 3}, {ACT_TANH, ACT_RELU}, LOSS_MSE},
    {4, 1, {9}, {ACT_SIGMOID}, LOSS_MSE},
    {20, 3, {33, 16, 5}, {ACT_RELU, ACT_TANH, ACT_SOFTMAX},
     LOSS_CROSS_ENTROPY},
    {9, 2, {48, 1}, {ACT_SIGMOID, ACT_SIGMOID}, LOSS_CROSS_ENTROPY},
};

/* Samples per block: one, a partial tile, and several tiles plus a tail. */
static const size_t batch_sizes[] = {1, 5, 13};

static void fill_targets(float *t, const struct small_case *c, size_t n)
{
    size_t outputs = c->units[c->n_layers - 1];
    enum activation last = c->acts[c->n_layers - 1];
    nets_random(t, n * outputs, 17);
    for (size_t s = 0; s < n; s++)
        for (size_t k = 0; k < outputs; k++) {
            float *v = &t[s * outputs + k];
            if (last == ACT_SOFTMAX)
                *v = k == s % outputs ? 1.0f : 0.0f;
            else if (c->loss == LOSS_CROSS_ENTROPY)
                *v = *v < 0.0f ? 0.0f : 1.0f;
        }
}

static void assert_same(const float *a, const float *b, size_t count,
                        const char *what, int case_index, size_t n)
{
    ck_assert_msg(memcmp(a, b, count * sizeof *a) == 0,
                  "case %d, %zu samples: %s differ", case_index, n, what);
}

START_TEST(fused_pass_equals_the_kernel_pass)
{
    const struct small_case *c = &cases[_i];
    for (size_t bi = 0; bi < sizeof batch_sizes / sizeof *batch_sizes; bi++) {
        size_t n = batch_sizes[bi];
        struct config cfg;
        struct network net;
        struct workspace ref, fused;
        nets_config(&cfg, c->input, c->n_layers, c->units, c->acts, c->loss,
                    (uint64_t)_i + 3);
        cfg.init = INIT_UNIFORM; /* non-zero biases */
        ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
        ck_assert_int_eq(workspace_create(&ref, &net, n, NULL), 0);
        ck_assert_int_eq(workspace_create(&fused, &net, n, NULL), 0);
        size_t outputs = network_outputs(&net);
        nets_random(ref.x, n * c->input, (uint64_t)_i + 40);
        fill_targets(ref.t, c, n);
        memcpy(fused.x, ref.x, n * c->input * sizeof *ref.x);
        memcpy(fused.t, ref.t, n * outputs * sizeof *ref.t);

        float *g_ref = malloc(net.n_params * sizeof *g_ref);
        float *g_fused = malloc(net.n_params * sizeof *g_fused);
        ck_assert_ptr_nonnull(g_ref);
        ck_assert_ptr_nonnull(g_fused);
        network_forward(&net, &ref, n);
        network_loss(&net, &ref, n);
        network_backward(&net, &ref, n, g_ref);
        small_net_backprop(&net, &fused, n, g_fused);

        assert_same(ref.logits, fused.logits, n * outputs, "logits", _i, n);
        assert_same(ref.loss, fused.loss, n, "losses", _i, n);
        for (size_t l = 0; l < net.n_layers; l++) {
            size_t cells = n * net.layers[l].units;
            assert_same(ref.out[l], fused.out[l], cells, "outputs", _i, n);
            assert_same(ref.delta[l], fused.delta[l], cells, "deltas", _i, n);
        }
        assert_same(g_ref, g_fused, net.n_params, "gradients", _i, n);
        /* Equal and zero would prove nothing: with the largest batch
         * every layer has a gradient (single samples may meet only dead
         * relu units below the last layer). */
        for (size_t l = 0; l < net.n_layers; l++) {
            if (n < 13 && l + 1 < net.n_layers)
                continue;
            const struct layer *ly = &net.layers[l];
            size_t nonzero = 0;
            for (size_t k = 0; k < ly->units * (ly->fan_in + 1); k++)
                nonzero += g_fused[ly->offset + k] != 0.0f;
            ck_assert_msg(nonzero > 0, "case %d, layer %zu: zero gradient",
                          _i, l);
        }

        free(g_ref);
        free(g_fused);
        workspace_free(&ref, &net);
        workspace_free(&fused, &net);
        network_free(&net);
        config_free(&cfg);
    }
}
END_TEST

/* The fused step against the pass and kernel_sgd_step in turn, with and
 * without momentum, over a few steps so the velocity carries over; at
 * batch 1 (the step's own copy for online training) and a larger one. */
static void check_fused_step(int _i, size_t n)
{
    const struct small_case *c = &cases[_i];
    struct config cfg;
    struct network a, b;
    struct workspace wa, wb;
    nets_config(&cfg, c->input, c->n_layers, c->units, c->acts, c->loss,
                (uint64_t)_i + 7);
    cfg.init = INIT_UNIFORM;
    ck_assert_int_eq(network_create(&a, &cfg, NULL), 0);
    ck_assert_int_eq(network_create(&b, &cfg, NULL), 0);
    ck_assert_int_eq(workspace_create(&wa, &a, n, NULL), 0);
    ck_assert_int_eq(workspace_create(&wb, &b, n, NULL), 0);
    size_t outputs = network_outputs(&a);
    size_t np = a.n_params;
    float *grad = calloc(np, sizeof *grad), *scratch = calloc(np, 4);
    float *va = calloc(np, sizeof *va), *vb = calloc(np, sizeof *vb);
    ck_assert(grad && scratch && va && vb);
    for (int step = 0; step < 3; step++) {
        nets_random(wa.x, n * c->input, (uint64_t)(50 + step));
        fill_targets(wa.t, c, n);
        memcpy(wb.x, wa.x, n * c->input * sizeof *wa.x);
        memcpy(wb.t, wa.t, n * outputs * sizeof *wa.t);
        struct kernel_sgd sgd = {.scale = 1.0f / (float)n, .lr = 0.1f,
                                 .momentum = _i % 2 ? 0.9f : 0.0f,
                                 .weight_decay = _i % 3 ? 0.0f : 0.01f,
                                 .nesterov = _i % 4 == 3, .first = step == 0};
        float *v_a = sgd.momentum != 0.0f ? va : NULL;
        float *v_b = sgd.momentum != 0.0f ? vb : NULL;
        small_net_backprop(&a, &wa, n, grad);
        kernel_sgd_step(a.params, v_a, grad, np, &sgd);
        small_net_step(&b, &wb, n, scratch, v_b, &sgd);
        ck_assert_msg(memcmp(a.params, b.params, np * 4) == 0,
                      "case %d, batch %zu, step %d: parameters differ", _i,
                      n, step);
        ck_assert_mem_eq(va, vb, np * 4);
        ck_assert_mem_eq(wa.loss, wb.loss, n * 4);
    }
    free(grad), free(scratch), free(va), free(vb);
    workspace_free(&wa, &a);
    workspace_free(&wb, &b);
    network_free(&a);
    network_free(&b);
    config_free(&cfg);
}

START_TEST(fused_step_equals_pass_then_update)
{
    check_fused_step(_i, 1);
    check_fused_step(_i, 5);
}
END_TEST

START_TEST(fits_only_narrow_networks)
{
    size_t units[2] = {SMALL_NET_FAN_IN - 1, 3};
    enum activation acts[2] = {ACT_RELU, ACT_SOFTMAX};
    struct config cfg;
    struct network net;

    nets_config(&cfg, SMALL_NET_FAN_IN - 1, 2, units, acts,
                LOSS_CROSS_ENTROPY, 1);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert(small_net_fits(&net));
    network_free(&net);
    config_free(&cfg);

    /* A wide input... */
    nets_config(&cfg, SMALL_NET_FAN_IN, 2, units, acts,
                LOSS_CROSS_ENTROPY, 1);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert(!small_net_fits(&net));
    network_free(&net);
    config_free(&cfg);

    /* ...or a wide hidden layer takes the kernels. */
    units[0] = SMALL_NET_FAN_IN;
    nets_config(&cfg, 2, 2, units, acts, LOSS_CROSS_ENTROPY, 1);
    ck_assert_int_eq(network_create(&net, &cfg, NULL), 0);
    ck_assert(!small_net_fits(&net));
    network_free(&net);
    config_free(&cfg);
}
END_TEST

Suite *small_net_suite(void)
{
    Suite *s = suite_create("small_net");
    TCase *tc = tcase_create("small_net");
    tcase_add_loop_test(tc, fused_pass_equals_the_kernel_pass, 0,
                        (int)(sizeof cases / sizeof *cases));
    tcase_add_loop_test(tc, fused_step_equals_pass_then_update, 0,
                        (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, fits_only_narrow_networks);
    suite_add_tcase(s, tc);
    return s;
}
