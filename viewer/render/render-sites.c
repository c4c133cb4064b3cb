/* render-sites.c — the heap by call site: the largest sites' live bytes
 * stacked, the rest as "other" up to the whole heap, one value per pixel
 * column from the model's series (site-series.h); and the selected sites'
 * live bytes as a magenta line over the heap. The hit test (render-hit.c) reads
 * the same stack (render_site_stack).
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t bands_of(const render_view_params *p)
{
    uint32_t n = p->sites ? ls_site_series_count(p->sites) : 0, b = p->site_bands;
    if (b > n)
        b = n;
    return b > RENDER_SITE_BANDS ? RENDER_SITE_BANDS : b;
}

uint32_t render_site_stack(const render_view_params *p, uint64_t t, uint64_t top[RENDER_SITE_BANDS + 1])
{
    if (!p->sites)
        return 0;
    uint32_t b = bands_of(p);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < b; i++)
        top[i] = sum += ls_site_series_at(p->sites, i, t);
    uint64_t heap = ls_site_series_at(p->sites, ls_site_series_count(p->sites), t);
    top[b] = heap > sum ? heap : sum; /* "other": the rest of the heap */
    return b + 1;
}

double render_site_axis_top(const render_view_params *p)
{
    return p->sites ? (double)ls_site_series_max(p->sites, ls_site_series_count(p->sites)) : 0;
}

/* The colour of band i: the palette's series colours, "other" in grey. */
static const rgba *band_color(const render_ctx *rc, uint32_t i, uint32_t bands)
{
    return i < bands ? &rc->pal->series[i % RENDER_SERIES_COLORS] : &rc->pal->text_dim;
}

void track_sites(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    uint32_t bands = bands_of(p), n = rc->ncols;
    track_title(rc, r, "Heap by call site");
    double top = render_site_axis_top(p);
    value_axis ax = value_axis_make(top > 0 ? top : 1, true, 2);
    axis_draw_values(rc, r, &ax, NULL);
    /* the legend: each band's colour and site, on the title's line */
    double w;
    text_size(rc, FONT_BOLD, "Heap by call site", &w, NULL);
    double x = rc->l->plot_x0 + w + 12;
    for (uint32_t i = 0; i <= bands && x < rc->l->plot_x1 - 80; i++) {
        const char *name = i == bands ? "other" : p->site_names && p->site_names[i] ? p->site_names[i] : "?";
        char label[96];
        snprintf(label, sizeof label, "%.60s", name);
        set_color(rc->cr, band_color(rc, i, bands));
        cairo_rectangle(rc->cr, x, r->y0 + 5, 9, 9);
        cairo_fill(rc->cr);
        double tw = text_draw(rc, FONT_SMALL, &rc->pal->text_dim, x + 12, r->y0 + 3, ALIGN_LEFT,
                              fmin(180, rc->l->plot_x1 - x - 12), label);
        x += 12 + tw + 12;
    }
    /* one stack per column, at the time of the column's right edge; columns
     * outside the trace stay empty. Each band is one path, filled once. */
    uint64_t begin = timeline_begin(p->tl), end = timeline_end(p->tl);
    uint32_t k = bands + 1;
    uint64_t *stacks = malloc((size_t)n * k * sizeof *stacks);
    if (!stacks)
        return;
    for (uint32_t c = 0; c < n; c++) {
        uint64_t t = render_site_column_time(rc->l, p, col_x(rc, c));
        if (t < begin || t > end) {
            stacks[(size_t)c * k] = UINT64_MAX; /* none */
            continue;
        }
        render_site_stack(p, t, &stacks[(size_t)c * k]);
    }
    cairo_save(rc->cr);
    cairo_rectangle(rc->cr, rc->l->plot_x0, r->py0, rc->l->plot_x1 - rc->l->plot_x0, r->py1 - r->py0);
    cairo_clip(rc->cr);
    for (uint32_t i = 0; i < k; i++) {
        for (uint32_t c = 0; c < n; c++) {
            const uint64_t *st = &stacks[(size_t)c * k];
            if (st[0] == UINT64_MAX)
                continue;
            double y0 = row_y(r, (double)st[i], ax.top), y1 = row_y(r, i ? (double)st[i - 1] : 0, ax.top);
            if (y1 - y0 >= 0.5)
                cairo_rectangle(rc->cr, col_x(rc, c), y0, 1, y1 - y0);
        }
        set_color(rc->cr, band_color(rc, i, bands));
        cairo_fill(rc->cr);
    }
    cairo_restore(rc->cr);
    free(stacks);
}

void render_sites_selected_draw(render_ctx *rc, const render_row *r, double (*y_of)(const render_ctx *, const render_row *, double))
{
    const render_view_params *p = rc->p;
    if (!p->sites || !p->site_selected)
        return;
    uint32_t count = ls_site_series_count(p->sites);
    uint64_t begin = timeline_begin(p->tl), end = timeline_end(p->tl);
    bool drawing = false;
    for (uint32_t c = 0; c < rc->ncols; c++) {
        uint64_t t = render_site_column_time(rc->l, p, col_x(rc, c));
        if (t < begin || t > end) {
            drawing = false;
            continue;
        }
        uint64_t v = 0;
        for (uint32_t i = 0; i < count && i < 64; i++)
            if (p->site_selected >> i & 1)
                v += ls_site_series_at(p->sites, i, t);
        double y = y_of(rc, r, (double)v);
        if (drawing)
            cairo_line_to(rc->cr, col_x(rc, c) + 0.5, y);
        else
            cairo_move_to(rc->cr, col_x(rc, c) + 0.5, y);
        drawing = true;
    }
    cairo_set_line_width(rc->cr, 2);
    set_color(rc->cr, &rc->pal->mark); /* magenta: clear of the heap's blue */
    cairo_stroke(rc->cr);
}
