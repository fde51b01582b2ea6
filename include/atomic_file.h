/*
 * atomic_file: replacing a file so that a crash, a full disk or Ctrl-C
 * never leaves it half-written and never destroys the previous version
 * (SPEC section 4): the bytes go to a temporary file in the same folder,
 * which is flushed, fsync'ed and renamed over the target; then the folder
 * is fsync'ed so the rename itself is durable.
 *
 * A target that exists but is not a regular file (/dev/null, a FIFO) is
 * written directly, never replaced. The path "-" means standard output: the bytes are written and flushed,
 * and a write error (a full disk, a closed pipe) is reported, not ignored.
 */
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"

/* Writes data[0..len) to path atomically ("-": to stdout). BP_EIO on
 * failure, with the target untouched and no temporary file left behind
 * (BP_EPIPE when stdout's reader went away). */
int atomic_write_file(const char *path, const void *data, size_t len,
                      struct bp_error *err);

/* For a signal handler about to _exit while a write may be under way:
 * removes that write's temporary file (and those of deferred writes not
 * yet renamed), so an interrupted save leaves the folder as it was.
 * Async-signal-safe; does nothing when no write is under way. */
void atomic_file_abandon(void);

/* Checks, before any long work, that path could be written: its folder
 * exists and takes new files, and path is not a folder. BP_EUSAGE when
 * the path itself is wrong (a folder, or in a folder that does not
 * exist: exit 2); BP_EIO when the system refuses it (no permission, a
 * read-only file system). Does nothing for "-". */
int atomic_check_writable(const char *path, struct bp_error *err);

/* Durability behind the work (a sweep's workers, which train the next
 * run while the last one's weights reach the disk). After
 * atomic_file_defer(), atomic_write_file of a regular file writes the
 * temporary file and returns; a thread of this module then fsyncs it,
 * renames it over the target and fsyncs the folder, in the order of the
 * calls, so the promise above holds, later. A failure there is printed on
 * stderr ("backprop: PATH: fsync failed: ...") and reported to the next
 * atomic_file_then. Only for a process that does not read back what it
 * wrote before atomic_file_settle. The thread starts here (it has this
 * thread's CPU affinity and no signals). 0; -1 when it cannot start, and
 * writes stay immediate. */
int atomic_file_defer(void);

/* Queues then(ctx, failed) to run on that thread once every write queued
 * before it is durable; failed is true when one of them failed since the
 * previous atomic_file_then. Without atomic_file_defer, calls it now. -1
 * (nothing queued) when out of memory. */
int atomic_file_then(void (*then)(void *ctx, bool failed), void *ctx);

/* Waits until every deferred write and atomic_file_then is done. */
void atomic_file_settle(void);

/* Settles, then ends the thread: writes are immediate again. */
void atomic_file_undefer(void);

/* What kind of file backprop writes there, for atomic_check_owner. */
enum atomic_owner {
    OWNER_WEIGHTS, /* starts {"format": "backprop.weights/...  */
    OWNER_LOG,     /* JSON lines starting {"epoch":             */
    OWNER_SVG,     /* holds plot's marker, ATOMIC_SVG_MARKER      */
};

/* The comment `plot` writes into every SVG, so it knows its own. */
#define ATOMIC_SVG_MARKER "<!-- written by backprop plot -->"

/* The one rule for every file backprop writes (SPEC section 2), checked
 * before any work: path may be replaced when it is "-", does not exist,
 * is not a regular file (a character device, a FIFO: written as they
 * are), is empty, or is a file of this kind that backprop wrote (by its
 * first bytes); or when `force`. Otherwise BP_EUSAGE: "PATH: exists and
 * is not a backprop weights file (-o names it); refusing to replace it:
 * --force replaces it anyway". `what` names the option or key that chose
 * the path ("-o", "configs/x.json's output", "--log"). */
int atomic_check_owner(const char *path, enum atomic_owner kind, bool force,
                       const char *what, struct bp_error *err);

#endif
