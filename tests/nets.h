/* Building small networks by hand for the unit tests, without a config
 * file. */
#ifndef NETS_H
#define NETS_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "network.h"
#include "rng.h"

/* A config for input -> units[0] -> ... -> units[n-1] with the given
 * activations and loss, initialised with `seed`. Free with config_free. */
static inline void nets_config(struct config *cfg, size_t input, size_t n,
                               const size_t *units,
                               const enum activation *acts,
                               enum loss_kind loss, uint64_t seed)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->input = input;
    cfg->n_layers = n;
    cfg->layers = calloc(n, sizeof *cfg->layers);
    ck_assert_ptr_nonnull(cfg->layers);
    for (size_t l = 0; l < n; l++) {
        cfg->layers[l].units = units[l];
        cfg->layers[l].activation = acts[l];
    }
    cfg->loss = loss;
    cfg->init = INIT_XAVIER;
    cfg->init_seed = seed;
    cfg->training.learning_rate = 0.1;
    cfg->training.batch_size = 8;
    cfg->training.epochs = 1;
    cfg->training.seed = seed;
    cfg->training.shuffle = true;
}

/* n rows of inputs in [-1, 1). */
static inline void nets_random(float *x, size_t count, uint64_t seed)
{
    struct rng r = rng_create(seed, 99);
    for (size_t k = 0; k < count; k++)
        x[k] = 2.0f * rng_uniform(&r) - 1.0f;
}

#endif
