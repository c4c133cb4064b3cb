/* test-render-hist.c — the Sizes and Lifetimes panel's charts through the
 * render layer (render-hist.c) on tests/site-trace.h's trace, whose sizes
 * are known: one bar per bucket from the lowest nonempty to the highest,
 * as tall as its count (in pixels), the hit test and the bar's words, the
 * blocks still live as the lifetimes' last bar, one stack's histogram, and
 * a trace's absence of histograms.
 *
 * `test-render-hist CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-hist.h"
#include "render-private.h"
#include "site-trace.h"
#include "test-util.h"

#include <math.h>

static char dir[] = "/tmp/leakscope-test-render-hist-XXXXXX";

static ls_analysis *load(void) { return site_trace_load(dir, "hist"); }

static uint32_t px(cairo_surface_t *s, double x, double y)
{
    uint32_t c;
    memcpy(&c, cairo_image_surface_get_data(s) + (size_t)y * (size_t)cairo_image_surface_get_stride(s) + 4 * (size_t)x,
           4);
    return c & 0xffffff;
}

static uint32_t rgb(const rgba *c)
{
    return (uint32_t)lround(c->r * 255) << 16 | (uint32_t)lround(c->g * 255) << 8 | (uint32_t)lround(c->b * 255);
}

static cairo_surface_t *draw(const render_hist_params *p)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->width, p->height);
    cairo_t *cr = cairo_create(s);
    render_hist(cr, p);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

static void case_sizes(void)
{
    ls_analysis *a = load();
    const render_palette *pal = render_palette_of(RENDER_THEME_LIGHT);
    render_hist_params p = { .hist = a->hist, .kind = LS_HIST_SIZES, .stack = LS_HIST_ALL, .width = 720,
                             .height = 300, .hover = -1 };
    render_hist_bar b[LS_HIST_MAX_BUCKETS + 1];
    /* 100 B x 101 (bucket 6), 1000 B x 10 (9), 3000 B x 1 (11), 5000 B x 101 (12) */
    unsigned n = render_hist_layout(&p, b);
    CHECK_EQ_U64(n, 7);
    CHECK_EQ_U64(b[0].bucket, 6);
    CHECK_EQ_U64(b[0].count, 101);
    CHECK_EQ_U64(b[0].bytes, 10100);
    CHECK_EQ_U64(b[1].count, 0);
    CHECK_EQ_U64(b[3].count, 10);
    CHECK_EQ_U64(b[6].count, 101);
    CHECK(fabs(b[0].y0 - b[6].y0) < 1e-9 && b[0].y0 < b[3].y0 && b[3].y0 < b[5].y0 && b[1].y0 == b[1].y1);
    /* a bar of 10 is a tenth of one of 101, to the pixel */
    CHECK(fabs((b[3].y1 - b[3].y0) - (b[0].y1 - b[0].y0) * 10 / 101) < 1);
    cairo_surface_t *s = draw(&p);
    CHECK_EQ_U64(px(s, (b[0].x0 + b[0].x1) / 2, (b[0].y0 + b[0].y1) / 2), rgb(&pal->series[0]));
    CHECK_EQ_U64(px(s, (b[3].x0 + b[3].x1) / 2, b[3].y1 - 2), rgb(&pal->series[0]));
    CHECK_EQ_U64(px(s, (b[3].x0 + b[3].x1) / 2, b[3].y0 - 3), rgb(&pal->bg));
    cairo_surface_destroy(s);
    /* the hit test, and what the bar says */
    int i = render_hist_hit(&p, (b[3].x0 + b[3].x1) / 2, b[3].y0 - 20); /* above a short bar: its column */
    CHECK_EQ_U64(i, 3);
    char text[200];
    render_hist_bar_text(&p, &b[3], text, sizeof text);
    CHECK(!strcmp(text, "512 B \u2013 1.00 KiB: 10 allocations, 9.77 KiB"));
    if (strcmp(text, "512 B \u2013 1.00 KiB: 10 allocations, 9.77 KiB"))
        fprintf(stderr, "bar text: %s\n", text);
    CHECK_EQ_U64(render_hist_hit(&p, 5, 100), (uint64_t)-1);
    /* hovered: the bar in the heap's line colour */
    p.hover = 3;
    s = draw(&p);
    CHECK_EQ_U64(px(s, (b[3].x0 + b[3].x1) / 2, b[3].y1 - 2), rgb(&pal->heap_line));
    cairo_surface_destroy(s);
    /* one stack's: the cache's ten 1000-byte blocks alone */
    p.stack = S_CACHE;
    p.hover = -1;
    n = render_hist_layout(&p, b);
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(b[0].bucket, 9);
    CHECK_EQ_U64(b[0].count, 10);
    ls_analysis_free(a);
}

static void case_lifetimes(void)
{
    ls_analysis *a = load();
    const render_palette *pal = render_palette_of(RENDER_THEME_LIGHT);
    render_hist_params p = { .hist = a->hist, .kind = LS_HIST_LIFETIMES, .stack = LS_HIST_ALL, .width = 720,
                             .height = 300, .live_blocks = a->leaked_blocks, .live_bytes = a->leaked_bytes,
                             .hover = -1 };
    render_hist_bar b[LS_HIST_MAX_BUCKETS + 1];
    unsigned n = render_hist_layout(&p, b);
    CHECK(n >= 2);
    /* the last bar: the blocks still live, in the never-closed red */
    CHECK_EQ_U64(b[n - 1].bucket, (uint64_t)-1);
    CHECK_EQ_U64(b[n - 1].count, a->leaked_blocks);
    /* the temporary blocks lived 1 ns: the first bucket (under 1 µs) */
    CHECK_EQ_U64(b[0].bucket, 0);
    CHECK_EQ_U64(b[0].count, 101);
    cairo_surface_t *s = draw(&p);
    CHECK_EQ_U64(px(s, (b[n - 1].x0 + b[n - 1].x1) / 2, b[n - 1].y1 - 2), rgb(&pal->never_closed));
    cairo_surface_destroy(s);
    char text[200];
    render_hist_bar_text(&p, &b[n - 1], text, sizeof text);
    CHECK(strstr(text, "still live at the end: ") != NULL);
    /* no histograms: nothing to lay out, the words say so */
    p.hist = NULL;
    p.live_blocks = 0;
    CHECK_EQ_U64(render_hist_layout(&p, b), 0);
    s = draw(&p);
    CHECK_EQ_U64(px(s, 5, 5), rgb(&pal->bg));
    cairo_surface_destroy(s);
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "sizes", case_sizes },
    { "lifetimes", case_lifetimes },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-render-hist", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
