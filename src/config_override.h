/*
 * config_override: PRIVATE to the config module; only config.c and
 * config_json.c include it. config.h is the public contract (struct
 * config_override).
 *
 * The command line's --set KEY=VALUE overrides, applied to the parsed
 * tree before it is validated, so that an overridden value is checked
 * like the rest of the file and its errors name the key.
 */
#ifndef CONFIG_OVERRIDE_H
#define CONFIG_OVERRIDE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "bp_error.h"
#include "config.h"

struct path_origin; /* config_sections.h */

/* Puts ov[0..n) into root in order, a later one replacing what an earlier
 * one set. Marks in *po the paths (data.train, data.validation, output)
 * an override set, itself or through a parent ("data"): those resolve
 * against the current folder. Returns 0, or -1 with err set: BP_EUSAGE
 * "--set KEY: WHAT" for an empty or malformed key, a path the tree cannot
 * take (an index out of range, a number where an object is), a missing
 * value or one with a duplicate key; BP_ENOMEM. */
int apply_overrides(cJSON *root, const struct config_override *ov, size_t n,
                    struct path_origin *po, struct bp_error *err);

/* The option behind the value at keypath ("layers[0].activation", as
 * key paths are written in messages): that of the latest of ov[0..n)
 * whose key is keypath or an object holding it ("layers.0" and
 * "layers[0]" alike), "--set" when it names none; NULL when no override
 * set it. */
const char *override_option(const struct config_override *ov, size_t n,
                            const char *keypath);

#endif
