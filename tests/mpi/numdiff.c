/*
 * numdiff A.json B.json [RELATIVE]: whether two JSON files hold the same
 * tree with numbers equal within RELATIVE (default 1e-4), for comparing the
 * weights of an N-rank run with a single process's.
 *
 * A number x in A matches y in B when |x - y| <= RELATIVE * scale, where
 * scale is the largest magnitude in the outermost array holding y (a
 * layer's whole weight matrix, a bias vector), or |y| outside arrays. A
 * plain |x - y| <= RELATIVE * |y| would fail on weights that happen to sit
 * near zero, whose absolute error is that of their neighbours. Strings,
 * booleans, nulls, keys and array lengths must match exactly; keys in
 * `skip` (timings) are ignored.
 *
 * Exit status: 0 equal, 1 different (the worst or first difference is
 * printed), 2 bad usage or unreadable input.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

static const char *const skip[] = {"seconds", "samples_per_second", NULL};

struct worst {
    double ratio;   /* |x - y| / (RELATIVE * scale), > 1 fails */
    char path[512];
    double x, y;
};

static double max_magnitude(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return fabs(v->valuedouble);
    double m = 0.0;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (const cJSON *c = v->child; c; c = c->next) {
            double cm = max_magnitude(c);
            if (cm > m)
                m = cm;
        }
    return m;
}

static int fail(const char *path, const char *what)
{
    printf("numdiff: %s: %s\n", path[0] ? path : "(top)", what);
    return -1;
}

static int compare(const cJSON *a, const cJSON *b, double scale,
                   double relative, const char *path, struct worst *w)
{
    char sub[512];
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        double x = a->valuedouble, y = b->valuedouble;
        double s = scale > 0 ? scale : fabs(y);
        double d = fabs(x - y);
        double ratio = d == 0 ? 0 : s == 0 ? INFINITY : d / (relative * s);
        if (ratio > w->ratio) {
            w->ratio = ratio;
            snprintf(w->path, sizeof w->path, "%s", path);
            w->x = x;
            w->y = y;
        }
        return 0;
    }
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return fail(path, "different types");
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0
                   ? 0
                   : fail(path, "different strings");
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return fail(path, "different lengths");
        if (scale == 0)
            scale = max_magnitude(b);
        int i = 0;
        for (const cJSON *x = a->child, *y = b->child; x;
             x = x->next, y = y->next, i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            if (compare(x, y, scale, relative, sub, w) < 0)
                return -1;
        }
        return 0;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return fail(path, "different keys");
        for (const cJSON *x = a->child; x; x = x->next) {
            bool skipped = false;
            for (const char *const *k = skip; *k; k++)
                skipped |= strcmp(*k, x->string) == 0;
            snprintf(sub, sizeof sub, "%s.%s", path, x->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y)
                return fail(sub, "missing in the second file");
            if (!skipped && compare(x, y, 0, relative, sub, w) < 0)
                return -1;
        }
        return 0;
    }
    return 0; /* true, false, null: the types matched */
}

static cJSON *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    return root;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: numdiff A.json B.json [RELATIVE]\n");
        return 2;
    }
    double relative = argc == 4 ? strtod(argv[3], NULL) : 1e-4;
    cJSON *a = load(argv[1]), *b = load(argv[2]);
    if (!a || !b) {
        fprintf(stderr, "numdiff: cannot read %s as JSON\n",
                !a ? argv[1] : argv[2]);
        cJSON_Delete(a);
        cJSON_Delete(b);
        return 2;
    }
    struct worst w = {0, "", 0, 0};
    int rc = compare(a, b, 0, relative, "", &w);
    cJSON_Delete(a);
    cJSON_Delete(b);
    if (rc < 0)
        return 1;
    printf("numdiff: worst %s: %.9g vs %.9g (%.3g of the tolerance %g)\n",
           w.path[0] ? w.path : "-", w.x, w.y, w.ratio, relative);
    return w.ratio <= 1.0 ? 0 : 1;
}
