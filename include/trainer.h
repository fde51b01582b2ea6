/*
 * trainer: mini-batch training over a dataset (any optimizer of optim.h,
 * with dropout, clipping and label smoothing), one epoch at a time, with
 * the per-sample work of each batch spread over OpenMP threads (SPEC
 * sections 6, 7, 7a, 7b).
 *
 * Call order: trainer_create; then for each epoch either trainer_epoch, or
 * trainer_epoch_begin, trainer_step until trainer_epoch_done, and
 * trainer_epoch_end (so the caller can draw progress or stop between
 * steps: trainer_rollback returns to the epoch's start); repeat until
 * state->epoch reaches training.epochs; then trainer_destroy. The trainer borrows the network,
 * the datasets and the state, which must outlive it; it updates the
 * network's parameters and the state (epoch, step, optimizer buffers and
 * step count, learning rate, plateau progress) in place, so after any epoch they are exactly what a weights file must
 * hold to resume.
 *
 * Determinism: each epoch's order comes from (training.seed, epoch); each
 * batch's gradient is summed over its samples in a fixed order by kernels
 * split by what each thread writes; so the result does not depend on the
 * thread count.
 *
 * Data parallelism (dist.h): when the process is one of N ranks, every
 * rank holds the whole training set and the same parameters, draws the
 * same order, and takes a fixed contiguous share of each global batch of
 * B samples (rank r: positions [B r / N, B (r + 1) / N)). It sums its
 * share's gradients with the OpenMP step, the ranks add their sums with
 * dist_allreduce_sum (a fixed order for a fixed N) in the same message as
 * the per-sample losses, correct counts and stop requests, and every rank
 * applies the same update with the global batch size. The weights then
 * equal a single process's up to float rounding (sums in another order),
 * and are bit-identical between runs with the same N. Validation is scored
 * on rank 0 only (pass it there, NULL elsewhere); trainer_epoch_end sends
 * its numbers to the other ranks, so every rank's report is the same.
 */
#ifndef TRAINER_H
#define TRAINER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"
#include "config.h"
#include "dataset.h"
#include "network.h"
#include "team.h"

struct epoch_report {
    size_t epoch;            /* 0-based index of the epoch just run */
    size_t steps;            /* optimizer steps done in total */
    double learning_rate;
    double train_loss;       /* mean per-sample loss during the epoch */
    double train_accuracy;   /* NaN for regression */
    bool has_validation;
    double validation_loss;  /* NaN without validation */
    double validation_accuracy; /* NaN without validation or classes */
    double seconds;          /* wall time of the epoch */
    double samples_per_second;
    /* With several ranks (else ranks 1, the rest 0): this rank's time in
     * the steps' arithmetic and in their messages (which includes waiting
     * for slower ranks), and the bytes it sent per step. */
    int ranks;
    double compute_seconds;
    double comm_seconds;
    size_t message_bytes;
};

struct trainer;

/* threads: the OpenMP team size (>= 1). Each training step runs on that
 * team or on the calling thread alone, whichever timing shows faster
 * (team.h; trainer_set_team). validation may be NULL. */
int trainer_create(struct trainer **out, struct network *net,
                   const struct training_config *tc, struct train_state *state,
                   const struct dataset *train,
                   const struct dataset *validation, int threads,
                   struct bp_error *err);

/* How steps choose between the team and the lone thread (default
 * TEAM_AUTO). The result is the same either way. */
void trainer_set_team(struct trainer *tr, enum team_policy policy);

/* Runs epoch state->epoch. BP_ENUMERIC when the loss stops being finite,
 * naming the epoch and step; the parameters are then not to be saved. */
int trainer_epoch(struct trainer *tr, struct epoch_report *report,
                  struct bp_error *err);

/* The parts of trainer_epoch. */
int trainer_epoch_begin(struct trainer *tr);
bool trainer_epoch_done(const struct trainer *tr);
int trainer_step(struct trainer *tr, struct bp_error *err);
int trainer_epoch_end(struct trainer *tr, struct epoch_report *report,
                      struct bp_error *err);

/* Stop requests: `flag` (set by a signal handler; borrowed for the
 * trainer's life) asks to stop after the step under way. Alone,
 * trainer_stop_requested reads it. With several ranks each step combines
 * every rank's flag, and trainer_stop_requested answers for the job as of
 * the last step, so all ranks stop after the same step. */
void trainer_watch_stop(struct trainer *tr, const atomic_int *flag);
bool trainer_stop_requested(const struct trainer *tr);

/* Puts the parameters, optimizer buffers and step counts back as they
 * were at the start of the epoch under way: a checkpoint written then
 * resumes exactly. */
void trainer_rollback(struct trainer *tr);

struct trainer_progress {
    size_t batch;                /* batches done in this epoch */
    size_t batches;              /* batches per epoch */
    double running_loss;         /* mean loss so far this epoch */
    double samples_per_second;
    double epoch_seconds_left;   /* estimate; NaN before the first batch */
};

void trainer_progress(const struct trainer *tr, struct trainer_progress *p);

void trainer_destroy(struct trainer *tr);

/* OpenMP's default team size (OMP_NUM_THREADS, else the cores). */
int trainer_default_threads(void);

/* Mean loss and accuracy (NaN for regression) of net on every row of ds,
 * which must have targets. `outputs`, when non-NULL, receives the network's
 * outputs [n_rows][outputs]. */
int trainer_evaluate(const struct network *net, const struct dataset *ds,
                     int threads, double *loss, double *accuracy,
                     float *outputs, struct bp_error *err);

/* Outputs [n_rows][outputs] of net on ds (targets not needed). */
/* The outputs (when not NULL) of ds's rows, and their losses added to
 * *loss_sum one by one in row order (ds must have targets), so that a
 * file scored in blocks sums exactly as one scored whole. */
int trainer_add_loss(const struct network *net, const struct dataset *ds,
                     int threads, double *loss_sum, float *outputs,
                     struct bp_error *err);

int trainer_predict(const struct network *net, const struct dataset *ds,
                    int threads, float *outputs, struct bp_error *err);

#endif
