/*
 * jsonscan: a strict syntax check of JSON text (RFC 8259), run before
 * cJSON builds the tree, for exact error positions and strictness.
 *
 * cJSON 1.7.15 reports only a rough error offset, and accepts more than
 * JSON: "+1", ".5", "01", control characters as white space or inside
 * strings, invalid UTF-8, and "\u0000" (which silently truncates the
 * string). It also rejects some valid JSON: numbers longer than 63
 * characters and nesting deeper than 1000. jsonscan rejects all of these,
 * with the offset of the offending byte, so that text it accepts is text
 * cJSON parses, the same way; cJSON failing after jsonscan passed can only
 * mean it ran out of memory.
 *
 * Pure functions on a buffer: no allocation, no I/O.
 */
#ifndef JSONSCAN_H
#define JSONSCAN_H

#include <stddef.h>

/* Deepest nesting of arrays and objects accepted (cJSON's limit is 1000). */
#define JSONSCAN_MAX_DEPTH 256

/* Longest number accepted (cJSON copies a number into 64 bytes). */
#define JSONSCAN_MAX_NUMBER 63

/* Checks that text[0..len) is exactly one JSON value, optionally preceded
 * by a UTF-8 byte-order mark, with only white space around it. NUL bytes
 * are errors. Returns 0, or -1 with *err_off the offset of the problem
 * (len for an unexpected end) and `why` (capacity why_cap) saying what it
 * is, e.g. `unexpected "}" (expected a value)`, `unexpected end of file`,
 * `trailing garbage after the top-level value`. */
int jsonscan_check(const char *text, size_t len, size_t *err_off, char *why,
                   size_t why_cap);

/* 1-based line and column of byte `off` of text: lines end at "\n" (or a
 * lone "\r"); columns count characters (UTF-8 sequences), not bytes, and
 * ignore a leading byte-order mark. */
void jsonscan_position(const char *text, size_t len, size_t off, size_t *line,
                       size_t *col);

#endif
