/*
 * backprop sweep CONFIG [options]: grid and random sweeps, repeats and
 * k-fold cross-validation, each run an ordinary `train` in a folder of
 * its own (SPEC section 9).
 *
 * The parent checks the whole sweep before writing anything (every
 * point's config, the folds against the data, the folder), then runs the
 * runs in --jobs worker processes (workers.h), each taking the next run in
 * turn. A run is run.h's run_training, the very function `train` runs,
 * from the base config with the run's overrides (or, to resume, from the
 * weights its folder holds); so a run's weights are byte-identical to
 * `train CONFIG --set ...`, and since a training's result does not depend
 * on its thread count, nor on --jobs. Ctrl-C reaches the parent alone,
 * which passes one SIGINT to every worker (a run under way saves its last
 * complete epoch) and exits 1 once they have.
 *
 * The folder: sweep.json (the definition; another definition against the
 * same folder is an error), one folder per run with config.json (the
 * base config with its overrides), weights.json and log.jsonl (and
 * error.txt for a run that failed); then results.csv and results.jsonl,
 * rebuilt from the runs' logs as runs finish (at most once a second, and
 * at the end). A rerun skips the runs results.jsonl lists and resumes the
 * others from their weights. The folder is locked for the whole sweep,
 * its workers included: a second sweep into it is refused.
 */
#define _GNU_SOURCE /* sched_getaffinity; mkdir's friends */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "args.h"
#include "atomic_file.h"
#include "cli.h"
#include "config.h"
#include "dataset.h"
#include "file_text.h"
#include "json_writer.h"
#include "run.h"
#include "sweep.h"
#include "workers.h"

/* An epoch's work below this many FLOPs (6 per parameter per sample) is
 * too small to share among threads: such runs go one per core. */
#define SWEEP_SMALL_EPOCH_FLOPS 1e9

enum {
    OPT_GRID = CLI_OPT_FIRST_OWN, OPT_RANDOM, OPT_RANGE, OPT_FOLDS,
    OPT_REPEAT, OPT_JOBS, OPT_METRIC, OPT_OUTPUT, OPT_QUIET, OPT_FORCE
};

static const struct option_spec sweep_options[] = {
    {OPT_GRID, "grid", 0, "KEY=V1,V2,...",
     "try each value of a config key (repeatable: the product)"},
    {OPT_RANDOM, "random", 0, "N", "draw N points from the --range's"},
    {OPT_RANGE, "range", 0, "KEY=DIST",
     "uniform:A:B, loguniform:A:B, int:A:B or choice:V1,V2,..."},
    {OPT_FOLDS, "folds", 0, "K",
     "K-fold cross-validation over the training file (stratified)"},
    {OPT_REPEAT, "repeat", 0, "R",
     "R seeds per point (init.seed and training.seed + r)"},
    {OPT_JOBS, "jobs", 'j', "J", "runs at once (default: by network size)"},
    {CLI_OPT_THREADS, "threads", 0, "N", "OpenMP threads per run"},
    {OPT_METRIC, "metric", 0, "NAME",
     "validation_loss (default with validation data), validation_accuracy "
     "or train_loss"},
    {OPT_OUTPUT, "output", 'o', "DIR",
     "the sweep's folder (default: sweeps/CONFIG-NAME)"},
    {OPT_QUIET, "quiet", 'q', NULL, "no progress messages"},
    {OPT_FORCE, "force", 0, NULL,
     "use DIR even when it holds files that are not a sweep's"},
    {CLI_OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

struct sweep_args {
    const char *config;
    const char *dir;
    struct sweep_def def;
    size_t jobs;        /* 0: chosen by network size */
    size_t threads;     /* 0: chosen with jobs */
    int metric;         /* -1: the default */
    bool quiet, force, help;
};

static void print_sweep_help(void)
{
    printf("usage: backprop sweep CONFIG [--grid KEY=V1,V2,...]... "
           "[--random N --range KEY=DIST]...\n"
           "                      [--folds K] [--repeat R] [--jobs J] "
           "[--metric NAME] [-o DIR]\n\n"
           "Trains CONFIG once per point of the grids (or of N random "
           "draws), times\nR seeds, times K folds, each run an ordinary "
           "`train` in DIR/RUN/; writes\nDIR/results.csv and "
           "DIR/results.jsonl and prints the points, best first.\n"
           "Rerun into the same DIR to resume.\n\noptions:\n");
    args_print_options(sweep_options, stdout);
}

static int parse_sweep_args(struct sweep_args *sa, int argc, char **argv,
                            struct bp_error *err)
{
    memset(sa, 0, sizeof *sa);
    sa->def.repeat = 1;
    sa->metric = -1;
    struct args a = {argc, argv, 0, false};
    const char *value;
    for (;;) {
        int id = args_next(&a, sweep_options, &value, err);
        switch (id) {
        case ARGS_END:
            if (!sa->config && !sa->help)
                return bp_error_set(err, BP_EUSAGE, "sweep: missing CONFIG "
                                    "(see backprop help sweep)");
            return sa->help ? 0 : sweep_check(&sa->def, err);
        case ARGS_ERROR:
            return bp_error_prefix(err, "sweep");
        case ARGS_OPERAND:
            if (sa->config)
                return bp_error_set(err, BP_EUSAGE, "sweep: unexpected "
                                    "argument \"%s\"", value);
            if (strcmp(value, "-") == 0)
                return bp_error_set(err, BP_EUSAGE, "sweep: CONFIG must be a "
                                    "file (every run reads it)");
            sa->config = value;
            break;
        case OPT_GRID:
            if (sweep_add_grid(&sa->def, value, err) < 0)
                return -1;
            break;
        case OPT_RANGE:
            if (sweep_add_range(&sa->def, value, err) < 0)
                return -1;
            break;
        case OPT_RANDOM:
            if (args_size("--random", value, 1, 100000, &sa->def.random,
                          err) < 0)
                return -1;
            break;
        case OPT_FOLDS:
            if (args_size("--folds", value, 2, 1000, &sa->def.folds, err) < 0)
                return -1;
            break;
        case OPT_REPEAT:
            if (args_size("--repeat", value, 1, 10000, &sa->def.repeat,
                          err) < 0)
                return -1;
            break;
        case OPT_JOBS:
            if (args_size("--jobs", value, 1, 1024, &sa->jobs, err) < 0)
                return -1;
            break;
        case CLI_OPT_THREADS:
            if (args_size("--threads", value, 1, 1024, &sa->threads, err) < 0)
                return -1;
            break;
        case OPT_METRIC:
            sa->metric = sweep_metric_parse(value);
            if (sa->metric < 0)
                return bp_error_set(err, BP_EUSAGE, "--metric: unknown metric "
                                    "\"%s\" (expected one of: train_loss, "
                                    "validation_loss, validation_accuracy)",
                                    value);
            break;
        case OPT_OUTPUT:
            sa->dir = value;
            break;
        case OPT_QUIET: sa->quiet = true; break;
        case OPT_FORCE: sa->force = true; break;
        case CLI_OPT_HELP: sa->help = true; break;
        }
    }
}

/* ---- the sweep in memory ---- */

struct sweep {
    const struct sweep_args *sa;
    char *dir;
    char *config_text;
    size_t config_len;
    struct config base;          /* the base config, no overrides */
    struct sweep_points points;
    size_t n_runs;
    struct sweep_result *results; /* [n_runs] */
    enum sweep_metric metric;
    bool has_validation;
    size_t jobs, threads;
    double *point_cost; /* [n_points]: parameters x epochs, for the order */
    int dir_lock;       /* the folder, open and flock'ed; -1: none */
};

static void sweep_free(struct sweep *s)
{
    free(s->point_cost);
    free(s->dir);
    free(s->config_text);
    config_free(&s->base);
    sweep_points_free(&s->points);
    free(s->results);
    if (s->dir_lock >= 0)
        close(s->dir_lock);
}

static char *path_join(const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, c ? "%s/%s/%s" : "%s/%s", a, b, c ? c : "");
    return p;
}

/* DIR/RUN/FILE for run r (caller frees). */
static char *run_path(const struct sweep *s, size_t r, const char *file)
{
    char name[64];
    sweep_run_name(&s->sa->def, r, name, sizeof name);
    return path_join(s->dir, name, file);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The data files of config c that `base` does not share open for
 * reading (base NULL: all of them), as `train` opens them. */
static int check_files(const struct config *c, const struct config *base,
                       struct bp_error *err)
{
    const char *mine[2] = {c->data.train, c->data.validation};
    const char *theirs[2] = {base ? base->data.train : NULL,
                             base ? base->data.validation : NULL};
    for (int i = 0; i < 2; i++) {
        if (!mine[i] || strcmp(mine[i], "-") == 0 ||
            (theirs[i] && strcmp(mine[i], theirs[i]) == 0))
            continue;
        FILE *f = fopen(mine[i], "r");
        if (!f)
            return bp_error_set(err, BP_EINPUT, "%s: cannot open: %s",
                                mine[i], strerror(errno));
        fclose(f);
    }
    return 0;
}

/* Each point's config is checked as `train` would load it, before
 * anything is written: an unknown key in --grid (with its did-you-mean),
 * a value of the wrong type or a data file that does not open (a --grid
 * over data.train) stops the sweep at once. */
static int check_points(struct sweep *s, struct bp_error *err)
{
    const struct sweep_def *d = &s->sa->def;
    size_t per_point = d->repeat * (d->folds ? d->folds : 1);
    s->point_cost = calloc(s->points.n_points ? s->points.n_points : 1,
                           sizeof *s->point_cost);
    if (!s->point_cost)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    for (size_t pt = 0; pt < s->points.n_points; pt++) {
        /* The point's last run: its repeat and fold overrides too. */
        size_t r = pt * per_point + per_point - 1;
        struct config_override *ov;
        size_t n;
        struct config c;
        if (sweep_run_overrides(d, &s->points, r, &s->base, &ov, &n, err) < 0)
            return -1;
        int rc = config_parse_buffer(&c, s->sa->config, s->config_text,
                                     s->config_len, ov, n, err);
        if (rc == 0) {
            if (c.data.cv_folds == 0 && !c.data.validation &&
                c.data.validation_split <= 0)
                s->has_validation = false;
            s->point_cost[pt] = (double)config_param_count(&c) *
                                (double)c.training.epochs;
            rc = check_files(&c, &s->base, err);
            config_free(&c);
        }
        sweep_overrides_free(ov, n);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The CPUs this process may run on (`taskset`, a container's cpuset),
 * as nproc counts them; else those online. */
static size_t usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (size_t)CPU_COUNT(&set);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (size_t)online : 1;
}

/* The data, read once (one thread: the parent starts no OpenMP team
 * before it forks), for the folds' check and the size of the work. */
static int check_data(struct sweep *s, struct bp_error *err)
{
    /* A copy of the base config: the data's columns are learnt into it. */
    struct config c;
    struct dataset ds;
    if (config_parse_buffer(&c, s->sa->config, s->config_text, s->config_len,
                            NULL, 0, err) < 0)
        return -1;
    if (!c.data.train) {
        config_free(&c);
        return bp_error_set(err, BP_EINPUT, "%s: data.train: no training "
                            "data", s->sa->config);
    }
    if (check_files(&c, NULL, err) < 0 ||
        dataset_load_training(&ds, c.data.train, &c, 1, err) < 0) {
        config_free(&c);
        return -1;
    }
    int rc = 0;
    size_t folds = s->sa->def.folds, least = dataset_smallest_class(&ds);
    if (folds && folds > least)
        rc = bp_error_set(err, BP_EUSAGE, "--folds %zu: the smallest %s of "
                          "%s has %zu row%s; at most %zu folds", folds,
                          ds.label ? "class" : "file", c.data.train, least,
                          least == 1 ? "" : "s", least);
    /* The work of an epoch decides how runs share the cores. */
    double params = (double)config_param_count(&c);
    double flops = 6.0 * params * (double)ds.n_rows;
    size_t ncores = usable_cores();
    if (s->sa->jobs) {
        s->jobs = s->sa->jobs;
        s->threads = ncores / s->jobs ? ncores / s->jobs : 1;
    } else if (flops < SWEEP_SMALL_EPOCH_FLOPS) {
        s->jobs = ncores;
        s->threads = 1;
    } else {
        s->jobs = 1;
        s->threads = ncores;
    }
    if (s->sa->threads)
        s->threads = s->sa->threads;
    dataset_free(&ds);
    config_free(&c);
    return rc;
}

/* mkdir -p. */
static int make_dirs(const char *path, struct bp_error *err)
{
    char *p = strdup(path);
    if (!p)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char keep = *c;
            *c = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                return bp_error_set(err, BP_EUSAGE, "-o %s: cannot make the "
                                    "folder: %s", path, strerror(e));
            }
            *c = keep;
            if (keep == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

/* Whether a folder holds nothing but . and .. */
static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d)) != NULL;)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Takes the folder for this sweep alone: an exclusive flock on the
 * folder itself (no lock file left in it), held until the sweep ends.
 * The workers inherit the open folder, and the lock with it, so a sweep
 * whose parent was killed keeps its folder until its last worker has
 * ended. A second sweep into the folder is refused. Where flock is not
 * supported (some network file systems) the sweep goes on unlocked
 * rather than not at all. */
static int lock_dir(struct sweep *s, struct bp_error *err)
{
    /* O_CLOEXEC: a program the sweep started would not hold it; a fork
     * (a worker) does. */
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bp_error_set(err, BP_EUSAGE, "-o %s: cannot open the folder: "
                            "%s", s->dir, strerror(errno));
    int locked;
    while ((locked = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (locked != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return bp_error_set(err, BP_EUSAGE, "%s: another sweep is writing "
                            "into this folder; wait for it to end, or give "
                            "another -o DIR", s->dir);
    }
    s->dir_lock = fd;
    return 0;
}

/* A run's folder name taken by a file (in a folder given with --force,
 * say): the run could be neither made nor told to have failed in its
 * error.txt, so the sweep is refused before it starts. */
static int check_run_dirs(const struct sweep *s, struct bp_error *err)
{
    for (size_t r = 0; r < s->n_runs; r++) {
        char name[64];
        sweep_run_name(&s->sa->def, r, name, sizeof name);
        char *path = path_join(s->dir, name, NULL);
        if (!path)
            return bp_error_set(err, BP_ENOMEM, "out of memory");
        struct stat st;
        bool in_the_way = stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
        if (in_the_way)
            bp_error_set(err, BP_EUSAGE, "%s: cannot make the run's folder: "
                         "a file of that name is in the way; move it, or "
                         "give another -o DIR", path);
        free(path);
        if (in_the_way)
            return -1;
    }
    return 0;
}

/* The sweep's folder: made, locked (lock_dir), then checked to be this
 * sweep's (its saved definition), or refused. Writes sweep.json for a
 * new one. */
static int prepare_dir(struct sweep *s, struct bp_error *err)
{
    char *def = sweep_definition(&s->sa->def, s->config_text, s->config_len,
                                 err);
    char *saved_path = path_join(s->dir, "sweep.json", NULL);
    char *saved = NULL;
    size_t saved_len;
    int rc = -1;
    if (!def || !saved_path) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    struct stat st;
    bool present = stat(s->dir, &st) == 0;
    if (present && !S_ISDIR(st.st_mode)) {
        bp_error_set(err, BP_EUSAGE, "-o %s: exists and is not a folder",
                     s->dir);
        goto out;
    }
    /* Locked before sweep.json is read or written: two sweeps starting
     * together must not both find the folder new, or both resume it. */
    if ((!present && make_dirs(s->dir, err) < 0) || lock_dir(s, err) < 0)
        goto out;
    if (exists(saved_path)) {
        struct bp_error ignore = {0};
        if (file_read_text(saved_path, &saved, &saved_len, &ignore) < 0 ||
            strcmp(saved, def) != 0) {
            bp_error_set(err, BP_EUSAGE, "%s: holds another sweep (its "
                         "sweep.json differs from this one's config, "
                         "grids, ranges, --random, --repeat or --folds); "
                         "give another -o DIR", s->dir);
            goto out;
        }
        /* The same sweep: resume it. */
        rc = check_run_dirs(s, err);
        goto out;
    }
    /* A folder made just now is empty. */
    bool empty = dir_is_empty(s->dir);
    if (!empty && !s->sa->force) {
        bp_error_set(err, BP_EUSAGE, "%s: exists and is not a sweep's "
                     "folder (no sweep.json); refusing to write into it: "
                     "--force writes into it anyway", s->dir);
        goto out;
    }
    if (!empty && check_run_dirs(s, err) < 0)
        goto out;
    if (access(s->dir, W_OK | X_OK) != 0) {
        bp_error_set(err, BP_EUSAGE, "-o %s: cannot write in it: %s", s->dir,
                     strerror(errno));
        goto out;
    }
    rc = atomic_write_file(saved_path, def, strlen(def), err);
out:
    free(def);
    free(saved);
    free(saved_path);
    return rc;
}

/* ---- one run's result, from its log ---- */

static double json_number(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Reads DIR/RUN/log.jsonl: epochs, time, final metrics, and the best
 * epoch's by the sweep's metric (lowest loss, highest accuracy). */
static void read_log(const struct sweep *s, size_t r, struct sweep_result *res)
{
    static const char *const keys[SWEEP_METRICS] = {
        "train_loss", "validation_loss", "validation_accuracy"};
    char *path = run_path(s, r, "log.jsonl"), *text = NULL;
    size_t len;
    struct bp_error ignore = {0};
    for (int m = 0; m < SWEEP_METRICS; m++)
        res->final[m] = res->best[m] = NAN;
    res->epochs = 0;
    res->seconds = 0;
    res->best_epoch = 0;
    if (!path || file_read_text(path, &text, &len, &ignore) < 0) {
        free(path);
        return;
    }
    enum sweep_metric sm = s->metric;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        cJSON *o = cJSON_Parse(line);
        if (!o)
            continue;
        double v[SWEEP_METRICS];
        for (int m = 0; m < SWEEP_METRICS; m++)
            v[m] = json_number(o, keys[m]);
        double epoch = json_number(o, "epoch"), secs = json_number(o, "seconds");
        if (!isnan(secs))
            res->seconds += secs;
        if (!isnan(epoch))
            res->epochs = (size_t)epoch;
        double cur = v[sm], best = res->best[sm];
        bool improves = !isnan(cur) &&
                        (isnan(best) || (sm == SWEEP_VALIDATION_ACCURACY
                                             ? cur > best
                                             : cur < best));
        if (improves || res->best_epoch == 0) {
            for (int m = 0; m < SWEEP_METRICS; m++)
                res->best[m] = v[m];
            res->best_epoch = res->epochs;
        }
        for (int m = 0; m < SWEEP_METRICS; m++)
            res->final[m] = v[m];
        cJSON_Delete(o);
    }
    free(text);
    free(path);
}

static void write_metrics(struct json_writer *w, const char *key,
                          const double *v)
{
    json_key(w, key);
    json_begin_object(w);
    for (int m = 0; m < SWEEP_METRICS; m++) {
        json_key(w, sweep_metric_name((enum sweep_metric)m));
        json_double(w, v[m]);
    }
    json_end_object(w);
}

/* One run's row, as an object (results.jsonl, result.json). */
static void write_row(struct json_writer *w, const struct sweep *s, size_t r)
{
    const struct sweep_def *d = &s->sa->def;
    const struct sweep_result *res = &s->results[r];
    size_t point, repeat, fold;
    char name[64];
    sweep_run_position(d, r, &point, &repeat, &fold);
    sweep_run_name(d, r, name, sizeof name);
    json_begin_object(w);
    json_key(w, "run");
    json_string(w, name);
    json_key(w, "point");
    json_size(w, point);
    json_key(w, "repeat");
    json_size(w, repeat);
    json_key(w, "fold");
    json_size(w, fold);
    json_key(w, "overrides");
    json_begin_object(w);
    for (size_t i = 0; i < d->n_axes; i++) {
        json_key(w, d->axes[i].key);
        json_raw(w, s->points.value[point * d->n_axes + i]);
    }
    json_end_object(w);
    json_key(w, "status");
    json_string(w, res->status == 0 ? "ok" : "failed");
    json_key(w, "epochs");
    json_size(w, res->epochs);
    json_key(w, "seconds");
    json_double(w, res->seconds);
    json_key(w, "best_epoch");
    json_size(w, res->best_epoch);
    write_metrics(w, "final", res->final);
    write_metrics(w, "best", res->best);
    json_end_object(w);
}

/* A CSV field: quoted when it needs it. */
static void csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, f);
        return;
    }
    putc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            putc('"', f);
        putc(*v, f);
    }
    putc('"', f);
}

static void csv_number(FILE *f, double x)
{
    char buf[40];
    if (isnan(x))
        return;
    json_format_double(buf, sizeof buf, x);
    fputs(buf, f);
}

/* DIR/results.csv and DIR/results.jsonl, from every finished run, in run
 * order, each written atomically. */
static int write_results(const struct sweep *s, struct bp_error *err)
{
    const struct sweep_def *d = &s->sa->def;
    char *csv = NULL, *jsonl = NULL;
    size_t csv_len = 0, jsonl_len = 0;
    FILE *c = open_memstream(&csv, &csv_len);
    FILE *j = open_memstream(&jsonl, &jsonl_len);
    int rc = -1;
    if (!c || !j) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    fputs("run,point,repeat,fold", c);
    for (size_t i = 0; i < d->n_axes; i++) {
        putc(',', c);
        csv_field(c, d->axes[i].key);
    }
    fputs(",status,epochs,seconds,best_epoch", c);
    for (int k = 0; k < 2; k++)
        for (int m = 0; m < SWEEP_METRICS; m++)
            fprintf(c, ",%s_%s", k ? "best" : "final",
                    sweep_metric_name((enum sweep_metric)m));
    putc('\n', c);
    for (size_t r = 0; r < s->n_runs; r++) {
        const struct sweep_result *res = &s->results[r];
        if (!res->done)
            continue;
        size_t point, repeat, fold;
        char name[64];
        sweep_run_position(d, r, &point, &repeat, &fold);
        sweep_run_name(d, r, name, sizeof name);
        fprintf(c, "%s,%zu,%zu,%zu", name, point, repeat, fold);
        for (size_t i = 0; i < d->n_axes; i++) {
            putc(',', c);
            csv_field(c, s->points.value[point * d->n_axes + i]);
        }
        fprintf(c, ",%s,%zu,", res->status == 0 ? "ok" : "failed",
                res->epochs);
        csv_number(c, res->seconds);
        fprintf(c, ",%zu", res->best_epoch);
        for (int m = 0; m < SWEEP_METRICS; m++) {
            putc(',', c);
            csv_number(c, res->final[m]);
        }
        for (int m = 0; m < SWEEP_METRICS; m++) {
            putc(',', c);
            csv_number(c, res->best[m]);
        }
        putc('\n', c);
        struct json_writer w;
        size_t len;
        json_writer_init(&w, true);
        write_row(&w, s, r);
        char *row = json_writer_finish(&w, &len, err);
        if (!row)
            goto out;
        fwrite(row, 1, len, j);
        free(row);
    }
    if (fclose(c) != 0 || fclose(j) != 0) {
        c = j = NULL;
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    c = j = NULL;
    char *csv_path = path_join(s->dir, "results.csv", NULL);
    char *jsonl_path = path_join(s->dir, "results.jsonl", NULL);
    rc = csv_path && jsonl_path &&
                 atomic_write_file(csv_path, csv, csv_len, err) == 0 &&
                 atomic_write_file(jsonl_path, jsonl, jsonl_len, err) == 0
             ? 0
             : -1;
    free(csv_path);
    free(jsonl_path);
out:
    if (c)
        fclose(c);
    if (j)
        fclose(j);
    free(csv);
    free(jsonl);
    return rc;
}

/* ---- running ---- */

static int prepare_run(const struct sweep *s, size_t r, struct bp_error *err);

/* One run, in a worker, as `train` runs it; returns its exit status
 * (train's). A fresh run trains the base config with its overrides; a run
 * whose folder holds weights resumes from them, appending to its log. */
static int one_run(const struct sweep *s, size_t r)
{
    struct bp_error err = {0};
    char *weights = run_path(s, r, "weights.json");
    char *log = run_path(s, r, "log.jsonl");
    char *error = run_path(s, r, "error.txt");
    struct config_override *ov = NULL;
    size_t n = 0;
    int status = 1;
    if (!weights || !log || !error) {
        bp_error_set(&err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (prepare_run(s, r, &err) < 0)
        goto out;
    bool resume = exists(weights);
    if (!resume && sweep_run_overrides(&s->sa->def, &s->points, r, &s->base,
                                       &ov, &n, &err) < 0)
        goto out;
    struct run_request rq = {
        .config = resume ? weights : s->sa->config,
        .output = weights,
        .log = log,
        .log_append = resume,
        .quiet = true,
        .threads = s->threads,
        .overrides = ov,
        .n_overrides = n,
    };
    status = run_training(&rq, &err) < 0 ? bp_error_exit_status(&err) : 0;
out:
    if (status != 0 && error && err.code != BP_EINTERRUPTED) {
        size_t len = strlen(err.msg);
        char *msg = malloc(len + 2);
        if (msg) {
            memcpy(msg, err.msg, len);
            msg[len] = '\n';
            struct bp_error ignore = {0};
            atomic_write_file(error, msg, len + 1, &ignore);
            free(msg);
        }
    }
    sweep_overrides_free(ov, n);
    free(weights);
    free(log);
    free(error);
    fflush(stderr);
    /* Interrupted: the status the parent tells from a failure. */
    return err.code == BP_EINTERRUPTED ? WORKERS_INTERRUPTED : status;
}

/* The run's folder and its config.json (the base config with the run's
 * overrides), before the child starts. */
static int prepare_run(const struct sweep *s, size_t r, struct bp_error *err)
{
    char name[64];
    sweep_run_name(&s->sa->def, r, name, sizeof name);
    char *dir = path_join(s->dir, name, NULL);
    char *cfg_path = run_path(s, r, "config.json");
    struct config_override *ov = NULL;
    size_t n = 0;
    char *text = NULL;
    int rc = -1;
    if (!dir || !cfg_path) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        bp_error_set(err, BP_EIO, "%s: cannot make the folder: %s", dir,
                     strerror(errno));
        goto out;
    }
    if (exists(cfg_path)) {
        rc = 0;
        goto out;
    }
    if (sweep_run_overrides(&s->sa->def, &s->points, r, &s->base, &ov, &n,
                            err) < 0 ||
        !(text = config_overridden_text(s->sa->config, ov, n, err)))
        goto out;
    /* A plain write, not a replacement: the file is new, in a new folder,
     * and only for reading (a cut-off copy is rewritten by no one, but
     * trains nothing either). */
    FILE *f = fopen(cfg_path, "w");
    bool written = f && fputs(text, f) != EOF && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        written = false;
    if (!written) {
        bp_error_set(err, BP_EIO, "%s: cannot write: %s", cfg_path,
                     strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(text);
    sweep_overrides_free(ov, n);
    free(dir);
    free(cfg_path);
    return rc;
}

struct progress_state {
    bool tty;
    size_t total, done_before, done, running, failed;
    double started;
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void draw_progress(const struct progress_state *p)
{
    if (!p->tty)
        return;
    size_t fresh = p->done - p->done_before;
    size_t left = p->total - p->done;
    char eta[32] = "?";
    if (fresh > 0) {
        double per = (now_seconds() - p->started) / (double)fresh;
        double secs = per * (double)left;
        snprintf(eta, sizeof eta, "%d:%02d", (int)(secs / 60),
                 (int)fmod(secs, 60));
    }
    fprintf(stderr, "\rsweep: %zu/%zu runs done, %zu running, ETA %s   ",
            p->done, p->total, p->running, eta);
    fflush(stderr);
}

static void erase_progress(const struct progress_state *p)
{
    if (p->tty)
        fprintf(stderr, "\r\033[K");
}

_Static_assert(sizeof(struct sweep_result) <= WORKERS_RESULT_MAX,
               "a run's result fits a worker's message");

/* The parent's side of running: the progress line and the results files
 * as runs end. */
struct running {
    struct sweep *s;
    struct progress_state p;
    double written; /* when the results files were last written */
};

/* A worker's task: run r, and its result from its log. */
static int run_task(void *ctx, size_t r, void *result)
{
    const struct running *rn = ctx;
    int status = one_run(rn->s, r);
    struct sweep_result res;
    memset(&res, 0, sizeof res); /* every byte goes through the pipe */
    read_log(rn->s, r, &res);
    memcpy(result, &res, sizeof res);
    return status;
}

static int run_finished(void *ctx, size_t r, int status, const void *result,
                        size_t busy, struct bp_error *err)
{
    struct running *rn = ctx;
    struct sweep *s = rn->s;
    struct sweep_result *res = &s->results[r];
    if (result)
        memcpy(res, result, sizeof *res);
    else
        read_log(s, r, res); /* the worker died before it could say */
    res->status = status;
    res->done = true;
    rn->p.running = busy;
    rn->p.done++;
    rn->p.failed += status != 0;
    if (!s->sa->quiet && !rn->p.tty) {
        char name[64];
        sweep_run_name(&s->sa->def, r, name, sizeof name);
        fprintf(stderr, "backprop: sweep: %s %s (%zu/%zu)\n", name,
                status ? "failed" : "done", rn->p.done, rn->p.total);
    }
    draw_progress(&rn->p);
    /* The results files follow the runs, but at most once a second:
     * small runs finish faster than a file can be synced. */
    if (now_seconds() - rn->written >= 1.0) {
        if (write_results(s, err) < 0)
            return -1;
        rn->written = now_seconds();
    }
    return 0;
}

/* A run and its cost, for the order runs are given out in. */
struct costed_run {
    double cost;
    size_t run;
};

/* For qsort: the costlier run first, then run order. */
static int costlier_first(const void *a, const void *b)
{
    const struct costed_run *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->run < y->run ? -1 : x->run > y->run;
}

/* Runs every unfinished run in `jobs` workers (workers.h), the costliest
 * first (parameters x epochs): the last runs to start are then the
 * shortest, and no worker waits long for another's at the end. 0; -1
 * with err when interrupted (BP_EINTERRUPTED) or the runs could not
 * start. */
static int run_all(struct sweep *s, struct bp_error *err)
{
    struct running rn = {
        .s = s,
        .p = {.tty = isatty(STDERR_FILENO) && !s->sa->quiet,
              .total = s->n_runs,
              .started = now_seconds()},
        .written = now_seconds(),
    };
    bool *skip = malloc(s->n_runs * sizeof *skip);
    size_t *order = malloc(s->n_runs * sizeof *order);
    struct costed_run *by_cost = malloc(s->n_runs * sizeof *by_cost);
    if (!skip || !order || !by_cost) {
        free(skip);
        free(order);
        free(by_cost);
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < s->n_runs; r++) {
        skip[r] = s->results[r].done;
        rn.p.done += skip[r];
        size_t point, repeat, fold;
        sweep_run_position(&s->sa->def, r, &point, &repeat, &fold);
        by_cost[r] = (struct costed_run){s->point_cost[point], r};
    }
    qsort(by_cost, s->n_runs, sizeof *by_cost, costlier_first);
    for (size_t i = 0; i < s->n_runs; i++)
        order[i] = by_cost[i].run;
    free(by_cost);
    size_t left = s->n_runs - rn.p.done;
    rn.p.running = left < s->jobs ? left : s->jobs;
    draw_progress(&rn.p);
    rn.p.done_before = rn.p.done;
    struct workers_plan plan = {
        .n_tasks = s->n_runs,
        .skip = skip,
        .order = order,
        .jobs = s->jobs,
        .result_size = sizeof(struct sweep_result),
        .pin = s->threads == 1,
        .run = run_task,
        .finished = run_finished,
        .ctx = &rn,
    };
    int rc = workers_run(&plan, err);
    free(skip);
    free(order);
    erase_progress(&rn.p);
    if (rc < 0 && err->code != BP_EINTERRUPTED) {
        struct bp_error ignore = {0};
        write_results(s, &ignore); /* what did finish is kept */
        return bp_error_prefix(err, "sweep");
    }
    if (write_results(s, err) < 0)
        return -1;
    if (rc < 0)
        return bp_error_set(err, BP_EINTERRUPTED, "sweep: interrupted: %zu "
                            "of %zu runs done, the others saved at their "
                            "last complete epoch; run the same command again "
                            "to resume", rn.p.done, rn.p.total);
    return 0;
}

/* Finished runs left by an earlier sweep into the same folder: the rows
 * of its results.jsonl (a run finished since the file was last written
 * is resumed from its weights, which holds every epoch: nothing is lost
 * but the time to read them). */
static void read_finished(struct sweep *s)
{
    char *path = path_join(s->dir, "results.jsonl", NULL), *text = NULL;
    size_t len;
    struct bp_error ignore = {0};
    if (!path || !exists(path) ||
        file_read_text(path, &text, &len, &ignore) < 0) {
        free(path);
        return;
    }
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        cJSON *o = cJSON_Parse(line);
        const cJSON *run = cJSON_GetObjectItemCaseSensitive(o, "run");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
        for (size_t r = 0; cJSON_IsString(run) && r < s->n_runs; r++) {
            char name[64];
            sweep_run_name(&s->sa->def, r, name, sizeof name);
            if (strcmp(name, run->valuestring) != 0)
                continue;
            read_log(s, r, &s->results[r]);
            s->results[r].done = true;
            s->results[r].status =
                cJSON_IsString(st) && strcmp(st->valuestring, "ok") == 0 ? 0
                                                                          : 1;
        }
        cJSON_Delete(o);
    }
    free(text);
    free(path);
}

/* ---- the table ---- */

/* The mean of a metric at the best epochs of a point's finished runs. */
static double point_mean(const struct sweep *s, size_t point,
                         enum sweep_metric m)
{
    double sum = 0;
    size_t n = 0;
    for (size_t r = 0; r < s->n_runs; r++) {
        size_t pt, repeat, fold;
        sweep_run_position(&s->sa->def, r, &pt, &repeat, &fold);
        const struct sweep_result *res = &s->results[r];
        if (pt == point && res->done && res->status == 0 &&
            !isnan(res->best[m])) {
            sum += res->best[m];
            n++;
        }
    }
    return n ? sum / (double)n : NAN;
}

static void print_table(const struct sweep *s, struct bp_error *err)
{
    const struct sweep_def *d = &s->sa->def;
    struct sweep_summary *sum;
    size_t n;
    if (sweep_summarize(d, &s->points, s->results, s->metric, &sum, &n,
                        err) < 0)
        return;
    size_t *width = calloc(d->n_axes ? d->n_axes : 1, sizeof *width);
    if (!width) {
        free(sum);
        return;
    }
    for (size_t i = 0; i < d->n_axes; i++) {
        width[i] = strlen(d->axes[i].key);
        for (size_t pt = 0; pt < s->points.n_points; pt++) {
            size_t w = strlen(s->points.value[pt * d->n_axes + i]);
            width[i] = w > width[i] ? w : width[i];
        }
    }
    const char *metric = sweep_metric_name(s->metric);
    /* Ranked by a loss, a classifier's accuracy at the same epochs too. */
    bool accuracy = s->metric == SWEEP_VALIDATION_LOSS;
    for (size_t r = 0; accuracy && r < s->n_runs; r++)
        if (s->results[r].done && isnan(s->results[r].best[SWEEP_VALIDATION_ACCURACY]))
            accuracy = false;
    printf("%-5s %-5s", "rank", "point");
    for (size_t i = 0; i < d->n_axes; i++)
        printf("  %-*s", (int)width[i], d->axes[i].key);
    printf("  %s (best epoch): mean +- std    final mean  runs%s\n", metric,
           accuracy ? "  validation_accuracy" : "");
    for (size_t k = 0; k < n; k++) {
        const struct sweep_summary *e = &sum[k];
        printf("%-5zu p%03zu ", k + 1, e->point);
        for (size_t i = 0; i < d->n_axes; i++)
            printf("  %-*s", (int)width[i],
                   s->points.value[e->point * d->n_axes + i]);
        if (e->runs)
            printf("  %12.6g +- %-12.6g  %10.6g  %4zu", e->mean, e->std,
                   e->final_mean, e->runs);
        else
            printf("  %12s    %-12s  %10s  %4zu", "-", "", "-", e->runs);
        if (accuracy) {
            double acc = point_mean(s, e->point, SWEEP_VALIDATION_ACCURACY);
            /* No finished run: "-", as in the loss columns. */
            if (isnan(acc))
                printf("  %19s", "-");
            else
                printf("  %19.4f", acc);
        }
        putchar('\n');
    }
    free(width);
    free(sum);
}

/* ---- the command ---- */

/* sweeps/NAME: the config's file name without .json. */
static char *default_dir(const char *config)
{
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    char *dir = malloc(len + 8);
    if (dir)
        snprintf(dir, len + 8, "sweeps/%.*s", (int)len, base);
    return dir;
}

static int sweep(const struct sweep_args *sa, struct bp_error *err)
{
    struct sweep s;
    memset(&s, 0, sizeof s);
    s.dir_lock = -1;
    s.sa = sa;
    s.has_validation = true;
    int rc = -1;
    if (file_read_text(sa->config, &s.config_text, &s.config_len, err) < 0 ||
        config_parse_buffer(&s.base, sa->config, s.config_text, s.config_len,
                            NULL, 0, err) < 0 ||
        sweep_make_points(&sa->def, s.base.training.seed, &s.points, err) < 0)
        goto out;
    s.n_runs = sweep_run_count(&sa->def, &s.points);
    s.results = calloc(s.n_runs ? s.n_runs : 1, sizeof *s.results);
    s.dir = sa->dir ? strdup(sa->dir) : default_dir(sa->config);
    if (!s.results || !s.dir) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (check_points(&s, err) < 0)
        goto out;
    if (sa->metric >= 0) {
        s.metric = (enum sweep_metric)sa->metric;
        if (s.metric != SWEEP_TRAIN_LOSS && !s.has_validation) {
            bp_error_set(err, BP_EUSAGE, "--metric %s: the runs have no "
                         "validation data (give --folds K, or data.validation "
                         "or data.validation_split in the config)",
                         sweep_metric_name(s.metric));
            goto out;
        }
    } else {
        s.metric = s.has_validation ? SWEEP_VALIDATION_LOSS
                                    : SWEEP_TRAIN_LOSS;
    }
    if (check_data(&s, err) < 0 || prepare_dir(&s, err) < 0)
        goto out;
    if (sa->def.folds && !sa->quiet &&
        (s.base.data.validation || s.base.data.validation_split > 0))
        fprintf(stderr, "backprop: sweep: --folds %zu: the config's %s is "
                "not used; each fold is the validation data once\n",
                sa->def.folds,
                s.base.data.validation ? "data.validation"
                                       : "data.validation_split");
    read_finished(&s);
    if (!sa->quiet)
        fprintf(stderr, "backprop: sweep: %zu run%s in %s (%zu point%s x %zu "
                "repeat%s x %zu fold%s), %zu at a time on %zu thread%s each\n",
                s.n_runs, s.n_runs == 1 ? "" : "s", s.dir, s.points.n_points,
                s.points.n_points == 1 ? "" : "s", sa->def.repeat,
                sa->def.repeat == 1 ? "" : "s",
                sa->def.folds ? sa->def.folds : 1,
                sa->def.folds > 1 ? "s" : "", s.jobs, s.threads,
                s.threads == 1 ? "" : "s");
    int ran = run_all(&s, err);
    print_table(&s, err);
    if (ran < 0)
        goto out;
    size_t failed = 0;
    for (size_t r = 0; r < s.n_runs; r++)
        failed += s.results[r].done && s.results[r].status != 0;
    if (failed) {
        bp_error_set(err, BP_EIO, "sweep: %zu run%s failed; the reason is in "
                     "each one's error.txt under %s", failed,
                     failed == 1 ? "" : "s", s.dir);
        goto out;
    }
    rc = 0;
out:
    sweep_free(&s);
    return rc;
}

int cmd_sweep(int argc, char **argv, struct bp_error *err)
{
    struct sweep_args sa;
    int rc = parse_sweep_args(&sa, argc, argv, err);
    if (rc == 0 && sa.help)
        print_sweep_help();
    else if (rc == 0)
        rc = sweep(&sa, err);
    sweep_def_free(&sa.def);
    return rc;
}
