/* early_stop: see early_stop.h. */
#include "early_stop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int early_stop_init(struct early_stop *es, const struct training_config *tc,
                    size_t n_params, struct bp_error *err)
{
    memset(es, 0, sizeof *es);
    es->best = NAN;
    if (tc->early_stopping_patience == 0)
        return 0;
    es->enabled = true;
    es->metric = tc->early_stopping_metric;
    es->patience = tc->early_stopping_patience;
    es->min_delta = tc->early_stopping_min_delta;
    es->n_params = n_params;
    es->params = malloc(n_params * sizeof *es->params);
    es->velocity = malloc(n_params * sizeof *es->velocity);
    if (!es->params || !es->velocity) {
        early_stop_free(es);
        return bp_error_set(err, BP_ENOMEM, "out of memory for early stopping");
    }
    return 0;
}

double early_stop_value(const struct early_stop *es,
                        const struct epoch_report *report)
{
    switch (es->metric) {
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
    if (isnan(es->best))
        return true;
    if (es->metric == STOP_VALIDATION_ACCURACY)
        return value > es->best + es->min_delta;
    return value < es->best - es->min_delta;
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
        es->best = value;
        es->best_epoch = report->epoch;
        es->waited = 0;
        memcpy(es->params, net->params, es->n_params * sizeof *es->params);
        if (state->velocity)
            memcpy(es->velocity, state->velocity,
                   es->n_params * sizeof *es->velocity);
        es->state = *state;
        es->metrics = *metrics;
        return false;
    }
    return ++es->waited >= es->patience;
}

void early_stop_restore(const struct early_stop *es, struct network *net,
                        struct train_state *state,
                        struct train_metrics *metrics)
{
    memcpy(net->params, es->params, es->n_params * sizeof *es->params);
    float *velocity = state->velocity;
    if (velocity)
        memcpy(velocity, es->velocity, es->n_params * sizeof *velocity);
    *state = es->state;
    state->velocity = velocity;
    *metrics = es->metrics;
}

void early_stop_free(struct early_stop *es)
{
    free(es->params);
    free(es->velocity);
    memset(es, 0, sizeof *es);
}
