/* workers: see workers.h. */
#define _GNU_SOURCE /* ppoll; prctl's PR_SET_PDEATHSIG */
#include "workers.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.h"

/* What the workers and the parent share: the next place in the order,
 * how many tasks were taken, whether to stop, and which worker took each
 * task (1 + its index; 0: none), for the parent when a worker dies. A
 * task's start is written here, not told: the parent wakes once a task,
 * at its end. */
struct shared {
    atomic_size_t next;
    atomic_size_t taken;
    atomic_int stop;
    atomic_int taken_by[]; /* [n_tasks] */
};

/* A worker's word to the parent: a task has ended. Whole in one write
 * (below PIPE_BUF). */
struct message {
    int status;
    size_t task;
    unsigned char result[WORKERS_RESULT_MAX];
};

/* ---- in a worker ---- */

static atomic_int worker_signal;

static void on_worker_signal(int sig)
{
    atomic_store(&worker_signal, sig);
}

static void tell(int fd, const struct message *m)
{
    ssize_t put = write(fd, m, sizeof *m);
    (void)put; /* the parent is gone: nothing to tell */
}

/* A finished task's message, sent once its files are durable. */
struct telling {
    int fd;
    struct message m;
};

static void tell_finished(void *ctx, bool failed)
{
    struct telling *t = ctx;
    if (failed && t->m.status == 0)
        t->m.status = 1;
    tell(t->fd, &t->m);
    free(t);
}

/* The task at place i of the plan's order. */
static size_t task_at(const struct workers_plan *p, size_t i)
{
    return p->order ? p->order[i] : i;
}

/* The next task not skipped, taken by worker k; or n_tasks. */
static size_t take_task(const struct workers_plan *p, struct shared *sh,
                        size_t k)
{
    for (;;) {
        size_t i = atomic_fetch_add(&sh->next, 1);
        if (i >= p->n_tasks)
            return p->n_tasks;
        size_t t = task_at(p, i);
        if (!p->skip || !p->skip[t]) {
            atomic_store(&sh->taken_by[t], (int)k + 1);
            atomic_fetch_add(&sh->taken, 1);
            return t;
        }
    }
}

/* Pins the calling thread to the k-th CPU of cpus. */
static void pin_to(const cpu_set_t *cpus, size_t k)
{
    size_t seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, cpus) && seen++ == k) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
}

static void worker_main(const struct workers_plan *p, struct shared *sh,
                        int fd, const cpu_set_t *pin, size_t k,
                        pid_t parent)
{
    /* Its own process group: Ctrl-C reaches the parent alone, which
     * passes on exactly one SIGINT (a second would make a run exit
     * without saving). */
    setpgid(0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_worker_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A parent killed outright (SIGKILL) tells no one: the kernel sends
     * SIGTERM instead, which ends the worker as Ctrl-C would, rather than
     * leave it running the sweep alone against a rerun. A parent already
     * gone before this call sent nothing: then the worker has a new
     * parent. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        atomic_store(&worker_signal, SIGTERM);
    atomic_file_defer(); /* its thread keeps every CPU: it mostly waits */
    if (pin)
        pin_to(pin, k);
    while (!atomic_load(&sh->stop) && !atomic_load(&worker_signal)) {
        size_t t = take_task(p, sh, k);
        if (t >= p->n_tasks)
            break;
        struct telling *done = calloc(1, sizeof *done);
        if (!done)
            _exit(1); /* the parent fails the task */
        done->fd = fd;
        done->m.task = t;
        done->m.status = p->run(p->ctx, t, done->m.result);
        int status = done->m.status;
        if (atomic_file_then(tell_finished, done) < 0) {
            atomic_file_settle();
            tell_finished(done, false);
        }
        if (status == WORKERS_INTERRUPTED)
            break;
    }
    atomic_file_undefer();
    _exit(0);
}

/* ---- in the parent ---- */

static atomic_int parent_signal;

static void on_parent_signal(int sig)
{
    atomic_store(&parent_signal, sig);
}

static void catch_parent_signals(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_parent_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

struct worker {
    pid_t pid; /* 0: gone */
    int fd;    /* the read end of its pipe */
};

struct pool {
    const struct workers_plan *plan;
    struct shared *sh;
    struct worker *w;
    size_t n_workers;
    bool *ended; /* [n_tasks]: told, or settled at its worker's death */
    size_t n_ended;
    bool stopping;
    bool pin;         /* workers pinned, one to each of cpus */
    cpu_set_t cpus;
};

/* Starts worker k. 0, or -1 with errno. */
static int start_worker(struct pool *pl, size_t k)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < pl->n_workers; i++)
            if (pl->w[i].pid)
                close(pl->w[i].fd); /* its siblings' pipes */
        worker_main(pl->plan, pl->sh, fds[1], pl->pin ? &pl->cpus : NULL, k,
                    parent);
    }
    close(fds[1]);
    setpgid(pid, pid); /* also here: no race with a quick Ctrl-C */
    pl->w[k] = (struct worker){.pid = pid, .fd = fds[0]};
    return 0;
}

static void stop_all(struct pool *pl)
{
    if (pl->stopping)
        return;
    pl->stopping = true;
    atomic_store(&pl->sh->stop, 1);
    for (size_t k = 0; k < pl->n_workers; k++)
        if (pl->w[k].pid)
            kill(pl->w[k].pid, SIGINT);
}

/* Reads exactly one message (the worker wrote it whole). 1, 0 at the end
 * of the pipe, -1 on a read error. */
static int read_message(int fd, struct message *m)
{
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t n = read(fd, (char *)m + got, sizeof *m - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 && got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

/* Tasks under way, at most one a worker: the tasks taken and not yet
 * told count a worker twice while its last task's files reach the disk
 * behind its next task's work. */
static size_t busy(const struct pool *pl)
{
    size_t untold = atomic_load(&pl->sh->taken) - pl->n_ended, working = 0;
    for (size_t k = 0; k < pl->n_workers; k++)
        working += pl->w[k].pid != 0;
    return untold < working ? untold : working;
}

/* Worker k's pipe has something: a message, or its end (the worker is
 * exiting: its tasks under way failed, unless stopping). 0, or -1 with
 * err from finished. */
static int hear(struct pool *pl, size_t k, struct bp_error *err)
{
    const struct workers_plan *p = pl->plan;
    struct worker *w = &pl->w[k];
    struct message m;
    int got = read_message(w->fd, &m);
    if (got > 0 && m.task < p->n_tasks && !pl->ended[m.task]) {
        pl->ended[m.task] = true;
        pl->n_ended++;
        if (m.status == WORKERS_INTERRUPTED) {
            /* A signal sent to the worker itself stops the others too. */
            stop_all(pl);
            return 0; /* resumed by whoever runs the tasks again */
        }
        return p->finished(p->ctx, m.task, m.status, m.result, busy(pl),
                           err);
    }
    /* The end: wait for the worker, then settle its tasks. */
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(w->fd);
    w->pid = 0;
    int code = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status)
                                                         : 1;
    bool lost = false;
    for (size_t t = 0; t < p->n_tasks; t++) {
        if (pl->ended[t] || atomic_load(&pl->sh->taken_by[t]) != (int)k + 1)
            continue;
        pl->ended[t] = true;
        pl->n_ended++;
        lost = true;
        if (!pl->stopping &&
            p->finished(p->ctx, t, code, NULL, busy(pl), err) < 0)
            return -1;
    }
    /* A worker ends with 0 once no task is left; any other status with
     * no task under way (memcheck's error exit code, say) is an error. */
    if (!lost && !pl->stopping && WIFSIGNALED(status))
        return bp_error_set(err, BP_EIO, "a worker was killed by signal %d",
                            WTERMSIG(status));
    if (!lost && !pl->stopping && WIFEXITED(status) &&
        WEXITSTATUS(status) != 0)
        return bp_error_set(err, BP_EIO, "a worker exited with status %d",
                            WEXITSTATUS(status));
    /* A worker that died in a task is replaced while tasks are left. */
    if (lost && !pl->stopping &&
        atomic_load(&pl->sh->next) < p->n_tasks && start_worker(pl, k) < 0)
        return bp_error_set(err, BP_EIO, "cannot start a worker: %s",
                            strerror(errno));
    return 0;
}

int workers_run(const struct workers_plan *p, struct bp_error *err)
{
    size_t todo = 0;
    for (size_t t = 0; t < p->n_tasks; t++)
        todo += !p->skip || !p->skip[t];
    if (todo == 0)
        return 0;
    struct pool pl = {.plan = p};
    pl.n_workers = p->jobs < todo ? p->jobs : todo;
    size_t shared_size = sizeof *pl.sh + p->n_tasks * sizeof(atomic_int);
    pl.sh = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pl.w = calloc(pl.n_workers, sizeof *pl.w);
    pl.ended = calloc(p->n_tasks, sizeof *pl.ended);
    struct pollfd *pfd = calloc(pl.n_workers, sizeof *pfd);
    size_t *index = calloc(pl.n_workers, sizeof *index);
    int rc = -1;
    if (pl.sh == MAP_FAILED) {
        pl.sh = NULL;
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    if (!pl.w || !pl.ended || !pfd || !index) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        goto out;
    }
    pl.pin = p->pin && sched_getaffinity(0, sizeof pl.cpus, &pl.cpus) == 0 &&
             (size_t)CPU_COUNT(&pl.cpus) >= pl.n_workers;
    atomic_init(&pl.sh->next, 0);
    atomic_init(&pl.sh->taken, 0);
    atomic_init(&pl.sh->stop, 0);
    for (size_t t = 0; t < p->n_tasks; t++)
        atomic_init(&pl.sh->taken_by[t], 0);
    atomic_store(&parent_signal, 0);
    catch_parent_signals(true);
    size_t started = 0;
    for (size_t k = 0; k < pl.n_workers; k++)
        started += start_worker(&pl, k) == 0;
    if (started == 0) {
        bp_error_set(err, BP_EIO, "cannot start a worker: %s",
                     strerror(errno));
        goto out;
    }
    bool failed = false;
    for (;;) {
        if (atomic_load(&parent_signal))
            stop_all(&pl);
        size_t n = 0;
        for (size_t k = 0; k < pl.n_workers; k++)
            if (pl.w[k].pid) {
                pfd[n] = (struct pollfd){.fd = pl.w[k].fd, .events = POLLIN};
                index[n++] = k;
            }
        if (n == 0)
            break;
        /* The check of the signal and the wait are one step: a Ctrl-C
         * between them would otherwise wait for a whole task. */
        sigset_t stop, before;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        sigprocmask(SIG_BLOCK, &stop, &before);
        int ready = atomic_load(&parent_signal) && !pl.stopping
                        ? 0 /* a signal since the check above: stop first */
                        : ppoll(pfd, (nfds_t)n, NULL, &before);
        sigprocmask(SIG_SETMASK, &before, NULL);
        for (size_t i = 0; ready > 0 && i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (hear(&pl, index[i], err) < 0 && !failed) {
                failed = true;
                stop_all(&pl);
            }
        }
    }
    if (failed)
        goto out;
    /* A task that never ended (workers that a signal of their own ended
     * between tasks left it untaken, or one died as it took it) is an
     * interruption too: the next run of the tasks does it. */
    for (size_t t = 0; t < p->n_tasks; t++)
        if ((!p->skip || !p->skip[t]) && !pl.ended[t])
            pl.stopping = true;
    if (pl.stopping) {
        bp_error_set(err, BP_EINTERRUPTED, "interrupted");
        goto out;
    }
    rc = 0;
out:
    catch_parent_signals(false);
    for (size_t k = 0; pl.w && k < pl.n_workers; k++)
        if (pl.w[k].pid) {
            kill(pl.w[k].pid, SIGINT);
            waitpid(pl.w[k].pid, NULL, 0);
            close(pl.w[k].fd);
        }
    if (pl.sh)
        munmap(pl.sh, shared_size);
    free(pl.w);
    free(pl.ended);
    free(pfd);
    free(index);
    return rc;
}
