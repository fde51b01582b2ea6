/*
 * model: a network ready to use on new data, loaded from a weights file
 * (or a config): the config, the network built from it, and the input
 * normalization it was trained with. Used by predict, eval, gradcheck and
 * info.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>

#include "bp_error.h"
#include "config.h"
#include "dataset.h"
#include "network.h"
#include "table.h"

struct model {
    struct config cfg;
    struct network net;
};

/* Loads path ("-" for stdin). With require_weights, a config whose layers
 * do not all carry weights is an error (predicting with random weights is
 * never what a user wants). A config without "input" (its width comes
 * from its categorical data) gets no network: m->net stays zeroed until
 * the caller has read the data and calls network_create. */
int model_load(struct model *m, const char *path, bool require_weights,
               struct bp_error *err);

/* Loads a data file for the model and applies its normalization. With
 * targets_optional, a file of features only is accepted. threads as for
 * dataset_load. */
int model_load_data(const struct model *m, const char *path,
                    bool targets_optional, int threads, struct dataset *ds,
                    struct bp_error *err);

/* One block of scored rows (model_score). */
struct scored_block {
    const struct table *rows;   /* the block as read: --keep's texts */
    const bool *dropped;        /* [rows->n_rows] left out by data.missing */
    size_t kept;                /* rows not dropped, in order: */
    const float *outputs;       /* [kept][network outputs] */
    const uint32_t *label;      /* [kept] labelled classes, else NULL */
    const float *y;             /* [kept][outputs] labelled regression */
    const size_t *keep_col;     /* [n_keep] the --keep columns in rows */
};


/* Reads path ("-": stdin) in blocks of rows, as predict and eval do, so
 * that memory does not grow with the file and rows from a pipe are
 * scored as soon as they arrive: each block is encoded (columns.h),
 * imputed and normalised as in training, run through the network
 * (losses added to *loss_sum in row order when `labelled`), and handed
 * to on_block. `keep` names columns to read as text for it (predict
 * --keep). *dropped_rows counts what data.missing left out; *warning
 * (when not NULL) gets a copy of a note for stderr, or NULL. */
int model_score(const struct model *m, const char *path, bool labelled,
                const char *const *keep, size_t n_keep, int threads,
                double *loss_sum, size_t *dropped_rows, char **warning,
                int (*on_block)(void *ctx, const struct scored_block *b,
                                struct bp_error *err),
                void *ctx, struct bp_error *err);

void model_free(struct model *m);

#endif
