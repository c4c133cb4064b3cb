/* test-render-marks.c — the marks and spans track at coarse zoom, in pixels.
 *
 * Thousands of marks share a few hundred pixel columns; the track draws each
 * column once and gathers the lines and flags into one path. The picture
 * must be the one a stroke and a fill per mark gives: the test draws that
 * reference itself (over the same frame without the marks in view: the same
 * trace with its marks moved past the view) and compares every pixel. Only
 * where flags overlap may a pixel of a flag's edge differ, in shade only
 * (one fill covers the union once where separate fills compound their
 * antialiased edges): drawn in both pictures, never in one and not in the
 * other.
 * Then spans: a span still open from before the view, and one that ended
 * just before it, after thousands of short ones: the first is drawn and hit
 * where the view begins, the second neither.
 *
 * SPDX-License-Identifier: MIT
 */
#include "test-util.h"
#include "test-trace.h"
#include "render.h"
#include "timeline.h"
#include "trace-writer.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S 1000000000ull
#define NMARKS 4000u
#define W 1200
#define H 600

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void ev(trace_writer *w, uint32_t kind, uint64_t ts, uint64_t str)
{
    trace_event e = { .kind = kind, .ts = ts, .str = str, .size = kind == TRACE_ALLOC ? 16 : 0, .addr = 0x1000 };
    if (trace_writer_add_event(w, 1, &e) != TRACE_OK)
        exit(1);
}

/* Marks with an empty label (nothing of a label is drawn, though the track
 * still lays labels out) at `shift` + 0.5..5 s: dense clusters and sparse
 * stretches; the trace runs to 12 s. */
static void write_marks(const char *path, uint64_t shift)
{
    trace_writer *w = test_create_trace(path, 0, 0, 0);
    trace_writer_add_string(w, 1, "", 0);
    ev(w, TRACE_ALLOC, 0, 0);
    uint64_t seed = 88172645463325252ull, ts[NMARKS];
    for (uint32_t i = 0; i < NMARKS; i++) {
        uint64_t r = rnd(&seed);
        /* a third in 0.5-1 s (several a column), the rest over 1-5 s */
        ts[i] = i % 3 == 0 ? S / 2 + r % (S / 2) : S + r % (4 * S);
    }
    for (uint32_t i = 1; i < NMARKS; i++) /* in time order */
        for (uint32_t j = i; j > 0 && ts[j - 1] > ts[j]; j--) {
            uint64_t t = ts[j];
            ts[j] = ts[j - 1];
            ts[j - 1] = t;
        }
    for (uint32_t i = 0; i < NMARKS; i++)
        ev(w, TRACE_MARK, shift + ts[i], 1);
    ev(w, TRACE_ALLOC, 12 * S, 0);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static cairo_surface_t *frame(timeline *tl, render_view_params *p, render_layout *l)
{
    render_view_params_init(p, tl, W, H);
    p->tracks = RENDER_TRACK_MARKS;
    p->header = false;
    p->t0 = 0;
    p->t1 = 6 * S;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    render_view_drawn(cr, p, l);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

static const render_row *marks_row(const render_layout *l)
{
    for (int i = 0; i < l->nrows; i++)
        if (l->rows[i].track == RENDER_TRACK_MARKS)
            return &l->rows[i];
    return NULL;
}

/* A stroke and a fill per mark, in order: the picture before the marks were
 * gathered (the light theme's mark colour, #db2777). */
static void reference_marks(cairo_surface_t *s, timeline *tl, const render_view_params *p, const render_layout *l,
                            const render_row *r)
{
    const ls_analysis *a = timeline_analysis(tl);
    cairo_t *cr = cairo_create(s);
    for (uint32_t i = 0; i < a->nmarks; i++) {
        if (a->marks[i].ts < p->t0 || a->marks[i].ts > p->t1)
            continue;
        double x = floor(render_x_of(l, p, a->marks[i].ts)) + 0.5;
        cairo_set_source_rgba(cr, 0xdb / 255.0, 0x27 / 255.0, 0x77 / 255.0, 1);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, r->py0);
        cairo_line_to(cr, x, r->py1);
        cairo_stroke(cr);
        cairo_move_to(cr, x - 4, r->py0);
        cairo_line_to(cr, x + 4, r->py0);
        cairo_line_to(cr, x, r->py0 + 5);
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    cairo_surface_flush(s);
}

static void check_marks(const char *dir)
{
    char with[96], past[96];
    snprintf(with, sizeof with, "%s/marks.trace", dir);
    snprintf(past, sizeof past, "%s/past.trace", dir);
    write_marks(with, 0);
    write_marks(past, 6 * S); /* the same marks, all right of the view */
    timeline *tl, *tp;
    trace_error err;
    CHECK(timeline_open(with, &tl, &err) == TRACE_OK);
    CHECK(timeline_open(past, &tp, &err) == TRACE_OK);
    if (!tl || !tp)
        exit(1);
    CHECK_EQ_U64(timeline_analysis(tl)->nmarks, NMARKS);
    render_view_params p, pp;
    render_layout l, lp;
    cairo_surface_t *got = frame(tl, &p, &l), *want = frame(tp, &pp, &lp);
    const render_row *r = marks_row(&l), *rp = marks_row(&lp);
    CHECK(r && rp && r->py0 == rp->py0 && r->py1 == rp->py1);
    if (!r || !rp)
        exit(1);
    cairo_surface_t *none = frame(tp, &pp, &lp);
    reference_marks(want, tl, &p, &l, r);
    const uint8_t *g = cairo_image_surface_get_data(got), *e = cairo_image_surface_get_data(want);
    const uint8_t *n = cairo_image_surface_get_data(none);
    int stride = cairo_image_surface_get_stride(got);
    uint32_t differ = 0, outside_flags = 0, maxd = 0, marked = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint32_t pg, pe;
            memcpy(&pg, g + (size_t)y * stride + 4 * x, 4);
            memcpy(&pe, e + (size_t)y * stride + 4 * x, 4);
            marked += (pe & 0xffffff) == 0xdb2777;
            if ((pg & 0xffffff) == (pe & 0xffffff))
                continue;
            differ++;
            uint32_t pn;
            memcpy(&pn, n + (size_t)y * stride + 4 * x, 4);
            /* a flag's edge: drawn in both pictures (not the frame without the marks) */
            bool edge = (pg & 0xffffff) != (pn & 0xffffff) && (pe & 0xffffff) != (pn & 0xffffff);
            if (y < (int)floor(r->py0) || y > (int)ceil(r->py0 + 5) || !edge)
                outside_flags++;
            for (int c = 0; c < 24; c += 8) {
                uint32_t d = (uint32_t)abs((int)(pg >> c & 0xff) - (int)(pe >> c & 0xff));
                maxd = d > maxd ? d : maxd;
            }
        }
    fprintf(stderr, "  %u pixels of the mark colour in the reference; %u differ (%u not on a flag's edge), by %u at most\n",
            marked, differ, outside_flags, maxd);
    CHECK(marked > 10000);           /* the marks are in the picture */
    CHECK_EQ_U64(outside_flags, 0);  /* every line and flag where it was, nothing else drawn */
    CHECK(differ < 200);             /* the edges of flags drawn over each other: a shade */
    cairo_surface_destroy(got);
    cairo_surface_destroy(want);
    cairo_surface_destroy(none);
    timeline_free(tl);
    timeline_free(tp);
    unlink(with);
    unlink(past);
}

static bool grey(uint32_t px) { return (px >> 16 & 0xff) == (px >> 8 & 0xff) && (px >> 8 & 0xff) == (px & 0xff); }

/* Spans: 3000 short ones over 0-3 s, one open from 1 s to the end, one
 * 1.5-3.9 s; the view 4-4.1 s. */
static void check_spans(const char *dir)
{
    char path[96];
    snprintf(path, sizeof path, "%s/spans.trace", dir);
    trace_writer *w = test_create_trace(path, 0, 0, 0);
    trace_writer_add_string(w, 1, "s", 1);
    ev(w, TRACE_ALLOC, 0, 0);
    for (uint32_t i = 0; i < 3000; i++) {
        uint64_t t = (uint64_t)i * S / 1000;
        if (t == S) {
            ev(w, TRACE_SPAN_BEGIN, t, 1); /* the open one: depth 0 */
            continue;
        }
        if (t == 3 * S / 2)
            ev(w, TRACE_SPAN_BEGIN, t, 1); /* 1.5-3.9 s: depth 1 */
        ev(w, TRACE_SPAN_BEGIN, t + 1, 1);
        ev(w, TRACE_SPAN_END, t + 100000, 1);
    }
    ev(w, TRACE_SPAN_END, 3900 * (S / 1000), 1);
    ev(w, TRACE_ALLOC, 5 * S, 0);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    if (!tl)
        exit(1);
    const ls_analysis *a = timeline_analysis(tl);
    render_view_params p;
    render_view_params_init(&p, tl, W, H);
    p.tracks = RENDER_TRACK_MARKS;
    p.header = false;
    p.t0 = 4 * S;
    p.t1 = 4100 * (S / 1000);
    render_layout l;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    render_view_drawn(cr, &p, &l);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    const render_row *r = marks_row(&l);
    CHECK(r != NULL);
    if (!r)
        exit(1);
    /* Which span is open, which ended 1.5-3.9 s. */
    uint32_t open = a->nspans, ended = a->nspans;
    for (uint32_t i = 0; i < a->nspans; i++) {
        if (!a->spans[i].end)
            open = i;
        else if (a->spans[i].end - a->spans[i].begin > S)
            ended = i;
    }
    CHECK(open < a->nspans && ended < a->nspans);
    if (open == a->nspans || ended == a->nspans)
        exit(1);
    CHECK(timeline_span_from(tl, p.t0) <= open);
    CHECK_EQ_U64(a->spans[open].depth, 0);
    CHECK_EQ_U64(a->spans[ended].depth, 1);
    const uint8_t *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t px;
    for (uint32_t depth = 0; depth < 2; depth++) {
        /* the middle of the bar's row, across the plot */
        double y = r->py0 + 18 + depth * 14 + 6;
        uint32_t painted = 0;
        for (int x = (int)ceil(l.plot_x0); x < (int)floor(l.plot_x1); x++) {
            memcpy(&px, d + (size_t)y * stride + 4 * x, 4);
            painted += !grey(px); /* a bar's colour, not the background's or the grid's */
        }
        render_hit hit;
        bool hit_span = render_hit_test(&p, &l, l.plot_x0 + 0.5, y, &hit) && hit.kind == RENDER_HIT_SPAN;
        if (depth == 0) { /* the open span across the view */
            CHECK(painted >= (uint32_t)(l.plot_x1 - l.plot_x0) - 2);
            CHECK(hit_span && hit.index == open);
        } else { /* the span that ended before the view: nothing */
            CHECK_EQ_U64(painted, 0);
            CHECK(!hit_span);
        }
    }
    cairo_surface_destroy(s);
    timeline_free(tl);
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/test-render-marks-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    check_marks(dir);
    check_spans(dir);
    rmdir(dir);
    TEST_DONE();
}
