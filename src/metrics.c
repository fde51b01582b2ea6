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

int metrics_classification_init(struct classification_metrics *m,
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
    return 0;
}

void metrics_classification_add(struct classification_metrics *m,
                                const float *y, size_t outputs,
                                const uint32_t *labels, size_t n)
{
    for (size_t s = 0; s < n; s++) {
        size_t p = metrics_predicted_class(y + s * outputs, outputs);
        m->confusion[labels[s] * m->classes + p]++;
        m->samples++;
        m->correct += p == labels[s];
    }
}

void metrics_classification_finish(struct classification_metrics *m)
{
    size_t classes = m->classes, n = m->samples;
    m->accuracy = n ? (double)m->correct / (double)n : NAN;
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
}

int metrics_classify(struct classification_metrics *m, const float *y,
                     size_t outputs, const uint32_t *labels, size_t n,
                     size_t classes, struct bp_error *err)
{
    if (metrics_classification_init(m, classes, err) < 0)
        return -1;
    metrics_classification_add(m, y, outputs, labels, n);
    metrics_classification_finish(m);
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

void metrics_regression_add(struct regression_sums *s, const float *y,
                            const float *t, size_t n, size_t outputs)
{
    size_t count = n * outputs;
    if (count && !s->count)
        s->shift = t[0];
    for (size_t k = 0; k < count; k++) {
        double d = (double)y[k] - (double)t[k];
        double c = (double)t[k] - s->shift;
        s->se += d * d;
        s->ae += fabs(d);
        s->t_sum += c;
        s->t_sq += c * c;
    }
    s->count += count;
}

void metrics_regression_finish(const struct regression_sums *s,
                               struct regression_metrics *m)
{
    double n = (double)s->count;
    /* Sums shifted by the first target: the spread of the targets
     * without the cancellation of a large mean. */
    double total = s->count ? s->t_sq - s->t_sum * s->t_sum / n : 0;
    m->mse = s->count ? s->se / n : NAN;
    m->mae = s->count ? s->ae / n : NAN;
    m->r2 = total > 0 ? 1.0 - s->se / total : NAN;
}
