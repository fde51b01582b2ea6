/*
 * sweep: what a sweep is (SPEC section 9), apart from running it: the
 * axes the command line gives (--grid KEY=V1,V2,... and --range KEY=DIST
 * with --random N), the points they span, the runs (points x repeats x
 * folds) with the overrides each one trains with, the definition saved in
 * the sweep's folder, and the summary of the runs' results.
 *
 * Pure functions on memory: no I/O, no processes (cmd_sweep.c runs the
 * runs). Errors are BP_EUSAGE naming the option.
 */
#ifndef SWEEP_H
#define SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "config.h"

enum sweep_dist {
    SWEEP_GRID,        /* the listed values, each a point of the product */
    SWEEP_UNIFORM,     /* uniform:A:B */
    SWEEP_LOGUNIFORM,  /* loguniform:A:B, A > 0 */
    SWEEP_INT,         /* int:A:B, whole numbers A..B, B included */
    SWEEP_CHOICE,      /* choice:V1,V2,... one drawn per point */
};

/* One --grid or --range. */
struct sweep_axis {
    char *key;          /* dotted config path, as --set takes it */
    enum sweep_dist dist;
    size_t n_values;    /* GRID and CHOICE: the values as JSON text */
    char **values;
    double lo, hi;      /* UNIFORM, LOGUNIFORM, INT */
};

struct sweep_def {
    size_t n_axes;
    struct sweep_axis *axes;  /* grids and ranges, in command-line order */
    size_t random;            /* --random N: draws per grid point (0: none) */
    size_t repeat;            /* --repeat R >= 1 */
    size_t folds;             /* --folds K >= 2, or 0 */
};

/* Adds --grid KEY=V1,V2,... (values split at commas outside brackets,
 * braces and quotes, so [0.9,0.99] is one value; a value that is not JSON
 * is a string, as --set takes it). A value given twice (compared as JSON:
 * 2 and 2.0 are one value) is an error, as in a choice: list. */
int sweep_add_grid(struct sweep_def *d, const char *arg,
                   struct bp_error *err);

/* Adds --range KEY=uniform:A:B | loguniform:A:B | int:A:B | choice:V,... */
int sweep_add_range(struct sweep_def *d, const char *arg,
                    struct bp_error *err);

/* Checks the definition as a whole: --random with at least one --range
 * and the other way round, keys given once. */
int sweep_check(const struct sweep_def *d, struct bp_error *err);

/* The points: the product of the grids (the first --grid slowest), each
 * with `random` draws of the ranges (seeded by `seed`, in order); value
 * [point * n_axes + axis] is JSON text. */
struct sweep_points {
    size_t n_points;
    size_t n_axes;
    char **value;
};
int sweep_make_points(const struct sweep_def *d, uint64_t seed,
                      struct sweep_points *p, struct bp_error *err);
void sweep_points_free(struct sweep_points *p);

/* Runs: point-major, then repeat, then fold. */
size_t sweep_run_count(const struct sweep_def *d,
                       const struct sweep_points *p);
void sweep_run_position(const struct sweep_def *d, size_t run,
                        size_t *point, size_t *repeat, size_t *fold);
/* "p003", "p003-r1", "p003-r1-f4": the run's folder name (cap >= 32). */
void sweep_run_name(const struct sweep_def *d, size_t run, char *dst,
                    size_t cap);

/* The overrides of a run, in order: the point's values, then for repeat
 * r > 0 init.seed and training.seed moved by r from the base config's,
 * then for folds data.validation and data.validation_split removed and
 * data.cross_validation set. Strings are the caller's to free with
 * sweep_overrides_free. */
int sweep_run_overrides(const struct sweep_def *d,
                        const struct sweep_points *p, size_t run,
                        const struct config *base,
                        struct config_override **ov, size_t *n,
                        struct bp_error *err);
void sweep_overrides_free(struct config_override *ov, size_t n);

/* The definition as canonical JSON text (caller frees): the base config's
 * bytes, the axes, --random, --repeat, --folds. Two sweeps are the same
 * exactly when their texts are. */
char *sweep_definition(const struct sweep_def *d, const char *config_text,
                       size_t config_len, struct bp_error *err);

void sweep_def_free(struct sweep_def *d);

/* ---- results ---- */

enum sweep_metric {
    SWEEP_TRAIN_LOSS, SWEEP_VALIDATION_LOSS, SWEEP_VALIDATION_ACCURACY,
    SWEEP_METRICS
};
const char *sweep_metric_name(enum sweep_metric m);
/* -1 when not a metric name. */
int sweep_metric_parse(const char *name);

/* What one run left, read from its log. */
struct sweep_result {
    bool done;              /* finished (its result is final) */
    int status;             /* 0 ok, else the run's exit status */
    size_t epochs;          /* epochs in its log */
    double seconds;         /* training time, summed over its log */
    size_t best_epoch;      /* 1-based, by the sweep's metric */
    double final[SWEEP_METRICS]; /* NaN when the log has none */
    double best[SWEEP_METRICS];  /* at best_epoch */
};

/* One line per point, for the table: mean and (population) standard
 * deviation of the metric's best value over the point's finished runs,
 * and the mean of its final value; sorted best first (lowest loss,
 * highest accuracy), ties by point. */
struct sweep_summary {
    size_t point;
    size_t runs;
    double mean, std, final_mean;
    double key;   /* the sort key: best first */
};
int sweep_summarize(const struct sweep_def *d, const struct sweep_points *p,
                    const struct sweep_result *results, enum sweep_metric m,
                    struct sweep_summary **out, size_t *n,
                    struct bp_error *err);

#endif
