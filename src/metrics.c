/* metrics: see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t metrics_predicted_class(const float *y, size_t outputs)
{
    if (outputs == 1)
        return y[0] >= 0.5f;
    size_t best = 0;
    for (size_t k = 1; k < outputs; k++)
        if (y[k] > y[best])
            best = k;
    return best;
}

int metrics_classify(struct classification_metrics *m, const float *y,
                     size_t outputs, const uint32_t *labels, size_t n,
                     size_t classes, struct bp_error *err)
{
    memset(m, 0, sizeof *m);
    m->classes = classes;
    m->confusion = calloc(classes * classes, sizeof *m->confusion);
    m->precision = calloc(classes, sizeof *m->precision);
    m->recall = calloc(classes, sizeof *m->recall);
    m->f1 = calloc(classes, sizeof *m->f1);
    if (!m->confusion || !m->precision || !m->recall || !m->f1) {
        metrics_classification_free(m);
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    size_t correct = 0;
    for (size_t s = 0; s < n; s++) {
        size_t p = metrics_predicted_class(y + s * outputs, outputs);
        m->confusion[labels[s] * classes + p]++;
        correct += p == labels[s];
    }
    m->accuracy = n ? (double)correct / (double)n : NAN;
    for (size_t c = 0; c < classes; c++) {
        size_t tp = m->confusion[c * classes + c], predicted = 0, actual = 0;
        for (size_t k = 0; k < classes; k++) {
            predicted += m->confusion[k * classes + c];
            actual += m->confusion[c * classes + k];
        }
        m->precision[c] = predicted ? (double)tp / (double)predicted : NAN;
        m->recall[c] = actual ? (double)tp / (double)actual : NAN;
        double pr = m->precision[c], rc = m->recall[c];
        m->f1[c] = isnan(pr) || isnan(rc) ? NAN
                   : pr + rc > 0          ? 2 * pr * rc / (pr + rc)
                                          : 0.0;
    }
    return 0;
}

void metrics_classification_free(struct classification_metrics *m)
{
    free(m->confusion);
    free(m->precision);
    free(m->recall);
    free(m->f1);
    memset(m, 0, sizeof *m);
}

void metrics_regress(struct regression_metrics *m, const float *y,
                     const float *t, size_t n, size_t outputs)
{
    size_t count = n * outputs;
    double se = 0, ae = 0, mean = 0;
    for (size_t k = 0; k < count; k++)
        mean += t[k];
    mean = count ? mean / (double)count : 0;
    double total = 0;
    for (size_t k = 0; k < count; k++) {
        double d = (double)y[k] - (double)t[k];
        se += d * d;
        ae += fabs(d);
        total += ((double)t[k] - mean) * ((double)t[k] - mean);
    }
    m->mse = count ? se / (double)count : NAN;
    m->mae = count ? ae / (double)count : NAN;
    m->r2 = total > 0 ? 1.0 - se / total : NAN;
}
