/*
 * args: strict command-line parsing for the commands. Options are
 * "--name VALUE", "--name=VALUE", "-x VALUE" or a bare flag; "--" ends the
 * options; "-" alone is an operand (standard input or output). Numbers are
 * checked whole: no empty value, no trailing garbage, no overflow. The
 * value of an option whose value_name is "FILE" is never empty.
 * Errors are BP_EUSAGE, naming the option.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bp_error.h"

struct option_spec {
    int id;                 /* > 0, returned by args_next */
    const char *long_name;  /* without "--" */
    char short_name;        /* 0 for none */
    const char *value_name; /* NULL for a flag */
    const char *help;
};

struct args {
    int argc;
    char **argv;
    int next;          /* index of the next word */
    bool options_done; /* "--" seen */
};

#define ARGS_OPERAND 0
#define ARGS_END (-1)
#define ARGS_ERROR (-2)

/* The next option's id (its value, if any, in *value), ARGS_OPERAND with
 * the operand in *value, ARGS_END, or ARGS_ERROR with err filled. */
int args_next(struct args *a, const struct option_spec *specs,
              const char **value, struct bp_error *err);

/* Writes the option list of specs, aligned, one per line. */
void args_print_options(const struct option_spec *specs, FILE *file);

#define ARGS_MAX_OPTIONS 16
#define ARGS_MAX_OPERANDS 2

/* Everything args_collect gathered: the operands in order, and for each
 * option id (< ARGS_MAX_OPTIONS) whether it was given and its last value. */
struct args_result {
    const char *operand[ARGS_MAX_OPERANDS];
    size_t n_operands;
    bool given[ARGS_MAX_OPTIONS];
    const char *value[ARGS_MAX_OPTIONS];
};

/* Parses all the words of `command` (named in messages): at most
 * max_operands operands (<= ARGS_MAX_OPERANDS). */
int args_collect(const char *command, int argc, char **argv,
                 const struct option_spec *specs, size_t max_operands,
                 struct args_result *r, struct bp_error *err);

int args_size(const char *option, const char *text, size_t min, size_t max,
              size_t *out, struct bp_error *err);
int args_double(const char *option, const char *text, double *out,
                struct bp_error *err);

#endif
