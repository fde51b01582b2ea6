/*
 * suggest: "did you mean" for a mistyped name (a config key, an option).
 *
 * Pure functions on strings: no allocation, no I/O. Distances are the
 * optimal-string-alignment edit distance (insertions, deletions,
 * substitutions and swaps of two adjacent bytes each cost 1), so
 * "learning_rat" -> "learning_rate" and "epcohs" -> "epochs" are 1 apart.
 */
#ifndef SUGGEST_H
#define SUGGEST_H

#include <stddef.h>

/* Longest name suggest_distance() compares; longer ones are "far". */
#define SUGGEST_MAX_LEN 64

/* Edit distance between a and b, or SIZE_MAX when either is longer than
 * SUGGEST_MAX_LEN bytes. */
size_t suggest_distance(const char *a, const char *b);

/* The candidate closest to `word`, when close enough to be a likely typo:
 * at most 2 edits, and at most a third of the longer name's length (so
 * "in" does not suggest "id"). Ties go to the earlier candidate.
 * `candidates` is NULL-terminated. Returns NULL when none is close. */
const char *suggest_closest(const char *word, const char *const *candidates);

#endif
