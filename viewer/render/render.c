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
#define ROW_GAP 8.0
#define LANE_H 12.0   /* a thread lane */
#define FOLDED_H 18.0 /* a track with nothing to show: its title line */
#define MIN_CHART 28.0 /* the least plot height of a chart below the heap */
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
    p->heap_zero_based = false;
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

/* The heap axis: zero to a round number above the highest heap in view; or,
 * zoomed in (unless p->heap_zero_based), round numbers around the lowest and
 * highest heap in view, so that single steps show. With the peak in view,
 * room above it for its label (PEAK_ROOM px of a plot `plot_h` tall). */
#define PEAK_ROOM 16.0
static void heap_axis(const render_view_params *p, uint32_t ncols, double plot_h, uint64_t *lo, uint64_t *hi,
                      double *step_out)
{
    uint64_t *mn = malloc(ncols * sizeof *mn), *mx = malloc(ncols * sizeof *mx);
    uint64_t top = 0, bot = UINT64_MAX;
    if (mn && mx) {
        timeline_heap_range(p->tl, p->t0, p->t1, ncols, mn, mx);
        for (uint32_t i = 0; i < ncols; i++) {
            top = mx[i] > top ? mx[i] : top;
            bot = mn[i] < bot ? mn[i] : bot;
        }
    }
    free(mn);
    free(mx);
    if (bot > top)
        bot = 0;
    const ls_analysis *a = timeline_analysis(p->tl);
    bool peak = a->peak_heap_ts >= p->t0 && a->peak_heap_ts <= p->t1 && a->allocations;
    bool zoomed = p->t0 > timeline_begin(p->tl) || p->t1 < timeline_end(p->tl);
    double room = peak && plot_h > 3 * PEAK_ROOM ? plot_h / (plot_h - PEAK_ROOM) : 1.0;
    if (p->heap_zero_based || !zoomed || bot == 0 || bot == top) { /* flat: nothing to fit */
        value_axis ax = value_axis_make(fmax((double)top * 1.08, (double)top * room), true, 4);
        *lo = 0;
        *hi = (uint64_t)ax.top;
        *step_out = ax.step;
        return;
    }
    double span = (double)(top - bot);
    if (span < 1)
        span = 1;
    double step = value_axis_make(span * 1.1, true, 4).step;
    double l = floor((double)bot / step) * step, h = ceil((double)top / step) * step;
    if (h - l < step)
        h = l + step;
    if (room > 1 && (double)top > h - (h - l) * (room - 1) / room)
        h += step; /* the peak's label goes above the curve */
    *lo = (uint64_t)l;
    *hi = (uint64_t)h;
    *step_out = step;
}

/* Whether a track has anything to show in this trace (else it folds). */
static bool track_has_data(const render_view_params *p, render_track t)
{
    const ls_analysis *a = timeline_analysis(p->tl);
    switch (t) {
    case RENDER_TRACK_HEAP:
    case RENDER_TRACK_ALLOC: return a->allocations > 0;
    case RENDER_TRACK_GC: return a->ngc > 0;
    case RENDER_TRACK_RESOURCES: return a->resources_opened > 0 || a->nres_kinds > 0 || a->nopen_failures > 0;
    case RENDER_TRACK_THREADS: return timeline_thread_lanes(p->tl) > 0;
    case RENDER_TRACK_MARKS: return a->nmarks > 0 || a->nspans > 0;
    case RENDER_TRACK_SITES: return a->allocations > 0 && p->sites;
    default: return false;
    }
}

static void view_layout(const render_view_params *p, render_layout *l, bool fold_sites);

void render_view_layout(const render_view_params *p, render_layout *l)
{
    /* The heap by call site only where the heap keeps a quarter of the
     * height: a short timeline leaves it out (the heap first; drag the
     * divider down for it). */
    view_layout(p, l, false);
    for (int k = 0; k < l->nrows; k++)
        if (l->rows[k].track == RENDER_TRACK_SITES && !l->rows[k].folded &&
            l->rows[0].py1 - l->rows[0].py0 < (p->height - l->ruler_y1) / 4) {
            view_layout(p, l, true);
            break;
        }
}

static void view_layout(const render_view_params *p, render_layout *l, bool fold_sites)
{
    memset(l, 0, sizeof *l);
    uint32_t tracks = p->tracks ? p->tracks : RENDER_TRACK_ALL;
    if ((tracks & RENDER_TRACK_HEAP) && p->sites)
        tracks |= RENDER_TRACK_SITES;
    const ls_analysis *a = timeline_analysis(p->tl);
    double plot_w = floor(p->width - GUTTER - RIGHT_MARGIN);
    if (plot_w < 1)
        plot_w = 1;
    l->plot_x0 = GUTTER;
    l->plot_x1 = GUTTER + plot_w;
    l->ruler_y0 = p->header ? HEADER_H : 4;
    l->ruler_y1 = l->ruler_y0 + RULER_H;

    /* Fixed heights for lanes and folded tracks, weights for the charts:
     * the heap gets the largest share. */
    double fixed[RENDER_MAX_ROWS] = { 0 }, weight[RENDER_MAX_ROWS] = { 0 };
    render_track order[] = { RENDER_TRACK_HEAP, RENDER_TRACK_ALLOC, RENDER_TRACK_SITES, RENDER_TRACK_GC,
                             RENDER_TRACK_RESOURCES, RENDER_TRACK_THREADS, RENDER_TRACK_MARKS };
    double avail = p->height - l->ruler_y1 - FOOT;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if (!(tracks & order[i]) || (fold_sites && order[i] == RENDER_TRACK_SITES))
            continue;
        int k = l->nrows++;
        l->rows[k].track = order[i];
        if (!track_has_data(p, order[i])) {
            l->rows[k].folded = true;
            fixed[k] = FOLDED_H;
            continue;
        }
        switch (order[i]) {
        case RENDER_TRACK_HEAP: weight[k] = 6; break;
        case RENDER_TRACK_ALLOC: weight[k] = 1.4; break;
        case RENDER_TRACK_SITES: weight[k] = 1.4; break;
        case RENDER_TRACK_GC: weight[k] = 1.4; break;
        case RENDER_TRACK_RESOURCES: weight[k] = 2.0; break;
        case RENDER_TRACK_THREADS: {
            uint32_t lanes = timeline_thread_lanes(p->tl);
            fixed[k] = fmin(ROW_HEAD + lanes * LANE_H + 4, avail * 0.2);
            break;
        }
        case RENDER_TRACK_MARKS: {
            uint32_t d = max_span_depth(a);
            fixed[k] = fmin(ROW_HEAD + RENDER_SPAN_TOP + (d > 3 ? 3 : d) * RENDER_BAR_ROW + 4, avail * 0.16);
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
    /* The charts below the heap get at least MIN_CHART px of plot (no flat
     * lines in a small window); the heap takes the rest of the flexible
     * height, and never less than its weight's share. */
    double height[RENDER_MAX_ROWS] = { 0 }, others = 0;
    int heap_k = -1;
    for (int k = 0; k < l->nrows; k++) {
        if (fixed[k]) {
            height[k] = fixed[k];
        } else if (l->rows[k].track == RENDER_TRACK_HEAP) {
            heap_k = k;
        } else {
            height[k] = fmax(flex * weight[k] / (wsum ? wsum : 1), fmin(ROW_HEAD + MIN_CHART, flex / 5));
            others += height[k];
        }
    }
    if (heap_k >= 0)
        height[heap_k] = fmax(flex - others, 0);
    double y = l->ruler_y1 + ROW_GAP;
    for (int k = 0; k < l->nrows; k++) {
        double h = height[k];
        render_row *r = &l->rows[k];
        r->y0 = floor(y);
        r->y1 = floor(y + h);
        r->py0 = r->folded ? r->y1 : r->y0 + ROW_HEAD;
        r->py1 = r->folded ? r->y1 : r->y1 - 2;
        if (r->py1 < r->py0)
            r->py1 = r->py0;
        y += h + ROW_GAP;
    }
    if (tracks & RENDER_TRACK_HEAP)
        heap_axis(p, (uint32_t)plot_w, l->rows[0].py1 - l->rows[0].py0, &l->heap_axis_min, &l->heap_axis_max,
                  &l->heap_axis_step);
    if (tracks & RENDER_TRACK_RESOURCES)
        l->res_axis_top = resource_axis(p, (uint32_t)plot_w).top;
}

uint64_t render_heap_at(const render_view_params *p, const render_layout *l, double x, uint64_t *t)
{
    uint64_t at = render_time_at(l, p, x), mn = 0, mx = 0;
    timeline_heap_range(p->tl, at, at + 1, 1, &mn, &mx);
    if (t)
        *t = at;
    return mx;
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
    /* With the digits the view's span needs: never "1.00 s – 1.00 s". */
    uint64_t prec = (p->t1 - p->t0) / 20 ? (p->t1 - p->t0) / 20 : 1;
    fmt_ruler_time(p->t0 > origin ? p->t0 - origin : 0, prec, view0, sizeof view0);
    fmt_ruler_time(p->t1 > origin ? p->t1 - origin : 0, prec, view1, sizeof view1);
    /* A sketch's (ls_analysis.sketch) peak is a bound, and what it has not
     * read yet it does not count. */
    char gc[48] = "", res[64] = "";
    if (!render_track_unread(p->tl, RENDER_TRACK_GC))
        snprintf(gc, sizeof gc, " · %llu GC pauses", (unsigned long long)a->gc_stats.pauses);
    if (!render_track_unread(p->tl, RENDER_TRACK_RESOURCES))
        snprintf(res, sizeof res, " · %llu resources open at end", (unsigned long long)a->resources_open_at_end);
    snprintf(line, sizeof line, "%s · %s events · %u threads · peak heap %s%s · leaked %s%s%s · showing %s – %s%s%s%s",
             dur, ev, a->nthreads, a->sketch ? "≤ " : "", peak, leak, gc, res, view0, view1,
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
    /* no swatch for a folded track: it draws nothing in that colour */
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        if (!track_has_data(rc->p, (render_track)items[i].track))
            t &= ~items[i].track;
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
            /* Its length at its foot, on a patch of panel: clear of the
             * ruler's labels and of the hover readout under the ruler. */
            char d[32];
            fmt_duration((double)(p->sel_t1 - p->sel_t0), d, sizeof d);
            double w, h;
            text_size(rc, FONT_BOLD, d, &w, &h);
            double cx = (x0 + x1) / 2;
            cx = fmax(l->plot_x0 + w / 2 + 4, fmin(l->plot_x1 - w / 2 - 4, cx));
            double by = bot - h - 6;
            set_color(cr, &rc->pal->panel);
            cairo_rectangle(cr, cx - w / 2 - 4, by, w + 8, h + 4);
            cairo_fill(cr);
            text_draw(rc, FONT_BOLD, &rc->pal->text, cx, by + 2, ALIGN_CENTER, 0, d);
            if (rc->out)
                rc->out->selection_label = (render_box){ cx - w / 2 - 4, by, cx + w / 2 + 4, by + h + 4 };
        }
    }
    if (p->hover_x >= l->plot_x0 && p->hover_x < l->plot_x1) {
        double x = floor(p->hover_x) + 0.5;
        set_color(cr, &rc->pal->hover);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, top);
        cairo_line_to(cr, x, bot);
        cairo_stroke(cr);
        char label[128];
        render_hover_label(p, l, p->hover_x, label, sizeof label);
        double w, h;
        text_size(rc, FONT_SMALL, label, &w, &h);
        double bx = x + 8 + w + 8 > l->plot_x1 ? x - 8 - w - 8 : x + 8;
        set_color(cr, &rc->pal->panel);
        cairo_rectangle(cr, bx, l->ruler_y1 + 2, w + 8, h + 4);
        cairo_fill(cr);
        text_draw(rc, FONT_SMALL, &rc->pal->text, bx + 4, l->ruler_y1 + 4, ALIGN_LEFT, 0, label);
    }
}

void render_hover_label(const render_view_params *p, const render_layout *l, double x, char *buf, size_t len)
{
    uint64_t t, origin = timeline_begin(p->tl);
    uint64_t heap_now = render_heap_at(p, l, x, &t);
    char ts[48], heap[32];
    uint64_t per_px = (p->t1 - p->t0) / (uint64_t)fmax(1, l->plot_x1 - l->plot_x0);
    fmt_ruler_time(t > origin ? t - origin : 0, per_px ? per_px : 1, ts, sizeof ts);
    fmt_bytes((double)heap_now, heap, sizeof heap);
    snprintf(buf, len, "%s · heap %s", ts, heap);
}

bool render_track_unread(const timeline *tl, render_track t)
{
    switch (t) {
    case RENDER_TRACK_GC: return timeline_sketch_missing(tl, TRACE_GC_BEGIN) || timeline_sketch_missing(tl, TRACE_GC_END);
    case RENDER_TRACK_RESOURCES:
        return timeline_sketch_missing(tl, TRACE_RES_OPEN) || timeline_sketch_missing(tl, TRACE_RES_CLOSE);
    case RENDER_TRACK_MARKS:
        return timeline_sketch_missing(tl, TRACE_MARK) || timeline_sketch_missing(tl, TRACE_SPAN_BEGIN) ||
               timeline_sketch_missing(tl, TRACE_SPAN_END);
    default: return false;
    }
}

/* A track with nothing to show: its title and why, on one line. */
static void folded_draw(render_ctx *rc, const render_row *r)
{
    static const struct {
        render_track t;
        const char *name, *why;
    } names[] = {
        { RENDER_TRACK_HEAP, "Heap", "no allocations recorded" },
        { RENDER_TRACK_ALLOC, "Allocation rate", "no allocations recorded" },
        { RENDER_TRACK_SITES, "Heap by call site", "no allocations recorded" },
        { RENDER_TRACK_GC, "GC pauses", "no GC pauses recorded" },
        { RENDER_TRACK_RESOURCES, "Resources", "no resources recorded" },
        { RENDER_TRACK_THREADS, "Threads", "no events" },
        { RENDER_TRACK_MARKS, "Marks & spans", "no marks or spans recorded" },
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (names[i].t != r->track)
            continue;
        double w = text_draw(rc, FONT_BOLD, &rc->pal->text_dim, rc->l->plot_x0, r->y0 + 1, ALIGN_LEFT, 0,
                             names[i].name);
        text_draw(rc, FONT_SMALL, &rc->pal->text_dim, rc->l->plot_x0 + w + 10, r->y0 + 3, ALIGN_LEFT, 0,
                  render_track_unread(rc->p->tl, r->track) ? "reading the events\u2026" : names[i].why);
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

void render_view_drawn(cairo_t *cr, const render_view_params *p, render_layout *out)
{
    render_layout l;
    render_view_layout(p, &l);
    render_ctx rc;
    cairo_save(cr);
    bool ok = ctx_init(&rc, cr, p, &l);
    rc.out = out;
    if (out)
        *out = l;
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
            if (r->folded) {
                folded_draw(&rc, r);
                continue;
            }
            switch (r->track) {
            case RENDER_TRACK_HEAP: track_heap(&rc, r); break;
            case RENDER_TRACK_ALLOC: track_alloc(&rc, r); break;
            case RENDER_TRACK_SITES: track_sites(&rc, r); break;
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

void render_view(cairo_t *cr, const render_view_params *p)
{
    render_view_drawn(cr, p, NULL);
}
