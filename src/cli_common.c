/* cli_common: the argument rules the commands share. See cli.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "trainer.h"

int cli_file_and_data(const char *command, const char *what,
                      const struct args_result *r, bool data_default_stdin,
                      const char **file, const char **data,
                      struct bp_error *err)
{
    if (r->n_operands < 1)
        return bp_error_set(err, BP_EUSAGE,
                            "%s: missing %s (see backprop help %s)", command,
                            what, command);
    *file = r->operand[0];
    *data = r->n_operands > 1 ? r->operand[1]
                              : data_default_stdin ? "-" : NULL;
    if (*data && strcmp(*file, "-") == 0 && strcmp(*data, "-") == 0)
        return bp_error_set(err, BP_EUSAGE,
                            "%s: %s and DATA cannot both be stdin", command,
                            what);
    return 0;
}

int cli_threads(const struct args_result *r, int *threads,
                struct bp_error *err)
{
    if (!r->given[CLI_OPT_THREADS]) {
        *threads = trainer_default_threads();
        return 0;
    }
    size_t n;
    if (args_size("--threads", r->value[CLI_OPT_THREADS], 1, 1024, &n, err) <
        0)
        return -1;
    *threads = (int)n;
    return 0;
}

int cli_in_config(const char *config_name, struct bp_error *err)
{
    if (err && err->code == BP_EINPUT) {
        char msg[BP_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        bp_error_set(err, BP_EINPUT, "%s: %s", config_name, msg);
    }
    return -1;
}
