/* atomic_file: see atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file of the write under way, for atomic_file_abandon: its
 * name is complete before `pending` says so. A lock-free atomic can be
 * read from a signal handler on any thread. */
static char pending_tmp[4096 + 64];
static atomic_int pending;

/* The temporary files of deferred writes not yet renamed, likewise: a
 * slot's name is complete before its flag is set, and the flag is cleared
 * once the rename is done. A write that finds no free slot waits for the
 * queue to empty and completes at once. */
#define QUEUED_MAX 8
static char queued_tmp[QUEUED_MAX][4096 + 64];
static atomic_int queued[QUEUED_MAX];

void atomic_file_abandon(void)
{
    if (atomic_load(&pending))
        unlink(pending_tmp); /* async-signal-safe; gone already is fine */
    for (int i = 0; i < QUEUED_MAX; i++)
        if (atomic_load(&queued[i]))
            unlink(queued_tmp[i]);
}

/* The folder of path ("." when it has none), in buf. */
static void folder_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(buf, size, ".");
    } else if (slash == path) {
        snprintf(buf, size, "/");
    } else {
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
    }
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_stdout(const void *data, size_t len, struct bp_error *err)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return bp_error_set(err, errno == EPIPE ? BP_EPIPE : BP_EIO,
                            "stdout: write error: %s", strerror(errno));
    return 0;
}

/* The mode a new file gets (0666 less the umask), or the existing
 * target's, so that replacing a file keeps its permissions. */
static mode_t target_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return st.st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* A target that exists and is not a regular file (/dev/null, a FIFO, a
 * terminal) cannot be replaced by renaming, and must not be: the bytes are
 * written to it directly. */
static int write_special(const char *path, const void *data, size_t len,
                         struct bp_error *err)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return bp_error_set(err, BP_EIO, "%s: cannot open: %s", path,
                            strerror(errno));
    int rc = write_all(fd, data, len);
    int saved = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0)
        return bp_error_set(err, BP_EIO, "%s: write failed: %s", path,
                            strerror(saved));
    return 0;
}

/* The second half of a write: the temporary file fd (named tmp, in dir)
 * made durable and renamed over path, then the rename made durable. fd is
 * closed either way. 0; -1 with errno and *what naming the step that
 * failed (tmp is left for the caller to remove). */
static int finish_write(int fd, const char *tmp, const char *path,
                        const char *dir, const char **what)
{
    *what = "fsync";
    if (fsync(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *what = "close";
    if (close(fd) < 0)
        return -1;
    *what = "rename";
    if (rename(tmp, path) < 0)
        return -1;
    /* Make the rename durable. A folder that cannot be opened or synced
     * (some file systems refuse) leaves the new file in place; that is
     * not worth failing the run for. */
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
        fsync(dir_fd);
        close(dir_fd);
    }
    return 0;
}

/* ---- deferred durability: a FIFO of writes to finish and callbacks to
 * make, worked through by one thread ---- */

struct deferred {
    struct deferred *next;
    int fd;    /* the temporary file; -1: a callback */
    int slot;  /* its name's place in queued_tmp */
    char *path, *dir;
    void (*then)(void *ctx, bool failed);
    void *ctx;
};

static bool deferring;
static pthread_t syncer;
static bool syncer_leaving; /* under queue_lock */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t queue_idle = PTHREAD_COND_INITIALIZER;
static struct deferred *queue_head, *queue_tail;
static bool syncer_busy;

static void *sync_loop(void *unused)
{
    (void)unused;
    /* Signals are for the threads that train. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    bool failed = false;
    pthread_mutex_lock(&queue_lock);
    for (;;) {
        while (!queue_head) {
            syncer_busy = false;
            pthread_cond_broadcast(&queue_idle);
            if (syncer_leaving) {
                pthread_mutex_unlock(&queue_lock);
                return NULL;
            }
            pthread_cond_wait(&queue_work, &queue_lock);
        }
        struct deferred *d = queue_head;
        queue_head = d->next;
        if (!queue_head)
            queue_tail = NULL;
        syncer_busy = true;
        pthread_mutex_unlock(&queue_lock);
        if (d->fd >= 0) {
            const char *what;
            if (finish_write(d->fd, queued_tmp[d->slot], d->path, d->dir,
                             &what) < 0) {
                int saved = errno;
                unlink(queued_tmp[d->slot]);
                fprintf(stderr, "backprop: %s: %s failed: %s\n", d->path,
                        what, strerror(saved));
                failed = true;
            }
            atomic_store(&queued[d->slot], 0);
        } else {
            d->then(d->ctx, failed);
            failed = false;
        }
        free(d->path);
        free(d->dir);
        free(d);
        pthread_mutex_lock(&queue_lock);
    }
    return NULL;
}

/* Appends d to the queue. */
static void enqueue(struct deferred *d)
{
    pthread_mutex_lock(&queue_lock);
    d->next = NULL;
    if (queue_tail)
        queue_tail->next = d;
    else
        queue_head = d;
    queue_tail = d;
    syncer_busy = true;
    pthread_cond_signal(&queue_work);
    pthread_mutex_unlock(&queue_lock);
}

int atomic_file_defer(void)
{
    if (deferring)
        return 0;
    syncer_leaving = false;
    if (pthread_create(&syncer, NULL, sync_loop, NULL) != 0)
        return -1;
    deferring = true;
    return 0;
}

void atomic_file_undefer(void)
{
    if (!deferring)
        return;
    pthread_mutex_lock(&queue_lock);
    syncer_leaving = true;
    pthread_cond_signal(&queue_work);
    pthread_mutex_unlock(&queue_lock);
    pthread_join(syncer, NULL); /* it leaves once the queue is empty */
    deferring = false;
}

void atomic_file_settle(void)
{
    pthread_mutex_lock(&queue_lock);
    while (queue_head || syncer_busy)
        pthread_cond_wait(&queue_idle, &queue_lock);
    pthread_mutex_unlock(&queue_lock);
}

int atomic_file_then(void (*then)(void *ctx, bool failed), void *ctx)
{
    if (!deferring) {
        then(ctx, false);
        return 0;
    }
    struct deferred *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->fd = -1;
    d->then = then;
    d->ctx = ctx;
    enqueue(d);
    return 0;
}

/* A free place in queued_tmp, or -1. */
static int free_slot(void)
{
    for (int i = 0; i < QUEUED_MAX; i++)
        if (!atomic_load(&queued[i]))
            return i;
    return -1;
}

/* Hands the written temporary file fd (tmp, the pending write's name) to
 * the thread. 0; -1 when it must be finished here instead (out of
 * memory), after the queue has emptied so the renames stay in order. */
static int defer_write(int fd, const char *tmp, const char *path,
                       const char *dir)
{
    struct deferred *d = calloc(1, sizeof *d);
    int slot = -1;
    if (d) {
        d->path = strdup(path);
        d->dir = strdup(dir);
        slot = free_slot();
        if (slot < 0) {
            /* Every slot in use: let the thread catch up. */
            atomic_file_settle();
            slot = free_slot();
        }
    }
    if (!d || !d->path || !d->dir || slot < 0) {
        if (d) {
            free(d->path);
            free(d->dir);
            free(d);
        }
        atomic_file_settle();
        return -1;
    }
    memcpy(queued_tmp[slot], tmp, sizeof queued_tmp[slot]);
    atomic_store(&queued[slot], 1);
    atomic_store(&pending, 0);
    d->fd = fd;
    d->slot = slot;
    enqueue(d);
    return 0;
}

int atomic_write_file(const char *path, const void *data, size_t len,
                      struct bp_error *err)
{
    if (strcmp(path, "-") == 0)
        return write_stdout(data, len, err);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return write_special(path, data, len, err);

    char dir[4096];
    folder_of(path, dir, sizeof dir);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char tmp[4096 + 64];
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return bp_error_set(err, BP_EIO, "%s: path too long", path);

    int fd = mkstemp(tmp);
    if (fd < 0)
        return bp_error_set(err, BP_EIO, "%s: cannot create a file in %s: %s",
                            path, dir, strerror(errno));
    memcpy(pending_tmp, tmp, sizeof pending_tmp);
    atomic_store(&pending, 1);
    const char *what = "write";
    if (fchmod(fd, target_mode(path)) < 0)
        goto fail;
    if (write_all(fd, data, len) < 0)
        goto fail;
    if (deferring && defer_write(fd, tmp, path, dir) == 0)
        return 0;
    /* `pending` stays set through the fsync: a second Ctrl-C there still
     * removes the temporary file (after the rename it finds none). */
    if (finish_write(fd, tmp, path, dir, &what) < 0) {
        fd = -1;
        goto fail;
    }
    atomic_store(&pending, 0);
    return 0;

fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    atomic_store(&pending, 0);
    return bp_error_set(err, BP_EIO, "%s: %s failed: %s", path, what,
                        strerror(saved));
}

int atomic_check_writable(const char *path, struct bp_error *err)
{
    if (strcmp(path, "-") == 0)
        return 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return bp_error_set(err, BP_EUSAGE, "%s: is a folder, not a file", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return access(path, W_OK) == 0
                   ? 0
                   : bp_error_set(err, BP_EIO, "%s: cannot write: %s", path,
                                  strerror(errno));
    char dir[4096];
    folder_of(path, dir, sizeof dir);
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return bp_error_set(err, BP_EUSAGE, "%s: no such folder: %s", path, dir);
    if (access(dir, W_OK | X_OK) < 0)
        return bp_error_set(err, BP_EIO, "%s: cannot write in %s: %s", path,
                            dir, strerror(errno));
    return 0;
}

/* Skips JSON white space. */
static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

/* Whether s[0..n) begins with the literal `word` after white space;
 * advances *at past it. */
static bool next_is(const char **at, const char *end, const char *word)
{
    const char *s = skip_ws(*at, end);
    size_t len = strlen(word);
    if ((size_t)(end - s) < len || memcmp(s, word, len) != 0)
        return false;
    *at = s + len;
    return true;
}

/* Whether the head of a file is what backprop writes of this kind. */
static bool looks_owned(const char *head, size_t n, enum atomic_owner kind)
{
    const char *at = head, *end = head + n;
    switch (kind) {
    case OWNER_WEIGHTS:
        return next_is(&at, end, "{") && next_is(&at, end, "\"format\"") &&
               next_is(&at, end, ":") &&
               next_is(&at, end, "\"backprop.weights/");
    case OWNER_LOG:
        return false; /* by its lines: log_is_owned */
    case OWNER_SVG: {
        size_t len = strlen(ATOMIC_SVG_MARKER);
        for (size_t i = 0; i + len <= n; i++)
            if (memcmp(head + i, ATOMIC_SVG_MARKER, len) == 0)
                return true;
        return false;
    }
    }
    return false;
}

/* How every line `train --log` writes begins. */
static const char log_line_start[] = "{\"epoch\":";
#define LOG_LINE_START_LEN (sizeof log_line_start - 1)

/* Whether one line is one that `train --log` writes: an object that
 * starts with the epoch and holds the training loss. */
static bool is_log_line(const char *line, size_t len)
{
    static const char loss[] = "\"train_loss\":";
    size_t p = LOG_LINE_START_LEN;
    if (len < p + 2 || memcmp(line, log_line_start, p) != 0 ||
        line[p] < '0' || line[p] > '9' || line[len - 1] != '}')
        return false;
    for (size_t i = p; i + sizeof loss - 1 <= len; i++)
        if (memcmp(line + i, loss, sizeof loss - 1) == 0)
            return true;
    return false;
}

/* Whether every line of f is a log line (the last may be cut off, as an
 * interrupted write leaves it, if it starts as one). */
static bool log_is_owned(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool owned = true, any = false;
    while (owned && (n = getline(&line, &cap, f)) > 0) {
        bool whole = line[n - 1] == '\n';
        size_t len = (size_t)n - whole;
        if (len && line[len - 1] == '\r')
            len--;
        any = true;
        owned = is_log_line(line, len) ||
                (!whole && len >= LOG_LINE_START_LEN &&
                 memcmp(line, log_line_start, LOG_LINE_START_LEN) == 0);
    }
    free(line);
    return owned && any;
}

int atomic_check_owner(const char *path, enum atomic_owner kind, bool force,
                       const char *what, struct bp_error *err)
{
    static const char *const kinds[] = {"a backprop weights file",
                                        "a backprop log",
                                        "an SVG that backprop plot wrote"};
    struct stat st;
    if (force || strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
        !S_ISREG(st.st_mode) || st.st_size == 0)
        return 0;
    char head[512];
    size_t n = 0;
    bool owned = false;
    FILE *f = fopen(path, "rb");
    if (f) {
        if (kind == OWNER_LOG) {
            owned = log_is_owned(f);
        } else {
            n = fread(head, 1, sizeof head, f);
            owned = looks_owned(head, n, kind);
        }
        fclose(f);
    }
    if (owned)
        return 0;
    return bp_error_set(err, BP_EUSAGE, "%s: exists and is not %s (%s names "
                        "it); refusing to replace it: --force replaces it "
                        "anyway", path, kinds[kind], what);
}
