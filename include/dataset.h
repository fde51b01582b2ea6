/*
 * dataset: a table of samples split into features and targets as the
 * config's `data` section says (SPEC sections 3 and 5).
 *
 * Targets are either class labels (data.label, or by default the last
 * column of a classification net; numbers 0..K-1 or class names), stored
 * as integers and one-hot encoded only when a batch is built, or real
 * values (data.targets, or by default the last n_outputs columns of an mse
 * net). Which columns are features and how each is encoded (numbers,
 * one-hot categories, missing cells) is columns.h's (SPEC section 5a).
 *
 * Errors are BP_EINPUT with "FILE:LINE:COL: WHAT" for the data (a label that
 * is not a whole number in 0..K-1, an unknown class or category, a missing
 * cell, wrong column counts) and "CONFIGFILE: data.KEY: WHAT" for a column
 * the config names wrongly.
 */
#ifndef DATASET_H
#define DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "config.h"
#include "table.h"

struct dataset {
    size_t n_rows;
    size_t n_features;
    size_t n_outputs;     /* units of the network's last layer */
    size_t n_classes;     /* > 0: targets are labels 0..n_classes-1 */
    float *x;             /* [n_rows][n_features] */
    uint32_t *label;      /* [n_rows] when n_classes > 0, else NULL */
    float *y;             /* [n_rows][n_outputs] when n_classes == 0 */
    bool has_targets;     /* false: features only (prediction input) */
    bool *onehot;         /* [n_features] one-hot inputs, or NULL: none */
    size_t n_dropped;     /* rows data.missing left out */
    char *note;           /* a warning for stderr, or NULL */

    /* Where each value came from, for a message about one found bad
     * after loading (dataset_where): a split's parts keep their rows'. */
    char *file;           /* as messages name it */
    size_t *row_line;     /* [n_rows] the line each row's record starts on */
    size_t *input_col;    /* [n_features] the file column (0-based) of
                           * each input */
    char **input_name;    /* [n_features] that column's header name,
                           * quoted for messages ("\"a\""), or NULL
                           * without a header */
    struct table_wrap *wraps; /* [n_wraps] the file's (table.h) */
    size_t n_wraps;
};

/* Loads `path` ("-" for stdin) against cfg. With `targets_optional`, a file
 * holding only the feature columns is accepted too (for prediction);
 * otherwise the target columns are required. A large file is parsed by up
 * to `threads` OpenMP threads (table_read). */
int dataset_load(struct dataset *ds, const char *path,
                 const struct config *cfg, bool targets_optional,
                 int threads, struct bp_error *err);

/* dataset_load for the training file: what the config lacks and the data
 * tells (class names, categories, the input width, the columns' names:
 * columns.h's columns_learn) is filled into cfg first. */
int dataset_load_training(struct dataset *ds, const char *path,
                          struct config *cfg, int threads,
                          struct bp_error *err);

/* Writes the targets of rows idx[0..n) as a dense [n][n_outputs] block:
 * one-hot for labels (or the label itself, 0 or 1, when n_outputs is 1),
 * the values otherwise. */
void dataset_targets(const struct dataset *ds, const size_t *idx, size_t n,
                     float *out);

/* Splits `all` into a held-out validation part holding round(fraction*n)
 * rows drawn by a generator seeded with `seed`, and a training part holding
 * the rest in file order. Both must end up non-empty. `all` is left intact.
 */
int dataset_split(const struct dataset *all, double fraction, uint64_t seed,
                  struct dataset *train, struct dataset *validation,
                  struct bp_error *err);

/* Fold `fold` of a seeded K-fold split of `all` as the validation part,
 * the other rows as the training part, both in file order. With labels
 * the split is stratified as scikit-learn's StratifiedKFold (each class's
 * rows, shuffled by `seed`, dealt to the folds in turn, so each fold holds
 * its share of every class); otherwise the shuffled rows are cut into K
 * parts of near-equal size. K above the smallest class's count (or the
 * row count) is an error. `all` is left intact. */
int dataset_kfold(const struct dataset *all, size_t folds, size_t fold,
                  uint64_t seed, struct dataset *train,
                  struct dataset *validation, struct bp_error *err);

/* Where input `input` of row `row` was read: *line and *col (1-based) in
 * ds->file, and the column's header name quoted for a message (NULL
 * without a header). Rows
 * made in code (no file) give line 0 and the input's number. */
void dataset_where(const struct dataset *ds, size_t row, size_t input,
                   size_t *line, size_t *col, const char **name);

/* The smallest number of rows of any class (labels), or the row count. */
size_t dataset_smallest_class(const struct dataset *ds);

void dataset_free(struct dataset *ds);

#endif
