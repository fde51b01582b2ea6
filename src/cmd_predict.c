/*
 * backprop predict WEIGHTS [DATA|-]: one CSV row of predictions per input
 * row, in input order, with a header. Classification nets write the
 * predicted class (its name from data.classes when given) and, with
 * --proba, one probability column per class; regression nets write their
 * outputs. The input may or may not carry the label/target columns; it is
 * read and scored in blocks (model_score), so memory stays bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "columns.h"
#include "cli.h"
#include "metrics.h"
#include "model.h"
#include "trainer.h"

enum { OPT_PROBA = CLI_OPT_FIRST_OWN, OPT_KEEP, OPT_QUIET };

static const struct option_spec predict_options[] = {
    {OPT_PROBA, "proba", 0, NULL, "also write each class's probability"},
    {OPT_KEEP, "keep", 0, "COL[,COL...]",
     "copy these input columns (an id) in front of each prediction"},
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads"},
    {OPT_QUIET, "quiet", 'q', NULL, "no messages but errors"},
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

struct predict_run {
    const struct config *cfg;
    size_t classes, outputs;
    bool proba;
    const char *const *keep;
    size_t n_keep;
    bool header_done;
};

/* The --keep fields of row r, each followed by a comma. */
static void write_kept(const struct predict_run *p, const struct table *t,
                       size_t r, const size_t *keep_col)
{
    for (size_t i = 0; i < p->n_keep; i++) {
        put_field("", columns_keep_text(t, r, keep_col[i]));
        putchar(',');
    }
}

/* A row data.missing left out: its fields empty, so the output keeps one
 * row per input row. A record of one empty field is written as "": an
 * empty line would be a blank line, which CSV readers skip. */
static void write_empty(const struct predict_run *p)
{
    size_t fields = p->classes ? 1 + (p->proba ? (p->outputs == 1 ? 2
                                                                   : p->outputs)
                                               : 0)
                               : p->outputs;
    if (fields == 1 && p->n_keep == 0)
        fputs("\"\"", stdout);
    for (size_t k = 1; k < fields; k++)
        putchar(',');
    putchar('\n');
}

static int write_block(void *ctx, const struct scored_block *b,
                       struct bp_error *err)
{
    struct predict_run *p = ctx;
    const struct table *t = b->rows;
    const size_t *keep_col = b->keep_col;
    size_t o = 0;
    if (!p->header_done) {
        /* After the columns were found: a bad file writes nothing. */
        for (size_t i = 0; i < p->n_keep; i++) {
            put_field("", p->keep[i]);
            putchar(',');
        }
        write_header(p->cfg, p->classes, p->outputs, p->proba);
        p->header_done = true;
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        write_kept(p, t, r, keep_col);
        if (b->dropped[r]) {
            write_empty(p);
            continue;
        }
        write_row(p->cfg, b->outputs + o * p->outputs, p->classes,
                  p->outputs, p->proba);
        o++;
    }
    /* On a pipe each prediction goes out as soon as its row came in. A
     * failed write stops the run: a reader that went away (`| head`) gets
     * no message (BP_EPIPE), as main.c's finish_stdout promises. */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout))
        return bp_error_set(err, errno == EPIPE ? BP_EPIPE : BP_EIO,
                            "stdout: write error: %s",
                            strerror(errno ? errno : EIO));
    return 0;
}

/* --keep COL[,COL...]: the names, split at commas (*names and its first
 * string are the caller's to free). */
static int split_keep(const char *arg, char ***names, size_t *n,
                      struct bp_error *err)
{
    *names = NULL;
    *n = 0;
    if (!arg)
        return 0;
    char *copy = strdup(arg);
    size_t count = 1;
    for (const char *c = arg; *c; c++)
        count += *c == ',';
    char **v = calloc(count, sizeof *v);
    if (!copy || !v) {
        free(copy);
        free(v);
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (char *tok = copy, *end;; tok = end + 1) {
        end = strchr(tok, ',');
        if (end)
            *end = '\0';
        if (!*tok) {
            free(copy);
            free(v);
            return bp_error_set(err, BP_EUSAGE, "--keep: an empty column "
                                "name in \"%s\"", arg);
        }
        v[k++] = tok;
        if (!end)
            break;
    }
    *names = v;
    *n = k;
    return 0;
}

static int predict(const char *weights, const char *data, bool proba,
                   const char *keep, int threads, bool quiet,
                   struct bp_error *err)
{
    struct model m;
    char **names = NULL;
    size_t n_keep = 0;
    int rc = -1;
    if (split_keep(keep, &names, &n_keep, err) < 0)
        return -1;
    if (model_load(&m, weights, true, err) < 0)
        goto out_names;
    if (n_keep && !m.cfg.data.header) {
        bp_error_set(err, BP_EUSAGE, "--keep: needs a header to find columns "
                     "by name (the weights say data.header false)");
        goto out;
    }
    struct predict_run p = {
        .cfg = &m.cfg,
        .classes = config_class_count(&m.cfg),
        .outputs = network_outputs(&m.net),
        .proba = proba,
        .keep = (const char *const *)names,
        .n_keep = n_keep,
    };
    size_t dropped;
    char *warning;
    if (model_score(&m, data, false, p.keep, n_keep, threads, NULL, &dropped,
                    &warning, write_block, &p, err) < 0)
        goto out;
    if (warning && !quiet)
        fprintf(stderr, "backprop: warning: %s\n", warning);
    free(warning);
    rc = 0;
out:
    model_free(&m);
out_names:
    if (names)
        free(names[0]);
    free(names);
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
               "(default: stdin),\nas each row arrives. Columns are found "
               "by name when DATA has a header;\na row with a missing cell "
               "that data.missing \"drop\" leaves out gets\nempty "
               "prediction fields.\n\noptions:\n");
        args_print_options(predict_options, stdout);
        return 0;
    }
    const char *weights, *data;
    int threads;
    if (cli_file_and_data("predict", "WEIGHTS", &r, true, &weights, &data,
                          err) < 0 ||
        cli_threads(&r, &threads, err) < 0)
        return -1;
    return predict(weights, data, r.given[OPT_PROBA], r.value[OPT_KEEP],
                   threads, r.given[OPT_QUIET], err);
}
