/*
 * libFuzzer target: the weights file, read and written back.
 *
 * Input: a weights file (or any config). It is parsed with
 * config_parse_buffer; when that succeeds, the network is built and
 * written with weights_to_json (text A), A is parsed again and written
 * again (text B). Oracles:
 *   - no sanitizer report;
 *   - what the writer writes, the reader reads: A loads without error;
 *   - the text is canonical (weights.h): B is byte-identical to A;
 *   - a failed load leaves *cfg zeroed and sets a one-line message.
 * Networks above FUZZ_MAX_PARAMS parameters are skipped after the first
 * load: a valid 10^8-parameter file says nothing new and takes seconds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_common.h"
#include "network.h"
#include "weights.h"

#define NAME "fuzz.weights.json"
#define FUZZ_MAX_PARAMS ((size_t)1 << 16)

/* Loads text and writes it back; returns the new text or NULL when the
 * text does not load. */
static char *rewrite(const char *text, size_t len, size_t *out_len,
                     struct bp_error *err)
{
    struct config cfg;
    struct network net;
    static const struct config zero;
    memset(err, 0, sizeof *err);
    if (config_parse_buffer(&cfg, NAME, text, len, NULL, 0, err) != 0) {
        FUZZ_CHECK(memcmp(&cfg, &zero, sizeof cfg) == 0,
                   "a failed load left *cfg filled");
        fuzz_check_error(err);
        return NULL;
    }
    if (config_param_count(&cfg) > FUZZ_MAX_PARAMS) {
        config_free(&cfg);
        return NULL;
    }
    FUZZ_CHECK(network_create(&net, &cfg, err) == 0, "network_create: %s",
               err->msg);
    char *out = weights_to_json(&cfg, &net, &cfg.normalization, &cfg.state,
                                &cfg.metrics, "-", out_len, err);
    FUZZ_CHECK(out != NULL, "weights_to_json: %s", err->msg);
    network_free(&net);
    config_free(&cfg);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bp_error err;
    size_t len_a, len_b;
    char *a = rewrite((const char *)data, size, &len_a, &err);
    if (!a)
        return 0;
    char *b = rewrite(a, len_a, &len_b, &err);
    if (!b) {
        fprintf(stderr, "written text does not load back: %s\n--- text:\n%s",
                err.msg, a);
        abort();
    }
    if (len_a != len_b || memcmp(a, b, len_a) != 0) {
        fprintf(stderr, "round trip changed the text\n--- first:\n%s"
                        "--- second:\n%s", a, b);
        abort();
    }
    free(a);
    free(b);
    return 0;
}
