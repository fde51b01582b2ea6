/*
 * optim: the learning-rate schedule and the SGD update of SPEC section 7,
 * which follows PyTorch's torch.optim.SGD step for step.
 */
#ifndef OPTIM_H
#define OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The learning rate of epoch `epoch` (counted from 0):
 *   constant  eta_0
 *   step      eta_0 * gamma^floor(epoch / every)
 *   cosine    eta_0 * (1 + cos(pi * epoch / epochs)) / 2 */
double optim_learning_rate(const struct training_config *tc, size_t epoch);

/* Whether the optimizer keeps a momentum buffer. */
bool optim_uses_velocity(const struct training_config *tc);

/* One update of params from grad, the gradient SUMMED over a batch of
 * batch_size samples (its mean is taken here; grad is left holding the
 * mean plus weight decay). velocity is NULL without momentum; `first`
 * makes this the buffer's first step (v = g). Shares the work of an
 * enclosing OpenMP team like a kernel. */
void optim_step(const struct training_config *tc, double learning_rate,
                float *params, float *velocity, float *grad, size_t n,
                size_t batch_size, bool first);

#endif
