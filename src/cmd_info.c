/*
 * backprop info CONFIG|WEIGHTS: the network's layers, parameter count and
 * floating-point operations per sample, as text on stdout.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "model.h"

static const struct option_spec info_options[] = {
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

static void print_info(const struct model *m)
{
    const struct config *cfg = &m->cfg;
    const struct network *net = &m->net;
    printf("%s: %s\n", cfg->name,
           cfg->is_weights ? "weights file" : "config");
    printf("input       %zu\n", net->input);
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        printf("layers[%zu]   %zu %s, %zu parameters%s\n", l, ly->units,
               activation_name(ly->activation),
               ly->units * (ly->fan_in + 1),
               cfg->layers[l].weights ? "" : " (initialised)");
    }
    printf("loss        %s\n", loss_name(net->loss));
    printf("parameters  %zu (%zu bytes as float32)\n", net->n_params,
           net->n_params * sizeof(float));
    double forward, training;
    network_flops(net, &forward, &training);
    printf("FLOPs       %.0f per sample forward, %.0f per sample training\n",
           forward, training);
    if (cfg->is_weights)
        printf("trained     %zu epochs, %zu steps\n", cfg->state.epoch,
               cfg->state.step);
}

int cmd_info(int argc, char **argv, struct bp_error *err)
{
    struct args_result r;
    if (args_collect("info", argc, argv, info_options, 1, &r, err) < 0)
        return -1;
    if (r.given[CLI_OPT_HELP]) {
        printf("usage: backprop info CONFIG|WEIGHTS\n\n"
               "Shows the layers, parameter count and floating-point "
               "operations per\nsample (a multiply-add counts two) of a "
               "config or weights file.\n");
        return 0;
    }
    const char *path, *unused;
    if (cli_file_and_data("info", "CONFIG", &r, false, &path, &unused, err) <
        0)
        return -1;
    struct model m;
    if (model_load(&m, path, false, err) < 0)
        return -1;
    print_info(&m);
    model_free(&m);
    return 0;
}
