/* Tests of decimal.h beyond what test_table.c's table_parse_float cases
 * prove: the inline fast path the CSV callback takes first, and the codes
 * behind the reasons. */
#include <check.h>
#include <string.h>

#include "decimal.h"

static float whole(const char *s)
{
    return decimal_small_whole((const unsigned char *)s, strlen(s));
}

START_TEST(small_whole_reads_one_to_four_plain_digits_exactly)
{
    ck_assert_float_eq(whole("0"), 0.0f);
    ck_assert_float_eq(whole("7"), 7.0f);
    ck_assert_float_eq(whole("255"), 255.0f);
    ck_assert_float_eq(whole("0042"), 42.0f);
    ck_assert_float_eq(whole("9999"), 9999.0f);
}
END_TEST

START_TEST(small_whole_leaves_everything_else_to_the_general_parser)
{
    static const char *others[] = {"", "10000", "-1", "+1", "1.", ".5",
                                   "1e2", " 1", "1 ", "12a", "/", ":"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        ck_assert_msg(whole(others[i]) == -1.0f, "\"%s\" read as %g",
                      others[i], (double)whole(others[i]));
}
END_TEST

static void fails_with(const char *s, enum decimal_error want)
{
    float v = 0;
    enum decimal_error why = 0;
    ck_assert_msg(decimal_to_float(s, strlen(s), &v, &why) == -1,
                  "\"%s\" accepted as %g", s, (double)v);
    ck_assert_msg(why == want, "\"%s\": %s, not %s", s,
                  decimal_error_text(why), decimal_error_text(want));
}

START_TEST(each_rejection_has_its_code_and_words)
{
    fails_with("", DECIMAL_EMPTY);
    fails_with("1,5", DECIMAL_NOT_NUMBER);
    fails_with("-inf", DECIMAL_NOT_FINITE);
    fails_with("1e39", DECIMAL_RANGE);
    ck_assert_str_eq(decimal_error_text(DECIMAL_EMPTY), "empty cell");
    ck_assert_str_eq(decimal_error_text(DECIMAL_NOT_NUMBER),
                     "expected a number");
    ck_assert_str_eq(decimal_error_text(DECIMAL_NOT_FINITE),
                     "not a finite number");
    ck_assert_str_eq(decimal_error_text(DECIMAL_RANGE),
                     "out of float range");
    ck_assert_str_eq(decimal_error_text(DECIMAL_NOMEM), "out of memory");
}
END_TEST

START_TEST(a_null_reason_pointer_is_allowed)
{
    float v = 0;
    ck_assert_int_eq(decimal_to_float("x", 1, &v, NULL), -1);
    ck_assert_int_eq(decimal_to_float("2.5", 3, &v, NULL), 0);
    ck_assert_float_eq(v, 2.5f);
}
END_TEST

Suite *decimal_suite(void)
{
    Suite *s = suite_create("decimal");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, small_whole_reads_one_to_four_plain_digits_exactly);
    tcase_add_test(tc,
                   small_whole_leaves_everything_else_to_the_general_parser);
    tcase_add_test(tc, each_rejection_has_its_code_and_words);
    tcase_add_test(tc, a_null_reason_pointer_is_allowed);
    suite_add_tcase(s, tc);
    return s;
}
