/* render.c — one frame: layout, header (title, summary, legend), ruler, the
 * tracks, then the widget's hover and selection on top.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "render-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GUTTER 104.0
#define RIGHT_MARGIN 20.0
#define HEADER_H 66.0
#define RULER_H 22.0
#define ROW_HEAD 20.0
#define ROW_GAP 10.0
#define FOOT 8.0

static const struct {
    const char *name;
    uint32_t bits;
} track_names[] = {
    { "heap", RENDER_TRACK_HEAP | RENDER_TRACK_ALLOC },
    { "gc", RENDER_TRACK_GC },
    { "resources", RENDER_TRACK_RESOURCES },
    { "threads", RENDER_TRACK_THREADS },
    { "marks", RENDER_TRACK_MARKS },
};

uint32_t render_tracks_parse(const char *list, const char **bad)
{
    uint32_t bits = 0;
    const char *s = list;
    for (;;) {
        size_t len = strcspn(s, ",");
        uint32_t found = 0;
        for (size_t i = 0; i < sizeof track_names / sizeof *track_names; i++)
            if (len == strlen(track_names[i].name) && !strncmp(s, track_names[i].name, len))
                found = track_names[i].bits;
        if (!found) {
            if (bad)
                *bad = s;
            return 0;
        }
        bits |= found;
        if (!s[len])
            return bits;
        s += len + 1;
    }
}

void render_view_params_init(render_view_params *p, timeline *tl, int width, int height)
{
    memset(p, 0, sizeof *p);
    p->tl = tl;
    p->t0 = timeline_begin(tl);
    p->t1 = timeline_end(tl) > p->t0 ? timeline_end(tl) : p->t0 + 1;
    p->width = width;
    p->height = height;
    p->tracks = RENDER_TRACK_ALL;
    p->theme = RENDER_THEME_LIGHT;
    p->header = true;
    p->hover_x = -1;
}

double render_x_of(const render_layout *l, const render_view_params *p, uint64_t t)
{
    double f = t >= p->t0 ? (double)(t - p->t0) : -(double)(p->t0 - t);
    return l->plot_x0 + f / (double)(p->t1 - p->t0) * (l->plot_x1 - l->plot_x0);
}

uint64_t render_time_at(const render_layout *l, const render_view_params *p, double x)
{
    double f = (x - l->plot_x0) / (l->plot_x1 - l->plot_x0);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return p->t0 + (uint64_t)(f * (double)(p->t1 - p->t0));
}

static uint32_t max_span_depth(const ls_analysis *a)
{
    uint32_t d = 0;
    for (uint32_t i = 0; i < a->nspans; i++)
        if (a->spans[i].depth + 1 > d)
            d = a->spans[i].depth + 1;
    return d;
}

/* The heap plot's top: a round number above the highest heap in view. */
static uint64_t heap_top(const render_view_params *p, uint32_t ncols)
{
    uint64_t *mn = malloc(ncols * sizeof *mn), *mx = malloc(ncols * sizeof *mx);
    uint64_t top = 0;
    if (mn && mx) {
        timeline_heap_range(p->tl, p->t0, p->t1, ncols, mn, mx);
        for (uint32_t i = 0; i < ncols; i++)
            top = mx[i] > top ? mx[i] : top;
    }
    free(mn);
    free(mx);
    return (uint64_t)value_axis_make((double)top * 1.08, true, 4).top;
}

void render_view_layout(const render_view_params *p, render_layout *l)
{
    memset(l, 0, sizeof *l);
    uint32_t tracks = p->tracks ? p->tracks : RENDER_TRACK_ALL;
    const ls_analysis *a = timeline_analysis(p->tl);
    double plot_w = floor(p->width - GUTTER - RIGHT_MARGIN);
    if (plot_w < 1)
        plot_w = 1;
    l->plot_x0 = GUTTER;
    l->plot_x1 = GUTTER + plot_w;
    l->ruler_y0 = p->header ? HEADER_H : 4;
    l->ruler_y1 = l->ruler_y0 + RULER_H;

    /* Fixed heights for lanes, weights for the charts. */
    double fixed[RENDER_MAX_ROWS] = { 0 }, weight[RENDER_MAX_ROWS] = { 0 };
    render_track order[] = { RENDER_TRACK_HEAP, RENDER_TRACK_ALLOC, RENDER_TRACK_GC, RENDER_TRACK_RESOURCES,
                             RENDER_TRACK_THREADS, RENDER_TRACK_MARKS };
    double avail = p->height - l->ruler_y1 - FOOT;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if (!(tracks & order[i]))
            continue;
        int k = l->nrows++;
        l->rows[k].track = order[i];
        switch (order[i]) {
        case RENDER_TRACK_HEAP: weight[k] = 5; break;
        case RENDER_TRACK_ALLOC: weight[k] = 1.6; break;
        case RENDER_TRACK_GC: weight[k] = 1.6; break;
        case RENDER_TRACK_RESOURCES: weight[k] = 2.6; break;
        case RENDER_TRACK_THREADS: {
            uint32_t lanes = timeline_thread_lanes(p->tl);
            fixed[k] = fmin(ROW_HEAD + (lanes ? lanes : 1) * 18.0 + 4, avail * 0.3);
            break;
        }
        case RENDER_TRACK_MARKS: {
            uint32_t d = max_span_depth(a);
            fixed[k] = fmin(ROW_HEAD + 22 + (d > 4 ? 4 : d) * 14.0 + 4, avail * 0.25);
            break;
        }
        default: break;
        }
    }
    double wsum = 0, fsum = 0;
    for (int k = 0; k < l->nrows; k++) {
        wsum += weight[k];
        fsum += fixed[k];
    }
    double flex = avail - fsum - ROW_GAP * l->nrows;
    if (flex < 0)
        flex = 0;
    double y = l->ruler_y1 + ROW_GAP;
    for (int k = 0; k < l->nrows; k++) {
        double h = fixed[k] ? fixed[k] : flex * weight[k] / (wsum ? wsum : 1);
        render_row *r = &l->rows[k];
        r->y0 = floor(y);
        r->y1 = floor(y + h);
        r->py0 = r->y0 + ROW_HEAD;
        r->py1 = r->y1 - 2;
        if (r->py1 < r->py0)
            r->py1 = r->py0;
        y += h + ROW_GAP;
    }
    if (tracks & RENDER_TRACK_HEAP)
        l->heap_axis_max = heap_top(p, (uint32_t)plot_w);
}

static void header_draw(render_ctx *rc)
{
    const render_view_params *p = rc->p;
    const ls_analysis *a = timeline_analysis(p->tl);
    const char *prog = a->info.program;
    const char *slash = strrchr(prog, '/');
    char title[300], when[64] = "", line[512];
    snprintf(title, sizeof title, "%.200s", slash && slash[1] ? slash + 1 : *prog ? prog : "(unknown program)");
    time_t secs = (time_t)(a->info.start_realtime_ns / 1000000000ull);
    struct tm tm;
    if (a->info.start_realtime_ns && localtime_r(&secs, &tm))
        strftime(when, sizeof when, "recorded %Y-%m-%d %H:%M:%S", &tm);
    double x = 16;
    x += text_draw(rc, FONT_TITLE, &rc->pal->text, x, 10, ALIGN_LEFT, p->width * 0.5, title) + 12;
    char pid[64];
    snprintf(pid, sizeof pid, "pid %u · %s", a->info.pid, when);
    text_draw(rc, FONT_LABEL, &rc->pal->text_dim, x, 15, ALIGN_LEFT, 0, pid);

    char dur[32], ev[32], peak[32], leak[32], view0[32], view1[32];
    uint64_t origin = timeline_begin(p->tl);
    fmt_duration((double)(a->last_ts - a->first_ts), dur, sizeof dur);
    fmt_count((double)a->events, ev, sizeof ev);
    fmt_bytes((double)a->peak_heap_bytes, peak, sizeof peak);
    fmt_bytes((double)a->leaked_bytes, leak, sizeof leak);
    fmt_duration(p->t0 > origin ? (double)(p->t0 - origin) : 0, view0, sizeof view0);
    fmt_duration(p->t1 > origin ? (double)(p->t1 - origin) : 0, view1, sizeof view1);
    snprintf(line, sizeof line,
             "%s · %s events · %u threads · peak heap %s · leaked %s · %llu GC pauses · %llu resources open at end"
             " · showing %s – %s%s%s%s",
             dur, ev, a->nthreads, peak, leak, (unsigned long long)a->gc_stats.pauses,
             (unsigned long long)a->resources_open_at_end, view0, view1,
             a->truncated ? " · TRUNCATED trace" : "", ls_analysis_damaged(a) ? " · DAMAGED trace: parts skipped" : "",
             a->lost_events ? " · events were lost" : "");
    bool warn = a->truncated || a->lost_events || ls_analysis_damaged(a);
    text_draw(rc, FONT_LABEL, warn ? &rc->pal->gc_long : &rc->pal->text_dim, 16, 38,
              ALIGN_LEFT, p->width - 32, line);
    cairo_set_line_width(rc->cr, 1);
    set_color(rc->cr, &rc->pal->grid);
    cairo_move_to(rc->cr, 0, HEADER_H - 6.5);
    cairo_line_to(rc->cr, p->width, HEADER_H - 6.5);
    cairo_stroke(rc->cr);
}

/* The legend: one swatch per color in use, right-aligned on the title's line
 * (left out when the picture is too narrow; the track titles still say it). */
static void legend_draw(render_ctx *rc)
{
    uint32_t t = rc->p->tracks ? rc->p->tracks : RENDER_TRACK_ALL;
    struct {
        uint32_t track;
        const rgba *c;
        const char *label;
    } items[] = {
        { RENDER_TRACK_HEAP, &rc->pal->heap_line, "heap (min–max per pixel)" },
        { RENDER_TRACK_ALLOC, &rc->pal->alloc, "allocation rate" },
        { RENDER_TRACK_GC, &rc->pal->gc, "GC pause" },
        { RENDER_TRACK_GC, &rc->pal->gc_long, "long pause (≥ 2× median)" },
        { RENDER_TRACK_RESOURCES, &rc->pal->never_closed, "never closed" },
        { RENDER_TRACK_THREADS, &rc->pal->thread, "thread activity" },
        { RENDER_TRACK_MARKS, &rc->pal->mark, "mark" },
    };
    double w = 0;
    for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
        if (!(t & items[i].track))
            continue;
        double tw;
        text_size(rc, FONT_SMALL, items[i].label, &tw, NULL);
        w += 14 + tw + 14;
    }
    double x = rc->p->width - RIGHT_MARGIN - w + 14;
    if (x < rc->p->width * 0.45)
        return;
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        if (t & items[i].track)
            x += legend_item(rc, x, 12, items[i].c, items[i].label);
}

static void overlay_draw(render_ctx *rc)
{
    const render_view_params *p = rc->p;
    const render_layout *l = rc->l;
    cairo_t *cr = rc->cr;
    double top = l->ruler_y0, bot = l->nrows ? l->rows[l->nrows - 1].y1 : l->ruler_y1;
    if (p->sel_t1 > p->sel_t0) {
        double x0 = fmax(render_x_of(l, p, p->sel_t0), l->plot_x0);
        double x1 = fmin(render_x_of(l, p, p->sel_t1), l->plot_x1);
        if (x1 > x0) {
            set_color(cr, &rc->pal->selection);
            cairo_rectangle(cr, x0, top, x1 - x0, bot - top);
            cairo_fill(cr);
            char d[32];
            fmt_duration((double)(p->sel_t1 - p->sel_t0), d, sizeof d);
            text_draw(rc, FONT_BOLD, &rc->pal->text, (x0 + x1) / 2, l->ruler_y0 + 2, ALIGN_CENTER, 0, d);
        }
    }
    if (p->hover_x >= l->plot_x0 && p->hover_x < l->plot_x1) {
        double x = floor(p->hover_x) + 0.5;
        set_color(cr, &rc->pal->hover);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, top);
        cairo_line_to(cr, x, bot);
        cairo_stroke(cr);
        uint64_t t = render_time_at(l, p, p->hover_x), origin = timeline_begin(p->tl);
        uint64_t mn, mx;
        timeline_heap_range(p->tl, t, t + 1, 1, &mn, &mx);
        char ts[48], heap[32], label[128];
        fmt_ruler_time(t > origin ? t - origin : 0, 1, ts, sizeof ts);
        fmt_bytes((double)mx, heap, sizeof heap);
        snprintf(label, sizeof label, "%s · heap %s", ts, heap);
        double w, h;
        text_size(rc, FONT_SMALL, label, &w, &h);
        double bx = x + 8 + w + 8 > l->plot_x1 ? x - 8 - w - 8 : x + 8;
        set_color(cr, &rc->pal->panel);
        cairo_rectangle(cr, bx, l->ruler_y1 + 2, w + 8, h + 4);
        cairo_fill(cr);
        text_draw(rc, FONT_SMALL, &rc->pal->text, bx + 4, l->ruler_y1 + 4, ALIGN_LEFT, 0, label);
    }
}

static bool ctx_init(render_ctx *rc, cairo_t *cr, const render_view_params *p, const render_layout *l)
{
    memset(rc, 0, sizeof *rc);
    rc->cr = cr;
    rc->p = p;
    rc->l = l;
    rc->pal = render_palette_of(p->theme);
    rc->ncols = (uint32_t)(l->plot_x1 - l->plot_x0);
    rc->text = pango_cairo_create_layout(cr);
    static const char *const fonts[FONT_COUNT] = { "Sans 8", "Sans 9", "Sans Bold 9", "Sans Bold 13" };
    for (int i = 0; i < FONT_COUNT; i++)
        rc->fonts[i] = pango_font_description_from_string(fonts[i]);
    rc->col_a = calloc(rc->ncols + 1, sizeof *rc->col_a);
    rc->col_b = calloc(rc->ncols + 1, sizeof *rc->col_b);
    rc->col_u = calloc(rc->ncols + 1, sizeof *rc->col_u);
    rc->col_v = calloc(rc->ncols + 1, sizeof *rc->col_v);
    rc->col_m = calloc(rc->ncols + 1, sizeof *rc->col_m);
    rc->col_n = calloc(rc->ncols + 1, sizeof *rc->col_n);
    return rc->text && rc->col_a && rc->col_b && rc->col_u && rc->col_v && rc->col_m && rc->col_n;
}

static void ctx_clear(render_ctx *rc)
{
    if (rc->text)
        g_object_unref(rc->text);
    for (int i = 0; i < FONT_COUNT; i++)
        pango_font_description_free(rc->fonts[i]);
    free(rc->col_a);
    free(rc->col_b);
    free(rc->col_u);
    free(rc->col_v);
    free(rc->col_m);
    free(rc->col_n);
}

void render_view(cairo_t *cr, const render_view_params *p)
{
    render_layout l;
    render_view_layout(p, &l);
    render_ctx rc;
    cairo_save(cr);
    bool ok = ctx_init(&rc, cr, p, &l);
    set_color(cr, &rc.pal->bg);
    cairo_rectangle(cr, 0, 0, p->width, p->height);
    cairo_fill(cr);
    if (ok) {
        if (p->header)
            header_draw(&rc);
        axis_draw_ruler(&rc);
        if (p->header)
            legend_draw(&rc);
        for (int k = 0; k < l.nrows; k++) {
            const render_row *r = &l.rows[k];
            switch (r->track) {
            case RENDER_TRACK_HEAP: track_heap(&rc, r); break;
            case RENDER_TRACK_ALLOC: track_alloc(&rc, r); break;
            case RENDER_TRACK_GC: track_gc(&rc, r); break;
            case RENDER_TRACK_RESOURCES: track_resources(&rc, r); break;
            case RENDER_TRACK_THREADS: track_threads(&rc, r); break;
            case RENDER_TRACK_MARKS: track_marks(&rc, r); break;
            default: break;
            }
        }
        overlay_draw(&rc);
    }
    ctx_clear(&rc);
    cairo_restore(cr);
}
