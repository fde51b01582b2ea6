/*
 * network: a stack of dense layers whose parameters live in one contiguous
 * float buffer, layer by layer, each layer's weights W [units][fan_in]
 * (row-major, PyTorch's Linear.weight layout) followed by its bias [units].
 * Gradients and momentum buffers use the same layout, so zeroing, updating
 * and comparing are flat loops over n_params floats.
 *
 * A forward/backward pass works on a block of samples held in a
 * `struct workspace`. The pass functions only call kernels, so they may be
 * called by every thread of an OpenMP team at once (the trainer does):
 * the kernels share the work out and synchronise.
 */
#ifndef NETWORK_H
#define NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "config.h"
#include "kernels.h"

/* Float buffers the kernels stream through start on a cache line: a
 * 64-byte vector load that straddles two lines costs two. Free with
 * free(). NULL on overflow or when out of memory. */
void *network_alloc_floats(size_t count);

struct layer {
    size_t fan_in;
    size_t units;
    enum activation activation;
    double dropout;  /* p of the layer's output in training; 0 = none */
    size_t offset;   /* of W in the parameter buffer; bias follows W */
};

struct network {
    size_t input;
    size_t n_layers;
    struct layer *layers;  /* [n_layers] */
    enum loss_kind loss;
    size_t n_params;
    float *params;         /* [n_params] */
};

/* Builds the network the config describes: explicit weights and biases
 * where the config has them, else seeded initialisation (init.method,
 * init.seed; xavier and he draw uniformly from +-sqrt(6/(fan_in+units))
 * and +-sqrt(6/fan_in), uniform from +-1/sqrt(fan_in) like PyTorch's
 * Linear; biases start at 0, except uniform's, drawn like its weights). */
int network_create(struct network *net, const struct config *cfg,
                   struct bp_error *err);

void network_free(struct network *net);

static inline float *network_weights(const struct network *net, size_t l)
{
    return net->params + net->layers[l].offset;
}

static inline float *network_bias(const struct network *net, size_t l)
{
    const struct layer *ly = &net->layers[l];
    return net->params + ly->offset + ly->units * ly->fan_in;
}

static inline size_t network_outputs(const struct network *net)
{
    return net->layers[net->n_layers - 1].units;
}

/* Multiply-adds counted as two floating-point operations. `forward` is one
 * sample's forward pass; `training` adds the weight gradients of every
 * layer and the input gradients of every layer but the first. */
void network_flops(const struct network *net, double *forward,
                   double *training);

/* Dropout in a training pass (SPEC section 7b): whether unit j of layer l
 * is dropped for a sample is a function of (key, the sample's row, l, j)
 * alone, so every thread count and batch split drops the same units. */
struct dropout_batch {
    uint64_t key;         /* from training.seed and the epoch */
    const size_t *rows;   /* [n]: each sample's row in the training set */
};

/* The key of an epoch's dropout. */
uint64_t network_dropout_key(uint64_t seed, size_t epoch);

/* Scratch memory for blocks of up to `capacity` samples. */
struct workspace {
    size_t capacity;
    float *x;        /* [capacity][input]: the block's inputs */
    float *t;        /* [capacity][outputs]: the block's targets */
    float *loss;     /* [capacity]: per-sample loss */
    float *logits;   /* [capacity][outputs]: last layer before activation */
    float **out;     /* per layer, [capacity][units]: activations */
    float **delta;   /* per layer, [capacity][units]: dE/d(pre-activation) */
    float *wt;       /* [n_params]: each layer's W transposed, (fan_in,
                      * units), at the layer's offset (kernel_dense_forward
                      * reads it) */
    /* Dropout: per layer with dropout, [capacity][units] masks (0 or
     * 1 / (1 - p)) and activations before dropping; NULL elsewhere. The
     * passes drop only while `drop` is set (training; never when
     * evaluating). */
    float **mask;
    float **kept;
    const struct dropout_batch *drop;
};

int workspace_create(struct workspace *ws, const struct network *net,
                     size_t capacity, struct bp_error *err);
void workspace_free(struct workspace *ws, const struct network *net);

/* Forward pass of ws->x[0..n): fills ws->wt from the parameters, then
 * ws->logits and every ws->out. Inside a team it waits once for ws->wt
 * (and the whole block's inputs), and once more after a first layer
 * computed by output column. */
void network_forward(const struct network *net, struct workspace *ws,
                     size_t n);

/* Per-sample losses of the last forward pass against ws->t into ws->loss,
 * and the output layer's delta. */
void network_loss(const struct network *net, struct workspace *ws, size_t n);

/* Back-propagates from the output delta: fills every ws->delta and writes
 * the SUM over the n samples of the per-sample gradients into grad
 * ([n_params], the parameter layout). Inside a team, returns with grad
 * complete in every thread (the loss needs no such wait: each thread
 * works on its own samples). */
void network_backward(const struct network *net, struct workspace *ws,
                      size_t n, float *grad);

/* network_backward and the SGD step in one pass: the same deltas, and
 * every gradient sum applied to the parameters (and velocity, [n_params],
 * NULL without momentum) as soon as it is complete, never stored
 * (kernel_dense_backward_sgd): the parameters end bit for bit as
 * network_backward and optim_step would leave them, without a gradient
 * buffer's traffic or a wait between the two. Inside a team it returns
 * before the other threads' updates are done: the end of the parallel
 * region is the wait. */
void network_backward_update(struct network *net, struct workspace *ws,
                             size_t n, float *velocity,
                             const struct kernel_sgd *sgd);

/* network_backward with any update rule: the same deltas, and each
 * group of complete gradient rows (summed into grad, [n_params], as
 * scratch) handed to u as soon as it is complete
 * (kernel_dense_backward_update), while it is still in cache. Returns,
 * inside a team, before the other threads' updates are done. */
void network_backward_apply(struct network *net, struct workspace *ws,
                            size_t n, float *grad,
                            const struct kernel_update *u);

#endif
