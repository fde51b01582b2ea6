/* svg_plot: line charts as SVG text. See svg_plot.h. */
#include "svg_plot.h"

#include "atomic_file.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string; an allocation failure is sticky ---- */

struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

static bool sb_reserve(struct sbuf *b, size_t more)
{
    if (b->failed)
        return false;
    if (more < b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_put(b, small, (size_t)n);
        return;
    }
    if (!sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- escaping ---- */

/* The length of the valid UTF-8 sequence at s that XML 1.0 allows, or 0.
 * s is NUL-terminated, so a cut-off sequence stops at the NUL. */
static size_t utf8_char(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

static void sb_escape(struct sbuf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        size_t n = utf8_char(s);
        switch (n ? *s : 0xFF) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&apos;"); break;
        case '\t': case '\n': case '\r': sb_puts(b, " "); break;
        default:
            if (n == 0 || *s < 0x20 || *s == 0x7F)
                sb_puts(b, REPLACEMENT);
            else
                sb_put(b, (const char *)s, n);
        }
        s += n ? n : 1;
    }
}

char *svg_escape(const char *s)
{
    struct sbuf b = {0};
    sb_puts(&b, "");
    sb_escape(&b, s);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Characters of UTF-8 text, for estimating its drawn width. */
static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- ticks ---- */

#define TICK_CLAMP 1e300

/* Heckbert's "nice number" (Graphics Gems, 1990): 1, 2, 5 or 10 times a
 * power of ten nearest x > 0. (Heckbert first rounds the range up to a
 * nice number too; that skips to coarser steps, four ticks where six fit.) */
static double nice_number(double x)
{
    double e = floor(log10(x));
    double f = x / pow(10, e);
    double nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return nf * pow(10, e);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void svg_nice_ticks(double min, double max, size_t target, bool integer,
                    struct svg_ticks *t)
{
    if (!(min <= max)) { /* also NaN */
        min = 0;
        max = 1;
    }
    min = clamp(min, -TICK_CLAMP, TICK_CLAMP);
    max = clamp(max, -TICK_CLAMP, TICK_CLAMP);
    if (target < 2)
        target = 2;
    if (min == max) {
        double half = integer ? 1 : min == 0 ? 0.5 : fabs(min) / 2;
        min -= half;
        max += half;
    }
    double step = nice_number((max - min) / (double)(target - 1));
    if (integer && step < 1)
        step = 1;
    t->step = step;
    t->lo = floor(min / step) * step;
    t->hi = ceil(max / step) * step;
    t->count = (size_t)llround((t->hi - t->lo) / step) + 1;
    int d = (int)-floor(log10(step) + 1e-9);
    t->decimals = d > 0 ? d : 0;
}

void svg_tick_label(char *buf, size_t size, const struct svg_ticks *t,
                    size_t i)
{
    double v = t->lo + (double)i * t->step;
    if (fabs(v) < t->step * 1e-6)
        v = 0; /* no "-0" and no 1e-17 from rounding */
    double big = fmax(fabs(t->lo), fabs(t->hi));
    if (t->decimals <= 6 && big < 1e9) {
        snprintf(buf, size, "%.*f", t->decimals, v);
        return;
    }
    /* Very small steps or very large values: as many significant digits
     * as the step needs to tell neighbours apart. */
    int digits = (int)(floor(log10(big)) - floor(log10(t->step) + 1e-9)) + 1;
    snprintf(buf, size, "%.*g", digits < 1 ? 1 : digits > 17 ? 17 : digits,
             v);
}

/* ---- drawing ---- */

#define TITLE_Y 28
#define LEGEND_Y 54
#define PLOT_TOP 76
#define PLOT_BOTTOM_MARGIN 56
#define LEFT_MARGIN 78
#define RIGHT_MARGIN_AXIS 78
#define RIGHT_MARGIN_NONE 32
#define LEGEND_CHAR_WIDTH 7.0 /* px per character at 13px: an estimate */
#define MARKERS_UP_TO 25      /* dots on every point of shorter series */
#define CLIP_MARGIN 4         /* px: dots on the frame are drawn whole */

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                     "#ff7f0e", "#9467bd", "#8c564b",
                                     "#e377c2", "#17becf"};
#define N_COLORS (sizeof colors / sizeof colors[0])
#define LEGEND_ROW 18   /* px between two legend rows */

/* Series s's colour: the palette first, then hues a golden angle apart
 * (a sweep overlays more runs than any palette has colours), so no two
 * series share one. */
static const char *series_color(size_t s, char buf[16])
{
    if (s < N_COLORS)
        return colors[s];
    double h = fmod((double)(s - N_COLORS) * 137.50776 + 15.0, 360.0);
    /* HSL(h, 65%, 42%) to RGB. */
    double c = (1 - fabs(2 * 0.42 - 1)) * 0.65;
    double hp = h / 60.0, x = c * (1 - fabs(fmod(hp, 2.0) - 1));
    double r = 0, g = 0, b = 0;
    if (hp < 1) r = c, g = x;
    else if (hp < 2) r = x, g = c;
    else if (hp < 3) g = c, b = x;
    else if (hp < 4) g = x, b = c;
    else if (hp < 5) r = x, b = c;
    else r = c, b = x;
    double m = 0.42 - c / 2;
    snprintf(buf, 16, "#%02x%02x%02x", (int)lround((r + m) * 255),
             (int)lround((g + m) * 255), (int)lround((b + m) * 255));
    return buf;
}

/* The legend's rows: its entries laid out left to right, wrapped to the
 * drawing's width. *row_of[s] (when not NULL) gets each entry's row. */
static size_t legend_rows(const struct svg_plot *p, size_t *row_of,
                          double *row_width)
{
    const double swatch = 26, gap = 6, spacing = 22, usable = SVG_PLOT_WIDTH - 16;
    size_t rows = 1;
    double x = 0;
    for (size_t s = 0; s < p->n_series; s++) {
        double w = swatch + gap +
                   LEGEND_CHAR_WIDTH * (double)text_chars(p->series[s].name);
        if (x > 0 && x + spacing + w > usable) {
            rows++;
            x = 0;
        }
        x += (x > 0 ? spacing : 0) + w;
        if (row_of)
            row_of[s] = rows - 1;
        if (row_width)
            row_width[rows - 1] = x;
    }
    return rows;
}

/* The plot area and the scales that map data into it. */
struct frame {
    double left, right, top, bottom;
    struct svg_ticks x, y, y2;
    bool has_right;
};

static double map_x(const struct frame *f, double x)
{
    return f->left + (x - f->x.lo) / (f->x.hi - f->x.lo) * (f->right - f->left);
}

static double map_y(const struct frame *f, const struct svg_ticks *t,
                    double y)
{
    return f->bottom - (y - t->lo) / (t->hi - t->lo) * (f->bottom - f->top);
}

static void left_range(const struct svg_plot *p, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t s = 0; s < p->n_series; s++) {
        if (p->series[s].axis != SVG_AXIS_LEFT)
            continue;
        for (size_t i = 0; i < p->n; i++) {
            double y = p->series[s].y[i];
            if (isfinite(y)) {
                mn = fmin(mn, y);
                mx = fmax(mx, y);
            }
        }
    }
    if (mn > mx) {
        mn = 0;
        mx = 1;
    } else if (mn >= 0 && mn < mx / 2) {
        mn = 0;
    }
    *lo = mn;
    *hi = mx;
}

static void layout(const struct svg_plot *p, struct frame *f)
{
    f->has_right = false;
    for (size_t s = 0; s < p->n_series; s++)
        f->has_right |= p->series[s].axis == SVG_AXIS_RIGHT;
    f->left = LEFT_MARGIN;
    f->right = SVG_PLOT_WIDTH -
               (f->has_right ? RIGHT_MARGIN_AXIS : RIGHT_MARGIN_NONE);
    f->top = PLOT_TOP + (double)(legend_rows(p, NULL, NULL) - 1) * LEGEND_ROW;
    f->bottom = SVG_PLOT_HEIGHT - PLOT_BOTTOM_MARGIN;
    svg_nice_ticks(p->x[0], p->x[p->n - 1], SVG_PLOT_TICKS + 2, p->integer_x,
                   &f->x);
    double lo, hi;
    left_range(p, &lo, &hi);
    svg_nice_ticks(lo, hi, SVG_PLOT_TICKS, false, &f->y);
    /* The right axis shows exactly its fixed range. */
    svg_nice_ticks(p->right_min, p->right_max, SVG_PLOT_TICKS, false, &f->y2);
    f->y2.lo = p->right_min;
    f->y2.hi = p->right_max;
    f->y2.count = (size_t)floor((f->y2.hi - f->y2.lo) / f->y2.step + 1e-9) + 1;
}

static void draw_grid_and_axes(struct sbuf *b, const struct svg_plot *p,
                               const struct frame *f)
{
    char label[64];
    sb_puts(b, "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (size_t i = 0; i < f->y.count; i++) {
        double y = map_y(f, &f->y, f->y.lo + (double)i * f->y.step);
        sb_printf(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
                  f->left, y, f->right, y);
    }
    for (size_t i = 0; i < f->x.count; i++) {
        double x = map_x(f, f->x.lo + (double)i * f->x.step);
        sb_printf(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
                  x, f->top, x, f->bottom);
    }
    sb_puts(b, "</g>\n");

    /* Frame and tick marks. */
    sb_printf(b,
              "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
              "fill=\"none\" stroke=\"#555\" stroke-width=\"1\"/>\n",
              f->left, f->top, f->right - f->left, f->bottom - f->top);
    sb_puts(b, "<g stroke=\"#555\" stroke-width=\"1\">\n");
    for (size_t i = 0; i < f->x.count; i++) {
        double x = map_x(f, f->x.lo + (double)i * f->x.step);
        sb_printf(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
                  x, f->bottom, x, f->bottom + 5);
    }
    for (size_t i = 0; i < f->y.count; i++) {
        double y = map_y(f, &f->y, f->y.lo + (double)i * f->y.step);
        sb_printf(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
                  f->left - 5, y, f->left, y);
    }
    if (f->has_right)
        for (size_t i = 0; i < f->y2.count; i++) {
            double y = map_y(f, &f->y2, f->y2.lo + (double)i * f->y2.step);
            sb_printf(b,
                      "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
                      f->right, y, f->right + 5, y);
        }
    sb_puts(b, "</g>\n");

    /* Tick labels. */
    sb_puts(b, "<g font-size=\"12\" fill=\"#333\">\n");
    for (size_t i = 0; i < f->x.count; i++) {
        svg_tick_label(label, sizeof label, &f->x, i);
        sb_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s"
                     "</text>\n",
                  map_x(f, f->x.lo + (double)i * f->x.step), f->bottom + 19,
                  label);
    }
    for (size_t i = 0; i < f->y.count; i++) {
        svg_tick_label(label, sizeof label, &f->y, i);
        sb_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s"
                     "</text>\n",
                  f->left - 8, map_y(f, &f->y, f->y.lo + (double)i * f->y.step) + 4,
                  label);
    }
    if (f->has_right)
        for (size_t i = 0; i < f->y2.count; i++) {
            svg_tick_label(label, sizeof label, &f->y2, i);
            sb_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"start\">%s"
                         "</text>\n",
                      f->right + 8,
                      map_y(f, &f->y2, f->y2.lo + (double)i * f->y2.step) + 4,
                      label);
        }
    sb_puts(b, "</g>\n");

    /* Axis names. */
    sb_puts(b, "<g font-size=\"13\" fill=\"#222\" text-anchor=\"middle\">\n");
    sb_printf(b, "<text x=\"%.2f\" y=\"%d\">", (f->left + f->right) / 2,
              SVG_PLOT_HEIGHT - 12);
    sb_escape(b, p->x_label ? p->x_label : "");
    sb_puts(b, "</text>\n");
    double mid = (f->top + f->bottom) / 2;
    sb_printf(b, "<text transform=\"translate(20 %.2f) rotate(-90)\">", mid);
    sb_escape(b, p->left_label ? p->left_label : "");
    sb_puts(b, "</text>\n");
    if (f->has_right) {
        sb_printf(b, "<text transform=\"translate(%d %.2f) rotate(90)\">",
                  SVG_PLOT_WIDTH - 20, mid);
        sb_escape(b, p->right_label ? p->right_label : "");
        sb_puts(b, "</text>\n");
    }
    sb_puts(b, "</g>\n");
}

static const char *dash(const struct svg_series *s)
{
    return s->axis == SVG_AXIS_RIGHT ? " stroke-dasharray=\"7 4\"" : "";
}

static void draw_series(struct sbuf *b, const struct svg_plot *p,
                        const struct frame *f, size_t s)
{
    const struct svg_series *se = &p->series[s];
    const struct svg_ticks *t = se->axis == SVG_AXIS_RIGHT ? &f->y2 : &f->y;
    char buf[16];
    const char *color = series_color(s, buf);
    const double *y = se->y;

    sb_printf(b, "<g clip-path=\"url(#plot-area)\" class=\"series\" "
                 "data-series=\"%zu\">\n", s);
    bool started = false, pen = false;
    for (size_t i = 0; i < p->n; i++) {
        if (!isfinite(y[i])) {
            pen = false;
            continue;
        }
        if (!started) {
            sb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                         "stroke-linejoin=\"round\" stroke-linecap=\"round\"%s "
                         "d=\"",
                      color, dash(se));
            started = true;
        }
        sb_printf(b, "%s%c%.2f %.2f", i ? " " : "", pen ? 'L' : 'M',
                  map_x(f, p->x[i]), map_y(f, t, y[i]));
        pen = true;
    }
    if (started)
        sb_puts(b, "\"/>\n");
    for (size_t i = 0; i < p->n; i++) {
        bool alone = (i == 0 || !isfinite(y[i - 1])) &&
                     (i + 1 == p->n || !isfinite(y[i + 1]));
        if (isfinite(y[i]) && (p->n <= MARKERS_UP_TO || alone))
            sb_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" "
                         "fill=\"%s\"/>\n",
                      map_x(f, p->x[i]), map_y(f, t, y[i]), color);
    }
    sb_puts(b, "</g>\n");
}

/* Rows under the title: a line sample and the name of each series,
 * each row centred. */
static void draw_legend(struct sbuf *b, const struct svg_plot *p)
{
    const double swatch = 26, gap = 6, spacing = 22;
    size_t n = p->n_series ? p->n_series : 1;
    size_t *row_of = calloc(n, sizeof *row_of);
    double *row_width = calloc(n, sizeof *row_width);
    if (!row_of || !row_width) {
        free(row_of);
        free(row_width);
        b->failed = true;
        return;
    }
    legend_rows(p, row_of, row_width);
    sb_puts(b, "<g class=\"legend\" font-size=\"13\" fill=\"#222\">\n");
    double x = 0;
    for (size_t s = 0; s < p->n_series; s++) {
        const struct svg_series *se = &p->series[s];
        size_t row = row_of[s];
        if (s == 0 || row != row_of[s - 1]) {
            x = (SVG_PLOT_WIDTH - row_width[row]) / 2;
            if (x < 8)
                x = 8;
        }
        int y = LEGEND_Y + (int)row * LEGEND_ROW;
        char buf[16];
        sb_printf(b, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" "
                     "stroke=\"%s\" stroke-width=\"2.5\"%s/>\n",
                  x, y - 4, x + swatch, y - 4, series_color(s, buf),
                  dash(se));
        x += swatch + gap;
        sb_printf(b, "<text x=\"%.2f\" y=\"%d\">", x, y);
        sb_escape(b, se->name);
        sb_puts(b, "</text>\n");
        x += LEGEND_CHAR_WIDTH * (double)text_chars(se->name) + spacing;
    }
    sb_puts(b, "</g>\n");
    free(row_of);
    free(row_width);
}

static bool valid(const struct svg_plot *p)
{
    if (p->n == 0 || !p->x || (p->n_series && !p->series))
        return false;
    for (size_t i = 0; i < p->n; i++)
        if (!isfinite(p->x[i]) || (i && !(p->x[i] > p->x[i - 1])))
            return false;
    for (size_t s = 0; s < p->n_series; s++)
        if (!p->series[s].y || !p->series[s].name ||
            (p->series[s].axis == SVG_AXIS_RIGHT &&
             !(p->right_min < p->right_max)))
            return false;
    return true;
}

char *svg_plot_render(const struct svg_plot *p, size_t *len,
                      struct bp_error *err)
{
    if (!valid(p)) {
        bp_error_set(err, BP_EINTERNAL,
                     "svg_plot: no points, or x not finite and increasing");
        return NULL;
    }
    struct frame f;
    layout(p, &f);
    struct sbuf b = {0};
    const char *title = p->title ? p->title : "";

    sb_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              ATOMIC_SVG_MARKER "\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
              "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
              "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
              SVG_PLOT_WIDTH, SVG_PLOT_HEIGHT, SVG_PLOT_WIDTH,
              SVG_PLOT_HEIGHT);
    sb_puts(&b, "<title>");
    sb_escape(&b, title);
    sb_puts(&b, "</title>\n");
    sb_printf(&b,
              "<defs><clipPath id=\"plot-area\"><rect x=\"%.2f\" y=\"%.2f\" "
              "width=\"%.2f\" height=\"%.2f\"/></clipPath></defs>\n",
              f.left - CLIP_MARGIN, f.top - CLIP_MARGIN,
              f.right - f.left + 2 * CLIP_MARGIN,
              f.bottom - f.top + 2 * CLIP_MARGIN);
    sb_puts(&b, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    sb_printf(&b,
              "<text x=\"%d\" y=\"%d\" font-size=\"17\" font-weight=\"bold\" "
              "text-anchor=\"middle\" fill=\"#111\">",
              SVG_PLOT_WIDTH / 2, TITLE_Y);
    sb_escape(&b, title);
    sb_puts(&b, "</text>\n");
    draw_legend(&b, p);
    draw_grid_and_axes(&b, p, &f);
    for (size_t s = 0; s < p->n_series; s++)
        draw_series(&b, p, &f, s);
    sb_puts(&b, "</svg>\n");

    if (b.failed) {
        free(b.p);
        bp_error_set(err, BP_ENOMEM, "out of memory drawing the plot");
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}
