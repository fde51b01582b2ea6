/*
 * dataset: a CSV table mapped onto the network's inputs and targets.
 * See dataset.h. The CSV syntax lives in table.h; this file decides which
 * column is what, checks labels, and splits off validation rows.
 */
#include "dataset.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "table.h"

/* The rng stream of the validation split: "split" in ASCII, so it cannot
 * meet the small integers other users of rng_create pass as streams. */
#define DATASET_SPLIT_STREAM UINT64_C(0x73706c6974)

/* How many header names a "no column named" message lists at most. */
#define DATASET_LIST_MAX 400

/* Where the targets are: `target_col[k]` for k < n_target_cols. */
struct column_map {
    size_t n_target_cols;  /* 1 for a label, n_outputs for targets */
    size_t *target_col;    /* [n_target_cols] 0-based columns */
    bool *is_target;       /* [n_cols] */
};

static const char *config_name(const struct config *cfg)
{
    return cfg->name ? cfg->name : "config";
}

/* A column name (from the CSV header or the config: any bytes) fit for a
 * one-line message: control characters as \xHH, cut to fit cap. */
static const char *printable(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s;
         *p && o + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        } else {
            dst[o++] = (char)*p;
        }
    }
    dst[o] = '\0';
    return dst;
}

/* "a, b, c" or "a, b, ..." when the list would not fit. */
static void list_columns(char *dst, size_t cap, const struct table *t)
{
    char name[DATASET_LIST_MAX];
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < t->n_cols; i++) {
        const char *sep = i ? ", " : "";
        printable(name, sizeof name, t->header[i]);
        size_t need = strlen(sep) + strlen(name);
        if (o + need + 5 >= cap) {
            snprintf(dst + o, cap - o, "%s...", sep);
            return;
        }
        o += (size_t)snprintf(dst + o, cap - o, "%s%s", sep, name);
    }
}

/* The key a column reference came from, for messages. */
static void ref_key(char *dst, size_t cap, bool label, size_t k)
{
    if (label)
        snprintf(dst, cap, "data.label");
    else
        snprintf(dst, cap, "data.targets[%zu]", k);
}

/* Resolves a column named in the config against the header. Indexes are
 * checked later, once the column count is known to be right. */
static int resolve_name(const struct column_ref *ref, const struct table *t,
                        const struct config *cfg, const char *file,
                        bool label, size_t k, size_t *col,
                        struct bp_error *err)
{
    char key[64];
    ref_key(key, sizeof key, label, k);
    if (!ref->name) {
        *col = ref->index;
        return 0;
    }
    if (!t->header)
        return bp_error_set(err, BP_EINPUT, "%s: %s: a column name needs "
                            "data.header true; give a 0-based index",
                            config_name(cfg), key);
    long c = table_column(t, ref->name);
    if (c < 0) {
        char list[DATASET_LIST_MAX], name[DATASET_LIST_MAX];
        list_columns(list, sizeof list, t);
        return bp_error_set(err, BP_EINPUT, "%s: %s: no column named \"%s\" "
                            "in %s (columns: %s)", config_name(cfg), key,
                            printable(name, sizeof name, ref->name), file,
                            list);
    }
    *col = (size_t)c;
    return 0;
}

/* "4 features + label \"species\"" and the like, for the count message. */
static void describe_layout(char *dst, size_t cap, const struct config *cfg,
                            bool classes)
{
    size_t nf = cfg->input;
    int o = snprintf(dst, cap, "%zu feature%s + ", nf, nf == 1 ? "" : "s");
    if (o < 0 || (size_t)o >= cap)
        return;
    dst += o;
    cap -= (size_t)o;
    const struct data_config *d = &cfg->data;
    if (classes) {
        char name[DATASET_LIST_MAX];
        if (d->has_label && d->label.name)
            snprintf(dst, cap, "label \"%s\"",
                     printable(name, sizeof name, d->label.name));
        else if (d->has_label)
            snprintf(dst, cap, "label at index %zu", d->label.index);
        else
            snprintf(dst, cap, "label");
        return;
    }
    size_t n = d->n_targets ? d->n_targets : config_outputs(cfg);
    snprintf(dst, cap, "%zu target%s", n, n == 1 ? "" : "s");
}

static void column_map_free(struct column_map *m)
{
    free(m->target_col);
    free(m->is_target);
    memset(m, 0, sizeof *m);
}

/* Decides which columns are targets. Returns 1 when the file holds only
 * features (allowed with targets_optional), 0 when mapped, -1 on error. */
static int map_columns(struct column_map *m, const struct table *t,
                       const struct config *cfg, const char *file,
                       bool targets_optional, struct bp_error *err)
{
    const struct data_config *d = &cfg->data;
    bool classes = config_class_count(cfg) > 0;
    size_t n_out = config_outputs(cfg);
    size_t n_targets = classes ? 1 : (d->n_targets ? d->n_targets : n_out);
    size_t expected = cfg->input + n_targets;

    memset(m, 0, sizeof *m);
    if (!classes && d->n_targets && d->n_targets != n_out)
        return bp_error_set(err, BP_EINPUT, "%s: data.targets: %zu column%s "
                            "given, but the last layer has %zu unit%s",
                            config_name(cfg), d->n_targets,
                            d->n_targets == 1 ? "" : "s", n_out,
                            n_out == 1 ? "" : "s");

    /* A file of features only (prediction input): no target columns, and
     * none of the columns the config names is there. */
    if (targets_optional && t->n_cols == cfg->input) {
        bool named_present = false;
        if (classes && d->has_label && d->label.name)
            named_present = table_column(t, d->label.name) >= 0;
        for (size_t k = 0; !classes && k < d->n_targets; k++)
            if (d->targets[k].name &&
                table_column(t, d->targets[k].name) >= 0)
                named_present = true;
        if (!named_present)
            return 1;
    }

    m->n_target_cols = n_targets;
    m->target_col = calloc(n_targets, sizeof *m->target_col);
    m->is_target = calloc(t->n_cols, sizeof *m->is_target);
    if (!m->target_col || !m->is_target) {
        bp_error_set(err, BP_ENOMEM, "%s: out of memory", file);
        goto fail;
    }

    /* Named columns first: "no column named x" says more than a count. */
    bool explicit_cols = classes ? d->has_label : d->n_targets > 0;
    if (explicit_cols) {
        for (size_t k = 0; k < n_targets; k++) {
            const struct column_ref *ref = classes ? &d->label
                                                   : &d->targets[k];
            if (resolve_name(ref, t, cfg, file, classes, k,
                             &m->target_col[k], err) != 0)
                goto fail;
        }
    }

    if (t->n_cols != expected) {
        char layout[256];
        describe_layout(layout, sizeof layout, cfg, classes);
        size_t line = t->header ? t->header_line : t->row_line[0];
        size_t col = (t->n_cols < expected ? t->n_cols : expected) + 1;
        bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: expected %zu columns (%s), "
                     "found %zu", file, line, col, expected, layout,
                     t->n_cols);
        goto fail;
    }

    for (size_t k = 0; k < n_targets; k++) {
        if (!explicit_cols) {
            /* The default: the last column(s). */
            m->target_col[k] = t->n_cols - n_targets + k;
        }
        char key[64];
        ref_key(key, sizeof key, classes, k);
        if (m->target_col[k] >= t->n_cols) {
            bp_error_set(err, BP_EINPUT, "%s: %s: column index %zu is out of "
                         "range for %s (%zu columns, indexes 0..%zu)",
                         config_name(cfg), key, m->target_col[k], file,
                         t->n_cols, t->n_cols - 1);
            goto fail;
        }
        if (m->is_target[m->target_col[k]]) {
            bp_error_set(err, BP_EINPUT, "%s: %s: column %zu is listed twice",
                         config_name(cfg), key, m->target_col[k]);
            goto fail;
        }
        m->is_target[m->target_col[k]] = true;
    }
    return 0;

fail:
    column_map_free(m);
    return -1;
}

/* Checks that a label cell holds a whole class number 0..K-1. */
static int check_label(float v, size_t n_classes, size_t n_outputs,
                       const char *file, size_t line, size_t col,
                       struct bp_error *err)
{
    if (v != truncf(v))
        return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is not a "
                            "whole number", file, line, col, (double)v);
    if (v < 0 || v > (float)(n_classes - 1)) {
        if (n_outputs == 1)
            return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is "
                                "out of range 0..1 (the last layer has one "
                                "unit: labels 0 and 1)", file, line, col,
                                (double)v);
        return bp_error_set(err, BP_EINPUT, "%s:%zu:%zu: label %.9g is out of "
                            "range 0..%zu (the last layer has %zu classes)",
                            file, line, col, (double)v, n_classes - 1,
                            n_classes);
    }
    return 0;
}

/* Moves the targets out of the table and compacts the features in place,
 * row by row forwards: a row's features land at or before where they
 * were, and its targets are read before anything of it is overwritten. */
static int extract(struct dataset *ds, struct table *t,
                   const struct column_map *m, const char *file,
                   struct bp_error *err)
{
    size_t n = t->n_rows, nc = t->n_cols, nf = ds->n_features;
    if (ds->has_targets) {
        if (ds->n_classes > 0) {
            ds->label = malloc(n * sizeof *ds->label);
            if (!ds->label)
                goto nomem;
        } else {
            if (ds->n_outputs && n > SIZE_MAX / sizeof(float) / ds->n_outputs)
                goto nomem;
            ds->y = malloc(n * ds->n_outputs * sizeof *ds->y);
            if (!ds->y)
                goto nomem;
        }
    }

    float *cells = t->cells;
    for (size_t r = 0; r < n; r++) {
        const float *row = cells + r * nc;
        if (ds->label) {
            size_t c = m->target_col[0];
            if (check_label(row[c], ds->n_classes, ds->n_outputs, file,
                            t->row_line[r], c + 1, err) != 0)
                return -1;
            ds->label[r] = (uint32_t)row[c];
        } else if (ds->y) {
            for (size_t k = 0; k < ds->n_outputs; k++)
                ds->y[r * ds->n_outputs + k] = row[m->target_col[k]];
        }
        float *out = cells + r * nf;
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            if (!m || !m->is_target[c])
                out[k++] = row[c];
        assert(k == nf);
    }

    /* Give back the target columns' share; a failed shrink is harmless.
     * (realloc to 0 bytes may free, so a featureless table keeps its
     * block.) */
    float *x = n * nf > 0 ? realloc(cells, n * nf * sizeof *x) : NULL;
    ds->x = x ? x : cells;
    t->cells = NULL;
    return 0;

nomem:
    return bp_error_set(err, BP_ENOMEM, "%s: out of memory", file);
}

int dataset_load(struct dataset *ds, const char *path,
                 const struct config *cfg, bool targets_optional,
                 int threads, struct bp_error *err)
{
    struct table t = {0};
    struct column_map m = {0};
    bool is_stdin = strcmp(path, "-") == 0;
    const char *file = is_stdin ? "<stdin>" : path;
    FILE *f = NULL;

    memset(ds, 0, sizeof *ds);
    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        bp_error_set(err, BP_EINPUT, "%s: cannot open: %s", file,
                     strerror(errno));
        goto fail;
    }
    if (table_read(&t, f, file, cfg->data.header, 0, threads, err) != 0)
        goto fail;
    if (!is_stdin) {
        int rc = fclose(f);
        f = NULL;
        if (rc != 0) {
            bp_error_set(err, BP_EIO, "%s: %s", file, strerror(errno));
            goto fail;
        }
    }

    int mapped = map_columns(&m, &t, cfg, file, targets_optional, err);
    if (mapped < 0)
        goto fail;
    ds->n_rows = t.n_rows;
    ds->n_features = cfg->input;
    ds->n_outputs = config_outputs(cfg);
    ds->n_classes = config_class_count(cfg);
    ds->has_targets = mapped == 0;
    if (extract(ds, &t, ds->has_targets ? &m : NULL, file, err) != 0)
        goto fail;

    column_map_free(&m);
    table_free(&t);
    return 0;

fail:
    if (f && !is_stdin)
        fclose(f);
    column_map_free(&m);
    table_free(&t);
    dataset_free(ds);
    return -1;
}

void dataset_targets(const struct dataset *ds, const size_t *idx, size_t n,
                     float *out)
{
    size_t no = ds->n_outputs;
    assert(ds->has_targets);
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * no;
        size_t r = idx[i];
        assert(r < ds->n_rows);
        if (ds->label) {
            if (no == 1) {
                o[0] = (float)ds->label[r];
            } else {
                memset(o, 0, no * sizeof *o);
                o[ds->label[r]] = 1.0f;
            }
        } else {
            memcpy(o, ds->y + r * no, no * sizeof *o);
        }
    }
}

/* Copies rows whose mask entry equals `want`, in file order, into dst
 * (which holds `count` rows, shaped like src). */
static int copy_rows(struct dataset *dst, const struct dataset *src,
                     const bool *mask, bool want, size_t count,
                     struct bp_error *err)
{
    size_t nf = src->n_features, no = src->n_outputs;
    *dst = *src;
    dst->x = NULL;
    dst->label = NULL;
    dst->y = NULL;
    dst->n_rows = count;
    if ((nf && count > SIZE_MAX / sizeof(float) / nf) ||
        (no && count > SIZE_MAX / sizeof(float) / no))
        goto nomem;
    dst->x = malloc(count * nf * sizeof *dst->x);
    if (!dst->x)
        goto nomem;
    if (src->label) {
        dst->label = malloc(count * sizeof *dst->label);
        if (!dst->label)
            goto nomem;
    }
    if (src->y) {
        dst->y = malloc(count * no * sizeof *dst->y);
        if (!dst->y)
            goto nomem;
    }
    size_t k = 0;
    for (size_t r = 0; r < src->n_rows; r++) {
        if (mask[r] != want)
            continue;
        memcpy(dst->x + k * nf, src->x + r * nf, nf * sizeof *dst->x);
        if (src->label)
            dst->label[k] = src->label[r];
        if (src->y)
            memcpy(dst->y + k * no, src->y + r * no, no * sizeof *dst->y);
        k++;
    }
    assert(k == count);
    return 0;

nomem:
    dataset_free(dst);
    return bp_error_set(err, BP_ENOMEM, "data.validation_split: out of "
                        "memory");
}

int dataset_split(const struct dataset *all, double fraction, uint64_t seed,
                  struct dataset *train, struct dataset *validation,
                  struct bp_error *err)
{
    size_t n = all->n_rows;
    size_t *idx = NULL;
    bool *held_out = NULL;

    memset(train, 0, sizeof *train);
    memset(validation, 0, sizeof *validation);
    /* Checked before the cast: NaN would make it undefined. */
    bool valid = fraction > 0 && fraction < 1;
    double want = valid ? round(fraction * (double)n) : 0;
    size_t n_val = want >= (double)n ? n : (size_t)want;
    if (!valid || n_val == 0 || n_val == n) {
        bp_error_set(err, BP_EINPUT, "data.validation_split: %g of %zu rows "
                     "holds out %zu; both the training and the validation "
                     "part need at least one row", fraction, n, n_val);
        goto fail;
    }

    idx = malloc(n * sizeof *idx);
    held_out = calloc(n, sizeof *held_out);
    if (!idx || !held_out) {
        bp_error_set(err, BP_ENOMEM, "data.validation_split: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    struct rng rng = rng_create(seed, DATASET_SPLIT_STREAM);
    rng_shuffle(&rng, idx, n);
    for (size_t i = 0; i < n_val; i++)
        held_out[idx[i]] = true;

    /* Both parts keep file order: the split decides membership only. */
    if (copy_rows(train, all, held_out, false, n - n_val, err) != 0 ||
        copy_rows(validation, all, held_out, true, n_val, err) != 0)
        goto fail;
    free(idx);
    free(held_out);
    return 0;

fail:
    free(idx);
    free(held_out);
    dataset_free(train);
    dataset_free(validation);
    return -1;
}

void dataset_free(struct dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->label);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}
