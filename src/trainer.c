/*
 * trainer: the epoch loop and the parallel mini-batch step. See trainer.h.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "dist.h"
#include "kernels.h"
#include "metrics.h"
#include "optim.h"
#include "rng.h"
#include "small_net.h"
#include "team.h"

/* Each epoch's shuffle draws from its own stream of training.seed. */
#define RNG_STREAM_SHUFFLE 0x5348554646000000ULL

/* Below this many floating-point operations a forward pass over a block
 * of rows to score, or a rank's share of a distributed step, runs alone
 * (an empty fork/join is about a microsecond). Training steps choose by
 * timing instead (team.h). */
#define PARALLEL_MIN_FLOPS 200000.0

/* Rows of at most this many floats are gathered by a loop, not memcpy. */
#define GATHER_INLINE_FLOATS 16

/* Samples per block when evaluating. */
#define EVAL_BLOCK 256

struct trainer {
    struct network *net;
    const struct training_config *tc;
    struct train_state *state;
    const struct dataset *train;
    const struct dataset *validation;
    int threads;
    struct team_choice team; /* each step: on the team or alone */
    size_t full_batch;     /* samples of a full step: the batch, or all rows */
    bool small;            /* small_net_fits(net), and no dropout */
    bool dropout;          /* some layer drops in training */
    uint64_t dropout_key;  /* this epoch's masks' key, when dropout */
    bool fused_sgd;        /* SGD without clipping: kernel_dense_backward_sgd */
    bool velocity_ready;   /* false: the next step starts the buffer */
    struct workspace ws;
    float *grad;           /* [n_params]: the start of msg */
    size_t *order;         /* [train->n_rows] */
    double flops_per_sample;

    /* The epoch under way. */
    double learning_rate;
    struct kernel_sgd full_sgd; /* fused SGD's factors for a full batch */
    double epoch_started;
    size_t next_row;       /* position in order[] */
    double loss_sum;
    size_t correct;

    /* The state at the start of the epoch, for trainer_rollback. */
    float *saved_params;   /* [n_params] */
    float *saved_buffer[STATE_BUFFERS]; /* [n_params] each, or NULL */
    size_t saved_step;
    size_t saved_t;
    bool saved_velocity_ready;

    /* Data parallelism (see trainer.h); ranks is 1 alone. */
    int rank;
    int ranks;
    /* One step's message: [n_params] gradient sums, [batch] per-sample
     * losses (each rank fills its share, zeros elsewhere, so the sum is
     * exact), then the rank's correct count and stop request (whole
     * numbers below 2^24: exact in float). */
    float *msg;
    float *scratch;        /* [dist_chunk_max(msg length)] */
    const atomic_int *stop_flag;
    bool stop_agreed;      /* some rank asked to stop at the last step */
    double compute_seconds; /* this epoch, this rank */
    double comm_seconds;
    size_t message_bytes;  /* sent per full step */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The optimizer's state buffers. Those a resumed state brought are taken
 * up; those this optimizer does not keep are dropped. When the state was
 * another optimizer's, or any buffer the step count goes with (all but
 * SGD's velocity) is missing (amsgrad turned on), the optimizer starts
 * afresh: all of them at their start values and t at 0, never a mix of
 * old and new. */
static int start_buffers(struct trainer *tr, size_t n_params)
{
    struct train_state *state = tr->state;
    const struct training_config *tc = tr->tc;
    unsigned used = optim_buffers(tc);
    /* Buffers another optimizer kept mean something else (RMSprop's s is
     * not Adagrad's). */
    bool fresh = state->has_optimizer && state->optimizer != tc->optimizer;
    state->has_optimizer = true;
    state->optimizer = tc->optimizer;
    tr->velocity_ready = state->buffer[STATE_VELOCITY] != NULL;
    for (int b = 0; b < STATE_BUFFERS; b++) {
        if (!(used & (1u << b))) {
            free(state->buffer[b]);
            state->buffer[b] = NULL;
        } else if (!state->buffer[b] && b != STATE_VELOCITY) {
            fresh = true;
        }
    }
    for (int b = 0; b < STATE_BUFFERS; b++) {
        if (!(used & (1u << b)))
            continue;
        tr->saved_buffer[b] = malloc(n_params * sizeof(float));
        if (!tr->saved_buffer[b])
            return -1;
        bool restart = !state->buffer[b] || (fresh && b != STATE_VELOCITY);
        if (!restart)
            continue;
        /* Allocated as the reader's buffers are freed: with free(). */
        if (!state->buffer[b])
            state->buffer[b] = network_alloc_floats(n_params);
        if (!state->buffer[b])
            return -1;
        float start = optim_buffer_start(tc, (enum state_buffer)b);
        for (size_t i = 0; i < n_params; i++)
            state->buffer[b][i] = start;
    }
    if (fresh)
        state->t = 0;
    return 0;
}

int trainer_create(struct trainer **out, struct network *net,
                   const struct training_config *tc, struct train_state *state,
                   const struct dataset *train,
                   const struct dataset *validation, int threads,
                   struct bp_error *err)
{
    *out = NULL;
    struct trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    tr->net = net;
    tr->tc = tc;
    tr->state = state;
    tr->train = train;
    tr->validation = validation;
    tr->threads = threads < 1 ? 1 : threads;
    for (size_t l = 0; l < net->n_layers; l++)
        tr->dropout = tr->dropout || net->layers[l].dropout > 0;
    tr->small = small_net_fits(net) && !tr->dropout;
    tr->fused_sgd = tc->optimizer == OPTIMIZER_SGD &&
                    tc->clip_grad_norm == 0 && tc->clip_grad_value == 0;
    tr->rank = dist_rank();
    tr->ranks = dist_size();
    double forward;
    network_flops(net, &forward, &tr->flops_per_sample);

    size_t capacity = tc->batch_size < train->n_rows ? tc->batch_size
                                                     : train->n_rows;
    if (capacity == 0)
        capacity = 1;
    tr->full_batch = capacity;
    trainer_set_team(tr, TEAM_AUTO);
    /* The message holds the whole batch's losses; the workspace only
     * this rank's share. */
    size_t msg_len = net->n_params + capacity + 2;
    size_t share = (capacity + (size_t)tr->ranks - 1) / (size_t)tr->ranks;
    if (workspace_create(&tr->ws, net, share, err) < 0)
        goto fail;
    tr->msg = network_alloc_floats(msg_len);
    tr->scratch = malloc(dist_chunk_max(msg_len) * sizeof *tr->scratch);
    if (!tr->msg || !tr->scratch)
        goto nomem;
    tr->message_bytes = dist_allreduce_bytes(msg_len);
    tr->grad = tr->msg;
    tr->saved_params = malloc(net->n_params * sizeof *tr->saved_params);
    tr->order = malloc((train->n_rows ? train->n_rows : 1) * sizeof *tr->order);
    if (!tr->grad || !tr->order || !tr->saved_params)
        goto nomem;
    if (start_buffers(tr, net->n_params) < 0)
        goto nomem;
    *out = tr;
    return 0;

nomem:
    bp_error_set(err, BP_ENOMEM, "out of memory for training");
fail:
    trainer_destroy(tr);
    return -1;
}

void trainer_destroy(struct trainer *tr)
{
    if (!tr)
        return;
    workspace_free(&tr->ws, tr->net);
    free(tr->msg);
    free(tr->scratch);
    free(tr->saved_params);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(tr->saved_buffer[b]);
    free(tr->order);
    free(tr);
}

/* Correct predictions among the n samples of the last forward pass. */
static size_t count_correct(const struct network *net,
                            const struct workspace *ws,
                            const struct dataset *ds, const size_t *idx,
                            size_t n)
{
    size_t outputs = network_outputs(net);
    const float *y = ws->out[net->n_layers - 1];
    size_t correct = 0;
    for (size_t k = 0; k < n; k++) {
        size_t predicted = metrics_predicted_class(y + k * outputs, outputs);
        correct += predicted == ds->label[idx[k]];
    }
    return correct;
}

static bool run_parallel(int threads, double flops)
{
    return threads > 1 && flops >= PARALLEL_MIN_FLOPS;
}

/* The forward pass, loss and summed gradient of the block's n samples on
 * the calling thread alone, for a rank's share of a distributed step
 * (the update waits for the other ranks): fused for a small network,
 * whose step would otherwise go mostly to calling kernels (the results
 * are the same). */
static void backprop_alone(struct trainer *tr, size_t n)
{
    if (tr->small) {
        small_net_backprop(tr->net, &tr->ws, n, tr->grad);
        return;
    }
    network_forward(tr->net, &tr->ws, n);
    network_loss(tr->net, &tr->ws, n);
    network_backward(tr->net, &tr->ws, n, tr->grad);
}

/* Copies rows idx[lo..hi) of ds into the same rows of the workspace's
 * input and target blocks (the Makefile keeps the compiler from
 * vectorising its small rows' loops). */
static void gather(struct workspace *ws, const struct dataset *ds,
                   const size_t *idx, size_t lo, size_t hi)
{
    size_t nf = ds->n_features;
    for (size_t k = lo; k < hi; k++) {
        float *dst = ws->x + k * nf;
        const float *src = ds->x + idx[k] * nf;
        /* A small network's row is a few floats: a call to memcpy would
         * cost more than the copy, on a step of tens of nanoseconds. */
        if (nf <= GATHER_INLINE_FLOATS)
            for (size_t i = 0; i < nf; i++)
                dst[i] = src[i];
        else
            memcpy(dst, src, nf * sizeof *dst);
    }
    if (!ds->has_targets)
        return;
    size_t no = ds->n_outputs;
    if (ds->y && no <= GATHER_INLINE_FLOATS) {
        /* A few values per row, copied here for the reason above. */
        for (size_t k = lo; k < hi; k++)
            for (size_t i = 0; i < no; i++)
                ws->t[k * no + i] = ds->y[idx[k] * no + i];
        return;
    }
    dataset_targets(ds, idx + lo, hi - lo, ws->t + lo * no);
}

/* Label smoothing (SPEC section 7b) of the targets of rows [lo, hi):
 * t = (1 - e) t + e / K, as CrossEntropyLoss(label_smoothing=e). */
static void smooth_targets(struct workspace *ws, size_t K, double e,
                           size_t lo, size_t hi)
{
    float keep = (float)(1.0 - e), spread = (float)(e / (double)K);
    for (size_t k = lo * K; k < hi * K; k++) {
        float t = ws->t[k] * keep;
        ws->t[k] = t + spread;
    }
}

/* Copies the batch's rows into the workspace (gather), smoothing their
 * targets in training. */
static void gather_batch(struct trainer *tr, const size_t *idx, size_t lo,
                         size_t hi)
{
    gather(&tr->ws, tr->train, idx, lo, hi);
    if (tr->tc->label_smoothing > 0)
        smooth_targets(&tr->ws, network_outputs(tr->net),
                       tr->tc->label_smoothing, lo, hi);
}

/* The forward pass, loss and gradient sums of the block of n samples into
 * tr->grad, inside or outside a team (the block's rows are gathered by
 * the threads that use them). */
static void backprop_block(struct trainer *tr, const size_t *idx, size_t n)
{
    size_t lo, hi;
    kernel_sample_rows(n, &lo, &hi);
    gather_batch(tr, idx, lo, hi);
    network_forward(tr->net, &tr->ws, n);
    network_loss(tr->net, &tr->ws, n);
    network_backward(tr->net, &tr->ws, n, tr->grad);
}

/* One step of any rule but the fused SGD's: the update applied to each
 * group of gradient rows as it completes (network_backward_apply), or,
 * when clipping by norm needs the whole gradient, after it. */
static void rule_step(struct trainer *tr, const size_t *idx, size_t n,
                      double learning_rate, bool parallel)
{
    struct network *net = tr->net;
    struct workspace *ws = &tr->ws;
    struct optim_step step;
    optim_step_init(&step, tr->tc, learning_rate, n, tr->state->t + 1,
                    !tr->velocity_ready);
    struct optim_rows rows;
    optim_rows_init(&rows, &step, net->params, tr->state->buffer);

    if (tr->tc->clip_grad_norm > 0) {
        if (parallel) {
#pragma omp parallel num_threads(tr->threads)
            backprop_block(tr, idx, n);
        } else if (tr->small) {
            gather_batch(tr, idx, 0, n);
            small_net_backprop(net, ws, n, tr->grad);
        } else {
            backprop_block(tr, idx, n);
        }
        optim_clip_norm(&step, tr->tc, tr->grad, net->n_params);
        if (parallel) {
#pragma omp parallel num_threads(tr->threads)
            optim_apply(&rows, tr->grad, net->n_params);
        } else {
            optim_apply(&rows, tr->grad, net->n_params);
        }
    } else if (parallel) {
#pragma omp parallel num_threads(tr->threads)
        {
            size_t lo, hi;
            kernel_sample_rows(n, &lo, &hi);
            gather_batch(tr, idx, lo, hi);
            network_forward(net, ws, n);
            network_loss(net, ws, n);
            network_backward_apply(net, ws, n, tr->grad, &rows.base);
        }
    } else if (tr->small) {
        /* A handful of parameters: the whole gradient, then the rule. */
        gather_batch(tr, idx, 0, n);
        small_net_backprop(net, ws, n, tr->grad);
        optim_apply(&rows, tr->grad, net->n_params);
    } else {
        gather_batch(tr, idx, 0, n);
        network_forward(net, ws, n);
        network_loss(net, ws, n);
        network_backward_apply(net, ws, n, tr->grad, &rows.base);
    }
}

/* One optimizer step on the batch of rows idx[0..n) of the training set,
 * on the team or alone (`parallel`: the same result either way): SGD
 * without clipping fused into the backward pass (network_backward_update,
 * or for a small network small_net_step), any other rule through
 * rule_step. */
static void optimizer_step(struct trainer *tr, const size_t *idx, size_t n,
                           double learning_rate, bool parallel)
{
    struct network *net = tr->net;
    struct workspace *ws = &tr->ws;
    struct dropout_batch drop = {tr->dropout_key, idx};
    ws->drop = tr->dropout ? &drop : NULL;
    if (!tr->fused_sgd) {
        rule_step(tr, idx, n, learning_rate, parallel);
        ws->drop = NULL;
        tr->velocity_ready = true;
        tr->state->t++;
        return;
    }
    float *velocity = tr->state->buffer[STATE_VELOCITY];
    struct kernel_sgd sgd =
        n == tr->full_batch && tr->velocity_ready &&
                learning_rate == tr->learning_rate
            ? tr->full_sgd
            : optim_sgd(tr->tc, learning_rate, n, !tr->velocity_ready);

    /* Without a team the kernels' work-sharing and barriers cost nothing;
     * a team of one (`if (0)`) would still pay a futex call per barrier. */
    if (parallel) {
#pragma omp parallel num_threads(tr->threads)
        {
            /* Each thread copies the rows it will work on (the kernels'
             * sample split), in parallel and into its own cache. */
            size_t lo, hi;
            kernel_sample_rows(n, &lo, &hi);
            gather_batch(tr, idx, lo, hi);
            network_forward(net, ws, n);
            network_loss(net, ws, n);
            network_backward_update(net, ws, n, velocity, &sgd);
        }
    } else if (tr->small) {
        gather_batch(tr, idx, 0, n);
        small_net_step(net, ws, n, tr->grad, velocity, &sgd);
    } else {
        gather_batch(tr, idx, 0, n);
        network_forward(net, ws, n);
        network_loss(net, ws, n);
        network_backward_update(net, ws, n, velocity, &sgd);
    }
    ws->drop = NULL;
    tr->velocity_ready = true;
    tr->state->t++;
}

/* optimizer_step on the team or alone, as team.h decides from the times
 * of earlier steps; this one is timed when the choice asks. */
static void train_step(struct trainer *tr, const size_t *idx, size_t n,
                       double learning_rate)
{
    bool parallel = team_choice_next(&tr->team, n);
    if (!team_choice_timed(&tr->team)) {
        optimizer_step(tr, idx, n, learning_rate, parallel);
        return;
    }
    double started = now_seconds();
    optimizer_step(tr, idx, n, learning_rate, parallel);
    team_choice_record(&tr->team, now_seconds() - started);
}

/* With several ranks: this rank's share of a global batch of n samples at
 * order[start..), the sums combined over the ranks, and the same update
 * everywhere. Returns the batch's loss sum (over its samples in batch
 * order, as alone) and correct count through the message. */
static void distributed_step(struct trainer *tr, size_t start, size_t n,
                             double *batch_loss, size_t *correct)
{
    struct network *net = tr->net;
    struct workspace *ws = &tr->ws;
    const struct dataset *ds = tr->train;
    size_t lo = n * (size_t)tr->rank / (size_t)tr->ranks;
    size_t hi = n * (size_t)(tr->rank + 1) / (size_t)tr->ranks;
    size_t m = hi - lo;
    const size_t *idx = tr->order + start + lo;
    float *losses = tr->msg + net->n_params; /* [n] */
    float *tail = losses + n;                 /* correct, stop */
    double t0 = now_seconds();

    struct dropout_batch drop = {tr->dropout_key, idx};
    ws->drop = tr->dropout ? &drop : NULL;
    if (m > 0) {
        gather_batch(tr, idx, 0, m);
        if (run_parallel(tr->threads, tr->flops_per_sample * (double)m)) {
#pragma omp parallel num_threads(tr->threads)
            {
                network_forward(net, ws, m);
                network_loss(net, ws, m);
                network_backward(net, ws, m, tr->grad);
            }
        } else {
            backprop_alone(tr, m);
        }
    } else {
        memset(tr->grad, 0, net->n_params * sizeof *tr->grad);
    }
    memset(losses, 0, n * sizeof *losses);
    memcpy(losses + lo, ws->loss, m * sizeof *losses);
    tail[0] = ds->n_classes && m ? (float)count_correct(net, ws, ds, idx, m)
                                 : 0.0f;
    tail[1] = tr->stop_flag && atomic_load(tr->stop_flag) ? 1.0f : 0.0f;

    double t1 = now_seconds();
    dist_allreduce_sum(tr->msg, net->n_params + n + 2, tr->scratch);
    double t2 = now_seconds();

    ws->drop = NULL;
    struct optim_step step;
    optim_step_init(&step, tr->tc, tr->learning_rate, n, tr->state->t + 1,
                    !tr->velocity_ready);
    if (tr->tc->clip_grad_norm > 0)
        optim_clip_norm(&step, tr->tc, tr->grad, net->n_params);
    struct optim_rows rows;
    optim_rows_init(&rows, &step, net->params, tr->state->buffer);
    if (run_parallel(tr->threads, (double)net->n_params * 8.0)) {
#pragma omp parallel num_threads(tr->threads)
        optim_apply(&rows, tr->grad, net->n_params);
    } else {
        optim_apply(&rows, tr->grad, net->n_params);
    }
    tr->velocity_ready = true;
    tr->state->t++;
    tr->compute_seconds += (t1 - t0) + (now_seconds() - t2);
    tr->comm_seconds += t2 - t1;

    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += losses[k];
    *batch_loss = sum;
    *correct = (size_t)tail[0];
    tr->stop_agreed = tail[1] > 0.0f;
}

int trainer_epoch_begin(struct trainer *tr)
{
    const struct dataset *ds = tr->train;
    size_t epoch = tr->state->epoch;
    tr->epoch_started = now_seconds();
    tr->learning_rate =
        optim_learning_rate(tr->tc, epoch, &tr->state->plateau);
    /* Once an epoch, not a step: two hashes were a tenth of a 1-1-1
     * network's step. */
    tr->dropout_key =
        tr->dropout ? network_dropout_key(tr->tc->seed, epoch) : 0;
    tr->full_sgd = optim_sgd(tr->tc, tr->learning_rate, tr->full_batch,
                             false);
    tr->next_row = 0;
    tr->loss_sum = 0.0;
    tr->correct = 0;
    tr->compute_seconds = 0.0;
    tr->comm_seconds = 0.0;

    for (size_t i = 0; i < ds->n_rows; i++)
        tr->order[i] = i;
    if (tr->tc->shuffle) {
        struct rng r = rng_create(tr->tc->seed, RNG_STREAM_SHUFFLE + epoch);
        rng_shuffle(&r, tr->order, ds->n_rows);
    }

    /* What an interrupted epoch rolls back to. */
    size_t bytes = tr->net->n_params * sizeof *tr->net->params;
    memcpy(tr->saved_params, tr->net->params, bytes);
    for (int b = 0; b < STATE_BUFFERS; b++)
        if (tr->state->buffer[b])
            memcpy(tr->saved_buffer[b], tr->state->buffer[b], bytes);
    tr->saved_step = tr->state->step;
    tr->saved_t = tr->state->t;
    tr->saved_velocity_ready = tr->velocity_ready;
    return 0;
}

bool trainer_epoch_done(const struct trainer *tr)
{
    return tr->next_row >= tr->train->n_rows;
}

int trainer_step(struct trainer *tr, struct bp_error *err)
{
    const struct dataset *ds = tr->train;
    struct train_state *state = tr->state;
    size_t batch = tr->tc->batch_size;
    size_t start = tr->next_row;
    size_t n = ds->n_rows - start < batch ? ds->n_rows - start : batch;
    double batch_loss = 0.0;
    size_t correct = 0;
    if (tr->ranks > 1) {
        distributed_step(tr, start, n, &batch_loss, &correct);
    } else {
        train_step(tr, tr->order + start, n, tr->learning_rate);
        for (size_t k = 0; k < n; k++)
            batch_loss += tr->ws.loss[k];
        if (ds->n_classes)
            correct = count_correct(tr->net, &tr->ws, ds, tr->order + start,
                                    n);
    }
    state->step++;
    tr->next_row += n;

    if (!isfinite(batch_loss))
        return bp_error_set(err, BP_ENUMERIC,
                            "epoch %zu, step %zu: the loss is %s: training "
                            "diverged (try a smaller learning rate than %g)",
                            state->epoch + 1, state->step,
                            isnan(batch_loss) ? "NaN" : "infinite",
                            tr->learning_rate);
    tr->loss_sum += batch_loss;
    tr->correct += correct;
    return 0;
}

void trainer_set_team(struct trainer *tr, enum team_policy policy)
{
    team_choice_init(&tr->team, tr->threads, policy, tr->full_batch,
                     tr->flops_per_sample);
}

void trainer_watch_stop(struct trainer *tr, const atomic_int *flag)
{
    tr->stop_flag = flag;
}

bool trainer_stop_requested(const struct trainer *tr)
{
    if (tr->ranks > 1)
        return tr->stop_agreed;
    return tr->stop_flag && atomic_load(tr->stop_flag);
}

void trainer_progress(const struct trainer *tr, struct trainer_progress *p)
{
    size_t batch = tr->tc->batch_size;
    p->batch = (tr->next_row + batch - 1) / batch;
    p->batches = (tr->train->n_rows + batch - 1) / batch;
    p->running_loss = tr->next_row ? tr->loss_sum / (double)tr->next_row : NAN;
    double seconds = now_seconds() - tr->epoch_started;
    p->samples_per_second =
        seconds > 0 ? (double)tr->next_row / seconds : 0.0;
    p->epoch_seconds_left =
        tr->next_row ? seconds * (double)(tr->train->n_rows - tr->next_row) /
                           (double)tr->next_row
                     : NAN;
}

void trainer_rollback(struct trainer *tr)
{
    size_t bytes = tr->net->n_params * sizeof *tr->net->params;
    memcpy(tr->net->params, tr->saved_params, bytes);
    for (int b = 0; b < STATE_BUFFERS; b++)
        if (tr->state->buffer[b])
            memcpy(tr->state->buffer[b], tr->saved_buffer[b], bytes);
    tr->state->step = tr->saved_step;
    tr->state->t = tr->saved_t;
    tr->velocity_ready = tr->saved_velocity_ready;
    tr->next_row = 0;
}

int trainer_epoch_end(struct trainer *tr, struct epoch_report *report,
                      struct bp_error *err)
{
    const struct dataset *ds = tr->train;
    struct train_state *state = tr->state;
    for (size_t i = 0; i < tr->net->n_params; i++)
        if (!isfinite(tr->net->params[i]))
            return bp_error_set(
                err, BP_ENUMERIC,
                "epoch %zu, step %zu: a weight is no longer finite: training "
                "diverged (try a smaller learning rate than %g)",
                state->epoch + 1, state->step, tr->learning_rate);

    memset(report, 0, sizeof *report);
    report->epoch = state->epoch;
    state->epoch++;
    state->has_learning_rate = true;
    state->learning_rate = tr->learning_rate;

    report->steps = state->step;
    report->learning_rate = tr->learning_rate;
    report->train_loss = ds->n_rows ? tr->loss_sum / (double)ds->n_rows : NAN;
    report->train_accuracy = ds->n_classes && ds->n_rows
                                 ? (double)tr->correct / (double)ds->n_rows
                                 : NAN;
    report->seconds = now_seconds() - tr->epoch_started;
    report->samples_per_second =
        report->seconds > 0 ? (double)ds->n_rows / report->seconds : 0.0;
    report->validation_loss = NAN;
    report->validation_accuracy = NAN;
    if (tr->validation) {
        report->has_validation = true;
        if (trainer_evaluate(tr->net, tr->validation, tr->threads,
                             &report->validation_loss,
                             &report->validation_accuracy, NULL, err) < 0)
            return -1;
    }
    report->ranks = tr->ranks;
    if (tr->ranks > 1) {
        /* Rank 0 scored the validation set; early stopping on every rank
         * must see its numbers. */
        double v[3] = {report->has_validation, report->validation_loss,
                       report->validation_accuracy};
        dist_bcast(v, sizeof v, 0);
        report->has_validation = v[0] != 0.0;
        report->validation_loss = v[1];
        report->validation_accuracy = v[2];
        report->compute_seconds = tr->compute_seconds;
        report->comm_seconds = tr->comm_seconds;
        report->message_bytes = tr->message_bytes;
    }
    if (tr->tc->schedule == SCHEDULE_PLATEAU) {
        const struct training_config *tc = tr->tc;
        bool on_train = tc->plateau_metric == PLATEAU_TRAIN_LOSS ||
                        (tc->plateau_metric == PLATEAU_AUTO &&
                         !report->has_validation);
        optim_plateau_step(tc, &state->plateau,
                           on_train ? report->train_loss
                                    : report->validation_loss);
    }
    return 0;
}

int trainer_epoch(struct trainer *tr, struct epoch_report *report,
                  struct bp_error *err)
{
    trainer_epoch_begin(tr);
    while (!trainer_epoch_done(tr))
        if (trainer_step(tr, err) < 0)
            return -1;
    return trainer_epoch_end(tr, report, err);
}

/* Forward passes over ds in blocks; with targets, sums the losses and
 * counts the correct predictions. */
static int run_blocks(const struct network *net, const struct dataset *ds,
                      int threads, double *loss_sum, size_t *correct_sum,
                      float *outputs, struct bp_error *err)
{
    struct workspace ws;
    size_t capacity = ds->n_rows < EVAL_BLOCK ? ds->n_rows : EVAL_BLOCK;
    if (capacity == 0)
        capacity = 1;
    if (workspace_create(&ws, net, capacity, err) < 0)
        return -1;
    size_t idx[EVAL_BLOCK];
    size_t n_out = network_outputs(net);
    double flops, training;
    network_flops(net, &flops, &training);
    /* Added to the caller's sums sample by sample, in row order: the
     * result is the same whatever the blocks of the caller. */
    double sum = loss_sum ? *loss_sum : 0.0;
    size_t correct = 0;
    bool targets = ds->has_targets && loss_sum;

    for (size_t start = 0; start < ds->n_rows; start += capacity) {
        size_t n = ds->n_rows - start < capacity ? ds->n_rows - start
                                                 : capacity;
        for (size_t k = 0; k < n; k++)
            idx[k] = start + k;
        gather(&ws, ds, idx, 0, n);
        if (run_parallel(threads, flops * (double)n)) {
#pragma omp parallel num_threads(threads)
            {
                network_forward(net, &ws, n);
                if (targets)
                    network_loss(net, &ws, n);
            }
        } else {
            network_forward(net, &ws, n);
            if (targets)
                network_loss(net, &ws, n);
        }
        if (targets) {
            for (size_t k = 0; k < n; k++)
                sum += ws.loss[k];
            if (ds->n_classes)
                correct += count_correct(net, &ws, ds, idx, n);
        }
        if (outputs)
            memcpy(outputs + start * n_out, ws.out[net->n_layers - 1],
                   n * n_out * sizeof *outputs);
    }
    workspace_free(&ws, net);
    if (targets) {
        *loss_sum = sum;
        if (correct_sum)
            *correct_sum += correct;
    }
    return 0;
}

int trainer_evaluate(const struct network *net, const struct dataset *ds,
                     int threads, double *loss, double *accuracy,
                     float *outputs, struct bp_error *err)
{
    double sum = 0.0;
    size_t correct = 0;
    if (run_blocks(net, ds, threads, &sum, &correct, outputs, err) < 0)
        return -1;
    if (ds->has_targets) {
        *loss = ds->n_rows ? sum / (double)ds->n_rows : NAN;
        *accuracy = ds->n_classes && ds->n_rows
                        ? (double)correct / (double)ds->n_rows
                        : NAN;
    }
    return 0;
}

int trainer_add_loss(const struct network *net, const struct dataset *ds,
                     int threads, double *loss_sum, float *outputs,
                     struct bp_error *err)
{
    return run_blocks(net, ds, threads, loss_sum, NULL, outputs, err);
}

int trainer_predict(const struct network *net, const struct dataset *ds,
                    int threads, float *outputs, struct bp_error *err)
{
    return run_blocks(net, ds, threads, NULL, NULL, outputs, err);
}

int trainer_default_threads(void)
{
    return omp_get_max_threads();
}
