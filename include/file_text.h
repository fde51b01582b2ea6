/*
 * file_text: a whole file (or standard input) read into memory, for the
 * readers that need all of it at once (JSON configs, weights, logs).
 *
 * Errors, with NAME as the file is called in messages ("<stdin>" for
 * "-"): a file that cannot be opened, or a folder, is bad input
 * (BP_EINPUT, "NAME: cannot open: ..." / "NAME: cannot read: ..."); a read
 * that fails part way is BP_EIO; BP_ENOMEM.
 */
#ifndef FILE_TEXT_H
#define FILE_TEXT_H

#include <stddef.h>

#include "bp_error.h"

/* Reads path ("-": stdin; not closed) into *text, NUL-terminated (the
 * bytes may hold NULs too: *len counts them all). The caller frees *text.
 * On failure *text is NULL. */
int file_read_text(const char *path, char **text, size_t *len,
                   struct bp_error *err);

/* The name of path in messages: "<stdin>" for "-", else path. */
const char *file_display_name(const char *path);

#endif
