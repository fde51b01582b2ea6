/*
 * config_sections: what each key of the config / weights file means (see
 * config_sections.h): the enums' name tables, the keys each section
 * allows, and one loader per section that checks its values and fills the
 * struct config, with the defaults of SPEC section 3.
 *
 * The layers are read in two passes: their shapes first, so that the
 * parameter count is checked before a weight is allocated, then the
 * weights and biases a weights file holds.
 *
 * What this file is not: the typed reading and the messages' wording are
 * in config_json.c, the parsing of the text in config.c, the --set
 * overrides in config_override.c; it never prints.
 */
#include "config_sections.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- name tables: one table per enum serves the parser, the "expected
 * one of" message and the writer ---- */

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
    {"cosine", SCHEDULE_COSINE}, {"exponential", SCHEDULE_EXPONENTIAL},
    {"plateau", SCHEDULE_PLATEAU}, {NULL, 0}};
static const struct name_value optimizer_names[] = {
    {"sgd", OPTIMIZER_SGD}, {"adam", OPTIMIZER_ADAM},
    {"adamw", OPTIMIZER_ADAMW}, {"rmsprop", OPTIMIZER_RMSPROP},
    {"adagrad", OPTIMIZER_ADAGRAD}, {NULL, 0}};
static const struct name_value plateau_metric_names[] = {
    {"validation_loss", PLATEAU_VALIDATION_LOSS},
    {"train_loss", PLATEAU_TRAIN_LOSS}, {NULL, 0}};
static const struct name_value state_buffer_names[] = {
    {"velocity", STATE_VELOCITY}, {"m", STATE_M}, {"v", STATE_V},
    {"vmax", STATE_VMAX}, {"s", STATE_S}, {"a", STATE_A}, {"b", STATE_B},
    {NULL, 0}};
static const struct name_value stop_metric_names[] = {
    {"validation_loss", STOP_VALIDATION_LOSS},
    {"validation_accuracy", STOP_VALIDATION_ACCURACY},
    {"train_loss", STOP_TRAIN_LOSS}, {NULL, 0}};
static const struct name_value normalize_names[] = {
    {"none", NORMALIZE_NONE}, {"standard", NORMALIZE_STANDARD},
    {"minmax", NORMALIZE_MINMAX}, {"scale", NORMALIZE_SCALE}, {NULL, 0}};

static const struct name_value missing_names[] = {
    {"error", MISSING_ERROR}, {"drop", MISSING_DROP}, {"mean", MISSING_MEAN},
    {NULL, 0}};

/* SPEC section 5a's default data.na_values. */
static const char *const default_na_values[] = {
    "", "NA", "N/A", "NaN", "nan", "null", "NULL", "?", NULL};

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

const char *missing_policy_name(enum missing_policy m)
{
    return name_of(missing_names, (int)m);
}

const char *stop_metric_name(enum stop_metric m)
{
    return name_of(stop_metric_names, (int)m);
}

const char *normalize_name(enum normalize_kind n)
{
    return name_of(normalize_names, (int)n);
}

const char *optimizer_name(enum optimizer_kind o)
{
    return name_of(optimizer_names, (int)o);
}

const char *plateau_metric_name(enum plateau_metric m)
{
    return m == PLATEAU_AUTO ? NULL : name_of(plateau_metric_names, (int)m);
}

const char *state_buffer_name(enum state_buffer b)
{
    return name_of(state_buffer_names, (int)b);
}

/* ---- sizes ---- */

static int add_size(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return -1;
    *out = a + b;
    return 0;
}

static int mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b)
        return -1;
    *out = a * b;
    return 0;
}

/* ---- the keys, section by section ---- */

static const char *const top_keys[] = {
    "format", "input", "layers", "loss", "init", "training", "data",
    "output", "normalization", "imputation", "state", "metrics", NULL};
static const char *const layer_keys[] = {"units", "activation", "dropout",
                                         "weights", "bias", NULL};
static const char *const init_keys[] = {"method", "seed", NULL};
static const char *const training_keys[] = {
    "optimizer", "learning_rate", "momentum", "nesterov", "weight_decay",
    "betas", "eps", "amsgrad", "alpha", "centered", "lr_decay",
    "initial_accumulator_value", "clip_grad_norm", "clip_grad_value",
    "label_smoothing", "warmup_epochs", "batch_size", "epochs", "shuffle",
    "seed", "schedule", "early_stopping", NULL};
static const char *const schedule_keys[] = {
    "type", "every", "gamma", "factor", "patience", "threshold", "min_lr",
    "metric", NULL};
static const char *const early_stopping_keys[] = {"patience", "metric",
                                                  "min_delta", NULL};
static const char *const data_keys[] = {
    "train", "validation", "validation_split", "cross_validation",
    "header", "label",
    "targets", "normalize", "classes", "features", "ignore", "categorical",
    "missing", "na_values", "max_categories", "categories", NULL};
static const char *const imputation_keys[] = {"mean", NULL};
static const char *const cross_validation_keys[] = {"folds", "fold", NULL};
static const char *const normalize_keys[] = {"scale", NULL};
static const char *const normalization_keys[] = {"mean", "std", NULL};
static const char *const state_keys[] = {
    "epoch", "step", "optimizer", "t", "velocity", "m", "v", "vmax", "s", "a", "b",
    "learning_rate", "plateau", "early_stopping", NULL};
static const char *const plateau_keys[] = {"learning_rate", "best",
                                           "bad_epochs", NULL};
static const char *const stopping_keys[] = {"metric", "best", "best_epoch",
                                            "restore", NULL};
static const char *const restore_keys[] = {"parameters", "state", "metrics",
                                           NULL};
static const char *const velocity_keys[] = {"weights", "bias", NULL};


static int load_format(struct ctx *x, const cJSON *root, struct config *c)
{
    const cJSON *v = member(root, "format");
    if (!v)
        return 0;
    char d[DESC_MAX];
    size_t mark = kp_key(&x->kp, "format");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, CONFIG_FORMAT) != 0)
        return bad(x, "expected \"%s\", got %s", CONFIG_FORMAT,
                   describe(v, d));
    kp_pop(&x->kp, mark);
    c->is_weights = true;
    return 0;
}

/* First pass over the layers: units and activations, no parameters. */
static int load_layer_shapes(struct ctx *x, const cJSON *layers,
                             struct config *c)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(layers))
        return bad(x, "expected an array of layers, got %s",
                   describe(layers, d));
    size_t n = count_items(layers);
    if (n == 0)
        return bad(x, "expected at least one layer, got []");
    if (n > CONFIG_MAX_LAYERS)
        return bad(x, "at most %d layers are allowed, got %zu",
                   CONFIG_MAX_LAYERS, n);
    c->layers = calloc(n, sizeof *c->layers);
    if (!c->layers)
        return nomem(x);
    c->n_layers = n;

    size_t l = 0;
    for (const cJSON *v = layers->child; v; v = v->next, l++) {
        struct layer_config *layer = &c->layers[l];
        const cJSON *item;
        int act;
        size_t mark = kp_index(&x->kp, l);
        if (check_object(x, v, layer_keys) ||
            require(x, v, "units", &item))
            return -1;
        size_t m2 = kp_key(&x->kp, "units");
        if (as_size(x, item, 1, CONFIG_MAX_UNITS, &layer->units))
            return -1;
        kp_pop(&x->kp, m2);
        if (require(x, v, "activation", &item))
            return -1;
        m2 = kp_key(&x->kp, "activation");
        if (as_enum(x, item, "activation", activation_names, &act))
            return -1;
        kp_pop(&x->kp, m2);
        layer->activation = (enum activation)act;
        if (opt_real(x, v, "dropout", REAL_FRACTION, &layer->dropout))
            return -1;
        if (layer->dropout > 0 && l + 1 == n) {
            kp_key(&x->kp, "dropout");
            return bad(x, "only allowed on a hidden layer, not the last "
                          "(output) layer");
        }
        bool has_w = member(v, "weights") != NULL;
        bool has_b = member(v, "bias") != NULL;
        if (has_w != has_b) {
            kp_key(&x->kp, has_w ? "bias" : "weights");
            return bad(x, "missing (a layer's weights and bias come "
                          "together)");
        }
        kp_pop(&x->kp, mark);
    }

    for (l = 0; l < n; l++) {
        if (c->layers[l].activation != ACT_SOFTMAX)
            continue;
        size_t mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "activation");
        if (l + 1 != n)
            return bad(x, "softmax is only allowed on the last layer");
        if (c->layers[l].units < 2)
            return bad(x, "softmax needs at least 2 units, got %zu",
                       c->layers[l].units);
        kp_pop(&x->kp, mark);
    }
    return 0;
}

/* The parameter count, overflow-checked, before anything that size is
 * allocated. */
static int check_param_count(struct ctx *x, const struct config *c)
{
    size_t total = 0;
    bool overflow = false;
    for (size_t l = 0; l < c->n_layers && !overflow; l++) {
        size_t per;
        overflow = mul_size(c->layers[l].units, config_fan_in(c, l) + 1,
                            &per) ||
                   add_size(total, per, &total);
    }
    if (overflow)
        return bad(x, "too many parameters (the limit is %zu)",
                   CONFIG_MAX_PARAMS);
    if (total > CONFIG_MAX_PARAMS)
        return bad(x, "%zu parameters, more than the limit of %zu", total,
                   CONFIG_MAX_PARAMS);
    return 0;
}

/* Second pass: explicit weights and biases. */
static int load_layer_params(struct ctx *x, const cJSON *layers,
                             struct config *c)
{
    size_t l = 0;
    for (const cJSON *v = layers->child; v; v = v->next, l++) {
        struct layer_config *layer = &c->layers[l];
        const cJSON *w = member(v, "weights"), *b = member(v, "bias");
        if (!w)
            continue;
        size_t fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "weights");
        if (fan_in == 0)
            return bad(x, "needs \"input\": the width of the layer's "
                       "inputs");
        if (matrix_shape(x, w, layer->units, fan_in))
            return -1;
        kp_pop(&x->kp, mark);
        kp_index(&x->kp, l);
        kp_key(&x->kp, "bias");
        if (floats_shape(x, b, layer->units, "one per unit"))
            return -1;
        kp_pop(&x->kp, mark);
        layer->weights = malloc(layer->units * fan_in * sizeof(float));
        layer->bias = malloc(layer->units * sizeof(float));
        if (!layer->weights || !layer->bias)
            return nomem(x);
        mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "weights");
        if (read_matrix(x, w, layer->units, fan_in, layer->weights))
            return -1;
        kp_pop(&x->kp, mark);
        kp_index(&x->kp, l);
        kp_key(&x->kp, "bias");
        if (read_floats(x, b, layer->units, "one per unit", false,
                        layer->bias))
            return -1;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int load_loss(struct ctx *x, const cJSON *root, struct config *c)
{
    const struct layer_config *last = &c->layers[c->n_layers - 1];
    bool softmax = last->activation == ACT_SOFTMAX;
    bool one_sigmoid = last->activation == ACT_SIGMOID && last->units == 1;
    int loss = softmax ? LOSS_CROSS_ENTROPY : LOSS_MSE;
    const cJSON *v = member(root, "loss");
    if (!v) {
        c->loss = (enum loss_kind)loss;
        return 0;
    }
    size_t mark = kp_key(&x->kp, "loss");
    if (as_enum(x, v, "loss", loss_names, &loss))
        return -1;
    if (loss == LOSS_CROSS_ENTROPY && !softmax && !one_sigmoid)
        return bad(x, "cross_entropy needs a softmax last layer or a single "
                      "sigmoid unit, but the last layer has %zu %s unit%s",
                   last->units, activation_name(last->activation),
                   plural(last->units));
    if (loss == LOSS_MSE && softmax)
        return bad(x, "mse cannot follow a softmax last layer (use "
                      "cross_entropy)");
    kp_pop(&x->kp, mark);
    c->loss = (enum loss_kind)loss;
    return 0;
}

static int load_init(struct ctx *x, const cJSON *root, struct config *c)
{
    bool all_relu = c->n_layers > 1;
    for (size_t l = 0; l + 1 < c->n_layers; l++)
        all_relu = all_relu && c->layers[l].activation == ACT_RELU;
    int method = all_relu ? INIT_HE : INIT_XAVIER;
    c->init_seed = 1;
    const cJSON *v = member(root, "init");
    if (v) {
        size_t mark = kp_key(&x->kp, "init");
        if (check_object(x, v, init_keys) ||
            opt_enum(x, v, "method", "init method", init_names, &method) ||
            opt_seed(x, v, "seed", &c->init_seed))
            return -1;
        kp_pop(&x->kp, mark);
    }
    c->init = (enum init_method)method;
    return 0;
}

static int load_schedule(struct ctx *x, const cJSON *tr,
                         struct training_config *t)
{
    const cJSON *v = member(tr, "schedule"), *item;
    int kind;
    t->schedule = SCHEDULE_CONSTANT;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "schedule");
    if (check_object(x, v, schedule_keys) || require(x, v, "type", &item))
        return -1;
    size_t m2 = kp_key(&x->kp, "type");
    if (as_enum(x, item, "schedule", schedule_names, &kind))
        return -1;
    kp_pop(&x->kp, m2);
    t->schedule = (enum schedule_kind)kind;
    /* Each type's keys; any other is a mistake (e.g. "every" on a cosine
     * schedule: not a restart period). */
    static const char *const step_keys[] = {"type", "every", "gamma", NULL};
    static const char *const exponential_keys[] = {"type", "gamma", NULL};
    static const char *const plateau_only[] = {
        "type", "factor", "patience", "threshold", "min_lr", "metric", NULL};
    static const char *const type_only[] = {"type", NULL};
    const char *const *allowed = kind == SCHEDULE_STEP ? step_keys
                                 : kind == SCHEDULE_EXPONENTIAL
                                     ? exponential_keys
                                 : kind == SCHEDULE_PLATEAU ? plateau_only
                                                            : type_only;
    for (const cJSON *k = v->child; k; k = k->next) {
        bool ok = cJSON_IsNull(k);
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k->string) == 0;
        if (!ok) {
            kp_key(&x->kp, k->string);
            const char *kind_name = schedule_name(t->schedule);
            return bad(x, "not used by %s %s schedule",
                       strchr("aeiou", kind_name[0]) ? "an" : "a",
                       kind_name);
        }
    }
    t->plateau_factor = 0.1;
    t->plateau_patience = 10;
    t->plateau_threshold = 1e-4;
    t->plateau_min_lr = 0;
    t->plateau_metric = PLATEAU_AUTO;
    if (kind == SCHEDULE_STEP) {
        const cJSON *every, *gamma;
        if (require(x, v, "every", &every) ||
            require(x, v, "gamma", &gamma) ||
            opt_size(x, v, "every", 1, WHOLE_MAX, &t->schedule_every) ||
            opt_real(x, v, "gamma", REAL_POSITIVE, &t->schedule_gamma))
            return -1;
    } else if (kind == SCHEDULE_EXPONENTIAL) {
        const cJSON *gamma;
        if (require(x, v, "gamma", &gamma) ||
            opt_real(x, v, "gamma", REAL_POSITIVE, &t->schedule_gamma))
            return -1;
    } else if (kind == SCHEDULE_PLATEAU) {
        int metric = PLATEAU_AUTO;
        if (opt_real(x, v, "factor", REAL_POSITIVE, &t->plateau_factor) ||
            opt_size(x, v, "patience", 0, WHOLE_MAX, &t->plateau_patience) ||
            opt_real(x, v, "threshold", REAL_NONNEG,
                     &t->plateau_threshold) ||
            opt_real(x, v, "min_lr", REAL_NONNEG, &t->plateau_min_lr) ||
            opt_enum(x, v, "metric", "metric", plateau_metric_names,
                     &metric))
            return -1;
        t->plateau_metric = (enum plateau_metric)metric;
        if (t->plateau_factor >= 1.0) {
            kp_key(&x->kp, "factor");
            return bad(x, "must be < 1, got %.17g", t->plateau_factor);
        }
    }
    kp_pop(&x->kp, mark);
    return 0;
}

/* Which optimizer takes which of training's optimizer keys (SPEC 7a). */
struct optimizer_key {
    const char *key;
    unsigned takers; /* bit (1 << optimizer) for each that takes it */
};
#define TAKES(o) (1u << (o))
static const struct optimizer_key optimizer_keys[] = {
    {"momentum", TAKES(OPTIMIZER_SGD) | TAKES(OPTIMIZER_RMSPROP)},
    {"nesterov", TAKES(OPTIMIZER_SGD)},
    {"betas", TAKES(OPTIMIZER_ADAM) | TAKES(OPTIMIZER_ADAMW)},
    {"amsgrad", TAKES(OPTIMIZER_ADAM) | TAKES(OPTIMIZER_ADAMW)},
    {"eps", TAKES(OPTIMIZER_ADAM) | TAKES(OPTIMIZER_ADAMW) |
                TAKES(OPTIMIZER_RMSPROP) | TAKES(OPTIMIZER_ADAGRAD)},
    {"alpha", TAKES(OPTIMIZER_RMSPROP)},
    {"centered", TAKES(OPTIMIZER_RMSPROP)},
    {"lr_decay", TAKES(OPTIMIZER_ADAGRAD)},
    {"initial_accumulator_value", TAKES(OPTIMIZER_ADAGRAD)},
    {NULL, 0}};

/* A key of training the chosen optimizer does not take is an error. */
static int check_optimizer_keys(struct ctx *x, const cJSON *tr,
                                enum optimizer_kind o)
{
    for (const struct optimizer_key *k = optimizer_keys; k->key; k++)
        if (member(tr, k->key) && !(k->takers & TAKES(o))) {
            kp_key(&x->kp, k->key);
            return bad(x, "not used by the %s optimizer", optimizer_name(o));
        }
    return 0;
}

/* training.betas: [b1, b2], each in [0, 1). */
static int load_betas(struct ctx *x, const cJSON *tr,
                      struct training_config *t)
{
    char d[DESC_MAX];
    const cJSON *v = member(tr, "betas");
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "betas");
    if (!cJSON_IsArray(v) || count_items(v) != 2)
        return bad(x, "expected [beta1, beta2], got %s", describe(v, d));
    double *out[2] = {&t->beta1, &t->beta2};
    size_t i = 0;
    for (const cJSON *b = v->child; b; b = b->next, i++) {
        size_t m2 = kp_index(&x->kp, i);
        if (as_real(x, b, REAL_FRACTION, out[i]))
            return -1;
        kp_pop(&x->kp, m2);
    }
    kp_pop(&x->kp, mark);
    return 0;
}

/* The keys of training that need the rest of the config: label smoothing
 * wants a softmax with cross-entropy; clipping one way at a time. */
static int check_training(struct ctx *x, const cJSON *v, const struct config *c)
{
    const struct training_config *t = &c->training;
    const struct layer_config *last = &c->layers[c->n_layers - 1];
    if (t->label_smoothing > 0 &&
        !(last->activation == ACT_SOFTMAX && c->loss == LOSS_CROSS_ENTROPY)) {
        kp_key(&x->kp, "label_smoothing");
        return bad(x, "needs a softmax last layer with the cross_entropy "
                      "loss");
    }
    if (member(v, "clip_grad_norm") && member(v, "clip_grad_value")) {
        kp_key(&x->kp, "clip_grad_value");
        return bad(x, "cannot be used together with "
                      "training.clip_grad_norm");
    }
    if (t->nesterov && t->momentum == 0) {
        kp_key(&x->kp, "nesterov");
        return bad(x, "needs training.momentum > 0");
    }
    if (t->optimizer == OPTIMIZER_RMSPROP && t->alpha > 1) {
        kp_key(&x->kp, "alpha");
        return bad(x, "must be in [0, 1], got %.17g", t->alpha);
    }
    return 0;
}

static int load_early_stopping(struct ctx *x, const cJSON *tr,
                               struct training_config *t)
{
    const cJSON *v = member(tr, "early_stopping"), *item;
    int metric = STOP_VALIDATION_LOSS;
    t->early_stopping_patience = 0;
    t->early_stopping_metric = STOP_VALIDATION_LOSS;
    t->early_stopping_min_delta = 0;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "early_stopping");
    if (check_object(x, v, early_stopping_keys) ||
        require(x, v, "patience", &item) ||
        opt_size(x, v, "patience", 1, WHOLE_MAX,
                 &t->early_stopping_patience) ||
        opt_enum(x, v, "metric", "metric", stop_metric_names, &metric) ||
        opt_real(x, v, "min_delta", REAL_NONNEG,
                 &t->early_stopping_min_delta))
        return -1;
    t->early_stopping_metric = (enum stop_metric)metric;
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_training(struct ctx *x, const cJSON *root, struct config *c)
{
    struct training_config *t = &c->training;
    *t = (struct training_config){
        .optimizer = OPTIMIZER_SGD, .learning_rate = 0.01, .momentum = 0,
        .nesterov = false, .weight_decay = 0, .beta1 = 0.9, .beta2 = 0.999,
        .eps = 1e-8, .alpha = 0.99, .batch_size = 32, .epochs = 10,
        .shuffle = true, .seed = 1, .schedule = SCHEDULE_CONSTANT};
    const cJSON *v = member(root, "training");
    if (!v)
        return 0;
    int optimizer = OPTIMIZER_SGD;
    size_t mark = kp_key(&x->kp, "training");
    if (check_object(x, v, training_keys) ||
        opt_enum(x, v, "optimizer", "optimizer", optimizer_names,
                 &optimizer) ||
        check_optimizer_keys(x, v, (enum optimizer_kind)optimizer))
        return -1;
    /* PyTorch's defaults for the chosen optimizer. */
    t->optimizer = (enum optimizer_kind)optimizer;
    if (t->optimizer == OPTIMIZER_ADAMW)
        t->weight_decay = 0.01;
    if (t->optimizer == OPTIMIZER_ADAGRAD)
        t->eps = 1e-10;
    if (opt_real(x, v, "learning_rate", REAL_POSITIVE, &t->learning_rate) ||
        opt_real(x, v, "momentum", REAL_FRACTION, &t->momentum) ||
        opt_bool(x, v, "nesterov", &t->nesterov) ||
        opt_real(x, v, "weight_decay", REAL_NONNEG, &t->weight_decay) ||
        load_betas(x, v, t) ||
        opt_real(x, v, "eps", REAL_POSITIVE, &t->eps) ||
        opt_bool(x, v, "amsgrad", &t->amsgrad) ||
        opt_real(x, v, "alpha", REAL_NONNEG, &t->alpha) ||
        opt_bool(x, v, "centered", &t->centered) ||
        opt_real(x, v, "lr_decay", REAL_NONNEG, &t->lr_decay) ||
        opt_real(x, v, "initial_accumulator_value", REAL_NONNEG,
                 &t->initial_accumulator_value) ||
        opt_real(x, v, "clip_grad_norm", REAL_POSITIVE,
                 &t->clip_grad_norm) ||
        opt_real(x, v, "clip_grad_value", REAL_POSITIVE,
                 &t->clip_grad_value) ||
        opt_real(x, v, "label_smoothing", REAL_FRACTION,
                 &t->label_smoothing) ||
        opt_size(x, v, "warmup_epochs", 0, WHOLE_MAX, &t->warmup_epochs) ||
        opt_size(x, v, "batch_size", 1, WHOLE_MAX, &t->batch_size) ||
        opt_size(x, v, "epochs", 0, WHOLE_MAX, &t->epochs) ||
        opt_bool(x, v, "shuffle", &t->shuffle) ||
        opt_seed(x, v, "seed", &t->seed) || load_schedule(x, v, t) ||
        load_early_stopping(x, v, t) || check_training(x, v, c))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* A path from the file: "-" and absolute paths stay, relative ones are
 * joined to dir (no "./" prefix when dir is "."). */
static int resolve_path(struct ctx *x, const cJSON *v, const char *dir,
                        char **out)
{
    char d[DESC_MAX];
    if (!cJSON_IsString(v))
        return bad(x, "expected a file path, got %s", describe(v, d));
    const char *p = v->valuestring;
    if (!*p)
        return bad(x, "expected a file path, got \"\"");
    if (strcmp(p, "-") == 0 || p[0] == '/' || strcmp(dir, ".") == 0) {
        *out = strdup(p);
    } else {
        size_t dl = strlen(dir), pl = strlen(p);
        bool slash = dl && dir[dl - 1] == '/';
        *out = malloc(dl + pl + 2);
        if (*out) {
            memcpy(*out, dir, dl);
            if (!slash)
                (*out)[dl++] = '/';
            memcpy(*out + dl, p, pl + 1);
        }
    }
    return *out ? 0 : nomem(x);
}

static int opt_path(struct ctx *x, const cJSON *obj, const char *key,
                    const char *dir, char **out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = resolve_path(x, v, dir, out);
    kp_pop(&x->kp, mark);
    return rc;
}

/* A CSV column: a header name or a 0-based index. */
static int as_column(struct ctx *x, const cJSON *v, struct column_ref *out)
{
    char d[DESC_MAX];
    if (cJSON_IsString(v)) {
        if (!*v->valuestring)
            return bad(x, "expected a column name or index, got \"\"");
        out->name = strdup(v->valuestring);
        return out->name ? 0 : nomem(x);
    }
    if (cJSON_IsNumber(v))
        return as_size(x, v, 0, WHOLE_MAX, &out->index);
    return bad(x, "expected a column name or a 0-based column index, got %s",
               describe(v, d));
}

static int load_targets(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    if (!cJSON_IsArray(v) || !v->child)
        return bad(x, "expected a non-empty array of columns, got %s",
                   describe(v, d));
    size_t n = count_items(v), outputs = config_outputs(c);
    dc->targets = calloc(n, sizeof *dc->targets);
    if (!dc->targets)
        return nomem(x);
    dc->n_targets = n;
    size_t i = 0;
    for (const cJSON *t = v->child; t; t = t->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (as_column(x, t, &dc->targets[i]))
            return -1;
        for (size_t j = 0; j < i; j++) {
            const struct column_ref *a = &dc->targets[i], *b = &dc->targets[j];
            if (a->name ? (b->name && strcmp(a->name, b->name) == 0)
                        : (!b->name && a->index == b->index))
                return bad(x, "the same column as targets[%zu]", j);
        }
        kp_pop(&x->kp, mark);
    }
    if (n != outputs)
        return bad(x, "expected %zu column%s (one per output unit), got %zu",
                   outputs, plural(outputs), n);
    return 0;
}

static int load_normalize(struct ctx *x, const cJSON *v, struct config *c)
{
    static const char choices[] =
        "none, standard, minmax, or {\"scale\": X}";
    char d[DESC_MAX];
    if (cJSON_IsString(v)) {
        int kind = -1;
        for (const struct name_value *t = normalize_names; t->name; t++)
            if (t->value != NORMALIZE_SCALE &&
                strcmp(v->valuestring, t->name) == 0)
                kind = t->value;
        if (kind < 0)
            return bad(x, "unknown normalization %s (expected one of: %s)",
                       describe(v, d), choices);
        c->data.normalize = (enum normalize_kind)kind;
        return 0;
    }
    if (cJSON_IsObject(v)) {
        const cJSON *scale;
        if (check_keys(x, v, normalize_keys) ||
            require(x, v, "scale", &scale))
            return -1;
        size_t mark = kp_key(&x->kp, "scale");
        if (as_real(x, scale, REAL_NONZERO, &c->data.normalize_scale))
            return -1;
        kp_pop(&x->kp, mark);
        c->data.normalize = NORMALIZE_SCALE;
        return 0;
    }
    return bad(x, "expected one of: %s, got %s", choices, describe(v, d));
}

static int load_classes(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    size_t k = config_class_count(c);
    if (k == 0)
        return bad(x, "class names need class targets (data.label, or a "
                      "cross_entropy loss), but the targets are real-valued");
    if (!cJSON_IsArray(v))
        return bad(x, "expected an array of %zu class names, got %s", k,
                   describe(v, d));
    size_t n = count_items(v);
    if (n != k)
        return bad(x, "expected %zu class name%s (one per class), got %zu",
                   k, plural(k), n);
    dc->classes = calloc(n, sizeof *dc->classes);
    if (!dc->classes)
        return nomem(x);
    dc->n_classes = n;
    size_t i = 0;
    for (const cJSON *s = v->child; s; s = s->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (!cJSON_IsString(s) || !*s->valuestring)
            return bad(x, "expected a non-empty string, got %s",
                       describe(s, d));
        dc->classes[i] = strdup(s->valuestring);
        if (!dc->classes[i])
            return nomem(x);
        kp_pop(&x->kp, mark);
    }
    size_t dup;
    if (find_duplicate_name((const char *const *)dc->classes, n, &dup))
        return nomem(x);
    if (dup != SIZE_MAX) {
        kp_index(&x->kp, dup);
        return bad(x, "duplicate class name %s",
                   describe(cJSON_GetArrayItem(v, (int)dup), d));
    }
    return 0;
}

static bool same_column(const struct column_ref *a, const struct column_ref *b)
{
    return a->name ? (b->name && strcmp(a->name, b->name) == 0)
                   : (!b->name && a->index == b->index);
}

/* data.features, data.ignore, data.categorical: an array of distinct
 * columns (data.features non-empty). */
static int load_column_list(struct ctx *x, const cJSON *v, bool nonempty,
                            size_t *n_out, struct column_ref **out)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(v) || (nonempty && !v->child))
        return bad(x, "expected a%s array of column names or 0-based "
                   "indexes, got %s", nonempty ? " non-empty" : "n",
                   describe(v, d));
    size_t n = count_items(v);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return nomem(x);
    *n_out = n;
    size_t i = 0;
    for (const cJSON *t = v->child; t; t = t->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (as_column(x, t, &(*out)[i]))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (same_column(&(*out)[i], &(*out)[j]))
                return bad(x, "the same column as [%zu]", j);
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int load_na_values(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    if (v && !cJSON_IsArray(v))
        return bad(x, "expected an array of strings, got %s", describe(v, d));
    size_t n = 0;
    if (v)
        n = count_items(v);
    else
        while (default_na_values[n])
            n++;
    dc->na_values = calloc(n ? n : 1, sizeof *dc->na_values);
    if (!dc->na_values)
        return nomem(x);
    dc->n_na_values = n;
    if (!v) {
        for (size_t i = 0; i < n; i++)
            if (!(dc->na_values[i] = strdup(default_na_values[i])))
                return nomem(x);
        return 0;
    }
    size_t i = 0;
    for (const cJSON *s = v->child; s; s = s->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (!cJSON_IsString(s))
            return bad(x, "expected a string, got %s", describe(s, d));
        if (!(dc->na_values[i] = strdup(s->valuestring)))
            return nomem(x);
        kp_pop(&x->kp, mark);
    }
    return 0;
}

/* Whether a data.categories key names one of data.categorical. */
static bool is_categorical(const struct data_config *dc, const char *key)
{
    for (size_t i = 0; i < dc->n_categorical; i++) {
        const struct column_ref *r = &dc->categorical[i];
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", r->index);
        if (r->name ? strcmp(r->name, key) == 0 : strcmp(idx, key) == 0)
            return true;
    }
    return false;
}

static int load_categories(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    if (!cJSON_IsObject(v))
        return bad(x, "expected an object of category lists, got %s",
                   describe(v, d));
    size_t n = count_items(v);
    dc->categories = calloc(n ? n : 1, sizeof *dc->categories);
    if (!dc->categories)
        return nomem(x);
    dc->n_category_sets = n;
    size_t i = 0;
    for (const cJSON *s = v->child; s; s = s->next, i++) {
        struct category_set *set = &dc->categories[i];
        size_t mark = kp_key(&x->kp, s->string);
        if (!is_categorical(dc, s->string))
            return bad(x, "not a column of data.categorical");
        if (!cJSON_IsArray(s) || !s->child)
            return bad(x, "expected a non-empty array of category names, "
                       "got %s", describe(s, d));
        if (!(set->column = strdup(s->string)))
            return nomem(x);
        set->n = count_items(s);
        if (set->n > dc->max_categories)
            return bad(x, "%zu categories, more than data.max_categories "
                       "(%zu)", set->n, dc->max_categories);
        set->values = calloc(set->n, sizeof *set->values);
        if (!set->values)
            return nomem(x);
        size_t k = 0;
        for (const cJSON *e = s->child; e; e = e->next, k++) {
            size_t m2 = kp_index(&x->kp, k);
            if (!cJSON_IsString(e))
                return bad(x, "expected a string, got %s", describe(e, d));
            if (!(set->values[k] = strdup(e->valuestring)))
                return nomem(x);
            kp_pop(&x->kp, m2);
        }
        size_t dup;
        if (find_duplicate_name((const char *const *)set->values, set->n,
                                &dup))
            return nomem(x);
        if (dup != SIZE_MAX) {
            kp_index(&x->kp, dup);
            return bad(x, "duplicate category %s",
                       describe(cJSON_GetArrayItem(s, (int)dup), d));
        }
        kp_pop(&x->kp, mark);
    }
    return 0;
}

/* The keys of SPEC section 5a. */
static int load_table_keys(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    const cJSON *item;
    int missing = MISSING_ERROR;
    dc->max_categories = 1000;
    if (opt_enum(x, v, "missing", "missing-value policy", missing_names,
                 &missing) ||
        opt_size(x, v, "max_categories", 1, CONFIG_MAX_UNITS,
                 &dc->max_categories))
        return -1;
    dc->missing = (enum missing_policy)missing;
    static const char *const lists[] = {"features", "ignore", "categorical"};
    size_t *counts[] = {&dc->n_features, &dc->n_ignore, &dc->n_categorical};
    struct column_ref **refs[] = {&dc->features, &dc->ignore,
                                  &dc->categorical};
    for (size_t k = 0; k < 3; k++) {
        if ((item = member(v, lists[k])) == NULL)
            continue;
        size_t m2 = kp_key(&x->kp, lists[k]);
        if (load_column_list(x, item, k == 0, counts[k], refs[k]))
            return -1;
        kp_pop(&x->kp, m2);
    }
    for (size_t i = 0; i < dc->n_features; i++)
        for (size_t j = 0; j < dc->n_ignore; j++)
            if (same_column(&dc->features[i], &dc->ignore[j])) {
                kp_key(&x->kp, "ignore");
                kp_index(&x->kp, j);
                return bad(x, "the same column as data.features[%zu]", i);
            }
    for (size_t i = 0; i < dc->n_categorical; i++)
        for (size_t j = 0; j < dc->n_ignore; j++)
            if (same_column(&dc->categorical[i], &dc->ignore[j])) {
                kp_key(&x->kp, "categorical");
                kp_index(&x->kp, i);
                return bad(x, "the same column as data.ignore[%zu]", j);
            }
    item = member(v, "na_values");
    size_t m2 = kp_key(&x->kp, "na_values");
    if (load_na_values(x, item, c))
        return -1;
    kp_pop(&x->kp, m2);
    if ((item = member(v, "categories")) != NULL) {
        m2 = kp_key(&x->kp, "categories");
        if (load_categories(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    return 0;
}

static int load_data(struct ctx *x, const cJSON *root, struct config *c,
                     const struct path_origin *po)
{
    struct data_config *dc = &c->data;
    dc->header = true;
    dc->normalize = NORMALIZE_NONE;
    const cJSON *v = member(root, "data"), *item;
    if (!v) {
        static const cJSON empty = {.type = cJSON_Object};
        return load_table_keys(x, &empty, c);
    }
    size_t mark = kp_key(&x->kp, "data");
    if (check_object(x, v, data_keys) ||
        opt_path(x, v, "train", po->train_cli ? "." : c->dir, &dc->train) ||
        opt_path(x, v, "validation", po->validation_cli ? "." : c->dir,
                 &dc->validation) ||
        opt_real(x, v, "validation_split", REAL_FRACTION,
                 &dc->validation_split) ||
        opt_bool(x, v, "header", &dc->header))
        return -1;
    if (dc->validation && dc->validation_split > 0) {
        kp_key(&x->kp, "validation_split");
        return bad(x, "cannot be used together with data.validation");
    }
    if ((item = member(v, "cross_validation")) != NULL) {
        size_t m2 = kp_key(&x->kp, "cross_validation");
        const cJSON *folds, *fold;
        if (check_object(x, item, cross_validation_keys) ||
            require(x, item, "folds", &folds) ||
            require(x, item, "fold", &fold))
            return -1;
        size_t m3 = kp_key(&x->kp, "folds");
        if (as_size(x, folds, 2, WHOLE_MAX, &dc->cv_folds))
            return -1;
        kp_pop(&x->kp, m3);
        m3 = kp_key(&x->kp, "fold");
        if (as_size(x, fold, 0, dc->cv_folds - 1, &dc->cv_fold))
            return -1;
        kp_pop(&x->kp, m3);
        if (dc->validation || dc->validation_split > 0)
            return bad(x, "cannot be used together with data.%s (the fold "
                       "is the validation data)",
                       dc->validation ? "validation" : "validation_split");
        kp_pop(&x->kp, m2);
    }
    if ((item = member(v, "label")) != NULL) {
        size_t m2 = kp_key(&x->kp, "label");
        if (as_column(x, item, &dc->label))
            return -1;
        kp_pop(&x->kp, m2);
        dc->has_label = true;
    }
    if ((item = member(v, "targets")) != NULL) {
        size_t m2 = kp_key(&x->kp, "targets");
        if (dc->has_label)
            return bad(x, "cannot be used together with data.label");
        if (load_targets(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if ((item = member(v, "normalize")) != NULL) {
        size_t m2 = kp_key(&x->kp, "normalize");
        if (load_normalize(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if ((item = member(v, "classes")) != NULL) {
        size_t m2 = kp_key(&x->kp, "classes");
        if (load_classes(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if (load_table_keys(x, v, c))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* "imputation": {"mean": [one per input, null for a one-hot input]}. */
static int load_imputation(struct ctx *x, const cJSON *root,
                           struct config *c)
{
    const cJSON *v = member(root, "imputation"), *mean;
    char d[DESC_MAX];
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "imputation");
    if (check_object(x, v, imputation_keys) ||
        require(x, v, "mean", &mean))
        return -1;
    kp_key(&x->kp, "mean");
    if (!cJSON_IsArray(mean) || count_items(mean) != c->input)
        return bad(x, "expected an array of %zu numbers or nulls (one per "
                   "input), got %s", c->input, describe(mean, d));
    struct imputation *im = &c->imputation;
    im->mean = malloc((c->input ? c->input : 1) * sizeof *im->mean);
    if (!im->mean)
        return nomem(x);
    im->n = c->input;
    size_t i = 0;
    for (const cJSON *e = mean->child; e; e = e->next, i++) {
        if (cJSON_IsNull(e)) {
            im->mean[i] = NAN;
            continue;
        }
        double m;
        size_t m2 = kp_index(&x->kp, i);
        if (as_real(x, e, REAL_ANY, &m))
            return -1;
        if (fabs(m) > 3.4028234663852886e38)
            return bad(x, "%g is out of float range", m);
        im->mean[i] = (float)m;
        kp_pop(&x->kp, m2);
    }
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_normalization(struct ctx *x, const cJSON *root,
                              struct config *c)
{
    const cJSON *v = member(root, "normalization"), *mean, *std;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "normalization");
    if (check_object(x, v, normalization_keys) ||
        require(x, v, "mean", &mean) || require(x, v, "std", &std))
        return -1;
    if (cJSON_IsArray(mean) && cJSON_IsArray(std) && !mean->child &&
        !std->child) {
        kp_pop(&x->kp, mark); /* both empty: no normalization */
        return 0;
    }
    struct normalization *nz = &c->normalization;
    nz->mean = malloc(c->input * sizeof(float));
    nz->std = malloc(c->input * sizeof(float));
    if (!nz->mean || !nz->std)
        return nomem(x);
    nz->n = c->input;
    kp_key(&x->kp, "mean");
    if (read_floats(x, mean, c->input, "one per input", false, nz->mean))
        return -1;
    kp_pop(&x->kp, mark);
    kp_key(&x->kp, "normalization");
    kp_key(&x->kp, "std");
    if (read_floats(x, std, c->input, "one per input", true, nz->std))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* state.velocity: one {"weights", "bias"} per layer, flattened into the
 * parameter layout (each layer's weights row-major, then its bias). */
static int load_param_layers(struct ctx *x, const cJSON *v,
                             const struct config *c, float **out)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(v))
        return bad(x, "expected null or an array of %zu {\"weights\", "
                      "\"bias\"} object%s (one per layer), got %s",
                   c->n_layers, plural(c->n_layers), describe(v, d));
    size_t n = count_items(v);
    if (n != c->n_layers)
        return bad(x, "expected %zu entr%s (one per layer), got %zu",
                   c->n_layers, c->n_layers == 1 ? "y" : "ies", n);
    /* Shapes first, as for the layers' weights: nothing is allocated
     * for parameters the text does not hold. */
    size_t l = 0;
    for (const cJSON *e = v->child; e; e = e->next, l++) {
        const cJSON *w, *b;
        size_t units = c->layers[l].units, fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        if (check_object(x, e, velocity_keys) ||
            require(x, e, "weights", &w) || require(x, e, "bias", &b))
            return -1;
        size_t m2 = kp_key(&x->kp, "weights");
        if (matrix_shape(x, w, units, fan_in))
            return -1;
        kp_pop(&x->kp, m2);
        kp_key(&x->kp, "bias");
        if (floats_shape(x, b, units, "one per unit"))
            return -1;
        kp_pop(&x->kp, mark);
    }
    float *vel = malloc(config_param_count(c) * sizeof(float));
    if (!vel)
        return nomem(x);
    *out = vel;
    l = 0;
    for (const cJSON *e = v->child; e; e = e->next, l++) {
        const cJSON *w = member(e, "weights"), *b = member(e, "bias");
        size_t units = c->layers[l].units, fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        size_t m2 = kp_key(&x->kp, "weights");
        if (read_matrix(x, w, units, fan_in, vel))
            return -1;
        kp_pop(&x->kp, m2);
        vel += units * fan_in;
        kp_key(&x->kp, "bias");
        if (read_floats(x, b, units, "one per unit", false, vel))
            return -1;
        vel += units;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int read_metrics(struct ctx *x, const cJSON *v,
                        struct train_metrics *out);
static int read_stopping(struct ctx *x, const cJSON *v,
                         const struct config *c, struct train_state *st);

/* A "state" object v into st; `nested` for the one inside an early-
 * stopping record, which holds no record of its own. */
static int read_state(struct ctx *x, const cJSON *v, const struct config *c,
                      struct train_state *st, bool nested)
{
    const cJSON *item;
    if (check_object(x, v, state_keys) ||
        opt_size(x, v, "epoch", 0, WHOLE_MAX, &st->epoch) ||
        opt_size(x, v, "step", 0, WHOLE_MAX, &st->step))
        return -1;
    if (member(v, "optimizer")) {
        int o = OPTIMIZER_SGD;
        if (opt_enum(x, v, "optimizer", "optimizer", optimizer_names, &o))
            return -1;
        st->has_optimizer = true;
        st->optimizer = (enum optimizer_kind)o;
    }
    if (opt_size(x, v, "t", 0, WHOLE_MAX, &st->t))
        return -1;
    for (int b = 0; b < STATE_BUFFERS; b++) {
        const char *name = state_buffer_name((enum state_buffer)b);
        if ((item = member(v, name)) != NULL) {
            size_t m2 = kp_key(&x->kp, name);
            if (load_param_layers(x, item, c, &st->buffer[b]))
                return -1;
            kp_pop(&x->kp, m2);
        }
    }
    if ((item = member(v, "plateau")) != NULL) {
        size_t m2 = kp_key(&x->kp, "plateau");
        struct plateau_progress *pp = &st->plateau;
        pp->best = INFINITY;
        if (check_object(x, item, plateau_keys) ||
            opt_real(x, item, "learning_rate", REAL_POSITIVE,
                     &pp->learning_rate) ||
            opt_real(x, item, "best", REAL_ANY, &pp->best) ||
            opt_size(x, item, "bad_epochs", 0, WHOLE_MAX, &pp->bad_epochs))
            return -1;
        if (!member(item, "learning_rate")) {
            const cJSON *lr;
            return require(x, item, "learning_rate", &lr);
        }
        pp->active = true;
        kp_pop(&x->kp, m2);
    }
    if (member(v, "learning_rate")) {
        if (opt_real(x, v, "learning_rate", REAL_NONNEG,
                     &st->learning_rate))
            return -1;
        st->has_learning_rate = true;
    }
    if ((item = member(v, "early_stopping")) != NULL) {
        size_t m2 = kp_key(&x->kp, "early_stopping");
        if (nested)
            return bad(x, "not allowed inside an early-stopping record");
        if (read_stopping(x, item, c, st))
            return -1;
        kp_pop(&x->kp, m2);
    }
    return 0;
}

/* state.early_stopping, after the state's epoch has been read. */
static int read_stopping(struct ctx *x, const cJSON *v,
                         const struct config *c, struct train_state *st)
{
    const cJSON *item;
    if (check_object(x, v, stopping_keys))
        return -1;
    struct stop_progress *p = calloc(1, sizeof *p);
    if (!p)
        return nomem(x);
    st->stopping = p;
    p->best = NAN;
    p->metrics = (struct train_metrics){NAN, NAN, NAN};
    int metric = 0;
    if (require(x, v, "metric", &item))
        return -1;
    size_t mark = kp_key(&x->kp, "metric");
    if (as_enum(x, item, "metric", stop_metric_names, &metric))
        return -1;
    kp_pop(&x->kp, mark);
    p->metric = (enum stop_metric)metric;
    if (opt_real(x, v, "best", REAL_ANY, &p->best) ||
        require(x, v, "best_epoch", &item))
        return -1;
    mark = kp_key(&x->kp, "best_epoch");
    if (as_size(x, item, 0, WHOLE_MAX, &p->best_epoch))
        return -1;
    if (p->best_epoch >= st->epoch)
        return bad(x, "expected an epoch before the %zu done (state.epoch), "
                      "got %zu", st->epoch, p->best_epoch);
    kp_pop(&x->kp, mark);

    /* The best epoch's parameters and state come along exactly when it
     * is not the last one done. */
    bool needed = p->best_epoch + 1 < st->epoch;
    const cJSON *r = member(v, "restore");
    if (!r && needed)
        return require(x, v, "restore", &r);
    if (!r)
        return 0;
    mark = kp_key(&x->kp, "restore");
    if (!needed)
        return bad(x, "unexpected: the best epoch (%zu) is the last one "
                      "done", p->best_epoch);
    if (check_object(x, r, restore_keys) ||
        require(x, r, "parameters", &item))
        return -1;
    size_t m2 = kp_key(&x->kp, "parameters");
    if (load_param_layers(x, item, c, &p->params))
        return -1;
    kp_pop(&x->kp, m2);
    if (require(x, r, "state", &item))
        return -1;
    m2 = kp_key(&x->kp, "state");
    if (read_state(x, item, c, &p->state, true))
        return -1;
    if (p->state.epoch != p->best_epoch + 1) {
        kp_key(&x->kp, "epoch");
        return bad(x, "expected %zu (the epochs done after the best), got "
                      "%zu", p->best_epoch + 1, p->state.epoch);
    }
    kp_pop(&x->kp, m2);
    if ((item = member(r, "metrics")) != NULL) {
        m2 = kp_key(&x->kp, "metrics");
        if (read_metrics(x, item, &p->metrics))
            return -1;
        kp_pop(&x->kp, m2);
    }
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_state(struct ctx *x, const cJSON *root, struct config *c)
{
    const cJSON *v = member(root, "state");
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "state");
    if (read_state(x, v, c, &c->state, false))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* metrics: written with the weights; any names, numbers or null. The
 * three the writer knows are kept, so a file rewritten unchanged keeps
 * them. */
static int read_metrics(struct ctx *x, const cJSON *v,
                        struct train_metrics *out)
{
    char d[DESC_MAX];
    if (!cJSON_IsObject(v))
        return bad(x, "expected an object, got %s", describe(v, d));
    for (const cJSON *m = v->child; m; m = m->next) {
        double value = NAN;
        size_t m2 = kp_key(&x->kp, m->string);
        if (!cJSON_IsNull(m) && !cJSON_IsNumber(m))
            return bad(x, "expected a number or null, got %s",
                       describe(m, d));
        if (cJSON_IsNumber(m) && as_real(x, m, REAL_ANY, &value))
            return -1;
        if (strcmp(m->string, "train_loss") == 0)
            out->train_loss = value;
        else if (strcmp(m->string, "validation_loss") == 0)
            out->validation_loss = value;
        else if (strcmp(m->string, "validation_accuracy") == 0)
            out->validation_accuracy = value;
        kp_pop(&x->kp, m2);
    }
    return 0;
}

static int load_metrics(struct ctx *x, const cJSON *root, struct config *c)
{
    c->metrics = (struct train_metrics){NAN, NAN, NAN};
    const cJSON *v = member(root, "metrics");
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "metrics");
    if (read_metrics(x, v, &c->metrics))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

int load_sections(struct ctx *x, const cJSON *root, struct config *c,
                  const struct path_origin *po)
{
    const cJSON *item;
    if (check_keys(x, root, top_keys) || load_format(x, root, c))
        return -1;
    /* With categorical columns the width comes from the data (SPEC
     * section 5a): input may be left out. */
    const cJSON *data = member(root, "data");
    const cJSON *categorical = data ? member(data, "categorical") : NULL;
    size_t mark;
    if (!member(root, "input") && cJSON_IsArray(categorical) &&
        categorical->child) {
        c->input = 0;
    } else {
        if (require(x, root, "input", &item))
            return -1;
        mark = kp_key(&x->kp, "input");
        if (as_size(x, item, 1, CONFIG_MAX_UNITS, &c->input))
            return -1;
        kp_pop(&x->kp, mark);
    }

    if (require(x, root, "layers", &item))
        return -1;
    mark = kp_key(&x->kp, "layers");
    if (load_layer_shapes(x, item, c) || check_param_count(x, c))
        return -1;
    if (load_layer_params(x, item, c))
        return -1;
    kp_pop(&x->kp, mark);

    if (load_loss(x, root, c) || load_init(x, root, c) ||
        load_training(x, root, c) || load_data(x, root, c, po) ||
        opt_path(x, root, "output", po->output_cli ? "." : c->dir,
                 &c->output) ||
        load_normalization(x, root, c) || load_imputation(x, root, c) ||
        load_state(x, root, c) ||
        load_metrics(x, root, c))
        return -1;
    return 0;
}
