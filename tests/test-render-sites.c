/* test-render-sites.c — the timeline's Heap by call site track drawn
 * through the render layer (render-sites.c) on tests/site-trace.h's trace,
 * in pixels: the row is there only with the series, below the allocation
 * rate, and only where the heap keeps a quarter of the height; each band is as tall as its site's live bytes at that column (the
 * leak at the bottom, then the cache, then "other"); the hit test names the
 * band drawn under the pointer with its bytes; a selected site is a line
 * in the marks' magenta over the heap at its own live bytes.
 *
 * `test-render-sites CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"
#include "site-trace.h"
#include "test-util.h"

#include <math.h>

static char dir[] = "/tmp/leakscope-test-render-sites-XXXXXX";

typedef struct view {
    timeline *tl;
    ls_site_series *sites;
    render_view_params p;
    render_layout l;
    cairo_surface_t *s;
} view;

static const char *const names[] = { "leak_site", "cache_site" };

static void open_view(view *v, uint64_t selected)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sites.trace", dir);
    site_trace_write(path);
    trace_error err;
    if (timeline_open(path, &v->tl, &err) != TRACE_OK)
        exit(1);
    const ls_analysis *a = timeline_analysis(v->tl);
    uint32_t stacks[] = { S_LEAK, S_CACHE, S_MOVED };
    CHECK(ls_site_series_build(a->index, a->first_ts, a->last_ts, stacks, 3, NULL, NULL, &v->sites, &err) == TRACE_OK);
    render_view_params_init(&v->p, v->tl, 1200, 800);
    v->p.sites = v->sites;
    v->p.site_bands = 2; /* the moved block counts in "other" */
    v->p.site_names = names;
    v->p.site_selected = selected;
    v->p.heap_zero_based = true;
    v->s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1200, 800);
    cairo_t *cr = cairo_create(v->s);
    render_view_drawn(cr, &v->p, &v->l);
    cairo_destroy(cr);
    cairo_surface_flush(v->s);
}

static void close_view(view *v)
{
    cairo_surface_destroy(v->s);
    ls_site_series_free(v->sites);
    timeline_free(v->tl);
}

static uint32_t px(const view *v, double x, double y)
{
    uint32_t c;
    memcpy(&c, cairo_image_surface_get_data(v->s) + (size_t)y * (size_t)cairo_image_surface_get_stride(v->s) +
                   4 * (size_t)x, 4);
    return c & 0xffffff;
}

static uint32_t rgb(const rgba *c)
{
    return (uint32_t)lround(c->r * 255) << 16 | (uint32_t)lround(c->g * 255) << 8 | (uint32_t)lround(c->b * 255);
}

/* Within a few steps per channel (the grid's light lines cross the bands). */
static bool near(uint32_t a, uint32_t b)
{
    for (int s = 0; s < 24; s += 8)
        if (abs((int)(a >> s & 0xff) - (int)(b >> s & 0xff)) > 24)
            return false;
    return true;
}

static const render_row *row_of(const view *v, render_track t)
{
    for (int i = 0; i < v->l.nrows; i++)
        if (v->l.rows[i].track == t)
            return &v->l.rows[i];
    return NULL;
}

/* x of the column showing time t (its right edge's time is t or just after). */
static double column_at(const view *v, uint64_t t)
{
    return floor(render_x_of(&v->l, &v->p, t));
}

static void case_bands(void)
{
    view v;
    open_view(&v, 0);
    const render_palette *pal = render_palette_of(RENDER_THEME_LIGHT);
    const render_row *r = row_of(&v, RENDER_TRACK_SITES), *alloc = row_of(&v, RENDER_TRACK_ALLOC);
    CHECK(r && alloc && !r->folded && r->y0 > alloc->y0);
    if (!r) {
        close_view(&v);
        return;
    }
    /* at 700 ms: the leak 7100 B, the cache 9000 B, other 3000 B (the
     * moved block), on an axis up to the heap's peak */
    double x = column_at(&v, 700 * MS) + 0.5;
    uint64_t stack[RENDER_SITE_BANDS + 1];
    CHECK_EQ_U64(render_site_stack(&v.p, render_site_column_time(&v.l, &v.p, x), stack), 3);
    CHECK_EQ_U64(stack[0], 7100);
    CHECK_EQ_U64(stack[1], 16100);
    CHECK_EQ_U64(stack[2], 19100);
    value_axis ax = value_axis_make(render_site_axis_top(&v.p), true, 2);
    double top0 = row_y(r, 7100, ax.top), top1 = row_y(r, 16100, ax.top), top2 = row_y(r, 19100, ax.top);
    CHECK(top0 - top1 > 8 && top1 - top2 > 3); /* bands tall enough to sample */
    CHECK(near(px(&v, x, (r->py1 + top0) / 2), rgb(&pal->series[0])));
    CHECK(near(px(&v, x, (top0 + top1) / 2), rgb(&pal->series[1])));
    CHECK(near(px(&v, x, (top1 + top2) / 2), rgb(&pal->text_dim)));
    CHECK(near(px(&v, x, top2 - 3), rgb(&pal->bg)));
    /* the hit test: the band under the pointer, with its bytes */
    render_hit h;
    CHECK(render_hit_test(&v.p, &v.l, x, (top0 + top1) / 2, &h) && h.kind == RENDER_HIT_SITE && h.index == 1);
    CHECK_EQ_U64(h.bytes, 9000);
    CHECK(render_hit_test(&v.p, &v.l, x, (r->py1 + top0) / 2, &h) && h.kind == RENDER_HIT_SITE && h.index == 0);
    CHECK_EQ_U64(h.bytes, 7100);
    CHECK(render_hit_test(&v.p, &v.l, x, (top1 + top2) / 2, &h) && h.kind == RENDER_HIT_SITE && h.index == 2);
    CHECK(!render_hit_test(&v.p, &v.l, x, top2 - 3, &h) || h.kind != RENDER_HIT_SITE);
    /* early on, the cache fills: at 55 ms its band is 5000 B */
    x = column_at(&v, 55 * MS) + 0.5;
    render_site_stack(&v.p, render_site_column_time(&v.l, &v.p, x), stack);
    CHECK_EQ_U64(stack[1] - stack[0], 5000);
    /* a short timeline leaves it out: the heap keeps a quarter of the height */
    render_view_params shortp = v.p;
    shortp.height = 330;
    render_layout sl;
    render_view_layout(&shortp, &sl);
    for (int i = 0; i < sl.nrows; i++)
        CHECK(sl.rows[i].track != RENDER_TRACK_SITES);
    CHECK(v.l.rows[0].py1 - v.l.rows[0].py0 >= (800 - v.l.ruler_y1) / 4);
    /* without the series: no such row (the export) */
    v.p.sites = NULL;
    render_layout l;
    render_view_layout(&v.p, &l);
    for (int i = 0; i < l.nrows; i++)
        CHECK(l.rows[i].track != RENDER_TRACK_SITES);
    close_view(&v);
}

/* A selected site: its live bytes as a line on the heap's axis. */
static void case_selected(void)
{
    view v;
    open_view(&v, 1u << 1); /* the cache */
    const render_row *heap = row_of(&v, RENDER_TRACK_HEAP);
    CHECK(heap != NULL);
    double x = column_at(&v, 300 * MS) + 0.5;
    double y = row_y_range(heap, 10000, (double)v.l.heap_axis_min, (double)v.l.heap_axis_max);
    uint32_t mark = rgb(&render_palette_of(RENDER_THEME_LIGHT)->mark);
    bool line = false;
    for (int dy = -2; dy <= 2; dy++)
        line |= near(px(&v, x, y + dy), mark);
    CHECK(line);
    /* none selected: no such line there */
    view w;
    close_view(&v);
    open_view(&w, 0);
    line = false;
    for (int dy = -2; dy <= 2; dy++)
        line |= near(px(&w, x, y + dy), mark);
    CHECK(!line);
    close_view(&w);
}

static const test_case cases[] = {
    { "bands", case_bands },
    { "selected", case_selected },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-render-sites", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
