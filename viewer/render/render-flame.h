/* render-flame.h — a flame graph of a call tree (calltree.h): one layout,
 * drawn with cairo (the PNG export, later the viewer) or written as an
 * interactive SVG. Frame names come from the trace: they are drawn as plain
 * text and XML-escaped, never markup.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RENDER_FLAME_H
#define LEAKSCOPE_RENDER_FLAME_H

#include <cairo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calltree.h"
#include "render.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Geometry, in pixels: a title line on top, one row per depth (the root,
 * "all", at the bottom), a details line below. */
#define RENDER_FLAME_FRAME_H 16
#define RENDER_FLAME_TOP 36
#define RENDER_FLAME_BOTTOM 28
#define RENDER_FLAME_SIDE 10
/* Frames narrower than this are left out, with everything above them. */
#define RENDER_FLAME_MIN_WIDTH 0.1

typedef struct render_flame_params {
    const ls_calltree *tree;  /* required; the frames are its nodes */
    ls_metric metric;
    int width;                /* pixels; the height follows (render_flame_height) */
    render_theme theme;
    const char *title;        /* e.g. the program; may be NULL; untrusted text is fine */
    /* The viewer's state (0 / NULL: none, as the export draws): */
    uint32_t root;            /* the frame zoomed into: it and its ancestors span the plot,
                                 its subtree is laid out across it, nothing else is drawn */
    bool icicle;              /* the root's row on top, callees below it */
    const char *search;       /* frames matching it (ls_calltree_matches) highlighted, the rest faded */
    uint32_t selected_name;   /* a selected function (name id): its frames outlined */
    uint32_t hover;           /* the frame under the pointer (node): outlined, named in the details line */
    /* A differential flame graph: the same tree (by names) of a base run;
     * each frame is coloured by how its value changed from there: red
     * grew, blue shrank, grey the same (render_flame_diff_color). Frames
     * only in the base are not drawn. NULL: the usual colours. */
    const ls_calltree *base;
    /* The picture's own height (from render_flame_height): taller pictures
     * keep the rows where they are in a flame (the root at the bottom), so
     * a widget taller than the tree draws it from its foot; 0: its height. */
    int height;
} render_flame_params;

typedef struct render_flame_rect {
    uint32_t node;            /* in tree->nodes */
    uint32_t depth;           /* the root is 0, at the bottom */
    double x, w;              /* pixels from the picture's left edge */
} render_flame_rect;

typedef struct render_flame_frames {
    render_flame_rect *rect;  /* parents before children, siblings in the tree's order (by name) */
    uint32_t n;
    uint32_t max_depth;       /* of any frame */
    int height;               /* of the picture: title, max_depth + 1 rows, details line */
    uint64_t total;           /* the root's value */
} render_flame_frames;

/* The frames of p's flame graph, each as wide as its inclusive value's
 * share of the root's across the plot; nodes whose value is 0, or narrower
 * than RENDER_FLAME_MIN_WIDTH, are left out with their subtrees. The one
 * layout of the PNG and the SVG. False on out of memory (nothing to free);
 * else free with render_flame_frames_free. */
bool render_flame_layout(const render_flame_params *p, render_flame_frames *out);
void render_flame_frames_free(render_flame_frames *f);

/* The picture's height for p (render_flame_frames.height). */
int render_flame_height(const render_flame_params *p);

/* y of the top of a frame at `depth`, in a picture of `height` pixels
 * (a flame: the root at the bottom). */
static inline double render_flame_y(int height, uint32_t depth)
{
    return height - RENDER_FLAME_BOTTOM - (double)(depth + 1) * RENDER_FLAME_FRAME_H;
}

/* y of the top of a frame at `depth` as p draws it: a flame from its
 * height's foot (p->height, else f's), an icicle from the title down. */
double render_flame_row_y(const render_flame_params *p, const render_flame_frames *f, uint32_t depth);

/* The frame of layout f (render_flame_layout of p) drawn at (x, y): true
 * with *node its node, false where no frame is. The drawing's geometry,
 * so a click lands on what was drawn there. */
bool render_flame_hit(const render_flame_params *p, const render_flame_frames *f, double x, double y,
                      uint32_t *node);

/* What the details line says about frame `node` of p's tree ("malloc_wrap:
 * 12.0 MiB, 41.2 % of all, 80 % of the zoomed frame"), as drawn and as
 * the viewer's status shows it. Untrusted name, plain text. */
const char *render_flame_node_text(const render_flame_params *p, uint32_t node, char *buf, size_t len);

/* What the details line says about p->search ("“alloc” matches 3 frames:
 * 12.0 MiB, 41.2 % of all"; its share through ls_calltree_match_total
 * under p->root). "" when there is no search. */
const char *render_flame_search_text(const render_flame_params *p, char *buf, size_t len);

/* The fill color of a frame named `name` (r, g, b in 0..1): a warm color
 * picked by the name, so a function has one color in every picture. */
void render_flame_color(const char *name, double rgb[3]);

/* The colour of a frame whose value went from `was` to `now`: red as it
 * grew (the more of it new, the redder), blue as it shrank, grey when the
 * same. */
void render_flame_diff_color(uint64_t was, uint64_t now, double rgb[3]);

/* The node of `base` at the same path of names as node n of `tree`
 * (LS_CALLTREE_ROOT for the root), or UINT32_MAX when base has none;
 * base_of[] (tree->nnodes entries) caches the parents' answers and must
 * hold them for n's ancestors (parents before children, as a layout
 * lists them). */
uint32_t render_flame_base_node(const ls_calltree *tree, const ls_calltree *base, uint32_t n, uint32_t *base_of);

/* "allocated bytes", "bytes live at the heap's peak": what metric m counts, for titles. */
const char *render_flame_metric_label(ls_metric m);

/* "12.3 MiB" or "4567 allocations": a value of metric m. */
const char *render_flame_value(ls_metric m, uint64_t v, char *buf, size_t len);

/* Draws p's flame graph onto cr at (0, 0), p->width x render_flame_height(p)
 * (or p->height), on the theme's background, with the viewer's state when
 * p has any. Leaves cr's state as it found it. False on out of memory
 * (nothing drawn). */
bool render_flame(cairo_t *cr, const render_flame_params *p);
/* render_flame with a layout the caller made (render_flame_layout of the
 * same p), so that a widget draws and hit-tests one geometry. */
bool render_flame_drawn(cairo_t *cr, const render_flame_params *p, const render_flame_frames *f);

/* Writes p's flame graph as a standalone SVG to f: click a frame to zoom
 * into it, Ctrl+F or the Search button to highlight frames matching a
 * regular expression (with their share of the total), hover for the value
 * and the percentage. All script inline; every name XML-escaped. False on
 * out of memory or a write error (f is then left partly written). */
bool render_flame_svg(FILE *f, const render_flame_params *p);

#ifdef __cplusplus
}
#endif
#endif
