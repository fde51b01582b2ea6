/*
 * config_override: PRIVATE to the config module; only config.c includes
 * it. config.h is the public contract (struct config_override).
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

/* After a config named `name` was refused with "NAME: KEY: WHAT": when
 * KEY (or the object holding it) is one an override set, the message
 * names the option the value came from instead of the file, "OPTION KEY:
 * WHAT" (`--learning-rate training.learning_rate: must be > 0, got -1`),
 * as apply_overrides' own messages do. The latest such override wins, as
 * its value does. Other messages stay as they are. */
void blame_override(struct bp_error *err, const char *name,
                    const struct config_override *ov, size_t n);

#endif
