/*
 * small_net: the training pass of a whole network fused sample by sample
 * in scalar code on the calling thread, for networks so small (the 1-1-1
 * seed example, xor's 2-2-1) that the kernels' tiling, per-call work
 * sharing and a dozen calls per step cost more than the arithmetic.
 *
 * It does the kernels' arithmetic in the kernels' order (kernel_math.h
 * holds the shared formulas and states the order), so its results are
 * bit-identical to network_forward + network_loss + network_backward for
 * any network; small_net_fits says when it is the faster of the two. The
 * trainer takes it whenever a network fits and the step runs on one
 * thread, a choice that depends on the network alone, never on the thread
 * count.
 */
#ifndef SMALL_NET_H
#define SMALL_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "network.h"

/* A network fits when every layer's fan-in is below this: each sum is then
 * shorter than the narrowest vector of any kernel build. */
#define SMALL_NET_FAN_IN 8

bool small_net_fits(const struct network *net);

/* The equivalent of network_forward, network_loss and network_backward on
 * ws->x[0..n) against ws->t: fills ws->logits, every ws->out, every
 * ws->delta and ws->loss, and writes the SUM of the per-sample gradients
 * into grad ([n_params]). Not for use inside a parallel region (it does
 * not share out its work). */
void small_net_backprop(const struct network *net, struct workspace *ws,
                        size_t n, float *grad);

/* A whole training step: small_net_backprop, then kernel_sgd_step on the
 * parameters and velocity ([n_params], NULL without momentum), fused: each
 * sum is applied as the last sample completes it, so grad ([n_params]) is
 * scratch for partial sums. The parameters end bit for bit as the two
 * calls in turn would leave them. */
void small_net_step(struct network *net, struct workspace *ws, size_t n,
                    float *grad, float *velocity,
                    const struct kernel_sgd *sgd);

#endif
