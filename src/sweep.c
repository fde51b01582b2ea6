/*
 * sweep: axes, points, runs and summaries of a sweep (see sweep.h).
 */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json_writer.h"
#include "rng.h"

/* The rng stream of --random's draws: "sweep" in ASCII. */
#define SWEEP_STREAM UINT64_C(0x7377656570)

/* ---- values ---- */

/* The value as JSON text: itself when it parses as JSON, else a JSON
 * string, as --set takes a value. */
static char *json_value(const char *s, size_t len)
{
    char *text = strndup(s, len);
    if (!text)
        return NULL;
    cJSON *v = cJSON_ParseWithLength(text, len);
    if (v) {
        cJSON_Delete(v);
        return text;
    }
    cJSON *str = cJSON_CreateString(text);
    free(text);
    if (!str)
        return NULL;
    char *out = cJSON_PrintUnformatted(str);
    cJSON_Delete(str);
    return out;
}

/* Splits s at commas outside brackets, braces and double quotes into
 * JSON values. */
static int split_values(const char *s, char ***out, size_t *n,
                        const char *option, struct bp_error *err)
{
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    size_t k = 0, depth = 0;
    bool quoted = false;
    const char *start = s;
    for (const char *c = s;; c++) {
        if (*c == '"' && (c == s || c[-1] != '\\'))
            quoted = !quoted;
        else if (!quoted && (*c == '[' || *c == '{'))
            depth++;
        else if (!quoted && (*c == ']' || *c == '}') && depth > 0)
            depth--;
        if (*c == '\0' || (*c == ',' && !quoted && depth == 0)) {
            if (c == start) {
                for (size_t i = 0; i < k; i++)
                    free(v[i]);
                free(v);
                return bp_error_set(err, BP_EUSAGE, "%s: an empty value in "
                                    "\"%s\"", option, s);
            }
            if (!(v[k] = json_value(start, (size_t)(c - start)))) {
                for (size_t i = 0; i < k; i++)
                    free(v[i]);
                free(v);
                return bp_error_set(err, BP_ENOMEM, "out of memory");
            }
            k++;
            start = c + 1;
            if (*c == '\0')
                break;
        }
    }
    *out = v;
    *n = k;
    return 0;
}

/* KEY=REST: the key (allocated) and where REST starts. */
static int split_key(const char *arg, const char *option, char **key,
                     const char **rest, struct bp_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return bp_error_set(err, BP_EUSAGE, "%s: expected KEY=%s, got \"%s\"",
                            option,
                            strcmp(option, "--grid") == 0 ? "V1,V2,..."
                                                          : "DIST",
                            arg);
    *key = strndup(arg, (size_t)(eq - arg));
    if (!*key)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    *rest = eq + 1;
    return 0;
}

static struct sweep_axis *new_axis(struct sweep_def *d, struct bp_error *err)
{
    struct sweep_axis *a = realloc(d->axes, (d->n_axes + 1) * sizeof *a);
    if (!a) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        return NULL;
    }
    d->axes = a;
    memset(&a[d->n_axes], 0, sizeof *a);
    return &a[d->n_axes++];
}

/* An axis's values are distinct: a value listed twice would make the
 * same point twice (run twice, counted twice in the table). Compared as
 * the config reads them, JSON when they parse (2 and 2.0 are one value),
 * else as text (a file name). */
static int check_distinct(const struct sweep_axis *a, const char *option,
                          struct bp_error *err)
{
    cJSON **v = calloc(a->n_values ? a->n_values : 1, sizeof *v);
    int rc = v ? 0 : bp_error_set(err, BP_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < a->n_values; i++) {
        v[i] = cJSON_Parse(a->values[i]);
        if (!v[i])
            v[i] = cJSON_CreateString(a->values[i]);
        if (!v[i]) {
            rc = bp_error_set(err, BP_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (cJSON_Compare(v[j], v[i], true)) {
                rc = bp_error_set(err, BP_EUSAGE, "%s %s: the value %s is "
                                  "given twice", option, a->key,
                                  a->values[i]);
                break;
            }
    }
    for (size_t i = 0; v && i < a->n_values; i++)
        cJSON_Delete(v[i]);
    free(v);
    return rc;
}

int sweep_add_grid(struct sweep_def *d, const char *arg,
                   struct bp_error *err)
{
    char *key;
    const char *rest;
    if (split_key(arg, "--grid", &key, &rest, err) < 0)
        return -1;
    struct sweep_axis *a = new_axis(d, err);
    if (!a) {
        free(key);
        return -1;
    }
    a->key = key;
    a->dist = SWEEP_GRID;
    if (split_values(rest, &a->values, &a->n_values, "--grid", err) < 0)
        return -1;
    return check_distinct(a, "--grid", err);
}

/* A finite number, all of s. */
static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0' && isfinite(*out) ? 0 : -1;
}

int sweep_add_range(struct sweep_def *d, const char *arg,
                    struct bp_error *err)
{
    static const struct {
        const char *name;
        enum sweep_dist dist;
    } dists[] = {{"uniform", SWEEP_UNIFORM},
                 {"loguniform", SWEEP_LOGUNIFORM},
                 {"int", SWEEP_INT},
                 {"choice", SWEEP_CHOICE}};
    char *key;
    const char *rest;
    if (split_key(arg, "--range", &key, &rest, err) < 0)
        return -1;
    struct sweep_axis *a = new_axis(d, err);
    if (!a) {
        free(key);
        return -1;
    }
    a->key = key;
    const char *colon = strchr(rest, ':');
    size_t name_len = colon ? (size_t)(colon - rest) : strlen(rest);
    size_t k = 0;
    while (k < 4 && !(strlen(dists[k].name) == name_len &&
                      strncmp(dists[k].name, rest, name_len) == 0))
        k++;
    if (k == 4 || !colon)
        return bp_error_set(err, BP_EUSAGE, "--range %s: expected "
                            "uniform:A:B, loguniform:A:B, int:A:B or "
                            "choice:V1,V2,..., got \"%s\"", key, rest);
    a->dist = dists[k].dist;
    const char *spec = colon + 1;
    if (a->dist == SWEEP_CHOICE)
        return split_values(spec, &a->values, &a->n_values, "--range",
                            err) < 0
                   ? -1
                   : check_distinct(a, "--range", err);
    const char *mid = strchr(spec, ':');
    if (!mid || parse_number(spec, (size_t)(mid - spec), &a->lo) < 0 ||
        parse_number(mid + 1, strlen(mid + 1), &a->hi) < 0)
        return bp_error_set(err, BP_EUSAGE, "--range %s: expected %s:A:B "
                            "with numbers A <= B, got \"%s\"", key,
                            dists[k].name, rest);
    if (a->lo > a->hi)
        return bp_error_set(err, BP_EUSAGE, "--range %s: %s:A:B needs A <= "
                            "B, got \"%s\"", key, dists[k].name, rest);
    if (a->dist == SWEEP_LOGUNIFORM && a->lo <= 0)
        return bp_error_set(err, BP_EUSAGE, "--range %s: loguniform:A:B "
                            "needs A > 0, got \"%s\"", key, rest);
    if (a->dist == SWEEP_INT &&
        (a->lo != floor(a->lo) || a->hi != floor(a->hi) ||
         fabs(a->lo) > 9e15 || fabs(a->hi) > 9e15))
        return bp_error_set(err, BP_EUSAGE, "--range %s: int:A:B needs whole "
                            "numbers, got \"%s\"", key, rest);
    return 0;
}

int sweep_check(const struct sweep_def *d, struct bp_error *err)
{
    bool ranges = false;
    for (size_t i = 0; i < d->n_axes; i++) {
        ranges = ranges || d->axes[i].dist != SWEEP_GRID;
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->axes[i].key, d->axes[j].key) == 0)
                return bp_error_set(err, BP_EUSAGE, "%s is swept twice "
                                    "(one --grid or --range each)",
                                    d->axes[i].key);
    }
    if (d->random && !ranges)
        return bp_error_set(err, BP_EUSAGE, "--random %zu: no --range to "
                            "draw from", d->random);
    if (ranges && !d->random)
        return bp_error_set(err, BP_EUSAGE, "--range: needs --random N, the "
                            "number of points to draw");
    return 0;
}

void sweep_def_free(struct sweep_def *d)
{
    for (size_t i = 0; d && i < d->n_axes; i++) {
        free(d->axes[i].key);
        for (size_t k = 0; k < d->axes[i].n_values; k++)
            free(d->axes[i].values[k]);
        free(d->axes[i].values);
    }
    if (d)
        free(d->axes);
}

/* ---- points ---- */

/* One draw of a range axis, as JSON text. */
static char *draw(const struct sweep_axis *a, struct rng *r)
{
    char buf[64];
    /* 53 random bits: a double in [0, 1). */
    double u = (double)(rng_next(r) >> 11) * 0x1.0p-53;
    switch (a->dist) {
    case SWEEP_UNIFORM:
        json_format_double(buf, sizeof buf, a->lo + (a->hi - a->lo) * u);
        return strdup(buf);
    case SWEEP_LOGUNIFORM:
        json_format_double(buf, sizeof buf,
                           exp(log(a->lo) + (log(a->hi) - log(a->lo)) * u));
        return strdup(buf);
    case SWEEP_INT: {
        uint64_t span = (uint64_t)(a->hi - a->lo) + 1;
        snprintf(buf, sizeof buf, "%.0f",
                 a->lo + (double)rng_below(r, span));
        return strdup(buf);
    }
    case SWEEP_CHOICE:
        return strdup(a->values[rng_below(r, a->n_values)]);
    case SWEEP_GRID:
        break;
    }
    return NULL;
}

int sweep_make_points(const struct sweep_def *d, uint64_t seed,
                      struct sweep_points *p, struct bp_error *err)
{
    memset(p, 0, sizeof *p);
    size_t grid = 1, draws = d->random ? d->random : 1;
    for (size_t i = 0; i < d->n_axes; i++)
        if (d->axes[i].dist == SWEEP_GRID) {
            if (grid > SIZE_MAX / 1024 / d->axes[i].n_values)
                return bp_error_set(err, BP_EUSAGE, "--grid: too many "
                                    "points");
            grid *= d->axes[i].n_values;
        }
    if (grid > ((size_t)1 << 20) / draws)
        return bp_error_set(err, BP_EUSAGE, "the sweep has more than %zu "
                            "points", (size_t)1 << 20);
    p->n_points = grid * draws;
    p->n_axes = d->n_axes;
    p->value = calloc(p->n_points * (d->n_axes ? d->n_axes : 1),
                      sizeof *p->value);
    if (!p->value)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    struct rng r = rng_create(seed, SWEEP_STREAM);
    for (size_t g = 0; g < grid; g++) {
        for (size_t k = 0; k < draws; k++) {
            size_t pt = g * draws + k, rest = g;
            /* The last grid varies fastest: peel indexes from the end. */
            for (size_t i = d->n_axes; i-- > 0;) {
                const struct sweep_axis *a = &d->axes[i];
                if (a->dist != SWEEP_GRID)
                    continue;
                p->value[pt * d->n_axes + i] =
                    strdup(a->values[rest % a->n_values]);
                rest /= a->n_values;
            }
            for (size_t i = 0; i < d->n_axes; i++)
                if (d->axes[i].dist != SWEEP_GRID)
                    p->value[pt * d->n_axes + i] = draw(&d->axes[i], &r);
            for (size_t i = 0; i < d->n_axes; i++)
                if (!p->value[pt * d->n_axes + i]) {
                    sweep_points_free(p);
                    return bp_error_set(err, BP_ENOMEM, "out of memory");
                }
        }
    }
    return 0;
}

void sweep_points_free(struct sweep_points *p)
{
    for (size_t i = 0; p->value && i < p->n_points * p->n_axes; i++)
        free(p->value[i]);
    free(p->value);
    memset(p, 0, sizeof *p);
}

/* ---- runs ---- */

static size_t folds_of(const struct sweep_def *d)
{
    return d->folds ? d->folds : 1;
}

size_t sweep_run_count(const struct sweep_def *d,
                       const struct sweep_points *p)
{
    return p->n_points * d->repeat * folds_of(d);
}

void sweep_run_position(const struct sweep_def *d, size_t run,
                        size_t *point, size_t *repeat, size_t *fold)
{
    size_t f = folds_of(d);
    *fold = run % f;
    *repeat = run / f % d->repeat;
    *point = run / f / d->repeat;
}

void sweep_run_name(const struct sweep_def *d, size_t run, char *dst,
                    size_t cap)
{
    size_t point, repeat, fold;
    sweep_run_position(d, run, &point, &repeat, &fold);
    int o = snprintf(dst, cap, "p%03zu", point);
    if (d->repeat > 1 && o >= 0 && (size_t)o < cap)
        o += snprintf(dst + o, cap - (size_t)o, "-r%zu", repeat);
    if (d->folds && o >= 0 && (size_t)o < cap)
        snprintf(dst + o, cap - (size_t)o, "-f%zu", fold);
}

static int add_ov(struct config_override *ov, size_t *n, const char *key,
                  const char *json, const char *option)
{
    char *k = strdup(key), *j = strdup(json);
    if (!k || !j) {
        free(k);
        free(j);
        return -1;
    }
    ov[*n].key = k;
    ov[*n].json = j;
    ov[*n].option = option;
    (*n)++;
    return 0;
}

int sweep_run_overrides(const struct sweep_def *d,
                        const struct sweep_points *p, size_t run,
                        const struct config *base,
                        struct config_override **ov, size_t *n,
                        struct bp_error *err)
{
    size_t point, repeat, fold;
    sweep_run_position(d, run, &point, &repeat, &fold);
    *n = 0;
    *ov = calloc(d->n_axes + 5, sizeof **ov);
    if (!*ov)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    char buf[96];
    int bad = 0;
    for (size_t i = 0; i < d->n_axes && !bad; i++)
        bad = add_ov(*ov, n, d->axes[i].key,
                     p->value[point * d->n_axes + i],
                     d->axes[i].dist == SWEEP_GRID ? "--grid" : "--range");
    if (repeat > 0 && !bad) {
        snprintf(buf, sizeof buf, "%llu",
                 (unsigned long long)(base->init_seed + repeat));
        bad = add_ov(*ov, n, "init.seed", buf, "--repeat");
        snprintf(buf, sizeof buf, "%llu",
                 (unsigned long long)(base->training.seed + repeat));
        bad = bad || add_ov(*ov, n, "training.seed", buf, "--repeat");
    }
    if (d->folds && !bad) {
        snprintf(buf, sizeof buf, "{\"folds\": %zu, \"fold\": %zu}", d->folds,
                 fold);
        bad = add_ov(*ov, n, "data.validation", "null", "--folds") ||
              add_ov(*ov, n, "data.validation_split", "0", "--folds") ||
              add_ov(*ov, n, "data.cross_validation", buf, "--folds");
    }
    if (bad) {
        sweep_overrides_free(*ov, *n);
        *ov = NULL;
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    }
    return 0;
}

void sweep_overrides_free(struct config_override *ov, size_t n)
{
    for (size_t i = 0; ov && i < n; i++) {
        free((char *)ov[i].key);
        free((char *)ov[i].json);
    }
    free(ov);
}

char *sweep_definition(const struct sweep_def *d, const char *config_text,
                       size_t config_len, struct bp_error *err)
{
    static const char *const dist_names[] = {"grid", "uniform", "loguniform",
                                             "int", "choice"};
    struct json_writer w;
    char *config = strndup(config_text, config_len);
    if (!config) {
        bp_error_set(err, BP_ENOMEM, "out of memory");
        return NULL;
    }
    json_writer_init(&w, false);
    json_begin_object(&w);
    json_key(&w, "format");
    json_string(&w, "backprop.sweep/1");
    json_key(&w, "config");
    json_string(&w, config);
    json_key(&w, "axes");
    json_begin_array(&w, true);
    for (size_t i = 0; i < d->n_axes; i++) {
        const struct sweep_axis *a = &d->axes[i];
        json_begin_object(&w);
        json_key(&w, "key");
        json_string(&w, a->key);
        json_key(&w, "dist");
        json_string(&w, dist_names[a->dist]);
        if (a->dist == SWEEP_GRID || a->dist == SWEEP_CHOICE) {
            json_key(&w, "values");
            json_begin_array(&w, false);
            for (size_t k = 0; k < a->n_values; k++)
                json_string(&w, a->values[k]);
            json_end_array(&w);
        } else {
            json_key(&w, "low");
            json_double(&w, a->lo);
            json_key(&w, "high");
            json_double(&w, a->hi);
        }
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "random");
    json_size(&w, d->random);
    json_key(&w, "repeat");
    json_size(&w, d->repeat);
    json_key(&w, "folds");
    json_size(&w, d->folds);
    json_end_object(&w);
    free(config);
    size_t len;
    return json_writer_finish(&w, &len, err);
}

/* ---- results ---- */

static const char *const metric_names[] = {"train_loss", "validation_loss",
                                           "validation_accuracy"};

const char *sweep_metric_name(enum sweep_metric m)
{
    return m < SWEEP_METRICS ? metric_names[m] : NULL;
}

int sweep_metric_parse(const char *name)
{
    for (int m = 0; m < SWEEP_METRICS; m++)
        if (strcmp(name, metric_names[m]) == 0)
            return m;
    return -1;
}

/* Sorts best first: the key is the mean for a loss, minus the mean for
 * an accuracy, and a point with no result goes last. */
static double sort_key(enum sweep_metric m, double mean)
{
    if (isnan(mean))
        return INFINITY;
    return m == SWEEP_VALIDATION_ACCURACY ? -mean : mean;
}

static int cmp_summary(const void *x, const void *y)
{
    const struct sweep_summary *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->point > b->point) - (a->point < b->point);
}

int sweep_summarize(const struct sweep_def *d, const struct sweep_points *p,
                    const struct sweep_result *results, enum sweep_metric m,
                    struct sweep_summary **out, size_t *n,
                    struct bp_error *err)
{
    struct sweep_summary *s = calloc(p->n_points ? p->n_points : 1,
                                     sizeof *s);
    if (!s)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    size_t runs = sweep_run_count(d, p);
    for (size_t pt = 0; pt < p->n_points; pt++) {
        double sum = 0, fin = 0;
        size_t k = 0, kf = 0;
        s[pt].point = pt;
        /* Two passes (the mean, then the spread around it), each over
         * the point's finished runs in run order. */
        for (int pass = 0; pass < 2; pass++) {
            double var = 0;
            for (size_t r = 0; r < runs; r++) {
                size_t point, repeat, fold;
                sweep_run_position(d, r, &point, &repeat, &fold);
                const struct sweep_result *res = &results[r];
                if (point != pt || !res->done || res->status != 0)
                    continue;
                double v = res->best[m];
                if (pass == 1) {
                    if (!isnan(v))
                        var += (v - s[pt].mean) * (v - s[pt].mean);
                    continue;
                }
                if (!isnan(v)) {
                    sum += v;
                    k++;
                }
                if (!isnan(res->final[m])) {
                    fin += res->final[m];
                    kf++;
                }
            }
            if (pass == 0) {
                s[pt].runs = k;
                s[pt].mean = k ? sum / (double)k : NAN;
                s[pt].final_mean = kf ? fin / (double)kf : NAN;
            } else {
                s[pt].std = k ? sqrt(var / (double)k) : NAN;
            }
        }
        s[pt].key = sort_key(m, s[pt].mean);
    }
    qsort(s, p->n_points, sizeof *s, cmp_summary);
    *out = s;
    *n = p->n_points;
    return 0;
}
