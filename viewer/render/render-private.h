/* render-private.h — what the render files share: the theme's palette, the
 * drawing context of one frame, text and axis helpers. Not an API.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RENDER_PRIVATE_H
#define LEAKSCOPE_RENDER_PRIVATE_H

#include "render.h"

#include <pango/pangocairo.h>
#include <math.h>
#include <stddef.h>

#define RENDER_SERIES_COLORS 8

typedef struct rgba {
    double r, g, b, a;
} rgba;

typedef struct render_palette {
    rgba bg, panel, text, text_dim, grid, axis;
    rgba heap_fill, heap_line, alloc, gc, gc_long, thread, mark, span, never_closed;
    rgba base_run; /* a comparison's base run (the histograms' grey beside this run's blue) */
    rgba hover, selection;
    rgba series[RENDER_SERIES_COLORS];
} render_palette;

/* The palette of a theme (static, never NULL). */
const render_palette *render_palette_of(render_theme theme);

typedef enum text_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } text_align;
typedef enum text_font { FONT_SMALL, FONT_LABEL, FONT_BOLD, FONT_TITLE, FONT_COUNT } text_font;

/* One frame's state. */
typedef struct render_ctx {
    cairo_t *cr;
    const render_view_params *p;
    const render_layout *l;
    const render_palette *pal;
    PangoLayout *text;
    PangoFontDescription *fonts[FONT_COUNT];
    uint32_t ncols;            /* pixel columns of the plot */
    double *col_a, *col_b;     /* scratch, ncols each */
    uint64_t *col_u, *col_v;   /* scratch, ncols + 1 each */
    uint32_t *col_m, *col_n;   /* scratch, ncols each */
    render_layout *out;        /* render_view_drawn's: label boxes go here (or NULL) */
} render_ctx;

static inline void set_color(cairo_t *cr, const rgba *c) { cairo_set_source_rgba(cr, c->r, c->g, c->b, c->a); }

/* Plain text (never markup) at (x, y) = top of the line, aligned around x.
 * max_width > 0 ellipsizes. Returns the drawn width in pixels. */
double text_draw(render_ctx *rc, text_font f, const rgba *c, double x, double y, text_align al,
                 double max_width, const char *s);
/* Size of s in font f (pixels). */
void text_size(render_ctx *rc, text_font f, const char *s, double *w, double *h);

/* Human units for labels. */
void fmt_bytes(double bytes, char *buf, size_t len);
void fmt_count(double n, char *buf, size_t len);
void fmt_duration(double ns, char *buf, size_t len);
/* A time on the ruler: t ns after the trace start, with the precision the
 * tick step needs. */
void fmt_ruler_time(uint64_t t, uint64_t step, char *buf, size_t len);

/* A "nice" axis: the top value (>= max) and the tick step, 1-2-5 x 10^k, or
 * in powers of 1024 for bytes. */
typedef struct value_axis {
    double top, step;
    double bottom;             /* value at the plot's foot (0 unless fitted) */
    bool bytes, duration;
} value_axis;
value_axis value_axis_make(double max, bool bytes, int max_ticks);

/* The resources track's count axis for view p over ncols columns: from 0
 * to the most open of any kind in view, rounded up to whole steps. The
 * layout keeps its top (render_layout.res_axis_top), the track draws it. */
value_axis resource_axis(const render_view_params *p, uint32_t ncols);

/* Grid lines and labels of a value axis in the gutter left of row r's plot. */
void axis_draw_values(render_ctx *rc, const render_row *r, const value_axis *ax, const char *suffix);
/* The time ruler, and the vertical grid lines through every row. */
void axis_draw_ruler(render_ctx *rc);

/* Geometry shared by the drawing and the hit test (render-hit.c). */
#define RENDER_BAR_ROW 14      /* a lifetime or span row, px */
#define RENDER_BAR_H 12        /* a bar in it */
#define RENDER_BAR_ROWS_MAX 256
#define RENDER_SPAN_TOP 18     /* span rows start below the marks' labels */

typedef struct render_bar {
    timeline_lifetime life;
    double x0, x1, y;          /* clipped to the plot, at least 2 px wide; top of the bar */
} render_bar;

/* The lifetimes in view as bars packed into the rows of r (first free row
 * from the top). False, with nothing allocated, when there are none, some
 * were dropped, or they do not fit (the track draws counts then); else
 * *out (free() it) holds *count bars in order of begin. */
bool render_lifetime_bars(const render_view_params *p, const render_layout *l, const render_row *r,
                          render_bar **out, uint64_t *count);

/* Span rows of the marks track: the top of depth d's row, and how many fit. */
double render_span_row_y(const render_row *r, uint32_t depth);
uint32_t render_span_rows(const render_row *r);
/* Where span s's bar lies in its row, x0..x1 (at least a pixel wide);
 * false when it is not in view. The drawing and the hit test both ask. */
bool render_span_bar(const render_view_params *p, const render_layout *l, const ls_span *s, double *x0,
                     double *x1);

/* The tracks (render-tracks.c). */
void track_heap(render_ctx *rc, const render_row *r);
void track_alloc(render_ctx *rc, const render_row *r);
void track_gc(render_ctx *rc, const render_row *r);
void track_resources(render_ctx *rc, const render_row *r);
void track_threads(render_ctx *rc, const render_row *r);
void track_marks(render_ctx *rc, const render_row *r);
void track_sites(render_ctx *rc, const render_row *r);

/* The heap by call site at time t, stacked: top[i] is the top of band i
 * (bands 0 .. p->site_bands - 1 the sites, band p->site_bands "other",
 * up to the whole heap), in bytes from 0. Returns how many bands (never
 * more than RENDER_SITE_BANDS + 1). The drawing and the hit test's one
 * rule. */
uint32_t render_site_stack(const render_view_params *p, uint64_t t, uint64_t top[RENDER_SITE_BANDS + 1]);
/* The time the heap-by-site row shows in the pixel column under x: its
 * right edge's (one stack per column). */
static inline uint64_t render_site_column_time(const render_layout *l, const render_view_params *p, double x)
{
    return render_time_at(l, p, floor(x) + 1);
}
/* The value axis of the heap-by-site row: from 0 to the whole heap's highest. */
double render_site_axis_top(const render_view_params *p);
/* The sum of the selected sites (p->site_selected) as a line over row r,
 * y_of mapping bytes to the row's y (the heap track's axis). */
void render_sites_selected_draw(render_ctx *rc, const render_row *r,
                                double (*y_of)(const render_ctx *, const render_row *, double));

/* The track's name in the gutter, and a legend entry (swatch + text) at
 * (x, y); legend_item returns its width. */
void track_title(render_ctx *rc, const render_row *r, const char *name);
double legend_item(render_ctx *rc, double x, double y, const rgba *c, const char *label);

/* y of value v on a chart row whose axis runs from lo (py1) to hi (py0). */
static inline double row_y_range(const render_row *r, double v, double lo, double hi)
{
    double f = hi > lo ? (v - lo) / (hi - lo) : 0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return r->py1 - f * (r->py1 - r->py0);
}

/* y of value v on a chart row with an axis topping at `top`. */
static inline double row_y(const render_row *r, double v, double top)
{
    double f = top > 0 ? v / top : 0;
    if (f > 1)
        f = 1;
    return r->py1 - f * (r->py1 - r->py0);
}

/* x of the left edge of plot column i. */
static inline double col_x(const render_ctx *rc, uint32_t i) { return rc->l->plot_x0 + i; }

#endif
