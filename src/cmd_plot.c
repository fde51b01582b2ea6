/*
 * backprop plot LOG [-o FILE.svg]: learning curves from the JSON-lines log
 * of `train --log` (one object per epoch) as a standalone SVG: train and
 * validation loss against epoch on the left axis, validation accuracy on a
 * right axis from 0 to 1 when the log has it. The drawing itself is
 * svg_plot's; this file reads and checks the log.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "args.h"
#include "atomic_file.h"
#include "cli.h"
#include "file_text.h"
#include "jsonscan.h"
#include "svg_plot.h"

enum { OPT_OUTPUT = CLI_OPT_FIRST_OWN, OPT_TITLE, OPT_FORCE, OPT_METRIC };

static const struct option_spec plot_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the SVG to FILE, atomically (default: stdout)"},
    {OPT_TITLE, "title", 0, "TEXT",
     "the chart's title (default: \"Learning curves: LOG\")"},
    {OPT_FORCE, "force", 0, NULL,
     "replace -o even when it is not an SVG backprop plot wrote"},
    {OPT_METRIC, "metric", 0, "NAME",
     "with several logs: the curve drawn for each (train_loss, "
     "validation_loss, validation_accuracy)"},
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

/* The log's columns the plot draws; other keys are ignored, so logs that
 * gain fields still plot. */
enum { COL_TRAIN_LOSS, COL_VALIDATION_LOSS, COL_VALIDATION_ACCURACY, N_COLS };

static const struct {
    const char *key;
    const char *legend;
    enum svg_axis axis;
} columns[N_COLS] = {
    {"train_loss", "train loss", SVG_AXIS_LEFT},
    {"validation_loss", "validation loss", SVG_AXIS_LEFT},
    {"validation_accuracy", "validation accuracy (right axis)",
     SVG_AXIS_RIGHT},
};

/* Epochs above this are not whole numbers a double holds exactly. */
#define MAX_EPOCH 1e15

struct curves {
    double *epoch;       /* [n] */
    double *col[N_COLS]; /* [n] each; NaN where null or absent */
    size_t n, cap;
};

static void curves_free(struct curves *c)
{
    free(c->epoch);
    for (size_t k = 0; k < N_COLS; k++)
        free(c->col[k]);
}

static int curves_grow(struct curves *c, struct bp_error *err)
{
    if (c->n < c->cap)
        return 0;
    size_t cap = c->cap ? c->cap * 2 : 64;
    if (cap > SIZE_MAX / sizeof(double))
        return bp_error_set(err, BP_ENOMEM, "plot: out of memory");
    double *p = realloc(c->epoch, cap * sizeof *p);
    if (!p)
        return bp_error_set(err, BP_ENOMEM, "plot: out of memory");
    c->epoch = p;
    for (size_t k = 0; k < N_COLS; k++) {
        p = realloc(c->col[k], cap * sizeof *p);
        if (!p)
            return bp_error_set(err, BP_ENOMEM, "plot: out of memory");
        c->col[k] = p;
    }
    c->cap = cap;
    return 0;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* Checks one record and appends it. `line` is its line number. */
static int add_record(struct curves *c, const cJSON *obj, const char *name,
                      size_t line, struct bp_error *err)
{
    if (!cJSON_IsObject(obj))
        return bp_error_set(err, BP_EINPUT,
                            "%s:%zu: expected a JSON object per line, got %s",
                            name, line, type_name(obj));
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, "epoch");
    if (!e)
        return bp_error_set(err, BP_EINPUT, "%s:%zu: epoch: missing", name,
                            line);
    if (!cJSON_IsNumber(e))
        return bp_error_set(err, BP_EINPUT,
                            "%s:%zu: epoch: expected a whole number, got %s",
                            name, line, type_name(e));
    double epoch = e->valuedouble;
    if (!(epoch >= 0 && epoch <= MAX_EPOCH && epoch == floor(epoch)))
        return bp_error_set(err, BP_EINPUT,
                            "%s:%zu: epoch: expected a whole number >= 0, "
                            "got %.17g",
                            name, line, epoch);
    if (c->n && !(epoch > c->epoch[c->n - 1]))
        return bp_error_set(err, BP_EINPUT,
                            "%s:%zu: epoch: %.0f comes after epoch %.0f "
                            "(epochs must increase: one run per log)",
                            name, line, epoch, c->epoch[c->n - 1]);
    double v[N_COLS];
    for (size_t k = 0; k < N_COLS; k++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, columns[k].key);
        if (x && !cJSON_IsNumber(x) && !cJSON_IsNull(x))
            return bp_error_set(err, BP_EINPUT,
                                "%s:%zu: %s: expected a number or null, got %s",
                                name, line, columns[k].key, type_name(x));
        v[k] = x && cJSON_IsNumber(x) ? x->valuedouble : NAN;
    }
    if (curves_grow(c, err) < 0)
        return -1;
    c->epoch[c->n] = epoch;
    for (size_t k = 0; k < N_COLS; k++)
        c->col[k][c->n] = v[k];
    c->n++;
    return 0;
}

/* Parses one line text[0..len) (text[len] is writable and is NUL'ed). */
static int parse_line(struct curves *c, char *text, size_t len,
                      const char *name, size_t line, struct bp_error *err)
{
    char why[160];
    size_t off;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        off = (size_t)(nul - text);
        snprintf(why, sizeof why, "NUL byte");
    } else if (jsonscan_check(text, len, &off, why, sizeof why) == 0) {
        text[len] = '\0';
        cJSON *obj = cJSON_ParseWithLength(text, len);
        if (!obj)
            return bp_error_set(err, BP_ENOMEM, "%s:%zu: out of memory", name,
                                line);
        int rc = add_record(c, obj, name, line, err);
        cJSON_Delete(obj);
        return rc;
    }
    size_t l, col;
    jsonscan_position(text, len, off, &l, &col);
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: invalid JSON: %s", name,
                        line + l - 1, col, why);
}

/* A log whose first line does not parse may be a whole JSON document
 * written over several lines (a weights file or a config, given in the
 * log's place): say so, not where its first line stops. */
static int not_a_log(const char *text, size_t len, const char *name,
                     struct bp_error *err)
{
    if (!memchr(text, '\n', len) || jsonscan_check(text, len, NULL, NULL, 0))
        return 0;
    bool weights = strstr(text, "\"backprop.weights") != NULL;
    return bp_error_set(err, BP_EINPUT,
                        "%s: %s, not a log: plot reads one JSON object per "
                        "line, as train --log writes",
                        name, weights ? "a weights file"
                                      : "one JSON document over several "
                                        "lines");
}

/* Reads the log: one JSON object per line; blank lines are skipped. */
static int read_log(struct curves *c, const char *path, const char *name,
                    struct bp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (file_read_text(path, &text, &len, err) < 0)
        return -1;
    int rc = -1;
    size_t line = 0;
    for (size_t start = 0; start < len;) {
        char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        size_t n = end - start;
        if (strspn(text + start, " \t\r") < n &&
            parse_line(c, text + start, n, name, line, err) < 0) {
            if (c->n == 0)
                not_a_log(text, len, name, err);
            goto out;
        }
        start = end + 1;
    }
    if (c->n == 0) {
        bp_error_set(err, BP_EINPUT,
                     "%s:1:1: empty log, expected one JSON object per line "
                     "(as train --log writes)",
                     name);
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

static bool any_finite(const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]))
            return true;
    return false;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return strcmp(a, "-") != 0 && strcmp(b, "-") != 0 && stat(a, &sa) == 0 &&
           stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int plot(const char *log, const char *output, const char *title,
                bool force,
                struct bp_error *err)
{
    const char *name = strcmp(log, "-") == 0 ? "<stdin>" : log;
    struct curves c = {0};
    char *default_title = NULL, *svg = NULL;
    int rc = -1;

    if (same_file(log, output)) {
        bp_error_set(err, BP_EUSAGE,
                     "plot: %s: the output is the log; refusing to replace it",
                     output);
        goto out;
    }
    if (atomic_check_owner(output, OWNER_SVG, force, "-o", err) < 0 ||
        atomic_check_writable(output, err) < 0 ||
        read_log(&c, log, name, err) < 0)
        goto out;

    struct svg_series series[N_COLS];
    size_t n_series = 0;
    for (size_t k = 0; k < N_COLS; k++)
        if (any_finite(c.col[k], c.n))
            series[n_series++] = (struct svg_series){
                columns[k].legend, c.col[k], columns[k].axis};
    if (!title) {
        const char *base = strcmp(log, "-") == 0 ? NULL : strrchr(log, '/');
        base = base ? base + 1 : log;
        size_t size = strlen(base) + 32;
        default_title = malloc(size);
        if (!default_title) {
            bp_error_set(err, BP_ENOMEM, "plot: out of memory");
            goto out;
        }
        if (strcmp(log, "-") == 0)
            snprintf(default_title, size, "Learning curves");
        else
            snprintf(default_title, size, "Learning curves: %s", base);
        title = default_title;
    }
    struct svg_plot p = {
        .title = title,
        .x_label = "epoch",
        .left_label = "loss",
        .right_label = "validation accuracy",
        .right_min = 0,
        .right_max = 1,
        .x = c.epoch,
        .n = c.n,
        .integer_x = true,
        .series = series,
        .n_series = n_series,
    };
    size_t len;
    svg = svg_plot_render(&p, &len, err);
    if (!svg || atomic_write_file(output, svg, len, err) < 0)
        goto out;
    rc = 0;
out:
    free(svg);
    free(default_title);
    curves_free(&c);
    return rc;
}

/* ---- several logs: one curve each, overlaid ---- */

struct overlay {
    char **path;    /* [n] logs */
    char **name;    /* [n] legend entries */
    size_t n, cap;
};

static void overlay_free(struct overlay *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->path[i]);
        free(o->name[i]);
    }
    free(o->path);
    free(o->name);
}

static int overlay_add(struct overlay *o, const char *path, const char *name,
                       struct bp_error *err)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        char **p = realloc(o->path, cap * sizeof *p);
        if (p)
            o->path = p;
        char **q = realloc(o->name, cap * sizeof *q);
        if (q)
            o->name = q;
        if (!p || !q)
            return bp_error_set(err, BP_ENOMEM, "plot: out of memory");
        o->cap = cap;
    }
    o->path[o->n] = strdup(path);
    o->name[o->n] = strdup(name);
    if (!o->path[o->n] || !o->name[o->n]) {
        free(o->path[o->n]);
        free(o->name[o->n]);
        return bp_error_set(err, BP_ENOMEM, "plot: out of memory");
    }
    o->n++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sweep's folder (it holds sweep.json): the log of every run that has
 * one, in run order (the runs' folder names sort that way). */
static int add_sweep(struct overlay *o, const char *dir, struct bp_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return bp_error_set(err, BP_EINPUT, "%s: cannot open: %s", dir,
                            strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 16;
        char *log = malloc(len);
        if (!log) {
            rc = bp_error_set(err, BP_ENOMEM, "plot: out of memory");
            break;
        }
        snprintf(log, len, "%s/%s/log.jsonl", dir, e->d_name);
        struct stat st;
        bool has_log = stat(log, &st) == 0 && S_ISREG(st.st_mode);
        free(log);
        if (!has_log)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = bp_error_set(err, BP_ENOMEM, "plot: out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = bp_error_set(err, BP_ENOMEM, "plot: out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        /* A folder of sweeps, or any other folder, is not a sweep's. */
        size_t len = strlen(dir) + 16;
        char *saved = malloc(len);
        struct stat st;
        bool is_sweep = saved && (snprintf(saved, len, "%s/sweep.json", dir),
                                  stat(saved, &st) == 0);
        free(saved);
        rc = is_sweep ? bp_error_set(err, BP_EINPUT, "%s: a sweep's folder "
                                     "with no run's log in it yet", dir)
                      : bp_error_set(err, BP_EINPUT, "%s: a folder, not a "
                                     "sweep's (no sweep.json in it) nor a "
                                     "log: give a sweep's folder or log "
                                     "files", dir);
    }
    if (rc == 0)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            size_t len = strlen(dir) + strlen(names[i]) + 16;
            char *log = malloc(len);
            if (!log)
                rc = bp_error_set(err, BP_ENOMEM, "plot: out of memory");
            else {
                snprintf(log, len, "%s/%s/log.jsonl", dir, names[i]);
                rc = overlay_add(o, log, names[i], err);
                free(log);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* A log's legend entry: its file name, or its folder's for a sweep run's
 * log.jsonl. */
static void legend_name(const char *path, char *dst, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "log.jsonl") == 0 && base > path + 1) {
        const char *end = base - 1, *start = end;
        while (start > path && start[-1] != '/')
            start--;
        snprintf(dst, cap, "%.*s", (int)(end - start), start);
        return;
    }
    snprintf(dst, cap, "%s", base);
}

static int plot_overlay(const struct overlay *o, const char *output,
                        const char *title, const char *metric, bool force,
                        struct bp_error *err)
{
    struct curves *c = calloc(o->n, sizeof *c);
    struct svg_series *series = calloc(o->n, sizeof *series);
    double **y = calloc(o->n, sizeof *y);
    double *x = NULL;
    char *svg = NULL, default_title[256];
    int rc = -1;
    if (!c || !series || !y) {
        bp_error_set(err, BP_ENOMEM, "plot: out of memory");
        goto out;
    }
    if (atomic_check_owner(output, OWNER_SVG, force, "-o", err) < 0 ||
        atomic_check_writable(output, err) < 0)
        goto out;
    for (size_t i = 0; i < o->n; i++) {
        if (same_file(o->path[i], output)) {
            bp_error_set(err, BP_EUSAGE, "plot: %s: the output is a log; "
                         "refusing to replace it", output);
            goto out;
        }
        if (read_log(&c[i], o->path[i], o->path[i], err) < 0)
            goto out;
    }
    /* The curve each run draws: --metric, else validation loss when some
     * log has it, else train loss. */
    size_t col = COL_TRAIN_LOSS;
    if (metric) {
        col = N_COLS;
        for (size_t k = 0; k < N_COLS; k++)
            if (strcmp(metric, columns[k].key) == 0)
                col = k;
        if (col == N_COLS) {
            bp_error_set(err, BP_EUSAGE, "--metric: unknown metric \"%s\" "
                         "(expected one of: train_loss, validation_loss, "
                         "validation_accuracy)", metric);
            goto out;
        }
    } else {
        for (size_t i = 0; i < o->n; i++)
            if (any_finite(c[i].col[COL_VALIDATION_LOSS], c[i].n))
                col = COL_VALIDATION_LOSS;
    }
    /* One x for all: every epoch any log has, in order. */
    double last = 0;
    for (size_t i = 0; i < o->n; i++)
        last = fmax(last, c[i].epoch[c[i].n - 1]);
    double first = last;
    for (size_t i = 0; i < o->n; i++)
        first = fmin(first, c[i].epoch[0]);
    size_t n = (size_t)(last - first) + 1;
    if (n > ((size_t)1 << 24)) {
        bp_error_set(err, BP_EINPUT, "plot: the logs span %zu epochs; at most "
                     "%zu overlay", n, (size_t)1 << 24);
        goto out;
    }
    x = malloc(n * sizeof *x);
    if (!x) {
        bp_error_set(err, BP_ENOMEM, "plot: out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++)
        x[k] = first + (double)k;
    for (size_t i = 0; i < o->n; i++) {
        y[i] = malloc(n * sizeof **y);
        if (!y[i]) {
            bp_error_set(err, BP_ENOMEM, "plot: out of memory");
            goto out;
        }
        for (size_t k = 0; k < n; k++)
            y[i][k] = NAN;
        for (size_t k = 0; k < c[i].n; k++)
            y[i][(size_t)(c[i].epoch[k] - first)] = c[i].col[col][k];
        series[i] = (struct svg_series){o->name[i], y[i], SVG_AXIS_LEFT};
    }
    if (!title) {
        snprintf(default_title, sizeof default_title, "%s of %zu runs",
                 columns[col].legend, o->n);
        default_title[0] = (char)toupper((unsigned char)default_title[0]);
        title = default_title;
    }
    struct svg_plot p = {
        .title = title,
        .x_label = "epoch",
        .left_label = columns[col].key,
        .right_label = "",
        .right_min = 0,
        .right_max = 1,
        .x = x,
        .n = n,
        .integer_x = true,
        .series = series,
        .n_series = o->n,
    };
    size_t len;
    svg = svg_plot_render(&p, &len, err);
    if (!svg || atomic_write_file(output, svg, len, err) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; c && i < o->n; i++)
        curves_free(&c[i]);
    for (size_t i = 0; y && i < o->n; i++)
        free(y[i]);
    free(c);
    free(y);
    free(series);
    free(x);
    free(svg);
    return rc;
}

static void print_plot_help(void)
{
    printf("usage: backprop plot LOG|- [options]\n"
           "       backprop plot LOG LOG... | SWEEP-DIR [options]\n\n"
           "Draws the learning curves of a `train --log` file (one JSON "
           "object per\nepoch) as a standalone SVG: train and validation "
           "loss against epoch, and\nvalidation accuracy (right axis, 0 to "
           "1) when the log has it. Given several\nlogs, or a sweep's "
           "folder, overlays one curve per run (its validation\nloss, or "
           "--metric), one colour and legend entry each.\n\noptions:\n");
    args_print_options(plot_options, stdout);
}

int cmd_plot(int argc, char **argv, struct bp_error *err)
{
    struct args a = {argc, argv, 0, false};
    struct overlay o = {0};
    const char *value, *output = "-", *title = NULL, *metric = NULL;
    const char *single = NULL;
    bool force = false, help = false;
    size_t operands = 0;
    int rc = -1;
    for (int id; (id = args_next(&a, plot_options, &value, err)) != ARGS_END;) {
        if (id == ARGS_ERROR) {
            bp_error_prefix(err, "plot");
            goto out;
        }
        if (id == OPT_OUTPUT)
            output = value;
        else if (id == OPT_TITLE)
            title = value;
        else if (id == OPT_METRIC)
            metric = value;
        else if (id == OPT_FORCE)
            force = true;
        else if (id == CLI_OPT_HELP)
            help = true;
        else if (id == ARGS_OPERAND) {
            operands++;
            single = value;
            struct stat st;
            char name[256];
            if (strcmp(value, "-") != 0 && stat(value, &st) == 0 &&
                S_ISDIR(st.st_mode)) {
                if (add_sweep(&o, value, err) < 0)
                    goto out;
                operands++; /* a folder is always an overlay */
            } else {
                legend_name(value, name, sizeof name);
                if (overlay_add(&o, value, name, err) < 0)
                    goto out;
            }
        }
    }
    if (help) {
        print_plot_help();
        rc = 0;
        goto out;
    }
    if (operands == 0) {
        bp_error_set(err, BP_EUSAGE,
                     "plot: missing LOG (see backprop help plot)");
        goto out;
    }
    if (operands == 1 && !metric) {
        rc = plot(single, output, title, force, err);
        goto out;
    }
    for (size_t i = 0; i < o.n; i++)
        if (strcmp(o.path[i], "-") == 0) {
            bp_error_set(err, BP_EUSAGE, "plot: stdin (-) is one log; give "
                         "several logs as files");
            goto out;
        }
    rc = plot_overlay(&o, output, title, metric, force, err);
out:
    overlay_free(&o);
    return rc;
}
