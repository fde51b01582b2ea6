/* gradcheck: see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define RNG_STREAM_GRADCHECK 3

static double activate(double z, enum activation a)
{
    switch (a) {
    case ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    case ACT_TANH:
        return tanh(z);
    case ACT_RELU:
        return z > 0.0 ? z : 0.0;
    case ACT_LINEAR:
    case ACT_SOFTMAX: /* done over the whole layer below */
    default:
        return z;
    }
}

/* Loss of one sample from the last layer's pre-activations z [k]. */
static double sample_loss(const struct network *net, const double *z,
                          const float *t, size_t k)
{
    const struct layer *last = &net->layers[net->n_layers - 1];
    if (net->loss == LOSS_CROSS_ENTROPY && last->activation == ACT_SOFTMAX) {
        double max = z[0];
        for (size_t j = 1; j < k; j++)
            max = z[j] > max ? z[j] : max;
        double sum = 0.0;
        for (size_t j = 0; j < k; j++)
            sum += exp(z[j] - max);
        double lse = max + log(sum);
        double loss = 0.0;
        for (size_t j = 0; j < k; j++)
            loss -= t[j] * (z[j] - lse);
        return loss;
    }
    if (net->loss == LOSS_CROSS_ENTROPY) {
        double zb = z[0];
        return (zb > 0 ? zb : 0) - zb * t[0] + log1p(exp(-fabs(zb)));
    }
    double loss = 0.0;
    for (size_t j = 0; j < k; j++) {
        double diff = t[j] - activate(z[j], last->activation);
        loss += 0.5 * diff * diff;
    }
    return loss;
}

double gradcheck_reference_loss(const struct network *net, const double *p,
                                const float *x, const float *t, size_t n)
{
    size_t width = net->input;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].units > width)
            width = net->layers[l].units;
    double *a = malloc(width * sizeof *a);
    double *z = malloc(width * sizeof *z);
    if (!a || !z) {
        free(a);
        free(z);
        return NAN;
    }
    size_t outputs = network_outputs(net);
    double total = 0.0;
    for (size_t s = 0; s < n; s++) {
        for (size_t i = 0; i < net->input; i++)
            a[i] = x[s * net->input + i];
        for (size_t l = 0; l < net->n_layers; l++) {
            const struct layer *ly = &net->layers[l];
            const double *W = p + ly->offset;
            const double *bias = W + ly->units * ly->fan_in;
            for (size_t j = 0; j < ly->units; j++) {
                double sum = bias[j];
                for (size_t i = 0; i < ly->fan_in; i++)
                    sum += W[j * ly->fan_in + i] * a[i];
                z[j] = sum;
            }
            if (l + 1 < net->n_layers)
                for (size_t j = 0; j < ly->units; j++)
                    a[j] = activate(z[j], ly->activation);
        }
        total += sample_loss(net, z, t + s * outputs, outputs);
    }
    free(a);
    free(z);
    return total / (double)n;
}

void gradcheck_param_name(const struct network *net, size_t index, char *buf,
                          size_t size)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const struct layer *ly = &net->layers[l];
        size_t nw = ly->units * ly->fan_in;
        if (index < ly->offset || index >= ly->offset + nw + ly->units)
            continue;
        size_t k = index - ly->offset;
        if (k < nw)
            snprintf(buf, size, "layers[%zu].weights[%zu][%zu]", l,
                     k / ly->fan_in, k % ly->fan_in);
        else
            snprintf(buf, size, "layers[%zu].bias[%zu]", l, k - nw);
        return;
    }
    snprintf(buf, size, "parameter %zu", index);
}

/* The analytic mean gradient of the float32 pass, in double. */
static int analytic_gradient(const struct network *net, const float *x,
                             const float *t, size_t n, double *out,
                             struct bp_error *err)
{
    struct workspace ws;
    if (workspace_create(&ws, net, n, err) < 0)
        return -1;
    float *grad = malloc(net->n_params * sizeof *grad);
    if (!grad) {
        workspace_free(&ws, net);
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    memcpy(ws.x, x, n * net->input * sizeof *ws.x);
    memcpy(ws.t, t, n * network_outputs(net) * sizeof *ws.t);
    network_forward(net, &ws, n);
    network_loss(net, &ws, n);
    network_backward(net, &ws, n, grad);
    for (size_t k = 0; k < net->n_params; k++)
        out[k] = (double)grad[k] / (double)n;
    free(grad);
    workspace_free(&ws, net);
    return 0;
}

/* The parameters to difference: all of them, or a seeded sample. */
static size_t choose_params(const struct network *net, uint64_t seed,
                            size_t *idx)
{
    for (size_t k = 0; k < net->n_params; k++)
        idx[k] = k;
    if (net->n_params <= GRADCHECK_MAX_PARAMS)
        return net->n_params;
    struct rng r = rng_create(seed, RNG_STREAM_GRADCHECK);
    rng_shuffle(&r, idx, net->n_params);
    return GRADCHECK_MAX_PARAMS;
}

int gradcheck_run(const struct network *net, const float *x, const float *t,
                  size_t n, uint64_t seed, struct gradcheck_result *result,
                  struct bp_error *err)
{
    memset(result, 0, sizeof *result);
    size_t np = net->n_params;
    double *analytic = malloc(np * sizeof *analytic);
    double *numeric = malloc(np * sizeof *numeric);
    double *p = malloc(np * sizeof *p);
    size_t *idx = malloc(np * sizeof *idx);
    int rc = -1;
    if (!analytic || !numeric || !p || !idx) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (analytic_gradient(net, x, t, n, analytic, err) < 0)
        goto out;
    for (size_t k = 0; k < np; k++)
        p[k] = net->params[k];

    size_t count = choose_params(net, seed, idx);
    double largest = 0.0;
    for (size_t c = 0; c < count; c++) {
        size_t k = idx[c];
        /* Central differences in double: truncation error ~h^2, rounding
         * ~1e-16/h; h = 1e-6 keeps both near 1e-10, and rarely straddles
         * a relu kink. */
        double h = 1e-6 * fmax(1.0, fabs(p[k]));
        double saved = p[k];
        p[k] = saved + h;
        double plus = gradcheck_reference_loss(net, p, x, t, n);
        p[k] = saved - h;
        double minus = gradcheck_reference_loss(net, p, x, t, n);
        p[k] = saved;
        numeric[k] = (plus - minus) / (2.0 * h);
        if (!isfinite(numeric[k])) {
            bp_error_set(err, BP_ENUMERIC,
                         "the loss is not finite at these weights");
            goto out;
        }
        largest = fmax(largest, fabs(numeric[k]));
    }
    /* All gradients 0: any difference at all fails. */
    double atol = GRADCHECK_ATOL * largest;
    if (atol == 0.0)
        atol = 1e-12;
    result->atol = atol;
    result->rtol = GRADCHECK_RTOL;
    for (size_t c = 0; c < count; c++) {
        size_t k = idx[c];
        double diff = fabs(analytic[k] - numeric[k]);
        double score = diff / (atol + GRADCHECK_RTOL * fabs(numeric[k]));
        if (!(score <= result->worst_score) || c == 0) {
            double scale = fmax(fabs(analytic[k]), fabs(numeric[k]));
            result->worst_score = score;
            result->worst_error = scale > 0 ? diff / scale : 0.0;
            result->worst_index = k;
            result->worst_analytic = analytic[k];
            result->worst_numeric = numeric[k];
        }
    }
    result->checked = count;
    result->largest_numeric = largest;
    rc = 0;
out:
    free(analytic);
    free(numeric);
    free(p);
    free(idx);
    return rc;
}
