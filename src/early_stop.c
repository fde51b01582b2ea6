/* early_stop: see early_stop.h. */
#include "early_stop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    es->velocity = malloc(n_params * sizeof *es->velocity);
    if (!es->best.params || !es->velocity) {
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

/* The best epoch's parameters, velocity (when the run has one), state and
 * metrics become params, velocity, state and metrics. */
static void keep(struct early_stop *es, const float *params,
                 const float *velocity, const struct train_state *state,
                 const struct train_metrics *metrics)
{
    size_t bytes = es->n_params * sizeof *params;
    memcpy(es->best.params, params, bytes);
    es->best.state = *state;
    es->best.state.velocity = NULL;
    es->best.state.stopping = NULL;
    if (velocity) {
        memcpy(es->velocity, velocity, bytes);
        es->best.state.velocity = es->velocity;
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
        keep(es, p->params, p->state.velocity, &p->state, &p->metrics);
    else
        keep(es, net->params, state->velocity, state, metrics);
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
        keep(es, net->params, state->velocity, state, metrics);
        return false;
    }
    return ++es->waited >= es->patience;
}

void early_stop_restore(const struct early_stop *es, struct network *net,
                        struct train_state *state,
                        struct train_metrics *metrics)
{
    memcpy(net->params, es->best.params, es->n_params * sizeof *net->params);
    float *velocity = state->velocity;
    if (velocity && es->best.state.velocity)
        memcpy(velocity, es->best.state.velocity,
               es->n_params * sizeof *velocity);
    struct stop_progress *stopping = state->stopping;
    *state = es->best.state;
    state->velocity = velocity;
    state->stopping = stopping;
    *metrics = es->best.metrics;
}

void early_stop_free(struct early_stop *es)
{
    free(es->best.params);
    free(es->velocity);
    memset(es, 0, sizeof *es);
}
