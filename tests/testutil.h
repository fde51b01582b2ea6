/* Helpers shared by the unit tests. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The float with these bits. */
static inline float testutil_float_of_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Distance in representable floats (-0 and +0 are one float apart from
 * neither: 0); NaN to NaN is 0, NaN to a number the largest distance. */
static inline int64_t testutil_ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    int32_t sa, sb;
    memcpy(&sa, &a, sizeof sa);
    memcpy(&sb, &b, sizeof sb);
    int64_t ia = sa, ib = sb;
    if (ia < 0)
        ia = INT32_MIN - ia;
    if (ib < 0)
        ib = INT32_MIN - ib;
    return ia > ib ? ia - ib : ib - ia;
}

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

/* A new folder under $TMPDIR (or /tmp) named PREFIX_XXXXXX, its path in
 * dir; NULL when it cannot be made. A new one each time, so that nothing
 * an earlier run left (a process of the same pid, say) is in it. */
static inline char *testutil_new_folder(char *dir, size_t size,
                                        const char *prefix)
{
    snprintf(dir, size, "%s/%s_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", prefix);
    return mkdtemp(dir);
}

static inline int testutil_remove_entry(const char *path,
                                        const struct stat *st, int flag,
                                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -r dir. */
static inline void testutil_remove_tree(const char *dir)
{
    nftw(dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
