/* render-hist.c — see render-hist.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-hist.h"
#include "render-private.h"
#include "units.h"

#include <inttypes.h>
#include <stdio.h>

#define LEGEND_SWATCH 10 /* a comparison's legend: a square of each run's colour before its name */

static const char *const legend_names[2] = { "base run", "this run" };

/* The histogram drawn as this run's. */
static const ls_hist *shown(const render_hist_params *p)
{
    return p->h ? p->h : ls_histograms_get(p->hist, p->kind, p->stack);
}

unsigned render_hist_layout(const render_hist_params *p, render_hist_bar out[RENDER_HIST_MAX_BARS])
{
    const ls_hist *h = shown(p);
    /* a comparison spans the buckets either run used */
    ls_hist span = { .mask = h->mask | (p->base ? p->base->mask : 0) };
    unsigned lo = 0, hi = 0, n = 0, per = p->base ? 2 : 1;
    bool any = ls_hist_range(&span, &lo, &hi);
    bool live = !p->base && p->kind == LS_HIST_LIFETIMES && p->live_blocks;
    for (unsigned k = lo; any && k <= hi; k++) {
        if (p->base) {
            ls_hist_bucket b = ls_hist_get(p->base, k);
            out[n++] = (render_hist_bar){ .bucket = (int)k, .base = true, .count = b.count, .bytes = b.bytes };
        }
        ls_hist_bucket b = ls_hist_get(h, k);
        out[n++] = (render_hist_bar){ .bucket = (int)k, .count = b.count, .bytes = b.bytes };
    }
    if (live)
        out[n++] = (render_hist_bar){ .bucket = -1, .count = p->live_blocks, .bytes = p->live_bytes };
    uint64_t max = 0;
    for (unsigned i = 0; i < n; i++)
        if (out[i].count > max)
            max = out[i].count;
    double x0 = RENDER_HIST_SIDE, plot = p->width - RENDER_HIST_SIDE - 12.0, y1 = p->height - RENDER_HIST_BOTTOM;
    double top = RENDER_HIST_TOP + 6.0, w = n ? plot / (n / per) : 0;
    for (unsigned i = 0; i < n; i++) {
        /* a column per bucket; in a comparison its left half the base's bar, its right half this run's */
        double c = x0 + (i / per) * w;
        out[i].x0 = per == 1 ? c + 1 : out[i].base ? c + 1 : c + w / 2;
        out[i].x1 = per == 1 ? c + w - 1 : out[i].base ? c + w / 2 : c + w - 1;
        out[i].y1 = y1;
        out[i].y0 = max ? y1 - (y1 - top) * (double)out[i].count / (double)max : y1;
        if (out[i].count && out[i].y1 - out[i].y0 < 1)
            out[i].y0 = out[i].y1 - 1; /* a bucket that has any shows */
    }
    return n;
}

int render_hist_hit(const render_hist_params *p, double x, double y)
{
    render_hist_bar b[RENDER_HIST_MAX_BARS];
    unsigned n = render_hist_layout(p, b);
    for (unsigned i = 0; i < n; i++)
        if (x >= b[i].x0 - (b[i].base || !p->base ? 1 : 0) && x < b[i].x1 + (b[i].base ? 0 : 1) &&
            y >= RENDER_HIST_TOP && y < b[i].y1)
            return (int)i;
    return -1;
}

#define edge(kind, v, buf, len) ls_format_hist_edge((int)(kind), v, buf, len)

const char *render_hist_bar_text(const render_hist_params *p, const render_hist_bar *b, char *buf, size_t len)
{
    char bytes[32], span[64];
    ls_format_bytes(b->bytes, bytes, sizeof bytes);
    if (b->bucket < 0) {
        snprintf(buf, len, "still live at the end: %" PRIu64 " blocks, %s", b->count, bytes);
        return buf;
    }
    const char *what = p->kind == LS_HIST_SIZES ? "allocations" : "blocks";
    ls_format_hist_span((int)p->kind, (unsigned)b->bucket, span, sizeof span);
    if (!p->base) {
        snprintf(buf, len, "%s: %" PRIu64 " %s, %s", span, b->count, what, bytes);
        return buf;
    }
    /* either bar of a bucket: both runs' numbers, this run's first */
    ls_hist_bucket base = ls_hist_get(p->base, (unsigned)b->bucket), now = ls_hist_get(shown(p), (unsigned)b->bucket);
    char nb[32], bb[32], d[48];
    snprintf(buf, len, "%s: %" PRIu64 " %s, %s (base %" PRIu64 ", %s: %s)", span, now.count, what,
             ls_format_bytes(now.bytes, nb, sizeof nb), base.count, ls_format_bytes(base.bytes, bb, sizeof bb),
             ls_format_signed((int64_t)(now.count - base.count), 0, d, sizeof d));
    return buf;
}

/* A comparison's legend at the top right: each run's colour and name.
 * Returns its left edge. */
static double draw_legend(cairo_t *cr, PangoLayout *pl, const render_palette *pal, int width)
{
    double x = width - 12.0;
    for (int r = 1; r >= 0; r--) {
        int lw, lh;
        pango_layout_set_text(pl, legend_names[r], -1);
        pango_layout_get_pixel_size(pl, &lw, &lh);
        x -= lw;
        set_color(cr, &pal->text);
        cairo_move_to(cr, x, 8);
        pango_cairo_show_layout(cr, pl);
        x -= LEGEND_SWATCH + 4;
        set_color(cr, r ? &pal->series[0] : &pal->base_run);
        cairo_rectangle(cr, x, 8 + (lh - LEGEND_SWATCH) / 2.0, LEGEND_SWATCH, LEGEND_SWATCH);
        cairo_fill(cr);
        x -= 12;
    }
    return x;
}

void render_hist(cairo_t *cr, const render_hist_params *p)
{
    const render_palette *pal = render_palette_of(p->theme);
    cairo_save(cr);
    set_color(cr, &pal->bg);
    cairo_rectangle(cr, 0, 0, p->width, p->height);
    cairo_fill(cr);
    render_hist_bar b[RENDER_HIST_MAX_BARS];
    unsigned n = render_hist_layout(p, b), per = p->base ? 2 : 1;
    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *font = pango_font_description_from_string("Sans 8");
    pango_layout_set_font_description(pl, font);
    double title_right = p->base ? draw_legend(cr, pl, pal, p->width) : p->width - 10.0;
    char line[512];
    snprintf(line, sizeof line, "%s%s%s", p->kind == LS_HIST_SIZES ? "Allocation sizes" : "Lifetimes",
             p->title ? " \u00b7 " : "", p->title ? p->title : "");
    set_color(cr, &pal->text);
    pango_layout_set_text(pl, line, -1); /* never markup: the title may come from the trace */
    pango_layout_set_width(pl, (int)(title_right > 20 ? title_right - 10 : 10) * PANGO_SCALE);
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
        const rgba *c = b[i].bucket < 0            ? &pal->never_closed
                        : i == (unsigned)p->hover ? &pal->heap_line
                        : b[i].base               ? &pal->base_run
                                                  : &pal->series[0];
        set_color(cr, c);
        cairo_rectangle(cr, b[i].x0, b[i].y0, b[i].x1 - b[i].x0, b[i].y1 - b[i].y0);
        cairo_fill(cr);
    }
    /* a label under every column that has room, else every other one */
    for (unsigned i = 0, col = 0; i < n; i += per, col++) {
        double x0 = b[i].x0, x1 = b[i + per - 1].x1, w = x1 - x0;
        if (w < 28 && col % 2)
            continue;
        char f[32];
        const char *label = b[i].bucket < 0 ? "live"
                                            : edge(p->kind, ls_hist_from(p->kind, (unsigned)b[i].bucket), f, sizeof f);
        set_color(cr, &pal->text_dim);
        pango_layout_set_text(pl, label, -1);
        int lw, lh;
        pango_layout_get_pixel_size(pl, &lw, &lh);
        cairo_move_to(cr, (x0 + x1) / 2 - lw / 2.0, b[i].y1 + 4 + (col % 2 && w < 56 ? lh : 0));
        pango_cairo_show_layout(cr, pl);
    }
    pango_font_description_free(font);
    g_object_unref(pl);
    cairo_restore(cr);
}
