/* jsonscan: strict JSON syntax check with error offsets. See jsonscan.h. */
#include "jsonscan.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct scan {
    const unsigned char *s;
    size_t len;
    size_t pos;
    size_t err_off;
    char *why;
    size_t why_cap;
};

static int scan_fail(struct scan *sc, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int scan_fail(struct scan *sc, size_t off, const char *fmt, ...)
{
    sc->err_off = off;
    if (sc->why_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sc->why, sc->why_cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static bool is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* "unexpected X (expected WHAT)" for the byte at sc->pos. A word
 * (True, NaN, Infinity) is shown whole, a UTF-8 character whole, any
 * other byte as a character or, when unprintable, in hex. */
static int unexpected(struct scan *sc, const char *expected)
{
    size_t p = sc->pos;
    if (p >= sc->len)
        return scan_fail(sc, p, "unexpected end of file (expected %s)",
                         expected);
    unsigned char c = sc->s[p];
    if (c == 0)
        return scan_fail(sc, p, "NUL byte");
    size_t n = 1;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        while (p + n < sc->len && n < 24 && is_word_char(sc->s[p + n]))
            n++;
    } else if (c >= 0x80) {
        n = utf8_sequence(sc->s + p, sc->len - p);
        if (n == 0)
            return scan_fail(sc, p, "invalid UTF-8 byte 0x%02x", c);
    } else if (c < 0x20 || c == 0x7f) {
        return scan_fail(sc, p, "unexpected byte 0x%02x (expected %s)", c,
                         expected);
    }
    if (c == '"' || c == '\\')
        return scan_fail(sc, p, "unexpected \"\\%c\" (expected %s)", c,
                         expected);
    return scan_fail(sc, p, "unexpected \"%.*s\" (expected %s)", (int)n,
                     (const char *)sc->s + p, expected);
}

static void skip_space(struct scan *sc)
{
    while (sc->pos < sc->len &&
           (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
            sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
        sc->pos++;
}

static int hex4(struct scan *sc, size_t at, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (at + i >= sc->len)
            return scan_fail(sc, sc->len,
                             "unexpected end of file in a string");
        unsigned char c = sc->s[at + i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return scan_fail(sc, at - 2,
                             "invalid \\u escape (expected 4 hex digits)");
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* A \u escape at sc->pos (pointing at the backslash), with its low
 * surrogate when it is a high one. */
static int scan_unicode_escape(struct scan *sc)
{
    size_t start = sc->pos;
    unsigned u;
    if (hex4(sc, start + 2, &u))
        return -1;
    sc->pos = start + 6;
    if (u == 0)
        return scan_fail(sc, start, "\\u0000 is not allowed in a string");
    if (u >= 0xDC00 && u <= 0xDFFF)
        return scan_fail(sc, start, "invalid \\u escape (unpaired surrogate)");
    if (u >= 0xD800 && u <= 0xDBFF) {
        unsigned lo;
        if (sc->pos + 1 >= sc->len || sc->s[sc->pos] != '\\' ||
            sc->s[sc->pos + 1] != 'u')
            return scan_fail(sc, start,
                             "invalid \\u escape (unpaired surrogate)");
        if (hex4(sc, sc->pos + 2, &lo))
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return scan_fail(sc, start,
                             "invalid \\u escape (unpaired surrogate)");
        sc->pos += 6;
    }
    return 0;
}

static int scan_string(struct scan *sc)
{
    size_t start = sc->pos;
    sc->pos++; /* the opening quote */
    for (;;) {
        if (sc->pos >= sc->len) {
            size_t line, col;
            jsonscan_position((const char *)sc->s, sc->len, start, &line,
                              &col);
            return scan_fail(sc, sc->len,
                             "unexpected end of file in the string "
                             "opened at %zu:%zu", line, col);
        }
        unsigned char c = sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return 0;
        }
        if (c == 0)
            return scan_fail(sc, sc->pos, "NUL byte");
        if (c < 0x20)
            return scan_fail(sc, sc->pos,
                             "unescaped control character 0x%02x in a string",
                             c);
        if (c == '\\') {
            if (sc->pos + 1 >= sc->len)
                return scan_fail(sc, sc->len,
                                 "unexpected end of file in a string");
            unsigned char e = sc->s[sc->pos + 1];
            if (e == 'u') {
                if (scan_unicode_escape(sc))
                    return -1;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0)
                return scan_fail(sc, sc->pos, "invalid escape in a string");
            sc->pos += 2;
            continue;
        }
        size_t n = utf8_sequence(sc->s + sc->pos, sc->len - sc->pos);
        if (n == 0)
            return scan_fail(sc, sc->pos, "invalid UTF-8 byte 0x%02x", c);
        sc->pos += n;
    }
}

static bool is_digit_at(const struct scan *sc, size_t p)
{
    return p < sc->len && sc->s[p] >= '0' && sc->s[p] <= '9';
}

static int scan_number(struct scan *sc)
{
    size_t start = sc->pos, p = sc->pos;
    if (sc->s[p] == '-')
        p++;
    if (!is_digit_at(sc, p))
        return scan_fail(sc, start, "invalid number (expected a digit "
                                    "after \"-\")");
    if (sc->s[p] == '0' && is_digit_at(sc, p + 1))
        return scan_fail(sc, start, "invalid number (leading zero)");
    while (is_digit_at(sc, p))
        p++;
    if (p < sc->len && sc->s[p] == '.') {
        p++;
        if (!is_digit_at(sc, p))
            return scan_fail(sc, start, "invalid number (expected a digit "
                                        "after \".\")");
        while (is_digit_at(sc, p))
            p++;
    }
    if (p < sc->len && (sc->s[p] == 'e' || sc->s[p] == 'E')) {
        p++;
        if (p < sc->len && (sc->s[p] == '+' || sc->s[p] == '-'))
            p++;
        if (!is_digit_at(sc, p))
            return scan_fail(sc, start, "invalid number (expected a digit "
                                        "in the exponent)");
        while (is_digit_at(sc, p))
            p++;
    }
    if (p - start > JSONSCAN_MAX_NUMBER)
        return scan_fail(sc, start,
                         "number longer than %d characters",
                         JSONSCAN_MAX_NUMBER);
    sc->pos = p;
    return 0;
}

static int scan_value(struct scan *sc, int depth);

static int scan_container(struct scan *sc, int depth, bool object)
{
    const char close = object ? '}' : ']';
    if (depth >= JSONSCAN_MAX_DEPTH)
        return scan_fail(sc, sc->pos, "nesting deeper than %d levels",
                         JSONSCAN_MAX_DEPTH);
    sc->pos++; /* the opening bracket */
    skip_space(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == (unsigned char)close) {
        sc->pos++;
        return 0;
    }
    for (;;) {
        if (object) {
            if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
                return unexpected(sc, "a key in double quotes");
            if (scan_string(sc))
                return -1;
            skip_space(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return unexpected(sc, "\":\"");
            sc->pos++;
        }
        if (scan_value(sc, depth + 1))
            return -1;
        skip_space(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == (unsigned char)close) {
            sc->pos++;
            return 0;
        }
        if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
            return unexpected(sc, object ? "\",\" or \"}\""
                                         : "\",\" or \"]\"");
        sc->pos++;
        skip_space(sc);
    }
}

static int scan_literal(struct scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, word, n) == 0) {
        size_t after = sc->pos + n;
        /* "truex" is one bad word, not "true" then garbage */
        if (after >= sc->len || !is_word_char(sc->s[after])) {
            sc->pos = after;
            return 0;
        }
    }
    return unexpected(sc, "a value");
}

/* One value at sc->pos, leading white space skipped here. */
static int scan_value(struct scan *sc, int depth)
{
    skip_space(sc);
    if (sc->pos >= sc->len)
        return unexpected(sc, "a value");
    switch (sc->s[sc->pos]) {
    case '{':
        return scan_container(sc, depth, true);
    case '[':
        return scan_container(sc, depth, false);
    case '"':
        return scan_string(sc);
    case 't':
        return scan_literal(sc, "true");
    case 'f':
        return scan_literal(sc, "false");
    case 'n':
        return scan_literal(sc, "null");
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return scan_number(sc);
    default:
        return unexpected(sc, "a value");
    }
}

int jsonscan_check(const char *text, size_t len, size_t *err_off, char *why,
                   size_t why_cap)
{
    struct scan sc = {(const unsigned char *)text, len, 0, 0, why, why_cap};
    if (why_cap)
        why[0] = '\0';
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sc.pos = 3;
    int rc = scan_value(&sc, 0);
    if (rc == 0) {
        skip_space(&sc);
        if (sc.pos < sc.len)
            rc = sc.s[sc.pos] == 0
                     ? scan_fail(&sc, sc.pos, "NUL byte")
                     : scan_fail(&sc, sc.pos,
                                 "trailing garbage after the top-level value");
    }
    if (rc && err_off)
        *err_off = sc.err_off;
    return rc;
}

void jsonscan_position(const char *text, size_t len, size_t off, size_t *line,
                       size_t *col)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t l = 1, c = 1, i = 0;
    if (off > len)
        off = len;
    if (len >= 3 && off >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (; i < off; i++) {
        bool lone_cr = s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n');
        if (s[i] == '\n' || lone_cr) {
            l++;
            c = 1;
        } else if (s[i] != '\r' && (s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}
