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

#include <stddef.h>

#include "bp_error.h"

/* Writes data[0..len) to path atomically ("-": to stdout). BP_EIO on
 * failure, with the target untouched and no temporary file left behind
 * (BP_EPIPE when stdout's reader went away). */
int atomic_write_file(const char *path, const void *data, size_t len,
                      struct bp_error *err);

/* For a signal handler about to _exit while a write may be under way:
 * removes that write's temporary file, so an interrupted save leaves the
 * folder as it was. Async-signal-safe; does nothing when no write is under
 * way. */
void atomic_file_abandon(void);

/* Checks, before any long work, that path could be written: its folder
 * exists and takes new files, and path is not a folder. BP_EIO if not.
 * Does nothing for "-". */
int atomic_check_writable(const char *path, struct bp_error *err);

#endif
