/* render-flame.c — the flame graph's layout and its cairo drawing (see
 * render-flame.h). The SVG writer (render-flame-svg.c) takes the same
 * layout, so the PNG and the SVG show the same frames in the same places.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-flame.h"
#include "render-private.h"
#include "units.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct layout {
    const render_flame_params *p;
    const ls_calltree_node *nodes;
    double scale;            /* pixels per unit of the metric */
    render_flame_rect *r;
    size_t n, cap;
    uint32_t max_depth;
} layout;

static bool push(layout *l, uint32_t node, uint32_t depth, double x, double w)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        render_flame_rect *r = realloc(l->r, nc * sizeof *r);
        if (!r)
            return false;
        l->r = r;
        l->cap = nc;
    }
    l->r[l->n++] = (render_flame_rect){ node, depth, x, w };
    if (depth > l->max_depth)
        l->max_depth = depth;
    return true;
}

/* Breadth by breadth: each frame's children, left to right from its left
 * edge. The frames pushed so far are the queue, so no recursion depth
 * depends on the trace. */
bool render_flame_layout(const render_flame_params *p, render_flame_frames *out)
{
    const ls_calltree *t = p->tree;
    uint64_t total = t->nodes[LS_CALLTREE_ROOT].incl[p->metric];
    double plot = p->width - 2.0 * RENDER_FLAME_SIDE;
    layout l = { .p = p, .nodes = t->nodes, .scale = total ? plot / (double)total : 0 };
    bool ok = push(&l, LS_CALLTREE_ROOT, 0, RENDER_FLAME_SIDE, total ? plot : 0);
    for (size_t i = 0; ok && total && i < l.n; i++) {
        render_flame_rect parent = l.r[i];
        const ls_calltree_node *pn = &t->nodes[parent.node];
        double x = parent.x;
        for (uint32_t k = 0; ok && k < pn->nchild; k++) {
            uint32_t c = t->child[pn->child0 + k];
            double w = (double)t->nodes[c].incl[p->metric] * l.scale;
            if (w >= RENDER_FLAME_MIN_WIDTH)
                ok = push(&l, c, parent.depth + 1, x, w);
            x += w;
        }
    }
    if (!ok) {
        free(l.r);
        return false;
    }
    *out = (render_flame_frames){ l.r, (uint32_t)l.n, l.max_depth,
                                  RENDER_FLAME_TOP + (int)(l.max_depth + 1) * RENDER_FLAME_FRAME_H + RENDER_FLAME_BOTTOM,
                                  total };
    return true;
}

void render_flame_frames_free(render_flame_frames *f)
{
    free(f->rect);
    f->rect = NULL;
    f->n = 0;
}

int render_flame_height(const render_flame_params *p)
{
    render_flame_frames f;
    if (!render_flame_layout(p, &f))
        return RENDER_FLAME_TOP + RENDER_FLAME_FRAME_H + RENDER_FLAME_BOTTOM;
    render_flame_frames_free(&f);
    return f.height;
}

void render_flame_color(const char *name, double rgb[3])
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: stable across runs and outputs */
    for (const char *s = name; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    double a = (double)(h & 0xff) / 255.0, b = (double)(h >> 8 & 0xff) / 255.0, c = (double)(h >> 16 & 0xff) / 255.0;
    rgb[0] = (205 + 50 * c) / 255.0; /* flamegraph.pl's warm range */
    rgb[1] = (230 * a) / 255.0;
    rgb[2] = (55 * b) / 255.0;
}

const char *render_flame_metric_label(ls_metric m)
{
    switch (m) {
    case LS_METRIC_ALLOCATED: return "allocated bytes";
    case LS_METRIC_ALLOCATIONS: return "allocations";
    case LS_METRIC_TEMPORARY: return "temporary allocations";
    case LS_METRIC_LEAKED: return "leaked bytes (live at the end)";
    case LS_METRIC_LEAKED_BLOCKS: return "leaked blocks (live at the end)";
    case LS_METRIC_PEAK: return "bytes live at the heap's peak";
    case LS_METRIC_COUNT: break;
    }
    return "";
}

const char *render_flame_value(ls_metric m, uint64_t v, char *buf, size_t len)
{
    if (ls_metric_is_bytes(m))
        return ls_format_bytes(v, buf, len);
    snprintf(buf, len, "%" PRIu64 " %s", v,
             m == LS_METRIC_ALLOCATIONS ? "allocations" : m == LS_METRIC_TEMPORARY ? "temporary" : "blocks");
    return buf;
}

static void draw_text(cairo_t *cr, PangoLayout *pl, double x, double y, double max_w, const char *s)
{
    pango_layout_set_width(pl, max_w > 0 ? (int)(max_w * PANGO_SCALE) : -1);
    pango_layout_set_ellipsize(pl, max_w > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
    pango_layout_set_text(pl, s, -1); /* never markup: names come from the trace */
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, pl);
}

bool render_flame(cairo_t *cr, const render_flame_params *p)
{
    render_flame_frames fl;
    if (!render_flame_layout(p, &fl))
        return false;
    const render_palette *pal = render_palette_of(p->theme);
    cairo_save(cr);
    set_color(cr, &pal->bg);
    cairo_rectangle(cr, 0, 0, p->width, fl.height);
    cairo_fill(cr);

    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *font = pango_font_description_from_string("Sans 8");
    pango_layout_set_font_description(pl, font);
    char title[512], value[64];
    snprintf(title, sizeof title, "Flame graph of %s%s%s: %s in all", render_flame_metric_label(p->metric),
             p->title ? ", " : "", p->title ? p->title : "", render_flame_value(p->metric, fl.total, value, sizeof value));
    set_color(cr, &pal->text);
    draw_text(cr, pl, RENDER_FLAME_SIDE, 10, p->width - 2.0 * RENDER_FLAME_SIDE, title);

    for (uint32_t i = 0; i < fl.n; i++) {
        const render_flame_rect *r = &fl.rect[i];
        double y = render_flame_y(fl.height, r->depth), rgb[3];
        const char *name = r->node == LS_CALLTREE_ROOT ? "all" : ls_calltree_name(p->tree, r->node);
        render_flame_color(name, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, r->x, y, r->w > 1 ? r->w - 0.5 : r->w, RENDER_FLAME_FRAME_H - 1);
        cairo_fill(cr);
        if (r->w < 24)
            continue;
        cairo_set_source_rgb(cr, 0, 0, 0);
        draw_text(cr, pl, r->x + 3, y + 1, r->w - 6, name);
    }
    pango_font_description_free(font);
    g_object_unref(pl);
    render_flame_frames_free(&fl);
    cairo_restore(cr);
    return true;
}
