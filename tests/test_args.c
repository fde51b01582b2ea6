/* Strict option parsing. */
#include <check.h>
#include <string.h>

#include "args.h"

enum { OPT_OUT = 1, OPT_FLAG, OPT_N };
static const struct option_spec specs[] = {
    {OPT_OUT, "output", 'o', "FILE", "out"},
    {OPT_FLAG, "flag", 0, NULL, "a flag"},
    {OPT_N, "n", 0, "N", "a number"},
    {0, NULL, 0, NULL, NULL}};

START_TEST(options_take_every_spelling)
{
    char *argv[] = {"-", "--output=a", "-o", "b", "--flag", "--n", "3", "--",
                    "--flag"};
    struct args_result r;
    ck_assert_int_eq(args_collect("t", 9, argv, specs, 2, &r, NULL), 0);
    ck_assert_str_eq(r.value[OPT_OUT], "b"); /* the last one wins */
    ck_assert(r.given[OPT_FLAG]);
    ck_assert_str_eq(r.value[OPT_N], "3");
    ck_assert_uint_eq(r.n_operands, 2);
    ck_assert_str_eq(r.operand[0], "-");
    ck_assert_str_eq(r.operand[1], "--flag");
    /* "--flag" after "--" is an operand, and a third one is too many. */
    char *more[] = {"a", "--", "--flag"};
    struct bp_error err = {0};
    ck_assert_int_eq(args_collect("t", 3, more, specs, 1, &r, &err), -1);
    ck_assert_str_eq(err.msg, "t: unexpected argument \"--flag\"");
}
END_TEST

START_TEST(misuse_is_named)
{
    struct args_result r;
    struct bp_error err = {0};
    char *unknown[] = {"--nope"};
    ck_assert_int_eq(args_collect("t", 1, unknown, specs, 1, &r, &err), -1);
    ck_assert_int_eq(err.code, BP_EUSAGE);
    ck_assert_str_eq(err.msg, "t: unknown option --nope");
    char *missing[] = {"-o"};
    ck_assert_int_eq(args_collect("t", 1, missing, specs, 1, &r, &err), -1);
    ck_assert_str_eq(err.msg, "t: --output needs a value (FILE)");
    char *flag_value[] = {"--flag=1"};
    ck_assert_int_eq(args_collect("t", 1, flag_value, specs, 1, &r, &err),
                     -1);
    ck_assert_str_eq(err.msg, "t: --flag takes no value");
    char *empty_file[] = {"-o", ""};
    ck_assert_int_eq(args_collect("t", 2, empty_file, specs, 1, &r, &err),
                     -1);
    ck_assert_int_eq(err.code, BP_EUSAGE);
    ck_assert_str_eq(err.msg, "t: --output: expected a file path, got \"\"");
    char *empty_inline[] = {"--output="};
    ck_assert_int_eq(args_collect("t", 1, empty_inline, specs, 1, &r, &err),
                     -1);
    ck_assert_str_eq(err.msg, "t: --output: expected a file path, got \"\"");
}
END_TEST

START_TEST(numbers_are_checked_whole)
{
    size_t n;
    double x;
    struct bp_error err = {0};
    ck_assert_int_eq(args_size("--n", "42", 1, 100, &n, &err), 0);
    ck_assert_uint_eq(n, 42);
    ck_assert_int_eq(args_size("--n", "", 1, 100, &n, &err), -1);
    ck_assert_int_eq(args_size("--n", "4x", 1, 100, &n, &err), -1);
    ck_assert_str_eq(err.msg, "--n: expected a whole number, got \"4x\"");
    ck_assert_int_eq(args_size("--n", "-1", 1, 100, &n, &err), -1);
    ck_assert_int_eq(args_size("--n", "0", 1, 100, &n, &err), -1);
    ck_assert_str_eq(err.msg, "--n: 0 is out of range (1..100)");
    ck_assert_int_eq(args_size("--n", "99999999999999999999999", 1, 100, &n,
                               &err),
                     -1);
    ck_assert_int_eq(args_double("--x", "0.5", &x, &err), 0);
    ck_assert_double_eq(x, 0.5);
    ck_assert_int_eq(args_double("--x", "nan", &x, &err), -1);
    ck_assert_int_eq(args_double("--x", "1e999", &x, &err), -1);
    ck_assert_int_eq(args_double("--x", "0.5 ", &x, &err), -1);
    ck_assert_int_eq(args_double("--x", " 0.5", &x, &err), -1);
    ck_assert_int_eq(args_double("--x", "0x10", &x, &err), -1);
    ck_assert_str_eq(err.msg, "--x: expected a number, got \"0x10\"");
    ck_assert_int_eq(args_double("--x", "-2.5e-3", &x, &err), 0);
    ck_assert_double_eq(x, -2.5e-3);
}
END_TEST

Suite *args_suite(void)
{
    Suite *s = suite_create("args");
    TCase *tc = tcase_create("args");
    tcase_add_test(tc, options_take_every_spelling);
    tcase_add_test(tc, misuse_is_named);
    tcase_add_test(tc, numbers_are_checked_whole);
    suite_add_tcase(s, tc);
    return s;
}
