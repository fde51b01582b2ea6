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

/* A column reference as the config gives it. */
static void print_ref(const struct column_ref *ref)
{
    if (ref->name)
        printf("%s", ref->name);
    else
        printf("column %zu", ref->index);
}

/* How each input column is encoded (SPEC section 5a): numeric with its
 * normalization and imputed mean, or one-hot with its categories. */
static void print_columns(const struct config *cfg)
{
    const struct data_config *d = &cfg->data;
    if (!d->n_features)
        return;
    printf("columns     %zu, read by %s\n", d->n_features,
           d->features[0].name ? "name" : "index");
    size_t at = 0;
    for (size_t f = 0; f < d->n_features && at < cfg->input; f++) {
        const struct column_ref *ref = &d->features[f];
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", ref->index);
        const struct category_set *set =
            config_categories(cfg, ref->name ? ref->name : idx);
        printf("  ");
        print_ref(ref);
        if (set) {
            printf(": one-hot, %zu input%s [%zu..%zu]:", set->n,
                   set->n == 1 ? "" : "s", at, at + set->n - 1);
            for (size_t k = 0; k < set->n; k++)
                printf("%s\"%s\"", k ? ", " : " ", set->values[k]);
            putchar('\n');
            at += set->n;
            continue;
        }
        printf(": numeric, input [%zu]", at);
        if (cfg->normalization.n)
            printf(", %s: (x - %.9g) / %.9g", normalize_name(d->normalize),
                   (double)cfg->normalization.mean[at],
                   (double)cfg->normalization.std[at]);
        if (cfg->imputation.n)
            printf(", missing -> %.9g", (double)cfg->imputation.mean[at]);
        putchar('\n');
        at++;
    }
    if (d->has_label) {
        printf("label       ");
        print_ref(&d->label);
        putchar('\n');
    }
    for (size_t k = 0; k < d->n_targets; k++) {
        printf("target      ");
        print_ref(&d->targets[k]);
        putchar('\n');
    }
    if (d->n_classes) {
        printf("classes    ");
        for (size_t c = 0; c < d->n_classes; c++)
            printf("%s\"%s\"", c ? ", " : " ", d->classes[c]);
        putchar('\n');
    }
    if (d->missing != MISSING_ERROR)
        printf("missing     %s\n", missing_policy_name(d->missing));
}

static void print_info(const struct model *m)
{
    const struct config *cfg = &m->cfg;
    const struct network *net = &m->net;
    printf("%s: %s\n", cfg->name,
           cfg->is_weights ? "weights file" : "config");
    if (!net->n_layers) {
        /* No input width yet: the categorical columns' values give it. */
        printf("input       from the data (categorical columns)\n");
        for (size_t l = 0; l < cfg->n_layers; l++)
            printf("layers[%zu]   %zu %s\n", l, cfg->layers[l].units,
                   activation_name(cfg->layers[l].activation));
        return;
    }
    printf("input       %zu\n", net->input);
    print_columns(cfg);
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        printf("layers[%zu]   %zu %s, %zu parameters%s", l, ly->units,
               activation_name(ly->activation),
               ly->units * (ly->fan_in + 1),
               cfg->layers[l].weights ? "" : " (initialised)");
        if (cfg->layers[l].dropout > 0)
            printf(", dropout %g", cfg->layers[l].dropout);
        putchar('\n');
    }
    printf("loss        %s\n", loss_name(net->loss));
    printf("optimizer   %s, learning rate %g, batch %zu, %zu epochs\n",
           optimizer_name(cfg->training.optimizer),
           cfg->training.learning_rate, cfg->training.batch_size,
           cfg->training.epochs);
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
