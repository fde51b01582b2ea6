/*
 * workers: tasks 0..n-1 run in J worker processes that each take the next
 * task in turn until none is left (a sweep's runs: SPEC section 9).
 *
 * A worker is forked once and runs task after task, so a task costs no
 * process start, and its files reach the disk behind the next task's work
 * (atomic_file_defer): a task's result is handed to the parent only once
 * every file it wrote is durable. Which worker runs which task, and in
 * what order they end, is left to timing: each task must not depend on
 * it. Each worker is in a process group of its own: the terminal's Ctrl-C
 * reaches the parent alone, which then stops giving out tasks and passes
 * one SIGINT to every worker (a task under way saves and ends; a worker
 * between tasks ends). A worker that dies in a task is replaced. A worker
 * whose parent dies (even by SIGKILL) gets a SIGTERM and ends the same
 * way, taking no further task.
 */
#ifndef WORKERS_H
#define WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"

/* The most bytes a task hands back. */
#define WORKERS_RESULT_MAX 256

/* The exit status that says "interrupted", as `train` gives after Ctrl-C. */
#define WORKERS_INTERRUPTED 130

struct workers_plan {
    size_t n_tasks;
    const bool *skip;   /* [n_tasks]: tasks already done, or NULL */
    const size_t *order; /* [n_tasks]: the order tasks are taken in (a
                          * permutation), or NULL: 0, 1, ... */
    size_t jobs;        /* workers, at least 1 */
    size_t result_size; /* at most WORKERS_RESULT_MAX */
    /* Worker k runs on the k-th CPU this process may use (for tasks of
     * one thread each, at most one worker per CPU): left to the
     * scheduler, two workers forked together may share a CPU for a good
     * part of a short task before one is moved. */
    bool pin;
    /* In a worker: runs task t, fills result_size bytes of result, and
     * returns its exit status (0 ok; WORKERS_INTERRUPTED after a signal). */
    int (*run)(void *ctx, size_t t, void *result);
    /* In the parent, when task t has ended: status as run returned it (or
     * 1 when a file it wrote could not be made durable, or the worker
     * died: then result is NULL); busy counts the tasks still under way,
     * at most one a worker (a task whose files are still being made
     * durable while its worker runs the next is not counted again).
     * Not called for a task a signal interrupted. Returns 0, or -1 with
     * err to stop every worker as Ctrl-C would. */
    int (*finished)(void *ctx, size_t t, int status, const void *result,
                    size_t busy, struct bp_error *err);
    void *ctx;
};

/* Runs every task not skipped. 0; -1 with err: BP_EINTERRUPTED when
 * SIGINT or SIGTERM stopped it (every task under way was told, and waited
 * for), BP_EIO when no worker could start, or finished's error. */
int workers_run(const struct workers_plan *plan, struct bp_error *err);

#endif
