/* workers.h: tasks in worker processes; atomic_file.h's deferred
 * durability, which the workers use. Check runs each test in a process
 * of its own, so atomic_file_defer here does not reach the other tests. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "testutil.h"
#include "workers.h"

/* The test's folder: a new one made by the test's process before the
 * test (the fixture below), so its workers, forked later, share it, and
 * no earlier run's leftovers (a process of the same pid) are in it. */
static char scratch_dir[256];

static const char *scratch(void)
{
    return scratch_dir;
}

static void make_scratch(void)
{
    ck_assert_ptr_nonnull(testutil_new_folder(scratch_dir, sizeof scratch_dir,
                                              "bp_workers"));
}

static void remove_scratch(void)
{
    testutil_remove_tree(scratch_dir);
}

static char *path_in(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", scratch(), name);
    return p;
}

/* The file's text ("" when missing), in a static buffer. */
static const char *text_of(const char *path)
{
    static char buf[256];
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Entries of the scratch folder whose names start with '.' (temporary
 * files), not counting . and .. */
static int hidden_files(void)
{
    DIR *d = opendir(scratch());
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
             strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* What a then-callback saw when it ran. */
struct seen {
    int calls;
    bool failed;
    char a[64], b[64];
};

static void look(void *ctx, bool failed)
{
    struct seen *s = ctx;
    s->calls++;
    s->failed = failed;
    snprintf(s->a, sizeof s->a, "%s", text_of(path_in("a.txt")));
    snprintf(s->b, sizeof s->b, "%s", text_of(path_in("b.txt")));
}

START_TEST(deferred_writes_land_in_order_before_then_runs)
{
    ck_assert_int_eq(atomic_file_defer(), 0);
    ck_assert_int_eq(atomic_write_file(path_in("a.txt"), "one", 3, NULL), 0);
    ck_assert_int_eq(atomic_write_file(path_in("a.txt"), "two", 3, NULL), 0);
    ck_assert_int_eq(atomic_write_file(path_in("b.txt"), "bee", 3, NULL), 0);
    struct seen s = {0};
    ck_assert_int_eq(atomic_file_then(look, &s), 0);
    atomic_file_settle();
    ck_assert_int_eq(s.calls, 1);
    ck_assert(!s.failed);
    /* Every write before the callback had landed, the later one last. */
    ck_assert_str_eq(s.a, "two");
    ck_assert_str_eq(s.b, "bee");
    ck_assert_int_eq(hidden_files(), 0);
    /* More writes than the queue has names for still land, in order. */
    for (int i = 0; i < 40; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "v%d", i);
        ck_assert_int_eq(
            atomic_write_file(path_in("a.txt"), text, (size_t)n, NULL), 0);
    }
    atomic_file_settle();
    ck_assert_str_eq(text_of(path_in("a.txt")), "v39");
    ck_assert_int_eq(hidden_files(), 0);
}
END_TEST

START_TEST(a_deferred_write_that_fails_is_told_to_then)
{
    ck_assert_int_eq(atomic_file_defer(), 0);
    /* A folder (not empty) where the file should go: the rename, on the
     * thread, fails. */
    char target[512];
    snprintf(target, sizeof target, "%s", path_in("taken"));
    mkdir(target, 0755);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/x", target);
    FILE *f = fopen(inner, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(atomic_write_file(target, "data", 4, NULL), 0);
    struct seen first = {0}, second = {0};
    ck_assert_int_eq(atomic_file_then(look, &first), 0);
    ck_assert_int_eq(atomic_write_file(path_in("b.txt"), "ok", 2, NULL), 0);
    ck_assert_int_eq(atomic_file_then(look, &second), 0);
    atomic_file_settle();
    ck_assert(first.failed);
    ck_assert(!second.failed); /* each failure is told once */
    ck_assert_str_eq(second.b, "ok");
    struct stat st;
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert(S_ISDIR(st.st_mode)); /* the target untouched */
    ck_assert_int_eq(hidden_files(), 0);
}
END_TEST

START_TEST(without_defer_then_runs_at_once)
{
    struct seen s = {0};
    ck_assert_int_eq(atomic_write_file(path_in("a.txt"), "now", 3, NULL), 0);
    ck_assert_int_eq(atomic_file_then(look, &s), 0);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_str_eq(s.a, "now");
}
END_TEST

/* ---- workers_run ---- */

enum { N_TASKS = 12 };

struct tally {
    int finished[N_TASKS];
    int status[N_TASKS];
    long result[N_TASKS];
    bool had_result[N_TASKS];
    size_t order_seen[N_TASKS], n_seen;
    size_t most_busy; /* the largest busy that finished was told */
};

/* A task: its result is t * t plus the worker's pid's parity, to show
 * the bytes come back; task 5 fails with status 3. */
static int square(void *ctx, size_t t, void *result)
{
    (void)ctx;
    long v = (long)(t * t);
    memcpy(result, &v, sizeof v);
    /* A file per task, through the deferred path. */
    char name[32], text[32];
    snprintf(name, sizeof name, "task%zu.txt", t);
    int n = snprintf(text, sizeof text, "%ld", v);
    atomic_write_file(path_in(name), text, (size_t)n, NULL);
    return t == 5 ? 3 : 0;
}

static int note(void *ctx, size_t t, int status, const void *result,
                size_t busy, struct bp_error *err)
{
    (void)err;
    struct tally *y = ctx;
    if (busy > y->most_busy)
        y->most_busy = busy;
    y->finished[t]++;
    y->status[t] = status;
    y->had_result[t] = result != NULL;
    if (result)
        memcpy(&y->result[t], result, sizeof y->result[t]);
    y->order_seen[y->n_seen++] = t;
    /* Told only once the task's file is there. */
    char name[32];
    snprintf(name, sizeof name, "task%zu.txt", t);
    if (result) {
        char want[32];
        snprintf(want, sizeof want, "%ld", y->result[t]);
        ck_assert_str_eq(text_of(path_in(name)), want);
    }
    return 0;
}

/* workers_run over the N_TASKS tasks with `run`, the results into *y;
 * returns what workers_run returned, err its error. */
static int run_tasks(int (*run)(void *, size_t, void *), size_t jobs,
                     const bool *skip, const size_t *order, struct tally *y,
                     struct bp_error *err)
{
    scratch(); /* named by this process, before the workers fork */
    struct workers_plan p = {
        .n_tasks = N_TASKS,
        .skip = skip,
        .order = order,
        .jobs = jobs,
        .result_size = sizeof(long),
        .pin = jobs == 1,
        .run = run,
        .finished = note,
        .ctx = y,
    };
    return workers_run(&p, err);
}

START_TEST(every_task_runs_once_with_its_result)
{
    for (size_t jobs = 1; jobs <= 3; jobs++) {
        struct tally y = {0};
        bool skip[N_TASKS] = {0};
        skip[0] = skip[7] = true;
        struct bp_error err = {0};
        ck_assert_int_eq(run_tasks(square, jobs, skip, NULL, &y, &err), 0);
        for (size_t t = 0; t < N_TASKS; t++) {
            ck_assert_int_eq(y.finished[t], skip[t] ? 0 : 1);
            if (skip[t])
                continue;
            ck_assert(y.had_result[t]);
            ck_assert_int_eq(y.result[t], (long)(t * t));
            ck_assert_int_eq(y.status[t], t == 5 ? 3 : 0);
        }
    }
}
END_TEST

/* A worker takes its next task while the last one's file is still
 * reaching the disk, before the parent hears that task ended: it is
 * still one worker at work, not two tasks running. */
START_TEST(busy_never_counts_more_tasks_than_workers)
{
    for (size_t jobs = 1; jobs <= 3; jobs++) {
        struct tally y = {0};
        struct bp_error err = {0};
        ck_assert_int_eq(run_tasks(square, jobs, NULL, NULL, &y, &err), 0);
        ck_assert_uint_le(y.most_busy, jobs);
    }
}
END_TEST

START_TEST(one_worker_takes_the_tasks_in_the_given_order)
{
    struct tally y = {0};
    size_t order[N_TASKS];
    for (size_t i = 0; i < N_TASKS; i++)
        order[i] = N_TASKS - 1 - i;
    struct bp_error err = {0};
    ck_assert_int_eq(run_tasks(square, 1, NULL, order, &y, &err), 0);
    ck_assert_uint_eq(y.n_seen, N_TASKS);
    for (size_t i = 0; i < N_TASKS; i++)
        ck_assert_uint_eq(y.order_seen[i], order[i]);
}
END_TEST

/* Task 2 dies; the others still run, on a new worker. */
static int dies_on_two(void *ctx, size_t t, void *result)
{
    if (t == 2)
        abort();
    return square(ctx, t, result);
}

START_TEST(a_worker_that_dies_fails_its_task_and_is_replaced)
{
    struct tally y = {0};
    struct bp_error err = {0};
    ck_assert_int_eq(run_tasks(dies_on_two, 1, NULL, NULL, &y, &err), 0);
    for (size_t t = 0; t < N_TASKS; t++)
        ck_assert_int_eq(y.finished[t], 1);
    ck_assert(!y.had_result[2]);
    ck_assert_int_ne(y.status[2], 0);
    ck_assert(y.had_result[3]);
}
END_TEST

/* Task 1 plays the user's Ctrl-C: a SIGINT to the parent, then it goes on
 * working until the parent's SIGINT reaches its worker. */
static volatile sig_atomic_t told_to_stop;
static void on_int(int sig)
{
    (void)sig;
    told_to_stop = 1;
}

static int ctrl_c_on_one(void *ctx, size_t t, void *result)
{
    if (t == 1) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_int;
        sigaction(SIGINT, &sa, NULL);
        kill(getppid(), SIGINT);
        struct timespec tick = {0, 10 * 1000 * 1000};
        for (int i = 0; i < 500 && !told_to_stop; i++)
            nanosleep(&tick, NULL);
        return told_to_stop ? WORKERS_INTERRUPTED : 0;
    }
    return square(ctx, t, result);
}

START_TEST(ctrl_c_stops_every_worker)
{
    struct tally y = {0};
    struct bp_error err = {0};
    ck_assert_int_eq(run_tasks(ctrl_c_on_one, 1, NULL, NULL, &y, &err), -1);
    ck_assert_int_eq(err.code, BP_EINTERRUPTED);
    ck_assert_int_eq(y.finished[0], 1);
    ck_assert_int_eq(y.finished[1], 0); /* interrupted: not a result */
    for (size_t t = 2; t < N_TASKS; t++)
        ck_assert_int_eq(y.finished[t], 0);
}
END_TEST

Suite *workers_suite(void)
{
    Suite *s = suite_create("workers");
    TCase *tc = tcase_create("workers");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_add_test(tc, deferred_writes_land_in_order_before_then_runs);
    tcase_add_test(tc, a_deferred_write_that_fails_is_told_to_then);
    tcase_add_test(tc, without_defer_then_runs_at_once);
    tcase_add_test(tc, every_task_runs_once_with_its_result);
    tcase_add_test(tc, busy_never_counts_more_tasks_than_workers);
    tcase_add_test(tc, one_worker_takes_the_tasks_in_the_given_order);
    tcase_add_test(tc, a_worker_that_dies_fails_its_task_and_is_replaced);
    tcase_add_test(tc, ctrl_c_stops_every_worker);
    suite_add_tcase(s, tc);
    return s;
}
