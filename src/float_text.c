/*
 * float_text: see float_text.h.
 *
 * Both directions scale by a power of ten in double arithmetic, one
 * correctly rounded operation on operands that are exact or within half
 * an ulp (2^-53 relative), so the result is within 2^-52 of the exact
 * value. That is far finer than a float needs, except right at a rounding
 * boundary: there the fast path cannot tell which side the exact value is
 * on, and the C library decides. Such inputs are about one in a million.
 *
 * What this module is not: it knows nothing of JSON or CSV syntax around
 * the number, and reports no positions; its callers do.
 */
#include "float_text.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 10^0..10^53 as doubles: exact up to 10^22, correctly rounded above
 * (the compiler converts each literal exactly). A float's "%.9g" needs
 * scaling by 10^-30 (FLT_MAX) to 10^53 (the smallest subnormal). */
static const double pow10_double[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
    1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
    1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32,
    1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43,
    1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53};

/* Powers up to this one are exact doubles. */
#define POW10_EXACT 22

/* How far from a rounding boundary the scaled value must be for the fast
 * path to trust it: its error is below 1e9 * 2^-52 < 2.3e-7. */
#define BOUNDARY_MARGIN 1e-6

/* ---- float to text ---- */

/* v * 10^s for s in [-30, 53]. */
static double scale_pow10(double v, int s)
{
    return s >= 0 ? v * pow10_double[s] : v / pow10_double[-s];
}

/* The nine significant digits of v > 0 (an integer in [1e8, 1e9)) and its
 * decimal exponent k (v rounds to digits * 10^(k-8)), as "%.9g" rounds:
 * to nearest, ties to even. Returns false near a boundary the fast path
 * cannot decide. */
static bool nine_digits(double v, uint32_t *digits, int *k_out)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e2 = (int)((bits >> 52) & 0x7ff) - 1023; /* v is a normal double */
    /* floor(e2 * log10(2)), give or take one: corrected below. */
    int k = (int)floor(e2 * 0.30102999566398120);
    double y = scale_pow10(v, 8 - k);
    if (y >= 1e9) {
        k++;
        y = scale_pow10(v, 8 - k);
    } else if (y < 1e8) {
        k--;
        y = scale_pow10(v, 8 - k);
    }
    if (y < 1e8 + BOUNDARY_MARGIN || y >= 1e9 - BOUNDARY_MARGIN)
        return false;
    double whole = floor(y);
    double frac = y - whole;
    if (fabs(frac - 0.5) < BOUNDARY_MARGIN)
        return false;
    uint32_t d = (uint32_t)whole + (frac > 0.5);
    if (d == 1000000000u) { /* 999999999.7 rounds up to the next decade */
        d = 100000000u;
        k++;
    }
    *digits = d;
    *k_out = k;
    return true;
}

/* "00" to "99": two digits per division. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Writes the 9 digits of d < 10^9 at p. */
static void put_nine_digits(char *p, uint32_t d)
{
    p[0] = (char)('0' + d / 100000000);
    d %= 100000000;
    for (int i = 7; i > 0; i -= 2) {
        memcpy(p + i, digit_pairs + 2 * (d % 100), 2);
        d /= 100;
    }
}

size_t float_to_text(char *buf, float x)
{
    char *p = buf;
    if (signbit(x))
        *p++ = '-';
    double v = fabs((double)x);
    if (v == 0) {
        *p++ = '0';
        *p = '\0';
        return (size_t)(p - buf);
    }
    uint32_t d;
    int k;
    if (!nine_digits(v, &d, &k))
        return (size_t)snprintf(buf, FLOAT_TEXT_MAX, "%.9g", (double)x);

    char digits[9];
    put_nine_digits(digits, d);
    int n = 9; /* significant digits kept: "%g" drops trailing zeros */
    while (digits[n - 1] == '0')
        n--;

    if (k < -4 || k >= 9) { /* d.dddde+XX */
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(n - 1));
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = k < 0 ? '-' : '+';
        int a = k < 0 ? -k : k; /* <= 45: two digits */
        memcpy(p, digit_pairs + 2 * a, 2);
        p += 2;
    } else if (k >= 0) { /* ddd.dddd: k + 1 digits before the point */
        memcpy(p, digits, (size_t)(k + 1));
        p += k + 1;
        if (n > k + 1) {
            *p++ = '.';
            memcpy(p, digits + k + 1, (size_t)(n - k - 1));
            p += n - k - 1;
        }
    } else { /* 0.000ddd: -k - 1 zeros after the point */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -k - 1; i++)
            *p++ = '0';
        memcpy(p, digits, (size_t)n);
        p += n;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* ---- text to float ---- */

/* Longest number handed to strtof (JSON numbers are held to this by
 * jsonscan.h's JSONSCAN_MAX_NUMBER). */
#define FALLBACK_MAX 63

/* The parts of a decimal number: value = mantissa * 10^exp10, exactly
 * unless `inexact` (more than 19 significant digits). */
struct decimal_parts {
    bool negative;
    uint64_t mantissa;
    int exp10;
    bool inexact;
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Adds the digits of [p, end) to the mantissa, leading zeros skipped;
 * `frac` for digits after the point. */
static void add_digits(struct decimal_parts *dp, int *significant,
                       const char *p, const char *end, bool frac)
{
    for (; p < end; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (*significant < 19) {
            if (dp->mantissa || digit) {
                dp->mantissa = dp->mantissa * 10 + digit;
                ++*significant;
            }
            dp->exp10 -= frac;
        } else {
            dp->inexact = true;
            dp->exp10 += !frac;
        }
    }
}

/* Splits s[0..len) into its parts; false when it is not a decimal
 * number. */
static bool split_decimal(const char *s, size_t len,
                          struct decimal_parts *dp)
{
    const char *p = s, *end = s + len;
    int significant = 0;
    memset(dp, 0, sizeof *dp);
    if (p < end && (*p == '-' || *p == '+'))
        dp->negative = *p++ == '-';
    const char *int_start = p;
    while (p < end && is_digit(*p))
        p++;
    const char *int_end = p, *frac_start = p, *frac_end = p;
    if (p < end && *p == '.') {
        frac_start = ++p;
        while (p < end && is_digit(*p))
            p++;
        frac_end = p;
    }
    if (int_end == int_start && frac_end == frac_start)
        return false;
    add_digits(dp, &significant, int_start, int_end, false);
    add_digits(dp, &significant, frac_start, frac_end, true);
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool negative = false;
        if (p < end && (*p == '-' || *p == '+'))
            negative = *p++ == '-';
        const char *start = p;
        int e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000) /* far beyond any float: strtof decides */
                e = e * 10 + (*p - '0');
        if (p == start)
            return false;
        dp->exp10 += negative ? -e : e;
    }
    return p == end;
}

/* Clinger's fast path, for floats: a mantissa of at most 2^53 times an
 * exact power of ten up to 10^22 is one correctly rounded double
 * operation. Rounding that double to float gives strtof's float unless
 * the double sits exactly on a midpoint between two floats (where the
 * first rounding may have moved it there), or beyond FLT_MAX. */
static bool fast_path(const struct decimal_parts *dp, float *out)
{
    if (dp->inexact || dp->mantissa > ((uint64_t)1 << 53) ||
        dp->exp10 < -POW10_EXACT || dp->exp10 > POW10_EXACT)
        return false;
    double d = scale_pow10((double)dp->mantissa, dp->exp10);
    /* d >= 1e-22 is a normal float's neighbour: 29 bits below float
     * precision, a midpoint being 1 followed by 28 zeros. */
    if (d > FLT_MAX)
        return false;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    const uint64_t below = ((uint64_t)1 << 29) - 1;
    if ((bits & below) == (uint64_t)1 << 28)
        return false;
    float f = (float)d;
    *out = dp->negative ? -f : f;
    return true;
}

/* The common case in one pass: at most 19 digits in all (leading zeros
 * included), so that the mantissa cannot overflow. False for anything
 * else, which split_decimal then reads with care. */
static bool split_short(const char *s, size_t len, struct decimal_parts *dp)
{
    const char *p = s, *end = s + len;
    uint64_t m = 0;
    dp->negative = p < end && *p == '-';
    p += dp->negative;
    const char *int_start = p;
    while (p < end && is_digit(*p))
        m = m * 10 + (uint64_t)(*p++ - '0');
    size_t n_int = (size_t)(p - int_start), n_frac = 0;
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && is_digit(*p))
            m = m * 10 + (uint64_t)(*p++ - '0');
        n_frac = (size_t)(p - frac);
    }
    if (n_int + n_frac == 0 || n_int + n_frac > 19)
        return false;
    int e = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool negative = p < end && *p == '-';
        p += p < end && (*p == '-' || *p == '+');
        const char *start = p;
        while (p < end && is_digit(*p) && p - start < 4)
            e = e * 10 + (*p++ - '0');
        if (p == start)
            return false;
        e = negative ? -e : e;
    }
    if (p != end)
        return false;
    dp->mantissa = m;
    dp->exp10 = e - (int)n_frac;
    dp->inexact = false;
    return true;
}

int float_from_text(const char *s, size_t len, float *out)
{
    struct decimal_parts dp;
    if (!split_short(s, len, &dp) && !split_decimal(s, len, &dp))
        return -1;
    if (dp.mantissa == 0 && !dp.inexact) {
        *out = dp.negative ? -0.0f : 0.0f;
        return 0;
    }
    if (fast_path(&dp, out))
        return 0;
    if (len > FALLBACK_MAX)
        return -1;
    char buf[FALLBACK_MAX + 1];
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    float f = strtof(buf, NULL);
    if (errno == ERANGE && isinf(f))
        return -1;
    *out = f;
    return 0;
}
