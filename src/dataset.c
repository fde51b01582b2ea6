/*
 * dataset: a CSV table mapped onto the network's inputs and targets.
 * See dataset.h. The CSV syntax lives in table.h, which column is what in
 * columns.h; this file reads a file through them into rows, and splits
 * off validation rows (a fraction, or a fold).
 */
#include "dataset.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "rng.h"
#include "table.h"

/* The rng stream of the validation split: "split" in ASCII, so it cannot
 * meet the small integers other users of rng_create pass as streams. */
#define DATASET_SPLIT_STREAM UINT64_C(0x73706c6974)

/* Reads path ("-": stdin) into *t with the plan's layout. */
static int read_table(struct table *t, const char *path, const char *file,
                      struct columns_plan *plan, int threads,
                      struct bp_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return bp_error_set(err, BP_EINPUT, "%s: cannot open: %s", file,
                            strerror(errno));
    struct table_options o = {.name = file,
                              .header = plan->cfg->data.header,
                              .threads = threads,
                              .layout = columns_layout(plan)};
    int rc = table_read_with(t, f, &o, err);
    if (!is_stdin) {
        int closed = fclose(f);
        if (rc == 0 && closed != 0) {
            table_free(t);
            return bp_error_set(err, BP_EIO, "%s: %s", file, strerror(errno));
        }
    }
    return rc;
}

/* Where the kept rows and each input came from (dataset_where): the
 * table's row lines (taken, and closed up over the dropped rows), its
 * wraps (taken), each input's column and name. */
static int keep_origin(struct dataset *ds, struct table *t,
                       const struct columns_plan *plan, const bool *dropped,
                       const char *file)
{
    size_t o = 0;
    for (size_t r = 0; r < t->n_rows; r++)
        if (!dropped[r])
            t->row_line[o++] = t->row_line[r];
    ds->row_line = t->row_line;
    t->row_line = NULL;
    ds->wraps = t->wraps;
    ds->n_wraps = t->n_wraps;
    t->wraps = NULL;
    t->n_wraps = 0;
    size_t n = ds->n_features ? ds->n_features : 1;
    ds->file = strdup(file);
    ds->input_col = calloc(n, sizeof *ds->input_col);
    ds->input_name = calloc(n, sizeof *ds->input_name);
    if (!ds->file || !ds->input_col || !ds->input_name)
        return -1;
    for (size_t j = 0; j < ds->n_features; j++) {
        size_t c = columns_input_column(plan, j);
        char q[512];
        ds->input_col[j] = c;
        if (t->header &&
            !(ds->input_name[j] = strdup(columns_quote(q, sizeof q,
                                                       t->header[c]))))
            return -1;
    }
    return 0;
}

/* The rows of t, encoded by the plan, into ds. */
static int encode(struct dataset *ds, struct table *t,
                  const struct columns_plan *plan, const char *file,
                  struct bp_error *err)
{
    const struct config *cfg = plan->cfg;
    size_t n = t->n_rows, width = cfg->input;
    ds->n_features = width;
    ds->n_outputs = config_outputs(cfg);
    ds->n_classes = config_class_count(cfg);
    ds->has_targets = plan->has_targets;
    if (plan->warning && !(ds->note = strdup(plan->warning)))
        goto nomem;
    if (ds->has_targets) {
        if (ds->n_classes > 0) {
            ds->label = malloc((n ? n : 1) * sizeof *ds->label);
            if (!ds->label)
                goto nomem;
        } else {
            if (ds->n_outputs && n > SIZE_MAX / sizeof(float) / ds->n_outputs)
                goto nomem;
            ds->y = malloc((n ? n : 1) * ds->n_outputs * sizeof *ds->y);
            if (!ds->y)
                goto nomem;
        }
    }
    /* The features overwrite the table in place when they fit (a
     * numeric file's always do); one-hot columns may need more room. */
    bool in_place = width <= t->n_cols;
    float *x = t->cells;
    if (!in_place) {
        if (width && n > SIZE_MAX / sizeof(float) / width)
            goto nomem;
        x = malloc((n ? n : 1) * width * sizeof *x);
        if (!x)
            goto nomem;
    }
    size_t kept;
    bool *dropped = malloc((n ? n : 1) * sizeof *dropped);
    if (!dropped ||
        columns_encode(plan, t, x, ds->label, ds->y, dropped, &kept, err) !=
            0) {
        free(dropped);
        if (!in_place)
            free(x);
        return dropped ? -1 : bp_error_set(err, BP_ENOMEM, "%s: out of "
                                           "memory", file);
    }
    int kept_origin = keep_origin(ds, t, plan, dropped, file);
    free(dropped);
    if (kept_origin != 0) {
        if (!in_place)
            free(x);
        goto nomem;
    }
    ds->n_rows = kept;
    ds->n_dropped = n - kept;
    if (kept == 0) {
        if (!in_place)
            free(x);
        return bp_error_set(err, BP_EINPUT, "%s: no rows left: all %zu have "
                            "missing cells (data.missing \"%s\")", file, n,
                            missing_policy_name(cfg->data.missing));
    }
    if (in_place) {
        /* Give back the other columns' share; a failed shrink is
         * harmless. */
        float *shrunk = kept * width > 0
                            ? realloc(x, kept * width * sizeof *shrunk)
                            : NULL;
        ds->x = shrunk ? shrunk : x;
        t->cells = NULL;
    } else {
        ds->x = x;
    }
    return columns_onehot_inputs(cfg, &ds->onehot, err);

nomem:
    return bp_error_set(err, BP_ENOMEM, "%s: out of memory", file);
}

static int load(struct dataset *ds, const char *path, struct config *learn,
                const struct config *cfg, enum columns_use use, int threads,
                struct bp_error *err)
{
    struct table t = {0};
    struct columns_plan plan;
    const char *file = strcmp(path, "-") == 0 ? "<stdin>" : path;

    memset(ds, 0, sizeof *ds);
    columns_plan_init(&plan, cfg, file, use);
    if (read_table(&t, path, file, &plan, threads, err) != 0)
        goto fail;
    if (learn && columns_learn(learn, &plan, &t, err) != 0)
        goto fail;
    if (encode(ds, &t, &plan, file, err) != 0)
        goto fail;
    columns_plan_free(&plan);
    table_free(&t);
    return 0;

fail:
    columns_plan_free(&plan);
    table_free(&t);
    dataset_free(ds);
    return -1;
}

int dataset_load(struct dataset *ds, const char *path,
                 const struct config *cfg, bool targets_optional,
                 int threads, struct bp_error *err)
{
    return load(ds, path, NULL, cfg,
                targets_optional ? COLUMNS_OPTIONAL : COLUMNS_LABELLED, threads,
                err);
}

int dataset_load_training(struct dataset *ds, const char *path,
                          struct config *cfg, int threads,
                          struct bp_error *err)
{
    return load(ds, path, cfg, cfg, COLUMNS_TRAIN, threads, err);
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

/* dst's copy of src's file, input columns and names, and wraps (the
 * row lines are the rows'). 0 or -1 (memory). */
static int copy_origin(struct dataset *dst, const struct dataset *src)
{
    if (!src->file)
        return 0; /* rows made in code: no origin */
    size_t n = src->n_features ? src->n_features : 1;
    dst->file = strdup(src->file);
    dst->input_col = malloc(n * sizeof *dst->input_col);
    dst->input_name = calloc(n, sizeof *dst->input_name);
    dst->wraps = malloc((src->n_wraps ? src->n_wraps : 1) *
                        sizeof *dst->wraps);
    if (!dst->file || !dst->input_col || !dst->input_name || !dst->wraps)
        return -1;
    memcpy(dst->input_col, src->input_col, n * sizeof *dst->input_col);
    for (size_t j = 0; j < src->n_features; j++)
        if (src->input_name[j] &&
            !(dst->input_name[j] = strdup(src->input_name[j])))
            return -1;
    if (src->n_wraps)
        memcpy(dst->wraps, src->wraps, src->n_wraps * sizeof *dst->wraps);
    dst->n_wraps = src->n_wraps;
    return 0;
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
    dst->note = NULL;
    dst->onehot = NULL;
    dst->file = NULL;
    dst->row_line = NULL;
    dst->input_col = NULL;
    dst->input_name = NULL;
    dst->wraps = NULL;
    dst->n_wraps = 0;
    if (copy_origin(dst, src) != 0)
        goto nomem;
    if (src->onehot) {
        dst->onehot = malloc(nf * sizeof *dst->onehot);
        if (!dst->onehot)
            goto nomem;
        memcpy(dst->onehot, src->onehot, nf * sizeof *dst->onehot);
    }
    dst->n_rows = count;
    if ((nf && count > SIZE_MAX / sizeof(float) / nf) ||
        (no && count > SIZE_MAX / sizeof(float) / no))
        goto nomem;
    dst->x = malloc(count * nf * sizeof *dst->x);
    if (src->row_line &&
        !(dst->row_line = malloc((count ? count : 1) * sizeof *dst->row_line)))
        goto nomem;
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
        if (src->row_line)
            dst->row_line[k] = src->row_line[r];
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

/* The rows held out (n_val of them) into *validation, the others into
 * *train, both in file order: a split decides membership only. On
 * failure both are freed. */
static int split_rows(const struct dataset *all, const bool *held_out,
                      size_t n_val, struct dataset *train,
                      struct dataset *validation, struct bp_error *err)
{
    if (copy_rows(train, all, held_out, false, all->n_rows - n_val, err) ==
            0 &&
        copy_rows(validation, all, held_out, true, n_val, err) == 0)
        return 0;
    dataset_free(train);
    dataset_free(validation);
    return -1;
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

    if (split_rows(all, held_out, n_val, train, validation, err) != 0)
        goto fail;
    free(idx);
    free(held_out);
    return 0;

fail:
    free(idx);
    free(held_out);
    return -1;
}

void dataset_where(const struct dataset *ds, size_t row, size_t input,
                   size_t *line, size_t *col, const char **name)
{
    assert(row < ds->n_rows && input < ds->n_features);
    if (!ds->row_line || !ds->input_col) {
        *line = 0; /* rows made in code */
        *col = input + 1;
        *name = NULL;
        return;
    }
    size_t c = ds->input_col[input];
    *line = table_wrap_line(ds->wraps, ds->n_wraps, ds->row_line[row], c);
    *col = c + 1;
    *name = ds->input_name[input];
}

/* The rng stream of the K-fold split: "kfold" in ASCII. */
#define DATASET_KFOLD_STREAM UINT64_C(0x6b666f6c64)

size_t dataset_smallest_class(const struct dataset *ds)
{
    if (!ds->label || ds->n_classes == 0)
        return ds->n_rows;
    size_t *count = calloc(ds->n_classes, sizeof *count);
    if (!count)
        return 0;
    for (size_t r = 0; r < ds->n_rows; r++)
        count[ds->label[r]]++;
    size_t least = SIZE_MAX;
    for (size_t c = 0; c < ds->n_classes; c++)
        if (count[c] > 0 && count[c] < least)
            least = count[c];
    free(count);
    return least == SIZE_MAX ? 0 : least;
}

int dataset_kfold(const struct dataset *all, size_t folds, size_t fold,
                  uint64_t seed, struct dataset *train,
                  struct dataset *validation, struct bp_error *err)
{
    size_t n = all->n_rows;
    size_t *idx = NULL;
    bool *held_out = NULL;
    memset(train, 0, sizeof *train);
    memset(validation, 0, sizeof *validation);
    size_t least = dataset_smallest_class(all);
    if (folds < 2 || fold >= folds || folds > least) {
        bp_error_set(err, BP_EINPUT, "data.cross_validation.folds: %zu folds "
                     "need at least %zu rows of each %s, and the smallest "
                     "has %zu", folds, folds, all->label ? "class" : "kind",
                     least);
        goto fail;
    }
    idx = malloc((n ? n : 1) * sizeof *idx);
    held_out = calloc(n ? n : 1, sizeof *held_out);
    if (!idx || !held_out) {
        bp_error_set(err, BP_ENOMEM, "data.cross_validation: out of memory");
        goto fail;
    }
    struct rng rng = rng_create(seed, DATASET_KFOLD_STREAM);
    size_t n_val = 0;
    size_t classes = all->label ? all->n_classes : 1;
    /* Each class in turn (one group without labels): its rows in file
     * order, shuffled, dealt round the folds; the next class starts where
     * the last stopped, so fold sizes differ by at most one overall. */
    size_t deal = 0;
    for (size_t c = 0; c < classes; c++) {
        size_t m = 0;
        for (size_t r = 0; r < n; r++)
            if (!all->label || all->label[r] == c)
                idx[m++] = r;
        rng_shuffle(&rng, idx, m);
        for (size_t k = 0; k < m; k++, deal++)
            if (deal % folds == fold) {
                held_out[idx[k]] = true;
                n_val++;
            }
    }
    if (split_rows(all, held_out, n_val, train, validation, err) != 0)
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
    free(ds->onehot);
    free(ds->note);
    free(ds->file);
    free(ds->row_line);
    free(ds->input_col);
    for (size_t j = 0; ds->input_name && j < ds->n_features; j++)
        free(ds->input_name[j]);
    free(ds->input_name);
    free(ds->wraps);
    memset(ds, 0, sizeof *ds);
}
