/* test-site-series.c — the heap by call site (viewer/model/site-series.h)
 * of a synthetic trace whose sites are known: a leak that keeps growing, a
 * cache that fills and stays flat, a site whose blocks are freed at once,
 * and a realloc moving a block between sites: the ranking, each series at
 * known times (any zoom reads the same values), the whole heap against the
 * analysis's, a caller that gives up, and a trace with no allocations.
 *
 * `test-site-series CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "site-series.h"
#include "site-trace.h"
#include "test-trace.h"
#include "test-util.h"
#include "trace-writer.h"

static char dir[] = "/tmp/leakscope-test-site-series-XXXXXX";

static ls_analysis *load(const char *name) { return site_trace_load(dir, name); }

static ls_site_series *build(ls_analysis *a, uint32_t *stacks, uint32_t n)
{
    ls_site_series *s = NULL;
    trace_error err;
    CHECK(ls_site_series_build(a->index, a->first_ts, a->last_ts, stacks, n, NULL, NULL, &s, &err) == TRACE_OK);
    if (!s)
        exit(1);
    return s;
}

static void case_rank(void)
{
    ls_analysis *a = load("rank");
    uint32_t top[8];
    uint32_t n = ls_site_series_rank(a, top, 8);
    /* held at once: the leak 10,100 B at the end, the cache 10,000 B (its
     * peak, before the realloc), the temporary site 5000 B (the heap is
     * highest just after its last allocation), the moved block 3000 B */
    CHECK_EQ_U64(n, 4);
    CHECK_EQ_U64(top[0], S_LEAK);
    CHECK_EQ_U64(top[1], S_CACHE);
    CHECK_EQ_U64(top[2], S_TEMP);
    CHECK_EQ_U64(top[3], S_MOVED);
    CHECK_EQ_U64(ls_site_series_rank(a, top, 1), 1);
    CHECK_EQ_U64(top[0], S_LEAK);
    ls_analysis_free(a);
}

static void case_values(void)
{
    ls_analysis *a = load("values");
    uint32_t stacks[] = { S_LEAK, S_CACHE, S_TEMP, S_MOVED };
    ls_site_series *s = build(a, stacks, 4);
    CHECK_EQ_U64(ls_site_series_count(s), 4);
    CHECK_EQ_U64(ls_site_series_stack(s, 1), S_CACHE);
    /* the leak keeps growing: 100 bytes per 10 ms */
    CHECK_EQ_U64(ls_site_series_at(s, 0, 5 * MS), 100);
    CHECK_EQ_U64(ls_site_series_at(s, 0, 255 * MS), 26 * 100);
    CHECK_EQ_U64(ls_site_series_at(s, 0, 1000 * MS), 101 * 100);
    /* the cache fills to 10 blocks by 100 ms and stays flat, less the
     * block the realloc took at 500 ms */
    CHECK_EQ_U64(ls_site_series_at(s, 1, 55 * MS), 5 * 1000);
    CHECK_EQ_U64(ls_site_series_at(s, 1, 300 * MS), 10 * 1000);
    CHECK_EQ_U64(ls_site_series_at(s, 1, 700 * MS), 9 * 1000);
    CHECK_EQ_U64(ls_site_series_max(s, 1), 10 * 1000);
    /* the temporary site holds nothing at any bucket's end */
    CHECK_EQ_U64(ls_site_series_at(s, 2, 300 * MS + 5 * MS), 0);
    CHECK_EQ_U64(ls_site_series_max(s, 2), 5000);
    /* the realloc's new block is its site's */
    CHECK_EQ_U64(ls_site_series_at(s, 3, 400 * MS), 0);
    CHECK_EQ_U64(ls_site_series_at(s, 3, 600 * MS), 3000);
    /* the whole heap: the analysis's at the end, and its peak */
    CHECK_EQ_U64(ls_site_series_at(s, 4, a->last_ts), a->heap_bytes);
    CHECK_EQ_U64(ls_site_series_at(s, 4, 700 * MS), 71 * 100 + 9 * 1000 + 3000);
    CHECK_EQ_U64(ls_site_series_max(s, 4), a->peak_heap_bytes);
    /* outside the trace: its ends; past the series: nothing */
    CHECK_EQ_U64(ls_site_series_at(s, 0, UINT64_MAX), 101 * 100);
    CHECK_EQ_U64(ls_site_series_at(s, 9, 700 * MS), 0);
    ls_site_series_free(s);
    ls_analysis_free(a);
}

static bool stop_now(void *user)
{
    ++*(int *)user;
    return true;
}

/* The caller gives up (the window closed): an error, nothing made. */
static void case_stopped(void)
{
    ls_analysis *a = load("stopped");
    uint32_t stacks[] = { S_LEAK };
    ls_site_series *s = (ls_site_series *)1;
    trace_error err;
    int asked = 0;
    CHECK(ls_site_series_build(a->index, a->first_ts, a->last_ts, stacks, 1, stop_now, &asked, &s, &err) ==
          TRACE_ERR_ARGS);
    CHECK(s == NULL && asked == 1);
    ls_analysis_free(a);
}

/* A trace with no allocation: nothing ranked, series of zeros. */
static void case_empty(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/empty.trace", dir);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    trace_event m = { .kind = TRACE_MARK, .ts = 5, .str = 0 };
    trace_writer_add_event(w, 1, &m);
    ls_analysis *a = test_close_and_load(w, path);
    uint32_t top[8];
    CHECK_EQ_U64(ls_site_series_rank(a, top, 8), 0);
    ls_site_series *s = build(a, top, 0);
    CHECK_EQ_U64(ls_site_series_count(s), 0);
    CHECK_EQ_U64(ls_site_series_at(s, 0, 5), 0);
    CHECK_EQ_U64(ls_site_series_max(s, 0), 0);
    ls_site_series_free(s);
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "rank", case_rank },
    { "values", case_values },
    { "empty", case_empty },
    { "stopped", case_stopped },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-site-series", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
