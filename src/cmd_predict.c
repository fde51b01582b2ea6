/*
 * backprop predict WEIGHTS [DATA|-]: one CSV row of predictions per input
 * row, in input order, with a header. Classification nets write the
 * predicted class (its name from data.classes when given) and, with
 * --proba, one probability column per class; regression nets write their
 * outputs. The input may or may not carry the label/target columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "metrics.h"
#include "model.h"
#include "trainer.h"

enum { OPT_PROBA = CLI_OPT_FIRST_OWN };

static const struct option_spec predict_options[] = {
    {OPT_PROBA, "proba", 0, NULL, "also write each class's probability"},
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads"},
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

/* Writes the CSV field prefix followed by s, quoted as one field when s
 * needs it (RFC 4180): the prefix goes inside the quotes. */
static void put_field(const char *prefix, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(prefix, stdout);
        fputs(s, stdout);
        return;
    }
    putchar('"');
    fputs(prefix, stdout);
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void put_class(const struct config *cfg, const char *prefix, size_t c)
{
    if (cfg->data.n_classes)
        put_field(prefix, cfg->data.classes[c]);
    else
        printf("%s%zu", prefix, c);
}

static void write_header(const struct config *cfg, size_t classes,
                         size_t outputs, bool proba)
{
    if (!classes) {
        for (size_t k = 0; k < outputs; k++) {
            if (k)
                putchar(',');
            const struct column_ref *t =
                k < cfg->data.n_targets ? &cfg->data.targets[k] : NULL;
            if (t && t->name)
                put_field("", t->name);
            else
                printf("output%zu", k);
        }
        putchar('\n');
        return;
    }
    fputs("class", stdout);
    if (proba)
        for (size_t c = 0; c < classes; c++) {
            putchar(',');
            put_class(cfg, "p_", c);
        }
    putchar('\n');
}

static void write_row(const struct config *cfg, const float *y,
                      size_t classes, size_t outputs, bool proba)
{
    if (!classes) {
        for (size_t k = 0; k < outputs; k++)
            printf(k ? ",%.9g" : "%.9g", (double)y[k]);
        putchar('\n');
        return;
    }
    put_class(cfg, "", metrics_predicted_class(y, outputs));
    if (proba) {
        if (outputs == 1)
            printf(",%.9g,%.9g", (double)(1.0f - y[0]), (double)y[0]);
        else
            for (size_t k = 0; k < outputs; k++)
                printf(",%.9g", (double)y[k]);
    }
    putchar('\n');
}

static int predict(const char *weights, const char *data, bool proba,
                   int threads, struct bp_error *err)
{
    struct model m;
    struct dataset ds = {0};
    float *y = NULL;
    int rc = -1;
    if (model_load(&m, weights, true, err) < 0)
        return -1;
    if (model_load_data(&m, data, true, threads, &ds, err) < 0)
        goto out;
    size_t outputs = network_outputs(&m.net);
    y = malloc((ds.n_rows ? ds.n_rows : 1) * outputs * sizeof *y);
    if (!y) {
        bp_error_set(err, BP_ENOMEM, "out of memory for %zu predictions",
                     ds.n_rows);
        goto out;
    }
    if (trainer_predict(&m.net, &ds, threads, y, err) < 0)
        goto out;
    size_t classes = config_class_count(&m.cfg);
    write_header(&m.cfg, classes, outputs, proba);
    for (size_t r = 0; r < ds.n_rows; r++)
        write_row(&m.cfg, y + r * outputs, classes, outputs, proba);
    rc = 0;
out:
    free(y);
    dataset_free(&ds);
    model_free(&m);
    return rc;
}

int cmd_predict(int argc, char **argv, struct bp_error *err)
{
    struct args_result r;
    if (args_collect("predict", argc, argv, predict_options, 2, &r, err) < 0)
        return -1;
    if (r.given[CLI_OPT_HELP]) {
        printf("usage: backprop predict WEIGHTS [DATA|-] [options]\n\n"
               "Writes one CSV row of predictions per row of DATA "
               "(default: stdin).\n\noptions:\n");
        args_print_options(predict_options, stdout);
        return 0;
    }
    const char *weights, *data;
    int threads;
    if (cli_file_and_data("predict", "WEIGHTS", &r, true, &weights, &data,
                          err) < 0 ||
        cli_threads(&r, &threads, err) < 0)
        return -1;
    return predict(weights, data, r.given[OPT_PROBA], threads, err);
}
