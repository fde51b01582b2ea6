/*
 * config: reading and validating the config / weights file. See config.h.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_text.h"
#include "jsonscan.h"
#include "suggest.h"

/* ---- name tables: one table per enum serves the parser, the "expected
 * one of" message and the writer ---- */

struct name_value {
    const char *name;
    int value;
};

static const struct name_value activation_names[] = {
    {"sigmoid", ACT_SIGMOID}, {"tanh", ACT_TANH}, {"relu", ACT_RELU},
    {"linear", ACT_LINEAR},   {"softmax", ACT_SOFTMAX}, {NULL, 0}};
static const struct name_value loss_names[] = {
    {"mse", LOSS_MSE}, {"cross_entropy", LOSS_CROSS_ENTROPY}, {NULL, 0}};
static const struct name_value init_names[] = {
    {"xavier", INIT_XAVIER}, {"he", INIT_HE}, {"uniform", INIT_UNIFORM},
    {NULL, 0}};
static const struct name_value schedule_names[] = {
    {"constant", SCHEDULE_CONSTANT}, {"step", SCHEDULE_STEP},
    {"cosine", SCHEDULE_COSINE}, {NULL, 0}};
static const struct name_value stop_metric_names[] = {
    {"validation_loss", STOP_VALIDATION_LOSS},
    {"validation_accuracy", STOP_VALIDATION_ACCURACY},
    {"train_loss", STOP_TRAIN_LOSS}, {NULL, 0}};
static const struct name_value normalize_names[] = {
    {"none", NORMALIZE_NONE}, {"standard", NORMALIZE_STANDARD},
    {"minmax", NORMALIZE_MINMAX}, {"scale", NORMALIZE_SCALE}, {NULL, 0}};

static const char *name_of(const struct name_value *table, int value)
{
    for (; table->name; table++)
        if (table->value == value)
            return table->name;
    return NULL;
}

const char *activation_name(enum activation a)
{
    return name_of(activation_names, (int)a);
}

const char *loss_name(enum loss_kind l) { return name_of(loss_names, (int)l); }

const char *init_method_name(enum init_method m)
{
    return name_of(init_names, (int)m);
}

const char *schedule_name(enum schedule_kind s)
{
    return name_of(schedule_names, (int)s);
}

const char *stop_metric_name(enum stop_metric m)
{
    return name_of(stop_metric_names, (int)m);
}

const char *normalize_name(enum normalize_kind n)
{
    return name_of(normalize_names, (int)n);
}

/* ---- shape queries ---- */

size_t config_fan_in(const struct config *cfg, size_t l)
{
    return l == 0 ? cfg->input : cfg->layers[l - 1].units;
}

size_t config_param_count(const struct config *cfg)
{
    size_t n = 0;
    for (size_t l = 0; l < cfg->n_layers; l++)
        n += cfg->layers[l].units * (config_fan_in(cfg, l) + 1);
    return n;
}

size_t config_outputs(const struct config *cfg)
{
    return cfg->n_layers ? cfg->layers[cfg->n_layers - 1].units : 0;
}

size_t config_class_count(const struct config *cfg)
{
    bool classes = cfg->data.has_label ||
                   (cfg->data.n_targets == 0 &&
                    cfg->loss == LOSS_CROSS_ENTROPY);
    if (!classes)
        return 0;
    size_t outputs = config_outputs(cfg);
    return outputs == 1 ? 2 : outputs;
}

/* ---- release ---- */

static void column_ref_free(struct column_ref *c)
{
    free(c->name);
    c->name = NULL;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->name);
    free(cfg->dir);
    for (size_t l = 0; l < cfg->n_layers; l++) {
        free(cfg->layers[l].weights);
        free(cfg->layers[l].bias);
    }
    free(cfg->layers);
    free(cfg->data.train);
    free(cfg->data.validation);
    column_ref_free(&cfg->data.label);
    for (size_t i = 0; i < cfg->data.n_targets; i++)
        column_ref_free(&cfg->data.targets[i]);
    free(cfg->data.targets);
    for (size_t i = 0; i < cfg->data.n_classes; i++)
        free(cfg->data.classes[i]);
    free(cfg->data.classes);
    free(cfg->output);
    free(cfg->normalization.mean);
    free(cfg->normalization.std);
    free(cfg->state.velocity);
    config_stop_progress_free(cfg->state.stopping);
    memset(cfg, 0, sizeof *cfg);
}

void config_stop_progress_free(struct stop_progress *p)
{
    if (!p)
        return;
    free(p->params);
    free(p->state.velocity);
    free(p);
}

/* =====================================================================
 * Loading: read the text, check its syntax (jsonscan), build the tree
 * (cJSON), reject duplicate keys, apply the overrides, then validate every
 * key into a struct config.
 * ===================================================================== */

/* Every whole number up to 2^53 is exact in a double; no count, index or
 * seed in a config needs more. */
#define WHOLE_MAX ((uint64_t)1 << 53)

/* ---- key paths for messages: "layers[1].activation" ---- */

#define KEYPATH_MAX 384

struct keypath {
    char buf[KEYPATH_MAX];
    size_t len;
};

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

static size_t kp_key(struct keypath *kp, const char *key)
{
    return kp_key_n(kp, key, strlen(key));
}

static size_t kp_index(struct keypath *kp, size_t i)
{
    size_t mark = kp->len;
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "[%zu]", i);
    kp_append(kp, tmp, (size_t)n);
    return mark;
}

static void kp_pop(struct keypath *kp, size_t mark)
{
    kp->len = mark;
    kp->buf[mark] = '\0';
}

/* ---- the loader's context and its error helpers ---- */

struct ctx {
    const char *name;  /* the file, for messages */
    struct keypath kp; /* where we are in the tree */
    struct bp_error *err;
};

static int bad(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A BP_EINPUT error at the current key: "NAME: KEY.PATH: WHAT". */
static int bad(struct ctx *x, const char *fmt, ...)
{
    char what[BP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (x->kp.len)
        return bp_error_set(x->err, BP_EINPUT, "%s: %s: %s", x->name,
                            x->kp.buf, what);
    return bp_error_set(x->err, BP_EINPUT, "%s: %s", x->name, what);
}

static int nomem(struct ctx *x)
{
    return bp_error_set(x->err, BP_ENOMEM, "%s: out of memory", x->name);
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* ---- describing a JSON value in a message: strings quoted, everything
 * else compact, all cut to a few dozen characters ---- */

#define DESC_MAX 80

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

/* Writes a short description of v into buf and returns buf. */
static const char *describe(const cJSON *v, char buf[DESC_MAX])
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

/* ---- finding duplicates among names (object keys, class names, target
 * columns): the second occurrence that comes first, or SIZE_MAX ---- */

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

/* Returns 0 and sets *dup (SIZE_MAX: none), or -1 when out of memory.
 * Quadratic for the short lists configs hold, sorting for long ones. */
static int find_duplicate_name(const char *const *names, size_t n,
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

static size_t count_items(const cJSON *v)
{
    size_t n = 0;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next)
        n++;
    return n;
}

/* Looks for a key that appears twice in one object, anywhere in v.
 * cJSON keeps both and lookups see only the first, so the second would be
 * silently ignored. Returns 0 with *found (and kp at the key), or -1 when
 * out of memory. */
static int find_duplicate_key(const cJSON *v, struct keypath *kp,
                              bool *found)
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

/* The member `key` of obj, with null counting as absent (so
 * `--set data.validation=null` removes a key). */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

/* Rejects keys of obj not in `allowed`, with a did-you-mean. */
static int check_keys(struct ctx *x, const cJSON *obj,
                      const char *const *allowed)
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

/* Checks that v is an object, then its keys. */
static int check_object(struct ctx *x, const cJSON *v,
                        const char *const *allowed)
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

static int as_size(struct ctx *x, const cJSON *v, size_t lo, size_t hi,
                   size_t *out)
{
    uint64_t u;
    if (hi > WHOLE_MAX)
        hi = WHOLE_MAX;
    if (as_whole(x, v, lo, hi, &u))
        return -1;
    *out = (size_t)u;
    return 0;
}

enum real_rule {
    REAL_ANY,      /* any finite number */
    REAL_POSITIVE, /* > 0 */
    REAL_NONNEG,   /* >= 0 */
    REAL_FRACTION, /* [0, 1) */
    REAL_NONZERO   /* != 0 */
};

static int as_real(struct ctx *x, const cJSON *v, enum real_rule rule,
                   double *out)
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

/* A number stored as float: finite and within float range (a double
 * beyond FLT_MAX has no float value), and non-zero as a float when asked. */
static int as_float(struct ctx *x, const cJSON *v, bool nonzero, float *out)
{
    char d[DESC_MAX];
    double n = 0;
    if (as_real(x, v, REAL_ANY, &n))
        return -1;
    if (fabs(n) > FLT_MAX)
        return bad(x, "out of float range (at most %.9g in magnitude), "
                      "got %s", (double)FLT_MAX, describe(v, d));
    float f = (float)n;
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

static int as_enum(struct ctx *x, const cJSON *v, const char *what,
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

/* The member `key`, required. */
static int require(struct ctx *x, const cJSON *obj, const char *key,
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

/* Optional members: absent (or null) leaves *out as it is. */
static int opt_size(struct ctx *x, const cJSON *obj, const char *key,
                    size_t lo, size_t hi, size_t *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_size(x, v, lo, hi, out);
    kp_pop(&x->kp, mark);
    return rc;
}

static int opt_seed(struct ctx *x, const cJSON *obj, const char *key,
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

static int opt_real(struct ctx *x, const cJSON *obj, const char *key,
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

static int opt_bool(struct ctx *x, const cJSON *obj, const char *key,
                    bool *out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = as_bool(x, v, out);
    kp_pop(&x->kp, mark);
    return rc;
}

static int opt_enum(struct ctx *x, const cJSON *obj, const char *key,
                    const char *what, const struct name_value *table,
                    int *out)
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

/* v must be an array of exactly n numbers, stored into out[0..n). `per`
 * says what each is for, in the count message ("one per unit"). */
static int floats_shape(struct ctx *x, const cJSON *v, size_t n,
                        const char *per)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(v))
        return bad(x, "expected an array of %zu number%s (%s), got %s", n,
                   plural(n), per, describe(v, d));
    size_t got = count_items(v);
    if (got != n)
        return bad(x, "expected %zu number%s (%s), got %zu", n, plural(n),
                   per, got);
    return 0;
}

static int read_floats(struct ctx *x, const cJSON *v, size_t n,
                       const char *per, bool nonzero, float *out)
{
    if (floats_shape(x, v, n, per))
        return -1;
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

/* The shape read_matrix expects, checked without reading the values:
 * done before allocating, so that a short file cannot make the loader
 * allocate gigabytes for parameters it does not hold (a layer of 2^24
 * inputs is 4 bytes of text per row of "[]", 64 MiB of floats). */
static int matrix_shape(struct ctx *x, const cJSON *v, size_t rows,
                        size_t cols)
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

/* v must be `rows` arrays of `cols` numbers: out is [rows][cols]. */
static int read_matrix(struct ctx *x, const cJSON *v, size_t rows,
                       size_t cols, float *out)
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

/* ---- sizes ---- */

static int add_size(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return -1;
    *out = a + b;
    return 0;
}

static int mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b)
        return -1;
    *out = a * b;
    return 0;
}

/* ---- the keys, section by section ---- */

static const char *const top_keys[] = {
    "format", "input", "layers", "loss", "init", "training", "data",
    "output", "normalization", "state", "metrics", NULL};
static const char *const layer_keys[] = {"units", "activation", "weights",
                                         "bias", NULL};
static const char *const init_keys[] = {"method", "seed", NULL};
static const char *const training_keys[] = {
    "optimizer", "learning_rate", "momentum", "nesterov", "weight_decay",
    "batch_size", "epochs", "shuffle", "seed", "schedule",
    "early_stopping", NULL};
static const char *const schedule_keys[] = {"type", "every", "gamma", NULL};
static const char *const early_stopping_keys[] = {"patience", "metric",
                                                  "min_delta", NULL};
static const char *const data_keys[] = {
    "train", "validation", "validation_split", "header", "label",
    "targets", "normalize", "classes", NULL};
static const char *const normalize_keys[] = {"scale", NULL};
static const char *const normalization_keys[] = {"mean", "std", NULL};
static const char *const state_keys[] = {"epoch", "step", "velocity",
                                         "learning_rate", "early_stopping",
                                         NULL};
static const char *const stopping_keys[] = {"metric", "best", "best_epoch",
                                            "restore", NULL};
static const char *const restore_keys[] = {"parameters", "state", "metrics",
                                           NULL};
static const char *const velocity_keys[] = {"weights", "bias", NULL};

/* SGD is the only optimizer (SPEC section 7). */
static const struct name_value optimizer_names[] = {{"sgd", 0}, {NULL, 0}};

static int load_format(struct ctx *x, const cJSON *root, struct config *c)
{
    const cJSON *v = member(root, "format");
    if (!v)
        return 0;
    char d[DESC_MAX];
    size_t mark = kp_key(&x->kp, "format");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, CONFIG_FORMAT) != 0)
        return bad(x, "expected \"%s\", got %s", CONFIG_FORMAT,
                   describe(v, d));
    kp_pop(&x->kp, mark);
    c->is_weights = true;
    return 0;
}

/* First pass over the layers: units and activations, no parameters. */
static int load_layer_shapes(struct ctx *x, const cJSON *layers,
                             struct config *c)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(layers))
        return bad(x, "expected an array of layers, got %s",
                   describe(layers, d));
    size_t n = count_items(layers);
    if (n == 0)
        return bad(x, "expected at least one layer, got []");
    if (n > CONFIG_MAX_LAYERS)
        return bad(x, "at most %d layers are allowed, got %zu",
                   CONFIG_MAX_LAYERS, n);
    c->layers = calloc(n, sizeof *c->layers);
    if (!c->layers)
        return nomem(x);
    c->n_layers = n;

    size_t l = 0;
    for (const cJSON *v = layers->child; v; v = v->next, l++) {
        struct layer_config *layer = &c->layers[l];
        const cJSON *item;
        int act;
        size_t mark = kp_index(&x->kp, l);
        if (check_object(x, v, layer_keys) ||
            require(x, v, "units", &item))
            return -1;
        size_t m2 = kp_key(&x->kp, "units");
        if (as_size(x, item, 1, CONFIG_MAX_UNITS, &layer->units))
            return -1;
        kp_pop(&x->kp, m2);
        if (require(x, v, "activation", &item))
            return -1;
        m2 = kp_key(&x->kp, "activation");
        if (as_enum(x, item, "activation", activation_names, &act))
            return -1;
        kp_pop(&x->kp, m2);
        layer->activation = (enum activation)act;
        bool has_w = member(v, "weights") != NULL;
        bool has_b = member(v, "bias") != NULL;
        if (has_w != has_b) {
            kp_key(&x->kp, has_w ? "bias" : "weights");
            return bad(x, "missing (a layer's weights and bias come "
                          "together)");
        }
        kp_pop(&x->kp, mark);
    }

    for (l = 0; l < n; l++) {
        if (c->layers[l].activation != ACT_SOFTMAX)
            continue;
        size_t mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "activation");
        if (l + 1 != n)
            return bad(x, "softmax is only allowed on the last layer");
        if (c->layers[l].units < 2)
            return bad(x, "softmax needs at least 2 units, got %zu",
                       c->layers[l].units);
        kp_pop(&x->kp, mark);
    }
    return 0;
}

/* The parameter count, overflow-checked, before anything that size is
 * allocated. */
static int check_param_count(struct ctx *x, const struct config *c)
{
    size_t total = 0;
    bool overflow = false;
    for (size_t l = 0; l < c->n_layers && !overflow; l++) {
        size_t per;
        overflow = mul_size(c->layers[l].units, config_fan_in(c, l) + 1,
                            &per) ||
                   add_size(total, per, &total);
    }
    if (overflow)
        return bad(x, "too many parameters (the limit is %zu)",
                   CONFIG_MAX_PARAMS);
    if (total > CONFIG_MAX_PARAMS)
        return bad(x, "%zu parameters, more than the limit of %zu", total,
                   CONFIG_MAX_PARAMS);
    return 0;
}

/* Second pass: explicit weights and biases. */
static int load_layer_params(struct ctx *x, const cJSON *layers,
                             struct config *c)
{
    size_t l = 0;
    for (const cJSON *v = layers->child; v; v = v->next, l++) {
        struct layer_config *layer = &c->layers[l];
        const cJSON *w = member(v, "weights"), *b = member(v, "bias");
        if (!w)
            continue;
        size_t fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "weights");
        if (matrix_shape(x, w, layer->units, fan_in))
            return -1;
        kp_pop(&x->kp, mark);
        kp_index(&x->kp, l);
        kp_key(&x->kp, "bias");
        if (floats_shape(x, b, layer->units, "one per unit"))
            return -1;
        kp_pop(&x->kp, mark);
        layer->weights = malloc(layer->units * fan_in * sizeof(float));
        layer->bias = malloc(layer->units * sizeof(float));
        if (!layer->weights || !layer->bias)
            return nomem(x);
        mark = kp_index(&x->kp, l);
        kp_key(&x->kp, "weights");
        if (read_matrix(x, w, layer->units, fan_in, layer->weights))
            return -1;
        kp_pop(&x->kp, mark);
        kp_index(&x->kp, l);
        kp_key(&x->kp, "bias");
        if (read_floats(x, b, layer->units, "one per unit", false,
                        layer->bias))
            return -1;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int load_loss(struct ctx *x, const cJSON *root, struct config *c)
{
    const struct layer_config *last = &c->layers[c->n_layers - 1];
    bool softmax = last->activation == ACT_SOFTMAX;
    bool one_sigmoid = last->activation == ACT_SIGMOID && last->units == 1;
    int loss = softmax ? LOSS_CROSS_ENTROPY : LOSS_MSE;
    const cJSON *v = member(root, "loss");
    if (!v) {
        c->loss = (enum loss_kind)loss;
        return 0;
    }
    size_t mark = kp_key(&x->kp, "loss");
    if (as_enum(x, v, "loss", loss_names, &loss))
        return -1;
    if (loss == LOSS_CROSS_ENTROPY && !softmax && !one_sigmoid)
        return bad(x, "cross_entropy needs a softmax last layer or a single "
                      "sigmoid unit, but the last layer has %zu %s unit%s",
                   last->units, activation_name(last->activation),
                   plural(last->units));
    if (loss == LOSS_MSE && softmax)
        return bad(x, "mse cannot follow a softmax last layer (use "
                      "cross_entropy)");
    kp_pop(&x->kp, mark);
    c->loss = (enum loss_kind)loss;
    return 0;
}

static int load_init(struct ctx *x, const cJSON *root, struct config *c)
{
    bool all_relu = c->n_layers > 1;
    for (size_t l = 0; l + 1 < c->n_layers; l++)
        all_relu = all_relu && c->layers[l].activation == ACT_RELU;
    int method = all_relu ? INIT_HE : INIT_XAVIER;
    c->init_seed = 1;
    const cJSON *v = member(root, "init");
    if (v) {
        size_t mark = kp_key(&x->kp, "init");
        if (check_object(x, v, init_keys) ||
            opt_enum(x, v, "method", "init method", init_names, &method) ||
            opt_seed(x, v, "seed", &c->init_seed))
            return -1;
        kp_pop(&x->kp, mark);
    }
    c->init = (enum init_method)method;
    return 0;
}

static int load_schedule(struct ctx *x, const cJSON *tr,
                         struct training_config *t)
{
    const cJSON *v = member(tr, "schedule"), *item;
    int kind;
    t->schedule = SCHEDULE_CONSTANT;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "schedule");
    if (check_object(x, v, schedule_keys) || require(x, v, "type", &item))
        return -1;
    size_t m2 = kp_key(&x->kp, "type");
    if (as_enum(x, item, "schedule", schedule_names, &kind))
        return -1;
    kp_pop(&x->kp, m2);
    t->schedule = (enum schedule_kind)kind;
    if (kind == SCHEDULE_STEP) {
        const cJSON *every, *gamma;
        if (require(x, v, "every", &every) ||
            require(x, v, "gamma", &gamma) ||
            opt_size(x, v, "every", 1, WHOLE_MAX, &t->schedule_every) ||
            opt_real(x, v, "gamma", REAL_POSITIVE, &t->schedule_gamma))
            return -1;
    } else {
        /* e.g. "every" on a cosine schedule: not a restart period */
        const char *unused = member(v, "every")   ? "every"
                             : member(v, "gamma") ? "gamma"
                                                  : NULL;
        if (unused) {
            kp_key(&x->kp, unused);
            return bad(x, "only used by a step schedule");
        }
    }
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_early_stopping(struct ctx *x, const cJSON *tr,
                               struct training_config *t)
{
    const cJSON *v = member(tr, "early_stopping"), *item;
    int metric = STOP_VALIDATION_LOSS;
    t->early_stopping_patience = 0;
    t->early_stopping_metric = STOP_VALIDATION_LOSS;
    t->early_stopping_min_delta = 0;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "early_stopping");
    if (check_object(x, v, early_stopping_keys) ||
        require(x, v, "patience", &item) ||
        opt_size(x, v, "patience", 1, WHOLE_MAX,
                 &t->early_stopping_patience) ||
        opt_enum(x, v, "metric", "metric", stop_metric_names, &metric) ||
        opt_real(x, v, "min_delta", REAL_NONNEG,
                 &t->early_stopping_min_delta))
        return -1;
    t->early_stopping_metric = (enum stop_metric)metric;
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_training(struct ctx *x, const cJSON *root, struct config *c)
{
    struct training_config *t = &c->training;
    *t = (struct training_config){
        .learning_rate = 0.01, .momentum = 0, .nesterov = false,
        .weight_decay = 0, .batch_size = 32, .epochs = 10, .shuffle = true,
        .seed = 1, .schedule = SCHEDULE_CONSTANT};
    const cJSON *v = member(root, "training");
    if (!v)
        return 0;
    int optimizer = 0;
    size_t mark = kp_key(&x->kp, "training");
    if (check_object(x, v, training_keys) ||
        opt_enum(x, v, "optimizer", "optimizer", optimizer_names,
                 &optimizer) ||
        opt_real(x, v, "learning_rate", REAL_POSITIVE, &t->learning_rate) ||
        opt_real(x, v, "momentum", REAL_FRACTION, &t->momentum) ||
        opt_bool(x, v, "nesterov", &t->nesterov) ||
        opt_real(x, v, "weight_decay", REAL_NONNEG, &t->weight_decay) ||
        opt_size(x, v, "batch_size", 1, WHOLE_MAX, &t->batch_size) ||
        opt_size(x, v, "epochs", 0, WHOLE_MAX, &t->epochs) ||
        opt_bool(x, v, "shuffle", &t->shuffle) ||
        opt_seed(x, v, "seed", &t->seed) || load_schedule(x, v, t) ||
        load_early_stopping(x, v, t))
        return -1;
    if (t->nesterov && t->momentum == 0) {
        kp_key(&x->kp, "nesterov");
        return bad(x, "needs training.momentum > 0");
    }
    kp_pop(&x->kp, mark);
    return 0;
}

/* A path from the file: "-" and absolute paths stay, relative ones are
 * joined to dir (no "./" prefix when dir is "."). */
static int resolve_path(struct ctx *x, const cJSON *v, const char *dir,
                        char **out)
{
    char d[DESC_MAX];
    if (!cJSON_IsString(v))
        return bad(x, "expected a file path, got %s", describe(v, d));
    const char *p = v->valuestring;
    if (!*p)
        return bad(x, "expected a file path, got \"\"");
    if (strcmp(p, "-") == 0 || p[0] == '/' || strcmp(dir, ".") == 0) {
        *out = strdup(p);
    } else {
        size_t dl = strlen(dir), pl = strlen(p);
        bool slash = dl && dir[dl - 1] == '/';
        *out = malloc(dl + pl + 2);
        if (*out) {
            memcpy(*out, dir, dl);
            if (!slash)
                (*out)[dl++] = '/';
            memcpy(*out + dl, p, pl + 1);
        }
    }
    return *out ? 0 : nomem(x);
}

static int opt_path(struct ctx *x, const cJSON *obj, const char *key,
                    const char *dir, char **out)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, key);
    int rc = resolve_path(x, v, dir, out);
    kp_pop(&x->kp, mark);
    return rc;
}

/* A CSV column: a header name or a 0-based index. */
static int as_column(struct ctx *x, const cJSON *v, struct column_ref *out)
{
    char d[DESC_MAX];
    if (cJSON_IsString(v)) {
        if (!*v->valuestring)
            return bad(x, "expected a column name or index, got \"\"");
        out->name = strdup(v->valuestring);
        return out->name ? 0 : nomem(x);
    }
    if (cJSON_IsNumber(v))
        return as_size(x, v, 0, WHOLE_MAX, &out->index);
    return bad(x, "expected a column name or a 0-based column index, got %s",
               describe(v, d));
}

static int load_targets(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    if (!cJSON_IsArray(v) || !v->child)
        return bad(x, "expected a non-empty array of columns, got %s",
                   describe(v, d));
    size_t n = count_items(v), outputs = config_outputs(c);
    dc->targets = calloc(n, sizeof *dc->targets);
    if (!dc->targets)
        return nomem(x);
    dc->n_targets = n;
    size_t i = 0;
    for (const cJSON *t = v->child; t; t = t->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (as_column(x, t, &dc->targets[i]))
            return -1;
        for (size_t j = 0; j < i; j++) {
            const struct column_ref *a = &dc->targets[i], *b = &dc->targets[j];
            if (a->name ? (b->name && strcmp(a->name, b->name) == 0)
                        : (!b->name && a->index == b->index))
                return bad(x, "the same column as targets[%zu]", j);
        }
        kp_pop(&x->kp, mark);
    }
    if (n != outputs)
        return bad(x, "expected %zu column%s (one per output unit), got %zu",
                   outputs, plural(outputs), n);
    return 0;
}

static int load_normalize(struct ctx *x, const cJSON *v, struct config *c)
{
    static const char choices[] =
        "none, standard, minmax, or {\"scale\": X}";
    char d[DESC_MAX];
    if (cJSON_IsString(v)) {
        int kind = -1;
        for (const struct name_value *t = normalize_names; t->name; t++)
            if (t->value != NORMALIZE_SCALE &&
                strcmp(v->valuestring, t->name) == 0)
                kind = t->value;
        if (kind < 0)
            return bad(x, "unknown normalization %s (expected one of: %s)",
                       describe(v, d), choices);
        c->data.normalize = (enum normalize_kind)kind;
        return 0;
    }
    if (cJSON_IsObject(v)) {
        const cJSON *scale;
        if (check_keys(x, v, normalize_keys) ||
            require(x, v, "scale", &scale))
            return -1;
        size_t mark = kp_key(&x->kp, "scale");
        if (as_real(x, scale, REAL_NONZERO, &c->data.normalize_scale))
            return -1;
        kp_pop(&x->kp, mark);
        c->data.normalize = NORMALIZE_SCALE;
        return 0;
    }
    return bad(x, "expected one of: %s, got %s", choices, describe(v, d));
}

static int load_classes(struct ctx *x, const cJSON *v, struct config *c)
{
    struct data_config *dc = &c->data;
    char d[DESC_MAX];
    size_t k = config_class_count(c);
    if (k == 0)
        return bad(x, "class names need class targets (data.label, or a "
                      "cross_entropy loss), but the targets are real-valued");
    if (!cJSON_IsArray(v))
        return bad(x, "expected an array of %zu class names, got %s", k,
                   describe(v, d));
    size_t n = count_items(v);
    if (n != k)
        return bad(x, "expected %zu class name%s (one per class), got %zu",
                   k, plural(k), n);
    dc->classes = calloc(n, sizeof *dc->classes);
    if (!dc->classes)
        return nomem(x);
    dc->n_classes = n;
    size_t i = 0;
    for (const cJSON *s = v->child; s; s = s->next, i++) {
        size_t mark = kp_index(&x->kp, i);
        if (!cJSON_IsString(s) || !*s->valuestring)
            return bad(x, "expected a non-empty string, got %s",
                       describe(s, d));
        dc->classes[i] = strdup(s->valuestring);
        if (!dc->classes[i])
            return nomem(x);
        kp_pop(&x->kp, mark);
    }
    size_t dup;
    if (find_duplicate_name((const char *const *)dc->classes, n, &dup))
        return nomem(x);
    if (dup != SIZE_MAX) {
        kp_index(&x->kp, dup);
        return bad(x, "duplicate class name %s",
                   describe(cJSON_GetArrayItem(v, (int)dup), d));
    }
    return 0;
}

/* Where relative paths resolve: the config's folder, except for values
 * that came from the command line (--set, --data), which the user typed
 * relative to the current folder. */
struct path_origin {
    bool train_cli, validation_cli, output_cli;
};

static int load_data(struct ctx *x, const cJSON *root, struct config *c,
                     const struct path_origin *po)
{
    struct data_config *dc = &c->data;
    dc->header = true;
    dc->normalize = NORMALIZE_NONE;
    const cJSON *v = member(root, "data"), *item;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "data");
    if (check_object(x, v, data_keys) ||
        opt_path(x, v, "train", po->train_cli ? "." : c->dir, &dc->train) ||
        opt_path(x, v, "validation", po->validation_cli ? "." : c->dir,
                 &dc->validation) ||
        opt_real(x, v, "validation_split", REAL_FRACTION,
                 &dc->validation_split) ||
        opt_bool(x, v, "header", &dc->header))
        return -1;
    if (dc->validation && dc->validation_split > 0) {
        kp_key(&x->kp, "validation_split");
        return bad(x, "cannot be used together with data.validation");
    }
    if ((item = member(v, "label")) != NULL) {
        size_t m2 = kp_key(&x->kp, "label");
        if (as_column(x, item, &dc->label))
            return -1;
        kp_pop(&x->kp, m2);
        dc->has_label = true;
    }
    if ((item = member(v, "targets")) != NULL) {
        size_t m2 = kp_key(&x->kp, "targets");
        if (dc->has_label)
            return bad(x, "cannot be used together with data.label");
        if (load_targets(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if ((item = member(v, "normalize")) != NULL) {
        size_t m2 = kp_key(&x->kp, "normalize");
        if (load_normalize(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if ((item = member(v, "classes")) != NULL) {
        size_t m2 = kp_key(&x->kp, "classes");
        if (load_classes(x, item, c))
            return -1;
        kp_pop(&x->kp, m2);
    }
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_normalization(struct ctx *x, const cJSON *root,
                              struct config *c)
{
    const cJSON *v = member(root, "normalization"), *mean, *std;
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "normalization");
    if (check_object(x, v, normalization_keys) ||
        require(x, v, "mean", &mean) || require(x, v, "std", &std))
        return -1;
    if (cJSON_IsArray(mean) && cJSON_IsArray(std) && !mean->child &&
        !std->child) {
        kp_pop(&x->kp, mark); /* both empty: no normalization */
        return 0;
    }
    struct normalization *nz = &c->normalization;
    nz->mean = malloc(c->input * sizeof(float));
    nz->std = malloc(c->input * sizeof(float));
    if (!nz->mean || !nz->std)
        return nomem(x);
    nz->n = c->input;
    kp_key(&x->kp, "mean");
    if (read_floats(x, mean, c->input, "one per input", false, nz->mean))
        return -1;
    kp_pop(&x->kp, mark);
    kp_key(&x->kp, "normalization");
    kp_key(&x->kp, "std");
    if (read_floats(x, std, c->input, "one per input", true, nz->std))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* state.velocity: one {"weights", "bias"} per layer, flattened into the
 * parameter layout (each layer's weights row-major, then its bias). */
static int load_param_layers(struct ctx *x, const cJSON *v,
                             const struct config *c, float **out)
{
    char d[DESC_MAX];
    if (!cJSON_IsArray(v))
        return bad(x, "expected null or an array of %zu {\"weights\", "
                      "\"bias\"} object%s (one per layer), got %s",
                   c->n_layers, plural(c->n_layers), describe(v, d));
    size_t n = count_items(v);
    if (n != c->n_layers)
        return bad(x, "expected %zu entr%s (one per layer), got %zu",
                   c->n_layers, c->n_layers == 1 ? "y" : "ies", n);
    /* Shapes first, as for the layers' weights: nothing is allocated
     * for parameters the text does not hold. */
    size_t l = 0;
    for (const cJSON *e = v->child; e; e = e->next, l++) {
        const cJSON *w, *b;
        size_t units = c->layers[l].units, fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        if (check_object(x, e, velocity_keys) ||
            require(x, e, "weights", &w) || require(x, e, "bias", &b))
            return -1;
        size_t m2 = kp_key(&x->kp, "weights");
        if (matrix_shape(x, w, units, fan_in))
            return -1;
        kp_pop(&x->kp, m2);
        kp_key(&x->kp, "bias");
        if (floats_shape(x, b, units, "one per unit"))
            return -1;
        kp_pop(&x->kp, mark);
    }
    float *vel = malloc(config_param_count(c) * sizeof(float));
    if (!vel)
        return nomem(x);
    *out = vel;
    l = 0;
    for (const cJSON *e = v->child; e; e = e->next, l++) {
        const cJSON *w = member(e, "weights"), *b = member(e, "bias");
        size_t units = c->layers[l].units, fan_in = config_fan_in(c, l);
        size_t mark = kp_index(&x->kp, l);
        size_t m2 = kp_key(&x->kp, "weights");
        if (read_matrix(x, w, units, fan_in, vel))
            return -1;
        kp_pop(&x->kp, m2);
        vel += units * fan_in;
        kp_key(&x->kp, "bias");
        if (read_floats(x, b, units, "one per unit", false, vel))
            return -1;
        vel += units;
        kp_pop(&x->kp, mark);
    }
    return 0;
}

static int read_metrics(struct ctx *x, const cJSON *v,
                        struct train_metrics *out);
static int read_stopping(struct ctx *x, const cJSON *v,
                         const struct config *c, struct train_state *st);

/* A "state" object v into st; `nested` for the one inside an early-
 * stopping record, which holds no record of its own. */
static int read_state(struct ctx *x, const cJSON *v, const struct config *c,
                      struct train_state *st, bool nested)
{
    const cJSON *item;
    if (check_object(x, v, state_keys) ||
        opt_size(x, v, "epoch", 0, WHOLE_MAX, &st->epoch) ||
        opt_size(x, v, "step", 0, WHOLE_MAX, &st->step))
        return -1;
    if ((item = member(v, "velocity")) != NULL) {
        size_t m2 = kp_key(&x->kp, "velocity");
        if (load_param_layers(x, item, c, &st->velocity))
            return -1;
        kp_pop(&x->kp, m2);
    }
    if (member(v, "learning_rate")) {
        if (opt_real(x, v, "learning_rate", REAL_NONNEG,
                     &st->learning_rate))
            return -1;
        st->has_learning_rate = true;
    }
    if ((item = member(v, "early_stopping")) != NULL) {
        size_t m2 = kp_key(&x->kp, "early_stopping");
        if (nested)
            return bad(x, "not allowed inside an early-stopping record");
        if (read_stopping(x, item, c, st))
            return -1;
        kp_pop(&x->kp, m2);
    }
    return 0;
}

/* state.early_stopping, after the state's epoch has been read. */
static int read_stopping(struct ctx *x, const cJSON *v,
                         const struct config *c, struct train_state *st)
{
    const cJSON *item;
    if (check_object(x, v, stopping_keys))
        return -1;
    struct stop_progress *p = calloc(1, sizeof *p);
    if (!p)
        return nomem(x);
    st->stopping = p;
    p->best = NAN;
    p->metrics = (struct train_metrics){NAN, NAN, NAN};
    int metric = 0;
    if (require(x, v, "metric", &item))
        return -1;
    size_t mark = kp_key(&x->kp, "metric");
    if (as_enum(x, item, "metric", stop_metric_names, &metric))
        return -1;
    kp_pop(&x->kp, mark);
    p->metric = (enum stop_metric)metric;
    if (opt_real(x, v, "best", REAL_ANY, &p->best) ||
        require(x, v, "best_epoch", &item))
        return -1;
    mark = kp_key(&x->kp, "best_epoch");
    if (as_size(x, item, 0, WHOLE_MAX, &p->best_epoch))
        return -1;
    if (p->best_epoch >= st->epoch)
        return bad(x, "expected an epoch before the %zu done (state.epoch), "
                      "got %zu", st->epoch, p->best_epoch);
    kp_pop(&x->kp, mark);

    /* The best epoch's parameters and state come along exactly when it
     * is not the last one done. */
    bool needed = p->best_epoch + 1 < st->epoch;
    const cJSON *r = member(v, "restore");
    if (!r && needed)
        return require(x, v, "restore", &r);
    if (!r)
        return 0;
    mark = kp_key(&x->kp, "restore");
    if (!needed)
        return bad(x, "unexpected: the best epoch (%zu) is the last one "
                      "done", p->best_epoch);
    if (check_object(x, r, restore_keys) ||
        require(x, r, "parameters", &item))
        return -1;
    size_t m2 = kp_key(&x->kp, "parameters");
    if (load_param_layers(x, item, c, &p->params))
        return -1;
    kp_pop(&x->kp, m2);
    if (require(x, r, "state", &item))
        return -1;
    m2 = kp_key(&x->kp, "state");
    if (read_state(x, item, c, &p->state, true))
        return -1;
    if (p->state.epoch != p->best_epoch + 1) {
        kp_key(&x->kp, "epoch");
        return bad(x, "expected %zu (the epochs done after the best), got "
                      "%zu", p->best_epoch + 1, p->state.epoch);
    }
    kp_pop(&x->kp, m2);
    if ((item = member(r, "metrics")) != NULL) {
        m2 = kp_key(&x->kp, "metrics");
        if (read_metrics(x, item, &p->metrics))
            return -1;
        kp_pop(&x->kp, m2);
    }
    kp_pop(&x->kp, mark);
    return 0;
}

static int load_state(struct ctx *x, const cJSON *root, struct config *c)
{
    const cJSON *v = member(root, "state");
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "state");
    if (read_state(x, v, c, &c->state, false))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

/* metrics: written with the weights; any names, numbers or null. The
 * three the writer knows are kept, so a file rewritten unchanged keeps
 * them. */
static int read_metrics(struct ctx *x, const cJSON *v,
                        struct train_metrics *out)
{
    char d[DESC_MAX];
    if (!cJSON_IsObject(v))
        return bad(x, "expected an object, got %s", describe(v, d));
    for (const cJSON *m = v->child; m; m = m->next) {
        double value = NAN;
        size_t m2 = kp_key(&x->kp, m->string);
        if (!cJSON_IsNull(m) && !cJSON_IsNumber(m))
            return bad(x, "expected a number or null, got %s",
                       describe(m, d));
        if (cJSON_IsNumber(m) && as_real(x, m, REAL_ANY, &value))
            return -1;
        if (strcmp(m->string, "train_loss") == 0)
            out->train_loss = value;
        else if (strcmp(m->string, "validation_loss") == 0)
            out->validation_loss = value;
        else if (strcmp(m->string, "validation_accuracy") == 0)
            out->validation_accuracy = value;
        kp_pop(&x->kp, m2);
    }
    return 0;
}

static int load_metrics(struct ctx *x, const cJSON *root, struct config *c)
{
    c->metrics = (struct train_metrics){NAN, NAN, NAN};
    const cJSON *v = member(root, "metrics");
    if (!v)
        return 0;
    size_t mark = kp_key(&x->kp, "metrics");
    if (read_metrics(x, v, &c->metrics))
        return -1;
    kp_pop(&x->kp, mark);
    return 0;
}

static int validate(struct ctx *x, const cJSON *root, struct config *c,
                    const struct path_origin *po)
{
    const cJSON *item;
    if (check_keys(x, root, top_keys) || load_format(x, root, c) ||
        require(x, root, "input", &item))
        return -1;
    size_t mark = kp_key(&x->kp, "input");
    if (as_size(x, item, 1, CONFIG_MAX_UNITS, &c->input))
        return -1;
    kp_pop(&x->kp, mark);

    if (require(x, root, "layers", &item))
        return -1;
    mark = kp_key(&x->kp, "layers");
    if (load_layer_shapes(x, item, c) || check_param_count(x, c))
        return -1;
    if (load_layer_params(x, item, c))
        return -1;
    kp_pop(&x->kp, mark);

    if (load_loss(x, root, c) || load_init(x, root, c) ||
        load_training(x, root, c) || load_data(x, root, c, po) ||
        opt_path(x, root, "output", po->output_cli ? "." : c->dir,
                 &c->output) ||
        load_normalization(x, root, c) || load_state(x, root, c) ||
        load_metrics(x, root, c))
        return -1;
    return 0;
}

/* ---- reading and parsing ---- */

static int syntax_error(struct ctx *x, const char *text, size_t len,
                        size_t off, const char *what)
{
    size_t line, col;
    jsonscan_position(text, len, off, &line, &col);
    return bp_error_set(x->err, BP_EINPUT, "%s:%zu:%zu: %s", x->name, line,
                        col, what);
}

/* Parses the file's text into a tree whose top level is an object. */
static int parse_text(struct ctx *x, const char *text, size_t len,
                      cJSON **out)
{
    char why[160], msg[200], d[DESC_MAX];
    size_t off;
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return syntax_error(x, text, len, (size_t)(nul - text), "NUL byte");
    off = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    off += strspn(text + off, " \t\r\n");
    if (off == len)
        return bp_error_set(x->err, BP_EINPUT,
                            "%s:1:1: empty file, expected a JSON object",
                            x->name);
    size_t start = off;
    if (jsonscan_check(text, len, &off, why, sizeof why)) {
        snprintf(msg, sizeof msg, "invalid JSON: %s", why);
        return syntax_error(x, text, len, off, msg);
    }
    /* jsonscan accepted it, so cJSON can fail only for want of memory.
     * The length counts the terminating NUL, which
     * require_null_terminated looks for. */
    *out = cJSON_ParseWithLengthOpts(text, len + 1, NULL, true);
    if (!*out)
        return nomem(x);
    if (!cJSON_IsObject(*out)) {
        snprintf(msg, sizeof msg, "expected a JSON object, got %s",
                 describe(*out, d));
        return syntax_error(x, text, len, start, msg);
    }
    return 0;
}

static int reject_duplicate_keys(struct ctx *x, const cJSON *root)
{
    bool found;
    if (find_duplicate_key(root, &x->kp, &found))
        return nomem(x);
    if (found)
        return bad(x, "duplicate key");
    return 0;
}

/* ---- overrides ---- */

static int usage(struct bp_error *err, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "--set KEY: WHAT" */
static int usage(struct bp_error *err, const char *key, const char *fmt, ...)
{
    char what[BP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    bp_error_set(err, BP_EUSAGE, "--set %s: %s", key, what);
    /* The key comes from argv and may hold any byte; keep the message on
     * one line, as kp_append does for keys from the file. */
    for (char *p = err ? err->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return -1;
}

/* The override's value: JSON when it is valid JSON (by jsonscan's strict
 * rules), else the text as a string (`--set data.train=x.csv`). */
static cJSON *override_value(const char *text)
{
    size_t len = strlen(text);
    if (len && jsonscan_check(text, len, NULL, NULL, 0) == 0)
        return cJSON_ParseWithLengthOpts(text, len + 1, NULL, true);
    return cJSON_CreateString(text);
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Whether an override at path `set` replaces `target` or a folder of it
 * ("data" and "data.train" both cover "data.train"). */
static bool covers(const char *set, const char *target)
{
    size_t n = strlen(set);
    return strncmp(set, target, n) == 0 &&
           (target[n] == '\0' || target[n] == '.');
}

/* Walks the key's segments ("a.b.0.c", "a.b[0].c") from root, creating
 * missing (or null) objects on the way, and puts `value` at the end.
 * Takes ownership of value. `kp` receives the normalized path. */
static int set_path(cJSON *root, const char *key, cJSON *value,
                    struct keypath *kp, struct bp_error *err)
{
    cJSON *node = root;
    const char *p = key;
    char *name = NULL;
    int rc = -1;
    for (;;) {
        bool bracket = *p == '[';
        const char *seg = bracket ? p + 1 : p;
        size_t n = bracket ? strcspn(seg, "]") : strcspn(seg, ".[");
        if (bracket && (seg[n] != ']' || !all_digits(seg, n))) {
            usage(err, key, "bad index \"[%.*s\" (expected [N])", (int)n,
                  seg);
            goto fail;
        }
        if (n == 0) {
            usage(err, key, "empty part in the key");
            goto fail;
        }
        p = seg + n + (bracket ? 1 : 0);
        bool last = *p == '\0';
        if (!last && *p != '.' && *p != '[') {
            usage(err, key, "expected \".\" or \"[\" after \"%.*s\"",
                  (int)(p - key), key);
            goto fail;
        }
        bool next_is_index = *p == '[';
        if (*p == '.')
            p++;
        if (!last && *p == '\0') {
            usage(err, key, "empty part in the key");
            goto fail;
        }
        const char *where = kp->len ? kp->buf : "the top level";
        free(name);
        name = strndup(seg, n);
        if (!name)
            goto nomem;

        cJSON *child;
        if (cJSON_IsArray(node)) {
            if (!all_digits(seg, n)) {
                usage(err, key, "%s is an array: expected an index, got "
                                "\"%s\"", where, name);
                goto fail;
            }
            errno = 0;
            unsigned long long idx = strtoull(name, NULL, 10);
            size_t size = count_items(node);
            if (errno || idx >= size) {
                usage(err, key, "index %s out of range (%s has %zu "
                                "element%s)", name, where, size,
                      plural(size));
                goto fail;
            }
            kp_index(kp, (size_t)idx);
            if (last) {
                if (!cJSON_ReplaceItemInArray(node, (int)idx, value))
                    goto nomem;
                value = NULL;
                break;
            }
            child = cJSON_GetArrayItem(node, (int)idx);
            if (cJSON_IsNull(child)) {
                cJSON *obj = cJSON_CreateObject();
                if (!obj || !cJSON_ReplaceItemInArray(node, (int)idx, obj)) {
                    cJSON_Delete(obj);
                    goto nomem;
                }
                child = obj;
            }
        } else {
            if (bracket) {
                usage(err, key, "%s is not an array", where);
                goto fail;
            }
            kp_key(kp, name);
            child = cJSON_GetObjectItemCaseSensitive(node, name);
            if (last) {
                cJSON_bool ok =
                    child ? cJSON_ReplaceItemInObjectCaseSensitive(node, name,
                                                                   value)
                          : cJSON_AddItemToObject(node, name, value);
                if (!ok)
                    goto nomem;
                value = NULL;
                break;
            }
            if ((!child || cJSON_IsNull(child)) && next_is_index) {
                usage(err, key, "%s does not exist (an index needs an "
                                "existing array)", kp->buf);
                goto fail;
            }
            if (!child || cJSON_IsNull(child)) {
                cJSON *obj = cJSON_CreateObject();
                cJSON_bool ok =
                    obj && (child ? cJSON_ReplaceItemInObjectCaseSensitive(
                                        node, name, obj)
                                  : cJSON_AddItemToObject(node, name, obj));
                if (!ok) {
                    cJSON_Delete(obj);
                    goto nomem;
                }
                child = obj;
            }
        }
        if (!cJSON_IsObject(child) && !cJSON_IsArray(child)) {
            usage(err, key, "%s is not an %s", kp->buf,
                  next_is_index ? "array" : "object");
            goto fail;
        }
        node = child;
    }
    rc = 0;
    goto fail;
nomem:
    bp_error_set(err, BP_ENOMEM, "--set %s: out of memory", key);
fail:
    free(name);
    cJSON_Delete(value);
    return rc;
}

static int apply_overrides(cJSON *root, const struct config_override *ov,
                           size_t n, struct path_origin *po,
                           struct bp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *key = ov[i].key ? ov[i].key : "";
        struct keypath kp = {"", 0};
        bool dup;
        if (!*key)
            return usage(err, key, "empty key");
        if (!ov[i].json)
            return usage(err, key, "missing value");
        cJSON *value = override_value(ov[i].json);
        if (!value)
            return bp_error_set(err, BP_ENOMEM, "--set %s: out of memory",
                                key);
        if (find_duplicate_key(value, &kp, &dup)) {
            cJSON_Delete(value);
            return bp_error_set(err, BP_ENOMEM, "--set %s: out of memory",
                                key);
        }
        if (dup) {
            cJSON_Delete(value);
            return usage(err, key, "duplicate key %s in the value", kp.buf);
        }
        if (set_path(root, key, value, &kp, err))
            return -1;
        po->train_cli |= covers(kp.buf, "data.train");
        po->validation_cli |= covers(kp.buf, "data.validation");
        po->output_cli |= covers(kp.buf, "output");
    }
    return 0;
}

/* ---- the entry point ---- */

/* The folder part of path: "." when there is none. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Parses text[0..len) (text[len] must be '\0', which cJSON and the
 * syntax check rely on) as the contents of `path`, into *cfg. */
static int load_text(struct config *cfg, const char *path, const char *text,
                     size_t len, bool read_file,
                     const struct config_override *overrides,
                     size_t n_overrides, struct bp_error *err)
{
    struct config c;
    struct path_origin po = {false, false, false};
    char *owned = NULL;
    size_t owned_len = 0;
    cJSON *root = NULL;
    memset(cfg, 0, sizeof *cfg);
    memset(&c, 0, sizeof c);
    if (!path)
        return bp_error_set(err, BP_EINTERNAL, "config_load: no path");

    bool is_stdin = strcmp(path, "-") == 0;
    c.path = strdup(path);
    c.name = strdup(is_stdin ? "<stdin>" : path);
    c.dir = is_stdin ? strdup(".") : dir_of(path);
    if (!c.path || !c.name || !c.dir) {
        bp_error_set(err, BP_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    struct ctx x = {c.name, {"", 0}, err};
    if (read_file) {
        if (file_read_text(path, &owned, &owned_len, err))
            goto fail;
        text = owned;
        len = owned_len;
    }
    if (parse_text(&x, text, len, &root) ||
        reject_duplicate_keys(&x, root) ||
        apply_overrides(root, overrides, n_overrides, &po, err) ||
        validate(&x, root, &c, &po))
        goto fail;
    cJSON_Delete(root);
    free(owned);
    *cfg = c;
    return 0;
fail:
    cJSON_Delete(root);
    free(owned);
    config_free(&c);
    return -1;
}

int config_load(struct config *cfg, const char *path,
                const struct config_override *overrides, size_t n_overrides,
                struct bp_error *err)
{
    return load_text(cfg, path, NULL, 0, true, overrides, n_overrides, err);
}

int config_parse_buffer(struct config *cfg, const char *path,
                        const char *text, size_t len,
                        const struct config_override *overrides,
                        size_t n_overrides, struct bp_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    /* parse_text and cJSON need a terminated copy; the caller's bytes
     * need not be. */
    char *copy = malloc(len + 1);
    if (!copy)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                            path ? path : "config");
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = load_text(cfg, path, copy, len, false, overrides, n_overrides,
                       err);
    free(copy);
    return rc;
}
