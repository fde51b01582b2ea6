/*
 * float_text: floats to text and text to floats, exactly and fast, for
 * the weights file's millions of numbers (SPEC section 4).
 *
 *   float_to_text    the bytes snprintf("%.9g") writes, without printf:
 *                    9 significant digits, which read back bit-exactly
 *   float_from_text  the float strtof returns for a decimal number,
 *                    without strtof in the common case
 *
 * Both take a fast path in double arithmetic whose error is bounded, and
 * hand the rare input near a rounding boundary to the C library, whose
 * result is the definition; bench/float_text_all.c checks both against it
 * over all 2^32 floats. The C library runs in the C locale here (backprop
 * never calls setlocale), so the decimal point is always '.'.
 *
 * Pure functions: no allocation, no global state, thread-safe.
 */
#ifndef FLOAT_TEXT_H
#define FLOAT_TEXT_H

#include <stddef.h>

/* Room float_to_text needs: "-1.23456789e-38" is 15 bytes, plus a NUL. */
#define FLOAT_TEXT_MAX 16

/* Writes x as "%.9g" would into buf (at least FLOAT_TEXT_MAX bytes, NUL
 * terminated) and returns the length. x must be finite (the JSON writer
 * writes null for the others). */
size_t float_to_text(char *buf, float x);

/* Reads s[0..len), a decimal number ([+-]digits[.digits][(e|E)[+-]digits],
 * at least one digit, no space: JSON's numbers and more), as strtof does.
 * Returns 0 and sets *out; or -1 when the text is not such a number, or is
 * longer than 63 bytes, or overflows the float range (strtof's HUGE_VALF).
 * Underflow to a subnormal or zero is a value, as strtof gives it. */
int float_from_text(const char *s, size_t len, float *out);

#endif
