/* render-tracks.c — the charts: heap, allocation rate, GC pauses, resources,
 * thread lanes, marks and spans. Each reads O(columns) values from the
 * timeline; only the GC pauses, marks and spans in view are visited.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"
#include "grow.h"
#include "units.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void track_title(render_ctx *rc, const render_row *r, const char *name)
{
    text_draw(rc, FONT_BOLD, &rc->pal->text, rc->l->plot_x0, r->y0 + 2, ALIGN_LEFT, 0, name);
}

double legend_item(render_ctx *rc, double x, double y, const rgba *c, const char *label)
{
    set_color(rc->cr, c);
    cairo_rectangle(rc->cr, x, y + 4, 10, 10);
    cairo_fill(rc->cr);
    return 14 + text_draw(rc, FONT_SMALL, &rc->pal->text_dim, x + 14, y + 1, ALIGN_LEFT, 0, label) + 14;
}

/* Summary text right of a track's title. */
static void track_note(render_ctx *rc, const render_row *r, const char *name, const char *note)
{
    double w;
    text_size(rc, FONT_BOLD, name, &w, NULL);
    text_draw(rc, FONT_SMALL, &rc->pal->text_dim, rc->l->plot_x0 + w + 10, r->y0 + 4, ALIGN_LEFT,
              rc->l->plot_x1 - rc->l->plot_x0 - w - 10, note);
}

static void no_data(render_ctx *rc, const render_row *r, const char *what)
{
    text_draw(rc, FONT_LABEL, &rc->pal->text_dim, (rc->l->plot_x0 + rc->l->plot_x1) / 2, (r->py0 + r->py1) / 2 - 8,
              ALIGN_CENTER, 0, what);
}

static double tx(const render_ctx *rc, uint64_t t) { return render_x_of(rc->l, rc->p, t); }

/* Bars side by side on whole pixels, bar i from x + i * w to x + (i + 1) * w
 * and from top[i] down to foot[i] (a NAN top: no bar), as a path of one
 * outline per run of bars: its tops left to right, its feet back. The bars
 * only share their sides, so the outline covers what the boxes would, and
 * cairo fills one polygon for a fraction of what hundreds of boxes cost. */
static void bars_path(cairo_t *cr, double x, double w, const double *top, const double *foot, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (isnan(top[i]))
            continue;
        uint32_t j = i;
        while (j + 1 < n && !isnan(top[j + 1]))
            j++;
        cairo_move_to(cr, x + i * w, top[i]);
        for (uint32_t k = i; k <= j; k++) {
            cairo_line_to(cr, x + k * w, top[k]);
            cairo_line_to(cr, x + (k + 1) * w, top[k]);
        }
        for (uint32_t k = j + 1; k-- > i;) {
            cairo_line_to(cr, x + (k + 1) * w, foot[k]);
            cairo_line_to(cr, x + k * w, foot[k]);
        }
        cairo_close_path(cr);
        i = j;
    }
}

/* ---- heap ---- */

/* y of a heap value on the heap row's axis (render_layout's heap_axis_min..max). */
static double hy(const render_ctx *rc, const render_row *r, double v)
{
    return row_y_range(r, v, (double)rc->l->heap_axis_min, (double)rc->l->heap_axis_max);
}

static void heap_steps_draw(render_ctx *rc, const render_row *r, const uint64_t *ts, const uint64_t *heap,
                            int64_t n)
{
    cairo_t *cr = rc->cr;
    double xend = rc->l->plot_x1;
    cairo_move_to(cr, fmax(tx(rc, ts[0]), rc->l->plot_x0), hy(rc, r, (double)heap[0]));
    for (int64_t i = 1; i < n; i++) {
        double x = tx(rc, ts[i]);
        cairo_line_to(cr, x, hy(rc, r, (double)heap[i - 1]));
        cairo_line_to(cr, x, hy(rc, r, (double)heap[i]));
    }
    double last_x = tx(rc, timeline_end(rc->p->tl));
    cairo_line_to(cr, fmin(xend, fmax(last_x, rc->l->plot_x0)), hy(rc, r, (double)heap[n - 1]));
    cairo_path_t *line = cairo_copy_path(cr);
    cairo_line_to(cr, fmin(xend, fmax(last_x, rc->l->plot_x0)), r->py1);
    cairo_line_to(cr, fmax(tx(rc, ts[0]), rc->l->plot_x0), r->py1);
    cairo_close_path(cr);
    set_color(cr, &rc->pal->heap_fill);
    cairo_fill(cr);
    cairo_append_path(cr, line);
    cairo_path_destroy(line);
    set_color(cr, &rc->pal->heap_line);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
}

static void heap_envelope_draw(render_ctx *rc, const render_row *r, const uint64_t *mn,
                               const uint64_t *mx, uint32_t n0, uint32_t n1)
{
    cairo_t *cr = rc->cr;
    /* The area under the max, then the min..max band of every column: a
     * spike narrower than a pixel still shows as a full-height line. */
    cairo_move_to(cr, col_x(rc, n0), r->py1);
    for (uint32_t i = n0; i < n1; i++) {
        double y = hy(rc, r, (double)mx[i]);
        cairo_line_to(cr, col_x(rc, i), y);
        cairo_line_to(cr, col_x(rc, i + 1), y);
    }
    cairo_line_to(cr, col_x(rc, n1), r->py1);
    cairo_close_path(cr);
    set_color(cr, &rc->pal->heap_fill);
    cairo_fill(cr);
    double *top = rc->col_a, *foot = rc->col_b;
    for (uint32_t i = n0; i < n1; i++) {
        double y0 = floor(hy(rc, r, (double)mx[i])), y1 = ceil(hy(rc, r, (double)mn[i]));
        double ya = i > n0 ? hy(rc, r, (double)mx[i - 1]) : y0; /* join with the neighbour */
        if (ya < y0)
            y0 = floor(ya);
        if (ya > y1)
            y1 = ceil(ya);
        top[i - n0] = y0;
        foot[i - n0] = y0 + fmax(1.5, y1 - y0);
    }
    bars_path(cr, col_x(rc, n0), 1, top, foot, n1 - n0);
    set_color(cr, &rc->pal->heap_line);
    cairo_fill(cr);
}

/* A track the sketch (timeline_open_sketch) cannot draw while the trace
 * holds what it would show (render_track_unread): says so, and true. */
static bool sketch_unread(render_ctx *rc, const render_row *r)
{
    if (!render_track_unread(rc->p->tl, r->track))
        return false;
    no_data(rc, r, "reading the events\u2026");
    return true;
}

void track_heap(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    uint32_t n = rc->ncols;
    /* the axis render_view_layout chose: its lines on its steps */
    value_axis ax = { .bytes = true, .bottom = (double)rc->l->heap_axis_min, .top = (double)rc->l->heap_axis_max,
                      .step = rc->l->heap_axis_step };
    axis_draw_values(rc, r, &ax, NULL);
    char peak[32], end[32], leak[32], note[300];
    fmt_bytes((double)a->peak_heap_bytes, peak, sizeof peak);
    fmt_bytes((double)a->heap_bytes, end, sizeof end);
    fmt_bytes((double)a->leaked_bytes, leak, sizeof leak);
    uint64_t exact_until = a->sketch ? timeline_sketch_exact_until(p->tl) : 0;
    if (a->sketch && exact_until > timeline_begin(p->tl)) { /* refined: the events' heap up to there */
        char upto[32];
        fmt_duration((double)(exact_until - timeline_begin(p->tl)), upto, sizeof upto);
        snprintf(note, sizeof note, "live bytes, read up to %s, the rest from the chunk summaries (each column: the "
                 "range the heap was in) · peak at most %s · at end %s", upto, peak, end);
    } else if (a->sketch) { /* ls_analysis.sketch: no blocks counted, the peak is a bound */
        snprintf(note, sizeof note, "live bytes, from the chunk summaries (each column: the range the heap was in) · "
                 "peak at most %s · at end %s", peak, end);
    } else {
        snprintf(note, sizeof note, "live bytes · peak %s · at end %s · leaked %s in %llu blocks", peak, end, leak,
                 (unsigned long long)a->leaked_blocks);
    }
    track_title(rc, r, "Heap");
    track_note(rc, r, "Heap", note);
    if (!a->allocations) {
        no_data(rc, r, "no allocations recorded");
        return;
    }
    /* Columns outside the trace stay empty. */
    uint32_t n0 = 0, n1 = n;
    double xb = tx(rc, timeline_begin(p->tl)), xe = tx(rc, timeline_end(p->tl));
    if (xb > rc->l->plot_x0)
        n0 = (uint32_t)fmin(n, floor(xb - rc->l->plot_x0));
    if (xe < rc->l->plot_x1)
        n1 = (uint32_t)fmax(n0, fmin(n, ceil(xe - rc->l->plot_x0) + 1));
    int64_t k = timeline_heap_steps(p->tl, p->t0, p->t1, n, rc->col_u, rc->col_v);
    cairo_save(rc->cr);
    cairo_rectangle(rc->cr, rc->l->plot_x0, r->py0 - 2, rc->l->plot_x1 - rc->l->plot_x0, r->py1 - r->py0 + 2);
    cairo_clip(rc->cr);
    if (k > 0) {
        heap_steps_draw(rc, r, rc->col_u, rc->col_v, k);
    } else {
        timeline_heap_range(p->tl, p->t0, p->t1, n, rc->col_u, rc->col_v);
        heap_envelope_draw(rc, r, rc->col_u, rc->col_v, n0, n1);
    }
    /* The peak, when it is in view. */
    if (a->peak_heap_ts >= p->t0 && a->peak_heap_ts <= p->t1) {
        double x = tx(rc, a->peak_heap_ts), y = hy(rc, r, (double)a->peak_heap_bytes);
        cairo_arc(rc->cr, x, y, 3, 0, 2 * M_PI);
        set_color(rc->cr, &rc->pal->heap_line);
        cairo_fill(rc->cr);
        /* The label sits above the dot: the peak is the highest heap there
         * is, so nothing of the curve passes above it (the axis leaves the
         * room, render_view_layout). Left of the dot near the right edge. */
        char label[48];
        snprintf(label, sizeof label, a->sketch ? "peak \u2264 %s" : "peak %s", peak);
        double w, h;
        text_size(rc, FONT_SMALL, label, &w, &h);
        bool left = x + 4 + w > rc->l->plot_x1;
        double lx = left ? x - 4 - w : x + 4, ly = fmax(r->py0 - 2, y - 4 - h);
        text_draw(rc, FONT_SMALL, &rc->pal->text, lx, ly, ALIGN_LEFT, 0, label);
        if (rc->out)
            rc->out->peak_label = (render_box){ lx, ly, lx + w, ly + h };
    }
    render_sites_selected_draw(rc, r, hy);
    cairo_restore(rc->cr);
}

/* ---- allocation rate ---- */

void track_alloc(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    uint32_t bin = 2, nb = rc->ncols / bin;
    if (!nb)
        return;
    double *bytes = rc->col_a, *count = rc->col_b;
    timeline_alloc_range(p->tl, p->t0, p->t1, nb, count, bytes);
    double secs = (double)(p->t1 - p->t0) / 1e9 / nb, max = 0, total = 0, allocs = 0;
    for (uint32_t i = 0; i < nb; i++) {
        total += bytes[i];
        allocs += count[i];
        bytes[i] /= secs;
        if (bytes[i] > max)
            max = bytes[i];
    }
    char b[32], c[32], note[128];
    fmt_bytes(total, b, sizeof b);
    fmt_count(allocs, c, sizeof c);
    snprintf(note, sizeof note, "bytes allocated per second · %s allocations, %s in view", c, b);
    track_title(rc, r, "Allocation rate");
    track_note(rc, r, "Allocation rate", note);
    if (!(max > 0)) { /* an idle view: no "1 B/s" axis over nothing */
        no_data(rc, r, "no allocations in view");
        return;
    }
    value_axis ax = value_axis_make(max, true, 2);
    axis_draw_values(rc, r, &ax, "/s");
    /* count (col_b) is spent: the bars' tops there, their feet (a bar at
     * least a pixel tall) over the rates. */
    double *top = count, *foot = bytes;
    for (uint32_t i = 0; i < nb; i++) {
        double y = row_y(r, bytes[i], ax.top);
        top[i] = bytes[i] > 0 ? y : NAN;
        foot[i] = y + fmax(1, r->py1 - y);
    }
    cairo_t *cr = rc->cr;
    bars_path(cr, col_x(rc, 0), bin, top, foot, nb);
    set_color(cr, &rc->pal->alloc);
    cairo_fill(cr);
}

/* ---- GC pauses ---- */

static bool gc_long(const ls_analysis *a, uint64_t d)
{
    return a->gc_stats.pauses > 1 && d >= 2 * a->gc_stats.p50_ns && d > 0;
}

/* First pause whose end is at or after t (pauses are in order of their end). */
static uint32_t gc_first(const ls_analysis *a, uint64_t t)
{
    return ls_first_at(a->gc, a->ngc, sizeof *a->gc, offsetof(ls_gc_pause, end), t);
}

/* One pause: a bar as tall as its duration (at least 2 px), red when long,
 * labelled with its duration when the label does not run into the last one. */
static void gc_bar(render_ctx *rc, const render_row *r, double top, double x, double w, uint64_t d,
                   double *label_end)
{
    const ls_analysis *a = timeline_analysis(rc->p->tl);
    double y = fmin(row_y(r, (double)d, top), r->py1 - 2);
    set_color(rc->cr, gc_long(a, d) ? &rc->pal->gc_long : &rc->pal->gc);
    cairo_rectangle(rc->cr, x, y, w, r->py1 - y);
    cairo_fill(rc->cr);
    if (gc_long(a, d) && x > *label_end) {
        char buf[32];
        fmt_duration((double)d, buf, sizeof buf);
        double tw = text_draw(rc, FONT_SMALL, &rc->pal->text, x, fmax(r->py0, y - 15), ALIGN_LEFT, 0, buf);
        *label_end = x + tw + 4;
    }
}

void track_gc(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    char tot[32], p50[32], p99[32], mx[32], note[200];
    fmt_duration((double)a->gc_stats.total_ns, tot, sizeof tot);
    fmt_duration((double)a->gc_stats.p50_ns, p50, sizeof p50);
    fmt_duration((double)a->gc_stats.p99_ns, p99, sizeof p99);
    fmt_duration((double)a->gc_stats.max_ns, mx, sizeof mx);
    snprintf(note, sizeof note, "%llu pauses · total %s · p50 %s · p99 %s · max %s",
             (unsigned long long)a->gc_stats.pauses, tot, p50, p99, mx);
    track_title(rc, r, "GC pauses");
    if (sketch_unread(rc, r))
        return;
    track_note(rc, r, "GC pauses", note);
    if (!a->ngc) {
        no_data(rc, r, "no GC pauses recorded");
        return;
    }
    uint64_t maxd = a->gc_stats.max_ns;
    uint32_t first = gc_first(a, p->t0);
    /* The longest pause in view sets the scale, so short ones stay visible. */
    uint64_t view_max = 0;
    for (uint32_t i = first; i < a->ngc && a->gc[i].end <= p->t1 + maxd; i++)
        if (a->gc[i].begin <= p->t1 && a->gc[i].end - a->gc[i].begin > view_max)
            view_max = a->gc[i].end - a->gc[i].begin;
    value_axis ax = value_axis_make((double)(view_max ? view_max : 1), false, 2);
    ax.duration = true;
    if (!view_max) {
        no_data(rc, r, "no GC pause in view");
        return;
    }
    axis_draw_values(rc, r, &ax, NULL);
    /* Narrow pauses share a column: the longest one wins it. */
    double *col = rc->col_a;
    memset(col, 0, rc->ncols * sizeof *col);
    double label_end = -1e9;
    for (uint32_t i = first; i < a->ngc && a->gc[i].end <= p->t1 + maxd; i++) {
        const ls_gc_pause *g = &a->gc[i];
        if (g->begin > p->t1)
            continue;
        uint64_t d = g->end - g->begin;
        double x0 = tx(rc, g->begin), x1 = tx(rc, g->end);
        if (x1 - x0 < 2) {
            double c = floor(fmax(x0, rc->l->plot_x0) - rc->l->plot_x0);
            if (c >= 0 && c < rc->ncols && d + 1.0 > col[(uint32_t)c])
                col[(uint32_t)c] = (double)d + 1.0;
            continue;
        }
        x0 = fmax(x0, rc->l->plot_x0);
        gc_bar(rc, r, ax.top, x0, fmin(x1, rc->l->plot_x1) - x0, d, &label_end);
    }
    for (uint32_t c = 0; c < rc->ncols; c++) {
        if (col[c] <= 0)
            continue;
        gc_bar(rc, r, ax.top, col_x(rc, c), 2, (uint64_t)(col[c] - 1.0), &label_end);
    }
}

/* ---- resources ---- */

static const rgba *kind_color(const render_ctx *rc, uint32_t k) { return &rc->pal->series[k % RENDER_SERIES_COLORS]; }

static int kind_index(const uint32_t *kinds, uint32_t nk, uint32_t kind)
{
    for (uint32_t k = 0; k < nk; k++)
        if (kinds[k] == kind)
            return (int)k;
    return -1;
}

value_axis resource_axis(const render_view_params *p, uint32_t ncols)
{
    uint32_t kinds[TIMELINE_MAX_KINDS];
    uint32_t nk = timeline_resource_kinds(p->tl, kinds, TIMELINE_MAX_KINDS), top = 0;
    uint32_t *mn = malloc((ncols + 1) * sizeof *mn), *mx = malloc((ncols + 1) * sizeof *mx);
    for (uint32_t k = 0; k < nk && mn && mx; k++) {
        timeline_resource_range(p->tl, k, p->t0, p->t1, ncols, mn, mx);
        for (uint32_t i = 0; i < ncols; i++)
            top = mx[i] > top ? mx[i] : top;
    }
    free(mn);
    free(mx);
    value_axis ax = value_axis_make(top, false, 3);
    if (ax.step < 1) {
        ax.step = 1;
        ax.top = ceil(ax.top);
    }
    return ax;
}

/* Lifetimes as bars (render_lifetime_bars); false (nothing drawn) if they do not fit. */
static bool lifetimes_draw(render_ctx *rc, const render_row *r, const uint32_t *kinds, uint32_t nk)
{
    const render_view_params *p = rc->p;
    render_bar *bars;
    uint64_t n;
    if (!render_lifetime_bars(p, rc->l, r, &bars, &n))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        const render_bar *b = &bars[i];
        int k = kind_index(kinds, nk, b->life.kind);
        const rgba *c = b->life.closed ? (k >= 0 ? kind_color(rc, (uint32_t)k) : &rc->pal->axis) : &rc->pal->never_closed;
        set_color(rc->cr, c);
        cairo_rectangle(rc->cr, b->x0, b->y, b->x1 - b->x0, RENDER_BAR_H);
        cairo_fill(rc->cr);
        if (b->x1 - b->x0 > 60) {
            char label[160];
            snprintf(label, sizeof label, "%s %llu%s", ls_analysis_string(timeline_analysis(p->tl), b->life.kind),
                     (unsigned long long)b->life.handle, b->life.closed ? "" : " · never closed");
            text_draw(rc, FONT_SMALL, &rc->pal->bg, b->x0 + 3, b->y - 1, ALIGN_LEFT, b->x1 - b->x0 - 6, label);
        }
    }
    free(bars);
    return true;
}

/* Where opens failed for want of descriptors (ls_open_failure): a red tick
 * across the plot at each, one per pixel column however many fell in it. */
static void failures_draw(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    uint32_t lo = ls_analysis_failure_from(a, p->t0);
    set_color(rc->cr, &rc->pal->never_closed);
    double last = -1;
    for (uint32_t i = lo; i < a->nopen_failures && a->open_failures[i].ts <= p->t1; i++) {
        double x = floor(tx(rc, a->open_failures[i].ts));
        if (x == last)
            continue;
        last = x;
        cairo_rectangle(rc->cr, x, r->py0, 2, r->py1 - r->py0);
    }
    cairo_fill(rc->cr);
}

void track_resources(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    uint32_t kinds[TIMELINE_MAX_KINDS];
    uint32_t nk = timeline_resource_kinds(p->tl, kinds, TIMELINE_MAX_KINDS);
    track_title(rc, r, "Resources");
    if (sketch_unread(rc, r))
        return;
    double lx = rc->l->plot_x0, lw;
    text_size(rc, FONT_BOLD, "Resources", &lw, NULL);
    lx += lw + 12;
    for (uint32_t k = 0; k < nk && lx < rc->l->plot_x1 - 160; k++) {
        char label[96];
        uint64_t open_end = 0;
        for (uint32_t i = 0; i < a->nres_kinds; i++)
            if (a->res_kinds[i].kind == kinds[k])
                open_end = a->res_kinds[i].open_at_end;
        snprintf(label, sizeof label, "%.40s (%llu open at end)", ls_analysis_string(a, kinds[k]),
                 (unsigned long long)open_end);
        lx += legend_item(rc, lx, r->y0 + 2, kind_color(rc, k), label);
    }
    if (a->nopen_failures && lx < rc->l->plot_x1 - 160) {
        char label[96], cnt[32];
        snprintf(label, sizeof label, "%s open%s failed (too many open files)",
                 ls_format_count(a->nopen_failures, cnt, sizeof cnt), a->nopen_failures == 1 ? "" : "s");
        lx += legend_item(rc, lx, r->y0 + 2, &rc->pal->never_closed, label);
    }
    if (!nk && !a->nopen_failures) {
        no_data(rc, r, "no resources recorded");
        return;
    }
    if (!nk || lifetimes_draw(rc, r, kinds, nk)) {
        failures_draw(rc, r);
        return;
    }
    uint32_t n = rc->ncols, *mn = rc->col_m, *mx = rc->col_n;
    value_axis ax = resource_axis(p, n);
    axis_draw_values(rc, r, &ax, NULL);
    cairo_t *cr = rc->cr;
    for (uint32_t k = 0; k < nk; k++) {
        timeline_resource_range(p->tl, k, p->t0, p->t1, n, mn, mx);
        rgba band = *kind_color(rc, k);
        band.a = 0.3;
        set_color(cr, &band);
        for (uint32_t i = 0; i < n; i++)
            if (mx[i] != mn[i])
                cairo_rectangle(cr, col_x(rc, i), row_y(r, mx[i], ax.top), 1,
                                row_y(r, mn[i], ax.top) - row_y(r, mx[i], ax.top));
        cairo_fill(cr);
        cairo_move_to(cr, col_x(rc, 0), row_y(r, mx[0], ax.top));
        for (uint32_t i = 0; i < n; i++) {
            cairo_line_to(cr, col_x(rc, i), row_y(r, mx[i], ax.top));
            cairo_line_to(cr, col_x(rc, i + 1), row_y(r, mx[i], ax.top));
        }
        set_color(cr, kind_color(rc, k));
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
    }
    failures_draw(rc, r);
}

/* ---- threads ---- */

void track_threads(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    uint32_t lanes = timeline_thread_lanes(p->tl), n = rc->ncols;
    track_title(rc, r, "Threads");
    track_note(rc, r, "Threads", "events per pixel, darker = busier");
    if (!lanes) {
        no_data(rc, r, "no events");
        return;
    }
    double lh = (r->py1 - r->py0) / lanes;
    double *events = malloc((size_t)lanes * n * sizeof *events), max = 0;
    if (!events) /* a frame, not the data */
        return;
    timeline_threads_range(p->tl, p->t0, p->t1, n, events);
    for (size_t i = 0; i < (size_t)lanes * n; i++) /* one scale for every lane */
        max = events[i] > max ? events[i] : max;
    double lmax = log1p(max);
    cairo_t *cr = rc->cr;
    for (uint32_t t = 0; t < lanes; t++) {
        double y = r->py0 + t * lh;
        uint32_t tid = timeline_thread_lane_tid(p->tl, t);
        const char *name = ls_analysis_thread_name(a, tid);
        char label[96];
        if (t == TIMELINE_MAX_THREADS - 1 && a->nthreads > TIMELINE_MAX_THREADS)
            snprintf(label, sizeof label, "%u more threads", a->nthreads - (TIMELINE_MAX_THREADS - 1));
        else if (*name)
            snprintf(label, sizeof label, "%.60s", name);
        else
            snprintf(label, sizeof label, "tid %u", tid);
        if (lh >= 9)
            text_draw(rc, lh >= 14 ? FONT_LABEL : FONT_SMALL, &rc->pal->text_dim, rc->l->plot_x0 - 6,
                      y + lh / 2 - (lh >= 14 ? 8 : 7), ALIGN_RIGHT, rc->l->plot_x0 - 12, label);
        /* Eight intensity levels, one fill each; a column's level computed once. */
        const double *col = events + (size_t)t * n;
        uint8_t *level_of = (uint8_t *)rc->col_m; /* ncols bytes of its ncols words */
        for (uint32_t i = 0; i < n; i++)
            level_of[i] = col[i] > 0 ? (uint8_t)(1 + (int)(7.999 * log1p(col[i]) / (lmax > 0 ? lmax : 1))) : 0;
        for (int level = 1; level <= 8; level++) {
            bool any = false;
            for (uint32_t i = 0; i < n; i++) {
                if (level_of[i] != level)
                    continue;
                uint32_t j = i;
                while (j + 1 < n && level_of[j + 1] == level)
                    j++;
                cairo_rectangle(cr, col_x(rc, i), y + 1, j - i + 1, fmax(1, lh - 2));
                i = j;
                any = true;
            }
            if (any) {
                rgba c = rc->pal->thread;
                c.a = 0.15 + 0.85 * level / 8.0;
                set_color(cr, &c);
                cairo_fill(cr);
            }
        }
    }
    free(events);
}

/* ---- marks and spans ---- */

static uint32_t label_color(uint32_t label) { return (label * 2654435761u) >> 29; }

/* A run of span bars on one row in one colour (track_marks). */
typedef struct span_run {
    double x0, x1, y;
    uint32_t color;       /* RENDER_SERIES_COLORS: spans of several colours, too narrow to tell apart */
    bool open, narrow;    /* narrow: made of spans two pixels wide or less */
} span_run;
typedef struct span_runs {
    span_run *v;
    size_t n, cap;
} span_runs;

/* Out of memory: the run is not drawn (a frame, not the data). */
static void span_runs_add(span_runs *rs, const span_run *r)
{
    if (ls_grow((void **)&rs->v, &rs->cap, sizeof *rs->v, rs->n + 1))
        rs->v[rs->n++] = *r;
}

typedef struct span_label {
    double x, y, w;
    uint32_t span;
} span_label;
typedef struct span_labels {
    span_label *v;
    size_t n, cap;
} span_labels;

static void span_labels_add(span_labels *ls, double x, double y, double w, uint32_t span)
{
    if (ls_grow((void **)&ls->v, &ls->cap, sizeof *ls->v, ls->n + 1))
        ls->v[ls->n++] = (span_label){ x, y, w, span };
}

/* A span's label ("name · 1.2 ms"), as drawn over its bar. */
static void span_label_text(const ls_analysis *a, const ls_span *s, uint64_t end, char *out, size_t len)
{
    char dur[32];
    fmt_duration((double)(end - s->begin), dur, sizeof dur);
    snprintf(out, len, "%.150s · %s%s", ls_analysis_string(a, s->label), dur, s->end ? "" : " (never ended)");
}

static double span_label_width(render_ctx *rc, const ls_analysis *a, const ls_span *s, uint64_t end, double max)
{
    char label[200];
    double w;
    span_label_text(a, s, end, label, sizeof label);
    text_size(rc, FONT_SMALL, label, &w, NULL);
    return fmin(w, max);
}

static void span_label_draw(render_ctx *rc, const ls_analysis *a, const ls_span *s, double x, double y, double max)
{
    char label[200];
    span_label_text(a, s, s->end ? s->end : timeline_end(rc->p->tl), label, sizeof label);
    text_draw(rc, FONT_SMALL, &rc->pal->text, x, y, ALIGN_LEFT, max, label);
}

/* The marks' columns not yet drawn (track_marks). */
typedef struct marks_path {
    double *x;
    size_t n, cap;
} marks_path;

/* Out of memory: the mark is not drawn (a frame, not the data). */
static void marks_path_add(marks_path *mp, double x)
{
    if (ls_grow((void **)&mp->x, &mp->cap, sizeof *mp->x, mp->n + 1))
        mp->x[mp->n++] = x;
}

/* The pending marks' lines through the row, then their flags: one stroke
 * and one fill. */
static void marks_path_draw(render_ctx *rc, const render_row *r, marks_path *mp)
{
    cairo_t *cr = rc->cr;
    if (!mp->n)
        return;
    set_color(cr, &rc->pal->mark);
    cairo_set_line_width(cr, 1);
    for (size_t i = 0; i < mp->n; i++) {
        cairo_move_to(cr, mp->x[i], r->py0);
        cairo_line_to(cr, mp->x[i], r->py1);
    }
    cairo_stroke(cr);
    for (size_t i = 0; i < mp->n; i++) {
        cairo_move_to(cr, mp->x[i] - 4, r->py0);
        cairo_line_to(cr, mp->x[i] + 4, r->py0);
        cairo_line_to(cr, mp->x[i], r->py0 + 5);
        cairo_close_path(cr);
    }
    cairo_fill(cr);
    mp->n = 0;
}

void track_marks(render_ctx *rc, const render_row *r)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    cairo_t *cr = rc->cr;
    char note[96];
    snprintf(note, sizeof note, "%u marks · %u spans", a->nmarks, a->nspans);
    track_title(rc, r, "Marks & spans");
    if (sketch_unread(rc, r))
        return;
    track_note(rc, r, "Marks & spans", note);
    if (!a->nmarks && !a->nspans) {
        no_data(rc, r, "no marks or spans recorded");
        return;
    }
    /* Spans: one row per nesting depth, under the marks' labels. The bars
     * are merged into runs per row (spans of one colour that touch at this
     * zoom; narrow spans of several colours that share pixels, drawn grey
     * as "several labels": their colours cannot be told apart there anyway)
     * and each colour is filled once. At coarse zoom tens of thousands of
     * spans share a few hundred pixels, and a fill per span cost twice a
     * frame's budget. */
    uint32_t rows = render_span_rows(r);
    double row_label_end[RENDER_BAR_ROWS_MAX]; /* per depth: where the last label ended */
    span_run run[RENDER_BAR_ROWS_MAX];         /* per depth: the run being extended */
    for (uint32_t d = 0; d < rows; d++) {
        row_label_end[d] = -1e9;
        run[d].open = false;
    }
    span_runs runs = { 0 };
    span_labels labels = { 0 };
    /* Spans are in order of their begin; those before timeline_span_from ended before the view. */
    for (uint32_t i = timeline_span_from(p->tl, p->t0); i < a->nspans && rows && a->spans[i].begin <= p->t1; i++) {
        const ls_span *s = &a->spans[i];
        uint64_t end = s->end ? s->end : timeline_end(p->tl);
        double x0, x1;
        if (s->depth >= rows || !render_span_bar(p, rc->l, s, &x0, &x1))
            continue;
        uint32_t d = s->depth, color = label_color(s->label);
        bool narrow = x1 - x0 <= 2;
        if (run[d].open && x0 <= run[d].x1 && (run[d].color == color || (narrow && run[d].narrow))) {
            run[d].x1 = fmax(run[d].x1, x1);
            if (run[d].color != color)
                run[d].color = RENDER_SERIES_COLORS;
            run[d].narrow &= narrow;
        } else {
            if (run[d].open)
                span_runs_add(&runs, &run[d]);
            run[d] = (span_run){ x0, x1, render_span_row_y(r, d), color, true, narrow };
        }
        if (x1 - x0 > 40 && x0 > row_label_end[d]) {
            double w = span_label_width(rc, a, s, end, x1 - x0 - 6);
            row_label_end[d] = x0 + w + 6;
            span_labels_add(&labels, x0 + 3, render_span_row_y(r, d) - 2, x1 - x0 - 6, i);
        }
    }
    for (uint32_t d = 0; d < rows; d++)
        if (run[d].open)
            span_runs_add(&runs, &run[d]);
    for (uint32_t c = 0; c <= RENDER_SERIES_COLORS; c++) {
        bool any = false;
        for (size_t k = 0; k < runs.n; k++) {
            if (runs.v[k].color != c)
                continue;
            cairo_rectangle(cr, runs.v[k].x0, runs.v[k].y, runs.v[k].x1 - runs.v[k].x0, RENDER_BAR_H);
            any = true;
        }
        if (!any)
            continue;
        rgba col = c < RENDER_SERIES_COLORS ? rc->pal->series[c] : rc->pal->text_dim;
        col.a = 0.55;
        set_color(cr, &col);
        cairo_fill(cr);
    }
    for (size_t k = 0; k < labels.n; k++)
        span_label_draw(rc, a, &a->spans[labels.v[k].span], labels.v[k].x, labels.v[k].y, labels.v[k].w);
    free(runs.v);
    free(labels.v);
    /* Marks: a line through the row and a flag on top, the label beside.
     * Marks in one pixel column draw the same pixels, so a column is drawn
     * once (again after a label drawn since); the lines and flags are
     * gathered into one path each and drawn before each label, so a label
     * still lies over the marks before it and under those after it. At
     * coarse zoom thousands of marks share the columns, and a stroke, a
     * fill and a text measure per mark cost more than a frame. */
    marks_path pending = { 0 };
    double label_end = -1e9;
    for (uint32_t i = ls_analysis_mark_from(a, p->t0); i < a->nmarks && a->marks[i].ts <= p->t1; i++) {
        const ls_mark *m = &a->marks[i];
        double x = floor(tx(rc, m->ts)) + 0.5;
        if (!pending.n || pending.x[pending.n - 1] != x) /* drawn again over a label since */
            marks_path_add(&pending, x);
        /* The label goes right of the line, at x + 5 or left of it to fit
         * the plot's right edge: never right of x + 5. */
        if (x + 5 <= label_end)
            continue;
        const char *text = ls_analysis_string(a, m->label);
        double w, h;
        text_size(rc, FONT_SMALL, text, &w, &h);
        w = fmin(w, 160);
        double lx = fmax(rc->l->plot_x0, fmin(x + 5, rc->l->plot_x1 - w));
        if (lx > label_end) {
            marks_path_draw(rc, r, &pending);
            w = text_draw(rc, FONT_SMALL, &rc->pal->mark, lx, r->py0 + 1, ALIGN_LEFT, 160, text);
            label_end = lx + w + 6;
            if (rc->out)
                rc->out->last_mark_label = (render_box){ lx, r->py0 + 1, lx + w, r->py0 + 1 + h };
        }
    }
    marks_path_draw(rc, r, &pending);
    free(pending.x);
}
