/* render.h — draws the timeline of a trace on any cairo_t: the PNG export
 * draws on an image surface, the GTK widget on its snapshot's cairo_t. One
 * code path for both. Needs the model, cairo and pango; never GTK.
 *
 * A frame costs O(width) queries on the timeline's summary plus the GC
 * pauses, marks and spans in view, whatever the zoom and the trace size.
 * Strings from the trace are drawn as plain text (never markup, never a
 * format).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RENDER_H
#define LEAKSCOPE_RENDER_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site-series.h"
#include "timeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tracks, top to bottom in this order. */
typedef enum render_track {
    RENDER_TRACK_HEAP      = 1u << 0, /* live heap, area chart */
    RENDER_TRACK_ALLOC     = 1u << 1, /* allocation rate (comes with "heap") */
    RENDER_TRACK_GC        = 1u << 2, /* GC pauses */
    RENDER_TRACK_RESOURCES = 1u << 3, /* open resources per kind / lifetimes */
    RENDER_TRACK_THREADS   = 1u << 4, /* one lane per thread */
    RENDER_TRACK_MARKS     = 1u << 5, /* marks and spans */
    RENDER_TRACK_ALL       = (1u << 6) - 1,
    /* The heap by call site, stacked (comes with "heap" when the view has
     * render_view_params.sites): below the allocation rate. */
    RENDER_TRACK_SITES     = 1u << 6,
} render_track;

typedef enum render_theme { RENDER_THEME_LIGHT, RENDER_THEME_DARK } render_theme;

typedef struct render_view_params {
    timeline *tl;          /* required; queries may decode and cache */
    uint64_t t0, t1;       /* visible range, ns on the trace's clock; t1 > t0 */
    int width, height;     /* pixels of the area to draw, from (0, 0) */
    uint32_t tracks;       /* render_track bits; 0 = all */
    render_theme theme;
    bool header;           /* title (program, date), summary and legend on top */
    bool heap_zero_based;  /* false: zoomed in, the heap axis fits the values in view */
    /* State from the widget (ignored by the export): */
    double hover_x;        /* < 0: none; else a cursor line with a readout */
    uint64_t sel_t0, sel_t1; /* a selected range when sel_t1 > sel_t0 */
    /* The heap by call site (the viewer's; the export has none): */
    const ls_site_series *sites; /* NULL: no such track */
    uint32_t site_bands;     /* its first site_bands stacks stacked (<= RENDER_SITE_BANDS), the rest "other" */
    const char *const *site_names; /* site_bands names (plain text, may be NULL): the legend */
    uint64_t site_selected;  /* bits of series i < 64: their sum drawn as a line over the heap */
} render_view_params;

#define RENDER_SITE_BANDS 8

#define RENDER_MAX_ROWS 9

/* Where things are, for hit testing and for tests: the time axis spans
 * [plot_x0, plot_x1) and each drawn track has a row [y0, y1). */
typedef struct render_row {
    render_track track;
    double y0, y1;         /* the whole row */
    double py0, py1;       /* its plot area (charts: heap_axis_min or 0 at py1) */
    bool folded;           /* nothing to show (no GC pauses, no marks, ...): one line, no plot */
} render_row;

/* A label's box as drawn (all 0 when it was not drawn). */
typedef struct render_box {
    double x0, y0, x1, y1;
} render_box;

typedef struct render_layout {
    double plot_x0, plot_x1;
    double ruler_y0, ruler_y1;
    render_row rows[RENDER_MAX_ROWS];
    int nrows;
    uint64_t heap_axis_min; /* bytes at the heap plot's bottom (py1): 0 unless fitted */
    uint64_t heap_axis_max; /* bytes at the heap plot's top (py0) */
    double heap_axis_step;  /* bytes between its grid lines, from heap_axis_min */
    double res_axis_top;    /* open resources at the resources plot's top (py0; 0 at py1), when drawn as counts */
    /* Filled by render_view_drawn only: where labels went. */
    render_box peak_label, last_mark_label, selection_label;
} render_layout;

/* Fills defaults: the whole trace, all tracks, light theme, header on, no
 * hover or selection, heap axis fitted when zoomed in, for a width x height
 * picture of tl. */
void render_view_params_init(render_view_params *p, timeline *tl, int width, int height);

/* Computes the layout of a view (the same render_view uses). */
void render_view_layout(const render_view_params *p, render_layout *out);

/* Draws the view onto cr (clip, transform and surface are the caller's; the
 * drawing covers (0, 0)..(width, height) with the theme's background).
 * Leaves cr's state as it found it. */
void render_view(cairo_t *cr, const render_view_params *p);

/* Whether track t of tl waits for the trace's events: tl is a sketch
 * (timeline_open_sketch) of a trace that holds what the track shows; its
 * line then says "reading the events…", not that there is nothing. */
bool render_track_unread(const timeline *tl, render_track t);

/* render_view, and the layout it drew with, label boxes included (tests). */
void render_view_drawn(cairo_t *cr, const render_view_params *p, render_layout *out);

/* The heap at x in view p laid out as l: one value, the heap at the time
 * under x (render_time_at), which the hover readout and the viewer's status
 * both show. *t (if not NULL) gets that time. */
uint64_t render_heap_at(const render_view_params *p, const render_layout *l, double x, uint64_t *t);

/* The hover readout's text at x ("811.52 ms · heap 685 KiB": the time with a
 * pixel's precision, render_heap_at's heap), as drawn; the viewer's status
 * line shows the same string. Writes into buf (truncating). */
void render_hover_label(const render_view_params *p, const render_layout *l, double x, char *buf, size_t len);

/* x of time t in a layout of view p (may lie outside the plot). */
double render_x_of(const render_layout *l, const render_view_params *p, uint64_t t);

/* Time at x in the view (clamped to the view). */
uint64_t render_time_at(const render_layout *l, const render_view_params *p, double x);

/* What is under a pixel (render_hit_test). */
typedef enum render_hit_kind {
    RENDER_HIT_NONE,
    RENDER_HIT_HEAP,      /* the heap or allocation rate chart at `t` */
    RENDER_HIT_GC,        /* analysis->gc[index] */
    RENDER_HIT_LIFETIME,  /* `lifetime`: a resource's bar */
    RENDER_HIT_RESOURCES, /* the open-resource counts at `t` */
    RENDER_HIT_MARK,      /* analysis->marks[index] */
    RENDER_HIT_SPAN,      /* analysis->spans[index] */
    RENDER_HIT_THREADS,   /* the thread lanes at `t` */
    RENDER_HIT_FAILURE,   /* analysis->open_failures[index]: an open that failed (EMFILE, ENFILE) */
    RENDER_HIT_SITE,      /* the heap by call site: band `index` at `t` (site_bands: "other"), `bytes` live */
} render_hit_kind;

typedef struct render_hit {
    render_hit_kind kind;
    render_track track;   /* the row under the pixel */
    uint64_t t;           /* time at x, ns on the trace's clock */
    uint64_t slack;       /* ns per 4 pixels at this zoom */
    uint32_t index;
    timeline_lifetime lifetime;
    uint64_t bytes;
} render_hit;

/* What view p, laid out as l (render_view_layout), draws at (x, y): the
 * same geometry the drawing uses. False (kind NONE) outside the tracks. */
bool render_hit_test(const render_view_params *p, const render_layout *l, double x, double y, render_hit *hit);

/* A time t ns after the trace start, with the digits a view (or tick) step
 * of `step` ns needs ("1.479312 s"). */
void render_time_text(uint64_t t, uint64_t step, char *buf, size_t len);

/* Parses a comma-separated track list ("heap,gc,resources,threads,marks").
 * Returns the bits, or 0 with *bad (if not NULL) pointing at the first
 * unknown name in `list` (empty names are unknown too). */
uint32_t render_tracks_parse(const char *list, const char **bad);

#ifdef __cplusplus
}
#endif
#endif
