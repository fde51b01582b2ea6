/* Helpers shared by the unit tests. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A FILE* reading the given bytes (a test's in-memory CSV or JSON). */
static inline FILE *testutil_file(const char *bytes, size_t len)
{
    FILE *f = tmpfile();
    if (f) {
        fwrite(bytes, 1, len, f);
        rewind(f);
    }
    return f;
}

/* Writes `text` to a fresh file under build/ and returns its path (static
 * buffer, valid until the next call). */
static inline const char *testutil_write(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
