/*
 * gradcheck: back-propagated gradients against central finite differences.
 *
 * The analytic side is the trainer's own float32 forward and backward
 * pass (the mean gradient of a block of samples). The numeric side is a
 * separate, naive double-precision forward pass, differentiated by central
 * differences, so the comparison measures the float32 code, not the
 * rounding of the differences.
 *
 * Each parameter is judged as numpy.allclose judges a pair:
 *     |analytic - numeric| <= atol + rtol * |numeric|
 * with rtol GRADCHECK_RTOL and an absolute floor atol of GRADCHECK_ATOL
 * times the largest numeric gradient magnitude: float32 sums resolve a
 * gradient only to a fraction of the terms they add, which are on the
 * scale of the large gradients, so a near-zero gradient is judged on that
 * scale (a trained network's -2.086e-06 against -2.083e-06 is noise, not
 * a wrong derivative). The worst parameter is the one with the largest
 * |analytic - numeric| / (atol + rtol * |numeric|); it passes at 1 or
 * less.
 */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "network.h"

/* float32 has a 2^-24 (6e-8) unit roundoff; a forward and backward pass
 * through a few layers of a few hundred inputs accumulates a few hundred
 * of them in the worst case, about 1e-5 of the terms' scale. Both bounds
 * leave a factor of 10 to 100 above that; a wrong formula (a missing
 * factor, a wrong sign, a derivative taken at a kink) errs by 1e-1 of the
 * gradient or more. */
#define GRADCHECK_RTOL 1e-3
#define GRADCHECK_ATOL 1e-4
/* At most this many parameters are differenced (a seeded sample of them
 * in larger networks): each costs two forward passes. */
#define GRADCHECK_MAX_PARAMS 4000

struct gradcheck_result {
    double worst_score;      /* largest |a - n| / (atol + rtol |n|) */
    double worst_error;      /* that parameter's relative error,
                              * |a - n| / max(|a|, |n|) (0 when both 0) */
    size_t worst_index;      /* its index in the parameter buffer */
    double worst_analytic;
    double worst_numeric;
    double atol;             /* the absolute floor used */
    double rtol;
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
