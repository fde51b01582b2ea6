/*
 * team: whether a training step runs on the OpenMP team or on the calling
 * thread alone, decided by timing both on the run's own steps.
 *
 * A team pays a fork, a join and two or three barriers a step: about two
 * microseconds when the cores share a cache and are free, ten times that
 * when they sit on different dies, and milliseconds when another process
 * holds one of them. Whether that is worth half the arithmetic depends on
 * the shape, the batch and the machine's minute, so no fixed threshold on
 * the step's FLOPs gets it right (784-128-10 at batch 1 and 64-64-10 at
 * batch 32, with 0.4 and 0.65 MFLOP a step, ran slower on two threads than
 * on one). The step's result does not depend on the choice (SPEC section
 * 6: the team's kernels and the lone thread's sum in the same order), so
 * it may change from one step to the next.
 *
 * The choice: a step of fewer than TEAM_MIN_FLOPS runs alone, untimed (a
 * team cannot win there); one of TEAM_SURE_FLOPS or more on the team,
 * untimed (it cannot lose there on a free machine). Between, the first
 * full batches probe: blocks of
 * TEAM_PROBE_BLOCK steps on the team and alone in turn, the first step of
 * each block not counted (it pays for the switch: threads waking, caches
 * filling; when the first counted step takes TEAM_LONG_STEP_SECONDS or
 * more, blocks are of two steps: a switch's cost is lost in such steps,
 * and the probe stays a small part of a short run); the faster median
 * wins, the team only when at least
 * TEAM_MARGIN faster (a tie goes to the lone thread, which leaves the
 * other core to other work). When the team won, one step in
 * TEAM_WATCH_EVERY is timed: when TEAM_WATCH_SAMPLES in a row take
 * TEAM_DRIFT times its probed median, the machine has changed (another
 * process took a core: a thread descheduled at a barrier stalls the whole
 * team) and the probe runs again. (A busier machine slows the lone thread
 * too, but never makes the team the better choice, so it is not
 * watched.) Either way the probe runs again after about
 * TEAM_REPROBE_SECONDS of steps, or TEAM_REPROBE_FACTOR times the probe's
 * own length when that is longer, so that probing costs at most about 1%.
 * A smaller last batch follows the full batches' choice (when above the
 * floor) and is never timed.
 *
 * Call order: team_choice_init once; then per step team_choice_next, the
 * step (on the team when it said so), and, when team_choice_timed said
 * the step was to be timed, team_choice_record with its wall time. The
 * module reads no clock itself, so a test can drive it with any times.
 */
#ifndef TEAM_H
#define TEAM_H

#include <stdbool.h>
#include <stddef.h>

/* How a trainer with more than one thread picks: AUTO times both ways;
 * ALWAYS puts every step on the team (tests that must exercise the team's
 * kernels whatever their speed; the environment's BACKPROP_TEAM=always). */
enum team_policy { TEAM_AUTO, TEAM_ALWAYS };

#define TEAM_MIN_FLOPS 100000.0
/* At this many FLOPs a step (some 150 us of arithmetic or more), the team
 * runs every step, unprobed: its few microseconds a step (tens across
 * dies) are lost in halving the arithmetic, while a probe of such steps
 * misjudges it (each switch moves the step's data, a megabyte or more,
 * between the cores' caches, and the team's first steps after the lone
 * thread's pay for it: the bench shape's 64 MFLOP steps probed "alone" in
 * two runs of three, 0.69 s an epoch against the team's 0.39). */
#define TEAM_SURE_FLOPS 16e6
#define TEAM_PROBE_BLOCK 4
#define TEAM_PROBE_BLOCKS 4      /* team, alone, team, alone */
#define TEAM_LONG_STEP_SECONDS 0.002
#define TEAM_EARLY_RATIO 1.5     /* after one block each, a gap this wide decides */
#define TEAM_MARGIN 0.02
#define TEAM_WATCH_EVERY 16
#define TEAM_WATCH_SAMPLES 3
#define TEAM_DRIFT 1.5
#define TEAM_REPROBE_SECONDS 2.0
#define TEAM_REPROBE_FACTOR 100

/* Counted steps of one probe, per way. */
#define TEAM_PROBE_SAMPLES \
    ((TEAM_PROBE_BLOCK - 1) * (TEAM_PROBE_BLOCKS / 2))

struct team_choice {
    bool never;              /* one thread, or a step below the floor */
    bool always;             /* TEAM_ALWAYS with more than one thread */
    size_t batch;            /* samples of a full step */
    double flops_per_sample; /* training FLOPs (network_flops) */

    bool probing;
    bool use_team;           /* the choice outside a probe */
    size_t probe_step;       /* steps done in this probe */
    size_t block;            /* steps a probe block: TEAM_PROBE_BLOCK or 2 */
    double team_seconds[TEAM_PROBE_SAMPLES];
    double alone_seconds[TEAM_PROBE_SAMPLES];
    size_t n_team, n_alone;
    double probe_seconds;    /* wall time of the probe's steps so far */
    double reference;        /* the winner's median step, seconds */
    size_t until_probe;      /* full steps until the next probe */
    size_t until_watch;      /* full steps until the next timed one */
    size_t slow_watches;     /* timed steps in a row beyond TEAM_DRIFT */
    size_t probes;           /* probes completed (for tests and reports) */

    bool this_team;          /* the step team_choice_next last returned */
    bool this_timed;
};

/* threads: the team's size (1: every step alone). batch: samples of a
 * full step; flops_per_sample: its training FLOPs per sample. */
void team_choice_init(struct team_choice *c, int threads,
                      enum team_policy policy, size_t batch,
                      double flops_per_sample);

/* Whether the next step, of n samples, runs on the team. */
bool team_choice_next(struct team_choice *c, size_t n);

/* Whether that step is to be timed. */
bool team_choice_timed(const struct team_choice *c);

/* The wall time of the step team_choice_next announced, when timed. */
void team_choice_record(struct team_choice *c, double seconds);

/* Parses BACKPROP_TEAM's value: NULL or "auto" is TEAM_AUTO, "always"
 * TEAM_ALWAYS; anything else returns -1. */
int team_policy_parse(const char *value, enum team_policy *policy);

#endif
