/*
 * normalize: per-feature input scaling (data.normalize), computed on the
 * training rows, saved with the weights, and applied again to every later
 * input as x' = (x - mean[i]) / std[i] in float arithmetic, so training,
 * predict and eval scale a value identically.
 *
 *   standard   mean and (population) standard deviation; a constant
 *              feature gets std 1
 *   minmax     mean = min, std = max - min (1 for a constant feature)
 *   scale X    mean = 0, std = 1 / X
 *   none       n = 0, nothing applied
 */
#ifndef NORMALIZE_H
#define NORMALIZE_H

#include "bp_error.h"
#include "config.h"
#include "dataset.h"

/* Computes statistics of ds's features (sums in double, row order).
 * Fills *nz (freed with normalization_free). */
int normalization_compute(struct normalization *nz, enum normalize_kind kind,
                          double scale, const struct dataset *ds,
                          struct bp_error *err);

/* Applies *nz to ds's features in place; a no-op when nz->n is 0. */
void normalization_apply(const struct normalization *nz, struct dataset *ds);

/* Deep copy (dst is overwritten). */
int normalization_copy(struct normalization *dst,
                       const struct normalization *src, struct bp_error *err);

void normalization_free(struct normalization *nz);

#endif
