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
 *
 * One-hot inputs (dataset.onehot) get mean 0 and std 1: untouched.
 * The module also holds data.missing "mean"'s imputation, the other
 * statistic computed on the training rows and applied to later inputs.
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

/* data.missing "mean" (SPEC section 5a): each numeric input's mean over
 * the training rows that have it (double, row order), NaN for a one-hot
 * input. An input with no value at all is an error. */
int imputation_compute(struct imputation *im, const struct dataset *ds,
                       struct bp_error *err);

/* Replaces each NaN of x ([rows][im->n]) by its input's mean; a no-op
 * when im->n is 0. */
void imputation_apply(const struct imputation *im, float *x, size_t rows);

int imputation_copy(struct imputation *dst, const struct imputation *src,
                    struct bp_error *err);
void imputation_free(struct imputation *im);

/* normalization_apply on rows of features x ([rows][nz->n]). */
void normalization_rows(const struct normalization *nz, float *x,
                        size_t rows);

/* Applies *nz to ds's features in place; a no-op when nz->n is 0. */
void normalization_apply(const struct normalization *nz, struct dataset *ds);

/* Deep copy (dst is overwritten). */
int normalization_copy(struct normalization *dst,
                       const struct normalization *src, struct bp_error *err);

void normalization_free(struct normalization *nz);

#endif
