/*
 * libFuzzer target: the config parser (config_parse_buffer, which is
 * config_load without the file read), plus command-line overrides.
 *
 * Input: JSON text, optionally followed by a NUL byte and override lines
 * "KEY=VALUE" (one per line, at most 4), as --set would pass them.
 *   1. The whole input (NUL and all) is parsed without overrides.
 *   2. The text before the NUL is parsed again with the overrides after
 *      it; without a NUL, with one override picked from a small table by
 *      the input's length, so that every seed exercises set_path too.
 * Oracles: no sanitizer report; a success fills a config within the
 * documented limits; a failure leaves *cfg zeroed and sets a one-line
 * message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_common.h"

#define MAX_OVERRIDES 4

static const char *const table_keys[] = {
    "training.epochs", "layers[0].units", "layers.1.activation",
    "data.train", "output", "training.schedule", "data", "init.seed",
    "data.classes", "state.velocity", "normalization", "layers[0]",
    "training.momentum", "data.label",
};
static const char *const table_values[] = {
    "3", "null", "x.csv", "{\"type\":\"step\",\"every\":2,\"gamma\":0.5}",
    "[\"a\",\"b\"]", "0.9", "{\"units\":2,\"activation\":\"tanh\"}",
    "1e400", "-1", "{\"train\":\"-\",\"header\":false}", "\"relu\"", "",
    "{\"mean\":[],\"std\":[]}",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_result(int rc, const struct config *cfg,
                         const struct bp_error *err)
{
    static const struct config zero;
    if (rc != 0) {
        FUZZ_CHECK(rc == -1, "rc %d", rc);
        FUZZ_CHECK(memcmp(cfg, &zero, sizeof *cfg) == 0,
                   "a failed load left *cfg filled");
        fuzz_check_error(err);
        return;
    }
    FUZZ_CHECK(cfg->input >= 1 && cfg->input <= CONFIG_MAX_UNITS, "input");
    FUZZ_CHECK(cfg->n_layers >= 1 && cfg->n_layers <= CONFIG_MAX_LAYERS,
               "n_layers %zu", cfg->n_layers);
    for (size_t l = 0; l < cfg->n_layers; l++) {
        const struct layer_config *ly = &cfg->layers[l];
        FUZZ_CHECK(ly->units >= 1 && ly->units <= CONFIG_MAX_UNITS, "units");
        FUZZ_CHECK(activation_name(ly->activation) != NULL, "activation");
        FUZZ_CHECK(!ly->weights == !ly->bias, "weights without bias");
    }
    FUZZ_CHECK(config_param_count(cfg) <= CONFIG_MAX_PARAMS, "param count");
    FUZZ_CHECK(cfg->training.batch_size >= 1, "batch size");
    FUZZ_CHECK(cfg->training.learning_rate > 0, "learning rate");
    FUZZ_CHECK(cfg->normalization.n == 0 ||
                   cfg->normalization.n == cfg->input,
               "normalization size");
    for (size_t i = 0; i < cfg->normalization.n; i++)
        FUZZ_CHECK(cfg->normalization.std[i] != 0, "zero std");
}

/* Splits "KEY=VALUE\n..." (owned copy in buf) into overrides. */
static size_t parse_overrides(char *buf, struct config_override *ov)
{
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line && n < MAX_OVERRIDES;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        ov[n].option = NULL;
        if (eq) {
            *eq = '\0';
            ov[n].key = line;
            ov[n].json = eq + 1;
        } else {
            ov[n].key = line;   /* a key without "=": a missing value */
            ov[n].json = NULL;
        }
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config cfg;
    struct bp_error err;
    const char *text = (const char *)data;

    memset(&err, 0, sizeof err);
    int rc = config_parse_buffer(&cfg, "fuzz/config.json", text, size, NULL,
                                 0, &err);
    check_result(rc, &cfg, &err);
    config_free(&cfg);

    const char *nul = memchr(text, '\0', size);
    size_t json_len = nul ? (size_t)(nul - text) : size;
    struct config_override ov[MAX_OVERRIDES];
    size_t n_ov;
    char *spec = NULL;
    if (nul) {
        size_t spec_len = size - json_len - 1;
        spec = malloc(spec_len + 1);
        if (!spec)
            return 0;
        memcpy(spec, nul + 1, spec_len);
        spec[spec_len] = '\0';
        n_ov = parse_overrides(spec, ov);
    } else {
        ov[0].key = table_keys[size % COUNT(table_keys)];
        ov[0].json = table_values[(size / COUNT(table_keys)) %
                                  COUNT(table_values)];
        ov[0].option = NULL;
        n_ov = 1;
    }
    memset(&err, 0, sizeof err);
    rc = config_parse_buffer(&cfg, "-", text, json_len, ov, n_ov, &err);
    check_result(rc, &cfg, &err);
    config_free(&cfg);
    free(spec);
    return 0;
}
