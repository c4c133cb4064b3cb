/* render-hit.c — where the tracks put things, and what is under a pixel.
 *
 * The drawing (render-tracks.c) and the hit test read the same geometry
 * from here: lifetime bars packed into rows, span rows by nesting depth,
 * the marks' flags, so that a click lands on what was drawn there.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"

#include <math.h>
#include <stdlib.h>

bool render_lifetime_bars(const render_view_params *p, const render_layout *l, const render_row *r,
                          render_bar **out, uint64_t *count)
{
    *out = NULL;
    *count = 0;
    uint64_t dropped;
    uint32_t rows = (uint32_t)((r->py1 - r->py0) / RENDER_BAR_ROW);
    if (rows > RENDER_BAR_ROWS_MAX)
        rows = RENDER_BAR_ROWS_MAX;
    uint64_t n = timeline_lifetimes(p->tl, p->t0, p->t1, NULL, 0, &dropped);
    if (!rows || dropped || n == 0 || n > (uint64_t)rows * 8)
        return false;
    timeline_lifetime *lt = malloc(n * sizeof *lt);
    render_bar *bars = malloc(n * sizeof *bars);
    if (!lt || !bars) {
        free(lt);
        free(bars);
        return false;
    }
    timeline_lifetimes(p->tl, p->t0, p->t1, lt, n, NULL);
    double row_end[RENDER_BAR_ROWS_MAX];
    for (uint32_t i = 0; i < rows; i++)
        row_end[i] = -1e9;
    for (uint64_t i = 0; i < n; i++) {
        double x0 = render_x_of(l, p, lt[i].begin), x1 = fmax(render_x_of(l, p, lt[i].end), x0 + 2);
        uint32_t k = 0;
        while (k < rows && row_end[k] > x0 - 1)
            k++;
        if (k == rows) { /* more overlap than rows: counts are drawn instead */
            free(lt);
            free(bars);
            return false;
        }
        row_end[k] = x1;
        double bx0 = fmax(x0, l->plot_x0), bx1 = fmin(x1, l->plot_x1);
        if (bx1 - bx0 < 2)
            bx1 = bx0 + 2;
        bars[i] = (render_bar){ lt[i], bx0, bx1, r->py0 + k * RENDER_BAR_ROW };
    }
    free(lt);
    *out = bars;
    *count = n;
    return true;
}

double render_span_row_y(const render_row *r, uint32_t depth)
{
    return r->py0 + RENDER_SPAN_TOP + depth * RENDER_BAR_ROW;
}

uint32_t render_span_rows(const render_row *r)
{
    double h = r->py1 - render_span_row_y(r, 0);
    uint32_t rows = h > 0 ? (uint32_t)(h / RENDER_BAR_ROW) : 0;
    return rows > RENDER_BAR_ROWS_MAX ? RENDER_BAR_ROWS_MAX : rows;
}

bool render_span_bar(const render_view_params *p, const render_layout *l, const ls_span *s, double *x0,
                     double *x1)
{
    uint64_t end = s->end ? s->end : timeline_end(p->tl);
    if (end < p->t0 || s->begin > p->t1)
        return false;
    *x0 = fmax(render_x_of(l, p, s->begin), l->plot_x0);
    *x1 = fmin(render_x_of(l, p, end), l->plot_x1);
    if (*x1 - *x0 < 1)
        *x1 = *x0 + 1;
    return true;
}

/* The pause under x: pauses are in time order, so the last one beginning
 * before the slack's end, looking back a few. */
static bool hit_gc(const ls_analysis *a, uint64_t lo, uint64_t hi, uint32_t *index)
{
    uint32_t a0 = 0, a1 = a->ngc;
    while (a0 < a1) {
        uint32_t m = a0 + (a1 - a0) / 2;
        if (a->gc[m].begin <= hi)
            a0 = m + 1;
        else
            a1 = m;
    }
    for (uint32_t i = a0; i-- > 0 && a0 - i < 64;) {
        if (a->gc[i].end >= lo) {
            *index = i;
            return true;
        }
    }
    return false;
}

static bool hit_marks(const render_view_params *p, const render_layout *l, const render_row *r, double x, double y,
                      render_hit *hit)
{
    const ls_analysis *a = timeline_analysis(p->tl);
    double best = 6;
    for (uint32_t i = 0; i < a->nmarks; i++) {
        double d = fabs(render_x_of(l, p, a->marks[i].ts) - x);
        if (d < best) {
            best = d;
            hit->kind = RENDER_HIT_MARK;
            hit->index = i;
        }
    }
    if (hit->kind == RENDER_HIT_MARK)
        return true;
    /* The span drawn at (x, y): its depth's row, its bar. */
    if (y < render_span_row_y(r, 0))
        return false;
    uint32_t depth = (uint32_t)((y - render_span_row_y(r, 0)) / RENDER_BAR_ROW);
    if (depth >= render_span_rows(r))
        return false;
    for (uint32_t i = timeline_span_from(p->tl, p->t0); i < a->nspans && a->spans[i].begin <= p->t1; i++) {
        const ls_span *s = &a->spans[i];
        double x0, x1;
        if (s->depth != depth || !render_span_bar(p, l, s, &x0, &x1))
            continue;
        if (x >= x0 - 1 && x <= x1 + 1) {
            hit->kind = RENDER_HIT_SPAN;
            hit->index = i;
        }
    }
    return hit->kind == RENDER_HIT_SPAN;
}

/* The failed open drawn under x (a tick two pixels wide: failures_draw),
 * the nearest of those within a pixel of it. */
static bool hit_failure(const render_view_params *p, const render_layout *l, double x, uint32_t *index)
{
    const ls_analysis *a = timeline_analysis(p->tl);
    uint64_t lo = render_time_at(l, p, x - 2), hi = render_time_at(l, p, x + 1);
    uint32_t a0 = ls_analysis_failure_from(a, lo);
    if (a0 == a->nopen_failures || a->open_failures[a0].ts > hi)
        return false;
    *index = a0;
    return true;
}

bool render_hit_test(const render_view_params *p, const render_layout *l, double x, double y, render_hit *hit)
{
    *hit = (render_hit){ .kind = RENDER_HIT_NONE };
    if (x < l->plot_x0 || x >= l->plot_x1)
        return false;
    const render_row *r = NULL;
    for (int i = 0; i < l->nrows; i++)
        if (y >= l->rows[i].y0 && y < l->rows[i].y1)
            r = &l->rows[i];
    if (!r)
        return false;
    double per_px = (double)(p->t1 - p->t0) / fmax(l->plot_x1 - l->plot_x0, 1.0);
    hit->track = r->track;
    hit->t = render_time_at(l, p, x);
    hit->slack = (uint64_t)ceil(per_px * 4);
    uint64_t lo = hit->t > hit->slack ? hit->t - hit->slack : 0, hi = hit->t + hit->slack;
    switch (r->track) {
    case RENDER_TRACK_HEAP:
    case RENDER_TRACK_ALLOC:
        hit->kind = RENDER_HIT_HEAP;
        return true;
    case RENDER_TRACK_GC:
        if (!hit_gc(timeline_analysis(p->tl), lo, hi, &hit->index))
            return false;
        hit->kind = RENDER_HIT_GC;
        return true;
    case RENDER_TRACK_RESOURCES: {
        render_bar *bars;
        uint64_t n;
        hit->kind = RENDER_HIT_RESOURCES;
        if (hit_failure(p, l, x, &hit->index)) {
            hit->kind = RENDER_HIT_FAILURE;
            return true;
        }
        if (render_lifetime_bars(p, l, r, &bars, &n)) {
            for (uint64_t i = 0; i < n; i++) {
                if (x >= bars[i].x0 - 1 && x <= bars[i].x1 + 1 && y >= bars[i].y && y < bars[i].y + RENDER_BAR_H) {
                    hit->kind = RENDER_HIT_LIFETIME;
                    hit->lifetime = bars[i].life;
                }
            }
            free(bars);
        }
        return true;
    }
    case RENDER_TRACK_MARKS:
        return hit_marks(p, l, r, x, y, hit);
    case RENDER_TRACK_THREADS:
        hit->kind = RENDER_HIT_THREADS;
        return true;
    case RENDER_TRACK_SITES: {
        /* the band drawn at (x, y): the value there on the row's axis */
        uint64_t stack[RENDER_SITE_BANDS + 1];
        uint32_t k = render_site_stack(p, render_site_column_time(l, p, x), stack);
        value_axis ax = value_axis_make(render_site_axis_top(p) > 0 ? render_site_axis_top(p) : 1, true, 2);
        double v = (r->py1 - y) / fmax(r->py1 - r->py0, 1) * ax.top;
        for (uint32_t i = 0; i < k; i++)
            if (v >= 0 && v < (double)stack[i]) {
                hit->kind = RENDER_HIT_SITE;
                hit->index = i;
                hit->bytes = stack[i] - (i ? stack[i - 1] : 0);
                return true;
            }
        return false;
    }
    default:
        return false;
    }
}
