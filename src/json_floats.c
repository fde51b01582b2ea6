/*
 * json_floats: see json_floats.h.
 *
 * Two walks find the same arrays: one over the text (lift), one over the
 * tree cJSON builds from the lifted text (attach). Both apply one rule,
 * `parameter_row`, to the same structure in the same (document) order,
 * and count every array the rule selects, lifted or not; the k-th such
 * node of the tree is the k-th array of the text.
 */
#include "json_floats.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "float_text.h"

/* What a value is to its parent, for the rule. */
enum role {
    ROLE_OTHER,
    ROLE_BIAS,        /* the value of a "bias" key */
    ROLE_WEIGHTS,     /* the value of a "weights" key */
    ROLE_WEIGHTS_ROW, /* an element of a ROLE_WEIGHTS array */
};

/* One array the rule selects. */
struct row {
    bool lifted;
    size_t start, end; /* its text, '[' to past ']' (lifted only) */
    size_t first, n;   /* its floats: pool[first..first + n) */
    const cJSON *node; /* the "[]" standing for it (attach) */
};

struct json_floats {
    float *pool;
    size_t n_pool, cap_pool;
    struct row *rows;
    size_t n_rows, cap_rows;
};

/* Whether a value with this role, inside or outside the top-level
 * "layers" and "state", is a parameter row when it is an array. */
static bool parameter_row(enum role role, bool in_params)
{
    return in_params && (role == ROLE_BIAS || role == ROLE_WEIGHTS_ROW);
}

static enum role role_of_key(const char *key, size_t n)
{
    if (n == 4 && memcmp(key, "bias", 4) == 0)
        return ROLE_BIAS;
    if (n == 7 && memcmp(key, "weights", 7) == 0)
        return ROLE_WEIGHTS;
    return ROLE_OTHER;
}

static bool params_key(const char *key, size_t n)
{
    return (n == 6 && memcmp(key, "layers", 6) == 0) ||
           (n == 5 && memcmp(key, "state", 5) == 0);
}

static enum role element_role(enum role parent)
{
    return parent == ROLE_WEIGHTS ? ROLE_WEIGHTS_ROW : ROLE_OTHER;
}

/* ---- growing arrays ---- */

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 64;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2 / size)
            return false;
        cap2 *= 2;
    }
    void *q = realloc(*p, cap2 * size);
    if (!q)
        return false;
    *p = q;
    *cap = cap2;
    return true;
}

/* ---- the walk over the text ---- */

struct lifter {
    const char *s;
    size_t len, pos;
    struct json_floats *jf;
    bool nomem;
    bool escaped_key; /* a key with a backslash: lift nothing */
};

static void skip_space(struct lifter *L)
{
    while (L->pos < L->len) {
        char c = L->s[L->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        L->pos++;
    }
}

/* Past a string (at its opening quote); jsonscan checked it ends. */
static void skip_string(struct lifter *L)
{
    L->pos++;
    while (L->pos < L->len && L->s[L->pos] != '"')
        L->pos += L->s[L->pos] == '\\' ? 2 : 1;
    L->pos++;
}

static bool is_delimiter(char c)
{
    return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r';
}

/* Past a number, true, false or null. */
static void skip_scalar(struct lifter *L)
{
    while (L->pos < L->len && !is_delimiter(L->s[L->pos]))
        L->pos++;
}

/* Reads the array at L->pos into the pool when every item is a number
 * within float range; else leaves the pool and L->pos as they were. */
static bool lift_numbers(struct lifter *L, struct row *r)
{
    struct json_floats *jf = L->jf;
    size_t start = L->pos, first = jf->n_pool;
    L->pos++; /* '[' */
    for (;;) {
        skip_space(L);
        if (L->pos >= L->len)
            break;
        char c = L->s[L->pos];
        if (c != '-' && (c < '0' || c > '9'))
            break; /* not a number (or an empty array) */
        size_t at = L->pos;
        skip_scalar(L);
        if (!grow((void **)&jf->pool, &jf->cap_pool, jf->n_pool + 1,
                  sizeof *jf->pool)) {
            L->nomem = true;
            break;
        }
        if (float_from_text(L->s + at, L->pos - at, &jf->pool[jf->n_pool]))
            break; /* out of float range: the reader says so */
        jf->n_pool++;
        skip_space(L);
        if (L->pos < L->len && L->s[L->pos] == ',') {
            L->pos++;
            continue;
        }
        if (L->pos < L->len && L->s[L->pos] == ']') {
            L->pos++;
            r->lifted = true;
            r->start = start;
            r->end = L->pos;
            r->first = first;
            r->n = jf->n_pool - first;
            return true;
        }
        break;
    }
    jf->n_pool = first;
    L->pos = start;
    return false;
}

static void walk_value(struct lifter *L, enum role role, bool in_params,
                       bool top);

static void walk_object(struct lifter *L, bool in_params, bool top)
{
    L->pos++; /* '{' */
    for (;;) {
        skip_space(L);
        if (L->pos >= L->len || L->s[L->pos] == '}')
            break;
        size_t key = L->pos + 1;
        skip_string(L);
        size_t key_len = L->pos - 1 - key;
        if (memchr(L->s + key, '\\', key_len))
            L->escaped_key = true;
        skip_space(L);
        L->pos++; /* ':' */
        walk_value(L, role_of_key(L->s + key, key_len),
                   in_params || (top && params_key(L->s + key, key_len)),
                   false);
        skip_space(L);
        if (L->pos < L->len && L->s[L->pos] == ',')
            L->pos++;
    }
    L->pos++; /* '}' */
}

static void walk_array(struct lifter *L, enum role role, bool in_params)
{
    if (parameter_row(role, in_params)) {
        struct json_floats *jf = L->jf;
        if (!grow((void **)&jf->rows, &jf->cap_rows, jf->n_rows + 1,
                  sizeof *jf->rows)) {
            L->nomem = true;
            L->pos = L->len;
            return;
        }
        struct row *r = &jf->rows[jf->n_rows++];
        memset(r, 0, sizeof *r);
        if (lift_numbers(L, r))
            return;
    }
    L->pos++; /* '[' */
    for (;;) {
        skip_space(L);
        if (L->pos >= L->len || L->s[L->pos] == ']')
            break;
        walk_value(L, element_role(role), in_params, false);
        skip_space(L);
        if (L->pos < L->len && L->s[L->pos] == ',')
            L->pos++;
    }
    L->pos++; /* ']' */
}

static void walk_value(struct lifter *L, enum role role, bool in_params,
                       bool top)
{
    skip_space(L);
    if (L->pos >= L->len || L->nomem)
        return;
    switch (L->s[L->pos]) {
    case '{': walk_object(L, in_params, top); break;
    case '[': walk_array(L, role, in_params); break;
    case '"': skip_string(L); break;
    default: skip_scalar(L);
    }
}

/* Moves the text between lifted arrays down over them, each replaced by
 * "[]"; the rows' spans then no longer apply. */
static size_t compact(char *text, size_t len, const struct json_floats *jf)
{
    size_t w = 0, from = 0;
    for (size_t i = 0; i < jf->n_rows; i++) {
        const struct row *r = &jf->rows[i];
        if (!r->lifted)
            continue;
        memmove(text + w, text + from, r->start - from);
        w += r->start - from;
        text[w++] = '[';
        text[w++] = ']';
        from = r->end;
    }
    memmove(text + w, text + from, len - from);
    w += len - from;
    text[w] = '\0';
    return w;
}

void json_floats_free(struct json_floats *jf)
{
    if (!jf)
        return;
    free(jf->pool);
    free(jf->rows);
    free(jf);
}

int json_floats_lift(char *text, size_t *len, const char *name,
                     struct json_floats **out, struct bp_error *err)
{
    *out = NULL;
    struct json_floats *jf = calloc(1, sizeof *jf);
    if (!jf)
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", name);
    struct lifter L = {text, *len, 0, jf, false, false};
    if (*len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        L.pos = 3; /* a byte-order mark, as jsonscan allows */
    walk_value(&L, ROLE_OTHER, false, true);
    if (L.nomem) {
        json_floats_free(jf);
        return bp_error_set(err, BP_ENOMEM, "%s: out of memory", name);
    }
    size_t lifted = 0;
    for (size_t i = 0; i < jf->n_rows; i++)
        lifted += jf->rows[i].lifted;
    /* attach tags nodes with an int; no real file comes near the limit */
    if (L.escaped_key || lifted == 0 || jf->n_rows >= INT_MAX) {
        json_floats_free(jf);
        return 0;
    }
    *len = compact(text, *len, jf);
    *out = jf;
    return 0;
}

/* ---- the walk over the tree ---- */

struct attacher {
    struct json_floats *jf;
    size_t next; /* rows seen so far */
    bool mismatch;
};

static void attach_value(struct attacher *A, cJSON *v, enum role role,
                         bool in_params, bool top)
{
    if (cJSON_IsArray(v) && parameter_row(role, in_params)) {
        size_t k = A->next++;
        if (k >= A->jf->n_rows) {
            A->mismatch = true;
            return;
        }
        struct row *r = &A->jf->rows[k];
        if (r->lifted) {
            if (v->child) {
                A->mismatch = true;
                return;
            }
            r->node = v;
            v->valueint = (int)(k + 1);
            return;
        }
    }
    if (cJSON_IsObject(v)) {
        for (cJSON *c = v->child; c; c = c->next) {
            size_t n = c->string ? strlen(c->string) : 0;
            const char *key = c->string ? c->string : "";
            attach_value(A, c, role_of_key(key, n),
                         in_params || (top && params_key(key, n)), false);
        }
    } else if (cJSON_IsArray(v)) {
        for (cJSON *c = v->child; c; c = c->next)
            attach_value(A, c, element_role(role), in_params, false);
    }
}

int json_floats_attach(struct json_floats *jf, cJSON *root,
                       struct bp_error *err)
{
    if (!jf)
        return 0;
    struct attacher A = {jf, 0, false};
    attach_value(&A, root, ROLE_OTHER, false, true);
    if (A.mismatch || A.next != jf->n_rows)
        return bp_error_set(err, BP_EINTERNAL,
                            "json_floats: the tree does not match the "
                            "lifted text (%zu of %zu rows)",
                            A.next, jf->n_rows);
    return 0;
}

const float *json_floats_of(const struct json_floats *jf, const cJSON *node,
                            size_t *n)
{
    if (!jf || !node || !cJSON_IsArray(node) || node->child ||
        node->valueint <= 0 || (size_t)node->valueint > jf->n_rows)
        return NULL;
    const struct row *r = &jf->rows[node->valueint - 1];
    if (!r->lifted || r->node != node)
        return NULL;
    *n = r->n;
    return jf->pool + r->first;
}
