/* The choice between the team and the lone thread, driven with made-up
 * step times: the faster way wins, the first step of each probe block and
 * small gaps do not sway it, a winner that slows down is probed again, and
 * what never or always takes the team does so without timing. */
#include <check.h>

#include "team.h"

#define BATCH 32
#define FLOPS_PER_SAMPLE 20000.0 /* 640,000 a step: above the floor */

/* Runs full steps until the probe under way is decided, each taking
 * `team` or `alone` seconds (`first` for the step opening a block);
 * returns the steps taken. */
static size_t probe(struct team_choice *c, double team, double alone,
                    double first)
{
    size_t probes = c->probes;
    size_t steps = 0;
    while (c->probes == probes) {
        ck_assert_uint_lt(steps, TEAM_PROBE_BLOCK * TEAM_PROBE_BLOCKS);
        bool on_team = team_choice_next(c, BATCH);
        ck_assert(team_choice_timed(c));
        double t = steps % TEAM_PROBE_BLOCK == 0 ? first
                   : on_team                      ? team
                                                  : alone;
        team_choice_record(c, t);
        steps++;
    }
    return steps;
}

START_TEST(one_thread_never_takes_the_team_nor_times_a_step)
{
    struct team_choice c;
    team_choice_init(&c, 1, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    for (int k = 0; k < 100; k++) {
        ck_assert(!team_choice_next(&c, BATCH));
        ck_assert(!team_choice_timed(&c));
    }
    team_choice_init(&c, 1, TEAM_ALWAYS, BATCH, FLOPS_PER_SAMPLE);
    ck_assert(!team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(a_step_below_the_floor_runs_alone_untimed)
{
    struct team_choice c;
    double below = TEAM_MIN_FLOPS / BATCH * 0.99;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, below);
    for (int k = 0; k < 100; k++) {
        ck_assert(!team_choice_next(&c, BATCH));
        ck_assert(!team_choice_timed(&c));
    }
}
END_TEST

START_TEST(large_steps_run_on_the_team_untimed_and_small_ones_probe)
{
    struct team_choice c;
    /* At the floor of TEAM_SURE_FLOPS a step: the team, never timed. */
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, TEAM_SURE_FLOPS / BATCH);
    for (int k = 0; k < 100; k++) {
        ck_assert(team_choice_next(&c, BATCH));
        ck_assert(!team_choice_timed(&c));
    }
    /* Just below it: probed, so timed. */
    team_choice_init(&c, 2, TEAM_AUTO, BATCH,
                     TEAM_SURE_FLOPS / BATCH * 0.99);
    team_choice_next(&c, BATCH);
    ck_assert(team_choice_timed(&c));
    /* One thread: alone whatever the size. */
    team_choice_init(&c, 1, TEAM_AUTO, BATCH, TEAM_SURE_FLOPS);
    ck_assert(!team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(always_puts_every_step_on_the_team_untimed)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_ALWAYS, BATCH, 1.0);
    for (int k = 0; k < 100; k++) {
        ck_assert(team_choice_next(&c, k % 10 ? BATCH : 3));
        ck_assert(!team_choice_timed(&c));
    }
}
END_TEST

START_TEST(the_faster_way_wins_the_probe)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 1.0e-3, 1.3e-3, 1.0e-3);
    ck_assert(team_choice_next(&c, BATCH));

    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 1.3e-3, 1.0e-3, 1.0e-3);
    ck_assert(!team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(a_near_tie_goes_to_the_lone_thread)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 0.99e-3, 1.0e-3, 1.0e-3);
    ck_assert(!team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(a_wide_gap_decides_after_one_block_each_a_narrow_one_after_all)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    ck_assert_uint_eq(probe(&c, 1.0e-3, 4.0e-3, 1.0e-3),
                      2 * TEAM_PROBE_BLOCK);
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    ck_assert_uint_eq(probe(&c, 1.0e-3, 1.2e-3, 1.0e-3),
                      TEAM_PROBE_BLOCKS * TEAM_PROBE_BLOCK);
}
END_TEST

START_TEST(long_steps_probe_in_blocks_of_two)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    double t = TEAM_LONG_STEP_SECONDS;
    /* team, team, alone, alone, team, team, alone, alone. */
    bool expected[] = {true, true, false, false, true, true, false, false};
    for (size_t k = 0; k < 8; k++) {
        ck_assert(team_choice_next(&c, BATCH) == expected[k]);
        team_choice_record(&c, expected[k] ? t : 1.2 * t);
    }
    ck_assert(!c.probing);
    ck_assert(team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(the_step_opening_a_block_is_not_counted)
{
    /* Waking the team's threads (or refilling the lone core's caches)
     * costs the first step of a block; it must not decide. */
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 1.0e-3, 1.5e-3, 1.0);
    ck_assert(team_choice_next(&c, BATCH));
}
END_TEST

/* Full steps of `seconds` each until a probe starts (a step that is timed
 * and a second timed one straight after it); returns the steps before. */
static size_t steps_until_probe(struct team_choice *c, double seconds,
                                size_t limit)
{
    for (size_t k = 0; k < limit; k++) {
        team_choice_next(c, BATCH);
        if (team_choice_timed(c)) {
            if (c->probing)
                return k;
            team_choice_record(c, seconds);
        }
    }
    return limit;
}

START_TEST(a_winner_that_slows_down_is_probed_again)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 1.0e-3, 2.0e-3, 1.0e-3);
    ck_assert(!c.probing);
    /* Another process takes a core: the team's steps take 5 ms. */
    size_t k = steps_until_probe(&c, 5.0e-3, 100000);
    ck_assert_uint_le(k, (TEAM_WATCH_SAMPLES + 1) * TEAM_WATCH_EVERY);
    /* The second probe finds the lone thread faster now. */
    probe(&c, 5.0e-3, 2.0e-3, 2.0e-3);
    ck_assert_uint_eq(c.probes, 2);
    ck_assert(!team_choice_next(&c, BATCH));
}
END_TEST

START_TEST(a_lone_thread_is_not_watched)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 2.0e-3, 1.0e-3, 1.0e-3);
    for (int k = 0; k < 10 * TEAM_WATCH_EVERY; k++) {
        ck_assert(!team_choice_next(&c, BATCH));
        ck_assert(!team_choice_timed(&c));
    }
}
END_TEST

START_TEST(the_probe_runs_again_after_a_while)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    probe(&c, 1.0e-3, 2.0e-3, 1.0e-3);
    /* At 1 ms a step, TEAM_REPROBE_SECONDS later (the probe's 100-fold
     * is shorter). */
    size_t expected = (size_t)(TEAM_REPROBE_SECONDS / 1.0e-3);
    size_t k = steps_until_probe(&c, 1.0e-3, 10 * expected);
    ck_assert_uint_ge(k, expected);
    ck_assert_uint_le(k, expected + 2);
}
END_TEST

START_TEST(a_smaller_last_batch_follows_the_choice_untimed)
{
    struct team_choice c;
    team_choice_init(&c, 2, TEAM_AUTO, BATCH, FLOPS_PER_SAMPLE);
    /* Before any choice: alone. */
    ck_assert(!team_choice_next(&c, BATCH - 1));
    ck_assert(!team_choice_timed(&c));
    probe(&c, 1.0e-3, 2.0e-3, 1.0e-3);
    ck_assert(team_choice_next(&c, BATCH - 1));
    ck_assert(!team_choice_timed(&c));
    /* Unless it falls below the floor. */
    ck_assert(!team_choice_next(&c, 1));
}
END_TEST

START_TEST(the_policy_names_parse_and_others_are_refused)
{
    enum team_policy p = TEAM_ALWAYS;
    ck_assert_int_eq(team_policy_parse(NULL, &p), 0);
    ck_assert_int_eq(p, TEAM_AUTO);
    ck_assert_int_eq(team_policy_parse("always", &p), 0);
    ck_assert_int_eq(p, TEAM_ALWAYS);
    ck_assert_int_eq(team_policy_parse("auto", &p), 0);
    ck_assert_int_eq(p, TEAM_AUTO);
    ck_assert_int_eq(team_policy_parse("", &p), -1);
    ck_assert_int_eq(team_policy_parse("Always", &p), -1);
}
END_TEST

Suite *team_suite(void)
{
    Suite *s = suite_create("team");
    TCase *tc = tcase_create("team");
    tcase_add_test(tc, one_thread_never_takes_the_team_nor_times_a_step);
    tcase_add_test(tc, a_step_below_the_floor_runs_alone_untimed);
    tcase_add_test(tc, always_puts_every_step_on_the_team_untimed);
    tcase_add_test(tc, large_steps_run_on_the_team_untimed_and_small_ones_probe);
    tcase_add_test(tc, the_faster_way_wins_the_probe);
    tcase_add_test(tc, a_near_tie_goes_to_the_lone_thread);
    tcase_add_test(tc,
                   a_wide_gap_decides_after_one_block_each_a_narrow_one_after_all);
    tcase_add_test(tc, long_steps_probe_in_blocks_of_two);
    tcase_add_test(tc, the_step_opening_a_block_is_not_counted);
    tcase_add_test(tc, a_winner_that_slows_down_is_probed_again);
    tcase_add_test(tc, a_lone_thread_is_not_watched);
    tcase_add_test(tc, the_probe_runs_again_after_a_while);
    tcase_add_test(tc, a_smaller_last_batch_follows_the_choice_untimed);
    tcase_add_test(tc, the_policy_names_parse_and_others_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
