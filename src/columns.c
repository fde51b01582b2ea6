/*
 * columns: CSV columns to network inputs and targets (see columns.h).
 *
 * What this file is not: it reads no CSV (table.h does, and calls back
 * here once the column count is known), it scales no input (normalize.h),
 * and it never prints.
 */
#include "columns.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

/* How many header names a "no column named" message lists at most. */
#define COLUMNS_LIST_MAX 400
/* How many known values an "unknown value" message lists at most. */
#define COLUMNS_VALUES_MAX 300

static const char *config_name(const struct config *cfg)
{
    return cfg->name ? cfg->name : "config";
}

/* A name (from the CSV header or the config: any bytes) fit for a
 * one-line message, quoted: control characters as \xHH, cut to fit. */
static const char *quoted(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    dst[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s;
         *p && o + 8 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        } else if (*p == '"' || *p == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)*p;
        } else {
            dst[o++] = (char)*p;
        }
    }
    dst[o++] = '"';
    dst[o] = '\0';
    return dst;
}

/* "a, b, c" or "a, b, ..." when the list would not fit. */
static void list_names(char *dst, size_t cap, char *const *names, size_t n)
{
    char name[COLUMNS_LIST_MAX];
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? ", " : "";
        quoted(name, sizeof name, names[i]);
        size_t need = strlen(sep) + strlen(name);
        if (o + need + 5 >= cap) {
            snprintf(dst + o, cap - o, "%s...", sep);
            return;
        }
        o += (size_t)snprintf(dst + o, cap - o, "%s%s", sep, name);
    }
}

/* ---- resolving the config's columns against the header ---- */

/* The column `ref` names, in a file of n_cols columns with these names
 * (NULL without a header). `key` is the config key, for messages. */
static int resolve(const struct columns_plan *p, char *const *names,
                   size_t n_cols, const struct column_ref *ref,
                   const char *key, size_t *col, struct bp_error *err)
{
    const char *cfg = config_name(p->cfg);
    if (!ref->name) {
        if (ref->index >= n_cols)
            return bp_error_set(err, BP_EINPUT, "%s: %s: column index %zu is "
                                "out of range for %s (%zu columns, indexes "
                                "0..%zu)", cfg, key, ref->index, p->file,
                                n_cols, n_cols - 1);
        *col = ref->index;
        return 0;
    }
    char q[COLUMNS_LIST_MAX];
    if (!names)
        return bp_error_set(err, BP_EINPUT, "%s: %s: a column name (%s) "
                            "needs data.header true; give a 0-based index",
                            cfg, key, quoted(q, sizeof q, ref->name));
    size_t found = SIZE_MAX, again = SIZE_MAX;
    for (size_t c = 0; c < n_cols; c++)
        if (strcmp(names[c], ref->name) == 0) {
            if (found == SIZE_MAX)
                found = c;
            else if (again == SIZE_MAX)
                again = c;
        }
    if (again != SIZE_MAX)
        return bp_error_set(err, BP_EINPUT, "%s: %s: %s has two columns "
                            "named %s (columns %zu and %zu); rename one",
                            cfg, key, p->file, quoted(q, sizeof q, ref->name),
                            found + 1, again + 1);
    if (found != SIZE_MAX) {
        *col = found;
        return 0;
    }
    char list[COLUMNS_LIST_MAX], hint[COLUMNS_LIST_MAX] = "";
    list_names(list, sizeof list, names, n_cols);
    const char **cands = malloc((n_cols + 1) * sizeof *cands);
    if (cands) {
        for (size_t c = 0; c < n_cols; c++)
            cands[c] = names[c];
        cands[n_cols] = NULL;
        const char *close = suggest_closest(ref->name, cands);
        if (close) {
            char cq[COLUMNS_LIST_MAX];
            snprintf(hint, sizeof hint, " (did you mean %s?)",
                     quoted(cq, sizeof cq, close));
        }
        free(cands);
    }
    if (p->use == COLUMNS_TRAIN)
        return bp_error_set(err, BP_EINPUT, "%s: %s: no column named %s in "
                            "%s%s; its columns: %s", cfg, key,
                            quoted(q, sizeof q, ref->name), p->file, hint,
                            list);
    /* A later file lacks a column the weights file reads by name. */
    char whose[COLUMNS_LIST_MAX];
    if (key[0] == '-')
        snprintf(whose, sizeof whose, "%s", key); /* an option's */
    else
        snprintf(whose, sizeof whose, "%s of %s", key, cfg);
    return bp_error_set(err, BP_EINPUT, "%s:%zu:1: no column named %s "
                        "(%s)%s; its columns: %s", p->file, p->line,
                        quoted(q, sizeof q, ref->name), whose, hint, list);
}


static bool has_name(char *const *names, size_t n_cols, const char *name)
{
    for (size_t c = 0; names && c < n_cols; c++)
        if (strcmp(names[c], name) == 0)
            return true;
    return false;
}

/* The label's or targets' columns; p->has_targets false when a file for
 * predict does not hold them. Returns 0 or -1. */
static int resolve_targets(struct columns_plan *p, char *const *names,
                           size_t n_cols, struct bp_error *err)
{
    const struct config *cfg = p->cfg;
    const struct data_config *d = &cfg->data;
    p->classes = config_class_count(cfg) > 0;
    size_t n_out = config_outputs(cfg);
    size_t n = p->classes ? 1 : (d->n_targets ? d->n_targets : n_out);
    bool given = p->classes ? d->has_label : d->n_targets > 0;

    if (!p->classes && d->n_targets && d->n_targets != n_out)
        return bp_error_set(err, BP_EINPUT, "%s: data.targets: %zu column%s "
                            "given, but the last layer has %zu unit%s",
                            config_name(cfg), d->n_targets,
                            d->n_targets == 1 ? "" : "s", n_out,
                            n_out == 1 ? "" : "s");
    p->target_col = calloc(n, sizeof *p->target_col);
    if (!p->target_col)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    p->n_target_cols = n;
    p->has_targets = true;

    if (p->use == COLUMNS_PREDICT || p->use == COLUMNS_OPTIONAL) {
        /* Targets are read only to leave them out of the features: a
         * file without them is what predict usually gets. */
        size_t nf = d->n_features ? d->n_features : cfg->input;
        bool present = true;
        if (p->positional) {
            present = false;
        } else if (given) {
            for (size_t k = 0; k < n; k++) {
                const struct column_ref *ref = p->classes ? &d->label
                                                          : &d->targets[k];
                if (ref->name)
                    present = present && has_name(names, n_cols, ref->name);
                else
                    present = present && ref->index < n_cols;
            }
        } else {
            present = n_cols > nf;
        }
        if (!present) {
            p->has_targets = false;
            p->n_target_cols = 0;
            return 0;
        }
    }
    for (size_t k = 0; k < n; k++) {
        char key[64];
        if (p->classes)
            snprintf(key, sizeof key, "data.label");
        else
            snprintf(key, sizeof key, "data.targets[%zu]", k);
        if (given) {
            const struct column_ref *ref = p->classes ? &d->label
                                                      : &d->targets[k];
            if (resolve(p, names, n_cols, ref, key, &p->target_col[k],
                        err) != 0)
                return -1;
        } else {
            if (n_cols < n)
                return bp_error_set(err, BP_EINPUT, "%s:1:1: %zu column%s, "
                                    "too few for %zu target%s", p->file,
                                    n_cols, n_cols == 1 ? "" : "s", n,
                                    n == 1 ? "" : "s");
            p->target_col[k] = n_cols - n + k;
        }
        for (size_t j = 0; j < k; j++)
            if (p->target_col[j] == p->target_col[k])
                return bp_error_set(err, BP_EINPUT, "%s: %s: column %zu is "
                                    "listed twice", config_name(cfg), key,
                                    p->target_col[k]);
    }
    return 0;
}

static bool same_ref(const struct column_ref *a, const struct column_ref *b)
{
    return a->name ? (b->name && strcmp(a->name, b->name) == 0)
                   : (!b->name && a->index == b->index);
}

/* The key of data.categories for a column the config names this way. */
static char *ref_key(const struct column_ref *ref)
{
    char idx[32];
    snprintf(idx, sizeof idx, "%zu", ref->index);
    return strdup(ref->name ? ref->name : idx);
}

static bool is_target(const struct columns_plan *p, size_t col)
{
    for (size_t k = 0; p->has_targets && k < p->n_target_cols; k++)
        if (p->target_col[k] == col)
            return true;
    return false;
}

/* The key of a categorical column's categories: its name, or its index
 * without a header. */
static char *column_key(char *const *names, size_t col)
{
    char idx[32];
    snprintf(idx, sizeof idx, "%zu", col);
    return strdup(names ? names[col] : idx);
}

static int add_feature(struct columns_plan *p, char *const *names,
                       size_t col, struct bp_error *err)
{
    size_t i = p->n_feature_cols++;
    p->feature_col[i] = col;
    p->feature_key[i] = column_key(names, col);
    if (!p->feature_key[i])
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    return 0;
}

/* Columns of one name, for default_feature_duplicate: sorted by name,
 * then column. */
struct named_col {
    const char *name;
    size_t col;
};

static int cmp_named_col(const void *a, const void *b)
{
    const struct named_col *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->col > y->col) - (x->col < y->col);
}

/* Without data.features every column that is not a target or ignored is
 * a feature, saved by name: one whose name another header column has is
 * a used duplicate, an error (SPEC section 5a). 0, or -1 with err set. */
static int default_feature_duplicate(const struct columns_plan *p,
                                     char *const *names, size_t n_cols,
                                     const bool *ignored,
                                     struct bp_error *err)
{
    if (!names || n_cols < 2)
        return 0;
    struct named_col *v = malloc(n_cols * sizeof *v);
    if (!v)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    for (size_t c = 0; c < n_cols; c++)
        v[c] = (struct named_col){names[c], c};
    qsort(v, n_cols, sizeof *v, cmp_named_col);
    for (size_t i = 0, j; i < n_cols; i = j) {
        bool used = false;
        for (j = i; j < n_cols && strcmp(v[j].name, v[i].name) == 0; j++)
            used = used || (!is_target(p, v[j].col) && !ignored[v[j].col]);
        if (j - i > 1 && used) {
            char q[COLUMNS_LIST_MAX];
            int rc = bp_error_set(err, BP_EINPUT, "%s: data.features: %s has "
                                  "two columns named %s (columns %zu and "
                                  "%zu); rename one",
                                  config_name(p->cfg), p->file,
                                  quoted(q, sizeof q, v[i].name),
                                  v[i].col + 1, v[i + 1].col + 1);
            free(v);
            return rc;
        }
    }
    free(v);
    return 0;
}

/* A column both ignored (`key`) and the label or a target: an error, as
 * every other column named by two keys is, since which one wins would be
 * a guess (the label would be read, the ignore silently not). Returns -1
 * with err set. */
static int ignored_target_error(const struct columns_plan *p,
                                char *const *names, const char *key,
                                size_t col, struct bp_error *err)
{
    const struct data_config *d = &p->cfg->data;
    char what[64], q[COLUMNS_LIST_MAX], at[32];
    if (p->classes) {
        snprintf(what, sizeof what, "%s",
                 d->has_label ? "data.label" : "the label (the last column)");
    } else {
        size_t k = 0;
        while (k + 1 < p->n_target_cols && p->target_col[k] != col)
            k++;
        if (d->n_targets)
            snprintf(what, sizeof what, "data.targets[%zu]", k);
        else
            snprintf(what, sizeof what, "a target (the last columns)");
    }
    snprintf(at, sizeof at, "%zu", col);
    return bp_error_set(err, BP_EINPUT, "%s: %s: column %s is also %s; a "
                        "column is either read or ignored, not both",
                        config_name(p->cfg), key,
                        names ? quoted(q, sizeof q, names[col]) : at, what);
}

/* The features: data.features in order, or every column that is not a
 * target or ignored. */
static int resolve_features(struct columns_plan *p, char *const *names,
                            size_t n_cols, struct bp_error *err)
{
    const struct data_config *d = &p->cfg->data;
    size_t cap = d->n_features ? d->n_features : n_cols;
    p->feature_col = calloc(cap ? cap : 1, sizeof *p->feature_col);
    p->feature_onehot = calloc(cap ? cap : 1, sizeof *p->feature_onehot);
    p->feature_key = calloc(cap ? cap : 1, sizeof *p->feature_key);
    if (!p->feature_col || !p->feature_onehot || !p->feature_key)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);

    bool *ignored = calloc(n_cols ? n_cols : 1, sizeof *ignored);
    if (!ignored)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    int rc = -1;
    for (size_t i = 0; i < d->n_ignore; i++) {
        char key[64];
        size_t col;
        snprintf(key, sizeof key, "data.ignore[%zu]", i);
        /* A later file need not carry the columns training ignored. */
        if (p->use != COLUMNS_TRAIN && d->ignore[i].name && names) {
            bool there = false;
            for (size_t c = 0; c < n_cols; c++)
                there = there || strcmp(names[c], d->ignore[i].name) == 0;
            if (!there)
                continue;
        }
        if (p->use != COLUMNS_TRAIN && !d->ignore[i].name &&
            d->ignore[i].index >= n_cols)
            continue;
        if (resolve(p, names, n_cols, &d->ignore[i], key, &col, err) != 0)
            goto out;
        if (is_target(p, col)) {
            ignored_target_error(p, names, key, col, err);
            goto out;
        }
        ignored[col] = true;
    }
    if (p->positional) {
        /* A file for predict with no header holding just the features:
         * column f is the f-th feature. */
        for (size_t f = 0; f < n_cols; f++) {
            p->feature_col[f] = f;
            p->n_feature_cols++;
            const struct column_ref *ref = d->n_features ? &d->features[f]
                                                         : NULL;
            struct column_ref at = {.index = f};
            if (!ref)
                ref = &at;
            for (size_t i = 0; i < d->n_categorical; i++)
                if (same_ref(ref, &d->categorical[i]))
                    p->feature_onehot[f] = true;
            p->feature_key[f] = ref_key(ref);
            if (!p->feature_key[f]) {
                bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
                goto out;
            }
        }
        rc = 0;
        goto out;
    }
    if (d->n_features) {
        for (size_t i = 0; i < d->n_features; i++) {
            char key[64];
            size_t col;
            snprintf(key, sizeof key, "data.features[%zu]", i);
            if (resolve(p, names, n_cols, &d->features[i], key, &col,
                        err) != 0)
                goto out;
            if (is_target(p, col)) {
                bp_error_set(err, BP_EINPUT, "%s: %s: column %zu is the %s",
                             config_name(p->cfg), key, col,
                             p->classes ? "label" : "target");
                goto out;
            }
            if (add_feature(p, names, col, err) != 0)
                goto out;
        }
    } else {
        if (default_feature_duplicate(p, names, n_cols, ignored, err) != 0)
            goto out;
        for (size_t c = 0; c < n_cols; c++)
            if (!is_target(p, c) && !ignored[c] &&
                add_feature(p, names, c, err) != 0)
                goto out;
    }
    for (size_t i = 0; i < d->n_categorical; i++) {
        char key[64];
        size_t col;
        snprintf(key, sizeof key, "data.categorical[%zu]", i);
        if (resolve(p, names, n_cols, &d->categorical[i], key, &col, err) !=
            0)
            goto out;
        size_t f = 0;
        while (f < p->n_feature_cols && p->feature_col[f] != col)
            f++;
        if (f == p->n_feature_cols) {
            /* Why it is not: the first of the reasons that holds. */
            char q[COLUMNS_LIST_MAX];
            const char *why = is_target(p, col)
                                  ? (p->classes ? "it is the label"
                                                : "it is a target")
                              : d->n_features ? "it is not in data.features"
                                              : "it is in data.ignore";
            bp_error_set(err, BP_EINPUT, "%s: %s: column %s is not a "
                         "feature (%s)", config_name(p->cfg), key,
                         names ? quoted(q, sizeof q, names[col]) : key, why);
            goto out;
        }
        p->feature_onehot[f] = true;
    }
    rc = 0;
out:
    free(ignored);
    return rc;
}

/* Two header columns with one name that no key uses: a warning. */
static void warn_duplicates(struct columns_plan *p, char *const *names,
                            size_t n_cols)
{
    if (!names || n_cols > 4096)
        return; /* (quadratic; a wide header is checked when used) */
    for (size_t i = 1; i < n_cols; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                char q[COLUMNS_LIST_MAX], msg[COLUMNS_LIST_MAX + 128];
                snprintf(msg, sizeof msg, "%s: columns %zu and %zu are both "
                         "named %s", p->file, j + 1, i + 1,
                         quoted(q, sizeof q, names[i]));
                free(p->warning);
                p->warning = strdup(msg);
                return;
            }
}

static int decide(void *ctx, char *const *names, size_t n_cols,
                  size_t line, unsigned char *kind, struct bp_error *err)
{
    struct columns_plan *p = ctx;
    const struct data_config *d = &p->cfg->data;
    p->n_cols = n_cols;
    p->line = line;
    if (names && n_cols == 1 && strchr(names[0], ';')) {
        char q[COLUMNS_LIST_MAX];
        return bp_error_set(err, BP_EINPUT, "%s:%zu:1: the header is one "
                            "column, %s (semicolon-separated? backprop reads "
                            "comma-separated values)", p->file, line,
                            quoted(q, sizeof q, names[0]));
    }
    size_t nf = d->n_features ? d->n_features : p->cfg->input;
    p->positional = (p->use == COLUMNS_PREDICT ||
                     p->use == COLUMNS_OPTIONAL) &&
                    !names && n_cols == nf && nf > 0;
    if (resolve_targets(p, names, n_cols, err) != 0 ||
        resolve_features(p, names, n_cols, err) != 0)
        return -1;
    /* predict reads no target, and a missing one drops no row. */
    if (p->use == COLUMNS_PREDICT)
        p->has_targets = false;
    if (p->n_keep) {
        p->keep_col = calloc(p->n_keep, sizeof *p->keep_col);
        if (!p->keep_col)
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
        for (size_t i = 0; i < p->n_keep; i++) {
            struct column_ref ref = {.name = (char *)p->keep[i]};
            char key[64];
            snprintf(key, sizeof key, "--keep");
            if (resolve(p, names, n_cols, &ref, key, &p->keep_col[i], err))
                return -1;
        }
    }
    warn_duplicates(p, names, n_cols);

    for (size_t c = 0; c < n_cols; c++)
        kind[c] = TABLE_SKIP;
    for (size_t f = 0; f < p->n_feature_cols; f++)
        kind[p->feature_col[f]] = p->feature_onehot[f] ? TABLE_TEXT
                                                       : TABLE_NUMBER;
    for (size_t k = 0; p->has_targets && k < p->n_target_cols; k++)
        kind[p->target_col[k]] = p->classes ? TABLE_TEXT : TABLE_NUMBER;
    /* --keep copies cells as they are written, "NA" as "NA": as raw
     * text, even a feature's (encode_row reads those itself). */
    for (size_t i = 0; i < p->n_keep; i++)
        kind[p->keep_col[i]] = TABLE_RAW;
    p->decided = true;
    return 0;
}

void columns_plan_init(struct columns_plan *p, const struct config *cfg,
                       const char *file, enum columns_use use)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->file = file;
    p->use = use;
}

const struct table_layout *columns_layout(struct columns_plan *p)
{
    const struct data_config *d = &p->cfg->data;
    p->layout = (struct table_layout){
        .decide = decide,
        .ctx = p,
        .na_values = (const char *const *)d->na_values,
        .n_na_values = d->n_na_values,
        .missing_is_error = d->missing == MISSING_ERROR,
    };
    if (!d->na_values) {
        /* A config built in code: SPEC's default list. */
        static const char *const def[] = {"",     "NA",   "N/A",  "NaN",
                                          "nan",  "null", "NULL", "?"};
        p->layout.na_values = def;
        p->layout.n_na_values = sizeof def / sizeof def[0];
    }
    return &p->layout;
}

void columns_plan_free(struct columns_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->feature_key && i < p->n_feature_cols; i++)
        free(p->feature_key[i]);
    free(p->feature_key);
    free(p->feature_col);
    free(p->feature_onehot);
    free(p->target_col);
    free(p->keep_col);
    free(p->warning);
    memset(p, 0, sizeof *p);
}

/* ---- reading cells ---- */

/* Whether s is one of the layout's missing marks. */
static bool is_na(const struct columns_plan *p, const char *s)
{
    for (size_t i = 0; i < p->layout.n_na_values; i++)
        if (strcmp(p->layout.na_values[i], s) == 0)
            return true;
    return false;
}

static bool cell_missing(const struct columns_plan *p, const struct table *t,
                         size_t r, size_t c)
{
    const float *v = &t->cells[r * t->n_cols + c];
    if (t->kind && t->kind[c] == TABLE_RAW)
        return is_na(p, table_text(t, r, c)); /* kept as written */
    if (t->kind && t->kind[c] == TABLE_TEXT) {
        uint32_t id;
        memcpy(&id, v, sizeof id);
        return id == TABLE_NO_TEXT;
    }
    return isnan(*v);
}

/* Whether row r has a missing cell in a used column (features when
 * `features`, the targets always); *col is the first such column. */
static bool row_missing(const struct columns_plan *p, const struct table *t,
                        size_t r, bool features, size_t *col)
{
    for (size_t k = 0; p->has_targets && k < p->n_target_cols; k++)
        if (cell_missing(p, t, r, p->target_col[k])) {
            *col = p->target_col[k];
            return true;
        }
    for (size_t f = 0; features && f < p->n_feature_cols; f++)
        if (cell_missing(p, t, r, p->feature_col[f])) {
            *col = p->feature_col[f];
            return true;
        }
    return false;
}

/* Whether the row is left out: "drop" drops a row with any missing cell
 * that is used, "mean" a row whose label or target is missing (never
 * imputed); "error" never gets here with a missing cell. */
static bool row_dropped(const struct columns_plan *p, const struct table *t,
                        size_t r)
{
    enum missing_policy m = p->cfg->data.missing;
    size_t col;
    if (m == MISSING_ERROR)
        return false;
    return row_missing(p, t, r, m == MISSING_DROP, &col);
}

/* Under data.missing "error", a missing cell the reader let through
 * because it kept the column as written (predict --keep): the reader's
 * message. */
static int raw_missing_error(const struct columns_plan *p,
                             const struct table *t, struct bp_error *err)
{
    bool raw = false;
    for (size_t c = 0; t->kind && c < t->n_cols; c++)
        raw = raw || t->kind[c] == TABLE_RAW;
    if (!raw || p->cfg->data.missing != MISSING_ERROR)
        return 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        size_t c;
        if (!row_missing(p, t, r, true, &c))
            continue;
        char q[COLUMNS_LIST_MAX];
        if (t->header)
            return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: missing value "
                                "in column %s", p->file, table_cell_line(t, r, c),
                                c + 1, quoted(q, sizeof q, t->header[c]));
        return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: missing value in "
                            "column %zu", p->file, table_cell_line(t, r, c), c + 1,
                            c + 1);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct texts of column c over the kept rows, byte order (a
 * missing cell as "" when with_missing). Returns the count, or SIZE_MAX
 * when out of memory; *out holds borrowed pointers into t->text. */
static size_t distinct_texts(const struct columns_plan *p,
                             const struct table *t, size_t c,
                             bool with_missing, const char ***out)
{
    bool *seen = calloc(t->n_text + 1, sizeof *seen);
    const char **v = malloc((t->n_text + 1) * sizeof *v);
    size_t n = 0;
    if (!seen || !v) {
        free(seen);
        free(v);
        return SIZE_MAX;
    }
    bool missing = false;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (row_dropped(p, t, r))
            continue;
        uint32_t id;
        memcpy(&id, &t->cells[r * t->n_cols + c], sizeof id);
        if (id == TABLE_NO_TEXT) {
            missing = true;
        } else if (!seen[id]) {
            seen[id] = true;
            v[n++] = t->text[id];
        }
    }
    if (missing && with_missing) {
        /* "" is a category of its own, unless a cell was "" itself. */
        bool has_empty = false;
        for (size_t i = 0; i < n; i++)
            has_empty = has_empty || v[i][0] == '\0';
        if (!has_empty)
            v[n++] = "";
    }
    qsort(v, n, sizeof *v, cmp_str);
    free(seen);
    *out = v;
    return n;
}

/* ---- learning from the training data ---- */

static int copy_strings(char ***dst, const char *const *src, size_t n)
{
    *dst = calloc(n ? n : 1, sizeof **dst);
    if (!*dst)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((*dst)[i] = strdup(src[i])))
            return -1;
    return 0;
}

static bool is_number(const char *s)
{
    float v;
    return table_parse_float(s, strlen(s), &v, NULL) == 0;
}

static bool is_whole_number(const char *s)
{
    float v;
    return table_parse_float(s, strlen(s), &v, NULL) == 0 && v == truncf(v);
}

/* The first row whose label cell is not a number, or SIZE_MAX: then the
 * labels are class indices (SPEC section 5), else class names. */
static size_t first_label_name(const struct columns_plan *p,
                               const struct table *t)
{
    size_t c = p->target_col[0];
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *s = table_text(t, r, c);
        if (s && !is_number(s))
            return r;
    }
    return SIZE_MAX;
}

static bool labels_numeric(const struct columns_plan *p,
                           const struct table *t)
{
    return first_label_name(p, t) == SIZE_MAX;
}

/* Whether the label cells are class indices: all numbers, and no class
 * name of data.classes is one (a cell "2" is then the class named "2",
 * whatever its index, as the training data that named it meant). */
static bool labels_are_indices(const struct columns_plan *p,
                               const struct table *t)
{
    const struct data_config *d = &p->cfg->data;
    for (size_t i = 0; i < d->n_classes; i++)
        if (is_number(d->classes[i]))
            return false;
    return labels_numeric(p, t);
}

/* Adds a note for stderr to the plan's (one line, "; " between notes).
 * 0, or -1 when out of memory. */
static int add_warning(struct columns_plan *p, const char *msg)
{
    size_t old = p->warning ? strlen(p->warning) + 2 : 0;
    char *w = realloc(p->warning, old + strlen(msg) + 1);
    if (!w)
        return -1;
    if (old)
        memcpy(w + old - 2, "; ", 2);
    memcpy(w + old, msg, strlen(msg) + 1);
    p->warning = w;
    return 0;
}

/* A label column of whole numbers but for a few names (a typo among
 * 0/1/2, say) is read as class names, as SPEC 5a says; the first name is
 * worth a warning, since the user most likely meant indices. */
static int warn_mixed_labels(struct columns_plan *p, const struct table *t,
                             size_t name_row)
{
    size_t c = p->target_col[0];
    bool whole = false;
    for (size_t r = 0; r < t->n_rows && !whole; r++) {
        const char *s = table_text(t, r, c);
        whole = s && is_whole_number(s);
    }
    if (!whole)
        return 0;
    char q[COLUMNS_LIST_MAX], msg[2 * COLUMNS_LIST_MAX];
    snprintf(msg, sizeof msg, "%s:%zu:%zu: label %s is not a number, so the "
             "label column is read as class names, not class indices (its "
             "other cells are whole numbers)", p->file,
             table_cell_line(t, name_row, c), c + 1,
             quoted(q, sizeof q, table_text(t, name_row, c)));
    return add_warning(p, msg);
}

static int learn_classes(struct config *cfg, struct columns_plan *p,
                         const struct table *t, struct bp_error *err)
{
    struct data_config *d = &cfg->data;
    if (!p->classes || !p->has_targets || d->n_classes)
        return 0;
    size_t name_row = first_label_name(p, t);
    if (name_row == SIZE_MAX)
        return 0;
    const char **names;
    size_t n = distinct_texts(p, t, p->target_col[0], false, &names);
    if (n == SIZE_MAX)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    size_t k = config_class_count(cfg);
    int rc = 0;
    if (n != k) {
        char list[COLUMNS_LIST_MAX];
        list_names(list, sizeof list, (char *const *)names, n);
        rc = bp_error_set(err, BP_EINPUT, "%s: data.label: %s holds %zu "
                          "class name%s (%s; the first cell that is not a "
                          "number: %s:%zu:%zu), but the last layer has %zu "
                          "class%s%s; give data.classes, or size the last "
                          "layer", config_name(cfg), p->file, n,
                          n == 1 ? "" : "s", list, p->file,
                          table_cell_line(t, name_row, p->target_col[0]),
                          p->target_col[0] + 1, k, k == 1 ? "" : "es",
                          config_outputs(cfg) == 1 ? " (one sigmoid unit: "
                                                     "two names)" : "");
    } else if (warn_mixed_labels(p, t, name_row) != 0) {
        rc = bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    } else if (copy_strings(&d->classes, names, n) != 0) {
        rc = bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    } else {
        d->n_classes = n;
    }
    free(names);
    return rc;
}

static int learn_categories(struct config *cfg, const struct columns_plan *p,
                            const struct table *t, struct bp_error *err)
{
    struct data_config *d = &cfg->data;
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        if (!p->feature_onehot[f] ||
            config_categories(cfg, p->feature_key[f]))
            continue;
        const char **v;
        size_t n = distinct_texts(p, t, p->feature_col[f],
                                  d->missing == MISSING_MEAN, &v);
        if (n == SIZE_MAX)
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
        char q[COLUMNS_LIST_MAX];
        quoted(q, sizeof q, p->feature_key[f]);
        if (n > d->max_categories) {
            free(v);
            return bp_error_set(err, BP_EINPUT, "%s: data.categorical: "
                                "column %s of %s has %zu distinct values, "
                                "more than data.max_categories (%zu); is it "
                                "an id? Put it in data.ignore", config_name(cfg),
                                q, p->file, n, d->max_categories);
        }
        if (n == 0) {
            free(v);
            return bp_error_set(err, BP_EINPUT, "%s: data.categorical: "
                                "column %s of %s has no values",
                                config_name(cfg), q, p->file);
        }
        struct category_set *sets =
            realloc(d->categories, (d->n_category_sets + 1) * sizeof *sets);
        if (!sets) {
            free(v);
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
        }
        d->categories = sets;
        struct category_set *set = &sets[d->n_category_sets++];
        memset(set, 0, sizeof *set);
        set->column = strdup(p->feature_key[f]);
        int bad = !set->column || copy_strings(&set->values, v, n) != 0;
        set->n = n;
        free(v);
        if (bad)
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
    }
    return 0;
}

/* The encoded width, and how it was counted. */
static size_t input_width(const struct config *cfg,
                          const struct columns_plan *p, char *how,
                          size_t cap)
{
    size_t width = 0, numeric = 0;
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        if (!p->feature_onehot[f]) {
            numeric++;
            width++;
        }
    }
    int o = snprintf(how, cap, "%zu numeric column%s", numeric,
                     numeric == 1 ? "" : "s");
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        if (!p->feature_onehot[f])
            continue;
        const struct category_set *set =
            config_categories(cfg, p->feature_key[f]);
        size_t n = set ? set->n : 0;
        width += n;
        if (o >= 0 && (size_t)o < cap)
            o += snprintf(how + o, cap - (size_t)o, " + %s: %zu categor%s",
                          p->feature_key[f], n, n == 1 ? "y" : "ies");
    }
    return width;
}

/* data.features, data.label or data.targets by name (index without a
 * header), so that later files are read by name (SPEC section 5a). */
/* Gives a column named by index its header name. 0 or -1 (memory). */
static int name_ref(struct column_ref *ref, char *const *names, size_t n_cols)
{
    if (ref->name || ref->index >= n_cols)
        return 0;
    ref->name = strdup(names[ref->index]);
    return ref->name ? 0 : -1;
}

static int name_columns(struct config *cfg, const struct columns_plan *p,
                        const struct table *t, struct bp_error *err)
{
    struct data_config *d = &cfg->data;
    char *const *names = t->header;
    if (!d->n_features && p->n_feature_cols) {
        d->features = calloc(p->n_feature_cols, sizeof *d->features);
        if (!d->features)
            goto nomem;
        d->n_features = p->n_feature_cols;
        for (size_t f = 0; f < p->n_feature_cols; f++) {
            size_t c = p->feature_col[f];
            d->features[f].index = c;
            if (names && !(d->features[f].name = strdup(names[c])))
                goto nomem;
        }
    }
    /* Columns the config gave by index are named too, so that a later
     * file in another column order is still read right (categories are
     * keyed by name). */
    for (size_t i = 0; names && i < d->n_features; i++)
        if (name_ref(&d->features[i], names, t->n_cols) != 0)
            goto nomem;
    for (size_t i = 0; names && i < d->n_categorical; i++)
        if (name_ref(&d->categorical[i], names, t->n_cols) != 0)
            goto nomem;
    if (names && d->has_label && name_ref(&d->label, names, t->n_cols) != 0)
        goto nomem;
    for (size_t i = 0; names && i < d->n_targets; i++)
        if (name_ref(&d->targets[i], names, t->n_cols) != 0)
            goto nomem;
    if (p->classes && p->has_targets && !d->has_label) {
        d->has_label = true;
        d->label.index = p->target_col[0];
        if (names && !(d->label.name = strdup(names[p->target_col[0]])))
            goto nomem;
    }
    if (!p->classes && p->has_targets && !d->n_targets) {
        d->targets = calloc(p->n_target_cols, sizeof *d->targets);
        if (!d->targets)
            goto nomem;
        d->n_targets = p->n_target_cols;
        for (size_t k = 0; k < p->n_target_cols; k++) {
            size_t c = p->target_col[k];
            d->targets[k].index = c;
            if (names && !(d->targets[k].name = strdup(names[c])))
                goto nomem;
        }
    }
    return 0;
nomem:
    return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
}

/* A plain numeric file with the wrong number of columns, worded as it
 * always was: where the header (or first row) is, what was expected. */
static int count_error(const struct columns_plan *p, const struct table *t,
                       struct bp_error *err)
{
    const struct config *cfg = p->cfg;
    const struct data_config *d = &cfg->data;
    size_t expected = cfg->input + p->n_target_cols;
    size_t line = t->header ? t->header_line : t->row_line[0];
    size_t col = (t->n_cols < expected ? t->n_cols : expected) + 1;
    char what[COLUMNS_LIST_MAX], q[COLUMNS_LIST_MAX - 16];
    if (!p->classes)
        snprintf(what, sizeof what, "%zu target%s", p->n_target_cols,
                 p->n_target_cols == 1 ? "" : "s");
    else if (d->has_label && d->label.name)
        snprintf(what, sizeof what, "label %s",
                 quoted(q, sizeof q, d->label.name));
    else if (d->has_label)
        snprintf(what, sizeof what, "label at index %zu", d->label.index);
    else
        snprintf(what, sizeof what, "label");
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: expected %zu columns "
                        "(%zu feature%s + %s), found %zu", p->file, line, col,
                        expected, cfg->input, cfg->input == 1 ? "" : "s",
                        what, t->n_cols);
}

int columns_learn(struct config *cfg, struct columns_plan *p,
                  const struct table *t, struct bp_error *err)
{
    assert(p->decided && p->use == COLUMNS_TRAIN);
    if (learn_classes(cfg, p, t, err) != 0 ||
        learn_categories(cfg, p, t, err) != 0)
        return -1;
    char how[512];
    size_t width = input_width(cfg, p, how, sizeof how);
    bool onehot = cfg->data.n_categorical > 0;
    if (cfg->input == 0) {
        cfg->input = width;
    } else if (width != cfg->input) {
        if (onehot || cfg->data.n_features)
            return bp_error_set(err, BP_EINPUT, "%s: input: %zu, but %s "
                                "gives %zu input%s (%s)", config_name(cfg),
                                cfg->input, p->file, width,
                                width == 1 ? "" : "s", how);
        return count_error(p, t, err); /* a plain numeric file */
    }
    if (width == 0)
        return bp_error_set(err, BP_EINPUT, "%s: %s has no feature columns",
                            config_name(cfg), p->file);
    return name_columns(cfg, p, t, err);
}

/* ---- encoding rows ---- */

static int label_error(const struct columns_plan *p, const struct table *t,
                       size_t r, float v, struct bp_error *err)
{
    size_t col = p->target_col[0] + 1;
    size_t line = table_cell_line(t, r, p->target_col[0]);
    size_t k = config_class_count(p->cfg);
    if (v != truncf(v))
        return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is not a "
                            "whole number", p->file, line, col, (double)v);
    if (config_outputs(p->cfg) == 1)
        return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is out of "
                            "range 0..1 (the last layer has one unit: labels "
                            "0 and 1)", p->file, line, col, (double)v);
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is out of "
                        "range 0..%zu (the last layer has %zu classes)",
                        p->file, line, col, (double)v, k - 1, k);
}

/* "unknown class" and "unknown value" messages: the known names. */
static int unknown_error(const struct columns_plan *p, const struct table *t,
                         size_t r, size_t c, const char *what,
                         const char *column, char *const *known, size_t n,
                         struct bp_error *err)
{
    char q[COLUMNS_LIST_MAX], list[COLUMNS_VALUES_MAX], in[COLUMNS_LIST_MAX];
    const char *s = table_text(t, r, c);
    list_names(list, sizeof list, known, n);
    in[0] = '\0';
    if (column) {
        char cq[COLUMNS_LIST_MAX];
        snprintf(in, sizeof in, " in column %s",
                 quoted(cq, sizeof cq, column));
    }
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: unknown %s %s%s "
                        "(expected one of: %s)", p->file, table_cell_line(t, r, c),
                        c + 1, what, quoted(q, sizeof q, s ? s : ""), in,
                        list);
}

/* Index of s in the list (a scan: lists are class names or categories,
 * and each text of a table is looked up once), or SIZE_MAX. */
static size_t find_name(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return i;
    return SIZE_MAX;
}

/* For each text id of t: its index among `values` (SIZE_MAX: unknown). */
static size_t *text_index(const struct table *t, char *const *values,
                          size_t n)
{
    size_t *ix = malloc((t->n_text ? t->n_text : 1) * sizeof *ix);
    if (!ix)
        return NULL;
    for (size_t i = 0; i < t->n_text; i++)
        ix[i] = find_name(values, n, t->text[i]);
    return ix;
}

/* The labels of the kept rows, as class indices. */
static int encode_labels(const struct columns_plan *p, const struct table *t,
                         const bool *dropped, uint32_t *label,
                         struct bp_error *err)
{
    const struct data_config *d = &p->cfg->data;
    size_t c = p->target_col[0], k = config_class_count(p->cfg), o = 0;
    bool numeric = labels_are_indices(p, t);
    size_t *ix = NULL;
    if (!numeric) {
        ix = text_index(t, d->classes, d->n_classes);
        if (!ix)
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        if (dropped[r])
            continue;
        uint32_t id;
        memcpy(&id, &t->cells[r * t->n_cols + c], sizeof id);
        assert(id != TABLE_NO_TEXT);
        if (numeric) {
            float v;
            const char *s = t->text[id];
            table_parse_float(s, strlen(s), &v, NULL);
            if (v != truncf(v) || v < 0 || v > (float)(k - 1))
                return label_error(p, t, r, v, err);
            label[o++] = (uint32_t)v;
            continue;
        }
        if (ix[id] == SIZE_MAX) {
            if (d->n_classes == 0) {
                free(ix);
                const char *s = t->text[id];
                char q[COLUMNS_LIST_MAX];
                return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %s is "
                                    "not a class number 0..%zu (the weights "
                                    "name no classes)", p->file,
                                    table_cell_line(t, r, c), c + 1,
                                    quoted(q, sizeof q, s), k - 1);
            }
            free(ix);
            return unknown_error(p, t, r, c, "class", NULL, d->classes,
                                 d->n_classes, err);
        }
        label[o++] = (uint32_t)ix[id];
    }
    free(ix);
    return 0;
}

/* Where each feature column's one-hot block starts, and for categorical
 * ones the text-id-to-category maps. */
struct feature_maps {
    size_t *offset;                     /* [n_feature_cols] */
    size_t **cat_of;                    /* [n_feature_cols] or NULL */
    const struct category_set **set;    /* [n_feature_cols] */
};

static void feature_maps_free(struct feature_maps *m, size_t n)
{
    for (size_t f = 0; m->cat_of && f < n; f++)
        free(m->cat_of[f]);
    free(m->cat_of);
    free(m->offset);
    free(m->set);
}

static int feature_maps_make(struct feature_maps *m,
                             const struct columns_plan *p,
                             const struct table *t, struct bp_error *err)
{
    size_t n = p->n_feature_cols ? p->n_feature_cols : 1, at = 0;
    m->offset = calloc(n, sizeof *m->offset);
    m->cat_of = calloc(n, sizeof *m->cat_of);
    m->set = calloc(n, sizeof *m->set);
    if (!m->offset || !m->cat_of || !m->set)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        m->offset[f] = at;
        if (!p->feature_onehot[f]) {
            at++;
            continue;
        }
        const struct category_set *set =
            config_categories(p->cfg, p->feature_key[f]);
        if (!set) {
            char q[COLUMNS_LIST_MAX];
            return bp_error_set(err, BP_EINPUT, "%s: data.categories: no "
                                "categories for column %s (train on data "
                                "that has it)", config_name(p->cfg),
                                quoted(q, sizeof q, p->feature_key[f]));
        }
        m->set[f] = set;
        m->cat_of[f] = text_index(t, set->values, set->n);
        if (!m->cat_of[f])
            return bp_error_set(err, BP_ENOMEM, "%s: out of memory",
                                p->file);
        at += set->n;
    }
    if (at != p->cfg->input) {
        const struct data_config *d = &p->cfg->data;
        if (!d->n_features && !d->n_categorical)
            return count_error(p, t, err);
        return bp_error_set(err, BP_EINPUT, "%s: %s gives %zu inputs, but the "
                            "network has %zu", config_name(p->cfg), p->file,
                            at, p->cfg->input);
    }
    return 0;
}

/* One row's features into out[0..input): numbers as they are (NaN when
 * missing), one-hot blocks for categories. `row` is a copy of the row. */
/* A numeric feature's cell that the reader kept as text: the float, NaN
 * when missing, or the reader's error for a cell that is no number. */
static int text_number(const struct columns_plan *p, const struct table *t,
                       size_t r, size_t c, float *out, struct bp_error *err)
{
    const char *s = table_text(t, r, c);
    const char *why;
    if (!s || is_na(p, s)) {
        *out = NAN;
        return 0;
    }
    if (table_parse_float(s, strlen(s), out, &why) == 0)
        return 0;
    char q[COLUMNS_LIST_MAX];
    return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: %s, got %s", p->file,
                        table_cell_line(t, r, c), c + 1, why,
                        quoted(q, sizeof q, s));
}

static int encode_row(const struct columns_plan *p, const struct table *t,
                      const struct feature_maps *m, size_t r,
                      const float *row, float *out, struct bp_error *err)
{
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        size_t c = p->feature_col[f];
        bool raw = t->kind && t->kind[c] == TABLE_RAW;
        if (!p->feature_onehot[f] && raw) {
            /* A number read as text, to be copied as it is (predict
             * --keep): converted here, as the reader would have. */
            if (text_number(p, t, r, c, &out[m->offset[f]], err) != 0)
                return -1;
            continue;
        }
        if (!p->feature_onehot[f]) {
            out[m->offset[f]] = row[c];
            continue;
        }
        const struct category_set *set = m->set[f];
        uint32_t id;
        memcpy(&id, &row[c], sizeof id);
        if (raw && is_na(p, t->text[id]))
            id = TABLE_NO_TEXT; /* kept as written for --keep */
        size_t k = SIZE_MAX;
        if (id == TABLE_NO_TEXT)
            k = find_name(set->values, set->n, ""); /* "mean": a category */
        else
            k = m->cat_of[f][id];
        if (k == SIZE_MAX) {
            if (id == TABLE_NO_TEXT)
                return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: missing value "
                                    "in column \"%s\", which had none in "
                                    "training", p->file, table_cell_line(t, r, c),
                                    c + 1, p->feature_key[f]);
            return unknown_error(p, t, r, c, "value", p->feature_key[f],
                                 set->values, set->n, err);
        }
        float *block = out + m->offset[f];
        for (size_t j = 0; j < set->n; j++)
            block[j] = 0.0f;
        block[k] = 1.0f;
    }
    return 0;
}

/* Whether every feature is a number the reader converted, in increasing
 * column order: then a row's inputs are a gather of its cells. */
static bool plain_numbers(const struct columns_plan *p, const struct table *t)
{
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        size_t c = p->feature_col[f];
        if (p->feature_onehot[f] || (t->kind && t->kind[c] != TABLE_NUMBER) ||
            (f > 0 && c <= p->feature_col[f - 1]))
            return false;
    }
    return p->cfg->input == p->n_feature_cols;
}

int columns_encode(const struct columns_plan *p, const struct table *t,
                   float *x, uint32_t *label, float *y, bool *dropped,
                   size_t *kept, struct bp_error *err)
{
    assert(p->decided);
    size_t n = t->n_rows, nc = t->n_cols, width = p->cfg->input;
    struct feature_maps m = {0};
    bool *drop = dropped ? dropped : calloc(n ? n : 1, sizeof *drop);
    float *row = malloc((nc ? nc : 1) * sizeof *row);
    int rc = -1;
    if (!drop || !row) {
        bp_error_set(err, BP_ENOMEM, "%s: out of memory", p->file);
        goto out;
    }
    if (raw_missing_error(p, t, err) != 0)
        goto out;
    size_t count = 0;
    for (size_t r = 0; r < n; r++) {
        drop[r] = row_dropped(p, t, r);
        count += !drop[r];
    }
    *kept = count;
    if (label && p->classes && p->has_targets &&
        encode_labels(p, t, drop, label, err) != 0)
        goto out;
    if (feature_maps_make(&m, p, t, err) != 0)
        goto out;
    bool plain = plain_numbers(p, t);
    size_t o = 0;
    for (size_t r = 0; r < n; r++) {
        if (drop[r])
            continue;
        if (plain) {
            /* Numbers only, in file order: gathered straight from the
             * row, as numeric files always were (every read is at or
             * after the write before it, and the targets are read
             * first). */
            const float *in = t->cells + r * nc;
            if (y && !p->classes && p->has_targets)
                for (size_t k = 0; k < p->n_target_cols; k++)
                    y[o * p->n_target_cols + k] = in[p->target_col[k]];
            float *out = x ? x + o * width : NULL;
            for (size_t f = 0; out && f < p->n_feature_cols; f++)
                out[f] = in[p->feature_col[f]];
            o++;
            continue;
        }
        memcpy(row, t->cells + r * nc, nc * sizeof *row);
        if (y && !p->classes && p->has_targets)
            for (size_t k = 0; k < p->n_target_cols; k++)
                y[o * p->n_target_cols + k] = row[p->target_col[k]];
        if (x && encode_row(p, t, &m, r, row, x + o * width, err) != 0)
            goto out;
        o++;
    }
    rc = 0;
out:
    feature_maps_free(&m, p->n_feature_cols);
    if (!dropped)
        free(drop);
    free(row);
    return rc;
}

const char *columns_quote(char *dst, size_t cap, const char *s)
{
    return quoted(dst, cap, s);
}

size_t columns_input_column(const struct columns_plan *p, size_t input)
{
    size_t at = 0;
    for (size_t f = 0; f < p->n_feature_cols; f++) {
        const struct category_set *set =
            p->feature_onehot[f] ? config_categories(p->cfg,
                                                     p->feature_key[f])
                                 : NULL;
        at += set ? set->n : 1;
        if (input < at)
            return p->feature_col[f];
    }
    assert(!"an input beyond the plan's features");
    return 0;
}

const char *columns_keep_text(const struct table *t, size_t r, size_t c)
{
    const char *s = table_text(t, r, c);
    return s ? s : "";
}

int columns_onehot_inputs(const struct config *cfg, bool **mask,
                          struct bp_error *err)
{
    const struct data_config *d = &cfg->data;
    *mask = NULL;
    if (!d->n_category_sets)
        return 0;
    bool *m = calloc(cfg->input ? cfg->input : 1, sizeof *m);
    if (!m)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t f = 0; f < d->n_features; f++) {
        char *key = ref_key(&d->features[f]);
        if (!key) {
            free(m);
            return bp_error_set(err, BP_ENOMEM, "out of memory");
        }
        const struct category_set *set = config_categories(cfg, key);
        free(key);
        size_t n = set ? set->n : 1;
        for (size_t j = 0; j < n && at < cfg->input; j++)
            m[at++] = set != NULL;
    }
    *mask = m;
    return 0;
}
