/* file_text: see file_text.h. */
#include "file_text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *file_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int file_read_text(const char *path, char **text, size_t *len,
                   struct bp_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = file_display_name(path);
    *text = NULL;
    *len = 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return bp_error_set(err, BP_EINPUT, "%s: cannot open: %s", name,
                            strerror(errno));
    size_t cap = 0, n = 0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        if (n + 1 >= cap) {
            size_t bigger = cap ? 2 * cap : (size_t)1 << 16;
            char *p = cap <= SIZE_MAX / 2 ? realloc(buf, bigger) : NULL;
            if (!p) {
                rc = bp_error_set(err, BP_ENOMEM, "%s: out of memory", name);
                break;
            }
            buf = p;
            cap = bigger;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                /* A folder opens but cannot be read: bad input. */
                rc = bp_error_set(err, e == EISDIR ? BP_EINPUT : BP_EIO,
                                  "%s: cannot read: %s", name, strerror(e));
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (rc < 0) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}
