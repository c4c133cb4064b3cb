/* test-render.c — `leakscope export` on a generated trace whose heap and GC
 * pauses are known, then the PNG's pixels: the heap curve's top where the
 * heap is known (zoomed out and zoomed in to the exact step, on an axis that
 * fits the heap in view), a GC bar where the pause is and none where it is
 * not, the theme's background. Then the layout (the heap has the largest
 * row; a track with nothing to show folds to one line) and where the labels
 * go (the peak's clear of the curve, the last mark's inside the plot, the
 * selection's length clear of the ruler).
 *
 * usage: test-render LEAKSCOPE        run the test
 *        test-render --write-trace F  write the sample trace (for check-export.py)
 *
 * SPDX-License-Identifier: MIT
 */
#include "test-util.h"
#include "render.h"
#include "timeline.h"
#include "trace-writer.h"

#include <cairo.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define S 1000000000ull
#define MiB (1024ull * 1024)
#define T0 (10 * S) /* the trace's first event */

static void ev(trace_writer *w, uint32_t tid, uint32_t kind, uint64_t ts, uint64_t addr, uint64_t size, uint64_t str,
               uint64_t value)
{
    trace_event e = { .kind = kind, .ts = T0 + ts, .addr = addr, .size = size, .str = str, .value = value };
    if (trace_writer_add_event(w, tid, &e) != TRACE_OK)
        exit(1);
}

/* Heap: 0 until 1 s, 1 MiB, 3 MiB at 2 s, 2 MiB at 3 s, 0 at 5 s; GC pauses
 * 4.0-4.2 s (long) and 4.6-4.62 s; an fd open 1.5-2.5 s, one never closed
 * from 3.5 s; a span 0.5-1.2 s; a mark at 2.5 s; the trace ends at 6 s. */
static void write_trace_gc(const char *path, bool with_gc)
{
    trace_file_info info = { .pid = 77, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8,
                             .start_realtime_ns = 1700000000ull * S };
    snprintf(info.program, sizeof info.program, "/usr/bin/<b>render-test</b>%%s");
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    trace_writer_add_string(w, 1, "fd", 2);
    trace_writer_add_string(w, 2, "<span>checkpoint %n</span>", 26);
    trace_writer_add_string(w, 3, "main", 4);
    ev(w, 1, TRACE_THREAD_NAME, 0, 0, 0, 3, 0);
    ev(w, 1, TRACE_SPAN_BEGIN, 500000000, 0, 0, 3, 0);
    ev(w, 1, TRACE_SPAN_END, 1200000000, 0, 0, 3, 0);
    ev(w, 1, TRACE_ALLOC, 1 * S, 0x1000, 1 * MiB, 0, 0);
    ev(w, 1, TRACE_RES_OPEN, 1500000000, 0, 0, 1, 5);
    ev(w, 1, TRACE_ALLOC, 2 * S, 0x2000, 2 * MiB, 0, 0);
    ev(w, 1, TRACE_RES_CLOSE, 2500000000, 0, 0, 1, 5);
    ev(w, 1, TRACE_MARK, 2500000000, 0, 0, 2, 0);
    ev(w, 1, TRACE_FREE, 3 * S, 0x1000, 0, 0, 0);
    ev(w, 1, TRACE_RES_OPEN, 3500000000, 0, 0, 1, 6);
    if (with_gc) {
        ev(w, 1, TRACE_GC_BEGIN, 4 * S, 0, 0, 0, 0);
        ev(w, 1, TRACE_GC_END, 4200000000, 0, 2 * MiB, 0, 0);
        ev(w, 1, TRACE_GC_BEGIN, 4600000000, 0, 0, 0, 0);
        ev(w, 1, TRACE_GC_END, 4620000000, 0, 2 * MiB, 0, 0);
    }
    ev(w, 1, TRACE_FREE, 5 * S, 0x2000, 0, 0, 0);
    ev(w, 1, TRACE_MARK, 6 * S, 0, 0, 2, 0);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static void write_trace(const char *path) { write_trace_gc(path, true); }


static int run(char *const argv[])
{
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

typedef struct image {
    cairo_surface_t *s;
    const uint8_t *data;
    int stride, w, h;
} image;

static bool image_load(image *im, const char *path)
{
    im->s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(im->s) != CAIRO_STATUS_SUCCESS)
        return false;
    cairo_surface_flush(im->s);
    im->data = cairo_image_surface_get_data(im->s);
    im->stride = cairo_image_surface_get_stride(im->s);
    im->w = cairo_image_surface_get_width(im->s);
    im->h = cairo_image_surface_get_height(im->s);
    return true;
}

static void pixel(const image *im, int x, int y, int *r, int *g, int *b)
{
    uint32_t v;
    memcpy(&v, im->data + (size_t)y * im->stride + 4 * x, 4);
    *r = v >> 16 & 0xff;
    *g = v >> 8 & 0xff;
    *b = v & 0xff;
}

static bool is_heap_line(const image *im, int x, int y) /* #1d4ed8 in the light theme */
{
    int r, g, b;
    pixel(im, x, y, &r, &g, &b);
    return b > 150 && r < 90 && g < 130;
}

static bool is_gc(const image *im, int x, int y) /* amber or red */
{
    int r, g, b;
    pixel(im, x, y, &r, &g, &b);
    return r > 200 && b < 80 && g < 200;
}

/* The top of the heap line in column x of the heap row. */
static int heap_top_y(const image *im, const render_row *row, int x)
{
    for (int y = (int)row->py0 - 2; y < (int)row->py1; y++)
        if (is_heap_line(im, x, y))
            return y;
    return -1;
}

static const render_row *row_of(const render_layout *l, render_track t)
{
    for (int i = 0; i < l->nrows; i++)
        if (l->rows[i].track == t)
            return &l->rows[i];
    return NULL;
}

/* Exports trace with extra args and returns the layout the picture has. */
static bool export_and_layout(const char *leakscope, const char *trace, const char *png, const char *from,
                              const char *to, render_theme theme, timeline *tl, render_layout *l,
                              render_view_params *p)
{
    char *argv[16] = { (char *)leakscope, "export", "--png", (char *)png, "--size", "1200x800", "--theme",
                       theme == RENDER_THEME_DARK ? "dark" : "light" };
    int n = 8;
    if (from) {
        argv[n++] = "--from";
        argv[n++] = (char *)from;
        argv[n++] = "--to";
        argv[n++] = (char *)to;
    }
    argv[n++] = (char *)trace;
    argv[n] = NULL;
    int rc = run(argv);
    CHECK_EQ_U64(rc, 0);
    render_view_params_init(p, tl, 1200, 800);
    p->theme = theme;
    if (from) {
        p->t0 = timeline_begin(tl) + (uint64_t)(atof(from) * 1e9 + 0.5);
        p->t1 = timeline_begin(tl) + (uint64_t)(atof(to) * 1e9 + 0.5);
    }
    render_view_layout(p, l);
    return rc == 0;
}

static bool is_background(const image *im, int x, int y) /* the light theme's */
{
    int r, g, b;
    pixel(im, x, y, &r, &g, &b);
    return r > 240 && g > 240 && b > 240;
}

/* What render_hit_test finds in track t's row at time secs, scanning the
 * row from the top; *y gets the first row of pixels where it found `want`. */
static bool hit_in_row(const render_layout *l, const render_view_params *p, render_track t, double secs,
                       render_hit_kind want, render_hit *hit, int *y)
{
    const render_row *row = row_of(l, t);
    double x = render_x_of(l, p, T0 + (uint64_t)(secs * 1e9));
    for (*y = (int)row->y0; row && *y < (int)row->y1; (*y)++)
        if (render_hit_test(p, l, x, *y + 0.5, hit) && hit->kind == want)
            return true;
    return false;
}

/* The hit test names what the picture shows where it shows it. */
static void check_hits(const image *im, const render_layout *l, const render_view_params *p)
{
    render_hit hit;
    int y;
    int x = (int)render_x_of(l, p, T0 + 2 * S);
    CHECK(hit_in_row(l, p, RENDER_TRACK_RESOURCES, 2.0, RENDER_HIT_LIFETIME, &hit, &y));
    CHECK(hit.lifetime.handle == 5 && hit.lifetime.closed);
    CHECK(!is_background(im, x, y + 3)); /* the bar is drawn where the hit is */
    CHECK(!render_hit_test(p, l, render_x_of(l, p, T0 + 3200000000ull), y + 3.5, &hit) || hit.kind != RENDER_HIT_LIFETIME);
    CHECK(is_background(im, (int)render_x_of(l, p, T0 + 3200000000ull), y + 3)); /* off the grid lines */
    CHECK(hit_in_row(l, p, RENDER_TRACK_RESOURCES, 5.0, RENDER_HIT_LIFETIME, &hit, &y));
    CHECK(hit.lifetime.handle == 6 && !hit.lifetime.closed);
    CHECK(hit_in_row(l, p, RENDER_TRACK_MARKS, 2.5, RENDER_HIT_MARK, &hit, &y) && hit.index == 0);
    CHECK(hit_in_row(l, p, RENDER_TRACK_MARKS, 0.8, RENDER_HIT_SPAN, &hit, &y) && hit.index == 0);
    CHECK(!is_background(im, (int)render_x_of(l, p, T0 + 800000000ull), y + 3));
    CHECK(!hit_in_row(l, p, RENDER_TRACK_MARKS, 1.6, RENDER_HIT_SPAN, &hit, &y));
    CHECK(hit_in_row(l, p, RENDER_TRACK_GC, 4.1, RENDER_HIT_GC, &hit, &y) && hit.index == 0);
    CHECK(!hit_in_row(l, p, RENDER_TRACK_GC, 4.4, RENDER_HIT_GC, &hit, &y));
    CHECK(hit_in_row(l, p, RENDER_TRACK_HEAP, 3.0, RENDER_HIT_HEAP, &hit, &y));
    CHECK(!render_hit_test(p, l, l->plot_x0 - 5, y, &hit) && hit.kind == RENDER_HIT_NONE);
}

static void check_heap_at(const image *im, const render_layout *l, const render_view_params *p, double secs,
                          uint64_t bytes)
{
    const render_row *row = row_of(l, RENDER_TRACK_HEAP);
    int x = (int)floor(render_x_of(l, p, T0 + (uint64_t)(secs * 1e9)));
    int want = (int)floor(row->py1 - ((double)bytes - (double)l->heap_axis_min) /
                                         (double)(l->heap_axis_max - l->heap_axis_min) * (row->py1 - row->py0));
    int got = heap_top_y(im, row, x);
    CHECK(got >= 0 && abs(got - want) <= 2);
    if (!(got >= 0 && abs(got - want) <= 2))
        fprintf(stderr, "  heap at %.3f s: line at y=%d, want y=%d (x=%d)\n", secs, got, want, x);
}

/* Draws view p on an image surface (as the export does) and returns it with
 * the layout and label boxes the drawing used. */
static cairo_surface_t *draw(const render_view_params *p, render_layout *l, image *im)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p->width, p->height);
    cairo_t *cr = cairo_create(s);
    render_view_drawn(cr, p, l);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    im->s = s;
    im->data = cairo_image_surface_get_data(s);
    im->stride = cairo_image_surface_get_stride(s);
    im->w = p->width;
    im->h = p->height;
    return s;
}

static bool box_drawn(const render_box *b) { return b->x1 > b->x0 && b->y1 > b->y0; }

/* Pixels of the box that belong to the heap chart: its line, or its fill
 * (light blue: not grey like text and background). */
static int heap_pixels_in(const image *im, const render_box *b)
{
    int n = 0;
    for (int y = (int)ceil(b->y0); y < (int)floor(b->y1) && y < im->h; y++)
        for (int x = (int)ceil(b->x0); x < (int)floor(b->x1) && x < im->w; x++) {
            int r, g, bl;
            pixel(im, x, y, &r, &g, &bl);
            n += is_heap_line(im, x, y) || (bl > r + 25 && bl > g + 10);
        }
    return n;
}

/* Layout and labels, drawn as the export draws them (1600x900, header). */
static void check_layout_and_labels(timeline *tl, timeline *tl_no_gc)
{
    render_view_params p;
    render_layout l;
    image im;
    render_view_params_init(&p, tl, 1600, 900);
    p.sel_t0 = T0 + 3500000000ull; /* a selection under the ruler's "3.5 s" */
    p.sel_t1 = T0 + 3800000000ull;
    draw(&p, &l, &im);
    /* The heap has the largest row: more than a third of the tracks' height. */
    const render_row *heap = row_of(&l, RENDER_TRACK_HEAP);
    double tracks_h = l.rows[l.nrows - 1].y1 - l.rows[0].y0;
    CHECK(heap && heap->py1 - heap->py0 > tracks_h / 3);
    for (int i = 0; heap && i < l.nrows; i++) {
        CHECK(l.rows[i].track == RENDER_TRACK_HEAP || l.rows[i].y1 - l.rows[i].y0 < heap->y1 - heap->y0);
        CHECK(!l.rows[i].folded);
        if (l.rows[i].track == RENDER_TRACK_ALLOC || l.rows[i].track == RENDER_TRACK_GC)
            CHECK(l.rows[i].py1 - l.rows[i].py0 >= 30); /* not a flat line */
    }
    /* The peak's label (3 MiB at 2-3 s) is drawn, and the curve is not in it. */
    CHECK(box_drawn(&l.peak_label));
    CHECK(box_drawn(&l.peak_label) && heap_pixels_in(&im, &l.peak_label) == 0);
    if (heap_pixels_in(&im, &l.peak_label))
        fprintf(stderr, "  the heap is drawn through the peak's label (%d pixels) %.0f,%.0f-%.0f,%.0f\n",
                heap_pixels_in(&im, &l.peak_label), l.peak_label.x0, l.peak_label.y0, l.peak_label.x1, l.peak_label.y1);
    if (getenv("TEST_RENDER_KEEP"))
        cairo_surface_write_to_png(im.s, getenv("TEST_RENDER_KEEP"));
    /* The last mark is at the trace's end: its label fits inside the plot. */
    CHECK(box_drawn(&l.last_mark_label) && l.last_mark_label.x1 <= l.plot_x1 + 0.5 &&
          l.last_mark_label.x0 >= l.plot_x0);
    /* The selection's length is clear of the ruler and its labels. */
    CHECK(box_drawn(&l.selection_label) && l.selection_label.y0 >= l.ruler_y1);
    cairo_surface_destroy(im.s);

    /* Zoomed in on the step at 3 s: the axis fits 2..3 MiB, not 0..3 MiB;
     * from zero on request. */
    p.sel_t0 = p.sel_t1 = 0;
    p.t0 = T0 + 2 * S + 900000000ull;
    p.t1 = T0 + 3 * S + 100000000ull;
    render_view_layout(&p, &l);
    CHECK(l.heap_axis_min >= 1 * MiB && l.heap_axis_min <= 2 * MiB && l.heap_axis_max >= 3 * MiB);
    /* its grid lines are whole steps from the foot to the top */
    double steps = (double)(l.heap_axis_max - l.heap_axis_min) / l.heap_axis_step;
    CHECK(l.heap_axis_step > 0 && fabs(steps - round(steps)) < 1e-6 && steps >= 2 && steps <= 8);
    p.heap_zero_based = true;
    render_view_layout(&p, &l);
    CHECK_EQ_U64(l.heap_axis_min, 0);

    /* An idle view (nothing allocated after 2 s): no value axis ("1 B/s")
     * in the allocation rate's gutter. */
    p.heap_zero_based = false;
    p.t0 = T0 + 5500000000ull;
    p.t1 = T0 + 5900000000ull;
    draw(&p, &l, &im);
    const render_row *alloc = row_of(&l, RENDER_TRACK_ALLOC);
    int ink = 0;
    for (int y = (int)alloc->py0; alloc && y < (int)alloc->py1; y++)
        for (int x = 4; x < (int)l.plot_x0 - 4; x++)
            ink += !is_background(&im, x, y);
    CHECK_EQ_U64(ink, 0);
    cairo_surface_destroy(im.s);

    /* No GC pauses: the GC track folds to its title line. */
    render_view_params_init(&p, tl_no_gc, 1600, 900);
    render_view_layout(&p, &l);
    const render_row *gc = row_of(&l, RENDER_TRACK_GC);
    CHECK(gc && gc->folded && gc->y1 - gc->y0 <= 20 && gc->py1 - gc->py0 == 0);
    CHECK(!row_of(&l, RENDER_TRACK_HEAP)->folded);
}

/* Exports the resources track of trace alone, and lays out the same view. */
static void export_resources(const char *leakscope, const char *trace, const char *png, timeline *tl,
                             render_view_params *p, render_layout *l)
{
    char *argv[] = { (char *)leakscope, "export", "--png", (char *)png, "--size", "1200x800", "--tracks",
                     "resources", (char *)trace, NULL };
    CHECK_EQ_U64(run(argv), 0);
    render_view_params_init(p, tl, 1200, 800);
    p->tracks = RENDER_TRACK_RESOURCES;
    render_view_layout(p, l);
}

/* Descriptors opened and closed, and at 2.7 s an open that failed with
 * EMFILE (the recorder's note: an open and close of kind error/EMFILE). */
static void write_failure_trace(const char *path)
{
    trace_file_info info = { .pid = 78, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    trace_writer_add_string(w, 1, "fd/file", 7);
    trace_writer_add_string(w, 2, "error/EMFILE", 12);
    for (uint64_t i = 0; i < 40; i++) {
        ev(w, 1, TRACE_RES_OPEN, i * 100000000ull, 0, 0, 1, 3 + i % 8);
        ev(w, 1, TRACE_RES_CLOSE, i * 100000000ull + 50000000ull, 0, 0, 1, 3 + i % 8);
        if (i == 26) { /* a thread's events in time order */
            ev(w, 1, TRACE_RES_OPEN, 2700000000ull, 0, 0, 2, 1);
            ev(w, 1, TRACE_RES_CLOSE, 2700000000ull, 0, 0, 2, 1);
        }
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static bool is_red(const image *im, int x, int y) /* never_closed: the light theme's red */
{
    int r, g, b;
    pixel(im, x, y, &r, &g, &b);
    return r > 180 && g < 90 && b < 90;
}

/* A failed open is a red tick on the resources track where it happened,
 * the hit test names it there, and it is no resource. */
static void check_failure_tick(const char *leakscope, const char *dir)
{
    char trace[128], png[128];
    snprintf(trace, sizeof trace, "%s/fail.trace", dir);
    snprintf(png, sizeof png, "%s/fail.png", dir);
    write_failure_trace(trace);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(trace, &tl, &err) == TRACE_OK);
    if (!tl)
        return;
    const ls_analysis *a = timeline_analysis(tl);
    CHECK_EQ_U64(a->nopen_failures, 1);
    CHECK_EQ_U64(a->resources_opened, 40); /* the failure is not one */
    render_view_params p;
    render_layout l;
    export_resources(leakscope, trace, png, tl, &p, &l);
    const render_row *row = row_of(&l, RENDER_TRACK_RESOURCES);
    image im;
    if (row && image_load(&im, png)) {
        double x = render_x_of(&l, &p, timeline_begin(tl) + 2700000000ull);
        int y = (int)(row->py0 + row->py1) / 2;
        CHECK(is_red(&im, (int)floor(x), y));
        CHECK(!is_red(&im, (int)render_x_of(&l, &p, timeline_begin(tl) + 2400000000ull), y));
        render_hit hit;
        CHECK(render_hit_test(&p, &l, floor(x) + 1, y, &hit) && hit.kind == RENDER_HIT_FAILURE && hit.index == 0);
        CHECK(render_hit_test(&p, &l, render_x_of(&l, &p, timeline_begin(tl) + 2400000000ull), y, &hit) &&
              hit.kind != RENDER_HIT_FAILURE);
        cairo_surface_destroy(im.s);
    }
    timeline_free(tl);
    unlink(png);
    unlink(trace);
}

/* A line pixel of a resource kind: a series colour at full strength (the
 * min-max band under it is drawn at a third). */
static bool is_series_line(const image *im, int x, int y)
{
    int r, g, b;
    pixel(im, x, y, &r, &g, &b);
    int hi = r > g ? (r > b ? r : b) : (g > b ? g : b), lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    return hi - lo > 100;
}

/* The open count a pixel row of the resources plot stands for. */
static double count_at(const render_row *row, double top, int y)
{
    return (row->py1 - (y + 0.5)) / (row->py1 - row->py0) * top;
}

/* A real program (tests/res-target.c) opens and closes thousands of
 * descriptors of five kinds with a known most open at once and a known few
 * left open; its exported picture's resources track must agree: no line
 * above the most any kind had open, the highest at the most the timeline
 * counted, and at the right edge one line per kind at its open-at-end. */
static void check_resource_pixels(const char *leakscope, const char *target, const char *dir)
{
    char trace[128], png[128], cmd[1024];
    snprintf(trace, sizeof trace, "%s/res.trace", dir);
    snprintf(png, sizeof png, "%s/res.png", dir);
    /* In the ASan build the recorded program gets the runtime preloaded
     * first, as tests/asan_env.py gives it to the Python tests' programs. */
    const char *asan = getenv("LEAKSCOPE_TEST_ASAN_RUNTIME");
    char env[700] = "";
    if (asan && *asan)
        snprintf(env, sizeof env,
                 "LD_PRELOAD='libstdc++.so.6:%s' ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 ", asan);
    snprintf(cmd, sizeof cmd, "%s'%s' record --quiet -o '%s' -- '%s' '%s'", env, leakscope, trace, target, dir);
    FILE *out = popen(cmd, "r");
    CHECK(out != NULL);
    if (!out)
        return;
    unsigned most_all = 0, nkinds = 0, ends[16];
    char kind[64];
    unsigned most, end;
    while (nkinds < 16 && fscanf(out, "%63s %u %u", kind, &most, &end) == 3) {
        most_all = most > most_all ? most : most_all;
        ends[nkinds++] = end;
    }
    CHECK(pclose(out) == 0);
    CHECK(nkinds >= 5);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(trace, &tl, &err) == TRACE_OK);
    if (!tl)
        return;
    render_view_params p;
    render_layout l;
    export_resources(leakscope, trace, png, tl, &p, &l);
    image im;
    const render_row *row = row_of(&l, RENDER_TRACK_RESOURCES);
    if (row && l.res_axis_top > 0 && image_load(&im, png)) {
        int x0 = (int)l.plot_x0 + 1, x1 = (int)l.plot_x1 - 1, top_y = INT32_MAX;
        for (int x = x0; x < x1; x++)
            for (int y = (int)row->py0; y < (int)row->py1 && y < top_y; y++)
                if (is_series_line(&im, x, y))
                    top_y = y;
        uint32_t kinds[TIMELINE_MAX_KINDS], top_model = 0;
        uint32_t nk = timeline_resource_kinds(tl, kinds, TIMELINE_MAX_KINDS), mn, mx;
        for (uint32_t k = 0; k < nk; k++) {
            timeline_resource_range(tl, k, timeline_begin(tl), timeline_end(tl), 1, &mn, &mx);
            top_model = mx > top_model ? mx : top_model;
        }
        double top = top_y == INT32_MAX ? -1 : count_at(row, l.res_axis_top, top_y);
        double px = l.res_axis_top / (row->py1 - row->py0); /* one pixel, in open descriptors */
        CHECK(top >= 0 && top <= most_all + 2 * px);
        CHECK(fabs(top - top_model) <= 2 * px);
        if (!(top >= 0 && fabs(top - top_model) <= 2 * px && top <= most_all + 2 * px))
            fprintf(stderr, "  highest line %.2f open (y=%d), the timeline's most %u, the program's %u\n", top, top_y,
                    top_model, most_all);
        /* The right edge: every kind's line where its count at the end is. */
        int x = x1 - 1;
        for (unsigned k = 0; k < nkinds; k++) {
            bool seen = false;
            for (int y = (int)row->py0; y < (int)row->py1 + 1 && !seen; y++)
                seen = is_series_line(&im, x, y) && fabs(count_at(row, l.res_axis_top, y) - ends[k]) <= 2 * px;
            CHECK(seen);
            if (!seen)
                fprintf(stderr, "  no line at %u open at the right edge\n", ends[k]);
        }
        cairo_surface_destroy(im.s);
    }
    timeline_free(tl);
    unlink(png);
    unlink(trace);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-trace")) {
        write_trace(argv[2]);
        return 0;
    }
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: test-render LEAKSCOPE | test-render LEAKSCOPE RES-TARGET\n");
        return 2;
    }
    char dir[] = "/tmp/test-render-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    if (argc == 3) { /* the resources track of a recorded program */
        check_resource_pixels(argv[1], argv[2], dir);
        rmdir(dir);
        TEST_DONE();
    }
    char trace[64], png[64];
    snprintf(trace, sizeof trace, "%s/t.trace", dir);
    snprintf(png, sizeof png, "%s/t.png", dir);
    write_trace(trace);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(trace, &tl, &err) == TRACE_OK);
    if (!tl)
        return 1;
    CHECK_EQ_U64(timeline_begin(tl), T0);

    /* The whole trace. */
    render_layout l;
    render_view_params p;
    image im;
    if (export_and_layout(argv[1], trace, png, NULL, NULL, RENDER_THEME_LIGHT, tl, &l, &p) && image_load(&im, png)) {
        CHECK(im.w == 1200 && im.h == 800);
        CHECK(l.heap_axis_max >= 3 * MiB);
        check_heap_at(&im, &l, &p, 1.5, 1 * MiB);
        check_heap_at(&im, &l, &p, 2.5, 3 * MiB);
        check_heap_at(&im, &l, &p, 3.5, 2 * MiB);
        check_heap_at(&im, &l, &p, 4.5, 2 * MiB);
        /* A GC bar during the long pause, none between pauses. */
        const render_row *gc = row_of(&l, RENDER_TRACK_GC);
        int y = (int)gc->py1 - 3;
        CHECK(is_gc(&im, (int)render_x_of(&l, &p, T0 + 4100000000ull), y));
        CHECK(!is_gc(&im, (int)render_x_of(&l, &p, T0 + 4400000000ull), y));
        CHECK(!is_gc(&im, (int)render_x_of(&l, &p, T0 + 3000000000ull), y));
        int r, g, b;
        pixel(&im, 2, im.h - 2, &r, &g, &b);
        CHECK(r > 240 && g > 240 && b > 240);
        check_hits(&im, &l, &p);
        cairo_surface_destroy(im.s);
    }
    /* Zoomed in around the free at 3 s: 3 MiB before, 2 MiB after. */
    if (export_and_layout(argv[1], trace, png, "2.9995", "3.0005", RENDER_THEME_LIGHT, tl, &l, &p) &&
        image_load(&im, png)) {
        check_heap_at(&im, &l, &p, 2.9997, 3 * MiB);
        check_heap_at(&im, &l, &p, 3.0003, 2 * MiB);
        cairo_surface_destroy(im.s);
    }
    /* Layout and labels. */
    char trace2[80];
    snprintf(trace2, sizeof trace2, "%s/no-gc.trace", dir);
    write_trace_gc(trace2, false);
    timeline *tl2;
    CHECK(timeline_open(trace2, &tl2, &err) == TRACE_OK);
    if (tl2) {
        check_layout_and_labels(tl, tl2);
        timeline_free(tl2);
    }
    unlink(trace2);
    /* Dark theme: a dark background. */
    if (export_and_layout(argv[1], trace, png, NULL, NULL, RENDER_THEME_DARK, tl, &l, &p) && image_load(&im, png)) {
        int r, g, b;
        pixel(&im, 2, im.h - 2, &r, &g, &b);
        CHECK(r < 40 && g < 40 && b < 40);
        cairo_surface_destroy(im.s);
    }
    timeline_free(tl);
    unlink(png);
    unlink(trace);
    check_failure_tick(argv[1], dir);
    rmdir(dir);
    TEST_DONE();
}
