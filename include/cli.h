/*
 * cli: the commands. Each takes the words after its name, writes data to
 * stdout and human messages to stderr, and returns 0 or -1 with err filled;
 * main() prints the error and maps it to the exit status (bp_error.h).
 */
#ifndef CLI_H
#define CLI_H

#include "bp_error.h"

#define BACKPROP_VERSION "0.1.0"

int cmd_train(int argc, char **argv, struct bp_error *err);
int cmd_predict(int argc, char **argv, struct bp_error *err);
int cmd_eval(int argc, char **argv, struct bp_error *err);
int cmd_gradcheck(int argc, char **argv, struct bp_error *err);
int cmd_info(int argc, char **argv, struct bp_error *err);

/* Prints a command's help (to stdout); 0, or -1 for an unknown command. */
int cli_help(const char *command);

#endif
