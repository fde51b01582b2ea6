/*
 * progress: what `backprop train` tells while it runs. On stderr, one line
 * per epoch for people (and, when stderr is a terminal, a progress line
 * redrawn in place at most ten times a second: epoch, batch, running loss,
 * samples/s, ETA); in the --log file, one JSON object per epoch for
 * programs (`backprop plot` reads it).
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bp_error.h"
#include "trainer.h"

struct progress {
    bool enabled;       /* stderr is a terminal and not --quiet */
    double last_drawn;  /* seconds on the monotonic clock; 0: nothing shown */
};

void progress_init(struct progress *p, bool enabled);

/* Redraws the progress line of epoch `epoch` (0-based) of `epochs`, unless
 * it was drawn less than a tenth of a second ago. */
void progress_draw(struct progress *p, const struct trainer *tr, size_t epoch,
                   size_t epochs);

/* Clears the progress line, so that a message can take its place. */
void progress_erase(struct progress *p);

/* The human line for a finished epoch. */
void progress_epoch_line(FILE *f, const struct epoch_report *r,
                         size_t epochs);

/* The JSON-lines record of a finished epoch, flushed; `elapsed` is seconds
 * since training began. BP_EIO naming `name` if the write fails (BP_EPIPE
 * when the reader of a pipe went away). */
int progress_log_epoch(FILE *f, const char *name, const struct epoch_report *r,
                       double elapsed, struct bp_error *err);

/* Seconds on the monotonic clock. */
double progress_now(void);

#endif
