/*
 * normalize: per-feature statistics and their application. See
 * normalize.h. Statistics are summed in double in row order, so they do
 * not depend on anything but the rows; they are stored and applied in
 * float, the precision the weights file keeps.
 */
#include "normalize.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int alloc_stats(struct normalization *nz, size_t n,
                       struct bp_error *err)
{
    nz->n = n;
    nz->mean = calloc(n ? n : 1, sizeof *nz->mean);
    nz->std = calloc(n ? n : 1, sizeof *nz->std);
    if (!nz->mean || !nz->std) {
        normalization_free(nz);
        return bp_error_set(err, BP_ENOMEM, "data.normalize: out of memory");
    }
    return 0;
}

/* mean and population standard deviation, two passes over the rows (the
 * one-pass sum-of-squares formula cancels badly for large means). */
static void standard_stats(struct normalization *nz, const struct dataset *ds)
{
    size_t n = ds->n_rows, nf = ds->n_features;
    for (size_t j = 0; j < nf; j++) {
        double sum = 0;
        for (size_t r = 0; r < n; r++)
            sum += ds->x[r * nf + j];
        double mean = n ? sum / (double)n : 0;
        double ss = 0;
        for (size_t r = 0; r < n; r++) {
            double d = ds->x[r * nf + j] - mean;
            ss += d * d;
        }
        float std = n ? (float)sqrt(ss / (double)n) : 0.0f;
        nz->mean[j] = (float)mean;
        /* A constant feature (or one whose spread vanishes in float)
         * is only shifted. */
        nz->std[j] = std > 0 ? std : 1.0f;
    }
}

static int minmax_stats(struct normalization *nz, const struct dataset *ds,
                        struct bp_error *err)
{
    size_t n = ds->n_rows, nf = ds->n_features;
    for (size_t j = 0; j < nf; j++) {
        float lo = n ? ds->x[j] : 0.0f, hi = lo;
        for (size_t r = 1; r < n; r++) {
            float v = ds->x[r * nf + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        float range = hi - lo; /* float, as apply() will divide by it */
        if (isinf(range))
            return bp_error_set(err, BP_EINPUT, "data.normalize: feature %zu "
                                "spans %g..%g, wider than float range; use "
                                "\"none\" (\"standard\" takes such values "
                                "only when none is more than float range "
                                "from their mean)", j, (double)lo, (double)hi);
        nz->mean[j] = lo;
        nz->std[j] = range > 0 ? range : 1.0f;
    }
    return 0;
}

static int compute(struct normalization *nz, enum normalize_kind kind,
                   double scale, const struct dataset *ds,
                   struct bp_error *err)
{
    size_t nf = ds->n_features;
    memset(nz, 0, sizeof *nz);
    switch (kind) {
    case NORMALIZE_NONE:
        return 0;
    case NORMALIZE_STANDARD:
        if (alloc_stats(nz, nf, err) != 0)
            return -1;
        standard_stats(nz, ds);
        return 0;
    case NORMALIZE_MINMAX:
        if (alloc_stats(nz, nf, err) != 0)
            return -1;
        if (minmax_stats(nz, ds, err) != 0) {
            normalization_free(nz);
            return -1;
        }
        return 0;
    case NORMALIZE_SCALE: {
        float std = (float)(1.0 / scale);
        if (!(isfinite(std) && std != 0))
            return bp_error_set(err, BP_EINPUT, "data.normalize.scale: %g "
                                "gives no usable float divisor", scale);
        if (alloc_stats(nz, nf, err) != 0)
            return -1;
        for (size_t j = 0; j < nf; j++) {
            nz->mean[j] = 0.0f;
            nz->std[j] = std;
        }
        return 0;
    }
    }
    return bp_error_set(err, BP_EINTERNAL, "data.normalize: unknown kind %d",
                        (int)kind);
}

/* One-hot inputs are left as they are (SPEC section 5a): x' = (x - 0) / 1
 * is x exactly. */
static void skip_onehot(struct normalization *nz, const struct dataset *ds)
{
    for (size_t j = 0; ds->onehot && j < nz->n; j++)
        if (ds->onehot[j]) {
            nz->mean[j] = 0.0f;
            nz->std[j] = 1.0f;
        }
}

int normalization_compute(struct normalization *nz, enum normalize_kind kind,
                          double scale, const struct dataset *ds,
                          struct bp_error *err)
{
    if (compute(nz, kind, scale, ds, err) != 0)
        return -1;
    skip_onehot(nz, ds);
    return 0;
}

int imputation_compute(struct imputation *im, const struct dataset *ds,
                       struct bp_error *err)
{
    size_t n = ds->n_rows, nf = ds->n_features;
    im->n = nf;
    im->mean = malloc((nf ? nf : 1) * sizeof *im->mean);
    if (!im->mean) {
        im->n = 0;
        return bp_error_set(err, BP_ENOMEM, "data.missing: out of memory");
    }
    for (size_t j = 0; j < nf; j++) {
        if (ds->onehot && ds->onehot[j]) {
            im->mean[j] = NAN;
            continue;
        }
        double sum = 0;
        size_t count = 0;
        for (size_t r = 0; r < n; r++) {
            float v = ds->x[r * nf + j];
            if (!isnan(v)) {
                sum += v;
                count++;
            }
        }
        if (count == 0) {
            imputation_free(im);
            size_t line, col;
            const char *name;
            dataset_where(ds, 0, j, &line, &col, &name);
            if (name)
                return bp_error_set(err, BP_EINPUT, "data.missing: column "
                                    "%s has no value in the training rows "
                                    "to take the mean of", name);
            return bp_error_set(err, BP_EINPUT, "data.missing: column index "
                                "%zu has no value in the training rows to "
                                "take the mean of", col - 1);
        }
        im->mean[j] = (float)(sum / (double)count);
    }
    return 0;
}

void imputation_apply(const struct imputation *im, float *x, size_t rows)
{
    size_t nf = im->n;
    if (nf == 0)
        return;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < nf; j++)
            if (isnan(x[r * nf + j]))
                x[r * nf + j] = im->mean[j];
}

int imputation_copy(struct imputation *dst, const struct imputation *src,
                    struct bp_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (src->n == 0)
        return 0;
    dst->mean = malloc(src->n * sizeof *dst->mean);
    if (!dst->mean)
        return bp_error_set(err, BP_ENOMEM, "data.missing: out of memory");
    dst->n = src->n;
    memcpy(dst->mean, src->mean, src->n * sizeof *dst->mean);
    return 0;
}

void imputation_free(struct imputation *im)
{
    if (!im)
        return;
    free(im->mean);
    memset(im, 0, sizeof *im);
}

size_t normalization_rows(const struct normalization *nz, float *x,
                          size_t rows, float *bad)
{
    size_t first = SIZE_MAX;
    if (nz->n == 0)
        return first;
    size_t nf = nz->n;
    const float *mean = nz->mean, *std = nz->std;
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * nf;
        /* The row is checked before it is written (its values are for
         * the message), in loops of their own that stay vectorised: the
         * same x' twice costs less than a scalar loop that checks as it
         * goes. */
        if (first == SIZE_MAX) {
            int out = 0;
            for (size_t j = 0; j < nf; j++)
                out |= !(fabsf((v[j] - mean[j]) / std[j]) <= FLT_MAX);
            for (size_t j = 0; out && j < nf; j++)
                if (!isfinite((v[j] - mean[j]) / std[j])) {
                    first = r * nf + j;
                    *bad = v[j];
                    break;
                }
        }
        for (size_t j = 0; j < nf; j++)
            v[j] = (v[j] - mean[j]) / std[j];
    }
    return first;
}

int normalization_apply(const struct normalization *nz,
                        enum normalize_kind kind, struct dataset *ds,
                        struct bp_error *err)
{
    if (nz->n == 0)
        return 0;
    size_t nf = ds->n_features;
    assert(nz->n == nf);
    float value;
    size_t at = normalization_rows(nz, ds->x, ds->n_rows, &value);
    if (at == SIZE_MAX)
        return 0;
    size_t line, col;
    const char *name;
    dataset_where(ds, at / nf, at % nf, &line, &col, &name);
    return normalization_error(kind, ds->file ? ds->file : "data", line, col,
                               name, value, err);
}

int normalization_error(enum normalize_kind kind, const char *file,
                        size_t line, size_t col, const char *name,
                        float value, struct bp_error *err)
{
    char in[512] = "";
    if (name)
        snprintf(in, sizeof in, " in column %s", name);
    const char *far = kind == NORMALIZE_SCALE
                          ? "is too large for float"
                      : kind == NORMALIZE_MINMAX
                          ? "is too far from the column's training minimum "
                            "for float"
                          : "is too far from the column's mean for float";
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: %g%s %s after %s "
                        "normalization (data.normalize \"none\" keeps it)",
                        file, line, col, (double)value, in, far,
                        normalize_name(kind));
}

int normalization_copy(struct normalization *dst,
                       const struct normalization *src, struct bp_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (src->n == 0)
        return 0;
    if (alloc_stats(dst, src->n, err) != 0)
        return -1;
    memcpy(dst->mean, src->mean, src->n * sizeof *dst->mean);
    memcpy(dst->std, src->std, src->n * sizeof *dst->std);
    return 0;
}

void normalization_free(struct normalization *nz)
{
    if (!nz)
        return;
    free(nz->mean);
    free(nz->std);
    memset(nz, 0, sizeof *nz);
}
