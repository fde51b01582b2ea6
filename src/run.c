/*
 * run: one training from a config and overrides to a place (run.h): what
 * `backprop train` does, and what each run of `backprop sweep` does.
 *
 * Every check that can fail fast (the config, the output folder, the data)
 * runs before the first epoch, so a mistake costs seconds, not a run.
 *
 * Under mpirun (dist.h, docs/mpi.md) every rank runs this same code. Rank 0,
 * the lead, alone reads the config and the data (so `-` works: mpirun
 * forwards stdin to rank 0 only), writes weights, checkpoints and logs and
 * speaks on stderr; it sends the config text and the training rows to the
 * others. The ranks agree after each setup phase whether all of it went
 * well, so an error every rank has (a bad config) is printed once, by the
 * lowest rank that has it, which exits with its status while the others
 * end quietly; an error only one rank has (a checkpoint that cannot be
 * written) is printed by that rank, which then aborts the job rather than
 * leave the others waiting.
 */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "config.h"
#include "dataset.h"
#include "dist.h"
#include "early_stop.h"
#include "file_text.h"
#include "network.h"
#include "normalize.h"
#include "optim.h"
#include "progress.h"
#include "trainer.h"
#include "weights.h"

/* Whether a and b name the same existing file. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return false;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int replace_path(char **slot, const char *path, struct bp_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return 0;
}

/* The resources of one run, released together. */
struct run {
    struct config cfg;
    struct dataset train;
    struct dataset validation;
    bool has_validation;
    struct normalization nz;
    struct network net;
    struct train_state state;
    struct trainer *trainer;
    struct early_stop stop;
    FILE *log;
    bool log_is_stdout;
    /* Under mpirun: whether this rank is rank 0, and whether the error
     * being returned is one every rank knows about (see the top). */
    bool lead;
    bool error_shared;     /* every rank returns an error */
    bool error_elsewhere;  /* ... and another rank prints it */
};

static void run_free(struct run *r)
{
    trainer_destroy(r->trainer);
    early_stop_free(&r->stop);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(r->state.buffer[b]);
    network_free(&r->net);
    normalization_free(&r->nz);
    dataset_free(&r->train);
    dataset_free(&r->validation);
    config_free(&r->cfg);
    if (r->log && !r->log_is_stdout)
        fclose(r->log);
}

/* Loads the training (and validation) rows, parsed by up to `threads`
 * threads, and normalises them. */
/* What data.missing and a duplicate header name leave for stderr. */
static void report_rows(const struct dataset *ds, const char *path,
                        bool quiet)
{
    if (quiet)
        return;
    if (ds->note)
        fprintf(stderr, "backprop: warning: %s\n", ds->note);
    if (ds->n_dropped)
        fprintf(stderr, "backprop: %s: dropped %zu row%s with missing cells "
                "(%zu left)\n", strcmp(path, "-") == 0 ? "<stdin>" : path,
                ds->n_dropped, ds->n_dropped == 1 ? "" : "s", ds->n_rows);
}

static int load_data(struct run *r, int threads, bool quiet,
                     struct bp_error *err)
{
    struct config *cfg = &r->cfg;
    struct dataset all = {0};
    if (dataset_load_training(&all, cfg->data.train, cfg, threads, err) < 0)
        return -1;
    report_rows(&all, cfg->data.train, quiet);
    if (cfg->data.validation) {
        r->train = all;
        if (dataset_load(&r->validation, cfg->data.validation, cfg, false,
                         threads, err) < 0)
            return -1;
        report_rows(&r->validation, cfg->data.validation, quiet);
        r->has_validation = true;
    } else if (cfg->data.cv_folds) {
        int rc = dataset_kfold(&all, cfg->data.cv_folds, cfg->data.cv_fold,
                               cfg->training.seed, &r->train, &r->validation,
                               err);
        dataset_free(&all);
        if (rc < 0)
            return cli_in_config(cfg->name, err);
        r->has_validation = true;
    } else if (cfg->data.validation_split > 0) {
        int rc = dataset_split(&all, cfg->data.validation_split,
                               cfg->training.seed, &r->train, &r->validation,
                               err);
        dataset_free(&all);
        if (rc < 0)
            return cli_in_config(cfg->name, err);
        r->has_validation = true;
    } else {
        r->train = all;
    }

    /* data.missing "mean": the training rows' means fill the missing
     * numbers, before any statistic of normalization is taken. A
     * weights file brings its own. */
    if (cfg->data.missing == MISSING_MEAN && cfg->imputation.n == 0 &&
        imputation_compute(&cfg->imputation, &r->train, err) < 0)
        return cli_in_config(cfg->name, err);
    imputation_apply(&cfg->imputation, r->train.x, r->train.n_rows);
    if (r->has_validation)
        imputation_apply(&cfg->imputation, r->validation.x,
                         r->validation.n_rows);

    /* A weights file brings the statistics the weights were trained
     * with; otherwise they come from the training rows. */
    int rc = cfg->normalization.n
                 ? normalization_copy(&r->nz, &cfg->normalization, err)
                 : normalization_compute(&r->nz, cfg->data.normalize,
                                         cfg->data.normalize_scale, &r->train,
                                         err);
    if (rc < 0)
        return cli_in_config(cfg->name, err);
    /* A value normalization takes out of float range is bad input, told
     * at its cell, not a loss gone NaN. */
    if (normalization_apply(&r->nz, cfg->data.normalize, &r->train, err) <
            0 ||
        (r->has_validation &&
         normalization_apply(&r->nz, cfg->data.normalize, &r->validation,
                             err) < 0))
        return -1;
    return 0;
}

static bool is_stdin(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

/* Checks that can be made before any data is read. */
static int check_outputs(const struct run_request *rq, const struct config *cfg,
                         const char *output, struct bp_error *err)
{
    if (!cfg->data.train)
        return bp_error_set(err, BP_EINPUT,
                            "%s: data.train: no training data (set "
                            "data.train, or pass --data FILE)",
                            cfg->name);
    /* The second reader of stdin would find it empty. */
    if (is_stdin(rq->config) + is_stdin(cfg->data.train) +
            is_stdin(cfg->data.validation) > 1)
        return bp_error_set(err, BP_EUSAGE,
                            "train: only one of CONFIG, the training data "
                            "and the validation data can be stdin");
    if (rq->log && strcmp(rq->log, "-") == 0 && strcmp(output, "-") == 0)
        return bp_error_set(err, BP_EUSAGE,
                            "train: --log - and the weights cannot both go to "
                            "stdout (give -o FILE)");
    if (rq->checkpoint_every && strcmp(output, "-") == 0)
        return bp_error_set(err, BP_EUSAGE,
                            "train: --checkpoint-every needs -o FILE");
    if (same_file(output, cfg->data.train) ||
        same_file(output, cfg->data.validation))
        return bp_error_set(err, BP_EUSAGE,
                            "train: %s: the output is a data file; refusing "
                            "to overwrite it",
                            output);
    if (rq->log && strcmp(rq->log, "-") != 0 &&
        (strcmp(rq->log, output) == 0 || same_file(rq->log, output)))
        return bp_error_set(err, BP_EUSAGE,
                            "train: %s: the log and the weights cannot go to "
                            "the same file",
                            rq->log);
    if (rq->log && (same_file(rq->log, cfg->data.train) ||
                    same_file(rq->log, cfg->data.validation) ||
                    same_file(rq->log, cfg->path)))
        return bp_error_set(err, BP_EUSAGE,
                            "train: %s: the log is an input file; refusing "
                            "to overwrite it",
                            rq->log);
    /* SPEC section 2: replace only what backprop wrote (a config's
     * output key from someone else cannot reach a user's files). */
    char whose[512];
    snprintf(whose, sizeof whose, "%s's output", cfg->name);
    if (atomic_check_owner(output, OWNER_WEIGHTS, rq->force,
                           rq->output ? "-o" : whose, err) < 0 ||
        (rq->log && atomic_check_owner(rq->log, OWNER_LOG, rq->force, "--log",
                                       err) < 0))
        return -1;
    return atomic_check_writable(output, err) < 0 ||
                   (rq->log && atomic_check_writable(rq->log, err) < 0)
               ? -1
               : 0;
}

/* The metric early stopping watches must exist in this run. */
static int check_early_stopping(const struct run *r, struct bp_error *err)
{
    if (!r->stop.enabled)
        return 0;
    const char *key = "training.early_stopping.metric";
    enum stop_metric m = r->stop.best.metric;
    if (m != STOP_TRAIN_LOSS && !r->has_validation)
        return bp_error_set(err, BP_EINPUT,
                            "%s: %s: %s needs validation data "
                            "(data.validation, data.validation_split or "
                            "--validation)",
                            r->cfg.name, key, stop_metric_name(m));
    if (m == STOP_VALIDATION_ACCURACY && !r->train.n_classes)
        return bp_error_set(err, BP_EINPUT,
                            "%s: %s: validation_accuracy needs class labels "
                            "(this is a regression net)",
                            r->cfg.name, key);
    return 0;
}

/* A plateau schedule told to watch validation_loss needs validation. */
static int check_plateau(const struct run *r, struct bp_error *err)
{
    const struct training_config *tc = &r->cfg.training;
    if (tc->schedule == SCHEDULE_PLATEAU &&
        tc->plateau_metric == PLATEAU_VALIDATION_LOSS && !r->has_validation)
        return bp_error_set(err, BP_EINPUT,
                            "%s: training.schedule.metric: validation_loss "
                            "needs validation data (data.validation, "
                            "data.validation_split or --validation)",
                            r->cfg.name);
    return 0;
}

static int save(struct run *r, const struct train_metrics *m,
                const char *output, struct bp_error *err)
{
    if (!r->lead)
        return 0;
    r->state.stopping = early_stop_progress(&r->stop);
    return weights_save(&r->cfg, &r->net, &r->nz, &r->state, m, output, err);
}

/* ---- interruption: SIGINT or SIGTERM ends the step under way, then the
 * run saves the weights of the last complete epoch (exactly resumable) and
 * exits 1; before any epoch is done there is nothing worth saving, and the
 * previous file stays as it was (SPEC section 4). A second signal exits at
 * once, leaving the previous file as it was and removing the temporary
 * file of a save under way. */

/* Atomic, not just volatile sig_atomic_t: the signal may land on any of
 * the OpenMP threads, and a second one on another thread at the same time
 * (lock-free atomics are async-signal-safe). */
static atomic_int stop_signal;

static void on_stop_signal(int sig)
{
    if (atomic_exchange(&stop_signal, sig) != 0) {
        atomic_file_abandon();
        _exit(1);
    }
}

/* On: the run's handler; off: whatever was there before (the default for
 * `train`; a sweep worker's own between its runs). Each is done once. */
static void catch_signals(bool on)
{
    static struct sigaction before_int, before_term;
    static bool caught;
    if (on == caught)
        return;
    caught = on;
    if (!on) {
        sigaction(SIGINT, &before_int, NULL);
        sigaction(SIGTERM, &before_term, NULL);
        return;
    }
    atomic_store(&stop_signal, 0); /* a run before this one's, handled */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &before_int);
    sigaction(SIGTERM, &sa, &before_term);
}

static int interrupted(struct run *r, const struct train_metrics *metrics,
                       const char *output, struct progress *line,
                       struct bp_error *err)
{
    progress_erase(line);
    trainer_rollback(r->trainer);
    if (r->state.epoch > 0 && save(r, metrics, output, err) < 0)
        return -1;
    /* Every rank stops after the same step; rank 0 reports it. */
    r->error_shared = true;
    r->error_elsewhere = !r->lead;
    int sig = atomic_load(&stop_signal);
    const char *name = sig == SIGINT    ? "SIGINT"
                       : sig == SIGTERM ? "SIGTERM"
                                                : "a signal to another rank";
    if (r->state.epoch == 0)
        return bp_error_set(err, BP_EINTERRUPTED,
                            "interrupted by %s in epoch 1, before any epoch "
                            "was done: nothing saved",
                            name);
    if (strcmp(output, "-") == 0)
        return bp_error_set(err, BP_EINTERRUPTED,
                            "interrupted by %s in epoch %zu: wrote the "
                            "weights after %zu epochs to stdout",
                            name, r->state.epoch + 1, r->state.epoch);
    return bp_error_set(err, BP_EINTERRUPTED,
                        "interrupted by %s in epoch %zu: saved the weights "
                        "after %zu epochs to %s; resume with: backprop train "
                        "%s",
                        name, r->state.epoch + 1, r->state.epoch, output,
                        output);
}

/* After a non-finite loss or weight (err holds which): the epoch's start
 * is the last good state. Saved when it holds any training, so the run is
 * not lost; with none, the previous output stays untouched. */
static int diverged(struct run *r, const struct train_metrics *metrics,
                    const char *output, struct progress *line,
                    struct bp_error *err)
{
    progress_erase(line);
    if (err->code != BP_ENUMERIC)
        return -1;
    /* Every rank saw the same non-finite numbers; rank 0 reports them. */
    r->error_shared = true;
    r->error_elsewhere = !r->lead;
    trainer_rollback(r->trainer);
    if (r->state.epoch == 0)
        return -1;
    char what[BP_ERROR_MAX];
    snprintf(what, sizeof what, "%s", err->msg);
    struct bp_error save_err = {0};
    if (save(r, metrics, output, &save_err) < 0)
        return bp_error_set(err, BP_ENUMERIC, "%.300s; and saving the last "
                            "good weights failed: %.300s",
                            what, save_err.msg);
    return bp_error_set(err, BP_ENUMERIC,
                        "%.500s; saved the last good weights (after %zu "
                        "epochs) to %s",
                        what, r->state.epoch,
                        strcmp(output, "-") == 0 ? "stdout" : output);
}

/* ---- several ranks (see the top of this file) ---- */

/* Whether every rank got through a setup phase; rc is this rank's result.
 * When some failed, the lowest failed rank keeps its error for main to
 * print and the others take its code quietly; every rank returns -1.
 * Alone, returns rc. */
static int agree(struct run *r, int rc, struct bp_error *err)
{
    if (!dist_active())
        return rc;
    int rank = dist_rank();
    int first = dist_min(rc < 0 ? rank : dist_size());
    if (first == dist_size())
        return 0;
    int code = rank == first ? (int)err->code : BP_OK;
    dist_bcast(&code, sizeof code, first);
    r->error_shared = true;
    if (rank != first) {
        r->error_elsewhere = true;
        bp_error_set(err, (enum bp_error_code)code, "failed on rank %d",
                     first);
    }
    return -1;
}

/* Rank 0 reads the config (or weights) file; every rank parses the same
 * bytes, so all hold the same network, state and settings even when only
 * rank 0 can read the file (stdin, or a checkpoint on rank 0's disk). */
static int load_config_shared(struct run *r, const struct run_request *rq,
                              struct bp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = r->lead ? file_read_text(rq->config, &text, &len, err) : 0;
    if (agree(r, rc, err) < 0)
        goto out;
    uint64_t n = len;
    dist_bcast(&n, sizeof n, 0);
    if (!r->lead) {
        text = n < SIZE_MAX ? malloc((size_t)n + 1) : NULL;
        rc = text ? 0 : bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    if (agree(r, rc, err) < 0)
        goto out;
    dist_bcast(text, (size_t)n, 0);
    rc = agree(r, config_parse_buffer(&r->cfg, rq->config, text, (size_t)n,
                                      rq->overrides, rq->n_overrides, err),
               err);
out:
    free(text);
    return rc;
}

/* Rank 0's training rows, loaded, split and normalised, to every rank:
 * each epoch's shuffle draws its batches from all of them, so every rank
 * needs them all. */
static int share_training_rows(struct run *r, struct bp_error *err)
{
    struct dataset *ds = &r->train;
    uint64_t h[5] = {ds->n_rows, ds->n_features, ds->n_outputs,
                     ds->n_classes, ds->has_targets};
    dist_bcast(h, sizeof h, 0);
    size_t rows = (size_t)h[0], features = (size_t)h[1];
    size_t outputs = (size_t)h[2];
    int rc = 0;
    if (!r->lead) {
        ds->n_rows = rows;
        ds->n_features = features;
        r->cfg.input = features; /* the width the lead's data gave */
        ds->n_outputs = outputs;
        ds->n_classes = (size_t)h[3];
        ds->has_targets = h[4] != 0;
        bool fits = features == 0 || rows <= SIZE_MAX / sizeof(float) /
                                                 (features + outputs);
        ds->x = fits ? malloc(rows * features * sizeof *ds->x + 1) : NULL;
        if (ds->n_classes)
            ds->label = fits ? malloc(rows * sizeof *ds->label + 1) : NULL;
        else
            ds->y = fits ? malloc(rows * outputs * sizeof *ds->y + 1) : NULL;
        if (!ds->x || (!ds->label && !ds->y))
            rc = bp_error_set(err, BP_ENOMEM,
                              "out of memory for %zu training rows", rows);
    }
    if (agree(r, rc, err) < 0)
        return -1;
    dist_bcast(ds->x, rows * features * sizeof *ds->x, 0);
    if (ds->n_classes)
        dist_bcast(ds->label, rows * sizeof *ds->label, 0);
    else
        dist_bcast(ds->y, rows * outputs * sizeof *ds->y, 0);
    return 0;
}

/* A run continued from a weights file after `epoch` epochs, with the
 * log of the run it continues: that log keeps its lines up to that
 * epoch (later ones, from a later save than the one resumed, go) and the
 * run appends to it, so one log tells the whole training. True when the
 * log was cut there; false (write it anew) when there is no such log, it
 * is not a regular file, or it holds no line for that epoch. */
static bool keep_log_until(const char *path, size_t epoch)
{
    struct stat st;
    if (epoch == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    char *text;
    size_t len;
    struct bp_error ignore = {0};
    if (file_read_text(path, &text, &len, &ignore) < 0)
        return false;
    static const char prefix[] = "{\"epoch\":";
    size_t keep = 0;
    bool found = false;
    for (size_t at = 0; at < len && !found;) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        if (!nl || strncmp(line, prefix, sizeof prefix - 1) != 0)
            break; /* a cut-off last line or not a log line: the end */
        char *after;
        errno = 0;
        unsigned long long e = strtoull(line + sizeof prefix - 1, &after, 10);
        if (errno || after == line + sizeof prefix - 1 || e > epoch)
            break;
        at = (size_t)(nl - text) + 1;
        found = e == epoch;
        keep = at;
    }
    free(text);
    return found && truncate(path, (off_t)keep) == 0;
}

/* Config, checks and data, up to a trainer ready to run. */
static int set_up(struct run *r, const struct run_request *rq,
                  const char **output, struct bp_error *err)
{
    struct config *cfg = &r->cfg;
    int rc = dist_active() ? load_config_shared(r, rq, err)
                           : config_load(cfg, rq->config, rq->overrides,
                                         rq->n_overrides, err);
    if (rc < 0)
        return -1;
    if (rq->data && replace_path(&cfg->data.train, rq->data, err) < 0)
        return -1;
    if (rq->validation) {
        if (replace_path(&cfg->data.validation, rq->validation, err) < 0)
            return -1;
        cfg->data.validation_split = 0;
        cfg->data.cv_folds = 0;
    }
    /* A weights file read as the config is continued in place: its own
     * output key names the config it came from, not where it was saved
     * (`-o` then). */
    if (rq->output)
        *output = rq->output;
    else if (cfg->is_weights && !is_stdin(rq->config))
        *output = rq->config;
    else
        *output = cfg->output ? cfg->output : "-";
    int threads = rq->threads ? (int)rq->threads : trainer_default_threads();
    /* Like OMP_NUM_THREADS, an environment setting: tests and measurements
     * that need every step on the team whatever its speed. */
    enum team_policy team;
    const char *team_env = getenv("BACKPROP_TEAM");
    if (team_policy_parse(team_env, &team) < 0) {
        bp_error_set(err, BP_EUSAGE,
                     "BACKPROP_TEAM: expected \"auto\" or \"always\", got "
                     "\"%s\"",
                     team_env);
        return agree(r, -1, err);
    }
    if (r->lead)
        rc = check_outputs(rq, cfg, *output, err) < 0 ||
                     load_data(r, threads, rq->quiet, err) < 0
                 ? -1
                 : 0;
    if (agree(r, rc, err) < 0)
        return -1;
    if (dist_active() && share_training_rows(r, err) < 0)
        return -1;

    if (network_create(&r->net, cfg, err) < 0)
        return agree(r, -1, err);
    struct stop_progress *recorded = NULL;
    if (!rq->reset_state) {
        /* The state moves to the run; its early-stopping record stays the
         * config's, for early_stop_resume to take up. */
        recorded = cfg->state.stopping;
        r->state = cfg->state;
        r->state.stopping = NULL;
        memset(&cfg->state, 0, sizeof cfg->state);
        cfg->state.stopping = recorded;
    }
    rc = trainer_create(&r->trainer, &r->net, &cfg->training, &r->state,
                        &r->train, r->has_validation ? &r->validation : NULL,
                        threads, err) < 0 ||
                 early_stop_init(&r->stop, &cfg->training, r->net.n_params,
                                 err) < 0 ||
                 (r->lead && (check_early_stopping(r, err) < 0 ||
                              check_plateau(r, err) < 0))
             ? -1
             : 0;
    if (rc == 0) {
        trainer_set_team(r->trainer, team);
        early_stop_resume(&r->stop, recorded, &r->net, &r->state,
                          &cfg->metrics);
    }
    /* The log is emptied only once every check has passed: a mistake
     * must not cost the previous run's log. */
    if (rc == 0 && r->lead && rq->log) {
        r->log_is_stdout = strcmp(rq->log, "-") == 0;
        bool append = rq->log_append ||
                      (!r->log_is_stdout &&
                       keep_log_until(rq->log, r->state.epoch));
        r->log = r->log_is_stdout ? stdout
                                  : fopen(rq->log, append ? "a" : "w");
        if (!r->log)
            rc = bp_error_set(err, BP_EIO, "%s: cannot open for writing: %s",
                              rq->log, strerror(errno));
    }
    return agree(r, rc, err);
}

static int train(struct run *r, const struct run_request *rq,
                 struct bp_error *err)
{
    const char *output;
    if (set_up(r, rq, &output, err) < 0)
        return -1;
    struct config *cfg = &r->cfg;
    bool quiet = rq->quiet || !r->lead;

    size_t epochs = cfg->training.epochs;
    if (r->state.epoch >= epochs && !quiet)
        fprintf(stderr,
                "backprop: nothing to train: %zu epochs are done and "
                "training.epochs is %zu (raise it with --epochs)\n",
                r->state.epoch, epochs);
    /* Until an epoch runs, the metrics are those the file recorded. */
    struct train_metrics metrics = cfg->metrics;
    struct epoch_report rep = {0};
    double started = progress_now();
    size_t samples = 0;
    const char *log_name = r->log_is_stdout ? "stdout" : rq->log;
    struct progress line;
    progress_init(&line, isatty(STDERR_FILENO) && !quiet);
    catch_signals(true);
    trainer_watch_stop(r->trainer, &stop_signal);
    /* From here on every rank sees the same numbers and the same stop
     * requests, so divergence and interruption end every rank alike. */
    while (r->state.epoch < epochs) {
        trainer_epoch_begin(r->trainer);
        while (!trainer_epoch_done(r->trainer) &&
               !trainer_stop_requested(r->trainer)) {
            if (trainer_step(r->trainer, err) < 0)
                return diverged(r, &metrics, output, &line, err);
            progress_draw(&line, r->trainer, r->state.epoch, epochs);
        }
        if (trainer_stop_requested(r->trainer))
            return interrupted(r, &metrics, output, &line, err);
        progress_erase(&line);
        if (trainer_epoch_end(r->trainer, &rep, err) < 0)
            return err->code == BP_ENUMERIC
                       ? diverged(r, &metrics, output, &line, err)
                       : -1;
        samples += r->train.n_rows;
        metrics.train_loss = rep.train_loss;
        metrics.validation_loss = rep.validation_loss;
        metrics.validation_accuracy = rep.validation_accuracy;
        if (!quiet)
            progress_epoch_line(stderr, &rep, epochs);
        if (r->log && progress_log_epoch(r->log, log_name, &rep,
                                         progress_now() - started, err) < 0)
            return -1;
        if (early_stop_update(&r->stop, &rep, &r->net, &r->state, &metrics)) {
            early_stop_restore(&r->stop, &r->net, &r->state, &metrics);
            if (!quiet)
                fprintf(stderr,
                        "backprop: early stopping after epoch %zu: no "
                        "improvement in %s for %zu epochs; keeping epoch "
                        "%zu (%s %.6g)\n",
                        rep.epoch + 1, stop_metric_name(r->stop.best.metric),
                        r->stop.patience, r->stop.best.best_epoch + 1,
                        stop_metric_name(r->stop.best.metric),
                        r->stop.best.best);
            break;
        }
        if (rq->checkpoint_every && r->state.epoch < epochs &&
            r->state.epoch % rq->checkpoint_every == 0 &&
            save(r, &metrics, output, err) < 0)
            return -1;
    }
    if (save(r, &metrics, output, err) < 0)
        return -1;
    catch_signals(false);

    if (!quiet) {
        double seconds = progress_now() - started;
        fprintf(stderr, "backprop: %zu epoch%s done", r->state.epoch,
                r->state.epoch == 1 ? "" : "s");
        if (samples)
            fprintf(stderr, " in %.2f s (%.0f samples/s)", seconds,
                    seconds > 0 ? (double)samples / seconds : 0.0);
        if (dist_active())
            fprintf(stderr, " on %d ranks", dist_size());
        if (!isnan(metrics.validation_accuracy))
            fprintf(stderr, "; validation accuracy %.4f",
                    metrics.validation_accuracy);
        else if (!isnan(metrics.validation_loss))
            fprintf(stderr, "; validation loss %.6g", metrics.validation_loss);
        fprintf(stderr, "; weights written to %s\n",
                strcmp(output, "-") == 0 ? "stdout" : output);
    }
    return 0;
}

int run_training(const struct run_request *rq, struct bp_error *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.lead = true;
    int rc = train(&r, rq, err);
    catch_signals(false); /* on every way out: the caller may run again */
    run_free(&r);
    return rc;
}

int run_train_command(int parse_rc, const struct run_request *rq,
                      void (*print_help)(void), struct bp_error *err)
{
    dist_init();
    struct run r;
    memset(&r, 0, sizeof r);
    r.lead = dist_rank() == 0;
    int rc = agree(&r, parse_rc, err);
    if (rc == 0 && rq->help) {
        if (r.lead)
            print_help();
    } else if (rc == 0) {
        rc = train(&r, rq, err);
    }
    run_free(&r);
    /* An error only this rank has: main prints it, and leaving without
     * dist_finalize aborts the job (dist.h). */
    if (rc < 0 && dist_active() && !r.error_shared)
        return -1;
    dist_finalize();
    /* Every rank has the error and another rank prints it: this one ends
     * quietly with status 0, and mpirun exits with the reporter's status.
     * (A second non-zero status could also cut the report short: mpirun
     * kills the job at the first one.) */
    if (rc < 0 && r.error_elsewhere)
        return 0;
    return rc;
}
