/* test-growth.c — growth-trend suspects (viewer/model/growth.h): the trend
 * rule on constructed series (steady growth, a slow step leak, fill then
 * flat, a constant, one jump, a sawtooth, noise), and the suspects of a
 * synthetic trace with a growing site, an LRU that fills then churns flat,
 * a constant table and a growing set of open descriptors, per time and per
 * iteration mark; more values at marks than the builder keeps; the same
 * suspects from the viewer's timeline_open_growth as from ls_growth_load.
 *
 * `test-growth CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "growth.h"
#include "test-util.h"
#include "timeline.h"
#include "trace-writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-growth-XXXXXX";

#define N 64

static ls_trend trend(double (*f)(uint32_t i, uint64_t *rnd))
{
    double x[N], y[N];
    uint64_t rnd = 0x9e3779b97f4a7c15ull;
    for (uint32_t i = 0; i < N; i++) {
        x[i] = i * 0.25; /* seconds */
        y[i] = f(i, &rnd);
    }
    return ls_trend_of(x, y, N);
}

static double linear(uint32_t i, uint64_t *r) { (void)r; return 1000.0 * i; }
static double steps(uint32_t i, uint64_t *r) { (void)r; return 4096.0 * (i / 13); } /* 4 steps over the run */
static double fill_flat(uint32_t i, uint64_t *r) { (void)r; return i < 20 ? 500.0 * i : 10000.0; }
static double fill_flat_churn(uint32_t i, uint64_t *r) { return (i < 20 ? 500.0 * i : 10000.0) - (double)(test_rnd(r) % 300); }
static double constant(uint32_t i, uint64_t *r) { (void)r; (void)i; return 1 << 20; }
static double jump(uint32_t i, uint64_t *r) { (void)r; return i < 6 ? 0 : 1 << 20; }
static double sawtooth(uint32_t i, uint64_t *r) { (void)r; return 1000.0 * (i % 16); }
static double noise(uint32_t i, uint64_t *r) { (void)i; return 5000.0 + (double)(test_rnd(r) % 2000); }
static double noisy_growth(uint32_t i, uint64_t *r) { return 800.0 * i + (double)(test_rnd(r) % 4000); }
static double shrinking(uint32_t i, uint64_t *r) { (void)r; return 100000.0 - 1000.0 * i; }

static void case_trend(void)
{
    ls_trend t = trend(linear);
    CHECK(t.growing);
    CHECK(fabs(t.slope - 4000.0) < 1e-6);      /* 1000 per point, 4 points a second */
    CHECK(fabs(t.late_slope - 4000.0) < 1e-6);
    CHECK(t.confidence > 0.99);
    t = trend(steps);
    CHECK(t.growing);
    CHECK(t.confidence > 0.8);
    t = trend(noisy_growth);
    CHECK(t.growing);
    CHECK(t.confidence > 0.9);
    CHECK(fabs(t.late_slope - 3200.0) < 400.0);
    /* No suspects: */
    t = trend(fill_flat);
    CHECK(!t.growing);
    CHECK(t.confidence < 0.1);
    CHECK(!trend(fill_flat_churn).growing);
    t = trend(constant);
    CHECK(!t.growing);
    CHECK_EQ_U64(t.confidence * 1000, 0);
    CHECK(!trend(jump).growing);
    CHECK(!trend(sawtooth).growing);
    CHECK(!trend(noise).growing);
    CHECK(!trend(shrinking).growing);
    /* Too short to judge, or no time. */
    double x[3] = { 0, 1, 2 }, y[3] = { 0, 1, 2 };
    CHECK(!ls_trend_of(x, y, 3).growing);
    double x0[5] = { 1, 1, 1, 1, 1 }, y0[5] = { 0, 1, 2, 3, 4 };
    CHECK(!ls_trend_of(x0, y0, 5).growing);
}

static uint64_t now = 1000000;

static void ev(trace_writer *w, trace_event e)
{
    e.ts = now;
    if (trace_writer_add_event(w, 1, &e) != TRACE_OK)
        exit(1);
}

enum { GROWER = 1, LRU, TABLE, OPENER, LATE };
#define MS 1000000ull
#define STEPS 1000
#define LRU_CAP 50

/* 1000 steps of 1 ms: GROWER keeps 100 bytes a step; LRU keeps its last 50
 * blocks of 200 bytes (full after 50 ms, then one freed per one made);
 * TABLE is 1 MiB made at the start; OPENER opens a descriptor every 10
 * steps and closes every other one; LATE allocates in the last 50 steps
 * only (too young to judge). A mark "tick" every 100 steps, a mark "other"
 * twice. */
static const char *write_trace(void)
{
    static char path[300];
    snprintf(path, sizeof path, "%s/growth.trace", dir);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = GROWER; s <= LATE; s++) {
        uint64_t frame = 0x400000 + 0x10 * s;
        if (trace_writer_add_stack(w, s, &frame, 1) != TRACE_OK)
            exit(1);
    }
    if (trace_writer_add_string(w, 1, "fd", 2) != TRACE_OK || trace_writer_add_string(w, 2, "tick", 4) != TRACE_OK ||
        trace_writer_add_string(w, 3, "other", 5) != TRACE_OK)
        exit(1);
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x10000000, .size = 1 << 20, .stack = TABLE });
    for (uint64_t i = 0; i < STEPS; i++) {
        now += MS;
        ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x20000000 + i * 0x100, .size = 100, .stack = GROWER });
        if (i >= LRU_CAP)
            ev(w, (trace_event){ .kind = TRACE_FREE, .addr = 0x30000000 + (i - LRU_CAP) * 0x100 });
        ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x30000000 + i * 0x100, .size = 200, .stack = LRU });
        ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x40000000 + i * 0x100, .size = 50, .stack = GROWER });
        ev(w, (trace_event){ .kind = TRACE_FREE, .addr = 0x40000000 + i * 0x100 }); /* churn, not kept */
        if (i % 10 == 0)
            ev(w, (trace_event){ .kind = TRACE_RES_OPEN, .str = 1, .value = 100 + i, .stack = OPENER });
        if (i % 20 == 10)
            ev(w, (trace_event){ .kind = TRACE_RES_CLOSE, .str = 1, .value = 100 + i });
        if (i >= STEPS - 50)
            ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x50000000 + i * 0x100, .size = 5000, .stack = LATE });
        if (i % 100 == 99)
            ev(w, (trace_event){ .kind = TRACE_MARK, .str = 2 });
        if (i == 300 || i == 600)
            ev(w, (trace_event){ .kind = TRACE_MARK, .str = 3 });
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    return path;
}

static ls_growth *load(const char *mark, ls_analysis **a)
{
    ls_growth *g;
    trace_error err;
    if (ls_growth_load(write_trace(), mark, a, &g, &err) != TRACE_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    return g;
}

static void case_sites(void)
{
    ls_analysis *a;
    ls_growth *g = load(NULL, &a);
    CHECK_EQ_U64(g->nheap, 1); /* the LRU, the table and the late site are not named */
    if (g->nheap) {
        CHECK_EQ_U64(g->heap[0].stack, GROWER);
        CHECK_EQ_U64(g->heap[0].live_at_end, 100 * STEPS);
        CHECK_EQ_U64(g->heap[0].blocks_at_end, STEPS);
        CHECK(fabs(g->heap[0].per_second - 100000.0) < 2000.0); /* 100 bytes a ms */
        CHECK(g->heap[0].confidence > 0.95);
    }
    CHECK_EQ_U64(g->nres, 1);
    if (g->nres) {
        CHECK_EQ_U64(g->res[0].stack, OPENER);
        CHECK_EQ_U64(g->res[0].kind, 1);
        CHECK_EQ_U64(g->res[0].live_at_end, STEPS / 20);
        CHECK(fabs(g->res[0].per_second - 50.0) < 3.0); /* one kept every 20 ms */
    }
    ls_growth_free(g);
    ls_analysis_free(a);
}

/* The time bucket of each event, by the rule of growth.c kept here as the
 * reference (floor((ts - t0) * NB / (t1 - t0 + 1)), the ends in the first
 * and the last bucket): GROWER's series built from its allocations' times
 * gives the suspect's rate and confidence exactly, as series_trend makes
 * them. An event put in a bucket next to its own (growth.c keeps the bucket
 * found last and the times it holds) changes the series and the rate. */
static void case_buckets(void)
{
    ls_analysis *a;
    uint64_t first_ts = now; /* write_trace's first event */
    ls_growth *g = load(NULL, &a);
    enum { NB = LS_GROWTH_BUCKETS };
    uint64_t t0 = g->t0, t1 = g->t1, v[NB] = { 0 };
    uint32_t first = NB;
    for (uint64_t i = 0; i < STEPS; i++) {
        uint64_t ts = first_ts + (i + 1) * MS;
        uint32_t b = ts <= t0   ? 0
                     : ts >= t1 ? NB - 1
                                : (uint32_t)((unsigned __int128)(ts - t0) * NB / ((unsigned __int128)(t1 - t0) + 1));
        if (b < first)
            first = b;
        for (uint32_t k = b; k < NB; k++) /* live from its bucket on */
            v[k] += 100;
    }
    double x[NB + 1], y[NB + 1], span = (double)(t1 - t0 + 1) / 1e9;
    uint32_t n = 0;
    x[n] = span * first / NB;
    y[n++] = 0;
    for (uint32_t b = first; b < NB; b++) {
        x[n] = span * (b + 1) / NB;
        y[n++] = (double)v[b];
    }
    ls_trend t = ls_trend_of(x, y, n);
    CHECK(g->nheap >= 1);
    if (g->nheap) {
        CHECK_EQ_U64(g->heap[0].stack, GROWER);
        CHECK(g->heap[0].per_second == t.late_slope);
        CHECK(g->heap[0].confidence == t.confidence);
    }
    ls_growth_free(g);
    ls_analysis_free(a);
}

static void same_suspects(const ls_growth_suspect *x, const ls_growth_suspect *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ_U64(x[i].stack, y[i].stack);
        CHECK_EQ_U64(x[i].kind, y[i].kind);
        CHECK_EQ_U64(x[i].live_at_end, y[i].live_at_end);
        CHECK_EQ_U64(x[i].blocks_at_end, y[i].blocks_at_end);
        CHECK(x[i].per_second == y[i].per_second && x[i].confidence == y[i].confidence);
    }
}

/* The viewer's suspects (timeline_open_growth: built in the timeline's
 * pass) are the report's (ls_growth_load), field for field. */
static void case_timeline(void)
{
    ls_analysis *a;
    ls_growth *g = load(NULL, &a);
    timeline *tl = NULL;
    trace_error err;
    CHECK(timeline_open_growth(write_trace(), NULL, NULL, &tl, &err) == TRACE_OK);
    const ls_growth *v = tl ? timeline_growth(tl) : NULL;
    CHECK(v != NULL);
    if (v) {
        CHECK_EQ_U64(v->nheap, g->nheap);
        CHECK_EQ_U64(v->nres, g->nres);
        CHECK_EQ_U64(v->niter, g->niter);
        CHECK_EQ_U64(v->iterations, g->iterations);
        CHECK_EQ_U64(v->iteration_label, g->iteration_label);
        CHECK(v->nheap >= 1 && v->nres >= 1 && v->niter >= 1);
        if (v->nheap == g->nheap && v->nres == g->nres) {
            same_suspects(v->heap, g->heap, v->nheap);
            same_suspects(v->res, g->res, v->nres);
        }
        for (uint32_t i = 0; i < v->niter && v->niter == g->niter; i++) {
            CHECK_EQ_U64(v->iter[i].stack, g->iter[i].stack);
            CHECK_EQ_U64(v->iter[i].first_bytes, g->iter[i].first_bytes);
            CHECK_EQ_U64(v->iter[i].last_bytes, g->iter[i].last_bytes);
            CHECK(v->iter[i].growing == g->iter[i].growing);
        }
    }
    timeline_free(tl);
    /* Opened without them: none. */
    CHECK(timeline_open_progress(write_trace(), NULL, NULL, &tl, &err) == TRACE_OK);
    CHECK(tl && timeline_growth(tl) == NULL);
    timeline_free(tl);
    ls_growth_free(g);
    ls_analysis_free(a);
}

static const ls_iteration_site *iter_site(const ls_growth *g, uint32_t stack)
{
    for (uint32_t i = 0; i < g->niter; i++)
        if (g->iter[i].stack == stack)
            return &g->iter[i];
    return NULL;
}

static void case_iterations(void)
{
    ls_analysis *a;
    ls_growth *g = load(NULL, &a); /* "tick", marked 10 times, over "other", twice */
    CHECK(!strcmp(ls_analysis_string(a, g->iteration_label), "tick"));
    CHECK_EQ_U64(g->iterations, 10);
    CHECK(g->iterations_followed);
    const ls_iteration_site *s = iter_site(g, GROWER);
    CHECK(s && s->growing);
    CHECK(s && s->bytes_per_iteration == 100.0 * 100);
    CHECK(s && s->first_bytes == 100 * 100 && s->last_bytes == 100 * STEPS);
    CHECK(g->niter && g->iter[0].stack == GROWER);
    s = iter_site(g, LRU); /* full by the first mark: the same at every one */
    CHECK(!s);
    s = iter_site(g, LATE); /* 5000 bytes a step in the last 50 steps: after the 9th mark */
    CHECK(s && s->last_bytes == 5000 * 50 && s->first_bytes == 0);
    CHECK(s && !s->growing); /* one jump at the last mark is no trend */
    CHECK(!iter_site(g, TABLE));
    ls_growth_free(g);
    ls_analysis_free(a);

    g = load("other", &a); /* two marks: the retained bytes between them, no trend */
    CHECK_EQ_U64(g->iterations, 2);
    s = iter_site(g, GROWER);
    CHECK(s && s->bytes_per_iteration == 100.0 * 300 && !s->growing);
    ls_growth_free(g);
    ls_analysis_free(a);

    g = load("no such mark", &a);
    CHECK_EQ_U64(g->iteration_label, 0);
    CHECK_EQ_U64(g->niter, 0);
    CHECK_EQ_U64(g->nheap, 1); /* the time trend does not need marks */
    ls_growth_free(g);
    ls_analysis_free(a);
}

/* More values at marks than the builder keeps: 2048 sites each allocating
 * once per iteration, 2100 iterations. The iterations are given up, said
 * so; the time trend still names every site. */
static void case_log_bound(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/bound.trace", dir);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8 };
    trace_writer *w;
    enum { SITES = 2048, ITERS = 2100 };
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = 1; s <= SITES; s++) {
        uint64_t frame = 0x400000 + 0x10 * s;
        if (trace_writer_add_stack(w, s, &frame, 1) != TRACE_OK)
            exit(1);
    }
    if (trace_writer_add_string(w, 1, "tick", 4) != TRACE_OK)
        exit(1);
    now = 1000000;
    for (uint64_t i = 0; i < ITERS; i++) {
        for (uint32_t s = 1; s <= SITES; s++) {
            now += 100;
            ev(w, (trace_event){ .kind = TRACE_ALLOC, .addr = 0x100000000ull + (i * SITES + s) * 0x40, .size = 8,
                                 .stack = s });
        }
        ev(w, (trace_event){ .kind = TRACE_MARK, .str = 1 });
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    CHECK((size_t)SITES * (ITERS - 1) > LS_GROWTH_LOG_MAX);
    ls_analysis *a;
    ls_growth *g;
    trace_error err;
    for (int asked = 0; asked < 2; asked++) {
        if (ls_growth_load(path, asked ? "tick" : NULL, &a, &g, &err) != TRACE_OK)
            exit(1);
        CHECK(!strcmp(ls_analysis_string(a, g->iteration_label), "tick"));
        CHECK_EQ_U64(g->iterations, ITERS);
        CHECK(!g->iterations_followed);
        CHECK_EQ_U64(g->niter, 0);
        CHECK_EQ_U64(g->nheap, SITES);
        ls_growth_free(g);
        ls_analysis_free(a);
    }
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        { "trend", case_trend },
        { "sites", case_sites },
        { "buckets", case_buckets },
        { "iterations", case_iterations },
        { "log-bound", case_log_bound },
        { "timeline", case_timeline },
    };
    return test_run_cases("test-growth", cases, sizeof cases / sizeof cases[0], argc, argv, dir);
}
