/*
 * metrics: scores of a network's outputs against known targets, for
 * `backprop eval`.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"

/* The predicted class of one output row: the largest output (the first on
 * ties), or output >= 0.5 for a single sigmoid unit. */
size_t metrics_predicted_class(const float *y, size_t outputs);

struct classification_metrics {
    size_t classes;
    size_t *confusion;  /* [classes][classes]: row = true, column = predicted */
    double accuracy;
    double *precision;  /* [classes]; NaN where nothing was predicted */
    double *recall;     /* [classes]; NaN where the class never occurs */
    double *f1;         /* [classes] */
    size_t samples, correct;
};

/* In parts, for rows that come in blocks: init, add each block in row
 * order, finish (which fills accuracy, precision, recall and f1). */
int metrics_classification_init(struct classification_metrics *m,
                                size_t classes, struct bp_error *err);
void metrics_classification_add(struct classification_metrics *m,
                                const float *y, size_t outputs,
                                const uint32_t *labels, size_t n);
void metrics_classification_finish(struct classification_metrics *m);

int metrics_classify(struct classification_metrics *m, const float *y,
                     size_t outputs, const uint32_t *labels, size_t n,
                     size_t classes, struct bp_error *err);
void metrics_classification_free(struct classification_metrics *m);

struct regression_metrics {
    double mse;   /* mean over samples and outputs of (y - t)^2 */
    double mae;   /* mean of |y - t| */
    double r2;    /* 1 - SS_res / SS_tot over all outputs; NaN if constant */
};

void metrics_regress(struct regression_metrics *m, const float *y,
                     const float *t, size_t n, size_t outputs);

/* Regression metrics in one pass over blocks of rows (zero-initialise,
 * add blocks in row order, finish): the errors summed in row order, the
 * targets' spread from sums shifted by the first target. */
struct regression_sums {
    size_t count;
    double se, ae, shift, t_sum, t_sq;
};
void metrics_regression_add(struct regression_sums *s, const float *y,
                            const float *t, size_t n, size_t outputs);
void metrics_regression_finish(const struct regression_sums *s,
                               struct regression_metrics *m);

#endif
