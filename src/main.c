/*
 * backprop: the command table, help, and the only place that prints an
 * error and chooses the exit status (0 success, 1 the run failed, 2 bad
 * usage or input).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv, struct bp_error *err);
    const char *synopsis;
};

static const struct command commands[] = {
    {"train", cmd_train, "train CONFIG [options]       train; write weights JSON"},
    {"predict", cmd_predict,
     "predict WEIGHTS [DATA|-]     write predictions as CSV to stdout"},
    {"eval", cmd_eval,
     "eval WEIGHTS [DATA|-]        write metrics as one JSON object to stdout"},
    {"gradcheck", cmd_gradcheck,
     "gradcheck CONFIG [DATA|-]    compare backprop gradients with finite "
     "differences"},
    {"info", cmd_info,
     "info CONFIG|WEIGHTS          layers, parameter count, FLOPs per sample"},
    {"sweep", cmd_sweep,
     "sweep CONFIG [--grid K=V,...] grid/random sweeps, repeats, k-fold "
     "cross-validation"},
    {"plot", cmd_plot,
     "plot LOG|- [-o FILE.svg]     draw a --log's learning curves as SVG"},
    {NULL, NULL, NULL}};

static const struct command *find_command(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void print_usage(FILE *f)
{
    fprintf(f, "usage:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  backprop %s\n", c->synopsis);
    fprintf(f, "  backprop help [COMMAND] | --help | --version\n\n"
               "Trains feed-forward neural networks from a JSON config and "
               "CSV data.\n"
               "Data goes to stdout, messages to stderr. Exit status: 0 "
               "success, 1 the run\nfailed, 2 bad usage or input.\n"
               "'backprop help COMMAND' shows a command's options.\n");
}

int cli_help(const char *command)
{
    if (!command || strcmp(command, "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    const struct command *c = find_command(command);
    if (!c)
        return -1;
    char help[] = "--help";
    char *argv[] = {help, NULL};
    struct bp_error err = {0};
    return c->run(1, argv, &err);
}

/* Flushes stdout and turns a failed write into exit status 1 instead of
 * exiting 0 with the data lost. A reader that went away on purpose
 * (`| head`) gets no message, as with a tool killed by SIGPIPE; any other
 * failure (a full disk) is reported. */
static int finish_stdout(int status)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE && status == 0)
            fprintf(stderr, "backprop: stdout: write error: %s\n",
                    strerror(errno ? errno : EIO));
        return status ? status : 1;
    }
    return status;
}

static int fail(const struct bp_error *err)
{
    /* As in finish_stdout: a reader that went away gets no message. */
    if (err->code != BP_EPIPE)
        fprintf(stderr, "backprop: %s\n", err->msg);
    return bp_error_exit_status(err);
}

int main(int argc, char **argv)
{
    /* A closed pipe downstream is reported as a write error, not a silent
     * death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    struct bp_error err = {0};

    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_usage(stdout);
        return finish_stdout(0);
    }
    if (strcmp(name, "--version") == 0) {
        printf("backprop %s\n", BACKPROP_VERSION);
        return finish_stdout(0);
    }
    if (strcmp(name, "help") == 0) {
        if (argc > 3) {
            bp_error_set(&err, BP_EUSAGE, "help: too many arguments");
            return fail(&err);
        }
        if (cli_help(argc == 3 ? argv[2] : NULL) < 0) {
            bp_error_set(&err, BP_EUSAGE,
                         "help: unknown command \"%s\" (see backprop --help)",
                         argv[2]);
            return fail(&err);
        }
        return finish_stdout(0);
    }
    const struct command *c = find_command(name);
    if (!c) {
        bp_error_set(&err, BP_EUSAGE,
                     "unknown command \"%s\" (see backprop --help)", name);
        return fail(&err);
    }
    int status = c->run(argc - 2, argv + 2, &err) < 0 ? fail(&err) : 0;
    return finish_stdout(status);
}
