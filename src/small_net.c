/*
 * small_net: the fused scalar training pass of a small network. See
 * small_net.h; every sum below runs in the order kernel_math.h states.
 */
#include "small_net.h"

#include <string.h>

#include "kernel_math.h"

bool small_net_fits(const struct network *net)
{
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].fan_in >= SMALL_NET_FAN_IN)
            return false;
    return true;
}

/* f(z) for one unit, for every activation but softmax (a whole row's). */
static inline __attribute__((always_inline)) float activate(float z,
                                                            enum activation a)
{
    switch (a) {
    case ACT_SIGMOID:
        return kmath_sigmoid(z);
    case ACT_TANH:
        return kmath_tanh(z);
    case ACT_RELU:
        return kmath_relu(z);
    case ACT_LINEAR:
    case ACT_SOFTMAX:
        break;
    }
    return z;
}

/* d * f'(y) for one unit (softmax's is part of its loss). */
static inline __attribute__((always_inline)) float activation_grad(
    float d, float y, enum activation a)
{
    switch (a) {
    case ACT_SIGMOID:
        return kmath_sigmoid_grad(d, y);
    case ACT_TANH:
        return kmath_tanh_grad(d, y);
    case ACT_RELU:
        return kmath_relu_grad(d, y);
    case ACT_LINEAR:
    case ACT_SOFTMAX:
        break;
    }
    return d;
}

/* z = bias + W x for one sample, and y = f(z) (y may equal z). Each unit
 * is activated as its sum completes: the step is one chain of dependent
 * operations from the weights to their update, and a value kept in a
 * register skips a store and a reload on it. */
static inline __attribute__((always_inline)) void layer_forward(
    float *y, float *z, const float *x, const float *W, const float *bias,
    const struct layer *ly)
{
    size_t in = ly->fan_in;
    enum activation a = ly->activation;
    for (size_t j = 0; j < ly->units; j++) {
        const float *w = W + j * in;
        float s = 0.0f;
        for (size_t i = 0; i < in; i++)
            s = kmath_madd(x[i], w[i], s);
        float zj = bias[j] + s;
        z[j] = zj;
        if (a != ACT_SOFTMAX)
            y[j] = activate(zj, a);
    }
    if (a == ACT_SOFTMAX)
        kmath_softmax_row(y, z, ly->units);
}

/* Loss of one sample and the output layer's delta, as network_loss. */
static inline __attribute__((always_inline)) float sample_loss(
    float *d, const float *z, const float *y, const float *t,
    const struct network *net)
{
    const struct layer *last = &net->layers[net->n_layers - 1];
    if (net->loss == LOSS_CROSS_ENTROPY) {
        if (last->activation == ACT_SOFTMAX)
            return kmath_softmax_cross_entropy_row(d, z, y, t, last->units);
        d[0] = y[0] - t[0];
        return kmath_sigmoid_cross_entropy(z[0], t[0]);
    }
    /* kmath_mse_row, each difference taken through f' at once. */
    float sum = 0.0f;
    for (size_t k = 0; k < last->units; k++) {
        float diff = y[k] - t[k];
        sum += diff * diff;
        d[k] = activation_grad(diff, y[k], last->activation);
    }
    return 0.5f * sum;
}

/* The pass, with the gradient sums in grad; with `sgd`, the last sample's
 * contribution completes each sum in a register and the SGD step applies
 * it at once (velocity may be NULL), so grad holds partial sums only. */
static inline __attribute__((always_inline)) void pass(
    const struct network *net, struct workspace *ws, size_t n, float *grad,
    float *velocity, const struct kernel_sgd *sgd)
{
    size_t L = net->n_layers - 1;
    size_t outputs = network_outputs(net);

    for (size_t b = 0; b < n; b++) {
        const float *x = ws->x + b * net->input;
        const float *in = x;
        for (size_t l = 0; l <= L; l++) {
            const struct layer *ly = &net->layers[l];
            float *y = ws->out[l] + b * ly->units;
            float *z = l == L ? ws->logits + b * ly->units : y;
            layer_forward(y, z, in, network_weights(net, l),
                          network_bias(net, l), ly);
            in = y;
        }
        ws->loss[b] = sample_loss(ws->delta[L] + b * outputs,
                                  ws->logits + b * outputs,
                                  ws->out[L] + b * outputs,
                                  ws->t + b * outputs, net);

        bool first = b == 0, update = sgd && b + 1 == n;
        for (size_t l = L + 1; l-- > 0;) {
            const struct layer *ly = &net->layers[l];
            size_t fan_in = ly->fan_in;
            const float *d = ws->delta[l] + b * ly->units;
            const float *a = l == 0 ? x : ws->out[l - 1] + b * fan_in;
            float *W = network_weights(net, l);
            /* The delta below reads W before this sample's update. */
            if (l > 0) {
                float *below = ws->delta[l - 1] + b * fan_in;
                enum activation f = net->layers[l - 1].activation;
                for (size_t i = 0; i < fan_in; i++) {
                    float s = 0.0f;
                    for (size_t j = 0; j < ly->units; j++)
                        s = kmath_madd(d[j], W[j * fan_in + i], s);
                    below[i] = activation_grad(s, a[i], f);
                }
            }
            /* Each sum runs over the samples in order from zero: the
             * kernels' order. */
            size_t weights = ly->units * fan_in;
            float *gW = grad + ly->offset, *gb = gW + weights;
            float *vW = velocity ? velocity + ly->offset : NULL;
            float *vb = vW ? vW + weights : NULL;
            float *bias = W + weights;
            for (size_t j = 0; j < ly->units; j++) {
                for (size_t i = 0; i < fan_in; i++) {
                    size_t k = j * fan_in + i;
                    float g = kmath_madd(d[j], a[i], first ? 0.0f : gW[k]);
                    if (update)
                        kmath_sgd(&W[k], vW ? &vW[k] : NULL, g, sgd);
                    else
                        gW[k] = g;
                }
                float g = (first ? 0.0f : gb[j]) + d[j];
                if (update)
                    kmath_sgd(&bias[j], vb ? &vb[j] : NULL, g, sgd);
                else
                    gb[j] = g;
            }
        }
    }
}

void small_net_backprop(const struct network *net, struct workspace *ws,
                        size_t n, float *grad)
{
    pass(net, ws, n, grad, NULL, NULL);
}

void small_net_step(struct network *net, struct workspace *ws, size_t n,
                    float *grad, float *velocity,
                    const struct kernel_sgd *sgd)
{
    /* Online training (batch 1), FANN's and the seed example's case, in a
     * copy of its own: no partial sums to keep, each update at once. */
    if (n == 1)
        pass(net, ws, 1, grad, velocity, sgd);
    else
        pass(net, ws, n, grad, velocity, sgd);
}
