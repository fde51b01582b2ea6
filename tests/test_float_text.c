/* Tests of float_text.h against the C library, which defines both
 * directions: float_to_text must be snprintf("%.9g") byte for byte, and
 * float_from_text must be strtof bit for bit. bench/float_text_all.c does
 * the same over all 2^32 floats; here, the edge cases and a large seeded
 * sample. */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_text.h"

/* Random floats drawn per test: enough to meet every exponent many times
 * (and about 10^-6 of them near a rounding boundary) in well under a
 * second, ASan included. */
#define SAMPLE 200000

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static uint32_t bits_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static void assert_printf_text(float x)
{
    char mine[FLOAT_TEXT_MAX], libc[32];
    size_t n = float_to_text(mine, x);
    snprintf(libc, sizeof libc, "%.9g", (double)x);
    ck_assert_msg(strcmp(mine, libc) == 0 && n == strlen(libc),
                  "0x%08x: \"%s\", printf \"%s\"", (unsigned)bits_of(x), mine,
                  libc);
}

/* float_from_text(s) is strtof(s): the same bits, or both overflow. */
static void assert_strtof(const char *s)
{
    errno = 0;
    float want = strtof(s, NULL);
    bool overflow = errno == ERANGE && isinf(want);
    float got = 0;
    int rc = float_from_text(s, strlen(s), &got);
    if (overflow) {
        ck_assert_msg(rc == -1, "\"%s\" overflows, read as %g", s,
                      (double)got);
        return;
    }
    ck_assert_msg(rc == 0, "\"%s\" refused", s);
    ck_assert_msg(bits_of(got) == bits_of(want),
                  "\"%s\": 0x%08x, strtof 0x%08x", s, (unsigned)bits_of(got),
                  (unsigned)bits_of(want));
}

static const uint32_t edge_bits[] = {
    0x00000000, 0x80000000, /* 0, -0 */
    0x00000001, 0x80000001, /* the smallest subnormals */
    0x007fffff, 0x00400000, /* the largest subnormal, a middle one */
    0x00800000, 0x00800001, /* FLT_MIN and its neighbour */
    0x7f7fffff, 0xff7fffff, /* +-FLT_MAX */
    0x7f7ffffe, 0x3f800000, /* FLT_MAX's neighbour, 1 */
    0x3f7fffff, 0x3f800001, /* 1's neighbours */
    0x4e6e6b28, 0x4e6e6b27, /* 1e9 and below: where %g turns to e+09 */
    0x3727c5ac, 0x3727c5ab, /* 1e-5 and below: where %g turns to e-05 */
    0x38d1b717, 0x38d1b716, /* 1e-4 and below */
};

START_TEST(float_to_text_is_printf_at_the_edges)
{
    for (size_t i = 0; i < sizeof edge_bits / sizeof *edge_bits; i++)
        assert_printf_text(from_bits(edge_bits[i]));
    /* Every power of ten a float comes near, and its neighbours. */
    for (int k = -45; k <= 38; k++) {
        float p = (float)pow(10.0, k);
        assert_printf_text(p);
        assert_printf_text(nextafterf(p, 0));
        assert_printf_text(nextafterf(p, INFINITY));
    }
    /* Exact ties at the tenth digit, rounded to even: 103/1024 is
     * 0.1005859375, 2^-10 * 1025 is 1.0009765625. */
    assert_printf_text(103.0f / 1024);
    assert_printf_text(1025.0f / 1024);
    assert_printf_text(0.1f);
    assert_printf_text(-123456789.0f);
}
END_TEST

START_TEST(float_to_text_is_printf_on_a_large_sample)
{
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < SAMPLE; i++) {
        float x = from_bits((uint32_t)next_random(&s));
        if (isfinite(x))
            assert_printf_text(x);
    }
}
END_TEST

START_TEST(float_from_text_reads_every_written_float_back_exactly)
{
    uint64_t s = 12345;
    char text[FLOAT_TEXT_MAX];
    for (int i = 0; i < SAMPLE; i++) {
        float x = from_bits((uint32_t)next_random(&s));
        if (!isfinite(x))
            continue;
        size_t n = float_to_text(text, x);
        float back;
        ck_assert_int_eq(float_from_text(text, n, &back), 0);
        ck_assert_msg(bits_of(back) == bits_of(x), "\"%s\"", text);
    }
    for (size_t i = 0; i < sizeof edge_bits / sizeof *edge_bits; i++) {
        float x = from_bits(edge_bits[i]), back;
        size_t n = float_to_text(text, x);
        ck_assert_int_eq(float_from_text(text, n, &back), 0);
        ck_assert_msg(bits_of(back) == edge_bits[i], "\"%s\"", text);
    }
}
END_TEST

START_TEST(float_from_text_is_strtof_on_other_decimals)
{
    static const char *edges[] = {
        "0", "-0", "0.0", "-0.0e5", "00012", "1", "-1", "+1.5", "1.",
        ".5", "3.40282347e+38", "3.4028235e38", "3.40282356e38",
        "3.4028236e38", "-3.4028236e38", "1e39", "1e-38",
        "1.17549435e-38", "1.4e-45", "7.0064923e-46", "7.1e-46",
        "1e-46", "1e-400", "1e400", "0.000000000000000000000000000001",
        "123456789012345678901234567890", "16777217", "16777216.5",
        "0.1000000000000000055511151231257827", "9.99999944e-1",
        "1e22", "1e23", "1e-22", "1e-23", "1E5", "2.5e+05",
        "33554431", "33554433", "1.00000006", "1.00000018"};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        assert_strtof(edges[i]);
    /* Random decimals: 1 to 25 digits, the point anywhere, exponents
     * from -60 to 45 (overflow and underflow included). */
    uint64_t s = 777;
    char text[64];
    for (int i = 0; i < SAMPLE; i++) {
        int digits = 1 + (int)(next_random(&s) % 25);
        int point = (int)(next_random(&s) % (uint64_t)(digits + 1));
        char *p = text;
        if (next_random(&s) & 1)
            *p++ = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                *p++ = '.';
            *p++ = (char)('0' + next_random(&s) % 10);
        }
        if (next_random(&s) & 1)
            p += sprintf(p, "e%d", (int)(next_random(&s) % 106) - 60);
        *p = '\0';
        assert_strtof(text);
    }
}
END_TEST

START_TEST(float_from_text_refuses_what_is_not_a_decimal_number)
{
    static const char *bad[] = {"", "-", "+", ".", "-.", "1e", "1e+",
                                "e5", "abc", "1.5x", " 1", "1 ", "inf",
                                "-inf", "nan", "0x1p3", "1..2", "1e5.5",
                                "--1", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        float v = 42;
        ck_assert_msg(float_from_text(bad[i], strlen(bad[i]), &v) == -1,
                      "\"%s\" read as %g", bad[i], (double)v);
    }
    /* Longer than 63 bytes and not exact in 19 digits: refused (JSON
     * numbers are held to 63 characters before they get here). */
    char longer[80];
    memset(longer, '1', 70);
    longer[70] = '\0';
    float v;
    ck_assert_int_eq(float_from_text(longer, 70, &v), -1);
}
END_TEST

Suite *float_text_suite(void)
{
    Suite *s = suite_create("float_text");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60); /* the samples, under ASan */
    tcase_add_test(tc, float_to_text_is_printf_at_the_edges);
    tcase_add_test(tc, float_to_text_is_printf_on_a_large_sample);
    tcase_add_test(tc, float_from_text_reads_every_written_float_back_exactly);
    tcase_add_test(tc, float_from_text_is_strtof_on_other_decimals);
    tcase_add_test(tc, float_from_text_refuses_what_is_not_a_decimal_number);
    suite_add_tcase(s, tc);
    return s;
}
