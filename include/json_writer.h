/*
 * json_writer: builds JSON text in memory with backprop's own number
 * formatting, because cJSON prints floats with too few digits to read back
 * exactly and prints NaN as null without saying so.
 *
 *   floats   "%.9g": reads back bit-exactly as a float (SPEC section 4);
 *            float_text.h writes those bytes without printf
 *   doubles  the shortest of "%.15g".."%.17g" that reads back exactly
 *   non-finite numbers are written as null
 *
 * Layout: objects put one key per line, indented by two spaces; arrays are
 * inline ("[1, 2]") unless begun with one_per_line. With `compact` (JSON
 * lines), everything is on one line. Allocation failure is sticky and
 * reported by json_writer_finish().
 */
#ifndef JSON_WRITER_H
#define JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"

#define JSON_WRITER_MAX_DEPTH 32

struct json_writer {
    char *buf;
    size_t len, cap;
    bool compact;
    bool failed;
    bool after_key;
    int depth;
    bool has_items[JSON_WRITER_MAX_DEPTH];
    bool one_per_line[JSON_WRITER_MAX_DEPTH];
};

void json_writer_init(struct json_writer *w, bool compact);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w, bool one_per_line);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_float(struct json_writer *w, float x);
void json_double(struct json_writer *w, double x);
void json_size(struct json_writer *w, size_t x);
void json_bool(struct json_writer *w, bool x);
void json_null(struct json_writer *w);
/* A value already written as JSON text (the caller vouches for it). */
void json_raw(struct json_writer *w, const char *json);
/* A row of n floats as an inline array: the weights file's hot loop,
 * formatted straight into the buffer. */
void json_float_array(struct json_writer *w, const float *x, size_t n);

/* Ends the text with a newline and hands it over (caller frees); *len gets
 * its length. NULL and BP_ENOMEM if any allocation failed. */
char *json_writer_finish(struct json_writer *w, size_t *len,
                         struct bp_error *err);

/* Formats x as json_double does into buf (at least 32 bytes). */
void json_format_double(char *buf, size_t size, double x);

#endif
