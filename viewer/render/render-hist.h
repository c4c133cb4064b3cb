/* render-hist.h — a size or lifetime histogram (histogram.h) as a bar
 * chart on any cairo_t: the viewer's Sizes and Lifetimes panel. One bar per
 * bucket from the lowest nonempty one to the highest, as tall as its count;
 * lifetimes end with a bar for the blocks still live. A comparison (the
 * Compare panel's sizes) gives each bucket two bars side by side, the base
 * run's (grey, left) and this run's, on one scale, under a legend. The
 * drawing and the hit test read one layout.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RENDER_HIST_H
#define LEAKSCOPE_RENDER_HIST_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "render.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RENDER_HIST_TOP 28     /* the title line */
#define RENDER_HIST_BOTTOM 34  /* the bucket labels */
#define RENDER_HIST_SIDE 56    /* the count axis on the left */

/* The most bars a chart has: two per bucket in a comparison, or one per
 * bucket and the blocks still live. */
#define RENDER_HIST_MAX_BARS (2 * LS_HIST_MAX_BUCKETS)

typedef struct render_hist_params {
    const ls_histograms *hist;   /* may be NULL: nothing recorded */
    ls_hist_kind kind;
    uint32_t stack;              /* LS_HIST_ALL, or one stack id's */
    const ls_hist *h;            /* not NULL: this histogram of `kind`, not hist's of stack (a call site's
                                    stacks summed: site-diff.h) */
    const ls_hist *base;         /* not NULL: a comparison with this run (the base's histogram of `kind`);
                                    no bar for the blocks still live */
    uint64_t live_blocks, live_bytes; /* lifetimes: the blocks still live at the end (a last bar when any) */
    int width, height;
    render_theme theme;
    const char *title;           /* plain text, may be NULL */
    int hover;                   /* the bar under the pointer (index into the layout), -1: none */
} render_hist_params;

typedef struct render_hist_bar {
    int bucket;                  /* -1: the blocks still live */
    bool base;                   /* a comparison's bar of the base run */
    uint64_t count, bytes;
    double x0, x1, y0, y1;       /* the drawn box (y1: the axis) */
} render_hist_bar;

/* The bars of p's chart into out[] (at most RENDER_HIST_MAX_BARS), left
 * to right (in a comparison each bucket's base bar, then this run's);
 * returns how many (0: nothing to draw). */
unsigned render_hist_layout(const render_hist_params *p, render_hist_bar out[RENDER_HIST_MAX_BARS]);

/* The bar drawn at (x, y) or above it in its column (so a short bar is
 * easy to point at): its index, or -1. */
int render_hist_hit(const render_hist_params *p, double x, double y);

/* "512 B–1.00 KiB: 300 allocations, 200 KiB" (from <= size < to, as the report:
 * ls_format_hist_span) / "still live at the end: 12 blocks, 1.2 MiB" / in a
 * comparison, either bar of a bucket: "64 B–128 B: 6 allocations, 600 B (base
 * 2, 200 B: +4)": what bar b says, as the viewer shows it. */
const char *render_hist_bar_text(const render_hist_params *p, const render_hist_bar *b, char *buf, size_t len);

/* Draws p's chart onto cr at (0, 0), width x height, on the theme's
 * background. Leaves cr's state as it found it. */
void render_hist(cairo_t *cr, const render_hist_params *p);

#ifdef __cplusplus
}
#endif
#endif
