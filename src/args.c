/* args: see args.h. */
#include "args.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option_spec *find_long(const struct option_spec *specs,
                                           const char *name, size_t len)
{
    for (; specs->id; specs++)
        if (strlen(specs->long_name) == len &&
            strncmp(specs->long_name, name, len) == 0)
            return specs;
    return NULL;
}

static const struct option_spec *find_short(const struct option_spec *specs,
                                            char c)
{
    for (; specs->id; specs++)
        if (specs->short_name && specs->short_name == c)
            return specs;
    return NULL;
}

int args_next(struct args *a, const struct option_spec *specs,
              const char **value, struct bp_error *err)
{
    *value = NULL;
    if (a->next >= a->argc)
        return ARGS_END;
    const char *word = a->argv[a->next++];
    if (a->options_done || word[0] != '-' || word[1] == '\0') {
        *value = word;
        return ARGS_OPERAND;
    }
    if (strcmp(word, "--") == 0) {
        a->options_done = true;
        return args_next(a, specs, value, err);
    }

    const struct option_spec *spec;
    const char *inline_value = NULL;
    if (word[1] == '-') {
        const char *name = word + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        spec = find_long(specs, name, len);
        if (!spec) {
            bp_error_set(err, BP_EUSAGE, "unknown option --%.*s", (int)len,
                         name);
            return ARGS_ERROR;
        }
        if (eq)
            inline_value = eq + 1;
    } else {
        spec = word[2] == '\0' ? find_short(specs, word[1]) : NULL;
        if (!spec) {
            bp_error_set(err, BP_EUSAGE, "unknown option %s", word);
            return ARGS_ERROR;
        }
    }

    if (!spec->value_name) {
        if (inline_value) {
            bp_error_set(err, BP_EUSAGE, "--%s takes no value",
                         spec->long_name);
            return ARGS_ERROR;
        }
        return spec->id;
    }
    if (inline_value) {
        *value = inline_value;
    } else if (a->next < a->argc) {
        *value = a->argv[a->next++];
    } else {
        bp_error_set(err, BP_EUSAGE, "--%s needs a value (%s)",
                     spec->long_name, spec->value_name);
        return ARGS_ERROR;
    }
    /* An empty path would only fail later, and less clearly (-o "" got
     * as far as renaming the written file onto ""). */
    if (strcmp(spec->value_name, "FILE") == 0 && **value == '\0') {
        bp_error_set(err, BP_EUSAGE, "--%s: expected a file path, got \"\"",
                     spec->long_name);
        return ARGS_ERROR;
    }
    return spec->id;
}

int args_collect(const char *command, int argc, char **argv,
                 const struct option_spec *specs, size_t max_operands,
                 struct args_result *r, struct bp_error *err)
{
    memset(r, 0, sizeof *r);
    struct args a = {argc, argv, 0, false};
    const char *value;
    for (;;) {
        int id = args_next(&a, specs, &value, err);
        if (id == ARGS_END)
            return 0;
        if (id == ARGS_ERROR)
            return bp_error_prefix(err, "%s", command);
        if (id == ARGS_OPERAND) {
            if (r->n_operands >= max_operands ||
                r->n_operands >= ARGS_MAX_OPERANDS)
                return bp_error_set(err, BP_EUSAGE,
                                    "%s: unexpected argument \"%s\"", command,
                                    value);
            r->operand[r->n_operands++] = value;
        } else if (id < ARGS_MAX_OPTIONS) {
            r->given[id] = true;
            r->value[id] = value;
        }
    }
}

void args_print_options(const struct option_spec *specs, FILE *f)
{
    for (; specs->id; specs++) {
        char left[64];
        if (specs->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", specs->short_name,
                     specs->long_name, specs->value_name ? " " : "",
                     specs->value_name ? specs->value_name : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", specs->long_name,
                     specs->value_name ? " " : "",
                     specs->value_name ? specs->value_name : "");
        fprintf(f, "  %-28s %s\n", left, specs->help);
    }
}

int args_size(const char *option, const char *text, size_t min, size_t max,
              size_t *out, struct bp_error *err)
{
    const char *p = text;
    if (*p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return bp_error_set(err, BP_EUSAGE,
                            "%s: expected a whole number, got \"%s\"", option,
                            text);
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (*end != '\0')
        return bp_error_set(err, BP_EUSAGE,
                            "%s: expected a whole number, got \"%s\"", option,
                            text);
    if (errno == ERANGE || v < min || v > max)
        return bp_error_set(err, BP_EUSAGE, "%s: %s is out of range (%zu..%zu)",
                            option, text, min, max);
    *out = (size_t)v;
    return 0;
}

int args_double(const char *option, const char *text, double *out,
                struct bp_error *err)
{
    /* A decimal number only: strtod would also take leading blanks, hex,
     * "inf" and "nan". */
    bool decimal = *text != '\0' && strspn(text, "0123456789.eE+-") ==
                                         strlen(text);
    errno = 0;
    char *end;
    double v = decimal ? strtod(text, &end) : 0.0;
    if (!decimal || end == text || *end != '\0' || errno == ERANGE ||
        !isfinite(v))
        return bp_error_set(err, BP_EUSAGE, "%s: expected a number, got \"%s\"",
                            option, text);
    *out = v;
    return 0;
}
