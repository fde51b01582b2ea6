/*
 * config: reading and validating the config / weights file. See config.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

/* ---- name tables: one table per enum serves the parser, the "expected
 * one of" message and the writer ---- */

struct name_value {
    const char *name;
    int value;
};

static const struct name_value activation_names[] = {
    {"sigmoid", ACT_SIGMOID}, {"tanh", ACT_TANH}, {"relu", ACT_RELU},
    {"linear", ACT_LINEAR},   {"softmax", ACT_SOFTMAX}, {NULL, 0}};
static const struct name_value loss_names[] = {
    {"mse", LOSS_MSE}, {"cross_entropy", LOSS_CROSS_ENTROPY}, {NULL, 0}};
static const struct name_value init_names[] = {
    {"xavier", INIT_XAVIER}, {"he", INIT_HE}, {"uniform", INIT_UNIFORM},
    {NULL, 0}};
static const struct name_value schedule_names[] = {
    {"constant", SCHEDULE_CONSTANT}, {"step", SCHEDULE_STEP},
    {"cosine", SCHEDULE_COSINE}, {NULL, 0}};
static const struct name_value normalize_names[] = {
    {"none", NORMALIZE_NONE}, {"standard", NORMALIZE_STANDARD},
    {"minmax", NORMALIZE_MINMAX}, {"scale", NORMALIZE_SCALE}, {NULL, 0}};

static const char *name_of(const struct name_value *table, int value)
{
    for (; table->name; table++)
        if (table->value == value)
            return table->name;
    return NULL;
}

const char *activation_name(enum activation a)
{
    return name_of(activation_names, (int)a);
}

const char *loss_name(enum loss_kind l) { return name_of(loss_names, (int)l); }

const char *init_method_name(enum init_method m)
{
    return name_of(init_names, (int)m);
}

const char *schedule_name(enum schedule_kind s)
{
    return name_of(schedule_names, (int)s);
}

const char *normalize_name(enum normalize_kind n)
{
    return name_of(normalize_names, (int)n);
}

/* ---- shape queries ---- */

size_t config_fan_in(const struct config *cfg, size_t l)
{
    return l == 0 ? cfg->input : cfg->layers[l - 1].units;
}

size_t config_param_count(const struct config *cfg)
{
    size_t n = 0;
    for (size_t l = 0; l < cfg->n_layers; l++)
        n += cfg->layers[l].units * (config_fan_in(cfg, l) + 1);
    return n;
}

size_t config_outputs(const struct config *cfg)
{
    return cfg->n_layers ? cfg->layers[cfg->n_layers - 1].units : 0;
}

size_t config_class_count(const struct config *cfg)
{
    bool classes = cfg->data.has_label ||
                   (cfg->data.n_targets == 0 &&
                    cfg->loss == LOSS_CROSS_ENTROPY);
    if (!classes)
        return 0;
    size_t outputs = config_outputs(cfg);
    return outputs == 1 ? 2 : outputs;
}

/* ---- release ---- */

static void column_ref_free(struct column_ref *c)
{
    free(c->name);
    c->name = NULL;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->name);
    free(cfg->dir);
    for (size_t l = 0; l < cfg->n_layers; l++) {
        free(cfg->layers[l].weights);
        free(cfg->layers[l].bias);
    }
    free(cfg->layers);
    free(cfg->data.train);
    free(cfg->data.validation);
    column_ref_free(&cfg->data.label);
    for (size_t i = 0; i < cfg->data.n_targets; i++)
        column_ref_free(&cfg->data.targets[i]);
    free(cfg->data.targets);
    for (size_t i = 0; i < cfg->data.n_classes; i++)
        free(cfg->data.classes[i]);
    free(cfg->data.classes);
    free(cfg->output);
    free(cfg->normalization.mean);
    free(cfg->normalization.std);
    free(cfg->state.velocity);
    memset(cfg, 0, sizeof *cfg);
}
