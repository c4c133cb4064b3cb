/* test-render-hist.c — the Sizes and Lifetimes panel's charts through the
 * render layer (render-hist.c) on tests/site-trace.h's trace, whose sizes
 * are known: one bar per bucket from the lowest nonempty to the highest,
 * as tall as its count (in pixels), the hit test and the bar's words, the
 * blocks still live as the lifetimes' last bar, one stack's histogram, a
 * trace's absence of histograms, and a comparison (the Compare panel's): a
 * base and a new bar per bucket on one scale, in colours that read on the
 * light and the dark background, under a legend.
 *
 * `test-render-hist CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "hist-surface.h"
#include "render-hist.h"
#include "render-private.h"
#include "site-trace.h"
#include "test-util.h"

#include <math.h>

static char dir[] = "/tmp/leakscope-test-render-hist-XXXXXX";

static ls_analysis *load(void) { return site_trace_load(dir, "hist"); }

#define px hist_surface_pixel

static uint32_t rgb(const rgba *c)
{
    return (uint32_t)lround(c->r * 255) << 16 | (uint32_t)lround(c->g * 255) << 8 | (uint32_t)lround(c->b * 255);
}

#define draw hist_surface

static void case_sizes(void)
{
    ls_analysis *a = load();
    const render_palette *pal = render_palette_of(RENDER_THEME_LIGHT);
    render_hist_params p = { .hist = a->hist, .kind = LS_HIST_SIZES, .stack = LS_HIST_ALL, .width = 720,
                             .height = 300, .hover = -1 };
    render_hist_bar b[RENDER_HIST_MAX_BARS];
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
    CHECK(!strcmp(text, "512 B\u20131.00 KiB: 10 allocations, 9.77 KiB"));
    if (strcmp(text, "512 B\u20131.00 KiB: 10 allocations, 9.77 KiB"))
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
    render_hist_bar b[RENDER_HIST_MAX_BARS];
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

/* WCAG 2 contrast of two sRGB pixels (1 to 21). */
static double luminance(uint32_t c)
{
    double l = 0;
    static const double w[3] = { 0.2126, 0.7152, 0.0722 };
    for (int i = 0; i < 3; i++) {
        double v = (c >> (16 - 8 * i) & 0xff) / 255.0;
        l += w[i] * (v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4));
    }
    return l;
}

static double contrast(uint32_t a, uint32_t b)
{
    double x = luminance(a), y = luminance(b);
    return x > y ? (x + 0.05) / (y + 0.05) : (y + 0.05) / (x + 0.05);
}

/* The whole trace's sizes (this run) against the cache's alone (the base):
 * the cache's bucket 9 has 10 in both, the others only in this run. */
static void case_compare(void)
{
    ls_analysis *a = load();
    for (int theme = 0; theme < 2; theme++) {
        const render_palette *pal = render_palette_of(theme ? RENDER_THEME_DARK : RENDER_THEME_LIGHT);
        render_hist_params p = { .hist = a->hist, .kind = LS_HIST_SIZES, .stack = LS_HIST_ALL, .width = 720,
                                 .height = 300, .hover = -1, .theme = theme ? RENDER_THEME_DARK : RENDER_THEME_LIGHT,
                                 .base = ls_histograms_get(a->hist, LS_HIST_SIZES, S_CACHE) };
        render_hist_bar b[RENDER_HIST_MAX_BARS];
        /* buckets 6 .. 12, two bars each, the base's first */
        unsigned n = render_hist_layout(&p, b);
        CHECK_EQ_U64(n, 14);
        for (unsigned i = 0; i < n; i++) {
            CHECK_EQ_U64(b[i].bucket, 6 + i / 2);
            CHECK(b[i].base == !(i % 2));
        }
        CHECK_EQ_U64(b[0].count, 0);    /* 100 B: this run only */
        CHECK_EQ_U64(b[1].count, 101);
        CHECK_EQ_U64(b[6].count, 10);   /* 1000 B: the cache in both */
        CHECK_EQ_U64(b[6].bytes, 10000);
        CHECK_EQ_U64(b[7].count, 10);
        CHECK_EQ_U64(b[13].count, 101); /* 5000 B */
        /* one scale: the base's 10 as tall as this run's 10, a tenth of 101; side by side in one column */
        CHECK(fabs(b[6].y0 - b[7].y0) < 1e-9 && fabs((b[7].y1 - b[7].y0) - (b[1].y1 - b[1].y0) * 10 / 101) < 1);
        CHECK(b[6].x1 <= b[7].x0 && b[7].x0 - b[6].x0 < 50 && b[8].x0 > b[7].x1);
        cairo_surface_t *s = draw(&p);
        uint32_t bg = px(s, 5, p.height - 5), base = px(s, (b[6].x0 + b[6].x1) / 2, b[6].y1 - 2),
                 now = px(s, (b[7].x0 + b[7].x1) / 2, b[7].y1 - 2);
        CHECK_EQ_U64(bg, rgb(&pal->bg));
        CHECK_EQ_U64(base, rgb(&pal->base_run));
        CHECK_EQ_U64(now, rgb(&pal->series[0]));
        CHECK_EQ_U64(px(s, (b[0].x0 + b[0].x1) / 2, b[0].y1 - 2), rgb(&pal->bg)); /* an empty base bar */
        /* the bars read against the background (3:1, WCAG's for graphics) and apart from each other in
         * lightness too, not only in hue (1.5:1) */
        CHECK(contrast(base, bg) >= 3 && contrast(now, bg) >= 3 && contrast(base, now) >= 1.5);
        if (contrast(base, bg) < 3 || contrast(now, bg) < 3 || contrast(base, now) < 1.5)
            fprintf(stderr, "theme %d: base #%06x %.2f, this run #%06x %.2f against #%06x, %.2f apart\n", theme, base,
                    contrast(base, bg), now, contrast(now, bg), bg, contrast(base, now));
        /* the legend at the top right: a swatch of each colour */
        int found = 0;
        for (int x = p.width - 12; x > p.width / 2; x--) {
            uint32_t c = px(s, x, 8 + 6);
            found |= (c == base) << 0 | (c == now) << 1;
        }
        CHECK_EQ_U64(found, 3);
        cairo_surface_destroy(s);
        /* either bar of a bucket says both runs' numbers */
        char text[200];
        render_hist_bar_text(&p, &b[0], text, sizeof text);
        CHECK(!strcmp(text, "64 B\u2013128 B: 101 allocations, 9.86 KiB (base 0, 0 B: +101)"));
        render_hist_bar_text(&p, &b[7], text, sizeof text);
        CHECK(!strcmp(text, "512 B\u20131.00 KiB: 10 allocations, 9.77 KiB (base 10, 9.77 KiB: 0)"));
        if (strcmp(text, "512 B\u20131.00 KiB: 10 allocations, 9.77 KiB (base 10, 9.77 KiB: 0)"))
            fprintf(stderr, "bar text: %s\n", text);
        /* the hit test tells the two halves of a column apart */
        CHECK_EQ_U64(render_hist_hit(&p, b[6].x0 + 1, b[6].y0 - 20), 6);
        CHECK_EQ_U64(render_hist_hit(&p, b[7].x1 - 1, b[7].y0 - 20), 7);
        /* a histogram given as this run's (a call site's stacks summed) instead of hist's */
        p.h = ls_histograms_get(a->hist, LS_HIST_SIZES, S_LEAK);
        n = render_hist_layout(&p, b);
        CHECK_EQ_U64(n, 8); /* buckets 6 .. 9 */
        CHECK(b[1].count == 101 && !b[1].base && b[6].count == 10 && b[6].base && b[7].count == 0);
    }
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "sizes", case_sizes },
    { "lifetimes", case_lifetimes },
    { "compare", case_compare },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-render-hist", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
