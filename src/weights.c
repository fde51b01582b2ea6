/* weights: the weights file writer. See weights.h. */
#include "weights.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json_writer.h"

/* ---- paths ---- */

/* An absolute, clean form of path: realpath() where the file exists,
 * else the current folder joined to it. Caller frees. */
static char *absolute_path(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *joined = malloc(n);
    if (joined)
        snprintf(joined, n, "%s/%s", cwd, path);
    return joined;
}

/* The folder holding out_path, absolute ("-": the current folder). */
static char *output_folder(const char *out_path)
{
    if (strcmp(out_path, "-") == 0)
        return absolute_path(".");
    const char *slash = strrchr(out_path, '/');
    if (!slash)
        return absolute_path(".");
    if (slash == out_path)
        return strdup("/");
    char *dir = strndup(out_path, (size_t)(slash - out_path));
    if (!dir)
        return NULL;
    char *abs = absolute_path(dir);
    free(dir);
    return abs;
}

/* Path of `target` (absolute) relative to folder `from` (absolute). */
static char *relative_path(const char *from, const char *target)
{
    if (strcmp(from, "/") == 0)
        return strdup(target + 1);
    /* Longest common prefix ending at a folder boundary. */
    size_t common = 0;
    for (size_t i = 0;; i++) {
        bool from_end = from[i] == '\0';
        if ((from_end || from[i] == '/') &&
            (target[i] == '/' || target[i] == '\0'))
            common = i;
        if (from_end || from[i] != target[i])
            break;
    }
    size_t ups = 0;
    for (const char *p = from + common; *p; p++)
        if (*p == '/')
            ups++;
    const char *rest = target + common;
    if (*rest == '/')
        rest++;
    size_t n = ups * 3 + strlen(rest) + 1;
    char *rel = malloc(n);
    if (!rel)
        return NULL;
    rel[0] = '\0';
    for (size_t i = 0; i < ups; i++)
        strcat(rel, "../");
    strcat(rel, rest);
    return rel;
}

/* `path` (valid from the current folder) as it should be written in a
 * file living in folder `out_dir`. Caller frees. */
static char *path_for_file(const char *path, const char *out_dir)
{
    if (strcmp(path, "-") == 0 || !out_dir)
        return strdup(path);
    char *abs = absolute_path(path);
    if (!abs)
        return NULL;
    char *rel = relative_path(out_dir, abs);
    free(abs);
    if (rel && rel[0] == '\0') {
        /* path is the output folder itself: "" would not read back */
        free(rel);
        rel = strdup(".");
    }
    return rel;
}

static void write_path(struct json_writer *w, const char *key,
                       const char *path, const char *out_dir, bool *nomem)
{
    if (!path)
        return;
    char *p = path_for_file(path, out_dir);
    if (!p) {
        *nomem = true;
        return;
    }
    json_key(w, key);
    json_string(w, p);
    free(p);
}

/* ---- sections ---- */

static void write_matrix(struct json_writer *w, const float *m, size_t rows,
                         size_t cols)
{
    json_begin_array(w, true);
    for (size_t r = 0; r < rows; r++)
        json_float_array(w, m + r * cols, cols);
    json_end_array(w);
}

/* Layer ly's "weights" and "bias" from a buffer in the parameter layout
 * (the parameters, a velocity, an early-stopping record's parameters). */
static void write_weights_bias(struct json_writer *w, const struct layer *ly,
                               const float *p)
{
    const float *W = p + ly->offset;
    json_key(w, "weights");
    write_matrix(w, W, ly->units, ly->fan_in);
    json_key(w, "bias");
    json_float_array(w, W + ly->units * ly->fan_in, ly->units);
}

static void write_layers(struct json_writer *w, const struct network *net)
{
    json_key(w, "layers");
    json_begin_array(w, true);
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        json_begin_object(w);
        json_key(w, "units");
        json_size(w, ly->units);
        json_key(w, "activation");
        json_string(w, activation_name(ly->activation));
        if (ly->dropout > 0) {
            json_key(w, "dropout");
            json_double(w, ly->dropout);
        }
        write_weights_bias(w, ly, net->params);
        json_end_object(w);
    }
    json_end_array(w);
}

static void write_training(struct json_writer *w,
                           const struct training_config *t)
{
    json_key(w, "training");
    json_begin_object(w);
    enum optimizer_kind o = t->optimizer;
    json_key(w, "optimizer");
    json_string(w, optimizer_name(o));
    json_key(w, "learning_rate");
    json_double(w, t->learning_rate);
    /* The keys the optimizer takes (SPEC section 7a), no others. */
    if (o == OPTIMIZER_SGD || o == OPTIMIZER_RMSPROP) {
        json_key(w, "momentum");
        json_double(w, t->momentum);
    }
    if (o == OPTIMIZER_SGD) {
        json_key(w, "nesterov");
        json_bool(w, t->nesterov);
    }
    json_key(w, "weight_decay");
    json_double(w, t->weight_decay);
    if (o == OPTIMIZER_ADAM || o == OPTIMIZER_ADAMW) {
        json_key(w, "betas");
        json_begin_array(w, false);
        json_double(w, t->beta1);
        json_double(w, t->beta2);
        json_end_array(w);
        json_key(w, "amsgrad");
        json_bool(w, t->amsgrad);
    }
    if (o == OPTIMIZER_RMSPROP) {
        json_key(w, "alpha");
        json_double(w, t->alpha);
        json_key(w, "centered");
        json_bool(w, t->centered);
    }
    if (o == OPTIMIZER_ADAGRAD) {
        json_key(w, "lr_decay");
        json_double(w, t->lr_decay);
        json_key(w, "initial_accumulator_value");
        json_double(w, t->initial_accumulator_value);
    }
    if (o != OPTIMIZER_SGD) {
        json_key(w, "eps");
        json_double(w, t->eps);
    }
    if (t->clip_grad_norm > 0) {
        json_key(w, "clip_grad_norm");
        json_double(w, t->clip_grad_norm);
    }
    if (t->clip_grad_value > 0) {
        json_key(w, "clip_grad_value");
        json_double(w, t->clip_grad_value);
    }
    if (t->label_smoothing > 0) {
        json_key(w, "label_smoothing");
        json_double(w, t->label_smoothing);
    }
    if (t->warmup_epochs > 0) {
        json_key(w, "warmup_epochs");
        json_size(w, t->warmup_epochs);
    }
    json_key(w, "batch_size");
    json_size(w, t->batch_size);
    json_key(w, "epochs");
    json_size(w, t->epochs);
    json_key(w, "shuffle");
    json_bool(w, t->shuffle);
    json_key(w, "seed");
    json_size(w, (size_t)t->seed);
    json_key(w, "schedule");
    if (t->schedule == SCHEDULE_CONSTANT) {
        json_null(w);
    } else {
        json_begin_object(w);
        json_key(w, "type");
        json_string(w, schedule_name(t->schedule));
        if (t->schedule == SCHEDULE_STEP) {
            json_key(w, "every");
            json_size(w, t->schedule_every);
        }
        if (t->schedule == SCHEDULE_STEP ||
            t->schedule == SCHEDULE_EXPONENTIAL) {
            json_key(w, "gamma");
            json_double(w, t->schedule_gamma);
        }
        if (t->schedule == SCHEDULE_PLATEAU) {
            json_key(w, "factor");
            json_double(w, t->plateau_factor);
            json_key(w, "patience");
            json_size(w, t->plateau_patience);
            json_key(w, "threshold");
            json_double(w, t->plateau_threshold);
            json_key(w, "min_lr");
            json_double(w, t->plateau_min_lr);
            if (t->plateau_metric != PLATEAU_AUTO) {
                json_key(w, "metric");
                json_string(w, plateau_metric_name(t->plateau_metric));
            }
        }
        json_end_object(w);
    }
    if (t->early_stopping_patience) {
        json_key(w, "early_stopping");
        json_begin_object(w);
        json_key(w, "patience");
        json_size(w, t->early_stopping_patience);
        json_key(w, "metric");
        json_string(w, stop_metric_name(t->early_stopping_metric));
        json_key(w, "min_delta");
        json_double(w, t->early_stopping_min_delta);
        json_end_object(w);
    }
    json_end_object(w);
}

static void write_column(struct json_writer *w, const struct column_ref *c)
{
    if (c->name)
        json_string(w, c->name);
    else
        json_size(w, c->index);
}

static void write_columns(struct json_writer *w, const char *key,
                          const struct column_ref *refs, size_t n)
{
    if (!n)
        return;
    json_key(w, key);
    json_begin_array(w, false);
    for (size_t i = 0; i < n; i++)
        write_column(w, &refs[i]);
    json_end_array(w);
}

/* Whether na_values is SPEC's default list, which is then not written. */
static bool default_na_values(const struct data_config *d)
{
    static const char *const def[] = {"",     "NA",   "N/A",  "NaN",
                                      "nan",  "null", "NULL", "?"};
    if (d->n_na_values != sizeof def / sizeof def[0])
        return false;
    for (size_t i = 0; i < d->n_na_values; i++)
        if (strcmp(d->na_values[i], def[i]) != 0)
            return false;
    return true;
}

/* SPEC section 5a's keys, each only when it says more than the default. */
static void write_table_keys(struct json_writer *w,
                             const struct data_config *d)
{
    write_columns(w, "features", d->features, d->n_features);
    write_columns(w, "ignore", d->ignore, d->n_ignore);
    write_columns(w, "categorical", d->categorical, d->n_categorical);
    if (d->missing != MISSING_ERROR) {
        json_key(w, "missing");
        json_string(w, missing_policy_name(d->missing));
    }
    /* (A config built in code, with no list at all, has the default.) */
    if (d->na_values && !default_na_values(d)) {
        json_key(w, "na_values");
        json_begin_array(w, false);
        for (size_t i = 0; i < d->n_na_values; i++)
            json_string(w, d->na_values[i]);
        json_end_array(w);
    }
    if (d->max_categories != 1000 && d->max_categories != 0) {
        json_key(w, "max_categories");
        json_size(w, d->max_categories);
    }
    if (d->n_category_sets) {
        json_key(w, "categories");
        json_begin_object(w);
        for (size_t i = 0; i < d->n_category_sets; i++) {
            const struct category_set *set = &d->categories[i];
            json_key(w, set->column);
            json_begin_array(w, false);
            for (size_t k = 0; k < set->n; k++)
                json_string(w, set->values[k]);
            json_end_array(w);
        }
        json_end_object(w);
    }
}

static void write_data(struct json_writer *w, const struct data_config *d,
                       const char *out_dir, bool *nomem)
{
    json_key(w, "data");
    json_begin_object(w);
    write_path(w, "train", d->train, out_dir, nomem);
    write_path(w, "validation", d->validation, out_dir, nomem);
    if (d->validation_split > 0) {
        json_key(w, "validation_split");
        json_double(w, d->validation_split);
    }
    if (d->cv_folds) {
        json_key(w, "cross_validation");
        json_begin_object(w);
        json_key(w, "folds");
        json_size(w, d->cv_folds);
        json_key(w, "fold");
        json_size(w, d->cv_fold);
        json_end_object(w);
    }
    json_key(w, "header");
    json_bool(w, d->header);
    if (d->has_label) {
        json_key(w, "label");
        write_column(w, &d->label);
    }
    if (d->n_targets) {
        json_key(w, "targets");
        json_begin_array(w, false);
        for (size_t i = 0; i < d->n_targets; i++)
            write_column(w, &d->targets[i]);
        json_end_array(w);
    }
    json_key(w, "normalize");
    if (d->normalize == NORMALIZE_SCALE) {
        json_begin_object(w);
        json_key(w, "scale");
        json_double(w, d->normalize_scale);
        json_end_object(w);
    } else {
        json_string(w, normalize_name(d->normalize));
    }
    if (d->n_classes) {
        json_key(w, "classes");
        json_begin_array(w, false);
        for (size_t i = 0; i < d->n_classes; i++)
            json_string(w, d->classes[i]);
        json_end_array(w);
    }
    write_table_keys(w, d);
    json_end_object(w);
}

/* One {"weights", "bias"} object per layer of a buffer in the parameter
 * layout: the velocity's and the early-stopping record's parameters. */
static void write_param_layers(struct json_writer *w,
                               const struct network *net, const float *p)
{
    json_begin_array(w, true);
    for (size_t l = 0; l < net->n_layers; l++) {
        json_begin_object(w);
        write_weights_bias(w, &net->layers[l], p);
        json_end_object(w);
    }
    json_end_array(w);
}

static void write_metrics(struct json_writer *w,
                          const struct train_metrics *m)
{
    json_key(w, "metrics");
    json_begin_object(w);
    json_key(w, "train_loss");
    json_double(w, m->train_loss);
    json_key(w, "validation_loss");
    json_double(w, m->validation_loss);
    json_key(w, "validation_accuracy");
    json_double(w, m->validation_accuracy);
    json_end_object(w);
}

static void write_state(struct json_writer *w, const struct network *net,
                        const struct train_state *s);

/* state.early_stopping; "restore" holds the best epoch when it is not the
 * last one done. */
static void write_stopping(struct json_writer *w, const struct network *net,
                           const struct train_state *s)
{
    const struct stop_progress *p = s->stopping;
    json_key(w, "early_stopping");
    json_begin_object(w);
    json_key(w, "metric");
    json_string(w, stop_metric_name(p->metric));
    json_key(w, "best");
    json_double(w, p->best);
    json_key(w, "best_epoch");
    json_size(w, p->best_epoch);
    if (p->best_epoch + 1 < s->epoch) {
        json_key(w, "restore");
        json_begin_object(w);
        json_key(w, "parameters");
        write_param_layers(w, net, p->params);
        write_state(w, net, &p->state);
        write_metrics(w, &p->metrics);
        json_end_object(w);
    }
    json_end_object(w);
}

static void write_state(struct json_writer *w, const struct network *net,
                        const struct train_state *s)
{
    json_key(w, "state");
    json_begin_object(w);
    json_key(w, "epoch");
    json_size(w, s->epoch);
    json_key(w, "step");
    json_size(w, s->step);
    json_key(w, "velocity");
    if (!s->buffer[STATE_VELOCITY])
        json_null(w);
    else
        write_param_layers(w, net, s->buffer[STATE_VELOCITY]);
    /* The other optimizers' buffers and step count, when kept. */
    bool counted = false;
    for (int b = STATE_VELOCITY + 1; b < STATE_BUFFERS; b++)
        counted = counted || s->buffer[b];
    if (counted) {
        json_key(w, "optimizer");
        json_string(w, optimizer_name(s->optimizer));
        json_key(w, "t");
        json_size(w, s->t);
    }
    for (int b = STATE_VELOCITY + 1; b < STATE_BUFFERS; b++)
        if (s->buffer[b]) {
            json_key(w, state_buffer_name((enum state_buffer)b));
            write_param_layers(w, net, s->buffer[b]);
        }
    json_key(w, "learning_rate");
    if (s->has_learning_rate)
        json_double(w, s->learning_rate);
    else
        json_null(w);
    if (s->plateau.active) {
        json_key(w, "plateau");
        json_begin_object(w);
        json_key(w, "learning_rate");
        json_double(w, s->plateau.learning_rate);
        json_key(w, "best");
        if (isinf(s->plateau.best))
            json_null(w);
        else
            json_double(w, s->plateau.best);
        json_key(w, "bad_epochs");
        json_size(w, s->plateau.bad_epochs);
        json_end_object(w);
    }
    if (s->stopping)
        write_stopping(w, net, s);
    json_end_object(w);
}

char *weights_to_json(const struct config *cfg, const struct network *net,
                      const struct normalization *nz,
                      const struct train_state *state,
                      const struct train_metrics *metrics,
                      const char *out_path, size_t *len,
                      struct bp_error *err)
{
    bool nomem = false;
    char *out_dir = output_folder(out_path);
    struct json_writer w;
    json_writer_init(&w, false);
    json_begin_object(&w);
    json_key(&w, "format");
    json_string(&w, CONFIG_FORMAT);
    json_key(&w, "input");
    json_size(&w, net->input);
    write_layers(&w, net);
    json_key(&w, "loss");
    json_string(&w, loss_name(net->loss));
    json_key(&w, "init");
    json_begin_object(&w);
    json_key(&w, "method");
    json_string(&w, init_method_name(cfg->init));
    json_key(&w, "seed");
    json_size(&w, (size_t)cfg->init_seed);
    json_end_object(&w);
    write_training(&w, &cfg->training);
    write_data(&w, &cfg->data, out_dir, &nomem);
    write_path(&w, "output", cfg->output, out_dir, &nomem);

    json_key(&w, "normalization");
    json_begin_object(&w);
    json_key(&w, "mean");
    json_float_array(&w, nz->mean, nz->n);
    json_key(&w, "std");
    json_float_array(&w, nz->std, nz->n);
    json_end_object(&w);

    if (cfg->imputation.n) {
        json_key(&w, "imputation");
        json_begin_object(&w);
        json_key(&w, "mean");
        json_float_array(&w, cfg->imputation.mean, cfg->imputation.n);
        json_end_object(&w);
    }

    write_state(&w, net, state);

    write_metrics(&w, metrics);
    json_end_object(&w);

    free(out_dir);
    char *text = json_writer_finish(&w, len, err);
    if (text && nomem) {
        free(text);
        bp_error_set(err, BP_ENOMEM, "out of memory writing the weights");
        return NULL;
    }
    return text;
}

int weights_save(const struct config *cfg, const struct network *net,
                 const struct normalization *nz,
                 const struct train_state *state,
                 const struct train_metrics *metrics, const char *out_path,
                 struct bp_error *err)
{
    size_t len;
    char *text = weights_to_json(cfg, net, nz, state, metrics, out_path, &len,
                                 err);
    if (!text)
        return -1;
    int rc = atomic_write_file(out_path, text, len, err);
    free(text);
    return rc;
}
