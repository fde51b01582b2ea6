/* The SVG line chart: nice ticks, their labels, escaping, the document. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "svg_plot.h"

/* Tick arithmetic is done in doubles on values like 0.2; a millionth of a
 * step is far above its rounding and far below any visible difference. */
#define TICK_TOL 1e-6

static double mantissa(double step)
{
    return step / pow(10, floor(log10(step) + 1e-9));
}

START_TEST(ticks_cover_a_loss_range_in_steps_of_0_2)
{
    struct svg_ticks t;
    svg_nice_ticks(0, 1.13, 6, false, &t);
    ck_assert_double_eq_tol(t.lo, 0, TICK_TOL);
    ck_assert_double_eq_tol(t.hi, 1.2, TICK_TOL);
    ck_assert_double_eq_tol(t.step, 0.2, TICK_TOL);
    ck_assert_uint_eq(t.count, 7);
    ck_assert_int_eq(t.decimals, 1);
}
END_TEST

START_TEST(ticks_are_1_2_or_5_times_a_power_of_ten_and_cover_the_data)
{
    static const double ranges[][2] = {
        {0, 1},      {0.031, 0.047}, {-3.2, 7.9}, {1, 50},     {1, 200},
        {0, 9800},   {1e-7, 3e-7},   {-1, -0.5},  {12345, 12399},
        {0, 3e12},   {0.9, 0.97}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        double mn = ranges[k][0], mx = ranges[k][1];
        struct svg_ticks t;
        svg_nice_ticks(mn, mx, 6, false, &t);
        double m = mantissa(t.step);
        ck_assert_msg(fabs(m - 1) < TICK_TOL || fabs(m - 2) < TICK_TOL ||
                          fabs(m - 5) < TICK_TOL,
                      "range %g..%g: step %g", mn, mx, t.step);
        ck_assert_msg(t.lo <= mn && t.hi >= mx, "range %g..%g: ticks %g..%g",
                      mn, mx, t.lo, t.hi);
        ck_assert_msg(t.count >= 3 && t.count <= 12,
                      "range %g..%g: %zu ticks", mn, mx, t.count);
        ck_assert_double_eq_tol(t.lo + (double)(t.count - 1) * t.step, t.hi,
                                t.step * TICK_TOL);
    }
}
END_TEST

START_TEST(integer_axes_never_get_fractional_ticks)
{
    struct svg_ticks t;
    svg_nice_ticks(1, 3, 8, true, &t);
    ck_assert_double_eq(t.step, 1);
    ck_assert_double_eq(t.lo, 1);
    ck_assert_double_eq(t.hi, 3);
    ck_assert_uint_eq(t.count, 3);
    ck_assert_int_eq(t.decimals, 0);
    svg_nice_ticks(1, 50, 8, true, &t);
    ck_assert_double_eq(t.lo, 0);
    ck_assert_double_eq(t.hi, 50);
    ck_assert_double_eq(t.step, 10);
}
END_TEST

START_TEST(a_single_value_is_widened_around_it)
{
    struct svg_ticks t;
    svg_nice_ticks(5, 5, 8, true, &t);
    ck_assert(t.lo < 5 && t.hi > 5);
    svg_nice_ticks(0.3, 0.3, 6, false, &t);
    ck_assert(t.lo < 0.3 && t.hi > 0.3 && t.count >= 3);
    svg_nice_ticks(0, 0, 6, false, &t);
    ck_assert(t.lo < 0 && t.hi > 0);
    /* Reversed or NaN bounds fall back to 0..1 rather than looping. */
    svg_nice_ticks(NAN, 1, 6, false, &t);
    ck_assert(t.lo <= 0 && t.hi >= 1 && t.count <= 12);
    /* Huge values do not overflow into infinities. */
    svg_nice_ticks(-1e308, 1e308, 6, false, &t);
    ck_assert(isfinite(t.lo) && isfinite(t.hi) && t.count <= 12);
}
END_TEST

START_TEST(tick_labels_have_just_enough_decimals_and_no_minus_zero)
{
    char buf[64];
    struct svg_ticks t;
    svg_nice_ticks(-0.35, 0.35, 4, false, &t);
    ck_assert_double_eq_tol(t.step, 0.2, TICK_TOL);
    svg_tick_label(buf, sizeof buf, &t, 0);
    ck_assert_str_eq(buf, "-0.4");
    svg_tick_label(buf, sizeof buf, &t, 2); /* -0.4 + 2 * 0.2 */
    ck_assert_str_eq(buf, "0.0");
    svg_tick_label(buf, sizeof buf, &t, 3);
    ck_assert_str_eq(buf, "0.2");
    svg_nice_ticks(0, 9800, 6, false, &t);
    svg_tick_label(buf, sizeof buf, &t, 1);
    ck_assert_str_eq(buf, "2000");
    svg_nice_ticks(0, 0.0047, 6, false, &t);
    svg_tick_label(buf, sizeof buf, &t, 1);
    ck_assert_str_eq(buf, "0.001");
    svg_nice_ticks(0, 3e12, 6, false, &t);
    svg_tick_label(buf, sizeof buf, &t, 1);
    ck_assert_str_eq(buf, "5e+11");
    svg_tick_label(buf, sizeof buf, &t, 3);
    ck_assert_str_eq(buf, "1.5e+12");
}
END_TEST

static void assert_escapes(const char *in, const char *want)
{
    char *got = svg_escape(in);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(escaping_makes_any_text_well_formed_xml)
{
    assert_escapes("plain", "plain");
    assert_escapes("", "");
    assert_escapes("a<b & \"c\" 'd'>", "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    assert_escapes("R\xC2\xB2 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88",
                   "R\xC2\xB2 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88");
    assert_escapes("tab\there\nline", "tab here line");
    assert_escapes("bell\x07", "bell\xEF\xBF\xBD");        /* not XML 1.0 */
    assert_escapes("latin1 \xE9t\xE9", "latin1 \xEF\xBF\xBDt\xEF\xBF\xBD");
    assert_escapes("overlong \xC0\xAF", "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
    assert_escapes("surrogate \xED\xA0\x80",
                   "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_escapes("cut \xE2\x82", "cut \xEF\xBF\xBD\xEF\xBF\xBD");
    assert_escapes("\xEF\xBF\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}
END_TEST

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static const double epochs[] = {1, 2, 3, 4, 5};
static const double train[] = {1.0, 0.6, NAN, 0.3, 0.2};
static const double accuracy[] = {0.5, 0.7, 0.8, 0.9, 0.95};

START_TEST(the_document_names_every_series_and_escapes_the_title)
{
    struct svg_series s[] = {{"train loss", train, SVG_AXIS_LEFT},
                             {"validation accuracy", accuracy, SVG_AXIS_RIGHT}};
    struct svg_plot p = {.title = "run <1> & co", .x_label = "epoch",
                         .left_label = "loss", .right_label = "accuracy",
                         .right_min = 0, .right_max = 1, .x = epochs, .n = 5,
                         .integer_x = true, .series = s, .n_series = 2};
    size_t len = 0;
    char *svg = svg_plot_render(&p, &len, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_uint_eq(len, strlen(svg));
    /* The marker tells a later `plot -o` this is a file it may replace. */
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               ATOMIC_SVG_MARKER "\n<svg ";
    ck_assert(strncmp(svg, head, strlen(head)) == 0);
    ck_assert(strcmp(svg + len - 7, "</svg>\n") == 0);
    ck_assert_ptr_nonnull(strstr(svg, ">train loss</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">validation accuracy</text>"));
    ck_assert_uint_eq(count(svg, "run &lt;1&gt; &amp; co"), 2); /* title x2 */
    ck_assert_ptr_null(strstr(svg, "run <1>"));
    ck_assert_ptr_nonnull(strstr(svg, "rotate(90)")); /* the right axis */
    /* The NaN breaks the train line in two pieces; it is never printed. */
    const char *path = strstr(svg, "<path");
    ck_assert_ptr_nonnull(path);
    ck_assert_uint_eq(count(path, "M") - count(strstr(path, "\"/>"), "M"), 2);
    ck_assert_ptr_null(strstr(svg, "nan"));
    ck_assert_ptr_null(strstr(svg, "inf"));
    /* Balanced elements, a cheap stand-in for an XML parser. */
    ck_assert_uint_eq(count(svg, "<text"), count(svg, "</text>"));
    ck_assert_uint_eq(count(svg, "<g"), count(svg, "</g>"));
    free(svg);
}
END_TEST

START_TEST(no_right_axis_without_a_right_series)
{
    struct svg_series s[] = {{"train loss", train, SVG_AXIS_LEFT}};
    struct svg_plot p = {.title = "t", .x = epochs, .n = 5, .series = s,
                         .n_series = 1, .right_label = "accuracy"};
    char *svg = svg_plot_render(&p, NULL, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_ptr_null(strstr(svg, "rotate(90)"));
    ck_assert_ptr_null(strstr(svg, "accuracy"));
    free(svg);
}
END_TEST

START_TEST(a_lone_point_is_drawn_as_a_dot)
{
    static const double one[] = {0.5};
    struct svg_series s[] = {{"train loss", one, SVG_AXIS_LEFT}};
    struct svg_plot p = {.title = "t", .x = epochs, .n = 1, .series = s,
                         .n_series = 1, .integer_x = true};
    char *svg = svg_plot_render(&p, NULL, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_uint_eq(count(svg, "<circle"), 1);
    free(svg);
}
END_TEST

START_TEST(x_that_does_not_increase_is_refused)
{
    static const double x[] = {1, 3, 2};
    struct svg_series s[] = {{"a", train, SVG_AXIS_LEFT}};
    struct svg_plot p = {.x = x, .n = 3, .series = s, .n_series = 1};
    struct bp_error err = {0};
    ck_assert_ptr_null(svg_plot_render(&p, NULL, &err));
    ck_assert_int_eq(err.code, BP_EINTERNAL);
    p.n = 0;
    ck_assert_ptr_null(svg_plot_render(&p, NULL, &err));
}
END_TEST

Suite *svg_plot_suite(void)
{
    Suite *s = suite_create("svg_plot");
    TCase *tc = tcase_create("svg_plot");
    tcase_add_test(tc, ticks_cover_a_loss_range_in_steps_of_0_2);
    tcase_add_test(tc, ticks_are_1_2_or_5_times_a_power_of_ten_and_cover_the_data);
    tcase_add_test(tc, integer_axes_never_get_fractional_ticks);
    tcase_add_test(tc, a_single_value_is_widened_around_it);
    tcase_add_test(tc, tick_labels_have_just_enough_decimals_and_no_minus_zero);
    tcase_add_test(tc, escaping_makes_any_text_well_formed_xml);
    tcase_add_test(tc, the_document_names_every_series_and_escapes_the_title);
    tcase_add_test(tc, no_right_axis_without_a_right_series);
    tcase_add_test(tc, a_lone_point_is_drawn_as_a_dot);
    tcase_add_test(tc, x_that_does_not_increase_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
