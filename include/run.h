/*
 * run: one training, from a config and overrides to a place: what
 * `backprop train` does (cmd_train.c is its command line) and what each
 * run of `backprop sweep` does, so that a sweep's run is exactly the
 * `train` it stands for (SPEC sections 2, 4 and 9).
 *
 * A run loads the config (overrides applied; a weights file resumes from
 * its state), checks its outputs (SPEC section 2's rule, before any work),
 * reads and prepares the data (validation file, split or cross-validation
 * fold; imputation; normalization), trains epoch by epoch with the
 * progress line, the per-epoch log, checkpoints, early stopping, and
 * SIGINT/SIGTERM handling (the last complete epoch saved), and writes the
 * weights atomically. Errors come back in err, worded as `train` prints
 * them; messages for the user go to stderr unless quiet.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"
#include "config.h"

struct run_request {
    const char *config;      /* the config or weights file ("-": stdin) */
    const char *output;      /* NULL: the config's output, else stdout */
    const char *data;        /* replaces data.train, or NULL */
    const char *validation;  /* replaces data.validation, or NULL */
    const char *log;         /* one JSON object per epoch, or NULL */
    bool log_append;         /* add to an existing log (a resumed run's) */
    bool quiet;              /* no progress or summary on stderr */
    bool force;              /* replace files backprop did not write */
    bool reset_state;        /* weights only: no epochs done, no buffers */
    size_t checkpoint_every; /* 0: none */
    size_t threads;          /* 0: OpenMP's default */
    const struct config_override *overrides; /* applied to the config */
    size_t n_overrides;
    bool help;               /* run_train_command: print help instead */
};

/* One run, in this process (a sweep's worker, which runs several in
 * turn): SIGINT and SIGTERM are the run's while it runs, and the caller's
 * handlers are back when it returns. 0, or -1 with err (BP_EINTERRUPTED
 * after a signal: the last complete epoch is saved). */
int run_training(const struct run_request *rq, struct bp_error *err);

/* The train command's whole life, alone or as one rank under mpirun:
 * every rank agrees on parse_rc (the command line's parse), then either
 * the lead prints the help or the ranks run. Returns as a command does
 * (an error another rank reports returns 0 here; see run.c). */
int run_train_command(int parse_rc, const struct run_request *rq,
                      void (*print_help)(void), struct bp_error *err);

#endif
