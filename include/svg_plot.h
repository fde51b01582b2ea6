/*
 * svg_plot: draws line charts (learning curves) as standalone SVG text.
 *
 * Pure functions on arrays: no I/O, no global state. The caller owns every
 * array it passes in; svg_plot_render() returns a new string the caller
 * frees. Nothing here reads a log or writes a file (that is cmd_plot.c).
 *
 * The chart: a title, a legend row naming each series under it, a plot
 * area with gridlines at the x and left-axis ticks, an x axis at the
 * bottom, a left axis and, when some series is drawn against it, a right
 * axis with a fixed range (accuracy's 0..1). Tick values are "nice":
 * 1, 2 or 5 times a power of ten, labelled with just enough decimals.
 *
 * Missing values (NaN or infinite) leave a gap in their line; a point with
 * no neighbour on either side is still drawn, as a dot.
 */
#ifndef SVG_PLOT_H
#define SVG_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "bp_error.h"

/* Size of the drawing, in CSS pixels. */
#define SVG_PLOT_WIDTH 800
#define SVG_PLOT_HEIGHT 480

/* Roughly how many ticks an axis gets (the nice values decide exactly). */
#define SVG_PLOT_TICKS 6

enum svg_axis { SVG_AXIS_LEFT, SVG_AXIS_RIGHT };

struct svg_series {
    const char *name;   /* legend text, UTF-8 (escaped when written) */
    const double *y;    /* [n] values; NaN or +-Inf: no point there */
    enum svg_axis axis; /* left: the data's own range; right: fixed range */
};

struct svg_plot {
    const char *title;       /* UTF-8; escaped when written */
    const char *x_label;     /* e.g. "epoch" */
    const char *left_label;  /* e.g. "loss" */
    const char *right_label; /* e.g. "accuracy"; used if a series is right */
    double right_min, right_max; /* the right axis' fixed range, min < max */
    const double *x;         /* [n], finite and strictly increasing */
    size_t n;                /* number of points, >= 1 */
    bool integer_x;          /* x ticks are whole numbers (epochs) */
    const struct svg_series *series; /* [n_series], drawn in this order */
    size_t n_series;
};

/* The SVG document for p, NUL-terminated, its length in *len (may be
 * NULL). The left axis spans the finite values of the left series, from 0
 * when they are all >= 0 and the smallest is below half the largest (so
 * a falling loss is seen against zero); [0, 1] when there are none.
 * Returns NULL with BP_ENOMEM when memory runs out, or BP_EINTERNAL when
 * p breaks the rules above (x not increasing, n == 0). */
char *svg_plot_render(const struct svg_plot *p, size_t *len,
                      struct bp_error *err);

/* Evenly spaced nice tick values covering [min, max]: step is 1, 2 or 5
 * times a power of ten (at least 1 with integer), lo <= min and hi >= max
 * are multiples of step, and about `target` ticks (>= 2) lie in [lo, hi].
 * A single value (min == max) is widened around it. Inputs are clamped to
 * +-1e300 so that no range overflows. `decimals` is the number of digits
 * after the point that tells the ticks apart. */
struct svg_ticks {
    double lo, hi, step;
    size_t count; /* ticks from lo to hi inclusive: (hi - lo) / step + 1 */
    int decimals;
};
void svg_nice_ticks(double min, double max, size_t target, bool integer,
                    struct svg_ticks *t);

/* The label of tick i of t ("0.2", "10", "-5", never "-0"), into buf. */
void svg_tick_label(char *buf, size_t size, const struct svg_ticks *t,
                    size_t i);

/* s with XML's special characters as entities (& < > " '), and control
 * characters and invalid UTF-8 replaced by U+FFFD, so any text makes
 * well-formed XML. New string (caller frees), or NULL when out of memory. */
char *svg_escape(const char *s);

#endif
