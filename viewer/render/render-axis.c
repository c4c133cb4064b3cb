/* render-axis.c — the shared time ruler (human units, 1-2-5 steps, ns to
 * minutes) with its grid, and the value axes of the charts.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"

#include <math.h>
#include <stdio.h>

/* Tick steps in ns: 1-2-5 x 10^k, then whole minutes past a minute. */
static uint64_t step_candidate(int i)
{
    static const uint64_t minutes[] = { 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400 };
    int decade = i / 3;
    if (decade < 10) {
        uint64_t p = 1;
        for (int k = 0; k < decade; k++)
            p *= 10;
        static const uint64_t m[] = { 1, 2, 5 };
        return p * m[i % 3];
    }
    int j = i - 30; /* 10 s, 20 s, 50 s, then minutes */
    if (j < 3)
        return (uint64_t)(j == 0 ? 10 : j == 1 ? 20 : 30) * 1000000000ull;
    j -= 3;
    if (j >= (int)(sizeof minutes / sizeof *minutes))
        return 0;
    return minutes[j] * 1000000000ull;
}

static uint64_t pick_step(render_ctx *rc, uint64_t span, uint64_t rel_end, double plot_w)
{
    uint64_t best = 0;
    for (int i = 0; (best = step_candidate(i)) != 0; i++) {
        double px = (double)best / (double)span * plot_w;
        if (px < 70)
            continue;
        char buf[64];
        fmt_ruler_time(rel_end, best, buf, sizeof buf);
        double w;
        text_size(rc, FONT_SMALL, buf, &w, NULL);
        if (px >= w + 24)
            return best;
    }
    return step_candidate(32 + 11); /* a day: nothing recorded is longer */
}

void axis_draw_ruler(render_ctx *rc)
{
    const render_layout *l = rc->l;
    const render_view_params *p = rc->p;
    cairo_t *cr = rc->cr;
    uint64_t origin = timeline_begin(p->tl);
    uint64_t span = p->t1 - p->t0;
    double plot_w = l->plot_x1 - l->plot_x0;
    uint64_t rel_end = p->t1 > origin ? p->t1 - origin : 0;
    uint64_t step = pick_step(rc, span, rel_end, plot_w);

    set_color(cr, &rc->pal->panel);
    cairo_rectangle(cr, l->plot_x0, l->ruler_y0, plot_w, l->ruler_y1 - l->ruler_y0);
    cairo_fill(cr);

    /* First tick at or after t0, on multiples of step from the trace start. */
    uint64_t first;
    if (p->t0 <= origin) {
        first = origin;
    } else {
        uint64_t rel = p->t0 - origin;
        first = origin + (rel + step - 1) / step * step;
    }
    double grid_top = l->nrows ? l->rows[0].y0 : l->ruler_y1;
    double grid_bot = l->nrows ? l->rows[l->nrows - 1].y1 : l->ruler_y1;
    cairo_set_line_width(cr, 1);
    for (uint64_t t = first; t <= p->t1 && t >= first; t += step) {
        double x = floor(render_x_of(l, p, t)) + 0.5;
        set_color(cr, &rc->pal->grid);
        cairo_move_to(cr, x, grid_top);
        cairo_line_to(cr, x, grid_bot);
        cairo_stroke(cr);
        set_color(cr, &rc->pal->axis);
        cairo_move_to(cr, x, l->ruler_y1 - 7);
        cairo_line_to(cr, x, l->ruler_y1);
        cairo_stroke(cr);
        char buf[64];
        fmt_ruler_time(t - origin, step, buf, sizeof buf);
        double w;
        text_size(rc, FONT_SMALL, buf, &w, NULL);
        if (x + 3 + w <= l->plot_x1)
            text_draw(rc, FONT_SMALL, &rc->pal->text_dim, x + 3, l->ruler_y0 + 4, ALIGN_LEFT, 0, buf);
        if (UINT64_MAX - t < step)
            break;
    }
    /* Minor ticks: five per step when there is room. */
    uint64_t minor = step / 5;
    if (minor && (double)minor / (double)span * plot_w >= 8) {
        set_color(cr, &rc->pal->axis);
        uint64_t m0 = first >= origin + step ? first - step : origin;
        for (uint64_t t = m0; t <= p->t1 && t >= m0; t += minor) {
            if (t < p->t0)
                continue;
            double x = floor(render_x_of(l, p, t)) + 0.5;
            cairo_move_to(cr, x, l->ruler_y1 - 3);
            cairo_line_to(cr, x, l->ruler_y1);
            if (UINT64_MAX - t < minor)
                break;
        }
        cairo_stroke(cr);
    }
    set_color(cr, &rc->pal->axis);
    cairo_move_to(cr, l->plot_x0, l->ruler_y1 - 0.5);
    cairo_line_to(cr, l->plot_x1, l->ruler_y1 - 0.5);
    cairo_stroke(cr);
}

static void fmt_axis_value(const value_axis *ax, double v, char *buf, size_t len)
{
    if (ax->bytes)
        fmt_bytes(v, buf, len);
    else if (ax->duration)
        fmt_duration(v, buf, len);
    else if (v == floor(v))
        fmt_count(v, buf, len);
    else
        snprintf(buf, len, "%.2g", v);
}

void axis_draw_values(render_ctx *rc, const render_row *r, const value_axis *ax, const char *suffix)
{
    cairo_t *cr = rc->cr;
    double h = r->py1 - r->py0;
    double lo = ax->bottom > 0 && ax->bottom < ax->top ? ax->bottom : 0;
    int nticks = (int)floor((ax->top - lo) / ax->step + 0.5);
    int every = 1;
    while (nticks / every > 1 && h / (nticks / every) < 16)
        every++;
    cairo_set_line_width(cr, 1);
    for (int k = 0; k <= nticks; k += every) {
        double v = lo + k * ax->step;
        double y = floor(row_y_range(r, v, lo, ax->top)) + 0.5;
        set_color(cr, k ? &rc->pal->grid : &rc->pal->axis);
        cairo_move_to(cr, rc->l->plot_x0, y);
        cairo_line_to(cr, rc->l->plot_x1, y);
        cairo_stroke(cr);
        if (k == 0 && nticks > 0 && lo == 0)
            continue; /* zero is obvious; keeps the gutter quiet */
        /* A fitted axis: its foot in full, the lines above as steps up from
         * it, so that "1.31 MiB" is not written four times. */
        char buf[64], label[80];
        fmt_axis_value(ax, k && lo > 0 ? v - lo : v, buf, sizeof buf);
        snprintf(label, sizeof label, "%s%s%s", k && lo > 0 ? "+" : "", buf, suffix ? suffix : "");
        double th;
        text_size(rc, FONT_SMALL, label, NULL, &th);
        double ty = y - th / 2;
        if (ty < r->y0)
            ty = r->y0;
        if (ty + th > r->y1 + 4)
            ty = r->y1 + 4 - th;
        text_draw(rc, FONT_SMALL, &rc->pal->text_dim, rc->l->plot_x0 - 6, ty, ALIGN_RIGHT, 0, label);
    }
}
