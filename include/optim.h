/*
 * optim: the learning-rate schedule and the SGD update of SPEC section 7,
 * which follows PyTorch's torch.optim.SGD step for step.
 */
#ifndef OPTIM_H
#define OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "kernels.h"

/* The learning rate of epoch `epoch` (counted from 0):
 *   constant  eta_0
 *   step      eta_0 * gamma^floor(epoch / every)
 *   cosine    eta_0 * (1 + cos(pi * epoch / epochs)) / 2 */
double optim_learning_rate(const struct training_config *tc, size_t epoch);

/* Whether the optimizer keeps a momentum buffer. */
bool optim_uses_velocity(const struct training_config *tc);

/* The kernels' settings for one step over a batch of batch_size samples
 * at this learning rate; `first` makes it the velocity's first step
 * (v = g). */
struct kernel_sgd optim_sgd(const struct training_config *tc,
                            double learning_rate, size_t batch_size,
                            bool first);

/* One update of params from grad, the gradient SUMMED over a batch of
 * batch_size samples (its mean is taken here). velocity is NULL without
 * momentum. Shares the work of an enclosing OpenMP team like a kernel. */
void optim_step(const struct training_config *tc, double learning_rate,
                float *params, float *velocity, const float *grad, size_t n,
                size_t batch_size, bool first);

#endif
