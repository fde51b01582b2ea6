/*
 * config_json: PRIVATE to the config module (config.c,
 * config_sections.c, config_override.c); nothing else includes it.
 * config.h is the public contract.
 *
 * Reading a parsed cJSON tree with messages that say where. A struct ctx
 * carries the file's name, the key path reached so far
 * ("layers[1].activation") and the error to fill. A check that fails sets
 * a BP_EINPUT error worded "NAME: KEY.PATH: WHAT" ("NAME: WHAT" at the
 * top level), or "OPTION KEY.PATH: WHAT" when the command line's override
 * set that key or an object holding it (`--learning-rate
 * training.learning_rate: must be > 0, got -1`), and returns -1; one that
 * passes returns 0 and leaves the key path as it found it.
 *
 * Key paths: kp_key and kp_index push a part and return a mark, kp_pop
 * goes back to it. After a failure the path may be left deeper, at the
 * key the message names: return -1 at once and pop nothing.
 *
 * Ownership: a ctx borrows its name and err. Values handed out (member,
 * require) are borrowed from the tree and live as long as it. Nothing
 * here prints.
 */
#ifndef CONFIG_JSON_H
#define CONFIG_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bp_error.h"
#include "config.h"
#include "json_floats.h"

/* Every whole number up to 2^53 is exact in a double; no count, index or
 * seed in a config needs more. */
#define WHOLE_MAX ((uint64_t)1 << 53)

/* ---- key paths for messages: "layers[1].activation" ---- */

#define KEYPATH_MAX 384

struct keypath {
    char buf[KEYPATH_MAX];
    size_t len;
};

/* Push ".key" (or "key" at the top) and "[i]"; each returns the mark to
 * pop back to. Control characters show as '?', so that a message stays
 * one line; a path longer than the buffer is cut silently. */
size_t kp_key(struct keypath *kp, const char *key);
size_t kp_index(struct keypath *kp, size_t i);
void kp_pop(struct keypath *kp, size_t mark);

/* ---- the reading context and its messages ---- */

struct ctx {
    const char *name;  /* the file, for messages */
    struct keypath kp; /* where we are in the tree */
    struct bp_error *err;
    /* The parameter arrays lifted out of the text (json_floats.h), which
     * the float readers below take in place of their "[]" nodes; NULL
     * when none. */
    const struct json_floats *lifted;
    /* The command line's overrides (config_override.h), so that a value
     * one of them set is refused in its option's name; none when n is 0. */
    const struct config_override *overrides;
    size_t n_overrides;
};

/* A BP_EINPUT error at the current key: "NAME: KEY.PATH: WHAT". Returns
 * -1. */
int bad(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "NAME: out of memory" (BP_ENOMEM). Returns -1. */
int nomem(struct ctx *x);

/* "s" for a count other than 1: "%zu row%s", n, plural(n). */
const char *plural(size_t n);

/* Room for describe()'s text, "..." and the NUL included. */
#define DESC_MAX 80

/* A short description of v for a message, written into buf: strings
 * quoted and escaped, everything else compact JSON, all cut to a few
 * dozen characters ("..."). Returns buf. */
const char *describe(const cJSON *v, char buf[DESC_MAX]);

/* ---- counting and duplicates ---- */

/* The number of items of an array or object (0 for NULL). */
size_t count_items(const cJSON *v);

/* Finds a name that appears twice among names[0..n) (object keys, class
 * names): returns 0 with *dup the index of the second occurrence that
 * comes first (SIZE_MAX: none), or -1 when out of memory. */
int find_duplicate_name(const char *const *names, size_t n, size_t *dup);

/* Looks for a key that appears twice in one object, anywhere in v.
 * cJSON keeps both and lookups see only the first, so the second would be
 * silently ignored. Returns 0 with *found (and kp pushed to the key when
 * found), or -1 when out of memory. */
int find_duplicate_key(const cJSON *v, struct keypath *kp, bool *found);

/* ---- typed access to the tree; each reports at the current key ---- */

/* An entry of an enum's name table ({"relu", ACT_RELU}, ...), which ends
 * with {NULL, 0}. */
struct name_value {
    const char *name;
    int value;
};

/* The member `key` of obj, with null counting as absent (so
 * `--set data.validation=null` removes a key). */
const cJSON *member(const cJSON *obj, const char *key);

/* Rejects keys of obj not in `allowed` (NULL-terminated), with a
 * did-you-mean. */
int check_keys(struct ctx *x, const cJSON *obj, const char *const *allowed);

/* Checks that v is an object, then its keys. */
int check_object(struct ctx *x, const cJSON *v, const char *const *allowed);

/* A whole number in [lo, hi]; a hi above WHOLE_MAX counts as WHOLE_MAX. */
int as_size(struct ctx *x, const cJSON *v, size_t lo, size_t hi,
            size_t *out);

enum real_rule {
    REAL_ANY,      /* any finite number */
    REAL_POSITIVE, /* > 0 */
    REAL_NONNEG,   /* >= 0 */
    REAL_FRACTION, /* [0, 1) */
    REAL_NONZERO   /* != 0 */
};

/* A finite number that obeys `rule`. */
int as_real(struct ctx *x, const cJSON *v, enum real_rule rule,
            double *out);

/* One of table's names, as its value; `what` names the kind in the
 * message ("unknown activation ..."). */
int as_enum(struct ctx *x, const cJSON *v, const char *what,
            const struct name_value *table, int *out);

/* The member `key`, required: "KEY.PATH.key: missing required key". */
int require(struct ctx *x, const cJSON *obj, const char *key,
            const cJSON **out);

/* Optional members: opt_size reads as as_size does, opt_seed a whole
 * number from 0 to WHOLE_MAX, opt_real as as_real, opt_bool true or
 * false, opt_enum as as_enum. Absent (or null) leaves *out as it is. */
int opt_size(struct ctx *x, const cJSON *obj, const char *key, size_t lo,
             size_t hi, size_t *out);
int opt_seed(struct ctx *x, const cJSON *obj, const char *key,
             uint64_t *out);
int opt_real(struct ctx *x, const cJSON *obj, const char *key,
             enum real_rule rule, double *out);
int opt_bool(struct ctx *x, const cJSON *obj, const char *key, bool *out);
int opt_enum(struct ctx *x, const cJSON *obj, const char *key,
             const char *what, const struct name_value *table, int *out);

/* ---- arrays of floats: weights, biases, velocities, statistics ---- */

/* v must be an array of exactly n numbers; `per` says what each is for,
 * in the count message ("one per unit"). floats_shape checks the shape
 * only; read_floats also stores the numbers into out[0..n), each finite,
 * within float range and, when `nonzero`, not 0 as a float. */
int floats_shape(struct ctx *x, const cJSON *v, size_t n, const char *per);
int read_floats(struct ctx *x, const cJSON *v, size_t n, const char *per,
                bool nonzero, float *out);

/* v must be `rows` arrays of `cols` numbers (a layer's weights: one row
 * per unit, one number per input). matrix_shape checks the shape without
 * reading the values: done before allocating, so that a short file cannot
 * make the loader allocate gigabytes for parameters it does not hold (a
 * layer of 2^24 inputs is 4 bytes of text per row of "[]", 64 MiB of
 * floats). read_matrix stores them into out, [rows][cols]. */
int matrix_shape(struct ctx *x, const cJSON *v, size_t rows, size_t cols);
int read_matrix(struct ctx *x, const cJSON *v, size_t rows, size_t cols,
                float *out);

#endif
