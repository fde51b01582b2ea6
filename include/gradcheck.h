/*
 * gradcheck: back-propagated gradients against central finite differences.
 *
 * The analytic side is the trainer's own float32 forward and backward
 * pass (the mean gradient of a block of samples). The numeric side is a
 * separate, naive double-precision forward pass, differentiated by central
 * differences, so the comparison measures the float32 code, not the
 * rounding of the differences.
 *
 * Error of one parameter: |analytic - numeric| / max(|analytic|, |numeric|,
 * floor), where floor is GRADCHECK_FLOOR times the largest numeric gradient
 * magnitude: gradients that small are compared on the scale of the large
 * ones, where float32 can resolve them.
 */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "network.h"

/* float32 has a 2^-24 (6e-8) unit roundoff; a forward and backward pass
 * through a few layers of a few hundred inputs accumulates a few hundred
 * of them in the worst case, about 1e-5. The tolerance leaves a factor of
 * 100 above that; a wrong formula (a missing factor, a wrong sign) errs
 * by 1e-1 or more. */
#define GRADCHECK_TOLERANCE 1e-3
#define GRADCHECK_FLOOR 1e-3
/* At most this many parameters are differenced (a seeded sample of them
 * in larger networks): each costs two forward passes. */
#define GRADCHECK_MAX_PARAMS 4000

struct gradcheck_result {
    double worst_error;      /* largest error over the checked parameters */
    size_t worst_index;      /* its index in the parameter buffer */
    double worst_analytic;
    double worst_numeric;
    size_t checked;          /* parameters compared */
    double largest_numeric;  /* 0 means the check was vacuous */
};

/* Checks net on the n samples x [n][input] with dense targets
 * t [n][outputs]. `seed` picks the sample of parameters in large nets. */
int gradcheck_run(const struct network *net, const float *x, const float *t,
                  size_t n, uint64_t seed, struct gradcheck_result *result,
                  struct bp_error *err);

/* Mean loss of the double-precision reference pass at parameters p
 * ([n_params]); exposed for tests. */
double gradcheck_reference_loss(const struct network *net, const double *p,
                                const float *x, const float *t, size_t n);

/* Names parameter `index` as "layers[L].weights[J][I]" or
 * "layers[L].bias[J]" into buf. */
void gradcheck_param_name(const struct network *net, size_t index, char *buf,
                          size_t size);

#endif
