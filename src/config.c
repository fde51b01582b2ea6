/*
 * config: reading and validating the config / weights file (see
 * config.h): the shape queries, config_free, and the load itself, which
 * reads the text, parses it into a tree, applies the overrides
 * (config_override.c) and validates every key into a struct config
 * (config_sections.c). The typed reading of the tree and the wording of
 * its messages are config_json.c's.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_json.h"
#include "config_override.h"
#include "config_sections.h"
#include "file_text.h"
#include "json_floats.h"
#include "jsonscan.h"

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

/* An early-stopping record as the reader allocates it. */
static void free_stop_progress(struct stop_progress *p)
{
    if (!p)
        return;
    free(p->params);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(p->state.buffer[b]);
    free(p);
}

void category_sets_free(struct category_set *sets, size_t n)
{
    for (size_t i = 0; sets && i < n; i++) {
        free(sets[i].column);
        for (size_t k = 0; k < sets[i].n; k++)
            free(sets[i].values[k]);
        free(sets[i].values);
    }
    free(sets);
}

const struct category_set *config_categories(const struct config *cfg,
                                             const char *column)
{
    for (size_t i = 0; i < cfg->data.n_category_sets; i++)
        if (strcmp(cfg->data.categories[i].column, column) == 0)
            return &cfg->data.categories[i];
    return NULL;
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
    for (size_t i = 0; i < cfg->data.n_features; i++)
        column_ref_free(&cfg->data.features[i]);
    free(cfg->data.features);
    for (size_t i = 0; i < cfg->data.n_ignore; i++)
        column_ref_free(&cfg->data.ignore[i]);
    free(cfg->data.ignore);
    for (size_t i = 0; i < cfg->data.n_categorical; i++)
        column_ref_free(&cfg->data.categorical[i]);
    free(cfg->data.categorical);
    for (size_t i = 0; i < cfg->data.n_na_values; i++)
        free(cfg->data.na_values[i]);
    free(cfg->data.na_values);
    category_sets_free(cfg->data.categories, cfg->data.n_category_sets);
    free(cfg->imputation.mean);
    free(cfg->output);
    free(cfg->normalization.mean);
    free(cfg->normalization.std);
    for (int b = 0; b < STATE_BUFFERS; b++)
        free(cfg->state.buffer[b]);
    free_stop_progress(cfg->state.stopping);
    memset(cfg, 0, sizeof *cfg);
}

/* =====================================================================
 * Loading: read the text, check its syntax (jsonscan), build the tree
 * (cJSON), reject duplicate keys, apply the overrides, then validate every
 * key into a struct config.
 * ===================================================================== */

/* ---- reading and parsing ---- */

static int syntax_error(struct ctx *x, const char *text, size_t len,
                        size_t off, const char *what)
{
    size_t line, col;
    jsonscan_position(text, len, off, &line, &col);
    return bp_error_set(x->err, BP_EINPUT, "%s:%zu:%zu: %s", x->name, line,
                        col, what);
}

/* Whether text[0..len), which stopped parsing at `stop`, is a log of
 * train --log given where a config or weights file belongs: its first
 * line is a whole object with an "epoch", and the next line is where the
 * one JSON value should have ended. */
static bool is_log(const char *text, size_t len, size_t stop)
{
    const char *nl = memchr(text, '\n', len);
    if (!nl || stop <= (size_t)(nl - text))
        return false;
    size_t line = (size_t)(nl - text);
    if (text[0] != '{' || jsonscan_check(text, line, NULL, NULL, 0) != 0)
        return false;
    for (size_t i = 0; i + 7 <= line; i++)
        if (memcmp(text + i, "\"epoch\"", 7) == 0)
            return true;
    return false;
}

/* Whether text[0..len) starts like a CSV table rather than any JSON: a
 * first line with a comma that no JSON value could start. */
static bool looks_like_csv(const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    size_t line = nl ? (size_t)(nl - text) : len;
    return line > 0 && !strchr("{[\"-0123456789tfn", text[0]) &&
           memchr(text, ',', line) != NULL;
}

/* Parses the file's text into a tree whose top level is an object. With
 * `lifted`, the text (then writable) first gives up its parameter arrays
 * (json_floats.h), and *lifted holds them (NULL when none). */
static int parse_text(struct ctx *x, char *text, size_t len,
                      struct json_floats **lifted, cJSON **out)
{
    char why[160], msg[300], d[DESC_MAX];
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
        if (is_log(text + start, len - start, off - start))
            return bp_error_set(x->err, BP_EINPUT,
                                "%s: a training log (one JSON object per "
                                "line, as train --log writes), not a "
                                "config or weights file",
                                x->name);
        snprintf(msg, sizeof msg, "invalid JSON: %s%s", why,
                 looks_like_csv(text + start, len - start)
                     ? " (a CSV file? a config is JSON, and names its data "
                       "in data.train)"
                     : "");
        return syntax_error(x, text, len, off, msg);
    }
    if (lifted && json_floats_lift(text, &len, x->name, lifted, x->err))
        return -1;
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
    return lifted ? json_floats_attach(*lifted, *out, x->err) : 0;
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

/* Whether an override reaches into the top-level "layers" or "state",
 * where the parameter arrays are: then none is lifted out of the text, so
 * that the override finds the tree as the file wrote it. */
static bool overrides_touch_params(const struct config_override *ov,
                                   size_t n)
{
    static const char *const tops[] = {"layers", "state"};
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 2 && ov[i].key; t++) {
            size_t k = strlen(tops[t]);
            if (strncmp(ov[i].key, tops[t], k) == 0 &&
                strchr(".[", ov[i].key[k]))
                return true; /* (strchr finds the NUL too) */
        }
    return false;
}

/* Parses text[0..len) (text[len] must be '\0', which cJSON and the
 * syntax check rely on) as the contents of `path`, into *cfg. The text is
 * rewritten in place (json_floats.h). */
static int load_text(struct config *cfg, const char *path, char *text,
                     size_t len, bool read_file,
                     const struct config_override *overrides,
                     size_t n_overrides, struct bp_error *err)
{
    struct config c;
    struct path_origin po = {false, false, false};
    char *owned = NULL;
    size_t owned_len = 0;
    cJSON *root = NULL;
    struct json_floats *lifted = NULL;
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
    struct ctx x = {c.name, {"", 0}, err, NULL, NULL, 0};
    if (read_file) {
        if (file_read_text(path, &owned, &owned_len, err))
            goto fail;
        text = owned;
        len = owned_len;
    }
    bool lift = !overrides_touch_params(overrides, n_overrides);
    if (parse_text(&x, text, len, lift ? &lifted : NULL, &root))
        goto fail;
    x.lifted = lifted;
    if (reject_duplicate_keys(&x, root) ||
        apply_overrides(root, overrides, n_overrides, &po, err))
        goto fail;
    /* From here a refused value an override set is named by its option. */
    x.overrides = overrides;
    x.n_overrides = n_overrides;
    if (load_sections(&x, root, &c, &po))
        goto fail;
    cJSON_Delete(root);
    json_floats_free(lifted);
    free(owned);
    *cfg = c;
    return 0;
fail:
    cJSON_Delete(root);
    json_floats_free(lifted);
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

/* path made absolute: against the current folder when it came from the
 * command line, else against the config's folder. */
static int absolute_path(cJSON *obj, const char *key, bool from_cli,
                         const char *dir)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || v->valuestring[0] == '/' ||
        strcmp(v->valuestring, "-") == 0)
        return 0;
    char base[4096];
    if (!(from_cli ? getcwd(base, sizeof base) : realpath(dir, base)))
        return 0; /* left as it was */
    size_t len = strlen(base) + strlen(v->valuestring) + 2;
    char *abs = malloc(len);
    if (!abs)
        return -1;
    snprintf(abs, len, "%s/%s", base, v->valuestring);
    cJSON *s = cJSON_CreateString(abs);
    free(abs);
    if (!s)
        return -1;
    return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s) ? 0 : -1;
}

char *config_overridden_text(const char *path,
                             const struct config_override *overrides,
                             size_t n_overrides, struct bp_error *err)
{
    struct path_origin po = {false, false, false};
    char *text = NULL, *out = NULL, *dir = NULL;
    size_t len;
    cJSON *root = NULL;
    struct ctx x = {path, {"", 0}, err, NULL, NULL, 0};
    if (file_read_text(path, &text, &len, err) ||
        parse_text(&x, text, len, NULL, &root) ||
        apply_overrides(root, overrides, n_overrides, &po, err))
        goto out;
    dir = dir_of(path);
    cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!dir ||
        (cJSON_IsObject(data) &&
         (absolute_path(data, "train", po.train_cli, dir) ||
          absolute_path(data, "validation", po.validation_cli, dir))) ||
        absolute_path(root, "output", po.output_cli, dir) ||
        !(out = cJSON_Print(root)))
        bp_error_set(err, BP_ENOMEM, "%s: out of memory", path);
out:
    cJSON_Delete(root);
    free(text);
    free(dir);
    return out;
}
