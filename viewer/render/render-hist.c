/* render-hist.c — see render-hist.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-hist.h"
#include "render-private.h"
#include "units.h"

#include <inttypes.h>
#include <stdio.h>

static ls_hist_bucket bucket(const render_hist_params *p, unsigned k)
{
    return ls_hist_get(ls_histograms_get(p->hist, p->kind, p->stack), k);
}

unsigned render_hist_layout(const render_hist_params *p, render_hist_bar out[LS_HIST_MAX_BUCKETS + 1])
{
    const ls_hist *h = ls_histograms_get(p->hist, p->kind, p->stack);
    unsigned lo = 0, hi = 0, n = 0;
    bool any = ls_hist_range(h, &lo, &hi);
    bool live = p->kind == LS_HIST_LIFETIMES && p->live_blocks;
    if (any)
        for (unsigned k = lo; k <= hi; k++)
            out[n++] = (render_hist_bar){ .bucket = (int)k, .count = bucket(p, k).count, .bytes = bucket(p, k).bytes };
    if (live)
        out[n++] = (render_hist_bar){ .bucket = -1, .count = p->live_blocks, .bytes = p->live_bytes };
    uint64_t max = 0;
    for (unsigned i = 0; i < n; i++)
        if (out[i].count > max)
            max = out[i].count;
    double x0 = RENDER_HIST_SIDE, plot = p->width - RENDER_HIST_SIDE - 12.0, y1 = p->height - RENDER_HIST_BOTTOM;
    double top = RENDER_HIST_TOP + 6.0, w = n ? plot / n : 0;
    for (unsigned i = 0; i < n; i++) {
        out[i].x0 = x0 + i * w + 1;
        out[i].x1 = x0 + (i + 1) * w - 1;
        out[i].y1 = y1;
        out[i].y0 = max ? y1 - (y1 - top) * (double)out[i].count / (double)max : y1;
        if (out[i].count && out[i].y1 - out[i].y0 < 1)
            out[i].y0 = out[i].y1 - 1; /* a bucket that has any shows */
    }
    return n;
}

int render_hist_hit(const render_hist_params *p, double x, double y)
{
    render_hist_bar b[LS_HIST_MAX_BUCKETS + 1];
    unsigned n = render_hist_layout(p, b);
    for (unsigned i = 0; i < n; i++)
        if (x >= b[i].x0 - 1 && x < b[i].x1 + 1 && y >= RENDER_HIST_TOP && y < b[i].y1)
            return (int)i;
    return -1;
}

#define edge(kind, v, buf, len) ls_format_hist_edge((int)(kind), v, buf, len)

const char *render_hist_bar_text(const render_hist_params *p, const render_hist_bar *b, char *buf, size_t len)
{
    char bytes[32], f[32], t[32];
    ls_format_bytes(b->bytes, bytes, sizeof bytes);
    if (b->bucket < 0) {
        snprintf(buf, len, "still live at the end: %" PRIu64 " blocks, %s", b->count, bytes);
        return buf;
    }
    uint64_t to = ls_hist_to(p->kind, (unsigned)b->bucket);
    /* as the report writes it: from <= value < to */
    snprintf(buf, len, "%s \u2013 %s: %" PRIu64 " %s, %s", edge(p->kind, ls_hist_from(p->kind, (unsigned)b->bucket), f, sizeof f),
             to == UINT64_MAX ? "more" : edge(p->kind, to + 1, t, sizeof t), b->count,
             p->kind == LS_HIST_SIZES ? "allocations" : "blocks", bytes);
    return buf;
}

void render_hist(cairo_t *cr, const render_hist_params *p)
{
    const render_palette *pal = render_palette_of(p->theme);
    cairo_save(cr);
    set_color(cr, &pal->bg);
    cairo_rectangle(cr, 0, 0, p->width, p->height);
    cairo_fill(cr);
    render_hist_bar b[LS_HIST_MAX_BUCKETS + 1];
    unsigned n = render_hist_layout(p, b);
    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *font = pango_font_description_from_string("Sans 8");
    pango_layout_set_font_description(pl, font);
    char line[512];
    snprintf(line, sizeof line, "%s%s%s", p->kind == LS_HIST_SIZES ? "Allocation sizes" : "Lifetimes",
             p->title ? " \u00b7 " : "", p->title ? p->title : "");
    set_color(cr, &pal->text);
    pango_layout_set_text(pl, line, -1); /* never markup: the title may come from the trace */
    pango_layout_set_width(pl, (p->width - 20) * PANGO_SCALE);
    pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
    cairo_move_to(cr, 10, 8);
    pango_cairo_show_layout(cr, pl);
    pango_layout_set_width(pl, -1);
    if (!n) {
        set_color(cr, &pal->text_dim);
        pango_layout_set_text(pl, p->kind == LS_HIST_SIZES ? "no allocations recorded" : "no blocks recorded", -1);
        cairo_move_to(cr, RENDER_HIST_SIDE, p->height / 2.0);
        pango_cairo_show_layout(cr, pl);
    }
    uint64_t max = 0;
    for (unsigned i = 0; i < n; i++)
        max = b[i].count > max ? b[i].count : max;
    if (n) { /* the count axis: its top and zero */
        char top[32];
        snprintf(top, sizeof top, "%" PRIu64, max);
        set_color(cr, &pal->text_dim);
        pango_layout_set_text(pl, top, -1);
        cairo_move_to(cr, 6, RENDER_HIST_TOP + 2);
        pango_cairo_show_layout(cr, pl);
        set_color(cr, &pal->axis);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, RENDER_HIST_SIDE - 2, b[0].y1 + 0.5);
        cairo_line_to(cr, p->width - 12, b[0].y1 + 0.5);
        cairo_stroke(cr);
    }
    for (unsigned i = 0; i < n; i++) {
        const rgba *c = b[i].bucket < 0 ? &pal->never_closed : i == (unsigned)p->hover ? &pal->heap_line : &pal->series[0];
        set_color(cr, c);
        cairo_rectangle(cr, b[i].x0, b[i].y0, b[i].x1 - b[i].x0, b[i].y1 - b[i].y0);
        cairo_fill(cr);
        /* a label under every bar that has room, else every other one */
        double w = b[i].x1 - b[i].x0;
        if (w < 28 && i % 2)
            continue;
        char f[32];
        const char *label = b[i].bucket < 0 ? "live"
                                            : edge(p->kind, ls_hist_from(p->kind, (unsigned)b[i].bucket), f, sizeof f);
        set_color(cr, &pal->text_dim);
        pango_layout_set_text(pl, label, -1);
        int lw, lh;
        pango_layout_get_pixel_size(pl, &lw, &lh);
        cairo_move_to(cr, (b[i].x0 + b[i].x1) / 2 - lw / 2.0, b[i].y1 + 4 + (i % 2 && w < 56 ? lh : 0));
        pango_cairo_show_layout(cr, pl);
    }
    pango_font_description_free(font);
    g_object_unref(pl);
    cairo_restore(cr);
}
