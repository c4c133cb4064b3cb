/* test-range.c — range analysis on the trace index (viewer/model/range.h):
 * what a range allocated, freed and kept, by call site, with and without
 * the history before it; its temporary allocations and its peak at the
 * range's edges (a pair across t0 or t1, a block made before t0 and freed
 * inside, events at the edges' timestamps); the event budget keeping whole
 * timestamps; cancelling; the event nearest a time, a resource's close found
 * by its family.
 *
 * `test-range CASE` runs one case; with no argument, all of them;
 * `test-range --write-trace FILE` writes the sample trace (check-report-range.py).
 *
 * SPDX-License-Identifier: MIT
 */
#include "range.h"
#include "test-trace.h"
#include "test-util.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-range-XXXXXX";

static void ev(trace_writer *w, uint32_t thread, uint32_t kind, uint64_t ts, uint64_t addr, uint64_t size,
               uint32_t stack, uint32_t str, uint64_t value)
{
    trace_event e = { .kind = kind, .ts = ts, .addr = addr, .size = size, .stack = stack, .str = str, .value = value };
    if (trace_writer_add_event(w, thread, &e) != TRACE_OK)
        exit(1);
}

/* Stack 1 makes a block at 100 that lives to the end; stack 2 makes blocks
 * at 200, 300 (freed at 600) and 400 (freed at 500); stack 3 makes one at
 * 700 freed at 800; an fd/socket opened at 250 is closed as fd at 650, at
 * stack 3. */
static void write_sample(const char *path)
{
    trace_writer *w = test_create_trace(path, 3, 0, 0x1000);
    trace_writer_add_string(w, 1, "fd/socket", 9);
    trace_writer_add_string(w, 2, "fd", 2);
    ev(w, 1, TRACE_ALLOC, 100, 0xa000, 10, 1, 0, 0);
    ev(w, 1, TRACE_ALLOC, 200, 0xb000, 20, 2, 0, 0);
    ev(w, 2, TRACE_RES_OPEN, 250, 0, 0, 0, 1, 7);
    ev(w, 1, TRACE_ALLOC, 300, 0xc000, 30, 2, 0, 0);
    ev(w, 1, TRACE_ALLOC, 400, 0xd000, 40, 2, 0, 0);
    ev(w, 1, TRACE_FREE, 500, 0xd000, 0, 0, 0, 0);
    ev(w, 1, TRACE_FREE, 600, 0xc000, 0, 0, 0, 0);
    ev(w, 2, TRACE_RES_CLOSE, 650, 0, 0, 3, 2, 7);
    ev(w, 1, TRACE_ALLOC, 700, 0xe000, 70, 3, 0, 0);
    ev(w, 1, TRACE_FREE, 800, 0xe000, 0, 0, 0, 0);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static ls_index *sample(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/range.trace", dir);
    write_sample(path);
    ls_index *idx;
    trace_error err;
    if (ls_index_open(path, &idx, &err) != TRACE_OK)
        exit(1);
    return idx;
}

static const ls_range_site *site(const ls_range *r, uint32_t stack)
{
    for (uint32_t i = 0; i < r->nsites; i++)
        if (r->sites[i].stack == stack)
            return &r->sites[i];
    return NULL;
}

/* [350, 650]: with history, the free at 600 of the block made at 300 has
 * its size and site; without, it is a free of an unknown block. */
static void case_history(void)
{
    ls_index *idx = sample();
    ls_range *r;
    trace_error err;
    CHECK(ls_range_summarize(idx, 350, 650, &(ls_range_opts){ .history = true }, &r, &err) == TRACE_OK);
    CHECK_EQ_U64(r->events, 4); /* alloc 400, free 500, free 600, close 650 */
    CHECK_EQ_U64(r->allocations, 1);
    CHECK_EQ_U64(r->allocated_bytes, 40);
    CHECK_EQ_U64(r->frees, 2);
    CHECK_EQ_U64(r->freed_bytes, 70);
    CHECK_EQ_U64(r->frees_unknown, 0);
    CHECK_EQ_U64(r->live_blocks, 0);
    const ls_range_site *s2 = site(r, 2);
    CHECK(s2 && s2->allocations == 1 && s2->frees == 2 && s2->freed_bytes == 70 && s2->live_bytes == 0);
    CHECK(!r->partial && r->covered_to == 650);
    ls_range_free(r);

    CHECK(ls_range_summarize(idx, 350, 650, NULL, &r, &err) == TRACE_OK);
    CHECK_EQ_U64(r->frees, 2);
    CHECK_EQ_U64(r->freed_bytes, 40);
    CHECK_EQ_U64(r->frees_unknown, 1);
    ls_range_free(r);

    /* [0, 750]: what the range made and kept, by site, most kept first. */
    CHECK(ls_range_summarize(idx, 0, 750, NULL, &r, &err) == TRACE_OK);
    CHECK_EQ_U64(r->live_blocks, 3);
    CHECK_EQ_U64(r->live_bytes, 10 + 20 + 70);
    CHECK(r->nsites == 3 && r->sites[0].stack == 3 && r->sites[0].live_bytes == 70);
    CHECK(site(r, 1) && site(r, 1)->live_bytes == 10);
    ls_range_free(r);
    ls_index_unref(idx);
}

/* A budget of 2 events: the summary stops after the second, at a whole
 * timestamp, and says where. */
static void case_budget(void)
{
    ls_index *idx = sample();
    ls_range *r;
    trace_error err;
    CHECK(ls_range_summarize(idx, 150, 900, &(ls_range_opts){ .max_events = 2 }, &r, &err) == TRACE_OK);
    CHECK(r->partial);
    CHECK_EQ_U64(r->covered_to, 250);
    CHECK_EQ_U64(r->events, 2);
    CHECK_EQ_U64(r->allocations, 1);
    ls_range_free(r);
    ls_index_unref(idx);
}

/* The nearest event of some kinds; a resource's events by family and handle. */
static void case_nearest(void)
{
    ls_index *idx = sample();
    trace_event e;
    trace_error err;
    CHECK(ls_range_nearest(idx, 0, 1000, 590, 1u << TRACE_FREE, 0, 0, 0, &e, &err) == TRACE_OK);
    CHECK(e.ts == 600 && e.addr == 0xc000);
    CHECK(ls_range_nearest(idx, 0, 1000, 330, 1u << TRACE_ALLOC, 0, 0, 0, &e, &err) == TRACE_OK && e.ts == 300);
    uint32_t res = 1u << TRACE_RES_OPEN | 1u << TRACE_RES_CLOSE;
    CHECK(ls_range_nearest(idx, 0, 1000, 640, res, 1, 7, 0, &e, &err) == TRACE_OK);
    CHECK(e.kind == TRACE_RES_CLOSE && e.ts == 650); /* closed as "fd", opened as "fd/socket" */
    CHECK_EQ_U64(e.stack, 3); /* the close's own stack */
    CHECK(ls_range_nearest(idx, 0, 1000, 640, res, 1, 8, 0, &e, &err) == TRACE_END);
    CHECK(ls_range_nearest(idx, 900, 1000, 950, 1u << TRACE_ALLOC, 0, 0, 0, &e, &err) == TRACE_END);
    ls_index_unref(idx);
}

/* What became of a block: released (by whom, when), live at the end, or not
 * within a budget. */
static void case_release(void)
{
    ls_index *idx = sample();
    trace_event alloc, rel;
    trace_error err;
    CHECK(ls_range_nearest(idx, 0, 1000, 300, 1u << TRACE_ALLOC, 0, 0, 0, &alloc, &err) == TRACE_OK);
    CHECK(ls_range_release_of(idx, &alloc, 0, &rel, &err) == TRACE_OK);
    CHECK(rel.kind == TRACE_FREE && rel.ts == 600 && rel.addr == 0xc000);
    CHECK(ls_range_release_of(idx, &alloc, 2, &rel, &err) == TRACE_ERR_LIMIT); /* 400, 500 come first */
    CHECK(ls_range_nearest(idx, 0, 1000, 100, 1u << TRACE_ALLOC, 0, 0, 0, &alloc, &err) == TRACE_OK);
    CHECK(ls_range_release_of(idx, &alloc, 0, &rel, &err) == TRACE_END); /* live at the end */
    ls_index_unref(idx);
}



static uint64_t temporary_at(const ls_range *r, uint32_t stack)
{
    const ls_range_site *s = site(r, stack);
    return s ? s->temporary : 0;
}

/* Temporary pairs around [200, 500], stack by stack (thread in brackets):
 *   1 [1]  made 100, freed 110: before the range
 *   2 [1]  made 190, freed 210: across t0, not the range's
 *   3 [1]  made 300, freed 310: inside
 *   4 [1]  made 490, freed 520: across t1, the range's (made in it)
 *   5 [1]  made 530, freed 540, 600: after it
 *   6 [2]  made 200, freed 200, made 500, freed 500: at the edges' timestamps, both in
 *   7 [3]  x 320, y 330, x freed 340, y 350: y was made after x, x's free came before y's: none
 *   8 [4]  made 480, freed 600 as the thread's last event: the range's
 *   9 [5]  made 495, never freed, the thread's last event
 * Thread 1 goes on to 1000 (stack 5), so the read past t1 stops early. */
static void write_edges(const char *path)
{
    trace_writer *w = test_create_trace(path, 9, 0, 0x1000);
    ev(w, 1, TRACE_ALLOC, 100, 0x100, 8, 1, 0, 0);
    ev(w, 1, TRACE_FREE, 110, 0x100, 0, 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 190, 0x200, 8, 2, 0, 0);
    ev(w, 2, TRACE_ALLOC, 200, 0x600, 6, 6, 0, 0);
    ev(w, 2, TRACE_FREE, 200, 0x600, 0, 0, 0, 0);
    ev(w, 1, TRACE_FREE, 210, 0x200, 0, 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 300, 0x300, 8, 3, 0, 0);
    ev(w, 1, TRACE_FREE, 310, 0x300, 0, 0, 0, 0);
    ev(w, 3, TRACE_ALLOC, 320, 0x700, 7, 7, 0, 0);
    ev(w, 3, TRACE_ALLOC, 330, 0x701, 7, 7, 0, 0);
    ev(w, 3, TRACE_FREE, 340, 0x700, 0, 0, 0, 0);
    ev(w, 3, TRACE_FREE, 350, 0x701, 0, 0, 0, 0);
    ev(w, 4, TRACE_ALLOC, 480, 0x800, 8, 8, 0, 0);
    ev(w, 1, TRACE_ALLOC, 490, 0x400, 8, 4, 0, 0);
    ev(w, 5, TRACE_ALLOC, 495, 0x900, 9, 9, 0, 0);
    ev(w, 2, TRACE_ALLOC, 500, 0x601, 6, 6, 0, 0);
    ev(w, 2, TRACE_FREE, 500, 0x601, 0, 0, 0, 0);
    ev(w, 1, TRACE_FREE, 520, 0x400, 0, 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 530, 0x500, 8, 5, 0, 0);
    ev(w, 1, TRACE_FREE, 540, 0x500, 0, 0, 0, 0);
    ev(w, 4, TRACE_FREE, 600, 0x800, 0, 0, 0, 0);
    for (uint64_t ts = 610; ts <= 1000; ts += 10) {
        ev(w, 1, TRACE_ALLOC, ts, 0x5000 + ts, 8, 5, 0, 0);
        ev(w, 1, TRACE_FREE, ts, 0x5000 + ts, 0, 0, 0, 0);
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static void case_temporary(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/edges.trace", dir);
    write_edges(path);
    ls_analysis *a;
    trace_error err;
    CHECK(ls_analysis_load(path, &a, &err) == TRACE_OK);
    for (int history = 0; history < 2; history++) {
        ls_range_opts opts = { .history = history };
        ls_range *r;
        CHECK(ls_range_summarize(a->index, 200, 500, &opts, &r, &err) == TRACE_OK);
        CHECK_EQ_U64(temporary_at(r, 1), 0);
        CHECK_EQ_U64(temporary_at(r, 2), 0); /* made before t0 */
        CHECK_EQ_U64(temporary_at(r, 3), 1);
        CHECK_EQ_U64(temporary_at(r, 4), 1); /* freed after t1 */
        CHECK_EQ_U64(temporary_at(r, 5), 0);
        CHECK_EQ_U64(temporary_at(r, 6), 2); /* at t0 and at t1 */
        CHECK_EQ_U64(temporary_at(r, 7), 0);
        CHECK_EQ_U64(temporary_at(r, 8), 1); /* the thread's last event, after t1 */
        CHECK_EQ_U64(temporary_at(r, 9), 0);
        CHECK_EQ_U64(r->temporary, 5);
        CHECK_EQ_U64(r->temporary_bytes, 8 + 8 + 6 + 6 + 8);
        CHECK(r->live_blocks == 3 && r->live_bytes == 8 + 8 + 9); /* 4, 8 and 9: 4 and 8 freed after t1 */
        CHECK_EQ_U64(r->events, 14);
        ls_range_free(r);
    }
    /* Ranges that split the trace add up to the whole trace's, site by site. */
    static const uint64_t cuts[] = { 0, 199, 200, 309, 310, 499, 500, 519, 1000 };
    uint64_t sum[10] = { 0 }, total = 0;
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof *cuts; i++) {
        ls_range *r;
        uint64_t lo = i ? cuts[i] + 1 : 0;
        CHECK(ls_range_summarize(a->index, lo, cuts[i + 1], NULL, &r, &err) == TRACE_OK);
        for (uint32_t s = 1; s <= 9; s++)
            sum[s] += temporary_at(r, s);
        total += r->temporary;
        ls_range_free(r);
    }
    CHECK_EQ_U64(total, a->temporary);
    for (uint32_t s = 1; s <= 9; s++)
        CHECK_EQ_U64(sum[s], a->stack_use[s].temporary);
    ls_analysis_free(a);
}

/* The peak of a range, with history:
 *   stack 1  1000 B made 100, freed 250 (before t0, freed inside)
 *   stack 2   300 B made 150, live to the end
 *   stack 3   500 B made 300; 600 B made 400, freed 450
 *   stack 4   600 B made 500 (back to 1400: a tie, no new peak)
 *   stack 5  5000 B made 700, freed 750: the whole trace's peak
 * [200, 600] peaks at 1400 at 400 (2: 300, 3: 1100), above the 1300 it
 * began with; [200, 260] never rises: its peak is the heap at 200. */
static void case_peak(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/peak.trace", dir);
    trace_writer *w = test_create_trace(path, 5, 0, 0x1000);
    ev(w, 1, TRACE_ALLOC, 100, 0x100, 1000, 1, 0, 0);
    ev(w, 1, TRACE_ALLOC, 150, 0x200, 300, 2, 0, 0);
    ev(w, 1, TRACE_FREE, 250, 0x100, 0, 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 300, 0x300, 500, 3, 0, 0);
    ev(w, 2, TRACE_ALLOC, 400, 0x400, 600, 3, 0, 0);
    ev(w, 2, TRACE_FREE, 450, 0x400, 0, 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 500, 0x500, 600, 4, 0, 0);
    ev(w, 1, TRACE_ALLOC, 700, 0x700, 5000, 5, 0, 0);
    ev(w, 1, TRACE_FREE, 750, 0x700, 0, 0, 0, 0);
    ls_analysis *a = test_close_and_load(w, path);
    CHECK(a->peak_heap_bytes == 6400 && a->peak_heap_ts == 700);
    static const struct {
        uint64_t t0, t1, peak, ts, blocks, by_stack[6];
    } want[] = {
        { 200, 600, 1400, 400, 3, { 0, 0, 300, 1100, 0, 0 } },
        { 200, 260, 1300, 200, 2, { 0, 1000, 300, 0, 0, 0 } },
        { 400, 600, 1400, 400, 3, { 0, 0, 300, 1100, 0, 0 } }, /* the allocation at t0 is in */
        { 401, 600, 1400, 401, 3, { 0, 0, 300, 1100, 0, 0 } }, /* the 1400 at 500 is no new peak */
        { 760, 900, 1400, 760, 3, { 0, 0, 300, 500, 600, 0 } }, /* no event: the heap at t0 */
        { 0, 800, 6400, 700, 4, { 0, 0, 300, 500, 600, 5000 } },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        ls_range *r;
        trace_error err;
        CHECK(ls_range_summarize(a->index, want[i].t0, want[i].t1, &(ls_range_opts){ .history = true }, &r, &err) ==
              TRACE_OK);
        CHECK(r->has_peak);
        CHECK_EQ_U64(r->peak_bytes, want[i].peak);
        CHECK_EQ_U64(r->peak_ts, want[i].ts);
        CHECK_EQ_U64(r->peak_blocks, want[i].blocks);
        uint64_t sum = 0;
        for (uint32_t s = 1; s <= 5; s++) {
            const ls_range_site *rs = site(r, s);
            CHECK_EQ_U64(rs ? rs->peak_bytes : 0, want[i].by_stack[s]);
            sum += rs ? rs->peak_bytes : 0;
        }
        CHECK_EQ_U64(sum, r->peak_bytes);
        ls_stack_use *u = ls_range_stack_use(r, a->nstacks);
        CHECK(u && u[3].peak_bytes == want[i].by_stack[3]);
        free(u);
        ls_range_free(r);
    }
    /* the whole trace's peak by stack, the same rule */
    ls_range *r;
    trace_error err;
    CHECK(ls_range_summarize(a->index, 0, a->last_ts, &(ls_range_opts){ .history = true }, &r, &err) == TRACE_OK);
    for (uint32_t s = 1; s <= 5; s++)
        CHECK_EQ_U64(site(r, s) ? site(r, s)->peak_bytes : 0, a->stack_use[s].peak_bytes);
    ls_range_free(r);
    /* without history: no peak */
    CHECK(ls_range_summarize(a->index, 200, 600, NULL, &r, &err) == TRACE_OK);
    CHECK(!r->has_peak && r->peak_bytes == 0);
    ls_range_free(r);
    ls_analysis_free(a);
}

static int polls;

static bool cancel_at_once(void *user)
{
    (void)user;
    polls++;
    return true;
}

/* A cancelled read stops with ERR_ARGS and no summary. */
static void case_cancel(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/cancel.trace", dir);
    trace_writer *w = test_create_trace(path, 1, 0, 0x1000);
    for (uint64_t i = 0; i < 20000; i++) {
        ev(w, 1, TRACE_ALLOC, 10 + 2 * i, 0x1000 + 16 * i, 16, 1, 0, 0);
        ev(w, 1, TRACE_FREE, 11 + 2 * i, 0x1000 + 16 * i, 0, 0, 0, 0);
    }
    ls_analysis *a = test_close_and_load(w, path);
    ls_range *r = NULL;
    trace_error err;
    ls_range_opts opts = { .history = true, .cancelled = cancel_at_once };
    CHECK(ls_range_summarize(a->index, 0, a->last_ts, &opts, &r, &err) == TRACE_ERR_ARGS);
    CHECK(r == NULL && polls == 1 && !strcmp(err.message, "cancelled"));
    opts.cancelled = NULL;
    CHECK(ls_range_summarize(a->index, 0, a->last_ts, &opts, &r, &err) == TRACE_OK);
    CHECK_EQ_U64(r->temporary, 20000);
    CHECK_EQ_U64(r->peak_bytes, 16);
    ls_range_free(r);
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "temporary", case_temporary },
    { "peak", case_peak },
    { "cancel", case_cancel },
    { "release", case_release },
    { "history", case_history },
    { "budget", case_budget },
    { "nearest", case_nearest },
};

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-trace")) {
        write_sample(argv[2]);
        return 0;
    }
    return test_run_cases("test-range", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
