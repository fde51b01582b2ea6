/* json_writer: see json_writer.h. */
#include "json_writer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_text.h"

void json_writer_init(struct json_writer *w, bool compact)
{
    memset(w, 0, sizeof *w);
    w->compact = compact;
}

/* Room for n more bytes and the NUL; false (and failed) when out of
 * memory. */
static bool reserve(struct json_writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *grown = realloc(w->buf, cap);
        if (!grown) {
            w->failed = true;
            return false;
        }
        w->buf = grown;
        w->cap = cap;
    }
    return true;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(struct json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void newline_indent(struct json_writer *w, int depth)
{
    puts_(w, "\n");
    for (int i = 0; i < depth; i++)
        puts_(w, "  ");
}

/* Writes what separates a new value (or key) from the one before. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    int d = w->depth - 1;
    if (w->has_items[d])
        puts_(w, ",");
    if (w->one_per_line[d] && !w->compact)
        newline_indent(w, w->depth);
    else if (w->has_items[d] && !w->compact)
        puts_(w, " ");
    w->has_items[d] = true;
}

static void begin(struct json_writer *w, const char *open, bool one_per_line)
{
    before_item(w);
    puts_(w, open);
    if (w->depth >= JSON_WRITER_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->has_items[w->depth] = false;
    w->one_per_line[w->depth] = one_per_line;
    w->depth++;
}

static void end(struct json_writer *w, const char *close)
{
    if (w->depth == 0) {
        w->failed = true;
        return;
    }
    w->depth--;
    if (w->one_per_line[w->depth] && w->has_items[w->depth] && !w->compact)
        newline_indent(w, w->depth);
    puts_(w, close);
}

void json_begin_object(struct json_writer *w) { begin(w, "{", true); }
void json_end_object(struct json_writer *w) { end(w, "}"); }

void json_begin_array(struct json_writer *w, bool one_per_line)
{
    begin(w, "[", one_per_line);
}

void json_end_array(struct json_writer *w) { end(w, "]"); }

static void put_string(struct json_writer *w, const char *s)
{
    puts_(w, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(w, "\\\""); break;
        case '\\': puts_(w, "\\\\"); break;
        case '\n': puts_(w, "\\n"); break;
        case '\r': puts_(w, "\\r"); break;
        case '\t': puts_(w, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(w, esc);
            } else {
                put(w, (const char *)p, 1);
            }
        }
    }
    puts_(w, "\"");
}

void json_key(struct json_writer *w, const char *key)
{
    before_item(w);
    put_string(w, key);
    puts_(w, w->compact ? ":" : ": ");
    w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
    before_item(w);
    put_string(w, s);
}

void json_float(struct json_writer *w, float x)
{
    before_item(w);
    if (!isfinite(x)) {
        puts_(w, "null");
        return;
    }
    char buf[FLOAT_TEXT_MAX];
    put(w, buf, float_to_text(buf, x));
}

void json_format_double(char *buf, size_t size, double x)
{
    if (!isfinite(x)) {
        snprintf(buf, size, "null");
        return;
    }
    /* The fewest of 15, 16 and 17 digits that read back as x. Most
     * numbers here (float sums, seconds) need 17, which always read back:
     * so 16 first, and 15 only when 16 does (15 digits that read back
     * mean 16 do too, the nearer decimal). */
    snprintf(buf, size, "%.16g", x);
    if (strtod(buf, NULL) != x) {
        snprintf(buf, size, "%.17g", x);
        return;
    }
    char shorter[32];
    snprintf(shorter, sizeof shorter, "%.15g", x);
    if (strtod(shorter, NULL) == x)
        snprintf(buf, size, "%s", shorter);
}

void json_double(struct json_writer *w, double x)
{
    before_item(w);
    char buf[40];
    json_format_double(buf, sizeof buf, x);
    puts_(w, buf);
}

void json_raw(struct json_writer *w, const char *json)
{
    before_item(w);
    puts_(w, json);
}

void json_size(struct json_writer *w, size_t x)
{
    before_item(w);
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", x);
    puts_(w, buf);
}

void json_bool(struct json_writer *w, bool x)
{
    before_item(w);
    puts_(w, x ? "true" : "false");
}

void json_null(struct json_writer *w)
{
    before_item(w);
    puts_(w, "null");
}

/* The hot loop of a weights file (millions of numbers): each number is
 * formatted straight into the buffer, reserved once for the row, with the
 * separators json_float's before_item would write. */
void json_float_array(struct json_writer *w, const float *x, size_t n)
{
    static const size_t per_number = FLOAT_TEXT_MAX + 2; /* ", " */
    json_begin_array(w, false);
    if (n && !w->compact && n <= (SIZE_MAX - w->len) / per_number - 1 &&
        reserve(w, n * per_number)) {
        char *p = w->buf + w->len;
        for (size_t i = 0; i < n; i++) {
            if (i) {
                *p++ = ',';
                *p++ = ' ';
            }
            if (isfinite(x[i])) {
                p += float_to_text(p, x[i]);
            } else {
                memcpy(p, "null", 4);
                p += 4;
            }
        }
        *p = '\0';
        w->len = (size_t)(p - w->buf);
        w->has_items[w->depth - 1] = true;
    } else {
        for (size_t i = 0; i < n; i++)
            json_float(w, x[i]);
    }
    json_end_array(w);
}

char *json_writer_finish(struct json_writer *w, size_t *len,
                         struct bp_error *err)
{
    puts_(w, "\n");
    if (w->failed || w->depth != 0) {
        free(w->buf);
        memset(w, 0, sizeof *w);
        return bp_error_set(err, BP_ENOMEM, "out of memory writing JSON"),
               NULL;
    }
    char *text = w->buf;
    *len = w->len;
    memset(w, 0, sizeof *w);
    return text;
}
