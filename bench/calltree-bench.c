/* calltree-bench.c — what the Flame Graph and Call Tree panels cost on a
 * trace: the whole trace's two call trees (what the viewer shows with no
 * selection), the trees of a selection of its second half (the range
 * summary as the viewer reads it, exact: with its history, no event
 * budget; then the trees), and
 * the flame graph's layout and drawing at 1920 pixels (what each redraw
 * does), each the median of RUNS runs; and once, the heap by call site's
 * second pass (the 32 stacks the viewer follows), then the whole timeline
 * with that track drawn at 1920x1080 (median of RUNS frames).
 *
 * usage: calltree-bench TRACE [RUNS]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "bench-time.h"
#include "analysis.h"
#include "calltree.h"
#include "range.h"
#include "render-flame.h"
#include "site-series.h"
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The median time of `runs` frames of view p drawn on s, ms (frame[]: scratch). */
static double median_frame_ms(cairo_surface_t *s, const render_view_params *p, double *frame, int runs)
{
    for (int i = 0; i < runs; i++) {
        cairo_t *cr = cairo_create(s);
        double t = bench_now();
        render_view(cr, p);
        cairo_surface_flush(s);
        frame[i] = bench_now() - t;
        cairo_destroy(cr);
    }
    return bench_median(frame, runs) * 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: calltree-bench TRACE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "calltree-bench: RUNS must be 1..1000\n");
        return 2;
    }
    ls_analysis *a;
    trace_error err;
    double t = bench_now();
    if (ls_analysis_load(argv[1], &a, &err) != TRACE_OK) {
        fprintf(stderr, "calltree-bench: %s\n", err.message);
        return 1;
    }
    double load = bench_now() - t;
    sym_table *syms = ls_analysis_symbols(a);
    double *whole = calloc((size_t)runs, sizeof *whole), *range = calloc((size_t)runs, sizeof *range);
    double *layout = calloc((size_t)runs, sizeof *layout), *draw = calloc((size_t)runs, sizeof *draw);
    uint32_t nodes = 0, frames = 0;
    uint64_t range_events = 0;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1920, 1080);
    for (int i = 0; i < runs; i++) {
        /* a fresh symbol table each run: the viewer's first tree resolves every address */
        sym_table_free(syms);
        syms = ls_analysis_symbols(a);
        t = bench_now();
        ls_calltree *td = ls_calltree_build(a, syms, LS_CALLTREE_TOP_DOWN);
        ls_calltree *bu = ls_calltree_build(a, syms, LS_CALLTREE_BOTTOM_UP);
        whole[i] = bench_now() - t;
        if (!td || !bu) {
            fprintf(stderr, "calltree-bench: out of memory\n");
            return 1;
        }
        nodes = td->nnodes;
        t = bench_now();
        ls_range *r;
        uint64_t mid = a->first_ts + (a->last_ts - a->first_ts) / 2;
        if (ls_range_summarize(a->index, mid, a->last_ts, &(ls_range_opts){ .history = true }, &r, &err) != TRACE_OK) {
            fprintf(stderr, "calltree-bench: %s\n", err.message);
            return 1;
        }
        ls_stack_use *use = ls_range_stack_use(r, a->nstacks);
        ls_calltree *rt = use ? ls_calltree_build_use(a, use, a->nstacks, syms, LS_CALLTREE_TOP_DOWN) : NULL;
        ls_calltree *rb = use ? ls_calltree_build_use(a, use, a->nstacks, syms, LS_CALLTREE_BOTTOM_UP) : NULL;
        range[i] = bench_now() - t;
        range_events = r->events;
        render_flame_params p = { .tree = td, .metric = LS_METRIC_ALLOCATED, .width = 1920, .height = 1080 };
        render_flame_frames f;
        t = bench_now();
        render_flame_layout(&p, &f);
        layout[i] = bench_now() - t;
        frames = f.n;
        cairo_t *cr = cairo_create(s);
        t = bench_now();
        render_flame_drawn(cr, &p, &f);
        cairo_surface_flush(s);
        draw[i] = bench_now() - t;
        cairo_destroy(cr);
        render_flame_frames_free(&f);
        ls_calltree_free(rt);
        ls_calltree_free(rb);
        free(use);
        ls_range_free(r);
        ls_calltree_free(td);
        ls_calltree_free(bu);
    }
    uint32_t followed[32];
    uint32_t nf = ls_site_series_rank(a, followed, 32);
    ls_site_series *series;
    t = bench_now();
    if (ls_site_series_build(a->index, a->first_ts, a->last_ts, followed, nf, NULL, NULL, &series, &err) != TRACE_OK) {
        fprintf(stderr, "calltree-bench: %s\n", err.message);
        return 1;
    }
    double series_s = bench_now() - t;
    /* the timeline with the track, as the viewer draws it */
    timeline *tl;
    if (timeline_open(argv[1], &tl, &err) != TRACE_OK) {
        fprintf(stderr, "calltree-bench: %s\n", err.message);
        return 1;
    }
    double *frame = calloc((size_t)runs, sizeof *frame);
    const char *names[RENDER_SITE_BANDS] = { "a", "b", "c", "d", "e", "f", "g", "h" };
    render_view_params vp;
    render_view_params_init(&vp, tl, 1920, 1080);
    vp.sites = series;
    vp.site_bands = nf < RENDER_SITE_BANDS ? nf : RENDER_SITE_BANDS;
    vp.site_names = names;
    vp.site_selected = 1;
    double frame_ms = median_frame_ms(s, &vp, frame, runs);
    vp.sites = NULL; /* the same view without the track, for comparison */
    double plain_ms = median_frame_ms(s, &vp, frame, runs);
    free(frame);
    timeline_free(tl);
    ls_site_series_free(series);
    printf("trace: %llu events, %u stacks; load (one analysis pass) %.2f s\n", (unsigned long long)a->events,
           a->nstacks ? a->nstacks - 1 : 0, load);
    printf("heap by call site (second pass, %u stacks followed): %.2f s; the timeline with it at 1920x1080: "
           "median %.1f ms a frame (%.1f ms without it)\n", nf, series_s, frame_ms, plain_ms);
    printf("whole-trace call trees (top-down + bottom-up, %u nodes each way): median %.1f ms of %d\n", nodes,
           bench_median(whole, runs) * 1e3, runs);
    printf("second-half selection (%llu events, read from the start: range summary + both trees): median %.1f ms\n",
           (unsigned long long)range_events, bench_median(range, runs) * 1e3);
    printf("flame graph at 1920 px (%u frames): layout median %.2f ms, drawing median %.2f ms\n", frames,
           bench_median(layout, runs) * 1e3, bench_median(draw, runs) * 1e3);
    cairo_surface_destroy(s);
    free(whole);
    free(range);
    free(layout);
    free(draw);
    sym_table_free(syms);
    ls_analysis_free(a);
    return 0;
}
