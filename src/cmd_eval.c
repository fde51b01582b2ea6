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

static const struct option_spec eval_options[] = {
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads"},
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

static int evaluate(const char *weights, const char *data, int threads,
                    struct bp_error *err)
{
    struct model m;
    struct dataset ds = {0};
    float *y = NULL;
    char *text = NULL;
    int rc = -1;
    if (model_load(&m, weights, true, err) < 0)
        return -1;
    if (model_load_data(&m, data, false, threads, &ds, err) < 0)
        goto out;
    size_t outputs = network_outputs(&m.net);
    y = malloc((ds.n_rows ? ds.n_rows : 1) * outputs * sizeof *y);
    if (!y) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    double loss, accuracy;
    if (trainer_evaluate(&m.net, &ds, threads, &loss, &accuracy, y, err) < 0)
        goto out;

    struct classification_metrics cm = {0};
    if (ds.n_classes && metrics_classify(&cm, y, outputs, ds.label, ds.n_rows,
                                         ds.n_classes, err) < 0)
        goto out;
    struct json_writer w;
    json_writer_init(&w, false);
    json_begin_object(&w);
    json_key(&w, "samples");
    json_size(&w, ds.n_rows);
    json_key(&w, "loss");
    json_double(&w, loss);
    if (ds.n_classes) {
        write_classification(&w, &m, &cm);
        metrics_classification_free(&cm);
    } else {
        struct regression_metrics rm;
        metrics_regress(&rm, y, ds.y, ds.n_rows, outputs);
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
    free(text);
    free(y);
    dataset_free(&ds);
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
    return evaluate(weights, data, threads, err);
}
