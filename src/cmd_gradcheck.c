/*
 * backprop gradcheck CONFIG [DATA|-]: back-propagated gradients of the
 * config's network (at its initial or stored weights) against finite
 * differences, on the first samples of the data, or on random samples when
 * the config names no data. Prints one JSON object; exits 1 when the worst
 * error exceeds the tolerance.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "gradcheck.h"
#include "json_writer.h"
#include "model.h"
#include "normalize.h"
#include "rng.h"
#include "trainer.h"

#define RNG_STREAM_SYNTHETIC 4

enum { OPT_SAMPLES = CLI_OPT_FIRST_OWN };

static const struct option_spec gradcheck_options[] = {
    {OPT_SAMPLES, "samples", 0, "N", "samples to check on (default 16)"},
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads reading DATA"},
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

static void print_help(void)
{
    printf("usage: backprop gradcheck CONFIG [DATA|-] [options]\n\n"
           "Compares the back-propagated gradient of the mean loss with "
           "central\nfinite differences (computed in double precision) on "
           "the first samples\nof DATA (default: the config's data.train; "
           "random samples if none).\nEach parameter passes as in "
           "numpy.allclose: |analytic - numeric| <=\natol + rtol * "
           "|numeric|, with rtol %g and atol %g times the largest\n"
           "numeric gradient. Dropout is not applied. Prints one JSON "
           "object;\nexits 1 if a parameter fails.\n\noptions:\n",
           GRADCHECK_RTOL, GRADCHECK_ATOL);
    args_print_options(gradcheck_options, stdout);
}

/* Random inputs in [-1, 1) and targets the network can reach. */
static void synthesize(const struct network *net, size_t n_classes, size_t n,
                       float *x, float *t)
{
    struct rng r = rng_create(1, RNG_STREAM_SYNTHETIC);
    size_t outputs = network_outputs(net);
    for (size_t k = 0; k < n * net->input; k++)
        x[k] = 2.0f * rng_uniform(&r) - 1.0f;
    for (size_t s = 0; s < n; s++) {
        float *ts = t + s * outputs;
        if (n_classes && outputs > 1) {
            size_t c = (size_t)rng_below(&r, outputs);
            for (size_t k = 0; k < outputs; k++)
                ts[k] = k == c ? 1.0f : 0.0f;
        } else if (n_classes) {
            ts[0] = (float)rng_below(&r, 2);
        } else {
            for (size_t k = 0; k < outputs; k++)
                ts[k] = rng_uniform(&r);
        }
    }
}

static int print_result(const struct network *net,
                        const struct gradcheck_result *res, size_t samples,
                        struct bp_error *err)
{
    char name[96];
    gradcheck_param_name(net, res->worst_index, name, sizeof name);
    bool passed = res->worst_score <= 1.0;
    double diff = fabs(res->worst_analytic - res->worst_numeric);
    double allowed = res->atol + res->rtol * fabs(res->worst_numeric);
    struct json_writer w;
    json_writer_init(&w, true);
    json_begin_object(&w);
    json_key(&w, "passed");
    json_bool(&w, passed);
    json_key(&w, "parameter");
    json_string(&w, name);
    json_key(&w, "analytic");
    json_double(&w, res->worst_analytic);
    json_key(&w, "numeric");
    json_double(&w, res->worst_numeric);
    json_key(&w, "difference");
    json_double(&w, diff);
    json_key(&w, "allowed");
    json_double(&w, allowed);
    json_key(&w, "atol");
    json_double(&w, res->atol);
    json_key(&w, "rtol");
    json_double(&w, res->rtol);
    json_key(&w, "worst_relative_error");
    json_double(&w, res->worst_error);
    json_key(&w, "parameters_checked");
    json_size(&w, res->checked);
    json_key(&w, "samples");
    json_size(&w, samples);
    json_end_object(&w);
    size_t len;
    char *text = json_writer_finish(&w, &len, err);
    if (!text)
        return -1;
    fwrite(text, 1, len, stdout);
    free(text);
    if (!passed)
        return bp_error_set(err, BP_ENUMERIC,
                            "gradcheck: %s: analytic %.4g and numeric %.4g "
                            "differ by %.3g, more than atol %.3g + rtol %g * "
                            "|numeric| = %.3g",
                            name, res->worst_analytic, res->worst_numeric,
                            diff, res->atol, res->rtol, allowed);
    return 0;
}

static int check(const char *config_path, const char *data_path,
                 size_t samples, int threads, struct bp_error *err)
{
    struct model m;
    struct dataset ds = {0};
    struct normalization nz = {0};
    float *x = NULL, *t = NULL;
    size_t *idx = NULL;
    int rc = -1;
    if (model_load(&m, config_path, false, err) < 0)
        return -1;
    const char *path = data_path ? data_path : m.cfg.data.train;
    size_t n = samples;
    if (path) {
        /* A config learns from its data what a weights file has saved:
         * classes, categories, the width (columns.h). */
        if ((m.cfg.is_weights
                 ? dataset_load(&ds, path, &m.cfg, false, threads, err)
                 : dataset_load_training(&ds, path, &m.cfg, threads, err)) <
            0)
            goto out;
        if (m.cfg.data.missing == MISSING_MEAN && !m.cfg.imputation.n &&
            imputation_compute(&m.cfg.imputation, &ds, err) < 0) {
            cli_in_config(m.cfg.name, err);
            goto out;
        }
        imputation_apply(&m.cfg.imputation, ds.x, ds.n_rows);
        int nrc = m.cfg.normalization.n
                      ? normalization_copy(&nz, &m.cfg.normalization, err)
                      : normalization_compute(&nz, m.cfg.data.normalize,
                                              m.cfg.data.normalize_scale, &ds,
                                              err);
        if (nrc < 0) {
            cli_in_config(m.cfg.name, err);
            goto out;
        }
        if (normalization_apply(&nz, m.cfg.data.normalize, &ds, err) < 0)
            goto out;
        n = ds.n_rows < samples ? ds.n_rows : samples;
    }
    if (m.cfg.input == 0) {
        bp_error_set(err, BP_EINPUT, "%s: input: needed to check without "
                     "data (or give the data, whose categories set it)",
                     m.cfg.name);
        goto out;
    }
    if (!m.net.n_layers && network_create(&m.net, &m.cfg, err) < 0)
        goto out;
    size_t outputs = network_outputs(&m.net);
    x = malloc(n * m.net.input * sizeof *x);
    t = malloc(n * outputs * sizeof *t);
    idx = malloc(n * sizeof *idx);
    if (!x || !t || !idx) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (path) {
        for (size_t k = 0; k < n; k++)
            idx[k] = k;
        memcpy(x, ds.x, n * m.net.input * sizeof *x);
        dataset_targets(&ds, idx, n, t);
    } else {
        synthesize(&m.net, config_class_count(&m.cfg), n, x, t);
    }
    struct gradcheck_result res;
    if (gradcheck_run(&m.net, x, t, n, m.cfg.training.seed, &res, err) < 0)
        goto out;
    rc = print_result(&m.net, &res, n, err);
out:
    free(x);
    free(t);
    free(idx);
    normalization_free(&nz);
    dataset_free(&ds);
    model_free(&m);
    return rc;
}

int cmd_gradcheck(int argc, char **argv, struct bp_error *err)
{
    struct args_result r;
    if (args_collect("gradcheck", argc, argv, gradcheck_options, 2, &r,
                     err) < 0)
        return -1;
    if (r.given[CLI_OPT_HELP]) {
        print_help();
        return 0;
    }
    const char *config, *data;
    size_t samples = 16;
    int threads;
    if (cli_file_and_data("gradcheck", "CONFIG", &r, false, &config, &data,
                          err) < 0 ||
        cli_threads(&r, &threads, err) < 0)
        return -1;
    if (r.given[OPT_SAMPLES] &&
        args_size("--samples", r.value[OPT_SAMPLES], 1, 4096, &samples,
                  err) < 0)
        return -1;
    return check(config, data, samples, threads, err);
}
