/*
 * network: parameters, initialisation and the forward/backward pass of a
 * block of samples. See network.h.
 */
#include "network.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "rng.h"

/* Separates the initialisation's random stream from the other uses of a
 * seed (rng.h). */
#define RNG_STREAM_INIT 1
#define RNG_STREAM_DROPOUT 0x44524F504F555400ULL

#define CACHE_LINE 64

void *network_alloc_floats(size_t count)
{
    if (count > (SIZE_MAX - CACHE_LINE) / sizeof(float))
        return NULL;
    size_t bytes = count * sizeof(float);
    /* aligned_alloc wants a multiple of the alignment. */
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    return aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE);
}

static void init_layer(float *W, float *bias, const struct layer *ly,
                       enum init_method method, struct rng *r)
{
    double limit;
    switch (method) {
    case INIT_HE:
        limit = sqrt(6.0 / (double)ly->fan_in);
        break;
    case INIT_UNIFORM:
        limit = 1.0 / sqrt((double)ly->fan_in);
        break;
    case INIT_XAVIER:
    default:
        limit = sqrt(6.0 / (double)(ly->fan_in + ly->units));
        break;
    }
    float a = (float)limit;
    for (size_t k = 0; k < ly->units * ly->fan_in; k++)
        W[k] = a * (2.0f * rng_uniform(r) - 1.0f);
    for (size_t j = 0; j < ly->units; j++)
        bias[j] = method == INIT_UNIFORM ? a * (2.0f * rng_uniform(r) - 1.0f)
                                         : 0.0f;
}

int network_create(struct network *net, const struct config *cfg,
                   struct bp_error *err)
{
    memset(net, 0, sizeof *net);
    net->input = cfg->input;
    net->n_layers = cfg->n_layers;
    net->loss = cfg->loss;
    net->layers = calloc(cfg->n_layers, sizeof *net->layers);
    if (!net->layers)
        goto nomem;
    size_t offset = 0;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        struct layer *ly = &net->layers[l];
        ly->fan_in = config_fan_in(cfg, l);
        ly->units = cfg->layers[l].units;
        ly->activation = cfg->layers[l].activation;
        ly->dropout = cfg->layers[l].dropout;
        ly->offset = offset;
        offset += ly->units * (ly->fan_in + 1);
    }
    net->n_params = offset;
    net->params = network_alloc_floats(net->n_params);
    if (!net->params)
        goto nomem;

    struct rng r = rng_create(cfg->init_seed, RNG_STREAM_INIT);
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        float *W = network_weights(net, l);
        float *bias = network_bias(net, l);
        /* Every layer draws, even one with explicit weights, so a layer's
         * initial values do not depend on whether another layer had some. */
        init_layer(W, bias, ly, cfg->init, &r);
        if (cfg->layers[l].weights) {
            memcpy(W, cfg->layers[l].weights,
                   ly->units * ly->fan_in * sizeof *W);
            memcpy(bias, cfg->layers[l].bias, ly->units * sizeof *bias);
        }
    }
    return 0;

nomem:
    network_free(net);
    return bp_error_set(err, BP_ENOMEM, "out of memory for the network");
}

void network_free(struct network *net)
{
    if (!net)
        return;
    free(net->layers);
    free(net->params);
    memset(net, 0, sizeof *net);
}

void network_flops(const struct network *net, double *forward,
                   double *training)
{
    double f = 0, t = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        double mac = 2.0 * (double)net->layers[l].fan_in *
                     (double)net->layers[l].units;
        f += mac;
        t += mac * (l == 0 ? 2.0 : 3.0);
    }
    *forward = f;
    *training = t;
}

int workspace_create(struct workspace *ws, const struct network *net,
                     size_t capacity, struct bp_error *err)
{
    memset(ws, 0, sizeof *ws);
    ws->capacity = capacity;
    size_t outputs = network_outputs(net);
    ws->x = network_alloc_floats(capacity * net->input);
    ws->t = network_alloc_floats(capacity * outputs);
    ws->loss = malloc(capacity * sizeof *ws->loss);
    ws->logits = network_alloc_floats(capacity * outputs);
    ws->out = calloc(net->n_layers, sizeof *ws->out);
    ws->delta = calloc(net->n_layers, sizeof *ws->delta);
    ws->wt = network_alloc_floats(net->n_params);
    ws->mask = calloc(net->n_layers, sizeof *ws->mask);
    ws->kept = calloc(net->n_layers, sizeof *ws->kept);
    if (!ws->x || !ws->t || !ws->loss || !ws->logits || !ws->out ||
        !ws->delta || !ws->wt || !ws->mask || !ws->kept)
        goto nomem;
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t units = net->layers[l].units;
        ws->out[l] = network_alloc_floats(capacity * units);
        ws->delta[l] = network_alloc_floats(capacity * units);
        if (!ws->out[l] || !ws->delta[l])
            goto nomem;
        if (net->layers[l].dropout > 0) {
            ws->mask[l] = network_alloc_floats(capacity * units);
            ws->kept[l] = network_alloc_floats(capacity * units);
            if (!ws->mask[l] || !ws->kept[l])
                goto nomem;
        }
    }
    return 0;

nomem:
    workspace_free(ws, net);
    return bp_error_set(err, BP_ENOMEM, "out of memory for a batch of %zu",
                        capacity);
}

void workspace_free(struct workspace *ws, const struct network *net)
{
    if (!ws)
        return;
    for (size_t l = 0; ws->out && l < net->n_layers; l++)
        free(ws->out[l]);
    for (size_t l = 0; ws->delta && l < net->n_layers; l++)
        free(ws->delta[l]);
    for (size_t l = 0; ws->mask && l < net->n_layers; l++)
        free(ws->mask[l]);
    for (size_t l = 0; ws->kept && l < net->n_layers; l++)
        free(ws->kept[l]);
    free(ws->mask);
    free(ws->kept);
    free(ws->out);
    free(ws->delta);
    free(ws->x);
    free(ws->t);
    free(ws->loss);
    free(ws->logits);
    free(ws->wt);
    memset(ws, 0, sizeof *ws);
}

uint64_t network_dropout_key(uint64_t seed, size_t epoch)
{
    return rng_key(rng_key(seed ^ RNG_STREAM_DROPOUT, 0), (uint64_t)epoch);
}

/* The masks of layer l for this thread's samples of the block: unit j of
 * the sample at row r is kept when 32 bits drawn at (key, r, l, j) reach
 * p * 2^32, so with probability 1 - p (two units per 64-bit draw). */
static void dropout_masks(float *mask, const struct dropout_batch *drop,
                          const struct layer *ly, size_t l, size_t n)
{
    size_t lo, hi;
    kernel_sample_rows(n, &lo, &hi);
    uint64_t threshold = (uint64_t)(ly->dropout * 4294967296.0);
    float scale = 1.0f / (float)(1.0 - ly->dropout);
    size_t units = ly->units;
    for (size_t b = lo; b < hi; b++) {
        uint64_t key = rng_key(rng_key(drop->key, drop->rows[b]), l);
        float *m = mask + b * units;
        /* Pairs of units, then an odd last one: no condition in the loop,
         * which vectorises (64-bit multiplies, AVX-512). */
        size_t pairs = units / 2;
        for (size_t q = 0; q < pairs; q++) {
            uint64_t h = rng_hash(key, q);
            m[2 * q] = (h & 0xFFFFFFFFu) >= threshold ? scale : 0.0f;
            m[2 * q + 1] = (h >> 32) >= threshold ? scale : 0.0f;
        }
        if (units % 2)
            m[units - 1] = (rng_hash(key, pairs) & 0xFFFFFFFFu) >= threshold
                               ? scale
                               : 0.0f;
    }
}

static void activate(float *y, const float *z, enum activation a, size_t n,
                     size_t units)
{
    switch (a) {
    case ACT_SIGMOID:
        kernel_sigmoid(y, z, n, units);
        break;
    case ACT_TANH:
        kernel_tanh(y, z, n, units);
        break;
    case ACT_RELU:
        kernel_relu(y, z, n, units);
        break;
    case ACT_SOFTMAX:
        kernel_softmax(y, z, n, units);
        break;
    case ACT_LINEAR:
        kernel_copy(y, z, n, units);
        break;
    }
}

/* Whether a team computes the first layer by output column: when its
 * weights outweigh its inputs, each thread then reads only the weights it
 * updated itself at the last step, instead of half of them from the
 * other cores' caches (a softmax needs whole rows, so never alone). */
static bool first_layer_by_column(const struct network *net, size_t n)
{
    const struct layer *ly = &net->layers[0];
    return kernel_team_size() > 1 && net->n_layers > 1 &&
           ly->units >= 2 * n;
}

void network_forward(const struct network *net, struct workspace *ws,
                     size_t n)
{
    /* The forward products run along rows of W transposed (kernels.h).
     * Transposing costs one pass over the weights, against a pass per
     * sample in the products; the team shares it and waits once (which
     * also completes the block's inputs, gathered by sample). */
    bool by_column = first_layer_by_column(net, n);
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        float *wt = ws->wt + ly->offset;
        if (l == 0 && by_column)
            kernel_transpose_own_rows(wt, network_weights(net, l), ly->units,
                                      ly->fan_in);
        else
            kernel_transpose(wt, network_weights(net, l), ly->units,
                             ly->fan_in);
    }
    kernel_sync();

    const float *in = ws->x;
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        bool last = l + 1 == net->n_layers;
        /* The last layer keeps its pre-activations: the losses are computed
         * from the logits, which is exact where the outputs saturate. */
        float *z = last ? ws->logits : ws->out[l];
        if (l == 0 && by_column) {
            kernel_dense_forward_by_column(z, in, ws->wt + ly->offset,
                                           network_bias(net, l), n,
                                           ly->fan_in, ly->units);
            kernel_sync(); /* the rest goes by sample */
        } else {
            kernel_dense_forward(z, in, ws->wt + ly->offset,
                                 network_bias(net, l), n, ly->fan_in,
                                 ly->units);
        }
        activate(ws->out[l], z, ly->activation, n, ly->units);
        if (ws->drop && ws->mask[l]) {
            /* Each thread its own samples: no wait. */
            dropout_masks(ws->mask[l], ws->drop, ly, l, n);
            kernel_dropout(ws->out[l], ws->kept[l], ws->mask[l], n,
                           ly->units);
        }
        in = ws->out[l];
    }
}

void network_loss(const struct network *net, struct workspace *ws, size_t n)
{
    size_t L = net->n_layers - 1;
    const struct layer *last = &net->layers[L];
    float *y = ws->out[L];
    float *d = ws->delta[L];
    if (net->loss == LOSS_CROSS_ENTROPY) {
        /* The config admits cross-entropy only after a softmax or a single
         * sigmoid unit, where the delta w.r.t. the logits is y - t. */
        if (last->activation == ACT_SOFTMAX)
            kernel_softmax_cross_entropy(ws->loss, d, ws->logits, y, ws->t,
                                         n, last->units);
        else
            kernel_sigmoid_cross_entropy(ws->loss, d, ws->logits, y, ws->t,
                                         n);
        return;
    }
    kernel_mse(ws->loss, d, y, ws->t, n, last->units);
    switch (last->activation) {
    case ACT_SIGMOID:
        kernel_sigmoid_backward(d, y, n, last->units);
        break;
    case ACT_TANH:
        kernel_tanh_backward(d, y, n, last->units);
        break;
    case ACT_RELU:
        kernel_relu_backward(d, y, n, last->units);
        break;
    case ACT_LINEAR:
    case ACT_SOFTMAX: /* rejected with mse by the config */
        break;
    }
}

static void activation_backward(float *d, const float *y, enum activation a,
                                size_t n, size_t units)
{
    switch (a) {
    case ACT_SIGMOID:
        kernel_sigmoid_backward(d, y, n, units);
        break;
    case ACT_TANH:
        kernel_tanh_backward(d, y, n, units);
        break;
    case ACT_RELU:
        kernel_relu_backward(d, y, n, units);
        break;
    case ACT_LINEAR:
    case ACT_SOFTMAX: /* only ever the last layer */
        break;
    }
}

/* Every layer's delta from the output layer's, on this thread's samples
 * (the forward pass's split): a sample's deltas depend on that sample
 * alone, so no thread waits for another. */
static void backward_deltas(const struct network *net, struct workspace *ws,
                            size_t n)
{
    for (size_t l = net->n_layers - 1; l > 0; l--) {
        const struct layer *ly = &net->layers[l];
        kernel_dense_backward_input(ws->delta[l - 1], ws->delta[l],
                                    network_weights(net, l), n, ly->fan_in,
                                    ly->units);
        /* Through the dropout, then the activation at its output before
         * the dropout. */
        const float *y = ws->out[l - 1];
        if (ws->drop && ws->mask[l - 1]) {
            kernel_mul(ws->delta[l - 1], ws->mask[l - 1], n, ly->fan_in);
            y = ws->kept[l - 1];
        }
        activation_backward(ws->delta[l - 1], y,
                            net->layers[l - 1].activation, n, ly->fan_in);
    }
}

/* The input of layer l for the block. */
static const float *layer_input(const struct workspace *ws, size_t l)
{
    return l == 0 ? ws->x : ws->out[l - 1];
}

void network_backward(const struct network *net, struct workspace *ws,
                      size_t n, float *grad)
{
    backward_deltas(net, ws, n);
    /* The weight gradients sum over every sample: one wait for all the
     * deltas, then each thread sums its rows of every layer. */
    kernel_sync();
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        float *gW = grad + ly->offset;
        float *gb = gW + ly->units * ly->fan_in;
        kernel_dense_backward_weights(gW, gb, ws->delta[l],
                                      layer_input(ws, l), n, ly->fan_in,
                                      ly->units);
    }
    /* grad is complete (the caller's update is split by parameter). */
    kernel_sync();
}

void network_backward_update(struct network *net, struct workspace *ws,
                             size_t n, float *velocity,
                             const struct kernel_sgd *sgd)
{
    backward_deltas(net, ws, n);
    /* Past this wait no thread reads a weight (the deltas are done), so
     * each may update its rows of W as their gradients complete. */
    kernel_sync();
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        float *vW = velocity ? velocity + ly->offset : NULL;
        float *vb = vW ? vW + ly->units * ly->fan_in : NULL;
        kernel_dense_backward_sgd(network_weights(net, l),
                                  network_bias(net, l), vW, vb,
                                  ws->delta[l], layer_input(ws, l), n,
                                  ly->fan_in, ly->units, sgd);
    }
}

void network_backward_apply(struct network *net, struct workspace *ws,
                            size_t n, float *grad,
                            const struct kernel_update *u)
{
    backward_deltas(net, ws, n);
    /* As network_backward_update: past this wait no thread reads a
     * weight. */
    kernel_sync();
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        float *gW = grad + ly->offset;
        kernel_dense_backward_update(gW, gW + ly->units * ly->fan_in,
                                     ws->delta[l], layer_input(ws, l), n,
                                     ly->fan_in, ly->units, ly->offset, u);
    }
}
