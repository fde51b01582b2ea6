/*
 * columns: how the columns of a CSV file become the network's inputs and
 * targets (SPEC sections 3, 5 and 5a). The one place that knows which
 * columns are features (data.features, data.ignore, or every column that
 * is not the label or a target), which are one-hot encoded
 * (data.categorical, with the categories of data.categories), what a
 * missing cell does (data.missing, data.na_values), and how a label cell
 * becomes a class (a whole number 0..K-1, or a name of data.classes).
 *
 * Call order, for one file:
 *   columns_plan_init  the config, the file's name and its use;
 *   table_read_with / table_stream with columns_layout(plan): the reader
 *                      calls back once the header (or the first row) is
 *                      read, and the plan resolves every column the
 *                      config names against it (errors list the header's
 *                      names, with a did-you-mean);
 *   columns_learn      training data only: fills what the config lacks
 *                      (class names, categories, input width, the
 *                      resolved column names), so that the weights file
 *                      reads every later file the same way;
 *   columns_encode     rows of the table to the network's inputs and
 *                      targets, any number of times (table_stream's
 *                      blocks);
 *   columns_plan_free.
 *
 * Numeric files read as they always did: every number of a numeric file's
 * features, labels and targets is the float the table holds.
 * Errors are BP_EINPUT, "FILE:LINE:COL: WHAT" for a cell and
 * "CONFIGFILE: data.KEY: WHAT" for a column the config names.
 */
#ifndef COLUMNS_H
#define COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "config.h"
#include "table.h"

enum columns_use {
    COLUMNS_TRAIN,    /* training data: may learn (columns_learn) */
    COLUMNS_LABELLED, /* validation, eval: targets required */
    COLUMNS_OPTIONAL, /* targets read when the file has them */
    COLUMNS_PREDICT,  /* predict: targets never read */
};

struct columns_plan {
    const struct config *cfg;
    const char *file;           /* for messages */
    enum columns_use use;
    const char *const *keep;    /* predict --keep: column names, or NULL */
    size_t n_keep;

    /* Resolved by the layout's callback. */
    bool decided;
    bool positional;            /* predict, no header, features only */
    size_t n_cols;              /* the file's */
    size_t line;                /* of the header, or the first row */
    size_t n_feature_cols;
    size_t *feature_col;        /* [n_feature_cols] file columns, in order */
    bool *feature_onehot;       /* [n_feature_cols] */
    char **feature_key;         /* [n_feature_cols] name, or index text */
    bool has_targets;           /* the label or targets are in the file */
    bool classes;               /* the target is a class label */
    size_t n_target_cols;       /* 1 for a label */
    size_t *target_col;         /* [n_target_cols] */
    size_t *keep_col;           /* [n_keep] */
    char *warning;              /* a note for stderr, or NULL */

    struct table_layout layout; /* what columns_layout returns */
};

/* Starts a plan for `file` (as messages name it). cfg must outlive it. */
void columns_plan_init(struct columns_plan *p, const struct config *cfg,
                       const char *file, enum columns_use use);

/* The layout to read the file with (points into p). */
const struct table_layout *columns_layout(struct columns_plan *p);

/* Training data, after the read: sets, where the config has none, the
 * class names (when the label column holds names; a column of whole
 * numbers but for some names adds a warning naming the first to
 * p->warning), each categorical
 * column's categories (byte order; missing as "" with data.missing
 * "mean"), data.features and the label or targets by resolved name
 * (index without a header), and the input width (checked against a given
 * `input`, whose error says how the width was counted). */
int columns_learn(struct config *cfg, struct columns_plan *p,
                  const struct table *t, struct bp_error *err);

/* Inputs and targets of the rows of t: for each row, dropped[r] (when not
 * NULL) says whether data.missing "drop" (or a missing label or target
 * under "mean") leaves it out; the kept rows, in order, fill x
 * ([kept][cfg->input], a missing number NaN under "mean", to be imputed),
 * label ([kept], when p->classes and p->has_targets) or y
 * ([kept][n_target_cols]). Any output may be NULL. x may be t->cells
 * itself (rows are written at or before where they are read, whenever
 * cfg->input <= t->n_cols). *kept is how many rows were kept. */
int columns_encode(const struct columns_plan *p, const struct table *t,
                   float *x, uint32_t *label, float *y, bool *dropped,
                   size_t *kept, struct bp_error *err);

/* s (a header name, any bytes) quoted for a one-line message into dst
 * (cap bytes): "name", control characters as \xHH, cut to fit. */
const char *columns_quote(char *dst, size_t cap, const char *s);

/* The file column (0-based) input `input` of the network is read from:
 * a one-hot block's inputs all come from their categorical column. */
size_t columns_input_column(const struct columns_plan *p, size_t input);

/* The cell of column c of row r as written, for predict --keep (the
 * plan reads --keep's columns as raw text); "" for an empty cell. */
const char *columns_keep_text(const struct table *t, size_t r, size_t c);

/* Which of the config's inputs are one-hot (*mask [input], or NULL when
 * none is), from data.features and data.categories as training left
 * them: normalization and imputation leave those alone. 0 or -1. */
int columns_onehot_inputs(const struct config *cfg, bool **mask,
                          struct bp_error *err);

void columns_plan_free(struct columns_plan *p);

#endif
