/* model: see model.h. */
#include "model.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "normalize.h"
#include "trainer.h"

int model_load(struct model *m, const char *path, bool require_weights,
               struct bp_error *err)
{
    memset(m, 0, sizeof *m);
    if (config_load(&m->cfg, path, NULL, 0, err) < 0)
        return -1;
    if (require_weights) {
        for (size_t l = 0; l < m->cfg.n_layers; l++)
            if (!m->cfg.layers[l].weights) {
                bp_error_set(err, BP_EINPUT,
                             "%s: layers[%zu]: no weights (train it first: "
                             "backprop train %s)",
                             m->cfg.name, l, m->cfg.path);
                goto fail;
            }
    }
    /* A config whose width comes from its data (categorical columns,
     * no input) has no network until the data is read. */
    if (m->cfg.input == 0)
        return 0;
    if (network_create(&m->net, &m->cfg, err) < 0)
        goto fail;
    return 0;
fail:
    model_free(m);
    return -1;
}

int model_load_data(const struct model *m, const char *path,
                    bool targets_optional, int threads, struct dataset *ds,
                    struct bp_error *err)
{
    if (dataset_load(ds, path, &m->cfg, targets_optional, threads, err) < 0)
        return -1;
    imputation_apply(&m->cfg.imputation, ds->x, ds->n_rows);
    if (normalization_apply(&m->cfg.normalization, m->cfg.data.normalize, ds,
                            err) < 0) {
        dataset_free(ds);
        return -1;
    }
    return 0;
}

/* Rows per block: large enough that a block keeps the threads busy,
 * small enough that a wide file's block stays a few megabytes. */
#define MODEL_BLOCK_ROWS 1024

struct score_run {
    const struct model *m;
    struct columns_plan plan;
    bool labelled;
    int threads;
    double *loss_sum;
    size_t dropped;
    /* Buffers for one block, grown as needed. */
    size_t cap;
    float *x, *out, *y;
    uint32_t *label;
    bool *dropped_mask;
    int (*on_block)(void *ctx, const struct scored_block *b,
                    struct bp_error *err);
    void *ctx;
    struct bp_error *err;
};

static int room_for(struct score_run *s, size_t rows)
{
    if (rows <= s->cap)
        return 0;
    const struct config *cfg = &s->m->cfg;
    size_t in = cfg->input ? cfg->input : 1, out = config_outputs(cfg);
    free(s->x);
    free(s->out);
    free(s->y);
    free(s->label);
    free(s->dropped_mask);
    s->x = malloc(rows * in * sizeof *s->x);
    s->out = malloc(rows * out * sizeof *s->out);
    s->y = malloc(rows * out * sizeof *s->y);
    s->label = malloc(rows * sizeof *s->label);
    s->dropped_mask = malloc(rows * sizeof *s->dropped_mask);
    s->cap = rows;
    if (!s->x || !s->out || !s->y || !s->label || !s->dropped_mask) {
        s->cap = 0;
        return bp_error_set(s->err, BP_ENOMEM, "out of memory");
    }
    return 0;
}

/* A value of the block whose normalised x' is not a finite float (x[at]
 * of the kept rows): bad input, told at its cell, where a NaN prediction
 * would be told nothing. */
static int overflow_error(const struct score_run *s, const struct table *t,
                          size_t at, float value)
{
    const struct config *cfg = &s->m->cfg;
    size_t row = at / cfg->input, r = 0;
    for (size_t k = 0;; r++)
        if (!s->dropped_mask[r] && k++ == row)
            break;
    size_t c = columns_input_column(&s->plan, at % cfg->input);
    char q[512];
    return normalization_error(cfg->data.normalize, s->plan.file,
                               table_cell_line(t, r, c), c + 1,
                               t->header ? columns_quote(q, sizeof q,
                                                         t->header[c])
                                         : NULL,
                               value, s->err);
}

static int score_block(void *ctx, const struct table *t)
{
    struct score_run *s = ctx;
    const struct config *cfg = &s->m->cfg;
    size_t kept;
    if (room_for(s, t->n_rows) != 0)
        return -1;
    bool classes = s->plan.classes && s->labelled;
    bool regression = !s->plan.classes && s->labelled;
    if (columns_encode(&s->plan, t, s->x, classes ? s->label : NULL,
                       regression ? s->y : NULL, s->dropped_mask, &kept,
                       s->err) != 0)
        return -1;
    s->dropped += t->n_rows - kept;
    imputation_apply(&cfg->imputation, s->x, kept);
    float bad;
    size_t at = normalization_rows(&cfg->normalization, s->x, kept, &bad);
    if (at != SIZE_MAX)
        return overflow_error(s, t, at, bad);
    struct dataset ds = {
        .n_rows = kept,
        .n_features = cfg->input,
        .n_outputs = config_outputs(cfg),
        .n_classes = config_class_count(cfg),
        .x = s->x,
        .label = classes ? s->label : NULL,
        .y = regression ? s->y : NULL,
        .has_targets = s->labelled,
    };
    int rc = s->labelled ? trainer_add_loss(&s->m->net, &ds, s->threads,
                                            s->loss_sum, s->out, s->err)
                         : trainer_predict(&s->m->net, &ds, s->threads,
                                           s->out, s->err);
    if (rc < 0)
        return -1;
    struct scored_block b = {
        .rows = t,
        .dropped = s->dropped_mask,
        .kept = kept,
        .outputs = s->out,
        .label = ds.label,
        .y = ds.y,
        .keep_col = s->plan.keep_col,
    };
    return s->on_block(s->ctx, &b, s->err);
}

int model_score(const struct model *m, const char *path, bool labelled,
                const char *const *keep, size_t n_keep, int threads,
                double *loss_sum, size_t *dropped_rows, char **warning,
                int (*on_block)(void *ctx, const struct scored_block *b,
                                struct bp_error *err),
                void *ctx, struct bp_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *file = is_stdin ? "<stdin>" : path;
    struct score_run s = {
        .m = m,
        .labelled = labelled,
        .threads = threads,
        .loss_sum = loss_sum,
        .on_block = on_block,
        .ctx = ctx,
        .err = err,
    };
    if (warning)
        *warning = NULL;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return bp_error_set(err, BP_EINPUT, "%s: cannot open: %s", file,
                            strerror(errno));
    columns_plan_init(&s.plan, &m->cfg, file,
                      labelled ? COLUMNS_LABELLED : COLUMNS_PREDICT);
    s.plan.keep = keep;
    s.plan.n_keep = n_keep;
    struct table_options o = {.name = file,
                              .header = m->cfg.data.header,
                              .threads = threads,
                              .layout = columns_layout(&s.plan)};
    int rc = table_stream(f, &o, MODEL_BLOCK_ROWS, score_block, &s, err);
    if (!is_stdin)
        fclose(f);
    if (rc == 0 && warning && s.plan.warning)
        *warning = strdup(s.plan.warning);
    *dropped_rows = s.dropped;
    columns_plan_free(&s.plan);
    free(s.x);
    free(s.out);
    free(s.y);
    free(s.label);
    free(s.dropped_mask);
    return rc;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    network_free(&m->net);
    config_free(&m->cfg);
}
