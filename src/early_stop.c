/* early_stop: see early_stop.h. */
#include "early_stop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"

int early_stop_init(struct early_stop *es, const struct training_config *tc,
                    size_t n_params, struct bp_error *err)
{
    memset(es, 0, sizeof *es);
    es->best.best = NAN;
    if (tc->early_stopping_patience == 0)
        return 0;
    es->enabled = true;
    es->best.metric = tc->early_stopping_metric;
    es->patience = tc->early_stopping_patience;
    es->min_delta = tc->early_stopping_min_delta;
    es->n_params = n_params;
    es->best.params = malloc(n_params * sizeof *es->best.params);
    bool failed = !es->best.params;
    unsigned used = optim_buffers(tc);
    for (int b = 0; b < STATE_BUFFERS; b++)
        if (used & (1u << b)) {
            es->buffer[b] = malloc(n_params * sizeof *es->buffer[b]);
            failed = failed || !es->buffer[b];
        }
    if (failed) {
        early_stop_free(es);
        return bp_error_set(err, BP_ENOMEM, "out of memory for early stopping");
    }
    return 0;
}

double early_stop_value(const struct early_stop *es,
                        const struct epoch_report *report)
{
    switch (es->best.metric) {
    case STOP_VALIDATION_ACCURACY:
        return report->validation_accuracy;
    case STOP_TRAIN_LOSS:
        return report->train_loss;
    case STOP_VALIDATION_LOSS:
    default:
        return report->validation_loss;
    }
}

static bool improves(const struct early_stop *es, double value)
{
    if (!es->has_best || isnan(es->best.best))
        return true;
    if (es->best.metric == STOP_VALIDATION_ACCURACY)
        return value > es->best.best + es->min_delta;
    return value < es->best.best - es->min_delta;
}

/* The best epoch's parameters, optimizer buffers (those the run keeps),
 * state and metrics become params, buffers, state and metrics. */
static void keep(struct early_stop *es, const float *params,
                 const struct train_state *state,
                 const struct train_metrics *metrics)
{
    size_t bytes = es->n_params * sizeof *params;
    memcpy(es->best.params, params, bytes);
    es->best.state = *state;
    es->best.state.stopping = NULL;
    for (int b = 0; b < STATE_BUFFERS; b++) {
        es->best.state.buffer[b] = NULL;
        if (state->buffer[b] && es->buffer[b]) {
            memcpy(es->buffer[b], state->buffer[b], bytes);
            es->best.state.buffer[b] = es->buffer[b];
        }
    }
    es->best.metrics = *metrics;
}

void early_stop_resume(struct early_stop *es, const struct stop_progress *p,
                       const struct network *net,
                       const struct train_state *state,
                       const struct train_metrics *metrics)
{
    if (!es->enabled || !p || p->metric != es->best.metric ||
        p->best_epoch >= state->epoch)
        return;
    es->has_best = true;
    es->best.best = p->best;
    es->best.best_epoch = p->best_epoch;
    es->waited = state->epoch - 1 - p->best_epoch;
    if (es->waited > 0 && p->params)
        keep(es, p->params, &p->state, &p->metrics);
    else
        keep(es, net->params, state, metrics);
}

struct stop_progress *early_stop_progress(struct early_stop *es)
{
    return es->enabled && es->has_best ? &es->best : NULL;
}

bool early_stop_update(struct early_stop *es,
                       const struct epoch_report *report,
                       const struct network *net,
                       const struct train_state *state,
                       const struct train_metrics *metrics)
{
    if (!es->enabled)
        return false;
    double value = early_stop_value(es, report);
    if (improves(es, value)) {
        es->has_best = true;
        es->best.best = value;
        es->best.best_epoch = report->epoch;
        es->waited = 0;
        keep(es, net->params, state, metrics);
        return false;
    }
    return ++es->waited >= es->patience;
}

void early_stop_restore(const struct early_stop *es, struct network *net,
                        struct train_state *state,
                        struct train_metrics *metrics)
{
    memcpy(net->params, es->best.params, es->n_params * sizeof *net->params);
    float *buffer[STATE_BUFFERS];
    for (int b = 0; b < STATE_BUFFERS; b++) {
        buffer[b] = state->buffer[b];
        if (buffer[b] && es->best.state.buffer[b])
            memcpy(buffer[b], es->best.state.buffer[b],
                   es->n_params * sizeof *buffer[b]);
    }
    struct stop_progress *stopping = state->stopping;
    *state = es->best.state;
    for (int b = 0; b < STATE_BUFFERS; b++)
        state->buffer[b] = buffer[b];
    state->stopping = stopping;
    *metrics = es->best.metrics;
}

void early_stop_free(struct early_stop *es)
{
    free(es->best.params);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(es->buffer[b]);
    memset(es, 0, sizeof *es);
}
