/*
 * decimal: a CSV cell's text to a float, exactly (see decimal.h).
 *
 * Most cells take a fast path that needs no strtof: a short whole number
 * (decimal_small_whole, in the header so the CSV callback inlines it) or
 * a decimal of at most 2^24 in digits and a power of ten within 10
 * (parse_short_decimal). Everything else is checked against the decimal
 * grammar and handed to strtof, whose rounding is the definition.
 *
 * What this module is not: it knows nothing of lines, columns or files
 * (table_reader.c words the messages), and it never prints.
 */
#include "decimal.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Cells that fit here are converted without a heap copy. */
#define DECIMAL_STACK 128

static size_t skip_digits(const char *s, size_t i, size_t len)
{
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* [+-]digits[.digits][(e|E)[+-]digits], with digits on at least one side
 * of the point: the subset of strtof's grammar that is plainly decimal
 * (no hex, no inf/nan, no leading space, no trailing garbage). */
static bool decimal_syntax(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t start = i;
    i = skip_digits(s, i, len);
    size_t mantissa_digits = i - start;
    if (i < len && s[i] == '.') {
        size_t frac = ++i;
        i = skip_digits(s, i, len);
        mantissa_digits += i - frac;
    }
    if (mantissa_digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = i;
        i = skip_digits(s, i, len);
        if (i == exp)
            return false;
    }
    return i == len;
}

static bool equals_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* nan, inf, infinity in any case, signed, and nan(...): what strtof would
 * read as a non-finite value. */
static bool non_finite_word(const char *s, size_t len)
{
    if (len > 0 && (s[0] == '+' || s[0] == '-'))
        s++, len--;
    if (len >= 5 && equals_nocase(s, 4, "nan(") && s[len - 1] == ')')
        return true;
    return equals_nocase(s, len, "nan") || equals_nocase(s, len, "inf") ||
           equals_nocase(s, len, "infinity");
}

/* The exact fast path (Clinger 1990): a decimal whose digits, read as an
 * integer M, are at most 2^24, with a power of ten |e| <= 10, is M * 10^e
 * where both factors are exact floats, so one float multiplication or
 * division rounds it correctly: the float strtof returns. That covers
 * pixel values, counts and short decimals ("5.1", "0.0625"); anything else
 * (more digits, larger exponents) returns false for the strtof path. */
static bool parse_short_decimal(const char *s, size_t len, float *out)
{
    static const float pow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                  1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    const uint32_t max_mantissa = (uint32_t)1 << 24;
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    uint32_t m = 0;
    size_t digits = 0;
    int exponent = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        if ((m = m * 10 + (uint32_t)(s[i] - '0')) > max_mantissa)
            return false;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if ((m = m * 10 + (uint32_t)(s[i] - '0')) > max_mantissa)
                return false;
            exponent--;
        }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool exp_negative = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            exp_negative = s[i++] == '-';
        int e = 0;
        size_t exp_digits = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9' && e < 100;
             i++, exp_digits++)
            e = e * 10 + (s[i] - '0');
        if (exp_digits == 0)
            return false;
        exponent += exp_negative ? -e : e;
    }
    if (i != len || exponent < -10 || exponent > 10)
        return false;
    float v = (float)m;
    v = exponent >= 0 ? v * pow10[exponent] : v / pow10[-exponent];
    *out = negative ? -v : v;
    return true;
}

int decimal_to_float(const char *s, size_t len, float *out,
                     enum decimal_error *why)
{
    enum decimal_error reason = DECIMAL_NOT_NUMBER;
    if (parse_short_decimal(s, len, out))
        return 0;
    if (len == 0) {
        reason = DECIMAL_EMPTY;
        goto fail;
    }
    if (!decimal_syntax(s, len)) {
        reason = non_finite_word(s, len) ? DECIMAL_NOT_FINITE
                                         : DECIMAL_NOT_NUMBER;
        goto fail;
    }

    /* strtof needs a terminated string; cells are not promised to be. */
    char small[DECIMAL_STACK];
    char *buf = small;
    if (len >= sizeof small) {
        buf = malloc(len + 1);
        if (!buf) {
            reason = DECIMAL_NOMEM;
            goto fail;
        }
    }
    memcpy(buf, s, len);
    buf[len] = '\0';

    /* backprop never calls setlocale(), so strtof runs in the C locale
     * and reads a decimal point whatever the user's LC_NUMERIC says. */
    char *end;
    errno = 0;
    float v = strtof(buf, &end);
    int saved = errno;
    bool whole = end == buf + len;
    if (buf != small)
        free(buf);
    assert(whole);
    (void)whole;

    /* ERANGE also flags underflow (a subnormal or zero result): accepted,
     * as numpy and pandas accept it. Only overflow is an error. */
    if (saved == ERANGE && isinf(v)) {
        reason = DECIMAL_RANGE;
        goto fail;
    }
    *out = v;
    return 0;

fail:
    if (why)
        *why = reason;
    return -1;
}

const char *decimal_error_text(enum decimal_error e)
{
    switch (e) {
    case DECIMAL_EMPTY:
        return "empty cell";
    case DECIMAL_NOT_NUMBER:
        return "expected a number";
    case DECIMAL_NOT_FINITE:
        return "not a finite number";
    case DECIMAL_RANGE:
        return "out of float range";
    case DECIMAL_NOMEM:
        return "out of memory";
    }
    assert(!"an unknown decimal_error");
    return "expected a number";
}
