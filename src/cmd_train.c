/*
 * backprop train CONFIG [options]: train a network, write its weights.
 * This file is the command line; the run itself (checks, data, epochs,
 * signals, several ranks) is run.h's, shared with `backprop sweep`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "config.h"
#include "json_writer.h"
#include "run.h"
#include "trainer.h"

enum {
    OPT_OUTPUT = 1, OPT_DATA, OPT_VALIDATION, OPT_EPOCHS, OPT_BATCH_SIZE,
    OPT_LEARNING_RATE, OPT_SEED, OPT_THREADS, OPT_SET, OPT_LOG, OPT_QUIET,
    OPT_CHECKPOINT_EVERY, OPT_RESET_STATE, OPT_FORCE, OPT_HELP
};

static const struct option_spec train_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the weights to FILE (- for stdout; default: the config's "
     "\"output\", else stdout; a weights file as CONFIG: itself)"},
    {OPT_DATA, "data", 0, "FILE", "training CSV (- for stdin)"},
    {OPT_VALIDATION, "validation", 0, "FILE",
     "validation CSV, scored every epoch"},
    {OPT_EPOCHS, "epochs", 0, "N", "total epochs (training.epochs)"},
    {OPT_BATCH_SIZE, "batch-size", 0, "N",
     "samples per step (training.batch_size)"},
    {OPT_LEARNING_RATE, "learning-rate", 0, "X",
     "initial learning rate (training.learning_rate)"},
    {OPT_SEED, "seed", 0, "N", "seed of initialisation and shuffling"},
    {OPT_THREADS, "threads", 0, "N", "OpenMP threads (a step takes them when faster than one)"},
    {OPT_SET, "set", 0, "KEY=VALUE",
     "set any config key by dotted path (training.momentum=0.9)"},
    {OPT_LOG, "log", 0, "FILE", "one JSON object per epoch to FILE (- for "
     "stdout)"},
    {OPT_QUIET, "quiet", 'q', NULL, "no progress messages"},
    {OPT_CHECKPOINT_EVERY, "checkpoint-every", 0, "N",
     "also write the weights every N epochs"},
    {OPT_RESET_STATE, "reset-state", 0, NULL,
     "start from a weights file's weights with no epochs done and no "
     "optimizer state (momentum, moments, step count, plateau)"},
    {OPT_FORCE, "force", 0, NULL,
     "replace -o or --log even when it is not a file backprop wrote"},
    {OPT_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL}};

struct train_args {
    const char *config;
    const char *output;
    const char *data;
    const char *validation;
    const char *log;
    bool quiet;
    bool force;     /* replace files backprop did not write */
    bool reset_state;
    size_t checkpoint_every;
    size_t threads; /* 0: OpenMP's default */
    struct config_override *overrides;
    char **owned;   /* each override's key and value, in one block */
    size_t n_overrides;
    bool help;
};

static void print_train_help(void)
{
    printf("usage: backprop train CONFIG [options]\n\n"
           "Trains the network CONFIG describes on its data and writes the\n"
           "weights as JSON. CONFIG may be a weights file: training then\n"
           "continues from its state up to training.epochs in total.\n\n"
           "options (each overrides the config):\n");
    args_print_options(train_options, stdout);
    printf("\ndefault threads here: %d (OMP_NUM_THREADS, else the cores)\n"
           "Each training step runs on that many threads or on one, whichever\n"
           "the run's own steps measure faster (timed at the start and again\n"
           "every few seconds); the weights are the same either way.\n"
           "BACKPROP_TEAM=always in the environment puts every step on them.\n",
           trainer_default_threads());
}

static void free_train_args(struct train_args *ta)
{
    for (size_t i = 0; i < ta->n_overrides; i++)
        free(ta->owned[i]);
    free(ta->owned);
    free(ta->overrides);
}

static int add_override(struct train_args *ta, const char *key,
                        const char *json, const char *option,
                        struct bp_error *err)
{
    size_t k = strlen(key) + 1, j = strlen(json) + 1;
    char *owned = malloc(k + j);
    if (!owned)
        return bp_error_set(err, BP_ENOMEM, "out of memory");
    memcpy(owned, key, k);
    memcpy(owned + k, json, j);
    ta->owned[ta->n_overrides] = owned;
    ta->overrides[ta->n_overrides] =
        (struct config_override){owned, owned + k, option};
    ta->n_overrides++;
    return 0;
}

/* An option's number, parsed (so that its errors name the option), goes
 * to the config as JSON: "+5" and "010" are whole numbers to the option
 * parser but not JSON, which would take them as strings. */
static int add_whole(struct train_args *ta, const char *key, size_t n,
                     const char *option, struct bp_error *err)
{
    char json[32];
    snprintf(json, sizeof json, "%zu", n);
    return add_override(ta, key, json, option, err);
}

static int parse_train_args(struct train_args *ta, int argc, char **argv,
                            struct bp_error *err)
{
    memset(ta, 0, sizeof *ta);
    /* Each word adds at most one override, --seed two. */
    size_t cap = 2 * (size_t)argc + 1;
    ta->overrides = calloc(cap, sizeof *ta->overrides);
    ta->owned = calloc(cap, sizeof *ta->owned);
    if (!ta->overrides || !ta->owned)
        return bp_error_set(err, BP_ENOMEM, "out of memory");

    struct args a = {argc, argv, 0, false};
    const char *value;
    size_t n;
    double x;
    for (;;) {
        int id = args_next(&a, train_options, &value, err);
        switch (id) {
        case ARGS_END:
            if (!ta->config && !ta->help)
                return bp_error_set(err, BP_EUSAGE,
                                    "train: missing CONFIG (see backprop "
                                    "help train)");
            return 0;
        case ARGS_ERROR:
            return bp_error_prefix(err, "train");
        case ARGS_OPERAND:
            if (ta->config)
                return bp_error_set(err, BP_EUSAGE,
                                    "train: unexpected argument \"%s\" (the "
                                    "data goes in --data)",
                                    value);
            ta->config = value;
            break;
        case OPT_OUTPUT: ta->output = value; break;
        case OPT_DATA: ta->data = value; break;
        case OPT_VALIDATION: ta->validation = value; break;
        case OPT_LOG: ta->log = value; break;
        case OPT_QUIET: ta->quiet = true; break;
        case OPT_RESET_STATE: ta->reset_state = true; break;
        case OPT_FORCE: ta->force = true; break;
        case OPT_HELP: ta->help = true; break;
        case OPT_EPOCHS:
            if (args_size("--epochs", value, 0, (size_t)1 << 40, &n, err) < 0 ||
                add_whole(ta, "training.epochs", n, "--epochs", err) < 0)
                return -1;
            break;
        case OPT_BATCH_SIZE:
            if (args_size("--batch-size", value, 1, (size_t)1 << 40, &n,
                          err) < 0 ||
                add_whole(ta, "training.batch_size", n, "--batch-size", err) < 0)
                return -1;
            break;
        case OPT_LEARNING_RATE: {
            char json[32];
            if (args_double("--learning-rate", value, &x, err) < 0)
                return -1;
            json_format_double(json, sizeof json, x);
            if (add_override(ta, "training.learning_rate", json,
                             "--learning-rate", err) < 0)
                return -1;
            break;
        }
        case OPT_SEED:
            if (args_size("--seed", value, 0, (size_t)1 << 53, &n, err) < 0 ||
                add_whole(ta, "training.seed", n, "--seed", err) < 0 ||
                add_whole(ta, "init.seed", n, "--seed", err) < 0)
                return -1;
            break;
        case OPT_THREADS:
            if (args_size("--threads", value, 1, 1024, &ta->threads, err) < 0)
                return -1;
            break;
        case OPT_CHECKPOINT_EVERY:
            if (args_size("--checkpoint-every", value, 1, (size_t)1 << 40,
                          &ta->checkpoint_every, err) < 0)
                return -1;
            break;
        case OPT_SET: {
            const char *eq = strchr(value, '=');
            if (!eq || eq == value)
                return bp_error_set(err, BP_EUSAGE,
                                    "--set: expected KEY=VALUE, got \"%s\"",
                                    value);
            char *key = strndup(value, (size_t)(eq - value));
            if (!key)
                return bp_error_set(err, BP_ENOMEM, "out of memory");
            int rc = add_override(ta, key, eq + 1, NULL, err);
            free(key);
            if (rc < 0)
                return -1;
            break;
        }
        }
    }
}

int cmd_train(int argc, char **argv, struct bp_error *err)
{
    struct train_args ta;
    int parsed = parse_train_args(&ta, argc, argv, err);
    struct run_request rq = {
        .config = ta.config,
        .output = ta.output,
        .data = ta.data,
        .validation = ta.validation,
        .log = ta.log,
        .quiet = ta.quiet,
        .force = ta.force,
        .reset_state = ta.reset_state,
        .checkpoint_every = ta.checkpoint_every,
        .threads = ta.threads,
        .overrides = ta.overrides,
        .n_overrides = ta.n_overrides,
        .help = ta.help,
    };
    int rc = run_train_command(parsed, &rq, print_train_help, err);
    free_train_args(&ta);
    return rc;
}
