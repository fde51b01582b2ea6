/*
 * team: the choice between the OpenMP team and the lone thread, by timing
 * both. See team.h.
 */
#include "team.h"

#include <string.h>

/* The median of n (at most TEAM_PROBE_SAMPLES) times. */
static double median(const double *x, size_t n)
{
    double s[TEAM_PROBE_SAMPLES];
    memcpy(s, x, n * sizeof *s);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* Probe step k runs on the team in even blocks, alone in odd ones... */
static bool probe_on_team(const struct team_choice *c, size_t k)
{
    return (k / c->block) % 2 == 0;
}

/* ...and counts unless it opens its block. */
static bool probe_counts(const struct team_choice *c, size_t k)
{
    return k % c->block != 0;
}

static void start_probe(struct team_choice *c)
{
    c->probing = true;
    c->probe_step = 0;
    c->block = TEAM_PROBE_BLOCK;
    c->n_team = 0;
    c->n_alone = 0;
    c->probe_seconds = 0.0;
    c->slow_watches = 0;
}

static void decide(struct team_choice *c)
{
    double team = median(c->team_seconds, c->n_team);
    double alone = median(c->alone_seconds, c->n_alone);
    c->use_team = team < (1.0 - TEAM_MARGIN) * alone;
    c->reference = c->use_team ? team : alone;
    if (!(c->reference > 1e-9))
        c->reference = 1e-9; /* a clock too coarse to see a step */
    c->probing = false;
    c->probes++;
    /* Steps until the next probe: its cost (at most its own length, the
     * loser's steps) stays under 1 / TEAM_REPROBE_FACTOR of the time. */
    double seconds = TEAM_REPROBE_FACTOR * c->probe_seconds;
    if (seconds < TEAM_REPROBE_SECONDS)
        seconds = TEAM_REPROBE_SECONDS;
    double steps = seconds / c->reference;
    c->until_probe = steps < 1e9 ? (size_t)steps + 1 : (size_t)1e9;
    c->until_watch = TEAM_WATCH_EVERY;
    c->slow_watches = 0;
}

void team_choice_init(struct team_choice *c, int threads,
                      enum team_policy policy, size_t batch,
                      double flops_per_sample)
{
    memset(c, 0, sizeof *c);
    c->batch = batch;
    c->flops_per_sample = flops_per_sample;
    c->always = threads > 1 && (policy == TEAM_ALWAYS ||
                                (double)batch * flops_per_sample >=
                                    TEAM_SURE_FLOPS);
    c->never = !c->always && (threads < 2 || (double)batch * flops_per_sample <
                                                 TEAM_MIN_FLOPS);
    start_probe(c);
}

bool team_choice_next(struct team_choice *c, size_t n)
{
    c->this_timed = false;
    if (c->always || c->never) {
        c->this_team = c->always;
        return c->this_team;
    }
    if (n != c->batch) {
        /* A smaller last batch: too rare to time, too different to count. */
        c->this_team = c->use_team && !c->probing &&
                       (double)n * c->flops_per_sample >= TEAM_MIN_FLOPS;
        return c->this_team;
    }
    if (!c->probing && c->until_probe == 0)
        start_probe(c);
    if (c->probing) {
        c->this_team = probe_on_team(c, c->probe_step);
        c->this_timed = true;
        return c->this_team;
    }
    c->until_probe--;
    /* Only the team is watched: a busier machine slows the lone thread
     * too, but never makes the team the better choice. */
    if (c->use_team && --c->until_watch == 0) {
        c->until_watch = TEAM_WATCH_EVERY;
        c->this_timed = true;
    }
    c->this_team = c->use_team;
    return c->this_team;
}

bool team_choice_timed(const struct team_choice *c)
{
    return c->this_timed;
}

void team_choice_record(struct team_choice *c, double seconds)
{
    if (!c->this_timed)
        return;
    c->this_timed = false;
    if (!c->probing) {
        /* A watched team step: has another process taken a core? */
        if (seconds > TEAM_DRIFT * c->reference) {
            if (++c->slow_watches >= TEAM_WATCH_SAMPLES)
                c->until_probe = 0;
        } else {
            c->slow_watches = 0;
        }
        return;
    }
    size_t k = c->probe_step++;
    c->probe_seconds += seconds;
    /* Long steps: a switch's cost is lost in them, and four to a block
     * would make the probe a large part of a short run. */
    if (k == 1 && seconds >= TEAM_LONG_STEP_SECONDS)
        c->block = 2;
    if (probe_counts(c, k)) {
        if (probe_on_team(c, k))
            c->team_seconds[c->n_team++] = seconds;
        else
            c->alone_seconds[c->n_alone++] = seconds;
    }
    if (c->probe_step % c->block != 0)
        return;
    size_t blocks = c->probe_step / c->block;
    if (blocks == TEAM_PROBE_BLOCKS) {
        decide(c);
    } else if (blocks == 2) {
        double team = median(c->team_seconds, c->n_team);
        double alone = median(c->alone_seconds, c->n_alone);
        if (team > TEAM_EARLY_RATIO * alone ||
            alone > TEAM_EARLY_RATIO * team)
            decide(c);
    }
}

int team_policy_parse(const char *value, enum team_policy *policy)
{
    if (!value || strcmp(value, "auto") == 0) {
        *policy = TEAM_AUTO;
        return 0;
    }
    if (strcmp(value, "always") == 0) {
        *policy = TEAM_ALWAYS;
        return 0;
    }
    return -1;
}
