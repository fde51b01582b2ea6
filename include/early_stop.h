/*
 * early_stop: training.early_stopping. After every epoch the chosen metric
 * is compared with the best so far; the parameters, momentum, state and
 * metrics of the best epoch are kept; once `patience` epochs pass without
 * an improvement larger than min_delta, training stops and the best epoch
 * is put back, so the weights file holds the best model (Keras'
 * EarlyStopping with restore_best_weights).
 *
 * The patience count is not saved in the weights file: a run resumed from
 * a checkpoint starts counting afresh.
 */
#ifndef EARLY_STOP_H
#define EARLY_STOP_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"
#include "config.h"
#include "network.h"
#include "trainer.h"

struct early_stop {
    bool enabled;
    enum stop_metric metric;
    size_t patience;
    double min_delta;
    double best;               /* NaN before the first epoch */
    size_t best_epoch;         /* 0-based */
    size_t waited;             /* epochs since the best */
    size_t n_params;
    float *params;             /* [n_params], the best epoch's */
    float *velocity;           /* [n_params], or unused */
    struct train_state state;  /* the best epoch's (velocity not owned) */
    struct train_metrics metrics;
};

/* Off (and allocating nothing) when training.early_stopping is absent. */
int early_stop_init(struct early_stop *es, const struct training_config *tc,
                    size_t n_params, struct bp_error *err);

/* The metric's value in an epoch's report. */
double early_stop_value(const struct early_stop *es,
                        const struct epoch_report *report);

/* Records the epoch just reported; true when training should stop. */
bool early_stop_update(struct early_stop *es,
                       const struct epoch_report *report,
                       const struct network *net,
                       const struct train_state *state,
                       const struct train_metrics *metrics);

/* Puts the best epoch back into net, state and metrics. */
void early_stop_restore(const struct early_stop *es, struct network *net,
                        struct train_state *state,
                        struct train_metrics *metrics);

void early_stop_free(struct early_stop *es);

#endif
