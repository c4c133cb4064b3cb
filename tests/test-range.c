/* test-range.c — range analysis on the trace index (viewer/model/range.h):
 * what a range allocated, freed and kept, by call site, with and without
 * the history before it; the event budget keeping whole timestamps; the
 * event nearest a time, a resource's close found by its family.
 *
 * `test-range CASE` runs one case; with no argument, all of them;
 * `test-range --write-trace FILE` writes the sample trace (check-report-range.py).
 *
 * SPDX-License-Identifier: MIT
 */
#include "range.h"
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
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 4 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint64_t s = 1; s <= 3; s++) {
        uint64_t frame = 0x1000 * s;
        trace_writer_add_stack(w, s, &frame, 1);
    }
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
    CHECK(ls_range_summarize(idx, 350, 650, true, 0, &r, &err) == TRACE_OK);
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

    CHECK(ls_range_summarize(idx, 350, 650, false, 0, &r, &err) == TRACE_OK);
    CHECK_EQ_U64(r->frees, 2);
    CHECK_EQ_U64(r->freed_bytes, 40);
    CHECK_EQ_U64(r->frees_unknown, 1);
    ls_range_free(r);

    /* [0, 750]: what the range made and kept, by site, most kept first. */
    CHECK(ls_range_summarize(idx, 0, 750, false, 0, &r, &err) == TRACE_OK);
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
    CHECK(ls_range_summarize(idx, 150, 900, false, 2, &r, &err) == TRACE_OK);
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

static const test_case cases[] = {
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
