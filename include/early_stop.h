/*
 * early_stop: training.early_stopping. After every epoch the chosen metric
 * is compared with the best so far; the parameters, momentum, state and
 * metrics of the best epoch are kept; once `patience` epochs pass without
 * an improvement larger than min_delta, training stops and the best epoch
 * is put back, so the weights file holds the best model (Keras'
 * EarlyStopping with restore_best_weights).
 *
 * Its progress (the best so far, and that epoch's parameters, state and
 * metrics) is what the weights file's state.early_stopping records, so a
 * run resumed from a checkpoint stops where an uninterrupted one would.
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
    size_t patience;
    double min_delta;
    bool has_best;             /* false before the first epoch */
    size_t waited;             /* epochs since the best */
    size_t n_params;
    /* The best epoch's metric, value, parameters, state and metrics; owns
     * params and a copy of each optimizer buffer the run keeps, which
     * state.buffer points at. */
    struct stop_progress best;
    float *buffer[STATE_BUFFERS];
};

/* Off (and allocating nothing) when training.early_stopping is absent. */
int early_stop_init(struct early_stop *es, const struct training_config *tc,
                    size_t n_params, struct bp_error *err);

/* The metric's value in an epoch's report. */
double early_stop_value(const struct early_stop *es,
                        const struct epoch_report *report);

/* Takes up the progress a resumed state recorded (p, or NULL), when it
 * watches the same metric; otherwise counting starts afresh. net, state
 * and metrics are the resumed run's: when the best epoch was the last
 * done, they are its. */
void early_stop_resume(struct early_stop *es, const struct stop_progress *p,
                       const struct network *net,
                       const struct train_state *state,
                       const struct train_metrics *metrics);

/* The progress to record with the weights (it stays es's), or NULL before
 * the first epoch and when off. */
struct stop_progress *early_stop_progress(struct early_stop *es);

/* Records the epoch just reported; true when training should stop. */
bool early_stop_update(struct early_stop *es,
                       const struct epoch_report *report,
                       const struct network *net,
                       const struct train_state *state,
                       const struct train_metrics *metrics);

/* Puts the best epoch back into net, state and metrics (state keeps its
 * own optimizer buffers, refilled, and its stopping). */
void early_stop_restore(const struct early_stop *es, struct network *net,
                        struct train_state *state,
                        struct train_metrics *metrics);

void early_stop_free(struct early_stop *es);

#endif
