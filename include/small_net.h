/*
 * small_net: the training pass of a network whose every layer has a fan-in
 * below KERNEL_CHAIN_FAN_IN (kernel_math.h), such as the 1-1-1 seed
 * example or xor's 2-2-1, fused sample by sample in scalar code on the
 * calling thread.
 *
 * For such networks the work per step is a few dozen multiply-adds, and
 * the blocked kernels' tiling, per-call work sharing and a dozen calls per
 * step cost more than the arithmetic. This path does the same arithmetic
 * in the same order (kernel_math.h holds the shared formulas), so its
 * results are bit-identical to network_forward + network_loss +
 * network_backward; the trainer uses it whenever a network fits and the
 * step runs on one thread, which keeps results independent of the thread
 * count.
 */
#ifndef SMALL_NET_H
#define SMALL_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "network.h"

/* Whether every layer's fan-in is below KERNEL_CHAIN_FAN_IN. */
bool small_net_fits(const struct network *net);

/* The equivalent of network_forward, network_loss and network_backward on
 * ws->x[0..n) against ws->t: fills ws->logits, every ws->out, every
 * ws->delta and ws->loss, and writes the SUM of the per-sample gradients
 * into grad ([n_params]). Requires small_net_fits(net); not for use inside
 * a parallel region (it does not share out its work). */
void small_net_backprop(const struct network *net, struct workspace *ws,
                        size_t n, float *grad);

#endif
