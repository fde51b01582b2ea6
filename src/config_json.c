/*
 * config_json: the typed reading of a config's JSON tree (see
 * config_json.h). Each value is checked where it is read, and a message
 * names the file, the key path and the value found, so that a bad config
 * says exactly what to fix: "layers[1].units: expected a whole number,
 * got 2.5".
 *
 * What this file is not: it knows no config key (config_sections.c says
 * what each key means), parses no text (config.c) and never prints.
 */
#include "config_json.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_override.h"
#include "float_text.h"
#include "suggest.h"

/* ---- key paths for messages: "layers[1].activation" ---- */

/* Appends n bytes of s, with control characters shown as '?' so that a
 * message stays one line; cuts silently when full. */
static void kp_append(struct keypath *kp, const char *s, size_t n)
{
    for (size_t i = 0; i < n && kp->len + 1 < sizeof kp->buf; i++) {
        unsigned char c = (unsigned char)s[i];
        kp->buf[kp->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    kp->buf[kp->len] = '\0';
}

/* Pushes ".key" (or "key" at the top); returns the mark to pop back to. */
static size_t kp_key_n(struct keypath *kp, const char *key, size_t n)
{
    size_t mark = kp->len;
    if (kp->len)
        kp_append(kp, ".", 1);
    kp_append(kp, key, n);
    return mark;
}

size_t kp_key(struct keypath *kp, const char *key)
{
    return kp_key_n(kp, key, strlen(key));
}

size_t kp_index(struct keypath *kp, size_t i)
{
    size_t mark = kp->len;
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "[%zu]", i);
    kp_append(kp, tmp, (size_t)n);
    return mark;
}

void kp_pop(struct keypath *kp, size_t mark)
{
    kp->len = mark;
    kp->buf[mark] = '\0';
}

/* ---- the reading context and its messages ---- */

int bad(struct ctx *x, const char *fmt, ...)
{
    char what[BP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *option = x->kp.len ? override_option(x->overrides,
                                                     x->n_overrides,
                                                     x->kp.buf)
                                   : NULL;
    if (option)
        return bp_error_set(x->err, BP_EINPUT, "%s %s: %s", option,
                            x->kp.buf, what);
    if (x->kp.len)
        return bp_error_set(x->err, BP_EINPUT, "%s: %s: %s", x->name,
                            x->kp.buf, what);
    return bp_error_set(x->err, BP_EINPUT, "%s: %s", x->name, what);
}

int nomem(struct ctx *x)
{
    return bp_error_set(x->err, BP_ENOMEM, "%s: out of memory", x->name);
}

const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* ---- describing a JSON value in a message: strings quoted, everything
 * else compact, all cut to a few dozen characters ---- */

struct sbuf {
    char *p;
    size_t cap; /* including room for "..." and the NUL */
    size_t len;
    bool cut;
};

static bool sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->cut || b->len + n + 4 > b->cap) {
        b->cut = true;
        return false;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

static bool sb_str(struct sbuf *b, const char *s)
{
    return sb_put(b, s, strlen(s));
}

/* The shortest text that reads back as exactly d; whole numbers in full. */
static void format_number(char out[40], double d)
{
    if (isnan(d)) {
        strcpy(out, "NaN");
        return;
    }
    if (isinf(d)) {
        strcpy(out, d > 0 ? "infinity" : "-infinity");
        return;
    }
    if (d == floor(d) && fabs(d) < 1e17) {
        snprintf(out, 40, "%.0f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

/* A JSON string, escaped, with at most max_chars characters shown. */
static void sb_json_string(struct sbuf *b, const char *s, size_t max_chars)
{
    const unsigned char *u = (const unsigned char *)s;
    sb_put(b, "\"", 1);
    size_t shown = 0;
    while (*u) {
        if (shown == max_chars) {
            sb_put(b, "...", 3);
            break;
        }
        char esc[8];
        size_t n = 1;
        const char *piece = (const char *)u;
        if (*u == '"' || *u == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*u;
            piece = esc;
            n = 2;
        } else if (*u < 0x20 || *u == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *u);
            piece = esc;
            n = 6;
        } else if (*u >= 0x80) {
            /* keep a UTF-8 sequence whole (jsonscan checked it) */
            while ((u[n] & 0xC0) == 0x80)
                n++;
        }
        if (!sb_put(b, piece, n))
            return;
        u += piece == (const char *)u ? n : 1;
        shown++;
    }
    sb_put(b, "\"", 1);
}

static void sb_value(struct sbuf *b, const cJSON *v, size_t max_chars)
{
    char num[40];
    if (cJSON_IsNull(v)) {
        sb_str(b, "null");
    } else if (cJSON_IsTrue(v)) {
        sb_str(b, "true");
    } else if (cJSON_IsFalse(v)) {
        sb_str(b, "false");
    } else if (cJSON_IsNumber(v)) {
        format_number(num, v->valuedouble);
        sb_str(b, num);
    } else if (cJSON_IsString(v)) {
        sb_json_string(b, v->valuestring, max_chars);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool object = cJSON_IsObject(v);
        sb_str(b, object ? "{" : "[");
        for (const cJSON *c = v->child; c && !b->cut; c = c->next) {
            if (c != v->child)
                sb_str(b, ",");
            if (object) {
                sb_json_string(b, c->string ? c->string : "", 16);
                sb_str(b, ":");
            }
            sb_value(b, c, 16);
        }
        sb_str(b, object ? "}" : "]");
    }
}

const char *describe(const cJSON *v, char buf[DESC_MAX])
{
    struct sbuf b = {buf, DESC_MAX, 0, false};
    buf[0] = '\0';
    sb_value(&b, v, 48);
    if (b.cut)
        strcpy(buf + b.len, "...");
    return buf;
}

/* "a, b, c" from a NULL-terminated list of names. */
static const char *join_names(char *buf, size_t cap, const char *const *names)
{
    struct sbuf b = {buf, cap, 0, false};
    buf[0] = '\0';
    for (size_t i = 0; names[i]; i++) {
        if (i)
            sb_str(&b, ", ");
        sb_str(&b, names[i]);
    }
    if (b.cut)
        strcpy(buf + b.len, "...");
    return buf;
}

static const char *join_table(char *buf, size_t cap,
                              const struct name_value *table)
{
    const char *names[16];
    size_t n = 0;
    for (; table[n].name && n + 1 < sizeof names / sizeof names[0]; n++)
        names[n] = table[n].name;
    names[n] = NULL;
    return join_names(buf, cap, names);
}

/* ---- finding duplicates among names (object keys, class names) ---- */

struct name_at {
    const char *name;
    size_t at;
};

static int name_at_cmp(const void *a, const void *b)
{
    const struct name_at *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->at > y->at) - (x->at < y->at);
}

/* Quadratic for the short lists configs hold, sorting for long ones. */
int find_duplicate_name(const char *const *names, size_t n,
                               size_t *dup)
{
    *dup = SIZE_MAX;
    if (n <= 32) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(names[i], names[j]) == 0) {
                    *dup = i;
                    return 0;
                }
        return 0;
    }
    struct name_at *v = malloc(n * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct name_at){names[i], i};
    qsort(v, n, sizeof *v, name_at_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i].name, v[i - 1].name) == 0 && v[i].at < *dup)
            *dup = v[i].at;
    free(v);
    return 0;
}

size_t count_items(const cJSON *v)
{
    size_t n = 0;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next)
        n++;
    return n;
}

int find_duplicate_key(const cJSON *v, struct keypath *kp, bool *found)
{
    *found = false;
    if (cJSON_IsObject(v)) {
        size_t n = count_items(v);
        if (n > 1) {
            const char **names = malloc(n * sizeof *names);
            if (!names)
                return -1;
            size_t i = 0, dup;
            for (const cJSON *c = v->child; c; c = c->next)
                names[i++] = c->string ? c->string : "";
            int rc = find_duplicate_name(names, n, &dup);
            if (rc == 0 && dup != SIZE_MAX) {
                kp_key(kp, names[dup]);
                *found = true;
            }
            free(names);
            if (rc || *found)
                return rc;
        }
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return 0;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        size_t mark = cJSON_IsObject(v)
                          ? kp_key(kp, c->string ? c->string : "")
                          : kp_index(kp, i);
        if (find_duplicate_key(c, kp, found))
            return -1;
        if (*found)
            return 0;
        kp_pop(kp, mark);
    }
    return 0;
}

/* ---- typed access to the tree; each reports at the current key ---- */

const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

int check_keys(struct ctx *x, const cJSON *obj, const char *const *allowed)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (strcmp(c->string, allowed[i]) == 0)
                break;
        if (allowed[i])
            continue;
        kp_key(&x->kp, c->string);
        const char *close = suggest_closest(c->string, allowed);
        if (close)
            return bad(x, "unknown key (did you mean \"%s\"?)", close);
        char list[256];
        return bad(x, "unknown key (expected one of: %s)",
                   join_names(list, sizeof list, allowed));
    }
    return 0;
}

int check_object(struct ctx *x, const cJSON *v, const char *const *allowed)
{
    char d[DESC_MAX];
    if (!cJSON_IsObject(v))
        return bad(x, "expected an object, got %s", describe(v, d));
    return check_keys(x, v, allowed);
}

static int as_whole(struct ctx *x, const cJSON *v, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    char d[DESC_MAX];
    if (!cJSON_IsNumber(v))
        return bad(x, "expected a whole number, got %s", describe(v, d));
    double n = v->valuedouble;
    if (isfinite(n) && n != floor(n))
        return bad(x, "expected a whole number, got %s", describe(v, d));
    if (!(n >= (double)lo && n <= (double)hi)) {
        if (hi == WHOLE_MAX && n < (double)lo)
            return bad(x, "must be at least %" PRIu64 ", got %s", lo,
                       describe(v, d));
        return bad(x, "must be from %" PRIu64 " to %" PRIu64 ", got %s", lo,
                   hi, describe(v, d));
    }
    *out = (uint64_t)n;
    return 0;
}

int as_size(struct ctx *x, const cJSON *v, size_t lo, size_t hi, size_t *out)
{
    uint64_t u = 0;
    if (hi > WHOLE_MAX)
        hi = WHOLE_MAX;
    if (as_whole(x, v, lo, hi, &u))
        return -1;
    *out = (size_t)u;
    return 0;
}

int as_real(struct ctx *x, const cJSON *v, enum real_rule rule, double *out)
{
    char d[DESC_MAX];
    if (!cJSON_IsNumber(v))
        return bad(x, "expected a number, got %s", describe(v, d));
    double n = v->valuedouble;
    if (!isfinite(n))
        return bad(x, "must be a finite number, got %s", describe(v, d));
    switch (rule) {
    case REAL_ANY:
        break;
    case REAL_POSITIVE:
        if (!(n > 0))
            return bad(x, "must be > 0, got %s", describe(v, d));
        break;
    case REAL_NONNEG:
        if (!(n >= 0))
            return bad(x, "must be >= 0, got %s", describe(v, d));
        break;
    case REAL_FRACTION:
        if (!(n >= 0 && n < 1))
            return bad(x, "must be in [0, 1), got %s", describe(v, d));
        break;
    case REAL_NONZERO:
        if (n == 0)
            return bad(x, "must be non-zero, got %s", describe(v, d));
        break;
    }
    *out = n;
    return 0;
}

/* The least magnitude that rounds to infinity as a float: FLT_MAX plus
 * half its ulp (2^128 - 2^103). Numbers below it round to a finite float
 * (FLT_MAX's own "%.9g" text, 3.40282347e+38, is above FLT_MAX), as
 * strtof and float_text.h round them. */
#define FLOAT_OVERFLOW 0x1.ffffffp+127

/* A number stored as float: finite and within float range (below
 * FLOAT_OVERFLOW), and non-zero as a float when asked. */
static int as_float(struct ctx *x, const cJSON *v, bool nonzero, float *out)
{
    char d[DESC_MAX];
    double n = 0;
    if (as_real(x, v, REAL_ANY, &n))
        return -1;
    if (fabs(n) >= FLOAT_OVERFLOW)
        return bad(x, "out of float range (at most %.9g in magnitude), "
                      "got %s", (double)FLT_MAX, describe(v, d));
    /* (between FLT_MAX and FLOAT_OVERFLOW: rounds to FLT_MAX) */
    float f = fabs(n) > FLT_MAX ? (n > 0 ? FLT_MAX : -FLT_MAX) : (float)n;
    if (nonzero && f == 0)
        return bad(x, "must be non-zero, got %s", describe(v, d));
    *out = f;
    return 0;
}

static int as_bool(struct ctx *x, const cJSON *v, bool *out)
{
    char d[DESC_MAX];
    if (!cJSON_IsBool(v))
        return bad(x, "expected true or false, got %s", describe(v, d));
    *out = cJSON_IsTrue(v);
    return 0;
}

int as_enum(struct ctx *x, const cJSON *v, const char *what,
            const struct name_value *table, int *out)
{
    char d[DESC_MAX], list[128];
    join_table(list, sizeof list, table);
    if (!cJSON_IsString(v))
        return bad(x, "expected a string (one of: %s), got %s", list,
                   describe(v, d));
    for (const struct name_value *t = table; t->name; t++)
        if (strcmp(v->valuestring, t->name) == 0) {
            *out = t->value;
            return 0;
        }
    return bad(x, "unknown %s %s (expected one of: %s)", what,
               describe(v, d), list);
}

int require(struct ctx *x, const cJSON *obj, const char *key,
            const cJSON **out)
{
    *out = member(obj, key);
    if (*out)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    bad(x, "missing required key");
    kp_pop(&x->kp, mark);
    return -1;
}

int opt_size(struct ctx *x, const cJSON *obj, const char *key, size_t lo,
             size_t hi, size_t *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_size(x, v, lo, hi, out);
    kp_pop(&x->kp, mark);
    return rc;
}

int opt_seed(struct ctx *x, const cJSON *obj, const char *key,
             uint64_t *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_whole(x, v, 0, WHOLE_MAX, out);
    kp_pop(&x->kp, mark);
    return rc;
}

int opt_real(struct ctx *x, const cJSON *obj, const char *key,
             enum real_rule rule, double *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_real(x, v, rule, out);
    kp_pop(&x->kp, mark);
    return rc;
}

int opt_bool(struct ctx *x, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_bool(x, v, out);
    kp_pop(&x->kp, mark);
    return rc;
}

int opt_enum(struct ctx *x, const cJSON *obj, const char *key,
             const char *what, const struct name_value *table, int *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_enum(x, v, what, table, out);
    kp_pop(&x->kp, mark);
    return rc;
}

/* ---- arrays of floats: weights, biases, velocities, statistics ---- */

/* "expected N numbers (PER), got M" */
static int count_mismatch(struct ctx *x, size_t n, const char *per,
                          size_t got)
{
    return bad(x, "expected %zu number%s (%s), got %zu", n, plural(n), per,
               got);
}

int floats_shape(struct ctx *x, const cJSON *v, size_t n, const char *per)
{
    char d[DESC_MAX];
    size_t got;
    if (json_floats_of(x->lifted, v, &got))
        return got == n ? 0 : count_mismatch(x, n, per, got);
    if (!cJSON_IsArray(v))
        return bad(x, "expected an array of %zu number%s (%s), got %s", n,
                   plural(n), per, describe(v, d));
    got = count_items(v);
    if (got != n)
        return count_mismatch(x, n, per, got);
    return 0;
}

/* A lifted array: its numbers were read, each within float range, when
 * the text was (json_floats.h); only `nonzero` is left to check. */
static int read_lifted(struct ctx *x, const float *f, size_t n,
                       bool nonzero, float *out)
{
    for (size_t i = 0; nonzero && i < n; i++)
        if (f[i] == 0) {
            char t[FLOAT_TEXT_MAX];
            float_to_text(t, f[i]);
            kp_index(&x->kp, i);
            return bad(x, "must be non-zero, got %s", t);
        }
    memcpy(out, f, n * sizeof *out);
    return 0;
}

int read_floats(struct ctx *x, const cJSON *v, size_t n, const char *per,
                bool nonzero, float *out)
{
    if (floats_shape(x, v, n, per))
        return -1;
    size_t got;
    const float *lifted = json_floats_of(x->lifted, v, &got);
    if (lifted)
        return read_lifted(x, lifted, n, nonzero, out);
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (as_float(x, c, nonzero, &out[i]))
            return -1;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int matrix_rows(struct ctx *x, const cJSON *v, size_t rows)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(v))
        return bad(x, "expected an array of %zu row%s (one per unit), got %s",
                   rows, plural(rows), describe(v, d));
    size_t got = count_items(v);
    if (got != rows)
        return bad(x, "expected %zu row%s (one per unit), got %zu", rows,
                   plural(rows), got);
    return 0;
}

int matrix_shape(struct ctx *x, const cJSON *v, size_t rows, size_t cols)
{
    if (matrix_rows(x, v, rows))
        return -1;
    size_t j = 0;
    for (const cJSON *r = v->child; r; r = r->next, j++) {
        size_t mark = kp_index(&x->kp, j);
        if (floats_shape(x, r, cols, "one per input of the layer"))
            return -1;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

int read_matrix(struct ctx *x, const cJSON *v, size_t rows, size_t cols,
                float *out)
{
    if (matrix_rows(x, v, rows))
        return -1;
    size_t j = 0;
    for (const cJSON *r = v->child; r; r = r->next, j++) {
        size_t mark = kp_index(&x->kp, j);
        if (read_floats(x, r, cols, "one per input of the layer", false,
                        out + j * cols))
            return -1;
        kp_pop(&x->kp, mark);
    }
    return 0;
}
