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

struct model {
    struct config cfg;
    struct network net;
};

/* Loads path ("-" for stdin). With require_weights, a config whose layers
 * do not all carry weights is an error (predicting with random weights is
 * never what a user wants). */
int model_load(struct model *m, const char *path, bool require_weights,
               struct bp_error *err);

/* Loads a data file for the model and applies its normalization. With
 * targets_optional, a file of features only is accepted. threads as for
 * dataset_load. */
int model_load_data(const struct model *m, const char *path,
                    bool targets_optional, int threads, struct dataset *ds,
                    struct bp_error *err);

void model_free(struct model *m);

#endif
