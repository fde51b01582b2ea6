/*
 * json_floats: a weights file's parameter arrays read straight from the
 * JSON text into floats, so that cJSON, which would build a 64-byte node
 * and call strtod for each of millions of numbers, parses only the rest.
 *
 * The arrays lifted are the parameter rows: an array that is the value of
 * a "bias" key, or an element of the value of a "weights" key, inside the
 * top-level "layers" or "state" (the layers' parameters, the optimizer's
 * buffers, an early-stopping record), when it is non-empty and every item
 * is a number within float range. Anything else (a string in a row, 1e39,
 * an empty row) stays in the text for cJSON and the config reader, whose
 * messages are the contract; a file whose keys use escapes ("bi\u0061s")
 * is left whole, so that the text and the tree always agree on the keys.
 *
 * Call order, in the config reader:
 *   1. jsonscan_check(text) passes (the lifting trusts the syntax);
 *   2. json_floats_lift(text): each lifted array becomes "[]" in the text,
 *      which shrinks in place (no copy);
 *   3. cJSON parses the text; json_floats_attach(lifted, root) finds the
 *      "[]" nodes that stand for lifted arrays, in document order;
 *   4. json_floats_of(lifted, node) gives a node's floats, while the tree
 *      is read; json_floats_free at the end.
 *
 * Numbers are read with float_text.h: the float strtof gives, never
 * through a double. Ownership: the lifted floats belong to the struct;
 * nodes are borrowed from the tree (attach tags them through valueint,
 * which cJSON leaves unused on arrays). No I/O, no global state.
 */
#ifndef JSON_FLOATS_H
#define JSON_FLOATS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "bp_error.h"

struct json_floats;

/* Lifts the parameter arrays out of text[0..*len) (text[*len] == '\0'),
 * rewriting it in place and updating *len. *out is NULL when nothing was
 * lifted (the text is then unchanged). -1 only when out of memory
 * (BP_ENOMEM, `name` the file), with the text unchanged. */
int json_floats_lift(char *text, size_t *len, const char *name,
                     struct json_floats **out, struct bp_error *err);

/* Ties the lifted arrays to the nodes cJSON built from the lifted text.
 * -1 (BP_EINTERNAL) when the tree does not match the text: a bug. */
int json_floats_attach(struct json_floats *jf, cJSON *root,
                       struct bp_error *err);

/* The floats of a node that stands for a lifted array, with *n their
 * count; NULL for any other node, and when jf is NULL. */
const float *json_floats_of(const struct json_floats *jf, const cJSON *node,
                            size_t *n);

/* Accepts NULL. */
void json_floats_free(struct json_floats *jf);

#endif
