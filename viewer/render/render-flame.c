/* render-flame.c — the flame graph's layout and its cairo drawing (see
 * render-flame.h). The SVG writer (render-flame-svg.c) takes the same
 * layout, so the PNG and the SVG show the same frames in the same places.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-flame.h"
#include "render-private.h"
#include "sites.h"
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

/* The zoomed frame's ancestors first, each across the plot, then the
 * zoomed frame and breadth by breadth its children, left to right from
 * its left edge. The frames pushed so far are the queue, so no recursion
 * depth depends on the trace. */
bool render_flame_layout(const render_flame_params *p, render_flame_frames *out)
{
    const ls_calltree *t = p->tree;
    uint32_t zoom = p->root < t->nnodes ? p->root : LS_CALLTREE_ROOT;
    uint64_t total = t->nodes[zoom].incl[p->metric];
    double plot = p->width - 2.0 * RENDER_FLAME_SIDE;
    layout l = { .p = p, .nodes = t->nodes, .scale = total ? plot / (double)total : 0 };
    bool ok = true;
    uint32_t depth = t->nodes[zoom].depth;
    for (uint32_t d = 0; ok && d < depth; d++) { /* root first: walk up from the zoomed frame each time */
        uint32_t a = zoom;
        for (uint32_t k = d; k < depth; k++)
            a = t->nodes[a].parent;
        ok = push(&l, a, d, RENDER_FLAME_SIDE, total ? plot : 0);
    }
    size_t first = l.n;
    ok = ok && push(&l, zoom, depth, RENDER_FLAME_SIDE, total ? plot : 0);
    for (size_t i = first; ok && total && i < l.n; i++) {
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
                                  t->nodes[LS_CALLTREE_ROOT].incl[p->metric] };
    return true;
}

double render_flame_row_y(const render_flame_params *p, const render_flame_frames *f, uint32_t depth)
{
    if (p->icicle)
        return RENDER_FLAME_TOP + (double)depth * RENDER_FLAME_FRAME_H;
    return render_flame_y(p->height > f->height ? p->height : f->height, depth);
}

bool render_flame_hit(const render_flame_params *p, const render_flame_frames *f, double x, double y,
                      uint32_t *node)
{
    for (uint32_t i = 0; i < f->n; i++) {
        const render_flame_rect *r = &f->rect[i];
        double ry = render_flame_row_y(p, f, r->depth);
        /* the drawn box: [x, x + w) by one row, and at least a pixel wide */
        if (y >= ry && y < ry + RENDER_FLAME_FRAME_H && x >= r->x && x < r->x + (r->w > 1 ? r->w : 1)) {
            *node = r->node;
            return true;
        }
    }
    return false;
}

/* "12.0 MiB, 41.2 % of all" (and of the zoomed frame when zoomed). */
static void share_text(const render_flame_params *p, uint64_t v, char *buf, size_t len)
{
    const ls_calltree *t = p->tree;
    uint64_t all = t->nodes[LS_CALLTREE_ROOT].incl[p->metric];
    uint32_t zoom = p->root < t->nnodes ? p->root : LS_CALLTREE_ROOT;
    uint64_t z = t->nodes[zoom].incl[p->metric];
    char value[64];
    render_flame_value(p->metric, v, value, sizeof value);
    int n = snprintf(buf, len, "%s, %.1f %% of all", value, all ? 100.0 * (double)v / (double)all : 0.0);
    if (zoom != LS_CALLTREE_ROOT && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", %.1f %% of the zoomed frame", z ? 100.0 * (double)v / (double)z : 0.0);
}

const char *render_flame_node_text(const render_flame_params *p, uint32_t node, char *buf, size_t len)
{
    const ls_calltree *t = p->tree;
    if (node >= t->nnodes) {
        snprintf(buf, len, "%s", "");
        return buf;
    }
    char share[160];
    share_text(p, t->nodes[node].incl[p->metric], share, sizeof share);
    snprintf(buf, len, "%s: %s", node == LS_CALLTREE_ROOT ? "all" : ls_calltree_name(t, node), share);
    return buf;
}

const char *render_flame_search_text(const render_flame_params *p, char *buf, size_t len)
{
    if (!p->search || !p->search[0]) {
        snprintf(buf, len, "%s", "");
        return buf;
    }
    uint32_t zoom = p->root < p->tree->nnodes ? p->root : LS_CALLTREE_ROOT, matched;
    uint64_t v = ls_calltree_match_total(p->tree, zoom, p->metric, p->search, &matched);
    char share[160];
    share_text(p, v, share, sizeof share);
    /* at most 80 bytes of what was typed, cut between characters */
    size_t n = 0, left = strlen(p->search), k;
    while (n < 80 && n < left && (k = ls_utf8_len(p->search + n, left - n)) && n + k <= 80)
        n += k;
    snprintf(buf, len, "\u201c%.*s\u201d matches %u frame%s: %s", (int)n, p->search, matched, matched == 1 ? "" : "s", share);
    return buf;
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

void render_flame_diff_color(uint64_t was, uint64_t now, double rgb[3])
{
    uint64_t big = was > now ? was : now;
    double r = big ? ((double)now - (double)was) / (double)big : 0; /* -1 .. 1 */
    if (r > 0) {
        rgb[0] = 1;
        rgb[1] = rgb[2] = 0.85 - 0.75 * r;
    } else if (r < 0) {
        rgb[0] = rgb[1] = 0.85 + 0.75 * r;
        rgb[2] = 1;
    } else {
        rgb[0] = rgb[1] = rgb[2] = 0.85;
    }
}

uint32_t render_flame_base_node(const ls_calltree *tree, const ls_calltree *base, uint32_t n, uint32_t *base_of)
{
    if (n == LS_CALLTREE_ROOT)
        return base_of[n] = LS_CALLTREE_ROOT;
    uint32_t bp = base_of[tree->nodes[n].parent];
    uint32_t found = UINT32_MAX;
    if (bp != UINT32_MAX) { /* base's children are sorted by name: a binary search */
        const ls_calltree_node *p = &base->nodes[bp];
        const char *name = ls_calltree_name(tree, n);
        uint32_t lo = 0, hi = p->nchild;
        while (lo < hi && found == UINT32_MAX) {
            uint32_t mid = lo + (hi - lo) / 2, c = base->child[p->child0 + mid];
            int cmp = strcmp(ls_calltree_name(base, c), name);
            if (!cmp)
                found = c;
            else if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return base_of[n] = found;
}

/* c blended toward the background: a frame that is not what the viewer
 * points at (outside the search, an ancestor of the zoomed frame). */
static void faded(double rgb[3], const rgba *bg)
{
    rgb[0] = 0.35 * rgb[0] + 0.65 * bg->r;
    rgb[1] = 0.35 * rgb[1] + 0.65 * bg->g;
    rgb[2] = 0.35 * rgb[2] + 0.65 * bg->b;
}

bool render_flame_drawn(cairo_t *cr, const render_flame_params *p, const render_flame_frames *fl)
{
    const render_palette *pal = render_palette_of(p->theme);
    int height = p->height > fl->height ? p->height : fl->height;
    uint32_t zoom = p->root < p->tree->nnodes ? p->root : LS_CALLTREE_ROOT;
    uint32_t zoom_depth = p->tree->nodes[zoom].depth;
    bool searching = p->search && p->search[0];
    cairo_save(cr);
    set_color(cr, &pal->bg);
    cairo_rectangle(cr, 0, 0, p->width, height);
    cairo_fill(cr);

    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *font = pango_font_description_from_string("Sans 8");
    pango_layout_set_font_description(pl, font);
    char title[512], value[64];
    snprintf(title, sizeof title, "Flame graph of %s%s%s: %s in all", render_flame_metric_label(p->metric),
             p->title ? ", " : "", p->title ? p->title : "", render_flame_value(p->metric, fl->total, value, sizeof value));
    set_color(cr, &pal->text);
    draw_text(cr, pl, RENDER_FLAME_SIDE, 10, p->width - 2.0 * RENDER_FLAME_SIDE, title);

    const render_flame_rect *hover = NULL;
    uint32_t *base_of = p->base ? malloc(p->tree->nnodes * sizeof *base_of) : NULL;
    for (uint32_t i = 0; i < fl->n; i++) {
        const render_flame_rect *r = &fl->rect[i];
        double y = render_flame_row_y(p, fl, r->depth), rgb[3];
        const char *name = r->node == LS_CALLTREE_ROOT ? "all" : ls_calltree_name(p->tree, r->node);
        render_flame_color(name, rgb);
        if (base_of) {
            /* the ancestors of a zoomed frame come first in the layout, so
             * every parent's answer is there before its children ask */
            uint32_t b = render_flame_base_node(p->tree, p->base, r->node, base_of);
            render_flame_diff_color(b == UINT32_MAX ? 0 : p->base->nodes[b].incl[p->metric],
                                    p->tree->nodes[r->node].incl[p->metric], rgb);
        }
        if (searching && ls_calltree_matches(p->tree, r->node, p->search)) {
            rgb[0] = 230 / 255.0; /* flamegraph.pl's search colour */
            rgb[1] = 0;
            rgb[2] = 230 / 255.0;
        } else if (searching || r->depth < zoom_depth) {
            faded(rgb, &pal->bg);
        }
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        double w = r->w > 1 ? r->w - 0.5 : r->w;
        cairo_rectangle(cr, r->x, y, w, RENDER_FLAME_FRAME_H - 1);
        cairo_fill(cr);
        if (p->selected_name && p->tree->nodes[r->node].name == p->selected_name && r->node != LS_CALLTREE_ROOT) {
            cairo_set_source_rgb(cr, 0.1, 0.3, 0.9); /* blue: no frame colour is */
            cairo_set_line_width(cr, 2);
            cairo_rectangle(cr, r->x + 1, y + 1, w > 2 ? w - 2 : w, RENDER_FLAME_FRAME_H - 3);
            cairo_stroke(cr);
        }
        if (p->hover && r->node == p->hover)
            hover = r;
        if (r->w < 24)
            continue;
        cairo_set_source_rgb(cr, 0, 0, 0);
        draw_text(cr, pl, r->x + 3, y + 1, r->w - 6, name);
    }
    free(base_of);
    if (hover) {
        set_color(cr, &pal->text);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, hover->x + 0.5, render_flame_row_y(p, fl, hover->depth) + 0.5,
                        hover->w > 2 ? hover->w - 1 : 1, RENDER_FLAME_FRAME_H - 2);
        cairo_stroke(cr);
    }
    /* the details line: the frame under the pointer, else the search's share */
    char details[600];
    if (hover)
        render_flame_node_text(p, hover->node, details, sizeof details);
    else
        render_flame_search_text(p, details, sizeof details);
    if (details[0]) {
        set_color(cr, &pal->text);
        draw_text(cr, pl, RENDER_FLAME_SIDE, p->icicle ? RENDER_FLAME_TOP + (double)(fl->max_depth + 1) * RENDER_FLAME_FRAME_H + 6
                                                       : height - RENDER_FLAME_BOTTOM + 8,
                  p->width - 2.0 * RENDER_FLAME_SIDE, details);
    }
    pango_font_description_free(font);
    g_object_unref(pl);
    cairo_restore(cr);
    return true;
}

bool render_flame(cairo_t *cr, const render_flame_params *p)
{
    render_flame_frames fl;
    if (!render_flame_layout(p, &fl))
        return false;
    render_flame_drawn(cr, p, &fl);
    render_flame_frames_free(&fl);
    return true;
}
