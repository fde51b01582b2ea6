/*
 * optim: the learning-rate schedules and the optimizers' update rules of
 * SPEC sections 7, 7a and 7b, each following its torch.optim class (and
 * torch.optim.lr_scheduler, torch.nn.utils.clip_grad_*) step for step.
 *
 * The rules are one function each over flat arrays: the update of n
 * parameters from their gradient sums and their rows of the state buffers
 * (struct train_state's buffers, in the parameter layout). Everything a
 * step shares (the learning rate, bias corrections, the clipping factor)
 * is computed once, in double where PyTorch computes in Python floats, into
 * a struct optim_step; the per-element arithmetic is float, one operation
 * per statement in PyTorch's order (C lets a compiler fuse only within an
 * expression, and -std=c11 turns contraction off, so every build rounds
 * the same way).
 *
 * Call order for a step: optim_step_init; optim_clip_norm when
 * training.clip_grad_norm is set (the whole gradient first); then
 * optim_rows_init and either hand its `base` to the kernels
 * (kernel_dense_backward_update: each row updated as its gradient
 * completes) or optim_apply on a complete flat gradient. SGD without
 * clipping also has a fused vector path (optim_sgd, kernels.h), the same
 * bits as optim_apply's.
 */
#ifndef OPTIM_H
#define OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "kernels.h"

/* The schedule's rate for epoch `epoch` (counted from 0), before warmup:
 *   constant     eta_0
 *   step         eta_0 * gamma^floor(epoch / every)
 *   cosine       eta_0 * (1 + cos(pi * epoch / epochs)) / 2
 *   exponential  eta_0 * gamma^epoch
 *   plateau      the plateau's current rate (eta_0 before it starts)
 * pp may be NULL (plateau: eta_0). */
double optim_schedule_rate(const struct training_config *tc, size_t epoch,
                           const struct plateau_progress *pp);

/* The rate epoch `epoch` trains at: the schedule's, times
 * (epoch + 1) / (warmup_epochs + 1) while epoch < warmup_epochs. */
double optim_learning_rate(const struct training_config *tc, size_t epoch,
                           const struct plateau_progress *pp);

/* ReduceLROnPlateau.step(metric) after an epoch (mode min, relative
 * threshold, no cooldown): a value below best * (1 - threshold) is the
 * new best; after more than `patience` epochs without one the rate
 * becomes max(rate * factor, min_lr), unless that changes it by 1e-8 or
 * less. Starts pp when it is not active. */
void optim_plateau_step(const struct training_config *tc,
                        struct plateau_progress *pp, double metric);

/* The state buffers the optimizer keeps: bit (1 << STATE_*) each. */
unsigned optim_buffers(const struct training_config *tc);

/* Whether the optimizer is SGD with a momentum buffer. */
bool optim_uses_velocity(const struct training_config *tc);

/* A buffer's value before the first step (Adagrad's s starts at
 * initial_accumulator_value, everything else at 0). */
float optim_buffer_start(const struct training_config *tc,
                         enum state_buffer b);

/* The settings every parameter of one step shares. */
struct optim_step {
    enum optimizer_kind kind;
    float scale;          /* 1 / batch size: sums become means */
    float clip_coef;      /* clip_grad_norm's factor on the mean; 1: none */
    float clip_value;     /* clamp the mean to [-c, c]; +inf: none */
    float weight_decay;   /* L2 (added to the gradient); 0 for adamw */
    /* sgd: kmath_sgd's settings, scale 1 (the mean comes in) */
    struct kernel_sgd sgd;
    /* adam, adamw */
    float decay;          /* adamw: w *= decay = 1 - lr * weight_decay */
    bool decoupled;
    float beta2, one_minus_beta2;
    bool lerp_near;       /* lerp weight 1 - beta1 < 0.5 */
    float lerp_weight;    /* 1 - beta1 */
    float lerp_far;       /* 1 - (1 - beta1), for the other branch */
    float bias_correction2_sqrt;
    float neg_step_size;  /* -lr / (1 - beta1^t) */
    bool amsgrad;
    float eps;
    /* rmsprop */
    float alpha, one_minus_alpha;
    bool avg_lerp_near;
    float avg_lerp_weight, avg_lerp_far;
    bool centered;
    float momentum;
    float neg_lr;
    /* adagrad */
    float neg_clr;        /* -lr / (1 + (t - 1) lr_decay) */
};

/* The step over a batch of batch_size samples at this learning rate; t is
 * this step's 1-based count (Adam's bias corrections, Adagrad's decay);
 * `first` is SGD momentum's first step (v = g). Not clipping by norm. */
void optim_step_init(struct optim_step *s, const struct training_config *tc,
                     double learning_rate, size_t batch_size, size_t t,
                     bool first);

/* clip_grad_norm_: from the complete gradient SUMS grad[0..n), the norm
 * of their means (summed in index order, in double, then as PyTorch a
 * float), and when max_norm / (norm + 1e-6) < 1 the factor every mean
 * is multiplied by. Run by one thread (or every thread alike). */
void optim_clip_norm(struct optim_step *s, const struct training_config *tc,
                     const float *grad, size_t n);

/* A step's update of one parameter buffer and its state buffers, as the
 * kernels' per-row interface. Borrowed pointers; lives for the step. */
struct optim_rows {
    struct kernel_update base;   /* first: the kernels call base.apply */
    const struct optim_step *step;
    float *params;
    float *buffer[STATE_BUFFERS];
};

void optim_rows_init(struct optim_rows *r, const struct optim_step *s,
                     float *params, float *const buffer[STATE_BUFFERS]);

/* The rule on parameters [offset, offset + n) from their gradient SUMS
 * g[0..n). */
void optim_update(const struct optim_rows *r, size_t offset, const float *g,
                  size_t n);

/* optim_update over a whole flat gradient grad[0..n), shared out among
 * the enclosing OpenMP team like a kernel. */
void optim_apply(const struct optim_rows *r, const float *grad, size_t n);

/* The fused SGD path's settings (kernel_dense_backward_sgd): the gradient
 * sums of a batch of batch_size samples at this learning rate; `first`
 * makes it the velocity's first step (v = g). */
struct kernel_sgd optim_sgd(const struct training_config *tc,
                            double learning_rate, size_t batch_size,
                            bool first);

#endif
