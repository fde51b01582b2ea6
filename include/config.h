/*
 * config: the network/training config file (SPEC section 3), and the
 * weights file, which is the same object completed (SPEC section 4).
 *
 * config_load() reads JSON from a file (or "-" for stdin), applies the
 * command line's overrides to the parsed tree, then validates every key
 * into a `struct config`. Nothing is silently ignored: unknown keys (with a
 * did-you-mean), duplicate keys, wrong types, non-finite numbers, fractions
 * where a whole number is needed and out-of-range values are all BP_EINPUT
 * errors whose message is
 *     "FILE:LINE:COL: WHAT"        for JSON syntax errors
 *     "FILE: KEY.PATH: WHAT"       for everything else
 * e.g. `configs/iris.json: layers[1].activation: unknown activation "relux"
 * (expected one of: sigmoid, tanh, relu, linear, softmax)`.
 *
 * Relative paths (data.train, data.validation, output) are resolved
 * against the config file's folder (the current folder for stdin), so the
 * paths stored here open from the current folder; a path set by an
 * override comes from the command line and resolves against the current
 * folder. "-" stays "-".
 *
 * Ownership: everything a `struct config` points to belongs to it and is
 * released by config_free(), which accepts a zeroed or NULL config.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"

#define CONFIG_FORMAT "backprop.weights/1"

/* Upper bounds checked before anything is allocated. */
#define CONFIG_MAX_UNITS ((size_t)1 << 24)   /* per layer, and input */
#define CONFIG_MAX_LAYERS 64
#define CONFIG_MAX_PARAMS ((size_t)1 << 30)  /* 4 GiB of float weights */

enum activation { ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LINEAR, ACT_SOFTMAX };
enum loss_kind { LOSS_MSE, LOSS_CROSS_ENTROPY };
enum init_method { INIT_XAVIER, INIT_HE, INIT_UNIFORM };
enum schedule_kind {
    SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_COSINE, SCHEDULE_EXPONENTIAL,
    SCHEDULE_PLATEAU
};
/* training.optimizer (SPEC sections 7 and 7a). */
enum optimizer_kind {
    OPTIMIZER_SGD, OPTIMIZER_ADAM, OPTIMIZER_ADAMW, OPTIMIZER_RMSPROP,
    OPTIMIZER_ADAGRAD
};
/* The plateau schedule's metric; AUTO: validation_loss with validation
 * data, else train_loss. */
enum plateau_metric {
    PLATEAU_AUTO, PLATEAU_VALIDATION_LOSS, PLATEAU_TRAIN_LOSS
};
/* The optimizer's state buffers, each [n_params] in the parameter layout
 * (SPEC section 7a), by their names in the weights file's "state":
 * velocity (SGD's momentum), m and v (Adam's first and second moments),
 * vmax (AMSGrad's running maximum of v), s (RMSprop's square average,
 * Adagrad's sum of squares), a (centered RMSprop's gradient average), b
 * (RMSprop's momentum). */
enum state_buffer {
    STATE_VELOCITY, STATE_M, STATE_V, STATE_VMAX, STATE_S, STATE_A, STATE_B,
    STATE_BUFFERS
};
enum stop_metric {
    STOP_VALIDATION_LOSS, STOP_VALIDATION_ACCURACY, STOP_TRAIN_LOSS
};
enum normalize_kind {
    NORMALIZE_NONE, NORMALIZE_STANDARD, NORMALIZE_MINMAX, NORMALIZE_SCALE
};
/* data.missing (SPEC section 5a). */
enum missing_policy { MISSING_ERROR, MISSING_DROP, MISSING_MEAN };

/* Names as they appear in the file; NULL for an out-of-range value. */
const char *activation_name(enum activation a);
const char *loss_name(enum loss_kind l);
const char *init_method_name(enum init_method m);
const char *schedule_name(enum schedule_kind s);
const char *normalize_name(enum normalize_kind n);
const char *stop_metric_name(enum stop_metric m);
const char *missing_policy_name(enum missing_policy m);
const char *optimizer_name(enum optimizer_kind o);
const char *plateau_metric_name(enum plateau_metric m);
const char *state_buffer_name(enum state_buffer b);

struct layer_config {
    size_t units;
    enum activation activation;
    float *weights; /* [units][fan_in] row-major, or NULL: initialise */
    float *bias;    /* [units], or NULL (always NULL iff weights is NULL) */
    double dropout; /* [0, 1) on a hidden layer's output; 0 = none */
};

/* A CSV column named by header or by 0-based index. */
struct column_ref {
    char *name;   /* NULL when given by index */
    size_t index; /* meaningful when name is NULL */
};

struct training_config {
    enum optimizer_kind optimizer; /* default sgd */
    double learning_rate;   /* > 0; default 0.01 */
    double momentum;        /* [0, 1) (sgd, rmsprop); default 0 */
    bool nesterov;          /* sgd; needs momentum > 0; default false */
    double weight_decay;    /* >= 0; default 0 (adamw: 0.01) */
    double beta1, beta2;    /* adam, adamw: [0, 1); 0.9, 0.999 */
    double eps;             /* > 0; adam(w), rmsprop 1e-8, adagrad 1e-10 */
    bool amsgrad;           /* adam, adamw */
    double alpha;           /* rmsprop: [0, 1]; 0.99 */
    bool centered;          /* rmsprop */
    double lr_decay;        /* adagrad: >= 0; 0 */
    double initial_accumulator_value; /* adagrad: >= 0; 0 */
    double clip_grad_norm;  /* > 0, or 0: off */
    double clip_grad_value; /* > 0, or 0: off (never both) */
    double label_smoothing; /* [0, 1); softmax + cross_entropy only */
    size_t warmup_epochs;   /* 0: none */
    size_t batch_size;      /* >= 1; default 32 */
    size_t epochs;          /* total epochs, >= 0; default 10 */
    bool shuffle;           /* default true */
    uint64_t seed;          /* default 1 */
    enum schedule_kind schedule;  /* default constant */
    size_t schedule_every;        /* step: >= 1 */
    double schedule_gamma;        /* step, exponential: > 0 */
    /* plateau (PyTorch's ReduceLROnPlateau, mode min, relative threshold,
     * no cooldown) */
    double plateau_factor;        /* (0, 1); 0.1 */
    size_t plateau_patience;      /* >= 0; 10 */
    double plateau_threshold;     /* >= 0; 1e-4 */
    double plateau_min_lr;        /* >= 0; 0 */
    enum plateau_metric plateau_metric; /* default auto */
    /* training.early_stopping: stop after `patience` epochs without an
     * improvement of more than min_delta in the metric, and keep the best
     * epoch's weights. patience 0 = off (the default). */
    size_t early_stopping_patience;
    enum stop_metric early_stopping_metric; /* default validation_loss */
    double early_stopping_min_delta;        /* >= 0; default 0 */
};

struct data_config {
    char *train;             /* resolved path, "-", or NULL */
    char *validation;        /* resolved path, "-", or NULL */
    double validation_split; /* [0, 1); 0 = none */
    /* data.cross_validation {"folds": K, "fold": i}: the validation rows
     * are fold i of a seeded (training.seed) K-fold split of data.train,
     * stratified by class for a classifier; 0 folds = none. */
    size_t cv_folds;         /* >= 2, or 0 */
    size_t cv_fold;          /* < cv_folds */
    bool header;             /* default true */
    bool has_label;          /* label given explicitly */
    struct column_ref label;
    size_t n_targets;        /* > 0 when targets given */
    struct column_ref *targets;
    enum normalize_kind normalize; /* default none */
    double normalize_scale;        /* NORMALIZE_SCALE: the factor */
    size_t n_classes;        /* 0 when data.classes absent */
    char **classes;          /* [n_classes] */

    /* Real-world tables (SPEC section 5a). */
    size_t n_features;       /* data.features: 0 = every other column */
    struct column_ref *features; /* [n_features] the input columns */
    size_t n_ignore;
    struct column_ref *ignore;   /* [n_ignore] data.ignore */
    size_t n_categorical;
    struct column_ref *categorical; /* [n_categorical] one-hot columns */
    enum missing_policy missing;    /* default error */
    size_t n_na_values;
    char **na_values;        /* [n_na_values]; default SPEC's list */
    size_t max_categories;   /* >= 1; default 1000 (0 in a config built
                              * in code: the default) */
    /* data.categories: the categories of each categorical column, learned
     * from the training data (byte order) or given; keyed by the column's
     * name (its 0-based index in decimal without a header). */
    size_t n_category_sets;
    struct category_set *categories; /* [n_category_sets] */
};

/* One categorical column's categories, in one-hot order. */
struct category_set {
    char *column;
    size_t n;                /* >= 1 */
    char **values;           /* [n], distinct, byte order */
};

/* data.missing "mean": each input's training mean (the weights file's
 * "imputation"), NaN for a one-hot input. */
struct imputation {
    size_t n;     /* 0 = none; else equals config.input */
    float *mean;  /* [n] */
};

/* Per-feature statistics saved with the weights: x' = (x - mean) / std. */
struct normalization {
    size_t n;     /* 0 = none; else equals config.input */
    float *mean;  /* [n] */
    float *std;   /* [n], never 0 */
};

struct stop_progress;

/* The plateau schedule's progress ("state": {"plateau": ...}). */
struct plateau_progress {
    bool active;           /* false: not started (rate = learning_rate) */
    double learning_rate;  /* the schedule's current rate */
    double best;           /* the metric's best so far; +inf before any */
    size_t bad_epochs;     /* epochs since the best */
};

/* What an exact resume needs (the weights file's "state"). */
struct train_state {
    size_t epoch;          /* epochs done */
    size_t step;           /* steps done */
    /* The optimizer's buffers ([n_params] in the parameter layout, or
     * NULL; enum state_buffer) and its step count t (Adam's bias
     * corrections, Adagrad's decay): the steps since they started. */
    float *buffer[STATE_BUFFERS];
    size_t t;
    /* The optimizer that kept the buffers (all but SGD's velocity); a
     * state whose optimizer differs starts the configured one afresh. */
    bool has_optimizer;
    enum optimizer_kind optimizer;
    struct plateau_progress plateau;
    bool has_learning_rate;
    double learning_rate;  /* the rate of the last epoch run */
    /* Early stopping's progress, or NULL. A config owns its own (see
     * config_free); a training run points this at early_stop's. */
    struct stop_progress *stopping;
};

/* The last metrics a weights file recorded; NaN where null or absent. */
struct train_metrics {
    double train_loss;
    double validation_loss;
    double validation_accuracy;
};

/* Early stopping's progress after the epochs a state records ("state":
 * {"early_stopping": ...}), so that a resumed run stops where an
 * uninterrupted one would and puts back the same epoch. The epochs since
 * the best are the state's epoch - 1 - best_epoch. When that is not 0 the
 * best epoch's parameters, state and metrics come along (the weights file's
 * "restore"); otherwise they are the state's own and params is NULL. */
struct stop_progress {
    enum stop_metric metric;
    double best;                   /* the metric's best value so far */
    size_t best_epoch;             /* 0-based; below the state's epoch */
    float *params;                 /* [n_params], or NULL (see above) */
    struct train_state state;      /* after the best epoch; no stopping */
    struct train_metrics metrics;  /* of the best epoch */
};

struct config {
    char *path;           /* as given ("-" for stdin) */
    char *name;           /* for messages: the path, or "<stdin>" */
    char *dir;            /* folder relative paths resolve against */
    bool is_weights;      /* "format" was present */

    size_t input;         /* 0: omitted, given by the data's categories */
    size_t n_layers;
    struct layer_config *layers;
    enum loss_kind loss;  /* default: cross_entropy after softmax, else mse */

    enum init_method init;  /* default he for relu nets, else xavier */
    uint64_t init_seed;     /* default 1 */

    struct training_config training;
    struct data_config data;
    char *output;          /* resolved path, "-", or NULL */

    struct normalization normalization; /* from a weights file */
    struct imputation imputation;       /* from a weights file */
    struct train_state state;           /* from a weights file */
    struct train_metrics metrics;       /* from a weights file */
};

/* One --set KEY=VALUE (or an option such as --epochs, turned into one).
 * `key` is a dotted path ("training.momentum", "layers.0.units" or
 * "layers[0].units"); `json` is the value as JSON text. A value that does
 * not parse as JSON is taken as a string. Missing objects on the path are
 * created; the result is validated like the rest of the file, and errors
 * name the key, after `option`: the command-line option the override
 * came from ("--grid"; NULL: "--set"). */
struct config_override {
    const char *key;
    const char *json;
    const char *option;
};

/* Reads, overrides, validates. On success returns 0 and fills *cfg, which
 * the caller releases with config_free(). On failure returns -1, fills err
 * (BP_EINPUT for bad content, BP_ENOMEM)
 * and leaves *cfg zeroed. A file that cannot be opened is bad input
 * (BP_EINPUT); BP_EIO is for a read that fails part way. */
int config_load(struct config *cfg, const char *path,
                const struct config_override *overrides, size_t n_overrides,
                struct bp_error *err);

/* config_load on text already in memory: text[0..len) (any bytes; no
 * terminator needed) is taken as the contents of `path`, which names the
 * text in messages and gives the folder relative paths resolve against
 * ("-": <stdin>, the current folder). The file itself is not read.
 * Same results and errors as config_load, except the open and read
 * errors. */
int config_parse_buffer(struct config *cfg, const char *path,
                        const char *text, size_t len,
                        const struct config_override *overrides,
                        size_t n_overrides, struct bp_error *err);

/* The text of the config at path with the overrides applied, as JSON
 * (the caller frees it): the config a run of a sweep trains with, saved
 * in its folder; data.train, data.validation and output are made absolute
 * so the copy opens them from anywhere. Syntax errors as config_load's. */
char *config_overridden_text(const char *path,
                             const struct config_override *overrides,
                             size_t n_overrides, struct bp_error *err);

/* Parameter count of the network the config describes (weights and biases
 * of every layer). */
size_t config_param_count(const struct config *cfg);

/* The category set of the column named `column` (SPEC 5a), or NULL. */
const struct category_set *config_categories(const struct config *cfg,
                                             const char *column);

/* Frees the members of a category set array (and the array). */
void category_sets_free(struct category_set *sets, size_t n);

/* Fan-in of layer l: cfg->input for l = 0, else the units of layer l-1. */
size_t config_fan_in(const struct config *cfg, size_t l);

/* Number of output units of the last layer. */
size_t config_outputs(const struct config *cfg);

/* Whether the targets are classes (data.label, or the default label of a
 * cross-entropy net) and, if so, how many: the last layer's units, or 2
 * for a single sigmoid unit. Returns 0 for regression targets. */
size_t config_class_count(const struct config *cfg);

void config_free(struct config *cfg);

#endif
