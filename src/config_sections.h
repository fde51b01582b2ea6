/*
 * config_sections: PRIVATE to the config module; only config.c includes
 * it. config.h is the public contract.
 *
 * What every key of the config / weights file means (SPEC sections 3 and
 * 4): the keys each section allows, their types, ranges and defaults, and
 * the checks between sections (a softmax only on the last layer, the loss
 * that fits it, class names only for class targets).
 */
#ifndef CONFIG_SECTIONS_H
#define CONFIG_SECTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "config.h"
#include "config_json.h"

/* Where relative paths resolve: the config's folder, except for values
 * that came from the command line (--set, --data), which the user typed
 * relative to the current folder. */
struct path_origin {
    bool train_cli, validation_cli, output_cli;
};

/* Validates every key of root (a JSON object, its overrides applied) into
 * *c, whose path, name and dir are already set; relative paths resolve
 * against c->dir except where po says otherwise. Returns 0, or -1 with
 * x->err set, the message at the offending key; on failure *c may hold
 * part of what was read, which config_free() releases. */
int load_sections(struct ctx *x, const cJSON *root, struct config *c,
                  const struct path_origin *po);

#endif
