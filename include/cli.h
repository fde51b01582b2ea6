/*
 * cli: the commands. Each takes the words after its name, writes data to
 * stdout and human messages to stderr, and returns 0 or -1 with err filled;
 * main() prints the error and maps it to the exit status (bp_error.h).
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

#include "args.h"
#include "bp_error.h"

#define BACKPROP_VERSION "0.1.0"

int cmd_train(int argc, char **argv, struct bp_error *err);
int cmd_predict(int argc, char **argv, struct bp_error *err);
int cmd_eval(int argc, char **argv, struct bp_error *err);
int cmd_gradcheck(int argc, char **argv, struct bp_error *err);
int cmd_info(int argc, char **argv, struct bp_error *err);
int cmd_plot(int argc, char **argv, struct bp_error *err);
int cmd_sweep(int argc, char **argv, struct bp_error *err);

/* Option ids every command shares, so the common helpers below find them;
 * a command's own options start at CLI_OPT_FIRST_OWN. */
enum { CLI_OPT_HELP = 1, CLI_OPT_THREADS, CLI_OPT_FIRST_OWN };

/* For NAME FILE [DATA|-]: FILE is required (`what` names it in the
 * message); DATA defaults to stdin when data_default_stdin, else NULL; and
 * both cannot be stdin. */
int cli_file_and_data(const char *command, const char *what,
                      const struct args_result *r, bool data_default_stdin,
                      const char **file, const char **data,
                      struct bp_error *err);

/* The --threads value, or OpenMP's default when not given. */
int cli_threads(const struct args_result *r, int *threads,
                struct bp_error *err);

/* For a failed step whose bad-input message names a config key but not
 * the file (the validation split, normalization statistics): puts the
 * config's name in front, as the config's own errors have it. Returns
 * -1. */
int cli_in_config(const char *config_name, struct bp_error *err);

/* Prints a command's help (to stdout); 0, or -1 for an unknown command. */
int cli_help(const char *command);

#endif
