/*
 * weights: writing the weights file (SPEC section 4): the config,
 * completed with every layer's trained parameters, the normalization
 * statistics, the optimizer state needed for an exact resume and the last
 * metrics. It is itself a valid config, read back by config_load().
 *
 * The text is canonical: the same state always gives the same bytes, and
 * reading a file and writing it again gives it back byte for byte.
 * Floats use "%.9g" (not the shortest text that reads back: the same
 * bytes as every earlier release), which reads back bit-exactly;
 * float_text.h writes it without printf, and the reader (config.h,
 * json_floats.h) reads the parameter rows back without cJSON nodes
 * (bench/weights.sh measures both).
 */
#ifndef WEIGHTS_H
#define WEIGHTS_H

#include <stddef.h>

#include "bp_error.h"
#include "config.h"
#include "network.h"

/* The file's text (caller frees), with data paths made relative to the
 * folder of out_path ("-": the current folder) so the file still finds
 * its data when resumed from wherever it is. */
char *weights_to_json(const struct config *cfg, const struct network *net,
                      const struct normalization *nz,
                      const struct train_state *state,
                      const struct train_metrics *metrics,
                      const char *out_path, size_t *len,
                      struct bp_error *err);

/* weights_to_json, then an atomic write to out_path ("-" = stdout). */
int weights_save(const struct config *cfg, const struct network *net,
                 const struct normalization *nz,
                 const struct train_state *state,
                 const struct train_metrics *metrics, const char *out_path,
                 struct bp_error *err);

#endif
