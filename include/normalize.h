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
 *
 * A value whose x' is no finite float (3e38 with a mean of -1e38: the
 * subtraction overflows) is bad input, found where x' is computed: the
 * arithmetic of every other value is the same as without the check.
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
 * input. An input with no value at all is an error naming its column
 * (dataset_where). */
int imputation_compute(struct imputation *im, const struct dataset *ds,
                       struct bp_error *err);

/* Replaces each NaN of x ([rows][im->n]) by its input's mean; a no-op
 * when im->n is 0. */
void imputation_apply(const struct imputation *im, float *x, size_t rows);

int imputation_copy(struct imputation *dst, const struct imputation *src,
                    struct bp_error *err);
void imputation_free(struct imputation *im);

/* normalization_apply on rows of features x ([rows][nz->n]). Returns
 * the index in x of the first value whose x' is not a finite float
 * (*bad: that value before), or SIZE_MAX when there is none; every value
 * is normalised either way. */
size_t normalization_rows(const struct normalization *nz, float *x,
                          size_t rows, float *bad);

/* Applies *nz (made by data.normalize `kind`) to ds's features in place;
 * a no-op when nz->n is 0. A value whose x' is not a finite float is
 * normalization_error's BP_EINPUT at the cell it came from
 * (dataset_where): 0 or -1. */
int normalization_apply(const struct normalization *nz,
                        enum normalize_kind kind, struct dataset *ds,
                        struct bp_error *err);

/* The error for `value`, read at FILE:LINE:COL in the column `name`
 * (quoted for a message; NULL: no header), whose x' under `kind` is not a finite float. -1. */
int normalization_error(enum normalize_kind kind, const char *file,
                        size_t line, size_t col, const char *name,
                        float value, struct bp_error *err);

/* Deep copy (dst is overwritten). */
int normalization_copy(struct normalization *dst,
                       const struct normalization *src, struct bp_error *err);

void normalization_free(struct normalization *nz);

#endif
