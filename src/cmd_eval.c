/*
 * backprop eval WEIGHTS [DATA|-]: scores the network on labelled data and
 * writes one JSON object: the loss and, for classification, accuracy,
 * per-class precision/recall/F1 and the confusion matrix; for regression
 * MSE, MAE and R^2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "json_writer.h"
#include "metrics.h"
#include "model.h"
#include "trainer.h"

enum { OPT_QUIET = CLI_OPT_FIRST_OWN };

static const struct option_spec eval_options[] = {
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads"},
    {OPT_QUIET, "quiet", 'q', NULL,
     "no messages but errors (dropped rows, warnings)"},
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

static void double_array(struct json_writer *w, const double *x, size_t n)
{
    json_begin_array(w, false);
    for (size_t i = 0; i < n; i++)
        json_double(w, x[i]);
    json_end_array(w);
}

static void write_classification(struct json_writer *w, const struct model *m,
                                 const struct classification_metrics *cm)
{
    json_key(w, "accuracy");
    json_double(w, cm->accuracy);
    json_key(w, "classes");
    json_begin_array(w, false);
    for (size_t c = 0; c < cm->classes; c++) {
        if (m->cfg.data.n_classes) {
            json_string(w, m->cfg.data.classes[c]);
        } else {
            json_size(w, c);
        }
    }
    json_end_array(w);
    json_key(w, "precision");
    double_array(w, cm->precision, cm->classes);
    json_key(w, "recall");
    double_array(w, cm->recall, cm->classes);
    json_key(w, "f1");
    double_array(w, cm->f1, cm->classes);
    json_key(w, "confusion");
    json_begin_array(w, true);
    for (size_t c = 0; c < cm->classes; c++) {
        json_begin_array(w, false);
        for (size_t k = 0; k < cm->classes; k++)
            json_size(w, cm->confusion[c * cm->classes + k]);
        json_end_array(w);
    }
    json_end_array(w);
}

struct eval_run {
    size_t outputs;
    bool classes;
    struct classification_metrics cm;
    struct regression_sums rs;
    size_t samples;
};

/* Each block's rows added in row order: the metrics do not depend on the
 * block size. */
static int add_block(void *ctx, const struct scored_block *b,
                     struct bp_error *err)
{
    struct eval_run *e = ctx;
    (void)err;
    if (e->classes)
        metrics_classification_add(&e->cm, b->outputs, e->outputs, b->label,
                                   b->kept);
    else
        metrics_regression_add(&e->rs, b->outputs, b->y, b->kept,
                               e->outputs);
    e->samples += b->kept;
    return 0;
}

static int evaluate(const char *weights, const char *data, int threads,
                    bool quiet, struct bp_error *err)
{
    struct model m;
    struct eval_run e = {0};
    char *text = NULL, *warning = NULL;
    int rc = -1;
    if (model_load(&m, weights, true, err) < 0)
        return -1;
    e.outputs = network_outputs(&m.net);
    size_t classes = config_class_count(&m.cfg);
    e.classes = classes > 0;
    if (e.classes && metrics_classification_init(&e.cm, classes, err) < 0)
        goto out;
    double loss_sum = 0.0;
    size_t dropped;
    if (model_score(&m, data, true, NULL, 0, threads, &loss_sum, &dropped,
                    &warning, add_block, &e, err) < 0)
        goto out;
    if (warning && !quiet)
        fprintf(stderr, "backprop: warning: %s\n", warning);
    if (dropped && !quiet)
        fprintf(stderr, "backprop: %s: dropped %zu row%s with missing cells "
                "(%zu left)\n", strcmp(data, "-") == 0 ? "<stdin>" : data,
                dropped, dropped == 1 ? "" : "s", e.samples);
    if (e.samples == 0) {
        bp_error_set(err, BP_EINPUT, "%s: no rows left to score: every row "
                     "has a missing cell", data);
        goto out;
    }

    struct json_writer w;
    json_writer_init(&w, false);
    json_begin_object(&w);
    json_key(&w, "samples");
    json_size(&w, e.samples);
    json_key(&w, "loss");
    json_double(&w, loss_sum / (double)e.samples);
    if (e.classes) {
        metrics_classification_finish(&e.cm);
        write_classification(&w, &m, &e.cm);
    } else {
        struct regression_metrics rm;
        metrics_regression_finish(&e.rs, &rm);
        json_key(&w, "mse");
        json_double(&w, rm.mse);
        json_key(&w, "mae");
        json_double(&w, rm.mae);
        json_key(&w, "r2");
        json_double(&w, rm.r2);
    }
    json_end_object(&w);
    size_t len;
    text = json_writer_finish(&w, &len, err);
    if (!text)
        goto out;
    fwrite(text, 1, len, stdout);
    rc = 0;
out:
    metrics_classification_free(&e.cm);
    free(text);
    free(warning);
    model_free(&m);
    return rc;
}

int cmd_eval(int argc, char **argv, struct bp_error *err)
{
    struct args_result r;
    if (args_collect("eval", argc, argv, eval_options, 2, &r, err) < 0)
        return -1;
    if (r.given[CLI_OPT_HELP]) {
        printf("usage: backprop eval WEIGHTS [DATA|-] [options]\n\n"
               "Scores the network on labelled DATA (default: stdin) and "
               "writes one\nJSON object of metrics.\n\noptions:\n");
        args_print_options(eval_options, stdout);
        return 0;
    }
    const char *weights, *data;
    int threads;
    if (cli_file_and_data("eval", "WEIGHTS", &r, true, &weights, &data,
                          err) < 0 ||
        cli_threads(&r, &threads, err) < 0)
        return -1;
    return evaluate(weights, data, threads, r.given[OPT_QUIET], err);
}
